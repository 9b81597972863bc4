# SPDX-License-Identifier: BSD-3-Clause
"""The ``skgain`` command line: impute an expression file without writing Python.

``skgain impute INPUT -o OUTPUT`` reads a samples x genes table (CSV, TSV,
Parquet, GCT, or AnnData ``.h5ad`` with the ``anndata`` extra), fits a
:class:`~skgain.GAINImputer` or loads a saved one, and writes the completed
table; with ``--n-imputations K`` it also writes the per-entry standard
deviation across K draws. Bad input ends the program with a one-line message
and exit status 1.
"""

import argparse
import contextlib
import importlib.util
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline, make_pipeline

from skgain import __version__
from skgain._gain import GAINImputer
from skgain._output import pandas_with_passthrough
from skgain._validation import shorten
from skgain.datasets import read_expression_table, read_gct, read_h5ad
from skgain.preprocessing import LogTransformer


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skgain`` command."""
    parser = argparse.ArgumentParser(
        prog="skgain",
        description="Impute missing gene expression values with GAIN.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    impute = commands.add_parser(
        "impute",
        help="fill the missing values of a table",
        description=(
            "Fill the missing values (empty cells or NaN) of a samples x genes "
            "table. Rows are samples; covariate columns condition the "
            "imputation and are written back unchanged."
        ),
    )
    impute.add_argument(
        "input",
        type=Path,
        help="table to complete: .csv, .tsv, .txt (each optionally .gz), "
        ".parquet, .gct(.gz), or .h5ad (needs skgain[anndata])",
    )
    impute.add_argument(
        "-o", "--output", type=Path, required=True, help="completed table to write"
    )
    impute.add_argument(
        "--categorical-covariates",
        type=_column_list,
        default=None,
        metavar="COLS",
        help="comma-separated categorical covariate columns, e.g. tissue,sex",
    )
    impute.add_argument(
        "--numerical-covariates",
        type=_column_list,
        default=None,
        metavar="COLS",
        help="comma-separated numerical covariate columns, e.g. age",
    )
    impute.add_argument(
        "--sample-column",
        default=None,
        help="column of a CSV/TSV/Parquet table holding the sample ids",
    )
    model = impute.add_mutually_exclusive_group()
    model.add_argument(
        "--model", type=Path, help="impute with this saved model instead of fitting"
    )
    model.add_argument(
        "--save-model", type=Path, help="save the fitted model to this file"
    )
    impute.add_argument(
        "--n-imputations",
        type=_positive_int,
        default=1,
        metavar="K",
        help="draw K imputations and also write the per-entry standard "
        "deviation across them, a relative (not calibrated) indication of "
        "uncertainty (default: 1, the point estimate only)",
    )
    impute.add_argument(
        "--std-output",
        type=Path,
        default=None,
        help="where to write the standard deviations (default: OUTPUT with "
        "'.std' before its suffix)",
    )
    impute.add_argument(
        "--device",
        default=None,
        help="auto, cpu, cuda, cuda:1, mps (default: auto when fitting; with "
        "--model, the device the model was fitted for)",
    )
    impute.add_argument(
        "--max-iter", type=_positive_int, default=200, help="maximum training epochs"
    )
    impute.add_argument("--random-state", type=int, default=0, help="seed")
    impute.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="precision the genes are read, imputed and written in (default: "
        "float32, half the memory; observed values with more than 7 "
        "significant digits are then written back rounded)",
    )
    impute.add_argument(
        "--log2",
        action="store_true",
        help="impute log2(x + 1) of the genes and write the completed values "
        "back on their own scale (observed values as read): for counts or "
        "TPM, such as GTEx's files, which GAIN models poorly on their raw "
        "scale; the standard deviations are then on the log2 scale. A model "
        "saved with --log2 applies it again with --model",
    )
    impute.add_argument(
        "-q", "--quiet", action="store_true", help="do not show training progress"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        0 on success, 1 when the input cannot be imputed.
    """
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            _impute(args)
        for warning in caught:
            message = _in_command_terms(str(warning.message))
            sys.stderr.write(f"skgain: warning: {message}\n")
    except (OSError, ValueError, TypeError, KeyError, ImportError) as exc:
        message = _in_command_terms(str(exc)) or repr(exc)
        sys.stderr.write(f"skgain: error: {message}\n")
        return 1
    return 0


