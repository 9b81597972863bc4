# SPDX-License-Identifier: BSD-3-Clause
"""Time the gene-wide products in one call and in blocks of columns, on this CPU.

Two measurements, both at GTEx width (12,557 genes, hidden width 256):

1. Each kind of product whose output is as wide as the genes, alone: one
   ``torch.mm``/``torch.addmm`` call against ``skgain._networks.wide_product``
   (blocks of ``COLUMN_BLOCK`` columns), the median of repeated calls.
2. Whole training steps: two trainers built alike, one with the products in
   blocks and one without, stepped in turn in one process (so that both see
   the same spells of a machine whose speed drifts), the median step of each;
   then whether their weights are still identical to the bit.

Run: ``python -m benchmarks.column_blocks [--batch-sizes 128 512] [--steps 10]``
(``--n-genes`` to time another width).
"""

import argparse
import time

import torch

from benchmarks._throughput import _batches, _config, gtex_trainer
from skgain import _networks

N_GENES = 12557
HIDDEN = 256


def _median_ms(function, repeats=15):
    for _ in range(3):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[repeats // 2]


def products(batch_size, n_genes=N_GENES, seed=0):
    """``{product: (ms in one call, ms in blocks)}`` for the three wide kinds."""
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=generator)

    hidden, genes = draw(batch_size, HIDDEN), draw(batch_size, n_genes)
    output_weight, output_bias = draw(n_genes, HIDDEN), draw(n_genes)
    first_weight, grad_hidden = draw(HIDDEN, n_genes), draw(batch_size, HIDDEN)
    wide = _networks.wide_product
    kinds = {
        "output layer, forward (h @ W.T)": (
            lambda: torch.addmm(output_bias, hidden, output_weight.T),
            lambda: wide(hidden, output_weight.T, output_bias),
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
    return {
        name: (_median_ms(whole), _median_ms(blocked))
        for name, (whole, blocked) in kinds.items()
    }


def steps(batch_size, n_steps, n_genes=N_GENES, seed=0):
    """Median step in ms without and with blocks, and whether weights agree."""
    config = _config(batch_size, (HIDDEN, HIDDEN), True)
    trainers = {
        name: gtex_trainer(config, n_genes, seed, "cpu")
        for name in ("one call", "blocks")
    }
    batches = _batches(n_genes, batch_size, 4, seed, "cpu")
    blocked = _networks._column_blocked
    times = {name: [] for name in trainers}
    try:
        for step in range(n_steps + 2):
            for name, each in trainers.items():
                _networks._column_blocked = (
                    blocked if name == "blocks" else lambda *args: False
                )
                start = time.perf_counter()
                each.step(batches[step % len(batches)])
                if step >= 2:  # two warm-up steps
                    times[name].append(time.perf_counter() - start)
    finally:
        _networks._column_blocked = blocked
    medians = {name: 1e3 * sorted(t)[len(t) // 2] for name, t in times.items()}
    first, second = trainers.values()
    identical = all(
        torch.equal(a, b)
        for network in ("generator", "discriminator")
        for a, b in zip(
            getattr(first, network).parameters(),
            getattr(second, network).parameters(),
        )
    )
    return medians, identical


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--n-genes", type=int, default=N_GENES)
    args = parser.parse_args(argv)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"CPU kernels {torch.backends.cpu.get_cpu_capability()}, "
        f"blocks of {_networks.COLUMN_BLOCK} columns\n"
    )
    print("| batch | product | one call ms | blocks ms |")
    print("| --- | --- | --- | --- |")
    for batch_size in args.batch_sizes:
        for name, (whole, blocked) in products(batch_size, args.n_genes).items():
            row = f"| {batch_size} | {name} | {whole:.1f} | {blocked:.1f} |"
            print(row, flush=True)
    print("\n| batch | step, one call ms | step, blocks ms | weights identical |")
    print("| --- | --- | --- | --- |")
    for batch_size in args.batch_sizes:
        medians, identical = steps(batch_size, args.steps, args.n_genes)
        print(
            f"| {batch_size} | {medians['one call']:.1f} | {medians['blocks']:.1f} "
            f"| {identical} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
