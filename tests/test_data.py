"""Per-feature standardisation over observed entries (FeatureScaler)."""

import warnings

import numpy as np
import pytest

import skgain._data as data_module
from skgain._data import FeatureScaler


def _data(n_samples=50, n_features=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    values = rng.normal(
        loc=[0.0, 5.0, -3.0, 100.0][:n_features],
        scale=2.0,
        size=(n_samples, n_features),
    )
    observed = rng.random(values.shape) < 0.7
    values[~observed] = np.nan
    return values.astype(dtype), observed


def test_fit_uses_observed_entries_only():
    values, observed = _data()
    scaler = FeatureScaler.fit(values, observed)
    np.testing.assert_allclose(scaler.mean, np.nanmean(values, axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, np.nanstd(values, axis=0), rtol=1e-12)


@pytest.mark.parametrize("missing_value", [0.0, np.nan])
def test_transform_of_some_columns_is_those_columns_of_the_whole(missing_value):
    values, observed = _data()
    scaler = FeatureScaler.fit(values, observed)
    columns = np.array([3, 0])
    whole = scaler.transform(values, observed, missing_value)
    some = scaler.transform(values, observed, missing_value, columns=columns)
    assert some.shape == (values.shape[0], 2)
    np.testing.assert_array_equal(some, whole[:, columns])


def test_fit_ignores_values_at_unobserved_entries():
    """Whatever sits at a missing entry (here huge numbers) does not count."""
    values, observed = _data()
    filled = np.where(observed, values, 1e6)
    scaler = FeatureScaler.fit(filled, observed)
    np.testing.assert_allclose(scaler.mean, np.nanmean(values, axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, np.nanstd(values, axis=0), rtol=1e-12)


def test_fit_float32_input_accumulates_in_float64():
    values, observed = _data(n_samples=3000, dtype=np.float32)
    scaler = FeatureScaler.fit(values, observed)
    reference = values.astype(np.float64)
    assert scaler.mean.dtype == np.float64
    np.testing.assert_allclose(scaler.mean, np.nanmean(reference, axis=0), rtol=1e-10)
    np.testing.assert_allclose(scaler.scale, np.nanstd(reference, axis=0), rtol=1e-10)


def test_constant_feature_gets_scale_one():
    values = np.array([[3.0, 1.0], [3.0, 2.0], [np.nan, 4.0]])
    observed = ~np.isnan(values)
    scaler = FeatureScaler.fit(values, observed)
    assert scaler.mean[0] == 3.0
    assert scaler.scale[0] == 1.0
    assert scaler.scale[1] == pytest.approx(np.std([1.0, 2.0, 4.0]))


def test_all_missing_feature_gets_mean_zero_scale_one():
    values = np.array([[np.nan, 1.0], [np.nan, 3.0]])
    observed = ~np.isnan(values)
    scaler = FeatureScaler.fit(values, observed)
    np.testing.assert_array_equal(scaler.mean, [0.0, 2.0])
    np.testing.assert_array_equal(scaler.scale, [1.0, 1.0])
    assert np.all(np.isfinite(scaler.transform(values, observed)))


def test_single_observed_entry():
    values = np.array([[np.nan], [7.0], [np.nan]])
    scaler = FeatureScaler.fit(values, ~np.isnan(values))
    assert scaler.mean[0] == 7.0 and scaler.scale[0] == 1.0


def test_transform_float32_with_zeros_at_missing():
    values, observed = _data()
    scaler = FeatureScaler.fit(values, observed)
    out = scaler.transform(values, observed)
    assert out.dtype == np.float32
    assert out.shape == values.shape
    assert np.all(out[~observed] == 0)
    mean, std = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    expected = (values - mean) / std
    np.testing.assert_allclose(out[observed], expected[observed], rtol=1e-5, atol=1e-6)
    # Observed entries are standardised: mean 0 and s.d. 1 per feature.
    masked = np.where(observed, out, np.nan)
    np.testing.assert_allclose(np.nanmean(masked, axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.nanstd(masked, axis=0), 1.0, rtol=1e-5)


def test_transform_new_rows_with_training_statistics():
    scaler = FeatureScaler(
        mean=np.array([1.0, -2.0]),
        scale=np.array([2.0, 0.5]),
        constant_value=np.full(2, np.nan),
    )
    values = np.array([[3.0, -2.0], [np.nan, -1.0]])
    observed = ~np.isnan(values)
    out = scaler.transform(values, observed)
    np.testing.assert_array_equal(out, np.array([[1.0, 0.0], [0.0, 2.0]], np.float32))


@pytest.mark.parametrize("row_block", [1, 7, 16])
def test_blockwise_matches_whole(monkeypatch, row_block):
    """Statistics and output do not depend on how rows are split into blocks."""
    values, observed = _data(n_samples=45, seed=3)
    expected_mean = np.nanmean(values, axis=0)
    expected_scale = np.nanstd(values, axis=0)
    monkeypatch.setattr(data_module, "SCALING_ROWS", row_block)
    scaler = FeatureScaler.fit(values, observed)
    np.testing.assert_allclose(scaler.mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, expected_scale, rtol=1e-12)
    out = scaler.transform(values, observed)
    expected = np.where(observed, (values - expected_mean) / expected_scale, 0.0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_more_rows_than_row_block():
    n_samples = data_module.SCALING_ROWS * 2 + 17
    values, observed = _data(n_samples=n_samples, n_features=2, seed=4)
    scaler = FeatureScaler.fit(values, observed)
    np.testing.assert_allclose(scaler.mean, np.nanmean(values, axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, np.nanstd(values, axis=0), rtol=1e-12)
    out = scaler.transform(values, observed)
    assert np.all(out[~observed] == 0)
    last = out[-17:]  # the final, partial block is filled too
    expected = (values[-17:] - scaler.mean) / scaler.scale
    np.testing.assert_allclose(
        last[observed[-17:]], expected[observed[-17:]], rtol=1e-5
    )


def test_overflow_raises():
    # The sum overflows.
    values = np.column_stack([[1.0, 2.0, 3.0], [1e308, 1e308, 5e307]])
    observed = np.ones(values.shape, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ValueError, match=r"feature\(s\) at position \[1\]"):
            FeatureScaler.fit(values, observed)


@pytest.mark.parametrize("factor", [1e-170, 1e-30, 1e30, 1e200])
def test_statistics_at_any_scale(factor):
    """Squares of 1e-170 underflow and of 1e200 overflow; the scale must not."""
    values, observed = _data(seed=3)
    scaler = FeatureScaler.fit(values, observed)
    scaled = FeatureScaler.fit(values * factor, observed)
    np.testing.assert_allclose(scaled.mean, scaler.mean * factor, rtol=1e-12)
    np.testing.assert_allclose(scaled.scale, scaler.scale * factor, rtol=1e-12)
    assert np.isnan(scaled.constant_value).all()
    np.testing.assert_allclose(
        scaled.transform(values * factor, observed),
        scaler.transform(values, observed),
        rtol=1e-6,
    )


def test_spread_near_the_largest_float():
    """A largest deviation of 2^1023 or more still has a representable scale."""
    values = np.array([[-1e308], [1e308], [0.0]])
    scaler = FeatureScaler.fit(values, np.ones(values.shape, dtype=bool))
    assert scaler.mean[0] == 0.0
    np.testing.assert_allclose(scaler.scale[0], np.sqrt(2 / 3) * 1e308, rtol=1e-15)


def test_constant_value_is_exact_and_ignores_missing_entries():
    """Rounding in the mean must not hide a constant; gaps must not break one."""
    values = np.array([[0.1, 1.0, np.nan], [0.1, 2.0, np.nan], [np.nan, 3.0, np.nan]])
    scaler = FeatureScaler.fit(values, ~np.isnan(values))
    assert scaler.constant_value[0] == 0.1
    assert np.isnan(scaler.constant_value[1:]).all()


def test_spread_of_rounding_is_constant():
    """Values that differ only by rounding standardise as a constant."""
    values = np.array([[0.3, 1.0], [0.1 + 0.2, 2.0], [0.3, 3.0], [0.1 + 0.2, 4.0]])
    assert values[0, 0] != values[1, 0]
    scaler = FeatureScaler.fit(values, np.ones(values.shape, dtype=bool))
    assert scaler.scale[0] == 1.0
    np.testing.assert_allclose(scaler.constant_value[0], 0.3, rtol=1e-15)
    assert np.isnan(scaler.constant_value[1])
    assert scaler.scale[1] == pytest.approx(np.std([1.0, 2.0, 3.0, 4.0]))


def test_transform_can_mark_the_gaps_with_nan():
    values, observed = _data(seed=5)
    values[0, 0], observed[0, 0] = 5.0, True  # the mean of column 1: scales to 0
    scaler = FeatureScaler.fit(values, observed)
    zero_filled = scaler.transform(values, observed)
    nan_filled = scaler.transform(values, observed, missing_value=np.nan)
    assert nan_filled.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(nan_filled), ~observed)
    np.testing.assert_array_equal(nan_filled[observed], zero_filled[observed])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_and_transform_leave_the_input_as_it_was(dtype):
    values, observed = _data(n_samples=300, seed=6, dtype=dtype)
    values_before, observed_before = values.copy(), observed.copy()
    scaler = FeatureScaler.fit(values, observed)
    scaler.transform(values, observed)
    scaler.transform(values, observed, missing_value=np.nan)
    np.testing.assert_array_equal(values, values_before)
    np.testing.assert_array_equal(observed, observed_before)


def test_read_only_input_is_read_without_warnings():
    values, observed = _data(seed=7, dtype=np.float32)
    values.flags.writeable = False
    observed.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaler = FeatureScaler.fit(values, observed)
        out = scaler.transform(values, observed)
    assert np.isfinite(out).all()


def test_gaps_may_hold_infinities():
    values, observed = _data(seed=8)
    filled = np.where(observed, values, np.inf)
    filled[~observed & (np.arange(values.shape[0]) % 2 == 0)[:, None]] = -np.inf
    scaler = FeatureScaler.fit(filled, observed)
    np.testing.assert_allclose(scaler.mean, np.nanmean(values, axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, np.nanstd(values, axis=0), rtol=1e-12)
    out = scaler.transform(filled, observed)
    assert np.all(out[~observed] == 0) and np.isfinite(out).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_rounds_once_from_float64(dtype):
    """Observed entries are (x - mean) / scale in float64, rounded to float32."""
    values, observed = _data(n_samples=400, seed=9, dtype=dtype)
    scaler = FeatureScaler.fit(values, observed)
    expected = ((values.astype(np.float64) - scaler.mean) / scaler.scale).astype(
        np.float32
    )
    out = scaler.transform(values, observed, missing_value=np.nan)
    np.testing.assert_array_equal(out[observed], expected[observed])
    assert np.isnan(out[~observed]).all()
