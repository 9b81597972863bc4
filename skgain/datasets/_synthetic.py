# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic multi-tissue expression data with a known generating model.

The design mimics GTEx: donors give samples of several tissues, each tissue has
its own expression program, a donor's tissues share part of their latent state,
and a few genes depend on sex and age. Values are written one block of rows at
a time into a preallocated array of the requested dtype, so that GTEx-sized
data never exist as a full float64 matrix.
"""

import numbers

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike
from sklearn.utils import check_random_state, gen_batches

from skgain._data import BLOCK_ENTRIES

# Share of a sample's latent factor variance that it shares with the other
# tissues of its donor, and share of the loading variance that is common to
# all tissues. Together they make a donor's tissues correlated (a surrogate
# tissue carries some information) but far from interchangeable.
_DONOR_SHARE = 0.5
_COMMON_LOADING_SHARE = 0.5

# GTEx donors are about two thirds male.
_MALE_SHARE = 0.66

# Shares of genes with a sex or an age effect, and effect sizes in units of the
# within-tissue standard deviation of the module signal: sex genes differ
# strongly (as XIST or Y-linked genes do), age genes drift by 0.5 to 1 unit
# over 30 years.
_SEX_GENE_SHARE = 0.02
_AGE_GENE_SHARE = 0.05
_SEX_EFFECT_RANGE = (1.5, 3.0)
_AGE_EFFECT_RANGE = (0.5 / 30, 1.0 / 30)
_AGE_CENTRE = 50.0

# A donor gives on average this share of the tissues when tissues_per_donor
# is not given (about 18 of 49 tissues in GTEx v8).
_GTEX_TISSUE_SHARE = 0.37


def make_expression_data(
    n_donors: int = 100,
    n_tissues: int = 10,
    n_genes: int = 500,
    *,
    tissues_per_donor: float | None = None,
    n_modules: int = 10,
    noise: float = 0.5,
    dtype: DTypeLike = np.float32,
    random_state: int | np.random.RandomState | None = None,
    return_truth: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """Generate GTEx-like expression of many tissues per donor, with covariates.

    Each donor gives samples of a random subset of the tissues (some tissues
    are sampled more often than others). The expression of gene ``g`` in
    sample ``i`` of tissue ``t`` from donor ``d`` is

    .. math::

        x_{ig} = \\mu_{tg} + h_i^\\top L_{t,:,g} + s_i \\beta_g
                 + (a_i - 50) \\gamma_g + \\sigma_g \\varepsilon_{ig}

    - ``mu_tg``: the tissue's expression program (tissue means);
    - ``h_i = sqrt(1/2) f_d + sqrt(1/2) u_i``: ``n_modules`` latent factors,
      half of whose variance is shared by all samples of the donor (``f_d``)
      and half specific to the sample (``u_i``), all standard normal;
    - ``L_t``: the tissue's loadings of the genes on the latent modules, half
      common to all tissues and half tissue-specific, so that each tissue has
      its own low-rank gene-gene correlation;
    - ``s_i`` = +1/2 for males and -1/2 for females, ``beta_g`` nonzero for
      about 2% of the genes; ``a_i`` the age in years, ``gamma_g`` nonzero for
      about 5% of the genes;
    - ``sigma_g``: a noise standard deviation that differs between genes
      (heteroscedastic), ``epsilon`` standard normal.

    Every gene is then standardised to mean 0 and variance 1 over all samples,
    as in the data of the GAIN-GTEx paper; the returned truth is expressed on
    that scale. Within a tissue the module signal explains most of a gene's
    variance, so imputing a gene's median in the tissue scores an R^2 near 0
    while a model of the gene-gene structure can score far above.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    n_donors : int, default=100
        Number of donors.

    n_tissues : int, default=10
        Number of tissues.

    n_genes : int, default=500
        Number of genes.

    tissues_per_donor : float, default=None
        Mean number of tissues a donor gives, in [1, ``n_tissues``]. Each
        donor gives ``1 + Binomial(n_tissues - 1, q)`` tissues with ``q`` set
        to match this mean. ``None`` means 37% of the tissues (at least one),
        the share of GTEx v8.

    n_modules : int, default=10
        Number of latent gene modules (the rank of the shared structure).

    noise : float, default=0.5
        Mean noise standard deviation, relative to the module signal of a
        gene within a tissue (about 1); each gene's noise standard deviation
        is drawn between 0.5 and 1.5 times this value.

    dtype : {np.float32, np.float64}, default=np.float32
        Floating dtype of the expression columns.

    random_state : int, RandomState instance or None, default=None
        Seeds everything. Pass an int for the same data on every call.

    return_truth : bool, default=False
        If True, also return the generating model (see Returns). This stores
        a noise-free copy of the expression matrix, doubling the memory used.

    Returns
    -------
    data : DataFrame of shape (n_samples, n_genes + 4)
        One row per sample, ordered by donor. Gene columns ``GENE00001``,
        ``GENE00002``, ... of ``dtype``, then ``tissue`` (categorical,
        ``tissue_01``, ...), ``sex`` (categorical, ``"female"`` or
        ``"male"``), ``age`` (float, whole years from 20 to 79) and ``donor``
        (string identifier, ``donor_0001``, ...). Use ``donor`` to keep a
        donor's samples in one fold (:class:`~sklearn.model_selection.GroupKFold`)
        rather than as a covariate.

    truth : dict
        Only if ``return_truth=True``; all on the standardised scale, in the
        notation above:

        - ``"signal"``: ndarray of shape (n_samples, n_genes) of ``dtype``, the
          expression without noise;
        - ``"tissue_means"``: ndarray of shape (n_tissues, n_genes), ``mu``;
        - ``"loadings"``: ndarray of shape (n_tissues, n_modules, n_genes),
          ``L``;
        - ``"factors"``: ndarray of shape (n_samples, n_modules), ``h``;
        - ``"donor_factors"``: ndarray of shape (n_donors, n_modules), ``f``;
        - ``"sex_effect"``: ndarray of shape (n_genes,), ``beta``, the
          male-minus-female difference;
        - ``"age_effect"``: ndarray of shape (n_genes,), ``gamma``, per year;
        - ``"noise_sd"``: ndarray of shape (n_genes,), ``sigma``.

    See Also
    --------
    make_missing : Hide entries of the generated data.
    skgain.metrics.imputation_r2_score : Score imputations per tissue and gene.

    Notes
    -----
    GTEx v8 scale, about 17,400 samples of 12,557 genes in 49 tissues, is
    ``make_expression_data(950, 49, 12557, tissues_per_donor=18.3)``; in
    float32 it takes about 0.9 GB, and the generator needs little more than
    that.

    Examples
    --------
    >>> from skgain.datasets import make_expression_data
    >>> data = make_expression_data(n_donors=20, n_tissues=5, n_genes=50,
    ...                             random_state=0)
    >>> data.shape
    (42, 54)
    >>> list(data.columns[:2]) + list(data.columns[-4:])
    ['GENE00001', 'GENE00002', 'tissue', 'sex', 'age', 'donor']
    >>> data["GENE00001"].dtype
    dtype('float32')
    """
    _check_count("n_donors", n_donors, minimum=1)
    _check_count("n_tissues", n_tissues, minimum=1)
    _check_count("n_genes", n_genes, minimum=1)
    _check_count("n_modules", n_modules, minimum=0)
    if tissues_per_donor is None:
        tissues_per_donor = max(1.0, _GTEX_TISSUE_SHARE * n_tissues)
    if not (
        isinstance(tissues_per_donor, numbers.Real)
        and not isinstance(tissues_per_donor, bool | np.bool_)
        and 1 <= tissues_per_donor <= n_tissues
    ):
        raise ValueError(
            f"tissues_per_donor must be between 1 and n_tissues={n_tissues}; "
            f"got {tissues_per_donor!r}."
        )
    if not (
        isinstance(noise, numbers.Real)
        and not isinstance(noise, bool | np.bool_)
        and 0 <= noise < np.inf
    ):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}.")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype!r}.")
    rng = check_random_state(random_state)

    donor, tissue = _sample_design(n_donors, n_tissues, tissues_per_donor, rng)
    male = rng.random_sample(n_donors) < _MALE_SHARE
    age = np.floor(rng.uniform(20, 80, size=n_donors))
    truth = _draw_model(n_donors, n_tissues, n_genes, n_modules, noise, rng)
    own_factors = rng.standard_normal((len(donor), n_modules))
    truth["factors"] = (
        np.sqrt(_DONOR_SHARE) * truth["donor_factors"][donor]
        + np.sqrt(1 - _DONOR_SHARE) * own_factors
    )
    sex_code = np.where(male[donor], 0.5, -0.5)

    values, signal, center, scale = _generate(
        truth, tissue, sex_code, age[donor], dtype, return_truth, rng
    )
    truth["tissue_means"] = (truth["tissue_means"] - center) / scale
    for key in ("loadings", "sex_effect", "age_effect", "noise_sd"):
        truth[key] = truth[key] / scale

    data = pd.DataFrame(values, columns=_names("GENE", n_genes, 5), copy=False)
    data["tissue"] = pd.Categorical.from_codes(
        tissue, categories=_names("tissue_", n_tissues, 2)
    )
    data["sex"] = pd.Categorical.from_codes(
        male[donor].astype(np.int8), categories=["female", "male"]
    )
    data["age"] = age[donor]
    data["donor"] = np.asarray(_names("donor_", n_donors, 4))[donor]
    if not return_truth:
        return data
    truth["signal"] = signal
    return data, truth


def _check_count(name, value, minimum):
    if not (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")


def _names(prefix, n, width):
    width = max(width, len(str(n)))
    return [f"{prefix}{k + 1:0{width}d}" for k in range(n)]


def _sample_design(n_donors, n_tissues, tissues_per_donor, rng):
    """Donor and tissue of each sample; samples ordered by donor, then tissue."""
    popularity = rng.uniform(0.3, 1.0, size=n_tissues)
    popularity /= popularity.sum()
    if n_tissues == 1:
        counts = np.ones(n_donors, dtype=int)
    else:
        share = (tissues_per_donor - 1) / (n_tissues - 1)
        counts = 1 + rng.binomial(n_tissues - 1, share, size=n_donors)
    tissue = np.concatenate(
        [np.sort(rng.choice(n_tissues, k, replace=False, p=popularity)) for k in counts]
    )
    return np.repeat(np.arange(n_donors), counts), tissue


def _draw_model(n_donors, n_tissues, n_genes, n_modules, noise, rng):
    """Parameters of the generating model, before standardisation."""
    common = rng.standard_normal((1, n_modules, n_genes))
    specific = rng.standard_normal((n_tissues, n_modules, n_genes))
    loadings = (
        np.sqrt(_COMMON_LOADING_SHARE) * common
        + np.sqrt(1 - _COMMON_LOADING_SHARE) * specific
    ) / np.sqrt(max(n_modules, 1))
    genes = rng.permutation(n_genes)
    n_sex = max(1, round(_SEX_GENE_SHARE * n_genes))
    n_age = min(max(1, round(_AGE_GENE_SHARE * n_genes)), n_genes - n_sex)
    sex_effect = np.zeros(n_genes)
    sex_effect[genes[:n_sex]] = rng.choice([-1.0, 1.0], n_sex) * rng.uniform(
        *_SEX_EFFECT_RANGE, size=n_sex
    )
    age_effect = np.zeros(n_genes)
    age_effect[genes[n_sex : n_sex + n_age]] = rng.choice(
        [-1.0, 1.0], n_age
    ) * rng.uniform(*_AGE_EFFECT_RANGE, size=n_age)
    return {
        "tissue_means": rng.standard_normal((n_tissues, n_genes)),
        "loadings": loadings,
        "donor_factors": rng.standard_normal((n_donors, n_modules)),
        "sex_effect": sex_effect,
        "age_effect": age_effect,
        "noise_sd": noise * rng.uniform(0.5, 1.5, size=n_genes),
    }


def _generate(truth, tissue, sex_code, age, dtype, keep_signal, rng):
    """Fill the expression matrix block by block, then standardise each gene.

    Returns the values, the noise-free signal (or None) and the per-gene
    centre and scale that were applied to both.
    """
    n_samples = len(tissue)
    n_genes = truth["tissue_means"].shape[1]
    values = np.empty((n_samples, n_genes), dtype=dtype)
    signal = np.empty((n_samples, n_genes), dtype=dtype) if keep_signal else None
    # Running mean and sum of squared deviations, merged block by block
    # (Chan et al.), so that standardising needs no extra pass over the data.
    count, mean, m2 = 0, np.zeros(n_genes), np.zeros(n_genes)
    blocks = list(gen_batches(n_samples, max(1, BLOCK_ENTRIES // n_genes)))
    for rows in blocks:
        block = _signal_block(truth, tissue[rows], truth["factors"][rows])
        block += np.outer(sex_code[rows], truth["sex_effect"])
        block += np.outer(age[rows] - _AGE_CENTRE, truth["age_effect"])
        if keep_signal:
            signal[rows] = block
        block += rng.standard_normal(block.shape) * truth["noise_sd"]
        values[rows] = block
        size = len(block)
        block_mean = block.mean(axis=0)
        delta = block_mean - mean
        total = count + size
        mean += delta * size / total
        m2 += ((block - block_mean) ** 2).sum(axis=0) + delta**2 * count * size / total
        count = total
    scale = np.sqrt(m2 / count)
    scale[~(scale > 0)] = 1.0
    for rows in blocks:
        values[rows] = (values[rows] - mean) / scale
        if keep_signal:
            signal[rows] = (signal[rows] - mean) / scale
    return values, signal, mean, scale


def _signal_block(truth, tissue, factors):
    """Tissue means plus module signal for a block of samples, in float64."""
    block = truth["tissue_means"][tissue]
    for t in np.unique(tissue):
        rows = tissue == t
        block[rows] += factors[rows] @ truth["loadings"][t]
    return block
