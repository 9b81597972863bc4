# SPDX-License-Identifier: BSD-3-Clause
"""Summaries, Markdown tables, plain-language comparisons and plots of results.

Plots are drawn on :class:`matplotlib.figure.Figure` objects and saved as PNG
with the Agg renderer, without pyplot, so no display and no global figure
state are involved.

Tables give the mean +- standard deviation over repeats, as the GAIN-GTEx
paper reports them. Every comparison table is followed by sentences that say
which methods beat which GAIN variant, so that a loss of GAIN is never left for
the reader to spot in the numbers.
"""

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from benchmarks._registry import METHODS

SCENARIO_KEYS = ["dataset", "protocol", "mechanism", "missing_rate"]


def label(method: str) -> str:
    """Report name of a method (its registry label, or the name itself)."""
    return METHODS[method].label if method in METHODS else method


def is_gain(method: str) -> bool:
    """Whether the method is a GAIN variant."""
    return method in METHODS and METHODS[method].is_gain


def summarize(results: pd.DataFrame, keys=None) -> pd.DataFrame:
    """Mean and standard deviation over repeats of each method in each scenario.

    Parameters
    ----------
    results : DataFrame
        Rows of ``results.csv``.
    keys : list of str, default=None
        Columns identifying a scenario; ``SCENARIO_KEYS`` by default.

    Returns
    -------
    summary : DataFrame
        One row per scenario and method, in first-seen order, with
        ``r2_mean``, ``r2_std``, ``rmse_mean``, ``rmse_std``, ``fit_mean``,
        ``transform_mean``, ``memory_max``, ``n_ok``, ``n_runs`` and
        ``status`` (``ok``, or the statuses that occurred with their counts).
        Scores are over the runs that finished; standard deviations are the
        population ones (``ddof=0``), 0 for a single run.
    """
    keys = list(keys or SCENARIO_KEYS)
    records = []
    for values, group in results.groupby(keys + ["method"], sort=False, dropna=False):
        ok = group[group["status"] == "ok"]
        statuses = group["status"].value_counts()
        status = (
            "ok"
            if statuses.index.tolist() == ["ok"]
            else ", ".join(
                f"{name} {count}/{len(group)}" for name, count in statuses.items()
            )
        )
        records.append(
            {
                **dict(zip(keys + ["method"], values)),
                "r2_mean": ok["r2"].mean(),
                "r2_std": ok["r2"].std(ddof=0),
                "rmse_mean": ok["rmse"].mean(),
                "rmse_std": ok["rmse"].std(ddof=0),
                "fit_mean": ok["fit_seconds"].mean(),
                "transform_mean": ok["transform_seconds"].mean(),
                "memory_max": ok["peak_memory_mb"].max(),
                "n_ok": len(ok),
                "n_runs": len(group),
                "status": status,
                "message": "; ".join(
                    sorted({m for m in group["message"].fillna("") if m})
                ),
            }
        )
    return pd.DataFrame(records)


def mean_std(mean: float, std: float, digits: int = 3, runs: int = 2) -> str:
    """``mean +- std`` with ``digits`` decimals; the mean alone for one run."""
    if not np.isfinite(mean):
        return "-"
    if runs < 2:
        # A single run has no spread to report.
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} +- {std:.{digits}f}"


def _seconds(value: float) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _memory(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.0f}"


def status_cell(row) -> str:
    """A result row's status with its message, if any, for a table cell."""
    return row["status"] + (f" ({row['message']})" if row["message"] else "")


