"""
====================================================
Cross-validation and grid search for imputers
====================================================

Imputers have no target to predict, so scikit-learn's model selection tools
need a score that creates one. :func:`~skgain.metrics.make_imputation_scorer`
builds a scorer that hides a share of the observed values of each validation
fold, asks the fitted imputer to fill them, and compares the result with the
hidden values. This example uses it to cross-validate
:class:`~skgain.GAINImputer`, then to choose between imputers, and between
settings of :class:`~skgain.GAINImputer`, with
:class:`~sklearn.model_selection.GridSearchCV` over a
:class:`~sklearn.pipeline.Pipeline`.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from skgain import GAINImputer
from skgain.datasets import make_expression_data
from skgain.metrics import make_imputation_scorer

# %%
# Data and folds
# --------------
# Each donor gives several samples, and samples of one donor resemble each
# other. :class:`~sklearn.model_selection.GroupKFold` keeps each donor's
# samples in a single fold, so that an imputer is never scored on a person it
# was fitted on. The donor column is not a covariate: it only defines the
# groups.

data = make_expression_data(n_donors=300, n_tissues=4, n_genes=60, random_state=1)
donors = data.pop("donor")
covariates = ["tissue", "sex", "age"]
genes = [column for column in data.columns if column not in covariates]
cv = GroupKFold(n_splits=3)
print(f"{len(data)} samples of {len(genes)} genes from {donors.nunique()} donors")

# %%
# The scorer
# ----------
# It hides 30% of the observed values of each validation fold and scores their
# imputation by R\ :sup:`2` (per gene over the hidden entries, then averaged).
# ``columns`` restricts hiding and scoring to the genes, since the table also
# holds the covariates. With an integer ``random_state`` every candidate is
# scored on the same hidden entries of a fold.

r2_scorer = make_imputation_scorer(
    "r2", missing_rate=0.3, columns=genes, random_state=0
)
rmse_scorer = make_imputation_scorer(
    "rmse", missing_rate=0.3, columns=genes, random_state=0
)

# %%
# Cross-validating one imputer
# ----------------------------
# :func:`~sklearn.model_selection.cross_validate` fits a clone of the imputer
# on two folds and scores it on the third, three times. The RMSE scorer is
# negated, so that greater is better for both.

imputer = GAINImputer(
    categorical_covariates=["tissue", "sex"],
    numerical_covariates=["age"],
    hidden_layer_sizes=(64, 64),
    batch_size=64,
    learning_rate_init=3e-3,
    n_iter_no_change=10,
    random_state=0,
)
results = cross_validate(
    imputer,
    data,
    groups=donors,
    cv=cv,
    scoring={"r2": r2_scorer, "neg_rmse": rmse_scorer},
)
pd.DataFrame(results).round(3)

# %%
# Choosing an imputer with a grid search
# --------------------------------------
# A :class:`~sklearn.pipeline.Pipeline` with a single ``"impute"`` step lets
# the grid swap whole imputers, and tune the parameters of one of them
# (``impute__adversarial``). The covariates are left out here, since
# :class:`~sklearn.impute.SimpleImputer` and
# :class:`~sklearn.impute.KNNImputer` cannot use them.

small_gain = GAINImputer(
    hidden_layer_sizes=(64, 64),
    batch_size=64,
    learning_rate_init=3e-3,
    n_iter_no_change=10,
    random_state=0,
)
pipeline = Pipeline([("impute", SimpleImputer())])
param_grid = [
    {"impute": [SimpleImputer(), KNNImputer(n_neighbors=10)]},
    {"impute": [small_gain], "impute__adversarial": [True, False]},
]
search = GridSearchCV(pipeline, param_grid, scoring=r2_scorer, cv=cv)
search.fit(data[genes], groups=donors)


def describe(params):
    """A short label for a candidate of the grid."""
    name = type(params["impute"]).__name__
    if "impute__adversarial" in params:
        name += " (GAIN)" if params["impute__adversarial"] else " (GAIN-MSE)"
    return name


table = pd.DataFrame(
    {
        "candidate": [describe(p) for p in search.cv_results_["params"]],
        "mean R^2": search.cv_results_["mean_test_score"],
        "std": search.cv_results_["std_test_score"],
        "fit time (s)": search.cv_results_["mean_fit_time"],
    }
)
print("best:", describe(search.best_params_))
table.round(3)

# %%
# On a table this small, and without covariates, the neighbours of a sample
# are nearly as good: :class:`~sklearn.impute.KNNImputer` comes close to the
# networks, which have few samples to learn from, in a fraction of the time.
# Which imputer is best depends on the data, which is why it pays to compare
# them with a score like this one. A few of the networks' fits reach
# ``max_iter`` (200 epochs) while their validation score still gains a little,
# and say so with a :class:`~sklearn.exceptions.ConvergenceWarning`; a larger
# ``max_iter`` lets them run on, for more time.
# The search refits the best candidate on all the data, so ``search`` itself
# is now an imputer, ready for ``search.transform(new_samples)``.

fig, ax = plt.subplots(figsize=(7, 2.8))
positions = np.arange(len(table))
ax.barh(positions, table["mean R^2"], xerr=table["std"], color="#3b75af", capsize=3)
ax.set_yticks(positions, table["candidate"])
ax.invert_yaxis()
ax.set_xlabel("R$^2$ on hidden entries (mean and sd over 3 folds)")
fig.tight_layout()
