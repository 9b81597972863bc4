# SPDX-License-Identifier: BSD-3-Clause
"""Hide observed entries of a data set completely at random, at random, or not.

Masks are drawn one block of rows (MCAR) or of columns (MAR, MNAR) at a time,
so that a wide float32 matrix is never expanded whole into float64.
"""

import numbers

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.validation import FLOAT_DTYPES, check_array

from skgain._data import BLOCK_ENTRIES, power_of_two_above

_MECHANISMS = ("mcar", "mar", "mnar")

# Change of the log-odds of hiding an entry per standard deviation of what
# drives it. At a 50% rate this moves the probability from about 0.12 to 0.88
# between -1 and +1 standard deviation: far from MCAR, yet no value is certain
# to stay observed.
_SLOPE = 2.0


def make_missing(
    X: npt.ArrayLike,
    missing_rate: float = 0.5,
    *,
    mechanism: str = "mcar",
    columns: npt.ArrayLike | None = None,
    driver_fraction: float = 0.1,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray | pd.DataFrame, np.ndarray]:
    """Hide a share of the observed entries of ``X``.

    Three mechanisms, in Rubin's terms:

    - ``"mcar"`` (missing completely at random): each observed entry is
      hidden independently with probability ``missing_rate``.
    - ``"mar"`` (missing at random): a random subset of the features, the
      drivers, is never hidden. Each other feature ``j`` is hidden with
      probability ``expit(2 * eta_ij + b_j)``, where ``eta_ij`` is a
      positively weighted sum of sample ``i``'s standardised driver values,
      itself standardised over the samples. Missingness thus depends on
      observed values only, and rises where the drivers are high.
    - ``"mnar"`` (missing not at random, self-masking): entry ``(i, j)`` is
      hidden with probability ``expit(-2 * z_ij + b_j)``, where ``z_ij`` is
      the entry's own value standardised within its feature: low values are
      hidden more often, as with a detection limit.

    For ``"mar"`` and ``"mnar"`` each intercept ``b_j`` is solved numerically
    so that every hideable feature loses the same expected share of its
    observed entries, and the expected share over all of them is
    ``missing_rate``.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        The data. NaN marks entries that are already missing; they stay
        missing and are never counted as hidden.

    missing_rate : float, default=0.5
        Expected share of the observed entries (of ``columns``) to hide, in
        [0, 1).

    mechanism : {"mcar", "mar", "mnar"}, default="mcar"
        How the hidden entries are chosen; see above.

    columns : array-like, default=None
        The columns whose entries may be hidden: column labels for a
        DataFrame, integer positions for an array. ``None`` means every
        column, and then every column must be numeric. Other columns (sample
        covariates such as tissue or age) are copied unchanged.

    driver_fraction : float, default=0.1
        With ``mechanism="mar"``, the share of ``columns`` (at least one)
        that drives the missingness of the others and is never hidden.
        Ignored otherwise.

    random_state : int, RandomState instance or None, default=None
        Seeds the mask. Pass an int for the same mask on every call.

    Returns
    -------
    X_missing : ndarray or DataFrame of shape (n_samples, n_features)
        A copy of ``X`` with the hidden entries set to NaN, of the type of
        ``X``. Integer columns that lose entries become float64 (an integer
        or boolean array becomes a float64 array; an object array, with
        strings in its other columns, stays an object array); nullable
        pandas columns (``Int64``, ``Float64``, ...) keep their dtype, with
        ``pd.NA`` at the hidden entries.

    mask : ndarray of bool, shape (n_samples, n_features)
        True at the entries that were hidden by this call.

    Raises
    ------
    ValueError
        If ``missing_rate`` or ``driver_fraction`` is out of range,
        ``mechanism`` is unknown, a selected column is not numeric or holds
        infinite values, or ``missing_rate`` cannot be reached under MAR
        because the drivers stay observed.

    See Also
    --------
    skgain.metrics.imputation_r2_score : Score imputations of the hidden
        entries.
    sklearn.impute.MissingIndicator : Mask of the entries that are missing.

    Notes
    -----
    The input is never modified. Under ``"mar"``, the expected rate of each
    non-driver feature is ``missing_rate`` divided by the share of observed
    entries outside the drivers, so rates close to 1 cannot be reached; the
    driver features are the columns of ``columns`` left without any hidden
    entry.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain.datasets import make_missing
    >>> X = np.arange(2000, dtype=float).reshape(1000, 2)
    >>> X_missing, mask = make_missing(X, 0.3, random_state=0)
    >>> round(float(mask.mean()), 2)
    0.3
    >>> bool(np.isnan(X_missing[mask]).all()), bool(np.isnan(X).any())
    (True, False)
    >>> X_missing, mask = make_missing(X, 0.3, mechanism="mnar", random_state=0)
    >>> bool(X[mask].mean() < X[~mask].mean())
    True
    """
    if not (
        isinstance(missing_rate, numbers.Real)
        and not isinstance(missing_rate, bool)
        and 0 <= missing_rate < 1
    ):
        raise ValueError(f"missing_rate must be in [0, 1); got {missing_rate!r}.")
    if mechanism not in _MECHANISMS:
        raise ValueError(
            f"mechanism must be one of {list(_MECHANISMS)}; got {mechanism!r}."
        )
    if not (isinstance(driver_fraction, numbers.Real) and 0 < driver_fraction < 1):
        raise ValueError(f"driver_fraction must be in (0, 1); got {driver_fraction!r}.")
    rng = check_random_state(random_state)
    values, positions = numeric_block(X, columns, name="X")
    observed = ~np.isnan(values)

    if missing_rate == 0:
        hidden = np.zeros(values.shape, dtype=bool)
    elif mechanism == "mcar":
        hidden = _mcar(observed, missing_rate, rng)
    elif mechanism == "mnar":
        hidden = _mnar(values, observed, missing_rate, rng)
    else:
        hidden = _mar(values, observed, missing_rate, driver_fraction, rng)

    mask = np.zeros(np.shape(X), dtype=bool)
    mask[:, positions] = hidden
    return _hide(X, values, positions, hidden), mask


