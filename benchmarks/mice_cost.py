# SPDX-License-Identifier: BSD-3-Clause
"""What a full ``IterativeImputer(BayesianRidge())`` costs on the speed suite's table.

The ``speed`` suite stops IterativeImputer at 20 times GAIN's time, so its
R^2 there is unknown. This script measures what running it to the end would
take, without running it: it builds the same table (1,000 samples x 2,000
genes, half the entries hidden at random, seed 0), fills the gaps with gene
means as IterativeImputer's first round starts, and times gene models the
way that round fits them (``BayesianRidge()`` on the rows where the gene is
observed, all other genes as predictors; within the round, IterativeImputer
also writes each gene's imputations back before the next gene, which changes
the values regressed on but not the work). It
prints the time per model, the time one round of all genes would take, and
the memory of the posterior covariances that IterativeImputer keeps (every
fitted model stays in ``imputation_sequence_``, each with a
``sigma_`` of n_predictors^2 floats).

Usage::

    python -m benchmarks.mice_cost [--genes-timed 20] [--n-genes 2000]
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import BayesianRidge

from benchmarks._speed import speed_scenario


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes-timed", type=int, default=20)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--n-genes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv)

    scenario = speed_scenario(options.n_samples, options.n_genes, options.seed)
    values = scenario.train[scenario.genes].to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    filled = np.where(missing, np.nanmean(values, axis=0), values)

    seconds, sizes = [], []
    for gene in range(options.genes_timed):
        rows = ~missing[:, gene]
        predictors = np.delete(filled[rows], gene, axis=1)
        start = time.perf_counter()
        model = BayesianRidge().fit(predictors, filled[rows, gene])
        seconds.append(time.perf_counter() - start)
        sizes.append(model.sigma_.nbytes)

    per_model = float(np.median(seconds))
    n_genes = options.n_genes
    print(f"table: {scenario.dataset}, 50% MCAR, seed {options.seed}")
    print(
        f"BayesianRidge fits timed: {len(seconds)} (rows per fit about "
        f"{int((~missing[:, : options.genes_timed]).sum(0).mean())}, "
        f"{n_genes - 1} predictors)"
    )
    print(
        f"seconds per gene model: median {per_model:.2f}, "
        f"min {min(seconds):.2f}, max {max(seconds):.2f}"
    )
    print(
        f"one round of {n_genes} gene models: about {per_model * n_genes / 60:.0f} "
        f"min; IterativeImputer's default max_iter=10 rounds: about "
        f"{per_model * n_genes * 10 / 3600:.1f} h (fewer if it meets its tol)"
    )
    per_model_bytes = int(np.median(sizes))
    print(
        f"posterior covariance kept per model: {per_model_bytes:,} bytes; "
        f"per round of {n_genes} models: {per_model_bytes * n_genes / 1e9:.1f} GB"
    )


if __name__ == "__main__":
    main()
