"""Non-ideal hardware: part tolerances, lever gain errors, losses and finite lever bandwidth.

Two kinds of change, by whether the mechanics can follow:

**Element-value changes** (a mechanical twin exists). A part that is off by a factor is an
element value off by that factor (DESIGN.md §3: ``L ∝ m``, ``R ∝ r``, ``C ∝ 1/k``); a
transformer whose turns ratio is off is a lever coefficient off (both its E and its F side, so
it stays lossless); an inductor's series resistance (ESR) carries the inductor's current, so it
is a damper on the inertia's lever. Each is a :class:`ss_mech.Perturbation`, and
``system.with_perturbation(p)`` is the machine both backends then simulate (``ss_mech``
integrates it, the circuit draws it — the ESR in series with its inductor, with its own
Johnson source):

* :func:`draw_tolerances` — seeded Monte Carlo draws per part class (``C``, ``L``, ``R`` and
  ``G`` for the lever gains), Gaussian (``δ ~ N(0, (tol/3)²)``: the tolerance is the 3σ
  bound) or uniform (``δ ~ U(−tol, tol)``); part ``p → (1+δ)p``;
* :func:`corner` — every part at ``+tol`` (or ``−tol``);
* :func:`esr_perturbation` — a series resistance per inductor, in ohms or as a quality factor
  ``Q = ω L / R`` at the machine's fastest rate (``r = ω_max m / Q`` in mechanical units);
* :func:`combine` — several at once (factors multiply).

**Circuit-only changes** (no twin: they add states the element list does not have), an
:class:`Imperfections` applied to each :class:`~ss_circuit.circuit.Circuit`:

* ``leakage`` — a resistor (Ω) across every spring capacitor, with its Johnson source at
  T > 0 (seeded samples, stream ``leakage_noise``). It lets the data-target sources do work,
  which the readout books (``work:targets``), with the leak's heat (``heat:leakage``).
* ``lever_bandwidth`` — a single pole of corner ``f_c`` (Hz) in every data-spring lever: the
  loops read the spring's voltage through a unity buffer, an RC of ``RC = 1/(2π f_c)`` and the
  E sources, as an amplifier of that gain-bandwidth would deliver it. The loop equations
  become ``M ẍ + Γ ẋ + H(s)(K x − b) = 0``, ``H = 1/(1 + s τ_c)``; for ``Γ = γM`` each mode
  of ``M⁻¹K`` (eigenvalue ω²) has the characteristic polynomial
  ``τ_c s³ + (1 + γτ_c) s² + γ s + ω² = 0`` (:func:`bandwidth_roots`), which is stable iff
  ``γ(1 + γτ_c) > ω²τ_c`` (Routh–Hurwitz): a slow lever destabilises the under-damped modes.
  The fixed point ``K x = b`` is unchanged. (A pole on *every* lever, sticks included, would
  cancel out of the loop equations — only the loop currents, i.e. the meters, would change —
  which is why the pole sits on the data-spring levers, the programmable ones.)

With everything at zero, nothing changes: the netlist is byte-identical to the ideal one.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["parse_tolerances", "draw_tolerances", "corner", "esr_perturbation", "combine", "Imperfections",
           "lever_filter_parts", "bandwidth_roots", "max_growth_rate", "parse_frequency", "PART_CLASSES",
           "DISTRIBUTIONS"]

#: part classes a tolerance may name: capacitors, inductors, resistors, lever gains
PART_CLASSES = ("C", "L", "R", "G")
DISTRIBUTIONS = ("gaussian", "uniform")
_KIND = {"inertia": "L", "damper": "R", "spring": "C"}


def parse_tolerances(text) -> dict:
    """``'C=5%,L=1%,R=1%'`` (or a dict) → ``{'C': 0.05, 'L': 0.01, 'R': 0.01}``.

    Each entry is ``CLASS=VALUE`` with CLASS one of ``C``, ``L``, ``R``, ``G`` (lever gains)
    and VALUE a fraction (``0.05``) or a percentage (``5%``), in [0, 1).
    """
    if isinstance(text, dict):
        items = [(str(k), v) for k, v in text.items()]
    else:
        items = []
        for part in filter(None, (p.strip() for p in str(text).split(","))):
            if "=" not in part:
                raise ValueError(f"tolerance: expected CLASS=VALUE (e.g. C=5%), got {part!r}")
            k, v = part.split("=", 1)
            items.append((k.strip(), v.strip()))
    out = {}
    for k, v in items:
        cls = k.upper()
        if cls not in PART_CLASSES:
            raise ValueError(f"tolerance: unknown part class {k!r} (valid: {', '.join(PART_CLASSES)})")
        s = str(v)
        try:
            val = float(s[:-1]) / 100 if s.endswith("%") else float(s)
        except ValueError:
            raise ValueError(f"tolerance: {k}={v!r} is not a number or a percentage") from None
        if not (math.isfinite(val) and 0 <= val < 1):
            raise ValueError(f"tolerance: {k}={v!r} must lie in [0, 100%)")
        out[cls] = val
    return out


def _deltas(rng, tol: float, shape, distribution: str, sign: int | None):
    if sign is not None:
        return np.full(shape, sign * tol)
    if distribution == "gaussian":
        return rng.normal(0.0, tol / 3.0, size=shape)
    return rng.uniform(-tol, tol, size=shape)


def _factors(system, tolerances, *, rng, distribution: str, sign: int | None, spring_slots: int | None):
    from ss_mech.perturbation import SPRING_GROUP, Perturbation

    tol = parse_tolerances(tolerances)
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}; got {distribution!r}")
    values, levers = {}, {}
    n_springs = spring_slots if spring_slots is not None else system.n_points * system.n_labels
    for g in system.elements:
        if g.kind == "spring" or g.series is not None:
            continue
        cls = _KIND[g.kind]
        if tol.get(cls):
            values[g.name] = 1.0 + _deltas(rng, tol[cls], len(g), distribution, sign)
        if tol.get("G"):
            levers[g.name] = 1.0 + _deltas(rng, tol["G"], (len(g), 2), distribution, sign)
    if n_springs:
        corners = 2 ** system.grid.dim
        if tol.get("C"):  # C → (1+δ)C is k → k/(1+δ)
            values[SPRING_GROUP] = 1.0 / (1.0 + _deltas(rng, tol["C"], int(n_springs), distribution, sign))
        if tol.get("G"):
            levers[SPRING_GROUP] = 1.0 + _deltas(rng, tol["G"], (int(n_springs), corners), distribution, sign)
    return Perturbation(values=values, levers=levers,
                        info={"tolerances": tol, "distribution": distribution if sign is None else f"corner {sign:+d}"})


def draw_tolerances(system, tolerances, *, seed: int = 0, distribution: str = "gaussian",
                    spring_slots: int | None = None):
    """A seeded Monte Carlo draw of every part within ``tolerances`` (see the module docstring).

    Parameters
    ----------
    system : ss_mech.System
        The ideal machine (its stick groups; a perturbation already applied is ignored).
    tolerances : str or dict
        Per part class (``C``, ``L``, ``R``, ``G``): see :func:`parse_tolerances`.
    seed : int
        The same seed draws the same parts (stream ``tolerances`` of ``seed``).
    distribution : {'gaussian', 'uniform'}
    spring_slots : int, optional
        Spring capacitors to draw (default: the springs attached); a mini-batch machine has one
        per point of its largest batch (and label).
    """
    from ss_mech.run import seed_stream

    rng = np.random.default_rng(seed_stream(seed, "tolerances"))
    p = _factors(system, tolerances, rng=rng, distribution=distribution, sign=None, spring_slots=spring_slots)
    return replace(p, info={**p.info, "seed": int(seed)})


def corner(system, tolerances, sign: int = 1, *, spring_slots: int | None = None):
    """Every part at the edge of its tolerance: ``+tol`` (``sign=+1``) or ``−tol`` (``-1``)."""
    if sign not in (1, -1):
        raise ValueError(f"corner: sign must be +1 or -1, got {sign!r}")
    return _factors(system, tolerances, rng=None, distribution="uniform", sign=sign, spring_slots=spring_slots)


def esr_perturbation(system, scaling, *, ohms: float | None = None, q: float | None = None):
    """A series resistance in every inductor: ``ohms`` each, or quality factor ``q`` at ω_max.

    In mechanical units the ESR is a damper ``r = R/R₁`` on the inertia's lever, ``R₁ = ετ/α²``
    the resistance of unit drag; ``Q = ω L/R`` at the fastest rate ω_max of the machine
    (:func:`ss_mech.spectrum.fastest_rate`, circuit frequency ω_max/τ) gives ``r = ω_max m/Q``.
    """
    from ss_mech.perturbation import Perturbation
    from ss_mech.spectrum import fastest_rate

    if (ohms is None) == (q is None):
        raise ValueError("esr: give the series resistance in ohms or a quality factor Q, exactly one")
    value = ohms if ohms is not None else q
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"esr: {'ohms' if ohms is not None else 'Q'} must be a finite number > 0, got {value!r}")
    series = {}
    w = fastest_rate(system) if q is not None else None
    for g in system.elements.of_kind("inertia"):
        series[g.name] = (np.full(len(g), ohms / scaling.resistance(1.0)) if ohms is not None
                          else w * np.asarray(g.values, dtype=float) / q)
    return Perturbation(series_dampers=series, info={"esr_ohm" if ohms is not None else "esr_q": float(value)})


def combine(*perturbations):
    """One perturbation doing all of ``perturbations`` (value and lever factors multiply)."""
    from ss_mech.perturbation import Perturbation

    values, levers, series, info = {}, {}, {}, {}
    for p in perturbations:
        if p is None:
            continue
        for mine, theirs in ((values, p.values), (levers, p.levers)):
            for k, v in theirs.items():
                v = np.asarray(v, dtype=float)
                if k in mine:
                    n = min(len(mine[k]), len(v))
                    mine[k] = mine[k][:n] * v[:n]
                else:
                    mine[k] = v
        for k, v in p.series_dampers.items():
            if k in series:
                raise ValueError(f"combine: two series resistances for {k!r}")
            series[k] = v
        info.update(p.info)
    return Perturbation(values=values, levers=levers, series_dampers=series, info=info)


def parse_frequency(text) -> float:
    """``'100MHz'``, ``'2.5 GHz'``, ``'1e8'`` → hertz."""
    if isinstance(text, (int, float)):
        v = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([kKMG]?)(?:[hH][zZ])?\s*", str(text))
        if not m:
            raise ValueError(f"frequency: cannot read {text!r} (e.g. 100MHz, 2.5GHz, 1e8)")
        try:
            v = float(m.group(1)) * {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]
        except ValueError:
            raise ValueError(f"frequency: cannot read {text!r} (e.g. 100MHz, 2.5GHz, 1e8)") from None
    from ss_mech.validation import positive

    return positive(v, "frequency")


@dataclass(frozen=True)
class Imperfections:
    """Circuit-only non-idealities (no mechanical twin); 0 = off.

    Attributes
    ----------
    leakage : float
        Ohms across every spring capacitor (its Johnson noise included at T > 0).
    lever_bandwidth : float
        Hz: the corner ``f_c`` of a single pole in every data-spring lever.
    """

    leakage: float = 0.0
    lever_bandwidth: float = 0.0

    def __post_init__(self):
        from ss_mech.validation import non_negative

        for name in ("leakage", "lever_bandwidth"):
            object.__setattr__(self, name, non_negative(getattr(self, name), name))

    @property
    def active(self) -> bool:
        return bool(self.leakage or self.lever_bandwidth)

    def apply(self, circuit, *, seed: int = 0, sample: int = 0):
        """``circuit`` with these non-idealities (a new Circuit; the ideal one when all are 0).

        The leakage resistors' Johnson noise (mode ``'samples'``) is drawn from stream
        ``leakage_noise`` of ``seed``, one child per ``sample``, on the circuit's noise knots.
        """
        if not self.active:
            return circuit
        out = replace(circuit, leakage=float(self.leakage), lever_bandwidth=float(self.lever_bandwidth))
        if out.leak_noisy() and out.noise == "samples":
            from ss_mech.noise import SampledNoise
            from ss_mech.run import seed_stream

            child = seed_stream(seed, "leakage_noise").spawn(sample + 1)[sample]
            n = sum(b.kind == "spring" for b in out.branches)
            sig = circuit.noise_signal
            out.leak_noise = SampledNoise.draw(t_end=sig.t_end, dt_noise=sig.dt_noise, samples=1, n_noise=n,
                                               seed=int(child.generate_state(1)[0]))
        return out

    def to_dict(self) -> dict:
        return {"leakage_ohm": self.leakage, "lever_bandwidth_hz": self.lever_bandwidth}


def lever_filter_parts(circuit) -> tuple[float, float]:
    """The RC of a lever's pole: ``R₀ = ετ/α²`` (the circuit's impedance unit) and ``C₀ = 1/(2π f_c R₀)``."""
    R0 = circuit.scaling.resistance(1.0)
    return R0, 1.0 / (2 * math.pi * circuit.lever_bandwidth * R0)


def bandwidth_roots(system, lever_bandwidth: float, scaling) -> np.ndarray:
    """Roots (modes × 3, mechanical rates) of ``τ_c s³ + (1 + γτ_c)s² + γs + ω² = 0`` per mode.

    ``τ_c = 1/(2π f_c τ)`` is the lever's time constant in mechanical time and ω² runs over the
    eigenvalues of ``M⁻¹K``; exact for the ideal machine (``Γ = γM``, see the module docstring).
    """
    import scipy.linalg as sla

    if system.perturbation is not None:
        raise ValueError("bandwidth_roots: the modal polynomial needs Gamma = gamma M (an unperturbed machine)")
    tc = 1.0 / (2 * math.pi * float(lever_bandwidth) * scaling.time)
    w2 = sla.eigh(system.stiffness_matrix.toarray(), system.mass_matrix.toarray(), eigvals_only=True)
    g = system.friction
    return np.array([np.roots([tc, 1.0 + g * tc, g, max(float(w), 0.0)]) for w in w2])


def max_growth_rate(system, lever_bandwidth: float, scaling) -> float:
    """``max Re s`` over every mode (mechanical rate): > 0 means the lever bandwidth destabilises."""
    return float(np.max(bandwidth_roots(system, lever_bandwidth, scaling).real))
