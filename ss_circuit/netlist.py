"""Translate a system's element list into a SPICE circuit (force–voltage analogy, DESIGN.md §3).

Topology — one loop per degree of freedom, one branch per element::

    loop a (dof a):   0 ─ VI_a (0 V, senses i_a) ─ E_a,e1 ─ E_a,e2 ─ … ─ 0
                      E_a,e = c_ea · V(n_e)            (lever: the element voltage seen by loop a)
    branch e:         F_e,a: c_ea · i_a injected into node n_e  (lever: i_e = c_e · i)
                      n_e ── element ── 0

    inertia  m:  L_e = ε m τ²/α²                     n_e ─ L_e ─ 0       (ic = i_e(0))
    damper   r:  R_e = ε r τ/α², Johnson source       n_e ─ R_e ─ m_e ─ VN_e ─ 0
    spring   k:  C_e = α²/(ε k), data offset source   n_e ─ C_e ─ m_e ─ VY_e ─ 0   (ic = q_e(0)/C_e)

KVL around loop a is ``Σ_e c_ea V_e = 0`` and the element voltages are
``V_e = L_e di_e/dt``, ``R_e i_e − V_noise,e`` and ``q_e/C_e − V_y,e``; with ``i_e = c_e·i`` and
``q_e = c_e·q`` this is, term for term, ``M ẍ + Γ ẋ + K x − b = Σ_e c_e η_e`` (scaled). The
levers are ideal transformers built from controlled sources: the E sources absorb
``Σ_a c_ea V_e i_a = V_e i_e``, exactly what the F sources deliver, so they are lossless.
Masses are lever-coupled inductors (no K elements), so the mass matrix needs no mutual
inductance and ngspice has nothing to warn about.

Each loop also feeds a *position meter*: ``FX_a`` copies ``i_a`` into a capacitor ``CX_a`` whose
voltage is ``q_a / CX_a`` — the integrated loop current, i.e. the position ``x_a = q_a/α``.

Netlists are deterministic (numbers are written with Python's shortest round-trip ``repr``)
and every element is preceded by a comment naming the stick, node or data point it stands
for. Only generated identifiers appear outside comments; free text (titles) is reduced to
printable ASCII on one comment line, so no user string can become a SPICE line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .scaling import Scaling
from .sources import NOISE_MODES, align_dt, default_dt_noise, pwl_lines, trnoise_spec

__all__ = ["Circuit", "build_circuit", "write_netlist", "sanitize", "METHODS"]

METHODS = ("trap", "gear")

def tolerances(s: Scaling) -> dict:
    """ngspice's tolerances for the circuit's units.

    ngspice's truncation-error test compares a capacitor's current *and an inductor's voltage*
    with ``abstol``, and a capacitor's charge *and an inductor's flux* with ``chgtol``: one number
    serves two units, whose ratio is the impedance scale ``ετ/α²``. Far from 1 Ω, ngspice's
    default ``abstol = 1e-12`` lies below the round-off of the larger quantity, the error test
    rejects every step and the run dies with "timestep too small" (measured on the 3×3 grid at
    α = 0.1 … 1e-6). The tolerances are therefore relative to the larger of the two scales:
    ``abstol = 1e-7·max(α/τ, ε/α)``, ``chgtol = 1e-14·max(α, ετ/α)``, ``vntol = 1e-6·ε/α``.
    The circuit is linear, so Newton's convergence test is met on the second iteration whatever
    the tolerances; accuracy is set by the maximum step (trap: error ∝ dt²). Measured to run the
    3×3 grid for α from 1e-6 to 1e3 and τ from 1e-9 to 1; τ ≳ 1e6 still fails (a clear error).
    """
    return {"abstol": 1e-7 * max(s.ampere, s.volt), "vntol": 1e-6 * s.volt,
            "chgtol": 1e-14 * max(s.charge, s.energy * s.time / s.charge)}

#: at most this many maximal steps in one transient (a guard against a mistyped dt)
MAX_STEPS = 10 ** 8


def sanitize(text, limit: int = 200) -> str:
    """``text`` as one line of printable ASCII (others become ``?``), at most ``limit`` characters."""
    s = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in str(text))
    return s[:limit]


def num(value) -> str:
    """A finite float in SPICE syntax: Python's shortest round-trip ``repr`` (deterministic)."""
    v = float(value)
    if not math.isfinite(v) or abs(v) > 1e300:
        raise ValueError(f"cannot write the non-finite or out-of-range value {value!r} into a netlist")
    return repr(v)


