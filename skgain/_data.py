# SPDX-License-Identifier: BSD-3-Clause
"""Per-feature standardisation of expression values with gaps.

The networks see each feature centred and scaled by the mean and standard
deviation of its observed entries, with missing entries set to zero. The work
goes in blocks of rows so that a wide float32 matrix is never copied whole
into float64.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils import gen_batches

# Rows per block when streaming over a matrix; large enough to amortise the
# per-block overhead, small enough that a float64 block of 12k genes stays
# around 100 MB.
ROW_BLOCK = 1024

# Entries per float64 block of the NumPy passes over whole tables (metrics,
# masks, synthetic data): large enough to amortise NumPy's per-call overhead,
# small enough (32 MB) to stay negligible next to a GTEx-sized matrix.
BLOCK_ENTRIES = 2**22

# Rows per block of FeatureScaler's passes, which run on PyTorch's threads.
# Small blocks keep each temporary (6 MB in float32 at 12k genes) below the
# size from which the C allocator maps fresh memory, page by page, for every
# block: with blocks of ROW_BLOCK rows those page faults took most of the
# time of the statistics of a GTEx-sized table.
SCALING_ROWS = 128


@dataclass(frozen=True)
class FeatureScaler:
    """Mean and standard deviation of each feature over its observed entries.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
        Mean of the observed entries (0 for a feature with none).
    scale : ndarray of shape (n_features,)
        Standard deviation of the observed entries; 1 where it is 0, within
        rounding of 0 (:func:`spread_is_rounding`) or undefined, so that
        constant features map to 0 rather than to NaN or to huge values.
    constant_value : ndarray of shape (n_features,)
        The value of each feature whose observed entries are all equal (their
        mean where they differ only by rounding), NaN for the other features
        and for features with no observed entry.
    """

    mean: np.ndarray
    scale: np.ndarray
    constant_value: np.ndarray

    @classmethod
    def fit(
        cls, values: np.ndarray, observed: np.ndarray, describe_columns=None
    ) -> "FeatureScaler":
        """Estimate the statistics from ``values`` where ``observed`` is True.

        Sums are accumulated in float64 and the variance takes a second pass
        over the deviations from the mean, so float32 input loses no digits.
        ``describe_columns``, called with positions in ``values`` only when
        an error needs it, names those columns; without it, errors give the
        positions.
        """
        n_features = values.shape[1]
        dtype = _as_tensor(values[:0]).dtype
        # A stand-in for the gaps in the minimum and maximum: at most as
        # extreme as any finite value, and finite so that 0 times it is 0.
        largest = torch.finfo(dtype).max
        total = torch.zeros(n_features, dtype=torch.float64)
        count = torch.zeros(n_features, dtype=torch.float64)
        low = torch.full((n_features,), np.inf, dtype=dtype)
        high = torch.full((n_features,), -np.inf, dtype=dtype)
        for kept, hidden in _blocks(values, observed):
            total += kept.to(torch.float64).sum(0)
            count += (1 - hidden).sum(0)
            low = torch.minimum(low, torch.add(kept, hidden, alpha=largest).amin(0))
            high = torch.maximum(high, torch.add(kept, hidden, alpha=-largest).amax(0))
        mean = torch.where(count > 0, total / count.clamp_min(1), 0.0)
        # Deviations are divided by a power of two at least as large as the
        # largest one before they are squared, so that neither values of
        # 1e-170 (whose squares underflow to 0) nor of 1e200 (whose squares
        # overflow) lose their spread; a power of two divides exactly, so
        # ordinary data get the same scale to the last bit as without it.
        spread = torch.maximum(high.double() - mean, mean - low.double())
        spread = torch.from_numpy(power_of_two_above(spread.numpy()))
        squares = torch.zeros(n_features, dtype=torch.float64)
        for kept, hidden in _blocks(values, observed):
            deviation = kept.to(torch.float64).sub_(mean).div_(spread)
            # The deviation of a gap (0 - mean) times 0 counts for nothing.
            deviation.addcmul_(deviation, hidden.to(torch.float64), value=-1)
            squares += deviation.square_().sum(0)
        variance = torch.where(count > 0, squares / count.clamp_min(1), 0.0)
        mean, scale = mean.numpy(), (variance.sqrt_() * spread).numpy()
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
            bad = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
            where = (
                f"at position {bad[:10].tolist()}"
                if describe_columns is None
                else describe_columns(bad)
            )
            raise ValueError(
                f"The mean or variance of feature(s) {where} overflows; rescale "
                "the input (values this large are not expression levels)."
            )
        # Compared exactly: rounding in the variance would hide a constant.
        low, high, count = low.numpy(), high.numpy(), count.numpy()
        exact = (count > 0) & (low == high)
        # A spread no wider than rounding (0.3 and 0.30000000000000004) is a
        # constant too: dividing by it would turn a new value a hair away
        # into an input of 1e14, and the imputations into garbage.
        rounding = ~exact & (count > 0) & spread_is_rounding(scale, mean, count)
        constant_value = np.where(exact, low, np.where(rounding, mean, np.nan))
        scale = np.where((scale > 0) & ~rounding, scale, 1.0)
        return cls(mean, scale, constant_value)

    def transform(
        self,
        values: np.ndarray,
        observed: np.ndarray,
        missing_value: float = 0.0,
        columns: np.ndarray | None = None,
    ) -> np.ndarray:
        """Standardised float32 copy of ``values``, or of its ``columns``.

        Missing entries are set to ``missing_value``: 0, the networks' input,
        or NaN, which keeps the gaps readable from the copy itself so that no
        separate mask need be kept alongside it. Observed entries are
        standardised in float64 and rounded once to float32. ``columns``
        (positions) are taken a block of rows at a time, so that the columns
        left out cost no full-size copy.
        """
        mean, scale = torch.from_numpy(self.mean), torch.from_numpy(self.scale)
        if columns is not None:
            index = torch.from_numpy(np.asarray(columns, dtype=np.int64))
            mean, scale = mean[index], scale[index]
        # Allocated by PyTorch: filling a NumPy array of GTEx size for the
        # first time took 1 to 2.6 s in one-off timings, this one about 1 s.
        out = torch.empty((values.shape[0], mean.shape[0]), dtype=torch.float32)
        observed = _as_tensor(observed)
        for rows in gen_batches(values.shape[0], SCALING_ROWS):
            # A copy: the caller's values are never written.
            block = _as_tensor(values[rows]).to(torch.float64, copy=True)
            seen = observed[rows]
            if columns is not None:
                block, seen = block[:, index], seen[:, index]
            standardised = block.sub_(mean).div_(scale)
            out[rows] = standardised.masked_fill_(~seen, missing_value)
        return out.numpy()


def power_of_two_above(spread) -> np.ndarray:
    """The powers of two to divide deviations by before squaring them.

    Above each ``spread`` (the largest absolute deviation), so that the
    quotients are below 1 and their squares can neither overflow nor, at
    1e-170, underflow; a power of two divides exactly. A spread of 0 or not
    finite is taken as 1; the result is at most 2^1023, as 2^1024 is beyond
    float64.

    Examples
    --------
    >>> from skgain._data import power_of_two_above
    >>> power_of_two_above([3.0, 0.25, 0.0])
    array([4. , 0.5, 2. ])
    """
    spread = np.asarray(spread, dtype=np.float64)
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
    return np.ldexp(1.0, np.minimum(np.frexp(spread)[1], 1023))


def spread_is_rounding(std, mean, count) -> np.ndarray:
    """Whether each standard deviation is within float64 rounding of 0.

    scikit-learn's ``StandardScaler`` rule: a variance computed from
    ``count`` values around ``mean`` is zero up to rounding when it is at most
    ``count * eps * variance + (count * mean * eps) ** 2``, with ``eps`` the
    float64 machine epsilon. Here in the equivalent form
    ``std * sqrt(1 - count * eps) <= count * eps * |mean|``, which squares
    nothing, so that it holds at any scale.

    Parameters
    ----------
    std, mean, count : array-like of shape (n_features,)
        Standard deviation, mean and number of the values of each feature.

    Returns
    -------
    rounding : ndarray of bool, shape (n_features,)

    Examples
    --------
    >>> from skgain._data import spread_is_rounding
    >>> spread_is_rounding([2.8e-17, 1e-4], [0.3, 0.3], [4, 4])
    array([ True, False])
    """
    std, mean, count = (np.asarray(a, dtype=np.float64) for a in (std, mean, count))
    relative_rounding = count * np.finfo(np.float64).eps
    return std * np.sqrt(np.maximum(1 - relative_rounding, 0)) <= (
        relative_rounding * np.abs(mean)
    )


def _as_tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor on the memory of ``array``; read-only arrays are only read.

    An array with a negative stride (``X[::-1]``), which a tensor cannot
    view, is copied; the callers pass blocks of rows, so one block at a time.
    """
    if any(stride < 0 for stride in array.strides):
        array = array.copy()
    # torch.from_numpy warns on a read-only array, as the tensor could write
    # to it; these passes only read their input.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")
        return torch.from_numpy(array)


def _blocks(values: np.ndarray, observed: np.ndarray):
    """Blocks of ``SCALING_ROWS`` rows: the values with 0 at the gaps, the gaps.

    Both come as tensors of the values' dtype, the gaps as 1.0 and the rest
    0.0; whatever a gap holds (NaN, a sentinel, infinity) becomes 0.
    """
    for rows in gen_batches(values.shape[0], SCALING_ROWS):
        block = _as_tensor(values[rows])
        hidden = torch.from_numpy(~observed[rows]).to(block.dtype)
        # nan_to_num makes every entry finite, so that the product is 0 at gaps.
        kept = torch.nan_to_num(block, nan=0.0)
        kept.addcmul_(kept, hidden, value=-1)
        yield kept, hidden
