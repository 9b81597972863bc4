"""Losses, random masks, network construction and the training loop of GAIN."""

import contextlib
import copy

import numpy as np
import pytest
import scipy.stats
import torch
from torch.utils.flop_counter import FlopCounterMode

import skgain._training as training
from skgain._networks import Generator
from skgain._training import (
    TrainingConfig,
    TrainingData,
    TrainingDivergedError,
    TrainingResult,
    adversarial_loss,
    build_networks,
    discriminator_loss,
    fill_gaps,
    impute_rows,
    random_bernoulli,
    random_normal,
    reconstruction_loss,
    sample_hint,
    sample_training_mask,
    train,
    unrevealed_weights,
)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _bce(logits, target):
    """Binary cross-entropy of sigmoid(logits) against target, entrywise."""
    p = _sigmoid(logits)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


def _t(array):
    return torch.tensor(np.asarray(array, dtype=np.float32))


def _d_loss(logits, mask, revealed):
    return discriminator_loss(logits, mask, unrevealed_weights(1 - revealed))


def _adv_loss(logits, mask, revealed):
    return adversarial_loss(logits, mask, unrevealed_weights(1 - revealed))


# ---------------------------------------------------------------------------
# Losses (paper eq. 5 and 6)
# ---------------------------------------------------------------------------

LOGITS = np.array([[0.5, -1.0, 2.0, 0.0], [-0.3, 1.5, -2.0, 0.7]])
MASK = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
REVEALED = np.array([[0.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0]])


def test_discriminator_loss_matches_eq5():
    hidden = 1 - REVEALED
    z = 1 + hidden.sum(1)  # Z = 1 + (1-b)'(1-b): 4 and 2
    per_row = (hidden * _bce(LOGITS, MASK)).sum(1) / z
    expected = per_row.mean()
    got = _d_loss(_t(LOGITS), _t(MASK), _t(REVEALED))
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_discriminator_loss_ignores_revealed_entries():
    """Changing logits where b=1 leaves the loss unchanged; gradient there is 0."""
    logits = _t(LOGITS).requires_grad_(True)
    loss = _d_loss(logits, _t(MASK), _t(REVEALED))
    loss.backward()
    revealed = REVEALED.astype(bool)
    assert np.all(logits.grad.numpy()[revealed] == 0)
    assert np.all(logits.grad.numpy()[~revealed] != 0)

    shifted = LOGITS.copy()
    shifted[revealed] += 5.0
    other = _d_loss(_t(shifted), _t(MASK), _t(REVEALED))
    assert other.item() == pytest.approx(loss.item(), rel=1e-6)


def test_adversarial_loss_matches_eq6_first_term():
    hidden = 1 - REVEALED
    z1 = 1 + hidden.sum(1)
    per_row = ((1 - MASK) * hidden * _bce(LOGITS, np.ones_like(MASK))).sum(1) / z1
    expected = per_row.mean()
    got = _adv_loss(_t(LOGITS), _t(MASK), _t(REVEALED))
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_adversarial_loss_ignores_observed_and_revealed_entries():
    """Only entries that are imputed (m=0) and not revealed (b=0) get a gradient."""
    logits = _t(LOGITS).requires_grad_(True)
    loss = _adv_loss(logits, _t(MASK), _t(REVEALED))
    loss.backward()
    counts = (MASK == 0) & (REVEALED == 0)
    assert np.all(logits.grad.numpy()[~counts] == 0)
    assert np.all(logits.grad.numpy()[counts] < 0)  # raising D(imputed) helps G

    shifted = LOGITS.copy()
    shifted[MASK == 1] -= 7.0
    other = _adv_loss(_t(shifted), _t(MASK), _t(REVEALED))
    assert other.item() == pytest.approx(loss.item(), rel=1e-6)


def test_adversarial_loss_is_finite_for_extreme_logits():
    """-log(sigmoid(-200)) is 200, not inf."""
    logits = _t([[-200.0, 300.0]])
    mask = _t([[0.0, 0.0]])
    revealed = _t([[0.0, 0.0]])
    got = _adv_loss(logits, mask, revealed)
    assert got.item() == pytest.approx(200.0 / 3.0, rel=1e-5)


@pytest.mark.parametrize("largest", [30.0, 200.0])
def test_float32_losses_match_the_softplus_formula(largest):
    """Within float32 rounding over a wide range of logits, on either side.

    The float32 sigmoid is 0 below about -88.7, so 200 checks the softplus
    the losses fall back to there, and 30 the formula through the sigmoid.
    """
    generator = _seeded(8)
    logits = torch.linspace(-largest, largest, 4001).reshape(1, -1)
    mask = (torch.rand(logits.shape, generator=generator) < 0.5).float()
    weights = unrevealed_weights(torch.ones_like(logits))
    exact_logits = logits.double()
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected_d = (
        weights.double() * bce(exact_logits, mask.double(), reduction="none")
    ).sum()
    expected_a = (
        weights.double()
        * (1 - mask.double())
        * torch.nn.functional.softplus(-exact_logits)
    ).sum()
    got_d = discriminator_loss(logits, mask, weights)
    got_a = adversarial_loss(logits, mask, weights)
    assert got_d.dtype == got_a.dtype == torch.float32
    assert got_d.item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert got_a.item() == pytest.approx(expected_a.item(), rel=1e-5)


def test_reconstruction_loss_matches_eq6_second_term():
    values = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    generated = np.array([[0.0, 2.5, 1.0], [1.5, 1.0, 4.0]])
    target = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    # Z2 = m'm: 2 and 3. Row sums: 1 + 0.25 = 1.25 and 1 + 4 + 0 = 5.
    expected = (1.25 / 2 + 5.0 / 3) / 2
    got = reconstruction_loss(_t(values), _t(generated), _t(target))
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_reconstruction_loss_empty_target_row_contributes_zero():
    values = _t([[1.0, 2.0], [5.0, 6.0]])
    generated = _t([[0.0, 0.0], [0.0, 0.0]])
    target = _t([[1.0, 0.0], [0.0, 0.0]])
    got = reconstruction_loss(values, generated, target)
    assert torch.isfinite(got)
    # The empty row still counts in the batch mean, with 0.
    assert got.item() == pytest.approx((1.0 / 1 + 0.0) / 2)


