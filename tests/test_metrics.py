"""Imputation metrics against hand-computed values, and the imputation scorer."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skgain import GAINImputer
from skgain.datasets import make_missing
from skgain.metrics import (
    imputation_r2_score,
    imputation_rmse,
    make_imputation_scorer,
)
from skgain.preprocessing import LogTransformer

# Four samples, two features; three masked entries. Hand-computed below.
X_TRUE = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
MASK = np.array([[True, False], [False, True], [False, False], [True, False]])
# Values at unmasked entries are deliberately absurd: they must not be read.
X_IMPUTED = np.array([[2.0, 1e9], [np.nan, 30.0], [np.inf, -1e9], [3.0, 0.0]])


def test_r2_matches_hand_computation():
    # Feature 0: masked true values 1 and 4, mean over all rows 2.5,
    # SS_tot = 1.5^2 + 1.5^2 = 4.5; errors 1 and -1, SS_res = 2.
    r2_0 = 1 - 2 / 4.5
    # Feature 1: masked true value 20, mean 25, SS_tot = 25; error 10, SS_res = 100.
    r2_1 = 1 - 100 / 25
    assert imputation_r2_score(X_TRUE, X_IMPUTED, MASK) == pytest.approx(
        (r2_0 + r2_1) / 2
    )
    raw = imputation_r2_score(X_TRUE, X_IMPUTED, MASK, multioutput="raw_values")
    np.testing.assert_allclose(raw, [r2_0, r2_1])


def test_r2_per_group_matches_hand_computation():
    groups = np.array(["b", "b", "a", "a"])
    # Group b (rows 0, 1): feature 0 mean 1.5, masked 1 -> SS_tot 0.25, SS_res 1;
    # feature 1 mean 15, masked 20 -> SS_tot 25, SS_res 100.
    # Group a (rows 2, 3): feature 0 mean 3.5, masked 4 -> SS_tot 0.25, SS_res 1;
    # feature 1 has no masked entry in group a and is not scored.
    b0, b1, a0 = 1 - 1 / 0.25, 1 - 100 / 25, 1 - 1 / 0.25
    score = imputation_r2_score(X_TRUE, X_IMPUTED, MASK, groups=groups)
    assert score == pytest.approx((b0 + b1 + a0) / 3)
    raw = imputation_r2_score(
        X_TRUE, X_IMPUTED, MASK, groups=groups, multioutput="raw_values"
    )
    assert isinstance(raw, pd.DataFrame)
    assert list(raw.index) == ["a", "b"]
    np.testing.assert_allclose(raw.to_numpy(), [[a0, np.nan], [b0, b1]])


def test_r2_denominator_uses_mean_of_all_rows_not_of_masked_ones():
    X_true = np.array([[0.0], [0.0], [0.0], [4.0]])
    mask = np.array([[False], [False], [True], [True]])
    # Mean over all rows is 1: SS_tot = 1 + 9 = 10. Imputing the masked mean (2)
    # gives SS_res = 4 + 4 = 8, so R^2 = 0.2 (it would be 0 with the masked mean).
    X_imputed = np.full((4, 1), 2.0)
    assert imputation_r2_score(X_true, X_imputed, mask) == pytest.approx(0.2)


def test_r2_ignores_nan_true_values_outside_the_mask():
    X_true = np.array([[1.0], [np.nan], [3.0], [5.0]])
    mask = np.array([[True], [False], [False], [True]])
    # Mean of the known values is 3: SS_tot = 4 + 4; errors 1 and 1.
    X_imputed = np.array([[2.0], [0.0], [0.0], [4.0]])
    assert imputation_r2_score(X_true, X_imputed, mask) == pytest.approx(1 - 2 / 8)


def test_rmse_matches_hand_computation():
    # Errors 1, 10 and -1 over three masked entries.
    assert imputation_rmse(X_TRUE, X_IMPUTED, MASK) == pytest.approx(
        np.sqrt((1 + 100 + 1) / 3)
    )
    # Ranges 3 and 30: scaled errors 1/3, 1/3 and -1/3.
    assert imputation_rmse(X_TRUE, X_IMPUTED, MASK, scaling="minmax") == (
        pytest.approx(1 / 3)
    )


def test_rmse_per_group_is_the_mean_of_the_groups():
    groups = ["b", "b", "a", "a"]
    # Group b: errors 1 and 10; group a: error -1.
    expected = (np.sqrt((1 + 100) / 2) + 1) / 2
    assert imputation_rmse(X_TRUE, X_IMPUTED, MASK, groups=groups) == (
        pytest.approx(expected)
    )


def test_dataframes_give_the_same_scores_and_name_the_features():
    columns = ["GENE1", "GENE2"]
    true = pd.DataFrame(X_TRUE, columns=columns)
    imputed = pd.DataFrame(X_IMPUTED, columns=columns)
    mask = pd.DataFrame(MASK, columns=columns)
    assert imputation_r2_score(true, imputed, mask) == pytest.approx(
        imputation_r2_score(X_TRUE, X_IMPUTED, MASK)
    )
    assert imputation_rmse(true, imputed, mask) == pytest.approx(
        imputation_rmse(X_TRUE, X_IMPUTED, MASK)
    )
    raw = imputation_r2_score(
        true,
        imputed,
        mask,
        groups=pd.Categorical(list("aabb")),
        multioutput="raw_values",
    )
    assert list(raw.columns) == columns


@pytest.mark.parametrize("metric", [imputation_r2_score, imputation_rmse])
def test_dataframes_of_other_rows_are_refused(metric):
    samples = ["S1", "S2", "S3", "S4"]
    true = pd.DataFrame(X_TRUE, index=samples)
    shuffled = pd.DataFrame(X_IMPUTED, index=samples).iloc[[1, 0, 2, 3]]
    with pytest.raises(ValueError, match="rows differ \\(row 0: 'S1' against 'S2'\\)"):
        metric(true, shuffled, MASK)
    mask = pd.DataFrame(MASK, index=[0, 1, 2, 3])
    imputed = pd.DataFrame(X_IMPUTED, index=samples)
    with pytest.raises(ValueError, match="X_imputed and missing_mask are"):
        metric(true, imputed, mask)
    # Aligned, they score as the arrays do.
    aligned = shuffled.loc[true.index]
    assert metric(true, aligned, MASK) == pytest.approx(metric(X_TRUE, X_IMPUTED, MASK))


def test_group_labels_in_a_list_stay_as_they_are():
    # 1 and "1" are two groups, as in an object Series; NumPy would make
    # both the string "1".
    labels = [1, "1", 1, "1"]
    raw = imputation_r2_score(
        X_TRUE, X_IMPUTED, MASK, groups=labels, multioutput="raw_values"
    )
    expected = imputation_r2_score(
        X_TRUE,
        X_IMPUTED,
        MASK,
        groups=pd.Series(labels, dtype=object),
        multioutput="raw_values",
    )
    assert len(raw) == 2
    pd.testing.assert_frame_equal(raw, expected)


@pytest.mark.parametrize("metric", [imputation_r2_score, imputation_rmse])
def test_groups_of_other_rows_are_refused(metric):
    samples = ["S1", "S2", "S3", "S4"]
    true = pd.DataFrame(X_TRUE, index=samples)
    tissue = pd.Series(["b", "b", "a", "a"], index=samples)
    shuffled = tissue.iloc[[2, 0, 1, 3]]
    with pytest.raises(ValueError, match="X_true and groups are .* rows differ"):
        metric(true, X_IMPUTED, MASK, groups=shuffled)
    # Aligned, or as an array, they score as the labels in row order do.
    expected = metric(X_TRUE, X_IMPUTED, MASK, groups=tissue.to_numpy())
    assert metric(true, X_IMPUTED, MASK, groups=shuffled.loc[samples]) == expected
    assert metric(true, X_IMPUTED, MASK, groups=shuffled.to_numpy()) != expected


@pytest.mark.parametrize("scale", [1e-200, 1e-160, 1e150, 1e300])
def test_scores_do_not_depend_on_the_scale_of_the_data(scale):
    rng = np.random.RandomState(0)
    true = rng.normal(size=(50, 3))
    mask = rng.uniform(size=true.shape) < 0.5
    imputed = np.where(mask, true + 0.3 * rng.normal(size=true.shape), np.nan)
    groups = np.arange(50) % 2
    for groups_ in (None, groups):
        r2 = imputation_r2_score(true, imputed, mask, groups=groups_)
        rmse = imputation_rmse(true, imputed, mask, groups=groups_)
        minmax = imputation_rmse(true, imputed, mask, groups=groups_, scaling="minmax")
        scaled = true * scale, imputed * scale, mask
        assert imputation_r2_score(*scaled, groups=groups_) == pytest.approx(
            r2, rel=1e-12
        )
        assert imputation_rmse(*scaled, groups=groups_) == pytest.approx(
            rmse * scale, rel=1e-12
        )
        assert imputation_rmse(
            *scaled, groups=groups_, scaling="minmax"
        ) == pytest.approx(minmax, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_hidden_value_equal_to_its_cell_mean_up_to_rounding_is_zero_variance(
    dtype,
):
    # The mean of the first cell is -0.02 in decimal, and -0.02 is hidden:
    # in floating point the denominator is rounding noise (1.5e-18 in
    # float32 data), and the cell's R^2 was -9e15.
    true = np.array([0.87, 0.52, -0.02, 0.02, -1.25, -0.26, 1, 2, 3, 4], dtype=dtype)
    groups = np.array([0] * 6 + [1] * 4)
    mask = np.zeros((10, 1), dtype=bool)
    mask[[2, 7], 0] = True
    imputed = np.where(mask, true[:, None] + 0.1, np.nan)
    raw = imputation_r2_score(
        true[:, None], imputed, mask, groups=groups, multioutput="raw_values"
    )
    assert np.isnan(raw.iloc[0, 0])
    assert raw.iloc[1, 0] == pytest.approx(1 - 0.01 / 0.25, rel=1e-6)
    with pytest.raises(ValueError, match="zero variance .* first group 0, feature 0"):
        imputation_r2_score(
            true[:, None], imputed, mask, groups=groups, zero_variance="error"
        )
    # Shifted, the values carry more rounding: still zero variance.
    shifted = true[:, None] + dtype(100)
    raw = imputation_r2_score(
        shifted, imputed + 100, mask, groups=groups, multioutput="raw_values"
    )
    assert np.isnan(raw.iloc[0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_masked_deviations_beside_large_values_are_scored(dtype):
    # 1e-4 is far above float32's precision at 1e-4, though not at 1000.
    true = np.array([[-1000.0], [1000.0], [1e-4], [-1e-4]], dtype=dtype)
    mask = np.array([[False], [False], [True], [True]])
    imputed = np.where(mask, true / 2, np.nan)
    assert imputation_r2_score(true, imputed, mask) == pytest.approx(0.75, rel=1e-6)


def test_minmax_rmse_of_a_range_beyond_float64():
    # max - min overflows: the range is 2e308, the errors 0.5.
    true = np.array([[-1e308], [1e308], [0.0], [1.0], [2.0]])
    mask = np.array([[False], [False], [True], [True], [True]])
    imputed = np.where(mask, true + 0.5, np.nan)
    assert imputation_rmse(true, imputed, mask, scaling="minmax") == pytest.approx(
        0.5 / 2e308, rel=1e-6
    )


def test_inputs_are_not_modified():
    true, imputed, mask = X_TRUE.copy(), X_IMPUTED.copy(), MASK.copy()
    imputation_r2_score(true, imputed, mask, groups=[0, 0, 1, 1])
    imputation_rmse(true, imputed, mask, scaling="minmax")
    np.testing.assert_array_equal(true, X_TRUE)
    np.testing.assert_array_equal(imputed, X_IMPUTED)
    np.testing.assert_array_equal(mask, MASK)


def test_constant_feature_is_skipped_or_raises():
    # 0.1 is not exact in binary, so a naive mean can differ from the values
    # by rounding and turn a constant feature into a huge negative score.
    X_true = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    mask = np.zeros((7, 2), dtype=bool)
    mask[[0, 3], :] = True
    X_imputed = X_true + 1.0
    # Feature 1: mean 3, masked 0 and 3 -> SS_tot 9, SS_res 2.
    assert imputation_r2_score(X_true, X_imputed, mask) == pytest.approx(1 - 2 / 9)
    raw = imputation_r2_score(X_true, X_imputed, mask, multioutput="raw_values")
    assert np.isnan(raw[0])
    with pytest.raises(ValueError, match="zero variance.*feature 0"):
        imputation_r2_score(X_true, X_imputed, mask, zero_variance="error")
    with pytest.raises(ValueError, match="No \\(group, feature\\) cell"):
        imputation_r2_score(X_true[:, :1], X_imputed[:, :1], mask[:, :1])


def test_constant_cell_within_a_group_is_named():
    X_true = np.array([[1.0], [1.0], [2.0], [5.0]])
    mask = np.array([[True], [False], [True], [False]])
    with pytest.raises(ValueError, match="group 'liver', feature 0"):
        imputation_r2_score(
            X_true,
            X_true,
            mask,
            groups=["liver"] * 2 + ["lung"] * 2,
            zero_variance="error",
        )


def test_minmax_keeps_constant_features_unscaled():
    X_true = np.column_stack([np.full(4, 2.0), [0.0, 1.0, 2.0, 4.0]])
    mask = np.array([[True, True], [False, False], [False, False], [False, False]])
    X_imputed = np.array([[3.0, 2.0], [0, 0], [0, 0], [0, 0]])
    # Errors 1 (range 0 -> kept at 1) and 2 (range 4 -> 0.5).
    assert imputation_rmse(X_true, X_imputed, mask, scaling="minmax") == (
        pytest.approx(np.sqrt((1 + 0.25) / 2))
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(X_true=np.where(MASK, np.nan, X_TRUE)), "X_true has NaN or infinite"),
        (dict(X_imputed=np.where(MASK, np.nan, X_IMPUTED)), "X_imputed has NaN"),
        (dict(X_imputed=np.where(MASK, np.inf, X_IMPUTED)), "X_imputed has NaN"),
        (dict(X_true=np.where(~MASK, np.inf, X_TRUE)), "X_true contains infinite"),
        (dict(missing_mask=MASK.astype(int)), "missing_mask must be a boolean"),
        (dict(missing_mask=MASK[:3]), "same shape"),
        (dict(groups=["a", "b"]), "groups has 2 labels"),
        (dict(groups=["a", None, "b", "b"]), "groups contains missing labels"),
        (dict(groups=["a", np.nan, "b", "b"]), "missing labels .* row\\(s\\) \\[1\\]"),
        (dict(groups=[0.5, np.nan, 1.5, 2.5]), "missing labels .* row\\(s\\) \\[1\\]"),
        (
            dict(missing_mask=pd.DataFrame(MASK).astype("boolean").mask(~MASK)),
            "missing_mask has missing values",
        ),
        (dict(multioutput="variance_weighted"), "multioutput must be one of"),
        (dict(zero_variance="ignore"), "zero_variance must be one of"),
        (dict(missing_mask=np.zeros_like(MASK)), "No \\(group, feature\\) cell"),
    ],
)
def test_r2_errors(change, message):
    arguments = dict(X_true=X_TRUE, X_imputed=X_IMPUTED, missing_mask=MASK)
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        imputation_r2_score(**arguments)


def test_rmse_errors():
    with pytest.raises(ValueError, match="scaling must be one of"):
        imputation_rmse(X_TRUE, X_IMPUTED, MASK, scaling="standard")
    with pytest.raises(ValueError, match="no True entry"):
        imputation_rmse(X_TRUE, X_IMPUTED, np.zeros_like(MASK))
    with pytest.raises(ValueError, match="X_imputed has NaN"):
        imputation_rmse(X_TRUE, np.full_like(X_TRUE, np.nan), MASK)


# Scorer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def low_rank():
    """Rank-3 data plus a little noise, with 10% of entries already missing."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 15))
    X += 0.2 * rng.normal(size=X.shape)
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    return X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scorer_on_an_array_with_a_string_covariate(low_rank):
    # The scorer hides entries of the feature columns only, and the imputer
    # gets the tissue column as it was.
    X = np.empty((low_rank.shape[0], 6), dtype=object)
    X[:, 0] = np.where(np.arange(len(X)) % 2, "liver", "lung")
    X[:, 1:] = low_rank[:, :5]
    imputer = GAINImputer(
        categorical_covariates=[0], hidden_layer_sizes=(8,), max_iter=3, random_state=0
    ).fit(X)
    scorer = make_imputation_scorer(columns=[1, 2, 3, 4, 5], random_state=0)
    assert np.isfinite(scorer(imputer, X))


