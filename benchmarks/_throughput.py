# SPDX-License-Identifier: BSD-3-Clause
"""The ``throughput`` suite: GAIN's training speed against the machine's limit.

Two rates are measured in the same process, one after the other, with the same
number of threads:

- the machine's float32 matrix-multiply peak: the best rate of
  ``torch.mm`` on square matrices over a few sizes and repeats (and on a CPU,
  of oneDNN's linear primitive, which skgain's gene-wide products use);
- the training step's rate: the floating-point operations of its matrix
  products (generator and discriminator, forward and backward, counted by
  :class:`torch.utils.flop_counter.FlopCounterMode` on one step) divided by the
  measured time of a step of skgain's own trainer.

Their ratio says how much of the machine the training loop uses; the rest goes
to elementwise work, random draws, the optimiser and Python overhead. The
step's products are also recorded and run again on their own, one after the
other: the ratio they read alone bounds what the step could reach by cutting
everything else. The suite
also times ``GAINImputer.transform`` on GTEx-sized data (DataFrame and NumPy
output) and one epoch of ``GAINImputer.fit`` at GTEx scale, with the growth of
peak memory against the size of the input. On another device (a GPU) it also
times the step on the host's CPU with a few threads, the reference that the
device's speed-up is reported against.
"""

import functools
import math
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import ConvergenceWarning
from torch.utils import _pytree as pytree
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from benchmarks import _report as report
from benchmarks._runner import _peak_kb, _rss_kb
from benchmarks._suites import _environment, _write, register_suite
from skgain import GAINImputer, _networks
from skgain._training import TrainingConfig, TrainingData, _Trainer, build_networks

# The step is timed with GAINImputer's default hidden layers.
DEFAULT_HIDDEN = tuple(GAINImputer().hidden_layer_sizes)

# GTEx V8 as in the GAIN-GTEx paper: genes, tissues, samples (and the rows a
# default GAINImputer fitted on all of them trains on, after its 10%
# validation split).
GTEX_GENES = 12557
GTEX_TISSUES = 49
GTEX_SAMPLES = 17382
GTEX_TRAINING_ROWS = GTEX_SAMPLES - round(0.1 * GTEX_SAMPLES)  # as GAINImputer splits
GTEX_TEST_ROWS = 16758
# What batch_size="auto" gives on GTEx's training rows.
DEFAULT_BATCH = GAINImputer()._training_config().resolved(GTEX_TRAINING_ROWS).batch_size

# The CPU reference of a run on another device: threads, as many as a
# laptop-class 2-core machine has, and its row's name in results.csv.
CPU_REFERENCE_THREADS = 2
CPU_REFERENCE_MEASURE = "training step, CPU reference"

THROUGHPUT_COLUMNS = [
    "suite",
    "measure",
    "n_genes",
    "batch_size",
    "hidden_layer_sizes",
    "adversarial",
    "n_threads",
    "gflop_per_step",
    "seconds_per_step",
    "gflops",
    "peak_gflops",
    "ratio_to_peak",
    "products_seconds_per_step",
    "products_ratio_to_peak",
    "samples_per_second",
    "seconds_per_epoch_gtex",
    "speedup_over_cpu",
    "seconds",
    "peak_memory_mb",
]


# Peaks before and after the steps that differ by more than this factor are
# flagged in the report: the machine's speed changed during the run.
PEAK_AGREEMENT = 1.2


