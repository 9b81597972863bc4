# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the GCT, CSV/TSV/Parquet and AnnData readers."""

import gzip
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from scipy.sparse import csr_matrix

from skgain.datasets import read_expression_table, read_gct, read_h5ad

GENES = ["ENSG00000000003.14", "ENSG00000000005.5", "ENSG00000000419.12"]
SYMBOLS = ["TSPAN6", "TNMD", "DPM1"]
SAMPLES = ["GTEX-1117F-0226-SM-5GZZ7", "GTEX-111CU-0126-SM-5GZWZ", "GTEX-ZZZZ-01"]
# genes x samples, as in the file.
VALUES = np.array([[10.0, 0.0, 3.5], [0.0, 1.0, 0.25], [7.0, 8.0, 9.0]])


def gct_text(
    values=VALUES,
    genes=GENES,
    symbols=SYMBOLS,
    samples=SAMPLES,
    counts="56200\t17382",
    newline="\n",
):
    lines = ["#1.2", counts, "\t".join(["Name", "Description", *samples])]
    for gene, symbol, row in zip(genes, symbols, values):
        cells = ["" if np.isnan(v) else f"{v:g}" for v in row]
        lines.append("\t".join([gene, symbol, *cells]))
    return newline.join(lines) + newline


def write(path, text):
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as stream:
            stream.write(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture
def gct(tmp_path):
    return write(tmp_path / "expression.gct", gct_text())


# --- read_gct ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["expression.gct", "expression.gct.gz", "no_suffix"])
def test_read_gct_plain_and_gzipped(tmp_path, name):
    path = tmp_path / name
    text = gct_text()
    if name == "no_suffix":  # gzip is recognised by content, not by name
        path.write_bytes(gzip.compress(text.encode()))
    else:
        write(path, text)
    frame = read_gct(path)
    assert frame.shape == (3, 3)
    assert frame.index.name == "sample_id"
    assert frame.index.tolist() == SAMPLES
    assert frame.columns.tolist() == GENES
    assert (frame.dtypes == np.float32).all()
    assert_array_equal(frame.to_numpy(), VALUES.T.astype(np.float32))


def test_read_gct_selects_samples_and_genes_in_requested_order(gct):
    frame = read_gct(gct, samples=[SAMPLES[2], SAMPLES[0]], genes=GENES[::-1])
    assert frame.index.tolist() == [SAMPLES[2], SAMPLES[0]]
    assert frame.columns.tolist() == GENES[::-1]
    assert_array_equal(frame.to_numpy(), VALUES[::-1][:, [2, 0]].T)


def test_read_gct_by_symbol(gct):
    frame = read_gct(gct, genes=["DPM1", "TSPAN6"], gene_column="Description")
    assert frame.columns.tolist() == ["DPM1", "TSPAN6"]
    assert frame["DPM1"].tolist() == [7.0, 8.0, 9.0]


def test_read_gct_ignores_wrong_counts_blank_lines_and_crlf(tmp_path):
    text = gct_text(counts="5\t1", newline="\r\n")
    lines = text.split("\r\n")
    lines.insert(4, "")  # a blank line between gene rows
    path = write(tmp_path / "odd.gct", "\r\n".join(lines))
    frame = read_gct(path)
    assert_array_equal(frame.to_numpy(), VALUES.T)


def test_read_gct_missing_values_become_nan(tmp_path):
    text = gct_text().replace("\t0.25\n", "\tNA\n").replace("\t10\t", "\t\t")
    frame = read_gct(write(tmp_path / "na.gct", text))
    expected = VALUES.T.copy()
    expected[2, 1] = np.nan
    expected[0, 0] = np.nan
    assert_array_equal(frame.to_numpy(), expected)


@pytest.mark.parametrize("missing", [False, True])  # NumPy's or pandas' parse
def test_read_gct_refuses_values_beyond_the_dtype(tmp_path, missing):
    values = VALUES.copy()
    values[1, 2] = 1e39
    values[0, 0] = np.nan if missing else values[0, 0]
    path = write(tmp_path / "big.gct", gct_text(values))
    message = (
        r"Gene 'ENSG00000000005.5' .*\(line 5\) holds 1e\+39 for sample "
        r"'GTEX-ZZZZ-01', beyond the range of float32; read it with dtype=np.float64"
    )
    with pytest.raises(ValueError, match=message):
        read_gct(path)
    assert read_gct(path, dtype=np.float64).iloc[2, 1] == 1e39
    # The file's own infinity is not an overflow.
    write(path, gct_text(values).replace("1e+39", "inf"))
    assert np.isinf(read_gct(path).iloc[2, 1])


def test_read_expression_table_refuses_values_beyond_the_dtype(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("sample,TP53,BRCA1\nS1,1.0,2\nS2,1e39,3\nS3,inf,4\n")
    message = (
        r"Gene 'TP53' of .* holds 1e\+39 for sample 'S2', beyond the range of "
        r"float32; read it with dtype=np.float64"
    )
    with pytest.raises(ValueError, match=message):
        read_expression_table(path, sample_column="sample")
    frame = read_expression_table(path, sample_column="sample", dtype=np.float64)
    assert frame.loc["S2", "TP53"] == 1e39


@pytest.mark.parametrize("chunksize", [1, 2, 500])
def test_read_gct_chunksize_does_not_change_the_result(tmp_path, chunksize):
    rng = np.random.RandomState(0)
    values = rng.randint(0, 1000, size=(7, 4)).astype(float)
    genes = [f"G{i}" for i in range(7)]
    text = gct_text(values, genes, genes, [f"S{j}" for j in range(4)])
    path = write(tmp_path / "many.gct.gz", text)
    frame = read_gct(path, genes=genes[::2], chunksize=chunksize, dtype=np.float64)
    assert frame.dtypes.unique().tolist() == [np.float64]
    assert_array_equal(frame.to_numpy(), values[::2].T)


def test_read_gct_unknown_genes_and_samples_are_listed(gct):
    with pytest.raises(ValueError, match=r"2 requested gene\(s\).*'BAD1', 'BAD2'"):
        read_gct(gct, genes=["BAD1", GENES[0], "BAD2"])
    with pytest.raises(ValueError, match=r"1 requested sample\(s\).*'GTEX-NONE'"):
        read_gct(gct, samples=["GTEX-NONE"])
    many = [f"BAD{i}" for i in range(30)]
    with pytest.raises(ValueError, match=r"\.\.\. \(30 in all\)"):
        read_gct(gct, genes=many)


def test_read_gct_hints_at_version_suffixes(gct):
    with pytest.raises(ValueError, match="'ENSG00000000005' is 'ENSG00000000005.5'"):
        read_gct(gct, genes=["ENSG00000000005"])


def test_read_gct_duplicated_symbols(tmp_path):
    text = gct_text(symbols=["TSPAN6", "Y_RNA", "Y_RNA"])
    path = write(tmp_path / "dup.gct", text)
    with pytest.raises(ValueError, match=r"not unique.*'Y_RNA' \(2 rows\)") as error:
        read_gct(path, gene_column="Description")
    assert str(error.value).endswith(
        "Label the genes by gene_column='Name', or select unique ones with `genes`."
    )
    with pytest.raises(ValueError, match="label several rows"):
        read_gct(path, genes=["Y_RNA"], gene_column="Description")
    # Unique symbols can still be chosen, and ids always work.
    assert read_gct(path, genes=["TSPAN6"], gene_column="Description").shape == (3, 1)
    assert read_gct(path).shape == (3, 3)


def test_read_gct_refuses_an_empty_sample_id(tmp_path):
    text = "#1.2\n1\t2\nName\tDescription\tS1\tS2\t\nG1\tg1\t1\t2\t\n"
    path = write(tmp_path / "trailing.gct", text)
    with pytest.raises(ValueError, match="empty sample id in column 5"):
        read_gct(path)


def test_read_gct_reads_past_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.gct"
    path.write_text("\ufeff" + gct_text(), encoding="utf-8")
    pd.testing.assert_frame_equal(
        read_gct(path), read_gct(write(tmp_path / "p.gct", gct_text()))
    )


def test_read_gct_duplicated_ids_give_no_circular_advice(tmp_path):
    # Repeated ids in Name: advising gene_column='Name' would be no help.
    text = gct_text(genes=["G1", "G2", "G2"])
    path = write(tmp_path / "dup.gct", text)
    with pytest.raises(ValueError, match=r"not unique.*'G2' \(2 rows\)") as error:
        read_gct(path)
    assert "gene_column='Name'" not in str(error.value)
    assert str(error.value).endswith(". Select unique genes with `genes`.")
    with pytest.raises(ValueError, match="no selection can tell") as error:
        read_gct(path, genes=["G2"])
    assert "by their Name" not in str(error.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("#1.3\n1\t1\nName\tDescription\tS1\nG\tD\t1\n", "first line is '#1.3'"),
        ("#1.2\n1\t1\n", "ends before its header"),
        ("#1.2\n1\t1\nid\tDescription\tS1\nG\tD\t1\n", r"starts with \['id'"),
        ("#1.2\n1\t1\nName\tDescription\nG\tD\n", "no sample columns"),
        ("#1.2\n1\t1\nName\tDescription\tS1\tS1\nG\tD\t1\t2\n", "duplicated sample"),
        ("#1.2\n1\t2\nName\tDescription\tS1\tS2\nG\tD\t1\n", "Line 4 .* 3 tab-sep"),
        ("#1.2\n1\t2\nName\tDescription\tS1\tS2\nG\tD\t1\tx\n", "lines 4 to 4.*'x'"),
        ("PAR1\x15\x00\x00binary", "not a GCT v1.2 file"),
    ],
)
def test_read_gct_rejects_malformed_files(tmp_path, text, message):
    path = tmp_path / "bad.gct"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ValueError, match=message):
        read_gct(path)


