"""Behaviour of GAINImputer as users see it: quality, covariates, edge cases, API."""

import datetime
import io
import pickle
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline

import skgain._gain as gain_module
import skgain._training as training_module
from skgain import GAINImputer, _networks
from skgain._training import TrainingDivergedError, TrainingResult
from skgain.metrics import make_imputation_scorer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Small and quick: enough to exercise every code path.
TINY = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
# For the quality tests: the default training, with narrower layers to keep
# them to a few seconds.
QUALITY = dict(hidden_layer_sizes=(64, 64), random_state=0)


def masked_r2(X_true, X_imputed, mask, train_mean):
    """R^2 on the masked entries against imputing the training mean."""
    columns = np.nonzero(mask)[1]
    residual = ((X_imputed[mask] - X_true[mask]) ** 2).sum()
    total = ((X_true[mask] - train_mean[columns]) ** 2).sum()
    return 1 - residual / total


@pytest.fixture(scope="module")
def low_rank_data():
    """Correlated data (rank 5 plus noise) with 50% of entries missing at random."""
    rng = np.random.RandomState(0)
    n_samples, n_features = 1200, 100
    X = rng.normal(size=(n_samples, 5)) @ rng.normal(size=(5, n_features))
    X += 0.5 * rng.normal(size=X.shape)
    mask = rng.uniform(size=X.shape) < 0.5
    X_missing = np.where(mask, np.nan, X)
    return X, X_missing, mask


@pytest.fixture(scope="module")
def tissue_data():
    """Expression whose means depend on a tissue label, 50% missing at random."""
    rng = np.random.RandomState(0)
    n_samples, n_genes, n_tissues = 1200, 10, 12
    tissue = rng.randint(n_tissues, size=n_samples)
    X = 1.5 * rng.normal(size=(n_tissues, n_genes))[tissue]
    X += rng.normal(size=X.shape)
    mask = rng.uniform(size=X.shape) < 0.5
    frame = pd.DataFrame(
        np.where(mask, np.nan, X), columns=[f"gene{j}" for j in range(n_genes)]
    )
    frame["tissue"] = pd.Categorical([f"tissue{t}" for t in tissue])
    return X, frame, mask


def test_beats_mean_imputation_on_held_out_rows(low_rank_data):
    X, X_missing, mask = low_rank_data
    train, test = slice(0, 900), slice(900, None)
    train_mean = X[train].mean(axis=0)
    mean_r2 = masked_r2(
        X[test],
        SimpleImputer().fit(X_missing[train]).transform(X_missing[test]),
        mask[test],
        train_mean,
    )
    imputer = GAINImputer(**QUALITY).fit(X_missing[train])
    gain_r2 = masked_r2(
        X[test], imputer.transform(X_missing[test]), mask[test], train_mean
    )
    # Mean imputation scores about 0; the rank-5 structure allows about 0.95.
    assert mean_r2 < 0.02
    assert gain_r2 > 0.75


def test_covariates_help_when_data_depend_on_them(tissue_data):
    X, frame, mask = tissue_data
    train, test = np.arange(900), np.arange(900, len(frame))
    train_mean = X[train].mean(axis=0)
    genes = frame.columns[:-1]

    without = GAINImputer(**QUALITY).fit(frame.iloc[train][genes])
    r2_without = masked_r2(
        X[test], without.transform(frame.iloc[test][genes]), mask[test], train_mean
    )
    with_tissue = GAINImputer(categorical_covariates=["tissue"], **QUALITY)
    imputed = with_tissue.fit(frame.iloc[train]).transform(frame.iloc[test])
    r2_with = masked_r2(X[test], imputed[:, :-1].astype(float), mask[test], train_mean)
    # The tissue means explain 0.69 of the variance; from the five genes a
    # sample has observed, its tissue can only be guessed.
    assert r2_with > 0.45
    assert r2_with > r2_without + 0.25


def test_observed_entries_bit_identical_and_input_untouched(low_rank_data):
    _, X_missing, mask = low_rank_data
    X = X_missing[:200].copy()
    before = X.copy()
    X_imputed = GAINImputer(**TINY).fit_transform(X)
    np.testing.assert_array_equal(X, before)
    observed = ~np.isnan(X)
    assert np.array_equal(X_imputed[observed], X[observed])
    assert not np.isnan(X_imputed).any()


def test_dataframe_input_untouched(tissue_data):
    _, frame, _ = tissue_data
    frame = frame.iloc[:200].copy()
    before = frame.copy()
    GAINImputer(categorical_covariates="from_dtype", **TINY).fit_transform(frame)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(low_rank_data, dtype):
    _, X_missing, _ = low_rank_data
    X = X_missing[:200].astype(dtype)
    X_imputed = GAINImputer(**TINY).fit_transform(X)
    assert X_imputed.dtype == dtype
    observed = ~np.isnan(X)
    assert np.array_equal(X_imputed[observed], X[observed])


def test_integer_input_with_integer_placeholder():
    rng = np.random.RandomState(0)
    X = rng.randint(1, 10, size=(60, 4))
    X[rng.uniform(size=X.shape) < 0.2] = -1
    X_imputed = GAINImputer(missing_values=-1, **TINY).fit_transform(X)
    assert X_imputed.dtype == np.float64
    observed = X != -1
    assert np.array_equal(X_imputed[observed], X[observed])
    assert not (X_imputed[~observed] == -1).any()


@pytest.mark.parametrize("covariate", [False, True])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_placeholder_its_dtype_holds_inexactly_is_imputed(dtype, covariate):
    # float32(-99.9) == -99.9 in NumPy, but not once widened to float64: an
    # int64 covariate widens the NumPy output, and float16 is imputed in
    # float64.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(dtype)
    hidden = rng.uniform(size=X.shape) < 0.2
    X[hidden] = -99.9
    if covariate:
        X = pd.DataFrame(X, columns=["g1", "g2", "g3"]).assign(batch=np.arange(60) % 3)
    imputer = GAINImputer(
        missing_values=-99.9,
        numerical_covariates=["batch"] if covariate else None,
        add_indicator=True,
        **TINY,
    )
    out = np.asarray(imputer.fit_transform(X), dtype=np.float64)
    assert np.isfinite(out).all()
    assert not np.isin(out[:, :3][hidden], [np.float64(dtype(-99.9))]).any()
    np.testing.assert_array_equal(out[:, -3:].astype(bool), hidden)


@pytest.mark.parametrize(
    "torch_setting",
    [
        torch.no_grad,
        torch.inference_mode,
        lambda: torch.autocast("cpu", dtype=torch.bfloat16),
    ],
    ids=["no_grad", "inference_mode", "autocast"],
)
def test_callers_torch_settings_change_nothing(torch_setting):
    X = np.random.RandomState(0).normal(size=(60, 5))
    X[::7, 1] = np.nan
    reference = GAINImputer(**TINY).fit(X)
    expected = reference.transform(X)
    with torch_setting():
        fitted = GAINImputer(**TINY).fit(X)
        imputed = fitted.transform(X)
        imputed_by_reference = reference.transform(X)
        draws = reference.sample_imputations(X, n_imputations=2)
    np.testing.assert_array_equal(imputed, expected)
    np.testing.assert_array_equal(imputed_by_reference, expected)
    for draw, expected_draw in zip(
        draws, reference.sample_imputations(X, n_imputations=2), strict=True
    ):
        np.testing.assert_array_equal(draw, expected_draw)


def test_mixed_precision_fit_inside_the_callers_autocast():
    # The user-facing side of the trainer's test that mixed-precision steps
    # are alike inside another autocast region (test_training.py).
    X = np.random.RandomState(0).normal(size=(200, 20))
    X[::3, 2] = np.nan
    params = dict(TINY, mixed_precision=True)
    expected = GAINImputer(**params).fit(X)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        fitted = GAINImputer(**params).fit(X)
    assert fitted.loss_curve_ == expected.loss_curve_
    np.testing.assert_array_equal(fitted.transform(X), expected.transform(X))


def test_pandas_nullable_input():
    rng = np.random.RandomState(0)
    values = rng.normal(size=(60, 3))
    frame = pd.DataFrame(values, columns=["a", "b", "c"]).astype("Float64")
    frame.iloc[::4, 1] = pd.NA
    X_imputed = GAINImputer(**TINY).fit_transform(frame)
    assert not np.isnan(X_imputed).any()
    np.testing.assert_array_equal(X_imputed[:, 0], values[:, 0])


