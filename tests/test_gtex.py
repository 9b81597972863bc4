# SPDX-License-Identifier: BSD-3-Clause
"""Tests of load_gtex, on tiny files written here and on the real GTEx files."""

import gzip
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from skgain.datasets import load_gtex


def _shared_data() -> Path:
    root = os.environ.get("SKGAIN_SHARED_DATA")
    if root:
        return Path(root)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


GTEX = _shared_data() / "gtex"
REAL_GCT = GTEX / "GTEx_Analysis_2017-06-05_v8_RNASeQCv1.1.9_gene_reads.acmg_59.gct.gz"
REAL_SUBJECTS = GTEX / "GTEx_v7_Annotations_SubjectPhenotypesDS.txt"
needs_real_files = pytest.mark.skipif(
    not (REAL_GCT.is_file() and REAL_SUBJECTS.is_file()),
    reason=f"the real GTEx files are not in {GTEX} (set SKGAIN_SHARED_DATA)",
)

# A few columns of the real 63-column sample attributes table.
ATTRIBUTE_COLUMNS = ["SAMPID", "SMATSSCR", "SMCENTER", "SMRIN", "SMTS", "SMTSD"]
ATTRIBUTE_COLUMNS += ["SMNABTCH", "SMAFRZE"]
TISSUES = {
    "Adipose - Subcutaneous": "Adipose Tissue",
    "Muscle - Skeletal": "Muscle",
    "Whole Blood": "Blood",
}


def attributes_table(samples, tissues) -> pd.DataFrame:
    rng = np.random.RandomState(0)
    return pd.DataFrame(
        {
            "SAMPID": samples,
            "SMATSSCR": rng.randint(0, 3, len(samples)),
            "SMCENTER": rng.choice(["B1", "C1", "B1, A1"], len(samples)),
            "SMRIN": rng.uniform(5, 9.5, len(samples)).round(1),
            "SMTS": [TISSUES[t] for t in tissues],
            "SMTSD": tissues,
            "SMNABTCH": [f"BP-{38000 + i}" for i in range(len(samples))],
            "SMAFRZE": "RNASEQ",
        }
    )[ATTRIBUTE_COLUMNS]


# --- tiny synthetic GTEx files ----------------------------------------------

SAMPLES = [
    "GTEX-1117F-0226-SM-5GZZ7",  # female, 60-69
    "GTEX-111CU-0126-SM-5GZWZ",  # male, 50-59
    "GTEX-1117F-0426-SM-5EGHI",
    "GTEX-111FC-0126-SM-5N9DL",  # male, 20-29
]
SAMPLE_TISSUES = [
    "Adipose - Subcutaneous",
    "Muscle - Skeletal",
    "Muscle - Skeletal",
    "Whole Blood",
]
GENES = ["ENSG00000117118.9", "ENSG00000132781.17", "ENSG00000169174.10"]
SYMBOLS = ["SDHB", "MUTYH", "PCSK9"]
VALUES = np.array(  # genes x samples
    [[1993, 4322, 4989, 2153], [594, 648, 313, 403], [30, 13, 2, 1464]],
    dtype=float,
)
PHENOTYPES = "SUBJID\tSEX\tAGE\tDTHHRDY\n" + "".join(
    [
        "GTEX-1117F\t2\t60-69\t4\n",
        "GTEX-111CU\t1\t50-59\t0\n",
        "GTEX-111FC\t1\t20-29\t1\n",
        "GTEX-111VG\t1\t60-69\t3\n",
    ]
)


def gct_text(samples=SAMPLES, values=VALUES) -> str:
    lines = ["#1.2", "56200\t17382", "\t".join(["Name", "Description", *samples])]
    for gene, symbol, row in zip(GENES, SYMBOLS, values):
        lines.append("\t".join([gene, symbol, *(f"{v:g}" for v in row)]))
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["expression.gct", "expression.gct.gz"])
def files(tmp_path, request):
    expression = tmp_path / request.param
    if expression.suffix == ".gz":
        with gzip.open(expression, "wt") as stream:
            stream.write(gct_text())
    else:
        expression.write_text(gct_text())
    attributes = tmp_path / "GTEx_Analysis_v8_Annotations_SampleAttributesDS.txt"
    attributes_table(SAMPLES, SAMPLE_TISSUES).to_csv(attributes, sep="\t", index=False)
    phenotypes = tmp_path / "GTEx_Analysis_v8_Annotations_SubjectPhenotypesDS.txt"
    phenotypes.write_text(PHENOTYPES)
    return expression, attributes, phenotypes


