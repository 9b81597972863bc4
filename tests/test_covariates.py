"""Column roles of X and the encoding of covariates for the networks."""

import numpy as np
import pandas as pd
import pytest

from skgain._covariates import ColumnRoles, CovariateEncoder, resolve_column_roles
from skgain._validation import get_column

NAMES = np.array(["g0", "tissue", "g1", "age", "sex", "g2"], dtype=object)


def _roles(categorical, numerical, X=None, feature_names=NAMES, n_columns=6):
    return resolve_column_roles(X, categorical, numerical, feature_names, n_columns)


def _assert_roles(roles, categorical, numerical, features):
    np.testing.assert_array_equal(roles.categorical, categorical)
    np.testing.assert_array_equal(roles.numerical, numerical)
    np.testing.assert_array_equal(roles.features, features)


# ---------------------------------------------------------------------------
# resolve_column_roles
# ---------------------------------------------------------------------------


def test_roles_none():
    roles = _roles(None, None)
    _assert_roles(roles, [], [], [0, 1, 2, 3, 4, 5])
    assert not roles.has_covariates


def test_roles_by_names():
    roles = _roles(["tissue", "sex"], ["age"])
    _assert_roles(roles, [1, 4], [3], [0, 2, 5])
    assert roles.has_covariates


def test_roles_single_name_and_single_index():
    _assert_roles(_roles("sex", 3), [4], [3], [0, 1, 2, 5])


def test_roles_keep_order_as_given():
    """Embeddings are matched to columns in the order the user named them."""
    _assert_roles(_roles(["sex", "tissue"], ["age", "g0"]), [4, 1], [3, 0], [2, 5])
    _assert_roles(_roles([4, 1], None, feature_names=None), [4, 1], [], [0, 2, 3, 5])


@pytest.mark.parametrize("kind", [set, frozenset])
def test_roles_as_a_set_are_refused(kind):
    # A set's order, and with it the networks' inputs, changes with the
    # process's hash seed.
    with pytest.raises(
        ValueError, match=r"categorical_covariates is a set.*\['sex', 'tissue'\]"
    ):
        resolve_column_roles(None, kind({"tissue", "sex"}), None, NAMES, 6)
    with pytest.raises(ValueError, match="numerical_covariates is a set"):
        resolve_column_roles(None, None, kind({3, 0}), NAMES, 6)
    # One column has one order.
    _assert_roles(_roles(kind({"sex"}), kind({3})), [4], [3], [0, 1, 2, 5])


def test_roles_by_indices_including_negative():
    roles = _roles([1, -2], [-3], feature_names=None)
    _assert_roles(roles, [1, 4], [3], [0, 2, 5])


def test_roles_duplicate_indices_are_merged():
    _assert_roles(
        _roles([1, -5, 1], None, feature_names=None), [1], [], [0, 2, 3, 4, 5]
    )


def test_roles_numpy_integer_array():
    _assert_roles(_roles(np.array([4, 1]), None), [4, 1], [], [0, 2, 3, 5])


def test_roles_by_boolean_mask():
    categorical = [False, True, False, False, True, False]
    numerical = np.array([False, False, False, True, False, False])
    _assert_roles(_roles(categorical, numerical), [1, 4], [3], [0, 2, 5])


def test_roles_from_dtype():
    X = pd.DataFrame(
        {
            "g0": [1.0, 2.0],
            "tissue": pd.Categorical(["a", "b"]),
            "flag": [True, False],
            "donor": pd.Series(["d1", "d2"], dtype=object),
            "n": [1, 2],
            "batch": pd.Series(["x", "y"], dtype="string"),
            "g1": [3.0, 4.0],
        }
    )
    roles = resolve_column_roles(X, "from_dtype", ["n"], np.array(X.columns), 7)
    _assert_roles(roles, [1, 3, 5], [4], [0, 2, 6])


def test_roles_from_dtype_needs_dataframe():
    X = np.zeros((3, 6))
    with pytest.raises(ValueError, match="'from_dtype' needs X to be a pandas"):
        _roles("from_dtype", None, X=X, feature_names=None)


def test_roles_names_without_column_names():
    with pytest.raises(ValueError, match="X has no column names"):
        _roles(["tissue"], None, feature_names=None)


