# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark suite: registry, baselines, child-process runner, report and CLI."""

import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone

from benchmarks import _report as report
from benchmarks.__main__ import build_parser, main
from benchmarks._baselines import (
    GramBayesianRidge,
    GroupMedianImputer,
    PointBayesianRidge,
    SurrogateTissueImputer,
    TransductiveImputer,
    imputation_rounds,
)
from benchmarks._registry import METHODS, Method, MethodContext, get_methods
from benchmarks._runner import RESULT_COLUMNS, Runner, held_out_scenario
from benchmarks._speed import _speed_sentences
from benchmarks._suites import SUITES, synthetic_gtex
from benchmarks._throughput import DEFAULT_BATCH
from skgain import GAINImputer

REQUIRED_COLUMNS = [
    "dataset",
    "method",
    "mechanism",
    "missing_rate",
    "repeat",
    "r2",
    "rmse",
    "fit_seconds",
    "transform_seconds",
    "peak_memory_mb",
    "status",
]

GTEX_CONTEXT = MethodContext(
    n_features=3,
    categorical=("tissue", "sex"),
    numerical=("age",),
    tissue="tissue",
    donor="donor",
)


class SleepingImputer(TransformerMixin, BaseEstimator):
    """An imputer whose fit takes ``seconds``: stands for a method too slow."""

    def __init__(self, seconds=60.0, started_flag=None):
        self.seconds = seconds
        self.started_flag = started_flag

    def fit(self, X, y=None):
        if self.started_flag is not None:
            open(self.started_flag, "w").close()
        time.sleep(self.seconds)
        return self

    def transform(self, X):
        return np.nan_to_num(np.asarray(X, dtype=float))


class DyingImputer(SleepingImputer):
    """An imputer whose process dies in fit, as one killed for memory does."""

    def fit(self, X, y=None):
        os._exit(9)


@pytest.fixture(scope="module")
def tiny_gtex():
    size = dict(n_donors=80, n_tissues=3, n_genes=12, tissues_per_donor=2.0)
    return synthetic_gtex(size, seed=0, gain_params={"max_iter": 2})


def hand_made_table():
    """Two donors with blood, one with lung only; gene values easy to follow."""
    train = pd.DataFrame(
        {
            "g1": [1.0, 3.0, 10.0, 30.0, 5.0],
            "g2": [2.0, 4.0, 20.0, 40.0, np.nan],
            "tissue": ["blood", "blood", "lung", "lung", "blood"],
            "donor": ["a", "b", "a", "b", "c"],
        }
    )
    test = pd.DataFrame(
        {
            "g1": [7.0, np.nan, np.nan, np.nan],
            "g2": [np.nan, np.nan, 50.0, np.nan],
            "tissue": ["blood", "lung", "lung", "liver"],
            "donor": ["x", "x", "y", "x"],
        }
    )
    return train, test


def test_registry_builds_every_method():
    context = MethodContext(
        random_state=3,
        n_features=10,
        categorical=("tissue", "sex"),
        numerical=("age",),
        tissue="tissue",
        donor="donor",
    )
    assert {
        "mean",
        "median",
        "tissue-median",
        "surrogate",
        "knn",
        "mice",
        "missforest",
        "gain-mse",
        "gain",
        "gain-covariates",
    } <= set(METHODS)
    for method in get_methods():
        estimator = method.build(context)
        assert hasattr(estimator, "fit") and hasattr(estimator, "transform")
        clone(estimator)
        assert method.applies_to(context)
        assert set(method.input_columns(context)) <= {"tissue", "sex", "age", "donor"}
    assert METHODS["gain-covariates"].build(context).categorical_covariates == [
        "tissue",
        "sex",
    ]
    assert METHODS["gain-mse"].build(context).adversarial is False
    assert METHODS["gain"].build(context).random_state == 3
    bare = MethodContext()
    assert not METHODS["tissue-median"].applies_to(bare)
    assert not METHODS["gain-covariates"].applies_to(bare)
    assert METHODS["gain-mse"].applies_to(bare)
    with pytest.raises(ValueError, match="Unknown method"):
        get_methods(["no-such-method"])


def test_group_median_imputes_the_training_median_of_the_tissue():
    train, test = hand_made_table()
    imputer = GroupMedianImputer("tissue", ignore_columns=["donor"]).fit(train)
    out = imputer.transform(test)
    expected = np.array(
        [
            [7.0, 3.0],  # blood: g2 median of 2, 4 (5's g2 is missing)
            [20.0, 30.0],  # lung medians
            [20.0, 50.0],
            [5.0, 12.0],  # liver unseen: overall medians
        ]
    )
    np.testing.assert_allclose(out, expected)


def test_surrogate_uses_the_donors_reference_sample_then_the_median():
    train, test = hand_made_table()
    imputer = SurrogateTissueImputer("tissue", "donor").fit(train)
    assert imputer.reference_tissue_ == "blood"
    out = imputer.transform(test)
    expected = np.array(
        [
            [7.0, 3.0],  # blood itself: per-tissue median for g2
            [7.0, 30.0],  # donor x's blood g1; its g2 is missing -> lung median
            [20.0, 50.0],  # donor y has no blood sample -> lung median
            [7.0, 12.0],  # liver: blood g1, then the overall median
        ]
    )
    np.testing.assert_allclose(out, expected)


def test_transductive_imputer_stacks_training_rows_except_in_sample():
    from sklearn.impute import SimpleImputer

    train = np.array([[1.0], [3.0]])
    imputer = TransductiveImputer(SimpleImputer()).fit(train)
    np.testing.assert_allclose(imputer.transform([[np.nan], [8.0]]), [[4.0], [8.0]])
    with_gap = np.array([[1.0], [np.nan], [5.0]])
    imputer.fit(with_gap)
    np.testing.assert_allclose(imputer.transform(with_gap), [[1.0], [3.0], [5.0]])


