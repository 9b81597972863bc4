# SPDX-License-Identifier: BSD-3-Clause
"""The generator and discriminator networks of GAIN with covariates.

Both are plain multilayer perceptrons (ReLU hidden layers, linear output) whose
input is the expression vector with its mask, concatenated with the sample
covariates: learned embeddings of the categorical ones and the standardised
numerical ones. Generator and discriminator have separate embedding tables.

Speed: the layers as wide as the genes dominate the cost. The first layer
keeps one weight per input block (:class:`BlockLinear`), so that autograd
computes only the gradients a step needs; on the CPU, the products whose
output is as wide as the genes go through oneDNN, or MKL in blocks of columns
(:func:`wide_product`), except on Intel processors, where MKL runs them
fastest as ``torch.mm`` does.
"""

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.autograd.function import once_differentiable


def embedding_width(cardinality: int) -> int:
    """Embedding width for a covariate with ``cardinality`` categories.

    The rule ``int(sqrt(V)) + 1`` of the reference implementation gives, for
    instance, 8 dimensions for 49 tissues and 2 for sex.

    Examples
    --------
    >>> from skgain._networks import embedding_width
    >>> embedding_width(49), embedding_width(2)
    (8, 2)
    """
    return int(math.sqrt(cardinality)) + 1


class CovariateEmbedding(nn.Module):
    """Concatenated embeddings of the categorical covariates plus numerical ones."""

    def __init__(self, cardinalities: Sequence[int], n_numerical: int):
        super().__init__()
        self.tables = nn.ModuleList(
            nn.Embedding(cardinality, embedding_width(cardinality))
            for cardinality in cardinalities
        )
        self.output_width = n_numerical + sum(
            table.embedding_dim for table in self.tables
        )

    def forward(self, codes: torch.Tensor, numerical: torch.Tensor) -> torch.Tensor:
        parts = [table(codes[:, i]) for i, table in enumerate(self.tables)]
        return torch.cat([numerical, *parts], dim=1)


class BlockLinear(nn.Module):
    """A linear layer over several inputs laid side by side, one weight per input.

    It computes what ``nn.Linear`` computes on ``torch.cat(inputs, dim=1)``,
    and starts from the same weights (drawn as one ``nn.Linear`` would draw
    them, then split by input), but each input is multiplied by its own
    weight matrix. So autograd computes the gradient of an input only when
    that input needs one: none for the data blocks when a network trains
    (only its covariate embeddings do), only the imputed block when the
    generator trains through the frozen discriminator. At GTEx width this
    spares a fifth of a training step's matrix products. An input given as
    None counts as zeros and costs nothing; at least one must be given.

    Parameters
    ----------
    in_widths : sequence of int
        Width of each input, in order.
    out_width : int
        Width of the output.

    Examples
    --------
    >>> import torch
    >>> from skgain._networks import BlockLinear
    >>> layer = BlockLinear([3, 2], 4)
    >>> layer([torch.ones(5, 3), torch.ones(5, 2)]).shape
    torch.Size([5, 4])
    >>> layer.in_features, layer.out_features
    (5, 4)
    """

    def __init__(self, in_widths: Sequence[int], out_width: int):
        super().__init__()
        self.in_widths = tuple(int(width) for width in in_widths)
        self.in_features = sum(self.in_widths)
        self.out_features = int(out_width)
        whole = nn.Linear(self.in_features, self.out_features)
        self.weights = nn.ParameterList(
            nn.Parameter(part.detach().clone())
            for part in whole.weight.split(self.in_widths, dim=1)
        )
        self.bias = nn.Parameter(whole.bias.detach().clone())

    def forward(self, inputs: Sequence[torch.Tensor | None]) -> torch.Tensor:
        output = self.bias
        for block, weight in zip(inputs, self.weights, strict=True):
            if block is None:
                continue
            # The gradients of a block and of its weight are as wide as it.
            if _wide_on_cpu(block, block.shape[1]):
                output = _BlockProduct.apply(output, block, weight)
            else:
                output = torch.addmm(output, block, weight.T)
        return output