def test_roles_names_with_a_dataframe_of_non_string_labels():
    X = pd.DataFrame(np.zeros((3, 4)))  # labels 0 to 3: no feature names
    with pytest.raises(
        ValueError, match=r"labels are not all strings \(\[0, 1, 2, 3\]\)"
    ):
        resolve_column_roles(X, None, ["0"], None, 4)
    X.columns = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1), ("b", 2)])
    with pytest.raises(ValueError, match=r"to_flat_index\(\).map\(str\)"):
        resolve_column_roles(X, None, ["a"], None, 4)


def test_roles_unknown_name_lists_available_columns():
    with pytest.raises(ValueError, match=r"\['tisue'\].*'g0', 'tissue', 'g1'"):
        _roles(["tisue"], None)


def test_roles_unknown_name_in_numerical():
    with pytest.raises(ValueError, match=r"numerical_covariates names .*'height'"):
        _roles(None, ["height"])


def test_roles_long_column_list_is_shortened():
    names = np.array([f"c{i}" for i in range(30)], dtype=object)
    with pytest.raises(ValueError, match=r"'c9', \.\.\. \(30 in all\)\]") as info:
        _roles(["nope"], None, feature_names=names, n_columns=30)
    assert "'c10'" not in str(info.value)


@pytest.mark.parametrize("index", [6, -7, 100])
def test_roles_index_out_of_range(index):
    with pytest.raises(
        ValueError, match=rf"categorical_covariates contains column index {index}"
    ):
        _roles([0, index], None, feature_names=None)


def test_roles_same_column_in_both():
    with pytest.raises(ValueError, match="'age' is named both"):
        _roles(["tissue", "age"], ["age"])
    # The same column reached by a negative index is still caught.
    with pytest.raises(ValueError, match="at index 3 is named both"):
        _roles([3], [-3], feature_names=None)


@pytest.mark.parametrize("length", [5, 7])
def test_roles_mask_of_wrong_length(length):
    mask = [True] + [False] * (length - 1)
    with pytest.raises(ValueError, match=f"boolean mask of length {length}, but X"):
        _roles(None, mask)


@pytest.mark.parametrize("flag", [True, False, np.True_])
def test_roles_single_boolean_rejected(flag):
    with pytest.raises(ValueError, match=f"categorical_covariates={flag} names no"):
        _roles(flag, None)


def test_roles_mixed_specification_rejected():
    with pytest.raises(ValueError, match="must be column names, integer indices"):
        _roles(["tissue", 3], None)


def test_roles_empty_list():
    _assert_roles(_roles([], []), [], [], [0, 1, 2, 3, 4, 5])


def test_get_column_from_dataframe_and_array():
    X = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    np.testing.assert_array_equal(get_column(X, 1), [3, 4])
    np.testing.assert_array_equal(get_column(X.to_numpy(), 0), [1, 2])


# ---------------------------------------------------------------------------
# CovariateEncoder
# ---------------------------------------------------------------------------


def _encoder(categorical=(), numerical=(), names=None):
    categorical = np.asarray(categorical, dtype=np.intp)
    numerical = np.asarray(numerical, dtype=np.intp)
    roles = ColumnRoles(categorical, numerical, np.array([], dtype=np.intp))
    return CovariateEncoder(roles, names)


def _frame():
    return pd.DataFrame(
        {
            "tissue": ["lung", "blood", "skin", "blood", "lung"],
            "age": [30.0, 40.0, 50.0, 60.0, 70.0],
            "sex": pd.Categorical(["F", "M", "M", "F", "F"]),
        }
    )


NAMES_FRAME = np.array(["tissue", "age", "sex"], dtype=object)


def test_encoder_codes_categories_sorted():
    X = _frame()
    encoder = _encoder([0, 2], [], names=NAMES_FRAME).fit(X)
    assert list(encoder.categories_[0]) == ["blood", "lung", "skin"]
    assert list(encoder.categories_[1]) == ["F", "M"]
    assert encoder.cardinalities == [3, 2]
    codes, numerical = encoder.transform(X)
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(codes[:, 0], [1, 0, 2, 0, 1])
    np.testing.assert_array_equal(codes[:, 1], [0, 1, 1, 0, 0])
    assert numerical.shape == (5, 0)


