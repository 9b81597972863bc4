"""Missingness generators: rates, mechanisms, types, determinism and errors."""

import numpy as np
import pandas as pd
import pytest

from skgain.datasets import make_missing

N_SAMPLES, N_FEATURES = 2000, 20


@pytest.fixture(scope="module")
def data():
    """Independent standard normal features with 10% of entries already missing."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    return X


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
@pytest.mark.parametrize("missing_rate", [0.1, 0.5])
def test_realised_rate_is_close_to_the_target(data, mechanism, missing_rate):
    _, mask = make_missing(data, missing_rate, mechanism=mechanism, random_state=0)
    n_observed = (~np.isnan(data)).sum()
    # About 36,000 observed entries, each hidden independently with an
    # expected overall share of missing_rate: the standard deviation of the
    # realised share is at most sqrt(0.25 / 36000) = 0.0026, so 0.015 is
    # more than 5 standard deviations.
    assert mask.sum() / n_observed == pytest.approx(missing_rate, abs=0.015)


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
def test_only_observed_entries_are_hidden_and_nothing_else_changes(data, mechanism):
    original = data.copy()
    X_missing, mask = make_missing(data, 0.4, mechanism=mechanism, random_state=0)
    np.testing.assert_array_equal(data, original)
    assert mask.dtype == bool and mask.shape == data.shape
    assert not (mask & np.isnan(data)).any()
    np.testing.assert_array_equal(np.isnan(X_missing), np.isnan(data) | mask)
    np.testing.assert_array_equal(X_missing[~mask], data[~mask])


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
def test_same_seed_same_mask(data, mechanism):
    _, first = make_missing(data, 0.3, mechanism=mechanism, random_state=7)
    _, again = make_missing(data, 0.3, mechanism=mechanism, random_state=7)
    _, other = make_missing(data, 0.3, mechanism=mechanism, random_state=8)
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
def test_hiding_again_with_the_same_seed_hides_new_entries(data, mechanism):
    """As a scorer with the random_state of the table's own gaps does."""
    X_missing, _ = make_missing(data, 0.3, mechanism=mechanism, random_state=7)
    _, again = make_missing(X_missing, 0.5, mechanism=mechanism, random_state=7)
    n_observed = (~np.isnan(X_missing)).sum()
    # Drawn on the complete table's uniforms, only those in [0.3, 0.5) would
    # be new (MCAR): 0.2 / 0.7 of the observed entries.
    assert again.sum() / n_observed == pytest.approx(0.5, abs=0.015)


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
def test_rates_and_seeds_on_a_complete_table(mechanism):
    X = np.random.RandomState(1).normal(size=(N_SAMPLES, N_FEATURES))
    _, mask = make_missing(X, 0.3, mechanism=mechanism, random_state=0)
    _, again = make_missing(X, 0.3, mechanism=mechanism, random_state=0)
    np.testing.assert_array_equal(mask, again)
    # 40,000 entries: the realised share's standard deviation is below 0.0025.
    assert mask.mean() == pytest.approx(0.3, abs=0.015)
    # Every feature loses entries, none all of them (a driver column under
    # MAR stays observed, so its share is 0).
    per_feature = mask.mean(axis=0)
    assert (per_feature < 0.9).all()
    # Under MAR the drivers (a tenth of the features) stay observed.
    assert (per_feature > 0).sum() >= N_FEATURES - N_FEATURES // 10


def test_complete_table_masks_are_unchanged():
    """One uniform per observed entry is one per entry on a complete table."""
    X = np.random.RandomState(0).normal(size=(50, 4))
    _, mask = make_missing(X, 0.5, random_state=0)
    uniform = np.random.RandomState(0).random_sample(X.shape)
    np.testing.assert_array_equal(mask, uniform < 0.5)


def own_value_gap(X, mask):
    """Mean of the hidden entries minus mean of the entries left observed."""
    kept = ~mask & ~np.isnan(X)
    return np.mean(X[mask]) - np.mean(X[kept])


def test_mcar_does_not_depend_on_values(data):
    _, mask = make_missing(data, 0.5, random_state=0)
    # Standard error of the gap is about sqrt(2 / 18000) = 0.01.
    assert abs(own_value_gap(data, mask)) < 0.05


