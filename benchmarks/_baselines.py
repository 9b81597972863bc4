# SPDX-License-Identifier: BSD-3-Clause
"""Baseline imputers of the GAIN-GTEx paper that scikit-learn does not provide.

- :class:`GroupMedianImputer`: the paper's "median imputation", the median of
  the training samples of the same tissue.
- :class:`SurrogateTissueImputer`: the paper's "blood surrogate", a sample's
  gaps filled with the same donor's measured profile in a reference tissue.
- :class:`TransductiveImputer`: runs an imputer on the training rows and the
  rows to impute together, the way MICE and MissForest complete one table.
- :class:`PointBayesianRidge`: scikit-learn's ``BayesianRidge`` without the
  posterior covariance that point predictions do not use, so that MICE fits
  in memory on a wide table.
- :class:`GramBayesianRidge`: the same point predictions, fitted from the
  samples' Gram matrix instead of a full SVD when there are fewer samples
  than features, for IterativeImputer's R^2 over many rounds in less time.
- :func:`imputation_rounds`: the imputation after each round of a fitted
  ``IterativeImputer``, from one fit, for its R^2 round by round.

The imputers take a DataFrame whose feature columns are numeric and whose
covariate columns (tissue, donor) are named in the constructor, and return the
feature columns only, imputed, as a float64 array in input order.
"""

from collections.abc import Iterator
from copy import copy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.linear_model import BayesianRidge
from sklearn.utils.validation import check_is_fitted, validate_data


def _check_frame(X, required: list[str], name: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{name} needs a pandas DataFrame with the column(s) {required}; "
            f"got {type(X).__name__}."
        )
    absent = [column for column in required if column not in X.columns]
    if absent:
        raise ValueError(f"{name}: X has no column(s) {absent}.")
    return X


class GroupMedianImputer(TransformerMixin, BaseEstimator):
    """Impute each feature with its median over the training rows of the group.

    With ``group_column="tissue"`` this is the "median imputation" baseline of
    the GAIN-GTEx paper: a missing expression value is replaced by the median
    of that gene over the training samples of the same tissue.

    Parameters
    ----------
    group_column : str, default="tissue"
        Column of ``X`` holding each row's group.

    ignore_columns : list of str, default=()
        Other non-feature columns of ``X`` (such as a donor id) to leave out.

    Attributes
    ----------
    statistics_ : DataFrame of shape (n_groups, n_features)
        Median of each feature in each training group (NaN where the group
        has no observed value of the feature).

    fallback_ : ndarray of shape (n_features,)
        Median of each feature over all training rows, used for a group not
        seen in ``fit`` or a feature with no observed value in the group; 0
        for a feature never observed.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Columns seen in ``fit``.

    n_features_in_ : int
        Number of columns seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from benchmarks._baselines import GroupMedianImputer
    >>> train = pd.DataFrame({"g": [1.0, 3.0, 10.0, 30.0],
    ...                       "tissue": ["a", "a", "b", "b"]})
    >>> test = pd.DataFrame({"g": [np.nan, np.nan], "tissue": ["b", "a"]})
    >>> GroupMedianImputer().fit(train).transform(test)
    array([[20.],
           [ 2.]])
    """

    def __init__(self, group_column: str = "tissue", ignore_columns=()):
        self.group_column = group_column
        self.ignore_columns = ignore_columns

    def _features(self, X: pd.DataFrame) -> list:
        skipped = {self.group_column, *self.ignore_columns}
        return [column for column in X.columns if column not in skipped]

    def fit(self, X, y=None):
        """Compute the per-group medians of the training rows.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features_in)
            Numeric feature columns plus ``group_column``.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted imputer.
        """
        X = _check_frame(X, [self.group_column], type(self).__name__)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self._feature_columns = self._features(X)
        values = X[self._feature_columns].astype(np.float64)
        self.statistics_ = values.groupby(
            X[self.group_column].to_numpy(), sort=True
        ).median()
        with np.errstate(all="ignore"):
            overall = values.median(skipna=True).to_numpy()
        self.fallback_ = np.where(np.isnan(overall), 0.0, overall)
        return self

    def medians_for(self, groups) -> np.ndarray:
        """Medians of the groups of the given rows, with the overall fallback.

        Parameters
        ----------
        groups : array-like of shape (n_rows,)
            Group label of each row.

        Returns
        -------
        medians : ndarray of shape (n_rows, n_features)
            Each row's group medians.
        """
        check_is_fitted(self)
        table = self.statistics_.reindex(pd.Index(np.asarray(groups)))
        medians = table.to_numpy(dtype=np.float64, copy=True)
        return np.where(np.isnan(medians), self.fallback_, medians)

    def transform(self, X):
        """Fill each missing entry with its group's training median.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features_in)
            The columns seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            The feature columns (``X`` without ``group_column`` and
            ``ignore_columns``), imputed.
        """
        check_is_fitted(self)
        X = _check_frame(X, [self.group_column], type(self).__name__)
        values = X[self._feature_columns].to_numpy(dtype=np.float64, copy=True)
        missing = np.isnan(values)
        medians = self.medians_for(X[self.group_column])
        values[missing] = medians[missing]
        return values


