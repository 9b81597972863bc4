# SPDX-License-Identifier: BSD-3-Clause
"""The ``speed`` and ``gtex-fit`` suites: how long GAIN takes, end to end.

``speed``: one expression-like table of 1,000 samples x 2,000 genes with half
its entries hidden completely at random; every method fits on the table with
gaps and imputes it (``fit_transform``, the way IterativeImputer is used). GAIN runs
first; the other methods then get a time budget of ``SPEEDUP_TARGET`` times
GAIN's fit + impute time, so that a method stopped at the budget is, by
measurement, at least that many times slower than GAIN on the same machine in
the same run.

``gtex-fit``: a default GAINImputer with covariates fits a GTEx-sized table
with half its entries hidden, early stopping included, and imputes it.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import _report as report
from benchmarks._runner import INFEASIBLE, OK, Scenario
from benchmarks._suites import (
    _environment,
    _gain_params,
    _methods,
    _runner,
    _write,
    register_suite,
    synthetic_gtex,
)
from benchmarks._throughput import GTEX_GENES, GTEX_SAMPLES, GTEX_TISSUES
from skgain.datasets import make_missing

# How many times faster than IterativeImputer(BayesianRidge) GAIN must be.
SPEEDUP_TARGET = 20


def speed_scenario(
    n_samples: int, n_genes: int, seed: int, gain_params=None, n_tissues: int = 10
):
    """``n_samples`` GTEx-like samples x ``n_genes`` genes, 50% MCAR, in-sample."""
    # 3.7 tissues per donor on average: enough donors for the rows wanted.
    n_donors = int(np.ceil(n_samples / 3.7 * 1.3)) + 5
    size = dict(n_donors=n_donors, n_tissues=n_tissues, n_genes=n_genes)
    data, genes, context = synthetic_gtex(size, seed, gain_params)
    table = data[[*genes, "tissue", "sex", "age"]].iloc[:n_samples]
    table = table.reset_index(drop=True)
    hidden, mask = make_missing(table[genes], 0.5, random_state=seed)
    with_gaps = pd.concat([hidden, table.drop(columns=genes)], axis=1)
    return Scenario(
        dataset=f"synthetic {n_samples}x{n_genes}",
        train=with_gaps,
        test=with_gaps,
        truth=table[genes].to_numpy(dtype=np.float64),
        mask=mask,
        genes=genes,
        context=context.with_seed(seed),
        protocol="in-sample",
    )


@register_suite(
    "speed",
    "GAIN against IterativeImputer(BayesianRidge) and KNNImputer on 1,000 "
    f"samples x 2,000 genes, 50% MCAR; the others get {SPEEDUP_TARGET}x GAIN's "
    "time (~25 min).",
)
def run_speed(options, out: Path) -> Path:
    """Fit + impute time and R^2 of GAIN and the classical imputers."""
    tiny = options.scale == "tiny"
    n_samples = 80 if tiny else 1000
    n_genes = options.n_genes or (30 if tiny else 2000)
    gain_params = _gain_params(options)
    scenario = speed_scenario(n_samples, n_genes, options.seed, gain_params)
    methods = _methods(
        options,
        ("gain", "gain-mse", "gain-covariates", "mean", "knn", "mice", "mice-nearest"),
    )
    gain = [m for m in methods if m.is_gain]
    others = [m for m in methods if not m.is_gain]
    # GAIN's own budget: generous, it sets everyone else's.
    runner = _runner(options, out, "speed", options.budget or 3600.0, len(methods))
    gain_rows = runner.run(scenario, gain)
    finished = [row for row in gain_rows if row["status"] == OK]
    if not finished:
        raise SystemExit("GAIN did not finish; there is nothing to compare with.")
    # The reference is GAIN on the same input as the classical methods (the
    # genes only) when it ran.
    plain = [row for row in finished if row["method"] == "gain"]
    reference = (plain or finished)[0]
    budget = SPEEDUP_TARGET * _seconds(reference)
    runner.budget = budget
    runner.run(scenario, others)
    results = runner.results()
    text = [
        "# GAIN against IterativeImputer and KNNImputer",
        _environment(options, budget),
        "## Data and protocol",
        f"Synthetic GTEx-like data (`make_expression_data`, 10 tissues): "
        f"{n_samples} samples x {n_genes} genes, 50% of the gene entries "
        "hidden completely at random. Each method fits on the table with its "
        "gaps and imputes it (in-sample, as `IterativeImputer` is used); the "
        "time is fit + impute. R^2 is per (tissue, gene) over the hidden "
        "entries, averaged, as in the GAIN-GTEx paper. GAIN runs "
        f"GAINImputer with {_settings(gain_params)}: without "
        "covariates, and with the tissue, sex and age covariates; GAIN-MSE "
        "(`adversarial=False`) with the covariates. The classical methods see "
        "the genes only.",
        f"GAIN ran first. The other methods were given {SPEEDUP_TARGET} times "
        f"the time of {report.label(reference['method'])} "
        f"({_seconds(reference):.1f} s, the reference time), that is "
        f"{budget:.0f} s: a method "
        f"stopped there is at least {SPEEDUP_TARGET} times slower than GAIN.",
        "## Results",
        _speed_table(results, reference),
        "\n".join(_speed_sentences(results, reference, budget)),
    ]
    return _write(out, "\n\n".join(text))


def _seconds(row) -> float:
    return float(row["fit_seconds"] + row["transform_seconds"])


def _speed_table(results: pd.DataFrame, reference: dict) -> str:
    rows = []
    for _, row in results.iterrows():
        ok = row["status"] == OK
        seconds = _seconds(row) if ok else np.nan
        rows.append(
            [
                report.label(row["method"]),
                f"{seconds:.1f}" if ok else "-",
                f"{seconds / _seconds(reference):.2f}" if ok else "-",
                f"{row['r2']:.3f}" if ok else "-",
                f"{row['peak_memory_mb']:.0f}" if ok else "-",
                report.status_cell(row),
            ]
        )
    header = [
        "method",
        "fit + impute s",
        "x reference time",
        "R^2",
        "peak MB",
        "status",
    ]
    return report.markdown_table(rows, header)


def _speed_sentences(results: pd.DataFrame, reference: dict, budget: float):
    sentences = []
    name = report.label(reference["method"])
    for _, row in results.iterrows():
        if report.is_gain(row["method"]):
            continue
        label = report.label(row["method"])
        if row["status"] == INFEASIBLE:
            sentences.append(
                f"- {label} was stopped at {budget:.0f} s ({row['status']}): "
                f"more than {SPEEDUP_TARGET} times {name}'s time; its R^2 is "
                "unknown."
            )
            continue
        if row["status"] != OK:
            sentences.append(
                f"- {label} did not finish ({row['status']}: {row['message']}); "
                f"it is not shown to be {SPEEDUP_TARGET} times slower than "
                f"{name}, and its R^2 is unknown."
            )
            continue
        ratio = _seconds(row) / _seconds(reference)
        better = row["r2"] >= reference["r2"]
        sentences.append(
            f"- {label} took {ratio:.2f} times {name}'s time, with R^2 "
            f"{row['r2']:.3f} against {reference['r2']:.3f} "
            f"({'at least as good as' if better else 'worse than'} {name})."
        )
    return sentences


# The fit time the gtex-fit suite checks against.
GTEX_FIT_TARGET_SECONDS = 30 * 60


@register_suite(
    "gtex-fit",
    "A default GAINImputer (tissue, sex, age) fitted to convergence on a "
    "GTEx-sized table (17,382 x 12,557, 49 tissues, 50% MCAR) and imputing "
    "it (up to 45 min).",
)
def run_gtex_fit(options, out: Path) -> Path:
    """Time to fit (early stopping included) and impute at GTEx scale."""
    tiny = options.scale == "tiny"
    n_samples, n_genes, n_tissues = (
        (120, 40, 4) if tiny else (GTEX_SAMPLES, GTEX_GENES, GTEX_TISSUES)
    )
    n_genes = options.n_genes or n_genes
    budget = options.budget or (120.0 if tiny else 2700.0)
    gain_params = _gain_params(options)
    scenario = speed_scenario(
        n_samples, n_genes, options.seed, gain_params, n_tissues=n_tissues
    )
    methods = _methods(options, ("gain-covariates",))
    runner = _runner(options, out, "gtex-fit", budget, len(methods))
    runner.run(scenario, methods)
    results = runner.results()
    text = [
        "# GAIN fitted at GTEx scale",
        _environment(options, budget),
        "## Data and protocol",
        f"Synthetic GTEx-like data (`make_expression_data`, {n_tissues} "
        f"tissues): {n_samples} samples x {n_genes} genes, float32, 50% of the "
        "gene entries hidden completely at random. GAINImputer with "
        f"{_settings(gain_params)} and the tissue, sex and age "
        "covariates fits on the table with its gaps and imputes it. R^2 is "
        "per (tissue, gene) over the hidden entries, averaged. The target: "
        f"fit in at most {GTEX_FIT_TARGET_SECONDS // 60} minutes.",
        "## Results",
        _gtex_fit_table(results, n_samples * n_genes * 4 / 2**20),
        "Peak MB: growth of the process's peak resident memory during fit and "
        "imputation, in MiB (2^20 bytes), like the float32 gene matrix it is "
        "compared with.",
    ]
    return _write(out, "\n\n".join(text))


def _settings(gain_params: dict) -> str:
    """GAINImputer's settings in words: its defaults, or which were changed."""
    changed = {name: value for name, value in gain_params.items() if name != "verbose"}
    if not changed:
        return "its defaults (early stopping included)"
    listed = ", ".join(f"`{name}={value!r}`" for name, value in changed.items())
    return f"its defaults except {listed}"