def test_encoder_on_numpy_object_array():
    X = np.array([["b", 1.0], ["a", 2.0], ["c", 3.0]], dtype=object)
    encoder = _encoder([0], [1]).fit(X)
    codes, numerical = encoder.transform(X[::-1])
    np.testing.assert_array_equal(codes[:, 0], [2, 0, 1])
    assert numerical.dtype == np.float32


def test_encoder_missing_category_gets_its_own_code():
    X = pd.DataFrame({"tissue": ["lung", None, "blood", np.nan, "lung"]})
    encoder = _encoder([0]).fit(X)
    assert list(encoder.categories_[0]) == ["blood", "lung"]
    assert encoder.has_missing_category_ == [True]
    assert encoder.cardinalities == [3]
    codes, _ = encoder.transform(X)
    np.testing.assert_array_equal(codes[:, 0], [1, 2, 0, 2, 1])


def test_encoder_unseen_category_names_column_and_value():
    encoder = _encoder([0], names=NAMES_FRAME).fit(_frame())
    X_new = _frame()
    X_new.loc[2, "tissue"] = "liver"
    with pytest.raises(ValueError, match=r"'tissue' has value\(s\) \['liver'\]"):
        encoder.transform(X_new)


def test_encoder_unseen_category_without_names_gives_index():
    X = np.array([["a"], ["b"]], dtype=object)
    encoder = _encoder([0]).fit(X)
    with pytest.raises(ValueError, match=r"at index 0 has value\(s\) \['z'\]"):
        encoder.transform(np.array([["a"], ["z"]], dtype=object))


def test_encoder_missing_at_transform_without_missing_at_fit():
    encoder = _encoder([0], names=NAMES_FRAME).fit(_frame())
    X_new = _frame()
    X_new.loc[0, "tissue"] = np.nan
    with pytest.raises(ValueError, match="'tissue' has missing values, but had none"):
        encoder.transform(X_new)


def test_encoder_numerical_standardised_with_training_statistics():
    X = _frame()
    encoder = _encoder([], [1], names=NAMES_FRAME).fit(X)
    age = X["age"].to_numpy()
    assert encoder.mean_[0] == pytest.approx(age.mean())
    assert encoder.scale_[0] == pytest.approx(age.std())  # ddof 0
    X_new = pd.DataFrame({"tissue": ["a", "b"], "age": [50.0, 80.0], "sex": ["F"] * 2})
    codes, numerical = encoder.transform(X_new)
    assert codes.shape == (2, 0)
    assert numerical.dtype == np.float32
    expected = (np.array([50.0, 80.0]) - 50.0) / np.sqrt(200.0)
    np.testing.assert_allclose(numerical[:, 0], expected, rtol=1e-6)


def test_encoder_numerical_missing_becomes_training_mean():
    X = pd.DataFrame({"age": [20.0, np.nan, 40.0, 60.0], "bmi": [1.0, 2.0, 3.0, 4.0]})
    encoder = _encoder([], [1, 0]).fit(X)
    # Statistics ignore the missing entry; numerical columns keep the given order.
    np.testing.assert_allclose(encoder.mean_, [2.5, 40.0])
    np.testing.assert_allclose(
        encoder.scale_, [np.std([1, 2, 3, 4]), np.std([20, 40, 60])]
    )
    _, numerical = encoder.transform(X)
    assert numerical[1, 1] == 0.0
    np.testing.assert_allclose(numerical[:, 1], [-1.2247449, 0.0, 0.0, 1.2247449])


def test_encoder_numerical_constant_gets_scale_one():
    X = pd.DataFrame({"age": [5.0, 5.0, 5.0]})
    encoder = _encoder([], [0]).fit(X)
    assert encoder.scale_[0] == 1.0
    _, numerical = encoder.transform(pd.DataFrame({"age": [5.0, 7.0]}))
    np.testing.assert_array_equal(numerical[:, 0], [0.0, 2.0])


def test_encoder_numerical_all_missing_encoded_as_zero():
    X = pd.DataFrame({"age": [np.nan, np.nan]})
    encoder = _encoder([], [0]).fit(X)
    assert encoder.mean_[0] == 0.0 and encoder.scale_[0] == 1.0
    _, numerical = encoder.transform(X)
    np.testing.assert_array_equal(numerical, np.zeros((2, 1), dtype=np.float32))