def test_hand_written_gradients_match_autograd():
    """The fused losses give the values and gradients of the plain formulas."""
    generator = _seeded(0)
    shape = (7, 33)
    logits = 4 * torch.randn(shape, generator=generator, dtype=torch.float64)
    generated = torch.randn(shape, generator=generator, dtype=torch.float64)
    values = torch.randn(shape, generator=generator, dtype=torch.float64)
    mask = (torch.rand(shape, generator=generator) < 0.6).double()
    revealed = (torch.rand(shape, generator=generator) < 0.5).double()
    target = (torch.rand(shape, generator=generator) < 0.7).double()
    target[0] = 0  # an empty row
    hidden = 1 - revealed
    z = 1 + hidden.sum(1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    softplus = torch.nn.functional.softplus
    weights = unrevealed_weights(hidden)
    cases = [
        (
            logits,
            lambda x: discriminator_loss(x, mask, weights),
            lambda x: ((hidden * bce(x, mask, reduction="none")).sum(1) / z).mean(),
        ),
        (
            logits,
            lambda x: adversarial_loss(x, mask, weights),
            lambda x: (((1 - mask) * hidden * softplus(-x)).sum(1) / z).mean(),
        ),
        (
            generated,
            lambda x: reconstruction_loss(values, x, target),
            lambda x: (
                (target * (values - x) ** 2).sum(1) / target.sum(1).clamp_min(1)
            ).mean(),
        ),
    ]
    for point, fused, plain in cases:
        x = point.clone().requires_grad_(True)
        x_plain = point.clone().requires_grad_(True)
        got, expected = fused(x), plain(x_plain)
        torch.testing.assert_close(got, expected)
        # A factor other than 1 reaches the gradient, as in loss_g = 10 * rec.
        (3 * got).backward()
        (3 * expected).backward()
        torch.testing.assert_close(x.grad, x_plain.grad)
        assert torch.autograd.gradcheck(fused, (point.clone().requires_grad_(),))


def test_reconstruction_loss_factor_scales_value_and_gradient():
    generator = _seeded(2)
    values, point = torch.randn(2, 5, 9, generator=generator, dtype=torch.float64)
    target = (torch.rand(5, 9, generator=generator) < 0.7).double()
    plain = point.clone().requires_grad_(True)
    reconstruction_loss(values, plain, target).backward()
    for factor in [10.0, 0.0]:
        scaled = point.clone().requires_grad_(True)
        loss = reconstruction_loss(values, scaled, target, factor)
        loss.backward()
        expected_loss = factor * reconstruction_loss(values, point, target)
        torch.testing.assert_close(loss, expected_loss)
        torch.testing.assert_close(scaled.grad, factor * plain.grad)


def _fused_losses(values, mask, weights):
    """The three fused losses, each as a function of the tensor it differentiates."""
    return [
        lambda x: discriminator_loss(x, mask, weights),
        lambda x: adversarial_loss(x, mask, weights),
        lambda x: reconstruction_loss(values, x, mask),
    ]


def test_fused_losses_with_only_the_weights_requiring_grad():
    logits, mask = torch.randn(3, 5), torch.ones(3, 5)
    weights = unrevealed_weights(torch.ones(3, 5)).requires_grad_(True)
    for loss_of in [discriminator_loss, adversarial_loss]:
        loss_of(logits, mask, weights).backward()
    assert weights.grad is None  # the losses give gradients for the logits only


def test_fused_loss_gradients_refuse_a_second_derivative():
    """Differentiating the hand-written gradients again raises, never misleads.

    With a factor that itself requires grad, the gradient has a graph (through
    the factor) but none back to the logits: without the refusal, a second
    derivative for them would silently come out as nothing.
    """
    generator = _seeded(4)
    point, values = torch.randn(2, 3, 4, generator=generator, dtype=torch.float64)
    mask = torch.ones(3, 4, dtype=torch.float64)
    weights = unrevealed_weights(torch.ones(3, 4, dtype=torch.float64))
    for loss_of in _fused_losses(values, mask, weights):
        x = point.clone().requires_grad_(True)
        factor = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        (gradient,) = torch.autograd.grad(
            loss_of(x), x, grad_outputs=factor, create_graph=True
        )
        with pytest.raises(RuntimeError, match="once_differentiable"):
            gradient.sum().backward()


@pytest.mark.parametrize("factor", [1.0, 2.0])
def test_fused_loss_gradients_survive_repeated_backward(factor):
    """A kept graph gives the same gradient on every pass, factor 1 or not."""
    generator = _seeded(6)
    values, point = torch.randn(2, 4, 7, generator=generator, dtype=torch.float64)
    mask = (torch.rand(4, 7, generator=generator) < 0.5).double()
    weights = unrevealed_weights(torch.ones(4, 7, dtype=torch.float64))
    for loss_of in _fused_losses(values, mask, weights):
        x = point.clone().requires_grad_(True)
        loss = factor * loss_of(x)
        loss.backward(retain_graph=True)
        first = x.grad.clone()
        for passes in [2, 3]:
            loss.backward(retain_graph=True)
            torch.testing.assert_close(x.grad, passes * first)


def test_fill_gaps_is_exact_and_passes_gradient_to_gaps_only():
    generated = torch.tensor([[1.5, -2.0, 3.0], [0.25, 7.0, -1.0]], requires_grad=True)
    values = torch.tensor([[9.0, 0.0, 0.1], [0.0, 0.3, 5.0]])
    mask = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    imputed = fill_gaps(generated, values, mask)
    expected = torch.where(mask.bool(), values, generated.detach())
    assert torch.equal(imputed.detach(), expected)
    imputed.backward(torch.full_like(values, 2.0))
    assert torch.equal(generated.grad, 2.0 * (1 - mask))


# ---------------------------------------------------------------------------
# Bernoulli draws from random bits
# ---------------------------------------------------------------------------


_DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", _DEVICES)
def test_random_bernoulli_rates_per_row(device):
    probability = torch.tensor([[0.0], [0.1], [0.5], [0.9], [1.0]], device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    draws = random_bernoulli(probability, 100_000, generator)
    assert draws.dtype == torch.bool and draws.shape == (5, 100_000)
    assert draws.device == probability.device
    rates = draws.double().mean(1).cpu().numpy()
    assert rates[0] == 0.0 and rates[-1] == 1.0  # exact at 0 and 1
    # 100,000 draws: standard error below 0.0016.
    np.testing.assert_allclose(rates[1:4], [0.1, 0.5, 0.9], atol=0.008)


def test_random_bernoulli_uses_every_bit():
    """Draws at p = 1/2 are independent across entries and rows, bit by bit."""
    draws = random_bernoulli(torch.full((64, 1), 0.5), 4096, _seeded(3)).double()
    # Neighbours come from the same 64-bit word: they must not be correlated.
    correlation = np.corrcoef(draws[:, :-1].ravel(), draws[:, 1:].ravel())[0, 1]
    assert abs(correlation) < 0.02
    # Near-certain draws use the top bits too: p = 1 - 2**-16 is not p = 1.
    nearly = random_bernoulli(torch.full((4, 1), 1 - 2**-15), 2**16, _seeded(1))
    assert 0 < (~nearly).sum() < 32


def test_random_bernoulli_reproducible_with_seed():
    probability = torch.full((10, 1), 0.3)
    a = random_bernoulli(probability, 50, _seeded(4))
    b = random_bernoulli(probability, 50, _seeded(4))
    c = random_bernoulli(probability, 50, _seeded(5))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("device", _DEVICES)
def test_random_bernoulli_float_draws_equal_boolean_ones(device):
    probability = torch.tensor([[0.0], [0.3], [1.0]], device=device)
    draws = random_bernoulli(
        probability, 999, torch.Generator(device=device).manual_seed(6), torch.float32
    )
    expected = random_bernoulli(
        probability, 999, torch.Generator(device=device).manual_seed(6)
    )
    assert draws.dtype == torch.float32 and draws.device == probability.device
    assert torch.equal(draws, expected.float())


@pytest.mark.parametrize("device", _DEVICES)
@pytest.mark.parametrize("shape", [(400, 2_501), (1, 1), (3, 5)])
def test_random_normal_is_standard_normal(device, shape):
    generator = torch.Generator(device=device).manual_seed(0)
    draws = random_normal(shape, generator, device)
    assert draws.shape == shape and draws.dtype == torch.float32
    assert draws.device.type == device
    assert torch.isfinite(draws).all()
    if draws.numel() < 1000:
        return
    values = draws.double().cpu().numpy().ravel()
    # 1,000,400 draws: standard errors 0.001 (mean) and 0.0014 (variance).
    assert abs(values.mean()) < 0.005
    assert values.var() == pytest.approx(1.0, abs=0.007)
    # Kolmogorov-Smirnov distance to N(0, 1); 0.002 is about 1.4 / sqrt(n).
    assert scipy.stats.kstest(values, "norm").statistic < 0.002
    # Entries next to each other are independent.
    assert abs(np.corrcoef(values[:-1], values[1:])[0, 1]) < 0.005


def test_random_normal_reproducible_with_seed_and_bounded():
    a = random_normal((64, 1000), _seeded(4), "cpu")
    b = random_normal((64, 1000), _seeded(4), "cpu")
    c = random_normal((64, 1000), _seeded(5), "cpu")
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # 16-bit uniforms: the radius is at most sqrt(-2 log(1 / 131072)) = 4.8546.
    assert random_normal((1000, 1000), _seeded(1), "cpu").abs().max() <= 4.8547


# ---------------------------------------------------------------------------
# Hint (paper eq. 4)
# ---------------------------------------------------------------------------


def _seeded(seed):
    return torch.Generator().manual_seed(seed)


def test_sample_hint_is_mask_where_revealed_and_half_elsewhere():
    mask = (torch.rand(50, 40, generator=_seeded(1)) < 0.6).float()
    hint, unrevealed = sample_hint(mask, (0.3, 0.7), _seeded(2))
    revealed = 1 - unrevealed
    revealed_np = revealed.numpy().astype(bool)
    assert set(np.unique(revealed.numpy())) == {0.0, 1.0}
    np.testing.assert_array_equal(hint.numpy()[revealed_np], mask.numpy()[revealed_np])
    assert np.all(hint.numpy()[~revealed_np] == 0.5)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_sample_hint_fixed_rate_reveals_that_fraction(p):
    mask = torch.ones(200, 1000)
    _, unrevealed = sample_hint(mask, (p, p), _seeded(0))
    revealed = 1 - unrevealed
    # 200,000 Bernoulli(p) draws: standard error below 0.0012.
    assert revealed.mean().item() == pytest.approx(p, abs=0.01)
    per_row = revealed.mean(1).numpy()
    assert np.all(np.abs(per_row - p) < 0.07)  # > 4.5 binomial s.d. per row


def test_sample_hint_extreme_rates():
    mask = (torch.rand(20, 30, generator=_seeded(3)) < 0.5).float()
    hint, unrevealed = sample_hint(mask, (1.0, 1.0), _seeded(0))
    assert torch.all(unrevealed == 0)
    torch.testing.assert_close(hint, mask)
    hint, unrevealed = sample_hint(mask, (0.0, 0.0), _seeded(0))
    assert torch.all(unrevealed == 1)
    assert torch.all(hint == 0.5)


def test_sample_hint_rate_drawn_per_row_between_alpha_and_beta():
    mask = torch.ones(300, 2000)
    _, unrevealed = sample_hint(mask, (0.2, 0.8), _seeded(0))
    per_row = 1 - unrevealed.mean(1).numpy()
    # Per-row s.d. of a Binomial(2000, p)/2000 is at most 0.012.
    assert per_row.min() > 0.2 - 0.05
    assert per_row.max() < 0.8 + 0.05
    assert per_row.min() < 0.25 and per_row.max() > 0.75
    # Rates spread uniformly: s.d. of U(0.2, 0.8) is 0.173.
    assert per_row.std() == pytest.approx(0.6 / np.sqrt(12), abs=0.03)


def test_sample_hint_reproducible_with_seed():
    mask = (torch.rand(30, 20, generator=_seeded(5)) < 0.5).float()
    h1, b1 = sample_hint(mask, (0.2, 0.8), _seeded(7))
    h2, b2 = sample_hint(mask, (0.2, 0.8), _seeded(7))
    h3, b3 = sample_hint(mask, (0.2, 0.8), _seeded(8))
    torch.testing.assert_close(h1, h2)
    torch.testing.assert_close(b1, b2)
    assert not torch.equal(b1, b3)


# ---------------------------------------------------------------------------
# Training mask
# ---------------------------------------------------------------------------


def test_sample_training_mask_is_subset_of_observed():
    observed = torch.rand(100, 50, generator=_seeded(0)) < 0.7
    visible = sample_training_mask(observed, (0.3, 0.9), _seeded(1))
    assert visible.dtype == torch.bool
    assert visible.shape == observed.shape
    assert not torch.any(visible & ~observed)
    assert torch.any(observed & ~visible)  # something was hidden


def test_sample_training_mask_kept_fraction_within_range():
    observed = torch.ones(60, 4000, dtype=torch.bool)
    visible = sample_training_mask(observed, (0.3, 0.6), _seeded(0))
    per_row = visible.float().mean(1).numpy()
    # Binomial s.d. per row is at most 0.008.
    assert per_row.min() > 0.3 - 0.03
    assert per_row.max() < 0.6 + 0.03
    assert per_row.min() < 0.36 and per_row.max() > 0.54  # spread, not one rate


def test_sample_training_mask_full_range_returns_observed():
    observed = torch.rand(40, 30, generator=_seeded(0)) < 0.6
    visible = sample_training_mask(observed, (1.0, 1.0), _seeded(1))
    assert torch.equal(visible, observed)


def test_sample_training_mask_reproducible_with_seed():
    observed = torch.rand(40, 30, generator=_seeded(0)) < 0.8
    a = sample_training_mask(observed, (0.2, 0.9), _seeded(4))
    b = sample_training_mask(observed, (0.2, 0.9), _seeded(4))
    c = sample_training_mask(observed, (0.2, 0.9), _seeded(5))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


# ---------------------------------------------------------------------------
# Network construction
# ---------------------------------------------------------------------------


def _config(**overrides):
    params = dict(
        hidden_layer_sizes=(8,),
        discriminator_hidden_layer_sizes=(8,),
        hint_rate=(0.5, 0.5),
        reconstruction_weight=1.0,
        adversarial=True,
        generator_averaging=0.0,
        reconstruction_entries="observed",
        observed_fraction_range=(0.5, 0.95),
        optimizer="adam",
        batch_size=16,
        learning_rate_init=1e-3,
        warmup_steps=0,
        max_iter=3,
        early_stopping=False,
        n_iter_no_change=100,
        tol=1e-4,
        verbose=0,
    )
    params.update(overrides)
    return TrainingConfig(**params)


def _build(seed, **overrides):
    return build_networks(_config(**overrides), 5, [3, 2], 1, seed, "cpu")


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_build_networks_same_seed_same_weights():
    """Weights depend on the seed only, not on the global torch random state."""
    torch.manual_seed(1)
    g1, d1 = _build(0)
    torch.manual_seed(2)
    g2, d2 = _build(0)
    assert _same_weights(g1, g2)
    assert _same_weights(d1, d2)


def test_build_networks_draws_what_the_layers_draw_from_the_seed():
    """The weights of a seed are those PyTorch's layers draw after manual_seed."""
    from skgain._networks import Discriminator

    config = _config(hidden_layer_sizes=(7, 4), discriminator_hidden_layer_sizes=(3,))
    generator, discriminator = build_networks(config, 5, [3, 2], 1, 11, "cpu")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        expected_g = Generator(5, [3, 2], 1, (7, 4))
        expected_d = Discriminator(5, [3, 2], 1, (3,))
    assert _same_weights(generator, expected_g)
    assert _same_weights(discriminator, expected_d)


def test_build_networks_in_threads_is_reproducible():
    """Another thread reseeding torch's global generator changes nothing."""
    import threading

    expected = _build(0)
    done = threading.Event()

    def reseed():
        while not done.is_set():
            torch.manual_seed(1)
            torch.rand(100)

    other = threading.Thread(target=reseed)
    other.start()
    try:
        built = [_build(0) for _ in range(20)]
    finally:
        done.set()
        other.join()
    for generator, discriminator in built:
        assert _same_weights(generator, expected[0])
        assert _same_weights(discriminator, expected[1])


def test_build_networks_different_seed_different_weights():
    g1, d1 = _build(0)
    g2, d2 = _build(1)
    assert not _same_weights(g1, g2)
    assert not _same_weights(d1, d2)


def test_build_networks_leaves_global_rng_state_unchanged():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    _build(0)
    after = torch.random.get_rng_state()
    assert torch.equal(before, after)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_build_networks_leaves_global_cuda_rng_state_unchanged():
    torch.cuda.manual_seed_all(123)
    before = torch.cuda.get_rng_state()
    _build(0)
    after = torch.cuda.get_rng_state()
    assert torch.equal(before, after)


def test_build_networks_without_adversarial_has_no_discriminator():
    generator, discriminator = _build(0, adversarial=False)
    assert isinstance(generator, Generator)
    assert discriminator is None


def _widths(network):
    return [m.out_features for m in network.body if hasattr(m, "out_features")]


def test_build_networks_uses_hidden_layer_sizes():
    generator, discriminator = _build(
        0, hidden_layer_sizes=(7, 4), discriminator_hidden_layer_sizes=(3,)
    )
    assert _widths(generator) == [7, 4, 5]
    assert _widths(discriminator) == [3, 5]


def test_generator_weights_do_not_depend_on_the_discriminator_widths():
    # G's weights are drawn first, so a narrower D leaves G's start unchanged.
    wide = _build(0, discriminator_hidden_layer_sizes=(8,))[0]
    narrow = _build(0, discriminator_hidden_layer_sizes=(2, 2))[0]
    assert _same_weights(wide, narrow)


# ---------------------------------------------------------------------------
# Training loop
# ---------------------------------------------------------------------------


def _data(n_samples=64, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n_samples, 2))
    values = latent @ rng.normal(size=(2, n_features))
    values += 0.1 * rng.normal(size=values.shape)
    observed = rng.random(values.shape) < 0.8
    return TrainingData(
        torch.from_numpy(np.where(observed, values, 0.0).astype(np.float32)),
        torch.from_numpy(observed),
        torch.from_numpy(rng.integers(0, 3, size=(n_samples, 1))),
        torch.from_numpy(rng.normal(size=(n_samples, 1)).astype(np.float32)),
    )


CARDINALITIES = [3]


def test_train_returns_result_with_one_loss_per_epoch():
    result = train(_config(max_iter=4), _data(), None, CARDINALITIES, 0)
    assert isinstance(result, TrainingResult)
    assert isinstance(result.generator, Generator)
    assert result.n_iter == 4
    assert not result.converged
    assert len(result.loss_curve) == 4
    assert len(result.discriminator_loss_curve) == 4
    assert all(np.isfinite(result.loss_curve))
    assert all(d > 0 for d in result.discriminator_loss_curve)
    assert result.validation_scores == []
    assert result.best_validation_score is None
    assert result.divergence_message is None
    assert not result.generator.training  # returned in eval mode


def test_train_without_adversary_has_zero_discriminator_loss():
    result = train(
        _config(max_iter=2, adversarial=False), _data(), None, CARDINALITIES, 0
    )
    assert result.discriminator_loss_curve == [0.0, 0.0]
    assert all(g > 0 for g in result.loss_curve)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_train_deterministic_for_same_seed(optimizer):
    config = _config(max_iter=2, optimizer=optimizer)
    a = train(config, _data(), None, CARDINALITIES, 3)
    b = train(config, _data(), None, CARDINALITIES, 3)
    c = train(config, _data(), None, CARDINALITIES, 4)
    assert _same_weights(a.generator, b.generator)
    assert a.loss_curve == b.loss_curve
    assert not _same_weights(a.generator, c.generator)


def test_train_reduces_reconstruction_loss():
    """A few epochs at a sane learning rate lower the generator loss."""
    result = train(
        _config(max_iter=15, adversarial=False, learning_rate_init=1e-2),
        _data(),
        None,
        CARDINALITIES,
        0,
    )
    assert result.loss_curve[-1] < 0.8 * result.loss_curve[0]


def test_train_fills_validation_scores_with_early_stopping():
    config = _config(max_iter=4, early_stopping=True)
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    assert len(result.validation_scores) == result.n_iter == 4
    assert all(np.isfinite(result.validation_scores))
    assert result.best_validation_score == max(result.validation_scores)


def test_train_ignores_validation_data_without_early_stopping():
    result = train(_config(max_iter=2), _data(), _data(32, seed=1), CARDINALITIES, 0)
    assert result.validation_scores == []
    assert result.best_validation_score is None


def test_train_without_hidden_validation_entries_monitors_training_loss():
    """Nothing hidden in the validation rows: fall back to the training loss."""
    config = _config(
        max_iter=2, early_stopping=True, observed_fraction_range=(1.0, 1.0)
    )
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    assert result.n_iter == 2
    assert result.validation_scores == []
    assert result.best_validation_score is None
    assert "observed_fraction_range=(1.0, 1.0) hides" in result.validation_message
    assert "Training used the training samples" in result.validation_message


def test_joined_rows_set_the_length_of_the_cosine_schedule(monkeypatch):
    planned = []
    trainer_class = training._Trainer

    def recording_trainer(config, generator, discriminator, rng, total_steps=None):
        planned.append(total_steps)
        return trainer_class(config, generator, discriminator, rng, total_steps)

    monkeypatch.setattr(training, "_Trainer", recording_trainer)
    data = _data(64)
    train_part, validation_part = (
        data.subset(torch.arange(56)),
        data.subset(torch.arange(56, 64)),
    )
    config = _config(
        max_iter=3,
        batch_size=8,
        early_stopping=True,
        observed_fraction_range=(1.0, 1.0),
        learning_rate_schedule="cosine",
    )
    train(config, train_part, validation_part, CARDINALITIES, 0)
    # 64 rows in batches of 8 for 3 epochs, not the 56 rows of the split.
    assert planned == [24]


def test_unscorable_validation_rows_join_the_training_rows(monkeypatch):
    # A split of one table, as GAINImputer makes it: with nothing to score,
    # the held-out rows train too, as they would without early stopping.
    trained_rows = []
    run_epoch = training._run_epoch

    def recording_run_epoch(trainer, data, batch_size, rng):
        trained_rows.append(data.n_samples)
        return run_epoch(trainer, data, batch_size, rng)

    monkeypatch.setattr(training, "_run_epoch", recording_run_epoch)
    data = _data(64)
    train_part, validation_part = (
        data.subset(torch.arange(56)),
        data.subset(torch.arange(56, 64)),
    )
    config = _config(max_iter=2, early_stopping=True)
    scored = train(config, train_part, validation_part, CARDINALITIES, 0)
    assert trained_rows == [56, 56] and scored.validation_message is None
    trained_rows.clear()
    config = _config(
        max_iter=2, early_stopping=True, observed_fraction_range=(1.0, 1.0)
    )
    result = train(config, train_part, validation_part, CARDINALITIES, 0)
    assert trained_rows == [64, 64]
    assert "Training used every sample" in result.validation_message


def test_train_stops_early_and_flags_convergence():
    """With a huge tol no epoch after the first counts as an improvement."""
    config = _config(max_iter=20, n_iter_no_change=2, tol=1e6)
    result = train(config, _data(), None, CARDINALITIES, 0)
    assert result.converged
    assert result.n_iter == 3
    assert len(result.loss_curve) == 3


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(
    "warmup_steps, averaging, batch_size, n_iter",
    [
        (20, 0.9, 64, 31),  # one step per epoch: 30 settling steps, then 2 stale
        (20, 0.0, 64, 21),
        (0, 0.9, 64, 11),
        (20, 0.9, 16, 9),  # four steps per epoch: settled after epoch 8
    ],
)
def test_train_does_not_stop_while_settling(
    early_stopping, warmup_steps, averaging, batch_size, n_iter
):
    """Warm-up and the average's horizon pass before an epoch can be stale."""
    config = _config(
        max_iter=100,
        n_iter_no_change=2,
        tol=1e6,
        warmup_steps=warmup_steps,
        generator_averaging=averaging,
        batch_size=batch_size,
        early_stopping=early_stopping,
    )
    validation = _data(32, seed=1) if early_stopping else None
    result = train(config, _data(), validation, CARDINALITIES, 0)
    assert result.converged
    assert result.n_iter == n_iter


def test_train_stops_early_on_validation_score():
    config = _config(max_iter=20, n_iter_no_change=2, tol=1e6, early_stopping=True)
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    assert result.converged
    assert result.n_iter == 3
    assert len(result.validation_scores) == 3


def test_train_raises_when_diverging_without_checkpoint():
    config = _config(max_iter=10, learning_rate_init=1e8)
    with pytest.raises(TrainingDivergedError, match="diverged at epoch"):
        train(config, _data(), None, CARDINALITIES, 0)


def _script_validation_scores(monkeypatch, scores):
    """Make the validation score follow ``scores``; record each epoch's weights."""
    states = []

    def fake_score(self, generator):
        states.append(copy.deepcopy(generator.state_dict()))
        return scores[len(states) - 1]

    monkeypatch.setattr(training._ValidationSet, "score", fake_score)
    return states


def test_validation_score_blocks_of_a_row_subset(monkeypatch):
    # Scored in blocks of rows read from a subset of the tensors, the score is
    # the one computed on a copy of those rows in one piece.
    monkeypatch.setattr(training, "_SCORE_ROWS", 7)
    data = _data()
    index = torch.tensor([3, 40, 5, 17, 22, 9, 31, 2, 60, 11, 50, 1, 44, 8, 27])
    validation = training._ValidationSet(data.subset(index), (0.5, 0.95), _seeded(2))
    generator = Generator(data.values.shape[1], CARDINALITIES, 1, (8,))
    rows = data.rows(index)
    visible = sample_training_mask(rows.observed, (0.5, 0.95), _seeded(2))
    hidden = rows.observed & ~visible
    with torch.no_grad():
        generated = generator(
            rows.values, visible.float(), None, rows.codes, rows.numerical
        )
    error = ((generated - rows.values)[hidden] ** 2).sum()
    expected = 1 - float(error) / float((rows.values[hidden] ** 2).sum())
    assert torch.equal(validation.hidden, hidden)
    assert validation.score(generator) == pytest.approx(expected, rel=1e-5)


def _state_equal(module, state):
    current = module.state_dict()
    return all(torch.equal(current[k], state[k]) for k in state)


def test_train_keeps_generator_of_best_validation_epoch(monkeypatch):
    scores = [0.1, 0.3, 0.2, 0.25, 0.1, 0.0, 0.0]
    states = _script_validation_scores(monkeypatch, scores)
    config = _config(max_iter=7, early_stopping=True, n_iter_no_change=3, tol=0.0)
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    assert result.n_iter == 5  # epochs 3, 4 and 5 do not beat 0.3
    assert result.converged
    assert result.validation_scores == scores[:5]
    assert result.best_validation_score == 0.3
    assert _state_equal(result.generator, states[1])
    assert not _state_equal(result.generator, states[4])


def test_train_best_validation_score_is_that_of_kept_generator(monkeypatch):
    scores = [0.1, 0.1005, 0.05, 0.05, 0.05]
    states = _script_validation_scores(monkeypatch, scores)
    config = _config(max_iter=5, early_stopping=True, n_iter_no_change=3, tol=1e-2)
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    kept = [
        i for i, state in enumerate(states) if _state_equal(result.generator, state)
    ]
    assert kept
    assert result.best_validation_score == scores[kept[0]]


def test_train_divergence_after_checkpoint_restores_best_generator(monkeypatch):
    """A non-finite loss after a validated epoch keeps the best earlier generator."""
    real_run_epoch = training._run_epoch
    scores = [0.2, 0.4, 0.3]
    states = _script_validation_scores(monkeypatch, scores)
    epochs = []

    def run_epoch(trainer, data, batch_size, rng):
        epochs.append(1)
        if len(epochs) == 4:
            with torch.no_grad():
                for parameter in trainer.generator.parameters():
                    parameter.fill_(float("nan"))
            return float("nan"), float("nan")
        return real_run_epoch(trainer, data, batch_size, rng)

    monkeypatch.setattr(training, "_run_epoch", run_epoch)
    config = _config(max_iter=10, early_stopping=True, n_iter_no_change=5)
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    assert result.n_iter == 4
    assert "diverged at epoch 4" in result.divergence_message
    assert len(result.loss_curve) == 3
    assert result.best_validation_score == 0.4
    assert _state_equal(result.generator, states[1])
    for parameter in result.generator.parameters():
        assert torch.all(torch.isfinite(parameter))


@pytest.mark.parametrize("entries", ["input", "observed"])
def test_train_reconstruction_target(monkeypatch, entries):
    """'input' scores only entries G saw; 'observed' also the hidden observed ones."""
    real_loss = training.reconstruction_loss
    seen = []

    def spy(values, generated, target_mask, *args):
        seen.append(target_mask.detach().clone())
        return real_loss(values, generated, target_mask, *args)

    monkeypatch.setattr(training, "reconstruction_loss", spy)
    data = _data()
    config = _config(
        max_iter=1,
        batch_size=64,
        reconstruction_entries=entries,
        observed_fraction_range=(0.5, 0.5),
    )
    train(config, data, None, CARDINALITIES, 0)
    (target,) = seen
    observed_count = data.observed.sum().item()
    assert torch.all((target == 0) | (target == 1))
    if entries == "observed":
        assert target.sum().item() == observed_count
    else:
        fraction = target.sum().item() / observed_count
        assert 0.35 < fraction < 0.65


def _with_nan_gaps(data):
    """``data`` as GAINImputer.fit stores them: NaN at the gaps, no mask."""
    return TrainingData(
        data.values.masked_fill(~data.observed, float("nan")),
        None,
        data.codes,
        data.numerical,
    )


def test_rows_of_nan_gapped_data_are_those_of_masked_data():
    data = _data()
    index = torch.tensor([5, 0, 61, 17, 17])
    part = torch.arange(2, 64)
    masked = data.subset(part).rows(index)
    gapped = _with_nan_gaps(data).subset(part).rows(index)
    assert torch.equal(gapped.observed, masked.observed)
    assert torch.equal(gapped.values, masked.values)  # zeros at the gaps
    assert torch.equal(gapped.codes, masked.codes)
    assert torch.equal(gapped.numerical, masked.numerical)


@pytest.mark.parametrize("gapped", [False, True])
def test_observed_mask_of_a_row_subset(monkeypatch, gapped):
    monkeypatch.setattr(training, "_SCORE_ROWS", 4)  # blocks, the last partial
    data = _data()
    index = torch.tensor([3, 40, 5, 17, 22, 9, 31, 2, 60, 11, 50, 1, 44, 8, 27])
    source = _with_nan_gaps(data) if gapped else data
    assert torch.equal(source.subset(index).observed_mask(), data.observed[index])


def test_training_on_nan_gapped_data_equals_training_with_a_mask():
    data = _data()
    config = _config(max_iter=3, early_stopping=True, generator_averaging=0.9)
    train_rows, validation_rows = torch.arange(48), torch.arange(48, 64)
    results = [
        train(
            config,
            source.subset(train_rows),
            source.subset(validation_rows),
            CARDINALITIES,
            0,
        )
        for source in (data, _with_nan_gaps(data))
    ]
    masked, gapped = results
    assert len(gapped.validation_scores) == 3
    assert gapped.validation_scores == masked.validation_scores
    assert gapped.loss_curve == masked.loss_curve
    for name, weight in masked.generator.state_dict().items():
        assert torch.equal(gapped.generator.state_dict()[name], weight), name


def test_train_uses_same_draws_for_discriminator_and_generator(monkeypatch):
    """D and G losses of one step see the same training mask and hint draw b."""
    calls = {"d": [], "g": []}
    real_d, real_g = training.discriminator_loss, training.adversarial_loss

    def spy_d(logits, mask, weights):
        calls["d"].append((mask.clone(), weights.clone()))
        return real_d(logits, mask, weights)

    def spy_g(logits, mask, weights):
        calls["g"].append((mask.clone(), weights.clone()))
        return real_g(logits, mask, weights)

    monkeypatch.setattr(training, "discriminator_loss", spy_d)
    monkeypatch.setattr(training, "adversarial_loss", spy_g)
    train(_config(max_iter=1, batch_size=32), _data(), None, CARDINALITIES, 0)
    assert len(calls["d"]) == len(calls["g"]) == 2
    for (mask_d, b_d), (mask_g, b_g) in zip(calls["d"], calls["g"]):
        assert torch.equal(mask_d, mask_g)
        assert torch.equal(b_d, b_g)
    assert not torch.equal(calls["d"][0][1], calls["d"][1][1])  # fresh per batch


def _trainer(config):
    """A trainer of 6 features, one 3-level covariate and one numerical one."""
    generator, discriminator = build_networks(config, 6, CARDINALITIES, 1, 0, "cpu")
    return training._Trainer(
        config, generator, discriminator, torch.Generator().manual_seed(0)
    )


def test_mixed_precision_steps_alike_inside_another_autocast_region():
    # Inside an enclosing autocast region, autocast's cache of the weights'
    # bfloat16 copies would outlive the step and serve weights from before
    # the optimizer's update to the next one.
    config = _config(mixed_precision=True, learning_rate_init=0.05)
    data = _data()
    batch = data.rows(torch.arange(16))

    def losses(enclosing):
        trainer = _trainer(config)
        with enclosing():
            return [float(trainer.step(batch)[0]) for _ in range(3)]

    outside = losses(contextlib.nullcontext)
    inside = losses(lambda: torch.autocast("cpu", dtype=torch.bfloat16))
    assert inside == outside


@pytest.mark.parametrize("warmup_steps", [0, 4])
def test_cosine_schedule_follows_warmup_then_half_cosine(warmup_steps):
    config = _config(
        learning_rate_schedule="cosine",
        warmup_steps=warmup_steps,
        learning_rate_init=0.01,
        batch_size=16,
    )
    generator, discriminator = build_networks(config, 6, CARDINALITIES, 1, 0, "cpu")
    trainer = training._Trainer(
        config, generator, discriminator, torch.Generator().manual_seed(0), 10
    )
    batch = _data(16)
    for step in range(1, 11):
        trainer.step(batch)
        warm = 1.0
        if warmup_steps:
            fraction = min(step, warmup_steps) / warmup_steps
            warm = 1 / warmup_steps + (1 - 1 / warmup_steps) * fraction
        expected = 0.01 * warm * 0.5 * (1 + np.cos(np.pi * step / 10))
        for optimizer in (trainer.optimizer_g, trainer.optimizer_d):
            assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, abs=1e-12)


