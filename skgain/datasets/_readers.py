# SPDX-License-Identifier: BSD-3-Clause
"""Readers for expression files: GCT matrices, CSV/TSV/Parquet tables, AnnData.

Every reader returns a pandas DataFrame with one row per sample and one column
per gene (plus, where the file has them, the sample covariates), the layout
that :class:`~skgain.GAINImputer` and the transformers of
:mod:`skgain.preprocessing` take.
"""

import csv
import gzip
import io
import os
import re
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import issparse

from skgain._output import pandas_with_passthrough
from skgain._validation import first_non_number, shorten

_GZIP_MAGIC = b"\x1f\x8b"
_GCT_VERSION = "#1.2"
_GCT_ID_COLUMNS = ("Name", "Description")
_TEXT_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": "\t"}


def read_gct(
    path: str | os.PathLike,
    *,
    samples: Iterable[str] | None = None,
    genes: Iterable[str] | None = None,
    gene_column: str = "Name",
    chunksize: int = 500,
    dtype: npt.DTypeLike = np.float32,
) -> pd.DataFrame:
    """Read a GCT v1.2 expression matrix as a samples x genes DataFrame.

    GCT is the format of the GTEx expression matrices (and of GenePattern): a
    first line ``#1.2``, a second line with the numbers of genes and samples,
    a header ``Name  Description  <sample ids>``, then one tab-separated row
    per gene. The file may be gzipped (detected from its content, not its
    name). The counts of the second line are ignored, because published files
    are not always right about them; the rows themselves are counted.

    The matrix is read in two passes. The first reads only the gene names, so
    unknown genes are reported before any number is parsed and the output can
    be allocated once at its final size; the second parses only the wanted
    gene rows, ``chunksize`` rows at a time, and only the wanted sample
    columns. Peak memory therefore stays close to the size of the result.

    Parameters
    ----------
    path : str or path-like
        The GCT file, plain or gzipped.

    samples : iterable of str, default=None
        Sample ids (header columns) to read, in the order wanted in the
        output. ``None`` reads every sample, in file order.

    genes : iterable of str, default=None
        Genes to read, matched against ``gene_column``, in the order wanted in
        the output. ``None`` reads every gene, in file order.

    gene_column : {"Name", "Description"}, default="Name"
        Which of the two leading columns identifies genes, both for matching
        ``genes`` and for labelling the output columns. In GTEx files
        ``Name`` holds versioned Ensembl ids (``ENSG00000117118.9``) and
        ``Description`` gene symbols (``SDHB``); symbols are not always
        unique, and a symbol that labels several rows cannot be selected.

    chunksize : int, default=500
        Number of gene rows parsed at a time. Larger chunks are slightly
        faster and use more memory while parsing.

    dtype : floating dtype, default=np.float32
        Dtype of the values. Missing entries (empty fields, ``NA``, ``NaN``)
        become NaN.

    Returns
    -------
    expression : DataFrame of shape (n_samples, n_genes)
        Values with samples as rows (index ``sample_id``) and genes as
        columns.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not GCT v1.2, a row has the wrong number of fields, a
        value is not a number, a requested sample or gene is not in the file,
        or the selected gene labels are not unique.

    See Also
    --------
    load_gtex : Read GTEx files and join the sample covariates.
    read_expression_table : Read a samples x genes CSV, TSV or Parquet table.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skgain.datasets import read_gct
    >>> gct = (
    ...     "#1.2\\n2\\t3\\n"
    ...     "Name\\tDescription\\tS1\\tS2\\tS3\\n"
    ...     "ENSG01.1\\tGENE1\\t5\\t0\\t12\\n"
    ...     "ENSG02.4\\tGENE2\\t1.5\\tNA\\t3\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "expression.gct"
    ...     _ = path.write_text(gct)
    ...     everything = read_gct(path)
    ...     subset = read_gct(path, samples=["S3", "S1"], genes=["GENE2"],
    ...                       gene_column="Description")
    >>> everything  # doctest: +NORMALIZE_WHITESPACE
               ENSG01.1  ENSG02.4
    sample_id
    S1              5.0       1.5
    S2              0.0       NaN
    S3             12.0       3.0
    >>> subset  # doctest: +NORMALIZE_WHITESPACE
               GENE2
    sample_id
    S3           3.0
    S1           1.5
    """
    values, sample_ids, gene_labels = read_gct_matrix(
        path,
        samples=samples,
        genes=genes,
        gene_column=gene_column,
        chunksize=chunksize,
        dtype=dtype,
    )
    return expression_frame(values, sample_ids, gene_labels)


def expression_frame(
    values: np.ndarray, sample_ids: pd.Index, gene_labels: pd.Index
) -> pd.DataFrame:
    """Wrap a genes x samples array as a samples x genes DataFrame, no copy.

    pandas stores a float block column-major (one row per DataFrame column),
    which is exactly a C-ordered genes x samples array.
    """
    return pd.DataFrame(
        values.T,
        index=pd.Index(sample_ids, name="sample_id"),
        columns=pd.Index(gene_labels),
        copy=False,
    )