class WideLinear(nn.Module):
    """A linear layer whose weight is stored input by input, for wide outputs.

    It computes what ``nn.Linear`` computes and starts from the same weights
    (drawn as ``nn.Linear`` draws them), but keeps its ``weight`` transposed,
    of shape ``(in_features, out_features)`` as Keras's ``Dense`` kernel: each
    input's row of ``out_features`` weights is contiguous, as in the first
    layer's weights. For an output as wide as the genes all three products of
    a training step then take the form their library runs fastest: the
    forward product reads the weight as it lies, the weight's gradient is as
    wide as the genes (for oneDNN, as the first layers' weight gradients) and
    the input's gradient is the product form of the first layer's forward
    pass. On 2 AMD EPYC cores this made a training step at 12,557 genes 13
    and 16 ms shorter at batch 128 in two runs (4 to 6%) and 31 ms at batch
    512 (``benchmarks/wide_products.py`` in the repository times the products
    and the steps in both layouts). On the CPU, a batch of float32 rows (a
    2-D input) gets its output and its weight's gradient through
    :func:`wide_product`, equal to ``nn.Linear``'s up to rounding, except on
    Intel processors, where ``torch.mm`` multiplies them faster.

    Parameters
    ----------
    in_features : int
        Width of the input.
    out_features : int
        Width of the output.
    bias : bool, default=True
        Whether the layer adds a learned bias.

    Attributes
    ----------
    weight : Parameter of shape (in_features, out_features)
        The transpose of ``nn.Linear``'s weight.
    bias : Parameter of shape (out_features,) or None
        As ``nn.Linear``'s bias.

    Examples
    --------
    >>> import torch
    >>> from skgain._networks import WideLinear
    >>> _ = torch.manual_seed(0)
    >>> layer = WideLinear(4, 3000)
    >>> _ = torch.manual_seed(0)
    >>> linear = torch.nn.Linear(4, 3000)
    >>> torch.equal(layer.weight, linear.weight.T)
    True
    >>> x = torch.ones(2, 4)
    >>> torch.allclose(layer(x), linear(x))
    True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        linear = nn.Linear(self.in_features, self.out_features, bias=bias)
        self.weight = nn.Parameter(linear.weight.detach().T.contiguous())
        if bias:
            self.bias = nn.Parameter(linear.bias.detach().clone())
        else:
            self.register_parameter("bias", None)
        # Marks the layout for __setstate__, which alone reads it.
        self._weight_layout = "in_out"

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_weight_layout" not in state:
            # Pickled by a development version whose WideLinear kept
            # nn.Linear's (out_features, in_features) weight.
            weight = self.weight
            if weight.shape != (self.out_features, self.in_features):
                raise ValueError(
                    f"a WideLinear({self.in_features}, {self.out_features}) "
                    f"without a weight layout has a weight of shape "
                    f"{tuple(weight.shape)}, not nn.Linear's "
                    f"{(self.out_features, self.in_features)}."
                )
            self.weight = nn.Parameter(
                weight.detach().T.contiguous(), requires_grad=weight.requires_grad
            )
            self._weight_layout = "in_out"

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.dim() == 2 and _wide_on_cpu(input, self.out_features):
            return _WideLinearProduct.apply(input, self.weight, self.bias)
        return nn.functional.linear(input, self.weight.T, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


# Products with more output columns than this go through wide_product (the
# layers' narrower products go to torch.mm as they are), and wide_product's
# MKL path multiplies one block of this many columns at a time: a block of
# the default hidden width's 256-row weights then takes 512 kB, the L2 cache
# of many processor cores.
COLUMN_BLOCK = 512


def _find_onednn_linear():
    """oneDNN's linear primitive, if this PyTorch has one that works; else None.

    The primitive (``input @ weight.T + bias``) is the operator that PyTorch
    builds with oneDNN register for ``torch.compile``'s CPU code. It is not a
    public API, so it is checked once on a small product, with a transposed
    weight as :func:`wide_product` passes it.
    """
    if not torch.backends.mkldnn.is_available():
        return None
    linear = getattr(torch.ops.mkldnn, "_linear_pointwise", None)
    if linear is None:
        return None
    generator = torch.Generator().manual_seed(0)
    left, right, bias = (
        torch.randn(*shape, generator=generator, dtype=torch.float32)
        for shape in [(3, 4), (4, 5), (5,)]
    )
    try:
        product = linear(left, right.T, bias, "none", [], "")
    except (RuntimeError, TypeError):
        return None
    expected = torch.addmm(bias, left, right)
    if product.shape != expected.shape or not torch.allclose(product, expected):
        return None
    return linear


_ONEDNN_LINEAR = _find_onednn_linear()


def _cpu_vendor(cpuinfo: str = "/proc/cpuinfo") -> str | None:
    """The processor's vendor (``"GenuineIntel"``, ``"AuthenticAMD"``), if known.

    Read from Linux's ``cpuinfo``; None where there is none or it names no
    vendor.
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as file:
            for line in file:
                key, _, value = line.partition(":")
                if key.strip() == "vendor_id":
                    return value.strip()
    except OSError:
        pass
    return None


