"""The circuit of a system's element list (force–voltage analogy, DESIGN.md §3): its structure.

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

:func:`build_circuit` makes a :class:`Circuit` (its :class:`Branch` es, initial values, noise,
what is saved and how it is read back); :mod:`ss_circuit.render` writes it as SPICE text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ss_mech.serialize import atomic_write

from .render import render_netlist
from .scaling import Scaling
from .sources import NOISE_MODES, align_dt, default_dt_noise, require_fdt

__all__ = ["Circuit", "Branch", "build_circuit", "write_netlist"]


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
    series: int = -1      # inertia: the damper drawn in series with its inductor (ss_mech.Perturbation)
    series_of: int = -1   # that damper: its inductor's element (it has no levers of its own)


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
    # non-idealities without a mechanical twin (ss_circuit.nonideal); 0 = off, the ideal netlist
    leakage: float = 0.0             # ohms across every spring capacitor
    leak_noise: object = None        # SampledNoise of the leakage resistors' Johnson noise ('samples')
    lever_bandwidth: float = 0.0     # Hz: single-pole corner of every data-spring lever

    def lever_node(self, g: int) -> str:
        """The node whose voltage the loops' E sources of element ``g`` read (its branch, or the
        output of its lever's single-pole filter)."""
        return f"d{g}" if self.lever_bandwidth and self.branches[g].kind == "spring" else f"n{g}"

    def leak_noisy(self) -> bool:
        return bool(self.leakage) and self.noise != "none"

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
            n["cccs"] += b.dofs.size * (b.series_of < 0)
            n["vcvs"] += b.dofs.size * (b.series_of < 0)
            n["independent"] += b.kind == "spring"
            n["noise_sources"] += self.noisy(b)
            if b.kind == "spring":
                n["resistors"] += bool(self.leakage) + bool(self.lever_bandwidth)
                n["noise_sources"] += self.leak_noisy()
                n["vcvs"] += bool(self.lever_bandwidth)
                n["capacitors"] += bool(self.lever_bandwidth)
        n["total"] = sum(v for k, v in n.items() if k != "noise_sources") + n["noise_sources"]
        return n

    def noisy(self, b: Branch) -> bool:
        return b.kind == "damper" and self.noise != "none"

    def loops(self) -> list[list[tuple[int, float]]]:
        loops = [[] for _ in range(self.n_dof)]
        for b in self.branches:
            if b.series_of >= 0:  # in series with an inductor: its voltage is in the inductor's branch
                continue
            for a, c in zip(b.dofs, b.coefs):
                loops[int(a)].append((b.index, float(c)))
        return loops

    # ------------------------------------------------------------------ initial values (circuit units)
    def initial_current(self, b: Branch) -> float:
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
                out[f"l{g}#branch"] = self.initial_current(b)
            elif b.kind == "spring":
                out[f"n{g}"] = s.volt * b.value * (float(b.coefs @ self.x0[b.dofs]) - b.offset)
            else:
                emf = self._noise_at_zero(b)
                out[f"n{g}"] = b.part * self.initial_current(b) - emf
                if self.noisy(b):
                    out[f"m{g}"] = -emf
            if b.kind == "spring" and self.leak_noisy():
                out[f"ml{g}"] = self.target_volts(b) - self._leak_emf_at_zero(b)
        return out

    def target_volts(self, b: Branch) -> float:
        """V(m_g) of spring ``b``: its data-offset source, ``−ε k y/α``."""
        return -self.scaling.volt * b.value * b.offset

    def leak_amplitude(self) -> float:
        """Volts per unit ξ of a leakage resistor's Johnson source: ``√(2 k_B T_c R_leak / τ)``
        (two-sided PSD ``2 k_B T_c R`` in circuit time, ξ of unit intensity in mechanical time)."""
        return math.sqrt(2.0 * self.scaling.energy * self.system.kT * self.leakage / self.scaling.time)

    def _leak_emf_at_zero(self, b: Branch) -> float:
        if self.noise == "trnoise":
            return math.nan
        j = self.spring_slot(b)
        return self.leak_amplitude() * float(self.leak_noise.signal(self.leak_noise.t0)[0, j])

    def spring_slot(self, b: Branch) -> int:
        return b.index - next(x.index for x in self.branches if x.kind == "spring")

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
            if b.kind == "spring" and self.leak_noisy():
                names.append(f"ml{g}")
        return names

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
            **self._ledger_plan(),
        }

    def _ledger_plan(self) -> dict:
        """The readout's per-class ledger: each resistor's class, and the leakage resistors."""
        br = self.branches
        plan = {"R_class": [b.label.split(":")[0] for b in br if b.kind == "damper"]}
        if self.leakage:
            springs = [b for b in br if b.kind == "spring"]
            plan["leak"] = {"nodes": [f"n{b.index}" for b in springs],
                            "low": [f"ml{b.index}" for b in springs] if self.leak_noisy() else [],
                            "targets": np.array([self.target_volts(b) for b in springs]), "R": float(self.leakage)}
        return plan

    # ------------------------------------------------------------------ noise sources
    def external_sources(self) -> dict:
        """``{source name: (t0, dt, volts)}`` for the shared-mode ``external`` sources (circuit units)."""
        if self.noise != "samples":
            return {}
        sig, tau = self.noise_signal, self.scaling.time
        out = {f"vn{b.index}": (tau * sig.t0, tau * sig.dt_noise, b.amplitude * sig.values[:, 0, b.channel])
               for b in self.branches if self.noisy(b)}
        if self.leak_noisy():
            ln, amp = self.leak_noise, self.leak_amplitude()
            out.update({f"vnl{b.index}": (tau * ln.t0, tau * ln.dt_noise, amp * ln.values[:, 0, self.spring_slot(b)])
                        for b in self.branches if b.kind == "spring"})
        return out

    def breakpoint_periods(self, interval: float) -> list[float]:
        """Periods (mechanical time) of all breakpoints: the clocks and TRNOISE's sample times."""
        return self.clocks(interval) + ([self.dt_noise] if self.noise == "trnoise" else [])

    def clocks(self, interval: float) -> list[float]:
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
                standalone: bool = True, params: bool = False) -> str:
        """The SPICE text of this circuit (:func:`ss_circuit.render.render_netlist`)."""
        return render_netlist(self, t_end=t_end, dt=dt, n_out=n_out, method=method, standalone=standalone,
                              params=params)


