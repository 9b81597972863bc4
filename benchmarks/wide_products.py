# SPDX-License-Identifier: BSD-3-Clause
"""Time the gene-wide products in one call, in blocks of columns and by oneDNN.

Two measurements, both at GTEx width (12,557 genes, hidden width 256; the
steps with GAINImputer's default hidden layers), of the
three ways a product whose output is as wide as the genes can run on a CPU:
one ``torch.mm``/``torch.addmm`` call (MKL on x86), ``torch.mm`` one block of
``COLUMN_BLOCK`` columns at a time, and oneDNN's linear primitive, which
``skgain._networks.wide_product`` uses where PyTorch has it (the layers
use the one call on Intel processors, the others elsewhere):

1. Each kind of gene-wide product alone, the median of repeated calls.
2. Whole training steps: three trainers built alike, one per way, stepped in
   turn in one process (so that all see the same spells of a machine whose
   speed drifts), the median step of each; then how far the weights of the
   other two trainers are from those of the one-call trainer.

Then the same two measurements for the layout of the output layer's weight:
its three products of a training step with the weight laid out as
``nn.Linear`` keeps it (genes x hidden) and as ``skgain._networks.WideLinear``
keeps it (hidden x genes), called in turn; and whole steps of two trainers
that differ only in that layout, stepped in turn.

Run: ``python -m benchmarks.wide_products [--batch-sizes 128 512] [--steps 10]``
(``--n-genes`` to time another width).
"""

import argparse
import contextlib
import time

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from benchmarks._throughput import (
    DEFAULT_HIDDEN,
    GTEX_TISSUES,
    _batches,
    _config,
    gtex_trainer,
)
from skgain import _networks
from skgain._training import _Trainer, build_networks

N_GENES = 12557
HIDDEN = 256
WAYS = ("one call", "blocks", "oneDNN")


@contextlib.contextmanager
def _way(name):
    """Make the layers multiply the gene-wide products in the way ``name``."""
    custom, onednn = _networks._CUSTOM_WIDE_PRODUCTS, torch.backends.mkldnn.enabled
    # The layers' own switch, whatever this processor's vendor: off leaves
    # the products to torch.mm, one call each.
    _networks._CUSTOM_WIDE_PRODUCTS = name != "one call"
    torch.backends.mkldnn.enabled = name == "oneDNN"
    try:
        yield
    finally:
        _networks._CUSTOM_WIDE_PRODUCTS = custom
        torch.backends.mkldnn.enabled = onednn


