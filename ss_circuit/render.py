"""A :class:`~ss_circuit.circuit.Circuit` as SPICE text: names, numbers, tolerances, one block at a time.

Netlists are deterministic (numbers are written with Python's shortest round-trip ``repr``)
and every element is preceded by a comment naming the stick, node or data point it stands
for. Only generated identifiers appear outside comments; free text (titles) is reduced to
printable ASCII on one comment line, so no user string can become a SPICE line.

:func:`render_netlist` joins the blocks: header comments, loops, elements, position meters,
clocks, and the control lines (options, saves, prints, ``.tran``).
(:func:`ss_circuit.circuit.write_netlist` is the one-call path from a system to a file.)
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from .scaling import Scaling
from .sources import pwl_lines, trnoise_spec

__all__ = ["render_netlist", "render_small_signal", "check_transient", "tolerances", "sanitize", "num", "METHODS",
           "MAX_STEPS", "part_params"]

#: ngspice's integration rules the circuit may use (trap: second order, conserves energy; gear leaks it)
METHODS = ("trap", "gear")

#: at most this many maximal steps in one transient (a guard against a mistyped dt)
MAX_STEPS = 10 ** 8


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



def check_transient(circuit, *, t_end: float, dt: float, method: str) -> None:
    """The transient's own checks: the rule, a finite duration and step, not too many steps, and
    a noise signal that covers the run."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if not (t_end > 0 and math.isfinite(t_end)):
        raise ValueError(f"t_end must be a finite number > 0, got {t_end!r}")
    if not (dt > 0 and math.isfinite(dt)):
        raise ValueError(f"dt (ngspice's maximum step) must be a finite number > 0, got {dt!r}")
    if t_end / dt > MAX_STEPS:
        raise ValueError(f"dt={dt:g} would take {t_end / dt:.3g} steps over t_end={t_end:g} "
                         f"(at most {MAX_STEPS:.0e}): use a larger dt")
    if circuit.noise == "samples" and circuit.noise_signal.t_end < t_end * (1 - 1e-12):
        raise ValueError(f"the noise signal covers [0, {circuit.noise_signal.t_end}] but t_end={t_end}")


def render_netlist(circuit, *, t_end: float, dt: float, n_out: int = 101, method: str = "trap",
                   standalone: bool = True, params: bool = False) -> str:
    """The SPICE text of ``circuit`` (``ngspice -b`` runs it when ``standalone``).

    Parameters
    ----------
    circuit : Circuit
        From :func:`ss_circuit.circuit.build_circuit`.
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
    params : bool
        Part values through one ``.param`` per part class (:func:`part_params`): a designer
        edits one line to change every inductor, resistor or capacitor of that class.
    """
    check_transient(circuit, t_end=t_end, dt=dt, method=method)
    L = _header(circuit, t_end=t_end, dt=dt, method=method, standalone=standalone)
    table = part_params(circuit) if params else None
    if table is not None:
        L += _param_lines(table)
    L += _loop_lines(circuit) + _element_lines(circuit, standalone, table) + _meter_lines(circuit)
    L += _clock_lines(circuit, t_end / (n_out - 1))
    L += _control_lines(circuit, t_end=t_end, dt=dt, method=method, standalone=standalone)
    return "\n".join(L) + "\n"