def test_constant_schedule_keeps_the_rate_after_warmup():
    config = _config(warmup_steps=2, learning_rate_init=0.01, batch_size=16)
    trainer = _trainer(config)
    for _ in range(5):
        trainer.step(_data(16))
    assert trainer.optimizer_g.param_groups[0]["lr"] == pytest.approx(0.01)


def test_train_sizes_the_cosine_schedule_to_max_iter():
    """The rate falls along the whole of max_iter epochs, to near 0."""
    config = _config(
        learning_rate_schedule="cosine", max_iter=3, batch_size=16, early_stopping=False
    )
    rates = []
    real_step = training._Trainer.step

    def step(self, batch):
        rates.append(self.optimizer_g.param_groups[0]["lr"])
        return real_step(self, batch)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training._Trainer, "step", step)
        train(config, _data(64), None, CARDINALITIES, 0)
    assert len(rates) == 3 * 4  # 4 batches of 16 per epoch
    assert all(a > b for a, b in zip(rates, rates[1:]))
    # The last step runs at the schedule's step 11 of 12: near 0, not 0.
    last = config.learning_rate_init * 0.5 * (1 + np.cos(np.pi * 11 / 12))
    assert rates[-1] == pytest.approx(last, rel=1e-9)


@pytest.mark.parametrize("adversarial", [True, False])
def test_training_step_multiplies_only_what_the_gradients_need(adversarial):
    """Matrix-product FLOPs of one step against a count by hand.

    With one hidden layer of width H, F features, covariate width c and B
    rows, each product costs 2*B*H times its inner width. G forward: 4F + c.
    G backward: weights 4F + c, input of the output layer F, covariates c
    (the data blocks need no gradient). D step: forward 3F + c, backward
    weights 3F + c, output layer's input F, covariates c. G through the frozen
    D: forward 3F + c, output layer's input F, imputed block F (not the hint).
    """
    config = _config(adversarial=adversarial, hidden_layer_sizes=(8,))
    trainer = _trainer(config)
    batch = _data(n_samples=16)
    n_features, hidden, width = 6, 8, 2 + 1  # embedding of 3 levels, 1 numerical
    counter = FlopCounterMode(display=False)
    with counter:
        trainer.step(batch)
    units = 9 * n_features + 3 * width
    if adversarial:
        units += 12 * n_features + 4 * width
    assert counter.get_total_flops() == 2 * 16 * hidden * units


