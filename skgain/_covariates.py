# SPDX-License-Identifier: BSD-3-Clause
"""Which columns of ``X`` are covariates, and how covariates become network input.

Covariates condition the imputation but are never imputed themselves.
Categorical covariates become integer codes (the networks learn one embedding
per covariate); numerical covariates are standardised.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from skgain._data import power_of_two_above, spread_is_rounding
from skgain._validation import (
    beyond_float32_message,
    column_label,
    first_non_number,
    get_column,
    row_name,
    shorten,
)


@dataclass(frozen=True)
class ColumnRoles:
    """Positions of the covariate and feature columns of ``X``.

    Attributes
    ----------
    categorical : ndarray of int
        Columns holding categorical covariates, in the order the user named them.
    numerical : ndarray of int
        Columns holding numerical covariates, in the order the user named them.
    features : ndarray of int
        All other columns, in input order: the values to impute.
    """

    categorical: np.ndarray
    numerical: np.ndarray
    features: np.ndarray

    @property
    def has_covariates(self) -> bool:
        return bool(self.categorical.size or self.numerical.size)


def resolve_column_roles(
    X, categorical_covariates, numerical_covariates, feature_names, n_columns
) -> ColumnRoles:
    """Turn the two covariate specifications into column positions.

    Parameters
    ----------
    X : DataFrame or ndarray
        The training data: its dtypes decide ``"from_dtype"``, and its
        column names are shown when a name given is not among them.
    categorical_covariates : str, array-like of str, int or bool, or None
        See :class:`~skgain.GAINImputer`.
    numerical_covariates : array-like of str, int or bool, or None
        See :class:`~skgain.GAINImputer`.
    feature_names : ndarray of str or None
        Column names seen in ``fit`` (``feature_names_in_``).
    n_columns : int
        Number of columns of ``X``.

    Returns
    -------
    ColumnRoles
    """
    if isinstance(categorical_covariates, str) and (
        categorical_covariates == "from_dtype"
    ):
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                "categorical_covariates='from_dtype' needs X to be a pandas "
                f"DataFrame, got {type(X).__name__}; name the covariate columns "
                "by index instead."
            )
        categorical = np.flatnonzero(
            [_is_categorical_dtype(dtype) for dtype in X.dtypes]
        )
    else:
        categorical = _resolve_spec(
            "categorical_covariates",
            categorical_covariates,
            feature_names,
            X,
            n_columns,
        )
    numerical = _resolve_spec(
        "numerical_covariates", numerical_covariates, feature_names, X, n_columns
    )
    both = np.intersect1d(categorical, numerical)
    if both.size:
        names = ", ".join(column_label(j, feature_names) for j in both)
        raise ValueError(
            f"Column {names} is named both in categorical_covariates and in "
            "numerical_covariates; a covariate is either one or the other."
        )
    is_feature = np.ones(n_columns, dtype=bool)
    is_feature[categorical] = False
    is_feature[numerical] = False
    return ColumnRoles(categorical, numerical, np.flatnonzero(is_feature))


def _is_categorical_dtype(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def _resolve_spec(param, spec, feature_names, X, n_columns) -> np.ndarray:
    if spec is None:
        return np.array([], dtype=np.intp)
    if isinstance(spec, bool | np.bool_):
        raise ValueError(
            f"{param}={spec} names no column; pass column names, indices, or a "
            f"boolean mask with one entry per column of X ({n_columns})."
        )
    if isinstance(spec, set | frozenset) and len(spec) > 1:
        # The covariates' order is that of the networks' inputs; a set has
        # no order of the user's, and one of strings changes from one Python
        # process to the next (PYTHONHASHSEED).
        raise ValueError(
            f"{param} is a set, whose order changes from one Python process to "
            f"the next, and with it the fitted model; give a list, such as "
            f"{sorted(spec, key=str)!r}."
        )
    if isinstance(spec, str | int | np.integer):
        spec = [spec]
    spec = list(spec)
    if not spec:
        return np.array([], dtype=np.intp)
    if all(isinstance(s, bool | np.bool_) for s in spec):
        if len(spec) != n_columns:
            raise ValueError(
                f"{param} is a boolean mask of length {len(spec)}, but X has "
                f"{n_columns} columns."
            )
        return np.flatnonzero(spec)
    if all(
        isinstance(s, int | np.integer) and not isinstance(s, bool | np.bool_)
        for s in spec
    ):
        indices = np.asarray(spec, dtype=np.intp)
        bad = indices[(indices < -n_columns) | (indices >= n_columns)]
        if bad.size:
            raise ValueError(
                f"{param} contains column index {bad[0]}, but X has {n_columns} "
                "columns."
            )
        # Keep the user's order so that embeddings line up with the named columns.
        return np.array(list(dict.fromkeys(indices % n_columns)), dtype=np.intp)
    if all(isinstance(s, str) for s in spec):
        if feature_names is None and isinstance(X, pd.DataFrame):
            fix = (
                "strings (X.columns = X.columns.astype(str))"
                if not isinstance(X.columns, pd.MultiIndex)
                else "strings (X.columns = X.columns.to_flat_index().map(str))"
            )
            raise ValueError(
                f"{param}={spec!r} names columns, but X's column labels are "
                f"not all strings ({shorten(list(X.columns), 5)}), so X has no "
                f"column names; give integer positions, or make the labels {fix}."
            )
        if feature_names is None:
            raise ValueError(
                f"{param}={spec!r} names columns, but X has no column names; "
                "pass a pandas DataFrame or give integer column indices."
            )
        position = {str(name): j for j, name in enumerate(feature_names)}
        missing = [s for s in spec if s not in position]
        if missing:
            raise ValueError(
                f"{param} names column(s) {missing} that are not in X; X has "
                f"columns {shorten(list(position))}."
            )
        return np.array(list(dict.fromkeys(position[s] for s in spec)), dtype=np.intp)
    raise ValueError(
        f"{param} must be column names, integer indices or a boolean mask, "
        f"got {spec!r}."
    )


@dataclass
class CovariateEncoder:
    """Turns covariate columns into what the networks take as input.

    Categorical covariates become integer codes; a missing value (NaN or
    ``None``) seen during ``fit`` becomes a category of its own. Numerical
    covariates are standardised with the training mean and standard
    deviation; a missing value is replaced by the training mean.

    Parameters
    ----------
    roles : ColumnRoles
        Which columns are covariates.
    feature_names : ndarray of str or None
        Column names, for error messages.
    """

    roles: ColumnRoles
    feature_names: np.ndarray | None = None
    categories_: list = field(default_factory=list, init=False)
    has_missing_category_: list = field(default_factory=list, init=False)
    mean_: np.ndarray = field(default=None, init=False)
    scale_: np.ndarray = field(default=None, init=False)

    @property
    def cardinalities(self) -> list[int]:
        """Number of codes of each categorical covariate."""
        return [
            len(cats) + int(has_missing)
            for cats, has_missing in zip(
                self.categories_, self.has_missing_category_, strict=True
            )
        ]

    def fit(self, X) -> "CovariateEncoder":
        self.categories_, self.has_missing_category_ = [], []
        for j in self.roles.categorical:
            column = pd.Series(np.asarray(get_column(X, j), dtype=object))
            missing = column.isna().to_numpy()
            try:
                categories = pd.unique(column[~missing])
            except TypeError as exc:  # unhashable values: lists, dicts, arrays
                raise self._not_categories(j, exc) from exc
            try:
                categories = np.sort(categories)
            except TypeError:
                pass  # mixed types cannot be sorted: keep order of appearance
            self.categories_.append(pd.Index(categories, dtype=object))
            self.has_missing_category_.append(bool(missing.any()))
        numerical = self._numerical_values(X)
        with warnings.catch_warnings():
            # An all-missing covariate has no mean; it is encoded as zeros.
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(numerical, axis=0)
            # Divided by a power of two above the largest deviation before
            # squaring, as in FeatureScaler, so that no scale loses its spread.
            with np.errstate(over="ignore", invalid="ignore"):
                deviation = numerical - mean
                spread = power_of_two_above(np.nanmax(np.abs(deviation), axis=0))
            scale = spread * np.sqrt(np.nanmean((deviation / spread) ** 2, axis=0))
        count = np.sum(~np.isnan(numerical), axis=0)
        overflow = (count > 0) & ~(np.isfinite(mean) & np.isfinite(scale))
        if overflow.any():
            j = self.roles.numerical[np.flatnonzero(overflow)[0]]
            raise ValueError(
                f"Numerical covariate {column_label(j, self.feature_names)} has "
                "values too large for its mean or spread to be computed in "
                "float64; rescale it (for example to other units)."
            )
        self.mean_ = np.nan_to_num(mean)
        # A spread within rounding of 0 counts as none (see FeatureScaler).
        varies = (count > 0) & (scale > 0) & ~spread_is_rounding(scale, mean, count)
        self.scale_ = np.where(varies, scale, 1.0)
        return self

    def transform(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Return int64 category codes and float32 standardised numerical values."""
        n_samples = X.shape[0]
        codes = np.empty((n_samples, self.roles.categorical.size), dtype=np.int64)
        for i, j in enumerate(self.roles.categorical):
            codes[:, i] = self._encode_categorical(X, i, j)
        values = self._numerical_values(X)
        with np.errstate(over="ignore"):
            numerical = (values - self.mean_) / self.scale_
            numerical = np.nan_to_num(numerical, nan=0.0).astype(np.float32)
        beyond = ~np.isfinite(numerical)
        if beyond.any():
            # A value of another scale than the training data (an age in
            # seconds): in float32 it would be infinite, and so would the
            # networks' output.
            row, i = (int(index) for index in np.argwhere(beyond)[0])
            label = column_label(self.roles.numerical[i], self.feature_names)
            raise ValueError(
                beyond_float32_message(
                    f"Numerical covariate {label}",
                    values[row, i],
                    row_name(X, row),
                    self.mean_[i],
                    self.scale_[i],
                )
            )
        return codes, numerical

    def _not_categories(self, j, exc) -> ValueError:
        return ValueError(
            f"Categorical covariate {column_label(j, self.feature_names)} holds "
            f"values that cannot be categories ({exc}); expected labels such as "
            "strings or integers."
        )

    def _encode_categorical(self, X, i, j) -> np.ndarray:
        values = pd.Series(np.asarray(get_column(X, j), dtype=object))
        categories = self.categories_[i]
        try:
            codes = categories.get_indexer(values).astype(np.int64)
        except TypeError as exc:  # unhashable values: lists, dicts, arrays
            raise self._not_categories(j, exc) from exc
        missing = values.isna().to_numpy()
        unseen = (codes < 0) & ~missing
        if unseen.any():
            unknown = pd.unique(values[unseen])
            raise ValueError(
                f"Categorical covariate {column_label(j, self.feature_names)} has "
                f"value(s) {shorten(list(unknown))} not seen during fit; known "
                f"categories are {shorten(list(categories))}."
            )
        if missing.any():
            if not self.has_missing_category_[i]:
                raise ValueError(
                    f"Categorical covariate {column_label(j, self.feature_names)} "
                    "has missing values, but had none during fit, so the model "
                    "has no category for them."
                )
            codes[missing] = len(categories)
        return codes

    def _numerical_values(self, X) -> np.ndarray:
        n_samples = X.shape[0]
        values = np.empty((n_samples, self.roles.numerical.size), dtype=np.float64)
        for i, j in enumerate(self.roles.numerical):
            column = get_column(X, j)
            try:
                column = pd.Series(column)
                if column.dtype.kind in "mM":
                    # to_numeric would give integers in the storage unit.
                    raise TypeError(
                        f"dates or durations of dtype {column.dtype}; convert "
                        "them to numbers in a unit of your choice"
                    )
                converted = pd.to_numeric(column, errors="raise")
                if pd.api.types.is_complex_dtype(converted.dtype):
                    # NumPy would keep the real part and only warn.
                    raise TypeError(f"complex dtype {converted.dtype}")
                converted = converted.to_numpy(dtype=np.float64, na_value=np.nan)
            except (ValueError, TypeError) as exc:
                found = first_non_number(column)
                detail = str(exc)
                if found is not None:
                    count, value, row = found
                    more = f"; {count} such values" if count > 1 else ""
                    detail = f"{value!r} in row {row}{more}"
                raise ValueError(
                    f"Numerical covariate {column_label(j, self.feature_names)} "
                    f"holds non-numeric values ({detail}); expected real numbers."
                ) from exc
            if np.isinf(converted).any():
                raise ValueError(
                    f"Numerical covariate {column_label(j, self.feature_names)} "
                    "contains infinity; expected finite numbers or NaN."
                )
            values[:, i] = converted
        return values