def _gtex_fit_table(results: pd.DataFrame, matrix_mb: float) -> str:
    """Results table; ``matrix_mb``: the float32 gene matrix in MiB."""
    rows = []
    for _, row in results.iterrows():
        ok = row["status"] == OK
        fit = row["fit_seconds"]
        rows.append(
            [
                report.label(row["method"]),
                f"{fit:.0f}" if ok else "-",
                f"{row['n_iter']:.0f}" if ok else "-",
                f"{fit / row['n_iter']:.1f}" if ok else "-",
                f"{row['transform_seconds']:.1f}" if ok else "-",
                f"{row['r2']:.3f}" if ok else "-",
                f"{row['peak_memory_mb']:.0f}" if ok else "-",
                f"{row['peak_memory_mb'] / matrix_mb:.2f}" if ok else "-",
                ("yes" if fit <= GTEX_FIT_TARGET_SECONDS else "no") if ok else "no",
                report.status_cell(row),
            ]
        )
    header = [
        "method",
        "fit s",
        "epochs",
        "s per epoch",
        "impute s",
        "R^2",
        "peak MB",
        f"x gene matrix ({matrix_mb:.0f} MB)",
        f"fit within {GTEX_FIT_TARGET_SECONDS // 60} min",
        "status",
    ]
    return report.markdown_table(rows, header)
