# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark suites, in one registry.

A suite is a function ``run(options, out) -> Path`` that builds its
scenarios, runs the methods through a :class:`~benchmarks._runner.Runner`,
and writes ``results.csv``, ``report.md`` and its PNG plots into ``out``. It is
registered with :func:`register_suite` and then selectable as
``python -m benchmarks --suite NAME``. A new suite (for example
``throughput``: rows imputed per second by a fitted model, by batch size and
device) is one more decorated function here or in a module imported by
:mod:`benchmarks.__main__`; it receives the parsed command-line options.
"""

import argparse
import ast
import datetime
import os
import platform
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

import skgain
from benchmarks import _report as report
from benchmarks._registry import DEFAULT_METHODS, MethodContext, get_methods
from benchmarks._runner import Runner, Scenario, held_out_scenario
from skgain.datasets import make_expression_data, make_missing


@dataclass(frozen=True)
class Suite:
    """A named benchmark suite.

    Parameters
    ----------
    name : str
        Name given to ``--suite``.
    summary : str
        One line shown by ``--help`` and ``--list``.
    run : callable
        ``run(options, out) -> Path``: runs the suite with the parsed
        command-line options, writes its outputs into the folder ``out`` and
        returns the path of ``report.md``.
    """

    name: str
    summary: str
    run: Callable[[argparse.Namespace, Path], Path]


SUITES: dict[str, Suite] = {}


def register_suite(name: str, summary: str):
    """Decorator adding a suite function to the registry under ``name``.

    Parameters
    ----------
    name : str
        Name given to ``--suite``.
    summary : str
        One-line description.

    Returns
    -------
    decorator : callable
        Registers the function and returns it unchanged.
    """

    def decorator(function):
        SUITES[name] = Suite(name, summary, function)
        return function

    return decorator


# Synthetic GTEx-like data of each size: donors, tissues, genes and the mean
# number of tissues per donor (None: 37% of the tissues, as in GTEx v8).
# "small" has about 1,300 samples, of which about 1,000 are for training:
# below that GAIN does not beat KNNImputer on these data.
SIZES = {
    "tiny": dict(n_donors=100, n_tissues=3, n_genes=20, tissues_per_donor=2.0),
    "small": dict(n_donors=600, n_tissues=6, n_genes=300, tissues_per_donor=None),
    "medium": dict(n_donors=1000, n_tissues=12, n_genes=1000, tissues_per_donor=None),
    "full": dict(n_donors=950, n_tissues=49, n_genes=12557, tissues_per_donor=18.3),
}

# Methods whose cost grows fastest with the number of genes.
SLOW_METHODS = ("mice", "missforest")

# GAIN shrunk to a few epochs of a narrow network: only for smoke tests.
TINY_GAIN = {"max_iter": 3, "hidden_layer_sizes": (16,)}

GTEX_COVARIATES = dict(
    categorical=("tissue", "sex"), numerical=("age",), tissue="tissue", donor="donor"
)

# Reported by Vinas et al. (2020), Table 1: mean +- std over 10 runs, 50% MCAR,
# GTEx V8 (12,557 genes, 49 tissues).
PAPER_TABLE1 = [
    ("MICE", "not feasible (> 7 days)"),
    ("MissForest", "not feasible (> 7 days)"),
    ("Blood surrogate", "-0.924 +- 0.136"),
    ("Median imputation (per tissue)", "-0.024 +- 0.012"),
    ("GAIN-MSE-GTEx", "0.649 +- 0.021"),
    ("GAIN-GTEx", "0.659 +- 0.022"),
]

# Approximate GAIN-GTEx R^2 on GTEx test tissues against the missing rate, as
# read from Figure 3 of the same paper.
PAPER_FIGURE3 = {0.25: 0.69, 0.5: 0.66, 0.7: 0.53, 0.9: 0.20}

# Yoon et al. (2018), Table 2, Breast: RMSE on the [0, 1] scale, 20% MCAR.
YOON_BREAST = [
    ("GAIN", "0.0546 +- 0.0006"),
    ("MissForest", "0.0608"),
    ("MICE", "0.0646"),
]


# ---------------------------------------------------------------- helpers


def _size(options, default: str = "small") -> dict:
    size = dict(SIZES[options.scale or default])
    for key in ("n_donors", "n_tissues", "n_genes"):
        value = getattr(options, key, None)
        if value is not None:
            size[key] = value
    return size


def _methods(options, default=DEFAULT_METHODS) -> list:
    names = options.methods if options.methods else list(default)
    return get_methods(names)


def add_gain_param_option(parser, which: str) -> None:
    """Add ``--gain-param NAME=VALUE`` (repeatable) to ``parser``.

    ``which`` says which GAIN runs it sets, for the help text.
    """
    parser.add_argument(
        "--gain-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_gain_param,
        help=f"A GAINImputer parameter {which} (VALUE is a Python literal); "
        "repeat for several.",
    )


def _gain_param(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE, such as batch_size=256, got {text!r}"
        )
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(
            f"the value of {name} must be a Python literal, got {value!r}"
        ) from None


def _gain_params(options) -> dict:
    params = dict(TINY_GAIN) if options.scale == "tiny" else {}
    params.update(getattr(options, "gain_param", None) or [])
    return params


def synthetic_gtex(size: dict, seed: int, gain_params=None):
    """GTEx-like data, its gene columns and the method context for it.

    Parameters
    ----------
    size : dict
        ``n_donors``, ``n_tissues``, ``n_genes`` and ``tissues_per_donor`` of
        :func:`skgain.datasets.make_expression_data`.
    seed : int
        Seed of the data.
    gain_params : dict, default=None
        Overrides of GAINImputer's parameters.

    Returns
    -------
    data : DataFrame
        Gene columns, then ``tissue``, ``sex``, ``age`` and ``donor``.
    genes : list of str
        Gene columns.
    context : MethodContext
        Tissue and sex as categorical covariates, age as numerical, donor as
        the split group.
    """
    data = make_expression_data(**size, random_state=seed)
    genes = [c for c in data.columns if c not in ("tissue", "sex", "age", "donor")]
    context = MethodContext(
        n_features=len(genes), gain_params=dict(gain_params or {}), **GTEX_COVARIATES
    )
    return data, genes, context


def _stopped_before(runner: Runner, **match) -> dict[str, str]:
    """Methods stopped at the budget in an earlier scenario matching ``match``.

    Running them again on a scenario of the same size would only spend the
    budget once more, so they are recorded as infeasible without running.
    """
    skip = {}
    for row in runner.rows:
        if row["status"] == "infeasible" and all(
            row.get(k) == v for k, v in match.items()
        ):
            skip[row["method"]] = (
                "not run: stopped at the budget on an earlier run of this size"
            )
    return skip


def start_snapshot() -> tuple[str, str]:
    """The time and the load average now, as a report prints them.

    Taken when a suite starts (``python -m benchmarks`` stores it in its
    options as ``start``): at the end of a run the load is the run's own.
    """
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return datetime.datetime.now().isoformat(timespec="seconds"), load


def _environment(options, budget: float | None) -> str:
    """The report's header lines; ``budget=None`` for a suite without one."""
    started, load = getattr(options, "start", None) or start_snapshot()
    ended = datetime.datetime.now().isoformat(timespec="seconds")
    lines = [
        f"- Command: `python -m benchmarks {shlex.join(sys.argv[1:])}`",
        f"- Date: started {started}, ended {ended}",
        f"- Machine: {platform.platform()}, {os.cpu_count()} CPU cores "
        f"({_processor()}), load average at start {load}; torch device "
        f"{'cuda' if torch.cuda.is_available() else 'cpu'}",
        f"- Versions: Python {platform.python_version()}, skgain "
        f"{skgain.__version__}, scikit-learn {sklearn.__version__}, torch "
        f"{torch.__version__}, numpy {np.__version__}, pandas {pd.__version__}",
        f"- Seed: {options.seed}",
    ]
    if budget is not None:
        lines.insert(
            -1,
            f"- Time budget per method and run: {budget:g} s (fit + impute, in a "
            "child process; a method still running then is killed and reported "
            "infeasible)",
        )
    return "\n".join(lines)


