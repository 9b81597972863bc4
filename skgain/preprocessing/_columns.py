# SPDX-License-Identifier: BSD-3-Clause
"""Covariate columns that the expression transformers pass through unchanged.

Expression tables often carry sample covariates (tissue, sex, age) next to
the genes, and :class:`~skgain.GAINImputer` wants them there. The
transformers of this package therefore accept such a table whole: the
covariate columns, and the column holding the groups, are passed through
untouched; only the other columns, the genes, are validated as numbers and
transformed.
"""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array, validate_data

from skgain._compat import _get_output_config
from skgain._output import pandas_with_passthrough, polars_with_passthrough
from skgain._validation import (
    column_label,
    explain_conversion_error,
    get_column,
    polars_as_pandas,
    shorten,
)

# float32 stays float32 and anything else becomes float64 (float16 too: its
# 11 bits would round a count of 1,000 to 1,001 through a log and back).
EXPRESSION_DTYPES = (np.float64, np.float32)

# Parameter constraints shared by the transformers.
COLUMNS_CONSTRAINT = [None, str, Integral, "array-like"]
GROUPS_CONSTRAINT = [None, str, Integral]


def validate_expression(estimator, X, *, reset: bool):
    """Validate ``X``; return it and its expression columns as a float array.

    On ``reset`` the positions of the pass-through columns (``covariates``
    and ``groups``) are stored on the estimator as ``_passthrough``, the
    group column as ``_group_column`` and the expression columns as
    ``_expression``.

    Returns
    -------
    X : DataFrame or ndarray
        The input, kept for its pass-through columns and index.
    values : ndarray of shape (n_samples, n_expression_columns)
        Expression columns as float32 or float64 (a new array if ``X`` was
        not one already; never written to by the callers).
    """
    groups = getattr(estimator, "groups", None)
    advice = (
        f"{type(estimator).__name__} transforms numeric expression columns; "
        "list sample covariates such as tissue in covariates"
        + (" (or groups)." if hasattr(estimator, "groups") else ".")
    )
    if estimator.covariates is None and groups is None:
        try:
            values = validate_data(
                estimator,
                X,
                reset=reset,
                dtype=EXPRESSION_DTYPES,
                ensure_all_finite="allow-nan",
            )
        except (ValueError, TypeError) as exc:
            explain_conversion_error(exc, X, None, advice=advice, kind="Expression")
            raise
        if reset:
            n_columns = values.shape[1]
            estimator._passthrough = np.array([], dtype=np.intp)
            estimator._group_column = None
            estimator._expression = np.arange(n_columns)
        return (X if isinstance(X, pd.DataFrame) else values), values

    X = polars_as_pandas(X)
    if not isinstance(X, pd.DataFrame):
        # Shape and sparsity checks only: the values are checked below, per role.
        X = check_array(X, dtype=None, ensure_all_finite=False, input_name="X")
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    if reset:
        names = getattr(estimator, "feature_names_in_", None)
        n_columns = X.shape[1]
        group_column = (
            None if groups is None else _positions("groups", groups, names, n_columns)
        )
        passthrough = _positions("covariates", estimator.covariates, names, n_columns)
        if group_column is not None:
            passthrough = np.union1d(passthrough, group_column)
        estimator._group_column = None if group_column is None else group_column[0]
        estimator._passthrough = np.unique(passthrough)
        estimator._expression = np.setdiff1d(np.arange(n_columns), passthrough)
    if estimator._expression.size == 0:
        # Only pass-through columns (a filter may have removed every gene):
        # nothing to transform, and check_array finds no dtype to convert.
        return X, np.empty((X.shape[0], 0))
    try:
        values = check_array(
            take_columns(X, estimator._expression),
            dtype=EXPRESSION_DTYPES,
            ensure_all_finite="allow-nan",
            ensure_min_features=0,
            input_name="X",
        )
    except (ValueError, TypeError) as exc:
        names = getattr(estimator, "feature_names_in_", None)
        explain_conversion_error(
            exc, X, estimator._expression, names, advice, kind="Expression"
        )
        raise
    return X, values


