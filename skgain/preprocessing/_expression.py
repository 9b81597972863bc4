# SPDX-License-Identifier: BSD-3-Clause
"""Value transforms for expression data: log and per-group inverse normal."""

from numbers import Real

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm, rankdata
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skgain._compat import Interval, StrOptions, _fit_context
from skgain.preprocessing._columns import (
    COLUMNS_CONSTRAINT,
    GROUPS_CONSTRAINT,
    assemble,
    estimator_column_label,
    group_codes,
    validate_expression,
)

# Exact logarithms for the usual bases (log(x) / log(base) is off by an ulp).
_LOGS = {2: np.log2, 10: np.log10}

# Offset c of the rank-based inverse normal transform
# Phi^-1((r - c) / (n - 2c + 1)), by name (Beasley et al., 2009).
_RANK_OFFSETS = {"blom": 3 / 8, "tukey": 1 / 3, "rankit": 1 / 2, "van_der_waerden": 0.0}


class LogTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Log-transform expression values: ``log_base(x + pseudocount)``.

    Counts, TPM and FPKM are heavily right-skewed; on the log scale a fold
    change is a difference, which suits imputation models trained with a
    squared error. Missing values (NaN) stay missing.

    Parameters
    ----------
    base : float, default=2
        Base of the logarithm, greater than 1. Use ``numpy.e`` for the
        natural logarithm.

    pseudocount : float, default=1.0
        Added before taking the logarithm so that zeros stay finite. Every
        value must be greater than ``-pseudocount``.

    covariates : str, int or array-like of str or int, default=None
        Columns of ``X`` holding sample covariates (such as tissue or age),
        by name (DataFrame input) or position. They are passed through
        unchanged, so a table with genes and covariates can go through a
        :class:`~sklearn.pipeline.Pipeline` to :class:`~skgain.GAINImputer`
        whole. Every other column is a gene and must be numeric.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.FunctionTransformer : Apply any function, such as
        ``numpy.log1p``, without the covariate handling.
    GroupInverseNormalTransformer : Map each gene to normal scores within
        groups.

    Notes
    -----
    The output dtype follows the input: float32 stays float32, anything else
    becomes float64. :meth:`inverse_transform` computes
    ``base ** y - pseudocount``, which recovers the input up to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgain.preprocessing import LogTransformer
    >>> X = np.array([[0.0, 3.0], [7.0, np.nan]])
    >>> log = LogTransformer().fit(X)
    >>> log.transform(X)
    array([[ 0.,  2.],
           [ 3., nan]])
    >>> log.inverse_transform(log.transform(X))
    array([[ 0.,  3.],
           [ 7., nan]])

    Covariate columns are passed through:

    >>> table = pd.DataFrame({"tissue": ["Lung", "Liver"], "TP53": [3.0, 15.0]})
    >>> log = LogTransformer(covariates="tissue").set_output(transform="pandas")
    >>> log.fit_transform(table)
      tissue  TP53
    0   Lung   2.0
    1  Liver   4.0
    """

    _parameter_constraints: dict = {
        "base": [Interval(Real, 1, None, closed="neither")],
        "pseudocount": [Interval(Real, 0, None, closed="left")],
        "covariates": COLUMNS_CONSTRAINT,
    }

    def __init__(self, *, base=2, pseudocount=1.0, covariates=None):
        self.base = base
        self.pseudocount = pseudocount
        self.covariates = covariates

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: npt.ArrayLike, y: object = None) -> "LogTransformer":
        """Check ``X`` and record its columns.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Expression values (and covariate columns), with NaN for missing
            values.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        _, values = validate_expression(self, X, reset=True)
        self._check_domain(values)
        return self

    def transform(self, X: npt.ArrayLike) -> np.ndarray | pd.DataFrame:
        """Log-transform the gene columns of ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Expression values, with the columns seen in :meth:`fit`.

        Returns
        -------
        X_log : {ndarray, DataFrame} of shape (n_samples, n_features)
            ``log_base(X + pseudocount)`` in the gene columns; covariates
            unchanged.
        """
        check_is_fitted(self)
        X, values = validate_expression(self, X, reset=False)
        self._check_domain(values)
        # In the data's dtype: an np.float64 pseudocount would make float32
        # data float64.
        logged = values + values.dtype.type(self.pseudocount)
        if self.base in _LOGS:
            _LOGS[self.base](logged, out=logged)
        else:
            np.log(logged, out=logged)
            logged /= np.log(self.base)
        return assemble(self, X, logged)

    def inverse_transform(self, X: npt.ArrayLike) -> np.ndarray | pd.DataFrame:
        """Undo the transform: ``base ** X - pseudocount`` in the gene columns.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Log-transformed values, such as the output of :meth:`transform`
            or imputed values on that scale.

        Returns
        -------
        X_original : {ndarray, DataFrame} of shape (n_samples, n_features)
            Values on the original scale; covariates unchanged.
        """
        check_is_fitted(self)
        X, values = validate_expression(self, X, reset=False)
        if self.base == 2:
            original = np.exp2(values)
        else:
            original = np.power(float(self.base), values).astype(
                values.dtype, copy=False
            )
        original -= original.dtype.type(self.pseudocount)
        # A DataFrame under set_output(transform="pandas"), with or without
        # covariates, as transform gives.
        return assemble(self, X, original, wrap=True)

    def _check_domain(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        # fmin skips NaN without the warning nanmin gives for all-NaN columns.
        lowest = np.fmin.reduce(values, axis=0)
        # In the dtype the transform adds the pseudocount in.
        bad = np.flatnonzero(lowest <= -values.dtype.type(self.pseudocount))
        if bad.size == 0:
            return
        j = bad[0]
        label = estimator_column_label(self, self._expression[j])
        if lowest[j] < 0:
            raise ValueError(
                f"Negative values in data passed to LogTransformer: column {label} "
                f"has {float(lowest[j])!r}, but X + pseudocount must be positive "
                f"(pseudocount={self.pseudocount!r}); {bad.size} column(s) are "
                "affected. Log-transform counts or TPM, not values that are "
                "already on a log scale."
            )
        advice = "use a positive pseudocount"
        if self.pseudocount > 0:
            advice = (
                f"pseudocount={self.pseudocount!r} rounds to 0 in {values.dtype}; "
                f"use at least {float(np.finfo(values.dtype).smallest_subnormal):g}, "
                "or float64 data"
            )
        raise ValueError(
            f"Column {label} holds {float(lowest[j])!r}, and X + pseudocount is 0 "
            f"(pseudocount={self.pseudocount!r}), whose log is -inf; {advice}."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class GroupInverseNormalTransformer(
    OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Rank-based inverse normal transform of each gene within each group.

    Within each group of samples (such as a tissue) and for each gene, the
    observed values are ranked (ties get their average rank) and rank ``r``
    of ``n`` becomes the normal score ``norm.ppf((r - c) / (n - 2c + 1))``.
    Whatever its distribution, each gene then looks standard normal within
    each group, as in GTEx's eQTL pipeline, which normalises every gene
    within every tissue this way. Missing values (NaN) are not ranked and
    stay missing; ``n`` counts the observed values only.

    The transform is stateless: :meth:`fit` only records the columns, and
    :meth:`transform` ranks within the data it is given. A sample's output
    therefore depends on the other samples of its group in the same call;
    transform whole groups, not single samples.

    Parameters
    ----------
    groups : str or int, default=None
        Column of ``X`` holding each sample's group (such as the tissue), by
        name (DataFrame input) or position. The column is passed through
        unchanged. Keeping the groups inside ``X``, rather than passing them
        as a separate argument, lets the transformer sit in a
        :class:`~sklearn.pipeline.Pipeline` before an imputer that uses the
        same column as a covariate. ``None`` treats all samples as one group.

    method : {"blom", "rankit", "tukey", "van_der_waerden"}, default="blom"
        The offset ``c``: Blom's ``3/8`` (``(r - 3/8) / (n + 1/4)``), rankit
        ``1/2`` (``(r - 1/2) / n``), Tukey's ``1/3``, or van der Waerden's
        ``0`` (``r / (n + 1)``, the choice of GTEx's eQTL pipeline).

    covariates : str, int or array-like of str or int, default=None
        Further columns passed through unchanged (such as sex or age), by
        name or position. Every column that is neither a covariate nor the
        group column is a gene and must be numeric.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.QuantileTransformer : Learns the map to normal
        scores during fit, for all samples at once, and can invert it.
    LogTransformer : Log-transform expression values.

    Notes
    -----
    There is no ``inverse_transform``: only ranks survive the transform, so
    the original values cannot be recovered from the output, and the map
    from values to scores depends on the group's data in each call.

    A group with a single observed value of a gene maps it to 0. The output
    dtype follows the input: float32 stays float32, anything else becomes
    float64.

    References
    ----------
    .. [1] T. M. Beasley, S. Erickson and D. B. Allison, "Rank-based inverse
       normal transformations are increasingly used, but are they merited?",
       Behavior Genetics 39(5), pp. 580-595, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgain.preprocessing import GroupInverseNormalTransformer
    >>> table = pd.DataFrame({
    ...     "tissue": ["Lung", "Lung", "Lung", "Liver", "Liver"],
    ...     "TP53": [10.0, 30.0, 20.0, 5.0, np.nan],
    ... })
    >>> rint = GroupInverseNormalTransformer(groups="tissue", method="rankit")
    >>> rint.set_output(transform="pandas").fit_transform(table).round(4)
      tissue    TP53
    0   Lung -0.9674
    1   Lung  0.9674
    2   Lung  0.0000
    3  Liver  0.0000
    4  Liver     NaN
    """

    _parameter_constraints: dict = {
        "groups": GROUPS_CONSTRAINT,
        "method": [StrOptions(set(_RANK_OFFSETS))],
        "covariates": COLUMNS_CONSTRAINT,
    }

    def __init__(self, *, groups=None, method="blom", covariates=None):
        self.groups = groups
        self.method = method
        self.covariates = covariates

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: npt.ArrayLike, y: object = None
    ) -> "GroupInverseNormalTransformer":
        """Check ``X`` and record its columns; nothing is learned.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Expression values, with the group and covariate columns.

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X, _ = validate_expression(self, X, reset=True)
        group_codes(self, X)
        return self

    def transform(self, X: npt.ArrayLike) -> np.ndarray | pd.DataFrame:
        """Map each gene to normal scores within each group of ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Expression values, with the columns seen in :meth:`fit`. Groups
            need not be those seen in :meth:`fit`.

        Returns
        -------
        X_normal : {ndarray, DataFrame} of shape (n_samples, n_features)
            Normal scores in the gene columns; the group and covariate
            columns unchanged.
        """
        check_is_fitted(self)
        X, values = validate_expression(self, X, reset=False)
        codes, labels = group_codes(self, X)
        offset = _RANK_OFFSETS[self.method]
        scores = np.empty_like(values)
        for code in range(len(labels)):
            rows = codes == code
            scores[rows] = _normal_scores(values[rows], offset)
        return assemble(self, X, scores)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _normal_scores(block: np.ndarray, offset: float) -> np.ndarray:
    """Column-wise rank-based inverse normal transform, ignoring NaN."""
    if block.size == 0:
        return block.copy()
    ranks = rankdata(block, axis=0, nan_policy="omit")
    n_observed = np.count_nonzero(~np.isnan(block), axis=0)
    return norm.ppf((ranks - offset) / (n_observed - 2 * offset + 1))
