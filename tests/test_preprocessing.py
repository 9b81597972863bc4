# SPDX-License-Identifier: BSD-3-Clause
"""Tests of LogTransformer, ExpressionFilter and GroupInverseNormalTransformer."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
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

from skgain.preprocessing import (
    ExpressionFilter,
    GroupInverseNormalTransformer,
    LogTransformer,
)

# With covariates=0 or groups=0 the checks' numeric data also go through the
# code path that passes covariate and group columns through.
ESTIMATORS = [
    LogTransformer(),
    LogTransformer(base=10, pseudocount=0.5),
    LogTransformer(covariates=0),
    ExpressionFilter(),
    ExpressionFilter(min_expression=0.0, min_fraction=0.5, covariates=[0]),
    GroupInverseNormalTransformer(),
    GroupInverseNormalTransformer(method="van_der_waerden", groups=0),
]

PASSTHROUGH = (
    "Covariate columns are passed through untouched, whatever they hold; the "
    "check puts a dict or negative values into one."
)


def expected_failed_checks(estimator):
    failures = {}
    if (
        isinstance(estimator, GroupInverseNormalTransformer)
        and estimator.groups is None
    ):
        failures["check_methods_subset_invariance"] = (
            "Ranks are taken within the samples given to transform, so a "
            "sample's score depends on the other samples of the call."
        )
    if getattr(estimator, "covariates", None) is not None:
        failures["check_dtype_object"] = PASSTHROUGH
        if isinstance(estimator, LogTransformer):
            failures["check_fit_non_negative"] = PASSTHROUGH
    if getattr(estimator, "groups", None) is not None:
        failures["check_dtype_object"] = PASSTHROUGH
        for check in (
            "check_estimators_pickle",
            "check_estimators_pickle(readonly_memmap=True)",
        ):
            failures[check] = (
                "The check puts NaN into the groups column, and a sample "
                "without a group is an error by design."
            )
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
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
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_checks_outside_the_default_suite(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.fixture
def table():
    """Four Lung and three Liver samples, with covariates around the genes."""
    return pd.DataFrame(
        {
            "tissue": pd.Categorical(["Lung"] * 4 + ["Liver"] * 3),
            "ALB": [0.0, 0.0, 0.0, 1.0, 900.0, 850.0, 700.0],
            "age": [65.0, 55.0, 25.0, 35.0, 45.0, 65.0, 55.0],
            "SFTPC": [700.0, 500.0, 300.0, 900.0, 0.0, 0.0, np.nan],
            "ACTB": [50.0, 60.0, 40.0, 60.0, 55.0, 45.0, 60.0],
        },
        index=[f"s{i}" for i in range(7)],
    )


# --- LogTransformer ---------------------------------------------------------


@pytest.mark.parametrize(
    "base, pseudocount, expected",
    [
        (2, 1.0, [[0.0, 2.0], [3.0, np.nan]]),  # log2(0+1), log2(3+1), log2(7+1)
        (10, 0.5, np.log10([[0.5, 3.5], [7.5, np.nan]])),
        (np.e, 0.0, None),  # zeros with no pseudocount: an error
        (4, 1.0, [[0.0, 1.0], [1.5, np.nan]]),  # log4(4) = 1, log4(8) = 1.5
    ],
)
def test_log_transformer_values(base, pseudocount, expected):
    X = np.array([[0.0, 3.0], [7.0, np.nan]])
    log = LogTransformer(base=base, pseudocount=pseudocount)
    if expected is None:
        with pytest.raises(ValueError, match="log is -inf; use a positive pseudo"):
            log.fit(X)
        return
    Xt = log.fit_transform(X)
    assert_allclose(Xt, expected, rtol=1e-15)
    assert_allclose(log.inverse_transform(Xt), X, rtol=1e-12)


def test_log_transformer_exact_and_dtype_preserving():
    X = np.array([[0.0, 1.0, 3.0, 1023.0]], dtype=np.float32)
    Xt = LogTransformer().fit_transform(X)
    assert Xt.dtype == np.float32
    assert_array_equal(Xt, [[0.0, 1.0, 2.0, 10.0]])
    assert LogTransformer().fit(X).inverse_transform(Xt).dtype == np.float32
    assert LogTransformer(base=3).fit_transform(X).dtype == np.float32


@pytest.mark.parametrize("covariates", [None, 1])
def test_float16_is_transformed_in_float64(covariates):
    """As documented: only float32 stays; float16 would round 1000 to 1001."""
    X = np.array([[1000.0, 3.0], [2047.0, np.nan], [5.0, 7.0]], dtype=np.float16)
    log = LogTransformer(covariates=covariates).fit(X)
    Xt = log.transform(X)
    assert Xt.dtype == np.float64
    assert_allclose(log.inverse_transform(Xt)[:, 0], [1000.0, 2047.0, 5.0], rtol=1e-12)
    ranks = GroupInverseNormalTransformer(covariates=covariates).fit_transform(X)
    assert ranks.dtype == np.float64


@pytest.mark.parametrize("covariates", [None, ["tissue", "age"]])
def test_log_inverse_transform_gives_a_dataframe_under_pandas_output(table, covariates):
    """pandas in, pandas out, as transform gives, with or without covariates."""
    genes = table if covariates else table[["ALB", "SFTPC", "ACTB"]]
    log = LogTransformer(covariates=covariates).set_output(transform="pandas")
    back = log.fit(genes).inverse_transform(log.transform(genes))
    assert isinstance(back, pd.DataFrame)
    assert list(back.columns) == list(genes.columns)
    assert back.index.equals(genes.index)
    assert_allclose(back["ACTB"], genes["ACTB"], rtol=1e-12)
    # Without set_output, an array, as scikit-learn's transformers return.
    log = LogTransformer(covariates=covariates).fit(genes)
    assert isinstance(log.inverse_transform(log.transform(genes)), np.ndarray)


@pytest.mark.parametrize("covariates", [None, ["tissue", "age"]])
def test_log_inverse_transform_gives_polars_under_polars_output(table, covariates):
    pl = pytest.importorskip("polars")
    genes = table if covariates else table[["ALB", "SFTPC", "ACTB"]]
    log = LogTransformer(covariates=covariates).set_output(transform="polars")
    back = log.fit(genes).inverse_transform(log.transform(genes))
    assert isinstance(back, pl.DataFrame)
    assert back.columns == list(genes.columns)
    assert back.schema["ACTB"] == pl.Float64
    assert_allclose(back["ACTB"].to_numpy(), genes["ACTB"], rtol=1e-12)
    if covariates:
        assert back["tissue"].to_list() == genes["tissue"].tolist()


def test_log_inverse_transform_polars_keeps_a_missing_covariate(table):
    pl = pytest.importorskip("polars")
    table = table.copy()
    table.loc[table.index[1], "tissue"] = np.nan
    log = LogTransformer(covariates=["tissue", "age"]).set_output(transform="polars")
    back = log.fit(table).inverse_transform(table)
    assert back.schema["tissue"] == pl.String
    assert back["tissue"].null_count() == 1


def test_log_transformer_keeps_float32_with_a_numpy_pseudocount():
    X = np.array([[0.0, 3.0], [7.0, 1.0]], dtype=np.float32)
    log = LogTransformer(pseudocount=np.float64(1.0)).fit(X)
    Xt = log.transform(X)
    assert Xt.dtype == np.float32
    assert_array_equal(Xt, [[0.0, 2.0], [3.0, 1.0]])
    assert log.inverse_transform(Xt).dtype == np.float32


def test_log_transformer_domain_checked_in_the_data_dtype():
    # -0.7 in float32 is float32(-0.7); with a float64 pseudocount of 0.7 the
    # sum in float32 is 0, whose log is -inf: refused, as with a float 0.7.
    X = np.array([[-0.7], [1.0]], dtype=np.float32)
    for pseudocount in (0.7, np.float64(0.7)):
        with pytest.raises(ValueError, match="Negative values"):
            LogTransformer(pseudocount=pseudocount).fit_transform(X)


def test_log_transformer_pseudocount_that_rounds_to_zero_says_so():
    X = np.array([[0.0], [1.0]], dtype=np.float32)
    with pytest.raises(ValueError, match=r"pseudocount=1e-50 rounds to 0 in float32"):
        LogTransformer(pseudocount=1e-50).fit_transform(X)
    # float64 holds it: the log of 1e-50 is finite.
    assert np.isfinite(
        LogTransformer(pseudocount=1e-50).fit_transform(X.astype(np.float64))
    ).all()


def test_expression_filter_refuses_a_nan_threshold():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="min_expression"):
        ExpressionFilter(min_expression=np.nan).fit(X)
    # An infinite threshold is a threshold: -inf keeps every observed gene.
    kept = ExpressionFilter(min_expression=-np.inf).fit(X).get_feature_names_out()
    assert list(kept) == ["x0", "x1"]
    assert not len(
        ExpressionFilter(min_expression=np.inf).fit(X).get_feature_names_out()
    )


def test_log_transformer_rejects_values_below_minus_pseudocount():
    X = pd.DataFrame({"TP53": [1.0, 2.0], "BRCA1": [-0.5, -2.0]})
    with pytest.raises(
        ValueError, match=r"Negative values.*'BRCA1' has -2\.0.*pseudocount=1\.0"
    ):
        LogTransformer().fit(X)
    log = LogTransformer().fit(X.abs())
    with pytest.raises(ValueError, match="Negative values"):
        log.transform(X)
    # Above -pseudocount is fine.
    assert_allclose(LogTransformer(pseudocount=2.5).fit_transform(X)[:, 1], [1, -1])


def test_log_transformer_passes_covariates_through(table):
    before = table.copy()
    log = LogTransformer(covariates=["tissue", "age"]).set_output(transform="pandas")
    out = log.fit_transform(table)
    pd.testing.assert_frame_equal(table, before)  # input untouched
    assert out.columns.tolist() == table.columns.tolist()
    assert out.index.tolist() == table.index.tolist()
    pd.testing.assert_series_equal(out["tissue"], table["tissue"])
    pd.testing.assert_series_equal(out["age"], table["age"])
    assert_allclose(out["ACTB"], np.log2(table["ACTB"] + 1))
    assert out["SFTPC"].isna().tolist() == table["SFTPC"].isna().tolist()
    back = log.inverse_transform(out)
    assert_allclose(back["SFTPC"], table["SFTPC"])
    # Default output: an object array, as the covariates are not all numeric.
    array = LogTransformer(covariates=["tissue", "age"]).fit_transform(table)
    assert array.dtype == object
    assert array[0, 0] == "Lung"
    assert array[0, 4] == pytest.approx(np.log2(51))


def test_log_transformer_column_errors(table):
    with pytest.raises(ValueError, match=r"\['TISSUE'\] that are not in X"):
        LogTransformer(covariates=["TISSUE"]).fit(table)
    with pytest.raises(
        ValueError,
        match=r"Expression column\(s\) 'tissue' hold non-numeric.*in covariates",
    ):
        LogTransformer(covariates="age").fit(table)
    with pytest.raises(ValueError, match=r"'tissue' hold non-numeric"):
        LogTransformer().fit(table)
    with pytest.raises(ValueError, match="no column names"):
        LogTransformer(covariates="age").fit(table.to_numpy())
    with pytest.raises(ValueError, match="column index 9"):
        LogTransformer(covariates=9).fit(table)
    with pytest.raises(NotFittedError):
        LogTransformer().transform(table[["ALB"]])


# --- ExpressionFilter -------------------------------------------------------


def test_expression_filter_keeps_genes_expressed_in_every_group(table):
    # Lung: ALB 1/4 >= 1, SFTPC 4/4, ACTB 4/4.
    # Liver: ALB 3/3, SFTPC 0/2 (one missing), ACTB 3/3.
    selector = ExpressionFilter(
        min_expression=1.0, min_fraction=0.25, groups="tissue", covariates="age"
    )
    selector.fit(table)
    assert selector.groups_.tolist() == ["Liver", "Lung"]
    assert_allclose(
        selector.expressed_fraction_,
        [[np.nan, 1.0, np.nan, 0.0, 1.0], [np.nan, 0.25, np.nan, 1.0, 1.0]],
    )
    assert selector.get_support().tolist() == [True, True, True, False, True]
    names = ["tissue", "ALB", "age", "ACTB"]
    assert selector.get_feature_names_out().tolist() == names
    out = selector.set_output(transform="pandas").transform(table)
    assert out.columns.tolist() == names
    assert isinstance(out["tissue"].dtype, pd.CategoricalDtype)
    # A fraction above 1/4 drops ALB, which only one Lung sample expresses.
    stricter = ExpressionFilter(
        min_expression=1.0, min_fraction=0.26, groups="tissue", covariates="age"
    )
    assert stricter.fit(table).get_feature_names_out().tolist() == [
        "tissue",
        "age",
        "ACTB",
    ]


def test_expression_filter_without_groups_uses_observed_samples(table):
    # Over all seven samples: ALB 4/7, SFTPC 4/6 observed, ACTB 7/7.
    genes = table[["ALB", "SFTPC", "ACTB"]]
    selector = ExpressionFilter(min_expression=1.0, min_fraction=4 / 6).fit(genes)
    assert_allclose(selector.expressed_fraction_, [[4 / 7, 4 / 6, 1.0]])
    assert selector.get_feature_names_out().tolist() == ["SFTPC", "ACTB"]
    assert selector.groups_.tolist() == [None]
    Xt = selector.transform(genes)
    assert_array_equal(Xt, genes[["SFTPC", "ACTB"]].to_numpy())


def test_expression_filter_fraction_boundary_is_exact():
    # 3 of 10 samples reach the threshold: 3 / 10 >= 0.3, although 0.3 * 10 > 3.
    X = np.zeros((10, 1))
    X[:3] = 5.0
    selector = ExpressionFilter(min_expression=5.0, min_fraction=0.3).fit(X)
    assert selector.get_support().tolist() == [True]


@pytest.mark.parametrize("threshold", [0.7, np.float64(0.7), np.float32(0.7)])
def test_expression_filter_threshold_in_the_data_dtype(threshold):
    # A float32 table holding 0.7 reaches 0.7, whatever the threshold's type.
    X = np.array([[0.7], [0.7]], dtype=np.float32)
    selector = ExpressionFilter(min_expression=threshold, min_fraction=1.0).fit(X)
    assert selector.get_support().tolist() == [True]


@pytest.mark.parametrize(
    "transformer",
    [
        LogTransformer(covariates="tissue"),
        GroupInverseNormalTransformer(groups="tissue"),
        ExpressionFilter(groups="tissue"),
    ],
    ids=lambda t: type(t).__name__,
)
def test_a_table_of_covariates_only_passes_through(table, transformer):
    covariates = table[["tissue"]]
    out = transformer.set_output(transform="pandas").fit_transform(covariates)
    pd.testing.assert_frame_equal(out, covariates)


@pytest.mark.parametrize(
    "transformer",
    [
        LogTransformer(covariates=["tissue", "age"]),
        GroupInverseNormalTransformer(groups="tissue", covariates="age"),
        ExpressionFilter(min_expression=0.0, groups="tissue", covariates="age"),
    ],
    ids=lambda t: type(t).__name__,
)
def test_polars_input_is_read_by_column_name(table, transformer):
    pl = pytest.importorskip("polars")
    table = table.reset_index(drop=True)
    expected = clone(transformer).fit_transform(table)
    polars_table = pl.DataFrame(
        {name: table[name].astype(object).tolist() for name in table}
    ).with_columns(pl.col("tissue").cast(pl.String))
    out = transformer.fit_transform(polars_table)
    assert list(transformer.feature_names_in_) == list(table.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(np.asarray(out, dtype=object)),
        pd.DataFrame(np.asarray(expected, dtype=object)),
    )
    with pytest.raises(ValueError, match="same order"):
        transformer.transform(polars_table.select(list(table.columns)[::-1]))


def test_expression_filter_gene_missing_in_a_group_fails(table):
    table = table.copy()
    table.loc[table["tissue"] == "Liver", "ACTB"] = np.nan
    selector = ExpressionFilter(
        min_expression=0.0, min_fraction=0.0, groups="tissue", covariates=["age"]
    ).fit(table)
    assert "ACTB" not in selector.get_feature_names_out()


def test_expression_filter_groups_by_position_in_an_array(table):
    X = table[["age", "ALB", "SFTPC", "ACTB"]].to_numpy(copy=True)
    X[:, 0] = table["tissue"].cat.codes  # groups as numbers in column 0
    selector = ExpressionFilter(min_expression=1.0, min_fraction=0.25, groups=0)
    Xt = selector.fit_transform(X)
    assert selector.get_support().tolist() == [True, True, False, True]
    assert_array_equal(Xt, X[:, [0, 1, 3]])


def test_expression_filter_rejects_missing_groups(table):
    table = table.copy()
    table["tissue"] = table["tissue"].astype(object)
    table.loc["s2", "tissue"] = None
    with pytest.raises(ValueError, match=r"'tissue' has missing values in 1 row"):
        ExpressionFilter(groups="tissue", covariates="age").fit(table)


# --- GroupInverseNormalTransformer --------------------------------------------


@pytest.mark.parametrize(
    "method, probabilities",
    [
        # ranks 1, 2, 3 of n = 3
        ("blom", [(1 - 3 / 8) / 3.25, (2 - 3 / 8) / 3.25, (3 - 3 / 8) / 3.25]),
        ("rankit", [1 / 6, 3 / 6, 5 / 6]),
        ("van_der_waerden", [1 / 4, 2 / 4, 3 / 4]),
        ("tukey", [(1 - 1 / 3) / (3 + 1 / 3), 0.5, (3 - 1 / 3) / (3 + 1 / 3)]),
    ],
)
def test_inverse_normal_formulas(method, probabilities):
    X = np.array([[20.0], [10.0], [30.0]])
    Xt = GroupInverseNormalTransformer(method=method).fit_transform(X)
    expected = norm.ppf(np.array(probabilities)[[1, 0, 2]])
    assert_allclose(Xt.ravel(), expected, rtol=1e-12)


def test_inverse_normal_hand_computed_values():
    # rankit: ranks 1, 2, 3 -> (r - 1/2) / 3 -> norm.ppf(1/6) = -0.967422
    X = np.array([[1.0], [2.0], [3.0]])
    Xt = GroupInverseNormalTransformer(method="rankit").fit_transform(X)
    assert_allclose(Xt.ravel(), [-0.967421566, 0.0, 0.967421566], atol=1e-9)


def test_inverse_normal_ties_missing_values_and_groups(table):
    rint = GroupInverseNormalTransformer(
        groups="tissue", covariates="age", method="van_der_waerden"
    ).set_output(transform="pandas")
    before = table.copy()
    out = rint.fit_transform(table)
    pd.testing.assert_frame_equal(table, before)
    pd.testing.assert_series_equal(out["tissue"], table["tissue"])
    pd.testing.assert_series_equal(out["age"], table["age"])
    # Lung ALB: 0, 0, 0, 1 -> average rank 2 for the ties, 4 -> r / 5.
    assert_allclose(out["ALB"].iloc[:4], norm.ppf([0.4, 0.4, 0.4, 0.8]))
    # Liver ALB: 900, 850, 700 -> ranks 3, 2, 1 of 3 -> r / 4.
    assert_allclose(out["ALB"].iloc[4:], norm.ppf([0.75, 0.5, 0.25]))
    # Liver SFTPC: 0, 0, NaN -> the NaN stays, n = 2, tied rank 1.5 -> 1.5 / 3.
    assert_allclose(out["SFTPC"].iloc[4:], [0.0, 0.0, np.nan])


def test_inverse_normal_is_stateless_and_dtype_preserving():
    rng = np.random.RandomState(0)
    X = rng.lognormal(size=(20, 3)).astype(np.float32)
    rint = GroupInverseNormalTransformer().fit(X[:5])
    Xt = rint.transform(X)
    assert Xt.dtype == np.float32
    # Ranks come from the data given to transform, not from fit.
    assert_allclose(Xt, GroupInverseNormalTransformer().fit_transform(X))
    assert_array_equal(np.argsort(Xt, axis=0), np.argsort(X, axis=0))
    # A lone sample gets the median score.
    assert_array_equal(rint.transform(X[:1]), [[0.0, 0.0, 0.0]])
    assert not hasattr(rint, "inverse_transform")


def test_inverse_normal_groups_unseen_in_fit(table):
    rint = GroupInverseNormalTransformer(groups="tissue", covariates="age")
    rint.fit(table.iloc[:4])  # Lung only
    out = rint.set_output(transform="pandas").transform(table)
    # Liver ACTB: 55, 45, 60 -> ranks 2, 1, 3 of 3 -> (r - 3/8) / 3.25.
    expected = norm.ppf([1.625 / 3.25, 0.625 / 3.25, 2.625 / 3.25])
    assert_allclose(out["ACTB"].iloc[4:], expected)


# --- in a Pipeline before an imputer -------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_before_gain_imputer(table):
    from skgain import GAINImputer

    table = pd.concat([table] * 3, ignore_index=True)
    table.loc[[1, 8, 15], "ACTB"] = np.nan
    pipeline = make_pipeline(
        ExpressionFilter(
            min_expression=1.0, min_fraction=0.25, groups="tissue", covariates="age"
        ),
        LogTransformer(covariates=["tissue", "age"]),
        GroupInverseNormalTransformer(groups="tissue", covariates="age"),
        GAINImputer(
            categorical_covariates=["tissue"],
            numerical_covariates=["age"],
            hidden_layer_sizes=(4,),
            max_iter=2,
            random_state=0,
        ),
    ).set_output(transform="pandas")
    out = pipeline.fit_transform(table)
    assert out.columns.tolist() == ["tissue", "ALB", "age", "ACTB"]
    assert not out[["ALB", "ACTB"]].isna().any().any()
