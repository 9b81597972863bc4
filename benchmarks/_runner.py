# SPDX-License-Identifier: BSD-3-Clause
"""Run each imputation method in a child process with a time budget, and score it.

A :class:`Scenario` is one imputation problem: training rows, rows to impute
with some entries hidden, and the true values of the hidden entries. The
:class:`Runner` writes each scenario's tables to a temporary folder once, then
for each method starts a fresh child process (``forkserver`` where available
and the machine has no CUDA, else ``spawn``) that reads them, fits, imputes and
writes the imputed genes back. A child still running when the budget runs out
is killed and the method is reported infeasible for that scenario, as the
GAIN-GTEx paper reports MICE and MissForest. Every finished job appends one row
to ``results.csv`` at once, so an interrupted run keeps what it measured, and
prints one progress line to stderr.
"""

import contextlib
import csv
import json
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit

from benchmarks._registry import Method, MethodContext
from skgain.datasets import make_missing
from skgain.metrics import imputation_r2_score, imputation_rmse

RESULT_COLUMNS = [
    "suite",
    "dataset",
    "protocol",
    "method",
    "mechanism",
    "missing_rate",
    "repeat",
    "n_train",
    "n_test",
    "n_genes",
    "r2",
    "rmse",
    "fit_seconds",
    "transform_seconds",
    "peak_memory_mb",
    "n_iter",
    "status",
    "message",
]

CELL_COLUMNS = [
    "dataset",
    "method",
    "mechanism",
    "missing_rate",
    "repeat",
    "tissue",
    "gene",
    "r2",
]

# Statuses of a job. "infeasible": stopped at the time budget; "error": the
# method raised; "crashed": the child died (out of memory, typically).
OK, INFEASIBLE, ERROR, CRASHED = "ok", "infeasible", "error", "crashed"

# Modules the forkserver imports once, so that each child starts in
# milliseconds instead of re-importing torch and scikit-learn.
_PRELOAD = ["numpy", "pandas", "sklearn", "torch", "skgain", "benchmarks._registry"]


@dataclass
class Scenario:
    """One imputation problem: what to fit on, what to impute, and the truth.

    Parameters
    ----------
    dataset : str
        Name of the data set, for the results.
    train : DataFrame
        Rows to fit on: the gene columns, then any covariate columns.
    test : DataFrame
        Rows to impute, same columns, with the hidden gene entries set to NaN.
        For the in-sample protocol it is also what the methods fit on.
    truth : ndarray of shape (n_test, n_genes)
        True gene values of the rows to impute.
    mask : ndarray of bool, shape (n_test, n_genes)
        True at the hidden entries, the ones scored.
    genes : list of str
        Gene columns.
    context : MethodContext
        Covariate roles and seed handed to the methods.
    mechanism, missing_rate, repeat :
        How the entries were hidden, and the repeat number.
    protocol : {"held-out", "in-sample"}
        ``"held-out"``: fit on ``train``, impute ``test`` (the GAIN-GTEx
        protocol). ``"in-sample"``: fit on ``test`` itself and impute it (the
        original GAIN protocol); ``train`` is ignored.
    rmse_scaling : {None, "minmax"}
        Scaling of the RMSE (``"minmax"``: the original GAIN's [0, 1] scale).
    keep_cells : bool
        Whether to keep every (tissue, gene) R^2, for the per-tissue plots.
    """

    dataset: str
    train: pd.DataFrame
    test: pd.DataFrame
    truth: np.ndarray
    mask: np.ndarray
    genes: list[str]
    context: MethodContext
    mechanism: str = "mcar"
    missing_rate: float = 0.5
    repeat: int = 0
    protocol: str = "held-out"
    rmse_scaling: str | None = None
    keep_cells: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def groups(self):
        """Tissue of each test row (R^2 is per tissue and gene), or None."""
        tissue = self.context.tissue
        return None if tissue is None else self.test[tissue].to_numpy()


