# SPDX-License-Identifier: BSD-3-Clause
"""GAIN against the column mean and KNN on small real expression tables.

Each table's own gaps are filled, as ``IterativeImputer`` is used: a share of
the observed gene values is hidden completely at random (``make_missing``),
each imputer completes the whole table, and R^2 and RMSE are computed on the
hidden entries (``imputation_r2_score`` per gene, ``imputation_rmse``).
The column mean and KNN impute from the genes alone; GAINImputer runs at its
defaults without covariates, at its defaults with the table's covariates
(cell type, tumour class, sex, ...), and with those and the settings the
user guide suggests for small, wide tables. The tables are the
public data sets of tens to hundreds of samples described in the README of
the data folder (NCI-60, Golub, Khan, GEUVADIS, HSMM, PBMC); a missing one is
skipped.

Run: ``python -m benchmarks.real_tables [--data DIR] [--repeats 3]``; it
prints a Markdown table and writes ``results.csv`` to ``--out``.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import KNNImputer, SimpleImputer

from skgain import GAINImputer
from skgain.datasets import make_missing
from skgain.metrics import imputation_r2_score, imputation_rmse
from skgain.preprocessing import ExpressionFilter, LogTransformer

# Folder, categorical and numerical covariates, preprocessing of the genes.
TABLES = {
    "nci60_islr": (["cancer_type"], [], None),
    "golub_leukemia": (["class"], [], None),
    "khan_srbct_missing": (["tumor_class"], [], None),
    "geuvadis_humangender_counts": (["sex"], [], "counts"),
    "hsmm_singlecell_fpkm": (["Hours", "Media"], ["Pseudotime"], "fpkm"),
    "pbmc68k_reduced_scanpy": (["bulk_labels", "phase"], ["percent_mito"], None),
}

# Genes kept from the single-cell table, the most variable after filtering,
# so that one fit takes seconds.
HSMM_GENES = 2000

# The user guide's settings for filling the gaps of a small, wide table.
SMALL_TABLE_SETTINGS = {
    "hidden_layer_sizes": (128, 128, 128, 128),
    "observed_fraction_range": (0.9, 1.0),
    "batch_size": 64,
}


def default_data_folder() -> Path:
    """``$SKGAIN_SHARED_DATA``, or ``shared/data`` beside the repository."""
    root = os.environ.get("SKGAIN_SHARED_DATA")
    if root:
        return Path(root)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def load_table(folder: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The genes (float32, samples in rows) and the covariates of one data set."""
    arrays = np.load(folder / name / f"{name}.npz")
    genes = pd.DataFrame(
        arrays["X"],
        index=arrays["samples"].astype(str),
        columns=arrays["features"].astype(str),
    )
    covariates = pd.read_csv(
        folder / name / "covariates.csv", dtype={"sample_id": str}
    ).set_index("sample_id")
    if not covariates.index.equals(genes.index):
        raise ValueError(f"{name}: covariates.csv is not in the row order of X.")
    return genes, covariates


def prepare(genes: pd.DataFrame, covariates: pd.DataFrame, kind) -> pd.DataFrame:
    """Counts and FPKM: expressed genes only, on a log scale.

    Read counts are divided by each library's size factor first, so that no
    imputer can gain from knowing the library size.
    """
    if kind is None:
        return genes
    groups = covariates["Hours"].astype(str) if kind == "fpkm" else None
    if kind == "counts":
        genes = genes.div(covariates["sizeFactor"].to_numpy(), axis=0)
    frame = genes if groups is None else genes.assign(group=groups.to_numpy())
    selector = ExpressionFilter(
        # At least 10 reads in a fifth of the libraries; FPKM above 0.1 in a
        # fifth of the cells of some time point.
        min_expression=10 if kind == "counts" else 0.1,
        groups=None if groups is None else "group",
    )
    kept = selector.fit(frame).get_feature_names_out()
    log = LogTransformer().set_output(transform="pandas")
    genes = log.fit_transform(genes[kept[kept != "group"]])
    if groups is not None:
        genes = genes[genes.var().nlargest(HSMM_GENES).index.sort_values()]
    return genes.astype(np.float32)


def score_imputers(genes, covariates, categorical, numerical, seed, max_iter):
    """R^2, RMSE and seconds of each imputer on one hiding of ``genes``."""
    hidden_table, hidden = make_missing(genes, 0.3, random_state=seed)
    table = hidden_table.join(covariates[categorical + numerical])
    # Every imputer keeps every column, so that the outputs line up.
    plain = {"random_state": seed, "keep_empty_features": True}
    if max_iter is not None:
        plain["max_iter"] = max_iter
    gain = dict(plain, categorical_covariates=categorical or None)
    gain["numerical_covariates"] = numerical or None
    imputers = {
        "mean": (SimpleImputer(keep_empty_features=True), hidden_table),
        "KNN": (KNNImputer(keep_empty_features=True), hidden_table),
        "GAIN, no covariates": (GAINImputer(**plain), hidden_table),
        "GAIN": (GAINImputer(**gain), table),
        "GAIN, small-table settings": (
            GAINImputer(**gain, **SMALL_TABLE_SETTINGS),
            table,
        ),
    }
    rows = []
    for method, (imputer, data) in imputers.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            completed = np.asarray(imputer.fit_transform(data))
        seconds = time.perf_counter() - start
        imputed = completed[:, : genes.shape[1]].astype(np.float64)
        rows.append(
            {
                "method": method,
                "r2": imputation_r2_score(genes.to_numpy(), imputed, hidden),
                "rmse": imputation_rmse(genes.to_numpy(), imputed, hidden),
                "seconds": seconds,
                "epochs": getattr(imputer, "n_iter_", np.nan),
            }
        )
    return rows


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_folder())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    names = args.tables.split(",")
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        parser.error(f"unknown table(s) {unknown}; known: {', '.join(TABLES)}")
    rows = []
    for name in names:
        if not (args.data / name / f"{name}.npz").is_file():
            print(f"{name}: no {name}.npz in {args.data / name}, skipped")
            continue
        categorical, numerical, kind = TABLES[name]
        genes, covariates = load_table(args.data, name)
        genes = prepare(genes, covariates, kind)
        for seed in range(args.repeats):
            for row in score_imputers(
                genes, covariates, categorical, numerical, seed, args.max_iter
            ):
                rows.append({"table": name, "shape": "x".join(map(str, genes.shape))}
                            | {"seed": seed} | row)  # fmt: skip
    results = pd.DataFrame(rows)
    if results.empty:
        print(f"No table found in {args.data}: nothing measured.")
        return results
    summary = results.groupby(["table", "shape", "method"], sort=False).agg(
        r2=("r2", "mean"),
        r2_sd=("r2", "std"),
        rmse=("rmse", "mean"),
        seconds=("seconds", "mean"),
        epochs=("epochs", "mean"),
    )
    header = ["table", "samples x genes", "method", "R^2 (mean +- sd)", "RMSE"]
    print("| " + " | ".join([*header, "fit s", "epochs"]) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (table, shape, method), row in summary.iterrows():
        epochs = "" if np.isnan(row["epochs"]) else f"{row['epochs']:.0f}"
        print(
            f"| {table} | {shape} | {method} | {row['r2']:.3f} +- "
            f"{np.nan_to_num(row['r2_sd']):.3f} | {row['rmse']:.3f} | "
            f"{row['seconds']:.1f} | {epochs} |"
        )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        results.to_csv(args.out / "results.csv", index=False)
    return results


if __name__ == "__main__":
    main()
