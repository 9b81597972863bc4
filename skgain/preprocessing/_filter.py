# SPDX-License-Identifier: BSD-3-Clause
"""Gene selection by expression level, overall or in every group of samples."""

from numbers import Real

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted

from skgain._compat import Interval, _fit_context
from skgain.preprocessing._columns import (
    COLUMNS_CONSTRAINT,
    GROUPS_CONSTRAINT,
    group_codes,
    validate_expression,
)


class ExpressionFilter(SelectorMixin, BaseEstimator):
    """Keep the genes expressed in enough samples of every group.

    A gene (column) is kept when, in every group of samples (such as every
    tissue), its value is at least ``min_expression`` in at least
    ``min_fraction`` of the samples where it is observed. With groups it
    keeps the genes expressed in every tissue, like the 12,557 genes present
    in all 49 tissues that GAIN-GTEx imputes. Without groups, the defaults
    give the TPM criterion of GTEx's eQTL gene filter (TPM >= 0.1 in at least
    20% of the samples; GTEx also asks for at least 6 reads, which a second
    filter fitted on the read counts can add).

    The filter is a column selector: :meth:`transform` drops the genes that
    fail, and :meth:`get_feature_names_out` and :meth:`get_support` tell
    which columns remain. Covariate columns and the group column are always
    kept. Missing values (NaN) are allowed and pass through.

    Parameters
    ----------
    min_expression : float, default=0.1
        Expression level a value must reach, on the scale of ``X`` (0.1 suits
        TPM; GTEx uses 6 for read counts). Compared in the dtype of the
        data: on float32 data, with its float32 value.

    min_fraction : float, default=0.2
        Fraction of a group's observed values of a gene that must reach
        ``min_expression``, between 0 and 1. A gene not observed at all in
        some group fails.

    groups : str or int, default=None
        Column of ``X`` holding each sample's group (such as the tissue), by
        name (DataFrame input) or position; it is passed through unchanged.
        Keeping the groups inside ``X`` lets the filter sit in a
        :class:`~sklearn.pipeline.Pipeline` before an imputer that uses the
        same column as a covariate. ``None`` treats all samples as one
        group.

    covariates : str, int or array-like of str or int, default=None
        Further columns kept unchanged (such as sex or age), by name or
        position. Every column that is neither a covariate nor the group
        column is a gene and must be numeric.

    Attributes
    ----------
    groups_ : ndarray of shape (n_groups,)
        Group labels seen during :term:`fit`, sorted; ``[None]`` when
        ``groups`` is None.

    expressed_fraction_ : ndarray of shape (n_groups, `n_features_in_`)
        For each group and column, the fraction of observed values at or
        above ``min_expression``; NaN for the covariate and group columns
        and where a gene has no observed value in the group.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.feature_selection.VarianceThreshold : Drop features by variance.
    skgain.preprocessing.LogTransformer : Log-transform the kept genes.

    Notes
    -----
    A gene passes in a group when ``expressed / observed >= min_fraction``,
    the rule of GTEx's eQTL pipeline (which writes it ``expressed >=
    min_fraction * n``); computing the fraction avoids rounding errors such
    as ``0.3 * 10 > 3``.

    ``inverse_transform`` is the one of every scikit-learn feature selector:
    it puts the kept columns back in place and fills the removed ones with
    zeros. The removed genes' values are discarded, so no transform can
    restore them; an imputer's output covers the kept genes only.

    Examples
    --------
    >>> import pandas as pd
    >>> from skgain.preprocessing import ExpressionFilter
    >>> table = pd.DataFrame({
    ...     "tissue": ["Lung", "Lung", "Liver", "Liver"],
    ...     "ALB": [0.0, 0.0, 900.0, 850.0],
    ...     "SFTPC": [700.0, 500.0, 0.0, 0.0],
    ...     "ACTB": [50.0, 60.0, 40.0, 55.0],
    ... })
    >>> expressed = ExpressionFilter(min_expression=1.0, min_fraction=0.5,
    ...                              groups="tissue").fit(table)
    >>> expressed.get_feature_names_out()
    array(['tissue', 'ACTB'], dtype=object)
    >>> expressed.expressed_fraction_
    array([[nan,  1.,  0.,  1.],
           [nan,  0.,  1.,  1.]])
    >>> expressed.groups_
    array(['Liver', 'Lung'], dtype=object)

    Without groups, ALB and SFTPC are expressed in half of all samples:

    >>> ExpressionFilter(min_expression=1.0, min_fraction=0.5,
    ...                  covariates="tissue").fit(table).get_feature_names_out()
    array(['tissue', 'ALB', 'SFTPC', 'ACTB'], dtype=object)
    """

    _parameter_constraints: dict = {
        # Unbounded, but not NaN, which no value would reach.
        "min_expression": [Interval(Real, None, None, closed="both")],
        "min_fraction": [Interval(Real, 0, 1, closed="both")],
        "groups": GROUPS_CONSTRAINT,
        "covariates": COLUMNS_CONSTRAINT,
    }

    def __init__(
        self, *, min_expression=0.1, min_fraction=0.2, groups=None, covariates=None
    ):
        self.min_expression = min_expression
        self.min_fraction = min_fraction
        self.groups = groups
        self.covariates = covariates

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: npt.ArrayLike, y: object = None) -> "ExpressionFilter":
        """Find the genes expressed in every group of ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Expression values, with the group and covariate columns.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted filter.
        """
        X, values = validate_expression(self, X, reset=True)
        codes, self.groups_ = group_codes(self, X)
        fraction = np.full((len(self.groups_), self.n_features_in_), np.nan)
        # The threshold in the data's own dtype, whatever its Python type: a
        # float32 table holding 0.7 reaches min_expression=0.7 whether that
        # is a float or an np.float64 (which would compare in float64).
        threshold = np.asarray(self.min_expression, dtype=values.dtype)
        for code in range(len(self.groups_)):
            block = values[codes == code]
            observed = np.count_nonzero(~np.isnan(block), axis=0)
            expressed = np.count_nonzero(block >= threshold, axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                fraction[code, self._expression] = expressed / observed
        self.expressed_fraction_ = fraction
        with np.errstate(invalid="ignore"):
            passes = fraction[:, self._expression] >= self.min_fraction
        self._support = np.ones(self.n_features_in_, dtype=bool)
        self._support[self._expression] = passes.all(axis=0)
        return self

    def transform(self, X: npt.ArrayLike) -> np.ndarray | pd.DataFrame:
        """Drop the genes that are not expressed in every group.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data with the columns seen in :meth:`fit`.

        Returns
        -------
        X_kept : {ndarray, DataFrame} of shape (n_samples, n_kept)
            The kept columns, in input order. With pandas output, covariate
            columns keep their dtypes; otherwise the array is of dtype object
            when a kept column is not numeric.
        """
        check_is_fitted(self)
        return super().transform(X)

    def _get_support_mask(self):
        check_is_fitted(self)
        return self._support

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
