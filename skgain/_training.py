# SPDX-License-Identifier: BSD-3-Clause
"""Adversarial training of the GAIN networks, and imputation with a trained generator.

One training step follows the reference implementation: draw a training mask
(the real gaps plus artificially hidden entries), noise and a hint; update the
discriminator with the generator frozen; then update the generator with the
discriminator frozen, using the same draws. Losses are paper eq. 5 and 6.

The generator that is scored and kept can be an exponential moving average of
the trained generator's weights (``generator_averaging``): the average moves
less from step to step than the weights themselves, which the adversarial game
and small batches make noisy.

Speed: at GTEx width (12,557 genes) a step's matrix products are only about
half its time on a CPU; the rest is passes over batch-by-genes tensors. So
the losses are autograd Functions that compute their gradients in the
forward pass, the masks come from 16 random bits per entry rather than a
float and the noise from 16-bit uniforms (:func:`random_normal`), and the
step avoids ``where()`` on boolean masks, which is several times slower
than arithmetic on a CPU.
``benchmarks/`` measures the step against the machine's matrix-multiply
peak (the ``throughput`` suite).
"""

import contextlib
import copy
import math
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable
from torch.nn import functional as F

from skgain._device import widest_float
from skgain._networks import Discriminator, Generator, draw_weights

# From this many training samples on, a table is large: ``batch_size="auto"``
# and ``tol="auto"`` take their large-table values. On a GTEx-sized table
# (15,644 training samples) batch 256 runs the step nearer the processor's
# peak and learned about as fast per second as 128 on two tables, and a
# tolerance of 3e-4 ends fits that at 1e-4 crept on by 1e-4 to 2e-4 per epoch
# for 47 and 83 epochs more (for 0.004 and 0.014 of R^2); on tables of about
# 1,000 samples batch 256 and the looser tolerance both cost R^2
# (``benchmarks/results/batch-size/``, ``.../gtex-fit/``).
LARGE_TABLE_SAMPLES = 10_000
AUTO_BATCH_SIZE = {"small": 128, "large": 256}
AUTO_TOL = {"small": 1e-4, "large": 3e-4}


@dataclass(frozen=True)
class TrainingConfig:
    """Hyperparameters of one training run (see :class:`~skgain.GAINImputer`).

    ``batch_size`` and ``tol`` may be ``"auto"`` until :meth:`resolved` sets
    them for the number of training samples; :func:`train` needs numbers.
    """

    hidden_layer_sizes: tuple[int, ...]
    discriminator_hidden_layer_sizes: tuple[int, ...]
    hint_rate: tuple[float, float]
    reconstruction_weight: float
    adversarial: bool
    generator_averaging: float
    reconstruction_entries: str
    observed_fraction_range: tuple[float, float]
    optimizer: str
    batch_size: int | str
    learning_rate_init: float
    warmup_steps: int
    max_iter: int
    early_stopping: bool
    n_iter_no_change: int
    tol: float | str
    verbose: int
    mixed_precision: bool = False
    learning_rate_schedule: str = "constant"

    def resolved(self, n_training_samples: int) -> "TrainingConfig":
        """This config with ``"auto"`` settings chosen for the training set's size.

        Examples
        --------
        >>> from skgain import GAINImputer
        >>> config = GAINImputer()._training_config()
        >>> config.batch_size, config.tol
        ('auto', 'auto')
        >>> small, large = config.resolved(1_000), config.resolved(15_644)
        >>> small.batch_size, small.tol, large.batch_size, large.tol
        (128, 0.0001, 256, 0.0003)
        """
        size = "large" if n_training_samples >= LARGE_TABLE_SAMPLES else "small"
        batch_size, tol = self.batch_size, self.tol
        return replace(
            self,
            batch_size=AUTO_BATCH_SIZE[size] if batch_size == "auto" else batch_size,
            tol=AUTO_TOL[size] if tol == "auto" else tol,
        )


@dataclass
class TrainingData:
    """Standardised training rows as tensors on the training device.

    Either ``values`` holds zeros at missing entries and ``observed`` is the
    real mask (the form of a batch, which :meth:`rows` returns), or
    ``observed`` is None and ``values`` holds NaN at missing entries: the
    mask is then read from the NaNs a few rows at a time, and a table needs
    no boolean copy of itself (218 MB at GTEx scale) while it trains.
    With ``row_index`` set, the data are only those rows of the tensors: a
    split that costs no copy of a matrix that may be gigabytes.
    """

    values: torch.Tensor
    observed: torch.Tensor | None
    codes: torch.Tensor
    numerical: torch.Tensor
    row_index: torch.Tensor | None = None

    @property
    def n_samples(self) -> int:
        if self.row_index is not None:
            return len(self.row_index)
        return self.values.shape[0]

    def subset(self, index) -> "TrainingData":
        """The rows ``index`` of these data, without copying them."""
        return TrainingData(
            self.values,
            self.observed,
            self.codes,
            self.numerical,
            self._absolute(index),
        )

    def rows(self, index) -> "TrainingData":
        """The rows ``index`` of these data, copied into new tensors.

        The copy has zeros at missing entries and its own ``observed`` mask.
        """
        index = self._absolute(index)
        values = self.values[index]
        if self.observed is None:
            missing = torch.isnan(values)
            values.masked_fill_(missing, 0.0)
            observed = missing.logical_not_()
        else:
            observed = self.observed[index]
        return TrainingData(values, observed, self.codes[index], self.numerical[index])

    def observed_mask(self) -> torch.Tensor:
        """The mask of these data's rows (True where observed), as a new tensor."""
        device = self.values.device
        mask = torch.empty(
            self.n_samples, self.values.shape[1], dtype=torch.bool, device=device
        )
        # Through rows(), a few rows at a time: a float copy of many rows
        # costs 4 times their mask.
        for start in range(0, self.n_samples, _SCORE_ROWS):
            stop = min(start + _SCORE_ROWS, self.n_samples)
            block = self.rows(torch.arange(start, stop, device=device))
            mask[start:stop] = block.observed
        return mask

    def _absolute(self, index):
        if self.row_index is None:
            return index
        return self.row_index[index]