@pytest.mark.parametrize("wide_products", [False, True])
def test_same_random_state_same_result(low_rank_data, monkeypatch, wide_products):
    if wide_products:
        # Every product as wide as the features goes through wide_product
        # (oneDNN where PyTorch has it), as at gene-expression widths.
        monkeypatch.setattr(_networks, "COLUMN_BLOCK", 4)
    _, X_missing, _ = low_rank_data
    X = X_missing[:200]
    first = GAINImputer(**TINY).fit_transform(X)
    second = GAINImputer(**TINY).fit_transform(X)
    other = GAINImputer(**{**TINY, "random_state": 1}).fit_transform(X)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_global_random_state_untouched(low_rank_data):
    _, X_missing, _ = low_rank_data
    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    GAINImputer(**TINY).fit(X_missing[:200]).transform(X_missing[:10])
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


@pytest.mark.parametrize(
    "spec",
    [["tissue", "age"], [3, 4], [False, False, False, True, True]],
    ids=["names", "indices", "mask"],
)
def test_covariate_specifications_agree(spec):
    frame = _small_frame()
    kwargs = dict(
        categorical_covariates=spec[:1] if len(spec) == 2 else [*spec[:4], False],
        numerical_covariates=spec[1:] if len(spec) == 2 else [*spec[:3], False, True],
        **TINY,
    )
    reference = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    ).fit_transform(frame)
    result = GAINImputer(**kwargs).fit_transform(frame)
    np.testing.assert_array_equal(result[:, :3].astype(float), reference[:, :3])


def _small_frame(n_samples=80, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(rng.normal(size=(n_samples, 3)), columns=["g1", "g2", "g3"])
    frame.iloc[rng.uniform(size=(n_samples, 3)) < 0.3] = np.nan
    frame["tissue"] = pd.Categorical(rng.choice(["liver", "lung"], n_samples))
    frame["age"] = rng.randint(20, 80, n_samples).astype(float)
    return frame


def test_covariates_pass_through_in_input_order():
    frame = _small_frame()[["tissue", "g1", "age", "g2", "g3"]]
    imputer = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    )
    out = imputer.fit_transform(frame)
    assert out.dtype == object  # tissue names are strings
    np.testing.assert_array_equal(out[:, 0], frame["tissue"].to_numpy())
    np.testing.assert_array_equal(out[:, 2].astype(float), frame["age"].to_numpy())
    assert not pd.isna(out[:, [1, 3, 4]]).any()
    assert list(imputer.get_feature_names_out()) == list(frame.columns)


def test_pandas_output_keeps_covariate_dtypes():
    frame = _small_frame()
    frame.index = frame.index + 100
    imputer = GAINImputer(
        categorical_covariates="from_dtype",
        numerical_covariates=["age"],
        add_indicator=True,
        **TINY,
    ).set_output(transform="pandas")
    out = imputer.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns[:5]) == list(frame.columns)
    assert list(out.columns[5:]) == [
        "missingindicator_g1",
        "missingindicator_g2",
        "missingindicator_g3",
    ]
    assert out["tissue"].dtype == frame["tissue"].dtype
    pd.testing.assert_series_equal(out["tissue"], frame["tissue"])
    pd.testing.assert_index_equal(out.index, frame.index)
    assert not out[["g1", "g2", "g3"]].isna().any().any()


def test_numeric_covariates_give_numeric_array():
    frame = _small_frame()
    frame["tissue"] = frame["tissue"].cat.codes
    out = GAINImputer(categorical_covariates=[3], **TINY).fit_transform(
        frame.to_numpy()
    )
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out[:, 3], frame["tissue"].to_numpy())


@pytest.mark.parametrize(
    "order", [["g1", "g2", "g3", "rin", "batch"], ["rin", "g1", "batch", "g2", "g3"]]
)
@pytest.mark.parametrize("add_indicator", [False, True])
def test_numpy_output_keeps_covariate_values_exactly(order, add_indicator):
    # float32 genes with a float64 and an int64 covariate whose values float32
    # cannot hold (6.1, and an id above 2**24): the output widens to float64.
    frame = _small_frame()[["g1", "g2", "g3"]].astype(np.float32)
    frame["rin"] = np.linspace(6.1, 9.3, len(frame))
    frame["batch"] = 16_777_217 + np.arange(len(frame)) % 3
    frame = frame[order]
    imputer = GAINImputer(
        numerical_covariates=["rin"],
        categorical_covariates=["batch"],
        add_indicator=add_indicator,
        **TINY,
    )
    out = imputer.fit_transform(frame)
    assert out.dtype == np.float64
    for name in ("rin", "batch"):
        position = order.index(name)
        np.testing.assert_array_equal(out[:, position], frame[name].to_numpy())
    genes = [order.index(g) for g in ("g1", "g2", "g3")]
    observed = frame[["g1", "g2", "g3"]].notna().to_numpy()
    expected = frame[["g1", "g2", "g3"]].to_numpy(np.float64)
    np.testing.assert_array_equal(out[:, genes][observed], expected[observed])
    assert not np.isnan(out[:, genes]).any()


def test_numpy_output_stays_float32_with_narrow_covariates():
    frame = _small_frame()[["g1", "g2", "g3"]].astype(np.float32)
    frame["tissue"] = np.arange(len(frame), dtype=np.int16) % 4
    frame["age"] = np.float32(40.5)
    imputer = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    )
    out = imputer.fit_transform(frame)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 3], frame["tissue"].to_numpy())


def test_nullable_boolean_covariate_with_missing_values():
    frame = _small_frame()[["g1", "g2", "g3"]]
    sex = [bool(i % 2) if i % 5 else None for i in range(len(frame))]
    frame["sex"] = pd.array(sex, dtype="boolean")
    imputer = GAINImputer(categorical_covariates=["sex"], **TINY)
    out = imputer.fit_transform(frame)
    # A float array cannot hold pd.NA: the values come back as they were.
    assert out.dtype == object
    assert all(o is pd.NA if s is None else o == s for o, s in zip(out[:, 3], sex))
    assert not pd.isna(out[:, :3]).any()
    imputer.set_output(transform="pandas")
    pd.testing.assert_series_equal(imputer.transform(frame)["sex"], frame["sex"])


def test_nullable_integer_covariate_comes_back_unchanged():
    frame = _small_frame()[["g1", "g2", "g3"]]
    age = [30 + i if i % 7 else None for i in range(len(frame))]
    frame["age"] = pd.array(age, dtype="Int64")
    out = GAINImputer(numerical_covariates=["age"], **TINY).fit_transform(frame)
    assert out.dtype == object
    assert all(
        o is pd.NA if a is None else (type(o) is int and o == a)
        for o, a in zip(out[:, 3], age)
    )


def test_rows_as_lists_keep_their_covariate_values():
    rng = np.random.RandomState(0)
    rows = [
        [float(a), float(b), ["lung", "liver"][i % 2], 30 + i]
        for i, (a, b) in enumerate(rng.normal(size=(20, 2)))
    ]
    rows[0][0] = np.nan
    out = GAINImputer(
        categorical_covariates=[2], numerical_covariates=[3], **TINY
    ).fit_transform(rows)
    assert out.dtype == object
    assert [row[2:] for row in out.tolist()] == [row[2:] for row in rows]
    assert type(out[0, 3]) is int and np.isfinite(out[:, :2].astype(float)).all()


def test_early_stopping_without_entries_to_score_warns():
    X = _small_frame()[["g1", "g2", "g3"]].to_numpy()
    imputer = GAINImputer(observed_fraction_range=(1.0, 1.0), **TINY)
    with pytest.warns(UserWarning, match="validation samples have no entry to score"):
        imputer.fit(X)
    assert imputer.validation_scores_ == []
    assert imputer.best_validation_score_ is None
    assert not np.isnan(imputer.transform(X)).any()
    # Trained exactly as without early stopping: on every row, same schedule.
    without = GAINImputer(
        observed_fraction_range=(1.0, 1.0), early_stopping=False, **TINY
    ).fit(X)
    np.testing.assert_array_equal(imputer.transform(X), without.transform(X))


def test_pd_na_marker_with_missing_indicator():
    frame = _small_frame()[["g1", "g2", "g3"]].astype("Float64")
    imputer = GAINImputer(missing_values=pd.NA, add_indicator=True, **TINY)
    out = imputer.fit_transform(frame)
    assert out.shape == (len(frame), 6)
    np.testing.assert_array_equal(out[:, 3:], frame.isna().to_numpy())
    assert not np.isnan(out[:, :3]).any()


def test_refit_failing_on_a_parameter_leaves_the_imputer_unfitted():
    frame = _small_frame()[["g1", "g2", "g3"]]
    imputer = GAINImputer(**TINY).fit(frame)
    imputer.set_params(observed_fraction_range=(0.0, 0.5))
    with pytest.raises(ValueError, match="lower bound above 0"):
        imputer.fit(frame)
    with pytest.raises(NotFittedError):
        imputer.transform(frame)