def markdown_table(rows: list[list[str]], header: list[str]) -> str:
    """A Markdown table from string cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def method_table(summary: pd.DataFrame, *, rmse_label: str = "RMSE") -> str:
    """Markdown table of one scenario: one row per method.

    Parameters
    ----------
    summary : DataFrame
        Rows of :func:`summarize` for one scenario.
    rmse_label : str, default="RMSE"
        Header of the RMSE column.

    Returns
    -------
    table : str
        Columns: method, R^2, RMSE (mean +- std over finished repeats), mean
        fit and impute seconds, largest peak memory, runs and status.
    """
    rows = []
    for _, row in summary.iterrows():
        status = row["status"]
        if status != "ok" and row["message"]:
            status += f" ({row['message']})"
        rows.append(
            [
                label(row["method"]),
                mean_std(row["r2_mean"], row["r2_std"], runs=row["n_ok"]),
                mean_std(row["rmse_mean"], row["rmse_std"], 4, runs=row["n_ok"]),
                _seconds(row["fit_mean"]),
                _seconds(row["transform_mean"]),
                _memory(row["memory_max"]),
                f"{row['n_ok']}/{row['n_runs']}",
                status,
            ]
        )
    header = [
        "method",
        "R^2 (mean +- std)",
        f"{rmse_label} (mean +- std)",
        "fit s",
        "impute s",
        "peak MB",
        "runs ok",
        "status",
    ]
    return markdown_table(rows, header)


def beats_gain_sentences(
    summary: pd.DataFrame, *, metric: str = "r2", context: str = ""
) -> list[str]:
    """Plain-language statements of which methods beat which GAIN variant.

    Parameters
    ----------
    summary : DataFrame
        Rows of :func:`summarize` for one scenario.
    metric : {"r2", "rmse"}, default="r2"
        Score compared: higher R^2 or lower RMSE is better.
    context : str, default=""
        Words naming the scenario, put at the start of each sentence.

    Returns
    -------
    sentences : list of str
        For each GAIN variant that finished, either the methods that score
        better (with the margin, and whether it is within one standard
        deviation of either), or that none does. Methods that did not finish
        are named as such.
    """
    finished = summary[summary["n_ok"] > 0]
    higher_is_better = metric == "r2"
    mean, std = f"{metric}_mean", f"{metric}_std"
    prefix = f"{context}: " if context else ""
    sentences = []
    for _, gain in finished[finished["method"].map(is_gain)].iterrows():
        better, tied = [], []
        for _, other in finished.iterrows():
            if other["method"] == gain["method"]:
                continue
            margin = other[mean] - gain[mean]
            if not higher_is_better:
                margin = -margin
            if margin > 0 and f"{other[mean]:.3f}" == f"{gain[mean]:.3f}":
                # A margin the three decimals shown do not resolve is a tie.
                tied.append(label(other["method"]))
            elif margin > 0:
                noise = max(other[std], gain[std])
                close = " (within one standard deviation)" if margin <= noise else ""
                # Means over different repeats: say so.
                repeats = (
                    f", over {other['n_ok']} and {gain['n_ok']} finished repeats"
                    if other["n_ok"] != gain["n_ok"]
                    else ""
                )
                better.append(
                    f"{label(other['method'])} ({other[mean]:.3f} vs "
                    f"{gain[mean]:.3f}{repeats}{close})"
                )
        name = label(gain["method"])
        word = "R^2" if metric == "r2" else "RMSE"
        if better:
            sentences.append(
                f"{prefix}{', '.join(better)} "
                f"{'beats' if len(better) == 1 else 'beat'} {name} on mean {word}."
            )
        else:
            sentences.append(f"{prefix}no method beats {name} on mean {word}.")
        if tied:
            sentences.append(
                f"{prefix}{', '.join(tied)} {'scores' if len(tied) == 1 else 'score'} "
                f"as {name} does on mean {word} to three decimals "
                f"({gain[mean]:.3f}), a little better."
            )
    unfinished = summary[summary["n_ok"] == 0]
    if len(unfinished):
        names = ", ".join(label(m) for m in unfinished["method"])
        sentences.append(
            f"{prefix}{names} did not finish within the time budget or failed "
            "(see the status column), so cannot be compared."
        )
    return sentences


def scenario_title(row) -> str:
    """Words naming a scenario: data set, mechanism and missing rate."""
    return (
        f"{row['dataset']}, {str(row['mechanism']).upper()} "
        f"{float(row['missing_rate']):.0%} missing, {row['protocol']}"
    )


def scenario_sections(
    summary: pd.DataFrame, *, metric: str = "r2", rmse_label: str = "RMSE"
) -> str:
    """One Markdown section per scenario: the table, then the comparisons."""
    parts = []
    for _, group in summary.groupby(SCENARIO_KEYS, sort=False, dropna=False):
        title = scenario_title(group.iloc[0])
        sentences = beats_gain_sentences(group, metric=metric)
        parts.append(
            f"### {title}\n\n{method_table(group, rmse_label=rmse_label)}\n\n"
            + "\n".join(f"- {s[0].upper()}{s[1:]}" for s in sentences)
        )
    return "\n\n".join(parts)


def infeasible_lines(results: pd.DataFrame) -> list[str]:
    """Sentences naming the jobs that did not finish, with their reasons."""
    failed = results[results["status"] != "ok"]
    lines = []
    for (method, status), group in failed.groupby(["method", "status"], sort=False):
        reasons = sorted({m for m in group["message"].fillna("") if m})
        lines.append(
            f"{label(method)}: {status} in {len(group)} run(s)"
            + (f" ({'; '.join(reasons)})" if reasons else "")
            + "."
        )
    return lines


def _method_colors(methods) -> dict:
    cmap = matplotlib.colormaps["tab20"]
    return {m: cmap(i % 20) for i, m in enumerate(methods)}


def plot_method_bars(
    summary: pd.DataFrame, path, *, metric: str = "r2", title: str = ""
) -> Path:
    """Horizontal bars of the mean score of each method, error bars = std.

    Parameters
    ----------
    summary : DataFrame
        Rows of :func:`summarize` for one scenario.
    path : path-like
        PNG file to write.
    metric : {"r2", "rmse"}, default="r2"
        Score plotted.
    title : str, default=""
        Figure title.

    Returns
    -------
    path : Path
        The file written.
    """
    rows = summary[summary["n_ok"] > 0]
    fig = Figure(figsize=(7, 0.45 * max(len(rows), 3) + 1.2))
    ax = fig.subplots()
    labels = [label(m) for m in rows["method"]]
    colors = ["tab:red" if is_gain(m) else "tab:gray" for m in rows["method"]]
    y = np.arange(len(rows))
    ax.barh(y, rows[f"{metric}_mean"], xerr=rows[f"{metric}_std"], color=colors)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(
        "R^2 on hidden entries (mean over repeats)"
        if metric == "r2"
        else "RMSE on hidden entries (mean over repeats)"
    )
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_tissue_boxes(
    cells: pd.DataFrame, train_counts: pd.Series, path, *, method: str, title=""
) -> Path:
    """Box plot of the per-gene R^2 of one method in each tissue (paper Fig. 2).

    Parameters
    ----------
    cells : DataFrame
        Per-(tissue, gene) R^2 (``cell_r2.csv``) of one scenario.
    train_counts : Series
        Number of training samples of each tissue; colours the boxes.
    path : path-like
        PNG file to write.
    method : str
        Method whose scores are plotted.
    title : str, default=""
        Figure title.

    Returns
    -------
    path : Path
        The file written.
    """
    rows = cells[cells["method"] == method]
    tissues = sorted(rows["tissue"].unique(), key=str)
    data = [rows.loc[rows["tissue"] == t, "r2"].to_numpy() for t in tissues]
    counts = np.array([train_counts.get(t, 0) for t in tissues], dtype=float)
    fig = Figure(figsize=(max(6, 0.45 * len(tissues) + 2), 4.5))
    ax = fig.subplots()
    boxes = ax.boxplot(data, patch_artist=True, showfliers=False)
    norm = Normalize(counts.min(), max(counts.max(), counts.min() + 1))
    cmap = matplotlib.colormaps["viridis"]
    for patch, count in zip(boxes["boxes"], counts):
        patch.set_facecolor(cmap(norm(count)))
    ax.set_xticks(np.arange(1, len(tissues) + 1), tissues, rotation=60, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("per-gene R^2 on hidden entries")
    ax.set_title(title or label(method))
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=ax, label="training samples of the tissue")
    fig.tight_layout()
    return _save(fig, path)


def plot_tissue_means(cells: pd.DataFrame, path, *, title: str = "") -> Path:
    """Mean per-gene R^2 in each tissue, one line per method."""
    means = cells.groupby(["method", "tissue"], sort=False)["r2"].mean().unstack()
    tissues = sorted(means.columns, key=str)
    fig = Figure(figsize=(max(6, 0.45 * len(tissues) + 3), 4.5))
    ax = fig.subplots()
    colors = _method_colors(means.index)
    for method, row in means.iterrows():
        ax.plot(
            tissues, row[tissues], marker="o", label=label(method), color=colors[method]
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.tick_params(axis="x", rotation=60)
    ax.set_ylabel("mean per-gene R^2")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return _save(fig, path)


def plot_missing_rate(summary: pd.DataFrame, path, *, title: str = "") -> Path:
    """R^2 against the missing rate, one line per method (paper Fig. 3).

    Parameters
    ----------
    summary : DataFrame
        Rows of :func:`summarize` of one data set and mechanism at several
        missing rates.
    path : path-like
        PNG file to write.
    title : str, default=""
        Figure title.

    Returns
    -------
    path : Path
        The file written.
    """
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.subplots()
    colors = _method_colors(summary["method"].unique())
    for method, rows in summary[summary["n_ok"] > 0].groupby("method", sort=False):
        rows = rows.sort_values("missing_rate")
        x, mean, std = (
            rows[k].to_numpy(float) for k in ("missing_rate", "r2_mean", "r2_std")
        )
        style = "-" if is_gain(method) else "--"
        ax.plot(x, mean, style, marker="o", label=label(method), color=colors[method])
        ax.fill_between(x, mean - std, mean + std, alpha=0.15, color=colors[method])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("missing rate")
    ax.set_ylabel("R^2 on hidden entries")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return _save(fig, path)


def plot_scaling(results: pd.DataFrame, path, *, title: str = "") -> Path:
    """Fit + impute time and peak memory against genes and against samples.

    Parameters
    ----------
    results : DataFrame
        Rows of the ``scale`` suite, with a ``sweep`` column (``"genes"`` or
        ``"samples"``).
    path : path-like
        PNG file to write.
    title : str, default=""
        Figure title.

    Returns
    -------
    path : Path
        The file written. Runs stopped at the budget are drawn as crosses at
        the budget.
    """
    fig = Figure(figsize=(11, 8))
    axes = fig.subplots(2, 2)
    colors = _method_colors(results["method"].unique())
    for column, (sweep, x_key, x_label) in enumerate(
        [("genes", "n_genes", "genes"), ("samples", "n_train", "training samples")]
    ):
        rows = results[results["sweep"] == sweep]
        for method, group in rows.groupby("method", sort=False):
            group = group.sort_values(x_key)
            ok = group[group["status"] == "ok"]
            seconds = ok["fit_seconds"] + ok["transform_seconds"]
            style = "-" if is_gain(method) else "--"
            axes[0, column].plot(
                ok[x_key],
                seconds,
                style,
                marker="o",
                color=colors[method],
                label=label(method),
            )
            axes[1, column].plot(
                ok[x_key],
                ok["peak_memory_mb"],
                style,
                marker="o",
                color=colors[method],
                label=label(method),
            )
            stopped = group[group["status"] == "infeasible"]
            if len(stopped):
                budget = stopped["budget_seconds"].astype(float)
                axes[0, column].plot(
                    stopped[x_key], budget, "x", markersize=10, color=colors[method]
                )
        for row, y_label in enumerate(["fit + impute seconds", "peak memory (MB)"]):
            ax = axes[row, column]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(x_label)
            ax.set_ylabel(y_label)
            ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8
    )
    fig.suptitle(title + " (x: stopped at the time budget)")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _save(fig, path)


def _save(fig, path) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
