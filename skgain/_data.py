# SPDX-License-Identifier: BSD-3-Clause
"""Per-feature standardisation of expression values with gaps.

The networks see each feature centred and scaled by the mean and standard
deviation of its observed entries, with missing entries set to zero. The work
goes in blocks of rows so that a wide float32 matrix is never copied whole
into float64.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import gen_batches

# Rows per block when streaming over a matrix; large enough to amortise the
# per-block overhead, small enough that a float64 block of 12k genes stays
# around 100 MB.
ROW_BLOCK = 1024


@dataclass(frozen=True)
class FeatureScaler:
    """Mean and standard deviation of each feature over its observed entries.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
        Mean of the observed entries (0 for a feature with none).
    scale : ndarray of shape (n_features,)
        Standard deviation of the observed entries; 1 where it is 0 or undefined,
        so that constant features map to 0 rather than to NaN.
    constant_value : ndarray of shape (n_features,)
        The value of each feature whose observed entries are all equal, NaN for
        the other features and for features with no observed entry.
    """

    mean: np.ndarray
    scale: np.ndarray
    constant_value: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray, observed: np.ndarray) -> "FeatureScaler":
        """Estimate the statistics from ``values`` where ``observed`` is True."""
        n_features = values.shape[1]
        total = np.zeros(n_features)
        count = np.zeros(n_features)
        low = np.full(n_features, np.inf)
        high = np.full(n_features, -np.inf)
        for rows in gen_batches(values.shape[0], ROW_BLOCK):
            block = np.where(observed[rows], values[rows], 0.0).astype(np.float64)
            total += block.sum(axis=0)
            count += observed[rows].sum(axis=0)
            low = np.minimum(low, np.where(observed[rows], values[rows], np.inf).min(0))
            high = np.maximum(
                high, np.where(observed[rows], values[rows], -np.inf).max(0)
            )
        mean = np.divide(total, count, out=np.zeros(n_features), where=count > 0)
        squares = np.zeros(n_features)
        for rows in gen_batches(values.shape[0], ROW_BLOCK):
            deviation = np.where(observed[rows], values[rows] - mean, 0.0)
            squares += np.square(deviation, dtype=np.float64).sum(axis=0)
        variance = np.divide(squares, count, out=np.zeros(n_features), where=count > 0)
        scale = np.sqrt(variance)
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
            bad = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
            raise ValueError(
                f"The mean or variance of feature(s) at position {bad[:10].tolist()} "
                "overflows; rescale the input (values this large are not "
                "expression levels)."
            )
        # Compared exactly: rounding in the variance would hide a constant.
        constant_value = np.where((count > 0) & (low == high), low, np.nan)
        return cls(mean, np.where(scale > 0, scale, 1.0), constant_value)

    def transform(
        self, values: np.ndarray, observed: np.ndarray, missing_value: float = 0.0
    ) -> np.ndarray:
        """Standardised float32 copy of ``values``.

        Missing entries are set to ``missing_value``: 0, the networks' input,
        or NaN, which keeps the gaps readable from the copy itself so that no
        separate mask need be kept alongside it.
        """
        out = np.empty(values.shape, dtype=np.float32)
        for rows in gen_batches(values.shape[0], ROW_BLOCK):
            standardised = (values[rows] - self.mean) / self.scale
            out[rows] = np.where(observed[rows], standardised, missing_value)
        return out
