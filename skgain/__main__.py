# SPDX-License-Identifier: BSD-3-Clause
"""``python -m skgain``: the same as the ``skgain`` command."""

import sys

from skgain._cli import main

sys.exit(main())