def test_scorer_in_grid_search_over_simple_imputer(low_rank):
    search = GridSearchCV(
        SimpleImputer(),
        {"strategy": ["mean", "median"]},
        scoring=make_imputation_scorer(random_state=0),
        cv=3,
    ).fit(low_rank)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    # Mean imputation scores about 0 by construction of R^2.
    assert np.all(np.abs(scores) < 0.2)


def test_scorer_prefers_the_better_imputer_in_grid_search(low_rank):
    search = GridSearchCV(
        Pipeline([("impute", SimpleImputer())]),
        {"impute": [SimpleImputer(strategy="mean"), KNNImputer()]},
        scoring=make_imputation_scorer(missing_rate=0.2, random_state=0),
        cv=3,
    ).fit(low_rank)
    mean_score, knn_score = search.cv_results_["mean_test_score"]
    assert isinstance(search.best_params_["impute"], KNNImputer)
    # On rank-3 data the neighbours recover most of the hidden signal, while
    # the column mean recovers none of it: a gap this large is no accident.
    assert knn_score > 0.6
    assert knn_score - mean_score > 0.5


def test_scorer_with_cross_validate_and_rmse(low_rank):
    result = cross_validate(
        KNNImputer(),
        low_rank,
        scoring={
            "r2": make_imputation_scorer("r2", random_state=0),
            "rmse": make_imputation_scorer("rmse", random_state=0),
        },
        cv=KFold(3),
    )
    assert np.all(result["test_r2"] > 0.6)
    assert np.all(result["test_rmse"] < 0)