def held_out_scenario(
    data: pd.DataFrame,
    genes: list[str],
    context: MethodContext,
    *,
    dataset: str,
    mechanism: str = "mcar",
    missing_rate: float = 0.5,
    repeat: int = 0,
    seed: int = 0,
    test_size: float = 0.25,
    keep_cells: bool = False,
) -> Scenario:
    """Split rows into training and test rows and hide entries of the test rows.

    Rows are split 75/25 by donor when the context names a donor column (all
    samples of a donor on one side, as the GAIN-GTEx paper does), else at
    random. The split, the mask and the methods' seed all depend on ``seed``
    and ``repeat``; the training rows keep their own gaps, if any.

    Parameters
    ----------
    data : DataFrame
        Gene columns plus the covariate, tissue and donor columns named in
        ``context``.
    genes : list of str
        Gene columns.
    context : MethodContext
        Covariate roles; its ``random_state`` is replaced.
    dataset : str
        Name of the data set.
    mechanism : {"mcar", "mar", "mnar"}, default="mcar"
        Missingness mechanism of :func:`skgain.datasets.make_missing`.
    missing_rate : float, default=0.5
        Share of the test rows' gene entries to hide.
    repeat : int, default=0
        Repeat number.
    seed : int, default=0
        Base seed of the suite.
    test_size : float, default=0.25
        Share of the rows (or donors) held out.
    keep_cells : bool, default=False
        Keep every (tissue, gene) R^2 of this scenario.

    Returns
    -------
    scenario : Scenario
        The imputation problem.
    """
    random_state = seed + 1000 * repeat + int(round(missing_rate * 100))
    if context.donor is not None:
        splitter = GroupShuffleSplit(test_size=test_size, random_state=random_state)
        train_rows, test_rows = next(splitter.split(data, groups=data[context.donor]))
    else:
        splitter = ShuffleSplit(test_size=test_size, random_state=random_state)
        train_rows, test_rows = next(splitter.split(data))
    columns = _table_columns(genes, context)
    train = data.iloc[train_rows][columns].reset_index(drop=True)
    test = data.iloc[test_rows][columns].reset_index(drop=True)
    hidden, mask = make_missing(
        test[genes], missing_rate, mechanism=mechanism, random_state=random_state
    )
    truth = test[genes].to_numpy(dtype=np.float64)
    test = pd.concat([hidden, test.drop(columns=genes)], axis=1)
    context = context.with_seed(seed + repeat)
    return Scenario(
        dataset=dataset,
        train=train,
        test=test,
        truth=truth,
        mask=mask[:, : len(genes)],
        genes=list(genes),
        context=context,
        mechanism=mechanism,
        missing_rate=missing_rate,
        repeat=repeat,
        keep_cells=keep_cells,
    )


def _table_columns(genes, context):
    extra = [*context.categorical, *context.numerical, context.tissue, context.donor]
    columns = list(genes)
    for column in extra:
        if column is not None and column not in columns:
            columns.append(column)
    return columns


@dataclass
class JobOutcome:
    """What one child process reported back."""

    status: str
    imputed: np.ndarray | None = None
    fit_seconds: float = np.nan
    transform_seconds: float = np.nan
    peak_memory_mb: float = np.nan
    n_iter: float = np.nan
    message: str = ""


def _start_method(preferred: str | None) -> multiprocessing.context.BaseContext:
    """The children's start method: ``preferred``, else the fastest safe one.

    ``forkserver`` starts children in milliseconds, but on a machine with
    CUDA it is not used: on an H200 a GTEx-size GAIN fit on the GPU in a
    forkserver child had not finished one epoch after 300 s, where in a
    ``spawn`` child it trained three epochs in 1.6 s.
    """
    name = preferred
    if name is None:
        forkserver = "forkserver" in multiprocessing.get_all_start_methods()
        name = "forkserver" if forkserver and not torch.cuda.is_available() else "spawn"
    context = multiprocessing.get_context(name)
    if name == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context