def test_runner_writes_scores_and_memory(tmp_path, tiny_gtex):
    data, genes, context = tiny_gtex
    scenario = held_out_scenario(data, genes, context, dataset="tiny", keep_cells=True)
    # All samples of a donor are on one side of the split.
    assert not set(scenario.train["donor"]) & set(scenario.test["donor"])
    assert scenario.mask.any() and np.isnan(scenario.test[genes].to_numpy()).any()
    runner = Runner(tmp_path, "test", budget=60, progress=False)
    rows = runner.run(scenario, get_methods(["mean", "tissue-median", "surrogate"]))
    assert [row["status"] for row in rows] == ["ok"] * 3
    results = pd.read_csv(tmp_path / "results.csv")
    assert list(results.columns[: len(RESULT_COLUMNS)]) == RESULT_COLUMNS
    assert set(REQUIRED_COLUMNS) <= set(results.columns)
    assert results["r2"].notna().all() and (results["peak_memory_mb"] >= 0).all()
    # The per-tissue median beats the overall mean on tissue-structured data.
    r2 = results.set_index("method")["r2"]
    assert r2["tissue-median"] > r2["mean"]
    cells = pd.read_csv(tmp_path / "cell_r2.csv")
    assert set(cells["tissue"]) == set(data["tissue"].astype(str))


def test_timeout_marks_method_infeasible(tmp_path, tiny_gtex):
    data, genes, context = tiny_gtex
    scenario = held_out_scenario(data, genes, context, dataset="tiny")
    slow = Method("sleeper", "Sleeper", lambda c: SleepingImputer(60.0))
    runner = Runner(tmp_path, "test", budget=2, progress=False)
    start = time.perf_counter()
    (row,) = runner.run(scenario, [slow])
    assert time.perf_counter() - start < 30
    assert row["status"] == "infeasible"
    assert "budget" in row["message"] and np.isnan(row["r2"])
    summary = report.summarize(runner.results())
    assert "cannot be compared" in " ".join(report.beats_gain_sentences(summary))


class _Interrupted(Exception):
    pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer (POSIX)")
def test_interrupted_runner_stops_its_child(tmp_path, tiny_gtex):
    data, genes, context = tiny_gtex
    scenario = held_out_scenario(data, genes, context, dataset="tiny")
    flag = tmp_path / "fit-started"
    slow = Method(
        "sleeper", "Sleeper", lambda c: SleepingImputer(60.0, started_flag=str(flag))
    )
    runner = Runner(tmp_path / "out", "test", budget=60, progress=False)

    def interrupt_once_fitting(signum, frame):
        # As Ctrl-C would, while the runner waits on a child that is busy.
        if flag.exists():
            raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt_once_fitting)
    signal.setitimer(signal.ITIMER_REAL, 0.2, 0.2)
    try:
        with pytest.raises(_Interrupted):
            runner.run(scenario, [slow])
        left_running = multiprocessing.active_children()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        for child in multiprocessing.active_children():
            child.kill()
    assert left_running == []


