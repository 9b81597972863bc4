"""Generator, discriminator and covariate embeddings."""

import pickle
import subprocess
import sys

import pytest
import torch
from torch import nn

from skgain import _networks
from skgain._networks import (
    BlockLinear,
    CovariateEmbedding,
    Discriminator,
    Generator,
    WideLinear,
    embedding_width,
    wide_product,
)

N_FEATURES = 5
CARDINALITIES = [49, 2]
N_NUMERICAL = 3
# int(sqrt(49)) + 1 = 8 and int(sqrt(2)) + 1 = 2.
COVARIATE_WIDTH = 8 + 2 + N_NUMERICAL


@pytest.mark.parametrize(
    "cardinality, width",
    [(1, 2), (2, 2), (3, 2), (4, 3), (8, 3), (9, 4), (48, 7), (49, 8), (50, 8)],
)
def test_embedding_width_rule(cardinality, width):
    assert embedding_width(cardinality) == width


def _linears(net):
    return [m for m in net.body if isinstance(m, (BlockLinear, WideLinear))]


def _inputs(n_samples=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(n_samples, N_FEATURES, generator=g)
    mask = (torch.rand(n_samples, N_FEATURES, generator=g) < 0.5).float()
    noise = torch.randn(n_samples, N_FEATURES, generator=g)
    codes = torch.stack(
        [torch.randint(0, card, (n_samples,), generator=g) for card in CARDINALITIES],
        dim=1,
    )
    numerical = torch.randn(n_samples, N_NUMERICAL, generator=g)
    return values, mask, noise, codes, numerical


def _generator(hidden=(16, 8)):
    torch.manual_seed(0)
    return Generator(N_FEATURES, CARDINALITIES, N_NUMERICAL, hidden)


def _discriminator(hidden=(16, 8)):
    torch.manual_seed(1)
    return Discriminator(N_FEATURES, CARDINALITIES, N_NUMERICAL, hidden)


def test_covariate_embedding_tables_and_width():
    embedding = CovariateEmbedding(CARDINALITIES, N_NUMERICAL)
    assert [t.num_embeddings for t in embedding.tables] == CARDINALITIES
    assert [t.embedding_dim for t in embedding.tables] == [8, 2]
    assert embedding.output_width == COVARIATE_WIDTH
    _, _, _, codes, numerical = _inputs()
    out = embedding(codes, numerical)
    assert out.shape == (7, COVARIATE_WIDTH)
    # The numerical covariates pass through unchanged.
    assert any(
        torch.equal(out[:, i : i + N_NUMERICAL], numerical)
        for i in range(COVARIATE_WIDTH - N_NUMERICAL + 1)
    )


def _blocks(n_rows=6, widths=(3, 2, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n_rows, width, generator=g) for width in widths]


def test_block_linear_starts_from_the_weights_of_one_linear_layer():
    torch.manual_seed(0)
    layer = BlockLinear([3, 2, 4], 5)
    torch.manual_seed(0)
    reference = nn.Linear(9, 5)
    assert torch.equal(torch.cat(list(layer.weights), dim=1), reference.weight)
    assert torch.equal(layer.bias, reference.bias)
    assert [w.shape[1] for w in layer.weights] == [3, 2, 4]


def test_block_linear_is_a_linear_layer_on_the_concatenated_blocks():
    layer = BlockLinear([3, 2, 4], 5)
    reference = nn.Linear(9, 5)
    with torch.no_grad():
        reference.weight.copy_(torch.cat(list(layer.weights), dim=1))
        reference.bias.copy_(layer.bias)
    blocks = _blocks()
    torch.testing.assert_close(layer(blocks), reference(torch.cat(blocks, dim=1)))
    # A block given as None is a block of zeros.
    zeros = [blocks[0], torch.zeros(6, 2), blocks[2]]
    torch.testing.assert_close(
        layer([blocks[0], None, blocks[2]]), reference(torch.cat(zeros, dim=1))
    )


def test_block_linear_gradients_flow_to_the_blocks_that_ask_for_them():
    layer = BlockLinear([3, 2, 4], 5).requires_grad_(False)
    blocks = _blocks()
    blocks[1].requires_grad_(True)
    layer(blocks).sum().backward()
    assert blocks[0].grad is None and blocks[2].grad is None
    # d(sum)/d(block) = column sums of that block's weight, for every row.
    expected = layer.weights[1].sum(0).expand(6, -1)
    torch.testing.assert_close(blocks[1].grad, expected)


def test_generator_architecture():
    generator = _generator()
    linears = _linears(generator)
    assert isinstance(linears[0], BlockLinear)
    assert linears[0].in_widths == (N_FEATURES,) * 3 + (COVARIATE_WIDTH,)
    assert linears[0].in_features == 3 * N_FEATURES + COVARIATE_WIDTH
    assert [m.out_features for m in linears] == [16, 8, N_FEATURES]
    assert sum(isinstance(m, nn.ReLU) for m in generator.body) == 2
    assert isinstance(generator.body[-1], WideLinear)  # linear output


def test_discriminator_architecture():
    discriminator = _discriminator()
    linears = _linears(discriminator)
    assert linears[0].in_widths == (N_FEATURES,) * 2 + (COVARIATE_WIDTH,)
    assert [m.out_features for m in linears] == [16, 8, N_FEATURES]
    assert isinstance(discriminator.body[-1], WideLinear)  # logits


def test_networks_without_covariates():
    generator = Generator(4, [], 0, (6,))
    discriminator = Discriminator(4, [], 0, (6,))
    assert _linears(generator)[0].in_features == 12
    assert _linears(discriminator)[0].in_features == 8
    values = torch.randn(3, 4)
    codes = torch.zeros(3, 0, dtype=torch.int64)
    numerical = torch.zeros(3, 0)
    out = generator(values, torch.ones(3, 4), values, codes, numerical)
    assert out.shape == (3, 4)
    assert discriminator(values, torch.ones(3, 4), codes, numerical).shape == (3, 4)


def test_output_shapes():
    values, mask, noise, codes, numerical = _inputs()
    generated = _generator()(values, mask, noise, codes, numerical)
    logits = _discriminator()(generated, mask, codes, numerical)
    assert generated.shape == (7, N_FEATURES)
    assert logits.shape == (7, N_FEATURES)


def test_generator_sees_observed_values_and_noise_only_where_missing():
    """Input is [x*m, z*(1-m), m, covariates] (paper eq. 1)."""
    generator = _generator()
    values, mask, noise, codes, numerical = _inputs()
    base = generator(values, mask, noise, codes, numerical)
    # Values at missing entries are ignored.
    other_values = torch.where(mask.bool(), values, values + 10.0)
    torch.testing.assert_close(
        generator(other_values, mask, noise, codes, numerical), base
    )
    # Noise at observed entries is ignored; noise at missing entries is used.
    other_noise = torch.where(mask.bool(), noise + 10.0, noise)
    torch.testing.assert_close(
        generator(values, mask, other_noise, codes, numerical), base
    )
    assert not torch.allclose(
        generator(values, mask, noise + 10.0, codes, numerical), base
    )
    # Observed values matter.
    assert not torch.allclose(
        generator(values + 1.0, mask, noise, codes, numerical), base
    )


def test_generator_output_depends_on_covariates():
    generator = _generator()
    values, mask, noise, codes, numerical = _inputs()
    base = generator(values, mask, noise, codes, numerical)
    for column, cardinality in enumerate(CARDINALITIES):
        changed = codes.clone()
        changed[:, column] = (codes[:, column] + 1) % cardinality
        out = generator(values, mask, noise, changed, numerical)
        assert not torch.allclose(out, base), f"covariate {column} unused"
    out = generator(values, mask, noise, codes, numerical + 1.0)
    assert not torch.allclose(out, base)


def test_discriminator_output_depends_on_covariates_and_hint():
    discriminator = _discriminator()
    values, mask, _, codes, numerical = _inputs()
    base = discriminator(values, mask, codes, numerical)
    changed = codes.clone()
    changed[:, 1] = 1 - codes[:, 1]
    assert not torch.allclose(discriminator(values, mask, changed, numerical), base)
    assert not torch.allclose(discriminator(values, 1 - mask, codes, numerical), base)


def test_generator_and_discriminator_have_separate_embeddings():
    generator, discriminator = _generator(), _discriminator()
    values, mask, noise, codes, numerical = _inputs()
    g_tables = list(generator.covariates.tables)
    d_tables = list(discriminator.covariates.tables)
    for g_table, d_table in zip(g_tables, d_tables, strict=True):
        assert g_table.weight is not d_table.weight
        assert g_table.weight.data_ptr() != d_table.weight.data_ptr()
    before = generator(values, mask, noise, codes, numerical)
    with torch.no_grad():
        for table in d_tables:
            table.weight.add_(5.0)
    after = generator(values, mask, noise, codes, numerical)
    torch.testing.assert_close(after, before)


def test_embeddings_receive_gradients():
    generator = _generator()
    values, mask, noise, codes, numerical = _inputs()
    generator(values, mask, noise, codes, numerical).sum().backward()
    for column, table in enumerate(generator.covariates.tables):
        used = torch.unique(codes[:, column])
        grad = table.weight.grad
        assert grad is not None
        assert torch.all(grad[used].abs().sum(1) > 0)


@pytest.mark.parametrize("n_numerical, cardinalities", [(N_NUMERICAL, None), (0, [])])
def test_generator_without_noise_equals_zero_noise(n_numerical, cardinalities):
    """``noise=None`` skips the noise block's weights; the output is unchanged."""
    values, mask, noise, codes, numerical = _inputs()
    if cardinalities is None:
        generator = _generator()
    else:
        generator = Generator(N_FEATURES, [], 0, (16, 8))
        codes = torch.zeros(7, 0, dtype=torch.int64)
        numerical = torch.zeros(7, 0)
    with torch.no_grad():
        zero = generator(values, mask, torch.zeros_like(noise), codes, numerical)
        skipped = generator(values, mask, None, codes, numerical)
        drawn = generator(values, mask, noise, codes, numerical)
    torch.testing.assert_close(skipped, zero)
    assert not torch.allclose(skipped, drawn)


@pytest.mark.parametrize("with_bias", [False, True])
def test_wide_product_is_one_product(library, monkeypatch, with_bias):
    onednn, onednn_calls = library
    # Blocks of 3 columns over 10: three whole blocks and a remainder of 1.
    monkeypatch.setattr(_networks, "COLUMN_BLOCK", 3)
    g = torch.Generator().manual_seed(0)
    left, right = torch.randn(4, 6, generator=g), torch.randn(6, 10, generator=g)
    bias = torch.randn(10, generator=g) if with_bias else None
    expected = left @ right if bias is None else torch.addmm(bias, left, right)
    torch.testing.assert_close(wide_product(left, right, bias), expected)
    # Transposed (non-contiguous) operands, as the layers pass them.
    product = wide_product(left.T.contiguous().T, right.T.contiguous().T, bias)
    torch.testing.assert_close(product, expected)
    assert product.is_contiguous()
    assert len(onednn_calls) == (2 if onednn else 0)
    # Not float32: always MKL's blocks.
    torch.testing.assert_close(
        wide_product(left.double(), right.double()), (left @ right).double()
    )
    assert len(onednn_calls) == (2 if onednn else 0)


def test_wide_product_takes_a_bias_of_any_strides():
    g = torch.Generator().manual_seed(0)
    left, right = torch.randn(4, 6, generator=g), torch.randn(6, 600, generator=g)
    every_other = torch.randn(1200, generator=g)[::2]
    for bias in (every_other, torch.tensor(2.0).expand(600)):
        torch.testing.assert_close(
            wide_product(left, right, bias), torch.addmm(bias, left, right)
        )


def test_block_linear_on_a_batch_of_no_rows(library, monkeypatch):
    # The weight gradient of an empty batch has an empty inner dimension,
    # for which oneDNN has no primitive: zeros, as torch.mm gives.
    monkeypatch.setattr(_networks, "COLUMN_BLOCK", 3)
    layer = BlockLinear([6, 2], 4)
    output = layer([torch.ones(0, 6), torch.ones(0, 2)])
    assert output.shape == (0, 4)
    output.sum().backward()
    assert all(torch.equal(w.grad, torch.zeros_like(w)) for w in layer.weights)


def test_onednn_primitive_is_checked_before_use(monkeypatch):
    if _networks._ONEDNN_LINEAR is None:
        pytest.skip("PyTorch built without oneDNN")
    assert _networks._find_onednn_linear() is _networks._ONEDNN_LINEAR

    def failing(*args):
        raise RuntimeError("could not create a primitive")

    def wrong(input, weight, bias, *args):
        return torch.zeros(input.shape[0], weight.shape[0])

    for broken in (failing, wrong):
        monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", broken)
        assert _networks._find_onednn_linear() is None


@pytest.mark.parametrize("n_rows", [0, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_wide_linear_is_a_linear_layer(library, monkeypatch, n_rows, bias):
    onednn, onednn_calls = library
    monkeypatch.setattr(_networks, "COLUMN_BLOCK", 3)
    torch.manual_seed(0)
    layer = WideLinear(4, 10, bias=bias)
    torch.manual_seed(0)
    reference = nn.Linear(4, 10, bias=bias)
    # nn.Linear's weights, stored transposed and contiguous.
    assert torch.equal(layer.weight, reference.weight.T)
    assert layer.weight.is_contiguous()
    x = torch.randn(n_rows, 4, requires_grad=True)
    x_reference = x.detach().clone().requires_grad_(True)
    output = layer(x)
    # The wide product ran: its autograd node, not addmm's.
    assert type(output.grad_fn).__name__ == "_WideLinearProductBackward"
    torch.testing.assert_close(output, reference(x_reference))
    assert len(onednn_calls) == (1 if onednn else 0)
    weights = torch.randn(n_rows, 10)
    (output * weights).sum().backward()
    (reference(x_reference) * weights).sum().backward()
    torch.testing.assert_close(x.grad, x_reference.grad)
    torch.testing.assert_close(layer.weight.grad, reference.weight.grad.T)
    if bias:
        torch.testing.assert_close(layer.bias.grad, reference.bias.grad)
    else:
        assert layer.bias is None
    assert len(onednn_calls) == (2 if onednn and n_rows else 1 if onednn else 0)
    # The Function's own gradient is laid out as the weight (autograd would
    # otherwise copy it into the weight's layout before accumulating it).
    (raw_gradient,) = torch.autograd.grad(layer(x).sum(), layer.weight)
    assert raw_gradient.is_contiguous()


def test_wide_linear_loads_a_layer_pickled_with_nn_linear_layout():
    # A development version kept nn.Linear's (out, in) weight: such a layer
    # must load with its weight transposed, not be read the wrong way round.
    layer = WideLinear(3, 3)
    old_state = dict(layer.__dict__)
    del old_state["_weight_layout"]
    old_state["_parameters"] = {
        "weight": nn.Parameter(layer.weight.detach().T.clone()),
        "bias": layer.bias,
    }
    loaded = WideLinear.__new__(WideLinear)
    loaded.__setstate__(old_state)
    assert torch.equal(loaded.weight, layer.weight)
    x = torch.randn(2, 3)
    torch.testing.assert_close(loaded(x), layer(x))
    # A state without the layout whose weight is not nn.Linear's is refused.
    wide = WideLinear(2, 3)
    state = dict(wide.__dict__)
    del state["_weight_layout"]
    with pytest.raises(ValueError, match=r"weight of shape \(2, 3\)"):
        WideLinear.__new__(WideLinear).__setstate__(state)
    # A present-day pickle is left as it is.
    restored = pickle.loads(pickle.dumps(layer))
    assert torch.equal(restored.weight, layer.weight)


def test_wide_linear_takes_any_leading_shape():
    # nn.Linear's (*, in_features) inputs; only a 2-D batch goes through wide_product.
    layer = WideLinear(4, 600)
    x = torch.randn(2, 3, 4)
    torch.testing.assert_close(layer(x), x @ layer.weight + layer.bias)


def test_wide_products_have_correct_gradients():
    # Every pattern of inputs asking for gradients, in float64, against
    # finite differences (the Functions take any dtype; the layers send them
    # float32 only).
    g = torch.Generator().manual_seed(0)
    for needs in [(True, True, True), (False, True, False), (True, False, True)]:
        accumulated, block, weight = (
            torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_(n)
            for shape, n in zip([(3,), (2, 5), (3, 5)], needs, strict=True)
        )
        assert torch.autograd.gradcheck(
            _networks._BlockProduct.apply, (accumulated, block, weight)
        )
        # WideLinear's weight is (in_features, out_features).
        wide_weight = weight.detach().T.contiguous().requires_grad_(needs[2])
        assert torch.autograd.gradcheck(
            _networks._WideLinearProduct.apply, (block, wide_weight, accumulated)
        )


def test_wide_products_are_for_wide_float32_products_on_the_cpu():
    wide = _networks.COLUMN_BLOCK + 1
    goes_wide = _networks._wide_on_cpu
    assert goes_wide(torch.ones(2, 2), wide)
    assert not goes_wide(torch.ones(2, 2), _networks.COLUMN_BLOCK)
    assert not goes_wide(torch.ones(2, 2, dtype=torch.float64), wide)
    # Any other device (a GPU; "meta" stands in for one here).
    assert not goes_wide(torch.ones(2, 2, device="meta"), wide)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not goes_wide(torch.ones(2, 2), wide)


def test_wide_products_are_left_to_torch_mm_on_intel_processors(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    for vendor in ("GenuineIntel", "AuthenticAMD"):
        cpuinfo.write_text(f"processor\t: 0\nvendor_id\t: {vendor}\nflags\t: fpu\n")
        assert _networks._cpu_vendor(str(cpuinfo)) == vendor
    cpuinfo.write_text("processor\t: 0\nBogoMIPS\t: 48.00\n")
    assert _networks._cpu_vendor(str(cpuinfo)) is None
    assert _networks._cpu_vendor(str(tmp_path / "absent")) is None
    assert not _networks._custom_wide_products("GenuineIntel")
    assert _networks._custom_wide_products("AuthenticAMD")
    assert _networks._custom_wide_products(None)
    # With the switch off, no product goes through wide_product.
    monkeypatch.setattr(_networks, "_CUSTOM_WIDE_PRODUCTS", False)
    assert not _networks._wide_on_cpu(torch.ones(2, 2), _networks.COLUMN_BLOCK + 1)
    # On import the switch follows this machine's vendor (read in a process
    # of its own: the tests here pin it).
    code = (
        "from skgain import _networks as n; "
        "print(n._CUSTOM_WIDE_PRODUCTS, n._cpu_vendor() != 'GenuineIntel')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    switch, expected = done.stdout.split()
    assert switch == expected


def _values_and_gradients(generator, discriminator, frozen_discriminator):
    """Outputs and gradients of a G then D pass, as in a training step."""
    values, mask, noise, codes, numerical = _inputs()
    generated = generator(values, mask, noise, codes, numerical)
    discriminator.requires_grad_(not frozen_discriminator)
    hint = torch.full_like(mask, 0.5)
    logits = discriminator(generated, hint, codes, numerical)
    (generated.square().sum() + logits.sum()).backward()
    parameters = [*generator.parameters(), *discriminator.parameters()]
    return generated, logits, [p.grad for p in parameters]


@pytest.mark.parametrize("frozen_discriminator", [False, True])
def test_wide_layers_compute_what_plain_layers_compute(
    library, monkeypatch, frozen_discriminator
):
    """Values and every gradient agree with the layers' plain products.

    A product is wide beyond 2 columns: over 5 features, the first layer's
    gradients and the output layer's forward product go through
    wide_product (in three blocks with MKL).
    """
    monkeypatch.setattr(_networks, "COLUMN_BLOCK", 2)
    calls = []
    wide_product = _networks.wide_product

    def counted_wide_product(*args):
        calls.append(args)
        return wide_product(*args)

    monkeypatch.setattr(_networks, "wide_product", counted_wide_product)
    results, n_calls = [], []
    for wide in (True, False):
        if not wide:
            monkeypatch.setattr(_networks, "_wide_on_cpu", lambda *args: False)
        calls.clear()
        results.append(
            _values_and_gradients(_generator(), _discriminator(), frozen_discriminator)
        )
        n_calls.append(len(calls))
    # Wide: at least both output layers' forward products and the gradients
    # of the generator's three feature-wide weights.
    assert n_calls[0] >= 5 and n_calls[1] == 0
    onednn, onednn_calls = library
    assert len(onednn_calls) == (n_calls[0] if onednn else 0)
    (generated, logits, grads), (plain_generated, plain_logits, plain_grads) = results
    torch.testing.assert_close(generated, plain_generated)
    torch.testing.assert_close(logits, plain_logits)
    assert len(grads) == len(plain_grads)
    for grad, plain_grad in zip(grads, plain_grads):
        if plain_grad is None:
            assert grad is None
        else:
            torch.testing.assert_close(grad, plain_grad)
    # The frozen discriminator passes gradients back without getting any.
    n_generator = len(list(_generator().parameters()))
    assert all((grad is None) == frozen_discriminator for grad in grads[n_generator:])


def test_draw_weights_refuses_a_layer_it_has_no_rule_for():
    from skgain._networks import draw_weights

    network = torch.nn.Sequential(torch.nn.LayerNorm(3))
    with pytest.raises(TypeError, match="no rule to draw the weights of LayerNorm"):
        draw_weights(network, torch.Generator().manual_seed(0))
