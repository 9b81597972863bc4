# SPDX-License-Identifier: BSD-3-Clause
"""Input checks whose errors name the offending column or parameter."""

import datetime
import importlib.util
import numbers
import os
import sys
import sysconfig
import warnings

import numpy as np
import pandas as pd
from sklearn.utils._missing import is_pandas_na, is_scalar_nan

# Frames in these packages are skipped when a warning looks for its caller.
# joblib, which scikit-learn installs, runs the fits of its searches and
# cross-validation; it is only looked up, not imported.
_SKGAIN_DIRECTORY = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LIBRARY_DIRECTORIES = (_SKGAIN_DIRECTORY,) + tuple(
    os.path.dirname(os.path.abspath(spec.origin)) + os.sep
    for spec in map(importlib.util.find_spec, ("sklearn", "joblib"))
    if spec is not None and spec.origin is not None
)


# Python's own modules, where a worker thread or process starts; the
# installed packages are not among them, even where they share its folder.
_PYTHON_DIRECTORY = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep
_PACKAGE_DIRECTORIES = tuple(
    {
        os.path.abspath(sysconfig.get_paths()[key]) + os.sep
        for key in ("purelib", "platlib")
    }
)


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """Warn, attributing the warning to the first caller outside the libraries.

    ``fit`` reaches the code that warns through scikit-learn's decorators
    and, in a Pipeline or a search, through scikit-learn's and joblib's
    calls: a fixed ``stacklevel`` would point at one of them. The warning's
    file and line are then the user's, which
    ``warnings.filterwarnings(module=...)`` and the printed message can use.
    In a worker thread or process of a parallel search the caller's line is
    elsewhere: the warning then points at the first frame outside skgain.
    """
    frame, level = sys._getframe(1), 2
    outside_skgain = None
    while frame is not None and frame.f_code.co_filename.startswith(
        _LIBRARY_DIRECTORIES
    ):
        if outside_skgain is None and not frame.f_code.co_filename.startswith(
            _SKGAIN_DIRECTORY
        ):
            outside_skgain = level
        frame, level = frame.f_back, level + 1
    if outside_skgain is not None and (
        frame is None
        or (
            frame.f_code.co_filename.startswith(_PYTHON_DIRECTORY)
            and not frame.f_code.co_filename.startswith(_PACKAGE_DIRECTORIES)
        )
    ):
        level = outside_skgain
    warnings.warn(message, category, stacklevel=level)


def polars_as_pandas(X):
    """A polars DataFrame as a pandas one, column by column; anything else as is.

    Where covariates share the table, columns are read by name and keep their
    own types, which the estimators do on pandas DataFrames; made a NumPy
    array, a polars DataFrame would lose its column names, and with them the
    check that ``transform`` gets the columns of ``fit``. Each column goes
    through NumPy, so pyarrow is not needed: numbers with nulls become floats
    with NaN, text and booleans objects with None.
    """
    if type(X).__module__.partition(".")[0] != "polars" or not hasattr(
        X, "get_columns"
    ):
        return X
    return pd.DataFrame({column.name: column.to_numpy() for column in X.get_columns()})


# Share of a text column's values that must read as numbers for the column
# to look like a gene with a few stray marks rather than a covariate.
_MOSTLY_NUMBERS = 0.8

# Values of each column looked at: enough to tell a gene from a covariate,
# few enough that a table of thousands of text columns costs little.
_VALUES_LOOKED_AT = 1000