class SurrogateTissueImputer(TransformerMixin, BaseEstimator):
    """Impute a sample from the same donor's sample of a reference tissue.

    The "blood surrogate" baseline of the GAIN-GTEx paper: a gene missing from
    a donor's sample of tissue T takes the value measured for that gene in the
    same donor's sample of the reference tissue (whole blood in the paper).
    Only the values visible in the table given to ``transform`` are used, so
    a gene that is missing from the reference sample too, a donor without a
    reference sample, and the reference tissue's own samples fall back to the
    per-tissue median of :class:`GroupMedianImputer`. A donor with several
    reference samples contributes their mean.

    Parameters
    ----------
    tissue_column : str, default="tissue"
        Column holding each sample's tissue.

    donor_column : str, default="donor"
        Column holding each sample's donor id.

    reference_tissue : str, default=None
        The surrogate tissue. ``None`` takes the tissue with the most
        training samples, which plays the part whole blood, the most sampled
        GTEx tissue, plays in the paper.

    Attributes
    ----------
    reference_tissue_ : object
        The surrogate tissue used.

    medians_ : GroupMedianImputer
        The fitted per-tissue median fallback.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Columns seen in ``fit``.

    n_features_in_ : int
        Number of columns seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from benchmarks._baselines import SurrogateTissueImputer
    >>> train = pd.DataFrame({"g": [1.0, 2.0, 3.0], "tissue": ["blood"] * 2 + ["lung"],
    ...                       "donor": ["d1", "d2", "d1"]})
    >>> test = pd.DataFrame({"g": [7.0, np.nan, np.nan],
    ...                      "tissue": ["blood", "lung", "lung"],
    ...                      "donor": ["d3", "d3", "d4"]})
    >>> SurrogateTissueImputer().fit(train).transform(test)
    array([[7.],
           [7.],
           [3.]])
    """

    def __init__(
        self,
        tissue_column: str = "tissue",
        donor_column: str = "donor",
        reference_tissue=None,
    ):
        self.tissue_column = tissue_column
        self.donor_column = donor_column
        self.reference_tissue = reference_tissue

    def fit(self, X, y=None):
        """Choose the reference tissue and fit the per-tissue median fallback.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features_in)
            Numeric feature columns plus the tissue and donor columns.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted imputer.
        """
        required = [self.tissue_column, self.donor_column]
        X = _check_frame(X, required, type(self).__name__)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.medians_ = GroupMedianImputer(
            self.tissue_column, ignore_columns=[self.donor_column]
        ).fit(X)
        if self.reference_tissue is None:
            counts = X[self.tissue_column].value_counts(sort=False)
            # Ties go to the first label in sorted order, for determinism.
            counts = counts.sort_index(kind="stable")
            self.reference_tissue_ = counts.index[int(np.argmax(counts.to_numpy()))]
        else:
            self.reference_tissue_ = self.reference_tissue
        return self

    def transform(self, X):
        """Fill gaps from the donor's reference sample, else the tissue median.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features_in)
            The columns seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            The feature columns (``X`` without the tissue and donor columns),
            imputed.
        """
        check_is_fitted(self)
        required = [self.tissue_column, self.donor_column]
        X = _check_frame(X, required, type(self).__name__)
        columns = self.medians_._feature_columns
        values = X[columns].to_numpy(dtype=np.float64, copy=True)
        tissue = X[self.tissue_column].to_numpy()
        donor = X[self.donor_column].to_numpy()

        is_reference = tissue == self.reference_tissue_
        reference = (
            pd.DataFrame(values[is_reference], columns=columns)
            .groupby(donor[is_reference], sort=False)
            .mean()
        )
        surrogate = reference.reindex(pd.Index(donor)).to_numpy(
            dtype=np.float64, copy=True
        )
        # A reference sample is not its own surrogate.
        surrogate[is_reference] = np.nan

        missing = np.isnan(values)
        values[missing] = surrogate[missing]
        still_missing = np.isnan(values)
        if still_missing.any():
            medians = self.medians_.medians_for(tissue)
            values[still_missing] = medians[still_missing]
        return values


