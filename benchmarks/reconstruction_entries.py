# SPDX-License-Identifier: BSD-3-Clause
"""Measure which entries the reconstruction loss should cover, on narrow and wide data.

``reconstruction_entries="input"`` is the published loss (entries shown to the
generator); ``"known"`` also covers observed entries hidden by the training
mask. Both are scored by R^2 on the masked entries of held-out rows, 50% MCAR,
on low-rank data with noise, for a narrow and a wide table.

Run: ``python -m benchmarks.reconstruction_entries [--repeats 3]``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skgain import GAINImputer

SHAPES = {"narrow": (1500, 20), "wide": (1500, 2000)}


def low_rank_table(n_samples, n_features, rank, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, rank)) @ rng.normal(size=(rank, n_features))
    X /= np.sqrt(rank)
    return X + 0.5 * rng.normal(size=X.shape), rng


def held_out_r2(X, X_imputed, mask, train_mean):
    columns = np.nonzero(mask)[1]
    residual = ((X_imputed[mask] - X[mask]) ** 2).sum()
    return 1 - residual / ((X[mask] - train_mean[columns]) ** 2).sum()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| data | adversarial | reconstruction_entries | R^2 (mean +- sd) | fit s |")
    print("| --- | --- | --- | --- | --- |")
    for name, (n_samples, n_features) in SHAPES.items():
        for adversarial in (True, False):
            for entries in ("input", "known"):
                scores, seconds = [], []
                for repeat in range(args.repeats):
                    X, rng = low_rank_table(n_samples, n_features, 5, repeat)
                    mask = rng.uniform(size=X.shape) < 0.5
                    X_missing = np.where(mask, np.nan, X)
                    train, test = slice(0, 1000), slice(1000, None)
                    imputer = GAINImputer(
                        adversarial=adversarial,
                        reconstruction_entries=entries,
                        random_state=repeat,
                    )
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        imputer.fit(X_missing[train])
                    seconds.append(time.perf_counter() - start)
                    X_imputed = imputer.transform(X_missing[test])
                    scores.append(
                        held_out_r2(
                            X[test], X_imputed, mask[test], X[train].mean(axis=0)
                        )
                    )
                print(
                    f"| {name} {n_samples}x{n_features} | {adversarial} | {entries} "
                    f"| {np.mean(scores):.3f} +- {np.std(scores):.3f} "
                    f"| {np.mean(seconds):.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