def test_averaged_generator_is_the_moving_average_of_the_weights():
    """After each step: average = decay * average + (1 - decay) * weights."""
    decay = 0.75
    config = _config(generator_averaging=decay, batch_size=16)
    trainer = _trainer(config)
    generator = trainer.generator
    assert trainer.averaged is not generator
    expected = {k: v.clone() for k, v in generator.state_dict().items()}
    data = _data()
    for start in range(0, 64, 16):
        trainer.step(data.rows(torch.arange(start, start + 16)))
        for name, weights in generator.state_dict().items():
            expected[name] = decay * expected[name] + (1 - decay) * weights
    averaged = trainer.averaged.state_dict()
    for name, value in expected.items():
        torch.testing.assert_close(averaged[name], value)
    # The average lags the weights: it is not a copy of them.
    assert not _same_weights(trainer.averaged, generator)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_learning_rate_rises_linearly_over_the_warmup_steps(optimizer):
    """Step k (from 0) of the warm-up runs at (1 + k * (W - 1) / W) / W of the rate."""
    warmup = 4
    config = _config(optimizer=optimizer, learning_rate_init=0.01, warmup_steps=warmup)
    trainer = _trainer(config)
    data = _data()
    rates = []
    for _ in range(warmup + 2):
        rates.append(
            [
                trainer.optimizer_g.param_groups[0]["lr"],
                trainer.optimizer_d.param_groups[0]["lr"],
            ]
        )
        trainer.step(data.rows(torch.arange(16)))
    start = 1 / warmup
    expected = [
        0.01 * (start + (1 - start) * min(step, warmup) / warmup)
        for step in range(warmup + 2)
    ]
    np.testing.assert_allclose(np.array(rates), np.array([expected, expected]).T)