def _reads_as_number(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").notna().to_numpy()


def warn_numbers_taken_as_categories(X: pd.DataFrame, columns, names) -> None:
    """Warn about text columns, taken as categorical, that hold mostly numbers.

    ``categorical_covariates="from_dtype"`` takes every text column of a
    DataFrame; a gene whose file marks a missing value with ``.`` or ``-``
    is read as text (or as numbers and strings mixed), and would silently
    become a covariate, never imputed. One warning names every such column.
    """
    suspects, marks = [], []
    for j in columns:
        column = pd.Series(np.asarray(get_column(X, j), dtype=object)).dropna()
        values = column.iloc[:_VALUES_LOOKED_AT]
        is_number = _reads_as_number(values)
        if is_number.all() and len(column) > len(values):
            # Numbers as far as looked: a rare mark may come further down.
            values = column
            is_number = _reads_as_number(values)
        if is_number.size and _MOSTLY_NUMBERS <= is_number.mean() < 1:
            suspects.append(j)
            marks.extend(m for m in pd.unique(values[~is_number]) if m not in marks)
    if suspects:
        warn_at_caller(
            f"categorical_covariates='from_dtype' takes column(s) "
            f"{column_list(suspects, names)} as categorical covariates, but "
            f"most of their values are numbers; their other values "
            f"({', '.join(map(repr, marks[:5]))}) may mark missing values. If "
            "they are genes, make those values NaN (pd.to_numeric(column, "
            "errors='coerce')) so that they are imputed.",
            UserWarning,
        )


def is_nan_marker(missing_values) -> bool:
    return is_pandas_na(missing_values) or is_scalar_nan(missing_values)


def check_unit_interval(name, pair):
    if (
        not isinstance(pair, tuple | list)
        or len(pair) != 2
        or not all(isinstance(v, numbers.Real) for v in pair)
        or not 0 <= pair[0] <= pair[1] <= 1
    ):
        raise ValueError(
            f"{name} must be a pair (low, high) with 0 <= low <= high <= 1, "
            f"got {pair!r}."
        )


def check_finite(features, feature_columns, allow_nan, missing_values, names):
    bad_inf = np.isinf(features).any(axis=0)
    if bad_inf.any():
        raise ValueError(
            "Input X contains infinity in column(s) "
            f"{column_list(feature_columns[bad_inf], names)}; GAINImputer needs "
            "finite values, with missing entries marked by missing_values."
        )
    if not allow_nan:
        bad_nan = np.isnan(features).any(axis=0)
        if bad_nan.any():
            raise ValueError(
                "Input X contains NaN in column(s) "
                f"{column_list(feature_columns[bad_nan], names)}, but "
                f"missing_values={missing_values!r}; mark missing entries with "
                "one placeholder."
            )


# Dates and durations as Python or NumPy scalars (pd.Timestamp is a datetime).
_TEMPORAL_SCALARS = (np.datetime64, np.timedelta64, datetime.date, datetime.timedelta)


def check_not_temporal(X, feature_columns, names=None):
    """Refuse date and duration feature columns, naming them.

    NumPy and pandas turn dates into integers in the unit they are stored in
    (days, seconds, microseconds or nanoseconds), so the same dates would
    impute differently as the unit changed.
    """
    if isinstance(X, list | tuple) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2
    ):
        # Rows of Python objects: np.datetime64 values would convert to counts
        # of their unit. The first row tells, without converting the table.
        first = X[0] if len(X) else ()
        if not isinstance(first, list | tuple | np.ndarray):
            return  # not rows: scikit-learn's conversion says what is wrong
        columns = range(len(first)) if feature_columns is None else feature_columns
        temporal = [
            j
            for j in columns
            if j < len(first) and isinstance(first[j], _TEMPORAL_SCALARS)
        ]
        dtype = type(first[temporal[0]]).__name__ if temporal else None
    elif not isinstance(X, pd.DataFrame | np.ndarray) or X.ndim != 2:
        return  # other inputs are checked, and converted, by scikit-learn
    elif isinstance(X, pd.DataFrame):
        columns = range(X.shape[1]) if feature_columns is None else feature_columns
        if names is None:
            names = np.asarray(X.columns, dtype=object)
        # One array of dtypes: Series.iloc per column costs 3 us, 35 ms at
        # 12,000 genes.
        dtypes = X.dtypes.to_numpy()
        temporal = [j for j in columns if dtypes[j].kind in "mM"]
        dtype = dtypes[temporal[0]] if temporal else None
    else:
        columns = range(X.shape[1]) if feature_columns is None else feature_columns
        dtype = X.dtype
        temporal = list(columns) if dtype.kind in "mM" else []
    if temporal:
        # A ValueError, as for text and for dates among numerical covariates.
        raise ValueError(
            f"Feature column(s) {column_list(temporal, names)} hold dates or durations "
            f"({dtype}); GAINImputer imputes numbers: convert them to numbers in "
            "a unit of your choice (such as days since a reference date), or "
            "name them in categorical_covariates."
        )


def missing_as_nan(X, feature_columns=None):
    """``X`` with ``pd.NA`` in its object-typed feature columns as NaN.

    NumPy converts NaN and None to float but fails on ``pd.NA``, which
    object and text columns of a DataFrame (``string``, or pyarrow's
    ``string`` through ``pd.ArrowDtype``), and object arrays, can hold;
    nullable numeric columns convert it themselves. Only such columns (or
    such an array) are copied; ``X`` is not modified.
    """
    if isinstance(X, np.ndarray) and X.dtype == object:
        return np.where(pd.isna(X), np.nan, X)
    if not isinstance(X, pd.DataFrame):
        return X
    columns = range(X.shape[1]) if feature_columns is None else feature_columns
    dtypes = X.dtypes.to_numpy()  # one array: Series.iloc per column is slow
    # Text and object columns: kind "O" for NumPy's object, pandas' string
    # and categorical dtypes, "U" for pyarrow's strings.
    text = [j for j in columns if dtypes[j].kind in "OU"]
    if not text:
        return X
    converted = {}
    for j in text:
        column = X.iloc[:, j].astype(object)
        converted[j] = column.where(column.notna(), np.nan)
    X = X.copy(deep=False)
    for j, column in converted.items():
        X.isetitem(j, column)
    return X


_IMPUTER_ADVICE = (
    "GAINImputer imputes numeric features; name covariate columns in "
    "categorical_covariates."
)


