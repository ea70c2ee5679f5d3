"""Figures of a fitted machine: sticks, springs and data (matplotlib, Agg backend)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

__all__ = ["pyplot", "save_figure", "draw_machine_1d", "plot_fit"]


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (imported on first use)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, out: Path | None, filename: str, *, dpi: int = 100) -> str | None:
    """Save ``fig`` as ``out/filename`` and close it; returns the path (None when ``out`` is None).

    PNGs are stored with a 256-colour adaptive palette (Pillow, which matplotlib requires):
    line plots lose nothing visible and the files are about three times smaller. The image is
    rendered in memory and written atomically (:func:`ss_mech.serialize.atomic_write`): an
    interrupted save leaves no partial file. The figure is closed in any case.
    """
    from ss_mech.serialize import atomic_write

    plt = pyplot()
    path = None
    try:
        if out is not None:
            from PIL import Image

            path = Path(out) / filename
            buffer = io.BytesIO()
            fig.savefig(buffer, dpi=dpi, format="png")
            buffer.seek(0)
            png = io.BytesIO()
            with Image.open(buffer) as image:
                image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
                    png, format="PNG", optimize=True)
            path = str(atomic_write(path, png.getvalue()))
    finally:
        plt.close(fig)
    return path


def draw_machine_1d(ax, system, x, X=None, y=None, *, label: int = 0, truth=None, alpha: float = 1.0,
                    data: bool = True, names: bool = True) -> list:
    """Draw a 1-D machine in state ``x`` on ``ax`` and return the artists.

    Sticks are the node heights joined; each spring is a segment from its data point to the
    stick line; ``X``, ``y`` default to the system's own data. ``truth`` (a function of u)
    adds the target as a dashed line, ``alpha`` fades the drawing (a start state),
    ``data=False`` leaves springs and points out and ``names=False`` keeps the artists out of
    the legend.
    """
    nodes = system.grid.node_coordinates()[:, 0]
    H = np.asarray(x).reshape(system.grid.n_nodes, system.n_labels)[:, label]
    X = system.X if X is None else np.asarray(X).reshape(-1, 1)
    y = np.asarray(system.y if y is None else y).reshape(X.shape[0], -1)[:, label]
    artists = []
    if truth is not None:
        u = np.linspace(nodes[0], nodes[-1], 400)
        artists += ax.plot(u, truth(u[:, None]), color="0.6", ls="--", lw=1, label="target" if names else None)
    if data:
        pred = system.predict(x, X)[:, label]
        artists.append(ax.vlines(X[:, 0], y, pred, color="tab:green", lw=1.2, alpha=0.8 * alpha,
                                 label="springs" if names else None))
    artists += ax.plot(nodes, H, "-o", color="tab:brown", lw=3, ms=5, alpha=alpha, label="sticks" if names else None)
    if data:
        artists += ax.plot(X[:, 0], y, "o", color="tab:blue", ms=4, label="data" if names else None)
    ax.set_xlabel("input u")
    ax.set_ylabel("height")
    return artists


def plot_fit(reg, X, y, *, path: str, truth=None):
    """Save a figure of a fitted :class:`SpringsSticksRegressor` with its training data."""
    plt = pyplot()
    system = reg.system_
    d = system.grid.dim
    if d == 1:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        draw_machine_1d(ax, system, reg.x_, X, y, truth=truth)
        ax.legend(loc="best", fontsize=8)
        ax.set_title(f"{system.grid.n_sticks[0]} sticks, {len(X)} springs")
    elif d == 2:
        fig = plt.figure(figsize=(10, 4))
        ax = fig.add_subplot(1, 2, 1, projection="3d")
        nodes = system.grid.node_coordinates()
        H = reg.x_.reshape(system.grid.shape + (system.n_labels,))[..., 0]
        U0, U1 = nodes[:, 0].reshape(system.grid.shape), nodes[:, 1].reshape(system.grid.shape)
        ax.plot_wireframe(U0, U1, H, color="tab:brown", lw=1.5)
        ax.scatter(X[:, 0], X[:, 1], np.asarray(y).reshape(len(X), -1)[:, 0], s=6, color="tab:blue")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("sticks (wireframe) and data")
        ax2 = fig.add_subplot(1, 2, 2)
    else:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        pred = reg.predict(X)
        ax.plot(np.ravel(y), np.ravel(pred), ".", ms=3)
        ax.set_xlabel("target")
        ax.set_ylabel("prediction")
    h = reg.history_
    ax2.semilogy(h["epoch"], h["train_mse"], "-o", label="train (all points)")
    if not np.all(np.isnan(h["test_mse"])):
        ax2.semilogy(h["epoch"], h["test_mse"], "-s", label="test (held out)")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("MSE")
    ax2.legend()
    fig.tight_layout()
    from ss_mech.serialize import atomic_write

    buffer = io.BytesIO()  # rendered in memory, then written atomically: Ctrl-C leaves no partial file
    try:
        fig.savefig(buffer, dpi=120, format=Path(path).suffix.lstrip(".").lower() or "png")
    finally:
        plt.close(fig)
    atomic_write(path, buffer.getvalue())
