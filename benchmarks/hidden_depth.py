# SPDX-License-Identifier: BSD-3-Clause
"""Measure how the number of hidden layers changes R^2 on narrow tables.

A hidden layer between two others costs ``width x width`` per sample, against
``n_genes x width`` for the first and last layers, so at transcriptome width
depth is almost free. The ``quick`` and ``speed`` suites measure it on 300 and
2,000 genes (``--gain-param "hidden_layer_sizes=(256, 256, 256)"``); this
script scores two, three and four hidden layers of 256 units where depth has
the least to work with:

- narrow: 1,200 samples x 10 genes whose means depend on one of 12 tissues,
  half the entries missing, fitted on 900 rows with the tissue as covariate,
  R^2 on the hidden entries of the other 300 rows (the table of
  ``benchmarks/observed_fraction.py``), for each seed;
- the ``speed`` suite's make of table (1,000 GTEx-like samples, half the
  entries missing, in-sample, R^2 per (tissue, gene) over the hidden
  entries, GAIN without covariates) at 100 and 300 genes.

Run: ``python -m benchmarks.hidden_depth``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from benchmarks._runner import score_imputation
from benchmarks._speed import speed_scenario
from benchmarks.observed_fraction import narrow_table
from benchmarks.reconstruction_entries import held_out_r2
from skgain import GAINImputer

DEPTHS = {2: (256, 256), 3: (256, 256, 256), 4: (256, 256, 256, 256)}
WIDTHS = (100, 300)


def narrow_r2(table, hidden_layer_sizes, seed):
    """Held-out R^2 on the narrow table, and the epochs the fit took."""
    X, frame, mask = table
    train, test = np.arange(900), np.arange(900, len(frame))
    imputer = GAINImputer(
        categorical_covariates=["tissue"],
        hidden_layer_sizes=hidden_layer_sizes,
        random_state=seed,
    )
    imputed = imputer.fit(frame.iloc[train]).transform(frame.iloc[test])
    imputed = imputed[:, :-1].astype(float)
    r2 = held_out_r2(X[test], imputed, mask[test], X[train].mean(axis=0))
    return r2, imputer.n_iter_


def wide_r2(scenario, hidden_layer_sizes, seed):
    """In-sample R^2 per (tissue, gene), and the epochs the fit took."""
    imputer = GAINImputer(hidden_layer_sizes=hidden_layer_sizes, random_state=seed)
    X = scenario.train[scenario.genes]
    imputed = imputer.fit(X).transform(X)
    return score_imputation(scenario, imputed)[0], imputer.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    # (name, table, scoring function, seed)
    runs = [
        ("narrow 1200x10, held-out rows", narrow_table(seed), narrow_r2, seed)
        for seed in args.seeds
    ] + [
        (
            f"wide 1000x{n_genes}, in-sample",
            speed_scenario(1000, n_genes, seed),
            wide_r2,
            seed,
        )
        for n_genes in WIDTHS
        for seed in args.seeds[:1]
    ]
    print("| data | seed | hidden layers | R^2 | epochs | fit + impute s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, table, score, seed in runs:
        for depth, hidden_layer_sizes in DEPTHS.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                r2, epochs = score(table, hidden_layer_sizes, seed)
            seconds = time.perf_counter() - start
            print(
                f"| {name} | {seed} | {depth} | {r2:.3f} | {epochs} | {seconds:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