def _processor() -> str:
    """The processor's name and the instruction sets behind PyTorch's CPU speed.

    Reports from machines of different processors are not comparable:
    whether PyTorch runs AVX-512 kernels, and whether bfloat16 products have
    matrix units (AMX), changes the float32 peak and what mixed precision
    gains several-fold.
    """
    name, flags = platform.processor() or "unknown processor", set()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    name = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    kernels = [f"PyTorch CPU kernels {torch.backends.cpu.get_cpu_capability()}"]
    if "amx_bf16" in flags:
        kernels.append("AMX bfloat16 units")
    return f"{name}; {', '.join(kernels)}"


def _data_description(size: dict, data: pd.DataFrame, genes) -> str:
    tissues_per_donor = data.groupby("donor", observed=True).size().mean()
    return (
        f"Synthetic GTEx-like expression from `make_expression_data"
        f"(n_donors={size['n_donors']}, n_tissues={size['n_tissues']}, "
        f"n_genes={size['n_genes']}"
        + (
            f", tissues_per_donor={size['tissues_per_donor']}"
            if size.get("tissues_per_donor")
            else ""
        )
        + f")`: {len(data)} samples x {len(genes)} genes from "
        f"{data['donor'].nunique()} donors ({tissues_per_donor:.1f} tissues per "
        "donor on average), with tissue, sex and age covariates."
    )


