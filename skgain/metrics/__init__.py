# SPDX-License-Identifier: BSD-3-Clause
"""Imputation quality metrics and scorers."""

from skgain.metrics._scorer import make_imputation_scorer
from skgain.metrics._scores import imputation_r2_score, imputation_rmse

__all__ = ["imputation_r2_score", "imputation_rmse", "make_imputation_scorer"]