@pytest.mark.parametrize("refit", [False, True])
def test_failed_fit_leaves_the_imputer_unfitted(refit):
    frame = _small_frame()
    imputer = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    )
    if refit:
        imputer.fit(frame)
    bad = frame.assign(age=frame["age"].astype(object))
    bad.loc[0, "age"] = "?"
    with pytest.raises(ValueError, match="age"):
        imputer.fit(bad)
    with pytest.raises(NotFittedError):
        imputer.transform(frame)
    with pytest.raises(NotFittedError):
        imputer.get_feature_names_out()
    imputer.fit(frame)  # and a later fit works
    assert not pd.isna(imputer.transform(frame)[:, :3]).any()


@pytest.mark.parametrize("view", ["rows", "columns"])
def test_reversed_views_are_imputed_as_their_copies(view):
    X = _small_frame()[["g1", "g2", "g3"]].to_numpy()
    reversed_view = X[::-1] if view == "rows" else X[:, ::-1]
    from_view = GAINImputer(**TINY).fit(reversed_view).transform(reversed_view)
    copy = reversed_view.copy()
    np.testing.assert_array_equal(
        from_view, GAINImputer(**TINY).fit(copy).transform(copy)
    )


def test_fit_and_transform_leave_torch_global_settings_alone(monkeypatch):
    # The default dtype is one per process: fits in threads that set and
    # restored it would leave it changed.
    def refuse(*args):
        raise AssertionError("torch.set_default_dtype was called")

    monkeypatch.setattr(torch, "set_default_dtype", refuse)
    X = _small_frame()[["g1", "g2", "g3"]].to_numpy()
    imputer = GAINImputer(**TINY).fit(X)
    imputer.transform(X)
    imputer.sample_imputations(X, n_imputations=2)


def test_a_float64_torch_default_changes_nothing():
    X = _small_frame()[["g1", "g2", "g3"]].to_numpy()
    reference = GAINImputer(**TINY).fit(X)
    expected = reference.transform(X)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        imputer = GAINImputer(**TINY).fit(X)
        assert torch.get_default_dtype() == torch.float64  # the caller's, kept
        np.testing.assert_array_equal(imputer.transform(X), expected)
        np.testing.assert_array_equal(reference.transform(X), expected)
        assert imputer.loss_curve_ == reference.loss_curve_
    finally:
        torch.set_default_dtype(previous)


def test_pairs_given_as_lists_act_as_tuples():
    X = _small_frame()[["g1", "g2", "g3"]].to_numpy()
    as_tuples = GAINImputer(
        hint_rate=(0.3, 0.7), observed_fraction_range=(0.6, 0.9), **TINY
    ).fit_transform(X)
    as_lists = GAINImputer(
        hint_rate=[0.3, 0.7], observed_fraction_range=[0.6, 0.9], **TINY
    ).fit_transform(X)
    np.testing.assert_array_equal(as_lists, as_tuples)
    with pytest.raises(ValueError, match="hint_rate must be a pair"):
        GAINImputer(hint_rate=[0.7, 0.3], **TINY).fit(X)


