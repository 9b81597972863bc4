# SPDX-License-Identifier: BSD-3-Clause
"""Draw the explanatory figures of the user guide with matplotlib.

``docs/conf.py`` calls :func:`main` at the start of every build; the PNGs land
in ``docs/gen_modules/figures/``, which is not under version control. A figure
is only rewritten when its content changed, so that Sphinx does not rebuild
the pages showing it for nothing.

Run by hand: ``python docs/_scripts/make_figures.py [output-folder]``.
"""

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch  # noqa: E402

# One palette for every figure: observed values, gaps, noise, hint, networks.
OBSERVED = "#3b75af"
MISSING = "#d9d9d9"
IMPUTED = "#e1812c"
NOISE = "#9c6fb6"
HIDDEN = "#f2c14e"
NET_G = "#dbe9f6"
NET_D = "#fbe3d0"
COVARIATE = "#d5ecd4"
LOSS = "#f5f5f5"
TEXT = "#222222"

N_GENES = 8
# Which of the 8 genes of the drawn sample are observed (1) or missing (0).
MASK = np.array([1, 0, 1, 1, 0, 1, 0, 1])


def _box(ax, x, y, w, h, text, color, fontsize=10, weight="normal"):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=color,
            edgecolor="#555555",
            linewidth=1.0,
        )
    )
    ax.text(
        x + w / 2,
        y + h / 2,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        color=TEXT,
        weight=weight,
        linespacing=1.4,
    )


def _arrow(ax, start, end, color="#444444", style="-|>", rad=0.0, lw=1.3):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            color=color,
            linewidth=lw,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=2,
            shrinkB=2,
        )
    )


def _is_dark(color):
    red, green, blue, _ = matplotlib.colors.to_rgba(color)
    return 0.3 * red + 0.6 * green + 0.1 * blue < 0.5


def _vector(ax, x, y, colors, labels=None, cell=0.34):
    """A row of ``len(colors)`` cells with its lower-left corner at (x, y)."""
    for k, color in enumerate(colors):
        ax.add_patch(
            plt.Rectangle(
                (x + k * cell, y),
                cell,
                cell,
                facecolor=color,
                edgecolor="#8c8c8c",
                linewidth=0.6,
            )
        )
        if labels is not None and labels[k]:
            ax.text(
                x + (k + 0.5) * cell,
                y + cell / 2,
                labels[k],
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if _is_dark(color) else TEXT,
            )
    return x + len(colors) * cell


