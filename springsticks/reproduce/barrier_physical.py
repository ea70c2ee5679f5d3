"""The physical version beside the paper's barrier (used by ``springsticks reproduce barrier``).

Three panels, each against an exact oracle of :mod:`ss_mech.thermo`:

* the learning threshold: ⟨MSE⟩_eq = MSE_LS + k_BT·rank(W)/(k·B) against k/k_BT, with simulated
  points (``fdt`` noise, Gibbs/Maxwell starts, so no burn-in is needed);
* the ledger through an A/B/A/B mini-batch protocol (springs on two halves of the data): the
  entropy production ΔS_tot ≥ 0, the heat and F_neq, exact;
* free energies from work: Jarzynski (EXP) and BAR estimates of ΔF between two spring sets
  (every other point → all 20) against the sample count, with the analytic ΔF; EXP's relative
  variance r is finite for this switch (0.58), so both converge.
"""
from __future__ import annotations

import numpy as np

from ss_mech.grid import Grid
from ss_mech.system import System
from ._common import simulate

__all__ = ["physical_version", "figure_physical"]


def _machine(n_sticks: int, temperature: float, stiffness: float = 1.0):
    u = np.linspace(0.0, 2 * np.pi, 20)
    y = 1 - u / 3 + 0.1 * np.sin(3 * u)
    return System(Grid((n_sticks,), (0.0,), (2 * np.pi,)), X=u[:, None], y=y, friction=1.0,
                  temperature=temperature, stiffness=stiffness)


def physical_version(*, quick: bool, seed: int) -> dict:
    from ss_mech.thermo import (Protocol, delta_free_energy, equilibrium_mse, estimate_free_energy, exp_variance,
                                initial_moments, moments)

    samples = 200 if quick else 800
    # (1) threshold: ⟨MSE⟩ in equilibrium against k/k_BT
    ratios = np.logspace(0, 3, 4 if quick else 7)
    base = _machine(3, 1.0)
    rows = []
    for i, ratio in enumerate(ratios):
        s = base.with_params(stiffness=float(ratio))
        tr = simulate(s, t_end=2.0, method="srk", x0="gibbs", v0="maxwell", samples=samples, seed=seed + i, n_out=2,
                      save_states=False)
        mse = tr.loss[-1]
        rows.append({"k_over_kT": float(ratio), "exact": equilibrium_mse(s), "sim": float(mse.mean()),
                     "se": float(mse.std(ddof=1) / np.sqrt(mse.size))})
    # (2) the ledger through A/B/A/B: springs on every other point (A), then on all 20 (B)
    s = _machine(2, 0.05)
    A, B = s.with_data(s.X[::2], s.y[::2]), s

    proto = Protocol.from_systems([A, B, A, B], 1.5)
    law = initial_moments(A, x0="gibbs", v0="maxwell")
    ts = np.linspace(0.0, proto.total_time, 121)
    m = moments(proto, ts, law.mean, law.cov)
    ledger = {"t": ts, "entropy_production": m.entropy_production, "free_energy_neq": m.free_energy_neq,
              "heat": m.heat, "work": m.work, "kT": m.kT}
    # (3) EXP and BAR against the sample count (instantaneous switch A → B, both from equilibrium)
    exact = delta_free_energy(A, B)
    r = exp_variance(A, B)
    ns = [30, 100, 300, 1000] if quick else [30, 100, 300, 1000, 3000]
    est = {"n": ns, "exact": exact, "r": r, "exp": [], "bar": []}
    for n in ns:
        for name in ("exp", "bar"):
            e = estimate_free_energy((A, B), estimator=name, samples=n, seed=seed + n)
            est[name].append((e.delta_f, e.error))
    return {"threshold": rows, "ledger": ledger, "free_energy": est}


def figure_physical(p: dict, plt):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    th = p["threshold"]
    k = [r["k_over_kT"] for r in th]
    ax.loglog(k, [r["exact"] for r in th], "-", label="⟨MSE⟩_eq = MSE_LS + k_BT·rank(W)/(k·B)")
    ax.errorbar(k, [r["sim"] for r in th], yerr=[2 * r["se"] for r in th], fmt="o", ms=4, label="simulated (±2 SE)")
    ax.set_xlabel("k / k_BT")
    ax.set_ylabel("equilibrium MSE")
    ax.set_title("the physical threshold", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[1]
    led = p["ledger"]
    ax.plot(led["t"], led["entropy_production"], label="ΔS_tot (k_B) ≥ 0")
    ax.plot(led["t"], led["heat"] / led["kT"], "--", label="⟨Q⟩/k_BT")
    ax.plot(led["t"], (led["free_energy_neq"] - led["free_energy_neq"][0]) / led["kT"], ":", label="ΔF_neq/k_BT")
    for t in (1.5, 3.0, 4.5):
        ax.axvline(t, color="0.8", lw=0.8)
    ax.set_xlabel("t (switches A→B→A→B)")
    ax.set_title("the ledger of mini-batch learning (exact)", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[2]
    fe = p["free_energy"]
    for name, marker in (("exp", "o"), ("bar", "s")):
        vals = np.array(fe[name])
        ax.errorbar(fe["n"], vals[:, 0], yerr=vals[:, 1], fmt=marker, ms=4, capsize=2, label=name.upper())
    ax.axhline(fe["exact"], color="k", lw=0.8, label="analytic ΔF")
    ax.set_xscale("log")
    ax.set_xlabel("samples n")
    ax.set_ylabel("ΔF (energy units)")
    ax.set_title(f"free energy from work (r = {fe['r']:.2g})", fontsize=10)
    ax.legend(fontsize=7)
    fig.suptitle("The physical version: threshold, ledger and free energies against exact oracles", fontsize=11)
    fig.tight_layout()
    return fig