def numeric_block(X, columns, name):
    """The values of the selected columns as a float array, and their positions.

    Parameters
    ----------
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        The data.
    columns : array-like or None
        Column labels (DataFrame) or positions (array); None for all columns.
    name : str
        Name of ``X`` for error messages.

    Returns
    -------
    values : ndarray of shape (n_samples, n_selected)
        float32 if every selected column is float32, else float64; NaN where
        missing. Always a copy.
    positions : ndarray of int
        Positions of the selected columns in ``X``.
    """
    if isinstance(X, pd.DataFrame):
        positions = _positions_in_frame(X, columns, name)
        dtypes = list(X.dtypes)
        for j in positions:
            dtype = dtypes[j]
            if pd.api.types.is_bool_dtype(dtype) or not (
                pd.api.types.is_numeric_dtype(dtype)
            ):
                raise ValueError(
                    f"Column {X.columns[j]!r} of {name} has dtype {dtype}; only "
                    "numeric columns can have entries hidden. Pass the numeric "
                    "feature columns as `columns` to leave covariates alone."
                )
        selected = X.iloc[:, positions]
    else:
        X = np.asarray(X) if not hasattr(X, "shape") else X
        if len(np.shape(X)) != 2:
            raise ValueError(f"{name} must be 2-D; got shape {np.shape(X)}.")
        positions = _positions_in_array(np.shape(X)[1], columns, name)
        selected = X[:, positions]
    values = check_array(
        selected,
        dtype=FLOAT_DTYPES,
        ensure_all_finite="allow-nan",
        copy=True,
        input_name=name,
    )
    if not values.flags.writeable:
        # check_array can hand back pandas' read-only conversion of a single
        # nullable column as its copy; the caller writes NaN into it.
        values = values.copy()
    return values, positions


def _positions_in_frame(X, columns, name):
    if columns is None:
        return np.arange(X.shape[1])
    columns = [columns] if np.ndim(columns) == 0 else list(columns)
    positions = X.columns.get_indexer(columns)
    if (positions < 0).any():
        unknown = [c for c, p in zip(columns, positions) if p < 0]
        raise ValueError(f"columns {unknown[:10]} are not columns of {name}.")
    return _unique(positions, columns)