@dataclass
class TrainingResult:
    """What a training run produced."""

    generator: Generator
    n_iter: int
    converged: bool
    loss_curve: list[float] = field(default_factory=list)
    discriminator_loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_validation_score: float | None = None
    divergence_message: str | None = None
    # Why early stopping fell back to the generator loss, when it did.
    validation_message: str | None = None
    # The settling period (see settling_period) in steps, and the number of
    # epochs of this training set that end within it, which early stopping
    # does not count (whether or not max_iter let them all run).
    settling_steps: int = 0
    settling_epochs: int = 0


class TrainingDivergedError(FloatingPointError):
    """Training produced a non-finite loss and no finite checkpoint exists."""


def _random_int16(size, generator):
    """``size`` uniform 16-bit integers on the CPU, four per 64-bit draw."""
    words = torch.empty((size + 3) // 4, dtype=torch.int64)
    # The full signed range: every one of the 64 bits is random.
    words.random_(-(2**63), None, generator=generator)
    return words.view(torch.int16)[:size]


def random_bernoulli(probability, n_columns, generator, dtype=torch.bool):
    """Draws that are 1 (``True``) with probability ``probability[i]`` in row ``i``.

    On a CPU each draw compares 16 random bits with the row's threshold: the
    probability is rounded to a multiple of 1/65536 (exact at 0 and 1), and
    the bits come from one 64-bit draw per four entries, four times fewer
    draws from the generator than a float per entry. A CPU's generator makes
    one number at a time: at GTEx width and batch 512, a float per entry for
    the two masks took 48 ms of a 598-ms training step, the bits 11 ms. Other
    devices draw a float per entry, which costs them little.

    Parameters
    ----------
    probability : Tensor of shape (n_rows, 1)
        Probability of ``True`` in each row, in [0, 1].
    n_columns : int
        Draws per row.
    generator : torch.Generator
        Source of the random numbers, on ``probability``'s device.
    dtype : torch.dtype, default=torch.bool
        Type of the draws. A float type gets 0 and 1 straight from the
        comparison, as fast as booleans and without a conversion pass.

    Returns
    -------
    draws : Tensor of shape (n_rows, n_columns) and type ``dtype``
    """
    n_rows = probability.shape[0]
    device = probability.device
    if device.type != "cpu":
        uniform = torch.rand(
            n_rows, n_columns, generator=generator, device=device, dtype=torch.float32
        )
        return (uniform < probability).to(dtype)
    size = n_rows * n_columns
    bits = _random_int16(size, generator).view(n_rows, n_columns)
    # P(bits < t) = (t + 32768) / 65536 for the signed 16-bit bits.
    threshold = torch.round(probability * 65536) - 32768
    # A probability of 1 needs the threshold 32768, beyond int16; comparing
    # in int32 costs a conversion, so only then.
    exact_dtype = torch.int16 if bool(threshold.max() < 32768) else torch.int32
    draws = torch.empty(n_rows, n_columns, dtype=dtype)
    return torch.lt(bits, threshold.to(exact_dtype), out=draws)


def random_normal(shape, generator, device):
    """Standard normal draws of ``shape``, cheaply on a CPU.

    On a CPU the draws come from the Box-Muller transform of 16-bit uniforms:
    each 64-bit draw from the generator gives two radii and two angles, so
    four normal numbers, where ``torch.randn`` asks its generator for one
    number per entry. At GTEx width and batch 512 this took about 12 ms of a
    training step (9 ms timed alone) against ``torch.randn``'s 27 ms. The
    uniforms sit at the midpoints of 65,536 bins, so no draw is beyond 4.855
    in absolute value (a standard normal is, once in 830,000 draws); the
    variance is 1 to within 1e-4. Other devices use ``torch.randn``, which
    costs them little.

    Parameters
    ----------
    shape : tuple of int
        Shape of the draws.
    generator : torch.Generator
        Source of the random numbers, on ``device``.
    device : torch.device
        Device of the draws.

    Returns
    -------
    draws : float32 Tensor of shape ``shape``

    Examples
    --------
    >>> import torch
    >>> from skgain._training import random_normal
    >>> rng = torch.Generator().manual_seed(0)
    >>> draws = random_normal((1000, 1000), rng, torch.device("cpu"))
    >>> round(draws.mean().item(), 2), round(draws.std().item(), 2)
    (0.0, 1.0)
    """
    device = torch.device(device)
    if device.type != "cpu":
        return torch.randn(
            shape, generator=generator, device=device, dtype=torch.float32
        )
    size = math.prod(shape)
    n_pairs = (size + 1) // 2
    bits = _random_int16(2 * n_pairs, generator)
    # Uniform u = (k + 1/2) / 65536 for k = bits + 32768 in [0, 65535]:
    # never 0, so the radius sqrt(-2 log u) is finite.
    radius = bits[:n_pairs].to(torch.float32).add_(32768.5).log_()
    # sqrt(-2 log u) = sqrt(2 log 65536 - 2 log(k + 1/2)): one pass, in place.
    twice_log_bins = torch.tensor(2 * math.log(65536), dtype=torch.float32)
    torch.sub(twice_log_bins, radius, alpha=2, out=radius).sqrt_()
    angle = bits[n_pairs : 2 * n_pairs].to(torch.float32).mul_(math.pi / 32768)
    draws = torch.empty(2 * n_pairs, dtype=torch.float32)
    torch.cos(angle, out=draws[:n_pairs]).mul_(radius)
    torch.sin(angle, out=draws[n_pairs:]).mul_(radius)
    return draws[:size].view(shape)


def sample_training_mask(observed, observed_fraction_range, generator):
    """Real mask with a random extra share of each row hidden from the generator.

    Each row keeps a fraction ``u ~ U(low, high)`` of its entries visible, so
    the generator learns to fill gaps at many missing rates.
    """
    low, high = observed_fraction_range
    n_samples, n_features = observed.shape
    keep = low + (high - low) * torch.rand(
        n_samples, 1, generator=generator, device=observed.device, dtype=torch.float32
    )
    return random_bernoulli(keep, n_features, generator).logical_and_(observed)


def sample_hint(mask, hint_rate, generator):
    """Hint ``h = b*m + 0.5*(1-b)`` with ``b ~ Bernoulli(p)``, ``p ~ U(alpha, beta)``.

    Returns the hint and ``1 - b``, the entries the hint does not reveal
    (paper eq. 4), as float tensors; ``p`` is drawn once per row. The losses
    need only ``1 - b``, so that is what is drawn, with probability ``1 - p``.
    """
    alpha, beta = hint_rate
    n_samples, n_features = mask.shape
    rate = alpha + (beta - alpha) * torch.rand(
        n_samples, 1, generator=generator, device=mask.device, dtype=torch.float32
    )
    unrevealed = random_bernoulli(1 - rate, n_features, generator, mask.dtype)
    # b*m + 0.5*(1-b) is lerp(m, 0.5, 1-b): one pass, exact at b = 0 and 1
    # (where() on a boolean is several times slower on a CPU).
    half = torch.tensor(0.5, dtype=mask.dtype, device=mask.device)
    hint = torch.lerp(mask, half, unrevealed)
    return hint, unrevealed


class _WeightedBinaryCrossEntropy(torch.autograd.Function):
    """``sum(weight * BCE(logits, target))`` with a hand-written gradient.

    Autograd would keep and revisit several logits-sized temporaries. Here
    the forward pass computes the loss and, from the same sigmoid, the
    gradient ``(sigmoid(l) - t) * weight``, which is all it keeps; the
    backward pass has nothing left to compute when the loss is used as it is
    (see :func:`_times`). At GTEx width, autograd's elementwise work on the
    losses was about a fifth of a CPU training step. ``target`` is the mask,
    or None for a target of 1 everywhere (the adversarial loss).

    BCE with logits is ``softplus(l) - t*l``. On a CPU, where a softplus
    pass costs as much as four passes of arithmetic, it is computed as
    ``(1 - t)*l - log(sigmoid(l))`` from the sigmoid the gradient needs:
    equal in exact arithmetic, and in float32 off by at most about 6e-7
    per entry (the two terms nearly cancel for large negative ``l`` when
    ``t`` is 0). Where the float32 sigmoid is 0 (``l`` below about -88.7)
    the loss comes out infinite or NaN and is computed again with the
    softplus, which never overflows; other devices always use the softplus.
    The gradient is not differentiable again.
    """

    @staticmethod
    def forward(ctx, logits, target, weight):
        probability = torch.sigmoid(logits)
        loss = None
        if logits.device.type == "cpu":
            # log(s) - (1 - t)*l, the negated BCE, in place on one temporary.
            negated = torch.log(probability)
            if target is not None:
                negated.sub_(logits).addcmul_(target, logits)
            loss = torch.dot(negated.view(-1), weight.reshape(-1)).neg_()
            if not bool(torch.isfinite(loss)):
                loss = None
        if loss is None:
            per_entry = F.softplus(logits)
            if target is None:
                per_entry.sub_(logits)
            else:
                per_entry.addcmul_(target, logits, value=-1)
            loss = torch.dot(per_entry.view(-1), weight.reshape(-1))
        if ctx.needs_input_grad[0]:
            if target is None:
                gradient = probability.sub_(1)
            else:
                gradient = probability.sub_(target)
            ctx.save_for_backward(gradient.mul_(weight))
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        (gradient,) = ctx.saved_tensors
        # Out of place where the factor is not 1: a graph kept for a second
        # backward pass still needs the saved tensor as it is.
        return _times(gradient, grad_output), None, None


def _times(gradient, factor):
    """``gradient * factor`` for a 0-dimensional ``factor``; ``gradient`` where it is 1.

    A loss given to ``backward()`` as it is, as the training step gives its
    losses, passes down a factor of exactly 1, and multiplying by it would be
    one more pass over a batch-by-genes tensor. Reading the factor costs
    nothing on a CPU; on other devices it would wait for the device, so there
    the multiplication always runs.
    """
    if factor.device.type == "cpu" and factor.item() == 1.0:
        return gradient
    return gradient * factor


class _WeightedSquaredError(torch.autograd.Function):
    """``sum(w * (values - generated)**2)`` given ``gradient_weights = -2 * w``.

    The gradient for ``generated`` is ``-2 * w * (values - generated)``: with
    the factor -2 already in the weights, the forward pass computes it on the
    way to the loss, and the backward pass has nothing left to compute when
    the loss is used as it is (see :func:`_times`).
    """

    @staticmethod
    def forward(ctx, values, generated, gradient_weights):
        error = values - generated
        gradient = error * gradient_weights
        ctx.save_for_backward(gradient)
        return torch.dot(gradient.view(-1), error.view(-1)).mul_(-0.5)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (gradient,) = ctx.saved_tensors
        # Out of place where the factor is not 1: a graph kept for a second
        # backward pass still needs the saved tensor as it is.
        return None, _times(gradient, grad_output), None


class _FillGaps(torch.autograd.Function):
    """``m*x + (1-m)*G``: the visible values, and the generator's output elsewhere.

    Forward is ``lerp``, exact at weights 0 and 1 and, unlike ``where()``, as
    fast as arithmetic on a CPU; backward is ``g - g*m``, one pass that is
    ``g*(1-m)`` exactly, where lerp's own gradient would first build ``1 - m``.
    """

    @staticmethod
    def forward(ctx, generated, values, mask):
        ctx.save_for_backward(mask)
        return torch.lerp(generated, values, mask)

    @staticmethod
    def backward(ctx, grad_output):
        (mask,) = ctx.saved_tensors
        return torch.addcmul(grad_output, grad_output, mask, value=-1), None, None


def fill_gaps(generated, values, mask):
    """The imputed matrix ``m*x + (1-m)*G`` of paper eq. 2."""
    return _FillGaps.apply(generated, values, mask)


def _per_row(entries, normaliser):
    """``entries / (normaliser * n_rows)``, with ``normaliser`` one value per row."""
    # One division per row and a multiplication per entry: dividing every
    # entry is several times slower on a CPU.
    scale = (normaliser * entries.shape[0]).reciprocal()
    return torch.mul(entries, scale)


def unrevealed_weights(unrevealed):
    """``(1 - b) / Z`` per entry over the batch size, ``Z = 1 + sum(1 - b)`` per row.

    The weights of paper eq. 5 and of the first term of eq. 6, given
    ``unrevealed = 1 - b``: entries the hint reveals do not count, and each
    row's sum is normalised by ``Z``. Computed once per step for both losses.
    """
    return _per_row(unrevealed, 1 + unrevealed.sum(1, keepdim=True))


def discriminator_loss(logits, mask, weights):
    """Paper eq. 5: BCE on entries the hint does not reveal, normalised by Z.

    ``weights`` come from :func:`unrevealed_weights`.
    """
    return _WeightedBinaryCrossEntropy.apply(logits, mask, weights)


def adversarial_loss(logits, mask, weights):
    """First term of paper eq. 6: -log D on imputed, unrevealed entries over Z1.

    The imputed entries are those where ``mask`` is 0; ``weights`` come from
    :func:`unrevealed_weights`.
    """
    # (1 - m) * w as w - w*m: one pass instead of two.
    imputed_weights = torch.addcmul(weights, weights, mask, value=-1)
    # -log(sigmoid(l)) is the BCE against target 1.
    return _WeightedBinaryCrossEntropy.apply(logits, None, imputed_weights)


def reconstruction_loss(values, generated, target_mask, factor=1.0):
    """Second term of paper eq. 6: squared error on ``target_mask`` over Z2.

    ``target_mask`` is boolean or 0/1 floats. The loss is multiplied by
    ``factor`` (the ``alpha`` of eq. 6) in the per-row weights, where it
    costs nothing, rather than afterwards, where it would cost a pass over
    the gradient.
    """
    # Float first: reductions and products of a boolean tensor convert it
    # anyway, and summing one along rows is many times slower.
    target = target_mask.to(generated.dtype)
    count = target.sum(1, keepdim=True).clamp_min(1)
    gradient_weights = _per_row(target, count / (-2 * factor))
    return _WeightedSquaredError.apply(values, generated, gradient_weights)


def build_networks(config, n_features, cardinalities, n_numerical, seed, device):
    """Create G (and D when adversarial), float32, with weights drawn from ``seed``.

    The weights are drawn on the CPU from a generator of their own, with the
    values PyTorch's layers would draw from its global generator seeded with
    ``seed``; the layers are built on the meta device, where nothing is
    drawn, so no global random state or default dtype is read or changed.
    """
    rng = torch.Generator().manual_seed(seed)
    inputs = (n_features, cardinalities, n_numerical)
    kinds = [(Generator, config.hidden_layer_sizes)]
    if config.adversarial:
        kinds.append((Discriminator, config.discriminator_hidden_layer_sizes))
    networks = []
    for kind, hidden_layer_sizes in kinds:
        with torch.device("meta"):
            network = kind(*inputs, hidden_layer_sizes)
        network = network.to(torch.float32).to_empty(device="cpu")
        draw_weights(network, rng)
        networks.append(network.to(device))
    generator, discriminator = (*networks, None)[:2]
    return generator, discriminator


def _make_optimizer(config, parameters, device):
    if config.optimizer == "rmsprop":
        # RMSprop has no fused kernel; foreach batches its per-tensor updates.
        return torch.optim.RMSprop(
            parameters, lr=config.learning_rate_init, foreach=True
        )
    # The fused kernel updates each weight matrix in one pass over memory
    # instead of several: with layers of 12k genes the optimizer moves more
    # bytes than a small batch's matrix products, and this cuts a third of a
    # batch-64 step on a CPU. Same update rule, to rounding.
    return torch.optim.Adam(
        parameters, lr=config.learning_rate_init, fused=device.type in _FUSED_DEVICES
    )


# Devices with a fused Adam kernel (the CPU one arrived in torch 2.4).
_FUSED_DEVICES = ("cpu", "cuda")

# Steps between two passes that zero the optimizers' subnormal states (see
# _Trainer.flush_subnormal_states): a pass costs about a quarter of a
# GTEx-wide step, and a state that turns subnormal stays so for at most this
# many steps.
_FLUSH_SUBNORMALS_EVERY = 32


def _linear_warmup(optimizer, steps):
    # Adam's first updates move every weight by about the full learning rate
    # whatever its gradient; with thousands of genes feeding each first-layer
    # unit, such steps at full rate can push the units to where the ReLU never
    # fires again, and a wide table then never starts to learn.
    return torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=1 / steps, total_iters=steps
    )