def test_missing_covariate_values():
    frame = _small_frame()
    frame["tissue"] = frame["tissue"].astype(object)
    frame.loc[::5, "tissue"] = np.nan
    frame.loc[::7, "age"] = np.nan
    imputer = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    )
    out = imputer.fit_transform(frame)
    # Covariates are never imputed: their gaps come back as gaps.
    assert pd.isna(out[::5, 3]).all()
    assert np.isnan(out[::7, 4].astype(float)).all()
    assert not pd.isna(out[:, :3]).any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(categorical_covariates=["organ"]), r"column\(s\) \['organ'\]"),
        (
            dict(categorical_covariates=["tissue"], numerical_covariates=["tissue"]),
            "both in categorical_covariates and in numerical_covariates",
        ),
        (dict(numerical_covariates=[7]), "column index 7, but X has 5 columns"),
        (dict(numerical_covariates=["tissue"]), "'tissue' holds non-numeric"),
    ],
)
def test_bad_covariate_specifications(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GAINImputer(**kwargs, **TINY).fit(_small_frame())


def test_string_column_not_declared_as_covariate():
    with pytest.raises(ValueError, match=r"'tissue' hold non-numeric values"):
        GAINImputer(**TINY).fit(_small_frame())


def test_unseen_category_at_transform():
    frame = _small_frame()
    imputer = GAINImputer(categorical_covariates=["tissue"], **TINY).fit(frame)
    new = frame.copy()
    new["tissue"] = new["tissue"].astype(object)
    new.loc[0, "tissue"] = "brain"
    with pytest.raises(ValueError, match=r"'tissue' has value\(s\) \['brain'\]"):
        imputer.transform(new)


def test_infinity_names_the_column():
    frame = _small_frame()[["g1", "g2", "g3"]]
    frame.iloc[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity in column.*'g2'"):
        GAINImputer(**TINY).fit(frame)


def test_nan_with_a_numeric_placeholder_lists_the_columns_and_counts_the_rest():
    X = np.random.RandomState(0).normal(size=(5, 12))
    X[0] = np.nan
    with pytest.raises(
        ValueError, match=r"NaN in column\(s\) at index 0, .*at index 9 and 2 more, but"
    ):
        GAINImputer(missing_values=-1, **TINY).fit(X)


def test_warnings_point_at_the_callers_line():
    X = np.random.RandomState(0).normal(size=(30, 3))
    X[0, 0] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GAINImputer(**{**TINY, "max_iter": 1}).fit(X)
        make_pipeline(GAINImputer(**{**TINY, "max_iter": 1})).fit(X)
        scorer = make_imputation_scorer(random_state=0)
        cross_validate(GAINImputer(**{**TINY, "max_iter": 1}), X, cv=2, scoring=scorer)
    reached = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(reached) == 4
    assert all(w.filename == __file__ for w in reached), [w.filename for w in reached]


def test_warnings_in_worker_threads_point_at_the_library_that_ran_the_fit():
    """There the caller's line is in another thread: not Python's own modules."""
    X = np.random.RandomState(0).normal(size=(30, 3))
    X[0, 0] = np.nan
    scorer = make_imputation_scorer(random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with joblib.parallel_backend("threading", n_jobs=2):
            cross_validate(
                GAINImputer(**{**TINY, "max_iter": 1}),
                X,
                cv=2,
                scoring=scorer,
                n_jobs=2,
            )
    reached = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    libraries = gain_module.warn_at_caller.__globals__["_LIBRARY_DIRECTORIES"][1:]
    assert len(reached) == 2
    assert all(w.filename.startswith(libraries) for w in reached), [
        w.filename for w in reached
    ]


def test_complex_features_are_refused_in_one_line():
    X = np.random.RandomState(0).normal(size=(300, 4)).astype(complex)
    with pytest.raises(ValueError, match="at index 3 hold non-numeric") as error:
        GAINImputer(**TINY).fit(X)
    assert "\n" not in str(error.value) and "(Complex data not supported)" in str(
        error.value
    )


def test_conversion_errors_keep_the_whole_explanation():
    """Only the complex-number message is cut: the others explain on."""
    frame = pd.DataFrame([[1.0, 2.0, "x"], [3.0, 4.0, "y"]], columns=["a", "a", "b"])
    with pytest.raises(ValueError, match="'a' 2 times"):
        GAINImputer(**TINY).fit(frame)


def test_max_iter_warning_says_what_to_raise():
    X = np.random.RandomState(0).normal(size=(40, 3))
    X[::4, 0] = np.nan
    # 36 training rows: an epoch is one step, and the first 30 steps settle.
    params = {**TINY, "warmup_steps": 20, "generator_averaging": 0.9}
    for max_iter in (10, 35):  # within the settling epochs, and after them
        with pytest.warns(ConvergenceWarning, match="to at least 39") as caught:
            GAINImputer(**{**params, "max_iter": max_iter}).fit(X)
        message = str(caught[0].message)
        assert "the first 29 epochs of this table end within the first 30" in message
    # That many epochs let early stopping end the fit.
    imputer = GAINImputer(**{**params, "max_iter": 39, "tol": 1e6}).fit(X)
    assert imputer.n_iter_ == 39
    # Once enough epochs were counted, the score simply kept improving.
    result = TrainingResult(
        generator=None, n_iter=45, converged=False, settling_epochs=29
    )
    message = gain_module._max_iter_message(result, GAINImputer(max_iter=45))
    assert message.endswith("increase max_iter or tol.")
    # Without a settling period, the same advice.
    result = TrainingResult(generator=None, n_iter=5, converged=False)
    message = gain_module._max_iter_message(result, GAINImputer(max_iter=5))
    assert message.endswith("increase max_iter or tol.")


def test_columns_must_match_at_transform():
    frame = _small_frame()
    imputer = GAINImputer(categorical_covariates=["tissue"], **TINY).fit(frame)
    with pytest.raises(ValueError, match="feature names should match"):
        imputer.transform(frame.rename(columns={"g1": "gene1"}))
    values = frame[["g1", "g2", "g3", "age"]].to_numpy()
    imputer = GAINImputer(numerical_covariates=[3], **TINY).fit(values)
    with pytest.raises(ValueError, match="X has 3 features"):
        imputer.transform(values[:, :3])


def test_sparse_input_is_refused():
    X = sparse.random(20, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match="dense data is required"):
        GAINImputer(**TINY).fit(X)
    with pytest.raises(TypeError, match="dense data is required"):
        GAINImputer(numerical_covariates=[0], **TINY).fit(X)


def test_empty_features_dropped_or_kept():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    X[:, 1] = np.nan
    X[::3, 2] = np.nan
    with pytest.warns(UserWarning, match="column\\(s\\) at index 1 without any") as w:
        dropped = GAINImputer(**TINY).fit(X)
    assert w[0].filename == __file__  # at the caller's line
    assert dropped.transform(X).shape == (50, 3)
    np.testing.assert_array_equal(dropped.get_feature_names_out(), ["x0", "x2", "x3"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = GAINImputer(keep_empty_features=True, **TINY).fit(X)
    assert not [w for w in caught if "Skipping" in str(w.message)]
    out = kept.transform(X)
    assert out.shape == (50, 4)
    np.testing.assert_array_equal(out[:, 1], 0.0)


def test_output_modes_agree_with_covariates_empty_features_and_indicator(
    monkeypatch,
):
    """numpy and pandas output hold the same values, imputed block by block."""
    frame = _small_frame(n_samples=90)[["g1", "tissue", "g2", "age", "g3"]]
    frame["g2"] = np.nan  # empty: dropped from the output
    params = dict(
        categorical_covariates=["tissue"],
        numerical_covariates=["age"],
        add_indicator=True,
        **TINY,
    )
    imputer = GAINImputer(**params).fit(frame)
    before = frame.copy()
    as_array = imputer.transform(frame)
    monkeypatch.setattr(gain_module, "ROW_BLOCK", 7)
    in_blocks = imputer.transform(frame)
    as_frame = imputer.set_output(transform="pandas").transform(frame)
    pd.testing.assert_frame_equal(frame, before)
    names = ["g1", "tissue", "age", "g3"]
    indicators = [f"missingindicator_{g}" for g in ("g1", "g2", "g3")]
    assert list(as_frame.columns) == names + indicators
    assert as_array.shape == (90, 7)
    pd.testing.assert_frame_equal(
        pd.DataFrame(as_array, columns=names + indicators).infer_objects(),
        as_frame.astype({"tissue": object}),
        check_dtype=False,
    )
    # Blocks of 7 rows may run other matrix-product kernels than one block of
    # 90 (oneDNN and MKL choose by shape on some processors): the imputed
    # values agree to float32 rounding, everything else exactly.
    numeric, exact = [0, 2, 3], [1, 4, 5, 6]
    np.testing.assert_allclose(
        in_blocks[:, numeric].astype(float),
        as_array[:, numeric].astype(float),
        rtol=1e-6,
        atol=1e-7,
    )
    np.testing.assert_array_equal(in_blocks[:, exact], as_array[:, exact])
    observed = frame[["g1", "g3"]].notna().to_numpy()
    np.testing.assert_array_equal(
        as_frame[["g1", "g3"]].to_numpy()[observed],
        frame[["g1", "g3"]].to_numpy()[observed],
    )
    # The output does not share memory with the input.
    as_frame.loc[:, "g1"] = 0.0
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("layout", "params"),
    [
        ("covariates last", dict(numerical_covariates=[58, 59])),
        ("covariates first", dict(numerical_covariates=[0, 1])),
        ("indicators", dict(add_indicator=True)),
        ("both", dict(numerical_covariates=[58, 59], add_indicator=True)),
    ],
)
def test_numpy_output_is_imputed_in_place(layout, params):
    """One full-size array for a NumPy output with covariates or indicators.

    The features are imputed straight into their columns of the output, not
    into an array of their own copied into it afterwards: NumPy's allocations
    during transform peak near the output's size, not twice it, and the
    output is what the copying path gives.
    """
    import tracemalloc

    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 60))
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    covariates = params.get("numerical_covariates", [])
    X[:, covariates] = rng.normal(size=(1000, len(covariates)))
    imputer = GAINImputer(**params, **TINY).fit(X)
    X_checked, features = imputer._validate_input(X, in_fit=False)
    tracemalloc.start()
    try:
        out = imputer._impute(X_checked, features, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The copying path peaks at the output plus the features' own array; the
    # covariates' encoding takes a few columns' worth.
    assert peak < out.nbytes + 0.5 * features.nbytes, layout
    np.testing.assert_array_equal(out, imputer.transform(X))
    copied = imputer._assemble_output(
        X, out[:, [j for j in range(60) if j not in covariates]].copy(), None
    )
    np.testing.assert_array_equal(out[:, :60], copied)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(out[:, :60][observed], X[observed])
    if params.get("add_indicator"):
        indicators = imputer.indicator_.transform(features)
        np.testing.assert_array_equal(out[:, 60:], indicators)
    assert not np.isnan(out).any()


def test_constant_features_are_imputed_with_their_value_outside_the_networks():
    # Left out of the networks, they change nothing else: the other features
    # are imputed exactly as in a table without them.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 6))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    with_constants = np.insert(X, [1, 4], 0.0, axis=1)
    with_constants[::5, 1] = np.nan
    imputer = GAINImputer(**TINY).fit(with_constants)
    first_layer = imputer._generator.body[0].weights[0]
    assert first_layer.shape[1] == 6
    out = imputer.transform(with_constants)
    np.testing.assert_array_equal(out[:, [1, 5]], 0.0)
    expected = GAINImputer(**TINY).fit(X).transform(X)
    np.testing.assert_array_equal(np.delete(out, [1, 5], axis=1), expected)


def test_value_beyond_float32_named_beside_constant_features():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        rng.normal(size=(30, 4)) / 100, columns=["zero", "g1", "g2", "g3"]
    )
    frame["zero"] = 0.0
    frame[["g1", "g2", "g3"]] = frame[["g1", "g2", "g3"]].mask(
        rng.uniform(size=(30, 3)) < 0.2
    )
    imputer = GAINImputer(**TINY).fit(frame)
    new = frame.iloc[:2].copy()
    new.loc[new.index[1], "g1"] = np.nan
    new.loc[new.index[1], "g3"] = 1e300
    with pytest.raises(ValueError, match="Feature 'g3' holds 1e\\+300 in row 1,"):
        imputer.transform(new)


def test_all_missing_row_single_row_and_constant_column():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    X[:, 3] = 7.5
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    imputer = GAINImputer(**{**TINY, "max_iter": 30}).fit(X)
    row = np.full((1, 4), np.nan)
    out = imputer.transform(row)
    assert out.shape == (1, 4) and np.isfinite(out).all()
    # A constant feature standardises to 0 and comes back as its constant.
    np.testing.assert_allclose(imputer.transform(X)[:, 3], 7.5)


@pytest.mark.parametrize("role", ["feature", "numerical covariate"])
def test_spread_of_rounding_is_not_blown_up(role):
    """A column that differs only by rounding must not amplify a new value."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 1)) + 0.1 * rng.normal(size=(60, 3))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    X = np.c_[X, np.where(rng.uniform(size=60) < 0.5, 0.3, 0.1 + 0.2)]
    params = {"numerical_covariates": [3]} if role != "feature" else {}
    imputer = GAINImputer(**{**TINY, "max_iter": 5}, **params).fit(X)
    rows = np.array([[np.nan, 0.5, 0.5, 0.3], [np.nan, 0.5, 0.5, 0.31]])
    out = imputer.transform(rows)
    # Standardised, the first feature's observed values lie within about 3.
    assert np.abs(out[:, 0]).max() < 10


@pytest.mark.parametrize(
    "factor, rtol",
    # Subnormal float64 values (below 2.2e-308) carry fewer digits.
    [(1e-170, 1e-12), (1e200, 1e-12), (1e-310, 1e-9)],
)
def test_imputations_follow_the_scale_of_the_data(factor, rtol):
    """Standardisation makes the fit blind to units, however small or large."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 1)) + 0.2 * rng.normal(size=(40, 4))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    expected = GAINImputer(**TINY).fit_transform(X)
    out = GAINImputer(**TINY).fit_transform(X * factor)
    np.testing.assert_allclose(out / factor, expected, rtol=rtol)


@pytest.mark.parametrize("as_frame", [True, False])
@pytest.mark.parametrize("column", ["g2", "age"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_beyond_float32_once_standardised_are_named(as_frame, column, dtype):
    """A value of another scale than the training data is refused by name.

    Standardised it is beyond float32, in which the networks compute: it
    would be infinite there, and the imputations with it.
    """
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(30, 4)), columns=["g1", "g2", "g3", "age"])
    frame["age"] = rng.uniform(20, 80, size=30)
    frame[["g1", "g2", "g3"]] = frame[["g1", "g2", "g3"]].mask(
        rng.uniform(size=(30, 3)) < 0.2
    )
    # Spreads below 1, so that a float32 value can lie beyond float32's
    # largest number of standard deviations away.
    frame = (frame / 100).astype(dtype)
    X = frame if as_frame else frame.to_numpy()
    imputer = GAINImputer(numerical_covariates=[3], **TINY).fit(X)
    new = frame.iloc[:3].copy()
    new.loc[new.index[2], "g1"] = np.nan
    new.loc[new.index[2], column] = 3e38
    label = f"'{column}'" if as_frame else f"at index {list(frame).index(column)}"
    role = "Feature" if column == "g2" else "Numerical covariate"
    X_new = new if as_frame else new.to_numpy()
    before = X_new.copy()
    with pytest.raises(ValueError, match=f"{role} {label} holds 3.*e\\+38 in row 2"):
        imputer.transform(X_new)
    np.testing.assert_array_equal(np.asarray(X_new), np.asarray(before))


def test_rows_named_by_their_index_label_in_every_message():
    # An integer index of NumPy integers, as train_test_split leaves it: the
    # row at position 1 is sample 111 in each message, written plainly.
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        rng.normal(size=(40, 4)), columns=["g1", "g2", "g3", "age"]
    ).mask(rng.uniform(size=(40, 4)) < 0.1)
    frame["age"] = rng.uniform(20, 70, size=40)
    imputer = GAINImputer(numerical_covariates=["age"], **TINY).fit(frame)
    test = frame.iloc[:3].copy()
    test.index = np.array([110, 111, 112])
    test.iloc[1, 0] = np.nan
    text = test.astype({"age": object})
    text.iloc[1, 3] = "unknown"
    with pytest.raises(ValueError, match=r"\('unknown' in row 111\)"):
        imputer.transform(text)
    huge_age = test.copy()
    huge_age.iloc[1, 3] = 1e300
    with pytest.raises(ValueError, match=r"'age' holds 1e\+300 in row 111,"):
        imputer.transform(huge_age)
    huge_gene = test.copy()
    huge_gene.iloc[1, 1] = 1e300
    with pytest.raises(ValueError, match=r"'g2' holds 1e\+300 in row 111,"):
        imputer.transform(huge_gene)


@pytest.mark.parametrize("as_frame", [True, False])
def test_overflowing_feature_is_named_by_its_column(as_frame):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        rng.normal(size=(20, 5)), columns=["age", "empty", "g1", "g2", "big"]
    )
    frame["empty"] = np.nan
    frame["big"] = rng.uniform(1.5e308, 1.7e308, size=20)  # the sum overflows
    X = frame if as_frame else frame.to_numpy()
    expected = "'big'" if as_frame else "at index 4"
    imputer = GAINImputer(numerical_covariates=[0], **TINY)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ValueError, match=f"feature\\(s\\) {expected} overflows"):
            imputer.fit(X)