def test_read_gct_rejects_bad_arguments(gct, tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file"):
        read_gct(tmp_path / "absent.gct")
    with pytest.raises(ValueError, match="is not a file"):
        read_gct(tmp_path)
    with pytest.raises(ValueError, match="gene_column must be"):
        read_gct(gct, gene_column="Symbol")
    with pytest.raises(ValueError, match="floating dtype"):
        read_gct(gct, dtype=np.int64)
    with pytest.raises(ValueError, match="chunksize"):
        read_gct(gct, chunksize=0)
    with pytest.raises(ValueError, match="more than once"):
        read_gct(gct, genes=[GENES[0], GENES[0]])


def test_read_gct_truncated_gzip(tmp_path):
    data = gzip.compress(gct_text().encode())
    path = tmp_path / "cut.gct.gz"
    path.write_bytes(data[: len(data) - 20])
    with pytest.raises(ValueError, match="Could not read GCT file"):
        read_gct(path)


# --- read_expression_table -------------------------------------------------


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "sample": ["007", "s2", "s3"],
            "tissue": ["Lung", "Liver", "Lung"],
            "age": [65, 45, 25],
            "TP53": [1.5, np.nan, 3.0],
            "BRCA1": [0.0, 2.0, 4.0],
        }
    )


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.txt", "t.csv.gz", "t.TSV.gz"])
def test_read_expression_table_text_formats(tmp_path, table, name):
    path = tmp_path / name
    sep = "," if ".csv" in name else "\t"
    table.to_csv(path, sep=sep, index=False)
    frame = read_expression_table(
        path, sample_column="sample", covariates=["tissue", "age"]
    )
    assert frame.index.tolist() == ["007", "s2", "s3"]  # ids stay strings
    assert frame.columns.tolist() == ["tissue", "age", "TP53", "BRCA1"]
    assert frame["age"].dtype == np.int64
    assert frame["TP53"].dtype == np.float32
    assert_array_equal(frame["TP53"], [1.5, np.nan, 3.0])