class Runner:
    """Run methods on scenarios in child processes, score them, record the rows.

    Parameters
    ----------
    out : path-like
        Output folder; ``results.csv`` (and ``cell_r2.csv`` for scenarios that
        keep cells) are appended to as jobs finish.
    suite : str
        Suite name written in every row.
    budget : float
        Seconds each method may take on one scenario (fit and transform,
        loading the data included) before it is killed.
    start_method : {"forkserver", "spawn"}, default=None
        Multiprocessing start method of the children; ``None`` prefers
        ``forkserver``, except on a machine with CUDA, where it is ``spawn``.
    total_jobs : int, default=None
        Number of jobs expected, shown in the progress lines.
    progress : bool, default=True
        Print one line to stderr per finished job.
    """

    def __init__(
        self,
        out,
        suite: str,
        budget: float,
        *,
        start_method: str | None = None,
        total_jobs: int | None = None,
        progress: bool = True,
    ):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.suite = suite
        self.budget = float(budget)
        self.total_jobs = total_jobs
        self.progress = progress
        self.rows: list[dict] = []
        self.cells: list[pd.DataFrame] = []
        self._context = _start_method(start_method)
        self._started = time.perf_counter()
        self._done = 0
        self._results_path = self.out / "results.csv"
        self._cells_path = self.out / "cell_r2.csv"
        for path in (self._results_path, self._cells_path):
            path.unlink(missing_ok=True)

    def run(
        self,
        scenario: Scenario,
        methods: Iterable[Method],
        *,
        skip: dict[str, str] | None = None,
    ) -> list[dict]:
        """Run every applicable method on ``scenario``.

        Parameters
        ----------
        scenario : Scenario
            The imputation problem.
        methods : iterable of Method
            Methods to run; those that do not apply to the data set (a
            per-tissue baseline without a tissue column) are left out.
        skip : dict of str to str, default=None
            Methods not to run, with the reason; each still gets a row with
            status ``infeasible`` and the reason as message.

        Returns
        -------
        rows : list of dict
            The result rows of this scenario, one per method.
        """
        skip = skip or {}
        rows = []
        with tempfile.TemporaryDirectory(prefix="skgain-bench-") as tmp:
            tmp = Path(tmp)
            paths = {"test": tmp / "test.pkl"}
            scenario.test.to_pickle(paths["test"])
            if scenario.protocol == "held-out":
                paths["train"] = tmp / "train.pkl"
                scenario.train.to_pickle(paths["train"])
            for method in methods:
                if not method.applies_to(scenario.context):
                    continue
                if method.name in skip:
                    outcome = JobOutcome(INFEASIBLE, message=skip[method.name])
                else:
                    outcome = self._run_child(scenario, method, paths, tmp)
                rows.append(self._record(scenario, method, outcome))
        return rows

    def _run_child(self, scenario, method, paths, tmp) -> JobOutcome:
        payload = job_payload(scenario, method, paths)
        job = tmp / f"{method.name}.job.pkl"
        result = tmp / f"{method.name}.result.json"
        imputed = tmp / f"{method.name}.imputed.npy"
        with open(job, "wb") as file:
            pickle.dump(payload, file, protocol=pickle.HIGHEST_PROTOCOL)

        process = self._context.Process(
            target=run_job, args=(str(job), str(result), str(imputed)), daemon=True
        )
        started = time.perf_counter()
        process.start()
        try:
            process.join(self.budget)
            over_budget = process.is_alive()
        finally:
            # Also on Ctrl-C or SIGTERM (see sigterm_exits): a child
            # left behind would go on using the processors on its own.
            if process.is_alive():
                process.kill()
                process.join()
        if over_budget:
            return JobOutcome(
                INFEASIBLE, message=f"stopped after the {self.budget:.0f} s budget"
            )
        if not result.exists():
            return JobOutcome(
                CRASHED,
                message=f"child exited with code {process.exitcode} after "
                f"{time.perf_counter() - started:.0f} s (killed for memory?)",
            )
        report = json.loads(result.read_text())
        if "error" in report:
            return JobOutcome(ERROR, message=report["error"])
        return JobOutcome(
            OK,
            imputed=np.load(imputed),
            fit_seconds=report["fit_seconds"],
            transform_seconds=report["transform_seconds"],
            peak_memory_mb=report["peak_memory_mb"],
            n_iter=report["n_iter"],
        )

    def _record(self, scenario: Scenario, method: Method, outcome: JobOutcome):
        r2 = rmse = np.nan
        status, message = outcome.status, outcome.message
        if outcome.imputed is not None:
            try:
                r2, rmse = self._score(scenario, method, outcome.imputed)
            except ValueError as exc:
                status, message = ERROR, f"scoring failed: {exc}"
        row = {
            "suite": self.suite,
            "dataset": scenario.dataset,
            "protocol": scenario.protocol,
            "method": method.name,
            "mechanism": scenario.mechanism,
            "missing_rate": scenario.missing_rate,
            "repeat": scenario.repeat,
            "n_train": len(
                scenario.test if scenario.protocol == "in-sample" else scenario.train
            ),
            "n_test": len(scenario.test),
            "n_genes": len(scenario.genes),
            "r2": r2,
            "rmse": rmse,
            "fit_seconds": outcome.fit_seconds,
            "transform_seconds": outcome.transform_seconds,
            "peak_memory_mb": outcome.peak_memory_mb,
            "n_iter": outcome.n_iter,
            "status": status,
            "message": message,
            **scenario.extra,
        }
        self.rows.append(row)
        self._append_csv(self._results_path, [row], RESULT_COLUMNS)
        self._done += 1
        if self.progress:
            self._print_progress(row)
        return row

    def _score(self, scenario, method, imputed):
        groups = scenario.groups
        r2, rmse = score_imputation(scenario, imputed)
        if scenario.keep_cells:
            cells = imputation_r2_score(
                scenario.truth,
                imputed,
                scenario.mask,
                groups,
                multioutput="raw_values",
            )
            if not isinstance(cells, pd.DataFrame):
                cells = pd.DataFrame([cells], index=["all"])
            cells.columns = scenario.genes
            long = cells.rename_axis(index="tissue", columns="gene").stack()
            long = long.dropna().rename("r2").reset_index()
            for key in ("dataset", "mechanism", "missing_rate", "repeat"):
                long[key] = getattr(scenario, key)
            long["method"] = method.name
            self._append_csv(
                self._cells_path, long[CELL_COLUMNS].to_dict("records"), CELL_COLUMNS
            )
        return r2, rmse

    @staticmethod
    def _append_csv(path: Path, rows: list[dict], columns: list[str]):
        new = not path.exists()
        extra = [key for key in rows[0] if key not in columns] if rows else []
        with open(path, "a", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns + extra)
            if new:
                writer.writeheader()
            writer.writerows(rows)

    def _print_progress(self, row):
        elapsed = time.perf_counter() - self._started
        total = f"/{self.total_jobs}" if self.total_jobs else ""
        score = f"R2 {row['r2']:7.3f}" if np.isfinite(row["r2"]) else "R2     n/a"
        if np.isfinite(row["fit_seconds"]):
            seconds = row["fit_seconds"] + row["transform_seconds"]
            timing = f"{seconds:7.1f} s"
        else:
            timing = "      - s"
        print(
            f"[{self._done}{total} {_clock(elapsed)}] {row['dataset']} "
            f"{row['mechanism']} {row['missing_rate']:.0%} rep {row['repeat']} "
            f"{row['method']:<16} {row['status']:<10} {score}  {timing}"
            + (f"  ({row['message']})" if row["message"] else ""),
            file=sys.stderr,
            flush=True,
        )

    def results(self) -> pd.DataFrame:
        """All result rows recorded so far."""
        return pd.DataFrame(self.rows)

    def cell_scores(self) -> pd.DataFrame:
        """Per-(tissue, gene) R^2 of the scenarios that kept them."""
        if not self._cells_path.exists():
            return pd.DataFrame(columns=CELL_COLUMNS)
        return pd.read_csv(self._cells_path)


