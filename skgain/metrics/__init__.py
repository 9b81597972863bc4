# SPDX-License-Identifier: BSD-3-Clause
"""Imputation quality metrics and scorers."""

__all__: list[str] = []