def _cosine_decay(optimizer, steps):
    # Chained after the warm-up: each of the two scales the rate the other
    # leaves, so the rate rises, then falls along a half cosine to 0.
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)


class _Trainer:
    """Holds the networks, optimizers and random stream of one training run.

    ``averaged`` is the generator to score and keep: the moving average of
    the trained generator's weights, or the trained generator itself when
    ``generator_averaging`` is 0. ``total_steps`` is the length of the
    cosine schedule, when the configuration asks for one.
    """

    def __init__(self, config, generator, discriminator, rng, total_steps=None):
        self.config = config
        self.generator = generator
        self.discriminator = discriminator
        self.rng = rng
        self.averaged = (
            copy.deepcopy(generator) if config.generator_averaging else generator
        )
        self.device = device = next(generator.parameters()).device
        self.optimizer_g = _make_optimizer(config, generator.parameters(), device)
        self.optimizer_d = (
            _make_optimizer(config, discriminator.parameters(), device)
            if discriminator is not None
            else None
        )
        optimizers = [o for o in (self.optimizer_g, self.optimizer_d) if o is not None]
        self.schedules = []
        if config.warmup_steps:
            self.schedules += [
                _linear_warmup(optimizer, config.warmup_steps)
                for optimizer in optimizers
            ]
        if config.learning_rate_schedule == "cosine":
            self.schedules += [
                _cosine_decay(optimizer, total_steps) for optimizer in optimizers
            ]
        self.n_steps = 0

    def _forward(self, network, *inputs) -> torch.Tensor:
        """``network(*inputs)`` in the configured precision, as float32."""
        # bfloat16 matrix products where asked; autocast leaves the weights,
        # their gradients and Adam's states in float32, and the losses get a
        # float32 output whatever the precision of the products. No cache of
        # the weights' bfloat16 copies: inside another autocast region (the
        # caller's, or fit's own that sets the caller's aside) the cache
        # would outlive the step and serve weights from before the update.
        with torch.autocast(
            self.device.type,
            dtype=torch.bfloat16,
            enabled=self.config.mixed_precision,
            cache_enabled=False,
        ):
            return network(*inputs).float()

    def step(self, batch: TrainingData) -> tuple[torch.Tensor, torch.Tensor]:
        config = self.config
        observed = batch.observed
        visible = sample_training_mask(
            observed, config.observed_fraction_range, self.rng
        )
        mask = visible.to(batch.values.dtype)
        noise = random_normal(batch.values.shape, self.rng, batch.values.device)
        generated = self._forward(
            self.generator, batch.values, mask, noise, batch.codes, batch.numerical
        )
        target = mask if config.reconstruction_entries == "input" else observed
        loss_g = reconstruction_loss(
            batch.values, generated, target, config.reconstruction_weight
        )
        loss_d = torch.zeros((), device=batch.values.device, dtype=torch.float32)
        if self.discriminator is not None:
            imputed = fill_gaps(generated, batch.values, mask)
            hint, unrevealed = sample_hint(mask, config.hint_rate, self.rng)
            weights = unrevealed_weights(unrevealed)
            loss_d = self._discriminator_step(imputed, hint, mask, weights, batch)
            self.discriminator.requires_grad_(False)
            logits = self._forward(
                self.discriminator, imputed, hint, batch.codes, batch.numerical
            )
            loss_g = loss_g + adversarial_loss(logits, mask, weights)
            self.discriminator.requires_grad_(True)
        self.optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizer_g.step()
        if self.averaged is not self.generator:
            self._update_average()
        for schedule in self.schedules:
            schedule.step()
        self.n_steps += 1
        if self.n_steps % _FLUSH_SUBNORMALS_EVERY == 0:
            self.flush_subnormal_states()
        return loss_g.detach(), loss_d

    @torch.no_grad()
    def flush_subnormal_states(self):
        """Set the optimizers' state entries that are subnormal floats to zero.

        A weight whose gradient stays exactly zero (an input weight of a ReLU
        unit that no longer fires) has Adam's first moment shrink by ``beta1``
        each step until it is subnormal, and rounding then keeps it at the
        smallest subnormal numbers instead of zero, for good. Processors
        compute on subnormals in slow microcode: at GTEx width such states
        made a CPU training step up to 1.8 times slower after a few hundred
        steps. Zero is where these moments were heading, and the updates they
        would still make are far below a float32 weight's resolution. GPUs
        compute on subnormals at full speed, so this runs on the CPU only.
        (Flushing subnormals in the processor instead, with
        ``torch.set_flush_denormal``, reaches only the calling thread and the
        threads it starts afterwards, not an existing thread pool.)
        """
        if self.device.type != "cpu":
            return
        smallest_normal = torch.finfo(torch.float32).tiny
        for optimizer in (self.optimizer_g, self.optimizer_d):
            if optimizer is None:
                continue
            for state in optimizer.state.values():
                for value in state.values():
                    # The step counter is a scalar; the moments are weight-sized.
                    if torch.is_tensor(value) and value.dim() > 0:
                        value.masked_fill_(value.abs() < smallest_normal, 0.0)

    @torch.no_grad()
    def _update_average(self):
        # average <- decay * average + (1 - decay) * weights, in place.
        weight = 1 - self.config.generator_averaging
        torch._foreach_lerp_(
            list(self.averaged.parameters()), list(self.generator.parameters()), weight
        )

    def _discriminator_step(self, imputed, hint, mask, weights, batch):
        logits = self._forward(
            self.discriminator, imputed.detach(), hint, batch.codes, batch.numerical
        )
        loss = discriminator_loss(logits, mask, weights)
        self.optimizer_d.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer_d.step()
        return loss.detach()


