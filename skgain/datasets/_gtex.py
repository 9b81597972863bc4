# SPDX-License-Identifier: BSD-3-Clause
"""Loader for the public GTEx expression files and their annotation tables."""

import os
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

from skgain._validation import shorten, warn_at_caller
from skgain.datasets._readers import (
    as_name_list,
    check_file,
    expression_frame,
    read_gct_header,
    read_gct_matrix,
)

_COVARIATES = ("tissue", "sex", "age", "donor")
_SEX_CODES = {1: "male", 2: "female"}
_AGE_BRACKET = r"^\s*(\d+)\s*-\s*(\d+)\s*$"


def load_gtex(
    expression: str | os.PathLike,
    sample_attributes: str | os.PathLike,
    subject_phenotypes: str | os.PathLike | None = None,
    *,
    tissues: Iterable[str] | None = None,
    genes: Iterable[str] | None = None,
    gene_column: str = "Name",
    tissue_column: str = "SMTSD",
    attribute_columns: Iterable[str] | None = None,
    chunksize: int = 500,
    dtype: npt.DTypeLike = np.float32,
) -> pd.DataFrame:
    """Load GTEx expression with tissue, sex, age and donor of each sample.

    Reads the files as the GTEx portal distributes them: the gene expression
    matrix (TPM or read counts, GCT v1.2, genes x samples, optionally
    gzipped), the sample attributes table and, optionally, the subject
    phenotypes table; returns one row per sample with the covariates first
    and one column per gene after them.

    The matrix is read in chunks of gene rows, keeping only the wanted genes
    and samples, into an array allocated once at its final size: loading
    12,557 genes of all 17,382 V8 samples needs little more memory than the
    873 MB result (about 1.1 times as much), although the full matrix is
    3.9 GB as float32.

    Parameters
    ----------
    expression : str or path-like
        The expression matrix, such as
        ``GTEx_Analysis_2017-06-05_v8_RNASeQCv1.1.9_gene_tpm.gct.gz``. Its
        second line (the matrix size) is ignored; see :func:`read_gct`.

    sample_attributes : str or path-like
        The tab-separated sample attributes table, such as
        ``GTEx_Analysis_v8_Annotations_SampleAttributesDS.txt``: column
        ``SAMPID`` and the tissue in ``tissue_column``.

    subject_phenotypes : str or path-like, default=None
        The tab-separated subject phenotypes table, such as
        ``GTEx_Analysis_v8_Annotations_SubjectPhenotypesDS.txt``: columns
        ``SUBJID``, ``SEX`` (1 = male, 2 = female) and ``AGE`` (a bracket
        such as ``60-69``, or a number). If ``None``, the output has no
        ``sex`` and ``age`` columns.

    tissues : iterable of str, default=None
        Keep only samples of these tissues (values of ``tissue_column``),
        such as ``["Whole Blood", "Lung"]``. ``None`` keeps all samples.

    genes : iterable of str, default=None
        Keep only these genes, in this order, matched against
        ``gene_column``. ``None`` keeps all genes, in file order.

    gene_column : {"Name", "Description"}, default="Name"
        Identify genes by their Ensembl id with version (``Name``, such as
        ``ENSG00000117118.9``) or by their symbol (``Description``, such as
        ``SDHB``). Symbols are not unique in GTEx files: to label columns
        with them, select unique ones with ``genes``.

    tissue_column : str, default="SMTSD"
        Column of the sample attributes holding the tissue: ``"SMTSD"``
        (detailed, such as ``Brain - Cerebellum``, 54 in V8) or ``"SMTS"``
        (coarse, such as ``Brain``).

    attribute_columns : iterable of str, default=None
        Further columns of the sample attributes to include under their own
        names after the covariates, such as ``["SMCENTER", "SMNABTCH",
        "SMRIN"]`` for batch effects.

    chunksize : int, default=500
        Number of gene rows parsed at a time.

    dtype : floating dtype, default=np.float32
        Dtype of the expression columns.

    Returns
    -------
    expression : DataFrame of shape (n_samples, n_covariates + n_genes)
        Index: sample ids (``sample_id``), in the order of the expression
        file. Columns, in this order:

        - ``tissue``: categorical, the value of ``tissue_column``;
        - ``sex``: categorical with categories ``["male", "female"]``;
        - ``age``: float, the midpoint of the age bracket: a bracket
          ``a-b`` of whole years covers ``[a, b + 1)``, so it becomes
          ``(a + b + 1) / 2`` (``60-69`` gives 65.0); a plain number is
          taken as an exact age;
        - ``donor``: the first two dash-separated fields of the sample id
          (``GTEX-1117F`` for ``GTEX-1117F-0226-SM-5GZZ7``), which is how
          GTEx sample ids name their donor;
        - the ``attribute_columns``, then one column per gene.

    Raises
    ------
    FileNotFoundError
        If one of the files does not exist.
    ValueError
        If a file lacks a required column, holds repeated ids or values that
        cannot be decoded (a ``SEX`` other than 1 or 2, an ``AGE`` that is
        neither a bracket nor a number), a requested tissue has no sample in
        the expression file, a requested gene is not in it, or no sample of
        the expression file has attributes, or none has a tissue.

    Warns
    -----
    UserWarning
        If samples of the expression file have no row in the sample
        attributes table, or no tissue in it: they are dropped, since their
        tissue is unknown.
        If donors have no row in the subject phenotypes table: their samples
        are kept with ``sex`` and ``age`` missing (NaN). This happens with
        the public V7 phenotypes table and V8 expression: 220 of the 948
        donors of the V8 RNA-seq samples are not in it.

    See Also
    --------
    read_gct : Read any GCT matrix.
    skgain.preprocessing.ExpressionFilter : Keep genes expressed in every
        tissue.

    Notes
    -----
    The expression file defines the set of samples: samples of the
    attributes table that are not in it (other assays, excluded samples)
    are ignored, so no filtering on the freeze flag ``SMAFRZE`` is needed.

    References
    ----------
    .. [1] The GTEx Consortium, "The GTEx Consortium atlas of genetic
       regulatory effects across human tissues", Science 369(6509),
       pp. 1318-1330, 2020.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skgain.datasets import load_gtex
    >>> gct = (
    ...     "#1.2\\n56200\\t17382\\n"
    ...     "Name\\tDescription\\tGTEX-1117F-0226-SM-5GZZ7\\t"
    ...     "GTEX-111CU-0126-SM-5GZWZ\\tGTEX-1117F-0426-SM-5EGHI\\n"
    ...     "ENSG00000117118.9\\tSDHB\\t1993\\t4322\\t4989\\n"
    ...     "ENSG00000132781.17\\tMUTYH\\t594\\t648\\t313\\n"
    ... )
    >>> attributes = (
    ...     "SAMPID\\tSMTS\\tSMTSD\\tSMCENTER\\n"
    ...     "GTEX-1117F-0226-SM-5GZZ7\\tAdipose Tissue\\t"
    ...     "Adipose - Subcutaneous\\tB1\\n"
    ...     "GTEX-111CU-0126-SM-5GZWZ\\tAdipose Tissue\\t"
    ...     "Adipose - Subcutaneous\\tB1\\n"
    ...     "GTEX-1117F-0426-SM-5EGHI\\tMuscle\\tMuscle - Skeletal\\tB1\\n"
    ... )
    >>> phenotypes = (
    ...     "SUBJID\\tSEX\\tAGE\\tDTHHRDY\\n"
    ...     "GTEX-1117F\\t2\\t60-69\\t4\\n"
    ...     "GTEX-111CU\\t1\\t50-59\\t0\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = [Path(tmp) / name for name in ("e.gct", "a.txt", "p.txt")]
    ...     for path, text in zip(paths, (gct, attributes, phenotypes)):
    ...         _ = path.write_text(text)
    ...     frame = load_gtex(*paths, tissues=["Adipose - Subcutaneous"],
    ...                       genes=["SDHB"], gene_column="Description")
    >>> frame.columns.tolist()
    ['tissue', 'sex', 'age', 'donor', 'SDHB']
    >>> frame.drop(columns="tissue")  # doctest: +NORMALIZE_WHITESPACE
                                 sex   age       donor    SDHB
    sample_id
    GTEX-1117F-0226-SM-5GZZ7  female  65.0  GTEX-1117F  1993.0
    GTEX-111CU-0126-SM-5GZWZ    male  55.0  GTEX-111CU  4322.0
    >>> frame["sex"].cat.categories.tolist()
    ['male', 'female']
    >>> frame["age"].dtype, frame["SDHB"].dtype
    (dtype('float64'), dtype('float32'))
    """
    header = read_gct_header(expression)
    attribute_columns = _check_attribute_columns(attribute_columns)
    attributes = _read_table(
        sample_attributes,
        "sample attributes",
        "SAMPID",
        {tissue_column: str, **dict.fromkeys(attribute_columns)},
    )
    samples = _samples_with_attributes(header, attributes)
    samples, tissue = _select_tissues(samples, attributes, tissue_column, tissues)
    covariates = _covariates(
        samples, tissue, subject_phenotypes, attributes[attribute_columns]
    )
    values, _, gene_labels = read_gct_matrix(
        header.path,
        samples=samples,
        genes=genes,
        gene_column=gene_column,
        chunksize=chunksize,
        dtype=dtype,
    )
    clashes = gene_labels.intersection(covariates.columns).tolist()
    if clashes:
        raise ValueError(
            f"Gene label(s) {clashes} of '{header.path}' clash with covariate "
            "columns of the output."
        )
    frame = expression_frame(values, samples, gene_labels)
    # Inserting leaves the expression block in place: no copy of the matrix.
    for position, column in enumerate(covariates.columns):
        frame.insert(position, column, covariates[column].array)
    return frame


