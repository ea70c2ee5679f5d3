"""``fit``: the paper's demonstrations — a chain relaxing onto noisy sine data, and a surface.

1-D: relaxation onto sin u
--------------------------
20 points ``u ~ U[0, 2π]``, targets ``sin u + 0.1·ε``; a chain of 6 sticks over ``[0, 2π]``,
k = M = 1, light friction γ = 1 (so the sticks visibly swing), T = 0, starting at rest from
heights uniform in [0, 1). All 20 springs pull at once; the Langevin integrator follows

    M ẍ = −k Wᵀ(W x − y) − γ M ẋ

until the slowest mode has decayed by ``e^{−25}``. Two things are checked, not assumed:

* the end state is the least-squares fit ``argmin ‖W x − y‖²`` (the T = 0 fixed point, unique
  because every node carries a spring), to integrator accuracy;
* the first law for the noiseless machine: the energy lost, ``E(0) − E(t)`` with
  ``E = ½vᵀMv + U``, equals the friction heat ``D(t) = ∫ vᵀΓv dt``.

The figure draws the sticks (straight segments between node heights), every spring (a
segment from its data point to the stick line above or below it) and the data, at the start
and at the end, next to the energies over time; an animated GIF shows the relaxation.

2-D: a surface
--------------
``f(x, y) = x² + y²`` on ``[−1, 1]²``, 200 training and 100 held-out points with noise 0.02;
a 5 × 5 grid of sticks trained with the paper's mini-batch protocol through
:class:`~ss_mech.regressor.SpringsSticksRegressor` (batches of 16, 1.0 time unit each, γ = 10,
T = 0, 10 epochs, reshuffled). Reported: train and held-out MSE per epoch and the
least-squares optimum of the same bilinear model.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ss_mech.oracles import least_squares
from ss_mech.grid import Grid
from ..plotting import draw_machine_1d
from ss_mech.regressor import SpringsSticksRegressor
from ss_mech.serialize import atomic_write
from ss_mech.spectrum import slowest_rate
from ss_mech.system import System
from ._common import format_table, label_axes, pyplot, reproduction, require_complete, save_figure, simulate

__all__ = ["relax_sine", "fit_surface", "run"]


def relax_sine(*, n_sticks: int = 6, n_points: int = 20, noise: float = 0.1, friction: float = 1.0,
               seed: int = 0, n_out: int = 301) -> dict:
    """Relax the chain onto the sine data at T = 0; returns the system, trajectory and checks."""
    rng = np.random.default_rng(seed)
    u = np.sort(rng.uniform(0.0, 2 * np.pi, n_points))
    y = np.sin(u) + noise * rng.standard_normal(n_points)
    system = System(Grid((n_sticks,), (0.0,), (2 * np.pi,)), mass=1.0, stiffness=1.0, friction=friction,
                    X=u[:, None], y=y)
    t_end = 25.0 / slowest_rate(system, free_modes="position")
    traj = simulate(system, t_end=t_end, seed=seed, n_out=n_out, method="srk")
    x_ls, mse_ls = least_squares(system)
    E = traj.energy[:, 0]
    first_law = float(np.max(np.abs((E[0] - E) - traj.dissipated[:, 0])) / E[0])
    return {"system": system, "trajectory": traj, "x_ls": x_ls, "mse_ls": mse_ls,
            "mse_end": float(traj.loss[-1, 0]), "max_height_diff": float(np.abs(traj.x_end[0] - x_ls).max()),
            "first_law_rel": first_law, "t_end": t_end}


def fit_surface(*, n_sticks: int = 5, epochs: int = 10, seed: int = 0) -> dict:
    """Train the 2-D machine on the paraboloid with the mini-batch protocol."""
    rng = np.random.default_rng(seed)
    f = lambda u: u[:, 0] ** 2 + u[:, 1] ** 2
    X, X_test = rng.uniform(-1, 1, (200, 2)), rng.uniform(-1, 1, (100, 2))
    y, y_test = f(X) + 0.02 * rng.standard_normal(200), f(X_test) + 0.02 * rng.standard_normal(100)
    reg = SpringsSticksRegressor(n_sticks, u_min=-1.0, u_max=1.0, friction=10.0, time_per_batch=1.0,
                                 batch_size=16, epochs=epochs, seed=seed)
    reg.fit(X, y, eval_set=(X_test, y_test))
    require_complete(reg.interrupted_)
    x_ls, mse_ls = least_squares(reg.system_.with_data(X, y))
    test_ls = float(np.mean((reg.system_.predict(x_ls, X_test)[:, 0] - y_test) ** 2))
    return {"regressor": reg, "X": X, "y": y, "ls": (mse_ls, test_ls)}


def _figure_1d(r: dict, out: Path | None) -> str | None:
    plt = pyplot()
    system, traj = r["system"], r["trajectory"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    u = np.linspace(0, 2 * np.pi, 300)
    ax.plot(u, np.sin(u), color="0.5", ls="--", lw=1, label="sin u")
    draw_machine_1d(ax, system, traj.x[0, 0], alpha=0.3, data=False, names=False)
    draw_machine_1d(ax, system, traj.x_end[0])
    label_axes(ax, "input u", "height", f"{system.grid.n_sticks[0]} sticks, {system.n_points} springs: start "
               f"(faded) and end (t = {traj.t[-1]:.0f})", legend={"fontsize": 8, "loc": "lower left"})
    t = traj.t
    ax2.plot(t, traj.kinetic[:, 0], label="kinetic K")
    ax2.plot(t, traj.potential[:, 0], label="potential U (springs)")
    ax2.plot(t, traj.energy[0, 0] - traj.energy[:, 0], lw=3, alpha=0.4, label="E(0) − E(t)")
    ax2.plot(t, traj.dissipated[:, 0], "k--", lw=1, label="friction heat D(t)")
    ax2.axhline(0.5 * system.stiffness * system.n_points * r["mse_ls"], color="tab:orange", ls=":", lw=1,
                label="U at least squares")
    ax2.set_yscale("log")
    ax2.set_ylim(1e-4, 3 * traj.energy[0, 0])
    label_axes(ax2, "time", "energy (k · height²)", "energy books (T = 0)", legend={"fontsize": 8})
    fig.tight_layout()
    return save_figure(fig, out, "fit1d.png", dpi=80)


def _animation_1d(r: dict, out: Path, *, t_show: float = 12.0, frames: int = 40) -> str | None:
    """GIF of the first ``t_show`` time units of the relaxation (needs Pillow)."""
    try:
        from matplotlib.animation import FuncAnimation, PillowWriter
        import PIL  # noqa: F401
    except ImportError:
        return None
    plt = pyplot()
    system, traj = r["system"], r["trajectory"]
    idx = np.unique(np.linspace(0, np.searchsorted(traj.t, min(t_show, traj.t[-1])), frames).astype(int))
    fig, ax = plt.subplots(figsize=(4.5, 2.8))
    lo = min(traj.x[idx, 0].min(), system.y.min()) - 0.2
    hi = max(traj.x[idx, 0].max(), system.y.max()) + 0.2

    def frame(i):
        ax.clear()
        draw_machine_1d(ax, system, traj.x[idx[i], 0])
        ax.set_ylim(lo, hi)
        label_axes(ax, "input u", "height", f"t = {traj.t[idx[i]]:.1f}", title_size=9)
        fig.tight_layout()
        return []

    path = Path(out) / "fit1d_relaxation.gif"
    try:
        # matplotlib's writers want a file name: render into a scratch folder, then write the
        # finished GIF atomically (an interrupted save leaves no partial file in ``out``)
        with tempfile.TemporaryDirectory() as scratch:
            draft = Path(scratch) / path.name
            FuncAnimation(fig, frame, frames=len(idx)).save(draft, writer=PillowWriter(fps=10), dpi=60)
            atomic_write(path, draft.read_bytes())
    finally:
        plt.close(fig)
    return str(path)


def _figure_2d(r: dict, out: Path | None) -> str | None:
    plt = pyplot()
    reg, X, y = r["regressor"], r["X"], r["y"]
    system = reg.system_
    fig = plt.figure(figsize=(11, 4.2))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    nodes = system.grid.node_coordinates()
    shape = system.grid.shape
    ax.plot_wireframe(nodes[:, 0].reshape(shape), nodes[:, 1].reshape(shape), reg.heights_[..., 0],
                      color="tab:brown", lw=1.5, label="sticks")
    pred = reg.predict(X)
    for (a, b), yt, yp in zip(X, y, pred):
        ax.plot([a, a], [b, b], [yt, yp], color="tab:green", lw=0.7)
    ax.scatter(X[:, 0], X[:, 1], y, s=5, color="tab:blue", label="data")
    label_axes(ax, "x", "y", f"x² + y²: {system.grid.n_sticks[0]}×{system.grid.n_sticks[1]} sticks, "
                             f"springs to {len(X)} points")
    ax.view_init(elev=25, azim=-60)
    ax2 = fig.add_subplot(1, 2, 2)
    h = reg.history_
    ax2.semilogy(h["epoch"], h["train_mse"], "-o", ms=3, label="train (all points)")
    ax2.semilogy(h["epoch"], h["test_mse"], "--s", ms=3, label="test (held out)")
    ax2.axhline(r["ls"][1], color="k", ls=":", lw=1, label="least-squares optimum (test)")
    label_axes(ax2, "epoch", "MSE", "mini-batches of 16, 1 time unit each, γ = 10, T = 0", legend={"fontsize": 8})
    fig.tight_layout()
    return save_figure(fig, out, "fit2d.png", dpi=80)


@reproduction("fit")
def run(*, out: Path | None, quick: bool, progress: bool, seed: int) -> dict:
    """The 1-D sine relaxation (+ GIF) and the 2-D surface fit.

    ``quick``: no GIF, the surface trained for 3 epochs on a 4 × 4 grid.
    """
    r1 = relax_sine(seed=seed)
    r2 = fit_surface(seed=seed, epochs=3 if quick else 10, n_sticks=4 if quick else 5)
    h = r2["regressor"].history_
    figures = []
    if out is not None:
        figures = [_figure_1d(r1, out), _figure_2d(r2, out)]
        if not quick:
            figures.append(_animation_1d(r1, out))
    one_d = {"n_sticks": r1["system"].grid.n_sticks[0], "points": r1["system"].n_points, "t_end": r1["t_end"],
             "mse_end": r1["mse_end"], "mse_least_squares": r1["mse_ls"], "max_height_diff": r1["max_height_diff"],
             "first_law_rel_error": r1["first_law_rel"], "steps": r1["trajectory"].stats["steps"]}
    two_d = {"n_sticks": list(r2["regressor"].system_.grid.n_sticks), "epochs": h["epoch"][-1],
             "train_mse": h["train_mse"], "test_mse": h["test_mse"],
             "least_squares_train": r2["ls"][0], "least_squares_test": r2["ls"][1]}
    table = format_table(["", "value"], [
        ["1-D sine: MSE at the end of the relaxation", f"{r1['mse_end']:.5f}"],
        ["1-D sine: MSE of the least-squares fit", f"{r1['mse_ls']:.5f}"],
        ["1-D sine: max |x_end − x_LS|", f"{r1['max_height_diff']:.1e}"],
        ["1-D sine: first law, max |E(0) − E(t) − D(t)| / E(0)", f"{r1['first_law_rel']:.1e}"],
        [f"2-D x² + y²: train / test MSE after {h['epoch'][-1]} epochs", f"{h['train_mse'][-1]:.5f} / {h['test_mse'][-1]:.5f}"],
        ["2-D x² + y²: least-squares optimum train / test", f"{r2['ls'][0]:.5f} / {r2['ls'][1]:.5f}"],
    ], title="Fits (T = 0)")
    return {"fit1d": one_d, "fit2d": two_d, "table": table, "figures": [f for f in figures if f]}