def _in_command_terms(message: str) -> str:
    """``message`` on one line, with the command's options for parameters."""
    # scikit-learn lists names on lines of their own ("- gene_5"): they name
    # what is wrong, so they are kept, joined by commas.
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    message = ""
    listing = False  # whether the last line was an item of a list
    for line in lines:
        if line.startswith("- "):
            separator = " " if message.endswith(":") else ", "
            message += separator + line[2:]
        else:
            message += ("; " if listing else " " if message else "") + line
        listing = line.startswith("- ")
    if len(message) > 1000:
        message = message[:1000] + " ..."
    # GAINImputer's messages name its parameters; here they are options.
    for parameter, option in _OPTIONS_OF_PARAMETERS.items():
        message = re.sub(parameter, option, message)
    return message


# The Python parameters that messages of GAINImputer and the readers name,
# as patterns, and the command's options that set them.
_OPTIONS_OF_PARAMETERS = {
    r"with sample_column=None": "without --sample-column",
    r"\bcategorical_covariates\b": "--categorical-covariates",
    r"\bnumerical_covariates\b": "--numerical-covariates",
    r"`covariates`": "--categorical-covariates or --numerical-covariates (and "
    "the column of sample ids with --sample-column)",
    # The command reads empty cells and NaN as missing; it has no placeholder.
    r"marked by missing_values": "left empty or NaN",
    r"\bmax_iter=": "--max-iter ",
    r"\bmax_iter\b": "--max-iter",
    # The command has no option to keep empty features.
    r" \(keep_empty_features=True keeps them, filled with 0\)": "",
    r"`genes`": "the genes argument of skgain.datasets.read_gct",
    r"data passed to LogTransformer": "data given with --log2",
    r"X \+ pseudocount must be positive \(pseudocount=1\.0\)": (
        "log2(x + 1) needs values above -1"
    ),
    r"\(device='cpu'\)": "(--device cpu)",
    r"LogTransformer transforms numeric expression columns; list sample "
    r"covariates such as tissue in covariates\.": "--log2 takes the logarithm of "
    "numeric gene columns; name covariates such as tissue with "
    "--categorical-covariates or --numerical-covariates.",
}


def _check_model_covariates(args, kind: str, fitted: list) -> None:
    """Refuse covariate options that differ from a saved model's covariates."""
    given = getattr(args, f"{kind}_covariates")
    if given is not None and set(given) != set(fitted):
        raise ValueError(
            f"--{kind}-covariates {','.join(given)} differs from the "
            f"{kind} covariates of the model, {','.join(fitted) or '(none)'}: a "
            "saved model imputes with the covariates it was fitted with; leave "
            "the option out."
        )


def _impute(args: argparse.Namespace) -> None:
    _check_arguments(args)
    if args.model is not None:
        imputer, log, covariates = _load_for_options(args)
    else:
        imputer, log, covariates = None, None, _named_covariates(args)
    table = read_table(args.input, args.sample_column, covariates or None, args.dtype)
    input_columns = list(table.columns)
    if imputer is not None:
        table = _in_model_order(table, imputer.feature_names_in_)
    elif args.log2:
        _check_covariates_present(args, table)
        log = LogTransformer(base=2, pseudocount=1.0, covariates=covariates or None)
        log.set_output(transform="pandas").fit(table)
    else:
        _warn_if_raw_scale(table, covariates)
    read = table
    if log is not None:
        table = log.transform(table)
    if imputer is None:
        imputer = _fit_new_model(args, table, log)
    imputer.set_output(transform="pandas")
    completed = imputer.transform(table)
    if log is not None:
        completed = _back_from_log(log, completed, read)
    # In the input's column order (a table read in the model's order).
    completed = completed[[c for c in input_columns if c in completed.columns]]
    write_table(completed, args.output)
    if args.n_imputations > 1:
        _write_spread(args, imputer, table, input_columns)


