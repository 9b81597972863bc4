"""Structure of the synthetic expression data: design, effects, truth, determinism."""

import numpy as np
import pandas as pd
import pytest

from skgain.datasets import make_expression_data, make_missing
from skgain.metrics import imputation_r2_score

N_DONORS, N_TISSUES, N_GENES = 150, 8, 200


@pytest.fixture(scope="module")
def generated():
    return make_expression_data(
        N_DONORS, N_TISSUES, N_GENES, n_modules=5, random_state=0, return_truth=True
    )


def gene_values(data):
    return data.filter(like="GENE").to_numpy(dtype=np.float64)


def test_columns_and_dtypes(generated):
    data, _ = generated
    genes = [f"GENE{j:05d}" for j in range(1, N_GENES + 1)]
    assert list(data.columns) == genes + ["tissue", "sex", "age", "donor"]
    assert (data[genes].dtypes == np.float32).all()
    assert isinstance(data["tissue"].dtype, pd.CategoricalDtype)
    assert list(data["tissue"].cat.categories) == [
        f"tissue_{t:02d}" for t in range(1, N_TISSUES + 1)
    ]
    assert isinstance(data["sex"].dtype, pd.CategoricalDtype)
    assert set(data["sex"]) == {"female", "male"}
    assert data["age"].dtype == np.float64
    assert data["age"].between(20, 79).all()
    assert (data["age"] == np.floor(data["age"])).all()
    assert pd.api.types.is_string_dtype(data["donor"])
    assert data["donor"].str.fullmatch(r"donor_\d{4}").all()


def test_float64_on_request():
    data = make_expression_data(5, 3, 4, dtype=np.float64, random_state=0)
    assert (data.filter(like="GENE").dtypes == np.float64).all()


def test_donors_give_between_one_and_all_tissues_once_each(generated):
    data, _ = generated
    per_donor = data.groupby("donor").size()
    assert len(per_donor) == N_DONORS
    assert per_donor.between(1, N_TISSUES).all()
    assert not data.duplicated(["donor", "tissue"]).any()
    # Default: 37% of the tissues per donor on average (2.96 of 8).
    assert per_donor.mean() == pytest.approx(0.37 * N_TISSUES, abs=0.4)
    # Sex and age belong to the donor.
    assert (data.groupby("donor")[["sex", "age"]].nunique() == 1).all().all()


def test_tissues_per_donor_sets_the_mean():
    data = make_expression_data(200, 6, 3, tissues_per_donor=5, random_state=0)
    assert data.groupby("donor").size().mean() == pytest.approx(5, abs=0.3)
    everything = make_expression_data(10, 4, 3, tissues_per_donor=4, random_state=0)
    assert (everything.groupby("donor").size() == 4).all()


def test_genes_are_standardised(generated):
    X = gene_values(generated[0])
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-4)


def test_tissue_means_explain_much_of_the_variance(generated):
    data, _ = generated
    X = gene_values(data)
    tissue_mean = (
        data.groupby("tissue", observed=True)[list(data.filter(like="GENE"))]
        .transform("mean")
        .to_numpy()
    )
    explained = 1 - ((X - tissue_mean) ** 2).sum() / (X**2).sum()
    assert explained > 0.25


def test_tissues_of_a_donor_are_correlated(generated):
    data, _ = generated
    genes = list(data.filter(like="GENE"))
    residual = (
        data[genes] - data.groupby("tissue", observed=True)[genes].transform("mean")
    ).to_numpy()
    donors = data["donor"].to_numpy()
    # Rows are ordered by donor, so neighbouring rows pair up samples of the
    # same donor (about 300 pairs) and of two different donors.
    correlations = np.array(
        [np.corrcoef(residual[i], residual[i + 1])[0, 1] for i in range(len(data) - 1)]
    )
    same = donors[:-1] == donors[1:]
    # The shared latent factors give an expected correlation of about 0.2;
    # each pair's correlation over 200 genes has a standard error near 0.07.
    assert correlations[same].mean() > 0.1
    assert abs(correlations[~same].mean()) < 0.05