def _branches(system, scaling: Scaling, noise: str) -> list[Branch]:
    kT = system.kT
    out, g, channel, start = [], 0, 0, {}
    for group in system.elements:
        start[group.name] = g
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
                if group.series is not None:  # drawn in series with its inductor (same lever)
                    b.series_of = start[group.series] + i
                    out[b.series_of].series = g
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
    from ss_mech.run import initial_state

    if noise not in NOISE_MODES:
        raise ValueError(f"noise must be one of {', '.join(map(repr, NOISE_MODES))}; got {noise!r}")
    scaling = Scaling() if scaling is None else scaling
    if not isinstance(scaling, Scaling):
        raise TypeError(f"scaling must be a ss_circuit.Scaling, got {type(scaling).__name__}")
    if not system.thermal:
        noise, noise_signal = "none", None
    elif noise != "none":
        require_fdt(system, hint="Use System(noise='fdt') or noise='none'")
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
                  dt_noise: float | None = None, title: str = "", params: bool = False) -> str:
    """Write the standalone netlist of ``system`` to ``path`` (``ngspice -b path`` runs it) and return it.

    ``samples`` noise is drawn from ``seed`` exactly as :func:`ss_circuit.simulate_circuit` draws
    sample 0 and written as PWL data; ``trnoise`` uses ngspice's generator (unseeded). See
    :func:`~ss_circuit.circuit.build_circuit` and :func:`render_netlist` for the parameters.
    """
    circuit = build_circuit(system, x0=x0, v0=v0, noise=noise, scaling=scaling, seed=seed, t_end=t_end,
                            n_out=n_out, dt_noise=dt_noise, title=title)
    text = render_netlist(circuit, t_end=t_end, dt=dt, n_out=n_out, method=method, standalone=True, params=params)
    if path is not None:
        atomic_write(path, text)  # an interrupted write leaves the old file or none, never half a netlist
    return text
