# SPDX-License-Identifier: BSD-3-Clause
"""Data sets, missingness generators and expression-file readers."""

from skgain.datasets._gtex import load_gtex
from skgain.datasets._missingness import make_missing
from skgain.datasets._readers import read_expression_table, read_gct, read_h5ad
from skgain.datasets._synthetic import make_expression_data

__all__: list[str] = [
    "load_gtex",
    "make_expression_data",
    "make_missing",
    "read_expression_table",
    "read_gct",
    "read_h5ad",
]