class _ValidationSet:
    """Validation rows with a fixed share of observed entries hidden.

    The score is ``1 - SSE / SS0`` over the hidden entries, where ``SS0`` is the
    error of imputing every hidden entry by its feature's training mean (0 after
    standardisation): 0 means no better than mean imputation, 1 is perfect.

    ``data`` may be a row subset of the training tensors: the values are read
    ``_SCORE_ROWS`` rows at a time, so that neither the validation rows nor
    the generator's work on them is ever held whole. A copy of the rows and
    blocks of 1,024 of them added 250 MB to the peak of a GTEx-sized fit.
    """

    def __init__(self, data: TrainingData, observed_fraction_range, rng):
        self.data = data
        observed = data.observed_mask()
        # Kept boolean and made float one block at a time: at GTEx scale a
        # float mask of the validation rows is another 87 MB for the fit.
        self.visible = sample_training_mask(observed, observed_fraction_range, rng)
        self.hidden = observed & ~self.visible
        self.baseline = sum(
            float((block.values[hidden] ** 2).sum())
            for block, _, hidden in self._blocks()
        )

    def _blocks(self):
        """``(rows, visible, hidden)`` for consecutive blocks of rows."""
        n_samples = self.data.n_samples
        device = self.data.values.device
        for start in range(0, n_samples, _SCORE_ROWS):
            stop = min(start + _SCORE_ROWS, n_samples)
            rows = self.data.rows(torch.arange(start, stop, device=device))
            yield rows, self.visible[start:stop], self.hidden[start:stop]

    @property
    def usable(self) -> bool:
        return bool(self.hidden.any()) and self.baseline > 0

    @torch.no_grad()
    def score(self, generator: Generator) -> float:
        error = 0.0
        for block, visible, hidden in self._blocks():
            generated = generator(
                block.values,
                visible.to(block.values.dtype),
                None,
                block.codes,
                block.numerical,
            )
            error += float(((generated - block.values)[hidden] ** 2).sum())
        return 1.0 - error / self.baseline