def _check_attribute_columns(attribute_columns) -> list[str]:
    if attribute_columns is None:
        return []
    attribute_columns = as_name_list(attribute_columns, "attribute_columns")
    clashes = [c for c in attribute_columns if c in (*_COVARIATES, "SAMPID")]
    if clashes:
        raise ValueError(
            f"attribute_columns {clashes} clash with the sample ids (SAMPID, the "
            f"index) or the covariate columns {list(_COVARIATES)} of the output."
        )
    return attribute_columns


def _select_tissues(samples, attributes, tissue_column, tissues):
    """Keep the samples of the requested tissues; return them and a Categorical.

    The categories are the requested tissues in the order given, or else the
    tissues present, sorted; without requested tissues, samples whose tissue
    is empty are dropped with a warning.
    """
    tissue = attributes[tissue_column].reindex(samples)
    if tissues is None:
        unknown = tissue.isna().to_numpy()
        if unknown.all():
            raise ValueError(
                f"No sample of the expression file has a tissue in column "
                f"{tissue_column} of '{attributes.attrs['path']}'."
            )
        if unknown.any():
            warn_at_caller(
                f"{unknown.sum()} of the {len(samples)} samples have no tissue "
                f"in column {tissue_column} of '{attributes.attrs['path']}' and "
                f"are dropped: {shorten(samples[unknown].tolist(), 5)}.",
                UserWarning,
            )
            samples, tissue = samples[~unknown], tissue[~unknown]
        categories = sorted(tissue.unique())
    else:
        categories = as_name_list(tissues, "tissues")
        if not categories:
            raise ValueError(
                "tissues is empty: no sample would be loaded; pass None for "
                "every tissue."
            )
        _check_tissues(categories, tissue, tissue_column, attributes.attrs["path"])
        samples = samples[tissue.isin(categories).to_numpy()]
        tissue = tissue.reindex(samples)
    return samples, pd.Categorical(tissue.to_numpy(dtype=object), categories)


