"""Energy per learning, in joules: ``springsticks energy`` and :func:`energy_report`.

A machine in reduced units (stiffness k, heights, time units) becomes a circuit with three
physical scales (DESIGN.md §3 and §6.4): ``C₀`` the capacitor of a spring of stiffness 1 (F),
``V_u`` the volts per unit height, ``τ`` the seconds per time unit. Then

    E₀ = C₀·V_u²  (J per energy unit),   α = C₀·V_u  (C per unit height),
    L = m·τ²/C₀,  R = r·τ/C₀,  C = C₀/k,   k_BT (reduced) = k_B·T / E₀,

so a physical temperature T sets the reduced bath, and every reduced energy times E₀ is joules.
From the exact Gaussian ledger (:mod:`ss_mech.thermo`) the report gives, for a target MSE:

* the time to reach it (⟨MSE⟩(t) from the exact moments), in time units and seconds;
* the heat ⟨Q⟩ dissipated until then, in J, in k_BT and in k_BT ln 2 ("bits");
* the Landauer-type minimum ``−k_BT·ΔS`` (learning compresses the state's law and must dump at
  least that much heat) and the efficiency minimum / heat. For a Gaussian start (``gibbs`` /
  ``maxwell``) ΔS is exact. For the default uniform start (the paper's) the start's entropy is
  exact (0 for the unit cube of heights, plus the Maxwell velocities') but the law at the target
  is not Gaussian, so S(t) is only bracketed, ``S_EPI ≤ S(t) ≤ S_Gauss`` (:func:`ss_mech.thermo.entropy_bounds`):
  the reported minimum, ``−k_BT(S_Gauss(t) − S₀)``, is the heat learning is *guaranteed* to need,
  and ``minimum_heat_bracket`` gives both ends. (DESIGN.md §6.4's "15.8 k_BT, 22.7 bits" takes the
  start as Gaussian too, which overstates S₀ by (N/2)·ln(2πe/12) = 0.88 nats here; its
  efficiencies, 1.4e-8 and 2.5e-3, are those of the guaranteed minimum.);
* the threshold: the smallest stiffness (equivalently volts per unit height at C₀, or signal
  energy C₀V_u²) at which ⟨MSE⟩_eq reaches the target at this temperature (DESIGN §6.2);
* the heat per epoch of mini-batch training in its periodic steady state;
* optionally, the same heat measured by a backend: the mechanical ∫vᵀΓv − ∫v∘η or the circuit's
  ∫R i² − ∫i·V_noise from ngspice, with its standard error and z against the exact value.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Units", "energy_report", "energy_sweep"]

KB_SI = 1.380649e-23
LN2 = math.log(2.0)


@dataclass(frozen=True)
class Units:
    """The physical scales of a circuit realisation (SI units).

    Attributes
    ----------
    capacitance : float
        C₀, farads: the capacitor of a data spring of stiffness 1 (a spring of stiffness k gets C₀/k).
    volts_per_unit : float
        V_u, volts per unit height (the signal scale).
    tau : float
        τ, seconds per time unit.
    temperature_k : float
        The bath, kelvin.
    """

    capacitance: float = 1e-12
    volts_per_unit: float = 1.0
    tau: float = 1e-9
    temperature_k: float = 300.0

    def __post_init__(self):
        from ss_mech.validation import positive

        for name in ("capacitance", "volts_per_unit", "tau", "temperature_k"):
            positive(getattr(self, name), name)

    @property
    def energy(self) -> float:
        """E₀ = C₀·V_u², joules per reduced energy unit."""
        return self.capacitance * self.volts_per_unit ** 2

    @property
    def kT_joules(self) -> float:
        return KB_SI * self.temperature_k

    @property
    def kT_reduced(self) -> float:
        """k_BT / E₀: the bath in the machine's units."""
        return self.kT_joules / self.energy

    def scaling(self):
        """The circuit's :class:`ss_circuit.Scaling` (α = C₀V_u, τ, ε = E₀)."""
        from ss_circuit import Scaling

        return Scaling(charge=self.capacitance * self.volts_per_unit, time=self.tau, energy=self.energy)


def _amount(reduced: float, units: Units, kT: float) -> dict:
    """An energy in J, in k_BT and in bits (k_BT ln 2)."""
    return {"reduced": float(reduced), "J": float(reduced * units.energy), "kT": float(reduced / kT),
            "bits": float(reduced / kT / LN2)}