def test_sex_genes_differ_by_sex(generated):
    data, truth = generated
    X = gene_values(data)
    male = (data["sex"] == "male").to_numpy()
    difference = X[male].mean(axis=0) - X[~male].mean(axis=0)
    sex_genes = np.flatnonzero(truth["sex_effect"])
    assert len(sex_genes) == 4
    assert np.all(np.abs(difference[sex_genes]) > 0.5)
    np.testing.assert_array_equal(
        np.sign(difference[sex_genes]), np.sign(truth["sex_effect"][sex_genes])
    )
    others = np.setdiff1d(np.arange(N_GENES), sex_genes)
    assert np.median(np.abs(difference[others])) < 0.2


def test_age_genes_follow_age(generated):
    data, truth = generated
    X = gene_values(data)
    age = data["age"].to_numpy()
    correlation = np.array([np.corrcoef(age, X[:, g])[0, 1] for g in range(N_GENES)])
    age_genes = np.flatnonzero(truth["age_effect"])
    assert len(age_genes) == 10
    signed = correlation[age_genes] * np.sign(truth["age_effect"][age_genes])
    # Age moves these genes by 0.5 to 1 within-tissue standard deviation per
    # 30 years, against tissue and module variation: a modest but clear trend.
    assert np.all(signed > 0.05)
    assert signed.mean() > 0.15
    others = np.setdiff1d(np.arange(N_GENES), age_genes)
    assert np.median(np.abs(correlation[others])) < 0.1


def test_truth_reproduces_the_signal(generated):
    data, truth = generated
    tissue = data["tissue"].cat.codes.to_numpy()
    sex = np.where(data["sex"] == "male", 0.5, -0.5)
    signal = (
        truth["tissue_means"][tissue]
        + np.einsum("ik,ikg->ig", truth["factors"], truth["loadings"][tissue])
        + np.outer(sex, truth["sex_effect"])
        + np.outer(data["age"] - 50, truth["age_effect"])
    )
    np.testing.assert_allclose(truth["signal"], signal, atol=1e-5)
    assert truth["signal"].dtype == np.float32
    noise = gene_values(data) - truth["signal"]
    np.testing.assert_allclose(noise.std(axis=0), truth["noise_sd"], rtol=0.2)
    # Heteroscedastic: noise levels span a factor of about 3 across genes.
    assert truth["noise_sd"].max() / truth["noise_sd"].min() > 2
    assert truth["donor_factors"].shape == (N_DONORS, 5)


def test_median_scores_near_zero_and_the_truth_scores_high(generated):
    data, truth = generated
    X = gene_values(data)
    X_missing, mask = make_missing(X, 0.5, random_state=0)
    median = (
        pd.DataFrame(X_missing).groupby(data["tissue"].to_numpy()).transform("median")
    ).to_numpy()
    groups = data["tissue"]
    assert -0.15 < imputation_r2_score(X, median, mask, groups=groups) < 0.05
    assert imputation_r2_score(X, truth["signal"], mask, groups=groups) > 0.6


def test_same_seed_same_data():
    first = make_expression_data(10, 4, 20, random_state=3)
    pd.testing.assert_frame_equal(
        first, make_expression_data(10, 4, 20, random_state=3)
    )
    other = make_expression_data(10, 4, 20, random_state=4)
    assert not first.equals(other)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(n_donors=0), "n_donors must be an integer >= 1"),
        (dict(n_genes=2.5), "n_genes must be an integer >= 1"),
        (dict(n_modules=-1), "n_modules must be an integer >= 0"),
        (dict(tissues_per_donor=0.5), "tissues_per_donor must be between 1 and"),
        (dict(tissues_per_donor=11), "tissues_per_donor must be between 1 and"),
        (dict(noise=-1.0), "noise must be a finite number"),
        (dict(dtype=np.int32), "dtype must be float32 or float64"),
        (dict(dtype=np.float16), "dtype must be float32 or float64"),
        (dict(tissues_per_donor=True), "tissues_per_donor must be between 1 and"),
        (dict(noise=True), "noise must be a finite number"),
    ],
)
def test_parameter_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_expression_data(**{"n_tissues": 10, **arguments})