@pytest.mark.parametrize("mechanism", ["mar", "mnar"])
@pytest.mark.parametrize("factor", [1e160, 1e-160, 1e-200, 1e-310])
def test_masks_do_not_depend_on_the_units(data, mechanism, factor):
    """The same mask at any scale: the squares of 1e-200 underflow to 0."""
    _, expected = make_missing(data, 0.3, mechanism=mechanism, random_state=0)
    _, mask = make_missing(data * factor, 0.3, mechanism=mechanism, random_state=0)
    np.testing.assert_array_equal(mask, expected)


def test_mnar_hides_low_values_of_each_feature(data):
    _, mask = make_missing(data, 0.5, mechanism="mnar", random_state=0)
    assert own_value_gap(data, mask) < -1.0
    for j in range(N_FEATURES):
        assert own_value_gap(data[:, [j]], mask[:, [j]]) < -0.5
    # Each feature is calibrated to the same rate; about 900 observed entries
    # each, so the standard deviation of a feature's rate is about 0.017.
    rates = mask.sum(axis=0) / (~np.isnan(data)).sum(axis=0)
    np.testing.assert_allclose(rates, 0.5, atol=0.07)


def test_mar_depends_on_the_drivers_and_not_on_own_values(data):
    _, mask = make_missing(
        data, 0.4, mechanism="mar", driver_fraction=0.1, random_state=0
    )
    drivers = np.flatnonzero(~mask.any(axis=0))
    assert len(drivers) == 2
    others = np.setdiff1d(np.arange(N_FEATURES), drivers)
    # With positive weights, missingness rises with the sum of the drivers.
    drive = np.nansum(data[:, drivers], axis=1)
    high = drive > np.median(drive)
    observed = ~np.isnan(data[:, others])
    rate_high = mask[high][:, others].sum() / observed[high].sum()
    rate_low = mask[~high][:, others].sum() / observed[~high].sum()
    assert rate_high - rate_low > 0.2
    # The features are independent of the drivers: the hidden values
    # themselves are no different from the kept ones.
    assert abs(own_value_gap(data[:, others], mask[:, others])) < 0.05


def test_mar_rate_that_the_drivers_make_unreachable_is_refused(data):
    with pytest.raises(ValueError, match="cannot be reached with mechanism='mar'"):
        make_missing(data, 0.95, mechanism="mar", driver_fraction=0.1)
    with pytest.raises(ValueError, match="at least 2 columns"):
        make_missing(data[:, :1], 0.3, mechanism="mar")


def test_dataframe_in_dataframe_out_with_covariates_untouched():
    rng = np.random.RandomState(0)
    genes = ["GENE1", "GENE2", "GENE3"]
    frame = pd.DataFrame(
        rng.normal(size=(50, 3)).astype(np.float32), columns=genes, index=range(10, 60)
    )
    frame["count"] = np.arange(50)
    frame["tissue"] = pd.Categorical(["liver", "lung"] * 25)
    original = frame.copy()
    X_missing, mask = make_missing(
        frame, 0.5, columns=genes + ["count"], random_state=0
    )
    pd.testing.assert_frame_equal(frame, original)
    assert isinstance(X_missing, pd.DataFrame)
    assert X_missing.index.equals(frame.index)
    assert list(X_missing.columns) == list(frame.columns)
    assert (X_missing[genes].dtypes == np.float32).all()
    assert X_missing["count"].dtype == np.float64
    pd.testing.assert_series_equal(X_missing["tissue"], frame["tissue"])
    assert not mask[:, 4].any()
    np.testing.assert_array_equal(X_missing.isna().to_numpy(), mask)


def test_array_columns_and_integer_input():
    X = np.arange(60).reshape(20, 3)
    X_missing, mask = make_missing(X, 0.5, columns=[0, 2], random_state=0)
    assert X_missing.dtype == np.float64
    assert not mask[:, 1].any() and mask.any()
    np.testing.assert_array_equal(X, np.arange(60).reshape(20, 3))