def test_without_warmup_the_learning_rate_is_constant():
    config = _config(learning_rate_init=0.01, warmup_steps=0)
    trainer = _trainer(config)
    data = _data()
    for _ in range(3):
        trainer.step(data.rows(torch.arange(16)))
        assert trainer.optimizer_g.param_groups[0]["lr"] == 0.01
        assert trainer.optimizer_d.param_groups[0]["lr"] == 0.01


def test_without_averaging_the_trained_generator_imputes():
    config = _config(generator_averaging=0.0)
    trainer = _trainer(config)
    assert trainer.averaged is trainer.generator


@pytest.mark.parametrize("early_stopping", [False, True])
def test_train_returns_the_averaged_generator(monkeypatch, early_stopping):
    trainers = []
    real_run_epoch = training._run_epoch

    def run_epoch(trainer, data, batch_size, rng):
        trainers.append(trainer)
        return real_run_epoch(trainer, data, batch_size, rng)

    monkeypatch.setattr(training, "_run_epoch", run_epoch)
    config = _config(max_iter=3, generator_averaging=0.9, early_stopping=early_stopping)
    result = train(config, _data(), _data(32, seed=1), CARDINALITIES, 0)
    trainer = trainers[-1]
    assert result.generator is trainer.averaged
    assert not _same_weights(result.generator, trainer.generator)