def _parts(system, units: Units) -> dict:
    s = units.scaling()
    m_s = system.stick_mass
    r = system.friction * m_s
    return {"L_translation_H": s.inductance(m_s), "L_rotation_H": s.inductance(m_s / 12),
            "R_translation_ohm": s.resistance(r), "R_rotation_ohm": s.resistance(r / 12),
            "C_spring_F": s.capacitance(system.stiffness)}


def energy_report(spec, *, units: Units | None = None, target_mse: float | None = None,
                  target_factor: float = 1.1, x0="uniform", v0="maxwell", batch_size: int | None = None,
                  time_per_batch: float | None = None, backend: str | None = None, samples: int = 200,
                  seed: int = 0, t_max: float | None = None, progress: bool = False) -> dict:
    """The energy ledger of learning ``spec``'s data to a target MSE (see the module docstring).

    Parameters
    ----------
    spec : ss_mech.spec.Spec, path, JSON string or dict
        The machine and its data (its physics.temperature and kb are replaced by ``units``).
    units : Units, optional
        Physical scales (default ``Units()``: 1 pF, 1 V per unit height, 1 ns, 300 K).
    target_mse, target_factor : float
        The target, absolute or as a multiple of the least-squares MSE (default 1.1 × MSE_LS).
    x0, v0 : the start law (default uniform heights per sample, Maxwell velocities).
    batch_size, time_per_batch : optional
        A mini-batch protocol (points in order, one epoch) for the periodic-steady-state heat.
    backend : {'mech', 'circuit'}, optional
        Also measure the heat to the target time on that backend (``samples`` runs).
    t_max : float, optional
        How long to wait for the target (default 60 slowest relaxation times).
    """
    from ss_mech.oracles import least_squares
    from ss_mech.spec import Spec, load_spec
    from ss_mech.spectrum import slowest_rate
    from ss_mech.thermo import Protocol, entropy_bounds, equilibrium_mse, initial_moments, learning_threshold
    from ss_mech.thermo import moments, periodic_steady_state, time_to_target

    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    units = units or Units()
    system = spec.system.with_params(kb=1.0, temperature=units.kT_reduced)
    if system.noise != "fdt":
        raise ValueError("the energy ledger is the fdt (Gibbs) physics of a circuit; this spec uses noise="
                         f"{system.noise!r}")
    kT = system.kT
    _, mse_ls = least_squares(system)
    target = float(target_mse) if target_mse is not None else target_factor * mse_ls
    threshold = learning_threshold(system, target)
    # raising k by a factor is raising the energy scale E₀ = C₀V_u² by it: the same statement in
    # joules is the smallest signal energy C₀V_u², reached at V_u·√(k_min/k)
    ratio = threshold.stiffness / system.stiffness
    min_signal_J = ratio * units.energy
    law = initial_moments(system, x0=x0, v0=v0)
    if t_max is None:
        t_max = 60.0 / slowest_rate(system)
    t_hit = time_to_target(system, target, law.mean, law.cov, t_max=t_max)
    out = {"units": {**asdict(units), "energy_J": units.energy, "kT_J": units.kT_joules, "kT_reduced": kT},
           "parts": _parts(system, units), "mse_ls": mse_ls, "target_mse": target,
           "equilibrium_mse": equilibrium_mse(system), "threshold_stiffness": threshold.stiffness,
           "threshold": {"stiffness": threshold.stiffness,
                         "volts_per_unit": math.sqrt(ratio) * units.volts_per_unit,
                         "signal_energy_J": min_signal_J, "signal_energy_kT": min_signal_J / units.kT_joules},
           "start": {"x0": x0 if isinstance(x0, str) else "given", "v0": v0 if isinstance(v0, str) else "given",
                     "entropy_nats": law.entropy, "gaussian": law.gaussian}}
    if t_hit is None:
        out.update(time_to_target=None, reached=False)
        out["note"] = (f"the target MSE {target:.4g} is not reached within t = {t_max:.3g}: the equilibrium MSE "
                       f"{out['equilibrium_mse']:.4g} at this temperature is above it (signal below the threshold)")
    else:
        m = moments(system, [0.0, t_hit], law.mean, law.cov)
        heat = float(m.heat[-1])
        if law.gaussian:
            lo = hi = float(m.entropy[-1] - law.entropy)
        else:
            b = entropy_bounds(system, [t_hit], law.mean, law.cov, law.entropy)
            lo, hi = float(b.lower[-1] - law.entropy), float(b.upper[-1] - law.entropy)
        minimum = -kT * hi  # S(t) ≤ S_Gauss: the heat learning is guaranteed to need
        out.update(reached=True, time_to_target={"reduced": t_hit, "s": t_hit * units.tau},
                   heat=_amount(heat, units, kT), minimum_heat=_amount(minimum, units, kT),
                   minimum_heat_bracket=[_amount(-kT * hi, units, kT), _amount(-kT * lo, units, kT)],
                   entropy_change={"nats": hi, "bits": hi / LN2, "bracket_nats": [lo, hi], "exact": law.gaussian},
                   efficiency=minimum / heat if heat > 0 else float("nan"))
        if backend is not None:
            out["simulated"] = _simulated(system, backend=backend, t=t_hit, exact_heat=heat, units=units,
                                          x0=x0, v0=v0, samples=samples, seed=seed, progress=progress)
    if batch_size is not None:
        tpb = float(time_per_batch if time_per_batch is not None else 0.1)
        B = system.n_points
        batches = [np.arange(i, min(i + batch_size, B)) for i in range(0, B, batch_size)]
        proto = Protocol.from_batches(system, system.X, system.y, batches, tpb)
        ps = periodic_steady_state(proto)
        out["periodic"] = {"batch_size": int(batch_size), "time_per_batch": tpb, "batches": len(batches),
                           "heat_per_epoch": _amount(ps.heat_per_epoch, units, kT),
                           "epoch_time_s": ps.epoch_time * units.tau}
    return out


