# SPDX-License-Identifier: BSD-3-Clause
"""The private scikit-learn helpers that skgain relies on, imported in one place.

scikit-learn does not promise stability for these names; keeping them together
means a future release needs one edit here rather than a search through the code.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    MissingValues,
    StrOptions,
)
from sklearn.utils._set_output import _get_output_config, _wrap_data_with_container
from sklearn.utils.validation import _check_feature_names_in

__all__ = [
    "Interval",
    "MissingValues",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "_get_output_config",
    "_wrap_data_with_container",
]
