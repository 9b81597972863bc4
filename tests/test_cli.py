"""The skgain command line: formats, model saving, uncertainty, one-line errors."""

import importlib.util
import os
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch

from skgain._cli import main


@pytest.fixture
def table_path(tmp_path):
    rng = np.random.RandomState(0)
    genes = pd.DataFrame(
        rng.normal(size=(60, 4)), columns=["g1", "g2", "g3", "g4"]
    ).astype(np.float32)
    genes = genes.mask(rng.uniform(size=genes.shape) < 0.25)
    table = genes.assign(
        tissue=rng.choice(["liver", "lung"], 60), age=rng.randint(20, 80, 60)
    )
    table.insert(0, "sample", [f"S{i:03d}" for i in range(60)])
    path = tmp_path / "expression.csv"
    table.to_csv(path, index=False)
    return path


def run(*args):
    return main([str(a) for a in args])


COMMON = [
    "--categorical-covariates",
    "tissue",
    "--numerical-covariates",
    "age",
    "--sample-column",
    "sample",
    "--max-iter",
    "3",
    "-q",
]


def test_impute_csv_to_tsv(table_path, tmp_path):
    out = tmp_path / "completed.tsv"
    assert run("impute", table_path, "-o", out, *COMMON) == 0
    original = pd.read_csv(table_path, index_col="sample")
    completed = pd.read_csv(out, sep="\t", index_col="sample")
    assert list(completed.columns) == list(original.columns)
    assert list(completed.index) == list(original.index)
    assert not completed[["g1", "g2", "g3", "g4"]].isna().any().any()
    observed = original[["g1", "g2"]].notna()
    np.testing.assert_allclose(
        completed[["g1", "g2"]][observed].stack(),
        original[["g1", "g2"]][observed].stack(),
        rtol=1e-6,
    )
    pd.testing.assert_series_equal(completed["tissue"], original["tissue"])


def test_save_model_then_reuse_it(table_path, tmp_path):
    model = tmp_path / "model.joblib"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("impute", table_path, "-o", first, "--save-model", model, *COMMON) == 0
    assert model.exists()
    reuse = ["--sample-column", "sample", "-q"]
    assert run("impute", table_path, "-o", second, "--model", model, *reuse) == 0
    pd.testing.assert_frame_equal(pd.read_csv(first), pd.read_csv(second))
    # The model's own covariates may be named again; other ones are refused.
    same = ["--categorical-covariates", "tissue", "--numerical-covariates", "age"]
    assert run("impute", table_path, "-o", second, "--model", model, *reuse, *same) == 0
    pd.testing.assert_frame_equal(pd.read_csv(first), pd.read_csv(second))


@pytest.mark.parametrize(
    "option, value, fitted",
    [
        ("--categorical-covariates", "tissue,g1", "tissue"),
        ("--numerical-covariates", "g1", "age"),
    ],
)
def test_saved_model_refuses_other_covariates(
    table_path, tmp_path, capsys, option, value, fitted
):
    model = tmp_path / "model.joblib"
    run("impute", table_path, "-o", tmp_path / "a.csv", "--save-model", model, *COMMON)
    capsys.readouterr()
    reuse = ["--sample-column", "sample", "-q", "--model", model, option, value]
    assert run("impute", table_path, "-o", tmp_path / "b.csv", *reuse) == 1
    error = capsys.readouterr().err
    assert f"{option} {value} differs from" in error and f"model, {fitted}:" in error
    assert not (tmp_path / "b.csv").exists()


def test_saved_model_takes_its_covariates_in_any_order(table_path, tmp_path):
    model = tmp_path / "model.joblib"
    common = ["--categorical-covariates", "tissue", "--sample-column", "sample", "-q"]
    fit = [*common, "--numerical-covariates", "age,g4", "--max-iter", "2"]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("impute", table_path, "-o", first, "--save-model", model, *fit) == 0
    reuse = [*common, "--numerical-covariates", "g4,age"]
    assert run("impute", table_path, "-o", second, "--model", model, *reuse) == 0
    pd.testing.assert_frame_equal(pd.read_csv(first), pd.read_csv(second))


