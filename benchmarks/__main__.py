# SPDX-License-Identifier: BSD-3-Clause
"""Command line of the benchmark suites: ``python -m benchmarks --suite NAME``."""

import argparse
import sys
import time
from pathlib import Path

from benchmarks import _speed, _throughput  # noqa: F401 - register their suites
from benchmarks._registry import METHODS
from benchmarks._runner import sigterm_exits
from benchmarks._suites import SIZES, SUITES, add_gain_param_option, start_snapshot


def _threads(text: str) -> int:
    """A thread count for argparse: a whole number, 0 or more."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of threads, 0 or more, got {text!r}"
        )
    return count


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m benchmarks``.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, documenting every option.
    """
    suites = "\n".join(f"  {s.name:<14} {s.summary}" for s in SUITES.values())
    methods = "\n".join(f"  {m.name:<16} {m.label}" for m in METHODS.values())
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Benchmark skgain's GAINImputer against standard imputers. Each run "
            "writes DIR/results.csv (one row per data set x method x mechanism "
            "x missing rate x repeat), DIR/report.md (mean +- std tables, and "
            "in words where a method beats GAIN) and PNG plots. Each method "
            "runs in a child process and is stopped, and reported infeasible, "
            "when it exceeds the time budget. Progress goes to stderr."
        ),
        epilog=f"suites:\n{suites}\n\nmethods:\n{methods}\n\n"
        "See benchmarks/README.md for what each suite measures.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--suite",
        choices=list(SUITES),
        help="Suite to run (default: 'data' when --data is given, else 'quick').",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="Output folder (default: benchmark-results/SUITE).",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="List the suites and methods and exit.",
    )

    sizes = parser.add_argument_group("size of the synthetic data")
    sizes.add_argument(
        "--scale",
        choices=list(SIZES),
        help="Preset size: "
        + "; ".join(
            f"{name}: {s['n_donors']} donors x {s['n_tissues']} tissues x "
            f"{s['n_genes']} genes"
            for name, s in SIZES.items()
        )
        + ". 'small' is the default of quick and paper; 'tiny' shrinks every "
        "suite, GAIN included, to a smoke test of a few seconds; paper's "
        "repeats and budget grow with the scale.",
    )
    sizes.add_argument(
        "--tiny",
        dest="scale",
        action="store_const",
        const="tiny",
        help="Same as --scale tiny.",
    )
    sizes.add_argument("--n-donors", type=int, help="Override the number of donors.")
    sizes.add_argument("--n-tissues", type=int, help="Override the number of tissues.")
    sizes.add_argument("--n-genes", type=int, help="Override the number of genes.")

    runs = parser.add_argument_group("runs")
    runs.add_argument(
        "--methods",
        type=_names,
        help="Comma-separated methods to run (default: the suite's own list).",
    )
    runs.add_argument(
        "--repeats",
        type=int,
        help="Repeats per configuration (default: quick 1, paper 3 for Table 1 "
        "and 1 for the other points at small scale, gain-original 10, data 3).",
    )
    runs.add_argument(
        "--budget",
        type=float,
        help="Seconds a method may take on one run (fit + impute) before it is "
        "stopped and reported infeasible (default: quick 100, paper 120 at "
        "small scale, gain-original 300, scale 120, data 600).",
    )
    runs.add_argument("--seed", type=int, default=0, help="Base seed (default 0).")
    runs.add_argument(
        "--missing-rate",
        type=float,
        default=0.5,
        help="Share of test entries hidden, for quick and data (default 0.5).",
    )
    runs.add_argument(
        "--mechanism",
        choices=["mcar", "mar", "mnar"],
        default="mcar",
        help="Missingness mechanism, for quick and data (default mcar).",
    )
    runs.add_argument(
        "--start-method",
        choices=["forkserver", "spawn"],
        help="How child processes start (default: forkserver where available, "
        "spawn on a machine with CUDA).",
    )
    runs.add_argument(
        "--quiet", action="store_true", help="No progress lines on stderr."
    )
    add_gain_param_option(runs, "for every GAIN method, such as batch_size=256")

    scale = parser.add_argument_group("scale suite")
    scale.add_argument(
        "--max-genes",
        type=int,
        help="Largest gene count of the genes sweep (default 12557, GTEx's).",
    )
    scale.add_argument(
        "--max-samples",
        type=int,
        help="Largest training-sample count of the samples sweep (default 4000; "
        "17382 is GTEx's; large sizes are practical for GAIN only: combine "
        "with --methods gain,gain-mse).",
    )
    scale.add_argument(
        "--gain-epochs",
        type=int,
        default=10,
        help="Fixed number of GAIN epochs timed at each size (default 10).",
    )

    throughput = parser.add_argument_group("throughput suite")
    throughput.add_argument(
        "--batch-sizes",
        type=lambda text: [int(n) for n in _names(text)],
        help="Comma-separated batch sizes timed (default 64,128,256,512); the "
        "width is --n-genes (default 12557, GTEx's).",
    )
    throughput.add_argument(
        "--device",
        default="cpu",
        help="Torch device whose peak, training step, imputation and fit "
        "epoch are measured (default cpu; e.g. cuda). --gain-param "
        "mixed_precision=True times the step with bfloat16 products.",
    )
    throughput.add_argument(
        "--cpu-threads",
        type=_threads,
        help="Also time the training step at the default batch size on this "
        "host's CPU with this many threads, in float32, in the same run, and "
        "report each step's speed-up over it (default: 2 with a non-CPU "
        "--device, none on the CPU; 0: none).",
    )

    data = parser.add_argument_group("your own data (--data)")
    data.add_argument(
        "--data",
        help="CSV, TSV or Parquet table, one row per sample: gene columns and "
        "covariate columns (read with skgain.datasets.read_expression_table).",
    )
    data.add_argument(
        "--categorical",
        type=_names,
        help="Comma-separated categorical covariate columns (e.g. tissue,sex).",
    )
    data.add_argument(
        "--numerical",
        type=_names,
        help="Comma-separated numerical covariate columns (e.g. age).",
    )
    data.add_argument(
        "--groups",
        help="Column identifying the individual (donor) of each sample: all "
        "samples of one group go to the same side of the 75/25 split, and the "
        "surrogate-tissue baseline uses it. Without it rows are split at "
        "random.",
    )
    data.add_argument(
        "--tissue",
        help="Column whose groups R^2 is computed within and the per-tissue "
        "baselines use (default: the first --categorical column).",
    )
    data.add_argument(
        "--sample-column",
        help="Column holding sample ids, dropped from the genes.",
    )
    return parser


def main(argv=None) -> int:
    """Run the suite named on the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success.
    """
    parser = build_parser()
    options = parser.parse_args(argv)
    options.start = start_snapshot()
    if options.list:
        parser.print_help()
        return 0
    name = options.suite or ("data" if options.data else "quick")
    if options.data and name != "data":
        parser.error("--data goes with --suite data (or no --suite).")
    if options.methods:
        unknown = [m for m in options.methods if m not in METHODS]
        if unknown:
            parser.error(f"unknown method(s) {unknown}; known: {list(METHODS)}")
    out = options.out or Path("benchmark-results") / name
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with sigterm_exits():
        path = SUITES[name].run(options, out)
    minutes = (time.perf_counter() - start) / 60
    print(f"Suite {name} done in {minutes:.1f} min; report: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