def _custom_wide_products(vendor: str | None) -> bool:
    """Whether the layers should use wide_product on a processor of ``vendor``."""
    return vendor != "GenuineIntel"


# Whether the layers hand their gene-wide CPU products to wide_product. On
# Intel processors torch.mm is MKL at home: on 2 cores of a Xeon with
# AVX-512 and AMX it ran them at 280-290 GFLOP/s in one call where oneDNN
# ran them at 230-245, and a training step at GTEx width and batch 256 took
# 222-224 ms instead of 232-249, stepped in turn (benchmarks/wide_products.py
# in the repository). On 2 cores of an AMD EPYC with AVX2, MKL ran them at 37-58
# GFLOP/s in one call and oneDNN at 61-126 (see wide_product).
_CUSTOM_WIDE_PRODUCTS = _custom_wide_products(_cpu_vendor())


def _wide_on_cpu(input: torch.Tensor, n_columns: int) -> bool:
    """Whether a product of ``input`` with ``n_columns`` outputs needs wide_product.

    Wider than ``COLUMN_BLOCK``, float32 on the CPU, outside autocast, on a
    processor whose ``torch.mm`` does not run such products well itself.
    """
    # GPUs need none of it; under autocast the products change dtype, which
    # the output of wide_product would not follow.
    return (
        _CUSTOM_WIDE_PRODUCTS
        and n_columns > COLUMN_BLOCK
        and input.device.type == "cpu"
        and input.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
    )


def _uses_onednn(left: torch.Tensor) -> bool:
    """Whether :func:`wide_product` hands a product of ``left`` to oneDNN."""
    return (
        _ONEDNN_LINEAR is not None
        and torch.backends.mkldnn.enabled
        and left.device.type == "cpu"
        and left.dtype == torch.float32
        # oneDNN has no primitive for an empty inner dimension (the weight
        # gradient of a batch of 0 rows); torch.mm gives zeros.
        and left.shape[1] > 0
    )


