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

from sklearn.exceptions import ConvergenceWarning

from benchmarks._speed import speed_scenario
from benchmarks.observed_fraction import narrow_r2, narrow_table, wide_r2

DEPTHS = {2: (256, 256), 3: (256, 256, 256), 4: (256, 256, 256, 256)}
WIDTHS = (100, 300)


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
                r2, epochs = score(table, seed, hidden_layer_sizes=hidden_layer_sizes)
            seconds = time.perf_counter() - start
            print(
                f"| {name} | {seed} | {depth} | {r2:.3f} | {epochs} | {seconds:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
