# SPDX-License-Identifier: BSD-3-Clause
"""The GAINImputer estimator: input checks, fitting recipe and output assembly."""

import copy
import gc
import numbers

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import MissingIndicator
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    check_array,
    check_is_fitted,
    validate_data,
)

from skgain._compat import (
    Interval,
    MissingValues,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    _get_output_config,
    _wrap_data_with_container,
)
from skgain._covariates import CovariateEncoder, resolve_column_roles
from skgain._data import ROW_BLOCK, FeatureScaler
from skgain._device import resolve_device, widest_float
from skgain._output import pandas_with_passthrough, polars_with_passthrough
from skgain._training import (
    BeyondFloat32Error,
    TrainingConfig,
    TrainingData,
    impute_rows,
    train,
    unusable_validation_message,
)
from skgain._validation import (
    beyond_float32_message,
    check_finite,
    check_not_temporal,
    check_unit_interval,
    column_label,
    column_list,
    explain_conversion_error,
    get_column,
    is_nan_marker,
    missing_as_nan,
    polars_as_pandas,
    row_name,
    warn_at_caller,
    warn_numbers_taken_as_categories,
)

# Training copies from this size up are freed with a garbage collection
# after fit (see _fit_networks); below it the collection is not worth its time.
_COLLECT_AFTER_BYTES = 2**27


def _auto_or(convert, value):
    """``value`` converted, or ``"auto"`` left for the training set to resolve."""
    return value if isinstance(value, str) else convert(value)


def _check_table_shape(X, min_samples):
    """The checks of scikit-learn's ``check_array`` on the shape and kind of
    a table whose columns are not all numbers (covariates), in its words."""
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array, got an array of shape {X.shape}. Reshape your "
            "data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
        )
    if X.shape[0] < min_samples:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
            f"minimum of {min_samples} is required by GAINImputer."
        )
    if X.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of "
            "1 is required by GAINImputer."
        )
    dtypes = X.dtypes if isinstance(X, pd.DataFrame) else [X.dtype]
    if any(pd.api.types.is_complex_dtype(dtype) for dtype in dtypes):
        raise ValueError(
            "Complex data not supported: GAINImputer imputes real numbers and "
            "its covariates are real numbers or categories."
        )


def _max_iter_message(result, imputer) -> str:
    """Why a fit ran to ``max_iter``, and what to raise."""
    needed = result.settling_epochs + imputer.n_iter_no_change
    if not result.settling_epochs or result.n_iter >= needed:
        return (
            f"GAINImputer reached max_iter={imputer.max_iter} epochs before the "
            "monitored score stopped improving; increase max_iter or tol."
        )
    return (
        f"GAINImputer reached max_iter={imputer.max_iter} epochs before the fit "
        f"could stop early: the first {result.settling_epochs} epochs of this "
        f"table end within the first {result.settling_steps} training steps "
        "(warm-up and the generator average's horizon), which do not count as "
        f"epochs without improvement; increase max_iter to at least {needed}."
    )


def _skgain_version() -> str:
    import skgain  # at call time: skgain/__init__.py imports this module

    return skgain.__version__


def _layer_sizes(name, value):
    """The hidden widths ``value`` (an int or a sequence of them) as a tuple."""
    sizes = (value,) if isinstance(value, numbers.Integral) else tuple(value)
    if not sizes or any(not isinstance(h, numbers.Integral) or h < 1 for h in sizes):
        raise ValueError(f"{name} must be positive integers, got {value!r}.")
    return tuple(int(h) for h in sizes)


