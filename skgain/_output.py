# SPDX-License-Identifier: BSD-3-Clause
"""Output tables that hold computed columns beside columns passed through.

GAINImputer and the expression transformers return the columns they computed
(imputed features, transformed genes) together with columns of the input
they pass through unchanged (covariates), in the input's order. The builders
here put them together as a pandas or polars DataFrame in which each
passed-through column keeps its own type.
"""

import numpy as np
import pandas as pd

from skgain._validation import get_column


def pandas_with_passthrough(X, values, names, passthrough) -> pd.DataFrame:
    """A DataFrame of ``values`` with columns of ``X`` inserted where they belong.

    Parameters
    ----------
    X : DataFrame or ndarray
        The input; a DataFrame lends its index to the output.
    values : ndarray of shape (n_samples, n_values)
        The computed columns, in output order; used without a copy.
    names : sequence of str
        Names of all output columns, ``n_values + len(passthrough)``.
    passthrough : dict of int to int
        Output position of each column passed through, and its position in
        ``X``.

    Returns
    -------
    frame : DataFrame
        The pass-through columns keep their dtypes (categories, strings,
        nullable integers).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgain._output import pandas_with_passthrough
    >>> tissue = pd.Categorical(["Lung", "Liver"])
    >>> X = pd.DataFrame({"tissue": tissue, "a": [1.0, None]})
    >>> frame = pandas_with_passthrough(X, np.zeros((2, 1)), ["tissue", "a"], {0: 0})
    >>> frame["a"].tolist(), isinstance(frame["tissue"].dtype, pd.CategoricalDtype)
    ([0.0, 0.0], True)
    """
    names = np.asarray(names, dtype=object)
    is_value = np.ones(len(names), dtype=bool)
    is_value[list(passthrough)] = False
    index = X.index if isinstance(X, pd.DataFrame) else None
    frame = pd.DataFrame(values, columns=names[is_value], index=index, copy=False)
    # Ascending output positions: each insert lands where it belongs in the end.
    for k in sorted(passthrough):
        column = get_column(X, passthrough[k])
        column = column.array if isinstance(column, pd.Series) else column
        frame.insert(int(k), names[k], column)
    return frame


def polars_with_passthrough(X, values, names, passthrough):
    """A polars DataFrame of ``values`` with columns of ``X`` where they belong.

    As :func:`pandas_with_passthrough`, built column by column: from one
    object array polars would make every column an ``Object`` column. The
    computed columns are floats, the pass-through ones keep their values'
    own type (:func:`polars_column`).
    """
    import polars as pl  # set_output(transform="polars") checked it is there

    computed = iter(range(values.shape[1]))
    return pl.DataFrame(
        [
            polars_column(name, get_column(X, passthrough[k]))
            if k in passthrough
            else pl.Series(name, values[:, next(computed)])
            for k, name in enumerate(names)
        ]
    )


def polars_column(name, column):
    """``column`` as a polars Series of its values' own type, None where missing.

    Built from the values one by one, so that text, integers with gaps and
    booleans keep their types; a column of values of several types (1 and
    "B") stays a polars ``Object`` column.
    """
    import polars as pl  # set_output(transform="polars") checked it is there

    values = pd.Series(
        column if isinstance(column, pd.Series) else np.asarray(column)
    ).astype(object)
    # None is polars' missing value, in any column type.
    values = values.where(values.notna(), None).tolist()
    try:
        return pl.Series(name, values)
    except (TypeError, pl.exceptions.PolarsError):
        return pl.Series(name, values, dtype=pl.Object)