class TransductiveImputer(TransformerMixin, BaseEstimator):
    """Run an imputer on the training rows and the rows to impute, together.

    MICE and MissForest complete one table: they iterate regressions of each
    feature on the others over all of its rows. Fitted on complete training
    rows, scikit-learn's :class:`~sklearn.impute.IterativeImputer` has
    nothing to iterate on (it stops after one round) and then imputes new
    rows with a single pass started from the column means. Stacking the
    training rows on top of the rows to impute and running the imputer on the
    whole table is how these methods are used in practice and gives them
    their best chance; all of the work then happens in ``transform``. Rows
    identical to the training rows (gaps included) are imputed alone, not
    stacked on themselves.

    Parameters
    ----------
    estimator : estimator object
        An imputer with ``fit_transform``, cloned on every ``transform``.

    Attributes
    ----------
    X_fit_ : ndarray of shape (n_samples, n_features)
        The training rows.

    n_features_in_ : int
        Number of columns seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import SimpleImputer
    >>> from benchmarks._baselines import TransductiveImputer
    >>> imputer = TransductiveImputer(SimpleImputer()).fit([[1.0], [3.0]])
    >>> imputer.transform([[np.nan], [5.0]])
    array([[3.],
           [5.]])
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y=None):
        """Store the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows, possibly with missing values.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted imputer.
        """
        self.X_fit_ = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = self.X_fit_.shape[1]
        return self

    def transform(self, X):
        """Impute ``X`` by running the imputer on the training rows and ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to impute.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            The rows of ``X``, imputed.
        """
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float64)
        if X.shape == self.X_fit_.shape and np.array_equal(
            X, self.X_fit_, equal_nan=True
        ):
            # Imputing the training rows themselves (the in-sample protocol):
            # stacking them twice would duplicate every row.
            return np.asarray(clone(self.estimator).fit_transform(X))
        stacked = np.vstack([self.X_fit_, X])
        completed = clone(self.estimator).fit_transform(stacked)
        return np.asarray(completed)[len(self.X_fit_) :]


class PointBayesianRidge(BayesianRidge):
    """``BayesianRidge`` that drops its posterior covariance after ``fit``.

    ``IterativeImputer`` keeps every gene model it fits, and each
    ``BayesianRidge`` holds ``sigma_``, n_features^2 float64 values: 32 MB
    per model and 64 GB per round of 2,000 genes. Its point predictions
    (``predict`` without ``return_std``, all that ``IterativeImputer`` calls
    unless ``sample_posterior=True``) use only the coefficients and the
    intercept, so they are unchanged. The fit itself, ``sigma_`` included, is
    the parent's, and takes as long.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from benchmarks._baselines import PointBayesianRidge
    >>> X, y = np.arange(12.0).reshape(6, 2) ** 0.5, np.arange(6.0)
    >>> point = PointBayesianRidge().fit(X, y)
    >>> hasattr(point, "sigma_")
    False
    >>> bool(np.allclose(point.predict(X), BayesianRidge().fit(X, y).predict(X)))
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Fit as ``BayesianRidge`` does, then drop ``sigma_``."""
        super().fit(X, y, sample_weight=sample_weight)
        del self.sigma_
        return self

    def predict(self, X, return_std=False):
        """Predictive mean; ``return_std=True`` needs the dropped covariance."""
        if return_std:
            raise ValueError(
                "PointBayesianRidge keeps no posterior covariance, so it cannot "
                "return standard deviations; use BayesianRidge for return_std=True "
                "(IterativeImputer's sample_posterior=True)."
            )
        return super().predict(X)


class GramBayesianRidge(PointBayesianRidge):
    """``BayesianRidge``'s point predictions, fitted from the samples' Gram matrix.

    With fewer samples than features (a gene model of IterativeImputer on a
    table wider than it is long), scikit-learn's ``BayesianRidge.fit`` takes
    the full SVD of the centred predictors, whose n_features x n_features
    right factor, and the posterior covariance built from it, the point
    predictions never use: 0.77 s per gene model on 500 x 1,999 where the
    rest takes 0.05 s. This class runs the same evidence maximisation
    (MacKay's updates of ``alpha_`` and ``lambda_`` from the same start,
    hyperpriors, ``tol`` and ``max_iter``) on the eigendecomposition of
    ``X @ X.T`` instead: the posterior mean is
    ``X.T @ U @ diag(1 / (s + lambda_ / alpha_)) @ U.T @ y`` for the
    eigenpairs ``(s, U)``, the form ``BayesianRidge`` itself uses in this
    case. Its predictions equal ``BayesianRidge``'s up to rounding (a test
    checks them), not bit for bit, and its times are not ``BayesianRidge``'s:
    use it for R^2, not for timings. With at least as many samples as
    features it is :class:`PointBayesianRidge`. Sample weights are not
    supported; IterativeImputer passes none.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from benchmarks._baselines import GramBayesianRidge
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 50)), rng.normal(size=20)
    >>> gram = GramBayesianRidge().fit(X, y)
    >>> bool(np.allclose(gram.predict(X), BayesianRidge().fit(X, y).predict(X)))
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the posterior mean; see the class description."""
        if sample_weight is not None:
            raise ValueError("GramBayesianRidge does not support sample_weight.")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        n_samples, n_features = X.shape
        if n_samples >= n_features:
            return super().fit(X, y)
        if self.fit_intercept:
            X_offset, y_offset = X.mean(axis=0), y.mean()
        else:
            X_offset, y_offset = np.zeros(n_features), 0.0
        centred, target = X - X_offset, y - y_offset
        eigenvalues, U = np.linalg.eigh(centred @ centred.T)
        # Rounding can leave the zero eigenvalues of a centred Gram matrix
        # slightly negative; the SVD's squared singular values are not.
        eigenvalues = np.clip(eigenvalues, 0.0, None)
        projected = U.T @ target
        alpha = (
            1.0 / (y.var() + np.finfo(np.float64).eps)
            if self.alpha_init is None
            else self.alpha_init
        )
        lambda_ = 1.0 if self.lambda_init is None else self.lambda_init

        def posterior_mean(alpha, lambda_):
            coef = centred.T @ (U @ (projected / (eigenvalues + lambda_ / alpha)))
            return coef, np.sum((target - centred @ coef) ** 2)

        coef = None
        for n_iter in range(1, self.max_iter + 1):
            self.n_iter_, previous = n_iter, coef
            coef, sse = posterior_mean(alpha, lambda_)
            gamma = np.sum(alpha * eigenvalues / (lambda_ + alpha * eigenvalues))
            squared_norm = np.sum(coef**2)
            lambda_ = (gamma + 2 * self.lambda_1) / (squared_norm + 2 * self.lambda_2)
            alpha = (n_samples - gamma + 2 * self.alpha_1) / (sse + 2 * self.alpha_2)
            if previous is not None and np.sum(np.abs(previous - coef)) < self.tol:
                break
        self.alpha_, self.lambda_ = alpha, lambda_
        self.coef_, _ = posterior_mean(alpha, lambda_)
        # Point predictions need only coef_ and intercept_ (BayesianRidge's
        # X_offset_ and X_scale_ serve return_std, which this class refuses).
        self.intercept_ = y_offset - X_offset @ self.coef_
        return self


def imputation_rounds(imputer, X) -> Iterator[np.ndarray]:
    """Yield ``imputer``'s imputation of ``X`` after each of its fitted rounds.

    ``IterativeImputer.transform`` replays the gene models that ``fit`` kept,
    round after round, from the same starting fill. Replaying only the models
    of the first ``k`` rounds therefore gives what ``max_iter=k`` would have
    returned (without ``sample_posterior``, whose draws differ), so one
    fit of ``max_iter=n`` rounds gives the imputation after each of them
    without fitting anything again.

    Parameters
    ----------
    imputer : IterativeImputer
        Fitted, with ``sample_posterior=False``.
    X : array-like of shape (n_samples, n_features)
        Rows to impute; the training rows give the in-sample imputations.

    Yields
    ------
    X_imputed : ndarray of shape (n_samples, n_features)
        The imputation after rounds 1, 2, ..., ``imputer.n_iter_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    >>> from sklearn.impute import IterativeImputer
    >>> from benchmarks._baselines import imputation_rounds
    >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 6.0], [np.nan, 8.0]])
    >>> imputer = IterativeImputer(max_iter=3, tol=0.0, random_state=0)
    >>> last = imputer.fit_transform(X)
    >>> rounds = list(imputation_rounds(imputer, X))
    >>> len(rounds), bool(np.allclose(rounds[-1], last))
    (3, True)
    """
    check_is_fitted(imputer)
    if imputer.sample_posterior:
        raise ValueError(
            "imputation_rounds replays the fitted gene models, which with "
            "sample_posterior=True draw new values and do not repeat the fit's."
        )
    per_round = len(imputer.imputation_sequence_) // max(imputer.n_iter_, 1)
    for n_rounds in range(1, imputer.n_iter_ + 1):
        partial = copy(imputer)
        partial.imputation_sequence_ = imputer.imputation_sequence_[
            : n_rounds * per_round
        ]
        partial.n_iter_ = n_rounds
        yield np.asarray(partial.transform(X))