def _synchronize(device: torch.device) -> None:
    # CUDA runs asynchronously: a clock read is only honest after the queue.
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_gflops(
    sizes=(1024, 2048, 3072), repeats: int = 5, device="cpu", dtype=torch.float32
) -> float:
    """Best matrix-multiply rate of this machine in ``dtype``, in GFLOP/s.

    The best of ``torch.mm`` and, on a CPU in float32 where PyTorch has
    oneDNN, of oneDNN's linear primitive: skgain's training step multiplies
    with both, and the peak is what the faster of them reaches.

    Parameters
    ----------
    sizes : tuple of int, default=(1024, 2048, 3072)
        Sides of the square matrices multiplied.
    repeats : int, default=5
        Timed products per size and library; the fastest counts.
    device : str or torch.device, default="cpu"
        Where to multiply.
    dtype : torch.dtype, default=torch.float32
        Type of the matrices: float32 for the peak that the suite's ratio is
        against; bfloat16 for what ``mixed_precision=True`` can reach.

    Returns
    -------
    gflops : float
        ``2 n^3`` operations over the fastest time, best over the sizes.
    """
    device = torch.device(device)
    generator = torch.Generator().manual_seed(0)
    best = 0.0
    for n in sizes:
        a = torch.randn(n, n, generator=generator).to(device=device, dtype=dtype)
        b = torch.randn(n, n, generator=generator).to(device=device, dtype=dtype)
        out = torch.empty(n, n, device=device, dtype=dtype)
        products = [functools.partial(torch.mm, a, b, out=out)]
        onednn = _networks._ONEDNN_LINEAR
        if device.type == "cpu" and dtype == torch.float32 and onednn is not None:
            # a @ b.T, a product of the same cost as a @ b; the primitive
            # takes no output argument.
            products.append(functools.partial(onednn, a, b, None, "none", [], ""))
        for product in products:
            product()  # warm-up: thread pool, caches
            _synchronize(device)
            for _ in range(repeats):
                start = time.perf_counter()
                product()
                _synchronize(device)
                seconds = time.perf_counter() - start
                best = max(best, 2 * n**3 / seconds / 1e9)
    return best


def _onednn_linear_flops(input_shape, weight_shape, *args, out_shape=None, **kwargs):
    # input @ weight.T (+ bias): a multiply and an add per term, as
    # FlopCounterMode counts torch.mm and torch.addmm (the bias not counted).
    return 2 * math.prod(input_shape) * weight_shape[0]


def count_flops() -> FlopCounterMode:
    """A FlopCounterMode that also counts the products skgain hands to oneDNN."""
    mapping = {}
    if _networks._ONEDNN_LINEAR is not None:
        mapping[torch.ops.mkldnn._linear_pointwise] = _onednn_linear_flops
    return FlopCounterMode(display=False, custom_mapping=mapping)


class _TensorSpec:
    """Shape, strides, dtype and device of a product's operand."""

    def __init__(self, tensor: torch.Tensor):
        self.shape, self.stride = tuple(tensor.shape), tuple(tensor.stride())
        self.dtype, self.device = tensor.dtype, tensor.device

    def materialize(self, generator: torch.Generator) -> torch.Tensor:
        values = torch.empty_strided(
            self.shape, self.stride, dtype=self.dtype, device=self.device
        )
        # Random values, as in a step: zeros or NaN could take other paths.
        noise = torch.randn(values.shape, generator=generator)
        return values.copy_(noise.to(device=self.device, dtype=self.dtype))


class _ProductRecorder(TorchDispatchMode):
    """Records each product that runs under it: operator and operands.

    The products are the operators whose FLOPs :func:`count_flops` counts.
    """

    def __init__(self):
        super().__init__()
        self.calls = []
        self._ops = set(count_flops().flop_registry)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func.overloadpacket in self._ops:
            specs = pytree.tree_map_only(torch.Tensor, _TensorSpec, (args, kwargs))
            self.calls.append((func, *specs))
        return func(*args, **kwargs)