HELD_OUT_PROTOCOL = (
    "Held-out protocol of the GAIN-GTEx paper: donors are split 75/25 "
    "(`GroupShuffleSplit`, all samples of a donor on one side); methods are "
    "fitted on the training samples (complete in synthetic data) and impute "
    "the test samples, "
    "of which the given share of gene entries is hidden. R^2 is computed per "
    "(tissue, gene) over the hidden entries, around the gene's mean in that "
    "tissue, and averaged over all (tissue, gene) pairs "
    "(`skgain.metrics.imputation_r2_score`); 0 is what knowing each "
    "tissue's mean would score. RMSE is over all hidden entries, on the "
    "standardised scale of the data. MICE and MissForest complete the "
    "training rows and the test rows as one table (see `benchmarks/README.md`)."
)


def _write(out: Path, text: str) -> Path:
    path = out / "report.md"
    path.write_text(text.rstrip() + "\n")
    return path


def _infeasible_section(results: pd.DataFrame) -> str:
    lines = report.infeasible_lines(results)
    if not lines:
        return "## Infeasible or failed runs\n\nNone: every run finished."
    return "## Infeasible or failed runs\n\n" + "\n".join(f"- {x}" for x in lines)


def _runner(options, out: Path, suite: str, budget: float, total_jobs: int) -> Runner:
    """A Runner with the start method and progress setting of the command line."""
    return Runner(
        out,
        suite,
        budget,
        start_method=options.start_method,
        total_jobs=total_jobs,
        progress=not options.quiet,
    )


def _run_scenarios(runner, scenarios, methods, skip_key="dataset"):
    for scenario in scenarios:
        skip = _stopped_before(runner, **{skip_key: getattr(scenario, skip_key)})
        runner.run(scenario, methods, skip=skip)


def _count_jobs(scenarios, methods) -> int:
    return sum(
        sum(method.applies_to(s.context) for method in methods) for s in scenarios
    )


def _comparison_suite(
    options,
    out: Path,
    *,
    suite: str,
    title: str,
    data: pd.DataFrame,
    genes: list[str],
    context: MethodContext,
    description: str,
    budget: float,
    repeats: int,
    dataset: str,
) -> Path:
    """Held-out comparison of all methods at one mechanism and missing rate."""
    methods = _methods(options)
    scenarios = [
        held_out_scenario(
            data,
            genes,
            context,
            dataset=dataset,
            mechanism=options.mechanism,
            missing_rate=options.missing_rate,
            repeat=repeat,
            seed=options.seed,
            keep_cells=repeat == 0,
        )
        for repeat in range(repeats)
    ]
    runner = _runner(options, out, suite, budget, _count_jobs(scenarios, methods))
    _run_scenarios(runner, scenarios, methods)
    results = runner.results()
    summary = report.summarize(results)
    report.plot_method_bars(summary, out / "r2_by_method.png", title=title)
    figures = ["![R^2 by method](r2_by_method.png)"]
    cells = runner.cell_scores()
    tissue_table = ""
    if context.tissue is not None and len(cells):
        report.plot_tissue_means(
            cells, out / "r2_by_tissue.png", title="Mean per-gene R^2 per tissue"
        )
        figures.append("![R^2 by tissue](r2_by_tissue.png)")
        tissue_table = _tissue_table(cells)
    text = [
        f"# {title}",
        _environment(options, budget),
        "## Data and protocol",
        description,
        HELD_OUT_PROTOCOL,
        f"{repeats} repeat(s): each draws a new donor split, mask and model seed.",
        "## Results",
        report.scenario_sections(summary),
        *figures,
    ]
    if tissue_table:
        text += [
            "### Mean per-gene R^2 in each tissue (first repeat)",
            tissue_table,
        ]
    text.append(_infeasible_section(results))
    return _write(out, "\n\n".join(text))