def test_object_array_keeps_its_other_columns():
    rng = np.random.RandomState(0)
    X = np.empty((40, 3), dtype=object)
    X[:, 0] = rng.choice(["liver", "lung"], 40)
    X[:, 1:] = rng.normal(size=(40, 2))
    original = X.copy()
    X_missing, mask = make_missing(X, 0.3, columns=[1, 2], random_state=0)
    assert X_missing.dtype == object
    assert not mask[:, 0].any() and mask[:, 1:].any()
    assert (X_missing[:, 0] == original[:, 0]).all()
    hidden = X_missing[:, 1:].astype(float)
    assert np.isnan(hidden[mask[:, 1:]]).all()
    np.testing.assert_array_equal(
        hidden[~mask[:, 1:]], original[:, 1:].astype(float)[~mask[:, 1:]]
    )
    assert (X == original).all()


def test_nullable_columns_keep_their_dtype():
    frame = pd.DataFrame(
        {
            "count": pd.array(np.arange(40), dtype="Int64"),
            "level": pd.array(np.linspace(0, 1, 40), dtype="Float32"),
            "plain": np.arange(40),
        }
    )
    X_missing, mask = make_missing(frame, 0.3, random_state=0)
    assert X_missing.dtypes.astype(str).tolist() == ["Int64", "Float32", "float64"]
    for j, name in enumerate(frame.columns):
        assert X_missing[name].isna().to_numpy().tolist() == mask[:, j].tolist()
        kept = ~mask[:, j]
        np.testing.assert_array_equal(
            X_missing[name].to_numpy(float)[kept], frame[name].to_numpy(float)[kept]
        )


@pytest.mark.parametrize("dtype", ["Int64", "Float32", "Float64"])
def test_a_single_nullable_column_is_hidden_in(dtype):
    column = pd.array(np.arange(40), dtype=dtype)
    for frame, columns in [
        (pd.DataFrame({"a": column}), None),
        (pd.DataFrame({"a": column, "f": np.arange(40.0)}), ["a"]),
    ]:
        X_missing, mask = make_missing(frame, 0.3, columns=columns, random_state=0)
        assert str(X_missing["a"].dtype) == dtype
        assert X_missing["a"].isna().to_numpy().tolist() == mask[:, 0].tolist()
        assert mask.any()


def test_float32_array_stays_float32_with_columns():
    X = np.arange(60, dtype=np.float32).reshape(20, 3)
    X_missing, mask = make_missing(X, 0.5, columns=[1], random_state=0)
    assert X_missing.dtype == np.float32
    np.testing.assert_array_equal(X_missing[:, [0, 2]], X[:, [0, 2]])


def test_zero_rate_returns_an_untouched_copy(data):
    X_missing, mask = make_missing(data, 0.0, random_state=0)
    assert not mask.any()
    assert X_missing is not data
    np.testing.assert_array_equal(X_missing, data)


@pytest.mark.parametrize("missing_rate", [-0.1, 1.0, 1.5, np.nan, "0.5", True])
def test_rates_outside_the_unit_interval_are_refused(data, missing_rate):
    with pytest.raises(ValueError, match="missing_rate must be in \\[0, 1\\)"):
        make_missing(data, missing_rate)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(mechanism="mnr"), "mechanism must be one of"),
        (dict(driver_fraction=0.0), "driver_fraction must be in"),
        (dict(driver_fraction=1.0), "driver_fraction must be in"),
        (dict(columns=[5]), "out of range"),
        (dict(columns=["GENE1"]), "integer positions"),
        (dict(columns=[0, 0]), "more than once"),
    ],
)
def test_parameter_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_missing(np.ones((4, 2)), 0.5, **arguments)


def test_column_errors_on_dataframes():
    frame = pd.DataFrame({"GENE1": [1.0, 2.0], "tissue": ["liver", "lung"]})
    with pytest.raises(ValueError, match="Column 'tissue' of X has dtype"):
        make_missing(frame, 0.5)
    with pytest.raises(ValueError, match="not columns of X"):
        make_missing(frame, 0.5, columns=["GENE2"])
    with pytest.raises(ValueError, match="infinity"):
        make_missing(np.array([[1.0, np.inf]]), 0.5)