def score_imputation(scenario: Scenario, imputed) -> tuple[float, float]:
    """R^2 (per tissue and gene where the scenario has tissues) and RMSE.

    Both over the scenario's hidden entries, as every suite scores a method.
    """
    r2 = imputation_r2_score(scenario.truth, imputed, scenario.mask, scenario.groups)
    rmse = imputation_rmse(
        scenario.truth, imputed, scenario.mask, scaling=scenario.rmse_scaling
    )
    return float(r2), float(rmse)


def job_payload(scenario: Scenario, method, paths: dict) -> dict:
    """What the child process of ``method`` on ``scenario`` needs (pickled)."""
    context = scenario.context
    return {
        "estimator": method.build(context),
        "columns": [*scenario.genes, *method.input_columns(context)],
        "n_genes": len(scenario.genes),
        # GAINImputer passes its covariates through; NumPy output with a
        # text covariate is an object array of boxed floats (about eight
        # times the table, and seconds to build), so it returns a
        # DataFrame, as a pandas user would ask for.
        "pandas_output": method.is_gain,
        "train": str(paths.get("train", paths["test"])),
        "test": str(paths["test"]),
    }


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _rss_kb() -> tuple[float, bool]:
    """Resident memory now in kB, and whether the peak counter was reset."""
    try:
        # Resets the kernel's peak-RSS counter to the current RSS (Linux), so
        # that the peak measured later is that of the method alone and not of
        # the data loading before it.
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        return _status_kb("VmRSS"), True
    except (OSError, KeyError):
        pass
    return _peak_kb(), False