@pytest.mark.parametrize(
    "fitted, changed",
    [
        ({"numerical_covariates": [0]}, {"numerical_covariates": None}),
        ({}, {"numerical_covariates": [0]}),
    ],
)
def test_transform_uses_the_fitted_covariates(fitted, changed):
    """set_params after fit changes the next fit, not this fit's transform."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    X[:, 0] = rng.normal(size=40)
    imputer = GAINImputer(**TINY, **fitted).fit(X)
    expected = imputer.transform(X)
    np.testing.assert_array_equal(imputer.set_params(**changed).transform(X), expected)


@pytest.mark.parametrize(
    "column",
    [
        pd.date_range("2020-01-01", periods=30),
        pd.date_range("2020-01-01", periods=30, tz="UTC"),
        pd.to_timedelta(np.arange(30), unit="D"),
    ],
    ids=["datetime", "datetime-tz", "timedelta"],
)
@pytest.mark.parametrize("with_covariates", [False, True])
def test_dates_as_features_are_refused_by_name(column, with_covariates):
    # pandas would turn them into integers of their storage unit: the same
    # dates in seconds or in nanoseconds would impute differently.
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["when"] = column
    params = {"numerical_covariates": ["a"]} if with_covariates else {}
    expected = "column\\(s\\) 'when' hold dates or durations"
    with pytest.raises(ValueError, match=expected):
        GAINImputer(**TINY, **params).fit(frame)


@pytest.mark.parametrize("as_list", [False, True])
def test_dates_in_a_numpy_array_are_refused(as_list):
    dates = np.arange("2020-01-01", "2020-01-31", dtype="datetime64[D]").reshape(15, 2)
    dates = [list(row) for row in dates] if as_list else dates
    with pytest.raises(ValueError, match="at index 0, at index 1 hold dates"):
        GAINImputer(**TINY).fit(dates)


@pytest.mark.parametrize("as_list", [False, True])
@pytest.mark.parametrize("with_covariates", [False, True])
def test_dates_among_numbers_in_rows_of_objects_are_refused(as_list, with_covariates):
    # np.datetime64 beside floats: NumPy would make each a count of its unit.
    day = np.timedelta64(1, "D")
    rows = [[np.datetime64("2020-01-01") + i * day, float(i), 1.0] for i in range(20)]
    rows[3][1] = np.nan
    X = rows if as_list else np.array(rows, dtype=object)
    params = {"numerical_covariates": [2]} if with_covariates else {}
    with pytest.raises(ValueError, match="column\\(s\\) at index 0 hold dates"):
        GAINImputer(**TINY, **params).fit(X)


def test_column_lists_in_errors_count_the_rest():
    dates = np.arange("2020-01-01", "2020-07-01", dtype="datetime64[D]")[:180]
    with pytest.raises(ValueError, match="at index 9 and 2 more hold dates"):
        GAINImputer(**TINY).fit(dates.reshape(15, 12))
    words = np.full((3, 12), "x", dtype=object)
    with pytest.raises(ValueError, match="at index 9 and 2 more hold non-numeric"):
        GAINImputer(**TINY).fit(words)
    values = np.full((3, 12), 1.7e308)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ValueError, match="at index 9 and 2 more overflows"):
            GAINImputer(**TINY).fit(values)


def test_dates_as_a_numerical_covariate_are_refused_by_name():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["when"] = pd.date_range("2020-01-01", periods=30)
    imputer = GAINImputer(numerical_covariates=["when"], **TINY)
    with pytest.raises(ValueError, match="covariate 'when' holds .*dates or durations"):
        imputer.fit(frame)


def _text_column(kind):
    if kind == "object":
        return pd.Series([1.0, pd.NA, 2.0] * 10, dtype=object)
    if kind == "string":
        return pd.Series(["1.5", pd.NA, "2"] * 10, dtype="string")
    pyarrow = pytest.importorskip("pyarrow")
    dtype = (
        "string[pyarrow]"
        if kind == "string-pyarrow"
        else pd.ArrowDtype(pyarrow.string())
    )
    return pd.Series(["1.5", None, "2"] * 10, dtype=dtype)


@pytest.mark.parametrize("kind", ["object", "string", "string-pyarrow", "arrow"])
@pytest.mark.parametrize("with_covariates", [False, True])
def test_pandas_na_in_text_columns_is_missing(kind, with_covariates):
    column = _text_column(kind)
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["e"] = column
    before = frame.copy()
    params = {"numerical_covariates": ["a"]} if with_covariates else {}
    out = GAINImputer(**TINY, **params).fit_transform(frame)
    assert not np.isnan(out).any()
    observed = column.notna().to_numpy()
    expected = column[observed].astype(float).to_numpy()
    np.testing.assert_array_equal(out[observed, 3], expected)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("marker", [np.inf, -np.inf])
def test_infinite_missing_values_marker_is_refused(marker):
    X = np.array([[1.0, marker], [2.0, 3.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="missing_values=-?inf cannot mark"):
        GAINImputer(missing_values=marker, **TINY).fit(X)


def test_add_indicator_without_feature_columns_says_so():
    frame = _small_frame()[["tissue", "age"]]
    imputer = GAINImputer(
        categorical_covariates=["tissue"],
        numerical_covariates=["age"],
        add_indicator=True,
        **TINY,
    )
    with pytest.raises(ValueError, match="every column of X is a covariate"):
        imputer.fit(frame)


@pytest.mark.parametrize("with_covariates", [False, True])
def test_pandas_na_in_an_object_array_is_missing(with_covariates):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4)).astype(object)
    X[::3, 1] = pd.NA
    X[1, 2] = None
    before = X.copy()
    params = {"numerical_covariates": [0]} if with_covariates else {}
    out = GAINImputer(**TINY, **params).fit_transform(X)
    assert not pd.isna(out).any()
    observed = ~pd.isna(X)
    np.testing.assert_array_equal(
        out[observed].astype(float), X[observed].astype(float)
    )
    assert all(a is b for a, b in zip(X.ravel(), before.ravel()))


@pytest.mark.parametrize("with_covariates", [False, True])
@pytest.mark.parametrize("as_frame", [False, True])
def test_text_errors_do_not_blame_columns_of_pandas_na(with_covariates, as_frame):
    X = np.random.RandomState(0).normal(size=(10, 3)).astype(object)
    X[0, 0], X[1, 1] = pd.NA, "abc"
    expected = "at index 1" if not as_frame else "'b'"
    X = pd.DataFrame(X, columns=["a", "b", "c"]) if as_frame else X
    params = {"numerical_covariates": [2]} if with_covariates else {}
    with pytest.raises(ValueError, match="column") as error:
        GAINImputer(**TINY, **params).fit(X)
    assert f"Feature column(s) {expected} hold non-numeric" in str(error.value)


def test_values_beyond_float32_named_behind_covariates_and_dropped_features():
    """The error names the input column, wherever covariates and empty ones lie.

    A row without gaps is returned as it is, so its values are not refused.
    """
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        rng.normal(size=(30, 5)) / 100, columns=["age", "g1", "empty", "g2", "g3"]
    )
    frame["empty"] = np.nan
    frame[["g1", "g2", "g3"]] = frame[["g1", "g2", "g3"]].mask(
        rng.uniform(size=(30, 3)) < 0.2
    )
    with pytest.warns(UserWarning, match="Skipping feature column"):
        imputer = GAINImputer(numerical_covariates=["age"], **TINY).fit(frame)
    new = frame.iloc[:4].copy()
    new.loc[new.index[0], ["g1", "g2"]] = [1.0, 2.0]  # no gap in row 0 ...
    new.loc[new.index[0], "g3"] = 1e300  # ... so this value is not used
    new.loc[new.index[3], "g1"] = np.nan
    new.loc[new.index[3], "g3"] = 1e300
    with pytest.raises(ValueError, match="Feature 'g3' holds 1e\\+300 in row 3"):
        imputer.transform(new)
    new.loc[new.index[3], "g3"] = 0.0
    out = imputer.set_output(transform="pandas").transform(new)
    assert out.loc[out.index[0], "g3"] == 1e300
    assert not out.isna().any().any()


@pytest.mark.parametrize("add_indicator", [False, True])
def test_polars_output_keeps_features_numeric_beside_text_covariates(add_indicator):
    pl = pytest.importorskip("polars")
    frame = _small_frame()[["g1", "tissue", "g2", "age"]]
    frame["age"] = frame["age"].astype("Int64")
    frame.loc[frame.index[3], "age"] = pd.NA
    imputer = GAINImputer(
        categorical_covariates=["tissue"],
        numerical_covariates=["age"],
        add_indicator=add_indicator,
        **TINY,
    ).fit(frame)
    expected = imputer.set_output(transform="pandas").transform(frame)
    out = imputer.set_output(transform="polars").transform(frame)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == list(expected.columns)
    assert out.schema["g1"] == pl.Float64 and out.schema["g2"] == pl.Float64
    assert out.schema["tissue"] == pl.String and out.schema["age"] == pl.Int64
    np.testing.assert_array_equal(out["g1"].to_numpy(), expected["g1"].to_numpy())
    assert out["tissue"].to_list() == expected["tissue"].tolist()
    assert out["age"].null_count() == 1
    if add_indicator:
        assert out.schema["missingindicator_g1"] == pl.Boolean


def test_polars_output_with_covariates_of_mixed_or_numeric_types():
    pl = pytest.importorskip("polars")
    frame = _small_frame()[["g1", "tissue", "g2", "age"]]
    frame["tissue"] = [1 if i % 2 else "B" for i in range(len(frame))]
    imputer = GAINImputer(categorical_covariates=["tissue"], **TINY).fit(frame)
    out = imputer.set_output(transform="polars").transform(frame)
    assert out["tissue"].to_list() == frame["tissue"].tolist()
    assert out.schema["g1"] == pl.Float64
    # Numeric covariates: the numeric array, as polars' adapter makes it.
    numeric = frame.assign(tissue=np.arange(len(frame)) % 3).astype(np.float32)
    numeric.loc[numeric.index[0], "age"] = np.nan
    imputer = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    ).fit(numeric)
    out = imputer.set_output(transform="polars").transform(numeric)
    assert out.schema["age"] == pl.Float32 and np.isnan(out["age"][0])


def test_from_dtype_warns_about_a_gene_read_as_text():
    """A gene with a stray '.' is text, and from_dtype would take it as a covariate."""
    frame = _small_frame()[["g1", "tissue", "g2", "g3"]]
    frame["g2"] = [None if np.isnan(v) else f"{v:.3f}" for v in frame["g2"]]
    frame.loc[frame.index[3], "g2"] = "."
    # Numbers and strings mixed in one object column (from a spreadsheet).
    frame["g3"] = frame["g3"].astype(object)
    frame.loc[frame.index[5], "g3"] = "-"
    with pytest.warns(UserWarning, match="from_dtype") as record:
        GAINImputer(categorical_covariates="from_dtype", **TINY).fit(frame)
    (message,) = [str(w.message) for w in record if "from_dtype" in str(w.message)]
    assert "column(s) 'g2', 'g3' as categorical covariates" in message
    assert "('.', '-')" in message
    # A mark far down a long column is found too.
    rng = np.random.RandomState(0)
    long = pd.DataFrame({"g": rng.normal(size=1500), "t": rng.choice(["a", "b"], 1500)})
    for position in (1200, 10):  # past the first 1,000 values, and within
        long["h"] = [f"{v:.3f}" for v in rng.normal(size=1500)]
        long.loc[position, "h"] = "."
        with pytest.warns(UserWarning, match="column\\(s\\) 'h' as categorical"):
            GAINImputer(categorical_covariates="from_dtype", **TINY).fit(long)
    # Text covariates, and columns named explicitly, give no such warning.
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "categorical_covariates='from_dtype'")
        GAINImputer(categorical_covariates="from_dtype", **TINY).fit(
            frame.drop(columns=["g2", "g3"])
        )
        explicit = ["tissue", "g2", "g3"]
        GAINImputer(categorical_covariates=explicit, **TINY).fit(frame)


def test_float32_deviations_that_overflow_are_standardised_in_float64():
    """3e38 from a mean of -2.5e38 overflows float32, but lies ~18 deviations out."""
    rng = np.random.RandomState(0)
    X = (-3e38 + rng.uniform(size=(40, 3)) * 1e38).astype(np.float32)
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    imputer = GAINImputer(**TINY).fit(X)
    new = X[:3].copy()
    new[0, 0], new[0, 1] = np.nan, 3e38
    out = imputer.transform(new)
    assert out[0, 1] == np.float32(3e38) and np.isfinite(out).all()


def test_statistics_beyond_float32_on_a_device_without_float64(monkeypatch):
    """Mean and scale of 1e300 data cannot be float32: the message says so."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3)) * 1e300
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    imputer = GAINImputer(**TINY).fit(X)
    # As on a device whose widest float is float32 (Apple's MPS).
    monkeypatch.setattr("skgain._training.widest_float", lambda device: torch.float32)
    monkeypatch.setattr("skgain._gain.widest_float", lambda device: torch.float32)
    with pytest.raises(ValueError, match="in float32, the widest precision of this"):
        imputer.transform(X)


