# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end demo: impute held-out samples of GTEx-like data with covariates.

Generates a synthetic expression table (donors giving several tissues, tissue
programs, shared gene modules, sex and age effects), hides half of the entries
of held-out donors' samples, imputes them with ``SimpleImputer``,
``KNNImputer`` and ``GAINImputer`` (without and with the tissue, sex and age
covariates), and prints the paper's R^2: computed per (tissue, gene) over the
hidden entries around that tissue's mean, then averaged, so 0 means "as good
as knowing each tissue's mean".

Run: ``python -m benchmarks.demo``.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.model_selection import GroupShuffleSplit

from skgain import GAINImputer
from skgain.datasets import make_expression_data, make_missing
from skgain.metrics import imputation_r2_score

COVARIATES = ["tissue", "sex", "age"]


def main() -> None:
    data = make_expression_data(n_donors=600, n_tissues=6, n_genes=300, random_state=0)
    genes = [c for c in data.columns if c not in (*COVARIATES, "donor")]
    train_rows, test_rows = next(
        GroupShuffleSplit(test_size=0.25, random_state=0).split(
            data, groups=data["donor"]
        )
    )
    train = data.iloc[train_rows].drop(columns="donor")
    test = data.iloc[test_rows].drop(columns="donor")
    test_missing, mask = make_missing(test[genes], 0.5, random_state=0)
    truth = test[genes].to_numpy()
    print(
        f"{len(data)} samples x {len(genes)} genes from {data['donor'].nunique()} "
        f"donors; imputing 50% of the entries of {len(test)} held-out samples.\n"
        "R^2 per (tissue, gene) on the hidden entries, averaged (higher is better):"
    )

    def score(name, imputer, train_table, test_table):
        start = time.perf_counter()
        with warnings.catch_warnings():
            # Reported below through n_iter_ instead.
            warnings.simplefilter("ignore", ConvergenceWarning)
            imputed = imputer.fit(train_table).transform(test_table)
        seconds = time.perf_counter() - start
        values = np.asarray(imputed)[:, : len(genes)].astype(float)
        r2 = imputation_r2_score(truth, values, mask, groups=test["tissue"])
        epochs = f", {imputer.n_iter_} epochs" if hasattr(imputer, "n_iter_") else ""
        print(f"  {name:<34} R^2 = {r2:6.3f}   ({seconds:.1f} s{epochs})")

    score("SimpleImputer(strategy='mean')", SimpleImputer(), train[genes], test_missing)
    score("KNNImputer()", KNNImputer(), train[genes], test_missing)
    score(
        "GAINImputer, no covariates",
        GAINImputer(random_state=0),
        train[genes],
        test_missing,
    )
    score(
        "GAINImputer, tissue + sex + age",
        GAINImputer(
            categorical_covariates=["tissue", "sex"],
            numerical_covariates=["age"],
            random_state=0,
        ),
        train,
        test_missing.join(test[COVARIATES]),
    )


if __name__ == "__main__":
    main()