def test_n_imputations_writes_standard_deviations(table_path, tmp_path):
    out = tmp_path / "completed.csv"
    assert run("impute", table_path, "-o", out, "--n-imputations", "4", *COMMON) == 0
    spread = pd.read_csv(tmp_path / "completed.std.csv", index_col=0)
    original = pd.read_csv(table_path, index_col="sample")
    assert list(spread.columns) == ["g1", "g2", "g3", "g4"]
    gaps = original[spread.columns].isna().to_numpy()
    assert (spread.to_numpy()[gaps] > 0).all()
    assert (spread.to_numpy()[~gaps] == 0).all()


@pytest.fixture
def counts_path(tmp_path):
    """Read counts of four genes, a quarter of them missing, with covariates."""
    rng = np.random.RandomState(0)
    counts = pd.DataFrame(
        rng.lognormal(6, 1.5, size=(60, 4)).round(), columns=["g1", "g2", "g3", "g4"]
    )
    counts = counts.mask(rng.uniform(size=counts.shape) < 0.25)
    table = counts.assign(tissue=rng.choice(["liver", "lung"], 60))
    table.insert(0, "sample", [f"S{i:03d}" for i in range(60)])
    path = tmp_path / "counts.csv"
    table.to_csv(path, index=False)
    return path


LOG_COMMON = [
    "--categorical-covariates",
    "tissue",
    "--sample-column",
    "sample",
    "--max-iter",
    "3",
    "-q",
]


def test_log2_imputes_counts_on_the_log_scale(counts_path, tmp_path, capsys):
    out, model = tmp_path / "completed.csv", tmp_path / "model.joblib"
    args = ["--log2", "--save-model", model, "--n-imputations", "3", *LOG_COMMON]
    assert run("impute", counts_path, "-o", out, *args) == 0
    assert "--log2" not in capsys.readouterr().err
    original = pd.read_csv(counts_path, index_col="sample")
    completed = pd.read_csv(out, index_col="sample")
    genes = ["g1", "g2", "g3", "g4"]
    assert (completed[genes] >= 0).all().all()
    observed = original[genes].notna()
    # Observed values as read, not their logarithms taken back.
    np.testing.assert_array_equal(
        completed[genes][observed].stack(), original[genes][observed].stack()
    )
    pd.testing.assert_series_equal(completed["tissue"], original["tissue"])
    # The standard deviations are on the log2 scale: a few units at most.
    spread = pd.read_csv(tmp_path / "completed.std.csv", index_col=0)
    assert 0 < spread.to_numpy().max() < 10
    # The saved model applies the log step again, without the option.
    again = tmp_path / "again.csv"
    reuse = ["--model", model, "--sample-column", "sample", "-q"]
    assert run("impute", counts_path, "-o", again, *reuse) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), pd.read_csv(out))


def test_log2_imputes_no_negative_counts():
    """A logarithm imputed below 0 would be a count between -1 and 0."""
    from skgain._cli import _back_from_log
    from skgain.preprocessing import LogTransformer

    read = pd.DataFrame({"g1": [0.0, np.nan, 7.0], "g2": [-0.5, 3.0, np.nan]})
    log = LogTransformer().set_output(transform="pandas").fit(read)
    completed = log.transform(read).fillna(-0.25)  # as if imputed below 0
    back = _back_from_log(log, completed, read)
    # Counts (observed values all non-negative) are clipped at 0; a gene with
    # a negative observed value keeps what the logarithm gives.
    assert back["g1"].tolist() == [0.0, 0.0, 7.0]
    assert back["g2"].iloc[:2].tolist() == [-0.5, 3.0]
    assert back["g2"].iloc[2] == pytest.approx(2**-0.25 - 1)


def test_log2_skips_a_gene_without_values_as_without_it(counts_path, tmp_path, capsys):
    table = pd.read_csv(counts_path)
    table["g3"] = np.nan
    table["g1"] += 0.162  # written as read, not as float32's float64 digits
    table.to_csv(counts_path, index=False)
    out, model = tmp_path / "completed.csv", tmp_path / "model.joblib"
    args = ["--log2", "--save-model", model, *LOG_COMMON]
    assert run("impute", counts_path, "-o", out, *args) == 0
    assert "Skipping feature column(s) 'g3'" in capsys.readouterr().err
    completed = pd.read_csv(out)
    assert list(completed.columns) == ["sample", "g1", "g2", "g4", "tissue"]
    assert not completed[["g1", "g2", "g4"]].isna().any().any()
    observed = table["g1"].notna()
    assert completed["g1"][observed].equals(table["g1"][observed])
    again = tmp_path / "again.csv"
    reuse = ["--model", model, "--sample-column", "sample", "-q"]
    assert run("impute", counts_path, "-o", again, *reuse) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again), completed)


