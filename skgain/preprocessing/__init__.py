# SPDX-License-Identifier: BSD-3-Clause
"""Expression preprocessing transformers."""

from skgain.preprocessing._expression import (
    GroupInverseNormalTransformer,
    LogTransformer,
)
from skgain.preprocessing._filter import ExpressionFilter

__all__: list[str] = [
    "ExpressionFilter",
    "GroupInverseNormalTransformer",
    "LogTransformer",
]
