"""Cross-validate the two backends: one system through torchsde (ss_mech) and through ngspice.

Four comparisons (:data:`MODES`); every tolerance is written here and in the result table:

``deterministic``
    T = 0. Loss L(t), friction heat D(t) and node positions x(t) at every output time;
    ``max_t |circuit − mech|`` relative to the largest loss (the initial loss for a start at
    rest), to D(t_end) and to ``max |x|``: each ≤ 1e-3. Both backends are also held against
    the exact matrix-exponential solution.
``stochastic``
    T > 0 with fdt noise: an ensemble per backend with *independent* seeded noise (torchsde's
    Brownian motion; the circuit's Johnson sources fed as sampled knots). At t_end the mean
    loss, mean D and mean heat Q = D − J agree within 3 combined standard errors,
    ``|z| = |c̄ − m̄| / √(se_c² + se_m²) ≤ 3``; each backend also against the exact
    Ornstein–Uhlenbeck means (:func:`ss_mech.analytic.ensemble_energies`). From the same
    ensembles, **equipartition**: ⟨K⟩/(N k_BT/2), averaged over the late part of the run,
    within 5 % of 1 in both. When the exact ratio over that window is not 1 (the run ends
    before equilibrium) both are held to the exact ratio instead, and a note says so; another
    note says when the standard errors are too large for the 5 % to mean anything.
``pathwise``
    The same noise samples (:func:`ss_circuit.draw_noise`) drive both: x(t), L(t), D(t) and the
    noise work J(t) agree to ≤ 1e-3 relative.
``training``
    Mini-batch training (springs switched batch by batch, state carried over), the same noise
    in both (none at T = 0): final training MSE, x and D agree to ≤ 1e-3 relative.

Step sizes follow from the fastest relaxation rate λ = max(γ, ω_max) through the knot
spacing Δ = 1/(100 λ) (:func:`ss_circuit.sources.default_dt_noise`, aligned to the output
times): deterministic runs step Δ/2 in both backends, pathwise and training runs Δ/8; in the
ensembles the circuit steps Δ/4 and the mechanics Δ (Heun). Known systematic differences,
reported with the results, all well inside the tolerances at these settings:

* the circuit's Johnson noise is linear between knots: its spectrum is white·sinc⁴(fΔ), so the
  bath injects less power (⟨J⟩ rate), and D and ⟨K⟩ follow: low by about ``(7/15) γΔ`` (the
  high-frequency mobility γ/(mω²) weighted by 1 − sinc⁴; ∫(1 − sinc⁴u)/u² du = 14π²/15),
  0.4 % for the demo. Measured on the demo over 30 ensembles of 200 (the circuit's noise fed
  to torchsde): J −0.8 ± 0.3 %, mean heat +0.26 % — a shift of 0.5–0.8 standard errors of one
  ensemble, against the tolerance of 3;
* ngspice restarts trap with a backward-Euler step at every knot: energy lost numerically,
  the circuit's first-law residual (``stats['numerical_loss']``, ∝ dt²; 0.1 % of the heat);
* Heun's weak error in the mechanical ensemble (O(dt²)).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

__all__ = ["MODES", "CrosscheckConfig", "Check", "CrosscheckResult", "crosscheck", "default_spec", "rel_dev",
           "run_cli"]

MODES = ("deterministic", "stochastic", "pathwise", "training")

#: k_BT of the demo system (k_B = 1): thermal loss ≈ N k_BT/B ≈ the least-squares loss
DEMO_TEMPERATURE = 0.05


def default_spec():
    """The demo: 4 sticks on [0, 2π] learning 12 samples of sin from a flat start (γ = 4, k_BT = 0.05).

    The netlist ``netlists/sine_1d_4sticks.cir`` is the same system at T = 0.
    """
    from ss_mech.spec import load_spec, spec_dict

    from .demo_netlists import DEMOS

    system, kw = DEMOS["sine_1d_4sticks"]()
    thermal = system.with_params(temperature=DEMO_TEMPERATURE)
    return load_spec(spec_dict(thermal, x0=kw["x0"], v0=np.zeros(system.n_dof), t_end=4.0, n_out=101,
                               samples=200, seed=0))


@dataclass(frozen=True)
class CrosscheckConfig:
    """How long and how large each comparison runs, and its tolerances.

    Attributes
    ----------
    t_end : float, optional
        Duration of every mode (one epoch in ``training``); default: the spec's ``run.t_end``.
    n_out : int
        Output times per run, including 0 and ``t_end``.
    samples : int
        Ensemble size per backend in ``stochastic``.
    pathwise_samples : int
        Noise realisations driving both backends in ``pathwise``.
    epochs, batches_per_epoch : int
        The training protocol: ``batch_size = ⌈B / batches_per_epoch⌉``, each batch pulls for
        ``t_end / batches_per_epoch``.
    seed : int
        Seeds every noise draw (independent streams per mode and backend).
    equilibration : float
        Equipartition averages ⟨K⟩ over ``t ≥ equilibration · t_end``.
    knot_steps : int
        Pathwise and training runs (both backends) step ``Δ / knot_steps``.
    ensemble_knot_steps : int
        The circuit ensemble steps ``Δ / ensemble_knot_steps`` (its first-law residual, ∝ step²,
        stays a small fraction of the heat's standard error at 4; 8 costs 50 % more).
    rel_tol, z_tol, equipartition_tol : float
        Tolerances: relative deviation (deterministic, pathwise, training), ``|z|`` of the
        ensemble means, ``|⟨K⟩/(N k_BT/2) − 1|``.
    oracle_max_dof : int
        Exact solutions (dense, O(N³)) only up to this many degrees of freedom.
    processes : int, optional
        ngspice worker processes (default: one per CPU).
    """

    t_end: float | None = None
    n_out: int = 101
    samples: int = 200
    pathwise_samples: int = 2
    epochs: int = 3
    batches_per_epoch: int = 3
    seed: int = 0
    equilibration: float = 0.5
    knot_steps: int = 8
    ensemble_knot_steps: int = 4
    rel_tol: float = 1e-3
    z_tol: float = 3.0
    equipartition_tol: float = 0.05
    oracle_max_dof: int = 200
    processes: int | None = None

    def __post_init__(self):
        from ss_mech.validation import positive, positive_int

        if self.t_end is not None:
            positive(self.t_end, "t_end")
        for name in ("samples", "pathwise_samples", "epochs", "batches_per_epoch", "knot_steps",
                     "ensemble_knot_steps"):
            positive_int(getattr(self, name), name)
        if positive_int(self.n_out, "n_out") < 3:
            raise ValueError(f"n_out must be >= 3 (the equipartition window needs late outputs), got {self.n_out}")
        if not 0 <= self.equilibration < 1:
            raise ValueError(f"equilibration must be in [0, 1), got {self.equilibration!r}")
        if self.samples < 2:
            raise ValueError(f"samples must be >= 2 (standard errors need two samples), got {self.samples}")
        for name in ("rel_tol", "z_tol", "equipartition_tol"):
            positive(getattr(self, name), name)

    @classmethod
    def quick(cls, **changes) -> "CrosscheckConfig":
        """128 samples per ensemble, one pathwise sample, two epochs: about 60 % of the default's time.

        The equipartition estimate then has a standard error of about 1.6 % (a third of its 5 %
        tolerance); fewer samples would make that check a coin toss.
        """
        return cls(**{"samples": 128, "pathwise_samples": 1, "epochs": 2, **changes})


@dataclass
class Check:
    """One row of the comparison: a quantity from both backends, its deviation and tolerance."""

    mode: str
    quantity: str
    deviation: float
    tolerance: float
    measure: str                      # how the deviation is formed ('rel', '|z|', '|r-1|')
    mech: float | None = None
    circuit: float | None = None
    exact: float | None = None
    mech_se: float | None = None
    circuit_se: float | None = None
    gate: bool = True                 # False: reported for reference, never fails the crosscheck

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.deviation) and self.deviation <= self.tolerance)

    @property
    def verdict(self) -> str:
        return ("pass" if self.passed else "FAIL") if self.gate else ("(ok)" if self.passed else "(out)")

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


@dataclass
class CrosscheckResult:
    """Checks, summary figures per mode, and the runs behind them (for :mod:`ss_circuit.report`).

    ``metrics[mode]`` holds the JSON figures (``deterministic.loss_max_rel_err`` …), ``runs[mode]``
    the trajectories and exact curves, ``skipped`` the modes not run and why.
    """

    spec: object
    config: CrosscheckConfig
    checks: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    interrupted: bool = False
    wall_time: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and not self.interrupted and not self.failures()

    @property
    def n_gates(self) -> int:
        return sum(c.gate for c in self.checks)

    def failures(self) -> list[Check]:
        """The gating checks that failed."""
        return [c for c in self.checks if c.gate and not c.passed]

    def to_json(self) -> dict:
        from ss_mech.serialize import jsonable

        out = dict(self.metrics)
        out.update(checks=[c.to_dict() for c in self.checks], skipped=dict(self.skipped), notes=list(self.notes),
                   interrupted=self.interrupted, wall_time=self.wall_time, config=asdict(self.config),
                   system=_describe(self.spec.system), passed=self.passed)
        return jsonable(out)

    def table(self) -> str:
        """The plain-text table: quantity, mechanical, circuit, exact, deviation, tolerance, pass/fail."""
        head = ("mode", "quantity", "mechanical", "circuit", "exact", "deviation", "tolerance", "verdict")
        rows = [head]
        for c in self.checks:
            rows.append((c.mode, c.quantity, _fmt(c.mech, c.mech_se), _fmt(c.circuit, c.circuit_se), _fmt(c.exact),
                         f"{c.deviation:.2e} {c.measure}", f"{c.tolerance:g}", c.verdict))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        for mode, why in self.skipped.items():
            lines.append(f"{mode}: skipped ({why})")
        lines += [f"note: {n}" for n in self.notes]
        verdict = ("INTERRUPTED" if self.interrupted else "PASSED" if self.passed
                   else f"FAILED ({len(self.failures())} of {self.n_gates} checks)")
        lines.append(f"crosscheck {verdict}: {self.n_gates} checks"
                     + (" (rows in parentheses: reference only)" if self.n_gates < len(self.checks) else "")
                     + f", {sum(self.wall_time.values()):.1f} s")
        return "\n".join(lines)


def _fmt(value, se=None) -> str:
    if value is None:
        return "-"
    return f"{value:.5g}" + (f" ± {se:.2g}" if se is not None else "")


def _describe(system) -> dict:
    return {"grid": system.grid.to_dict(), "n_labels": system.n_labels, "n_dof": system.n_dof,
            "n_points": system.n_points, **system.params()}


#: how the table names each backend
NAMES = {"mech": "mechanical", "circuit": "circuit"}


# ------------------------------------------------------------------------------ measures
def rel_dev(a, b, scale) -> np.ndarray:
    """``|a − b| / scale`` at each output time, the largest over samples and coordinates.

    ``scale`` may be per sample; where it is 0 the deviation is absolute. Scalars give a scalar.
    """
    scale = np.where(np.asarray(scale) > 0, scale, 1.0)
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / scale
    return d.reshape(d.shape[0], -1).max(axis=1) if d.ndim > 1 else d


def _max_rel(a, b, scale) -> float:
    """``max |a − b| / scale`` over everything (see :func:`rel_dev`)."""
    return float(np.max(rel_dev(a, b, scale)))


def _deviations(mech, other) -> dict:
    """Deviations of ``other`` from ``mech``: x relative to ``max |x|``, each energy series relative
    to its largest magnitude in that sample (L(0) for a start at rest, D(t_end), max |J|)."""
    out = {"x": _max_rel(other.x, mech.x, np.abs(mech.x).max())}
    for name in ("loss", "dissipated", "noise_work"):
        ref = getattr(mech, name)
        if name != "noise_work" or np.any(ref != 0):
            out[name] = _max_rel(getattr(other, name), ref, np.abs(ref).max(axis=0))
    return out


def _z(a: float, se_a: float, b: float, se_b: float) -> float:
    se = math.hypot(se_a, se_b)
    return (a - b) / se if se > 0 else (0.0 if a == b else math.inf)


def _complete(traj):
    """A run cut short by Ctrl-C returns what it has; the crosscheck stops there."""
    if traj.meta.get("interrupted"):
        raise KeyboardInterrupt
    return traj


# ------------------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class _Plan:
    """What every mode shares: the system, its start, durations and step sizes."""

    system: object
    x0: np.ndarray
    v0: np.ndarray
    t_end: float
    n_out: int
    knot: float            # Δ, aligned to the output interval
    seeds: tuple
    oracle: bool


def _plan(spec, config: CrosscheckConfig) -> _Plan:
    from ss_mech.integrate import initial_state

    from .sources import align_dt, default_dt_noise

    system = spec.system
    if spec.x0 is not None and np.ndim(spec.x0) == 2 or spec.v0 is not None and np.ndim(spec.v0) == 2:
        raise ValueError("the crosscheck starts every sample in one state: give initial.x and initial.v "
                         f"as {system.n_dof} numbers each, not one row per sample")
    x0, v0 = initial_state(system, x0=spec.x0, v0=spec.v0, samples=1, seed=spec.run.seed)
    t_end = float(config.t_end if config.t_end is not None else spec.run.t_end)
    knot = align_dt(default_dt_noise(system), t_end / (config.n_out - 1))  # the output interval if nothing relaxes
    seeds = tuple(int(s.generate_state(1)[0]) for s in np.random.SeedSequence(config.seed).spawn(4))
    return _Plan(system=system, x0=x0[0], v0=v0[0], t_end=t_end, n_out=config.n_out, knot=knot, seeds=seeds,
                 oracle=system.n_dof <= config.oracle_max_dof)


def _slowest_rate(system) -> float:
    """The slowest decay rate of the deterministic modes, ``min |Re λ|`` (dense: small systems).

    With ``Γ = γM`` every mode of ``Kφ = ω²Mφ`` is a damped oscillator, ``λ = −γ/2 ± √(γ²/4 − ω²)``;
    an unpinned mode (ω = 0) keeps only its velocity relaxation, rate γ.
    """
    import scipy.linalg as sla

    w2 = sla.eigh(system.stiffness_matrix.toarray(), system.mass_matrix.toarray(), eigvals_only=True)
    g = system.friction
    rates = [g / 2 - math.sqrt(max(g * g / 4 - w, 0.0)) if w > 1e-12 * max(w2.max(), 1.0) else g for w in w2]
    return float(min(rates))


# ------------------------------------------------------------------------------ the modes
def _deterministic(plan: _Plan, config: CrosscheckConfig, result: CrosscheckResult, progress: bool):
    from ss_mech import simulate
    from ss_mech.analytic import exact_deterministic

    from .simulate import simulate_circuit

    cold = plan.system.with_params(temperature=0.0)
    kw = dict(t_end=plan.t_end, dt=plan.knot / 2, x0=plan.x0, v0=plan.v0, n_out=plan.n_out)
    mech = _complete(simulate(cold, method="heun", progress=progress, **kw))
    circ = simulate_circuit(cold, **kw)
    dev = _deviations(mech, circ)
    runs = {"mech": mech, "circuit": circ}
    metrics = {"loss_max_rel_err": dev["loss"], "dissipated_max_rel_err": dev["dissipated"],
               "x_max_rel_err": dev["x"], "dt": plan.knot / 2, "t_end": plan.t_end}
    exact_end = {"loss": None, "dissipated": None}
    if plan.oracle:
        exact = exact_deterministic(cold, t_end=plan.t_end, n_out=plan.n_out, x0=plan.x0, v0=plan.v0)
        runs["exact"] = exact
        metrics["mech_vs_exact"] = _deviations(exact, mech)
        metrics["circuit_vs_exact"] = _deviations(exact, circ)
        exact_end = {"loss": float(exact.loss[-1, 0]), "dissipated": float(exact.dissipated[-1, 0])}
    tol = config.rel_tol
    result.checks += [
        Check("deterministic", "loss L(t_end); max_t |dL| / max L", dev["loss"], tol, "rel",
              float(mech.loss[-1, 0]), float(circ.loss[-1, 0]), exact_end["loss"]),
        Check("deterministic", "friction heat D(t_end); max_t |dD| / D(t_end)", dev["dissipated"], tol, "rel",
              float(mech.dissipated[-1, 0]), float(circ.dissipated[-1, 0]), exact_end["dissipated"]),
        Check("deterministic", "positions x(t); max |dx| / max |x|", dev["x"], tol, "rel")]
    if plan.oracle:
        for name in ("mech", "circuit"):
            d = metrics[f"{name}_vs_exact"]
            result.checks.append(Check("deterministic", f"{NAMES[name]} vs exact (x, L, D)", max(d.values()), tol,
                                       "rel"))
    result.metrics["deterministic"] = metrics
    result.runs["deterministic"] = runs


def _stochastic(plan: _Plan, config: CrosscheckConfig, result: CrosscheckResult, progress: bool):
    from ss_mech import simulate
    from ss_mech.analytic import ensemble_energies

    from .simulate import simulate_circuit

    system, S = plan.system, config.samples
    kw = dict(t_end=plan.t_end, x0=plan.x0, v0=plan.v0, samples=S, n_out=plan.n_out)
    mech = _complete(simulate(system, dt=plan.knot, method="heun", seed=plan.seeds[0], save_states=False,
                              progress=progress, **kw))
    dt_circuit = plan.knot / config.ensemble_knot_steps
    circ = simulate_circuit(system, dt=dt_circuit, dt_noise=plan.knot, seed=plan.seeds[1],
                            processes=config.processes, progress=progress, **kw)
    exact = None
    if plan.oracle:
        idx = np.unique(np.linspace(0, plan.n_out - 1, min(plan.n_out, 41)).round().astype(int))
        exact = ensemble_energies(system, mech.t[idx], x0=plan.x0, v0=plan.v0)
    metrics = {"samples": S, "t_end": plan.t_end, "dt_mech": plan.knot, "dt_circuit": dt_circuit,
               "dt_noise": plan.knot}
    for name, label in (("loss", "mean loss <L(t_end)>"), ("dissipated", "mean friction heat <D(t_end)>"),
                        ("heat", "mean heat <Q(t_end)> = <D - J>")):
        m, c = getattr(mech, name)[-1], getattr(circ, name)[-1]
        mm, ms, cm, cs = m.mean(), m.std(ddof=1) / math.sqrt(S), c.mean(), c.std(ddof=1) / math.sqrt(S)
        z = _z(cm, cs, mm, ms)
        metrics[f"{name}_z"] = z
        metrics[name] = {"mech": mm, "mech_se": ms, "circuit": cm, "circuit_se": cs}
        ex = None
        if exact is not None:
            ex = float(exact[name][-1])
            metrics[name].update(exact=ex, mech_z_exact=_z(mm, ms, ex, 0.0), circuit_z_exact=_z(cm, cs, ex, 0.0))
        result.checks.append(Check("stochastic", label, abs(z), config.z_tol, "|z|", mm, cm, ex, ms, cs))
    if exact is not None:
        for who in ("mech", "circuit"):
            zs = [metrics[n][f"{who}_z_exact"] for n in ("loss", "dissipated", "heat")]
            metrics[f"{who}_exact_max_z"] = max(abs(z) for z in zs)
            # reference only: the circuit's interpolated noise is not white (module docstring), and
            # six more 3σ tests would multiply the false alarms of a correct pair of backends
            result.checks.append(Check("stochastic", f"{NAMES[who]} vs exact (<L>, <D>, <Q>), max",
                                       metrics[f"{who}_exact_max_z"], config.z_tol, "|z|", gate=False))
    kT = system.kb * system.temperature
    late = mech.t >= config.equilibration * plan.t_end
    target = system.n_dof * kT / 2
    eq = {"window": [float(mech.t[late][0]), plan.t_end], "target": target, "reference": 1.0}
    exact_ratio = None
    if exact is not None:
        window = exact["t"] >= eq["window"][0]
        exact_ratio = float(np.mean(exact["kinetic"][window]) / target)
        eq["exact_ratio"] = exact_ratio
        if abs(exact_ratio - 1) > config.equipartition_tol / 5:
            # the run ends before equilibrium: hold both backends to the exact value instead
            rate = _slowest_rate(system)
            eq.update(reference=exact_ratio, equilibrated=False, slowest_rate=rate)
            result.notes.append(
                f"equipartition: the exact <K>/(N kT/2) over t >= {eq['window'][0]:.3g} is {exact_ratio:.4f}, not 1: "
                f"this run ends before equilibrium (slowest relaxation rate {rate:.3g}, time {1 / rate:.3g}), "
                "so both backends are held to the exact value; lengthen --t-end to test equipartition itself")
    what = "" if eq["reference"] == 1.0 else " vs exact (not equilibrated)"
    for who, traj in (("mech", mech), ("circuit", circ)):
        per_sample = traj.kinetic[late].mean(axis=0) / target
        ratio, se = float(per_sample.mean()), float(per_sample.std(ddof=1) / math.sqrt(S))
        eq[f"{who}_ratio"], eq[f"{who}_se"] = ratio, se
        quantity = f"<K>/(N kT/2), {NAMES[who]}, t >= {eq['window'][0]:.3g}{what}"
        result.checks.append(Check("equipartition", quantity, abs(ratio - eq["reference"]), config.equipartition_tol,
                                   "|r-r_exact|" if what else "|r-1|", **{who: ratio, f"{who}_se": se},
                                   exact=exact_ratio))
    noisy = max(eq["mech_se"], eq["circuit_se"])
    if noisy > config.equipartition_tol / 3:
        result.notes.append(
            f"equipartition: a standard error of {noisy:.3f} exceeds a third of the {config.equipartition_tol:g} "
            "tolerance, so this check cannot tell a real deviation from noise; use more samples (--samples) "
            "or a longer run (--t-end)")
    metrics["expected_bias"] = {
        "circuit_noise_power": -7.0 / 15.0 * system.friction * plan.knot,
        "circuit_numerical_loss": circ.stats["numerical_loss"]}
    result.metrics["stochastic"] = metrics
    result.metrics["equipartition"] = eq
    result.runs["stochastic"] = {"mech": mech, "circuit": circ, "exact": exact}


def _pathwise(plan: _Plan, config: CrosscheckConfig, result: CrosscheckResult, progress: bool):
    from ss_mech import simulate

    from .simulate import simulate_circuit
    from .sources import draw_noise

    P = config.pathwise_samples
    noise = draw_noise(plan.system, t_end=plan.t_end, samples=P, seed=plan.seeds[2], dt_noise=plan.knot,
                       n_out=plan.n_out)
    kw = dict(t_end=plan.t_end, dt=plan.knot / config.knot_steps, x0=plan.x0, v0=plan.v0, samples=P,
              n_out=plan.n_out, noise=noise)
    mech = _complete(simulate(plan.system, method="heun", progress=progress, **kw))
    circ = simulate_circuit(plan.system, processes=config.processes, progress=progress, **kw)
    dev = _deviations(mech, circ)
    result.metrics["pathwise"] = {"max_rel_err": max(dev.values()), **{f"{k}_rel_err": v for k, v in dev.items()},
                                  "samples": P, "dt": plan.knot / config.knot_steps, "dt_noise": plan.knot}
    names = {"x": "positions x(t); max |dx| / max |x|", "loss": "loss L(t); max |dL| / max L",
             "dissipated": "friction heat D(t); max |dD| / D(t_end)",
             "noise_work": "noise work J(t); max |dJ| / max |J|"}
    for key, dv in dev.items():
        ends = () if key == "x" else (float(getattr(mech, key)[-1].mean()), float(getattr(circ, key)[-1].mean()))
        result.checks.append(Check("pathwise", names[key], dv, config.rel_tol, "rel", *ends))
    result.runs["pathwise"] = {"mech": mech, "circuit": circ}


def _training(plan: _Plan, config: CrosscheckConfig, result: CrosscheckResult, progress: bool):
    from ss_mech import simulate
    from ss_mech.training import train

    from .simulate import simulate_circuit
    from .sources import align_dt, default_dt_noise, draw_noise

    system = plan.system
    B = system.n_points
    batch_size = math.ceil(B / config.batches_per_epoch)
    per_batch = plan.t_end / config.batches_per_epoch
    n_out_batch = 11
    knot = align_dt(default_dt_noise(system), per_batch / (n_out_batch - 1))
    dt = knot / config.knot_steps

    def mech_step(current, *, t_end, seed, samples, n_out, x0, v0, **_):
        noise = (draw_noise(current, t_end=t_end, samples=samples, seed=seed, dt_noise=knot, n_out=n_out)
                 if current.thermal else None)
        return _complete(simulate(current, t_end=t_end, dt=dt, method="heun", x0=x0, v0=v0, samples=samples,
                                  seed=seed, n_out=n_out, noise=noise))

    def circuit_step(current, *, t_end, seed, samples, n_out, x0, v0, **_):
        return simulate_circuit(current, t_end=t_end, dt=dt, dt_noise=knot, x0=x0, v0=v0, samples=samples,
                                seed=seed, n_out=n_out)

    kw = dict(batch_size=batch_size, epochs=config.epochs, time_per_batch=per_batch, x0=plan.x0, v0=plan.v0,
              seed=plan.seeds[3], n_out_per_batch=n_out_batch, progress=progress)
    runs = {}
    for name, step in (("mech", mech_step), ("circuit", circuit_step)):
        res = train(system, system.X, system.y, integrator=step, **kw)
        if res.interrupted:
            raise KeyboardInterrupt
        runs[name] = res
    m, c = runs["mech"], runs["circuit"]
    mse_m, mse_c = m.history["train_mse"][-1], c.history["train_mse"][-1]
    final = _max_rel(mse_c, mse_m, mse_m)
    x_err = _max_rel(c.x, m.x, np.abs(m.trajectory.x).max())
    D_m, D_c = m.trajectory.dissipated[-1, 0], c.trajectory.dissipated[-1, 0]
    D_err = _max_rel(D_c, D_m, D_m)
    result.metrics["training"] = {
        "final_loss_rel_err": final, "x_rel_err": x_err, "dissipated_rel_err": D_err,
        "mech_final_loss": mse_m, "circuit_final_loss": mse_c, "batch_size": batch_size, "epochs": config.epochs,
        "time_per_batch": per_batch, "batches": len(m.batches), "noise": "shared samples" if system.thermal else "none",
        "dt": dt, "dt_noise": knot}
    tol = config.rel_tol
    result.checks += [
        Check("training", f"final training MSE ({len(m.batches)} batches)", final, tol, "rel", mse_m, mse_c),
        Check("training", "final positions x; max |dx| / max |x|", x_err, tol, "rel"),
        Check("training", "friction heat D over the run", D_err, tol, "rel", float(D_m), float(D_c))]
    result.runs["training"] = runs


_RUNNERS = {"deterministic": _deterministic, "stochastic": _stochastic, "pathwise": _pathwise,
            "training": _training}


def _why_not(mode: str, system) -> str | None:
    """Why ``mode`` cannot run on ``system`` (None when it can)."""
    if mode in ("stochastic", "pathwise") and not system.thermal:
        return "needs a thermal system: set physics.temperature > 0 and friction > 0"
    if mode in ("stochastic", "pathwise", "training") and system.thermal and system.noise != "fdt":
        return f"the circuit realises fdt noise only; the spec uses noise={system.noise!r}"
    if mode == "training" and system.n_points < 2:
        return "needs at least two data points to form mini-batches"
    return None


def crosscheck(spec=None, *, config: CrosscheckConfig | None = None, modes=MODES, progress: bool = False,
               log=None) -> CrosscheckResult:
    """Run ``modes`` through both backends and compare them (see the module docstring).

    Parameters
    ----------
    spec : ss_mech.spec.Spec, path, JSON string or dict, optional
        The system, its initial state (one state for every sample) and ``run.t_end``; default
        :func:`default_spec`.
    config : CrosscheckConfig, optional
        Sizes, seeds and tolerances (default ``CrosscheckConfig()``).
    modes : iterable of str
        A subset of :data:`MODES`, run in that order.
    progress : bool
        Progress bars for the runs and ensembles.
    log : callable, optional
        Called with a one-line message as each mode starts.

    Returns
    -------
    CrosscheckResult
        ``passed`` is False when any check fails; a Ctrl-C keeps the modes already finished
        (``interrupted`` is then True).
    """
    from ss_mech.spec import Spec, load_spec

    spec = default_spec() if spec is None else spec if isinstance(spec, Spec) else load_spec(spec)
    config = CrosscheckConfig() if config is None else config
    modes = tuple(modes)
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"unknown crosscheck mode {unknown[0]!r}; choose from {', '.join(MODES)}" if unknown
                         else f"no crosscheck mode given; choose from {', '.join(MODES)}")
    plan = _plan(spec, config)
    result = CrosscheckResult(spec=spec, config=config)
    todo = []
    for mode in modes:
        why = _why_not(mode, plan.system)
        if why:
            result.skipped[mode] = why
        else:
            todo.append(mode)
    for i, mode in enumerate(todo, start=1):
        if log is not None:
            log(f"crosscheck [{i}/{len(todo)}] {mode}" + (f" ({config.samples} samples per backend)"
                                                          if mode == "stochastic" else ""))
        start = time.perf_counter()
        try:
            _RUNNERS[mode](plan, config, result, progress)
        except KeyboardInterrupt:
            result.interrupted = True
            result.skipped.update({m: "interrupted" for m in todo[i - 1:]})
            break
        finally:
            result.wall_time[mode] = time.perf_counter() - start
    return result


# ------------------------------------------------------------------------------ command line
def run_cli(args) -> int:
    """``springsticks crosscheck``: exit 0 when every check passes, 1 when one fails, 130 on Ctrl-C."""
    from ss_mech.serialize import dumps_json

    config = CrosscheckConfig.quick() if args.quick else CrosscheckConfig()
    changes = {k: getattr(args, k, None) for k in ("samples", "seed", "t_end", "processes")}
    config = replace(config, **{k: v for k, v in changes.items() if v is not None})
    modes = [m.strip() for m in (getattr(args, "modes", None) or ",".join(MODES)).split(",") if m.strip()]

    def log(message):
        print(message, file=sys.stderr, flush=True)

    result = crosscheck(args.spec, config=config, modes=modes, progress=args.progress, log=log)
    if args.report:
        from .report import write_report
        path = write_report(result, args.report)
        log(f"report: {path}")
    print(dumps_json(result.to_json()) if args.json else result.table())
    if result.interrupted:
        return 130
    return 0 if result.passed else 1