def test_scorer_hides_the_same_entries_for_the_same_seed(low_rank):
    imputer = KNNImputer().fit(low_rank[:200])
    X = low_rank[200:]
    scorer = make_imputation_scorer(random_state=1)
    assert scorer(imputer, X) == scorer(imputer, X)
    assert scorer(imputer, X) != make_imputation_scorer(random_state=2)(imputer, X)
    np.testing.assert_array_equal(low_rank[200:], X)


def test_scorer_agrees_with_the_metric_on_its_own_mask(low_rank):
    imputer = KNNImputer().fit(low_rank[:200])
    X = low_rank[200:]
    X_missing, mask = make_missing(X, 0.3, random_state=np.random.RandomState(5))
    expected = imputation_r2_score(X, imputer.transform(X_missing), mask)
    scorer = make_imputation_scorer(missing_rate=0.3, random_state=5)
    assert scorer(imputer, X) == pytest.approx(expected)


def test_scorer_ignores_indicator_columns_and_pandas_output(low_rank):
    scorer = make_imputation_scorer(random_state=0)
    plain = SimpleImputer().fit(low_rank)
    indicator = SimpleImputer(add_indicator=True).fit(low_rank)
    pandas = SimpleImputer().set_output(transform="pandas").fit(low_rank)
    assert indicator.transform(low_rank).shape[1] > low_rank.shape[1]
    assert scorer(indicator, low_rank) == scorer(plain, low_rank)
    assert scorer(pandas, low_rank) == scorer(plain, low_rank)


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_scorer_refuses_output_with_dropped_features(low_rank):
    X = low_rank.copy()
    X[:, 2] = np.nan
    scorer = make_imputation_scorer(random_state=0)
    with pytest.raises(ValueError, match="returned 14 columns for 15 input"):
        scorer(SimpleImputer().fit(X), X)
    # Indicator columns make up the count; the output names give it away.
    with pytest.raises(ValueError, match="not its input features"):
        scorer(SimpleImputer(add_indicator=True).fit(X), X)
    # Keeping the empty feature is fine: it has nothing to hide and is skipped.
    assert np.isfinite(scorer(SimpleImputer(keep_empty_features=True).fit(X), X))