# Validation rows scored at a time: enough for efficient matrix products, few
# enough that a block of 12k genes takes 13 MB per matrix.
_SCORE_ROWS = 256


@contextlib.contextmanager
def torch_settings_of_our_own(device: torch.device, training: bool):
    """Set aside the caller's grad mode and autocast while skgain computes.

    A fit inside the caller's ``torch.no_grad()`` or ``torch.inference_mode()``
    would find no gradients, and the caller's ``torch.autocast`` would change
    the precision of the validation score and of imputation, which are
    float32 (the training step sets its own, see ``mixed_precision``).
    """
    with contextlib.ExitStack() as stack:
        if training:
            stack.enter_context(torch.inference_mode(False))
            stack.enter_context(torch.enable_grad())
        stack.enter_context(torch.autocast(device.type, enabled=False))
        yield


def train(
    config: TrainingConfig,
    train_data: TrainingData,
    validation_data: TrainingData | None,
    cardinalities: list[int],
    seed: int,
) -> TrainingResult:
    """Train GAIN networks; return the generator to impute with and the history.

    With early stopping, the monitored score is the validation score and the
    generator of the best epoch is returned. Otherwise the monitored score is
    the negative generator loss and the last generator is returned; so too
    when the validation split has nothing to score, whose rows then train
    (``validation_message`` of the result says why). With
    ``generator_averaging``, the generator scored and returned is the moving
    average of the weights. The caller's grad mode and autocast do not
    change training (see :func:`torch_settings_of_our_own`).
    """
    with torch_settings_of_our_own(train_data.values.device, training=True):
        return _train(config, train_data, validation_data, cardinalities, seed)


