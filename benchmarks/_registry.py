# SPDX-License-Identifier: BSD-3-Clause
"""The imputation methods that the benchmark suites compare, in one registry.

Each :class:`Method` builds a scikit-learn estimator from a
:class:`MethodContext` (the data set's covariate columns and a seed). Adding a
method is one call to :func:`register_method`; every suite that runs "all
methods" picks it up, and ``--methods`` selects it by name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sklearn.base import BaseEstimator
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge

from benchmarks._baselines import (
    GroupMedianImputer,
    SurrogateTissueImputer,
    TransductiveImputer,
)
from skgain import GAINImputer

# Inputs a method can need besides the gene columns.
_NEEDS = ("covariates", "tissue", "donor")


@dataclass(frozen=True)
class MethodContext:
    """What a method needs to know about the data set it runs on.

    Parameters
    ----------
    random_state : int
        Seed of the run (the repeat number plus the suite's seed).
    n_features : int
        Number of gene columns.
    categorical : tuple of str
        Categorical covariate columns (such as tissue and sex).
    numerical : tuple of str
        Numerical covariate columns (such as age).
    tissue : str or None
        Column whose groups the per-tissue baselines and R^2 use.
    donor : str or None
        Column identifying the donor (individual) of each sample.
    gain_params : dict
        Parameters that override the defaults of every GAINImputer, used to
        shrink GAIN for smoke tests and to fix its epoch count when timing.
    """

    random_state: int = 0
    n_features: int = 0
    categorical: tuple[str, ...] = ()
    numerical: tuple[str, ...] = ()
    tissue: str | None = None
    donor: str | None = None
    gain_params: dict = field(default_factory=dict)

    def available(self, need: str) -> bool:
        """Whether the data set has what ``need`` names."""
        if need == "covariates":
            return bool(self.categorical or self.numerical)
        return getattr(self, need) is not None

    def with_seed(self, random_state: int) -> "MethodContext":
        """A copy of the context with another seed."""
        return replace(self, random_state=int(random_state))

    def gain(self, **params) -> GAINImputer:
        """A GAINImputer with ``params``, the seed and ``gain_params`` applied."""
        return GAINImputer(
            **{"random_state": self.random_state, **params, **self.gain_params}
        )


@dataclass(frozen=True)
class Method:
    """One imputation method of the benchmarks.

    Parameters
    ----------
    name : str
        Identifier used on the command line and in ``results.csv``.
    label : str
        Name used in reports and plots.
    build : callable
        ``build(context) -> estimator``: a fresh, unfitted imputer.
    inputs : tuple of str
        Columns besides the genes that the estimator takes, in this order:
        ``"covariates"`` (every categorical then numerical covariate, when the
        data set has some), ``"tissue"``, ``"donor"``. The gene columns always
        come first, so the first ``n_genes`` output columns are the genes.
    requires : tuple of str
        Inputs without which the method does not apply to a data set (it is
        then left out of that data set's runs).
    is_gain : bool
        Whether the method is a GAIN variant; reports say where the other
        methods beat the GAIN variants.
    """

    name: str
    label: str
    build: Callable[[MethodContext], BaseEstimator]
    inputs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    is_gain: bool = False

    def applies_to(self, context: MethodContext) -> bool:
        """Whether the data set described by ``context`` has what it requires."""
        return all(context.available(need) for need in self.requires)

    def input_columns(self, context: MethodContext) -> list[str]:
        """Covariate columns the estimator takes after the gene columns."""
        columns: list[str] = []
        for need in self.inputs:
            if need == "covariates":
                candidates = [*context.categorical, *context.numerical]
            else:
                candidates = [getattr(context, need)]
            columns.extend(c for c in candidates if c is not None and c not in columns)
        return columns


METHODS: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    """Add ``method`` to the registry (replacing one of the same name).

    Parameters
    ----------
    method : Method
        The method to add.

    Returns
    -------
    method : Method
        The method, unchanged.
    """
    for need in (*method.inputs, *method.requires):
        if need not in _NEEDS:
            raise ValueError(f"Unknown input {need!r}; expected one of {_NEEDS}.")
    METHODS[method.name] = method
    return method


def get_methods(names=None) -> list[Method]:
    """The registered methods named in ``names`` (all of them if None).

    Parameters
    ----------
    names : iterable of str, default=None
        Method names, in the order wanted.

    Returns
    -------
    methods : list of Method
        The methods.
    """
    if names is None:
        return list(METHODS.values())
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; known: {list(METHODS)}.")
    return [METHODS[name] for name in names]


def _missforest(context: MethodContext) -> BaseEstimator:
    # MissForest draws sqrt(p) candidate features per split (randomForest's
    # default mtry); a few trees keep it runnable on hundreds of genes.
    trees = ExtraTreesRegressor(
        n_estimators=10, max_features="sqrt", random_state=context.random_state
    )
    return TransductiveImputer(
        IterativeImputer(trees, random_state=context.random_state)
    )


def _gain_yoon(context: MethodContext) -> BaseEstimator:
    # The hyperparameters of Yoon et al. (2018): hint rate 0.9, alpha 100,
    # batch 128, Adam at its default learning rate of 1e-3, hidden width =
    # number of features, loss on shown entries, trained on the real gaps
    # only, imputing with the trained weights (no averaging), at the full
    # learning rate from the first step. Scaling and hint form stay skgain's.
    width = max(context.n_features, 1)
    return context.gain(
        hint_rate=0.9,
        reconstruction_weight=100.0,
        batch_size=128,
        learning_rate_init=1e-3,
        hidden_layer_sizes=(width, width),
        reconstruction_entries="input",
        observed_fraction_range=(1.0, 1.0),
        generator_averaging=0.0,
        warmup_steps=0,
    )


register_method(Method("mean", "Mean", lambda c: SimpleImputer(strategy="mean")))
register_method(Method("median", "Median", lambda c: SimpleImputer(strategy="median")))
register_method(
    Method(
        "tissue-median",
        "Per-tissue median",
        lambda c: GroupMedianImputer(c.tissue),
        inputs=("tissue",),
        requires=("tissue",),
    )
)
register_method(
    Method(
        "surrogate",
        "Surrogate tissue",
        lambda c: SurrogateTissueImputer(c.tissue, c.donor),
        inputs=("tissue", "donor"),
        requires=("tissue", "donor"),
    )
)


def _mice(n_nearest_features=None, *, regressor=BayesianRidge, max_iter=10):
    def build(context: MethodContext) -> BaseEstimator:
        return TransductiveImputer(
            IterativeImputer(
                regressor(),
                n_nearest_features=n_nearest_features,
                max_iter=max_iter,
                random_state=context.random_state,
            )
        )

    return build


register_method(Method("knn", "KNN", lambda c: KNNImputer()))
register_method(Method("mice", "MICE", _mice()))
# MICE as one would run it on a wide table: each gene regressed on the 100
# genes most correlated with it. The default regresses each gene on all the
# others and keeps every fitted model, whose posterior covariance is
# n_features^2 floats: about 61 GB per round at 2,000 genes.
register_method(Method("mice-nearest", "MICE (100 nearest features)", _mice(100)))
register_method(Method("missforest", "MissForest", _missforest))
register_method(
    Method(
        "gain-mse",
        "GAIN-MSE",
        lambda c: c.gain(
            adversarial=False,
            categorical_covariates=list(c.categorical) or None,
            numerical_covariates=list(c.numerical) or None,
        ),
        inputs=("covariates",),
        is_gain=True,
    )
)
register_method(
    Method("gain", "GAIN (no covariates)", lambda c: c.gain(), is_gain=True)
)
register_method(
    Method(
        "gain-covariates",
        "GAIN (covariates)",
        lambda c: c.gain(
            categorical_covariates=list(c.categorical) or None,
            numerical_covariates=list(c.numerical) or None,
        ),
        inputs=("covariates",),
        requires=("covariates",),
        is_gain=True,
    )
)
register_method(
    Method("gain-yoon", "GAIN (Yoon et al. settings)", _gain_yoon, is_gain=True)
)

# Methods that every suite comparing "all methods" runs; gain-yoon belongs to
# the original GAIN protocol only.
DEFAULT_METHODS: tuple[str, ...] = (
    "mean",
    "median",
    "tissue-median",
    "surrogate",
    "knn",
    "mice",
    "missforest",
    "gain-mse",
    "gain",
    "gain-covariates",
)