def _covariates(samples, tissue, subject_phenotypes, extra) -> pd.DataFrame:
    """The covariate columns of the output, in order, indexed by sample."""
    covariates = pd.DataFrame(index=pd.Index(samples, name="sample_id"))
    covariates["tissue"] = tissue
    donors = _donors(samples)
    if subject_phenotypes is not None:
        covariates["sex"], covariates["age"] = _subject_covariates(
            subject_phenotypes, donors
        )
    covariates["donor"] = donors.to_numpy(dtype=object)
    for column in extra.columns:
        covariates[column] = extra[column].reindex(samples).array
    return covariates


def _read_table(path, what: str, id_column: str, columns: dict) -> pd.DataFrame:
    """Read the id column and ``columns`` of a GTEx annotation table.

    ``columns`` maps each column name to a dtype, or to None to let pandas
    infer it. The result is indexed by the ids.
    """
    path = check_file(path)
    try:
        header = pd.read_csv(path, sep="\t", nrows=0).columns
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"Could not read the {what} file '{path}' as a tab-separated table: {exc}"
        ) from exc
    wanted = [id_column, *columns]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ValueError(
            f"The {what} file '{path}' has no column(s) {missing}; its columns "
            f"are {shorten(list(header))}."
        )
    dtypes = {id_column: str} | {c: t for c, t in columns.items() if t is not None}
    try:
        table = pd.read_csv(path, sep="\t", usecols=wanted, dtype=dtypes)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"Could not read the {what} file '{path}': {exc}") from exc
    ids = table[id_column]
    if ids.isna().any():
        rows = (np.flatnonzero(ids.isna().to_numpy()) + 2).tolist()
        raise ValueError(
            f"Column {id_column} of the {what} file '{path}' is empty on "
            f"line(s) {shorten(rows)}."
        )
    if ids.duplicated().any():
        raise ValueError(
            f"Ids repeat in column {id_column} of the {what} file '{path}': "
            f"{shorten(ids[ids.duplicated()].unique().tolist())}."
        )
    table = table.set_index(id_column)
    table.attrs["path"] = path
    return table