def test_read_expression_table_ids_under_an_empty_header_cell(tmp_path):
    # pandas' to_csv with an index, and R's write.csv, leave the id column's
    # header empty: taken by position, its ids are still text.
    path = tmp_path / "t.csv"
    path.write_text(",TP53,BRCA1\n007,2.5,1\n1.10,1.0,2\n1.1,3.0,3\n")
    frame = read_expression_table(path, sample_column=0)
    assert frame.index.tolist() == ["007", "1.10", "1.1"]


@pytest.mark.parametrize("sample_column", ["sample", 0, -3])
def test_read_expression_table_keeps_numeric_looking_ids(tmp_path, sample_column):
    # Ids that look like numbers are read as text, never parsed as numbers:
    # 007 keeps its zeros, and 1.10 and 1.1 stay two samples.
    path = tmp_path / "t.csv"
    path.write_text("sample,TP53,BRCA1\n007,2.5,1\n1.10,1.0,2\n1.1,3.0,3\n")
    frame = read_expression_table(path, sample_column=sample_column)
    assert frame.index.tolist() == ["007", "1.10", "1.1"]
    assert frame.index.name == "sample"
    assert frame.columns.tolist() == ["TP53", "BRCA1"]


@pytest.mark.parametrize("name", ["t.csv", "t.tsv.gz"])
@pytest.mark.parametrize("sample_column", ["sample", 0])
def test_read_expression_table_ids_that_read_as_missing(tmp_path, name, sample_column):
    # "NA", "null" or "None" are sample ids in the sample column, while the
    # same strings still mark missing values among the genes.
    sep = "," if ".csv" in name else "\t"
    rows = [["sample", "TP53", "BRCA1"], ["NA", "1", "NA"], ["null", "NA", "2"]]
    rows += [["None", "3", ""], ["s4", "4", "5"]]
    path = write(tmp_path / name, "".join(sep.join(row) + "\n" for row in rows))
    frame = read_expression_table(path, sample_column=sample_column)
    assert frame.index.tolist() == ["NA", "null", "None", "s4"]
    assert_array_equal(frame["TP53"], [1.0, np.nan, 3.0, 4.0])
    assert_array_equal(frame["BRCA1"], [np.nan, 2.0, np.nan, 5.0])
    # An empty id is still no id.
    path.unlink()
    rows[2][0] = ""
    path = write(tmp_path / name, "".join(sep.join(row) + "\n" for row in rows))
    with pytest.raises(ValueError, match=r"is empty in row\(s\) \[1\]"):
        read_expression_table(path, sample_column=sample_column)