def test_scorer_refuses_imputers_with_another_placeholder(low_rank):
    """Hidden entries are NaN: an imputer reading -1 as missing would not see them."""
    X = np.where(np.isnan(low_rank), -1.0, low_rank)
    scorer = make_imputation_scorer(random_state=0)
    with pytest.raises(ValueError, match="SimpleImputer marks missing entries with "):
        scorer(SimpleImputer(missing_values=-1).fit(X), X)
    pipeline = make_pipeline(StandardScaler(), SimpleImputer(missing_values=-1.0))
    with pytest.raises(ValueError, match="simpleimputer__missing_values=-1.0"):
        scorer(pipeline.fit(X), X)
    # NaN, as a float or NumPy's, is what the scorer writes; pd.NA reads it too.
    for marker in (np.float64("nan"), pd.NA):
        imputer = SimpleImputer(missing_values=marker).fit(low_rank)
        assert np.isfinite(scorer(imputer, low_rank))


def test_scorer_refuses_an_output_on_another_scale(low_rank):
    """A log step before the imputer: every imputer would score alike, wrongly."""
    counts = np.exp(low_rank) * 100
    scorer = make_imputation_scorer("rmse", random_state=0)
    pipeline = make_pipeline(LogTransformer(), SimpleImputer()).fit(counts)
    with pytest.raises(ValueError, match="changed entries that were observed"):
        scorer(pipeline, counts)
    frame = pd.DataFrame(
        counts,
        columns=[f"g{j}" for j in range(counts.shape[1])],
        index=[f"s{i}" for i in range(counts.shape[0])],
    )
    with pytest.raises(ValueError, match=r"\(column 'g\d+', row 's\d+': \d"):
        scorer(pipeline.fit(frame), frame)
    # float32 output of float64 input keeps the observed values, rounded.
    rounding = make_pipeline(
        SimpleImputer(), FunctionTransformer(lambda a: a.astype(np.float32))
    ).fit(counts)
    assert scorer(rounding, counts) == pytest.approx(
        scorer(SimpleImputer().fit(counts), counts), rel=1e-5
    )