def _samples_with_attributes(header, attributes: pd.DataFrame) -> pd.Index:
    present = header.samples.isin(attributes.index)
    if not present.any():
        raise ValueError(
            f"None of the {len(header.samples)} samples of '{header.path}' (such "
            f"as {header.samples[0]!r}) has a row in the sample attributes file "
            f"'{attributes.attrs['path']}'."
        )
    if not present.all():
        absent = header.samples[~present].tolist()
        warn_at_caller(
            f"{len(absent)} of the {len(header.samples)} samples of "
            f"'{header.path}' have no row in the sample attributes file "
            f"'{attributes.attrs['path']}' and are dropped: {shorten(absent, 5)}.",
            UserWarning,
        )
    return header.samples[present]


def _check_tissues(tissues, tissue: pd.Series, tissue_column, path) -> None:
    available = set(tissue.dropna())
    unknown = [t for t in tissues if t not in available]
    if unknown:
        raise ValueError(
            f"No sample of the expression file has tissue(s) {shorten(unknown)} "
            f"in column {tissue_column} of '{path}'. Tissues present: "
            f"{shorten(sorted(available), 60)}."
        )


def _donors(samples: pd.Index) -> pd.Series:
    return pd.Series(samples.str.split("-").str[:2].str.join("-"), index=samples)


def _subject_covariates(path, donors: pd.Series) -> tuple[pd.Categorical, np.ndarray]:
    """Decode sex and age of each sample's donor."""
    subjects = _read_table(
        path, "subject phenotypes", "SUBJID", {"SEX": None, "AGE": str}
    )
    path = subjects.attrs["path"]
    sex = _decode_sex(subjects["SEX"], path)
    age = _decode_age(subjects["AGE"], path)
    known = donors.isin(subjects.index).to_numpy()
    if not known.all():
        unknown = pd.unique(donors[~known]).tolist()
        warn_at_caller(
            f"{(~known).sum()} sample(s) come from {len(unknown)} donor(s) with no "
            f"row in the subject phenotypes file '{path}' ({shorten(unknown, 5)}); "
            "their sex and age are missing (NaN).",
            UserWarning,
        )
    sex = pd.Categorical(
        sex.reindex(donors.to_numpy()).to_numpy(dtype=object),
        categories=list(_SEX_CODES.values()),
    )
    return sex, age.reindex(donors.to_numpy()).to_numpy(dtype=np.float64)


def _decode_sex(codes: pd.Series, path) -> pd.Series:
    numeric = pd.to_numeric(codes, errors="coerce")
    bad = codes.notna() & ~numeric.isin(list(_SEX_CODES))
    if bad.any():
        raise ValueError(
            f"Column SEX of the subject phenotypes file '{path}' holds "
            f"{shorten(pd.unique(codes[bad]).tolist(), 5)} (subject "
            f"{codes.index[bad.to_numpy()][0]!r}); expected 1 (male) or "
            "2 (female)."
        )
    return numeric.map(_SEX_CODES)


def _decode_age(ages: pd.Series, path) -> pd.Series:
    text = ages.str.strip()
    bracket = text.str.extract(_AGE_BRACKET).astype(float)
    low, high = bracket[0], bracket[1]
    age = ((low + high + 1) / 2).where(low <= high)
    age = age.fillna(pd.to_numeric(text, errors="coerce"))
    bad = text.notna() & (text != "") & age.isna()
    if bad.any():
        raise ValueError(
            f"Column AGE of the subject phenotypes file '{path}' holds "
            f"{shorten(pd.unique(ages[bad]).tolist(), 5)} (subject "
            f"{ages.index[bad.to_numpy()][0]!r}); expected an age bracket such "
            "as '60-69' or a number."
        )
    return age