def test_sigterm_unwinds_the_suite_as_system_exit():
    # In a child interpreter: without the handler SIGTERM kills it outright.
    script = (
        "import os, signal, time\n"
        "from benchmarks._runner import sigterm_exits\n"
        "try:\n"
        "    with sigterm_exits():\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(30)\n"
        "except SystemExit as stop:\n"
        "    restored = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL\n"
        "    print('unwound', stop.code, 'restored' if restored else 'kept')\n"
        "    raise\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert done.stdout.split() == ["unwound", "143", "restored"]


def test_failing_method_is_reported_as_error(tmp_path, tiny_gtex):
    data, genes, context = tiny_gtex
    scenario = held_out_scenario(data, genes, context, dataset="tiny")
    broken = Method("broken", "Broken", lambda c: SleepingImputer(seconds="x"))
    (row,) = Runner(tmp_path, "test", budget=30, progress=False).run(scenario, [broken])
    assert row["status"] == "error" and "TypeError" in row["message"]


def test_dead_child_is_reported_as_crashed_with_its_time(tmp_path, tiny_gtex):
    data, genes, context = tiny_gtex
    scenario = held_out_scenario(data, genes, context, dataset="tiny")
    dying = Method("dying", "Dying", lambda c: DyingImputer())
    (row,) = Runner(tmp_path, "test", budget=30, progress=False).run(scenario, [dying])
    assert row["status"] == "crashed"
    assert re.search(r"code 9 after \d+ s", row["message"])


def test_speed_sentences_tell_a_crash_from_the_budget():
    reference = {"method": "gain", "r2": 0.3, "fit_seconds": 9.0,
                 "transform_seconds": 1.0}  # fmt: skip
    results = pd.DataFrame(
        [
            {**reference, "status": "ok", "message": ""},
            {"method": "mice", "status": "infeasible", "message": "budget"},
            {
                "method": "knn",
                "status": "crashed",
                "message": "child exited with code -9 after 150 s",
            },  # fmt: skip
        ]
    )
    stopped, crashed = _speed_sentences(results, reference, budget=200.0)
    assert "was stopped at 200 s" in stopped and "20 times" in stopped
    assert "did not finish (crashed: child exited with code -9 after 150 s)" in crashed
    assert "not shown to be 20 times slower" in crashed


def test_report_says_where_a_method_beats_gain():
    results = pd.DataFrame(
        {
            "dataset": "d",
            "protocol": "held-out",
            "mechanism": "mcar",
            "missing_rate": 0.5,
            "method": ["knn", "knn", "gain", "gain", "mean", "mean"],
            "repeat": [0, 1] * 3,
            "r2": [0.5, 0.52, 0.4, 0.44, -0.8, -0.7],
            "rmse": [0.7, 0.7, 0.8, 0.8, 1.2, 1.2],
            "fit_seconds": 1.0,
            "transform_seconds": 0.1,
            "peak_memory_mb": 10.0,
            "status": "ok",
            "message": "",
        }
    )
    summary = report.summarize(results)
    gain = summary.set_index("method").loc["gain"]
    assert gain["r2_mean"] == pytest.approx(0.42)
    assert gain["r2_std"] == pytest.approx(0.02)
    (sentence,) = report.beats_gain_sentences(summary)
    assert "KNN (0.510 vs 0.420) beats GAIN (no covariates)" in sentence
    assert "0.420 +- 0.020" in report.method_table(summary)
    # A method that finished fewer repeats is compared on other repeats: the
    # sentence says so.
    partial = results.drop(index=1)
    partial.loc[partial["method"] == "gain", "r2"] = [0.6, 0.46]
    (sentence,) = report.beats_gain_sentences(report.summarize(partial))
    assert "no method beats GAIN" in sentence
    partial.loc[partial["method"] == "gain", "r2"] = [0.3, 0.46]
    (sentence,) = report.beats_gain_sentences(report.summarize(partial))
    assert "KNN (0.500 vs 0.380, over 1 and 2 finished repeats)" in sentence
    # A margin below the decimals shown is a tie, not a win.
    tie = results.copy()
    tie.loc[tie["method"] == "knn", "r2"] = [0.42004, 0.42004]
    tie.loc[tie["method"] == "gain", "r2"] = [0.42, 0.42]
    sentences = report.beats_gain_sentences(report.summarize(tie))
    assert sentences == [
        "no method beats GAIN (no covariates) on mean R^2.",
        "KNN scores as GAIN (no covariates) does on mean R^2 to three decimals "
        "(0.420), a little better.",
    ]
    # For RMSE, lower is better: a tie a little below.
    tie.loc[tie["method"] == "knn", "rmse"] = [0.79996, 0.79996]
    sentences = report.beats_gain_sentences(report.summarize(tie), metric="rmse")
    assert sentences[-1].startswith("KNN scores as GAIN (no covariates) does on mean")
    assert sentences[-1].endswith("RMSE to three decimals (0.800), a little better.")


def test_cli_help_documents_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for option in ("--suite", "--out", "--scale", "--budget", "--data", "--groups"):
        assert option in text
    for suite in ("quick", "paper", "gain-original", "scale"):
        assert suite in text


def test_gain_param_reaches_every_gain_method(capsys):
    from benchmarks._suites import _gain_params

    options = build_parser().parse_args(
        ["--gain-param", "batch_size=256", "--gain-param", "hint_rate=(0.3, 0.7)"]
    )
    assert _gain_params(options) == {"batch_size": 256, "hint_rate": (0.3, 0.7)}
    tiny = build_parser().parse_args(["--tiny", "--gain-param", "max_iter=7"])
    assert _gain_params(tiny)["max_iter"] == 7
    for bad in ("batch_size", "batch_size=fast", "2x=1"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--gain-param", bad])
        assert "--gain-param" in capsys.readouterr().err


def test_cli_quick_tiny_smoke(tmp_path):
    out = tmp_path / "quick"
    methods = "mean,tissue-median,surrogate,knn,gain-covariates"
    assert main(["--suite", "quick", "--tiny", "--quiet", "--out", str(out),
                 "--methods", methods]) == 0  # fmt: skip
    results = pd.read_csv(out / "results.csv")
    assert set(REQUIRED_COLUMNS) <= set(results.columns)
    assert list(results["method"]) == methods.split(",")
    assert (results["status"] == "ok").all()
    text = (out / "report.md").read_text()
    assert "R^2 (mean +- std)" in text and "GAIN (covariates)" in text
    assert "on mean R^2" in text
    assert (out / "r2_by_method.png").stat().st_size > 0


@pytest.mark.parametrize(
    "suite, methods, plot",
    [
        ("paper", "mean,tissue-median", "figure3_missing_rate.png"),
        ("gain-original", "mean,knn", "rmse_by_method.png"),
        ("scale", "mean", "scaling.png"),
    ],
)
def test_other_suites_run_tiny(tmp_path, suite, methods, plot):
    options = build_parser().parse_args(
        ["--suite", suite, "--tiny", "--quiet", "--methods", methods]
    )
    path = SUITES[suite].run(options, tmp_path)
    assert path.exists() and (tmp_path / plot).exists()
    results = pd.read_csv(tmp_path / "results.csv")
    assert (results["status"] == "ok").all()
    if suite == "paper":
        assert {"mcar", "mar", "mnar"} == set(results["mechanism"])
        assert results["missing_rate"].nunique() == 3
    if suite == "gain-original":
        assert "Yoon et al. (2018)" in path.read_text()
        assert (results["protocol"] == "in-sample").all()


def test_data_suite_reads_a_users_table(tmp_path, tiny_gtex):
    data, genes, _ = tiny_gtex
    path = tmp_path / "expression.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["--data", str(path), "--categorical", "tissue,sex", "--numerical",
                 "age", "--groups", "donor", "--methods", "median,surrogate",
                 "--repeats", "1", "--quiet", "--out", str(out)]) == 0  # fmt: skip
    results = pd.read_csv(out / "results.csv")
    assert list(results["method"]) == ["median", "surrogate"]
    assert (results["status"] == "ok").all()
    assert (results["n_genes"] == len(genes)).all()


