# SPDX-License-Identifier: BSD-3-Clause
"""Data sets, missingness generators and expression-file readers."""

__all__: list[str] = []