def test_load_gtex_returns_covariates_then_genes(files):
    frame = load_gtex(*files)
    assert frame.index.name == "sample_id"
    assert frame.index.tolist() == SAMPLES
    assert frame.columns.tolist() == ["tissue", "sex", "age", "donor", *GENES]
    assert frame["tissue"].cat.categories.tolist() == sorted(TISSUES)
    assert frame["tissue"].tolist() == SAMPLE_TISSUES
    assert frame["sex"].cat.categories.tolist() == ["male", "female"]
    assert frame["sex"].tolist() == ["female", "male", "female", "male"]
    assert frame["age"].tolist() == [65.0, 55.0, 65.0, 25.0]
    assert frame["donor"].tolist() == [
        "GTEX-1117F",
        "GTEX-111CU",
        "GTEX-1117F",
        "GTEX-111FC",
    ]
    assert (frame[GENES].dtypes == np.float32).all()
    assert_array_equal(frame[GENES].to_numpy(), VALUES.T)


def test_load_gtex_filters_tissues_and_genes(files):
    frame = load_gtex(
        *files,
        tissues=["Whole Blood", "Muscle - Skeletal"],
        genes=["PCSK9", "SDHB"],
        gene_column="Description",
    )
    assert frame.index.tolist() == SAMPLES[1:]  # file order, not tissue order
    assert frame["tissue"].cat.categories.tolist() == [
        "Whole Blood",
        "Muscle - Skeletal",
    ]
    assert frame.columns.tolist()[4:] == ["PCSK9", "SDHB"]
    assert_array_equal(frame["PCSK9"], [13, 2, 1464])


def test_load_gtex_coarse_tissue_and_extra_attributes(files):
    expression, attributes, _ = files
    frame = load_gtex(
        expression,
        attributes,
        tissue_column="SMTS",
        attribute_columns=["SMCENTER", "SMRIN"],
        dtype=np.float64,
    )
    assert frame.columns.tolist()[:4] == ["tissue", "donor", "SMCENTER", "SMRIN"]
    assert frame["tissue"].tolist() == [TISSUES[t] for t in SAMPLE_TISSUES]
    table = pd.read_csv(attributes, sep="\t", index_col="SAMPID")
    assert_array_equal(frame["SMRIN"], table.loc[SAMPLES, "SMRIN"])
    assert (frame[GENES].dtypes == np.float64).all()


def test_load_gtex_drops_samples_without_attributes(tmp_path, files):
    expression, _, phenotypes = files
    attributes = tmp_path / "partial.txt"
    attributes_table(SAMPLES[:2], SAMPLE_TISSUES[:2]).to_csv(
        attributes, sep="\t", index=False
    )
    with pytest.warns(
        UserWarning, match=r"2 of the 4 samples .* are dropped"
    ) as record:
        frame = load_gtex(expression, attributes, phenotypes)
    assert frame.index.tolist() == SAMPLES[:2]
    # Attributed to the caller's line, not to the loader's.
    assert [w.filename for w in record] == [__file__]


def test_load_gtex_drops_samples_without_a_tissue(tmp_path, files):
    expression, _, phenotypes = files
    attributes = tmp_path / "no_tissue.txt"
    table = attributes_table(SAMPLES, SAMPLE_TISSUES)
    table.loc[1, "SMTSD"] = None  # an empty field in the file
    table.to_csv(attributes, sep="\t", index=False)
    with pytest.warns(
        UserWarning, match=r"1 of the 4 samples have no tissue"
    ) as record:
        frame = load_gtex(expression, attributes, phenotypes)
    assert [w.filename for w in record] == [__file__]
    assert frame.index.tolist() == [SAMPLES[0], *SAMPLES[2:]]
    assert frame["tissue"].notna().all()
    table["SMTSD"] = None
    table.to_csv(attributes, sep="\t", index=False)
    with pytest.raises(ValueError, match="No sample .* has a tissue in column SMTSD"):
        load_gtex(expression, attributes, phenotypes)