def render_small_signal(circuit, *, readout, drive: dict, analyses: list[str], noiseless=(),
                        gshunt: float = 0.0) -> str:
    """The SPICE text of ``circuit`` for small-signal analyses (``.ac``, ``.noise``), no transient.

    Parameters
    ----------
    circuit : Circuit
        Built with ``noise='none'``: the resistors are bare, so ``.noise`` sums ngspice's own
        thermal noise of each (4 k_B T R one-sided, at ``.options temp``, the bath's kelvin).
    readout : array (n_r × N)
        One readout meter per row j: ``FRO_j_a`` copies ``R_ja i_a`` into ``CRO_j`` (the position
        meters' capacitance), so ``V(ro_j) = α (R q)_j / (α C_X)``, i.e. ``(R x)_j = C_X V(ro_j)/α``.
    drive : dict
        ``{dof a: ac volts}`` on the loop's sensing source (the stimulus; :mod:`ss_circuit.frequency`).
    analyses : list of str
        The analysis lines (``.ac dec …``, ``.noise v(ro0) vi0 dec …``), circuit units.
    noiseless : iterable of int
        Damper channels whose resistor gets ``noisy=0`` (ngspice leaves its noise out).
    gshunt : float
        ``.options gshunt`` (siemens from every node to ground, noiseless). The operating point that
        ``.noise`` computes first is singular without it: at DC a spring's capacitor node and the
        meters' nodes have no path to ground (the charges that fix them are not DC unknowns).
        :mod:`ss_circuit.frequency` sets it 1e-9 of the smallest element admittance over the sweep, which bounds
        its relative effect on the response by about 1e-9 (measured: 1e-12 of it left the unscaled demo's
        operating point unsolved and its .noise wrong by O(1); 1e-9 to 1e-3 agree to 1e-9).
    """
    s, sys_ = circuit.scaling, circuit.system
    if circuit.noise != "none":
        raise ValueError("small-signal analyses use ngspice's own resistor noise: build the circuit with noise='none'")
    kelvin = s.ngspice_kelvin(sys_.kb, sys_.temperature)
    L = [f"springs-and-sticks circuit, small-signal{': ' + sanitize(circuit.title) if circuit.title else ''}",
         "* Generated by ss_circuit (see the transient netlist for the analogy); no Johnson sources of ours:",
         "* .noise sums ngspice's thermal noise of every resistor at the bath's temperature.",
         f"* system: {sanitize(repr(sys_), 400)}",
         f"* scaling: charge alpha = {num(s.charge)}, time tau = {num(s.time)}, energy eps = {num(s.energy)}",
         f"* bath: T = {num(kelvin)} K", ""]
    L += _loop_lines(circuit, drive) + _element_lines(circuit, False, noiseless=set(noiseless)) + _meter_lines(circuit)
    L.append("* ---- readout meters: V(ro_j) = alpha (R x)_j / CX")
    for j, row in enumerate(readout):
        for a in np.flatnonzero(row):
            L.append(f"fro{j}_{a} 0 ro{j} vi{a} {num(row[a])}")
        L.append(f"cro{j} ro{j} 0 {num(circuit.meter_capacitance)}")
    opts = ([f"temp={num(kelvin - 273.15)}"] if kelvin > 0 else []) + ([f"gshunt={num(gshunt)}"] if gshunt else [])
    L += [""] + ([".options " + " ".join(opts)] if opts else []) + [*analyses, ".end"]
    return "\n".join(L) + "\n"


def _header(c, *, t_end, dt, method, standalone) -> list[str]:
    s, sys_ = c.scaling, c.system
    tau = s.time
    L = [f"springs-and-sticks circuit{': ' + sanitize(c.title) if c.title else ''}"]
    L += [
        "* Generated by ss_circuit from the element list of a springs-and-sticks system.",
        "* Force-voltage analogy: displacement = charge, velocity = loop current, force = voltage,",
        "* mass = inductor, spring = capacitor (+ DC source for its data target), drag = resistor",
        "* (+ Johnson-noise source), lever = ideal transformer made of E (VCVS) and F (CCCS) sources.",
        f"* system: {sanitize(repr(sys_), 400)}",
        f"* grid: {sanitize(sys_.grid.to_dict())}",
        f"* scaling: charge alpha = {num(s.charge)} C per unit displacement, time tau = {num(s.time)} s per "
        f"unit time, energy eps = {num(s.energy)} J per energy unit",
        f"* bath: k_B T = {num(s.energy * sys_.kT)} J (T = {num(s.kelvin(sys_.kb, sys_.temperature))} K "
        f"with k_B = 1.380649e-23 J/K); noise = {c.noise}",
        f"* run: t_end = {num(t_end)} (circuit {num(tau * t_end)} s), max step = {num(dt)} "
        f"(circuit {num(tau * dt)} s), method = {method}",
    ]
    if c.noise == "samples":
        L.append(f"* noise samples every {num(c.noise_signal.dt_noise)} time units "
                 f"(circuit {num(tau * c.noise_signal.dt_noise)} s), "
                 + ("PWL data below" if standalone else "fed through ngspice's external sources"))
    L.append("")
    return L


def _dof_label(c, a: int) -> str:
    m = c.system.n_labels
    node = a // m
    coords = c.system.grid.node_coordinates()[node]
    where = ", ".join(num(round(float(x), 12)) for x in coords)
    return f"dof {a}: grid node {node} at u = ({where}), label {a % m}"