def architecture(path):
    """Generator and discriminator with mask, noise, hint and covariates."""
    fig, ax = plt.subplots(figsize=(12, 6.6))
    ax.set_xlim(0, 17)
    ax.set_ylim(0, 9.6)
    ax.axis("off")
    cell = 0.34

    observed_colors = [OBSERVED if m else MISSING for m in MASK]
    observed_labels = ["" if m else "?" for m in MASK]
    noise_colors = [MISSING if m else NOISE for m in MASK]
    mask_colors = ["#444444" if m else "white" for m in MASK]
    mask_labels = [str(m) for m in MASK]

    # Generator inputs.
    ax.text(0.2, 9.25, "Generator inputs", fontsize=11, weight="bold", color=TEXT)
    rows = [
        (
            8.45,
            observed_colors,
            observed_labels,
            r"$\mathbf{x} \odot \mathbf{m}$",
            "observed expression, 0 at the gaps",
        ),
        (
            7.55,
            noise_colors,
            None,
            r"$\mathbf{z} \odot (\mathbf{1}-\mathbf{m})$",
            "noise $z \\sim N(0, 1)$ at the gaps",
        ),
        (6.65, mask_colors, mask_labels, r"$\mathbf{m}$", "mask, 1 = observed"),
    ]
    for y, colors, labels, symbol, meaning in rows:
        ax.text(0.2, y + cell / 2, symbol, fontsize=11, va="center")
        _vector(ax, 1.85, y, colors, labels)
        ax.text(1.85, y + cell + 0.1, meaning, fontsize=8, color="#555555")
        end = (6.25, 7.6 + (y - 7.55) * 0.45)
        _arrow(ax, (1.85 + N_GENES * cell + 0.05, y + cell / 2), end)
    _box(
        ax,
        0.2,
        5.05,
        4.3,
        1.45,
        "covariates (G's own tables)\ntissue → embedding, width 8\n"
        "sex → embedding, width 2\nage → standardised",
        COVARIATE,
        fontsize=8.5,
    )
    _arrow(ax, (4.55, 5.9), (6.25, 6.75))

    # Generator.
    _box(
        ax,
        6.3,
        6.2,
        2.6,
        2.8,
        "Generator G\n\nDense(256) + ReLU\nDense(256) + ReLU\nDense(n genes)",
        NET_G,
        fontsize=9.5,
    )
    _arrow(ax, (8.95, 7.6), (9.6, 7.6))
    x_bar_colors = [IMPUTED] * N_GENES
    ax.text(9.65, 8.1, r"$\bar{\mathbf{x}}$: G's guess for every gene", fontsize=9)
    _vector(ax, 9.65, 7.45, x_bar_colors)

    # Combination step.
    ax.text(
        9.65,
        6.85,
        r"$\hat{\mathbf{x}} = \mathbf{m} \odot \tilde{\mathbf{x}}"
        r" + (\mathbf{1}-\mathbf{m}) \odot \bar{\mathbf{x}}$",
        fontsize=10,
    )
    ax.text(
        9.65,
        6.45,
        "keep the observed values, fill the gaps",
        fontsize=8,
        color="#555555",
    )
    imputed_colors = [OBSERVED if m else IMPUTED for m in MASK]
    _vector(ax, 9.65, 5.85, imputed_colors, ["" if m else "✓" for m in MASK])
    _arrow(ax, (12.5, 7.6), (12.5, 6.02), rad=-0.4)
    ax.text(13.05, 6.0, "imputed sample", fontsize=8, color="#555555", va="center")
    _arrow(ax, (9.65 + 4 * cell, 5.8), (10.6, 3.95))

    # Hint and discriminator covariates.
    ax.text(0.2, 4.4, "Discriminator inputs", fontsize=11, weight="bold", color=TEXT)
    hint_values = [1, 0.5, 0.5, 1, 0, 0.5, 0.5, 1]
    hint_colors = [
        "#444444" if h == 1 else ("white" if h == 0 else HIDDEN) for h in hint_values
    ]
    hint_labels = ["1" if h == 1 else ("0" if h == 0 else "½") for h in hint_values]
    ax.text(0.2, 3.45 + cell / 2, r"$\mathbf{h}$", fontsize=11, va="center")
    _vector(ax, 1.85, 3.45, hint_colors, hint_labels)
    ax.text(
        1.85,
        3.45 + cell + 0.1,
        "hint: part of the mask, ½ = not told (see below)",
        fontsize=8,
        color="#555555",
    )
    _arrow(ax, (1.85 + N_GENES * cell + 0.05, 3.45 + cell / 2), (8.25, 3.0))
    _box(
        ax,
        0.2,
        1.3,
        4.3,
        1.45,
        "covariates (D's own tables)\ntissue → embedding, width 8\n"
        "sex → embedding, width 2\nage → standardised",
        COVARIATE,
        fontsize=8.5,
    )
    _arrow(ax, (4.55, 2.0), (8.25, 2.3))

    # Discriminator.
    _box(
        ax,
        8.2,
        1.2,
        3.4,
        2.7,
        "Discriminator D\n\nDense(256) + ReLU\nDense(256) + ReLU\n"
        "Dense(n genes) → sigmoid",
        NET_D,
        fontsize=9.5,
    )
    _arrow(ax, (11.65, 2.55), (12.1, 2.55))
    probabilities = [0.9, 0.3, 0.8, 0.7, 0.4, 0.85, 0.2, 0.9]
    cmap = plt.get_cmap("Greys")
    ax.text(12.1, 3.15, r"$\hat{\mathbf{y}}$: P(gene was observed)", fontsize=9)
    _vector(
        ax,
        12.1,
        2.4,
        [cmap(0.15 + 0.7 * p) for p in probabilities],
        [f"{p:.1f}".lstrip("0") for p in probabilities],
    )

    # Losses.
    _box(
        ax,
        12.3,
        0.15,
        4.5,
        1.55,
        "D learns to tell observed from imputed\n(eq. 5, on entries the hint hides)\n"
        "G learns to fool D + to reconstruct\nknown values (eq. 6)",
        LOSS,
        fontsize=8.5,
    )
    _arrow(ax, (14.15, 2.35), (14.15, 1.75))
    ax.legend(
        handles=[
            Patch(facecolor=OBSERVED, label="observed value"),
            Patch(facecolor=MISSING, label="missing value"),
            Patch(facecolor=NOISE, label="noise"),
            Patch(facecolor=IMPUTED, label="generated value"),
            Patch(facecolor=HIDDEN, label="hint: not told"),
        ],
        loc="upper right",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8.5,
        frameon=False,
    )
    return _save(fig, path)