def test_throughput_suite_counts_flops_against_the_peak(tmp_path, monkeypatch):
    import benchmarks._throughput as throughput

    seeds = []
    measure = throughput.measure_training_step

    def recording(*args, seed=0, **kwargs):
        seeds.append(seed)
        return measure(*args, seed=seed, **kwargs)

    monkeypatch.setattr(throughput, "measure_training_step", recording)
    # Peaks of 50 before the steps and 200 after: the report flags them.
    peaks = iter([50.0, 200.0])
    monkeypatch.setattr(throughput, "matmul_peak_gflops", lambda **k: next(peaks))
    out = tmp_path / "throughput"
    default = DEFAULT_BATCH
    assert main(["--suite", "throughput", "--tiny", "--quiet", "--out", str(out),
                 "--batch-sizes", f"8,{default}", "--seed", "3"]) == 0  # fmt: skip
    # The suite's seed is the seed of its batches and networks.
    assert seeds == [3] * 4
    results = pd.read_csv(out / "results.csv")
    steps = results[results["measure"] == "training step"]
    assert list(steps["batch_size"]) == [8, default, 8, default]
    # The step's matrix products grow with the batch; GAIN-MSE has no
    # discriminator, so fewer of them.
    adversarial = steps["adversarial"].astype(str) == "True"
    gain = steps[adversarial].set_index("batch_size")["gflop_per_step"]
    mse = steps[~adversarial].set_index("batch_size")["gflop_per_step"]
    assert gain[default] == pytest.approx(default / 8 * gain[8], rel=0.05)
    assert (mse < gain).all()
    ratio = steps["gflops"] / steps["peak_gflops"]
    np.testing.assert_allclose(steps["ratio_to_peak"], ratio)
    assert ((steps["ratio_to_peak"] > 0) & (steps["ratio_to_peak"] < 1.5)).all()
    imputation = results[results["measure"].str.startswith("impute")]
    assert len(imputation) == 2 and (imputation["seconds"] > 0).all()
    fit = results[results["measure"].str.startswith("fit")]
    assert len(fit) == 1 and fit["seconds"].iloc[0] > 0
    # The step is timed with the estimator's default hidden layers.
    hidden = GAINImputer().hidden_layer_sizes
    assert set(results["hidden_layer_sizes"]) == {",".join(map(str, hidden))}
    # The step's products alone: timed, and the ratio they would read.
    assert (steps["products_seconds_per_step"] > 0).all()
    np.testing.assert_allclose(
        steps["products_ratio_to_peak"],
        steps["gflop_per_step"]
        / steps["products_seconds_per_step"]
        / steps["peak_gflops"],
    )
    text = (out / "report.md").read_text()
    assert "ratio to peak" in text and "ratio, products alone" in text
    assert f"| {default} (default) |" in text and "| 8 (default)" not in text
    assert f"hidden layers {tuple(hidden)} as GAINImputer's default" in text
    assert "Seed: 3" in text and "Time budget" not in text
    assert "(50.0 and 200.0 GFLOP/s; the higher, 200.0, is used)" in text
    assert "**The two peaks differ by a factor of 4.00**" in text
    assert (out / "throughput.png").stat().st_size > 0
    # The date and load of the report are taken when the suite starts.
    started, ended = re.search(r"Date: started (\S+), ended (\S+)", text).groups()
    assert started <= ended


def test_throughput_step_takes_the_hidden_layers_of_gain_params():
    from benchmarks._throughput import measure_training_step

    narrow = measure_training_step(
        40, 8, n_steps=1, gain_params={"hidden_layer_sizes": (8,)}
    )
    wide = measure_training_step(
        40, 8, n_steps=1, gain_params={"hidden_layer_sizes": (32,)}
    )
    # The products of the first and last layers scale with the width.
    assert wide["gflop_per_step"] == pytest.approx(
        4 * narrow["gflop_per_step"], rel=0.1
    )
    # An int is one layer, as GAINImputer takes it.
    one_layer = measure_training_step(
        40, 8, n_steps=1, gain_params={"hidden_layer_sizes": 8}
    )
    assert one_layer["gflop_per_step"] == narrow["gflop_per_step"]


def test_throughput_table_keeps_a_sub_second_epoch_readable():
    from benchmarks._throughput import _table

    steps = pd.DataFrame(
        {
            "measure": "training step",
            "adversarial": [True, True],
            "batch_size": [64, DEFAULT_BATCH],
            "gflop_per_step": [8.78, 35.11],
            "seconds_per_step": [0.0050, 0.2214],
            "gflops": [1770.7, 158.6],
            "peak_gflops": [45833.2, 433.3],
            "ratio_to_peak": [0.04, 0.37],
            "products_seconds_per_step": [0.0031, 0.1469],
            "products_ratio_to_peak": [0.06, 0.55],
            "samples_per_second": [12911.0, 1156.5],
            "seconds_per_epoch_gtex": [1.2116, 13.5266],
        }
    )
    rows = _table(steps).splitlines()[2:]
    assert rows[0].endswith("| 12911 | 1.21 |")
    assert rows[1].endswith("| 1156 | 13.5 |")


@pytest.mark.parametrize("mixed_precision", [False, True])
def test_products_replay_runs_the_products_of_a_step(mixed_precision):
    from benchmarks._throughput import (
        _batches,
        _config,
        _ProductRecorder,
        _TensorSpec,
        count_flops,
        gtex_trainer,
        time_products,
    )
    from skgain import _networks

    # Wider than the column block, so the gene-wide products are recorded too.
    n_genes = _networks.COLUMN_BLOCK + 88
    params = {"mixed_precision": mixed_precision}
    config = _config(8, (16, 16), True, params)
    trainer = gtex_trainer(config, n_genes, 0, "cpu")
    batch = _batches(n_genes, 8, 1, 0, "cpu")[0]
    step_flops, recorder = count_flops(), _ProductRecorder()
    with step_flops, recorder:
        trainer.step(batch)
    replayed_flops = count_flops()
    with replayed_flops:
        seconds = time_products(recorder.calls, torch.device("cpu"), n_repeats=2)
    # One untimed run and two timed ones, each with every product of the step.
    assert replayed_flops.get_total_flops() == 3 * step_flops.get_total_flops() > 0
    assert seconds > 0
    ops = {func.overloadpacket for func, *_ in recorder.calls}
    if _networks._ONEDNN_LINEAR is not None and not mixed_precision:
        assert torch.ops.mkldnn._linear_pointwise in ops
    # The operands are replayed in the dtype the step multiplied in.
    specs = [
        operand
        for _, args, _ in recorder.calls
        for operand in args
        if isinstance(operand, _TensorSpec)
    ]
    expected = torch.bfloat16 if mixed_precision else torch.float32
    assert specs and {spec.dtype for spec in specs} == {expected}


def _memory_growth_of_nothing() -> float:
    from benchmarks._runner import _peak_kb, _rss_kb

    baseline_kb, _ = _rss_kb()
    return (_peak_kb() - baseline_kb) / 1024


@pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's /proc"
)
def test_peak_memory_of_a_spawned_process_is_its_own():
    """A process started by exec does not report its parent's peak as growth."""
    from benchmarks._throughput import _in_fresh_process

    parent_peak = np.ones(400 * 2**20 // 8)  # 400 MB in this process
    parent_peak[::512] = 2.0  # touched, so resident
    del parent_peak
    assert _in_fresh_process(_memory_growth_of_nothing) < 50


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(),
    reason="needs the forkserver start method",
)
@pytest.mark.parametrize("cuda, expected", [(False, "forkserver"), (True, "spawn")])
def test_runner_starts_children_by_spawn_where_there_is_cuda(
    monkeypatch, cuda, expected
):
    from benchmarks._runner import _start_method

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert _start_method(None).get_start_method() == expected
    # A method asked for is the one used, CUDA or not.
    assert _start_method("forkserver").get_start_method() == "forkserver"
    assert _start_method("spawn").get_start_method() == "spawn"


