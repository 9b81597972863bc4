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

With ``--rounds N`` it then runs GAIN with and without covariates, as the
``speed`` suite does (``OUT/results.csv``), and IterativeImputer itself for N
rounds (``max_iter=N``) on that table, with :class:`~benchmarks._baselines.
PointBayesianRidge` gene models (BayesianRidge without the kept covariance,
same predictions) so that it fits in memory. IterativeImputer runs in this
process, timed around its ``fit_transform``, and is scored after each round
by replaying the first rounds' fitted models
(:func:`~benchmarks._baselines.imputation_rounds`), so that one run gives its
R^2 round by round (``OUT/mice-rounds.csv``); all are scored as the ``speed``
suite scores them (R^2 per (tissue, gene) over the hidden entries).
``--gain-param NAME=VALUE`` sets a GAINImputer parameter of both GAIN runs,
as in ``python -m benchmarks``. ``--gene-model gram`` fits the rounds' gene
models with :class:`~benchmarks._baselines.GramBayesianRidge` instead: the
same predictions up to rounding, about 20 times sooner on this table, so
that IterativeImputer's R^2 after all its default ten rounds takes minutes
rather than hours; its time is then not IterativeImputer(BayesianRidge)'s,
and the output says so. One round
of 2,000 genes takes 20 to 50 minutes on 2 cores, depending on the processor.

Usage::

    python -m benchmarks.mice_cost [--genes-timed 20] [--n-genes 2000]
    python -m benchmarks.mice_cost --rounds 2 --out benchmark-results/mice-rounds
    python -m benchmarks.mice_cost --rounds 2 --gain-param batch_size=64 ...
    python -m benchmarks.mice_cost --rounds 10 --gene-model gram
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import BayesianRidge

from benchmarks._baselines import (
    GramBayesianRidge,
    PointBayesianRidge,
    imputation_rounds,
)
from benchmarks._registry import _mice, get_methods
from benchmarks._runner import Runner, score_imputation, sigterm_exits
from benchmarks._speed import speed_scenario
from benchmarks._suites import add_gain_param_option

# The regressor of IterativeImputer's rounds, by --gene-model.
GENE_MODELS = {"bayesian-ridge": PointBayesianRidge, "gram": GramBayesianRidge}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes-timed", type=int, default=20)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--n-genes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="Then run IterativeImputer for this many rounds, with GAIN beside "
        "it (default 0: time the models only).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("benchmark-results") / "mice-rounds",
        help="Folder of results.csv for --rounds.",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        help="Seconds each GAIN method may take with --rounds (default 600). "
        "IterativeImputer runs in this process without a budget: Ctrl-C "
        "stops it.",
    )
    parser.add_argument(
        "--gene-model",
        choices=sorted(GENE_MODELS),
        default="bayesian-ridge",
        help="IterativeImputer's gene models for --rounds: bayesian-ridge "
        "(BayesianRidge without its kept covariance; the default) or gram (the "
        "same predictions up to rounding, sooner; its time is not "
        "BayesianRidge's).",
    )
    add_gain_param_option(parser, "of the GAIN runs of --rounds, such as batch_size=64")
    options = parser.parse_args(argv)

    scenario = speed_scenario(
        options.n_samples, options.n_genes, options.seed, dict(options.gain_param)
    )
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
    if options.rounds:
        _run_rounds(scenario, options)


def _run_rounds(scenario, options) -> None:
    """Run GAIN, then ``options.rounds`` rounds of MICE; print time and R^2."""
    runner = Runner(options.out, "mice-cost", budget=options.budget)
    with sigterm_exits():
        rows = runner.run(scenario, get_methods(["gain", "gain-covariates"]))
        seconds, rounds = _mice_by_round(
            scenario, options.rounds, GENE_MODELS[options.gene_model]
        )
    reference = rows[0]["fit_seconds"] + rows[0]["transform_seconds"]
    print(f"{'method':<24} {'fit + impute s':>15} {'x GAIN':>8} {'R^2':>7}  status")
    for row in rows:
        total = row["fit_seconds"] + row["transform_seconds"]
        print(
            f"{row['method']:<24} {total:>15.1f} {total / reference:>8.2f} "
            f"{row['r2']:>7.3f}  {row['status']} {row['message']}".rstrip()
        )
    gram = options.gene_model == "gram"
    name = f"mice-{'gram-' if gram else ''}{len(rounds)}-rounds"
    print(
        f"{name:<24} {seconds:>15.1f} {seconds / reference:>8.2f} "
        f"{rounds['r2'].iloc[-1]:>7.3f}  ok"
    )
    if gram:
        print(
            "(gene models by GramBayesianRidge: BayesianRidge's predictions up "
            "to rounding, not its time; for IterativeImputer(BayesianRidge)'s "
            "time, run without --gene-model gram)"
        )
    print("IterativeImputer's R^2 after each round (the fitted models replayed):")
    print(rounds.to_string(index=False, float_format="%.4f"))
    rounds.assign(gene_model=options.gene_model, fit_transform_seconds=seconds).to_csv(
        options.out / "mice-rounds.csv", index=False
    )
    print(f"results: {options.out / 'results.csv'}, {options.out / 'mice-rounds.csv'}")


def _mice_by_round(
    scenario, n_rounds: int, regressor=PointBayesianRidge
) -> tuple[float, pd.DataFrame]:
    """Fit MICE in-sample for ``n_rounds`` rounds; its time and R^2 per round.

    The same IterativeImputer as the suite's ``mice``, with ``regressor``
    gene models (:class:`~benchmarks._baselines.PointBayesianRidge` unless
    given), fitted on the gene columns of the table to impute as
    :class:`~benchmarks._baselines.TransductiveImputer` does for the
    in-sample protocol.
    """
    imputer = _mice(regressor=regressor, max_iter=n_rounds)(scenario.context).estimator
    X = scenario.test[scenario.genes].to_numpy(dtype=np.float64)
    with warnings.catch_warnings():
        # Stopping after n_rounds is the point, not a failure to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        completed = imputer.fit_transform(X)
        seconds = time.perf_counter() - start
    scores = []
    for n_done, imputed in enumerate(imputation_rounds(imputer, X), start=1):
        r2, rmse = score_imputation(scenario, imputed)
        scores.append({"round": n_done, "r2": r2, "rmse": rmse})
    if not np.allclose(imputed, completed, rtol=1e-10, atol=1e-10):
        raise RuntimeError(
            "replaying the fitted models did not reproduce fit_transform's "
            "imputation; the per-round scores would be wrong."
        )
    return seconds, pd.DataFrame(scores)


if __name__ == "__main__":
    main()