def test_read_expression_table_columns_named_like_missing_values(tmp_path):
    # A column named "NA" or "null" is a name: it can hold the sample ids,
    # and two such names are not a repeated missing name.
    path = tmp_path / "t.csv"
    path.write_text("NA,null,TP53\n007,1,NA\nnull,2,3\n")
    frame = read_expression_table(path, sample_column="NA")
    assert frame.index.tolist() == ["007", "null"]
    assert frame.index.name == "NA"
    assert frame.columns.tolist() == ["null", "TP53"]
    assert_array_equal(frame["TP53"], [np.nan, 3.0])


@pytest.mark.parametrize("sample_column", ["sample", 0, "other"])
def test_read_expression_table_rows_longer_than_the_header(tmp_path, sample_column):
    # R's write.table writes row names without a header field: pandas takes
    # them as the index, and "sample" then names the second field, S1 and S2.
    path = tmp_path / "t.csv"
    path.write_text("sample,TP53\nr1,S1,1\nr2,S2,2\n")
    with pytest.raises(ValueError, match="one field more than its header"):
        read_expression_table(path, sample_column=sample_column)
    frame = read_expression_table(path, covariates=["sample"])
    assert frame.index.tolist() == ["r1", "r2"]
    assert frame["sample"].tolist() == ["S1", "S2"]


@pytest.mark.parametrize("name", ["t.csv", "t.tsv.gz"])
@pytest.mark.parametrize(
    "body, line, n_fields",
    [
        ("S1,1,2,3\nS2,1,2,3\nS3,-0", 4, 2),  # cut short, no final line break
        ("S1,1,2,3\nS2,1,2\nS3,1,2,3\n", 3, 3),  # a short row in the middle
        ("S1,1,2,3\r\nS2,1\r\n", 3, 2),  # Windows line breaks
        ("S1,1,2,3\rS2,1\r", 3, 2),  # old Mac line breaks
    ],
)
def test_read_expression_table_refuses_rows_shorter_than_the_header(
    tmp_path, name, body, line, n_fields
):
    # pandas would fill the missing fields with NaN, to be imputed, and keep
    # the "-0" of a number cut in the middle as an observed value.
    sep = "\t" if ".tsv" in name else ","
    newline = "\r" if "\r" in body and "\n" not in body else "\n"
    text = f"sample,g1,g2,g3{newline}{body}".replace(",", sep)
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, newline="")
    expected = f"Line {line} of '{path}' has {n_fields} field\\(s\\) where the header"
    with pytest.raises(ValueError, match=expected):
        read_expression_table(path, sample_column="sample")