def time_products(calls, device, n_repeats: int = 10) -> float:
    """Median seconds of running the recorded products one after the other.

    Each product gets operands of its own, of the recorded shapes, strides
    and dtypes, filled with random values once; nothing else runs between
    the products, so this is what the step would take if its products were
    all it did (with the caches kinder than in a step, an optimistic bound).

    Parameters
    ----------
    calls : list
        ``_ProductRecorder.calls``: operator, args and kwargs with
        :class:`_TensorSpec` in place of the tensors.
    device : torch.device
        Where the products ran; the clock waits for it.
    n_repeats : int, default=10
        Timed replays, after one untimed.

    Returns
    -------
    seconds : float
    """
    generator = torch.Generator().manual_seed(0)

    def materialize(spec):
        return spec.materialize(generator)

    products = []
    for func, *operands in calls:
        args, kwargs = pytree.tree_map_only(_TensorSpec, materialize, operands)
        products.append(functools.partial(func, *args, **kwargs))
    times = []
    for repeat in range(n_repeats + 1):
        _synchronize(device)
        start = time.perf_counter()
        for product in products:
            product()
        _synchronize(device)
        if repeat:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def _config(
    batch_size: int, hidden, adversarial: bool, params: dict | None = None
) -> TrainingConfig:
    # GAINImputer's own defaults, so that the suite times what a user runs;
    # widths in ``params`` win over ``hidden``, and GAINImputer reads them.
    imputer = GAINImputer(
        **{
            "hidden_layer_sizes": hidden,
            **(params or {}),
            "batch_size": batch_size,
            "adversarial": adversarial,
            "max_iter": 1,
            "early_stopping": False,
        }
    )
    return imputer._training_config().resolved(GTEX_TRAINING_ROWS)


def gtex_trainer(config: TrainingConfig, n_genes: int, seed: int, device) -> _Trainer:
    """A trainer of ``config`` for GTEx-shaped data: tissue, sex and age covariates."""
    device = torch.device(device)
    generator, discriminator = build_networks(
        config, n_genes, [GTEX_TISSUES, 2], 1, seed, device
    )
    rng = torch.Generator(device=device).manual_seed(seed)
    return _Trainer(config, generator, discriminator, rng)


def _batches(n_genes: int, batch_size: int, n_batches: int, seed: int, device):
    """GTEx-shaped training batches on ``device``: values, 10% gaps, covariates.

    Drawn on the CPU, so that every device gets the same batches.
    """
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(n_batches):
        values = torch.randn(batch_size, n_genes, generator=generator)
        observed = torch.rand(batch_size, n_genes, generator=generator) > 0.1
        codes = torch.stack(
            [
                torch.randint(GTEX_TISSUES, (batch_size,), generator=generator),
                torch.randint(2, (batch_size,), generator=generator),
            ],
            dim=1,
        )
        numerical = torch.randn(batch_size, 1, generator=generator)
        tensors = (values * observed, observed, codes, numerical)
        batches.append(TrainingData(*(tensor.to(device) for tensor in tensors)))
    return batches


def measure_training_step(
    n_genes: int,
    batch_size: int,
    *,
    hidden_layer_sizes=DEFAULT_HIDDEN,
    adversarial: bool = True,
    n_steps: int = 10,
    seed: int = 0,
    device="cpu",
    gain_params: dict | None = None,
) -> dict:
    """Matrix-product FLOPs and time of skgain's training step.

    Parameters
    ----------
    n_genes : int
        Features imputed.
    batch_size : int
        Rows per step.
    hidden_layer_sizes : tuple of int, default=DEFAULT_HIDDEN
        Hidden layers of the generator, and of the discriminator unless
        ``gain_params`` gives ``discriminator_hidden_layer_sizes``;
        GAINImputer's default unless given, here or as ``gain_params``'
        ``hidden_layer_sizes``, which wins.
    adversarial : bool, default=True
        GAIN (True) or GAIN-MSE (False).
    n_steps : int, default=10
        Steps timed, after two untimed warm-up steps.
    seed : int, default=0
        Seed of the synthetic batches and of the networks.
    device : str or torch.device, default="cpu"
        Where the step runs.
    gain_params : dict, default=None
        Other GAINImputer parameters of the step (``mixed_precision``, ...).

    Returns
    -------
    measurement : dict
        ``gflop_per_step`` (matrix products only), ``seconds_per_step`` (the
        median over the timed steps), ``gflops`` and
        ``products_seconds_per_step``: the step's products alone, replayed
        by :func:`time_products` (median of ``n_steps`` replays).
    """
    config = _config(batch_size, hidden_layer_sizes, adversarial, gain_params)
    device = torch.device(device)
    trainer = gtex_trainer(config, n_genes, seed, device)
    batches = _batches(n_genes, batch_size, 4, seed, device)
    counter = count_flops()
    recorder = _ProductRecorder()
    with counter, recorder:
        trainer.step(batches[0])
    flops = counter.get_total_flops()
    trainer.step(batches[1])
    _synchronize(device)
    times = []
    for step in range(n_steps):
        start = time.perf_counter()
        trainer.step(batches[step % len(batches)])
        _synchronize(device)
        times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    return {
        "gflop_per_step": flops / 1e9,
        "seconds_per_step": seconds,
        "gflops": flops / seconds / 1e9,
        "products_seconds_per_step": time_products(recorder.calls, device, n_steps),
    }