def _named_covariates(args: argparse.Namespace) -> list[str]:
    """The covariate columns the options name, categorical ones first."""
    return (args.categorical_covariates or []) + (args.numerical_covariates or [])


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse options that cannot go together, before anything is read or fitted."""
    if args.std_output is not None and args.n_imputations < 2:
        raise ValueError(
            "--std-output is written only with --n-imputations of 2 or more."
        )
    check_output_path(args.output)
    if args.n_imputations > 1:
        check_output_path(_std_path(args))
    if args.save_model is not None:
        _check_folder(args.save_model)
    _check_distinct_files(args)
    named = _named_covariates(args)
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise ValueError(
            f"--categorical-covariates and --numerical-covariates name "
            f"{', '.join(repeated)} more than once; give each covariate once, "
            "as categorical or as numerical."
        )


def _load_for_options(args: argparse.Namespace):
    """The ``--model``'s imputer, its log step (or None) and covariate columns.

    The options must agree with the model: ``--log2`` with a model fitted
    with it, covariate options with the model's covariates.
    """
    imputer, log = load_model(args.model)
    if args.log2 and log is None:
        raise ValueError(
            f"--log2 was given, but the model {args.model} was fitted "
            "without it, on the genes' own scale; leave --log2 out, or "
            "fit a model with --log2."
        )
    if args.device is not None:
        imputer.set_params(device=args.device)
    roles = imputer._roles
    names = imputer.feature_names_in_
    _check_model_covariates(args, "categorical", list(names[roles.categorical]))
    _check_model_covariates(args, "numerical", list(names[roles.numerical]))
    covariate_columns = np.concatenate([roles.categorical, roles.numerical])
    return imputer, log, list(names[covariate_columns])


def _fit_new_model(
    args: argparse.Namespace, table: pd.DataFrame, log: LogTransformer | None
) -> GAINImputer:
    """A GAINImputer fitted on ``table`` as the options say, saved if asked."""
    imputer = GAINImputer(
        categorical_covariates=args.categorical_covariates,
        numerical_covariates=args.numerical_covariates,
        device=args.device or "auto",
        max_iter=args.max_iter,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    # Progress goes to stderr so that stdout stays free for pipes.
    with contextlib.redirect_stdout(sys.stderr):
        imputer.fit(table)
    if args.save_model is not None:
        # With --log2, the log step is saved with the model, so that
        # --model applies it again.
        model = imputer if log is None else make_pipeline(log, imputer)
        joblib.dump(model, args.save_model)
    return imputer


def _write_spread(
    args: argparse.Namespace,
    imputer: GAINImputer,
    table: pd.DataFrame,
    input_columns: list,
) -> None:
    """Write the standard deviation of each entry across ``--n-imputations`` draws."""
    draws = imputer.sample_imputations(table, n_imputations=args.n_imputations)
    # The imputed columns: features kept in the output, not covariates.
    features = set(imputer.feature_names_in_[imputer._roles.features])
    genes = [
        name for name in input_columns if name in features and name in draws[0].columns
    ]
    values = np.stack([draw[genes].to_numpy(float) for draw in draws])
    # Exactly 0 where all draws agree (observed entries); np.std of equal
    # floats can round to a tiny positive number.
    spread = np.where(np.ptp(values, axis=0) == 0, 0.0, np.std(values, axis=0))
    write_table(pd.DataFrame(spread, index=table.index, columns=genes), _std_path(args))


def _check_covariates_present(args: argparse.Namespace, table: pd.DataFrame) -> None:
    """Refuse covariate options naming columns the table does not have.

    The imputer says so in the options' terms; with ``--log2`` the log step
    reads the columns first, and would name its own parameter.
    """
    for kind in ("categorical", "numerical"):
        absent = [
            name
            for name in getattr(args, f"{kind}_covariates") or []
            if name not in table.columns
        ]
        if absent:
            raise ValueError(
                f"--{kind}-covariates names column(s) {absent} that are not in "
                f"the table; its columns are {shorten(table.columns)}."
            )


def _back_from_log(
    log: LogTransformer, completed: pd.DataFrame, read: pd.DataFrame
) -> pd.DataFrame:
    """The completed table on the genes' own scale, observed values as read.

    A gene the imputer left out (no observed value at all) comes back to the
    log step's columns as NaN and goes again; observed values are those of
    the table read, not their logarithms taken back, which would differ in
    the last bits; imputed values of genes whose observed values are all
    non-negative are at least 0.
    """
    kept = completed.columns
    completed = log.inverse_transform(completed.reindex(columns=log.feature_names_in_))
    logged = set(log.feature_names_in_[log._expression])
    genes = [name for name in kept if name in logged]
    # In NumPy, and back as one block: column by column, pandas took minutes
    # on tens of thousands of genes and left a table as slow to write.
    observed = read[genes].to_numpy()
    imputed = completed[genes].to_numpy()
    # In the precision the genes were read in (--dtype): a gene the imputer
    # left out comes back from the log step as float64 and would carry the
    # others to float64, writing 0.162 read as float32 as 0.16200000047683716.
    dtype = np.promote_types(observed.dtype, np.float32)
    filled = np.where(np.isnan(observed), imputed, observed).astype(dtype, copy=False)
    # Counts and TPM are never negative, but a logarithm imputed below 0 gives
    # a value between -1 and 0: clipped where the gene's values all are >= 0
    # (fmin skips NaN, and gives NaN for a gene without observed values).
    counts = np.fmin.reduce(observed, axis=0) >= 0
    filled[:, counts] = np.where(filled[:, counts] < 0, 0.0, filled[:, counts])
    others = {
        k: completed.columns.get_loc(name)
        for k, name in enumerate(kept)
        if name not in logged
    }
    return pandas_with_passthrough(completed, filled, kept, others)


def _in_model_order(table: pd.DataFrame, model_columns) -> pd.DataFrame:
    """``table`` in the saved model's column order, where only the order differs.

    Files written by other tools order their columns as they like; the
    model reads them by position. Other or missing columns are left for the
    imputer's own check, which names them.
    """
    model_columns = list(model_columns)
    columns = list(table.columns)
    reordered = (
        columns != model_columns
        and len(set(columns)) == len(columns)
        and sorted(map(str, columns)) == sorted(map(str, model_columns))
    )
    return table[model_columns] if reordered else table


# Non-negative genes with values above this look like counts, TPM or raw
# intensities rather than logarithms (log2 of 1,000 is about 10).
_RAW_SCALE_ABOVE = 1000.0


# Gene columns looked at for the warning: spread over the table, enough to
# tell counts from logarithms, few enough to cost nothing on 56,000 genes.
_RAW_SCALE_COLUMNS = 1000


def _warn_if_raw_scale(table: pd.DataFrame, covariates: list) -> None:
    """Warn when the genes look like counts or TPM, without ``--log2``."""
    covariates = set(covariates)
    genes = [name for name in table.columns if name not in covariates]
    step = max(1, -(-len(genes) // _RAW_SCALE_COLUMNS))  # at most that many
    lowest, highest = np.inf, -np.inf
    looked_at = genes[::step]
    for name in looked_at:
        column = table[name].to_numpy()
        if column.dtype.kind not in "fiu":
            continue  # text among the genes: the imputer's checks will say so
        column = column.astype(np.float64, copy=False)
        # fmin/fmax skip NaN, without the warning of nanmin on all-NaN data.
        lowest = min(lowest, np.fmin.reduce(column, initial=np.inf))
        highest = max(highest, np.fmax.reduce(column, initial=-np.inf))
    if lowest >= 0 and highest > _RAW_SCALE_ABOVE:
        which = "the genes are"
        if len(looked_at) < len(genes):
            which = f"the {len(looked_at):,} genes looked at (of {len(genes):,}) are"
        warnings.warn(
            f"{which} non-negative and reach {highest:,.0f}, as counts, "
            "TPM or raw intensities do; GAIN imputes such values poorly on "
            "their own scale (imputations can come out negative): --log2 "
            "imputes their logarithms and writes the values back.",
            UserWarning,
            stacklevel=2,
        )


def _std_path(args: argparse.Namespace) -> Path:
    """Where the standard deviations of the draws go."""
    return args.std_output or args.output.with_name(
        f"{_stem(args.output)}.std{_suffix(args.output)}"
    )


def load_model(path: Path) -> tuple[GAINImputer, LogTransformer | None]:
    """Load a model saved with ``--save-model``: the imputer and its log step.

    The log step is None for a model fitted without ``--log2``.
    """
    if not path.exists():
        raise FileNotFoundError(f"Model file {path} does not exist.")
    try:
        imputer = joblib.load(path)
    except Exception as exc:  # unpickling fails in many ways on a wrong file
        raise ValueError(
            f"Cannot load a model from {path}: it is not a file written by "
            f"--save-model ({type(exc).__name__})."
        ) from exc
    log = None
    if isinstance(imputer, Pipeline) and len(imputer) == 2:
        log, imputer = imputer[0], imputer[1]
        if not isinstance(log, LogTransformer):
            log, imputer = None, None
    if not isinstance(imputer, GAINImputer) or not imputer.__sklearn_is_fitted__():
        raise TypeError(f"{path} does not hold a fitted GAINImputer.")
    return imputer, log


def read_table(
    path: Path,
    sample_column: str | None = None,
    covariates: list | None = None,
    dtype: str = "float32",
) -> pd.DataFrame:
    """Read a samples x genes table in any format the command accepts."""
    if not path.exists():
        raise FileNotFoundError(f"Input file {path} does not exist.")
    suffix = _suffix(path)
    if suffix in (".gct", ".gct.gz", ".h5ad") and sample_column is not None:
        raise ValueError(
            f"--sample-column applies to CSV, TSV and Parquet tables; {path} "
            "carries its sample ids itself."
        )
    if suffix in (".gct", ".gct.gz"):
        return read_gct(path, dtype=dtype)
    if suffix == ".h5ad":
        return read_h5ad(path, dtype=dtype)
    return read_expression_table(
        path, sample_column=sample_column, covariates=covariates, dtype=dtype
    )


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as CSV, TSV or Parquet, chosen by the file name."""
    suffix = check_output_path(path)
    # Sample ids are written back; row numbers, where the input had no ids,
    # would be a column the input did not have.
    index = not (isinstance(table.index, pd.RangeIndex) and table.index.name is None)
    if suffix in (".parquet",):
        table.to_parquet(path, index=index)
    elif suffix in (".csv", ".csv.gz"):
        table.to_csv(path, index=index)
    else:
        table.to_csv(path, sep="\t", index=index)