def test_train_verbose_reports_each_epoch(capsys):
    train(_config(max_iter=2, verbose=1), _data(), None, CARDINALITIES, 0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1: generator loss")
    assert "discriminator loss" in lines[0]


# ---------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------


def _generator():
    torch.manual_seed(0)
    return Generator(4, [3], 1, (8,)).eval()


def _block(seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(loc=5.0, scale=2.0, size=(10, 4)).astype(np.float32)
    missing = rng.random((10, 4)) < 0.5
    values[missing] = np.nan
    codes = rng.integers(0, 3, size=(10, 1))
    numerical = rng.normal(size=(10, 1)).astype(np.float32)
    return values, missing, codes, numerical


MEAN = torch.tensor([5.0, 4.0, 6.0, 5.5])
SCALE = torch.tensor([2.0, 1.0, 3.0, 0.5])


def test_impute_rows_without_rng_uses_zero_noise():
    generator = _generator()
    values, missing, codes, numerical = _block()
    got = impute_rows(generator, values, missing, MEAN, SCALE, codes, numerical, None)
    assert got.dtype == np.float32
    assert got.shape == values.shape
    # Observed entries are returned as given, NaN never.
    np.testing.assert_array_equal(got[~missing], values[~missing])
    assert not np.isnan(got).any()
    # Missing entries: the generator on standardised inputs with zero noise,
    # mapped back to the original units.
    scaled = np.where(missing, 0.0, (values - MEAN.numpy()) / SCALE.numpy())
    with torch.no_grad():
        expected = generator(
            torch.from_numpy(scaled.astype(np.float32)),
            torch.from_numpy((~missing).astype(np.float32)),
            torch.zeros(values.shape),
            torch.from_numpy(codes),
            torch.from_numpy(numerical),
        ).numpy()
    expected = expected * SCALE.numpy() + MEAN.numpy()
    np.testing.assert_allclose(got[missing], expected[missing], rtol=1e-5, atol=1e-5)


def test_impute_rows_keeps_the_dtype_and_ignores_sentinels():
    generator = _generator()
    values, missing, codes, numerical = _block()
    with_nan = impute_rows(
        generator, values, missing, MEAN, SCALE, codes, numerical, None
    )
    sentinel = np.where(missing, -1.0, values).astype(np.float64)
    got = impute_rows(generator, sentinel, missing, MEAN, SCALE, codes, numerical, None)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, with_nan, rtol=1e-6)
    # The input block is not written.
    assert (sentinel[missing] == -1.0).all()


def test_impute_rows_with_rng_draws_noise_reproducibly():
    generator = _generator()
    values, missing, codes, numerical = _block()

    def run(rng):
        return impute_rows(
            generator, values, missing, MEAN, SCALE, codes, numerical, rng
        )

    a, b, c, point = run(_seeded(1)), run(_seeded(1)), run(_seeded(2)), run(None)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[missing], c[missing])
    assert not np.array_equal(a[missing], point[missing])
    np.testing.assert_array_equal(a[~missing], values[~missing])