def _loop_lines(c, drive=None) -> list[str]:
    L = ["* ---- loops: one per degree of freedom; loop current i_a = alpha/tau * v_a (A).",
         "* VI_a (0 V) senses i_a; E_a_g adds lever * V(n_g) of every element g that touches dof a."]
    drive = drive or {}
    if drive:
        L.append("* small-signal stimulus: VI_a carries ac = -(eps/alpha) F_a, a force F_a on dof a")
    for a, terms in enumerate(c.loops()):
        L.append(f"* {_dof_label(c, a)}")
        L.append(f"vi{a} 0 a{a}_0 dc 0 ac {num(drive[a])}" if a in drive else f"vi{a} 0 a{a}_0 0")
        for k, (g, coef) in enumerate(terms):
            nxt = f"a{a}_{k + 1}" if k + 1 < len(terms) else "0"
            L.append(f"e{a}_{g} a{a}_{k} {nxt} {c.lever_node(g)} 0 {num(coef)}")
    L.append("")
    return L


_FORMULA = {"inertia": "L = eps m tau^2/alpha^2", "damper": "R = eps r tau/alpha^2",
            "spring": "C = alpha^2/(eps k), offset source -eps k y/alpha"}


def part_params(c) -> dict:
    """``{part class: (parameter name, value)}``: one ``.param`` per element group (its first
    part's value) and one for the leakage resistors. An element whose part differs from its
    class's value (a perturbed machine) is written as ``{name*factor}``."""
    table = {}
    for b in c.branches:
        group = b.label.split(":")[0]
        if group not in table:
            letter = {"inertia": "l", "damper": "r", "spring": "c"}[b.kind]
            table[group] = (f"{letter}_" + re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_"), b.part)
    if c.leakage:
        table["leakage"] = ("r_leakage", c.leakage)
    return table


def _param_lines(table: dict) -> list[str]:
    L = ["* ---- part values: one .param per part class; edit one line to change every part of that class",
         "* (initial voltages and target sources stay as written: they are the start and the data)"]
    L += [f".param {name}={num(value)}" for name, value in table.values()]
    L.append("")
    return L


def _part(table, group: str, value: float) -> str:
    """A part value as a number, or through its class's ``.param``."""
    if table is None or group not in table:
        return num(value)
    name, ref = table[group]
    return f"{{{name}}}" if value == ref else f"{{{name}*{num(value / ref)}}}"


def _element_lines(c, standalone: bool, table=None, noiseless=()) -> list[str]:
    s = c.scaling
    L = ["* ---- elements: F_g_a inject lever * i_a into node n_g, so the branch carries i_g = c_g . i"]
    group = None
    for b in c.branches:
        if b.label.split(":")[0] != group:
            group = b.label.split(":")[0]
            L.append(f"* -- {sanitize(group)} ({b.kind}: {_FORMULA[b.kind]})")
        g = b.index
        what = {"inertia": f"m = {num(b.value)} -> L = {num(b.part)} H",
                "damper": f"r = {num(b.value)} -> R = {num(b.part)} Ohm",
                "spring": f"k = {num(b.value)}, target y = {num(b.offset)} -> C = {num(b.part)} F"}[b.kind]
        L.append(f"* element {g}: {sanitize(b.label)}; {what}")
        if b.series_of >= 0:
            L.append(f"* in series with inductor l{b.series_of}: it carries that branch's current, no levers of its own")
        for a, coef in zip(b.dofs, b.coefs):
            if b.series_of < 0:
                L.append(f"f{g}_{a} 0 n{g} vi{a} {num(coef)}")
        if b.kind == "inertia":
            low = f"n{b.series}" if b.series >= 0 else "0"
            L.append(f"l{g} n{g} {low} {_part(table, group, b.part)} ic={num(c.initial_current(b))}")
        elif b.kind == "spring":
            q0 = s.charge * float(b.coefs @ c.x0[b.dofs])
            L.append(f"c{g} n{g} m{g} {_part(table, group, b.part)} ic={num(q0 / b.part)}")
            L.append(f"vy{g} m{g} 0 {num(-s.volt * b.value * b.offset)}")
            L.extend(_spring_nonideal_lines(c, b, standalone, table))
        elif c.noisy(b):
            L.append(f"r{g} n{g} m{g} {_part(table, group, b.part)}")
            L.append(f"* Johnson noise of element {g} (channel {b.channel}): "
                     f"{num(b.amplitude)} V per unit xi, two-sided PSD 2 k_B T R")
            L.extend(_noise_source(c, b, standalone))
        else:  # ngspice's own thermal noise (.noise) unless marked noiseless
            L.append(f"r{g} n{g} 0 {_part(table, group, b.part)}" + (" noisy=0" if b.channel in noiseless else ""))
    L.append("")
    return L


def _spring_nonideal_lines(c, b, standalone: bool, table=None) -> list[str]:
    """A spring's leakage resistor (with its Johnson source) and its lever's single-pole filter;
    nothing for the ideal circuit (:mod:`ss_circuit.nonideal`)."""
    g, L = b.index, []
    if c.leakage:
        if c.leak_noisy():
            L.append(f"rl{g} n{g} ml{g} {_part(table, 'leakage', c.leakage)}")
            L.append(f"* Johnson noise of leakage {g}: {num(c.leak_amplitude())} V per unit xi")
            L.extend(_source(c, f"vnl{g} m{g} ml{g}", c.leak_amplitude(), c.leak_noise, c.spring_slot(b), standalone))
        else:
            L.append(f"rl{g} n{g} m{g} {_part(table, 'leakage', c.leakage)}")
    if c.lever_bandwidth:
        from .nonideal import lever_filter_parts
        R0, C0 = lever_filter_parts(c)
        v0 = c.initial_values()[f"n{g}"]
        L.append(f"* lever of element {g}: single pole at {num(c.lever_bandwidth)} Hz (buffer, RC, read by the loops)")
        L.append(f"eb{g} p{g} 0 n{g} 0 1.0")
        L.append(f"rb{g} p{g} d{g} {num(R0)}")
        L.append(f"cb{g} d{g} 0 {num(C0)} ic={num(v0)}")
    return L


def _source(c, head: str, amplitude: float, signal, channel: int, standalone: bool) -> list[str]:
    """A Johnson source of ``amplitude`` volts per unit ξ: TRNOISE, external or PWL of ``signal``."""
    tau = c.scaling.time
    if c.noise == "trnoise":
        return [f"{head} {trnoise_spec(amplitude / math.sqrt(c.dt_noise), tau * c.dt_noise, num)}"]
    if not standalone:
        return [f"{head} external"]
    return [head] + pwl_lines(tau * signal.times(), amplitude * signal.values[:, 0, channel], num)


def _noise_source(c, b, standalone: bool) -> list[str]:
    return _source(c, f"vn{b.index} 0 m{b.index}", b.amplitude, c.noise_signal, b.channel, standalone)


def _meter_lines(c) -> list[str]:
    s = c.scaling
    L = [f"* ---- position meters: V(x_a) = q_a / CX, position x_a = {num(c.meter_capacitance)} * V(x_a) / alpha"]
    for a in range(c.n_dof):
        L.append(f"fx{a} 0 x{a} vi{a} 1.0")
        L.append(f"cx{a} x{a} 0 {num(c.meter_capacitance)} ic={num(s.charge * c.x0[a] / c.meter_capacitance)}")
    L.append("")
    return L


def _clock_lines(c, interval: float) -> list[str]:
    tau = c.scaling.time
    L = ["* ---- clocks: zero-amplitude TRNOISE sources force time points (noise knots, output times)"]
    for j, period in enumerate(c.clocks(interval)):
        L.append(f"vclk{j} clk{j} 0 trnoise(0 {num(tau * period)} 0 0)")
        L.append(f"rclk{j} clk{j} 0 1.0")
    L.append("")
    return L


def _continued(head: str, items: list[str], per_line: int = 8) -> list[str]:
    """``head item…`` with ``per_line`` items a line, then ``+`` continuation lines."""
    lines = [head + " ".join(items[:per_line])]
    return lines + ["+ " + " ".join(items[i:i + per_line]) for i in range(per_line, len(items), per_line)]


def _control_lines(c, *, t_end, dt, method, standalone) -> list[str]:
    s = c.scaling
    tau = s.time
    opts = " ".join(f"{k}={num(v)}" for k, v in tolerances(s).items())
    L = [f".options method={method} {opts}"]
    saves = [f"i({name[:-7]})" if name.endswith("#branch") else f"v({name})" for name in c.vectors()]
    L += _continued(".save ", saves)
    if standalone:
        L.append("* `ngspice -b` runs a transient only when something is printed: the position meters")
        L += _continued(".print tran ", [f"v(x{a})" for a in range(c.n_dof)])
    L.append(f".tran {num(tau * dt)} {num(tau * t_end)} 0 {num(tau * dt)} uic")
    L.append(".end")
    return L