def _tissue_table(cells: pd.DataFrame) -> str:
    means = (
        cells.groupby(["tissue", "method"], sort=False)["r2"].mean().unstack("method")
    )
    means = means.sort_index(key=lambda index: index.astype(str))
    header = ["tissue", *[report.label(m) for m in means.columns]]
    rows = [
        [str(tissue), *[f"{v:.3f}" if np.isfinite(v) else "-" for v in row]]
        for tissue, row in means.iterrows()
    ]
    return report.markdown_table(rows, header)


# ----------------------------------------------------------------- suites


@register_suite(
    "quick",
    "All methods on synthetic GTEx-like data, 50% MCAR, one repeat (~5 min).",
)
def run_quick(options, out: Path) -> Path:
    """Compare every method once on small synthetic data (a few minutes)."""
    size = _size(options, "small")
    data, genes, context = synthetic_gtex(size, options.seed, _gain_params(options))
    return _comparison_suite(
        options,
        out,
        suite="quick",
        title="Quick comparison on synthetic GTEx-like data",
        data=data,
        genes=genes,
        context=context,
        description=_data_description(size, data, genes),
        budget=options.budget or 100.0,
        repeats=options.repeats or 1,
        dataset="synthetic",
    )


@register_suite(
    "paper",
    "GAIN-GTEx paper experiments on synthetic data: Table 1, Figures 2 and 3, "
    "MAR and MNAR (~30 min at --scale small).",
)
def run_paper(options, out: Path) -> Path:
    """Reproduce the GAIN-GTEx paper's experiments on synthetic GTEx-like data."""
    scale = options.scale or "small"
    size = _size(options, "small")
    plan = {
        "tiny": dict(repeats=1, extra=1, rates=(0.3, 0.7), budget=60.0),
        "small": dict(repeats=3, extra=1, rates=(0.1, 0.3, 0.7, 0.9), budget=120.0),
        "medium": dict(repeats=5, extra=2, rates=(0.1, 0.3, 0.7, 0.9), budget=1800.0),
        "full": dict(repeats=10, extra=3, rates=(0.1, 0.3, 0.7, 0.9), budget=86400.0),
    }[scale]
    repeats = options.repeats or plan["repeats"]
    extra = options.repeats or plan["extra"]
    budget = options.budget or plan["budget"]
    data, genes, context = synthetic_gtex(size, options.seed, _gain_params(options))
    methods = _methods(options)

    def scenario(mechanism, rate, repeat):
        return held_out_scenario(
            data,
            genes,
            context,
            dataset="synthetic",
            mechanism=mechanism,
            missing_rate=rate,
            repeat=repeat,
            seed=options.seed,
            keep_cells=(mechanism, rate, repeat) == ("mcar", 0.5, 0),
        )

    # MICE and MissForest cost as much as all other methods together; like the
    # paper, they take part in Table 1 only, unless named with --methods.
    other_methods = (
        methods
        if options.methods
        else [m for m in methods if m.name not in SLOW_METHODS]
    )
    table1 = [scenario("mcar", 0.5, r) for r in range(repeats)]
    curve = [scenario("mcar", rate, r) for rate in plan["rates"] for r in range(extra)]
    mechanisms = [scenario(m, 0.5, r) for m in ("mar", "mnar") for r in range(extra)]
    runner = _runner(
        options,
        out,
        "paper",
        budget,
        _count_jobs(table1, methods) + _count_jobs(curve + mechanisms, other_methods),
    )
    _run_scenarios(runner, table1, methods)
    _run_scenarios(runner, curve + mechanisms, other_methods)
    results = runner.results()
    summary = report.summarize(results)
    cells = runner.cell_scores()
    train_counts = table1[0].train["tissue"].value_counts()

    mcar = summary[summary["mechanism"] == "mcar"]
    half = mcar[mcar["missing_rate"] == 0.5]
    report.plot_method_bars(
        half, out / "table1_r2.png", title="R^2 by method, 50% MCAR (Table 1)"
    )
    if len(cells):
        report.plot_tissue_boxes(
            cells,
            train_counts,
            out / "figure2_gain_by_tissue.png",
            method="gain-covariates"
            if "gain-covariates" in set(cells["method"])
            else cells["method"].iloc[0],
            title="Per-gene R^2 in each tissue, 50% MCAR (Figure 2)",
        )
        report.plot_tissue_means(
            cells, out / "figure2_methods_by_tissue.png", title="Mean R^2 per tissue"
        )
    report.plot_missing_rate(
        mcar,
        out / "figure3_missing_rate.png",
        title="R^2 against the missing rate (MCAR, Figure 3)",
    )
    mechanism_rows = summary[summary["missing_rate"] == 0.5]
    _plot_mechanisms(mechanism_rows, out / "mechanisms.png")

    published = report.markdown_table(
        [list(row) for row in PAPER_TABLE1], ["method (paper)", "R^2 (paper)"]
    )
    text = [
        "# GAIN-GTEx paper experiments on synthetic GTEx-like data",
        _environment(options, budget),
        "## Data and protocol",
        _data_description(size, data, genes),
        HELD_OUT_PROTOCOL,
        "The paper's data are GTEx V8 (12,557 genes, 49 tissues); these are "
        "synthetic data of a known low-rank structure, so the absolute numbers "
        "are not comparable with the paper's, only the ranking and the trends. "
        "The paper scores an 'extended test set' resampled to 342 samples per "
        "tissue; here every tissue counts equally through the average over "
        "(tissue, gene) pairs instead.",
        f"Table 1 uses {repeats} repeat(s); each point of the missing-rate "
        f"curve other than 50% and each MAR / MNAR row uses {extra}."
        + (
            ""
            if options.methods
            else " MICE and MissForest run in Table 1 only, as in the paper."
        ),
        "## Table 1: all methods, 50% MCAR",
        report.scenario_sections(half),
        "![Table 1](table1_r2.png)",
        "Published (Vinas et al. 2020, Table 1, GTEx V8, 10 runs):",
        published,
        "## Figure 2: R^2 per tissue (50% MCAR, first repeat)",
        "Each box is the distribution of the per-gene R^2 of GAIN with "
        "covariates in one tissue; the colour is the tissue's number of "
        "training samples, as in the paper's Figure 2.",
        "![Figure 2](figure2_gain_by_tissue.png)",
        "![Mean R^2 per tissue, all methods](figure2_methods_by_tissue.png)",
        _tissue_table(cells) if len(cells) else "",
        "## Figure 3: R^2 against the missing rate (MCAR)",
        _rate_table(mcar),
        "![Figure 3](figure3_missing_rate.png)",
        "The paper's Figure 3 shows GAIN-GTEx on GTEx test tissues at about "
        + ", ".join(f"{v:.2f} at {k:.0%}" for k, v in PAPER_FIGURE3.items())
        + " missing (read from the figure).",
        _cell_size_note(table1[:1] + [c for c in curve if c.repeat == 0]),
        _rate_sentences(mcar),
        "## Missingness mechanisms at 50%: MCAR, MAR, MNAR",
        "MAR: a tenth of the genes are never hidden and drive the hiding of the "
        "others; MNAR: low values are hidden more often (self-masking). See "
        "`skgain.datasets.make_missing`.",
        report.scenario_sections(
            summary[(summary["mechanism"] != "mcar") & (summary["missing_rate"] == 0.5)]
        ),
        "![Mechanisms](mechanisms.png)",
        _infeasible_section(results),
    ]
    return _write(out, "\n\n".join(t for t in text if t))