def test_covariates_not_in_a_gct_file_are_named(tmp_path, capsys):
    path = tmp_path / "matrix.gct"
    path.write_text(
        "#1.2\n2\t3\nName\tDescription\tS1\tS2\tS3\n"
        "ENSG1\tA\t10\t20\t\nENSG2\tB\t3000\t\t50\n"
    )
    out = tmp_path / "completed.csv"
    assert run("impute", path, "-o", out, "--categorical-covariates", "tissue") == 1
    error = capsys.readouterr().err
    assert "--categorical-covariates names column(s) ['tissue'] that are not" in error


def test_log2_messages_name_the_options(counts_path, tmp_path, capsys):
    out = tmp_path / "completed.csv"
    uncovered = ["--sample-column", "sample", "--max-iter", "3", "-q", "--log2"]
    assert run("impute", counts_path, "-o", out, *uncovered) == 1
    error = capsys.readouterr().err
    assert "Expression column(s) 'tissue' hold non-numeric values" in error
    assert "name covariates such as tissue with --categorical-covariates" in error


def test_counts_without_log2_get_a_warning(counts_path, tmp_path, capsys):
    out = tmp_path / "completed.csv"
    assert run("impute", counts_path, "-o", out, *LOG_COMMON) == 0
    error = capsys.readouterr().err
    assert "skgain: warning: the genes are non-negative and reach" in error
    assert "--log2" in error


def test_raw_scale_warning_sees_past_integer_and_text_columns():
    """AnnData's obs columns come first, uncast: they must not hide the genes."""
    from skgain._cli import _warn_if_raw_scale

    rng = np.random.RandomState(0)
    genes = pd.DataFrame(rng.lognormal(6, 1.5, size=(20, 30)).astype(np.float32))
    table = pd.concat(
        [pd.DataFrame({"n_genes": np.arange(20), "batch": ["a"] * 20}), genes], axis=1
    )
    with pytest.warns(UserWarning, match="the genes are non-negative and reach"):
        _warn_if_raw_scale(table, [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_if_raw_scale(np.log2(genes + 1), [])
        _warn_if_raw_scale(table[["batch"]], ["batch"])  # no gene at all


def test_raw_scale_warning_says_how_many_genes_it_looked_at(monkeypatch):
    from skgain import _cli

    monkeypatch.setattr(_cli, "_RAW_SCALE_COLUMNS", 10)
    genes = pd.DataFrame(np.arange(1.0, 41.0) * 100 * np.ones((3, 40)))
    with pytest.warns(UserWarning, match=r"the 10 genes looked at \(of 40\) are"):
        _cli._warn_if_raw_scale(genes, [])


def test_log2_messages_for_absent_covariates_and_negative_values(
    counts_path, tmp_path, capsys
):
    out = tmp_path / "completed.csv"
    gct = tmp_path / "matrix.gct"
    gct.write_text(
        "#1.2\n2\t3\nName\tDescription\tS1\tS2\tS3\n"
        "ENSG1\tA\t10\t20\t\nENSG2\tB\t3000\t\t50\n"
    )
    wrong = ["--log2", "--numerical-covariates", "age", "-q"]
    assert run("impute", gct, "-o", out, *wrong) == 1
    error = capsys.readouterr().err
    assert "--numerical-covariates names column(s) ['age'] that are not in" in error
    table = pd.read_csv(counts_path)
    table.loc[0, "g1"] = -2.0
    table.to_csv(counts_path, index=False)
    assert run("impute", counts_path, "-o", out, *LOG_COMMON, "--log2") == 1
    error = capsys.readouterr().err
    assert "log2(x + 1) needs values above -1" in error and "pseudocount" not in error


def test_log2_with_a_model_fitted_without_it_is_refused(counts_path, tmp_path, capsys):
    model = tmp_path / "model.joblib"
    fit = ["--save-model", model, *LOG_COMMON]
    assert run("impute", counts_path, "-o", tmp_path / "a.csv", *fit) == 0
    capsys.readouterr()
    reuse = ["--model", model, "--log2", "--sample-column", "sample", "-q"]
    assert run("impute", counts_path, "-o", tmp_path / "b.csv", *reuse) == 1
    assert "fitted without it" in capsys.readouterr().err


def test_log2_of_negative_values_is_refused(table_path, tmp_path, capsys):
    out = tmp_path / "completed.csv"
    assert run("impute", table_path, "-o", out, "--log2", *COMMON) == 1
    error = capsys.readouterr().err
    assert "Negative values in data given with --log2: column 'g1'" in error


def test_reads_gct(tmp_path):
    path = tmp_path / "matrix.gct"
    path.write_text(
        "#1.2\n3\t4\nName\tDescription\tS1\tS2\tS3\tS4\n"
        "G1\tA\t1.0\t2.0\t\t4.0\nG2\tB\t2.0\t4.0\t6.0\t8.0\nG3\tC\t1.5\t\t3.5\t4.5\n"
    )
    out = tmp_path / "completed.csv"
    assert run("impute", path, "-o", out, "--max-iter", "2", "-q") == 0
    completed = pd.read_csv(out, index_col=0)
    assert completed.shape == (4, 3)
    assert not completed.isna().any().any()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_option_applies_to_a_saved_model(table_path, tmp_path, capsys):
    model = tmp_path / "model.joblib"
    assert (
        run(
            "impute",
            table_path,
            "-o",
            tmp_path / "a.csv",
            "--save-model",
            model,
            *COMMON,
        )
        == 0
    )
    # A model fitted for a GPU, imputing on a machine without one.
    joblib.dump(joblib.load(model).set_params(device="cuda"), model)
    capsys.readouterr()
    reuse = ["--sample-column", "sample", "-q", "--model", model]
    assert run("impute", table_path, "-o", tmp_path / "b.csv", *reuse) == 0
    assert "skgain: warning: device='cuda' was requested" in capsys.readouterr().err
    out = tmp_path / "c.csv"
    assert run("impute", table_path, "-o", out, *reuse, "--device", "cpu") == 0
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(out))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["missing.csv"], "does not exist"),
        (["{table}", "--categorical-covariates", "organ"], "organ"),
        (["{table}", "--model", "{table}"], ""),
    ],
)
def test_bad_input_gives_one_line_and_status_1(
    table_path, tmp_path, capsys, arguments, message
):
    arguments = [a.format(table=table_path) for a in arguments]
    status = run("impute", *arguments, "-o", tmp_path / "out.csv", "-q")
    error = capsys.readouterr().err
    assert status == 1
    assert error.startswith("skgain: error: ") and error.count("\n") == 1
    assert message in error