def test_encoder_numerical_non_numeric_names_column():
    X = pd.DataFrame({"tissue": ["a", "b"], "age": ["old", "young"]})
    encoder = _encoder([], [1], names=np.array(["tissue", "age"], dtype=object))
    with pytest.raises(ValueError, match="Numerical covariate 'age' holds non-numeric"):
        encoder.fit(X)


@pytest.mark.parametrize("as_frame", [True, False])
def test_encoder_names_the_row_of_a_non_numeric_covariate(as_frame):
    """By sample id, as the feature columns' errors do, not pandas' 0-based position."""
    X = pd.DataFrame(
        {"tissue": ["a", "b", "a"], "age": ["40", "unknown", "n/k"]},
        index=["s1", "s2", "s3"],
    )
    encoder = _encoder([], [1], names=np.array(["tissue", "age"], dtype=object))
    row = "'s2'" if as_frame else "1"
    message = f"holds non-numeric values \\('unknown' in row {row}; 2 such values\\)"
    with pytest.raises(ValueError, match=message):
        encoder.fit(X if as_frame else X.to_numpy())


def test_encoder_numerical_too_large():
    X = pd.DataFrame({"age": [1e308, 1e308, 1e308]})  # the mean overflows
    names = np.array(["age"], dtype=object)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ValueError, match="'age' has values too large"):
            _encoder([], [0], names=names).fit(X)


@pytest.mark.parametrize("factor", [1e-170, 1e200, 8e307])
def test_encoder_numerical_scale_at_any_scale(factor):
    X = pd.DataFrame({"age": [-1.0, 0.0, 2.0, np.nan]})
    encoder = _encoder([], [0]).fit(X)
    scaled = _encoder([], [0]).fit(X * factor)
    np.testing.assert_allclose(scaled.scale_, encoder.scale_ * factor, rtol=1e-12)
    np.testing.assert_allclose(
        scaled.transform(X * factor)[1], encoder.transform(X)[1], rtol=1e-6
    )


def test_encoder_numerical_spread_of_rounding_gets_scale_one():
    # 0.3 and 0.30000000000000004: a spread of 3e-17 would blow a new value
    # 0.01 away up to 3e14.
    X = pd.DataFrame({"age": [0.3, 0.1 + 0.2, 0.3, 0.1 + 0.2]})
    encoder = _encoder([], [0]).fit(X)
    assert encoder.scale_[0] == 1.0
    _, numerical = encoder.transform(pd.DataFrame({"age": [0.31]}))
    np.testing.assert_allclose(numerical[0, 0], 0.01, rtol=1e-5)


def test_encoder_numerical_complex_rejected():
    # NumPy would drop the imaginary part with a warning and go on.
    X = pd.DataFrame({"age": np.array([40 + 1j, 50 + 0j])})
    names = np.array(["age"], dtype=object)
    with pytest.raises(ValueError, match="'age' holds non-numeric.*complex128"):
        _encoder([], [0], names=names).fit(X)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_encoder_numerical_infinity_rejected(bad):
    names = np.array(["age"], dtype=object)
    with pytest.raises(ValueError, match="'age' contains infinity"):
        _encoder([], [0], names=names).fit(pd.DataFrame({"age": [1.0, bad]}))
    encoder = _encoder([], [0], names=names).fit(pd.DataFrame({"age": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="'age' contains infinity"):
        encoder.transform(pd.DataFrame({"age": [bad, 2.0]}))


def test_encoder_mixed_type_categories_keep_order_of_appearance():
    X = np.array([["b"], [1], ["a"], [1]], dtype=object)
    encoder = _encoder([0]).fit(X)
    assert list(encoder.categories_[0]) == ["b", 1, "a"]
    codes, _ = encoder.transform(X)
    np.testing.assert_array_equal(codes[:, 0], [0, 1, 2, 1])


def test_encoder_numeric_categories_sorted_numerically():
    X = pd.DataFrame({"batch": [10, 2, 33, 2]})
    encoder = _encoder([0]).fit(X)
    assert list(encoder.categories_[0]) == [2, 10, 33]
    codes, _ = encoder.transform(X)
    np.testing.assert_array_equal(codes[:, 0], [1, 0, 2, 0])


def test_bools_mixed_with_indices_are_refused():
    """True is an int in Python; mixed with indices it must not mean column 1."""
    X = np.zeros((3, 4))
    with pytest.raises(ValueError, match="column names, integer indices or a boolean"):
        resolve_column_roles(X, [True, 2], None, None, 4)