def _status_kb(field: str) -> float:
    """A memory field of /proc/self/status (Linux), in kB."""
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    raise KeyError(field)


def _peak_kb() -> float:
    """Peak resident memory in kB since the last reset by :func:`_rss_kb`."""
    # VmHWM is the counter that _rss_kb resets. getrusage's ru_maxrss is not
    # reset, and a process started by exec (multiprocessing's "spawn")
    # begins with its parent's peak as its own.
    try:
        return _status_kb("VmHWM")
    except (OSError, KeyError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Bytes on macOS, kilobytes on Linux.
    return peak / 1024 if sys.platform == "darwin" else float(peak)


def run_job(job_path: str, result_path: str, imputed_path: str) -> None:
    """Child process: fit and impute one method on one scenario.

    Reads the pickled job (estimator, table paths, columns), fits the
    estimator on the training table, imputes the test table, writes the
    imputed gene columns to ``imputed_path`` and the timings to
    ``result_path`` (JSON). Any exception is written there as ``error``.

    Parameters
    ----------
    job_path : str
        The pickled job.
    result_path : str
        Where to write the JSON report.
    imputed_path : str
        Where to write the imputed genes (``.npy``).
    """
    try:
        # The training curves are recorded through n_iter; the warnings would
        # only clutter the progress output.
        warnings.simplefilter("ignore")
        with open(job_path, "rb") as file:
            job = pickle.load(file)
        columns, n_genes = job["columns"], job["n_genes"]
        X_train = pd.read_pickle(job["train"])[columns]
        X_test = (
            X_train
            if job["train"] == job["test"]
            else pd.read_pickle(job["test"])[columns]
        )
        estimator = job.pop("estimator")
        if job.get("pandas_output"):
            estimator.set_output(transform="pandas")
        baseline_kb, _ = _rss_kb()

        start = time.perf_counter()
        estimator.fit(X_train)
        fitted = time.perf_counter()
        imputed = estimator.transform(X_test)
        done = time.perf_counter()
        peak_mb = max(_peak_kb() - baseline_kb, 0.0) / 1024

        if isinstance(imputed, pd.DataFrame):
            genes = imputed.iloc[:, :n_genes].to_numpy(dtype=np.float64)
        else:
            genes = np.asarray(imputed)[:, :n_genes].astype(np.float64)
        np.save(imputed_path, genes)
        report = {
            "fit_seconds": fitted - start,
            "transform_seconds": done - fitted,
            "peak_memory_mb": peak_mb,
            "n_iter": _n_iter(estimator),
            "pid": os.getpid(),
        }
    except Exception as exc:  # noqa: BLE001 - reported as the job's status
        report = {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    with open(result_path, "w") as file:
        json.dump(report, file)


def _n_iter(estimator) -> float:
    n_iter = getattr(estimator, "n_iter_", None)
    return float(n_iter) if n_iter is not None else float("nan")


@contextlib.contextmanager
def sigterm_exits():
    """Turn SIGTERM into ``SystemExit`` while the suite runs, then restore.

    By default SIGTERM (from ``kill`` or ``timeout``) ends the process at
    once, and a method's child process would run on alone; as an exception
    it unwinds through :meth:`Runner.run`, which stops the child first.
    Scripts that drive a :class:`Runner` run it inside this context.
    """

    def exit_on_sigterm(signum, frame):
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        # Only the main thread may set handlers; leave the default there.
        yield
        return
    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