def hint(path):
    """Mask, hint draws, hint and the entries the discriminator is scored on."""
    rng = np.random.RandomState(3)
    n_samples, n_genes = 6, 12
    mask = (rng.uniform(size=(n_samples, n_genes)) < 0.6).astype(int)
    revealed = (rng.uniform(size=(n_samples, n_genes)) < 0.5).astype(int)
    hint_values = revealed * mask + 0.5 * (1 - revealed)
    scored = 1 - revealed

    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    panels = [
        (
            mask,
            ListedColormap(["white", "#444444"]),
            r"mask $\mathbf{m}$" + "\n1 = observed, 0 = imputed",
            lambda v: str(int(v)),
        ),
        (
            revealed,
            ListedColormap(["white", "#7aa974"]),
            r"$\mathbf{b} \sim \mathrm{Bernoulli}(p)$"
            + "\n1 = this entry is told to D",
            lambda v: str(int(v)),
        ),
        (
            hint_values,
            ListedColormap(["white", HIDDEN, "#444444"]),
            r"hint $\mathbf{h} = \mathbf{b} \odot \mathbf{m}"
            r" + \frac{1}{2}(\mathbf{1}-\mathbf{b})$" + "\n½ = D must guess",
            lambda v: {0.0: "0", 0.5: "½", 1.0: "1"}[float(v)],
        ),
        (
            scored,
            ListedColormap(["white", IMPUTED]),
            r"$\mathbf{1}-\mathbf{b}$: D is scored here (eq. 5)"
            + "\n● also imputed: G's adversarial term (eq. 6)",
            None,
        ),
    ]
    for ax, (values, cmap, title, label) in zip(axes, panels, strict=True):
        ax.imshow(
            values, cmap=cmap, vmin=values.min(), vmax=values.max(), aspect="equal"
        )
        for i in range(n_samples):
            for j in range(n_genes):
                dark = cmap(
                    (values[i, j] - values.min())
                    / max(values.max() - values.min(), 1e-9)
                )
                luminance = 0.3 * dark[0] + 0.6 * dark[1] + 0.1 * dark[2]
                text = label(values[i, j]) if label else ""
                if label is None and values[i, j] and not mask[i, j]:
                    text = "●"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if luminance < 0.5 else TEXT,
                )
        ax.set_xticks(np.arange(-0.5, n_genes, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n_samples, 1), minor=True)
        ax.grid(which="minor", color="#bbbbbb", linewidth=0.6)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(title, fontsize=9.5)
        ax.set_xlabel("genes", fontsize=8.5)
    axes[0].set_ylabel("samples in a batch", fontsize=8.5)
    fig.tight_layout()
    return _save(fig, path)


def training_mask(path):
    """What the generator is shown, and what each reconstruction loss covers."""
    rng = np.random.RandomState(7)
    n_samples, n_genes = 6, 12
    observed = rng.uniform(size=(n_samples, n_genes)) < 0.85
    keep = rng.uniform(0.5, 0.95, size=(n_samples, 1))
    shown = observed & (rng.uniform(size=(n_samples, n_genes)) < keep)
    # 0 = real gap, 1 = hidden by the training mask, 2 = shown to G.
    state = np.where(shown, 2, np.where(observed, 1, 0))
    colors = ListedColormap([MISSING, HIDDEN, OBSERVED])

    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.4))
    panels = [
        (None, "one training batch\nwhat G sees and what is hidden from it"),
        (shown, 'reconstruction_entries="input"\n(the paper): loss on shown entries'),
        (
            observed,
            'reconstruction_entries="known"\n(default): loss on all known entries',
        ),
    ]
    for ax, (in_loss, title) in zip(axes, panels, strict=True):
        ax.imshow(state, cmap=colors, vmin=0, vmax=2, aspect="equal")
        if in_loss is not None:
            for i, j in zip(*np.nonzero(in_loss), strict=True):
                ax.text(j, i, "●", ha="center", va="center", fontsize=8, color=TEXT)
        ax.set_xticks(np.arange(-0.5, n_genes, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n_samples, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.0)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(title, fontsize=9.5)
        ax.set_xlabel("genes", fontsize=8.5)
    axes[0].set_ylabel("samples", fontsize=8.5)
    fig.legend(
        handles=[
            Patch(facecolor=OBSERVED, label="observed, shown to G"),
            Patch(
                facecolor=HIDDEN, label="observed, hidden from G by the training mask"
            ),
            Patch(facecolor=MISSING, label="missing in the data"),
            plt.Line2D(
                [], [], marker="o", linestyle="", color=TEXT, label="in the loss"
            ),
        ],
        loc="lower center",
        ncol=4,
        fontsize=8.5,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return _save(fig, path)


def _save(fig, path):
    """Write the figure unless the file already holds the same image."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    data = buffer.getvalue()
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


FIGURES = {
    "gain_architecture.png": architecture,
    "gain_hint.png": hint,
    "gain_training_mask.png": training_mask,
}


def main(folder):
    """Draw every figure into ``folder``; return the paths."""
    folder = Path(folder)
    with plt.rc_context({"font.size": 9, "savefig.bbox": "tight"}):
        return [draw(folder / name) for name, draw in FIGURES.items()]


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "gen_modules" / "figures"
    for written in main(sys.argv[1] if len(sys.argv) > 1 else default):
        print(written)
