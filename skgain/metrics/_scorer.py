# SPDX-License-Identifier: BSD-3-Clause
"""A scorer that rates an imputer alone, for model selection with scikit-learn."""

import numbers
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from skgain._validation import column_label, is_nan_marker, row_name
from skgain.datasets._missingness import make_missing, numeric_block
from skgain.metrics._scores import imputation_r2_score, imputation_rmse

_METRICS = ("r2", "rmse")


def make_imputation_scorer(
    metric: str = "r2",
    *,
    missing_rate: float = 0.2,
    columns: npt.ArrayLike | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> Callable[..., float]:
    """Make a scorer that hides observed entries and rates their imputation.

    The scorer ``scorer(estimator, X, y=None)`` hides a random share
    ``missing_rate`` of the observed (non-NaN) entries of ``X``, completely at
    random, imputes them with ``estimator.transform`` and compares the
    imputed values with the hidden ones. It needs no target, so it can rate
    a fitted imputer on its own, for instance as ``scoring=`` of
    :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate` where each validation
    fold plays the role of ``X``.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    metric : {"r2", "rmse"}, default="r2"
        ``"r2"`` scores with :func:`imputation_r2_score` (per-feature R^2 over
        the hidden entries, averaged; features with zero variance skipped).
        ``"rmse"`` scores with the negated :func:`imputation_rmse`, so that
        greater is better in both cases.

    missing_rate : float, default=0.2
        Share of the observed entries of ``columns`` to hide, in (0, 1).

    columns : array-like, default=None
        The columns whose entries are hidden and scored: labels for a
        DataFrame ``X``, integer positions for an array. ``None`` means every
        column, which must then all be numeric. Name the expression columns
        here when ``X`` also holds covariates (tissue, sex, age).

    random_state : int, RandomState instance or None, default=None
        Seeds the hidden entries. With an int, every call on the same ``X``
        hides the same entries, so that the candidates of a grid search are
        compared on the same entries; this is recommended. With ``None`` or a
        RandomState instance, each call draws new entries.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``; greater is better. ``y`` is
        ignored.

    See Also
    --------
    imputation_r2_score : The R^2 used with ``metric="r2"``.
    imputation_rmse : The error used with ``metric="rmse"``.
    skgain.datasets.make_missing : Hide entries by other mechanisms.

    Notes
    -----
    The estimator's output must hold the imputed input columns first and in
    input order, as every scikit-learn imputer does; further columns (the
    missing indicators of ``add_indicator=True``) are ignored. An output with
    fewer columns than the input, such as that of an imputer that dropped a
    feature with no observed value during ``fit``, raises a ValueError (set
    ``keep_empty_features=True``). When the estimator can name its output
    columns, the names are checked against its input names (without the
    ``name__`` prefixes of a :class:`~sklearn.compose.ColumnTransformer`,
    whose output puts the transformed columns before the passed-through ones:
    list the columns in input order in its transformers). A feature with no
    observed entry in ``X`` has nothing to hide and is not scored.

    The hidden entries are set to NaN, so the scorer rates imputers that read
    NaN as missing; one whose ``missing_values`` is another placeholder
    (``-1``, ``0``), itself or inside a pipeline, is refused with a
    ValueError. So is an output that changed entries it was given (to float32
    rounding): imputed values are compared with the input's, so a pipeline
    that transforms the data before imputing (a ``LogTransformer``) must be
    scored on data transformed beforehand, not as a whole.

    With ``metric="r2"`` every feature counts equally, however few of its
    entries were hidden. In a small validation fold a feature with one or
    two hidden entries that lie near its mean has a denominator near 0, and
    its R^2 (say -2e5, with sensible imputations) can outweigh all the
    others and decide a grid search. Hide more entries (larger folds or a
    larger ``missing_rate``), or score with ``metric="rmse"``, which weighs
    every hidden entry equally.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import KNNImputer, SimpleImputer
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import Pipeline
    >>> from skgain.metrics import make_imputation_scorer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 10))
    >>> X += 0.3 * rng.normal(size=X.shape)
    >>> scorer = make_imputation_scorer(missing_rate=0.2, random_state=0)
    >>> search = GridSearchCV(
    ...     Pipeline([("impute", SimpleImputer())]),
    ...     {"impute": [SimpleImputer(), KNNImputer()]},
    ...     scoring=scorer,
    ... ).fit(X)
    >>> type(search.best_params_["impute"]).__name__
    'KNNImputer'
    >>> round(float(search.best_score_), 1)
    0.7
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {list(_METRICS)}; got {metric!r}.")
    if not (
        isinstance(missing_rate, numbers.Real)
        and not isinstance(missing_rate, bool)
        and 0 < missing_rate < 1
    ):
        raise ValueError(f"missing_rate must be in (0, 1); got {missing_rate!r}.")
    # Fail now on a bad seed rather than inside the first cross-validation fit.
    check_random_state(random_state)
    return _ImputationScorer(metric, missing_rate, columns, random_state)


class _ImputationScorer:
    """Callable returned by :func:`make_imputation_scorer`."""

    def __init__(self, metric, missing_rate, columns, random_state):
        self.metric = metric
        self.missing_rate = missing_rate
        self.columns = columns
        self.random_state = random_state

    def __repr__(self):
        return (
            f"make_imputation_scorer(metric={self.metric!r}, "
            f"missing_rate={self.missing_rate!r}, columns={self.columns!r}, "
            f"random_state={self.random_state!r})"
        )

    def __call__(self, estimator, X, y=None) -> float:
        _check_nan_placeholder(estimator)
        values, positions = numeric_block(X, self.columns, name="X")
        X_masked, mask = make_missing(
            X,
            self.missing_rate,
            columns=self.columns,
            random_state=check_random_state(self.random_state),
        )
        output = estimator.transform(X_masked)
        imputed = _imputed_columns(estimator, output, np.shape(X), positions)
        hidden = mask[:, positions]
        _check_observed_kept(estimator, X, positions, values, imputed, hidden)
        if self.metric == "r2":
            return imputation_r2_score(values, imputed, hidden)
        return -imputation_rmse(values, imputed, hidden)


def _check_nan_placeholder(estimator):
    """Refuse an estimator that would not read the hidden entries' NaN as missing."""
    get_params = getattr(estimator, "get_params", None)
    if get_params is None:
        return
    for name, value in get_params(deep=True).items():
        if name.rpartition("__")[2] != "missing_values":
            continue
        if is_nan_marker(value):  # NaN, or pd.NA, which reads NaN as missing
            continue
        raise ValueError(
            f"The imputation scorer hides entries by setting them to NaN, but "
            f"{type(estimator).__name__} marks missing entries with "
            f"{name}={value!r}, so it would take the hidden entries for "
            "values. Score it on data whose missing entries are NaN, with "
            "missing_values=np.nan."
        )


def _check_observed_kept(estimator, X, positions, values, imputed, hidden):
    """Refuse an output whose entries that were neither missing nor hidden changed.

    The scorer compares imputed values with the input's: an output on another
    scale (a pipeline that log-transforms before it imputes) would be scored
    against the wrong numbers, and every imputer scored alike. An imputer
    returns the entries it was given as they were; float32 rounding of
    float64 input is allowed.
    """
    shown = ~np.isnan(values) & ~hidden
    kept = np.isclose(imputed[shown], values[shown], rtol=1e-6, atol=1e-37)
    if kept.all():
        return
    row, column = (int(i) for i in np.argwhere(shown)[np.argmin(kept)])
    names = X.columns if isinstance(X, pd.DataFrame) else None
    raise ValueError(
        f"{type(estimator).__name__}.transform changed entries that were "
        f"observed and not hidden (column {column_label(positions[column], names)}"
        f", row {row_name(X, row)}: {float(values[row, column])!r} came back "
        f"as {float(imputed[row, column])!r}). The scorer compares imputed "
        "values with "
        "the input, so the output must keep the input's observed values and "
        "scale; a pipeline that transforms the data before imputing (a "
        "LogTransformer) returns them transformed. Transform the data first "
        "and score the imputer on the transformed data."
    )


def _imputed_columns(estimator, output, input_shape, positions):
    """The output columns holding the imputed selected input columns, as floats."""
    n_samples, n_features = input_shape
    if output.shape[0] != n_samples:
        raise ValueError(
            f"{type(estimator).__name__}.transform returned {output.shape[0]} rows "
            f"for {n_samples} input rows."
        )
    if output.shape[1] < n_features:
        raise ValueError(
            f"{type(estimator).__name__}.transform returned {output.shape[1]} "
            f"columns for {n_features} input columns; the scorer needs every "
            "input column back at its position. An imputer that drops features "
            "with no observed value in fit (keep_empty_features=False) cannot "
            "be scored on them: set keep_empty_features=True."
        )
    _check_output_names(estimator, n_features, positions)
    if isinstance(output, pd.DataFrame):
        output = output.iloc[:, positions]
    else:
        output = output[:, positions]
    return check_array(
        output, dtype=np.float64, ensure_all_finite=False, input_name="X_imputed"
    )


def _check_output_names(estimator, n_features, positions):
    """Check that the scored output columns are the input columns at
    ``positions``, where the estimator can tell: an imputer that dropped a
    feature but appended indicator columns has enough columns, in the wrong
    places."""
    try:
        names_out = estimator.get_feature_names_out()
    except (AttributeError, NotFittedError, TypeError, ValueError):
        # Not every transformer can name its outputs; the column count
        # checked above is then all there is to go on.
        return
    names_in = getattr(estimator, "feature_names_in_", None)
    if names_in is None:
        names_in = [f"x{j}" for j in range(n_features)]
    names_out = np.asarray(names_out, dtype=object)
    names_in = np.asarray(names_in, dtype=object)
    if not np.isin(names_in, names_out).any():
        # A ColumnTransformer prefixes its output names ("imputer__g1",
        # "remainder__tissue"): compared without the prefixes, they still
        # tell whether the columns kept their places.
        names_out = np.array(
            [str(name).split("__", 1)[-1] for name in names_out], dtype=object
        )
    if not np.isin(names_in, names_out).any():
        # Output names of another form say nothing about the positions.
        return
    if len(names_out) < n_features or not np.array_equal(
        names_out[positions], names_in[positions]
    ):
        raise ValueError(
            f"The output features of {type(estimator).__name__} at the scored "
            f"positions are {names_out[positions].tolist()[:10]}, not its input "
            f"features {names_in[positions].tolist()[:10]}; the scorer needs "
            "every scored input column back at its position (set "
            "keep_empty_features=True if features were dropped)."
        )
