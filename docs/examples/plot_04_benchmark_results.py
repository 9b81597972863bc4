"""
=================
Benchmark results
=================

The repository's ``benchmarks/`` folder holds scripts that compare
:class:`~skgain.GAINImputer` with other imputers. When the report of the quick
benchmark, ``benchmarks/results/quick/report.md``, is present, this example plots
the tables it holds. Otherwise it runs a small comparison of its own, in the
spirit of Figure 3 of the GAIN-GTEx paper: one model, trained once, imputes
held-out samples of which 10% to 75% of the values are observed.
"""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer
from sklearn.model_selection import GroupShuffleSplit

from skgain import GAINImputer
from skgain.datasets import make_expression_data, make_missing
from skgain.metrics import imputation_r2_score

REPORT = Path("benchmarks", "results", "quick", "report.md")


def find_report():
    """The benchmark report, looked for from here up to the repository root."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / REPORT).is_file():
            return folder / REPORT
    return None


# %%
# Reading a Markdown report
# -------------------------
# The report is Markdown: headings and tables. Each table becomes a DataFrame;
# its metric column is the one named like R\ :sup:`2` if there is one, else
# its last numeric column, and a value such as ``0.65 +- 0.02`` gives a mean
# and a standard deviation. A ``-`` marks a method that did not finish.

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
R2_PATTERN = r"r\s*\^?\s*2|r²"


def read_tables(text):
    """The Markdown tables of ``text``, as (heading, DataFrame) pairs."""
    tables, heading, block = [], None, []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            block.append(stripped)
            continue
        if len(block) >= 3:
            rows = [
                [cell.strip() for cell in row.strip("|").split("|")] for row in block
            ]
            if set("".join(rows[1])) <= set("-: ") and all(
                len(row) == len(rows[0]) for row in rows
            ):
                tables.append((heading, pd.DataFrame(rows[2:], columns=rows[0])))
        block = []
        if stripped.startswith("#"):
            heading = stripped.lstrip("#").strip()
    return tables


def mean_and_sd(cell):
    """``(mean, sd)`` of a cell: ``0.65``, ``0.65 +- 0.02`` or ``0.65 ± 0.02``."""
    numbers = re.findall(NUMBER, cell.replace("−", "-"))
    if not numbers:
        return np.nan, np.nan
    spread = re.search(r"(?:\+-|±|\+/-)\s*(" + NUMBER + ")", cell)
    return float(numbers[0]), float(spread.group(1)) if spread else np.nan


MISSING_CELLS = {"", "-", "—", "n/a", "na", "nan"}


def is_numeric(column):
    """Whether a table column holds numbers (``-`` marks a run that failed)."""
    present = column[~column.str.strip().str.lower().isin(MISSING_CELLS)]
    finite = present.map(lambda cell: np.isfinite(mean_and_sd(cell)[0]))
    return len(present) > 0 and finite.all()


def split_columns(table):
    """``(metric, label)``: the column to plot and the one naming the rows.

    The metric is the column named like R^2 if there is one, else the last
    numeric column; the label is the first non-numeric column, or the first
    column if all are numeric. ``metric`` is None if nothing fits.
    """
    numeric = [c for c in table.columns if is_numeric(table[c])]
    text = [c for c in table.columns if c not in numeric]
    label = text[0] if text else table.columns[0]
    candidates = [c for c in numeric if c != label]
    for column in candidates:
        if re.search(R2_PATTERN, column, flags=re.IGNORECASE):
            return column, label
    return (candidates[-1] if candidates else None), label


def plot_report(tables):
    """One bar chart per table with an R^2 column (or per table, if none has one)."""
    usable = [(h, t, *split_columns(t)) for h, t in tables]
    usable = [item for item in usable if item[2] is not None]
    with_r2 = [item for item in usable if re.search(R2_PATTERN, item[2], flags=re.I)]
    usable = (with_r2 or usable)[:4]
    print(
        "Plotted:", "; ".join(heading or "(untitled table)" for heading, *_ in usable)
    )
    height = 0.45 * sum(len(t) for _, t, _, _ in usable) + 1.2 * len(usable)
    fig, axes = plt.subplots(len(usable), 1, figsize=(8, height), squeeze=False)
    for ax, (heading, table, metric, label) in zip(axes[:, 0], usable, strict=True):
        values = np.array([mean_and_sd(cell) for cell in table[metric]])
        # Rows without a score (runs that failed or timed out) are named so.
        names = [
            name if np.isfinite(value) else f"{name} (no result)"
            for name, value in zip(table[label], values[:, 0], strict=True)
        ]
        positions = np.arange(len(table))
        errors = None if np.isnan(values[:, 1]).all() else np.nan_to_num(values[:, 1])
        ax.barh(
            positions,
            np.nan_to_num(values[:, 0]),
            xerr=errors,
            color="#3b75af",
            capsize=3,
        )
        ax.set_yticks(positions, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(metric)
        ax.set_title(heading or "", fontsize=10)
    fig.tight_layout()
    return fig


# %%
# A comparison across observed fractions
# --------------------------------------
# Without a report, the example trains :class:`~skgain.GAINImputer` once, with
# the tissue, sex and age covariates, on the complete samples of 75% of the
# donors. Its training masks show it between 10% and 95% of each sample's
# values (``observed_fraction_range``), so that the same model can serve any
# of the fractions below. The held-out samples then have 10%, 30%, 50% or 75%
# of their values observed, and the model fills in the rest, with no
# retraining. :class:`~sklearn.impute.KNNImputer` and the mean of each gene
# in each tissue serve as references.


def compare_observed_fractions():
    data = make_expression_data(n_donors=400, n_tissues=5, n_genes=100, random_state=3)
    covariates = ["tissue", "sex", "age"]
    genes = [c for c in data.columns if c not in (*covariates, "donor")]
    split = GroupShuffleSplit(test_size=0.25, random_state=0)
    train_rows, test_rows = next(split.split(data, groups=data["donor"]))
    train, test = data.iloc[train_rows], data.iloc[test_rows]

    gain = GAINImputer(
        categorical_covariates=["tissue", "sex"],
        numerical_covariates=["age"],
        hidden_layer_sizes=(256, 256),
        batch_size=64,
        learning_rate_init=3e-3,
        n_iter_no_change=10,
        observed_fraction_range=(0.1, 0.95),
        random_state=0,
    ).fit(train[[*genes, *covariates]])
    knn = KNNImputer().fit(train[genes])
    tissue_means = train.groupby("tissue", observed=True)[genes].mean()
    means = tissue_means.loc[test["tissue"]].to_numpy()

    rows = []
    for observed in (0.1, 0.3, 0.5, 0.75):
        test_genes, hidden = make_missing(
            test[genes], missing_rate=1 - observed, random_state=0
        )
        imputed = {
            "GAINImputer": gain.transform(test_genes.join(test[covariates]))[
                :, : len(genes)
            ].astype(float),
            "KNNImputer": knn.transform(test_genes),
            "tissue mean": np.where(np.isnan(test_genes), means, test_genes),
        }
        for name, values in imputed.items():
            score = imputation_r2_score(
                test[genes], values, hidden, groups=test["tissue"]
            )
            rows.append({"observed fraction": observed, "imputer": name, "R^2": score})
    return pd.DataFrame(rows)


# %%
# The results
# -----------

report = find_report()
tables = read_tables(report.read_text(encoding="utf-8")) if report else []
if any(split_columns(table)[0] for _, table in tables):
    print(report.read_text(encoding="utf-8"))
    plot_report(tables)
else:
    if report is not None:
        print(f"{report} holds no table with a numeric column; running a comparison.")
    results = compare_observed_fractions()
    scores = results.pivot(index="observed fraction", columns="imputer", values="R^2")
    print(scores.round(3))
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name in scores.columns:
        ax.plot(scores.index, scores[name], marker="o", label=name)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("fraction of each held-out sample's values observed")
    ax.set_ylabel("R$^2$ per (tissue, gene)")
    ax.legend()
    fig.tight_layout()

# %%
# From the repository, the example finds the quick benchmark's report and
# plots its methods side by side (the report's header gives the command, date
# and versions that made it). Run anywhere else, it draws its own
# comparison: imputation improves quickly as more of a sample is observed,
# then levels off, while the tissue mean does not use the observed values and
# stays near 0. To run the benchmarks of the repository yourself, see the
# scripts in ``benchmarks/``.