@dataclass(frozen=True)
class GCTLayout:
    """Where things are in a GCT file, from a pass that parses no values.

    Attributes
    ----------
    path : Path
        The file.
    compression : {"gzip", None}
        Compression detected from the file's first bytes.
    samples : Index
        Sample ids of the header, in file order.
    names, descriptions : ndarray of object
        The ``Name`` and ``Description`` field of each gene row (when
        scanned), in file order.
    line_numbers : ndarray of int
        0-based line number of each gene row (when scanned).
    """

    path: Path
    compression: str | None
    samples: pd.Index
    names: np.ndarray | None = None
    descriptions: np.ndarray | None = None
    line_numbers: np.ndarray | None = None


def read_gct_header(path: str | os.PathLike) -> GCTLayout:
    """Check the three header lines of a GCT file; return its layout and sample ids."""
    path = check_file(path)
    compression = _detect_compression(path)
    with _open_binary(path, compression) as stream:
        return _parse_gct_header(path, compression, stream)


def scan_gct(path: str | os.PathLike) -> GCTLayout:
    """Read the header and the two leading fields of every row of a GCT file.

    Each row's number of fields is checked against the header, so that a
    truncated or ragged file is reported, with its line number, before any
    value is parsed.
    """
    path = check_file(path)
    compression = _detect_compression(path)
    names, descriptions, line_numbers = [], [], []
    with _open_binary(path, compression) as stream:
        layout = _parse_gct_header(path, compression, stream)
        n_tabs = len(layout.samples) + len(_GCT_ID_COLUMNS) - 1
        try:
            for number, line in enumerate(stream, start=3):
                if not line.strip():
                    continue  # a blank line holds no gene
                tabs = line.count(b"\t")
                if tabs != n_tabs:
                    raise ValueError(
                        f"Line {number + 1} of GCT file '{path}' has "
                        f"{tabs + 1} tab-separated fields, but its "
                        f"header has {n_tabs + 1} (Name, Description and "
                        f"{len(layout.samples)} samples)."
                    )
                first = line.index(b"\t")
                second = line.index(b"\t", first + 1)
                names.append(line[:first].decode("utf-8"))
                descriptions.append(line[first + 1 : second].decode("utf-8"))
                line_numbers.append(number)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise ValueError(f"Could not read GCT file '{path}': {exc}") from exc
    return GCTLayout(
        path=path,
        compression=compression,
        samples=layout.samples,
        names=np.array(names, dtype=object),
        descriptions=np.array(descriptions, dtype=object),
        line_numbers=np.array(line_numbers, dtype=np.int64),
    )