def wide_product(
    left: torch.Tensor, right: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """``left @ right`` (plus ``bias``) for an output thousands of columns wide.

    A product with a few hundred rows and thousands of columns, as a layer
    as wide as the genes makes, runs far below the processor's peak in
    PyTorch's ``torch.mm`` on some CPUs: on 2 AMD EPYC cores (AVX2), MKL's
    float32 ``sgemm`` ran the training step's such products at 37 to 58
    GFLOP/s in one call and 56 to 100 in blocks of 512 columns, against
    about 130 for square matrices, and oneDNN's linear primitive ran them at
    61 to 126 (``benchmarks/wide_products.py`` in the repository measures
    the three ways). On the CPU in float32 this function hands the product
    to oneDNN, unless PyTorch has no working oneDNN primitive or
    ``torch.backends.mkldnn.enabled`` is False; otherwise it calls
    ``torch.mm`` one block of ``COLUMN_BLOCK`` output columns at a time.
    On Intel processors the layers do not call it: there ``torch.mm``, one
    call per product, was the fastest of the three (on a Xeon with AVX-512
    and AMX). Other processors were not measured. Each
    output entry is a sum over the same inner dimension, but the libraries
    may order it differently, so results agree with ``left @ right`` to
    rounding. Not differentiable: the layers call it from autograd Functions.

    Parameters
    ----------
    left : Tensor of shape (n_rows, n_inner)
        Left factor.
    right : Tensor of shape (n_inner, n_columns)
        Right factor; any strides.
    bias : Tensor of shape (n_columns,), default=None
        Added to every row of the product.

    Returns
    -------
    product : Tensor of shape (n_rows, n_columns)
        Contiguous, of ``left``'s dtype and device.

    Examples
    --------
    >>> import torch
    >>> from skgain._networks import wide_product
    >>> left, right = torch.randn(3, 4), torch.randn(4, 1500)
    >>> torch.allclose(wide_product(left, right), left @ right, atol=1e-5)
    True
    """
    if _uses_onednn(left):
        # The primitive takes the weight as (out, in), as nn.Linear keeps it.
        # A bias of other strides would be read wrongly, not rejected.
        bias = None if bias is None else bias.contiguous()
        return _ONEDNN_LINEAR(left, right.T, bias, "none", [], "")
    n_columns = right.shape[1]
    output = left.new_empty(left.shape[0], n_columns)
    for start in range(0, n_columns, COLUMN_BLOCK):
        columns = slice(start, start + COLUMN_BLOCK)
        if bias is None:
            torch.mm(left, right[:, columns], out=output[:, columns])
        else:
            torch.addmm(bias[columns], left, right[:, columns], out=output[:, columns])
    return output


def _save_product_operands(ctx, input, weight, needs_input_grad, needs_weight_grad):
    """Save the operands of a layer's product that its gradients need.

    The gradient of each operand needs the other one only: saving an input
    (batch by genes) that no gradient needs would keep it until the backward
    pass for nothing.
    """
    ctx.save_for_backward(
        input if needs_weight_grad else None,
        weight if needs_input_grad else None,
    )


class _BlockProduct(torch.autograd.Function):
    """``addmm(accumulated, block, weight.T)`` with gene-wide gradients apart.

    The forward product sums over the wide dimension and is left to
    ``torch.addmm``; the gradients of ``block`` and ``weight`` are as wide as the
    genes and go through :func:`wide_product`.
    """

    @staticmethod
    def forward(ctx, accumulated, block, weight):
        _save_product_operands(ctx, block, weight, *ctx.needs_input_grad[1:])
        ctx.accumulated_dim = accumulated.dim()
        return torch.addmm(accumulated, block, weight.T)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        block, weight = ctx.saved_tensors
        grad_accumulated = grad_block = grad_weight = None
        if ctx.needs_input_grad[0]:
            # The bias is broadcast over the rows of the batch.
            grad_accumulated = grad if ctx.accumulated_dim == 2 else grad.sum(0)
        if ctx.needs_input_grad[1]:
            grad_block = wide_product(grad, weight)
        if ctx.needs_input_grad[2]:
            grad_weight = wide_product(grad.T, block)
        return grad_accumulated, grad_block, grad_weight


class _WideLinearProduct(torch.autograd.Function):
    """``input @ weight + bias``, the wide products by :func:`wide_product`.

    ``weight`` is :class:`WideLinear`'s, of shape ``(in_features,
    out_features)``. The output and the weight's gradient are as wide as the
    genes and go through :func:`wide_product`; the input's gradient sums over
    the genes and is left to ``torch.mm``.
    """

    @staticmethod
    def forward(ctx, input, weight, bias):
        _save_product_operands(ctx, input, weight, *ctx.needs_input_grad[:2])
        return wide_product(input, weight, bias)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad @ weight.T
        if ctx.needs_input_grad[1]:
            grad_weight = wide_product(input.T, grad)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(0)
        return grad_input, grad_weight, grad_bias


def draw_weights(network: nn.Module, generator: torch.Generator) -> None:
    """Draw the parameters of ``network``, a CPU module, from ``generator``.

    Each layer gets the values its constructor draws from PyTorch's global
    generator (``nn.Linear``'s and ``nn.Embedding``'s rules, layer after layer
    in the order they were built) when that generator is seeded as
    ``generator`` is; but no global state is read or changed, so that fits
    running in threads draw each their own weights.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skgain._networks import WideLinear, draw_weights
    >>> layer = nn.Sequential(nn.Embedding(3, 2), WideLinear(2, 4))
    >>> draw_weights(layer, torch.Generator().manual_seed(0))
    >>> _ = torch.manual_seed(0)
    >>> reference = nn.Sequential(nn.Embedding(3, 2), WideLinear(2, 4))
    >>> all(torch.equal(a, b) for a, b in zip(layer.parameters(),
    ...                                       reference.parameters()))
    True
    """
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, generator=generator)
            elif isinstance(module, BlockLinear):
                weight, bias = _draw_linear(
                    module.in_features, module.out_features, True, generator
                )
                blocks = weight.split(module.in_widths, dim=1)
                for parameter, block in zip(module.weights, blocks, strict=True):
                    parameter.copy_(block)
                module.bias.copy_(bias)
            elif isinstance(module, WideLinear):
                weight, bias = _draw_linear(
                    module.in_features,
                    module.out_features,
                    module.bias is not None,
                    generator,
                )
                module.weight.copy_(weight.T)
                if bias is not None:
                    module.bias.copy_(bias)
            elif not isinstance(module, _LAYERS_WITHOUT_OWN_WEIGHTS) and any(
                True for _ in module.parameters(recurse=False)
            ):
                raise TypeError(f"no rule to draw the weights of {module}")