def measure_step_on_cpu_threads(
    n_genes: int,
    batch_size: int,
    n_threads: int,
    *,
    n_steps: int = 10,
    seed: int = 0,
    gain_params: dict | None = None,
) -> dict:
    """:func:`measure_training_step` on the CPU with ``n_threads`` threads.

    ``torch.set_num_threads`` holds for the whole process: run this in a
    process of its own (:func:`_in_fresh_process`), so that the threads of
    the caller's other measurements stay as they were.

    Returns
    -------
    measurement : dict
        :func:`measure_training_step`'s, and ``n_threads``, the threads the
        step ran on.
    """
    torch.set_num_threads(n_threads)
    measured = measure_training_step(
        n_genes,
        batch_size,
        n_steps=n_steps,
        seed=seed,
        device="cpu",
        gain_params=gain_params,
    )
    return {**measured, "n_threads": torch.get_num_threads()}


def measure_imputation(
    n_genes: int,
    n_rows: int,
    *,
    output: str = "pandas",
    seed: int = 0,
    gain_params: dict | None = None,
) -> dict:
    """Time and memory of ``GAINImputer.transform`` on ``n_rows`` x ``n_genes``.

    A default GAINImputer is fitted for one epoch on 512 rows (the weights do
    not change the cost of imputing), then imputes float32 rows with half their
    entries missing and tissue, sex and age covariates.

    Parameters
    ----------
    n_genes, n_rows : int
        Shape of the gene matrix imputed.
    output : {"pandas", "numpy"}, default="pandas"
        ``"pandas"``: tissue and sex are categorical columns and the output
        is a DataFrame (``set_output(transform="pandas")``). ``"numpy"``:
        they are integer codes and the output is a float32 array.
    seed : int, default=0
        Seed of the data and of the model.
    gain_params : dict, default=None
        Other GAINImputer parameters (``device``, ...).

    Returns
    -------
    measurement : dict
        ``seconds`` of ``transform``, ``input_mb`` (the float32 gene matrix) and
        ``peak_memory_mb``: the growth of the process's peak resident memory
        during ``transform``, above what the input and the model already held.
    """
    imputer = _one_epoch_imputer(
        seed, **{**(gain_params or {}), "early_stopping": False}
    ).set_output(transform="pandas" if output == "pandas" else "default")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        imputer.fit(_expression_frame(512, n_genes, 0.5, output, seed))
    X = _expression_frame(n_rows, n_genes, 0.5, output, seed + 1)
    input_mb = n_rows * n_genes * 4 / 2**20
    baseline_kb, reset = _rss_kb()
    start = time.perf_counter()
    imputed = imputer.transform(X)
    seconds = time.perf_counter() - start
    peak_mb = (_peak_kb() - baseline_kb) / 1024 if reset else float("nan")
    if np.isnan(np.asarray(imputed)[:, :n_genes].astype(np.float32)).any():
        raise AssertionError("GAINImputer.transform returned NaN.")
    return {"seconds": seconds, "input_mb": input_mb, "peak_memory_mb": peak_mb}