def test_convergence_warning_is_one_line(table_path, tmp_path, capsys):
    assert run("impute", table_path, "-o", tmp_path / "out.csv", *COMMON) == 0
    error = capsys.readouterr().err
    assert error.startswith("skgain: warning: GAINImputer reached --max-iter 3")
    assert "increase --max-iter to at least" in error
    assert error.count("\n") == 1


def test_empty_gene_columns_are_dropped_with_a_warning(tmp_path, capsys):
    path = tmp_path / "t.csv"
    rows = [f"S{i},{i % 7}.5,,{i % 3}.25" for i in range(30)]
    path.write_text("sample,g1,g2,g3\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    status = run("impute", path, "-o", out, "--sample-column", "sample", "-q")
    error = capsys.readouterr().err
    assert status == 0
    assert "skgain: warning: Skipping feature column(s) 'g2'" in error
    assert "keep_empty_features" not in error
    assert list(pd.read_csv(out, index_col=0).columns) == ["g1", "g3"]


def test_a_table_of_other_genes_than_the_model_names_them(table_path, tmp_path, capsys):
    model = tmp_path / "model.joblib"
    assert run("impute", table_path, "-o", tmp_path / "a.csv", "--save-model",
               model, *COMMON) == 0  # fmt: skip
    other = pd.read_csv(table_path).rename(columns={"g3": "g3x"})
    other_path = tmp_path / "other.csv"
    other.to_csv(other_path, index=False)
    capsys.readouterr()
    status = run("impute", other_path, "-o", tmp_path / "b.csv", "--model", model,
                 "--sample-column", "sample", "-q")  # fmt: skip
    error = capsys.readouterr().err
    assert status == 1 and error.count("\n") == 1
    assert "Feature names unseen at fit time: g3x; Feature names seen at fit" in error
    assert "now missing: g3" in error


def test_a_saved_model_reads_columns_in_another_order(table_path, tmp_path):
    """Only the order differs: the columns are read by name, written back in order."""
    model, first = tmp_path / "model.joblib", tmp_path / "a.csv"
    fit = ["--save-model", model, "--n-imputations", "2", *COMMON]
    assert run("impute", table_path, "-o", first, *fit) == 0
    table = pd.read_csv(table_path)
    shuffled = table[["sample", "g3", "age", "g1", "tissue", "g4", "g2"]]
    shuffled_path = tmp_path / "shuffled.csv"
    shuffled.to_csv(shuffled_path, index=False)
    second = tmp_path / "b.csv"
    reuse = ["--model", model, "--sample-column", "sample", "-q"]
    assert (
        run("impute", shuffled_path, "-o", second, *reuse, "--n-imputations", "2") == 0
    )
    completed = pd.read_csv(second)
    assert list(completed.columns) == list(shuffled.columns)
    pd.testing.assert_frame_equal(completed, pd.read_csv(first)[shuffled.columns])
    spread = pd.read_csv(tmp_path / "b.std.csv", index_col=0)
    assert list(spread.columns) == ["g3", "g1", "g4", "g2"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_a_table_without_sample_ids_comes_back_with_its_columns(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    path = tmp_path / "genes.csv"
    rows = [f"{i % 7}.5,{'' if i % 4 == 0 else i % 3},{i}.25" for i in range(30)]
    path.write_text("g1,g2,g3\n" + "\n".join(rows) + "\n")
    out, again = tmp_path / f"out{suffix}", tmp_path / f"again{suffix}"
    model = tmp_path / "m.joblib"
    options = ["--max-iter", "2", "-q"]
    assert run("impute", path, "-o", out, "--save-model", model, *options) == 0
    read = pd.read_parquet if suffix == ".parquet" else pd.read_csv
    sep = {} if suffix == ".parquet" else {"sep": "," if suffix == ".csv" else "\t"}
    completed = read(out, **sep)
    assert list(completed.columns) == ["g1", "g2", "g3"]
    assert not completed.isna().any().any()
    # The output is a table the saved model takes again.
    assert run("impute", out, "-o", again, "--model", model, "-q") == 0
    pd.testing.assert_frame_equal(read(again, **sep), completed)


def test_dtype_float64_writes_observed_values_back_exactly(tmp_path):
    path = tmp_path / "t.csv"
    rows = [f"S{i},{123456789 + i},{i % 5}.5" for i in range(30)]
    rows[3] = "S3,,1.5"
    path.write_text("sample,g1,g2\n" + "\n".join(rows) + "\n")
    common = ["--sample-column", "sample", "--max-iter", "2", "-q"]
    exact, rounded = tmp_path / "exact.csv", tmp_path / "rounded.csv"
    assert run("impute", path, "-o", exact, "--dtype", "float64", *common) == 0
    assert run("impute", path, "-o", rounded, *common) == 0
    original = pd.read_csv(path, index_col=0)
    observed = original["g1"].notna()
    written = pd.read_csv(exact, index_col=0)["g1"][observed]
    np.testing.assert_array_equal(written, original["g1"][observed])
    # float32 keeps about 7 significant digits.
    assert (pd.read_csv(rounded, index_col=0)["g1"][observed] != written).any()


@pytest.fixture
def no_fit(monkeypatch):
    """Make any fit fail, for tests of what is checked before training."""

    def fit(*args, **kwargs):
        raise AssertionError("fitted before the outputs were checked")

    monkeypatch.setattr("skgain._cli.GAINImputer.fit", fit)


@pytest.mark.parametrize(
    "output, extra, message",
    [
        ("out.gct", [], "unknown suffix '.gct'"),
        (
            "out.csv",
            ["--n-imputations", "3", "--std-output", "{tmp}/sd.xlsx"],
            "'.xlsx'",
        ),
        ("missing/out.csv", [], "folder"),
        ("out.csv", ["--save-model", "{tmp}/nodir/m.joblib"], "nodir"),
        ("adir.csv", [], "adir.csv: it is a folder"),
        ("expression.csv", [], "the input and -o are the same file"),
        (
            "out.csv",
            ["--n-imputations", "2", "--std-output", "{tmp}/out.csv"],
            "-o and --std-output are the same file",
        ),
        (
            "out.csv",
            ["--categorical-covariates", "age"],
            "name age more than once",
        ),
        ("hardlink.csv", [], "the input and -o are the same file"),
        ("out.csv", ["--save-model", "{tmp}/out.csv"], "-o and --save-model are"),
    ],
)
def test_outputs_are_checked_before_training(
    table_path, tmp_path, capsys, no_fit, output, extra, message
):
    extra = [a.format(tmp=tmp_path) for a in extra]
    (tmp_path / "adir.csv").mkdir()
    os.link(table_path, tmp_path / "hardlink.csv")
    model = tmp_path / "model.joblib"
    status = run(
        "impute",
        table_path,
        "-o",
        tmp_path / output,
        "--save-model",
        model,
        *COMMON,
        *extra,
    )
    assert status == 1
    assert message in capsys.readouterr().err
    assert not model.exists()


def test_infinity_in_a_table_is_explained_in_the_commands_terms(tmp_path, capsys):
    path = tmp_path / "inf.csv"
    path.write_text("sample,g1,g2\nS1,1.0,inf\nS2,2.0,3.0\nS3,,4.0\n")
    status = run(
        "impute", path, "-o", tmp_path / "out.csv", "--sample-column", "sample"
    )
    error = capsys.readouterr().err
    assert status == 1
    assert "infinity in column(s) 'g2'" in error
    assert (
        "missing entries left empty or NaN" in error and "missing_values" not in error
    )


def test_parquet_output_without_pyarrow_is_refused_first(
    table_path, tmp_path, capsys, monkeypatch, no_fit
):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *a: None if name == "pyarrow" else find_spec(name, *a),
    )
    status = run("impute", table_path, "-o", tmp_path / "out.parquet", *COMMON)
    assert status == 1
    assert "pip install skgain[parquet]" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        # The sample ids forgotten: the advice is in the command's options.
        (["--categorical-covariates", "tissue"], "with --sample-column"),
        (["--std-output", "{tmp}/sd.csv"], "--n-imputations of 2 or more"),
    ],
)
def test_option_mistakes_are_explained_in_options(
    table_path, tmp_path, capsys, arguments, message
):
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    status = run("impute", table_path, "-o", tmp_path / "out.csv", "-q", *arguments)
    error = capsys.readouterr().err
    assert status == 1 and message in error
    assert "`covariates`" not in error