def _train(config, train_data, validation_data, cardinalities, seed):
    device = train_data.values.device
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    generator, discriminator = build_networks(
        config,
        train_data.values.shape[1],
        cardinalities,
        train_data.numerical.shape[1],
        seed,
        device,
    )
    validation, validation_message = None, None
    if config.early_stopping and validation_data is not None:
        validation = _ValidationSet(
            validation_data, config.observed_fraction_range, rng
        )
        if not validation.usable:
            validation = None
            joined = _joined(train_data, validation_data)
            validation_message = unusable_validation_message(
                config.observed_fraction_range, joined is not None
            )
            train_data = joined if joined is not None else train_data
    # After any joining: the cosine schedule spans the steps actually taken.
    steps_per_epoch = -(-train_data.n_samples // config.batch_size)
    trainer = _Trainer(
        config, generator, discriminator, rng, config.max_iter * steps_per_epoch
    )
    # The generator that imputes: scored, checkpointed and returned.
    imputer = trainer.averaged
    settling_steps = settling_period(config)
    result = TrainingResult(
        generator=imputer,
        n_iter=0,
        converged=False,
        validation_message=validation_message,
        settling_steps=settling_steps,
        # Epoch e ends after e * steps_per_epoch steps.
        settling_epochs=max(-(-settling_steps // steps_per_epoch) - 1, 0),
    )

    best_score, best_state, stale_epochs = -np.inf, None, 0
    start_time = time.perf_counter()
    for epoch in range(1, config.max_iter + 1):
        generator.train()
        loss_g, loss_d = _run_epoch(trainer, train_data, config.batch_size, rng)
        result.n_iter = epoch
        if not (np.isfinite(loss_g) and np.isfinite(loss_d)):
            _handle_divergence(epoch, loss_g, loss_d, config, best_state, result)
            break
        result.loss_curve.append(loss_g)
        result.discriminator_loss_curve.append(loss_d)
        imputer.eval()
        if validation is not None:
            score = validation.score(imputer)
            result.validation_scores.append(score)
        else:
            score = -loss_g
        if config.verbose:
            _report(epoch, loss_g, loss_d, validation, score, start_time)
        # tol decides when to stop; any better epoch is the one to keep.
        # Epochs within the settling period never count as stale: a table of
        # a batch or two takes a step per epoch, and its first ten epochs
        # would otherwise end the fit during the warm-up, untrained.
        improved = score > best_score + config.tol
        settling = trainer.n_steps < settling_steps
        stale_epochs = 0 if improved or settling else stale_epochs + 1
        if score > best_score:
            best_score = score
            if validation is not None:
                best_state = _checkpoint(imputer, best_state)
        if stale_epochs >= config.n_iter_no_change:
            result.converged = True
            break

    if validation is not None and best_state is not None:
        imputer.load_state_dict(best_state)
        result.best_validation_score = best_score
    imputer.eval()
    return result


def settling_period(config: TrainingConfig) -> int:
    """Training steps before early stopping may count an epoch as stale.

    The warm-up's steps, during which the learning rate is still rising,
    and then the moving average's horizon, ``1 / (1 - generator_averaging)``
    steps, over which the scored generator catches up with the weights: the
    score cannot show what the training does before then.

    Examples
    --------
    >>> from skgain import GAINImputer
    >>> from skgain._training import settling_period
    >>> settling_period(GAINImputer()._training_config())
    200
    >>> plain = GAINImputer(warmup_steps=0, generator_averaging=0)
    >>> settling_period(plain._training_config())
    0
    """
    horizon = 0
    if config.generator_averaging:
        horizon = round(1 / (1 - config.generator_averaging))
    return config.warmup_steps + horizon


def unusable_validation_message(observed_fraction_range, joined: bool) -> str:
    """Why early stopping falls back to the generator loss, for a warning."""
    if observed_fraction_range[0] >= 1:
        reason = (
            f"observed_fraction_range={tuple(observed_fraction_range)} hides "
            "none of their observed entries"
        )
    else:
        reason = (
            "none of their observed entries was hidden, or every hidden one "
            "equals its feature's mean"
        )
    return (
        "early_stopping=True, but the validation samples have no entry to "
        f"score: {reason}. Training used "
        f"{'every sample' if joined else 'the training samples'} and stopped "
        "when the generator loss stopped improving, as with early_stopping=False."
    )


def _joined(first: TrainingData, second: TrainingData) -> TrainingData | None:
    """The rows of two subsets of the same tensors, without copying them.

    None unless both are such subsets (as :meth:`TrainingData.subset` makes).
    """
    if (
        first.row_index is None
        or second.row_index is None
        or first.values is not second.values
    ):
        return None
    return TrainingData(
        first.values,
        first.observed,
        first.codes,
        first.numerical,
        torch.cat([first.row_index, second.row_index]),
    )


def _run_epoch(trainer, data, batch_size, rng):
    order = torch.randperm(data.n_samples, generator=rng, device=data.values.device)
    total_g = torch.zeros((), device=data.values.device, dtype=torch.float32)
    total_d = torch.zeros((), device=data.values.device, dtype=torch.float32)
    n_batches = 0
    for start in range(0, data.n_samples, batch_size):
        batch = data.rows(order[start : start + batch_size])
        loss_g, loss_d = trainer.step(batch)
        total_g += loss_g
        total_d += loss_d
        n_batches += 1
    # One device synchronisation per epoch rather than per batch.
    return float(total_g) / n_batches, float(total_d) / n_batches


def _checkpoint(network, previous):
    """A copy of ``network``'s weights, written over ``previous`` when given.

    Reusing the previous checkpoint's tensors keeps one copy of the weights
    alive, not two for a moment at every improvement (52 MB each for a
    generator of GTEx width).
    """
    state = network.state_dict()
    if previous is None:
        return {name: tensor.detach().clone() for name, tensor in state.items()}
    for name, tensor in state.items():
        previous[name].copy_(tensor)
    return previous


def _handle_divergence(epoch, loss_g, loss_d, config, best_state, result):
    message = (
        f"Training diverged at epoch {epoch}: the generator loss is {loss_g} and "
        f"the discriminator loss is {loss_d}. Lower learning_rate_init "
        f"(now {config.learning_rate_init}) or reconstruction_weight."
    )
    if best_state is None:
        raise TrainingDivergedError(message)
    result.generator.load_state_dict(best_state)
    result.divergence_message = message


def _report(epoch, loss_g, loss_d, validation, score, start_time):
    line = f"Epoch {epoch}: generator loss {loss_g:.4f}"
    if loss_d:
        line += f", discriminator loss {loss_d:.4f}"
    if validation is not None:
        line += f", validation score {score:.4f}"
    line += f", {time.perf_counter() - start_time:.1f} s"
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class BeyondFloat32Error(ValueError):
    """An observed value that standardises beyond float32, the networks' precision.

    ``row`` and ``column`` are its position in the block of rows given to
    :func:`impute_rows`, ``value`` the value itself.
    """

    def __init__(self, row: int, column: int, value: float, narrow_device: bool):
        self.row, self.column, self.value = row, column, value
        # Whether the device's widest float is float32, so that the statistics
        # themselves may be what float32 cannot hold.
        self.narrow_device = narrow_device
        super().__init__(
            f"The value {value} at row {row}, column {column} standardises "
            "beyond the float32 range."
        )


def _standardised(values, observed, mean, scale, dtype):
    """``values`` as a tensor of ``dtype`` and standardised in it, as float32.

    Returns the values, their standardised float32 copy (0 at the gaps) and
    ``mean`` and ``scale`` in ``dtype``, on the device of ``observed``.
    """
    original = torch.from_numpy(values).to(device=observed.device, dtype=dtype)
    mean, scale = mean.to(dtype), scale.to(dtype)
    if dtype != torch.float64:
        # A device without float64: a spread below the smallest normal number
        # must not become a division by zero.
        scale = scale.clamp_min(torch.finfo(dtype).tiny)
    # Missing entries may hold NaN or a sentinel: where() drops them either way.
    scaled = torch.where(observed, (original - mean) / scale, 0.0)
    return original, scaled.to(torch.float32), mean, scale


def _all_finite(tensor: torch.Tensor) -> bool:
    """Whether every entry is finite, from the extremes (no full-size mask)."""
    return bool(torch.isfinite(torch.stack(torch.aminmax(tensor))).all())


@torch.no_grad()
def impute_rows(
    generator: nn.Module,
    values: np.ndarray,
    missing: np.ndarray,
    mean: torch.Tensor,
    scale: torch.Tensor,
    codes: np.ndarray,
    numerical: np.ndarray,
    rng: torch.Generator | None,
) -> np.ndarray:
    """Fill the ``missing`` entries of one block of rows with the generator.

    ``values`` are in the original units; the block is standardised with
    ``mean`` and ``scale`` (tensors on the generator's device) in the
    precision of ``values``, run through the generator in float32 and mapped
    back, all in torch operations, which use every thread. With ``rng`` None the noise
    is zero (the point estimate); otherwise it is drawn from ``rng``, giving
    one draw from the learned conditional.

    Returns
    -------
    filled : ndarray
        ``values`` (same dtype) with the missing entries replaced.

    Raises
    ------
    BeyondFloat32Error
        If an observed value, standardised, is beyond the float32 range (a
        value of another scale than the training data).
    FloatingPointError
        If the generator returns a non-finite value for a missing entry.
    """
    device = mean.device
    # Standardised in the data's own precision (as far as the device has it),
    # so that float64 data with a large mean and a small spread keep their
    # digits. A spread that is not a normal number of that precision (float32
    # data of 1e-40) takes the widest precision the device has, as fit
    # standardised in float64.
    observed = torch.from_numpy(~missing).to(device)
    widest = widest_float(device)
    dtype = torch.from_numpy(values[:0]).dtype
    if dtype == torch.float64 or bool((scale < torch.finfo(dtype).tiny).any()):
        dtype = widest
    statistics = mean, scale  # in the widest precision, for a second try
    original, scaled, mean, scale = _standardised(values, observed, *statistics, dtype)
    # The extremes first: a tenth of the time of isfinite() over the block.
    if not _all_finite(scaled) and dtype != widest:
        # float32 data whose deviations overflow float32 (3e38 from a mean of
        # -2e38) may still standardise within it, computed in float64.
        dtype = widest
        original, scaled, mean, scale = _standardised(
            values, observed, *statistics, dtype
        )
    if not _all_finite(scaled):
        # Only rows with a gap are imputed from their values; the others are
        # returned as they are, whatever they hold.
        beyond = ~torch.isfinite(scaled) & ~observed.all(1, keepdim=True)
        if bool(beyond.any()):
            row, column = (int(index) for index in beyond.nonzero()[0])
            raise BeyondFloat32Error(
                row, column, values[row, column], widest != torch.float64
            )
        scaled = torch.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0)
    noise = None
    if rng is not None:
        noise = random_normal(scaled.shape, rng, device)
    with torch_settings_of_our_own(device, training=False):
        generated = generator(
            scaled,
            observed.to(torch.float32),
            noise,
            torch.from_numpy(codes).to(device),
            torch.from_numpy(numerical).to(device),
        )
    generated = generated.to(dtype).mul_(scale).add_(mean)
    if not bool(torch.isfinite(generated).logical_or_(observed).all()):
        raise FloatingPointError(
            "The generator produced non-finite imputations; the model is "
            "unusable. Refit with a lower learning_rate_init."
        )
    filled = torch.where(observed, original, generated).cpu().numpy()
    return filled.astype(values.dtype, copy=False)