@pytest.mark.parametrize("covariates", [None, ["t"]])
def test_polars_dates_are_refused_as_pandas_dates_are(covariates):
    pl = pytest.importorskip("polars")
    X = pl.DataFrame(
        {
            "a": [1.0, None, 3.0, 4.0],
            "d": [datetime.date(2020, 1, day) for day in range(1, 5)],
            "t": ["x", "y", "x", "y"],
        }
    )
    X = X if covariates else X.drop("t")
    with pytest.raises(ValueError, match="'d'"):
        GAINImputer(categorical_covariates=covariates, **TINY).fit(X)


def test_polars_input_with_covariates_is_read_by_column_name():
    """As a pandas DataFrame: names checked, values and covariates the same."""
    pl = pytest.importorskip("polars")
    frame = _small_frame()[["g1", "tissue", "g2", "age"]]
    imputer = GAINImputer(categorical_covariates=["tissue"], **TINY)
    expected = clone(imputer).fit_transform(frame)
    polars_frame = pl.DataFrame({name: frame[name].tolist() for name in frame})
    out = imputer.fit_transform(polars_frame)
    assert list(imputer.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="same order"):
        imputer.transform(polars_frame.select("g2", "tissue", "g1", "age"))


def test_unhashable_categories_are_refused_by_name():
    X = np.random.RandomState(0).normal(size=(20, 3)).astype(object)
    X[:, 0] = [{"organ": "lung"}] * 10 + [{"organ": "liver"}] * 10
    with pytest.raises(ValueError, match="covariate at index 0 holds values that"):
        GAINImputer(categorical_covariates=[0], **TINY).fit(X)
    X[:, 0] = ["lung"] * 10 + ["liver"] * 10
    imputer = GAINImputer(categorical_covariates=[0], **TINY).fit(X)
    X[3, 0] = {"organ": "lung"}
    with pytest.raises(ValueError, match="covariate at index 0 holds values that"):
        imputer.transform(X)