def test_load_gtex_keeps_donors_without_phenotypes(tmp_path, files):
    expression, attributes, _ = files
    phenotypes = tmp_path / "v7.txt"
    phenotypes.write_text("SUBJID\tSEX\tAGE\n" + "GTEX-1117F\t2\t60-69\n")
    with pytest.warns(
        UserWarning, match=r"2 sample\(s\) come from 2 donor\(s\)"
    ) as record:
        frame = load_gtex(expression, attributes, phenotypes)
    assert [w.filename for w in record] == [__file__]
    assert frame["sex"].isna().tolist() == [False, True, False, True]
    assert frame["age"].isna().tolist() == [False, True, False, True]


def test_load_gtex_decodes_ages(tmp_path, files):
    expression, attributes, _ = files
    phenotypes = tmp_path / "ages.txt"
    phenotypes.write_text(
        "SUBJID\tSEX\tAGE\n"
        "GTEX-1117F\t2\t 70 - 79 \n"  # spaces are tolerated
        "GTEX-111CU\t\t63\n"  # an exact age; unknown sex
        "GTEX-111FC\t1\t\n"  # unknown age
    )
    frame = load_gtex(expression, attributes, phenotypes)
    assert_array_equal(frame["age"], [75.0, 63.0, 75.0, np.nan])
    assert frame["sex"].iloc[0] == "female"
    assert frame["sex"].isna().tolist() == [False, True, False, False]


def test_load_gtex_without_phenotypes(files):
    expression, attributes, _ = files
    frame = load_gtex(expression, attributes)
    assert frame.columns.tolist()[:2] == ["tissue", "donor"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(tissues=["Lung", "Whole Blood"]), r"tissue\(s\) \['Lung'\].*present"),
        (dict(genes=["TP53"], gene_column="Description"), r"\['TP53'\]"),
        (dict(tissue_column="TISSUE"), r"no column\(s\) \['TISSUE'\]"),
        (dict(attribute_columns=["age"]), "clash"),
        (dict(attribute_columns=["SMGEBTCH"]), r"\['SMGEBTCH'\]"),
        (dict(tissues=[]), "tissues is empty"),
    ],
)
def test_load_gtex_errors(files, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_gtex(*files, **kwargs)


@pytest.mark.parametrize(
    "phenotypes, message",
    [
        ("SUBJID\tSEX\tAGE\nGTEX-1117F\t3\t60-69\n", r"SEX .* \[3\] .*GTEX-1117F"),
        ("SUBJID\tSEX\tAGE\nGTEX-1117F\t2\tsixty\n", r"AGE .*\['sixty'\]"),
        ("SUBJID\tSEX\tAGE\nGTEX-1117F\t2\t69-60\n", r"AGE .*\['69-60'\]"),
        ("SUBJID\tSEX\tAGE\nGTEX-1\t2\t60-69\nGTEX-1\t1\t20-29\n", "repeat"),
        ("SUBJID\tSEX\nGTEX-1117F\t2\n", r"no column\(s\) \['AGE'\]"),
    ],
)
def test_load_gtex_rejects_bad_phenotypes(tmp_path, files, phenotypes, message):
    expression, attributes, _ = files
    path = tmp_path / "bad_phenotypes.txt"
    path.write_text(phenotypes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match=message):
            load_gtex(expression, attributes, path)


def test_load_gtex_rejects_bad_attributes(tmp_path, files):
    expression, _, phenotypes = files
    path = tmp_path / "attributes.txt"
    table = attributes_table(SAMPLES, SAMPLE_TISSUES)
    pd.concat([table, table.iloc[:1]]).to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"repeat.*GTEX-1117F-0226-SM-5GZZ7"):
        load_gtex(expression, path, phenotypes)
    attributes_table(["GTEX-OTHER-0001"], ["Whole Blood"]).to_csv(
        path, sep="\t", index=False
    )
    with pytest.raises(ValueError, match="None of the 4 samples"):
        load_gtex(expression, path, phenotypes)
    with pytest.raises(FileNotFoundError):
        load_gtex(expression, tmp_path / "absent.txt")