def read_gct_matrix(
    path: str | os.PathLike,
    *,
    samples: Iterable[str] | None = None,
    genes: Iterable[str] | None = None,
    gene_column: str = "Name",
    chunksize: int = 500,
    dtype: npt.DTypeLike = np.float32,
) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Read the selected part of a GCT file as a genes x samples array.

    See :func:`read_gct` for the parameters. Returns the C-ordered array of
    shape ``(n_genes, n_samples)``, the sample ids and the gene labels.
    """
    if gene_column not in _GCT_ID_COLUMNS:
        raise ValueError(
            f"gene_column must be 'Name' or 'Description', got {gene_column!r}."
        )
    if not isinstance(chunksize, int | np.integer) or chunksize < 1:
        raise ValueError(f"chunksize must be a positive integer, got {chunksize!r}.")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(
            f"dtype must be a floating dtype (missing values are NaN), got {dtype}."
        )
    layout = scan_gct(path)
    sample_positions = _select_samples(layout, samples)
    labels = layout.names if gene_column == "Name" else layout.descriptions
    rows = _select_genes(layout, labels, genes, gene_column)
    values = _parse_rows(layout, rows, sample_positions, chunksize, dtype)
    return values, layout.samples[sample_positions], pd.Index(labels[rows])


def _parse_gct_header(path, compression, stream) -> GCTLayout:
    try:
        lines = [stream.readline() for _ in range(3)]
        # utf-8-sig: a byte-order mark, as some editors write, is not text.
        lines = [line.decode("utf-8-sig").rstrip("\r\n") for line in lines]
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"Could not read GCT file '{path}': {exc}") from exc
    if lines[0].strip() != _GCT_VERSION:
        raise ValueError(
            f"'{path}' is not a GCT v1.2 file: its first line is "
            f"{lines[0][:40]!r}, expected {_GCT_VERSION!r}."
        )
    if not lines[2]:
        raise ValueError(
            f"GCT file '{path}' ends before its header line "
            "(Name, Description, sample ids)."
        )
    header = lines[2].split("\t")
    if tuple(header[:2]) != _GCT_ID_COLUMNS:
        raise ValueError(
            f"The header of GCT file '{path}' starts with {header[:2]!r}, "
            f"expected {list(_GCT_ID_COLUMNS)!r} followed by the sample ids."
        )
    samples = pd.Index(header[2:], dtype=object)
    if samples.empty:
        raise ValueError(f"GCT file '{path}' has no sample columns.")
    empty = np.flatnonzero(samples.str.strip() == "")
    if empty.size:
        raise ValueError(
            f"GCT file '{path}' has an empty sample id in column {empty[0] + 3} "
            "of its header (a tab at the end of the line?)."
        )
    if samples.has_duplicates:
        raise ValueError(
            f"GCT file '{path}' has duplicated sample ids in its header: "
            f"{_repeats(samples)}."
        )
    return GCTLayout(path=path, compression=compression, samples=samples)


def _select_samples(layout: GCTLayout, samples) -> np.ndarray:
    if samples is None:
        return np.arange(len(layout.samples))
    samples = as_name_list(samples, "samples")
    positions = layout.samples.get_indexer(samples)
    missing = [s for s, p in zip(samples, positions) if p < 0]
    if missing:
        raise ValueError(
            f"{len(missing)} requested sample(s) are not in GCT file "
            f"'{layout.path}': {shorten(missing)}."
        )
    return positions


def _select_genes(layout, labels, genes, gene_column) -> np.ndarray:
    """Row numbers (file order of the gene rows) of the genes to read."""
    index = pd.Index(labels, dtype=object)
    duplicated = index.duplicated(keep=False)
    # The advice: another column to label genes by, unless Name already is it.
    advice = (
        "Label the genes by gene_column='Name', or select unique ones with `genes`."
        if gene_column != "Name"
        else "Select unique genes with `genes`."
    )
    if genes is None:
        if duplicated.any():
            raise ValueError(
                f"The {gene_column} column of GCT file '{layout.path}' is not "
                "unique, so it cannot label the output columns: "
                f"{_describe_duplicates(index[duplicated])}. {advice}"
            )
        return np.arange(len(index))
    genes = as_name_list(genes, "genes")
    unique_rows = np.flatnonzero(~duplicated)
    found = index[unique_rows].get_indexer(genes)
    ambiguous = sorted(set(genes).intersection(index[duplicated]))
    if ambiguous:
        raise ValueError(
            f"Gene(s) {shorten(ambiguous)} label several rows in the "
            f"{gene_column} column of GCT file '{layout.path}'; "
            + (
                "select them by their Name instead."
                if gene_column != "Name"
                else "the file repeats these ids, so no selection can tell "
                "the rows apart."
            )
        )
    missing = [g for g, f in zip(genes, found) if f < 0]
    if missing:
        raise ValueError(
            f"{len(missing)} requested gene(s) are not in the {gene_column} column "
            f"of GCT file '{layout.path}': {shorten(missing)}."
            + _version_hint(missing, index)
        )
    return unique_rows[found]


def _describe_duplicates(duplicated: pd.Index) -> str:
    counts = duplicated.value_counts()
    parts = [f"{label!r} ({n} rows)" for label, n in counts.head(5).items()]
    more = f" and {len(counts) - 5} more" if len(counts) > 5 else ""
    return ", ".join(parts) + more


def _version_hint(missing: list[str], index: pd.Index) -> str:
    """Point out Ensembl ids asked for without the version suffix of the file."""
    unversioned = [g for g in missing if "." not in g]
    if not unversioned:
        return ""
    stems = pd.Index(index.str.split(".", n=1).str[0])
    matches = {
        g: index[stems == g][0] for g in unversioned[:3] if (stems == g).sum() == 1
    }
    if not matches:
        return ""
    examples = ", ".join(f"{g!r} is {name!r}" for g, name in matches.items())
    return f" The file's ids carry a version suffix ({examples}); pass them as such."


def _parse_rows(layout, rows, sample_positions, chunksize, dtype) -> np.ndarray:
    """Parse the given gene rows and sample columns into a new array.

    Lines are collected ``chunksize`` at a time and parsed with
    :func:`numpy.loadtxt`, which is several times faster than pandas on
    tables this wide (tens of thousands of columns, few rows per chunk).
    """
    out = np.empty((len(rows), len(sample_positions)), dtype=dtype)
    if out.size == 0:
        return out
    destination = dict(zip(layout.line_numbers[rows].tolist(), range(len(rows))))
    columns = (sample_positions + len(_GCT_ID_COLUMNS)).tolist()
    lines, targets, numbers = [], [], []
    n_read = 0
    with _open_binary(layout.path, layout.compression) as stream:
        for number, line in enumerate(stream):
            row = destination.get(number)
            if row is None:
                continue
            lines.append(line)
            targets.append(row)
            numbers.append(number)
            if len(lines) == chunksize or n_read + len(lines) == len(rows):
                values = _parse_lines(layout.path, lines, numbers, columns, dtype)
                _check_in_range(values, layout, lines, numbers, columns)
                out[targets] = values
                n_read += len(lines)
                lines, targets, numbers = [], [], []
            if n_read == len(rows):
                break
    if n_read != len(rows):
        raise ValueError(
            f"GCT file '{layout.path}' changed while it was read: expected "
            f"{len(rows)} gene rows, found {n_read}."
        )
    return out


def _check_in_range(values, layout, lines, numbers, columns) -> None:
    """Refuse values that became infinite only by parsing into ``values.dtype``.

    Parsing a number beyond a dtype's range gives infinity without a word;
    the file's own ``inf`` entries stay as they are.
    """
    if values.dtype.itemsize >= 8 or not np.isinf(values).any():
        return
    wide = _parse_lines(layout.path, lines, numbers, columns, np.float64)
    overflow = np.argwhere(np.isinf(values) & np.isfinite(wide))
    if overflow.size:
        i, j = overflow[0]
        gene = lines[i].split(b"\t", 1)[0].decode("utf-8", "replace")
        sample = layout.samples[columns[j] - len(_GCT_ID_COLUMNS)]
        raise ValueError(
            f"Gene {gene!r} of GCT file '{layout.path}' (line {numbers[i] + 1}) "
            f"holds {float(wide[i, j])!r} for sample {sample!r}, beyond the range of "
            f"{values.dtype}; read it with dtype=np.float64."
        )


def _parse_lines(path, lines, numbers, columns, dtype) -> np.ndarray:
    """Parse tab-separated lines, keeping ``columns`` in that order."""
    where = f"lines {numbers[0] + 1} to {numbers[-1] + 1} of GCT file '{path}'"
    try:
        text = [line.decode("utf-8") for line in lines]
    except UnicodeDecodeError as exc:
        raise ValueError(f"Could not decode {where} as UTF-8: {exc}") from exc
    try:
        return np.loadtxt(
            text, delimiter="\t", dtype=dtype, usecols=columns, comments=None, ndmin=2
        )
    except ValueError:
        pass  # missing values (empty fields, NA) need pandas' NA handling
    try:
        frame = pd.read_csv(
            io.StringIO("".join(text)),
            sep="\t",
            header=None,
            usecols=columns,
            dtype=dtype,
            quoting=csv.QUOTE_NONE,
        )
    except ValueError as exc:
        raise ValueError(
            f"Could not parse the values on {where}: {exc}. Expected numbers, "
            "with missing values as empty fields, NA or NaN."
        ) from exc
    return frame[columns].to_numpy(dtype=dtype)


def read_expression_table(
    path: str | os.PathLike,
    *,
    sample_column: str | int | None = None,
    covariates: Iterable[str] | None = None,
    dtype: npt.DTypeLike | None = np.float32,
) -> pd.DataFrame:
    """Read a samples x genes table with covariate columns from CSV, TSV or Parquet.

    The format comes from the file name: ``.csv`` (comma-separated),
    ``.tsv`` or ``.txt`` (tab-separated), each optionally gzipped
    (``.csv.gz``), or ``.parquet``. Each row is a sample; each column a gene
    or a sample covariate such as tissue, sex or age.

    Parameters
    ----------
    path : str or path-like
        The table. Reading Parquet needs the optional dependency pyarrow
        (``pip install skgain[parquet]``).

    sample_column : str or int, default=None
        Column holding the sample ids, by name or position, which becomes the
        index (read as strings, so ids such as ``007`` keep their zeros, and
        as written, so a sample named ``NA`` or ``null`` keeps its name; an
        empty id is an error). ``None`` keeps the index the file gives: a
        range for text files, the stored index for Parquet files written by
        pandas, which may also be named here by its name.

    covariates : iterable of str, default=None
        Columns that are sample covariates rather than genes; they are kept
        as read. Every other column must be numeric and is a gene. ``None``
        treats the non-numeric columns (text, categories, booleans) as
        covariates and the numeric ones as genes; list numeric covariates
        such as age here to keep them out of the gene columns' dtype.

    dtype : floating dtype or None, default=np.float32
        Dtype of the gene columns; ``None`` keeps the dtype read.

    Returns
    -------
    table : DataFrame of shape (n_samples, n_columns)
        The columns of the file, in file order, without the sample column.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the suffix is not one of those above, the content cannot be read
        in the format the suffix names, a named column is missing, a gene
        column is not numeric, a sample id is empty or sample ids repeat, or
        ``sample_column`` is given for a text file whose rows have one field
        more than its header (row names, which ``None`` keeps as the index),
        or a row of a text file has fewer fields than its header (a file cut
        short: missing values are empty fields, ``a,,c``).
    ImportError
        If a Parquet file is read without pyarrow installed.

    See Also
    --------
    read_gct : Read a genes x samples GCT matrix.
    read_h5ad : Read an AnnData file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skgain.datasets import read_expression_table
    >>> table = (
    ...     "sample,tissue,age,TP53,BRCA1\\n"
    ...     "s1,Lung,65,2.5,0.5\\n"
    ...     "s2,Liver,45,,1.0\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "expression.csv"
    ...     _ = path.write_text(table)
    ...     frame = read_expression_table(
    ...         path, sample_column="sample", covariates=["tissue", "age"]
    ...     )
    >>> frame  # doctest: +NORMALIZE_WHITESPACE
           tissue  age  TP53  BRCA1
    sample
    s1       Lung   65   2.5    0.5
    s2      Liver   45   NaN    1.0
    >>> frame.dtypes.astype(str).tolist()[1:]
    ['int64', 'float32', 'float32']
    """
    path = check_file(path)
    kind, compression = _table_format(path)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(
                "dtype must be a floating dtype (missing values are NaN) or None, "
                f"got {dtype}."
            )
    if kind == "parquet":
        table = _read_parquet(path)
    else:
        table = _read_text_table(
            path, _TEXT_SEPARATORS[kind], compression, sample_column
        )
    if sample_column is not None:
        table = _set_sample_index(table, sample_column, path)
    gene_columns = _gene_columns(table, covariates, path)
    if dtype is not None and gene_columns:
        # One conversion per block of columns: pandas' astype with a dtype
        # per column converts, and stores, each gene on its own (47,192
        # genes: 3.5 s, and a table every later step finds slow).
        genes = table[gene_columns].astype(dtype)
        _check_conversion_in_range(table, genes, gene_columns, path)
        named = set(gene_columns)
        others = {j: j for j, name in enumerate(table.columns) if name not in named}
        table = pandas_with_passthrough(table, genes.to_numpy(), table.columns, others)
    return table


def _check_conversion_in_range(table, converted, gene_columns, path) -> None:
    """Refuse values that became infinite only in the conversion to ``dtype``."""
    # Blocks of columns: one NumPy pass each, where a pass per column took a
    # third of the conversion's time on 12,000 genes.
    for start in range(0, len(gene_columns), 1024):
        block = gene_columns[start : start + 1024]
        if np.isinf(converted[block].to_numpy()).any():
            _check_columns_in_range(table, converted, block, path)


def _check_columns_in_range(table, converted, gene_columns, path) -> None:
    for gene in gene_columns:
        after = converted[gene].to_numpy()
        if not np.isinf(after).any():
            continue
        before = pd.to_numeric(table[gene]).to_numpy(dtype=np.float64, na_value=np.nan)
        overflow = np.flatnonzero(np.isinf(after) & np.isfinite(before))
        if overflow.size:
            i = overflow[0]
            raise ValueError(
                f"Gene {gene!r} of '{path}' holds {float(before[i])!r} for sample "
                f"{table.index[i]!r}, beyond the range of {after.dtype}; read "
                "it with dtype=np.float64."
            )


def _table_format(path: Path) -> tuple[str, str | None]:
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] == ".gz":
        compression = "gzip"
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix == ".parquet" and compression is None:
        return "parquet", None
    if suffix in _TEXT_SEPARATORS:
        return suffix, compression
    shown = "".join(path.suffixes[-2:]) or "(none)"
    advice = {
        ".gct": " Use read_gct for GCT files.",
        ".h5ad": " Use read_h5ad for AnnData files.",
        ".parquet": " Parquet files are compressed internally; do not gzip them.",
    }.get(suffix, "")
    raise ValueError(
        f"Cannot tell the format of '{path}' from its suffix {shown}: expected "
        ".csv, .tsv or .txt (optionally followed by .gz) or .parquet." + advice
    )


def _read_text_table(
    path: Path, sep: str, compression, sample_column=None
) -> pd.DataFrame:
    """The table, with ``sample_column`` (a name or position) read as text.

    Read as text, not parsed as numbers and turned back into strings: ids
    such as ``007`` keep their zeros, and ``1.10`` and ``1.1`` stay two ids.
    And read as written: ids that pandas reads as missing values (``NA``,
    ``null``, ``None``, ...) keep their names; only an empty field is no id.
    """
    what = "tab" if sep == "\t" else "comma"
    try:
        # The header as written: pandas would rename a repeated column name
        # ("A" and "A.1"), and a repeated gene would pass for two; and a
        # column named "NA" is a name, not a missing value.
        header = pd.read_csv(
            path,
            sep=sep,
            compression=compression,
            header=None,
            nrows=1,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
        names = pd.Index(header.iloc[0] if len(header) else [])
        _check_unique_columns(names, path)
        position = None
        if isinstance(sample_column, int | np.integer) and not isinstance(
            sample_column, bool
        ):
            if -len(names) <= sample_column < len(names):
                # By position: an empty header cell has no name to go by.
                position = int(sample_column) % len(names)
        elif sample_column is not None and sample_column in set(names):
            position = names.get_loc(sample_column)
        with warnings.catch_warnings():
            if position is not None:
                # The ids are read again as text below; their being read as
                # numbers in some chunks and text in others is no concern.
                # pandas names it "Columns (0: sample_id)", or "(0)".
                label = re.escape(f"{position}: {names[position]}")
                warnings.filterwarnings(
                    "ignore",
                    message=rf"Columns \(({position}|{label})\) have mixed types",
                    category=pd.errors.DtypeWarning,
                )
            # No dtype for the id column here: with one, pandas builds every
            # column as a block of its own, twice as slowly (47,192 genes:
            # 5.8 s against 2.9), and every later step on the table is slow.
            table = pd.read_csv(path, sep=sep, compression=compression)
        if sample_column is not None:
            _check_rows_fit_header(table, path)
        # A header ending in a separator names an empty last column, which
        # rows may leave out (pandas reads it as empty); rows with a name
        # before the header's fields (R's row names) have one field more.
        trailing = len(names) > 1 and pd.isna(names[-1])
        row_names = not isinstance(table.index, pd.RangeIndex)
        _check_no_short_rows(path, sep, compression, len(names) - trailing + row_names)
        if position is not None:
            # The ids as written: as text, so that 007 keeps its zeros and
            # 1.10 and 1.1 stay two ids, and without pandas' missing-value
            # strings, so that samples named NA or null keep their names
            # (turning those off for the whole table would also keep them
            # from marking missing expression values).
            ids = pd.read_csv(
                path,
                sep=sep,
                compression=compression,
                usecols=[position],
                dtype=str,
                keep_default_na=False,
                na_values=[""],
            ).iloc[:, 0]
            table.isetitem(position, ids.to_numpy(dtype=object))
        return table
    except pd.errors.EmptyDataError as exc:
        raise ValueError(
            f"'{path}' is empty; expected a {what}-separated table."
        ) from exc
    except (
        pd.errors.ParserError,
        UnicodeDecodeError,
        OSError,
        EOFError,
        zlib.error,
    ) as exc:
        if compression is None and _detect_compression(path) == "gzip":
            raise ValueError(
                f"'{path}' is gzip-compressed but its name does not end in .gz; "
                f"rename it to '{path.name}.gz'."
            ) from exc
        raise ValueError(
            f"Could not read '{path}' as a {what}-separated table: {exc}"
        ) from exc


# Bytes read at a time when counting the fields of each line.
_LINE_CHUNK = 1 << 24


def _check_no_short_rows(path, sep: str, compression, n_fields: int) -> None:
    """Refuse a row with fewer than ``n_fields`` fields: a table cut short.

    pandas fills the fields a row lacks with NaN, which would pass for
    missing values and be imputed, and the last field of a row cut in the
    middle of a number ("-0" of "-0.8312") for an observed value. So each
    line's separators are counted, a block of bytes at a time; a file with
    quotes (where a separator or a line break can sit inside a field) or
    with lines ended in more than one way (a lone \r in a \n file, which
    pandas takes for a line end too) is counted row by row by the csv
    module instead. Blank lines, which pandas skips, are skipped.
    """
    if n_fields < 2:
        return
    if not _count_separators(path, sep, compression, n_fields):
        _count_fields(path, sep, compression, n_fields)


def _count_separators(path, sep: str, compression, n_fields: int) -> bool:
    """The byte-counting check; False, having checked nothing, where it cannot."""
    sep_byte = ord(sep)
    # Bytes a blank line may hold: pandas skips lines of nothing but these.
    blank_bytes = [b for b in b" \r\n\t" if b != sep_byte]
    newline = None
    line = 0  # lines ended so far
    # The line the last block left unended: its separators, and whether it
    # holds anything but blanks.
    carried_seps, carried_content = 0, False
    with _open_binary(path, compression) as stream:
        while chunk := stream.read(_LINE_CHUNK):
            if chunk.endswith(b"\r"):
                chunk += stream.read(1)  # \r\n or \r alone: the next byte says
            if newline is None and (b"\r" in chunk or b"\n" in chunk):
                newline = _line_end(chunk)
            if b'"' in chunk or (newline is not None and _mixed_ends(chunk, newline)):
                return False
            data = np.frombuffer(chunk, dtype=np.uint8)
            # Until a line end is seen, the block is all one line.
            ends = np.flatnonzero(data == newline) if newline else np.empty(0, int)
            separators = np.flatnonzero(data == sep_byte)
            if ends.size:
                counts = np.diff(np.searchsorted(separators, ends), prepend=0)
                counts[0] += carried_seps
                starts = np.concatenate(([0], ends[:-1] + 1))
                short = np.flatnonzero(counts < n_fields - 1)
                short = short[line + short > 0]  # the header is line 0
                if short.size:
                    # Blank lines are short too: look at the short lines'
                    # bytes, all at once where there are many.
                    content = np.add.reduceat(
                        ~np.isin(data[: ends[-1] + 1], blank_bytes), starts
                    )[short]
                    if short[0] == 0:
                        content[0] += carried_content
                    real = short[(content > 0) | (counts[short] > 0)]
                    if real.size:
                        k = real[0]
                        _refuse_short_row(path, line + k + 1, counts[k] + 1, n_fields)
                line += ends.size
                carried_seps = separators.size - np.searchsorted(separators, ends[-1])
                carried_content = _has_content(data[ends[-1] + 1 :], blank_bytes)
            else:
                carried_seps += separators.size
                carried_content = carried_content or _has_content(data, blank_bytes)
    if line > 0 and (carried_content or carried_seps) and carried_seps < n_fields - 1:
        _refuse_short_row(path, line + 1, carried_seps + 1, n_fields)
    return True


def _has_content(data: np.ndarray, blank_bytes) -> bool:
    """Whether the bytes ``data`` hold anything but ``blank_bytes``."""
    return bool((~np.isin(data, blank_bytes)).any())


def _line_end(chunk: bytes) -> int:
    """The byte that ends lines: \n (also for \r\n), or \r where it stands alone."""
    cr, lf = chunk.find(b"\r"), chunk.find(b"\n")
    if cr != -1 and (lf == -1 or cr < lf) and chunk[cr + 1 : cr + 2] != b"\n":
        return 13
    return 10


def _mixed_ends(chunk: bytes, newline: int) -> bool:
    """Whether lines of ``chunk`` also end otherwise than with ``newline``."""
    if newline == 13:
        return b"\n" in chunk
    # A \r not followed by \n (at the very end, the next block would say).
    return chunk.count(b"\r") > chunk.count(b"\r\n") + chunk.endswith(b"\r")


def _count_fields(path, sep: str, compression, n_fields: int) -> None:
    """The csv module's count of each row's fields, where bytes cannot tell."""
    opener = gzip.open if compression == "gzip" else open
    blank_characters = set(" \t") - {sep}
    with opener(path, "rt", encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=sep)
        try:
            next(reader, None)  # the header
            for row in reader:
                blank = not row or (
                    len(row) == 1 and row[0] and set(row[0]) <= blank_characters
                )
                if len(row) < n_fields and not blank:
                    _refuse_short_row(path, reader.line_num, len(row), n_fields)
        except csv.Error:
            # A field beyond the csv module's size limit: pandas read the
            # file, and the rows are left as it read them.
            return


def _refuse_short_row(path, line: int, n_found: int, n_fields: int) -> None:
    raise ValueError(
        f"Line {line} of '{path}' has {n_found} field(s) where the "
        f"header has {n_fields}: the file may have been cut short or a row "
        "written incompletely. Leave missing values as empty fields "
        "(a,,c), so that every row has as many fields as the header."
    )


def _check_rows_fit_header(table: pd.DataFrame, path: Path) -> None:
    """Refuse rows one field longer than the header when ids come from a column.

    pandas then takes each row's first field as its name (R's ``write.table``
    writes row names so), and the other fields line up with the header's
    names; a sample column named in that header would not hold what its name
    says.
    """
    if not isinstance(table.index, pd.RangeIndex):
        raise ValueError(
            f"The rows of '{path}' have one field more than its header: the "
            "first field of each row is a row name without a column name, so "
            "the sample column cannot be chosen by the header; read it with "
            "sample_column=None to take those row names as the index, or name "
            "their column in the header."
        )


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"Reading the Parquet file '{path}' needs pyarrow, an optional "
            "dependency: pip install skgain[parquet]"
        ) from exc
    import pyarrow.parquet

    try:
        names = pyarrow.parquet.read_schema(path).names
    except (ValueError, OSError) as exc:
        # pyarrow's ArrowInvalid and ArrowIOError derive from these two.
        raise ValueError(f"Could not read '{path}' as a Parquet file: {exc}") from exc
    _check_unique_columns(names, path)
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except (ValueError, OSError) as exc:
        raise ValueError(f"Could not read '{path}' as a Parquet file: {exc}") from exc


def _set_sample_index(table: pd.DataFrame, sample_column, path) -> pd.DataFrame:
    if isinstance(sample_column, int | np.integer) and not isinstance(
        sample_column, bool
    ):
        if not -table.shape[1] <= sample_column < table.shape[1]:
            raise ValueError(
                f"sample_column={sample_column} is out of range: '{path}' has "
                f"{table.shape[1]} columns."
            )
        sample_column = table.columns[sample_column]
    # A Parquet file written by pandas keeps a named index as the index.
    in_index = sample_column not in table.columns and (
        table.index.name is not None and table.index.name == sample_column
    )
    if sample_column not in table.columns and not in_index:
        raise ValueError(
            f"'{path}' has no column {sample_column!r} to take sample ids from; "
            f"its columns are {shorten(list(table.columns))}."
        )
    ids = table.index.to_series() if in_index else table[sample_column]
    if ids.isna().any():
        rows = np.flatnonzero(ids.isna().to_numpy())
        raise ValueError(
            f"The sample column {sample_column!r} of '{path}' is empty in "
            f"row(s) {shorten(rows.tolist())} (0-based)."
        )
    index = pd.Index(ids.astype(str), name=sample_column)
    if index.has_duplicates:
        raise ValueError(
            f"Sample ids in column {sample_column!r} of '{path}' repeat: "
            f"{_repeats(index)}."
        )
    if not in_index:
        table = table.drop(columns=sample_column)
    table.index = index
    return table


def _gene_columns(table: pd.DataFrame, covariates, path) -> list:
    def is_numeric(column):
        dtype = table[column].dtype
        return pd.api.types.is_numeric_dtype(dtype) and not (
            pd.api.types.is_bool_dtype(dtype)
        )

    if covariates is None:
        return [c for c in table.columns if is_numeric(c)]
    covariates = as_name_list(covariates, "covariates")
    missing = [c for c in covariates if c not in table.columns]
    if missing:
        raise ValueError(
            f"Covariate column(s) {shorten(missing)} are not in '{path}'; its "
            f"columns are {shorten(list(table.columns))}."
        )
    named = set(covariates)
    genes = [c for c in table.columns if c not in named]
    not_numeric = [c for c in genes if not is_numeric(c)]
    if not_numeric:
        found = first_non_number(table[not_numeric[0]])
        example = f" (value {found[1]!r} in row {found[2]})" if found else ""
        raise ValueError(
            f"Gene column(s) {shorten(not_numeric)} of '{path}' are not numeric"
            f"{example}. List covariate columns in `covariates`; every other "
            "column must hold numbers."
        )
    return genes


def read_h5ad(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    dtype: npt.DTypeLike = np.float32,
) -> pd.DataFrame:
    """Read an AnnData ``.h5ad`` file as a samples x genes DataFrame.

    The sample annotations of ``obs`` (such as tissue or cell type) come
    first, then one column per gene of ``var_names``; the index is
    ``obs_names``. A sparse matrix is made dense.

    This reader needs the optional dependency anndata
    (``pip install skgain[anndata]``).

    Parameters
    ----------
    path : str or path-like
        The ``.h5ad`` file.

    layer : str, default=None
        Layer of ``adata.layers`` to read instead of ``adata.X``.

    dtype : floating dtype, default=np.float32
        Dtype of the gene columns.

    Returns
    -------
    table : DataFrame of shape (n_obs, n_obs_columns + n_vars)
        The ``obs`` columns followed by the expression matrix.

    Raises
    ------
    ImportError
        If anndata is not installed.
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file cannot be read as AnnData, ``layer`` does not exist, or
        an ``obs`` column has the name of a gene.

    See Also
    --------
    read_expression_table : Read a CSV, TSV or Parquet table.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import anndata  # doctest: +SKIP
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgain.datasets import read_h5ad
    >>> adata = anndata.AnnData(  # doctest: +SKIP
    ...     X=np.array([[1.0, 0.0], [3.0, 2.0]]),
    ...     obs=pd.DataFrame({"tissue": ["Lung", "Liver"]}, index=["s1", "s2"]),
    ...     var=pd.DataFrame(index=["TP53", "BRCA1"]),
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +SKIP
    ...     path = Path(tmp) / "expression.h5ad"
    ...     adata.write_h5ad(path)
    ...     frame = read_h5ad(path)
    >>> frame  # doctest: +SKIP
       tissue  TP53  BRCA1
    s1   Lung   1.0    0.0
    s2  Liver   3.0    2.0
    """
    anndata = _import_anndata()
    path = check_file(path)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {dtype}.")
    try:
        adata = anndata.read_h5ad(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"Could not read '{path}' as an AnnData file: {exc}") from exc
    if layer is None:
        matrix = adata.X
        if matrix is None:
            raise ValueError(
                f"AnnData file '{path}' has no X matrix; choose one of its layers "
                f"{list(adata.layers.keys())} with `layer`."
            )
    elif layer in adata.layers:
        matrix = adata.layers[layer]
    else:
        raise ValueError(
            f"AnnData file '{path}' has no layer {layer!r}; its layers are "
            f"{list(adata.layers.keys())}."
        )
    for names, what, fix in (
        (adata.var_names, "Gene names (var_names)", "var_names_make_unique()"),
        (adata.obs_names, "Sample names (obs_names)", "obs_names_make_unique()"),
    ):
        if names.has_duplicates:
            raise ValueError(
                f"{what} of '{path}' repeat: {_repeats(names)}; make them "
                f"unique (AnnData's {fix}) before reading."
            )
    values = matrix.toarray() if issparse(matrix) else np.asarray(matrix)
    genes = pd.DataFrame(
        values.astype(dtype, copy=False),
        index=adata.obs_names.copy(),
        columns=adata.var_names.copy(),
        copy=False,
    )
    obs = adata.obs
    gene_names = set(genes.columns)
    clashes = [c for c in obs.columns if c in gene_names]
    if clashes:
        raise ValueError(
            f"obs column(s) {shorten(clashes)} of '{path}' have the names of "
            "genes; rename them before reading."
        )
    for position, column in enumerate(obs.columns):
        genes.insert(position, column, obs[column].array)
    return genes


def _import_anndata():
    try:
        import anndata
    except ImportError as exc:
        raise ImportError(
            "read_h5ad needs anndata, an optional dependency: "
            "pip install skgain[anndata]"
        ) from exc
    return anndata


def check_file(path) -> Path:
    """Return ``path`` as a Path, or raise a clear error if it is not a file."""
    path = Path(os.fspath(path))
    if not path.exists():
        raise FileNotFoundError(f"No such file: '{path}'.")
    if not path.is_file():
        raise ValueError(f"'{path}' is not a file.")
    return path


def _detect_compression(path: Path) -> str | None:
    with open(path, "rb") as stream:
        return "gzip" if stream.read(2) == _GZIP_MAGIC else None


def _open_binary(path: Path, compression):
    return gzip.open(path, "rb") if compression == "gzip" else open(path, "rb")


def as_name_list(names, param: str) -> list[str]:
    """Turn a str or an iterable of str into a list, rejecting repeats."""
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"{param} must hold strings, got {shorten(names)}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{param} names {_repeats(names)} more than once.")
    return names


def _repeats(names) -> str:
    """The names that occur more than once in ``names``, for a message."""
    index = pd.Index(names)
    return shorten(index[index.duplicated()].unique().tolist())


def _check_unique_columns(names, path) -> None:
    """Refuse a table whose column names repeat: each would pass for a gene."""
    if pd.Index(names).has_duplicates:
        raise ValueError(
            f"Column names of '{path}' repeat: {_repeats(names)}; each gene and "
            "covariate needs a column of its own."
        )