def group_codes(estimator, X) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each sample's group, and the sorted group labels.

    Without ``groups`` every sample is in one group, labelled ``None``.
    """
    if estimator._group_column is None:
        return np.zeros(X.shape[0], dtype=np.intp), np.array([None], dtype=object)
    labels = np.asarray(get_column(X, estimator._group_column), dtype=object)
    codes, uniques = pd.factorize(labels, sort=True)
    if (codes < 0).any():
        label = estimator_column_label(estimator, estimator._group_column)
        raise ValueError(
            f"The groups column {label} "
            f"has missing values in {(codes < 0).sum()} row(s); every sample "
            "needs a group."
        )
    return codes, np.asarray(uniques, dtype=object)


def assemble(estimator, X, values: np.ndarray, *, wrap: bool = False):
    """Put transformed expression columns and pass-through columns in input order.

    Without pass-through columns this is ``values`` itself, which
    scikit-learn's output wrapping turns into a DataFrame when asked. With
    them, a DataFrame is built here when pandas output is configured (so
    that the covariates keep their dtypes), else an array that is of dtype
    object if a pass-through column is not numeric. ``wrap`` builds the
    DataFrame, pandas or polars as configured, also without pass-through
    columns, for the methods that scikit-learn does not wrap
    (``inverse_transform``).
    """
    passthrough = estimator._passthrough
    dense = _get_output_config("transform", estimator)["dense"]
    if passthrough.size == 0 and not (wrap and dense in ("pandas", "polars")):
        return values
    names = estimator.get_feature_names_out()
    # Pass-through columns sit where they were in X.
    columns = {int(j): int(j) for j in passthrough}
    if wrap and dense == "polars":
        return polars_with_passthrough(X, values, names, columns)
    if dense == "pandas":
        return pandas_with_passthrough(X, values, names, columns)
    numeric = all(
        pd.api.types.is_numeric_dtype(np.asarray(get_column(X, j)).dtype)
        for j in passthrough
    )
    out = np.empty(
        (values.shape[0], estimator.n_features_in_),
        dtype=values.dtype if numeric else object,
    )
    out[:, estimator._expression] = values
    for j in passthrough:
        out[:, j] = np.asarray(get_column(X, j))
    return out


def take_columns(X, columns: np.ndarray):
    """Columns of a DataFrame or a 2-D array, by position."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[:, columns]
    return X[:, columns]


def estimator_column_label(estimator, j: int) -> str:
    """How error messages name column ``j`` of the data ``estimator`` was fitted on."""
    return column_label(j, getattr(estimator, "feature_names_in_", None))


def _positions(param: str, spec, names, n_columns: int) -> np.ndarray:
    """Positions of the columns named by ``spec`` (names or indices)."""
    if spec is None:
        return np.array([], dtype=np.intp)
    specs = [spec] if isinstance(spec, str | Integral) else list(spec)
    if all(isinstance(s, Integral) and not isinstance(s, bool) for s in specs):
        bad = [s for s in specs if not -n_columns <= s < n_columns]
        if bad:
            raise ValueError(
                f"{param} holds column index {bad[0]}, but X has {n_columns} columns."
            )
        return np.array(specs, dtype=np.intp) % max(n_columns, 1)
    if all(isinstance(s, str) for s in specs):
        if names is None:
            raise ValueError(
                f"{param}={spec!r} names columns, but X has no column names; pass "
                "a pandas DataFrame or give integer column indices."
            )
        position = {str(name): j for j, name in enumerate(names)}
        missing = [s for s in specs if s not in position]
        if missing:
            raise ValueError(
                f"{param} names column(s) {missing} that are not in X; X has "
                f"columns {shorten(position)}."
            )
        return np.array([position[s] for s in specs], dtype=np.intp)
    raise ValueError(
        f"{param} must be column names or integer column indices, got {spec!r}."
    )