def test_only_covariates_and_nothing_to_impute():
    frame = _small_frame()[["tissue", "age"]]
    out = GAINImputer(
        categorical_covariates=["tissue"], numerical_covariates=["age"], **TINY
    ).fit_transform(frame)
    np.testing.assert_array_equal(out[:, 0], frame["tissue"].to_numpy())


def test_sample_imputations_spread_and_reproducibility(low_rank_data):
    _, X_missing, _ = low_rank_data
    X = X_missing[:200]
    imputer = GAINImputer(sample_posterior=True, **TINY).fit(X)
    draws = imputer.sample_imputations(X, n_imputations=4)
    assert len(draws) == 4
    stacked = np.stack(draws)
    gaps = np.isnan(X)
    # ptp is exact where draws agree; a std of equal floats can round above 0.
    assert (np.ptp(stacked, axis=0)[gaps] > 0).all()
    assert (np.ptp(stacked, axis=0)[~gaps] == 0).all()
    again = imputer.sample_imputations(X, n_imputations=4)
    np.testing.assert_array_equal(stacked, np.stack(again))
    # transform with sample_posterior is the first draw, the same on every call.
    np.testing.assert_array_equal(imputer.transform(X), draws[0])
    np.testing.assert_array_equal(imputer.transform(X), imputer.transform(X))


def test_point_estimate_is_deterministic_and_differs_from_draws(low_rank_data):
    _, X_missing, _ = low_rank_data
    X = X_missing[:200]
    point = GAINImputer(**TINY).fit(X)
    drawn = clone(point).set_params(sample_posterior=True).fit(X)
    np.testing.assert_array_equal(point.transform(X), point.transform(X))
    assert not np.array_equal(point.transform(X), drawn.transform(X))


def test_sample_imputations_follow_set_output():
    frame = _small_frame()
    imputer = GAINImputer(categorical_covariates=["tissue"], **TINY)
    imputer.set_output(transform="pandas").fit(frame)
    draws = imputer.sample_imputations(frame, n_imputations=2)
    assert all(isinstance(draw, pd.DataFrame) for draw in draws)
    assert list(draws[0].columns) == list(frame.columns)
    with pytest.raises(ValueError, match="n_imputations must be a positive"):
        imputer.sample_imputations(frame, n_imputations=0)


