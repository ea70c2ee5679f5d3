"""``equilibrium``: which thermal noise gives the Gibbs state? (``paper`` against ``fdt``)

Setting
-------
A 1-D chain of ``N_s = 1 … 8`` sticks on ``[0, 1]`` (``N = N_s + 1`` heights), total mass M = 1,
two data springs (k = 1) per cell at a quarter and three quarters of it, so every mode is pinned
(K positive definite) and a stationary state exists; friction γ = 2, temperature T = 1, k_B = 1.
The targets are zero (the stationary *mean* is the least-squares state for both conventions and
plays no role in the fluctuations).

What a Gibbs state ``∝ exp(−(½vᵀMv + U(x))/k_BT)`` requires
--------------------------------------------------------------
``⟨K⟩ = N k_BT/2`` and ``Cov(x) = k_BT K⁻¹``. Reported as ratios (1 = Gibbs):

* ``kinetic ratio`` ``⟨½vᵀMv⟩ / (N k_BT/2)``;
* ``position ratio`` ``tr Cov(x) / tr(k_BT K⁻¹)`` (the summed variance of the node heights).

Exact values
------------
The state ``y = [x, v]`` is an Ornstein–Uhlenbeck process; its stationary covariance solves
the Lyapunov equation ``A Σ + Σ Aᵀ + B Bᵀ = 0`` (:func:`ss_mech.oracles.stationary_covariance`).

The kinetic ratio also follows from the energy balance alone. In the stationary state the
friction removes ``⟨vᵀΓv⟩ = 2γ⟨K⟩`` per unit time (Γ = γM) and the noise injects, by Itô's
formula, ``½ tr(M · D_v)`` where ``D_v`` is the velocity-noise intensity:

* ``fdt``: ``D_v = M⁻¹ (2k_BT Γ) M⁻¹ = 2k_BTγ M⁻¹`` ⇒ ``⟨K⟩ = N k_BT/2`` (ratio 1);
* ``paper``: ``D_v = σ² I`` with ``σ² = 2k_BTγ/m_s`` ⇒ ``⟨K⟩ = k_BT tr(M) / (2 m_s)``, independent of
  the springs and of γ. In 1-D, ``tr M = N_s · 2 · (2 m_s/6)``, so the ratio is
  ``2 N_s / (3 (N_s + 1))``: 1/3 for one stick (⟨K⟩ = k_BT/3 ≈ 0.33 k_BT instead of k_BT),
  approaching 2/3 for long chains — the paper's noise runs the machine cold.

The position ratio for ``paper`` noise has no such shortcut (it depends on the springs and
γ); the Lyapunov solution gives it.

Simulation
----------
For each N_s and convention an ensemble of ``samples`` machines (256; 200 in quick mode) starts
at the mean with zero velocity and is integrated with the SRA1 scheme (``method='srk'``, strong
order 1.5 for this additive noise; Euler–Maruyama at the same step overheats the ensemble by a
few per cent) over ``t_end = 20`` (10 in quick mode) time units; the second half is averaged
over time in each sample. Error bars are the standard error over samples of those time
averages (the velocity correlation time is 1/γ = 0.5, so each average spans many correlation
times and samples are independent).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ss_mech.oracles import least_squares, stationary_covariance
from ss_mech.grid import Grid
from ss_mech.system import NOISE_CONVENTIONS, System
from ._common import format_table, pyplot, reproduction, save_figure, simulate, steps

__all__ = ["make_system", "exact_ratios", "paper_kinetic_ratio", "simulated_ratios", "run"]

FRICTION = 2.0
TEMPERATURE = 1.0


def make_system(n_sticks: int, noise: str, *, friction: float = FRICTION, temperature: float = TEMPERATURE) -> System:
    """The 1-D chain with two zero-target springs per cell (at ¼ and ¾ of each cell)."""
    X = ((np.arange(n_sticks)[:, None] + np.array([0.25, 0.75])) / n_sticks).reshape(-1, 1)
    return System(Grid((n_sticks,), (0.0,), (1.0,)), mass=1.0, stiffness=1.0, friction=friction,
                  temperature=temperature, kb=1.0, noise=noise, X=X, y=np.zeros(len(X)))


def _gibbs_position_trace(system: System) -> float:
    """``tr(k_BT K⁻¹)``."""
    kT = system.kT
    return float(kT * np.trace(np.linalg.inv(system.stiffness_matrix.toarray())))


def exact_ratios(system: System) -> dict:
    """Kinetic and position ratios (1 = Gibbs) from the exact stationary covariance."""
    N = system.n_dof
    kT = system.kT
    Sigma = stationary_covariance(system)
    kinetic = 0.5 * float(np.trace(system.mass_matrix.toarray() @ Sigma[N:, N:]))
    return {"kinetic": kinetic / (N * kT / 2), "position": float(np.trace(Sigma[:N, :N])) / _gibbs_position_trace(system)}


def paper_kinetic_ratio(system: System) -> float:
    """``tr(M) / (N m_s)``: the energy-balance value of ⟨K⟩/(N k_BT/2) under ``paper`` noise."""
    return float(system.mass_matrix.diagonal().sum() / (system.n_dof * system.stick_mass))


def simulated_ratios(system: System, *, samples: int = 256, t_end: float = 20.0, seed: int = 0) -> dict:
    """Ensemble estimates of the two ratios with standard errors (see the module docstring)."""
    N = system.n_dof
    kT = system.kT
    x_mean, _ = least_squares(system)
    traj = simulate(system, t_end=t_end, x0=x_mean, samples=samples, seed=seed, n_out=401, method="srk")
    late = traj.t >= t_end / 2
    kin = traj.kinetic[late].mean(axis=0) / (N * kT / 2)  # per-sample time averages
    dev = traj.x[late] - x_mean[None, None]
    pos = np.sum(dev * dev, axis=-1).mean(axis=0) / _gibbs_position_trace(system)
    se = lambda a: float(a.std(ddof=1) / np.sqrt(a.size))
    return {"kinetic": float(kin.mean()), "kinetic_se": se(kin), "position": float(pos.mean()), "position_se": se(pos),
            "dt": traj.meta["dt"], "steps": traj.stats["steps"]}


def _figure(n_sticks_list, rows: dict, out: Path | None) -> str | None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ns = np.asarray(n_sticks_list)
    styles = {"fdt": dict(color="tab:blue", marker="o"), "paper": dict(color="tab:red", marker="s")}
    for ax, key, label in zip(axes, ("kinetic", "position"),
                              (r"$\langle K\rangle / (N k_BT/2)$", r"$\mathrm{tr\,Cov}(x)\,/\,\mathrm{tr}(k_BT\,K^{-1})$")):
        for noise in NOISE_CONVENTIONS:
            r = rows[noise]
            exact = [e[key] for e in r["exact"]]
            ax.plot(ns, exact, "-", color=styles[noise]["color"], lw=1.5, label=f"{noise}: exact (Lyapunov)")
            if r["simulated"]:
                ax.errorbar(ns, [s[key] for s in r["simulated"]], yerr=[s[key + "_se"] for s in r["simulated"]],
                            ls="none", capsize=3, mfc="none", **styles[noise], label=f"{noise}: simulated ensemble")
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
        ax.set_xlabel("number of sticks $N_s$")
        ax.set_ylabel(label)
        ax.set_ylim(0, 1.2)
        ax.set_xticks(ns)
    axes[0].plot(ns, 2 * ns / (3 * (ns + 1)), "x", color="k", ms=6, label=r"paper: $2N_s/(3(N_s+1))$ (energy balance)")
    axes[0].set_title("kinetic energy: Gibbs = 1", fontsize=10)
    axes[1].set_title("position fluctuations: Gibbs = 1", fontsize=10)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"1-D chain, 2 springs per cell, k = M = 1, γ = {FRICTION:g}, k_BT = {TEMPERATURE:g}", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out, "equilibrium.png", dpi=80)


@reproduction("equilibrium")
def run(*, out: Path | None, quick: bool, progress: bool, seed: int) -> dict:
    """Exact and simulated equipartition ratios for both noise conventions, N_s = 1 … 8.

    ``quick``: N_s = 1 … 3, 200 samples over 10 time units.
    """
    n_sticks_list = list(range(1, 4)) if quick else list(range(1, 9))
    samples, t_end = (200, 10.0) if quick else (256, 20.0)
    rows = {noise: {"exact": [], "simulated": [], "energy_balance_kinetic": []} for noise in NOISE_CONVENTIONS}
    jobs = [(ns, noise) for ns in n_sticks_list for noise in NOISE_CONVENTIONS]
    for ns, noise in steps(jobs, desc="equilibrium", progress=progress):
        system = make_system(ns, noise)
        rows[noise]["exact"].append(exact_ratios(system))
        rows[noise]["energy_balance_kinetic"].append(1.0 if noise == "fdt" else paper_kinetic_ratio(system))
        rows[noise]["simulated"].append(simulated_ratios(system, samples=samples, t_end=t_end, seed=seed + ns))
    table_rows = []
    for i, ns in enumerate(n_sticks_list):
        row = [str(ns)]
        for noise in NOISE_CONVENTIONS:
            e, s = rows[noise]["exact"][i], rows[noise]["simulated"][i]
            row += [f"{e['kinetic']:.4f}", f"{s['kinetic']:.3f} ± {s['kinetic_se']:.3f}",
                    f"{e['position']:.4f}", f"{s['position']:.3f} ± {s['position_se']:.3f}"]
        table_rows.append(row)
    headers = ["N_s"] + [f"{noise} {q}" for noise in NOISE_CONVENTIONS
                         for q in ("⟨K⟩ exact", "⟨K⟩ sim", "var exact", "var sim")]
    one = rows["paper"]["exact"][0]["kinetic"]
    table = format_table(headers, table_rows, title=(
        f"Equipartition ratios (1 = Gibbs): ⟨K⟩/(N k_BT/2) and tr Cov(x)/tr(k_BT K⁻¹); "
        f"{samples} samples, t = {t_end:g}, second half averaged"))
    if n_sticks_list[0] == 1:  # N = 2 heights, so N k_BT/2 = k_BT and the ratio is ⟨K⟩ in units of k_BT
        table += (f"\n\nOne stick: ⟨K⟩ = {one:.4f} k_BT with paper noise, "
                  f"{rows['fdt']['exact'][0]['kinetic']:.4f} k_BT with fdt (Gibbs: 1 k_BT).")
    figure = _figure(n_sticks_list, rows, out) if out is not None else None
    return {"n_sticks": n_sticks_list, "friction": FRICTION, "temperature": TEMPERATURE, "kb": 1.0,
            "samples": samples, "t_end": t_end, "conventions": rows, "table": table,
            "figures": [figure] if figure else []}