# Modules whose parameters, if any, are drawn by the layer that holds them
# (a BlockLinear's ParameterList) or by the layers inside them.
_LAYERS_WITHOUT_OWN_WEIGHTS = (nn.Sequential, nn.ModuleList, nn.ParameterList, nn.ReLU)


def _draw_linear(in_features, out_features, bias, generator):
    """Weight (out x in) and bias as ``nn.Linear.reset_parameters`` draws them."""
    # In float32, as the networks are: a draw is rounded from float64 otherwise.
    weight = torch.empty(out_features, in_features, dtype=torch.float32)
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if not bias:
        return weight, None
    bound = 1 / math.sqrt(in_features) if in_features > 0 else 0
    return weight, nn.init.uniform_(
        torch.empty(out_features, dtype=torch.float32),
        -bound,
        bound,
        generator=generator,
    )


class _ConditionedPerceptron(nn.Module):
    """A perceptron over ``n_blocks`` feature-wide inputs plus the covariates.

    The first layer is a :class:`BlockLinear` over the blocks and the
    covariates; ReLU hidden layers and a linear output follow.

    Parameters
    ----------
    n_blocks : int
        Number of inputs as wide as the features (3 for G, 2 for D).
    n_features : int
        Number of features; also the width of the output.
    cardinalities : sequence of int
        Number of categories of each categorical covariate.
    n_numerical : int
        Number of numerical covariates.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer (at least one).
    """

    def __init__(
        self,
        n_blocks: int,
        n_features: int,
        cardinalities: Sequence[int],
        n_numerical: int,
        hidden_layer_sizes: Sequence[int],
    ):
        super().__init__()
        self.covariates = CovariateEmbedding(cardinalities, n_numerical)
        widths = [*hidden_layer_sizes, n_features]
        in_widths = [n_features] * n_blocks + [self.covariates.output_width]
        layers: list[nn.Module] = [BlockLinear(in_widths, widths[0])]
        for width, next_width in zip(widths[:-1], widths[1:]):
            layers += [nn.ReLU(), WideLinear(width, next_width)]
        self.body = nn.Sequential(*layers)

    def _run(self, blocks, codes, numerical) -> torch.Tensor:
        """The network on its blocks; a block given as None is all zeros."""
        return self.body([*blocks, self.covariates(codes, numerical)])


class Generator(_ConditionedPerceptron):
    """Imputes every feature from the observed ones, noise and covariates.

    Its input is ``[x * m, z * (1 - m), m, covariates]`` (paper eq. 1): the
    noise ``z`` enters as a separate block rather than written into ``x``.
    Its output is linear: one value per feature. ``noise=None`` means zero
    noise, computed without the noise block's share of the first layer.
    """

    def __init__(self, n_features, cardinalities, n_numerical, hidden_layer_sizes):
        super().__init__(3, n_features, cardinalities, n_numerical, hidden_layer_sizes)

    def forward(
        self,
        values: torch.Tensor,
        mask: torch.Tensor,
        noise: torch.Tensor | None,
        codes: torch.Tensor,
        numerical: torch.Tensor,
    ) -> torch.Tensor:
        # z - z*m == z*(1-m) exactly for a 0/1 mask, in one pass instead of two.
        hidden_noise = (
            None if noise is None else torch.addcmul(noise, noise, mask, value=-1)
        )
        blocks = [values * mask, hidden_noise, mask]
        return self._run(blocks, codes, numerical)


class Discriminator(_ConditionedPerceptron):
    """Scores, per feature, how likely an entry was observed (logits).

    Its input is ``[x_hat, hint, covariates]`` (paper eq. 3).
    """

    def __init__(self, n_features, cardinalities, n_numerical, hidden_layer_sizes):
        super().__init__(2, n_features, cardinalities, n_numerical, hidden_layer_sizes)

    def forward(
        self,
        imputed: torch.Tensor,
        hint: torch.Tensor,
        codes: torch.Tensor,
        numerical: torch.Tensor,
    ) -> torch.Tensor:
        return self._run([imputed, hint], codes, numerical)