def check_output_path(path: Path) -> str:
    """The suffix of an output file the command can write; raise otherwise.

    Called before reading the input, so that a fit is never wasted on an
    output that cannot be written.
    """
    suffix = _suffix(path)
    if suffix not in _OUTPUT_SUFFIXES:
        raise ValueError(
            f"Cannot write {path}: unknown suffix {suffix!r}; use .csv, .tsv, "
            ".txt (optionally .gz) or .parquet."
        )
    if suffix == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ImportError(
            f"Writing the Parquet file {path} needs pyarrow, an optional "
            "dependency: pip install skgain[parquet]"
        )
    _check_folder(path)
    if path.is_dir():
        raise IsADirectoryError(f"Cannot write {path}: it is a folder.")
    return suffix


def _check_distinct_files(args: argparse.Namespace) -> None:
    """Refuse outputs that would overwrite the input or one another."""
    files = {"the input": args.input, "-o": args.output}
    if args.n_imputations > 1:
        files[
            "the standard deviations" if args.std_output is None else "--std-output"
        ] = _std_path(args)
    if args.save_model is not None:
        files["--save-model"] = args.save_model
    seen = {}
    for name, path in files.items():
        resolved = path.resolve()
        # The same path, or two names of one existing file (a hard link).
        same = [
            other
            for other_path, other in seen.items()
            if other_path == resolved
            or (
                path.exists()
                and other_path.exists()
                and os.path.samefile(path, other_path)
            )
        ]
        if same:
            raise ValueError(
                f"{same[0]} and {name} are the same file, {path}: give "
                "each output a file of its own."
            )
        seen[resolved] = name


def _check_folder(path: Path) -> None:
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"Cannot write {path}: the folder {path.parent} does not exist."
        )


_OUTPUT_SUFFIXES = (
    ".parquet",
    ".csv",
    ".csv.gz",
    ".tsv",
    ".tsv.gz",
    ".txt",
    ".txt.gz",
)


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] == ".gz":
        return "".join(suffixes[-2:])
    return suffixes[-1] if suffixes else ""


def _stem(path: Path) -> str:
    return path.name[: len(path.name) - len(_suffix(path))]


def _column_list(text: str) -> list[str]:
    columns = [c.strip() for c in text.split(",") if c.strip()]
    if not columns:
        raise argparse.ArgumentTypeError("expected comma-separated column names")
    return columns


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