# --- the real GTEx files -----------------------------------------------------


@pytest.fixture(scope="module")
def real_samples():
    with gzip.open(REAL_GCT, "rt") as stream:
        for _ in range(2):
            stream.readline()
        header = stream.readline().rstrip("\n").split("\t")
    samples = header[2:]
    donor_of = pd.Series(samples).str.split("-").str[:2].str.join("-")
    # Samples of two donors of the V7 phenotypes table and one donor (of V8)
    # that is missing from it.
    chosen = [
        s
        for s, d in zip(samples, donor_of)
        if d in ("GTEX-1117F", "GTEX-111CU", "GTEX-1F88E")
    ]
    return samples, chosen


@needs_real_files
def test_load_gtex_on_the_real_files(tmp_path, real_samples):
    all_samples, chosen = real_samples
    tissues = [list(TISSUES)[i % 3] for i in range(len(chosen))]
    attributes = tmp_path / "GTEx_Analysis_v8_Annotations_SampleAttributesDS.txt"
    attributes_table(chosen, tissues).to_csv(attributes, sep="\t", index=False)

    with pytest.warns(UserWarning) as record:
        frame = load_gtex(
            REAL_GCT,
            attributes,
            REAL_SUBJECTS,
            attribute_columns=["SMNABTCH"],
        )
    messages = [str(w.message) for w in record]
    assert any(
        f"{len(all_samples) - len(chosen)} of the {len(all_samples)} samples" in m
        for m in messages
    )
    assert any("GTEX-1F88E" in m for m in messages)  # a V8 donor absent from V7

    assert frame.shape == (len(chosen), 5 + 59)
    assert frame.index.tolist() == chosen
    truth = pd.read_csv(
        REAL_GCT, sep="\t", skiprows=2, usecols=["Name", *chosen], index_col="Name"
    )
    assert frame.columns[5:].tolist() == truth.index.tolist()
    assert_array_equal(frame.iloc[:, 5:].to_numpy(), truth.T.to_numpy(np.float32))

    subjects = pd.read_csv(REAL_SUBJECTS, sep="\t", index_col="SUBJID")
    first = frame.loc[chosen[0]]
    assert first["donor"] == "GTEX-1117F"
    assert subjects.loc["GTEX-1117F", "SEX"] == 2 and first["sex"] == "female"
    assert subjects.loc["GTEX-1117F", "AGE"] == "60-69" and first["age"] == 65.0
    unknown = frame["donor"] == "GTEX-1F88E"
    assert unknown.any()
    assert frame.loc[unknown, "sex"].isna().all()
    assert frame.loc[~unknown, "age"].notna().all()


@needs_real_files
def test_load_gtex_real_files_selecting_tissue_and_genes(tmp_path, real_samples):
    _, chosen = real_samples
    tissues = [list(TISSUES)[i % 3] for i in range(len(chosen))]
    attributes = tmp_path / "attributes.txt"
    attributes_table(chosen, tissues).to_csv(attributes, sep="\t", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        frame = load_gtex(
            REAL_GCT,
            attributes,
            tissues=["Whole Blood"],
            genes=["TP53", "BRCA1", "SDHB"],
            gene_column="Description",
        )
        by_id = load_gtex(
            REAL_GCT,
            attributes,
            tissues=["Whole Blood"],
            genes=["ENSG00000141510.16"],
        )
    blood = [s for s, t in zip(chosen, tissues) if t == "Whole Blood"]
    assert frame.index.tolist() == blood
    assert frame.columns.tolist() == ["tissue", "donor", "TP53", "BRCA1", "SDHB"]
    assert_array_equal(frame["TP53"], by_id["ENSG00000141510.16"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="'ENSG00000141510' is 'ENSG0000014151"):
            load_gtex(REAL_GCT, attributes, genes=["ENSG00000141510"])