def _simulated(system, *, backend, t, exact_heat, units, x0, v0, samples, seed, progress) -> dict:
    """The heat to time ``t`` measured on a backend, with its standard error and z against the exact value."""
    if backend == "mech":
        from ss_mech import simulate

        traj = simulate(system, t_end=t, method="srk", x0=x0, v0=v0, samples=samples, seed=seed, n_out=2,
                        save_states=False, progress=progress)
    elif backend == "circuit":
        from ss_circuit import simulate_circuit
        from ss_circuit.simulate import default_max_step

        traj = simulate_circuit(system, t_end=t, dt=default_max_step(system, t), x0=x0, v0=v0, samples=samples,
                                seed=seed, n_out=2, scaling=units.scaling(), progress=progress)
    else:
        raise ValueError(f"backend must be 'mech' or 'circuit', got {backend!r}")
    from .compare.checks import z_score

    q = traj.heat[-1]
    mean, se = float(q.mean()), float(traj.sem("heat")[-1])
    z = z_score(mean, se, exact_heat, 0.0)
    return {"backend": backend, "samples": int(q.size), "heat_J": mean * units.energy, "heat_se_J": se * units.energy,
            "heat_kT": mean / system.kT, "z": z,
            "source": "∫R i² − ∫i·V_noise in ngspice" if backend == "circuit" else "∫vᵀΓv dt − ∫v∘η (torchsde)"}


def energy_sweep(spec, volts, *, units: Units | None = None, **kw) -> list[dict]:
    """:func:`energy_report` for each signal scale in ``volts`` (V per unit height), same other units."""
    units = units or Units()
    out = []
    for v in volts:
        u = Units(capacitance=units.capacitance, volts_per_unit=float(v), tau=units.tau,
                  temperature_k=units.temperature_k)
        out.append(energy_report(spec, units=u, **kw))
    return out


def plot_sweep(rows: list[dict], path) -> str:
    """Joules against the signal scale: the heat (∝ V_u²), the minimum (∝ ln V_u) and the threshold."""
    from .plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    v = np.array([r["units"]["volts_per_unit"] for r in rows])
    ok = np.array([r["reached"] for r in rows])
    heat = np.array([r["heat"]["J"] if r["reached"] else np.nan for r in rows])
    mini = np.array([r["minimum_heat"]["J"] if r["reached"] else np.nan for r in rows])
    ax.loglog(v[ok], heat[ok], "o-", label="heat ⟨Q⟩ to the target")
    ax.loglog(v[ok], mini[ok], "s--", label="minimum −k_BT·ΔS")
    ax.axvline(rows[0]["threshold"]["volts_per_unit"], color="tab:red", ls=":", label="threshold (⟨MSE⟩_eq = target)")
    ax.set_xlabel("signal scale V_u (volts per unit height)")
    ax.set_ylabel("energy (J)")
    u = rows[0]["units"]
    ax.set_title(f"C₀ = {u['capacitance']:.3g} F, τ = {u['tau']:.3g} s, T = {u['temperature_k']:g} K", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    from pathlib import Path
    path = Path(path)
    return str(save_figure(fig, path.parent, path.name, dpi=110))