def _positions_in_array(n_columns, columns, name):
    if columns is None:
        return np.arange(n_columns)
    positions = np.atleast_1d(np.asarray(columns))
    if positions.dtype.kind not in "iu":
        raise ValueError(
            f"columns must be integer positions when {name} is an array; "
            f"got {positions.tolist()[:10]}."
        )
    if ((positions < -n_columns) | (positions >= n_columns)).any():
        raise ValueError(
            f"columns {positions.tolist()[:10]} are out of range for {name} "
            f"with {n_columns} columns."
        )
    return _unique(positions % n_columns, columns)


def _unique(positions, columns):
    if len(np.unique(positions)) != len(positions):
        raise ValueError(f"columns lists a column more than once: {columns}.")
    return positions


def _mcar(observed, missing_rate, rng):
    hidden = np.zeros(observed.shape, dtype=bool)
    width = max(observed.shape[1], 1)
    for rows in gen_batches(observed.shape[0], max(1, BLOCK_ENTRIES // width)):
        hidden[rows] = _hide_observed(observed[rows], missing_rate, rng)
    return hidden


def _hide_observed(observed, probability, rng):
    """Hide each observed entry with its ``probability`` (a scalar or an array).

    One uniform per observed entry, in row-major order: on a complete table
    that is one per entry, and on a table with gaps the draws fall on other
    entries than they would on the complete one. So hiding again with the
    same seed (``make_missing`` on its own output, as a scorer with the same
    ``random_state`` does) hides new entries, instead of exactly those
    already missing.
    """
    hidden = np.zeros(observed.shape, dtype=bool)
    if np.ndim(probability):
        probability = probability[observed]
    hidden[observed] = rng.random_sample(np.count_nonzero(observed)) < probability
    return hidden


def _mnar(values, observed, missing_rate, rng):
    hidden = np.zeros(values.shape, dtype=bool)
    width = max(1, BLOCK_ENTRIES // max(values.shape[0], 1))
    for cols in gen_batches(values.shape[1], width):
        logit = -_SLOPE * _standardize(values[:, cols], observed[:, cols])
        hidden[:, cols] = _draw(logit, observed[:, cols], missing_rate, rng)
    return hidden


def _mar(values, observed, missing_rate, driver_fraction, rng):
    n_features = values.shape[1]
    if n_features < 2:
        raise ValueError(
            "mechanism='mar' needs at least 2 columns: drivers that stay "
            f"observed and features to hide; got {n_features}."
        )
    n_drivers = min(max(1, round(driver_fraction * n_features)), n_features - 1)
    is_driver = np.zeros(n_features, dtype=bool)
    is_driver[rng.choice(n_features, n_drivers, replace=False)] = True
    n_observed = observed.sum()
    n_hideable = observed[:, ~is_driver].sum()
    rate = missing_rate * n_observed / max(n_hideable, 1)
    if rate >= 1:
        raise ValueError(
            f"missing_rate={missing_rate} cannot be reached with mechanism='mar': "
            f"the {n_drivers} driver column(s) stay observed, so at most "
            f"{n_hideable / n_observed:.3f} of the observed entries can be "
            "hidden. Lower missing_rate or driver_fraction."
        )
    drivers = _standardize(values[:, is_driver], observed[:, is_driver])
    targets = np.flatnonzero(~is_driver)
    hidden = np.zeros(values.shape, dtype=bool)
    width = max(1, BLOCK_ENTRIES // max(values.shape[0], n_drivers, 1))
    for block in gen_batches(len(targets), width):
        cols = targets[block]
        weights = rng.uniform(size=(n_drivers, len(cols)))
        # Standardising the combined driver keeps the strength of the
        # dependence the same whether the drivers are independent or not.
        eta = _standardize(drivers @ weights, observed[:, cols])
        hidden[:, cols] = _draw(_SLOPE * eta, observed[:, cols], rate, rng)
    return hidden


def _standardize(values, observed):
    """Centre and scale each column on its observed entries; 0 where missing."""
    values = np.where(observed, values, 0.0).astype(np.float64)
    # Divided first by a power of two above each column's largest value, which
    # is exact and changes nothing else, so that the squares of values of
    # 1e-200 or 1e200 neither underflow nor overflow.
    values /= power_of_two_above(np.abs(values).max(axis=0, initial=0.0))
    count = np.maximum(observed.sum(axis=0), 1)
    mean = values.sum(axis=0) / count
    centred = np.where(observed, values - mean, 0.0)
    scale = np.sqrt((centred**2).sum(axis=0) / count)
    return centred / np.where(scale > 0, scale, 1.0)


def _draw(logit, observed, rate, rng):
    """Hide observed entries with probability expit(logit + b), b per column."""
    intercept = _calibrate(logit, observed, rate)
    return _hide_observed(observed, expit(logit + intercept), rng)


def _calibrate(logit, observed, rate, max_iter=100, tol=1e-10):
    """Intercepts giving each column a mean probability of ``rate`` on its
    observed entries: Newton steps kept inside a bisection bracket."""
    count = np.maximum(observed.sum(axis=0), 1)
    bound = np.abs(logit).max(initial=0.0) + 50.0
    low = np.full(logit.shape[1], -bound)
    high = np.full(logit.shape[1], bound)
    intercept = np.full(logit.shape[1], np.log(rate / (1 - rate)))
    for _ in range(max_iter):
        probability = np.where(observed, expit(logit + intercept), 0.0)
        excess = probability.sum(axis=0) / count - rate
        if np.abs(excess).max(initial=0.0) < tol:
            break
        slope = (probability * (1 - probability)).sum(axis=0) / count
        low = np.where(excess < 0, intercept, low)
        high = np.where(excess > 0, intercept, high)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = intercept - excess / slope
        inside = (newton > low) & (newton < high)
        intercept = np.where(inside, newton, (low + high) / 2)
    return intercept


def _hide(X, values, positions, hidden):
    """A copy of ``X`` with the hidden entries of the selected columns NaN.

    ``values`` (a private copy) is overwritten.
    """
    values[hidden] = np.nan
    if isinstance(X, pd.DataFrame):
        X_missing = X.copy()
        changed = hidden.any(axis=0)
        dtypes = list(X.dtypes)
        is_float = np.array([_is_float(dtypes[j]) for j in positions], dtype=bool)
        # Writing float columns in place keeps the frame's blocks whole; a
        # column-by-column replacement would leave a wide frame fragmented.
        in_place = changed & is_float
        if in_place.all():
            X_missing.iloc[:, positions] = values
        elif in_place.any():
            X_missing.iloc[:, positions[in_place]] = values[:, in_place]
        for k in np.flatnonzero(changed & ~is_float):
            dtype = dtypes[positions[k]]
            if _is_nullable(dtype):
                # Int64, Float32, ...: pd.NA at the hidden entries, same dtype.
                column = pd.array(values[:, k], dtype=dtype)
            else:
                column = values[:, k].astype(np.float64)
            X_missing.isetitem(positions[k], column)
        return X_missing
    if np.array_equal(positions, np.arange(np.shape(X)[1])):
        return values
    # The other columns are copied as they are: an object array keeps its
    # strings (a tissue column), a float array its dtype; only an integer or
    # boolean array, which cannot hold NaN, becomes float64.
    X_missing = np.array(X, copy=True)
    if X_missing.dtype.kind not in "fO":
        X_missing = X_missing.astype(np.float64)
    X_missing[:, positions] = values
    return X_missing


def _is_nullable(dtype) -> bool:
    """Whether a column is a nullable pandas numeric column (Int64, Float64)."""
    return pd.api.types.is_extension_array_dtype(dtype) and (
        getattr(dtype, "na_value", None) is pd.NA
    )


def _is_float(dtype) -> bool:
    """Whether a column is a numpy float column, which can hold NaN as it is."""
    return isinstance(dtype, np.dtype) and dtype.kind == "f"