@pytest.mark.parametrize(
    "text, n_rows",
    [
        ("sample,g1,g2\nS1,1,2\n\nS2,,\n\r\nS3,3,4", 3),  # blank lines, empty fields
        ("sample,g1,g2\nS1,1,2\n  \nS2,3,4\n \r\n", 2),  # lines of spaces
        ('"sample","g1","g2"\n"S1",1,2\n"S,2",3,\n"S3",4,5\n', 3),  # quotes
        ('sample,g1,g2\nS1,"1\n",2\nS2,3,4\n', 2),  # a line break in a field
        ("sample,g1,g2,\nS1,1,2\nS2,3,4,\n", 2),  # the header ends in a comma
        ("g1\n1\n\n2\n", 2),  # one column: nothing to count
    ],
)
def test_read_expression_table_rows_as_long_as_the_header_are_read(
    tmp_path, text, n_rows
):
    path = tmp_path / "t.csv"
    path.write_text(text, newline="")
    assert read_expression_table(path).shape[0] == n_rows


@pytest.mark.parametrize(
    "text, line",
    [
        ('"sample","g1","g2"\n"S1",1,2\n"S2",3\n', 3),
        ('sample,g1,g2\nS1,"1\n",2\nS2,3\n', 4),  # lines as in the file
    ],
)
def test_short_rows_are_found_in_files_with_quotes(tmp_path, text, line):
    path = tmp_path / "t.csv"
    path.write_text(text, newline="")
    with pytest.raises(ValueError, match=f"Line {line} of .* has 2 field"):
        read_expression_table(path)


@pytest.mark.parametrize(
    "text, line, n_found",
    [
        # R's row names: rows have a field more than the header.
        ("g1,g2\ns1,0.1,0.2\ns2,0.3,0.4\ns3,0.5\n", 4, 2),
        # A lone \r ends a line for pandas too, in a file of \n lines.
        ("g1,g2,g3\n0.1,0.2,0.3\r0.4\n1,2,3\n", 3, 1),
        ('"g1","g2","g3"\n0.1,0.2,0.3\n""\n', 3, 1),  # an empty quoted field
    ],
)
def test_rows_short_of_what_pandas_reads_are_refused(tmp_path, text, line, n_found):
    path = tmp_path / "t.csv"
    path.write_text(text, newline="")
    with pytest.raises(ValueError, match=f"Line {line} of .* has {n_found} field"):
        read_expression_table(path)


def test_many_blank_lines_and_long_quoted_fields_are_read(tmp_path):
    path = tmp_path / "t.csv"
    rows = [f"S{i},{i}.5,{i}" for i in range(2000)]
    path.write_text("sample,g1,g2\r\r\n" + "\r\r\n".join(rows) + "\r\r\n", newline="")
    assert read_expression_table(path, sample_column="sample").shape == (2000, 2)
    path.write_text("sample,g1,g2\n" + "\n\n".join(rows) + "\n\n", newline="")
    assert read_expression_table(path, sample_column="sample").shape == (2000, 2)
    # A field beyond the csv module's size limit, in a file with quotes.
    long_id = "S" * 200_000
    path.write_text(f'sample,g1,g2\n"{long_id}",1,2\nS2,3,4\n', newline="")
    assert read_expression_table(path, sample_column="sample").shape == (2, 2)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
@pytest.mark.parametrize("chunk", [7, 13, 14])
def test_line_ends_are_told_across_blocks(tmp_path, monkeypatch, newline, chunk):
    # The header is 13 bytes before its line end: blocks of 13 and 14 bytes
    # end at or inside it.
    import skgain.datasets._readers as readers

    monkeypatch.setattr(readers, "_LINE_CHUNK", chunk)
    path = tmp_path / "t.csv"
    rows = ["sample,g1,g2", *(f"S{i},{i}.5,{i}" for i in range(6))]
    path.write_text(newline.join(rows) + newline, newline="")
    assert read_expression_table(path, sample_column="sample").shape == (6, 2)
    rows[4] = "S3,1"
    path.write_text(newline.join(rows) + newline, newline="")
    with pytest.raises(ValueError, match="Line 5 of .* has 2 field"):
        read_expression_table(path, sample_column="sample")