class GAINImputer(TransformerMixin, BaseEstimator):
    """Impute missing values with Generative Adversarial Imputation Nets.

    A generator network fills each sample's missing entries from its observed
    entries and from sample covariates (such as tissue, sex and age); a
    discriminator network, given a hint about which entries were observed,
    learns to tell imputed entries from observed ones, and the generator is
    trained to fool it while reconstructing the entries it knows (GAIN, with
    the covariate conditioning of GAIN-GTEx). Once fitted, the model imputes
    new samples without retraining.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    missing_values : int, float, np.nan or pd.NA, default=np.nan
        The placeholder for missing values. All occurrences in the feature
        columns are imputed. ``pd.NA`` in nullable pandas columns, in
        ``object`` or ``string`` columns and in object arrays is treated like
        ``np.nan``. Infinite placeholders are refused, as infinite values in
        ``X`` are.

    categorical_covariates : "from_dtype", str, array-like of str, int or bool, \
            default=None
        Columns of ``X`` holding categorical covariates (tissue, sex, batch):
        column names (DataFrame input), integer indices or a boolean mask.
        ``"from_dtype"`` takes every ``category``, ``object`` and ``string``
        column of a DataFrame (with a warning for a text column whose values
        are mostly numbers: a gene with stray marks such as ``.`` for missing
        values). Each enters both networks as a learned
        embedding of width ``int(sqrt(n_categories)) + 1``. A missing value is
        a category of its own; a category not seen in ``fit`` is an error.
        Covariates are passed through unchanged and never imputed.

    numerical_covariates : str, array-like of str, int or bool, default=None
        Columns of ``X`` holding numerical covariates (age), specified as for
        ``categorical_covariates``. They are standardised with the training
        mean and standard deviation; a missing value is replaced by the
        training mean.

    hidden_layer_sizes : array-like of int, default=(256, 256, 256)
        Width of each hidden layer of the generator and of the discriminator.
        The GAIN-GTEx paper used ``(256, 256)``; a third layer imputed better
        on tables of 100 genes and more in our benchmarks, at almost no cost,
        since the layers as wide as the genes dominate the time. On a few
        genes the paper's two may do better. See the user guide.

    discriminator_hidden_layer_sizes : array-like of int, default=None
        Width of each hidden layer of the discriminator, when it should differ
        from the generator's; None gives it ``hidden_layer_sizes``. The
        discriminator's first and last layers are as wide as the features, so
        on wide tables a narrower one shortens every training step: at GTEx
        size (12,557 genes), ``(128, 128, 128)`` made epochs a sixth shorter
        on 2 CPU cores, at the same R^2 within what the model seed alone
        changes. See the user guide.

    hint_rate : float or pair of float, default=0.5
        Probability ``p`` with which each entry of the mask is revealed to the
        discriminator (paper eq. 4). A pair ``(alpha, beta)`` draws
        ``p ~ U(alpha, beta)`` once per sample. Pairs, here and in
        ``observed_fraction_range``, are tuples or lists (as a JSON or YAML
        configuration gives them).

    reconstruction_weight : float, default=10.0
        Weight ``lambda`` of the reconstruction term in the generator loss
        (paper eq. 6). The GAIN-GTEx paper used 1; at 1 the discriminator's
        gradient slowed the generator's learning about twofold on a
        GTEx-wide table. Larger values move the model towards GAIN-MSE.

    adversarial : bool, default=True
        Whether to train against the discriminator. ``False`` gives GAIN-MSE:
        the generator is trained on the reconstruction loss alone.

    generator_averaging : float, default=0.99
        Decay of the exponential moving average of the generator's weights
        that imputes: after each training step, ``average = decay * average +
        (1 - decay) * weights``. The average is what early stopping scores and
        what ``transform`` uses; it changes less from step to step than the
        weights, which the adversarial game and small batches make noisy.
        0 imputes with the trained weights as they are, as in the paper.

    reconstruction_entries : {"known", "input"}, default="known"
        Which entries the reconstruction loss covers. ``"input"`` is the
        published form: only the entries shown to the generator. ``"known"``
        adds the entries that are observed in the data but hidden from the
        generator by the training mask, so that the generator is also taught
        directly to fill gaps. See Notes.

    observed_fraction_range : pair of float, default=(0.5, 0.95)
        During training each sample keeps a fraction ``u ~ U(low, high)`` of
        its observed entries visible to the generator; the rest are hidden
        artificially, on top of the real gaps. ``(1.0, 1.0)`` trains on the
        real gaps only.

    optimizer : {"adam", "rmsprop"}, default="adam"
        Optimizer of both networks.

    batch_size : int or "auto", default="auto"
        Number of samples per training step. ``"auto"`` is 128, or 256 when
        the training samples (those left after the validation split) number
        10,000 or more: on a large table the bigger batch keeps the processor
        busier and learned about as fast per second, while on a table of
        about 1,000 samples it leaves too few steps per epoch and imputes
        worse. See :ref:`large-tables`.

    learning_rate_init : float, default=2e-3
        Learning rate of both optimizers.

    learning_rate : {"constant", "cosine"}, default="constant"
        Learning-rate schedule after the warm-up. ``"constant"`` keeps
        ``learning_rate_init``. ``"cosine"`` lowers it along a half cosine
        to 0 at the last step of ``max_iter`` epochs, so that the networks
        settle by then: a fit's length is then set by ``max_iter`` (early
        stopping can still end it sooner), which bounds the time of a fit on
        a large table, and reaching ``max_iter`` then gives no
        :class:`~sklearn.exceptions.ConvergenceWarning`. See
        :ref:`large-tables`.

    warmup_steps : int, default=100
        Number of training steps over which the learning rate rises linearly
        from ``learning_rate_init / warmup_steps`` to ``learning_rate_init``.
        Adam's first updates move every weight by about the full learning
        rate whatever its gradient; on a wide table (thousands of genes) such
        steps can silence the first layer's units for good, and the networks
        then never learn. 0 starts at the full rate, as in the paper.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training samples).

    early_stopping : bool, default=True
        Whether to hold out ``validation_fraction`` of the samples, hide a
        fixed share of their observed entries, and stop when the score on
        those entries stops improving; the generator of the best epoch is
        kept. If ``False``, training stops when the generator loss stops
        improving, and the last generator is kept. When the held-out samples
        have nothing to score (``observed_fraction_range=(1.0, 1.0)`` hides
        no entry), a ``UserWarning`` says so and training proceeds as with
        ``False``, on every sample.

    validation_fraction : float, default=0.1
        Share of the samples held out for early stopping (at least one).

    n_iter_no_change : int, default=10
        Number of epochs without an improvement of at least ``tol`` after
        which training stops. Epochs that end within the first
        ``warmup_steps + 1 / (1 - generator_averaging)`` training steps (200
        by default) never count: the learning rate is still rising and the
        averaged generator has yet to follow the weights. On a table of one
        or two batches, where an epoch is a step or two, training therefore
        runs at least that many steps.

    tol : float or "auto", default="auto"
        Minimum improvement of the monitored score that counts. ``"auto"`` is
        1e-4, or 3e-4 on the large tables where ``batch_size="auto"`` is 256:
        there an epoch is long, and the fit would otherwise go on for dozens
        of epochs that each gain about 1e-4; 1e-4 then buys a little more
        R^2 for a longer fit (see :ref:`large-tables`).

    sample_posterior : bool, default=False
        If ``False``, ``transform`` imputes with the generator's noise input
        set to zero: a deterministic point estimate. If ``True``, the noise is
        drawn at random, giving one draw of the imputation distribution (the
        same draw on every call with the same rows; a row imputed beside other
        rows gets another draw; use :meth:`sample_imputations` for several).

    add_indicator : bool, default=False
        If ``True``, a :class:`~sklearn.impute.MissingIndicator` of the
        feature columns is appended to the output (an error if every column
        is a covariate).

    keep_empty_features : bool, default=False
        If ``True``, features with no observed value during ``fit`` are kept
        and filled with 0 in ``transform``, as in
        :class:`~sklearn.impute.SimpleImputer`; otherwise they are dropped
        from the output.

    device : str or torch.device, default="auto"
        Torch device to train and impute on. ``"auto"`` picks CUDA, then
        Apple MPS, then the CPU; ``"cpu"``, ``"cuda"``, ``"cuda:1"`` select
        one. The fitted networks are kept on the CPU between calls, so a model
        fitted on a GPU pickles and loads on a machine without one.

    mixed_precision : bool, default=False
        If ``True``, training runs the networks' matrix products in bfloat16
        (``torch.autocast``); the weights, the optimizer and the losses stay
        in float32, and the validation score and ``transform`` use float32.
        It pays on GPUs with bfloat16 tensor cores (NVIDIA Ampere and later);
        on a CPU without bfloat16 instructions it is slower. Results differ
        from float32 training by the rounding of the products, not in kind.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split, training masks,
        noise and hints. Pass an int for reproducible results. The global
        numpy and torch random states are neither used nor changed.

    verbose : int, default=0
        If positive, print one line of progress per epoch: losses, validation
        score and elapsed time.

    Attributes
    ----------
    n_iter_ : int
        Number of epochs run.

    batch_size_ : int or None
        Batch size used, with ``"auto"`` resolved; ``None`` if there was
        nothing to train (no feature column with an observed value).

    tol_ : float or None
        Tolerance used, with ``"auto"`` resolved; ``None`` likewise.

    loss_curve_ : list of float
        Mean generator loss of each epoch.

    discriminator_loss_curve_ : list of float
        Mean discriminator loss of each epoch (zeros when not adversarial).

    validation_scores_ : list of float
        Validation score of each epoch when early stopping is used, else
        empty: ``1 - SSE / SS0`` on the hidden validation entries, where
        ``SS0`` is the error of imputing the training mean (1 is perfect,
        0 is no better than mean imputation).

    best_validation_score_ : float or None
        Best validation score, that of the generator kept.

    indicator_ : :class:`~sklearn.impute.MissingIndicator`
        Indicator of missing values in the feature columns; ``None`` if
        ``add_indicator=False``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.impute.SimpleImputer : Univariate imputation with a constant or a
        column statistic.
    sklearn.impute.IterativeImputer : Multivariate imputation by chained
        regressions.
    sklearn.impute.KNNImputer : Imputation from the nearest neighbours.

    Notes
    -----
    Each feature is standardised with the mean and standard deviation of its
    observed entries before it enters the networks. Observed entries are
    returned bit-identical; the output dtype is float32 for float32 input and
    float64 otherwise. With covariates, the output holds every input column in
    input order, each covariate value unchanged: a NumPy output has the dtype
    NumPy promotes the features' and the covariates' dtypes to (float64 with
    an int64 or float64 covariate, float32 for float32 features with float32
    or int16 covariates; integers beyond 2**53, which float64 cannot hold,
    excepted), or object when a covariate is not of a NumPy numeric dtype
    (strings, categories, nullable pandas columns);
    ``set_output(transform="pandas")`` keeps each covariate's own dtype, and
    ``"polars"`` float features beside the covariates.

    With ``reconstruction_entries="input"``, a generator that is wide compared
    with the number of features can learn to copy its input, and then only the
    adversarial term teaches it to fill gaps. ``"known"`` also scores the
    generator on observed entries it was not shown, which on held-out samples
    gave an R^2 at least as good on narrow and wide data in our measurements;
    use ``"input"`` to reproduce the paper exactly.

    References
    ----------
    .. [1] J. Yoon, J. Jordon and M. van der Schaar. "GAIN: Missing Data
       Imputation using Generative Adversarial Nets". ICML 2018.
    .. [2] R. Viñas, T. Azevedo, E. R. Gamazon and P. Liò. "Gene Expression
       Imputation with Generative Adversarial Imputation Nets". ICML
       Workshop on Computational Biology 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import GAINImputer
    >>> X = np.array([[1.0, 2.0, np.nan], [3.0, 6.0, 9.0], [2.0, np.nan, 6.0],
    ...               [4.0, 8.0, 12.0]])
    >>> imputer = GAINImputer(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    >>> X_imputed = imputer.fit_transform(X)
    >>> X_imputed.shape
    (4, 3)
    >>> bool(np.isnan(X_imputed).any())
    False
    """

    _parameter_constraints: dict = {
        "missing_values": [MissingValues(numeric_only=True)],
        # A string is a column name or "from_dtype"; resolved in fit.
        "categorical_covariates": [str, numbers.Integral, "array-like", None],
        "numerical_covariates": [str, numbers.Integral, "array-like", None],
        "hidden_layer_sizes": [
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "discriminator_hidden_layer_sizes": [
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "hint_rate": [Interval(numbers.Real, 0, 1, closed="both"), tuple, list],
        "reconstruction_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "adversarial": ["boolean"],
        "generator_averaging": [Interval(numbers.Real, 0, 1, closed="left")],
        "reconstruction_entries": [StrOptions({"known", "input"})],
        "observed_fraction_range": [tuple, list],
        "optimizer": [StrOptions({"adam", "rmsprop"})],
        "batch_size": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "cosine"})],
        "warmup_steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "sample_posterior": ["boolean"],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "device": [str, torch.device],
        "mixed_precision": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        categorical_covariates=None,
        numerical_covariates=None,
        hidden_layer_sizes=(256, 256, 256),
        discriminator_hidden_layer_sizes=None,
        hint_rate=0.5,
        reconstruction_weight=10.0,
        adversarial=True,
        generator_averaging=0.99,
        reconstruction_entries="known",
        observed_fraction_range=(0.5, 0.95),
        optimizer="adam",
        batch_size="auto",
        learning_rate_init=2e-3,
        learning_rate="constant",
        warmup_steps=100,
        max_iter=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol="auto",
        sample_posterior=False,
        add_indicator=False,
        keep_empty_features=False,
        device="auto",
        mixed_precision=False,
        random_state=None,
        verbose=0,
    ):
        self.missing_values = missing_values
        self.categorical_covariates = categorical_covariates
        self.numerical_covariates = numerical_covariates
        self.hidden_layer_sizes = hidden_layer_sizes
        self.discriminator_hidden_layer_sizes = discriminator_hidden_layer_sizes
        self.hint_rate = hint_rate
        self.reconstruction_weight = reconstruction_weight
        self.adversarial = adversarial
        self.generator_averaging = generator_averaging
        self.reconstruction_entries = reconstruction_entries
        self.observed_fraction_range = observed_fraction_range
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.warmup_steps = warmup_steps
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.sample_posterior = sample_posterior
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: npt.ArrayLike, y: object = None) -> "GAINImputer":
        """Fit the generator (and discriminator) on ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data with missing values, including any covariate columns.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted imputer.

        Raises
        ------
        FloatingPointError
            If a training loss becomes infinite or NaN before an epoch's
            generator was kept: with ``early_stopping=False``, which keeps
            none, whenever training diverges. With early stopping, a later
            divergence keeps the generator of the best epoch and warns
            (:class:`~sklearn.exceptions.ConvergenceWarning`). The message
            says which parameters to lower.
        """
        # The generator is set last in a fit that succeeds: a fit that fails,
        # on a parameter or on the data, leaves the estimator unfitted, not
        # half refitted.
        if hasattr(self, "_generator"):
            del self._generator
        return self._fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit(self, X):
        config = self._training_config()
        X, features = self._validate_input(X, in_fit=True)
        observed = ~self._missing_mask(features)
        self.indicator_ = self._fit_indicator(features)
        self._empty_features = ~observed.any(axis=0)
        self._output_columns = self._select_output_columns()
        names = getattr(self, "feature_names_in_", None)
        if self._empty_features.any() and not self.keep_empty_features:
            self._warn_empty_features_dropped(names)
        kept = ~self._empty_features
        if not kept.all():  # fancy indexing copies: only pay for it when needed
            features, observed = features[:, kept], observed[:, kept]
        kept_columns = self._roles.features[kept]
        self._scaler = FeatureScaler.fit(
            features,
            observed,
            lambda positions: column_list(kept_columns[positions], names),
        )
        # Constant features are imputed with their value (see _block_filler):
        # the networks leave them out, where they would cost as much as any
        # feature (a single-cell table's all-zero genes, often a third of
        # them) to learn to output that value.
        constant = ~np.isnan(self._scaler.constant_value)
        self._modelled = np.flatnonzero(~constant)
        self._covariate_encoder = CovariateEncoder(self._roles, names).fit(X)
        random_state = check_random_state(self.random_state)
        training_seed, self._noise_seed = (
            int(seed) for seed in random_state.randint(np.iinfo(np.int32).max, size=2)
        )
        if self._modelled.size == 0:
            # Only covariates, or only empty or constant features: nothing
            # to learn; the device is checked all the same.
            resolve_device(self.device)
            self._reset_training_history()
            self._generator = None
            return self
        # NaN at the gaps: the standardised float32 copy is then all training
        # needs, so the features and their mask are freed now rather than held
        # through training.
        scaled = self._scaler.transform(
            features,
            observed,
            missing_value=np.nan,
            columns=self._modelled if constant.any() else None,
        )
        del features, observed
        self._fit_networks(X, scaled, config, training_seed)
        return self

    def _fit_indicator(self, features):
        """The fitted MissingIndicator of ``add_indicator``, or None."""
        if not self.add_indicator:
            return None
        if not features.shape[1]:
            raise ValueError(
                "add_indicator=True needs a feature column to indicate the "
                "missing entries of, but every column of X is a covariate."
            )
        return MissingIndicator(
            # The features are floats by now, with NaN for pd.NA.
            missing_values=(
                np.nan if is_nan_marker(self.missing_values) else self.missing_values
            ),
            error_on_new=False,
        ).fit(features)

    def _warn_empty_features_dropped(self, names):
        # As SimpleImputer and IterativeImputer warn: the output has fewer
        # columns than X.
        empty = self._roles.features[self._empty_features]
        warn_at_caller(
            f"Skipping feature column(s) {column_list(empty, names)} without "
            "any observed value: they are left out of the output "
            "(keep_empty_features=True keeps them, filled with 0).",
            UserWarning,
        )

    def __sklearn_is_fitted__(self) -> bool:
        # The generator is the last thing a successful fit sets.
        return hasattr(self, "_generator")

    def __getstate__(self):
        # The version that pickled the model, told on loading, as scikit-learn
        # does for its own: a model's private attributes change with skgain.
        return {**super().__getstate__(), "_skgain_version": _skgain_version()}

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop("_skgain_version", None)
        if saved != _skgain_version():
            # Models saved before versions were recorded have none.
            by = "an earlier version of skgain" if saved is None else f"skgain {saved}"
            warn_at_caller(
                f"This GAINImputer was saved by {by} and is loaded by skgain "
                f"{_skgain_version()}: it may fail or give other results. Load it "
                "with the version that saved it, or fit it again.",
                UserWarning,
            )
        super().__setstate__(state)

    def _training_config(self) -> TrainingConfig:
        hint_rate = self.hint_rate
        if not isinstance(hint_rate, tuple | list):
            hint_rate = (hint_rate, hint_rate)
        check_unit_interval("hint_rate", hint_rate)
        check_unit_interval("observed_fraction_range", self.observed_fraction_range)
        if self.observed_fraction_range[0] <= 0:
            raise ValueError(
                "observed_fraction_range must have a lower bound above 0, got "
                f"{self.observed_fraction_range}: the generator needs to see some "
                "entries."
            )
        if isinstance(self.missing_values, numbers.Real) and np.isinf(
            self.missing_values
        ):
            raise ValueError(
                f"missing_values={self.missing_values!r} cannot mark missing "
                "entries: GAINImputer refuses infinite values in X. Mark them "
                "with NaN or a finite placeholder."
            )
        hidden = _layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)
        discriminator_hidden = (
            hidden
            if self.discriminator_hidden_layer_sizes is None
            else _layer_sizes(
                "discriminator_hidden_layer_sizes",
                self.discriminator_hidden_layer_sizes,
            )
        )
        return TrainingConfig(
            hidden_layer_sizes=hidden,
            discriminator_hidden_layer_sizes=discriminator_hidden,
            hint_rate=(float(hint_rate[0]), float(hint_rate[1])),
            reconstruction_weight=float(self.reconstruction_weight),
            adversarial=bool(self.adversarial),
            generator_averaging=float(self.generator_averaging),
            reconstruction_entries=self.reconstruction_entries,
            observed_fraction_range=tuple(map(float, self.observed_fraction_range)),
            optimizer=self.optimizer,
            batch_size=_auto_or(int, self.batch_size),
            learning_rate_init=float(self.learning_rate_init),
            warmup_steps=int(self.warmup_steps),
            max_iter=int(self.max_iter),
            early_stopping=bool(self.early_stopping),
            n_iter_no_change=int(self.n_iter_no_change),
            tol=_auto_or(float, self.tol),
            verbose=int(self.verbose),
            mixed_precision=bool(self.mixed_precision),
            learning_rate_schedule=self.learning_rate,
        )

    def _reset_training_history(self):
        self.loss_curve_, self.discriminator_loss_curve_ = [], []
        self.validation_scores_, self.best_validation_score_ = [], None
        self.n_iter_ = 0
        self.batch_size_ = self.tol_ = None

    def _fit_networks(self, X, scaled, config, seed):
        """Train on the standardised features ``scaled`` (missing entries NaN)."""
        self._reset_training_history()
        device = resolve_device(self.device)
        codes, numerical = self._covariate_encoder.transform(X)
        # On the CPU the tensors share the arrays' memory: no copy.
        data = TrainingData(
            torch.from_numpy(scaled).to(device),
            None,
            torch.from_numpy(codes).to(device),
            torch.from_numpy(numerical).to(device),
        )
        train_rows, validation_rows = self._split_rows(len(scaled), seed)
        config = config.resolved(len(train_rows))
        self.batch_size_, self.tol_ = config.batch_size, config.tol
        result = train(
            config,
            data.subset(torch.from_numpy(train_rows).to(device)),
            data.subset(torch.from_numpy(validation_rows).to(device))
            if validation_rows.size
            else None,
            self._covariate_encoder.cardinalities,
            seed,
        )
        # Kept on the CPU so that the fitted estimator pickles without CUDA.
        self._generator = result.generator.cpu()
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.loss_curve
        self.discriminator_loss_curve_ = result.discriminator_loss_curve
        self.validation_scores_ = result.validation_scores
        self.best_validation_score_ = result.best_validation_score
        if result.validation_message is not None:
            warn_at_caller(result.validation_message, UserWarning)
        if result.divergence_message is not None:
            warn_at_caller(
                result.divergence_message + " The generator of the best epoch "
                "before that is kept.",
                ConvergenceWarning,
            )
        elif not result.converged and self.learning_rate == "constant":
            # Under the cosine schedule max_iter is the planned end: the
            # rate has come down to 0, and more epochs would not change much.
            warn_at_caller(_max_iter_message(result, self), ConvergenceWarning)
        if scaled.nbytes >= _COLLECT_AFTER_BYTES:
            # The first optimizer of a process imports torch._dynamo, and
            # torch.fx keeps that import's frames, ours among them, in a
            # reference cycle: uncollected, it holds the training copy (the
            # size of the input in float32) while transform allocates its output.
            gc.collect()

    def _split_rows(self, n_samples, seed):
        order = np.random.RandomState(seed).permutation(n_samples)
        if not self.early_stopping:
            return order, order[:0]
        if self.observed_fraction_range[0] >= 1:
            # Validation would hide nothing: train on every row, as without
            # early stopping (the training schedule and "auto" settings then
            # count them all).
            warn_at_caller(
                unusable_validation_message(self.observed_fraction_range, True),
                UserWarning,
            )
            return order, order[:0]
        n_validation = min(
            max(1, round(self.validation_fraction * n_samples)), n_samples - 1
        )
        return np.sort(order[n_validation:]), np.sort(order[:n_validation])

    def transform(self, X: npt.ArrayLike) -> np.ndarray | pd.DataFrame:
        """Impute all missing values in the feature columns of ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data to complete, with the same columns as in :meth:`fit`.

        Returns
        -------
        X_imputed : {ndarray, DataFrame} of shape (n_samples, n_features_out)
            ``X`` with every missing feature entry filled; covariates passed
            through as they are, their own missing values included;
            missing indicators appended if ``add_indicator=True``.
        """
        check_is_fitted(self)
        X_checked, features = self._validate_input(X, in_fit=False)
        rng = self._noise_generator() if self.sample_posterior else None
        return self._impute(X_checked, features, rng)

    def sample_imputations(
        self, X: npt.ArrayLike, n_imputations: int = 5
    ) -> list[np.ndarray | pd.DataFrame]:
        """Draw several completions of ``X`` for multiple imputation.

        Each draw uses fresh generator noise, so the imputed values differ
        across draws. Their spread is a rough, usually too narrow, indication
        of how sure the model is about each entry (see the user guide on
        multiple imputation, which measures it against held-out errors).
        Draws are reproducible: the same fitted model gives the same list for
        the same ``X``. The noise comes from one stream over the rows, so a
        row's draws change with the rows imputed beside it.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Data to complete, with the same columns as in :meth:`fit`.

        n_imputations : int, default=5
            Number of completed data sets to draw.

        Returns
        -------
        imputations : list of {ndarray, DataFrame}
            ``n_imputations`` completed data sets, each shaped and typed like
            the output of :meth:`transform`.

        Examples
        --------
        >>> import numpy as np
        >>> from skgain import GAINImputer
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(40, 4))
        >>> X[rng.uniform(size=X.shape) < 0.3] = np.nan
        >>> imputer = GAINImputer(hidden_layer_sizes=(16,), max_iter=5,
        ...                       random_state=0).fit(X)
        >>> draws = imputer.sample_imputations(X, n_imputations=3)
        >>> spread = np.ptp(draws, axis=0)  # largest minus smallest draw
        >>> gaps = np.isnan(X)
        >>> bool((spread[gaps] > 0).all()), bool((spread[~gaps] == 0).all())
        (True, True)
        """
        check_is_fitted(self)
        if not isinstance(n_imputations, numbers.Integral) or n_imputations < 1:
            raise ValueError(
                f"n_imputations must be a positive integer, got {n_imputations!r}."
            )
        X_checked, features = self._validate_input(X, in_fit=False)
        rng = self._noise_generator()
        return [
            _wrap_data_with_container(
                "transform", self._impute(X_checked, features, rng), X, self
            )
            for _ in range(n_imputations)
        ]

    def _inference_device(self) -> torch.device:
        try:
            return resolve_device(self.device)
        except ValueError as exc:
            # A model fitted on a GPU and loaded where there is none still
            # imputes; the user hears why it runs on the CPU.
            warn_at_caller(f"{exc} Imputing on the CPU instead.", RuntimeWarning)
            return torch.device("cpu")

    def _noise_generator(self) -> torch.Generator:
        # A fresh generator from the stored seed: calls are reproducible and
        # never change the fitted estimator.
        rng = torch.Generator(device=self._inference_device())
        rng.manual_seed(int(self._noise_seed))
        return rng

    def _impute(self, X, features, rng):
        """Completed copy of ``X``, imputed one block of rows at a time.

        Where the output is a numeric NumPy array that keeps every feature,
        it is the only full-size array allocated: each block is copied into
        it and filled there. Otherwise the imputed features are a full-size
        array of their own, assembled with the covariates afterwards. The
        caller's data is never written.
        """
        feature_dtype = np.float32 if features.dtype == np.float32 else np.float64
        in_place = self._output_around_features(X, features.shape, feature_dtype)
        if in_place is None:
            out, imputed = None, np.empty(features.shape, dtype=feature_dtype)
        else:
            # Imputed where the features lie in the output: no second
            # full-size array to copy them from.
            out, imputed = in_place
        fill = self._block_filler(X, rng)
        for rows in gen_batches(features.shape[0], ROW_BLOCK):
            block = imputed[rows]
            block[...] = features[rows]
            # On the features as given: a placeholder that their dtype holds
            # inexactly (-99.9 in float32) equals it there, not once widened.
            missing = self._missing_mask(features[rows])
            if missing.any():
                fill(block, missing, rows)
        indicator = (
            self.indicator_.transform(features) if self.indicator_ is not None else None
        )
        return self._assemble_output(X, imputed, indicator, out)

    def _output_around_features(self, X, shape, feature_dtype):
        """An empty NumPy output and the view of its feature columns.

        Only where the output is one numeric NumPy array (see
        :meth:`_array_output_dtype`) with other columns (covariates, missing
        indicators) and the features, ``shape`` of them, fill one run of its
        columns, all of them, in order; None otherwise.
        """
        if _get_output_config("transform", self)["dense"] == "pandas":
            return None
        output_columns = self._output_columns
        is_feature = np.isin(output_columns, self._roles.features)
        n_indicators = 0
        if self.indicator_ is not None:
            n_indicators = self.indicator_.features_.size
        dtype = self._array_output_dtype(X, feature_dtype)
        if (is_feature.all() and not n_indicators) or dtype.kind == "O":
            return None
        positions = np.flatnonzero(is_feature)
        in_order = np.array_equal(output_columns[positions], self._roles.features)
        if positions.size != shape[1] or not in_order or not positions.size:
            return None
        first = positions[0]
        if positions[-1] - first + 1 != positions.size:
            return None
        out = np.empty((shape[0], output_columns.size + n_indicators), dtype=dtype)
        return out, out[:, first : first + shape[1]]

    def _beyond_float32(self, exc, row: str) -> ValueError:
        """The error for an observed value that standardises beyond float32.

        ``exc.column`` counts the features the networks model;
        ``row`` names the row (see ``row_name``).
        """
        position = self._modelled_features()[exc.column]
        column = self._roles.features[~self._empty_features][position]
        names = getattr(self, "feature_names_in_", None)
        return ValueError(
            beyond_float32_message(
                f"Feature {column_label(column, names)}",
                exc.value,
                row,
                self._scaler.mean[position],
                self._scaler.scale[position],
                exc.narrow_device,
            )
        )

    def _modelled_features(self) -> np.ndarray:
        """Positions, among the features kept at fit, of those the networks model."""
        modelled = getattr(self, "_modelled", None)
        if modelled is None:
            # Fitted by a version whose networks modelled every kept feature.
            return np.arange(self._scaler.mean.size)
        return modelled

    def _block_filler(self, X, rng):
        """A function that fills, in place, the missing entries of one block."""
        kept = ~self._empty_features
        modelled = self._modelled_features()
        # The features the generator imputes, as positions in a block; None
        # where that is all of them.
        network_columns = np.flatnonzero(kept)[modelled]
        if network_columns.size == kept.size:
            network_columns = None
        constant = ~np.isnan(self._scaler.constant_value)
        constant_columns = np.flatnonzero(kept)[constant]
        constant_values = self._scaler.constant_value[constant]
        if self._generator is not None:
            device = rng.device if rng is not None else self._inference_device()
            generator = self._generator
            if device.type != "cpu":
                generator = copy.deepcopy(generator).to(device)
            codes, numerical = self._covariate_encoder.transform(X)
            dtype = widest_float(device)
            mean = torch.as_tensor(self._scaler.mean[modelled], dtype=dtype).to(device)
            scale = torch.as_tensor(self._scaler.scale[modelled], dtype=dtype)
            scale = scale.to(device)

        def fill(block, missing, rows):
            if self._generator is not None:
                # A slice when every feature is modelled: nothing is copied.
                if network_columns is None:
                    values, gaps = block, missing
                else:
                    values = block[:, network_columns]
                    gaps = missing[:, network_columns]
                try:
                    filled = impute_rows(
                        generator,
                        values,
                        gaps,
                        mean,
                        scale,
                        codes[rows],
                        numerical[rows],
                        rng,
                    )
                except BeyondFloat32Error as exc:
                    row = row_name(X, rows.start + exc.row)
                    raise self._beyond_float32(exc, row) from None
                if network_columns is None:
                    block[...] = filled
                else:
                    block[:, network_columns] = filled
            # A constant feature is imputed with its value: there is nothing
            # to learn, and the network would only add noise to it.
            if constant_columns.size:
                block[:, constant_columns] = np.where(
                    missing[:, constant_columns],
                    constant_values.astype(block.dtype),
                    block[:, constant_columns],
                )
            # Empty features are filled with 0, as SimpleImputer does.
            block[missing & self._empty_features] = 0

        return fill

    def _assemble_output(self, X, imputed, indicator, out=None):
        """Put covariates and imputed features back in input order.

        The imputed features are handed over without a copy where the output
        allows it: as the array itself, as one block of the DataFrame, or,
        when ``out`` is given, already in its columns (``imputed`` is then a
        view of ``out``), where the covariates and indicators join them.
        """
        roles = self._roles
        output_columns = self._output_columns
        is_feature = np.isin(output_columns, roles.features)
        feature_position = np.full(self.n_features_in_, -1)
        feature_position[roles.features] = np.arange(roles.features.size)
        source = feature_position[output_columns[is_feature]]
        if source.size != imputed.shape[1] or np.any(source != np.arange(source.size)):
            imputed = imputed[:, source]  # dropped empty features: a copy
        dense = _get_output_config("transform", self)["dense"]
        polars = (
            dense == "polars" and self._array_output_dtype(X, imputed.dtype).kind == "O"
        )
        if polars or dense == "pandas":
            names = self.get_feature_names_out()
            covariates = {
                int(k): int(output_columns[k]) for k in np.flatnonzero(~is_feature)
            }
            table_names = names[: len(output_columns)]
            indicator_names = names[len(output_columns) :]
        if polars:
            frame = polars_with_passthrough(X, imputed, table_names, covariates)
            if indicator is not None:
                frame = frame.hstack(
                    polars_with_passthrough(X, indicator, indicator_names, {})
                )
            return frame
        if dense == "pandas":
            frame = pandas_with_passthrough(X, imputed, table_names, covariates)
            if indicator is not None:
                indicators = pd.DataFrame(
                    indicator, columns=indicator_names, index=frame.index
                )
                frame = pd.concat([frame, indicators], axis=1)
            return frame
        if out is None and is_feature.all():
            return imputed if indicator is None else np.hstack([imputed, indicator])
        if out is None:
            dtype = self._array_output_dtype(X, imputed.dtype)
            n_columns = len(output_columns) + (
                0 if indicator is None else indicator.shape[1]
            )
            out = np.empty((imputed.shape[0], n_columns), dtype=dtype)
            # Features come in runs of adjacent columns between the covariates;
            # slice assignment copies each run far faster than fancy indexing.
            positions = np.flatnonzero(is_feature)
            run_starts = np.flatnonzero(np.diff(positions, prepend=-2) != 1)
            for start, stop in zip(run_starts, [*run_starts[1:], positions.size]):
                first = positions[start]
                out[:, first : first + stop - start] = imputed[:, start:stop]
        for k in np.flatnonzero(~is_feature):
            column = get_column(X, output_columns[k])
            if isinstance(column, pd.Series) and out.dtype == object:
                # A nullable column's own values (31, pd.NA), where NumPy's
                # conversion would give floats and NaN.
                column = column.to_numpy(dtype=object)
            out[:, k] = np.asarray(column)
        if indicator is not None:
            out[:, len(output_columns) :] = indicator
        return out

    def _array_output_dtype(self, X, feature_dtype) -> np.dtype:
        """The dtype of a NumPy output that holds the covariates unchanged.

        NumPy's promotion of the features' dtype with the covariates' (an
        int64 or float64 covariate makes float32 features float64, an int16
        one does not), so that every covariate value is kept exactly; object
        when a covariate is not of a NumPy numeric dtype (strings,
        categories, or nullable pandas columns, whose ``pd.NA`` a float
        array cannot hold).
        """
        covariates = np.concatenate([self._roles.categorical, self._roles.numerical])
        dtypes = X.dtypes.iloc[covariates] if isinstance(X, pd.DataFrame) else [X.dtype]
        dtypes = list(dtypes) if covariates.size else []
        if not all(isinstance(d, np.dtype) and d.kind in "biuf" for d in dtypes):
            return np.dtype(object)
        return np.result_type(feature_dtype, *dtypes)

    def _select_output_columns(self) -> np.ndarray:
        dropped = np.zeros(self.n_features_in_, dtype=bool)
        if not self.keep_empty_features:
            dropped[self._roles.features[self._empty_features]] = True
        return np.flatnonzero(~dropped)

    def get_feature_names_out(
        self, input_features: npt.ArrayLike | None = None
    ) -> np.ndarray:
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. If None, ``feature_names_in_`` is used, or
            ``x0, x1, ...`` when it is not defined.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input columns kept in the output, in input order, followed by
            the missing-indicator columns if ``add_indicator=True``.
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        names = input_features[self._output_columns]
        if self.indicator_ is None:
            return names
        indicator_names = self.indicator_.get_feature_names_out(
            input_features[self._roles.features]
        )
        return np.concatenate([names, indicator_names])

    def _missing_mask(self, features: np.ndarray) -> np.ndarray:
        if is_nan_marker(self.missing_values):
            return np.isnan(features)
        return features == self.missing_values

    def _validate_input(self, X, *, in_fit: bool):
        """Check ``X``; return it (for the covariates) and its numeric features.

        Without covariates this is scikit-learn's usual validation. With
        covariates, names and column count are checked on ``X`` as given, and
        only the feature columns are converted to floats, so that string
        covariates such as tissue names can share the table.
        """
        check_params = dict(
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            ensure_min_samples=2 if in_fit else 1,
        )
        # After fit, the fitted roles decide, whatever set_params changed since.
        no_covariates = (
            self.categorical_covariates is None and self.numerical_covariates is None
            if in_fit
            else not self._roles.has_covariates
        )
        # A polars DataFrame as a pandas one, so that both get the same checks
        # (dates among the features, names of the covariate columns).
        X = polars_as_pandas(X)
        validate = (
            self._validate_plain if no_covariates else self._validate_with_covariates
        )
        X_checked, features = validate(X, in_fit, check_params)
        check_finite(
            features,
            self._roles.features,
            is_nan_marker(self.missing_values),
            self.missing_values,
            getattr(self, "feature_names_in_", None),
        )
        return X_checked, features

    def _validate_plain(self, X, in_fit, check_params):
        """:meth:`_validate_input` for a table of features only."""
        check_not_temporal(X, None)
        converted = missing_as_nan(X)
        try:
            features = validate_data(self, converted, reset=in_fit, **check_params)
        except (ValueError, TypeError) as exc:
            explain_conversion_error(exc, converted, None)
            raise
        if in_fit:
            self._roles = resolve_column_roles(X, None, None, None, self.n_features_in_)
        # A DataFrame is kept for its index (pandas output).
        return (X if isinstance(X, pd.DataFrame) else features), features

    def _validate_with_covariates(self, X, in_fit, check_params):
        """:meth:`_validate_input` for a table of features and covariates."""
        if issparse(X):
            raise TypeError(
                "Sparse data was passed to GAINImputer, but dense data is "
                "required; use X.toarray() to convert to a dense array."
            )
        X_checked = X
        if not isinstance(X_checked, pd.DataFrame | np.ndarray):
            X_checked = np.asarray(X)
            if X_checked.dtype.kind in "US":
                # Rows of mixed values (1.5, "lung", 65): NumPy would make
                # every value a string; objects keep each as it was.
                X_checked = np.asarray(X, dtype=object)
        _check_table_shape(X_checked, check_params["ensure_min_samples"])
        validate_data(self, X_checked, reset=in_fit, skip_check_array=True)
        names = getattr(self, "feature_names_in_", None)
        if in_fit:
            self._roles = resolve_column_roles(
                X_checked,
                self.categorical_covariates,
                self.numerical_covariates,
                names,
                self.n_features_in_,
            )
            if isinstance(self.categorical_covariates, str):  # "from_dtype"
                warn_numbers_taken_as_categories(
                    X_checked, self._roles.categorical, names
                )
        check_not_temporal(X_checked, self._roles.features, names)
        # pd.NA as NaN in the features only; X_checked keeps the covariates.
        converted = missing_as_nan(X_checked, self._roles.features)
        feature_columns = (
            converted.iloc[:, self._roles.features]
            if isinstance(converted, pd.DataFrame)
            else converted[:, self._roles.features]
        )
        try:
            features = check_array(
                feature_columns
                if self._roles.features.size
                else np.empty((X_checked.shape[0], 0)),
                ensure_min_features=0,
                input_name="X",
                **check_params,
            )
        except (ValueError, TypeError) as exc:
            explain_conversion_error(exc, converted, self._roles.features, names)
            raise
        return X_checked, features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = is_nan_marker(self.missing_values)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