def test_training_history_and_early_stopping(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(
        hidden_layer_sizes=(32,), max_iter=300, n_iter_no_change=3, random_state=0
    ).fit(X_missing[:300])
    assert imputer.n_iter_ < 300
    assert len(imputer.loss_curve_) == imputer.n_iter_
    assert len(imputer.discriminator_loss_curve_) == imputer.n_iter_
    assert len(imputer.validation_scores_) == imputer.n_iter_
    assert imputer.best_validation_score_ == max(imputer.validation_scores_)

    without = GAINImputer(
        hidden_layer_sizes=(32,), max_iter=5, early_stopping=False, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        without.fit(X_missing[:300])
    assert without.validation_scores_ == []
    assert without.n_iter_ == 5


def _spy_on_training(monkeypatch):
    """The TrainingConfig of each call to ``train``, in a list filled as they come."""
    configs = []

    def spy(config, *args, **kwargs):
        configs.append(config)
        return train(config, *args, **kwargs)

    train = gain_module.train
    monkeypatch.setattr(gain_module, "train", spy)
    return configs


@pytest.mark.parametrize(
    "n_samples, early_stopping, batch_size, tol",
    [
        (9_999, False, 128, 1e-4),
        (10_000, False, 256, 3e-4),
        # The validation split's 1,000 samples do not count: 9,000 train.
        (10_000, True, 128, 1e-4),
        (11_112, True, 256, 3e-4),
    ],
)
def test_auto_batch_size_and_tol_follow_the_number_of_training_samples(
    monkeypatch, n_samples, early_stopping, batch_size, tol
):
    configs = _spy_on_training(monkeypatch)
    X = np.random.RandomState(0).normal(size=(n_samples, 3))
    X[::7, 0] = np.nan
    imputer = GAINImputer(
        hidden_layer_sizes=(4,), max_iter=1, early_stopping=early_stopping
    ).fit(X)
    assert (imputer.batch_size_, imputer.tol_) == (batch_size, tol)
    # What training was given, not only what the estimator says.
    assert (configs[0].batch_size, configs[0].tol) == (batch_size, tol)
    assert imputer.get_params()["batch_size"] == "auto"


def test_explicit_batch_size_and_tol_are_kept_on_large_tables(monkeypatch):
    configs = _spy_on_training(monkeypatch)
    X = np.random.RandomState(0).normal(size=(10_000, 3))
    X[::7, 0] = np.nan
    imputer = GAINImputer(
        hidden_layer_sizes=(4,), max_iter=1, early_stopping=False, batch_size=64, tol=0
    ).fit(X)
    assert (imputer.batch_size_, imputer.tol_) == (64, 0.0)
    assert (configs[0].batch_size, configs[0].tol) == (64, 0.0)


def test_nothing_to_train_leaves_batch_size_and_tol_unset():
    imputer = GAINImputer(**TINY).fit(np.full((5, 2), np.nan))
    assert imputer.batch_size_ is None and imputer.tol_ is None


@pytest.mark.parametrize(
    "discriminator_hidden, expected",
    [(None, [16, 3]), ((5, 2), [5, 2, 3]), (6, [6, 3])],
)
def test_discriminator_hidden_layer_sizes_shape_the_discriminator_alone(
    monkeypatch, discriminator_hidden, expected
):
    built = []

    def spy(*args, **kwargs):
        built.append(build_networks(*args, **kwargs))
        return built[-1]

    build_networks = training_module.build_networks
    monkeypatch.setattr(training_module, "build_networks", spy)
    X = np.random.RandomState(0).normal(size=(40, 3))
    X[::5, 1] = np.nan
    GAINImputer(discriminator_hidden_layer_sizes=discriminator_hidden, **TINY).fit(X)
    generator, discriminator = built[0]

    def widths(network):
        return [m.out_features for m in network.body if hasattr(m, "out_features")]

    assert widths(generator) == [16, 3]
    assert widths(discriminator) == expected


def test_cosine_schedule_runs_max_iter_without_convergence_warning(low_rank_data):
    """Under the cosine schedule max_iter is the planned end, not a failure."""
    _, X_missing, _ = low_rank_data
    params = dict(hidden_layer_sizes=(32,), max_iter=4, random_state=0)
    cosine = GAINImputer(learning_rate="cosine", n_iter_no_change=100, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        cosine.fit(X_missing[:300])
    assert cosine.n_iter_ == 4
    constant = GAINImputer(n_iter_no_change=100, **params).fit(X_missing[:300])
    # The first epoch's rates agree (the decay has barely started); the
    # last ones do not.
    assert cosine.loss_curve_[0] == pytest.approx(constant.loss_curve_[0], rel=0.05)
    assert cosine.validation_scores_ != constant.validation_scores_
    assert np.all(np.isfinite(cosine.transform(X_missing[:50])))


def test_gain_mse_has_no_discriminator(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(adversarial=False, **TINY).fit(X_missing[:200])
    assert imputer.discriminator_loss_curve_ == [0.0] * imputer.n_iter_


def test_verbose_reports_progress(low_rank_data, capsys):
    _, X_missing, _ = low_rank_data
    GAINImputer(verbose=1, **{**TINY, "max_iter": 2}).fit(X_missing[:100])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1: generator loss")
    assert "discriminator loss" in lines[0] and "validation score" in lines[0]


def test_divergence_is_an_error_never_nan(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(learning_rate_init=1e12, early_stopping=False, **TINY)
    with pytest.raises(TrainingDivergedError, match="Training diverged at epoch"):
        imputer.fit(X_missing[:200] * 1e3)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(hint_rate=(0.9, 0.1)), "hint_rate must be a pair"),
        (dict(observed_fraction_range=(0.0, 0.5)), "lower bound above 0"),
        (dict(observed_fraction_range=(0.5,)), "observed_fraction_range must be"),
        (dict(device="gpu-please"), "not a torch device"),
        (dict(generator_averaging=1.0), "generator_averaging"),
        (dict(generator_averaging=-0.5), "generator_averaging"),
        (dict(warmup_steps=-1), "warmup_steps"),
        (dict(warmup_steps=2.5), "warmup_steps"),
        (dict(batch_size="large"), "batch_size"),
        (dict(batch_size=0), "batch_size"),
        (dict(tol="loose"), "tol"),
        (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes must be positive"),
        (
            dict(discriminator_hidden_layer_sizes=(4, 2.5)),
            "discriminator_hidden_layer_sizes must be positive integers, got",
        ),
        (dict(discriminator_hidden_layer_sizes=[]), "discriminator_hidden_layer"),
    ],
)
def test_invalid_parameters_explained(params, message):
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=message):
        GAINImputer(**{**TINY, **params}).fit(X)


def test_hint_rate_range_accepted(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(hint_rate=(0.5, 0.9), **TINY).fit(X_missing[:100])
    assert np.isfinite(imputer.transform(X_missing[:10])).all()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_gpu():
    with pytest.raises(ValueError, match="CUDA is not available"):
        GAINImputer(device="cuda", **TINY).fit(np.ones((10, 2)))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_gpu_model_loaded_without_gpu_imputes_on_cpu(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(device="cpu", **TINY).fit(X_missing[:100])
    expected = imputer.transform(X_missing[:20])
    imputer.set_params(device="cuda")  # as saved by a fit on a GPU machine
    with pytest.warns(RuntimeWarning, match="Imputing on the CPU instead"):
        np.testing.assert_array_equal(imputer.transform(X_missing[:20]), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_on_gpu_pickles_for_cpu(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(device="cuda", **TINY).fit(X_missing[:200])
    assert all(p.device.type == "cpu" for p in imputer._generator.parameters())
    on_gpu = imputer.transform(X_missing[:50])
    loaded = pickle.loads(pickle.dumps(imputer)).set_params(device="cpu")
    np.testing.assert_allclose(loaded.transform(X_missing[:50]), on_gpu, atol=1e-4)


def _held_out_r2(low_rank_data, **params):
    X, X_missing, mask = low_rank_data
    train, test = slice(0, 900), slice(900, None)
    imputer = GAINImputer(**QUALITY, **params).fit(X_missing[train])
    imputed = imputer.transform(X_missing[test])
    return masked_r2(X[test], imputed, mask[test], X[train].mean(axis=0)), imputed


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mixed_precision_imputes_as_well_as_float32(low_rank_data):
    # 60 epochs: bfloat16 products are emulated, and slow, on most CPUs.
    full, _ = _held_out_r2(low_rank_data, max_iter=60)
    mixed, _ = _held_out_r2(low_rank_data, max_iter=60, mixed_precision=True)
    assert mixed > 0.8
    assert abs(mixed - full) < 0.02


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_mixed_precision_on_gpu_imputes_as_well_as_float32(low_rank_data):
    full, _ = _held_out_r2(low_rank_data, device="cuda")
    mixed, _ = _held_out_r2(low_rank_data, device="cuda", mixed_precision=True)
    assert mixed > 0.75
    assert abs(mixed - full) < 0.03


def test_pickle_and_joblib_round_trip(low_rank_data):
    _, X_missing, _ = low_rank_data
    imputer = GAINImputer(**TINY).fit(X_missing[:200])
    expected = imputer.transform(X_missing[200:260])
    loaded = pickle.loads(pickle.dumps(imputer))
    np.testing.assert_array_equal(loaded.transform(X_missing[200:260]), expected)
    buffer = io.BytesIO()
    joblib.dump(imputer, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(
        joblib.load(buffer).transform(X_missing[200:260]), expected
    )


def test_a_model_saved_by_another_version_warns_when_loaded(monkeypatch):
    import skgain

    X = _small_frame()[["g1", "g2", "g3"]].to_numpy()
    imputer = GAINImputer(**TINY).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version: no warning
        same = pickle.loads(pickle.dumps(imputer))
    np.testing.assert_array_equal(same.transform(X), imputer.transform(X))
    monkeypatch.setattr(skgain, "__version__", "0.0.1")
    saved = pickle.dumps(imputer)
    monkeypatch.undo()
    with pytest.warns(UserWarning, match="saved by skgain 0.0.1 and is loaded by"):
        pickle.loads(saved)
    unversioned = imputer.__getstate__()
    del unversioned["_skgain_version"]
    with pytest.warns(UserWarning, match="saved by an earlier version of skgain"):
        GAINImputer().__setstate__(unversioned)


def test_pipeline_cross_validate_and_grid_search(low_rank_data):
    X, X_missing, _ = low_rank_data
    X_missing, y = X_missing[:300], X[:300, 0] + X[:300, 1]
    pipeline = make_pipeline(GAINImputer(**TINY), Ridge())
    scores = cross_validate(pipeline, X_missing, y, cv=KFold(3))
    assert np.isfinite(scores["test_score"]).all()
    search = GridSearchCV(
        pipeline, {"gainimputer__hint_rate": [0.5, 0.9]}, cv=KFold(2)
    ).fit(X_missing, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.named_steps["gainimputer"].n_iter_ >= 1


def test_column_transformer():
    frame = _small_frame()
    transformer = ColumnTransformer(
        [("impute", GAINImputer(**TINY), ["g1", "g2", "g3"])],
        remainder="passthrough",
    )
    out = transformer.fit_transform(frame)
    assert out.shape == (80, 5)
    assert not pd.isna(out[:, :3]).any()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.integers(1, 5)),
        elements=st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(np.nan)),
    )
)
def test_never_returns_nan_and_keeps_observed(X):
    imputer = GAINImputer(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    out = imputer.fit_transform(X)
    kept = ~np.isnan(X).all(axis=0)
    assert out.shape == (X.shape[0], int(kept.sum()))
    assert np.isfinite(out).all()
    observed = ~np.isnan(X[:, kept])
    assert np.array_equal(out[observed], X[:, kept][observed])


def test_fit_frees_its_training_copy_on_the_first_fit_of_a_process():
    # A fresh interpreter: the reference cycle comes from the first optimizer
    # a process builds (torch imports torch._dynamo then), and gc is off so
    # that only what fit itself frees counts.
    script = """
import gc, warnings
import numpy as np, torch
import skgain._gain
from skgain import GAINImputer
skgain._gain._COLLECT_AFTER_BYTES = 0
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.normal(size=(600, 50)).astype(np.float32)
X[rng.random(X.shape) < 0.3] = np.nan
gc.disable()
GAINImputer(max_iter=1, random_state=0).fit(X)
# The training tensors (which share memory with the standardised copy and
# its mask) are what a cycle would keep; NumPy arrays are not tracked by gc.
alive = [
    o for o in gc.get_objects()
    if isinstance(o, torch.Tensor) and tuple(o.shape) == X.shape
]
print(len(alive))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]


def test_fit_trains_on_the_standardised_copy_alone(monkeypatch):
    """Training holds no mask beside the float32 copy: its NaNs are the gaps."""
    seen = []
    real_train = gain_module.train

    def spy(config, train_data, validation_data, *args):
        seen.append(train_data)
        return real_train(config, train_data, validation_data, *args)

    monkeypatch.setattr(gain_module, "train", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(loc=3.0, size=(40, 6))
    X[rng.random(X.shape) < 0.3] = np.nan
    X[5, 2] = 0.0  # an observed zero stays observed
    imputer = GAINImputer(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    imputer.fit(X)
    (data,) = seen
    assert data.observed is None
    values = data.values.numpy()
    assert values.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(values), np.isnan(X))
    standardised = (X - np.nanmean(X, axis=0)) / np.nanstd(X, axis=0)
    np.testing.assert_allclose(values, standardised, rtol=1e-5, atol=1e-6)


def test_default_networks_have_three_hidden_layers_of_256():
    """Both networks default to three ReLU layers of 256 units, then the output."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    imputer = GAINImputer(max_iter=1, random_state=0).fit(X)
    assert imputer.get_params()["hidden_layer_sizes"] == (256, 256, 256)
    first, *rest = [
        layer
        for layer in imputer._generator.body
        if not isinstance(layer, torch.nn.ReLU)
    ]
    assert first.out_features == 256
    assert [(layer.in_features, layer.out_features) for layer in rest] == [
        (256, 256),
        (256, 256),
        (256, 5),
    ]
