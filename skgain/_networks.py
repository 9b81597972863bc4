# SPDX-License-Identifier: BSD-3-Clause
"""The generator and discriminator networks of GAIN with covariates.

Both are plain multilayer perceptrons (ReLU hidden layers, linear output) whose
input is the expression vector with its mask, concatenated with the sample
covariates: learned embeddings of the categorical ones and the standardised
numerical ones. Generator and discriminator have separate embedding tables.
"""

import math
from collections.abc import Sequence

import torch
from torch import nn


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


def _perceptron(
    n_inputs: int, hidden_layer_sizes: Sequence[int], n_outputs: int
) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_inputs
    for hidden in hidden_layer_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


class _ConditionedPerceptron(nn.Module):
    """A perceptron over ``n_blocks`` feature-wide inputs plus the covariates.

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
        Width of each hidden layer.
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
        self.n_features = n_features
        self.covariates = CovariateEmbedding(cardinalities, n_numerical)
        self.body = _perceptron(
            n_blocks * n_features + self.covariates.output_width,
            hidden_layer_sizes,
            n_features,
        )

    def _run(self, blocks, codes, numerical) -> torch.Tensor:
        """The network on its blocks; a block given as None is all zeros.

        An all-zero block adds nothing to the first layer, so its columns of
        the first weight matrix are skipped rather than multiplied by zeros:
        a third of the generator's work when imputing with zero noise.
        """
        covariates = self.covariates(codes, numerical)
        if all(block is not None for block in blocks):
            return self.body(torch.cat([*blocks, covariates], dim=1))
        first, width = self.body[0], self.n_features
        kept = [k for k, block in enumerate(blocks) if block is not None]
        weight = torch.cat(
            [first.weight[:, k * width : (k + 1) * width] for k in kept]
            + [first.weight[:, len(blocks) * width :]],
            dim=1,
        )
        inputs = torch.cat([blocks[k] for k in kept] + [covariates], dim=1)
        return self.body[1:](nn.functional.linear(inputs, weight, first.bias))


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
        hidden_noise = None if noise is None else noise * (1 - mask)
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
