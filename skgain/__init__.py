# SPDX-License-Identifier: BSD-3-Clause
"""skgain: Generative Adversarial Imputation Nets as a scikit-learn imputer."""

from skgain._gain import GAINImputer

__version__ = "0.1.0.dev0"

__all__ = ["GAINImputer", "__version__"]