def test_speed_suite_budgets_the_others_at_twenty_times_gain(tmp_path):
    out = tmp_path / "speed"
    assert main(["--suite", "speed", "--tiny", "--quiet", "--out", str(out),
                 "--methods", "gain,mean,knn,mice-nearest"]) == 0  # fmt: skip
    results = pd.read_csv(out / "results.csv").set_index("method")
    assert list(results.index) == ["gain", "mean", "knn", "mice-nearest"]
    assert (results["status"] == "ok").all()
    assert (results["protocol"] == "in-sample").all()
    gain_seconds = results.loc["gain", ["fit_seconds", "transform_seconds"]].sum()
    report = (out / "report.md").read_text()
    assert f"that is {20 * gain_seconds:.0f} s" in report
    assert "KNN took" in report and "times GAIN (no covariates)'s time" in report
    assert "MICE (100 nearest features) took" in report
    # --tiny shrinks GAIN, and the report says so rather than "its defaults".
    assert "GAIN runs GAINImputer with its defaults except `max_iter=" in report


def test_speed_report_names_the_gain_settings_it_was_run_with(tmp_path):
    out = tmp_path / "speed"
    args = ["--suite", "speed", "--tiny", "--quiet", "--out", str(out)]
    assert main([*args, "--methods", "gain,mean", "--gain-param", "batch_size=16"]) == 0
    report = (out / "report.md").read_text()
    settings = report.split("GAIN runs GAINImputer with ")[1].split(":")[0]
    assert settings.startswith("its defaults except ")
    assert "`batch_size=16`" in settings


