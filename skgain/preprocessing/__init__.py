# SPDX-License-Identifier: BSD-3-Clause
"""Expression preprocessing transformers."""

__all__: list[str] = []