def _median_ms(function, repeats=15):
    for _ in range(3):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[repeats // 2]


def _paired_medians_ms(first, second, repeats=25):
    """Median ms of two functions called in turn, so that both see the same spells."""
    for _ in range(3):
        first(), second()
    times = ([], [])
    for _ in range(repeats):
        for function, kept in zip((first, second), times):
            start = time.perf_counter()
            function()
            kept.append(time.perf_counter() - start)
    return tuple(1e3 * sorted(kept)[repeats // 2] for kept in times)


def _ways():
    """The ways this PyTorch can run: oneDNN only where it was built with it."""
    return [w for w in WAYS if w != "oneDNN" or _networks._ONEDNN_LINEAR is not None]


def products(batch_size, n_genes=N_GENES, seed=0):
    """``{product: {way: median ms}}`` for the three gene-wide kinds."""
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=generator)

    hidden, genes = draw(batch_size, HIDDEN), draw(batch_size, n_genes)
    output_weight, output_bias = draw(HIDDEN, n_genes), draw(n_genes)
    first_weight, grad_hidden = draw(HIDDEN, n_genes), draw(batch_size, HIDDEN)
    wide = _networks.wide_product
    kinds = {
        "output layer, forward (h @ W)": (
            lambda: torch.addmm(output_bias, hidden, output_weight),
            lambda: wide(hidden, output_weight, output_bias),
        ),
        "first layer, weight gradient (g.T @ x)": (
            lambda: grad_hidden.T @ genes,
            lambda: wide(grad_hidden.T, genes),
        ),
        "first layer, input gradient (g @ W)": (
            lambda: grad_hidden @ first_weight,
            lambda: wide(grad_hidden, first_weight),
        ),
    }
    times = {}
    for name, (one_call, wide_call) in kinds.items():
        times[name] = {}
        for way in _ways():
            with _way(way):
                function = one_call if way == "one call" else wide_call
                times[name][way] = _median_ms(function)
    return times


def layouts(batch_size, n_genes=N_GENES, seed=0):
    """``{product: (ms with nn.Linear's layout, ms with WideLinear's)}``.

    The output layer's forward product and its weight and input gradients,
    with the gene-wide ones through ``wide_product`` (oneDNN where PyTorch has
    it) and the input gradient, which sums over the genes, by ``torch.mm``.
    """
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=generator)

    hidden, grad_genes = draw(batch_size, HIDDEN), draw(batch_size, n_genes)
    by_genes, bias = draw(n_genes, HIDDEN), draw(n_genes)
    by_inputs = by_genes.T.contiguous()
    wide = _networks.wide_product
    kinds = {
        "output layer, forward": (
            lambda: wide(hidden, by_genes.T, bias),
            lambda: wide(hidden, by_inputs, bias),
        ),
        "output layer, weight gradient": (
            lambda: grad_genes.T @ hidden,
            lambda: wide(hidden.T, grad_genes),
        ),
        "output layer, input gradient": (
            lambda: grad_genes @ by_genes,
            lambda: grad_genes @ by_inputs.T,
        ),
    }
    return {
        name: _paired_medians_ms(linear_layout, wide_layout)
        for name, (linear_layout, wide_layout) in kinds.items()
    }


class _LinearLayoutProduct(torch.autograd.Function):
    """The output layer's products with ``nn.Linear``'s (out, in) weight.

    The forward product by ``wide_product``, the gradients by ``torch.mm``,
    each only when autograd asks for it: the form these products took in
    that layout (as ``skgain._networks._WideLinearProduct`` did then).
    """

    @staticmethod
    def forward(ctx, input, weight, bias):
        _networks._save_product_operands(ctx, input, weight, *ctx.needs_input_grad[:2])
        return _networks.wide_product(input, weight.T, bias)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad @ weight
        if ctx.needs_input_grad[1]:
            grad_weight = grad.T @ input
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(0)
        return grad_input, grad_weight, grad_bias


class _LinearLayoutWide(nn.Linear):
    """A WideLinear with its weight laid out as nn.Linear's, for comparison."""

    def forward(self, input):
        if input.dim() == 2 and _networks._wide_on_cpu(input, self.out_features):
            return _LinearLayoutProduct.apply(input, self.weight, self.bias)
        return super().forward(input)


def _with_linear_layout(network):
    """``network`` with its WideLinear layers' weights in nn.Linear's layout."""
    for index, layer in enumerate(network.body):
        if isinstance(layer, _networks.WideLinear):
            replacement = _LinearLayoutWide(layer.in_features, layer.out_features)
            with torch.no_grad():
                replacement.weight.copy_(layer.weight.T)
                replacement.bias.copy_(layer.bias)
            network.body[index] = replacement
    return network


def _median_steps_ms(trainers, batches, n_steps, context=None):
    """Median step in ms of each trainer, the trainers stepped in turn.

    Two untimed warm-up steps each first; ``context(name)``, if given, is
    entered around each step of the trainer ``name``.
    """
    times = {name: [] for name in trainers}
    for step in range(n_steps + 2):
        for name, trainer in trainers.items():
            with context(name) if context else contextlib.nullcontext():
                start = time.perf_counter()
                trainer.step(batches[step % len(batches)])
                if step >= 2:
                    times[name].append(time.perf_counter() - start)
    return {name: 1e3 * sorted(t)[len(t) // 2] for name, t in times.items()}


def layout_steps(batch_size, n_steps, n_genes=N_GENES, seed=0):
    """Median step in ms with each layout of the output layer's weight.

    Two trainers with the same initial weights, one with WideLinear's layout
    and one with nn.Linear's, stepped in turn. Returns ``({layout: ms},
    largest absolute difference between their output layers' weights)``.
    """
    config = _config(batch_size, DEFAULT_HIDDEN, True)
    trainers = {}
    for layout in ("nn.Linear", "WideLinear"):
        networks = build_networks(config, n_genes, [GTEX_TISSUES, 2], 1, seed, "cpu")
        if layout == "nn.Linear":
            networks = [_with_linear_layout(network) for network in networks]
        rng = torch.Generator().manual_seed(seed)
        trainers[layout] = _Trainer(config, *networks, rng)
    batches = _batches(n_genes, batch_size, 4, seed, "cpu")
    medians = _median_steps_ms(trainers, batches, n_steps)
    output_weights = [
        trainer.generator.body[-1].weight for trainer in trainers.values()
    ]
    difference = (output_weights[0] - output_weights[1].T).abs().max().item()
    return medians, difference


def steps(batch_size, n_steps, n_genes=N_GENES, seed=0):
    """Median step in ms of each way, and its weights' distance from one call's.

    Returns ``({way: ms}, {way: largest absolute weight difference})``.
    """
    config = _config(batch_size, DEFAULT_HIDDEN, True)
    trainers = {way: gtex_trainer(config, n_genes, seed, "cpu") for way in _ways()}
    batches = _batches(n_genes, batch_size, 4, seed, "cpu")
    medians = _median_steps_ms(trainers, batches, n_steps, context=_way)
    differences = {
        way: max(
            (a - b).abs().max().item()
            for network in ("generator", "discriminator")
            for a, b in zip(
                getattr(trainers["one call"], network).parameters(),
                getattr(trainer, network).parameters(),
            )
        )
        for way, trainer in trainers.items()
    }
    return medians, differences


def _print_table(header, rows):
    """Print a Markdown table, each row as soon as it is measured."""
    print("\n| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--n-genes", type=int, default=N_GENES)
    args = parser.parse_args(argv)
    ways = _ways()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"CPU kernels {torch.backends.cpu.get_cpu_capability()}, "
        f"blocks of {_networks.COLUMN_BLOCK} columns"
    )
    batch_sizes, n_genes = args.batch_sizes, args.n_genes
    _print_table(
        ["batch", "product", *(f"{w} ms" for w in ways)],
        (
            [str(batch_size), name, *(f"{times[w]:.1f}" for w in ways)]
            for batch_size in batch_sizes
            for name, times in products(batch_size, n_genes).items()
        ),
    )
    _print_table(
        [
            "batch",
            *(f"step, {w} ms" for w in ways),
            "largest weight difference from one call, " + ", ".join(ways[1:]),
        ],
        (
            [
                str(batch_size),
                *(f"{medians[w]:.1f}" for w in ways),
                ", ".join(f"{differences[w]:.2g}" for w in ways[1:]),
            ]
            for batch_size in batch_sizes
            for medians, differences in [steps(batch_size, args.steps, n_genes)]
        ),
    )
    _print_table(
        [
            "batch",
            "product",
            "nn.Linear's layout (genes x hidden) ms",
            "WideLinear's layout (hidden x genes) ms",
        ],
        (
            [str(batch_size), name, f"{linear:.1f}", f"{wide:.1f}"]
            for batch_size in batch_sizes
            for name, (linear, wide) in layouts(batch_size, n_genes).items()
        ),
    )
    _print_table(
        [
            "batch",
            "step, nn.Linear's layout ms",
            "step, WideLinear's layout ms",
            "largest output weight difference",
        ],
        (
            [
                str(batch_size),
                f"{medians['nn.Linear']:.1f}",
                f"{medians['WideLinear']:.1f}",
                f"{difference:.2g}",
            ]
            for batch_size in batch_sizes
            for medians, difference in [layout_steps(batch_size, args.steps, n_genes)]
        ),
    )


if __name__ == "__main__":
    main()
