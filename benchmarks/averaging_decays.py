# SPDX-License-Identifier: BSD-3-Clause
"""Score several generator averages of one GTEx-sized fit, epoch by epoch.

``generator_averaging`` makes the generator that imputes a moving average of
the trained generator's weights. The averages do not feed back into training,
so one fit can keep several of them side by side: this script fits a
GAINImputer on the ``gtex-fit`` suite's table and, after each epoch, scores on
the same validation rows the estimator's own average (``base``, whose scores
are those of a normal run's log) and each extra decay given, 0 meaning the
trained generator itself. At the end it prints, for each, the best validation
score and the R^2 of imputing the table with the weights of that epoch.

It follows the training from outside, by wrapping three private methods of
``skgain._training`` during the fit; it measures, and changes nothing the
estimator does.

Run: ``python -m benchmarks.averaging_decays --seed 1 --decays 0,0.995,0.998,0.999
--gain-param max_iter=85 --gain-param tol=1e-4``.
"""

import argparse
import contextlib
import copy
import time
from unittest import mock

import numpy as np
import torch

from benchmarks._registry import METHODS
from benchmarks._runner import score_imputation
from benchmarks._speed import speed_scenario
from benchmarks._suites import add_gain_param_option
from benchmarks._throughput import GTEX_GENES, GTEX_SAMPLES, GTEX_TISSUES
from skgain import _training


class AverageWatcher:
    """Extra moving averages of the generator, kept and scored alongside a fit.

    ``watching()`` wraps the trainer's methods for the length of a ``with``
    block; ``best`` maps each decay to its best score, that epoch and its
    weights.
    """

    def __init__(self, decays):
        self.networks = dict.fromkeys(decays)
        self.best = {decay: (-np.inf, 0, None) for decay in decays}
        self.trainer = None
        self.epoch = 0

    @contextlib.contextmanager
    def watching(self):
        trainer_init = _training._Trainer.__init__
        update_average = _training._Trainer._update_average
        score = _training._ValidationSet.score

        def init(trainer, *args, **kwargs):
            trainer_init(trainer, *args, **kwargs)
            self.trainer = trainer
            for decay in self.networks:
                self.networks[decay] = (
                    trainer.generator
                    if decay == 0
                    else copy.deepcopy(trainer.generator)
                )

        @torch.no_grad()
        def update(trainer):
            update_average(trainer)
            weights = list(trainer.generator.parameters())
            for decay, network in self.networks.items():
                if decay:
                    torch._foreach_lerp_(list(network.parameters()), weights, 1 - decay)

        def scored(validation, generator):
            value = score(validation, generator)
            self._after_epoch(validation, score, value)
            return value

        with (
            mock.patch.object(_training._Trainer, "__init__", init),
            mock.patch.object(_training._Trainer, "_update_average", update),
            mock.patch.object(_training._ValidationSet, "score", scored),
        ):
            yield self

    def _after_epoch(self, validation, score, base):
        self.epoch += 1
        line = [f"epoch {self.epoch} base {base:.4f}"]
        for decay, network in self.networks.items():
            network.eval()
            value = score(validation, network)
            if value > self.best[decay][0]:
                state = {k: v.detach().clone() for k, v in network.state_dict().items()}
                self.best[decay] = (value, self.epoch, state)
            line.append(f"{decay}: {value:.4f}")
        self.trainer.generator.train()
        print(" | ".join(line), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the table")
    parser.add_argument("--decays", default="0,0.995,0.998,0.999")
    parser.add_argument("--n-samples", type=int, default=GTEX_SAMPLES)
    parser.add_argument("--n-genes", type=int, default=GTEX_GENES)
    add_gain_param_option(parser, "of the fit")
    args = parser.parse_args(argv)

    watcher = AverageWatcher([float(d) for d in args.decays.split(",")])
    params = {"verbose": 1, **dict(args.gain_param)}
    # One tissue per 20 samples at most, so that small checks keep tissues.
    n_tissues = min(GTEX_TISSUES, args.n_samples // 20)
    scenario = speed_scenario(
        args.n_samples, args.n_genes, args.seed, params, n_tissues=n_tissues
    )
    estimator = METHODS["gain-covariates"].build(scenario.context)
    X = scenario.train[[*scenario.genes, "tissue", "sex", "age"]]
    start = time.perf_counter()
    with watcher.watching():
        estimator.fit(X)
    print(f"fit {time.perf_counter() - start:.0f} s", flush=True)

    def r2():
        imputed = np.asarray(estimator.transform(X))[:, : len(scenario.genes)]
        return score_imputation(scenario, imputed.astype(np.float64))[0]

    print(f"base: best val {estimator.best_validation_score_:.4f} R^2 {r2():.4f}")
    for decay, (best, epoch, state) in watcher.best.items():
        estimator._generator.load_state_dict(state)
        print(f"decay {decay}: best val {best:.4f} (epoch {epoch}) R^2 {r2():.4f}")


if __name__ == "__main__":
    main()