def test_short_rows_are_found_across_blocks(tmp_path, monkeypatch):
    import skgain.datasets._readers as readers

    monkeypatch.setattr(readers, "_LINE_CHUNK", 7)
    path = tmp_path / "t.csv"
    rows = [f"S{i},{i}.25,{i}.5" for i in range(20)]
    path.write_text("sample,g1,g2\n" + "\r\n".join(rows) + "\r\n", newline="")
    assert read_expression_table(path, sample_column="sample").shape == (20, 2)
    rows[13] = "S13,1"
    path.write_text("sample,g1,g2\n" + "\r\n".join(rows) + "\r\n", newline="")
    with pytest.raises(ValueError, match="Line 15 of .* has 2 field"):
        read_expression_table(path, sample_column="sample")


@pytest.mark.parametrize("name", ["t.csv", "t.tsv.gz"])
def test_read_expression_table_refuses_repeated_columns(tmp_path, name):
    # pandas would read the second A as "A.2", a gene that does not exist.
    sep = "," if ".csv" in name else "\t"
    text = sep.join(["sample", "A", "A", "A.1"]) + "\n" + sep.join("s1123") + "\n"
    path = write(tmp_path / name, text)
    with pytest.raises(ValueError, match=r"Column names of .* repeat: \['A'\]"):
        read_expression_table(path, sample_column="sample")


def test_read_expression_table_gzipped_without_gz_suffix(tmp_path, table):
    path = tmp_path / "t.csv"
    with gzip.open(path, "wt") as stream:
        table.to_csv(stream, index=False)
    with pytest.raises(ValueError, match=r"gzip-compressed.*rename it to 't.csv.gz'"):
        read_expression_table(path)


def test_read_expression_table_infers_covariates_from_dtypes(tmp_path, table):
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    frame = read_expression_table(path, sample_column=0)
    # Numeric columns are genes, including age: it had to be listed to stay int.
    assert frame.dtypes.astype(str).tolist()[1:] == ["float32"] * 3
    assert read_expression_table(path, dtype=None)["TP53"].dtype == np.float64
    assert read_expression_table(path).index.tolist() == [0, 1, 2]


def test_read_expression_table_parquet(tmp_path, table):
    pytest.importorskip("pyarrow")
    path = tmp_path / "t.parquet"
    table.set_index("sample").to_parquet(path)
    frame = read_expression_table(path, covariates=["tissue", "age"])
    assert frame.index.tolist() == ["007", "s2", "s3"]
    assert frame["BRCA1"].dtype == np.float32
    assert_array_equal(frame["BRCA1"], [0.0, 2.0, 4.0])
    # The sample column named as it was written: pandas keeps it as the index.
    named = read_expression_table(
        path, sample_column="sample", covariates=["tissue", "age"]
    )
    pd.testing.assert_frame_equal(named, frame)
    assert named.index.name == "sample"


def test_read_expression_table_parquet_with_repeated_columns(tmp_path):
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    columns = [pyarrow.array([1.0, 2.0]), pyarrow.array([3.0, 4.0])]
    path = tmp_path / "dup.parquet"
    parquet.write_table(pyarrow.table(columns, names=["g1", "g1"]), path)
    with pytest.raises(ValueError, match=r"Column names of .* repeat: \['g1'\]"):
        read_expression_table(path)


def test_read_expression_table_without_pyarrow(tmp_path, table, monkeypatch):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install skgain\[parquet\]"):
        read_expression_table(path)


@pytest.mark.parametrize(
    "name, content, error, message",
    [
        ("t.xlsx", b"", ValueError, r"suffix \.xlsx.*expected \.csv"),
        ("t.gct", b"", ValueError, "Use read_gct"),
        ("t.h5ad", b"", ValueError, "Use read_h5ad"),
        ("t.parquet.gz", b"", ValueError, "compressed internally"),
        ("noext", b"", ValueError, r"suffix \(none\)"),
        ("t.csv", b"", ValueError, "is empty"),
        ("t.csv.gz", b"not gzip at all", ValueError, "Could not read"),
        ("t.csv", b'a,b\n1,"2\n', ValueError, "Could not read"),
        ("t.csv", b"a,b\n\xff\xfe,1\n", ValueError, "Could not read"),
        ("t.parquet", b"definitely not parquet", ValueError, "as a Parquet file"),
    ],
)
def test_read_expression_table_errors(tmp_path, name, content, error, message):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_expression_table(path)