def test_imputer_errors_name_the_command_options(table_path, tmp_path, capsys):
    # No covariates declared: the tissue names reach the imputer as features.
    status = run(
        "impute", table_path, "-o", tmp_path / "o.csv", "--sample-column", "sample"
    )
    error = capsys.readouterr().err
    assert status == 1 and "'tissue'" in error
    assert "--categorical-covariates" in error
    assert "categorical_covariates" not in error.replace("--categorical-covariates", "")


def test_sample_column_is_refused_for_gct(tmp_path, capsys):
    path = tmp_path / "x.gct"
    path.write_text("#1.2\n1\t2\nName\tDescription\tS1\tS2\nG1\tg1\t1\t2\n")
    status = run("impute", path, "-o", tmp_path / "o.csv", "--sample-column", "S1")
    assert status == 1
    assert "--sample-column applies to CSV" in capsys.readouterr().err


def test_rows_longer_than_the_header_with_sample_column(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("sample,TP53\nr1,S1,1\nr2,S2,2\n")
    status = run("impute", path, "-o", tmp_path / "o.csv", "--sample-column", "sample")
    assert status == 1
    error = capsys.readouterr().err
    assert "one field more than its header" in error
    assert "read it without --sample-column to take those row names" in error


def test_unknown_output_format(table_path, tmp_path, capsys):
    status = run("impute", table_path, "-o", tmp_path / "out.xlsx", *COMMON)
    assert status == 1
    assert "unknown suffix '.xlsx'" in capsys.readouterr().err


def test_installed_console_script(table_path, tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "skgain",
            "impute",
            str(table_path),
            "-o",
            str(tmp_path / "out.csv"),
            "--max-iter",
            "2",
        ],
        capture_output=True,
        text=True,
    )
    # tissue is text and was not declared a covariate.
    assert completed.returncode == 1
    assert "'tissue'" in completed.stderr
    assert "Traceback" not in completed.stderr