def explain_conversion_error(
    exc, X, feature_columns, names=None, advice=_IMPUTER_ADVICE, kind="Feature"
):
    """Re-raise a failed float conversion naming the offending columns.

    ``advice`` ends the message: what the caller's estimator expects.
    """
    if not isinstance(X, pd.DataFrame | np.ndarray) or np.ndim(X) != 2:
        return
    columns = range(X.shape[1]) if feature_columns is None else feature_columns
    if names is None and isinstance(X, pd.DataFrame):
        names = np.asarray(X.columns, dtype=object)
    bad = []
    for j in columns:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                np.asarray(get_column(X, j), dtype=np.float64)
        except (ValueError, TypeError, np.exceptions.ComplexWarning):
            bad.append(j)
    if bad:
        detail = str(exc)
        if detail.startswith("Complex data not supported"):
            # The rest of scikit-learn's message prints the whole array.
            detail = "Complex data not supported"
        # On one line, and not the whole of a long cell's text.
        detail = " ".join(detail.split())
        if len(detail) > 300:
            detail = detail[:300] + " ..."
        raise type(exc)(
            f"{kind} column(s) {column_list(bad, names)} hold non-numeric values "
            f"({detail}). {advice}"
        ) from exc


# Columns and values named in messages.


def get_column(X, j: int) -> np.ndarray | pd.Series:
    """Column ``j`` of a DataFrame or a 2-D array, without copying it."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[:, j]
    return X[:, j]


def column_label(j: int, feature_names: np.ndarray | None) -> str:
    """Name of column ``j`` for error messages."""
    if feature_names is not None:
        return repr(str(feature_names[j]))
    return f"at index {j}"


def column_list(columns, feature_names: np.ndarray | None, limit: int = 10) -> str:
    """The first ``limit`` of ``columns``, named, and how many more there are."""
    labels = ", ".join(column_label(j, feature_names) for j in columns[:limit])
    if len(columns) > limit:
        labels += f" and {len(columns) - limit} more"
    return labels


def shorten(names, limit: int = 10) -> str:
    """``names`` as a list for a message: the first ``limit``, and how many in all.

    Examples
    --------
    >>> from skgain._validation import shorten
    >>> shorten(["a", "b"])
    "['a', 'b']"
    >>> shorten(range(5), limit=3)
    '[0, 1, 2, ... (5 in all)]'
    """
    names = list(names)
    if len(names) <= limit:
        return repr(names)
    return repr(names[:limit])[:-1] + f", ... ({len(names)} in all)]"


def row_name(X, position: int) -> str:
    """How messages name row ``position`` of ``X``.

    By its index label in a pandas DataFrame or Series (a sample id), by its
    position in an array.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgain._validation import row_name
    >>> row_name(pd.Series([1.0, 2.0], index=["s1", "s2"]), 1)
    "'s2'"
    >>> row_name(pd.Series([1.0, 2.0], index=np.array([110, 111])), 1)
    '111'
    >>> row_name(np.zeros((2, 3)), 1)
    '1'
    >>> index = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])
    >>> row_name(pd.Series([1.0, 2.0], index=index), 1)
    "('b', 2)"
    >>> row_name(pd.Series([1.0], index=pd.to_datetime(["2020-01-02"])), 0)
    '2020-01-02 00:00:00'
    """
    if not isinstance(X, pd.DataFrame | pd.Series):
        return str(position)
    label = _plain(X.index[position])
    if isinstance(label, str | int | float | tuple):
        return repr(label)
    return str(label)  # a date, or another object written as itself


def _plain(label):
    """``label`` with NumPy scalars, also within a tuple, as Python's own."""
    if isinstance(label, np.generic):
        return label.item()
    if isinstance(label, tuple):
        return tuple(_plain(part) for part in label)
    return label


def first_non_number(column: pd.Series) -> tuple[int, object, str] | None:
    """How many values of ``column`` are not numbers, the first and its row.

    The row is named by :func:`row_name`: the label of ``column``'s index (a
    sample id in a DataFrame, the position in an array). None where every
    value reads as a number or the values cannot be read at all (complex or
    unhashable ones).
    """
    try:
        numbers = pd.to_numeric(column, errors="coerce")
    except (ValueError, TypeError):
        return None
    bad = np.flatnonzero(numbers.isna().to_numpy() & column.notna().to_numpy())
    if bad.size == 0:
        return None
    return bad.size, column.iloc[bad[0]], row_name(column, bad[0])


def beyond_float32_message(
    what: str, value, row, mean: float, scale: float, narrow_device: bool = False
) -> str:
    """Why ``value`` of ``what`` (a feature or numerical covariate) is refused.

    Standardised with the training ``mean`` and ``scale``, it lies beyond the
    float32 range of the networks: a value in other units than the data the
    model was fitted on. On a device without float64 (``narrow_device``) it
    may lie within it while the mean or the scale itself is beyond float32.
    """
    distance = abs(float(value) - mean) / scale
    statistics = (
        f"the mean of its training values ({mean:.6g}, standard deviation {scale:.6g})"
    )
    if not narrow_device or distance > np.finfo(np.float32).max:
        return (
            f"{what} holds {value} in row {row}, which lies {distance:.3g} "
            f"standard deviations from {statistics}: beyond the float32 range "
            "in which the networks compute. Is it in the units of the data the "
            "imputer was fitted on?"
        )
    return (
        f"{what} holds {value} in row {row}, which cannot be standardised with "
        f"{statistics} in float32, the widest precision of this device; "
        "impute on the CPU (device='cpu')."
    )