def test_read_expression_table_column_errors(tmp_path, table):
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    with pytest.raises(FileNotFoundError):
        read_expression_table(tmp_path / "absent.csv")
    with pytest.raises(ValueError, match="no column 'id'"):
        read_expression_table(path, sample_column="id")
    with pytest.raises(ValueError, match="out of range"):
        read_expression_table(path, sample_column=9)
    with pytest.raises(ValueError, match=r"Covariate column\(s\) \['sex'\]"):
        read_expression_table(path, covariates=["sex"])
    with pytest.raises(ValueError, match=r"\['tissue'\].*not numeric.*'Lung'"):
        read_expression_table(path, sample_column="sample", covariates=["age"])
    table.loc[2, "sample"] = "s2"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"repeat: \['s2'\]"):
        read_expression_table(path, sample_column="sample")


# --- read_h5ad -------------------------------------------------------------


def test_read_h5ad_without_anndata(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "anndata", None)
    with pytest.raises(ImportError, match=r"pip install skgain\[anndata\]"):
        read_h5ad(tmp_path / "x.h5ad")


def _write_h5ad(adata, path):
    """Write ``adata``, allowing pandas' string arrays where anndata asks to."""
    import anndata

    if hasattr(anndata.settings, "allow_write_nullable_strings"):
        with anndata.settings.override(allow_write_nullable_strings=True):
            adata.write_h5ad(path)
    else:
        adata.write_h5ad(path)


def test_read_h5ad(tmp_path):
    anndata = pytest.importorskip("anndata")
    X = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    obs = pd.DataFrame(
        {"tissue": pd.Categorical(["Lung", "Liver"]), "age": [65.0, 45.0]},
        index=["s1", "s2"],
    )
    var = pd.DataFrame(index=["TP53", "BRCA1", "ACTB"])
    adata = anndata.AnnData(X=csr_matrix(X), obs=obs, var=var)
    adata.layers["counts"] = X * 10
    path = tmp_path / "x.h5ad"
    _write_h5ad(adata, path)

    frame = read_h5ad(path)
    assert frame.index.tolist() == ["s1", "s2"]
    assert frame.columns.tolist() == ["tissue", "age", "TP53", "BRCA1", "ACTB"]
    assert isinstance(frame["tissue"].dtype, pd.CategoricalDtype)
    assert frame["TP53"].dtype == np.float32
    assert_array_equal(frame[["TP53", "BRCA1", "ACTB"]].to_numpy(), X)
    counts = read_h5ad(path, layer="counts", dtype=np.float64)
    assert_array_equal(counts[["TP53", "BRCA1", "ACTB"]].to_numpy(), X * 10)
    with pytest.raises(ValueError, match="no layer 'tpm'.*'counts'"):
        read_h5ad(path, layer="tpm")
    bad = tmp_path / "bad.h5ad"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="as an AnnData file"):
        read_h5ad(bad)
    with pytest.raises(FileNotFoundError):
        read_h5ad(tmp_path / "absent.h5ad")


@pytest.mark.filterwarnings("ignore:.*not unique:UserWarning")
@pytest.mark.parametrize(
    "obs_names, var_names, message",
    [
        (["s1", "s2"], ["TP53", "TP53"], r"Gene names \(var_names\).*'TP53'"),
        (["s1", "s1"], ["TP53", "ACTB"], r"Sample names \(obs_names\).*'s1'"),
    ],
)
def test_read_h5ad_refuses_repeated_names(tmp_path, obs_names, var_names, message):
    anndata = pytest.importorskip("anndata")
    adata = anndata.AnnData(
        X=np.ones((2, 2)),
        obs=pd.DataFrame(index=obs_names),
        var=pd.DataFrame(index=var_names),
    )
    path = tmp_path / "dup.h5ad"
    _write_h5ad(adata, path)
    with pytest.raises(ValueError, match=message):
        read_h5ad(path)


def test_sample_ids_of_mixed_kinds_in_a_long_file_raise_no_pandas_warning(tmp_path):
    """Read in chunks, ids that look like numbers, then like text, are one column."""
    n = 600_000
    ids = np.concatenate(
        [np.arange(n // 2).astype(str), np.char.add("S", np.arange(n // 2).astype(str))]
    )
    path = tmp_path / "long.csv"
    pd.DataFrame({"sample_id": ids, "g1": 1.0}).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_expression_table(path, sample_column="sample_id")
    assert frame.index[0] == "0" and frame.index[-1] == f"S{n // 2 - 1}"
