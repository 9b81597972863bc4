"""scikit-learn's estimator checks, on a few small GAINImputer configurations."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from skgain import GAINImputer

# The configurations below stop after a few epochs on purpose, which GAINImputer
# reports with a ConvergenceWarning; the checks are about the API, not training.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Small networks and few epochs keep each of the ~50 checks fast; the checks
# test the API contract, not imputation quality.
SMALL = dict(hidden_layer_sizes=(8,), max_iter=3, batch_size=32, random_state=0)

CONFIGURATIONS = [
    GAINImputer(**SMALL),
    GAINImputer(**SMALL, adversarial=False),
    GAINImputer(**SMALL, add_indicator=True),
    GAINImputer(**SMALL, keep_empty_features=True, early_stopping=False),
    GAINImputer(**SMALL, sample_posterior=True, reconstruction_entries="input"),
    # The checks' tables have numbers only: their first column then serves
    # as a covariate.
    GAINImputer(**SMALL, numerical_covariates=[0]),
    GAINImputer(**SMALL, categorical_covariates=[0]),
]


def _expected_failed_checks(estimator):
    if estimator.categorical_covariates is None and (
        estimator.numerical_covariates is None
    ):
        return {}
    expected = {
        "check_dtype_object": (
            "a dict in a covariate column is refused with a ValueError that "
            "names the column, not with NumPy's TypeError message"
        )
    }
    if estimator.categorical_covariates is not None:
        expected["check_fit_idempotent"] = (
            "the check's test rows hold floats never seen in fit, which a "
            "categorical covariate refuses as unknown categories"
        )
    return expected


@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# The set_output checks fit on a DataFrame and transform an array (and the
# reverse) on purpose; the feature-name warnings that follow are expected.
@pytest.mark.filterwarnings("ignore:X (does not have valid|has) feature names")
@pytest.mark.parametrize(
    "check",
    [
        check_param_validation,
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_set_output_transform_polars,
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_dataframe_column_names_consistency,
    ],
)
@pytest.mark.parametrize("estimator", CONFIGURATIONS[:3], ids=repr)
def test_checks_outside_the_default_suite(estimator, check):
    check(type(estimator).__name__, estimator)