def _check_part(kind: str, values: np.ndarray, where: str):
    bad = ~(np.isfinite(values) & (values > 0) & (values < 1e300))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"non-physical {kind} {values[i]!r} for {where} {i}: circuit parts must be finite "
                         f"and > 0 (check the system's parameters and the scaling)")


@dataclass
class Branch:
    """One element of the element list as a circuit branch."""

    index: int            # global element index (names: n{index}, l/r/c{index}, …)
    kind: str             # 'inertia' | 'damper' | 'spring'
    label: str            # what it stands for (ElementGroup.describe)
    value: float          # mechanical value (m, r or k)
    part: float           # L (H), R (Ω) or C (F)
    dofs: np.ndarray      # lever columns
    coefs: np.ndarray     # lever coefficients
    offset: float = 0.0   # spring target y
    channel: int = -1     # noise channel (dampers)
    amplitude: float = 0.0  # volts per unit ξ (dampers)


@dataclass
class Circuit:
    """A system's circuit with its initial state and noise, ready to render or simulate.

    Build it with :func:`build_circuit`. Attributes are in mechanical units unless named
    otherwise; ``scaling`` converts (see :mod:`ss_circuit.scaling`).
    """

    system: object
    scaling: Scaling
    noise: str
    x0: np.ndarray
    v0: np.ndarray
    noise_signal: object = None      # SampledNoise with one sample (mode 'samples')
    dt_noise: float | None = None    # knot spacing (samples) or TRNOISE NT (trnoise), mechanical time
    title: str = ""
    branches: list = field(default_factory=list)
    meter_capacitance: float = 1.0

    # ------------------------------------------------------------------ structure
    @property
    def n_dof(self) -> int:
        return self.system.n_dof

    def counts(self) -> dict:
        """Element counts of the netlist (for benchmarks and reports)."""
        n = {"inductors": 0, "resistors": 0, "capacitors": self.n_dof, "noise_sources": 0, "cccs": self.n_dof,
             "vcvs": 0, "independent": self.n_dof}
        for b in self.branches:
            n[{"inertia": "inductors", "damper": "resistors", "spring": "capacitors"}[b.kind]] += 1
            n["cccs"] += b.dofs.size
            n["vcvs"] += b.dofs.size
            n["independent"] += b.kind == "spring"
            n["noise_sources"] += self.noisy(b)
        n["total"] = sum(v for k, v in n.items() if k != "noise_sources") + n["noise_sources"]
        return n

    def noisy(self, b: Branch) -> bool:
        return b.kind == "damper" and self.noise != "none"

    def _loops(self) -> list[list[tuple[int, float]]]:
        loops = [[] for _ in range(self.n_dof)]
        for b in self.branches:
            for a, c in zip(b.dofs, b.coefs):
                loops[int(a)].append((b.index, float(c)))
        return loops

    def _dof_label(self, a: int) -> str:
        m = self.system.n_labels
        node = a // m
        coords = self.system.grid.node_coordinates()[node]
        where = ", ".join(num(round(float(c), 12)) for c in coords)
        return f"dof {a}: grid node {node} at u = ({where}), label {a % m}"

    # ------------------------------------------------------------------ initial values (circuit units)
    def _initial_currents(self, b: Branch) -> float:
        return self.scaling.ampere * float(b.coefs @ self.v0[b.dofs])

    def _noise_at_zero(self, b: Branch) -> float:
        """The source EMF at t = 0 (volts); NaN when it is not known in advance (TRNOISE)."""
        if not self.noisy(b):
            return 0.0
        if self.noise == "trnoise":
            return math.nan
        return b.amplitude * float(self.noise_signal.signal(self.noise_signal.t0)[0, b.channel])

    def initial_values(self) -> dict:
        """Every saved vector at t = 0 (ngspice's names, circuit units), from x0, v0 and the noise."""
        s = self.scaling
        out = {}
        for a in range(self.n_dof):
            out[f"vi{a}#branch"] = s.ampere * self.v0[a]
            out[f"x{a}"] = s.charge * self.x0[a] / self.meter_capacitance
        for b in self.branches:
            g = b.index
            if b.kind == "inertia":
                out[f"l{g}#branch"] = self._initial_currents(b)
            elif b.kind == "spring":
                out[f"n{g}"] = s.volt * b.value * (float(b.coefs @ self.x0[b.dofs]) - b.offset)
            else:
                emf = self._noise_at_zero(b)
                out[f"n{g}"] = b.part * self._initial_currents(b) - emf
                if self.noisy(b):
                    out[f"m{g}"] = -emf
        return out

    # ------------------------------------------------------------------ what is saved and how it is read back
    def vectors(self) -> list[str]:
        names = [f"vi{a}#branch" for a in range(self.n_dof)] + [f"x{a}" for a in range(self.n_dof)]
        for b in self.branches:
            g = b.index
            if b.kind == "inertia":
                names.append(f"l{g}#branch")
            else:
                names.append(f"n{g}")
                if self.noisy(b):
                    names.append(f"m{g}")
        return names

    def _save_lines(self) -> list[str]:
        items = []
        for name in self.vectors():
            items.append(f"i({name[:-7]})" if name.endswith("#branch") else f"v({name})")
        lines = [".save " + " ".join(items[:8])]
        lines += ["+ " + " ".join(items[i:i + 8]) for i in range(8, len(items), 8)]
        return lines

    def readout_plan(self, t_out, dt: float) -> dict:
        """What :func:`ss_circuit.readout.reduce_vectors` needs (plain arrays: picklable, no ss_mech)."""
        s = self.scaling
        br = self.branches
        t_out = np.asarray(t_out, dtype=float)
        return {
            "loop": [f"vi{a}#branch" for a in range(self.n_dof)],
            "meter": [f"x{a}" for a in range(self.n_dof)],
            "inductors": [f"l{b.index}#branch" for b in br if b.kind == "inertia"],
            "L": np.array([b.part for b in br if b.kind == "inertia"]),
            "springs": [f"n{b.index}" for b in br if b.kind == "spring"],
            "C": np.array([b.part for b in br if b.kind == "spring"]),
            "res_a": [f"n{b.index}" for b in br if b.kind == "damper"],
            "res_b": [f"m{b.index}" if self.noisy(b) else "" for b in br if b.kind == "damper"],
            "R": np.array([b.part for b in br if b.kind == "damper"]),
            "initial": self.initial_values(),
            "t_out": s.time * t_out,
            "energy": s.energy,
            "x_per_volt": self.meter_capacitance / s.charge,
            "v_per_ampere": 1.0 / s.ampere,
            "breaks": [s.time * p for p in self.breakpoint_periods(t_out[-1] / (len(t_out) - 1))],
            "break_times": [s.time * dt],
        }

    # ------------------------------------------------------------------ noise sources
    def external_sources(self) -> dict:
        """``{source name: (t0, dt, volts)}`` for the shared-mode ``external`` sources (circuit units)."""
        if self.noise != "samples":
            return {}
        sig, tau = self.noise_signal, self.scaling.time
        return {f"vn{b.index}": (tau * sig.t0, tau * sig.dt_noise, b.amplitude * sig.values[:, 0, b.channel])
                for b in self.branches if self.noisy(b)}

    def _noise_source(self, b: Branch, standalone: bool) -> list[str]:
        head = f"vn{b.index} 0 m{b.index}"
        tau = self.scaling.time
        if self.noise == "trnoise":
            na = b.amplitude / math.sqrt(self.dt_noise)
            return [f"{head} {trnoise_spec(na, tau * self.dt_noise, num)}"]
        if not standalone:
            return [f"{head} external"]
        sig = self.noise_signal
        return [head] + pwl_lines(tau * sig.times(), b.amplitude * sig.values[:, 0, b.channel], num)

    def breakpoint_periods(self, interval: float) -> list[float]:
        """Periods (mechanical time) of all breakpoints: the clocks and TRNOISE's sample times."""
        return self._clocks(interval) + ([self.dt_noise] if self.noise == "trnoise" else [])

    def _clocks(self, interval: float) -> list[float]:
        """Periods (mechanical time) of the zero-amplitude TRNOISE sources that force time points.

        ``external`` sources set no breakpoints, so a clock at the knot spacing makes ngspice step
        onto every knot (the forcing is then exactly the piecewise-linear signal); a clock at the
        output interval makes every output time an accepted point.
        """
        periods = []
        knots = self.dt_noise if self.noise in ("samples", "trnoise") else None
        if self.noise == "samples":
            periods.append(knots)
        if knots is None or abs(interval / knots - round(interval / knots)) > 1e-9:
            periods.append(interval)
        return periods

    # ------------------------------------------------------------------ rendering
    def netlist(self, *, t_end: float, dt: float, n_out: int = 101, method: str = "trap",
                standalone: bool = True) -> str:
        """The SPICE text (``ngspice -b`` runs it when ``standalone``).

        Parameters
        ----------
        t_end : float
            Duration in mechanical time (the circuit runs ``τ·t_end`` seconds).
        dt : float
            ngspice's maximum internal step in mechanical time (``.tran`` TMAX = ``τ·dt``).
        n_out : int
            Output times including 0 and ``t_end``; each is made an accepted time point.
        method : {'trap', 'gear'}
            Integration rule (trap: second order, conserves energy; gear leaks it).
        standalone : bool
            ``samples`` noise as PWL data (standalone) or ``external`` sources (shared mode).
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
        if not (t_end > 0 and math.isfinite(t_end)):
            raise ValueError(f"t_end must be a finite number > 0, got {t_end!r}")
        if not (dt > 0 and math.isfinite(dt)):
            raise ValueError(f"dt (ngspice's maximum step) must be a finite number > 0, got {dt!r}")
        if t_end / dt > MAX_STEPS:
            raise ValueError(f"dt={dt:g} would take {t_end / dt:.3g} steps over t_end={t_end:g} "
                             f"(at most {MAX_STEPS:.0e}): use a larger dt")
        if self.noise == "samples" and self.noise_signal.t_end < t_end * (1 - 1e-12):
            raise ValueError(f"the noise signal covers [0, {self.noise_signal.t_end}] but t_end={t_end}")
        s, sys_ = self.scaling, self.system
        tau = s.time
        L = [f"springs-and-sticks circuit{': ' + sanitize(self.title) if self.title else ''}"]
        L += [
            "* Generated by ss_circuit from the element list of a springs-and-sticks system.",
            "* Force-voltage analogy: displacement = charge, velocity = loop current, force = voltage,",
            "* mass = inductor, spring = capacitor (+ DC source for its data target), drag = resistor",
            "* (+ Johnson-noise source), lever = ideal transformer made of E (VCVS) and F (CCCS) sources.",
            f"* system: {sanitize(repr(sys_), 400)}",
            f"* grid: {sanitize(sys_.grid.to_dict())}",
            f"* scaling: charge alpha = {num(s.charge)} C per unit displacement, time tau = {num(s.time)} s per "
            f"unit time, energy eps = {num(s.energy)} J per energy unit",
            f"* bath: k_B T = {num(s.energy * sys_.kb * sys_.temperature)} J (T = {num(s.kelvin(sys_.kb, sys_.temperature))} K "
            f"with k_B = 1.380649e-23 J/K); noise = {self.noise}",
            f"* run: t_end = {num(t_end)} (circuit {num(tau * t_end)} s), max step = {num(dt)} "
            f"(circuit {num(tau * dt)} s), method = {method}",
        ]
        if self.noise == "samples":
            L.append(f"* noise samples every {num(self.noise_signal.dt_noise)} time units "
                     f"(circuit {num(tau * self.noise_signal.dt_noise)} s), "
                     + ("PWL data below" if standalone else "fed through ngspice's external sources"))
        L.append("")
        L.append("* ---- loops: one per degree of freedom; loop current i_a = alpha/tau * v_a (A).")
        L.append("* VI_a (0 V) senses i_a; E_a_g adds lever * V(n_g) of every element g that touches dof a.")
        for a, terms in enumerate(self._loops()):
            L.append(f"* {self._dof_label(a)}")
            L.append(f"vi{a} 0 a{a}_0 0")
            for k, (g, c) in enumerate(terms):
                nxt = f"a{a}_{k + 1}" if k + 1 < len(terms) else "0"
                L.append(f"e{a}_{g} a{a}_{k} {nxt} n{g} 0 {num(c)}")
        L.append("")
        L.append("* ---- elements: F_g_a inject lever * i_a into node n_g, so the branch carries i_g = c_g . i")
        group = None
        for b in self.branches:
            if b.label.split(":")[0] != group:
                group = b.label.split(":")[0]
                L.append(f"* -- {sanitize(group)} ({b.kind}: "
                         + {"inertia": "L = eps m tau^2/alpha^2", "damper": "R = eps r tau/alpha^2",
                            "spring": "C = alpha^2/(eps k), offset source -eps k y/alpha"}[b.kind] + ")")
            g = b.index
            what = {"inertia": f"m = {num(b.value)} -> L = {num(b.part)} H",
                    "damper": f"r = {num(b.value)} -> R = {num(b.part)} Ohm",
                    "spring": f"k = {num(b.value)}, target y = {num(b.offset)} -> C = {num(b.part)} F"}[b.kind]
            L.append(f"* element {g}: {sanitize(b.label)}; {what}")
            for a, c in zip(b.dofs, b.coefs):
                L.append(f"f{g}_{a} 0 n{g} vi{a} {num(c)}")
            if b.kind == "inertia":
                L.append(f"l{g} n{g} 0 {num(b.part)} ic={num(self._initial_currents(b))}")
            elif b.kind == "spring":
                q0 = s.charge * float(b.coefs @ self.x0[b.dofs])
                L.append(f"c{g} n{g} m{g} {num(b.part)} ic={num(q0 / b.part)}")
                L.append(f"vy{g} m{g} 0 {num(-s.volt * b.value * b.offset)}")
            elif self.noisy(b):
                L.append(f"r{g} n{g} m{g} {num(b.part)}")
                L.append(f"* Johnson noise of element {g} (channel {b.channel}): "
                         f"{num(b.amplitude)} V per unit xi, two-sided PSD 2 k_B T R")
                L.extend(self._noise_source(b, standalone))
            else:
                L.append(f"r{g} n{g} 0 {num(b.part)}")
        L.append("")
        L.append(f"* ---- position meters: V(x_a) = q_a / CX, position x_a = {num(self.meter_capacitance)} * V(x_a) / alpha")
        for a in range(self.n_dof):
            L.append(f"fx{a} 0 x{a} vi{a} 1.0")
            L.append(f"cx{a} x{a} 0 {num(self.meter_capacitance)} ic={num(s.charge * self.x0[a] / self.meter_capacitance)}")
        L.append("")
        L.append("* ---- clocks: zero-amplitude TRNOISE sources force time points (noise knots, output times)")
        for j, period in enumerate(self._clocks(t_end / (n_out - 1))):
            L.append(f"vclk{j} clk{j} 0 trnoise(0 {num(tau * period)} 0 0)")
            L.append(f"rclk{j} clk{j} 0 1.0")
        L.append("")
        opts = " ".join(f"{k}={num(v)}" for k, v in tolerances(s).items())
        L.append(f".options method={method} {opts}")
        L.extend(self._save_lines())
        if standalone:
            L.append("* `ngspice -b` runs a transient only when something is printed: the position meters")
            meters = [f"v(x{a})" for a in range(self.n_dof)]
            L.append(".print tran " + " ".join(meters[:8]))
            L.extend("+ " + " ".join(meters[i:i + 8]) for i in range(8, len(meters), 8))
        L.append(f".tran {num(tau * dt)} {num(tau * t_end)} 0 {num(tau * dt)} uic")
        L.append(".end")
        return "\n".join(L) + "\n"


def _branches(system, scaling: Scaling, noise: str) -> list[Branch]:
    kT = system.kb * system.temperature
    out, g, channel = [], 0, 0
    for group in system.elements:
        levers = sp.csr_matrix(group.levers)
        with np.errstate(all="ignore"):  # overflow is reported by _check_part below
            parts = {"inertia": scaling.inductance, "damper": scaling.resistance,
                     "spring": scaling.capacitance}[group.kind](group.values)
        _check_part({"inertia": "inductance", "damper": "resistance", "spring": "capacitance"}[group.kind],
                    np.asarray(parts, dtype=float), group.name)
        for i in range(len(group)):
            lo, hi = levers.indptr[i], levers.indptr[i + 1]
            keep = levers.data[lo:hi] != 0
            b = Branch(index=g, kind=group.kind, label=group.describe(i), value=float(group.values[i]),
                       part=float(parts[i]), dofs=levers.indices[lo:hi][keep].astype(int),
                       coefs=levers.data[lo:hi][keep].astype(float))
            if group.kind == "spring":
                b.offset = float(group.offsets[i])
            if group.kind == "damper":
                b.channel = channel
                b.amplitude = scaling.volt * math.sqrt(2.0 * kT * b.value)
                channel += 1
            out.append(b)
            g += 1
    return out


def build_circuit(system, *, x0=None, v0=None, noise: str = "samples", scaling: Scaling | None = None,
                  noise_signal=None, dt_noise: float | None = None, seed: int = 0, t_end: float | None = None,
                  n_out: int = 101, title: str = "") -> Circuit:
    """The circuit of ``system`` started in ``(x0, v0)``.

    Parameters
    ----------
    system : ss_mech.System
        The machine with its data springs (``noise='fdt'``: the circuit's Johnson noise *is*
        the fdt convention; ``'paper'`` noise has no circuit and raises unless noise is off).
    x0, v0 : array-like (N,), optional
        Initial positions and velocities (mechanical units); default: ``ss_mech``'s seeded
        uniform positions in [0, 1) (``seed``) and zero velocities, as the mechanical backend.
    noise : {'samples', 'trnoise', 'none'}
        How the resistors' Johnson noise is made (see :mod:`ss_circuit.sources`); forced to
        ``'none'`` when the system has no bath (T = 0 or γ = 0).
    scaling : Scaling, optional
        Unit factors (identity by default: mechanical units read as SI).
    noise_signal : ss_mech.SampledNoise, optional
        The noise for ``'samples'`` (one sample, ``system.noise_dim`` channels, covering the
        run); drawn with :func:`ss_circuit.sources.draw_noise` (``seed``, ``t_end``) otherwise.
    dt_noise : float, optional
        Knot spacing (samples) or TRNOISE's NT (trnoise) in mechanical time; default
        ``1/(100·max(γ, ω_max))`` aligned to the output times.
    seed, t_end, n_out : used only to draw the default initial state and noise.
    title : str
        Free text for the netlist's title (sanitised).
    """
    from ss_mech.integrate import initial_state

    if noise not in NOISE_MODES:
        raise ValueError(f"noise must be one of {', '.join(map(repr, NOISE_MODES))}; got {noise!r}")
    scaling = Scaling() if scaling is None else scaling
    if not isinstance(scaling, Scaling):
        raise TypeError(f"scaling must be a ss_circuit.Scaling, got {type(scaling).__name__}")
    if not system.thermal:
        noise, noise_signal = "none", None
    elif noise != "none" and system.noise != "fdt":
        raise ValueError(f"the circuit realises fdt noise only (Johnson noise of each resistor); this system uses "
                         f"noise={system.noise!r}. Use System(noise='fdt') or noise='none'")
    x, v = initial_state(system, x0=x0, v0=v0, samples=1, seed=seed)
    circuit = Circuit(system=system, scaling=scaling, noise=noise, x0=x[0], v0=v[0], title=title,
                      branches=_branches(system, scaling, noise),
                      meter_capacitance=scaling.capacitance(system.stiffness))
    if noise == "samples":
        if noise_signal is None:
            if t_end is None:
                raise ValueError("noise='samples' needs either a noise_signal or t_end (to draw one)")
            from .sources import draw_noise
            noise_signal = draw_noise(system, t_end=t_end, samples=1, seed=seed, dt_noise=dt_noise, n_out=n_out)
        if (noise_signal.samples, noise_signal.n_noise) != (1, system.noise_dim):
            raise ValueError(f"noise_signal must have 1 sample and {system.noise_dim} channels (one per damper), "
                             f"got samples={noise_signal.samples}, channels={noise_signal.n_noise}")
        if noise_signal.t0 != 0:
            raise ValueError(f"noise_signal must start at t = 0, got t0={noise_signal.t0}")
        circuit.noise_signal = noise_signal
        circuit.dt_noise = noise_signal.dt_noise
    elif noise == "trnoise":
        if dt_noise is None:
            interval = (t_end / (n_out - 1)) if t_end is not None else math.inf
            dt_noise = align_dt(default_dt_noise(system), interval)
        if not (dt_noise > 0 and math.isfinite(dt_noise)):
            raise ValueError(f"dt_noise must be a finite number > 0, got {dt_noise!r}")
        circuit.dt_noise = float(dt_noise)
    return circuit


def write_netlist(system, path, *, x0=None, v0=None, t_end: float, dt: float, noise: str = "samples",
                  seed: int = 0, scaling: Scaling | None = None, method: str = "trap", n_out: int = 101,
                  dt_noise: float | None = None, title: str = "") -> str:
    """Write the standalone netlist of ``system`` to ``path`` (``ngspice -b path`` runs it) and return it.

    ``samples`` noise is drawn from ``seed`` exactly as :func:`ss_circuit.simulate_circuit` draws
    sample 0 and written as PWL data; ``trnoise`` uses ngspice's generator (unseeded). See
    :func:`build_circuit` and :meth:`Circuit.netlist` for the parameters.
    """
    circuit = build_circuit(system, x0=x0, v0=v0, noise=noise, scaling=scaling, seed=seed, t_end=t_end,
                            n_out=n_out, dt_noise=dt_noise, title=title)
    text = circuit.netlist(t_end=t_end, dt=dt, n_out=n_out, method=method, standalone=True)
    if path is not None:
        Path(path).write_text(text)
    return text