def _cell_size_note(scenarios) -> str:
    """How many hidden entries each (tissue, gene) R^2 rests on, per rate."""
    sizes = []
    for scenario in sorted(scenarios, key=lambda s: s.missing_rate):
        n_cells = scenario.test[scenario.context.tissue].nunique() * len(scenario.genes)
        sizes.append(
            f"{scenario.mask.sum() / n_cells:.1f} at {scenario.missing_rate:.0%}"
        )
    return (
        "Each (tissue, gene) R^2 is computed over that cell's hidden entries: "
        f"on average {', '.join(sizes)} missing here, against 342 x the rate "
        "in the paper's extended test set. A cell with a handful of entries "
        "that happen to lie near the tissue mean has a tiny SS_tot and a very "
        "negative R^2, and a few such cells pull the mean down: at low missing "
        "rates the means are noisy and their ranking is not reliable."
    )


def _rate_table(summary: pd.DataFrame) -> str:
    rates = sorted(summary["missing_rate"].unique())
    rows = []
    for method, group in summary.groupby("method", sort=False):
        by_rate = group.set_index("missing_rate")
        cells = []
        for rate in rates:
            if rate not in by_rate.index or by_rate.loc[rate, "n_ok"] == 0:
                cells.append("-" if rate not in by_rate.index else "infeasible")
            else:
                row = by_rate.loc[rate]
                cells.append(
                    report.mean_std(row["r2_mean"], row["r2_std"], runs=row["n_ok"])
                )
        rows.append([report.label(method), *cells])
    return report.markdown_table(rows, ["method", *[f"{r:.0%}" for r in rates]])