def test_gtex_fit_suite_reports_the_fit_against_thirty_minutes(tmp_path):
    out = tmp_path / "gtex-fit"
    assert main(["--suite", "gtex-fit", "--tiny", "--quiet", "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    assert list(results["method"]) == ["gain-covariates"]
    assert (results["status"] == "ok").all()
    assert results["n_iter"].iloc[0] >= 1
    report = (out / "report.md").read_text()
    assert "fit within 30 min" in report
    assert "| GAIN (covariates) |" in report
    # The peak against the float32 gene matrix, both in MiB: tiny is 120 x 40.
    matrix_mb = 120 * 40 * 4 / 2**20
    assert f"x gene matrix ({matrix_mb:.0f} MB)" in report
    ratio = results["peak_memory_mb"].iloc[0] / matrix_mb
    assert f"| {ratio:.2f} |" in report


def test_gtex_fit_report_names_the_settings_that_differ_from_the_defaults():
    from benchmarks._speed import _settings

    assert _settings({}) == "its defaults (early stopping included)"
    assert _settings({"verbose": 1}) == "its defaults (early stopping included)"
    assert _settings({"adversarial": False, "max_iter": 64}) == (
        "its defaults except `adversarial=False`, `max_iter=64`"
    )


def test_gain_jobs_return_dataframes_and_save_the_imputed_genes(tmp_path, tiny_gtex):
    import json
    import pickle

    from benchmarks._runner import job_payload, run_job

    data, genes, context = tiny_gtex
    scenario = held_out_scenario(data, genes, context, dataset="tiny")
    paths = {"train": tmp_path / "train.pkl", "test": tmp_path / "test.pkl"}
    scenario.train.to_pickle(paths["train"])
    scenario.test.to_pickle(paths["test"])
    (method,) = get_methods(["gain-covariates"])
    payload = job_payload(scenario, method, paths)
    # The text covariates would turn NumPy output into an object array.
    assert payload["pandas_output"]
    assert not get_methods(["knn"])[0].is_gain
    expected = (
        clone(payload["estimator"])
        .set_output(transform="pandas")
        .fit(scenario.train[payload["columns"]])
        .transform(scenario.test[payload["columns"]])
    )
    with open(tmp_path / "job.pkl", "wb") as file:
        pickle.dump(payload, file)
    run_job(
        str(tmp_path / "job.pkl"),
        str(tmp_path / "result.json"),
        str(tmp_path / "imputed.npy"),
    )
    report_ = json.loads((tmp_path / "result.json").read_text())
    assert "error" not in report_, report_.get("traceback")
    imputed = np.load(tmp_path / "imputed.npy")
    assert imputed.dtype == np.float64 and imputed.shape == (len(scenario.test), 12)
    np.testing.assert_array_equal(imputed, expected[genes].to_numpy(np.float64))


def test_throughput_suite_takes_the_device_and_gain_params(tmp_path):
    from benchmarks._throughput import _config

    config = _config(8, (16,), True, {"mixed_precision": True, "batch_size": 999})
    # The suite's batch size wins; the user's other parameters are kept.
    assert config.mixed_precision and config.batch_size == 8
    out = tmp_path / "throughput"
    assert main(["--suite", "throughput", "--tiny", "--quiet", "--out", str(out),
                 "--batch-sizes", "8", "--device", "cpu",
                 "--gain-param", "mixed_precision=True"]) == 0  # fmt: skip
    text = (out / "report.md").read_text()
    assert "Device: cpu. GAINImputer parameters set: {'mixed_precision': True}" in text
    # The machine line names the processor and PyTorch's kernels: peaks and
    # what mixed precision gains differ several-fold between processors.
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    assert re.search(rf"\d+ CPU cores \(.+; PyTorch CPU kernels {capability}", text)
    # Mixed precision also measures the bfloat16 peak its products can reach.
    bf16 = re.search(r"bfloat16, whose `torch.mm` peak .* is (\d+\.\d) GFLOP/s", text)
    assert bf16 and float(bf16.group(1)) > 0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--device"])


def test_throughput_suite_compares_the_step_with_a_cpu_reference(tmp_path):
    from benchmarks._throughput import CPU_REFERENCE_MEASURE

    out = tmp_path / "throughput"
    assert main(["--suite", "throughput", "--tiny", "--quiet", "--out", str(out),
                 "--batch-sizes", "8,32", "--cpu-threads", "1"]) == 0  # fmt: skip
    results = pd.read_csv(out / "results.csv")
    reference = results[results["measure"] == CPU_REFERENCE_MEASURE]
    assert len(reference) == 1
    reference = reference.iloc[0]
    assert reference["batch_size"] == DEFAULT_BATCH and reference["n_threads"] == 1
    assert reference["seconds_per_step"] > 0 and reference["gflop_per_step"] > 0
    steps = results[results["measure"] == "training step"]
    np.testing.assert_allclose(
        steps["speedup_over_cpu"],
        steps["samples_per_second"] / reference["samples_per_second"],
    )
    text = (out / "report.md").read_text()
    assert "## Against the CPU (1 thread(s)), same run" in text
    assert f"default batch size ({DEFAULT_BATCH})" in text
    # On the CPU the reference is only measured when asked for.
    plain = tmp_path / "plain"
    assert main(["--suite", "throughput", "--tiny", "--quiet", "--out", str(plain),
                 "--batch-sizes", "8"]) == 0  # fmt: skip
    plain_results = pd.read_csv(plain / "results.csv")
    assert CPU_REFERENCE_MEASURE not in set(plain_results["measure"])
    assert plain_results["speedup_over_cpu"].isna().all()
    assert "Against the CPU" not in (plain / "report.md").read_text()
    for bad in ("-1", "two"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--cpu-threads", bad])
    assert build_parser().parse_args(["--cpu-threads", "0"]).cpu_threads == 0


@pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("timeout") is None,
    reason="needs bash and coreutils' timeout",
)
def test_gpu_script_runs_the_stages_it_is_given(tmp_path):
    root = Path(__file__).resolve().parents[1]

    def run_script(*stages, benchmark_args="--tiny --quiet"):
        return subprocess.run(
            ["bash", "benchmarks/run_on_gpu.sh", str(tmp_path), "cpu", *stages],
            cwd=root,
            env={
                **os.environ,
                "BENCHMARK_ARGS": benchmark_args,
                "PYTHON": sys.executable,
            },
            capture_output=True,
            text=True,
            timeout=600,
        )

    # Named stages run, in the order named (the script's own order puts the
    # environment first).
    done = run_script("throughput-float32", "environment")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "=== throughput-float32: exit status 0" in done.stdout
    assert "gtex-fit" not in done.stdout and "=== tests" not in done.stdout
    assert "torch" in (tmp_path / "environment.log").read_text()
    assert (tmp_path / "throughput-float32" / "report.md").exists()
    started = re.findall(r"^=== (\S+) \(limit", done.stdout, re.MULTILINE)
    assert started == ["throughput-float32", "environment"]
    # A stage that fails is named, and the script says so in its exit status;
    # so is a stage the script does not know.
    failing = run_script(
        "throughput-mixed", "no-such-stage", benchmark_args="--no-such-option"
    )
    assert failing.returncode == 1
    assert "=== no-such-stage: no such stage" in failing.stdout
    assert (
        "Stages that failed or ran out of time: throughput-mixed no-such-stage"
        in failing.stdout
    )


def test_step_on_cpu_threads_sets_the_threads_of_its_own_process():
    import torch

    from benchmarks._throughput import _in_fresh_process, measure_step_on_cpu_threads

    threads = torch.get_num_threads()
    measured = _in_fresh_process(
        measure_step_on_cpu_threads, 30, 8, 1, n_steps=2, gain_params={}
    )
    assert measured["n_threads"] == 1
    assert measured["seconds_per_step"] > 0 and measured["gflops"] > 0
    assert torch.get_num_threads() == threads


def test_mice_cost_times_the_first_round_models_and_their_covariances(capsys):
    from benchmarks import mice_cost

    mice_cost.main(["--n-samples", "80", "--n-genes", "30", "--genes-timed", "3"])
    printed = capsys.readouterr().out
    assert "synthetic 80x30" in printed
    assert "BayesianRidge fits timed: 3" in printed
    assert "29 predictors" in printed
    # IterativeImputer keeps one 29 x 29 float64 covariance per gene model.
    assert f"kept per model: {29 * 29 * 8:,} bytes" in printed
    assert re.search(r"seconds per gene model: median \d+\.\d\d", printed)


@pytest.mark.filterwarnings("ignore:.*Early stopping criterion not reached")
def test_mice_cost_passes_gain_params_to_the_gain_runs(tmp_path, capsys):
    from benchmarks import mice_cost

    out = tmp_path / "rounds"
    args = ["--n-samples", "80", "--n-genes", "30", "--genes-timed", "1"]
    gain = ["--gain-param", "max_iter=2", "--gain-param", "early_stopping=False"]
    mice_cost.main([*args, *gain, "--rounds", "1", "--out", str(out)])
    results = pd.read_csv(out / "results.csv").set_index("method")
    assert list(results.index) == ["gain", "gain-covariates"]
    assert (results["status"] == "ok").all()
    assert (results["n_iter"] == 2).all()


@pytest.mark.filterwarnings("ignore:.*Early stopping criterion not reached")
def test_mice_cost_gram_gene_models_give_bayesian_ridge_rounds(tmp_path, capsys):
    from benchmarks import mice_cost

    # 40 samples, half of each gene hidden: fewer rows than the 59 predictors,
    # where GramBayesianRidge takes its own path.
    args = ["--n-samples", "40", "--n-genes", "60", "--genes-timed", "1"]
    gain = ["--gain-param", "max_iter=2", "--gain-param", "early_stopping=False"]
    rounds = {}
    for model in ["bayesian-ridge", "gram"]:
        out = tmp_path / model
        mice_cost.main(
            [*args, *gain, "--rounds", "2", "--out", str(out)] + ["--gene-model", model]
        )
        rounds[model] = pd.read_csv(out / "mice-rounds.csv")
        printed = capsys.readouterr().out
        assert list(rounds[model]["gene_model"]) == [model, model]
        named = "mice-gram-2-rounds" if model == "gram" else "mice-2-rounds"
        assert re.search(rf"^{named} ", printed, re.MULTILINE)
        assert ("not its time" in printed) == (model == "gram")
    np.testing.assert_allclose(
        rounds["gram"]["r2"], rounds["bayesian-ridge"]["r2"], rtol=1e-9
    )
    assert rounds["gram"]["r2"].iloc[0] != pytest.approx(
        rounds["gram"]["r2"].iloc[1], rel=1e-6
    )


@pytest.mark.filterwarnings("ignore:.*Early stopping criterion not reached")
def test_mice_cost_rounds_score_iterative_imputer_after_each_round(tmp_path, capsys):
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    from benchmarks import mice_cost
    from benchmarks._speed import speed_scenario
    from skgain.metrics import imputation_r2_score

    out = tmp_path / "rounds"
    args = ["--n-samples", "80", "--n-genes", "30", "--genes-timed", "1"]
    mice_cost.main([*args, "--rounds", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    results = pd.read_csv(out / "results.csv").set_index("method")
    assert list(results.index) == ["gain", "gain-covariates"]
    assert (results["status"] == "ok").all() and results["r2"].notna().all()
    rounds = pd.read_csv(out / "mice-rounds.csv")
    assert list(rounds["round"]) == [1, 2]

    # Each round's score is that of IterativeImputer stopped after that round.
    scenario = speed_scenario(80, 30, 0)
    X = scenario.test[scenario.genes].to_numpy(dtype=np.float64)
    for n_rounds, r2 in zip(rounds["round"], rounds["r2"]):
        alone = IterativeImputer(
            PointBayesianRidge(), max_iter=n_rounds, tol=0.0, random_state=0
        ).fit_transform(X)
        expected = imputation_r2_score(
            scenario.truth, alone, scenario.mask, scenario.groups
        )
        assert r2 == pytest.approx(expected, rel=1e-9)
    assert rounds["r2"].iloc[0] != pytest.approx(rounds["r2"].iloc[1], rel=1e-6)

    # The printed table gives MICE's time against GAIN's and its last R^2.
    seconds = rounds["fit_transform_seconds"].iloc[0]
    gain = results.loc["gain"]
    ratio = seconds / (gain["fit_seconds"] + gain["transform_seconds"])
    last = rounds["r2"].iloc[-1]
    assert re.search(
        rf"mice-2-rounds +{seconds:.1f} +{ratio:.2f} +{last:.3f}  ok", printed
    )
    assert "R^2 after each round" in printed


@pytest.mark.filterwarnings("ignore:.*Early stopping criterion not reached")
def test_imputation_rounds_replay_each_round_of_a_fit():
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 6)) @ rng.normal(size=(6, 6))
    X[rng.random(X.shape) < 0.3] = np.nan
    fitted = IterativeImputer(max_iter=4, tol=0.0, random_state=0)
    fitted.fit(X)
    replayed = list(imputation_rounds(fitted, X))
    assert len(replayed) == 4
    for n_rounds, imputed in enumerate(replayed, start=1):
        alone = IterativeImputer(max_iter=n_rounds, tol=0.0, random_state=0)
        np.testing.assert_allclose(imputed, alone.fit_transform(X), rtol=1e-12)
    assert not np.allclose(replayed[0], replayed[-1])
    # The fitted imputer is left whole.
    assert fitted.n_iter_ == 4 and len(fitted.imputation_sequence_) == 4 * 6
    with pytest.raises(ValueError, match="sample_posterior=True"):
        sampling = IterativeImputer(max_iter=1, sample_posterior=True).fit(X)
        next(imputation_rounds(sampling, X))


@pytest.mark.filterwarnings("ignore:.*Early stopping criterion not reached")
def test_point_bayesian_ridge_predicts_as_bayesian_ridge_without_covariance():
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.linear_model import BayesianRidge

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)) @ rng.normal(size=(8, 8))
    X[rng.random(X.shape) < 0.3] = np.nan
    point = IterativeImputer(PointBayesianRidge(), max_iter=3, random_state=0)
    full = IterativeImputer(BayesianRidge(), max_iter=3, random_state=0)
    np.testing.assert_allclose(point.fit_transform(X), full.fit_transform(X))
    models = [triplet.estimator for triplet in point.imputation_sequence_]
    assert models and not any(hasattr(model, "sigma_") for model in models)
    with pytest.raises(ValueError, match="no posterior covariance"):
        models[0].predict(np.zeros((2, 7)), return_std=True)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gram_bayesian_ridge_fits_as_bayesian_ridge(fit_intercept):
    from sklearn.linear_model import BayesianRidge

    rng = np.random.default_rng(0)
    # Fewer samples than features, with low-rank structure as in expression.
    X = rng.normal(size=(40, 5)) @ rng.normal(size=(5, 90))
    X += 0.1 * rng.normal(size=X.shape) + 3.0
    y = X[:, :3].sum(axis=1) + 0.5 * rng.normal(size=40) + 7.0
    X_new = rng.normal(size=(15, 5)) @ rng.normal(size=(5, 90)) + 3.0
    gram = GramBayesianRidge(fit_intercept=fit_intercept).fit(X, y)
    reference = BayesianRidge(fit_intercept=fit_intercept).fit(X, y)
    assert gram.n_iter_ == reference.n_iter_ > 1
    assert gram.alpha_ == pytest.approx(reference.alpha_, rel=1e-8)
    assert gram.lambda_ == pytest.approx(reference.lambda_, rel=1e-8)
    np.testing.assert_allclose(gram.coef_, reference.coef_, rtol=1e-7, atol=1e-12)
    assert gram.intercept_ == pytest.approx(reference.intercept_, rel=1e-9)
    np.testing.assert_allclose(gram.predict(X_new), reference.predict(X_new), rtol=1e-9)
    assert not hasattr(gram, "sigma_")
    # With as many samples as features it is PointBayesianRidge.
    tall = rng.normal(size=(100, 6))
    np.testing.assert_array_equal(
        GramBayesianRidge().fit(tall, tall[:, 0] + 1).coef_,
        BayesianRidge().fit(tall, tall[:, 0] + 1).coef_,
    )
    with pytest.raises(ValueError, match="sample_weight"):
        GramBayesianRidge().fit(X, y, sample_weight=np.ones(40))


