# SPDX-License-Identifier: BSD-3-Clause
"""Scores of imputed values against the true values of the entries that were hidden.

Both metrics reduce the data to per-(group, feature) sums first, one block of
features at a time, so that a wide float32 matrix is never copied whole into
float64.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_array

from skgain._data import BLOCK_ENTRIES, power_of_two_above


@dataclass(frozen=True)
class _CellSums:
    """Sums over the masked entries of each (group, feature) cell.

    Arrays are of shape (n_groups, n_features); without groups, n_groups is 1.
    So that data of any scale keep their precision, the sums of squares are
    of values divided by a power of two per cell: the residual sum of squares
    of a cell is ``(2 * res_scale)**2 * ss_res``, the total one
    ``(2 * tot_scale)**2 * ss_tot``. ``half_range`` is half of each
    feature's range (half, so that it cannot overflow).
    """

    n_masked: np.ndarray
    ss_res: np.ndarray
    res_scale: np.ndarray
    ss_tot: np.ndarray
    tot_scale: np.ndarray
    half_range: np.ndarray
    group_labels: pd.Index | None
    feature_names: np.ndarray


def imputation_r2_score(
    X_true: npt.ArrayLike,
    X_imputed: npt.ArrayLike,
    missing_mask: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    *,
    multioutput: str = "uniform_average",
    zero_variance: str = "skip",
) -> float | np.ndarray | pd.DataFrame:
    """R^2 of the imputed entries, per feature (and group), averaged.

    The score of the GAIN-GTEx paper [1]_: for each feature ``j`` (and, when
    ``groups`` is given, each group ``g`` such as a tissue), over the masked
    entries ``M`` of that cell only,

    .. math::

        R^2_{gj} = 1 - \\frac{\\sum_{i \\in M} (\\hat x_{ij} - x_{ij})^2}
                          {\\sum_{i \\in M} (x_{ij} - \\bar x_{gj})^2}

    where ``x`` is ``X_true``, ``x_hat`` is ``X_imputed`` and
    ``x_bar_gj`` is the mean of the true values of feature ``j`` over *all*
    rows of group ``g`` (masked or not, ignoring NaN). The score is the
    unweighted mean of ``R^2_gj`` over the cells that have at least one masked
    entry, so every tissue and every gene counts equally. 1 is perfect; 0 is
    what imputing each cell's true mean would get; negative is worse than that.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    X_true : {array-like, DataFrame} of shape (n_samples, n_features)
        True values. Must be finite at the masked entries; NaN elsewhere (an
        entry missing from the original data) is allowed and left out of the
        cell means.

    X_imputed : {array-like, DataFrame} of shape (n_samples, n_features)
        Imputed values. Only the masked entries are read; they must be finite.
        Rows pair with ``X_true``'s by position; where both (or
        ``missing_mask``) are DataFrames, their indexes must be equal.

    missing_mask : {array-like, DataFrame} of bool, shape (n_samples, n_features)
        True where the entry was hidden from the imputer and imputed.

    groups : array-like of shape (n_samples,), default=None
        Group label of each row (for example the tissue of each sample), in
        the row order of ``X_true``; a Series must have the index of the
        inputs that are DataFrames. If given, scores are computed per (group,
        feature) cell, with each cell's own mean in the denominator.

    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        ``"uniform_average"`` returns the mean over the scored cells.
        ``"raw_values"`` returns the score of every cell: an ndarray of shape
        (n_features,) without ``groups``, or a DataFrame with one row per
        group (sorted labels) and one column per feature with ``groups``;
        cells that are not scored hold NaN.

    zero_variance : {"skip", "error"}, default="skip"
        What to do with a cell whose denominator is zero, that is whose masked
        true values all equal the cell mean (a constant feature, typically),
        where R^2 is undefined. Equal up to rounding: a masked value that
        differs from the cell mean by no more than the precision of the data
        (float32's for float32 data) counts as equal, since its R^2 would be
        a quotient of rounding errors. ``"skip"`` leaves it out of the
        average (NaN among the raw values); ``"error"`` raises a ValueError
        naming it.

    Returns
    -------
    score : float, ndarray of shape (n_features,) or DataFrame
        The mean R^2, or the per-cell scores (see ``multioutput``).

    Raises
    ------
    ValueError
        If the inputs disagree in shape, ``missing_mask`` is not boolean, a
        masked entry is NaN or infinite in ``X_true`` or ``X_imputed``, or no
        cell can be scored (none has a masked entry with non-zero variance).

    See Also
    --------
    imputation_rmse : Root mean squared error over the masked entries.
    make_imputation_scorer : Scorer for model selection of imputers.
    sklearn.metrics.r2_score : R^2 over all entries of a regression target.

    Notes
    -----
    The denominator uses the mean of all true values of the cell rather than
    the mean of the masked ones, as the paper's evaluation code does, so a
    method that imputes each gene's mean in the tissue scores about 0 and the
    per-tissue median scores slightly below 0.

    Every cell counts equally, however few of its entries were masked. With
    few masked entries per cell (small tables, small groups), a cell whose
    one or two masked values lie near its mean has a denominator near 0 and
    an R^2 of -1e3 or -1e4 for sensible imputations, which then decides the
    average (on the 85 GEUVADIS samples, one count of 75 beside a mean of 76
    gave a gene -33,698 and the table -3.41, against a median gene R^2 of
    0.72). Read ``multioutput="raw_values"`` and its median there, or
    compare methods by :func:`imputation_rmse`.

    References
    ----------
    .. [1] R. Viñas, T. Azevedo, E. R. Gamazon and P. Liò. "Gene Expression
       Imputation with Generative Adversarial Imputation Nets". ICML
       Workshop on Computational Biology 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain.metrics import imputation_r2_score
    >>> X_true = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    >>> mask = np.array([[True, False], [False, True], [False, False],
    ...                  [True, True]])
    >>> X_imputed = np.where(mask, [[1.2, 0.0], [0.0, 22.0], [0.0, 0.0],
    ...                             [3.8, 36.0]], X_true)
    >>> round(imputation_r2_score(X_true, X_imputed, mask), 3)
    0.951
    >>> imputation_r2_score(X_true, X_imputed, mask, multioutput="raw_values")
    array([0.98222222, 0.92      ])
    >>> tissue = ["liver", "liver", "lung", "lung"]
    >>> imputation_r2_score(X_true, X_imputed, mask, groups=tissue,
    ...                     multioutput="raw_values")
              0     1
    liver  0.84  0.84
    lung   0.84  0.36
    """
    _check_option("multioutput", multioutput, ("uniform_average", "raw_values"))
    _check_option("zero_variance", zero_variance, ("skip", "error"))
    sums = _cell_sums(X_true, X_imputed, missing_mask, groups)

    has_masked = sums.n_masked > 0
    constant = has_masked & (sums.ss_tot == 0)
    if zero_variance == "error" and constant.any():
        g, j = np.argwhere(constant)[0]
        raise ValueError(
            f"R^2 is undefined for {int(constant.sum())} (group, feature) "
            f"cell(s) whose true values have zero variance around their mean, "
            f"first {_cell_name(sums, g, j)}; pass zero_variance='skip' to "
            "leave them out of the average."
        )
    scored = has_masked & ~constant
    if not scored.any():
        raise ValueError(
            "No (group, feature) cell can be scored: none has a masked entry "
            "whose true value differs from the cell mean (missing_mask has "
            f"{int(sums.n_masked.sum())} True entries; cells with zero variance "
            "are skipped)."
        )
    scores = np.full(sums.ss_res.shape, np.nan)
    np.divide(sums.ss_res, sums.ss_tot, out=scores, where=scored)
    with np.errstate(over="ignore", under="ignore"):
        # The two scales are powers of two: their quotient is exact.
        scores *= (sums.res_scale / sums.tot_scale) ** 2
    scores = np.where(scored, 1.0 - scores, np.nan)

    if multioutput == "uniform_average":
        return float(scores[scored].mean())
    if sums.group_labels is None:
        return scores[0]
    return pd.DataFrame(scores, index=sums.group_labels, columns=sums.feature_names)


def imputation_rmse(
    X_true: npt.ArrayLike,
    X_imputed: npt.ArrayLike,
    missing_mask: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
    *,
    scaling: str | None = None,
) -> float:
    """Root mean squared error of the imputed entries.

    Over the set ``M`` of masked entries, pooled across features,

    .. math::

        \\mathrm{RMSE} = \\sqrt{\\frac{1}{|M|} \\sum_{(i, j) \\in M}
                         \\left(\\frac{\\hat x_{ij} - x_{ij}}{s_j}\\right)^2}

    where ``x`` is ``X_true``, ``x_hat`` is ``X_imputed`` and ``s_j = 1``
    (``scaling=None``) or ``s_j = max_j - min_j``, the range of the true
    values of feature ``j`` over all rows (``scaling="minmax"``). The latter
    is the error on data min-max scaled to [0, 1] per feature, as in the GAIN
    paper [1]_. With ``groups``, the RMSE is computed within each group over
    that group's masked entries and the unweighted mean over the groups with
    at least one masked entry is returned (the ranges ``s_j`` stay those of
    all rows).

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    X_true : {array-like, DataFrame} of shape (n_samples, n_features)
        True values. Must be finite at the masked entries; NaN elsewhere is
        allowed and ignored (also by the min-max ranges).

    X_imputed : {array-like, DataFrame} of shape (n_samples, n_features)
        Imputed values. Only the masked entries are read; they must be finite.
        Rows pair with ``X_true``'s by position; where both (or
        ``missing_mask``) are DataFrames, their indexes must be equal.

    missing_mask : {array-like, DataFrame} of bool, shape (n_samples, n_features)
        True where the entry was hidden from the imputer and imputed.

    groups : array-like of shape (n_samples,), default=None
        Group label of each row (for example the tissue of each sample), in
        the row order of ``X_true``; a Series must have the index of the
        inputs that are DataFrames.

    scaling : {None, "minmax"}, default=None
        ``"minmax"`` divides each feature's errors by the range of its true
        values. A feature with a single distinct true value keeps a range of 1
        (its errors are left unscaled).

    Returns
    -------
    rmse : float
        The root mean squared error; 0 is perfect.

    Raises
    ------
    ValueError
        If the inputs disagree in shape, ``missing_mask`` is not boolean or
        has no True entry, or a masked entry is NaN or infinite in ``X_true``
        or ``X_imputed``.

    See Also
    --------
    imputation_r2_score : R^2 per feature (and group) over the masked entries.
    sklearn.metrics.root_mean_squared_error : RMSE over all entries.

    References
    ----------
    .. [1] J. Yoon, J. Jordon and M. van der Schaar. "GAIN: Missing Data
       Imputation using Generative Adversarial Nets". ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain.metrics import imputation_rmse
    >>> X_true = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    >>> mask = np.array([[True, False], [False, False], [False, True],
    ...                  [False, False]])
    >>> X_imputed = np.where(mask, [[2.0, 0.0], [0.0, 0.0], [0.0, 20.0],
    ...                             [0.0, 0.0]], X_true)
    >>> round(imputation_rmse(X_true, X_imputed, mask), 3)
    7.106
    >>> round(imputation_rmse(X_true, X_imputed, mask, scaling="minmax"), 3)
    0.333
    """
    _check_option("scaling", scaling, (None, "minmax"))
    sums = _cell_sums(X_true, X_imputed, missing_mask, groups)
    n_masked = sums.n_masked.sum(axis=1)
    if not n_masked.any():
        raise ValueError("missing_mask has no True entry: there is nothing to score.")
    # The factor each cell's scaled squares are multiplied by, squared: the
    # error's scale, over the feature's range with "minmax".
    with np.errstate(over="ignore", under="ignore"):
        if scaling == "minmax":
            half_range = np.where(sums.half_range > 0, sums.half_range, 0.5)
            factor = sums.res_scale / half_range
        else:
            factor = 2 * sums.res_scale
        factor = np.where(sums.ss_res > 0, factor, 0.0)
        # Per group, relative to its largest factor, so that the sum over the
        # features neither overflows nor underflows where it matters.
        largest = factor.max(axis=1, keepdims=True)
        relative = np.divide(
            factor, largest, out=np.zeros_like(factor), where=largest > 0
        )
        total = (sums.ss_res * relative**2).sum(axis=1)
        per_group = largest[:, 0] * np.sqrt(total / np.maximum(n_masked, 1))
    return float(per_group[n_masked > 0].mean())


def _check_option(name, value, options):
    if not any(value is option or value == option for option in options):
        raise ValueError(f"{name} must be one of {list(options)}; got {value!r}.")


def _cell_sums(X_true, X_imputed, missing_mask, groups) -> _CellSums:
    """Validate the inputs and reduce them to per-(group, feature) sums."""
    true = check_array(
        X_true, dtype="numeric", ensure_all_finite=False, input_name="X_true"
    )
    imputed = check_array(
        X_imputed, dtype="numeric", ensure_all_finite=False, input_name="X_imputed"
    )
    mask = _check_mask(missing_mask)
    if not (true.shape == imputed.shape == mask.shape):
        raise ValueError(
            "X_true, X_imputed and missing_mask must have the same shape; got "
            f"{true.shape}, {imputed.shape} and {mask.shape}."
        )
    feature_names = _feature_names(X_true, X_imputed, true.shape[1])
    _check_same_rows(
        X_true=X_true, X_imputed=X_imputed, missing_mask=missing_mask, groups=groups
    )
    n_samples, n_features = true.shape

    if groups is None:
        order, starts, group_labels = None, np.array([0]), None
    else:
        order, starts, group_labels = _group_rows(groups, n_samples)
    sizes = np.diff(np.append(starts, n_samples))

    # The resolution of the true values as given: float32 data hold
    # decimals such as -0.02 only to 6e-8 of their size.
    data_epsilon = np.finfo(true.dtype).eps if true.dtype.kind == "f" else 0.0
    shape = (len(starts), n_features)
    n_masked = np.zeros(shape, dtype=np.int64)
    ss_res, ss_tot = np.zeros(shape), np.zeros(shape)
    res_scale, tot_scale = np.ones(shape), np.ones(shape)
    half_range = np.zeros(n_features)
    width = max(1, BLOCK_ENTRIES // max(n_samples, 1))

    def per_entry(cells):
        return np.repeat(cells, sizes, axis=0)

    for cols in gen_batches(n_features, width):
        rows = slice(None) if order is None else order
        t = true[rows, cols].astype(np.float64)
        m = mask[rows, cols]
        imp = imputed[rows, cols].astype(np.float64)
        _check_finite("X_true", t, m, cols, order)
        _check_finite("X_imputed", imp, m, cols, order)
        if np.isinf(t).any():
            raise ValueError(
                "X_true contains infinite values; every true value must be finite "
                "or NaN (unknown)."
            )
        known = ~np.isnan(t)
        # Halves: exact, and no difference of two of them overflows. Every
        # sum of squares is then of values divided by a power of two above
        # the cell's largest, so that squares neither overflow nor, at 1e-200,
        # underflow; ordinary data give the same sums to the bit.
        t *= 0.5
        imp *= 0.5
        with np.errstate(invalid="ignore"):
            half_range[cols] = np.fmax.reduce(t, axis=0) - np.fmin.reduce(t, axis=0)
        # Centring on a value of the cell makes the mean of a constant cell
        # come out exactly equal to that value, so its zero variance is exact.
        reference = np.nan_to_num(np.fmax.reduceat(t, starts, axis=0))
        shifted = np.where(known, t - per_entry(reference), 0.0)
        count = np.maximum(np.add.reduceat(known, starts, axis=0, dtype=np.int64), 1)
        largest_shift = _cell_max(shifted, starts)
        shift_scale = power_of_two_above(largest_shift)
        offset = (
            np.add.reduceat(shifted / per_entry(shift_scale), starts, axis=0)
            / count
            * shift_scale
        )
        deviation = np.where(m, shifted - per_entry(offset), 0.0)
        error = np.where(m, imp - t, 0.0)
        n_masked[:, cols] = np.add.reduceat(m, starts, axis=0, dtype=np.int64)
        largest_deviation = _cell_max(deviation, starts)
        tot_scale[:, cols] = power_of_two_above(largest_deviation)
        res_scale[:, cols] = power_of_two_above(_cell_max(error, starts))
        # Masked values that differ from the cell mean by no more than the
        # rounding of the data (each value to its dtype's precision, the
        # mean to that of the values' average size) and of the mean's own
        # computation have zero variance, as in exact arithmetic: one hidden
        # -0.02 in a cell of 0.87, 0.52, -0.02, 0.02, -1.25, -0.26 would
        # otherwise score a quotient of rounding errors (-9e15 in float32).
        size = np.where(known, np.abs(t), 0.0)
        largest_masked = _cell_max(np.where(m, size, 0.0), starts)
        average_size = np.add.reduceat(size, starts, axis=0) / count
        rounding = largest_deviation <= (
            data_epsilon * (largest_masked + average_size)
            + 8 * count * np.finfo(np.float64).eps * largest_shift
        )
        squares = np.add.reduceat(
            (deviation / per_entry(tot_scale[:, cols])) ** 2, starts, axis=0
        )
        ss_tot[:, cols] = np.where(rounding, 0.0, squares)
        ss_res[:, cols] = np.add.reduceat(
            (error / per_entry(res_scale[:, cols])) ** 2, starts, axis=0
        )
    return _CellSums(
        n_masked,
        ss_res,
        res_scale,
        ss_tot,
        tot_scale,
        half_range,
        group_labels,
        feature_names,
    )


def _cell_max(values, starts) -> np.ndarray:
    """Per cell, the largest absolute value."""
    return np.maximum.reduceat(np.abs(values), starts, axis=0)


def _check_mask(missing_mask) -> np.ndarray:
    if isinstance(missing_mask, pd.DataFrame) and all(
        pd.api.types.is_bool_dtype(dtype) for dtype in missing_mask.dtypes
    ):
        if missing_mask.isna().any(axis=None):
            raise ValueError(
                "missing_mask has missing values (pd.NA); it must say for every "
                "entry whether it was hidden (True) or not (False)."
            )
        return missing_mask.to_numpy(dtype=bool)
    mask = np.asarray(missing_mask)
    if mask.dtype != bool:
        # Integer masks are refused because GAIN writes its mask with
        # 1 = observed, the opposite of missing_mask; a silent cast would
        # score the wrong entries.
        raise ValueError(
            f"missing_mask must be a boolean array (True = hidden and imputed); "
            f"got dtype {mask.dtype}."
        )
    if mask.ndim != 2:
        raise ValueError(f"missing_mask must be 2-D; got shape {mask.shape}.")
    return mask


def _feature_names(X_true, X_imputed, n_features) -> np.ndarray:
    names = [
        np.asarray(X.columns, dtype=object)
        for X in (X_true, X_imputed)
        if isinstance(X, pd.DataFrame)
    ]
    if len(names) == 2 and not np.array_equal(names[0], names[1]):
        raise ValueError(
            "X_true and X_imputed are DataFrames with different columns; "
            "they must hold the same features in the same order."
        )
    return names[0] if names else np.arange(n_features)


def _check_same_rows(**tables) -> None:
    """Refuse DataFrames whose rows are different samples, or in another order.

    The scores pair rows by position; DataFrames carry their samples' labels,
    so a shuffled or differently indexed one would be scored against the
    wrong samples.
    """
    indexes = [
        (name, X.index)
        for name, X in tables.items()
        if isinstance(X, pd.DataFrame | pd.Series)
    ]
    for (first, index), (other, other_index) in zip(indexes, indexes[1:]):
        if not index.equals(other_index):
            position = next(
                (i for i, (a, b) in enumerate(zip(index, other_index)) if a != b), 0
            )
            raise ValueError(
                f"{first} and {other} are pandas objects whose rows differ (row "
                f"{position}: {index[position]!r} against {other_index[position]!r}); "
                f"they must hold the same samples in the same order, as "
                f"{other}.loc[{first}.index] does, or, if the rows are in "
                f"order already, {other}.set_axis({first}.index)."
            )


def _group_rows(groups, n_samples):
    """Rows sorted by group, where each group starts, and the group labels."""
    if isinstance(groups, pd.DataFrame) or np.ndim(groups) != 1:
        raise ValueError(
            f"groups must be 1-D (one label per row); got shape {np.shape(groups)}."
        )
    if len(groups) != n_samples:
        raise ValueError(
            f"groups has {len(groups)} labels but X_true has {n_samples} rows."
        )
    # A list of mixed labels would become strings in NumPy ("nan", and 1 and
    # "1" as one group); as objects they stay as they are.
    array_like = isinstance(groups, np.ndarray | pd.Series | pd.Index)
    labels = np.asarray(groups) if array_like else np.asarray(groups, dtype=object)
    codes, labels = pd.factorize(labels, sort=True)
    if (codes < 0).any():
        raise ValueError(
            f"groups contains missing labels (NaN or None) at row(s) "
            f"{np.flatnonzero(codes < 0)[:10].tolist()}; every row needs a group."
        )
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(labels)))
    return order, starts, pd.Index(labels)


_NOT_FINITE_REASONS = {
    "X_true": "the true value of every masked entry must be known",
    "X_imputed": "the imputer left entries unimputed or produced invalid values",
}


def _check_finite(name, values, mask, cols, order):
    bad = mask & ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        row = row if order is None else order[row]
        raise ValueError(
            f"{name} has NaN or infinite values at masked entries (first at row "
            f"{row}, column {cols.start + col}): {_NOT_FINITE_REASONS[name]}."
        )


def _cell_name(sums: _CellSums, g: int, j: int) -> str:
    feature = f"feature {_plain(sums.feature_names[j])!r}"
    if sums.group_labels is None:
        return feature
    return f"group {_plain(sums.group_labels[g])!r}, {feature}"


def _plain(label):
    """A numpy scalar as the Python scalar it holds, for readable messages."""
    return label.item() if isinstance(label, np.generic) else label
