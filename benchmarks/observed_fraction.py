# SPDX-License-Identifier: BSD-3-Clause
"""Measure how much of its observed data the generator should see while training.

``observed_fraction_range=(low, high)``: each training sample keeps a share
``u ~ U(low, high)`` of its observed entries visible and the generator learns
to recover the rest. On a table that has gaps of its own, the generator then
trains on samples with more gaps than those it imputes in the end. This script
scores a few ranges on two tables with half their entries missing, training
data included:

- wide: the ``speed`` suite's table (1,000 GTEx-like samples x 2,000 genes,
  in-sample imputation, R^2 per (tissue, gene) over the hidden entries), GAIN
  without covariates as in that suite;
- narrow: 1,200 samples x 10 genes whose means depend on one of 12 tissues,
  fitted on 900 rows with the tissue as covariate, R^2 on the hidden entries
  of the other 300 rows;
- then the default range and ``(0.9, 1.0)`` on tables like the wide one with
  100, 300 and 1,000 genes, to see from what width the higher range pays.

Run: ``python -m benchmarks.observed_fraction``.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from benchmarks._runner import score_imputation
from benchmarks._speed import speed_scenario
from benchmarks.reconstruction_entries import held_out_r2
from skgain import GAINImputer

DEFAULT_RANGE, HIGH_RANGE = (0.5, 0.95), (0.9, 1.0)
RANGES = [DEFAULT_RANGE, (0.7, 0.95), (0.8, 0.95), HIGH_RANGE, (0.95, 0.95)]
# Widths of the last tables, scored at the default range and (0.9, 1.0) only.
WIDTHS = (100, 300, 1000)


def narrow_table(seed: int = 0):
    """Tissue-dependent expression, 10 genes, half the entries missing.

    The table of the ``tissue_data`` fixture of ``tests/test_gain.py``, built
    here too so that this script does not depend on the tests.
    """
    rng = np.random.RandomState(seed)
    n_samples, n_genes, n_tissues = 1200, 10, 12
    tissue = rng.randint(n_tissues, size=n_samples)
    X = 1.5 * rng.normal(size=(n_tissues, n_genes))[tissue]
    X += rng.normal(size=X.shape)
    mask = rng.uniform(size=X.shape) < 0.5
    frame = pd.DataFrame(
        np.where(mask, np.nan, X), columns=[f"gene{j}" for j in range(n_genes)]
    )
    frame["tissue"] = pd.Categorical([f"tissue{t}" for t in tissue])
    return X, frame, mask


def wide_r2(scenario, seed, **gain_params):
    """In-sample R^2 per (tissue, gene), and the epochs the fit took."""
    imputer = GAINImputer(random_state=seed, **gain_params)
    X = scenario.train[scenario.genes]
    imputed = imputer.fit(X).transform(X)
    return score_imputation(scenario, imputed)[0], imputer.n_iter_


def narrow_r2(table, seed, **gain_params):
    """Held-out R^2 on the narrow table, and the epochs the fit took."""
    X, frame, mask = table
    train, test = np.arange(900), np.arange(900, len(frame))
    imputer = GAINImputer(
        categorical_covariates=["tissue"], random_state=seed, **gain_params
    )
    imputed = imputer.fit(frame.iloc[train]).transform(frame.iloc[test])
    imputed = imputed[:, :-1].astype(float)
    r2 = held_out_r2(X[test], imputed, mask[test], X[train].mean(axis=0))
    return r2, imputer.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    seed = args.seed
    # (name, table, scoring function, ranges scored)
    runs = [
        (
            "wide 1000x2000, in-sample",
            speed_scenario(1000, 2000, seed),
            wide_r2,
            RANGES,
        ),
        ("narrow 1200x10, held-out rows", narrow_table(seed), narrow_r2, RANGES),
    ] + [
        (
            f"wide 1000x{n_genes}, in-sample",
            speed_scenario(1000, n_genes, seed),
            wide_r2,
            [DEFAULT_RANGE, HIGH_RANGE],
        )
        for n_genes in WIDTHS
    ]
    print("| data | observed_fraction_range | R^2 | epochs | fit + impute s |")
    print("| --- | --- | --- | --- | --- |")
    for name, table, score, ranges in runs:
        for observed_fraction_range in ranges:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                r2, epochs = score(
                    table, seed, observed_fraction_range=observed_fraction_range
                )
            seconds = time.perf_counter() - start
            print(
                f"| {name} | {observed_fraction_range} | {r2:.3f} | {epochs} "
                f"| {seconds:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