def test_wide_products_times_each_way_and_the_step(monkeypatch, capsys):
    import torch

    from benchmarks import wide_products
    from skgain import _networks

    # 40 genes in blocks of 16: every wide product runs in three blocks.
    monkeypatch.setattr(_networks, "COLUMN_BLOCK", 16)
    goes_wide, onednn = _networks._wide_on_cpu, torch.backends.mkldnn.enabled
    monkeypatch.setattr(_networks, "_CUSTOM_WIDE_PRODUCTS", False)
    wide_products.main(["--n-genes", "40", "--batch-sizes", "8", "--steps", "1"])
    lines = capsys.readouterr().out.splitlines()
    n_ways = 3 if _networks._ONEDNN_LINEAR is not None else 2
    rows = [line.strip(" |").split(" | ") for line in lines if line.startswith("| 8 |")]
    assert len(rows) == 3 + 1 + 3 + 1
    assert all(len(row) == 2 + n_ways for row in rows[:3])
    assert all(float(cell) >= 0 for row in rows[:3] for cell in row[2:])
    # The output layer's three products in each weight layout, then a step
    # in each layout and how far apart the two trainers' weights are.
    assert [row[1] for row in rows[4:7]] == [
        "output layer, forward",
        "output layer, weight gradient",
        "output layer, input gradient",
    ]
    assert all(len(row) == 4 and float(row[2]) >= 0 for row in rows[4:7])
    layout_row = rows[7]
    assert len(layout_row) == 4
    assert float(layout_row[1]) > 0 and float(layout_row[2]) > 0
    assert 0 <= float(layout_row[3]) < 1e-3
    # The step row: a time per way, then each other way's weight difference
    # from one call's (blocks of the same library: none or rounding).
    step_row = rows[3]
    assert len(step_row) == 1 + n_ways + 1
    assert all(float(cell) > 0 for cell in step_row[1 : 1 + n_ways])
    differences = [float(cell) for cell in step_row[-1].split(", ")]
    assert len(differences) == n_ways - 1
    assert all(0 <= difference < 1e-3 for difference in differences)
    # The switches between the trainers are put back.
    assert _networks._wide_on_cpu is goes_wide
    assert torch.backends.mkldnn.enabled == onednn
    assert _networks._CUSTOM_WIDE_PRODUCTS is False
    # Blocks and oneDNN are timed even where the layers would use torch.mm.
    wide = torch.ones(2, 2), _networks.COLUMN_BLOCK + 1
    for way in ("blocks", "oneDNN"):
        with wide_products._way(way):
            assert _networks._wide_on_cpu(*wide)
    with wide_products._way("one call"):
        assert not _networks._wide_on_cpu(*wide)
    assert _networks._CUSTOM_WIDE_PRODUCTS is False