def _rate_sentences(summary: pd.DataFrame) -> str:
    lines = []
    for rate, group in summary.groupby("missing_rate", sort=True):
        lines += report.beats_gain_sentences(group, context=f"At {rate:.0%} MCAR")
    return "\n".join(f"- {line}" for line in lines)


def _plot_mechanisms(summary: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    finished = summary[summary["n_ok"] > 0]
    table = finished.pivot_table(
        index="method", columns="mechanism", values="r2_mean", sort=False
    )
    errors = finished.pivot_table(
        index="method", columns="mechanism", values="r2_std", sort=False
    )
    fig = Figure(figsize=(8, 0.5 * max(len(table), 3) + 1.5))
    ax = fig.subplots()
    height = 0.8 / max(len(table.columns), 1)
    y = np.arange(len(table))
    for k, mechanism in enumerate(table.columns):
        ax.barh(
            y + k * height,
            table[mechanism],
            height,
            xerr=errors[mechanism],
            label=str(mechanism).upper(),
        )
    ax.set_yticks(y + height * (len(table.columns) - 1) / 2)
    ax.set_yticklabels([report.label(m) for m in table.index])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("R^2 on hidden entries, 50% missing")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


@register_suite(
    "gain-original",
    "Original GAIN protocol on scikit-learn's breast cancer data: min-max "
    "scaled RMSE, 20% MCAR, in-sample, 10 repeats.",
)
def run_gain_original(options, out: Path) -> Path:
    """Yoon et al. (2018)'s protocol on the Wisconsin breast cancer data."""
    from sklearn.datasets import load_breast_cancer

    X = load_breast_cancer(as_frame=True).data
    if options.scale == "tiny":
        X = X.iloc[:120, :10]
    genes = list(X.columns)
    repeats = options.repeats or (1 if options.scale == "tiny" else 10)
    budget = options.budget or 300.0
    rate = 0.2
    context = MethodContext(n_features=len(genes), gain_params=_gain_params(options))
    methods = _methods(
        options,
        (
            "mean",
            "median",
            "knn",
            "mice",
            "missforest",
            "gain-mse",
            "gain",
            "gain-yoon",
        ),
    )
    scenarios = []
    for repeat in range(repeats):
        hidden, mask = make_missing(X, rate, random_state=options.seed + repeat)
        scenarios.append(
            Scenario(
                dataset="breast_cancer",
                train=hidden,
                test=hidden,
                truth=X.to_numpy(dtype=np.float64),
                mask=mask,
                genes=genes,
                context=context.with_seed(options.seed + repeat),
                mechanism="mcar",
                missing_rate=rate,
                repeat=repeat,
                protocol="in-sample",
                rmse_scaling="minmax",
            )
        )
    runner = _runner(
        options, out, "gain-original", budget, _count_jobs(scenarios, methods)
    )
    _run_scenarios(runner, scenarios, methods)
    results = runner.results()
    summary = report.summarize(results)
    report.plot_method_bars(
        summary,
        out / "rmse_by_method.png",
        metric="rmse",
        title="Breast cancer, 20% MCAR: RMSE on the [0, 1] scale",
    )
    published = report.markdown_table(
        [list(row) for row in YOON_BREAST], ["method (Yoon et al. 2018)", "RMSE"]
    )
    sentences = report.beats_gain_sentences(summary, metric="rmse")
    text = [
        "# Original GAIN protocol: breast cancer data",
        _environment(options, budget),
        "## Data and protocol",
        f"`sklearn.datasets.load_breast_cancer`: {len(X)} samples x {len(genes)} "
        "features (Wisconsin diagnostic breast cancer). Protocol of Yoon et al. "
        "(2018): 20% of the entries hidden completely at random (MCAR); each "
        "method is fitted on the data with gaps and imputes those same rows "
        "(in-sample, unlike the held-out protocol of the GTEx suites); RMSE "
        "over the hidden entries after min-max scaling each feature to [0, 1] "
        '(`imputation_rmse(..., scaling="minmax")`). R^2 is per feature over '
        "the hidden entries, averaged. Each repeat draws a new mask and seed.",
        "GAIN here is skgain's GAINImputer: it standardises features rather "
        "than min-max scaling them and uses a linear output, and 'GAIN, Yoon "
        "et al. hyperparameters' only changes its hyperparameters (hint rate "
        "0.9, alpha = 100, batch 128, hidden width = number of features, loss "
        "on shown entries, training on the real gaps only).",
        "## Results",
        report.method_table(summary, rmse_label="RMSE [0,1] scale"),
        "\n".join(f"- {s[0].upper()}{s[1:]}" for s in sentences),
        "![RMSE by method](rmse_by_method.png)",
        "## Published figures",
        "Quoted from Yoon et al. (2018), 'GAIN: Missing Data Imputation using "
        "Generative Adversarial Nets', ICML, Table 2 (Breast data set, RMSE, "
        "20% MCAR); check the paper before relying on them. Their runs use "
        "their own implementation, masks and seeds, so agreement within a few "
        "thousandths is all one can expect.",
        published,
        _infeasible_section(results),
    ]
    return _write(out, "\n\n".join(text))


@register_suite(
    "scale",
    "Fit + impute time and peak memory against genes (1k to 12.5k) and "
    "samples, with the time budget marking infeasible methods (~20 min).",
)
def run_scale(options, out: Path) -> Path:
    """Time and memory against the number of genes and of training samples."""
    tiny = options.scale == "tiny"
    budget = options.budget or (20.0 if tiny else 120.0)
    epochs = options.gain_epochs
    max_genes = options.max_genes or (200 if tiny else 12557)
    max_samples = options.max_samples or (400 if tiny else 4000)
    base_samples = 100 if tiny else 1000
    base_genes = 50 if tiny else 1000
    gene_grid = [50, 100, 200] if tiny else [1000, 2500, 5000, 12557]
    sample_grid = [100, 200, 400] if tiny else [500, 1000, 2000, 4000, 8000, 17382]
    genes_sweep = _grid(gene_grid, max_genes)
    samples_sweep = _grid(sample_grid, max_samples)
    gain_params = {
        "max_iter": epochs,
        "early_stopping": False,
        "n_iter_no_change": epochs,
    }
    if tiny:
        gain_params["hidden_layer_sizes"] = (16,)
    gain_params.update(getattr(options, "gain_param", None) or [])
    methods = _methods(
        options, ("mean", "median", "knn", "mice", "missforest", "gain-mse", "gain")
    )
    points = [("genes", base_samples, g) for g in genes_sweep] + [
        ("samples", n, base_genes) for n in samples_sweep
    ]
    runner = _runner(options, out, "scale", budget, len(points) * len(methods))
    for sweep, n_train, n_genes in points:
        scenario = _scale_scenario(n_train, n_genes, options.seed, gain_params)
        scenario.extra = {"sweep": sweep, "budget_seconds": budget}
        skip = _stopped_before(runner, sweep=sweep)
        runner.run(scenario, methods, skip=skip)
    results = runner.results()
    report.plot_scaling(results, out / "scaling.png", title="Time and memory")
    text = [
        "# Time and memory against the size of the data",
        _environment(options, budget),
        "## Protocol",
        f"Synthetic GTEx-like data (10 tissues). Genes sweep: {base_samples} "
        f"training samples, {', '.join(map(str, genes_sweep))} genes. Samples "
        f"sweep: {base_genes} genes, {', '.join(map(str, samples_sweep))} "
        "training samples. Each method is fitted on the training samples and "
        "imputes a quarter as many held-out samples with 50% of their entries "
        "hidden (MCAR). Peak memory is the growth of the child process's "
        "resident set during fit and impute, above the loaded data.",
        f"GAIN is trained for a fixed {epochs} epochs (`max_iter={epochs}, "
        "early_stopping=False`) so that its time measures the cost of an "
        "epoch at each size; a full fit runs until early stopping, typically "
        "50 to 200 epochs on the quick and paper data (the `n_iter` column of "
        "their results), so multiply accordingly. The classical methods run "
        "to completion. A method stopped at the budget at one size is not run "
        "at the larger sizes of that sweep.",
        "## Results",
        _scale_table(results),
        "![Scaling](scaling.png)",
        _infeasible_section(results),
    ]
    return _write(out, "\n\n".join(text))


def _grid(grid: list[int], maximum: int) -> list[int]:
    points = [n for n in grid if n < maximum]
    return points + [maximum]


def _scale_scenario(n_train: int, n_genes: int, seed: int, gain_params: dict):
    n_test = max(n_train // 4, 10)
    n_tissues = 10
    # Enough donors for the rows wanted at 3.7 tissues per donor, with margin.
    n_donors = int(np.ceil((n_train + n_test) / 3.7 * 1.3)) + 5
    size = dict(n_donors=n_donors, n_tissues=n_tissues, n_genes=n_genes)
    data, genes, context = synthetic_gtex(size, seed, gain_params)
    test_donors = data["donor"].unique()[::5]
    is_test = data["donor"].isin(test_donors).to_numpy()
    columns = [*genes, "tissue", "sex", "age", "donor"]
    train = data.loc[~is_test, columns].iloc[:n_train].reset_index(drop=True)
    test = data.loc[is_test, columns].iloc[:n_test].reset_index(drop=True)
    hidden, mask = make_missing(test[genes], 0.5, random_state=seed)
    truth = test[genes].to_numpy(dtype=np.float64)
    test = pd.concat([hidden, test.drop(columns=genes)], axis=1)
    return Scenario(
        dataset=f"synthetic {n_train}x{n_genes}",
        train=train,
        test=test,
        truth=truth,
        mask=mask,
        genes=genes,
        context=context.with_seed(seed),
    )


def _scale_table(results: pd.DataFrame) -> str:
    rows = []
    for _, row in results.iterrows():
        ok = row["status"] == "ok"
        seconds = row["fit_seconds"] + row["transform_seconds"] if ok else np.nan
        per_epoch = (
            row["fit_seconds"] / row["n_iter"]
            if ok and report.is_gain(row["method"]) and row["n_iter"] > 0
            else np.nan
        )
        rows.append(
            [
                row["sweep"],
                str(row["n_train"]),
                str(row["n_genes"]),
                report.label(row["method"]),
                f"{row['fit_seconds']:.2f}" if ok else "-",
                f"{row['transform_seconds']:.2f}" if ok else "-",
                f"{seconds:.2f}" if ok else "-",
                f"{per_epoch:.2f}" if np.isfinite(per_epoch) else "",
                f"{row['peak_memory_mb']:.0f}" if ok else "-",
                f"{row['r2']:.3f}" if ok else "-",
                report.status_cell(row),
            ]
        )
    header = [
        "sweep",
        "train samples",
        "genes",
        "method",
        "fit s",
        "impute s",
        "total s",
        "s / epoch",
        "peak MB",
        "R^2",
        "status",
    ]
    return report.markdown_table(rows, header)


@register_suite(
    "data",
    "The held-out comparison on your own table: --data PATH with --categorical, "
    "--numerical, --groups (50% MCAR by default).",
)
def run_data(options, out: Path) -> Path:
    """Compare the methods on a user's CSV, TSV or Parquet table."""
    from skgain.datasets import read_expression_table

    if not options.data:
        raise SystemExit("--suite data needs --data PATH.")
    categorical = tuple(options.categorical or ())
    numerical = tuple(options.numerical or ())
    tissue = options.tissue or (categorical[0] if categorical else None)
    donor = options.groups
    covariates = [*categorical, *numerical]
    for column in (tissue, donor):
        if column is not None and column not in covariates:
            covariates.append(column)
    data = read_expression_table(
        options.data, sample_column=options.sample_column, covariates=covariates
    )
    genes = [c for c in data.columns if c not in covariates]
    for column in categorical:
        data[column] = data[column].astype("category")
    context = MethodContext(
        n_features=len(genes),
        categorical=categorical,
        numerical=numerical,
        tissue=tissue,
        donor=donor,
        gain_params=_gain_params(options),
    )
    description = (
        f"`{options.data}`: {len(data)} samples x {len(genes)} genes; categorical "
        f"covariates {list(categorical) or 'none'}, numerical covariates "
        f"{list(numerical) or 'none'}; R^2 per "
        + (f"(`{tissue}`, gene)" if tissue else "gene")
        + "; "
        + (f"split by `{donor}`." if donor else "rows split at random.")
        + f" {options.mechanism.upper()} {options.missing_rate:.0%} of the test "
        "entries hidden (entries already missing stay missing and are not "
        "scored)."
    )
    return _comparison_suite(
        options,
        out,
        suite="data",
        title=f"Comparison on {Path(options.data).name}",
        data=data,
        genes=genes,
        context=context,
        description=description,
        budget=options.budget or 600.0,
        repeats=options.repeats or 3,
        dataset=Path(options.data).name,
    )