def test_impute_rows_raises_on_non_finite_output():
    generator = _generator()
    with torch.no_grad():
        generator.body[-1].bias[0] = float("inf")
    values, missing, codes, numerical = _block()
    missing[:, 0] = True
    with pytest.raises(FloatingPointError, match="non-finite imputations"):
        impute_rows(generator, values, missing, MEAN, SCALE, codes, numerical, None)


def test_impute_rows_keeps_the_precision_of_float64_data():
    """A large mean and a small spread survive standardisation and back."""
    generator = _generator()
    values, missing, codes, numerical = _block()
    mean = torch.full((4,), 1e6, dtype=torch.float64)
    scale = torch.full((4,), 1e-3, dtype=torch.float64)
    data = np.where(missing, np.nan, 1e6 + 1e-3 * (values - 5.0)).astype(np.float64)
    got = impute_rows(generator, data, missing, mean, scale, codes, numerical, None)
    scaled = np.where(missing, 0.0, (data - 1e6) / 1e-3).astype(np.float32)
    with torch.no_grad():
        generated = generator(
            torch.from_numpy(scaled),
            torch.from_numpy((~missing).astype(np.float32)),
            None,
            torch.from_numpy(codes),
            torch.from_numpy(numerical),
        ).numpy()
    expected = 1e6 + 1e-3 * generated.astype(np.float64)
    # float32 arithmetic near 1e6 would be off by up to 0.03.
    np.testing.assert_allclose(got[missing], expected[missing], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(got[~missing], data[~missing])


@pytest.mark.parametrize("mixed_precision", [False, True])
def test_mixed_precision_runs_the_products_in_bfloat16(mixed_precision):
    """Each network's first layer, in the three forward passes of a step."""
    trainer = _trainer(_config(mixed_precision=mixed_precision))
    dtypes = []
    for network in (trainer.generator, trainer.discriminator):
        network.body[0].register_forward_hook(
            lambda module, inputs, output: dtypes.append(output.dtype)
        )
    loss_g, loss_d = trainer.step(_data(n_samples=16))
    expected = torch.bfloat16 if mixed_precision else torch.float32
    # G forward, D step, G through the frozen D.
    assert dtypes == [expected] * 3
    assert loss_g.dtype == loss_d.dtype == torch.float32
    assert torch.isfinite(loss_g) and torch.isfinite(loss_d)
    for network in (trainer.generator, trainer.discriminator):
        assert all(p.dtype == torch.float32 for p in network.parameters())


def test_mixed_precision_training_is_reproducible():
    config = _config(mixed_precision=True)
    first = train(config, _data(), None, CARDINALITIES, seed=0).generator
    second = train(config, _data(), None, CARDINALITIES, seed=0).generator
    assert _same_weights(first, second)


def _subnormal(tensor):
    return (tensor != 0) & (tensor.abs() < torch.finfo(torch.float32).tiny)


@pytest.mark.parametrize("flushing", [True, False])
def test_first_moments_of_weights_without_gradient_do_not_stay_subnormal(
    monkeypatch, flushing
):
    """Adam's first moment of a weight whose gradient is zero decays by beta1
    each step; rounding keeps it among the subnormal numbers, which processors
    compute on slowly. The trainer sets such entries to zero every
    ``_FLUSH_SUBNORMALS_EVERY`` steps."""
    n_steps = training._FLUSH_SUBNORMALS_EVERY
    if not flushing:
        # Without the flush the subnormal moments stay: the test can tell.
        monkeypatch.setattr(training, "_FLUSH_SUBNORMALS_EVERY", 10**9)
    trainer = _trainer(_config(batch_size=16))
    first_layer = trainer.generator.body[0]
    with torch.no_grad():
        # A hidden unit that never fires: its input weights get zero gradients.
        first_layer.bias[0] = -1e6
    batches = [_data().rows(torch.arange(start, start + 16)) for start in (0, 16)]
    trainer.step(batches[0])
    moment = trainer.optimizer_g.state[first_layer.weights[0]]["exp_avg"]
    assert first_layer.weights[0].grad[0].eq(0).all()
    with torch.no_grad():
        moment[0] = 1e-40  # where ~800 steps of decay would bring it
    for step in range(n_steps):
        trainer.step(batches[step % 2])
    if flushing:
        assert moment[0].eq(0).all()
        for optimizer in (trainer.optimizer_g, trainer.optimizer_d):
            for state in optimizer.state.values():
                assert not _subnormal(state["exp_avg"]).any()
                assert not _subnormal(state["exp_avg_sq"]).any()
    else:
        assert _subnormal(moment[0]).all()


def test_flush_subnormal_states_zeroes_only_subnormal_entries():
    trainer = _trainer(_config(batch_size=16))
    trainer.step(_data().rows(torch.arange(16)))
    state = next(iter(trainer.optimizer_g.state.values()))
    values = torch.tensor([1e-40, -3e-42, 2e-38, -1e-30, 0.0, 0.5])
    state["exp_avg"].view(-1)[:6] = values
    step = state["step"].clone()
    trainer.flush_subnormal_states()
    expected = torch.tensor([0.0, 0.0, 2e-38, -1e-30, 0.0, 0.5])
    assert torch.equal(state["exp_avg"].view(-1)[:6], expected)
    assert torch.equal(state["step"], step)