def measure_fit(
    n_genes: int, n_rows: int, *, seed: int = 0, gain_params: dict | None = None
) -> dict:
    """Time and peak memory of one epoch of a default ``GAINImputer.fit``.

    The data are float32 rows of ``n_genes`` genes with 10% of their entries
    missing and tissue, sex and age covariates. ``max_iter=1``: what is
    measured is the setup (checks, standardisation, the copy to tensors, the
    validation split) plus one epoch and one validation pass, which is where
    fit's memory peaks; later epochs allocate nothing new.

    Returns
    -------
    measurement : dict
        ``seconds``, ``input_mb`` (the float32 gene matrix) and
        ``peak_memory_mb``: growth of the peak resident memory during fit.
    """
    frame = _expression_frame(n_rows, n_genes, 0.1, "pandas", seed)
    imputer = _one_epoch_imputer(seed, **(gain_params or {}))
    baseline_kb, reset = _rss_kb()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        imputer.fit(frame)
    seconds = time.perf_counter() - start
    peak_mb = (_peak_kb() - baseline_kb) / 1024 if reset else float("nan")
    return {
        "seconds": seconds,
        "input_mb": n_rows * n_genes * 4 / 2**20,
        "peak_memory_mb": peak_mb,
    }


def _in_fresh_process(function, *args, **kwargs):
    """``function(*args, **kwargs)`` run in a new Python process."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _one_epoch_imputer(seed: int, **params) -> GAINImputer:
    """A default GAINImputer for the frames below, trained for one epoch."""
    return GAINImputer(
        **{
            **params,
            "categorical_covariates": ["tissue", "sex"],
            "numerical_covariates": ["age"],
            "max_iter": 1,
            "random_state": seed,
        }
    )


def _expression_frame(n_rows, n_genes, missing_rate, output, seed):
    """Standard-normal float32 genes with gaps, then tissue, sex and age.

    With ``output="pandas"`` tissue and sex are categorical columns, else
    int16 codes, so that the whole table is numeric and a NumPy output is
    float32 like the genes (int64 codes would make it float64).
    """
    rng = np.random.default_rng(seed)
    genes = rng.standard_normal((n_rows, n_genes), dtype=np.float32)
    genes[rng.random((n_rows, n_genes), dtype=np.float32) < missing_rate] = np.nan
    frame = pd.DataFrame(genes, columns=[f"g{j}" for j in range(n_genes)], copy=False)
    tissue = rng.integers(GTEX_TISSUES, size=n_rows, dtype=np.int16)
    sex = rng.integers(2, size=n_rows, dtype=np.int16)
    if output == "pandas":
        tissue, sex = pd.Categorical(tissue), pd.Categorical(sex)
    frame["tissue"], frame["sex"] = tissue, sex
    frame["age"] = rng.integers(20, 80, size=n_rows).astype(np.float32)
    return frame


@register_suite(
    "throughput",
    "FLOP rate of GAIN's training step against this machine's float32 "
    "matrix-multiply peak, measured in the same run; transform and one fit "
    "epoch at GTEx size (~6 min).",
)
def run_throughput(options, out: Path) -> Path:
    """Training-step FLOP rate and imputation time at GTEx width."""
    tiny = options.scale == "tiny"
    n_genes = options.n_genes or (200 if tiny else GTEX_GENES)
    batch_sizes = options.batch_sizes or ([16, 64] if tiny else [64, 128, 256, 512])
    n_steps = 3 if tiny else 10
    impute_rows = 500 if tiny else GTEX_TEST_ROWS
    n_threads = torch.get_num_threads()
    device = torch.device(getattr(options, "device", None) or "cpu")
    # Only what the user set (--gain-param): the step keeps the suite's batch
    # sizes and widths, the imputer its one epoch.
    step_params = dict(getattr(options, "gain_param", None) or [])
    gain_params = {**step_params, "device": device}
    peak_sizes = (256,) if tiny else (1024, 2048, 3072)

    peak_before = matmul_peak_gflops(sizes=peak_sizes, device=device)
    rows = []
    for adversarial in (True, False):
        for batch_size in batch_sizes:
            measured = measure_training_step(
                n_genes,
                batch_size,
                adversarial=adversarial,
                n_steps=n_steps,
                seed=options.seed,
                device=device,
                gain_params=step_params,
            )
            rows.append(
                {
                    "measure": "training step",
                    "batch_size": batch_size,
                    "adversarial": adversarial,
                    **measured,
                }
            )
            if not options.quiet:
                print(
                    f"{'GAIN' if adversarial else 'GAIN-MSE'} batch {batch_size}: "
                    f"{measured['gflops']:.1f} GFLOP/s",
                    file=sys.stderr,
                    flush=True,
                )
    # The CPU reference: the step at the default batch size on this host's
    # CPU, in float32 (the estimator's default), timed in the same run, so
    # that a GPU's speed-up is a ratio of two measurements of one run.
    cpu_threads = getattr(options, "cpu_threads", None)
    if cpu_threads is None:
        cpu_threads = 0 if device.type == "cpu" else CPU_REFERENCE_THREADS
    if cpu_threads:
        cpu_params = {k: v for k, v in step_params.items() if k != "mixed_precision"}
        reference = _in_fresh_process(
            measure_step_on_cpu_threads,
            n_genes,
            DEFAULT_BATCH,
            cpu_threads,
            n_steps=n_steps,
            seed=options.seed,
            gain_params=cpu_params,
        )
    # Each in a process of its own: memory that an earlier measurement freed
    # but the allocator kept would otherwise be reused and hide part of the
    # next one's peak.
    imputations = {
        output: _in_fresh_process(
            measure_imputation,
            n_genes,
            impute_rows,
            output=output,
            seed=options.seed,
            gain_params=gain_params,
        )
        for output in ("pandas", "numpy")
    }
    fit_rows = 300 if tiny else GTEX_SAMPLES
    fit = _in_fresh_process(
        measure_fit, n_genes, fit_rows, seed=options.seed, gain_params=gain_params
    )
    peak_after = matmul_peak_gflops(sizes=peak_sizes, device=device)
    # The peak is taken before and after the steps; the higher one counts, so
    # that a machine busier during one of them does not flatter the ratio.
    peak = max(peak_before, peak_after)
    mixed_precision = bool(step_params.get("mixed_precision"))
    # With mixed precision the step's products run in bfloat16: say how fast
    # they could be, beside the float32 peak that the ratio stays against.
    bf16_peak = (
        matmul_peak_gflops(sizes=peak_sizes, device=device, dtype=torch.bfloat16)
        if mixed_precision
        else None
    )
    # The widths the steps ran, as GAINImputer read them from the parameters.
    stepped = _config(DEFAULT_BATCH, DEFAULT_HIDDEN, True, step_params)
    hidden = stepped.hidden_layer_sizes
    hidden_label = ",".join(map(str, hidden))
    if step_params.get("discriminator_hidden_layer_sizes") is not None:
        discriminator = stepped.discriminator_hidden_layer_sizes
        hidden_label += " (discriminator " + ",".join(map(str, discriminator)) + ")"
    common = dict(suite="throughput", n_genes=n_genes, hidden_layer_sizes=hidden_label)
    for row in rows:
        row.update(
            **common,
            **_sample_rates(row["seconds_per_step"], row["batch_size"]),
            n_threads=n_threads,
            peak_gflops=peak,
            ratio_to_peak=row["gflops"] / peak,
            products_ratio_to_peak=row["gflop_per_step"]
            / row["products_seconds_per_step"]
            / peak,
        )
    if cpu_threads:
        reference_row = {
            **common,
            **reference,
            **_sample_rates(reference["seconds_per_step"], DEFAULT_BATCH),
            "measure": CPU_REFERENCE_MEASURE,
            "batch_size": DEFAULT_BATCH,
            "adversarial": True,
        }
        for row in rows:
            row["speedup_over_cpu"] = (
                row["samples_per_second"] / reference_row["samples_per_second"]
            )
        rows.append(reference_row)
    memory_rows = [
        (f"impute {impute_rows} rows, {output} output", measured)
        for output, measured in imputations.items()
    ] + [(f"fit one epoch on {fit_rows} rows", fit)]
    for measure, measured in memory_rows:
        rows.append(
            {
                "suite": "throughput",
                "measure": measure,
                "n_genes": n_genes,
                "hidden_layer_sizes": hidden_label,
                "n_threads": n_threads,
                "peak_gflops": peak,
                "seconds": measured["seconds"],
                "peak_memory_mb": measured["peak_memory_mb"],
            }
        )
    results = pd.DataFrame(rows, columns=THROUGHPUT_COLUMNS)
    results.to_csv(out / "results.csv", index=False)
    _plot(results[results["measure"] == "training step"], out / "throughput.png")
    text = [
        "# Training throughput against the machine's matrix-multiply peak",
        _environment(options, budget=None),
        "## Protocol",
        f"Device: {_device_name(device)}. GAINImputer parameters set: "
        f"{step_params or 'none'}. "
        "Peak: the fastest float32 product of square matrices, by `torch.mm` "
        "or (on a CPU) oneDNN's linear primitive, which skgain's gene-wide "
        f"products use, on "
        f"{n_threads} thread(s), measured before and after the training steps "
        f"({peak_before:.1f} and {peak_after:.1f} GFLOP/s; the higher, "
        f"{peak:.1f}, is used)."
        + (
            f" **The two peaks differ by a factor of "
            f"{peak / min(peak_before, peak_after):.2f}**: the machine ran at "
            "another speed during part of the run (other work on it, or its "
            "clock), so the step times may be off too; run again on an idle "
            "machine."
            if peak > PEAK_AGREEMENT * min(peak_before, peak_after)
            else ""
        )
        + (
            f" With `mixed_precision=True` the step's products run in bfloat16, "
            f"whose `torch.mm` peak measured after the steps is {bf16_peak:.1f} "
            f"GFLOP/s ({bf16_peak / peak:.1f} times float32's); the ratio to "
            "peak stays against float32's."
            if mixed_precision
            else ""
        )
        + " Training step: one step of skgain's trainer "
        "(`skgain._training._Trainer.step`: training mask, noise, hint, "
        "discriminator update, generator update), on GTEx-shaped batches of "
        f"{n_genes} genes with tissue (49 levels), sex and age covariates, "
        f"hidden layers {hidden}"
        + (" as GAINImputer's default" if hidden == DEFAULT_HIDDEN else "")
        + "; its "
        "matrix-product "
        "FLOPs, forward and backward, are counted by "
        "`torch.utils.flop_counter.FlopCounterMode` (oneDNN's products "
        "included) on one step, and its time "
        f"is the median of {n_steps} steps after two warm-up steps. Products "
        "alone: the products that step ran, recorded with their shapes, "
        "strides and dtypes and run again one after the other on operands of "
        f"their own, nothing else between them (median of {n_steps} runs): "
        "the time the step would take if it did nothing but multiply, and the "
        "ratio to peak it would then read, a bound on what work outside the "
        "products can gain. Epoch time "
        f"at GTEx scale is for {GTEX_TRAINING_ROWS} training rows (the "
        f"{GTEX_SAMPLES} samples less GAINImputer's 10% validation split).",
        "## Results",
        _table(results),
        *(_cpu_reference_text(results, device) if cpu_threads else []),
        "## Imputation and fit at GTEx size",
        f"`GAINImputer.transform` of {impute_rows} rows x {n_genes} genes "
        "(float32, half the entries missing, tissue, sex and age covariates) "
        f"and one epoch of `GAINImputer.fit` on {fit_rows} rows (10% missing, "
        "same covariates, default settings with `max_iter=1`: checks, "
        "standardisation, copy to tensors, validation split, one epoch and one "
        "validation pass), each in a fresh Python process. Memory is the "
        "growth of that process's peak resident memory during the call, in "
        "MiB, against the size of the float32 gene matrix. "
        "pandas output: tissue and sex are categorical columns and "
        '`set_output(transform="pandas")`; numpy output: they are integer '
        "codes, so the output is one float32 array.",
        _memory_table(memory_rows),
        "![Throughput](throughput.png)",
    ]
    return _write(out, "\n\n".join(text))


def _sample_rates(seconds_per_step: float, batch_size: int) -> dict:
    """Training samples per second, and seconds per epoch at GTEx scale."""
    per_sample = seconds_per_step / batch_size
    return {
        "samples_per_second": 1 / per_sample,
        "seconds_per_epoch_gtex": per_sample * GTEX_TRAINING_ROWS,
    }


def _cpu_reference_text(results: pd.DataFrame, device: torch.device) -> list:
    """The report's section on the step's speed against the CPU reference."""
    reference = results[results["measure"] == CPU_REFERENCE_MEASURE].iloc[0]
    cpu_threads = int(reference["n_threads"])
    steps = results[results["measure"] == "training step"]
    rows = [
        [
            "GAIN" if row["adversarial"] else "GAIN-MSE",
            f"{int(row['batch_size'])}",
            f"{row['samples_per_second']:.0f}",
            f"{row['speedup_over_cpu']:.1f}",
        ]
        for _, row in steps.iterrows()
    ]
    header = ["method", "batch", "samples / s", f"x CPU ({cpu_threads} thread(s))"]
    return [
        f"## Against the CPU ({cpu_threads} thread(s)), same run",
        f"The GAIN step at the default batch size ({DEFAULT_BATCH}) on this "
        f"host's CPU with {cpu_threads} thread(s), in float32 and with the "
        "other parameters above, timed like the steps above in a process of "
        f"its own: {reference['seconds_per_step'] * 1000:.1f} ms per step, "
        f"{reference['samples_per_second']:.0f} samples/s, "
        f"{reference['gflops']:.1f} GFLOP/s. Each step above (on "
        f"{_device_name(device)}) against it, in training "
        "samples per second:",
        report.markdown_table(rows, header),
    ]


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def _memory_table(memory_rows) -> str:
    rows = [
        [
            measure,
            f"{measured['seconds']:.1f}",
            f"{measured['input_mb']:.0f}",
            f"{measured['peak_memory_mb']:.0f}",
            f"{measured['peak_memory_mb'] / measured['input_mb']:.2f}",
        ]
        for measure, measured in memory_rows
    ]
    header = ["measure", "seconds", "input MB", "peak growth MB", "x input"]
    return report.markdown_table(rows, header)


def _table(results: pd.DataFrame) -> str:
    steps = results[results["measure"] == "training step"]
    rows = [
        [
            "GAIN" if row["adversarial"] else "GAIN-MSE",
            f"{int(row['batch_size'])}"
            + (" (default)" if row["batch_size"] == DEFAULT_BATCH else ""),
            f"{row['gflop_per_step']:.2f}",
            f"{row['seconds_per_step'] * 1000:.1f}",
            f"{row['gflops']:.1f}",
            f"{row['peak_gflops']:.1f}",
            f"{row['ratio_to_peak']:.2f}",
            f"{row['products_seconds_per_step'] * 1000:.1f}",
            f"{row['products_ratio_to_peak']:.2f}",
            f"{row['samples_per_second']:.0f}",
            # Three significant digits: a GPU's epoch takes a fraction of a second.
            f"{row['seconds_per_epoch_gtex']:.3g}",
        ]
        for _, row in steps.iterrows()
    ]
    header = [
        "method",
        "batch",
        "GFLOP / step",
        "ms / step",
        "GFLOP/s",
        "peak GFLOP/s",
        "ratio to peak",
        "ms in products",
        "ratio, products alone",
        "samples / s",
        "s / epoch at GTEx scale",
    ]
    return report.markdown_table(rows, header)


def _plot(steps: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for adversarial, group in steps.groupby("adversarial", sort=False):
        ax.plot(
            group["batch_size"],
            group["ratio_to_peak"],
            marker="o",
            label="GAIN" if adversarial else "GAIN-MSE",
        )
    ax.axhline(0.5, color="grey", linestyle="--", linewidth=0.8, label="50% of peak")
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1)
    ax.set_xlabel("batch size")
    ax.set_ylabel("training-step GFLOP/s / matmul peak")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