def test_scorer_on_dataframe_with_covariates(low_rank):
    genes = [f"GENE{j}" for j in range(low_rank.shape[1])]
    frame = pd.DataFrame(low_rank, columns=genes)
    frame["tissue"] = pd.Categorical(np.repeat(["liver", "lung"], 150))
    imputer = ColumnTransformer(
        [("genes", KNNImputer(), genes)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).fit(frame)
    scorer = make_imputation_scorer(columns=genes, random_state=0)
    assert scorer(imputer, frame) > 0.6
    with pytest.raises(ValueError, match="Column 'tissue' of X has dtype category"):
        make_imputation_scorer(random_state=0)(imputer, frame)


def test_scorer_sees_through_column_transformer_prefixes(low_rank):
    genes = [f"GENE{j}" for j in range(low_rank.shape[1])]
    frame = pd.DataFrame(low_rank, columns=genes)
    frame.insert(0, "tissue", np.repeat([0.0, 1.0], 150))
    scorer = make_imputation_scorer(columns=genes, random_state=0)
    # Prefixed names, columns in place: scored as without the prefixes.
    in_place = ColumnTransformer(
        [("tissue", "passthrough", ["tissue"]), ("genes", KNNImputer(), genes)]
    ).fit(frame)
    assert scorer(in_place, frame) > 0.6
    # Prefixed names, tissue moved after the genes: every scored column would
    # be read one place off, so the scorer refuses.
    moved = ColumnTransformer(
        [("genes", KNNImputer(), genes)], remainder="passthrough"
    ).fit(frame)
    with pytest.raises(ValueError, match="not its input features"):
        scorer(moved, frame)


def test_scorer_checks_only_the_scored_positions(low_rank):
    # The genes come first, then indicators, then the passed-through tissue:
    # the scored columns are in place, though the tissue is not.
    genes = [f"GENE{j}" for j in range(low_rank.shape[1])]
    frame = pd.DataFrame(low_rank, columns=genes)
    frame["tissue"] = np.repeat([0.0, 1.0], 150)
    imputer = ColumnTransformer(
        [("genes", SimpleImputer(add_indicator=True), genes)],
        remainder="passthrough",
    ).fit(frame)
    scorer = make_imputation_scorer(columns=genes, random_state=0)
    assert abs(scorer(imputer, frame)) < 0.2  # mean imputation scores about 0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(metric="mae"), "metric must be one of"),
        (dict(missing_rate=0.0), "missing_rate must be in \\(0, 1\\)"),
        (dict(missing_rate=1.0), "missing_rate must be in \\(0, 1\\)"),
        (dict(random_state="seed"), "cannot be used to seed"),
    ],
)
def test_scorer_parameter_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_imputation_scorer(**arguments)