def test_step_flops_are_counted_whichever_library_multiplies(monkeypatch, library):
    """oneDNN's products count as much as the torch.mm calls they replace."""
    from benchmarks._throughput import measure_training_step
    from skgain import _networks

    onednn, calls = library
    # 40 genes in blocks of 16: every gene-wide product goes through
    # wide_product, and in the other run through torch.mm/addmm.
    monkeypatch.setattr(_networks, "COLUMN_BLOCK", 16)
    wide = measure_training_step(40, 8, n_steps=1)
    assert bool(calls) == onednn
    monkeypatch.setattr(_networks, "_wide_on_cpu", lambda *args: False)
    plain = measure_training_step(40, 8, n_steps=1)
    assert wide["gflop_per_step"] == plain["gflop_per_step"] > 0


def test_training_step_defaults_to_the_estimators_hidden_layers():
    from benchmarks._throughput import measure_training_step

    hidden = GAINImputer().hidden_layer_sizes
    default = measure_training_step(40, 8, n_steps=1)
    explicit = measure_training_step(40, 8, n_steps=1, hidden_layer_sizes=hidden)
    shallower = measure_training_step(40, 8, n_steps=1, hidden_layer_sizes=hidden[1:])
    assert default["gflop_per_step"] == explicit["gflop_per_step"]
    assert default["gflop_per_step"] > shallower["gflop_per_step"]


def test_averaging_decays_scores_extra_averages_beside_the_fit(capsys):
    from benchmarks import averaging_decays
    from skgain import _training

    trainer_init = _training._Trainer.__init__
    args = ["--n-samples", "120", "--n-genes", "20", "--decays", "0,0.99"]
    averaging_decays.main([*args, "--gain-param", "max_iter=3"])
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(epochs) == 3
    for line in epochs:
        # The default average (0.99) scored again equals the estimator's score.
        base = line.split(" | ")[0].split()[-1]
        assert line.split(" | ")[2] == f"0.99: {base}"
    assert any(line.startswith("decay 0.0: best val") for line in lines)
    assert any(line.startswith("decay 0.99: best val") for line in lines)
    # The trainer is itself again after the fit.
    assert _training._Trainer.__init__ is trainer_init


def test_real_tables_script_scores_every_imputer(tmp_path):
    from benchmarks import real_tables

    folder = real_tables.default_data_folder()
    if not (folder / "golub_leukemia").is_dir():
        pytest.skip(f"the real data sets are not in {folder} (set SKGAIN_SHARED_DATA)")
    results = real_tables.main(
        ["--tables", "golub_leukemia", "--repeats", "1", "--max-iter", "2",
         "--out", str(tmp_path)]
    )  # fmt: skip
    assert set(results["method"]) == {
        "mean", "KNN", "GAIN, no covariates", "GAIN", "GAIN, small-table settings"
    }  # fmt: skip
    assert results["r2"].notna().all() and (results["rmse"] > 0).all()
    # The column mean scores R^2 near 0 by construction (its own mean, not
    # the hidden values').
    mean = results.set_index("method").loc["mean"]
    assert -0.2 < mean["r2"] < 0.05
    assert (tmp_path / "results.csv").is_file()
