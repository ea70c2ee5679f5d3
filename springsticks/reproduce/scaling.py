"""``scaling``: approximation error against the number of sticks (1-D).

Setting
-------
Target functions on ``[0, 2π]``: x², x³, sin x, exp(x/π). A chain of ``N_s`` sticks
(``N_s = 3 … 9``) spans ``[0, 2π]``; 20 data springs (k = 1) pull it towards ``f`` at the
sample points, no label noise.

The fit is the machine's **T = 0 end state**. Without noise the dynamics
``M ẍ = −K x + b − Γ ẋ`` (``K = k WᵀW``, ``b = k Wᵀy``, ``Γ = γM``) dissipates energy until
``ẋ = 0`` and ``K x = b``: the normal equations of ``min ‖W x − y‖²``. When ``W`` has full
column rank (every node pinned by some spring) ``K`` is positive definite, the fixed point
is unique and globally attracting, and the end state *is* the least-squares fit — computed
here with :func:`ss_mech.oracles.least_squares`. That this is what the integrator reaches is
checked, not assumed: for one function and one sample draw per ``N_s``, the Langevin
integrator (:func:`ss_mech.simulate`, T = 0) is run from 8 random starts until the slowest
mode has decayed by ``e^{−30}``, and its end states are compared with the least-squares
heights (``dynamics_check`` in the result).

Error and slope
---------------
``E = ∫_0^{2π} |ŷ(u) − f(u)| du``, evaluated as ``2π · mean`` over 1000 evenly spaced points.
For a smooth ``f`` a piecewise-linear fit with spacing ``h = 2π/N_s`` has error ``O(h²)``, so
``log E ≈ c − 2 log N_s``; the slope of ``log E`` against ``log N_s`` and its standard error come
from an ordinary least-squares line (``scipy.stats.linregress``) through the mean errors.

"8 runs" (three designs of the 20 sample points)
------------------------------------------------
* ``equispaced`` — the authors' script: ``linspace(0, 2π, 20)``. Its 8 runs differ only in the
  random start (and a thermal noise at T = 0.01 with k_B = 1.38·10⁻²³, i.e. none), so at T = 0
  they share one end state and have no spread. This is the design the paper's slopes belong to.
* ``jittered`` — 8 runs, each with one point drawn uniformly in each of 20 equal sub-intervals
  of ``[0, 2π]`` (seeded): the sample varies from run to run but stays spread out.
* ``random`` — 8 runs of 20 i.i.d. uniform points (seeded). A draw that leaves a node without
  any spring (``W`` column-rank deficient: the T = 0 end state would depend on the start) is
  redrawn, and redraws are counted. With ~2 points per cell at N_s = 9, some draws pin a node
  by a single distant point and the fit there is poor: the mean error then no longer falls like
  ``N_s^{−2}`` (the table shows by how much).

Mean ± std over the runs; the slope is fitted to the mean.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import linregress

from ss_mech.oracles import least_squares
from ss_mech.grid import Grid
from ss_mech.spectrum import mode_frequencies, slowest_rate
from ss_mech.system import System
from ._common import format_table, label_axes, pyplot, reproduction, save_figure, simulate, steps

__all__ = ["FUNCTIONS", "PAPER_SLOPES", "BOX", "l1_error", "sample_points", "fit_least_squares",
           "DESIGNS", "error_table", "loglog_slope", "dynamics_check", "run"]

BOX = (0.0, 2 * np.pi)
DESIGNS = ("equispaced", "jittered", "random")

#: name → (formula, f)
FUNCTIONS = {
    "x2": ("x²", lambda u: u ** 2),
    "x3": ("x³", lambda u: u ** 3),
    "sin": ("sin x", np.sin),
    "exp": ("exp(x/π)", lambda u: np.exp(u / np.pi)),
}

#: The paper's slopes (± standard error).
PAPER_SLOPES = {"x2": (-1.97, 0.01), "x3": (-1.99, 0.01), "sin": (-2.15, 0.04), "exp": (-1.98, 0.01)}


def make_system(n_sticks: int, u, y, *, friction: float = 10.0) -> System:
    """A 1-D chain of ``n_sticks`` over ``[0, 2π]`` with springs at ``u`` (k = M = 1, T = 0)."""
    return System(Grid((n_sticks,), (BOX[0],), (BOX[1],)), mass=1.0, stiffness=1.0, friction=friction,
                  X=np.asarray(u, float)[:, None], y=np.asarray(y, float))


def l1_error(system: System, x, f, *, n_grid: int = 1000) -> float:
    """``E = ∫ |ŷ − f| du`` over the box, as ``(box length) · mean`` on ``n_grid`` points."""
    u = np.linspace(BOX[0], BOX[1], n_grid)
    pred = system.predict(x, u[:, None])[:, 0]
    return float((BOX[1] - BOX[0]) * np.mean(np.abs(pred - f(u))))


def _pinned(n_sticks: int, u) -> bool:
    """Does every node of the chain carry weight from some point (W of full column rank)?"""
    W = Grid((n_sticks,), (BOX[0],), (BOX[1],)).interpolation_matrix(np.asarray(u)[:, None]).toarray()
    return np.linalg.matrix_rank(W) == n_sticks + 1


def sample_points(design: str, run: int, n_sticks: int, *, n_points: int = 20, seed: int = 0):
    """The 20 sample points of one run: ``(u, redraws)``.

    ``equispaced``: ``linspace`` over the box (``run`` is ignored). ``jittered``: one uniform point
    in each of ``n_points`` equal sub-intervals, from ``(seed, run)``. ``random``: i.i.d. uniform on
    the box from ``(seed, run)``, redrawn (from the same stream) until every node is pinned — so a
    run uses the same points for every N_s unless they leave a node free.
    """
    if design == "equispaced":
        return np.linspace(BOX[0], BOX[1], n_points), 0
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}; got {design!r}")
    rng = np.random.default_rng([seed, run])
    width = (BOX[1] - BOX[0]) / n_points
    for redraws in range(1000):
        if design == "jittered":
            u = BOX[0] + (np.arange(n_points) + rng.uniform(0.0, 1.0, n_points)) * width
        else:
            u = np.sort(rng.uniform(BOX[0], BOX[1], n_points))
        if _pinned(n_sticks, u):
            return u, redraws
    raise RuntimeError(f"could not pin {n_sticks + 1} nodes with {n_points} random points")


def fit_least_squares(n_sticks: int, u, f) -> tuple[System, np.ndarray, float]:
    """The T = 0 end state for springs at ``u``: ``(system, heights, E)``."""
    system = make_system(n_sticks, u, f(u))
    x, _ = least_squares(system)
    return system, x, l1_error(system, x, f)


def error_table(design: str, n_sticks_list, runs: int, *, seed: int = 0, progress: bool = False) -> dict:
    """E for every function, N_s and run: ``{name: {"E": (len(N_s), runs) array, "redraws": int}}``."""
    out = {}
    for name in steps(FUNCTIONS, desc=f"scaling ({design})", progress=progress):
        f = FUNCTIONS[name][1]
        E = np.zeros((len(n_sticks_list), runs))
        redraws = 0
        for i, ns in enumerate(n_sticks_list):
            for r in range(runs):
                u, extra = sample_points(design, r, ns, seed=seed)
                redraws += extra
                E[i, r] = fit_least_squares(ns, u, f)[2]
        out[name] = {"E": E, "redraws": redraws}
    return out


def loglog_slope(n_sticks_list, E_mean) -> tuple[float, float, float]:
    """``(slope, standard error, intercept)`` of the least-squares line of ``log E`` on ``log N_s``."""
    fit = linregress(np.log(np.asarray(n_sticks_list, float)), np.log(np.asarray(E_mean, float)))
    return float(fit.slope), float(fit.stderr), float(fit.intercept)


def dynamics_check(n_sticks: int, u, f, *, starts: int = 8, seed: int = 0) -> dict:
    """Integrate the T = 0 machine from ``starts`` random heights and compare with least squares.

    The friction is set critical for the softest mode, ``γ = 2 ω_min`` (the end state does not
    depend on γ; this only makes the run short), and the run lasts ``30 / (slowest decay rate)``.
    Returns the largest height difference to the least-squares fit and the L1 errors.
    """
    system, x_ls, E_ls = fit_least_squares(n_sticks, u, f)
    system = make_system(n_sticks, u, f(u), friction=2.0 * np.sqrt(mode_frequencies(system)[0]))
    t_end = 30.0 / slowest_rate(system, free_modes="position")
    x0 = np.random.default_rng([seed, n_sticks]).uniform(0.0, 1.0, (starts, system.n_dof))
    traj = simulate(system, t_end=t_end, x0=x0, samples=starts, n_out=2, save_states=False, method="srk")
    diff = np.abs(traj.x_end - x_ls[None]).max()
    E_dyn = [l1_error(system, x, f) for x in traj.x_end]
    return {"n_sticks": n_sticks, "friction": system.friction, "t_end": t_end, "steps": traj.stats["steps"],
            "max_height_diff": float(diff), "E_least_squares": E_ls, "E_dynamics_max": float(max(E_dyn))}


def _errorbars(ax, n_sticks_list, designs: dict, shown: tuple[str, ...], title: str):
    """E against N_s on log-log axes: filled markers with std bars and the fitted line for the first
    design in ``shown``, open markers joined by dotted lines for the others."""
    ns = np.asarray(n_sticks_list)
    for (name, (formula, _)), marker in zip(FUNCTIONS.items(), "os^d"):
        main = designs[shown[0]][name]
        bars = ax.errorbar(ns, main["mean"], yerr=main["std"], marker=marker, capsize=3, ls="none",
                           label=f"{formula}: {main['slope']:.2f} ± {main['slope_se']:.2f}")
        color = bars[0].get_color()
        ax.plot(ns, np.exp(main["intercept"]) * ns ** main["slope"], "-", color=color, lw=1)
        for other in shown[1:]:
            ax.plot(ns, designs[other][name]["mean"], marker=marker, ls=":", color=color, mfc="none", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.minorticks_off()
    label_axes(ax, "number of sticks $N_s$", r"$E=\int_0^{2\pi}|\hat y-f|\,du$", title, title_size=9,
               legend={"title": f"slope ± s.e. ({shown[0]})", "fontsize": 7, "title_fontsize": 7})


def _figure(n_sticks_list, designs: dict, example: dict, runs: int, out: Path | None) -> str | None:
    plt = pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4.2))
    _errorbars(ax1, n_sticks_list, designs, ("jittered", "equispaced"),
               f"filled: jittered points (mean ± std, {runs} runs)\nopen, dotted: equispaced (the authors')")
    _errorbars(ax2, n_sticks_list, designs, ("random",), f"i.i.d. uniform points (mean ± std, {runs} runs)")
    u = np.linspace(*BOX, 400)
    ax3.plot(u, np.sin(u), color="0.5", ls="--", lw=1, label="sin x")
    for n, (system, x) in example.items():
        ax3.plot(system.grid.node_coordinates()[:, 0], x, "-o", lw=2, ms=4, label=f"{n} sticks")
    pts = system.X[:, 0]
    ax3.plot(pts, np.sin(pts), "k.", ms=5, label="20 data points")
    label_axes(ax3, "u", "height", "T = 0 end states (= least squares), jittered points, run 0", title_size=9,
               legend={"fontsize": 8})
    fig.tight_layout()
    return save_figure(fig, out, "scaling.png", dpi=72)


@reproduction("scaling")
def run(*, out: Path | None, quick: bool, progress: bool, seed: int) -> dict:
    """L1 error of the T = 0 fit against N_s for three point designs; log-log slopes ± s.e.;
    a check that the integrated dynamics ends at the least-squares fit.

    ``quick``: N_s = 3 … 6, 3 runs, the dynamics check at N_s = 3 and 6 only.
    """
    n_sticks_list = list(range(3, 7)) if quick else list(range(3, 10))
    runs = 3 if quick else 8
    designs = {}
    for design in DESIGNS:
        raw = error_table(design, n_sticks_list, 1 if design == "equispaced" else runs, seed=seed, progress=progress)
        designs[design] = {}
        for name, r in raw.items():
            slope, se, intercept = loglog_slope(n_sticks_list, r["E"].mean(axis=1))
            designs[design][name] = {"mean": r["E"].mean(axis=1), "std": r["E"].std(axis=1),
                                     "median": np.median(r["E"], axis=1), "slope": slope, "slope_se": se,
                                     "intercept": intercept, "redraws": r["redraws"]}
    check_ns = [n_sticks_list[0], n_sticks_list[-1]] if quick else n_sticks_list
    f_sin = FUNCTIONS["sin"][1]
    checks = [dynamics_check(ns, sample_points("random", 0, ns, seed=seed)[0], f_sin, seed=seed)
              for ns in steps(check_ns, desc="scaling dynamics", progress=progress)]
    slope = lambda d, name: f"{designs[d][name]['slope']:.2f} ± {designs[d][name]['slope_se']:.2f}"
    rows = [[formula, slope("equispaced", name), f"{PAPER_SLOPES[name][0]:.2f} ± {PAPER_SLOPES[name][1]:.2f}",
             slope("jittered", name), slope("random", name), str(designs["random"][name]["redraws"])]
            for name, (formula, _) in FUNCTIONS.items()]
    table = format_table(["function", "equispaced", "paper", "jittered", "i.i.d. uniform", "redraws"], rows,
                         title=f"Log-log slope ± s.e. of E vs N_s = {n_sticks_list[0]}…{n_sticks_list[-1]}, 20 points "
                               f"(jittered, i.i.d.: mean of {runs} runs)")
    worst = max(checks, key=lambda c: c["max_height_diff"])
    table += (f"\n\nDynamics check (sin x, i.i.d. points, T = 0, N_s = {', '.join(str(c['n_sticks']) for c in checks)}, "
              f"8 random starts each): largest |x_dyn − x_LS| = {worst['max_height_diff']:.1e} (N_s = {worst['n_sticks']})")
    figures = []
    if out is not None:
        example = {}
        for ns in (n_sticks_list[0], n_sticks_list[-1]):
            system, x, _ = fit_least_squares(ns, sample_points("jittered", 0, ns, seed=seed)[0], f_sin)
            example[ns] = (system, x)
        figures.append(_figure(n_sticks_list, designs, example, runs, out))
    return {"n_sticks": n_sticks_list, "runs": runs, "n_points": 20, "fit": "T = 0 end state = least squares",
            "designs": designs, "paper_slopes": PAPER_SLOPES, "dynamics_check": checks, "table": table,
            "figures": figures}
