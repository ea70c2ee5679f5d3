"""From ngspice's vectors to the trajectory's series (numpy only: runs inside worker processes).

ngspice returns its accepted time points ``t_1 < … < t_n = t_stop``; with ``uic`` there is no
``t = 0`` row (DESIGN.md §3), so the known initial state is prepended — otherwise every path
integral would miss its first interval, a first-order error. Then, in circuit units::

    K = ½ Σ_L L i_L²                 (inductor branch currents)
    U = ½ Σ_C C V_e²                 (V_e: voltage across capacitor + data-offset source)
    D = Σ_steps h Σ_R R ī_R²         (i_R = (V_n − V_m)/R, the current through each resistor)
    J = Σ_steps h Σ_R ī_R · V̄_noise  (work of the Johnson sources)

where ``ī = (i_n + i_{n+1})/2`` and ``V̄`` are step averages. This is the trapezoidal rule's own
energy identity: a trap step gives ``i_{n+1} − i_n = (h/2L)(V_n + V_{n+1})`` so that
``½L(i_{n+1}² − i_n²) = h ī V̄`` for every inductor (likewise every capacitor), and the lever
relations hold at every point, so ``E_{n+1} − E_n = h Σ_R (ī V̄_noise − R ī²)`` exactly
(measured: 1e-8 over 2·10⁴ steps). The "average of products" (trapezoid of ``R i²`` and
``i V_noise``) would not close: the noise varies on the scale of a few steps, ``i`` and
``V_noise`` are correlated within a step, and the trapezoid of ``i·V_noise`` is biased by O(1)
per unit time (measured: 1.5 % of J).

ngspice cuts the order to one — a backward-Euler step — on the first step after every
breakpoint (noise knots, output times, t = 0). A BE step obeys
``½L(i_{n+1}² − i_n²) = h i_{n+1} V_{n+1} − ½L(i_{n+1} − i_n)²``, so on those steps the end-point
products ``h R i_{n+1}²`` and ``h i_{n+1} V_noise,n+1`` are the consistent rule and the first law
misses only the BE step's numerical dissipation ``½Σ L Δi² + ½Σ C ΔV²`` (reported as
``numerical_loss``; it falls as the square of the BE step, 0.1 × the step before the breakpoint).

The per-class ledger (``ledger``): the heat of each resistor class (the element group a damper
belongs to: translational drag, rotational drag, an inductor's series resistance …) by the same
step rule; with leakage resistors across the spring capacitors (:mod:`ss_circuit.nonideal`) their
heat ``Σ h R ī_l²``, their Johnson sources' work, and the work of the data-target sources, which a
leak lets them do: ``W_y = −Σ h V_y ī_l`` (without a leak the target sources' energy is part of
``U``). ``work:levers`` is what the levers put in, ``ΔE − J + D − W_y``: zero for ideal levers up to
the backward-Euler steps' numerical loss, the amplifiers' work when a lever has a finite bandwidth.

Everything is then read at the output times (accepted points by construction, so the
interpolation only guards against round-off) and converted to mechanical units.
"""
from __future__ import annotations

import numpy as np

__all__ = ["reduce_vectors"]


def _stack(vec: dict, names, initial: dict) -> np.ndarray:
    """(rows + 1, len(names)): the t = 0 row (NaN → the first computed row) on top."""
    if not names:
        return np.zeros((vec["time"].size + 1, 0))
    body = np.stack([vec[n] for n in names], axis=1)
    first = np.array([initial.get(n, np.nan) for n in names], dtype=float)
    first = np.where(np.isnan(first), body[0], first)
    return np.vstack([first, body])


def _mid(a: np.ndarray) -> np.ndarray:
    """Step averages of the rows of ``a``."""
    return 0.5 * (a[1:] + a[:-1])


def _cumulative(step_values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(step_values)])


def first_order_steps(t: np.ndarray, periods, times=()) -> np.ndarray:
    """Mask of the steps ``[t_n, t_{n+1}]`` that ngspice takes at order one.

    Those start on a breakpoint: t = 0 (and the step after it: trap needs a previous
    derivative), a multiple of one of the clock ``periods``, or one of ``times`` (ngspice adds a
    breakpoint at the ``.tran`` print step TSTEP — measured).
    """
    start = t[:-1]
    mask = start == 0.0
    mask[:2] = True
    for s in times:
        mask |= np.abs(start - s) <= 1e-9 * s
    for p in periods:
        k = start / p
        mask |= np.abs(k - np.round(k)) < 1e-6
    return mask


def _step_rule(a: np.ndarray, be: np.ndarray) -> np.ndarray:
    """Per-step value of ``a`` as the step's rule sees it: the average (trap) or the end point (BE)."""
    return np.where(be[:, None], a[1:], _mid(a))


def reduce_vectors(vec: dict, plan: dict) -> dict:
    """Energies and states at the output times, in mechanical units (one sample).

    ``plan`` (from :meth:`ss_circuit.circuit.Circuit.readout_plan`) names the vectors and
    holds part values, the initial row and the unit conversions.
    """
    t = np.concatenate([[0.0], vec["time"]])
    init = plan["initial"]
    i_loop = _stack(vec, plan["loop"], init)
    v_meter = _stack(vec, plan["meter"], init)
    i_L = _stack(vec, plan["inductors"], init)
    V_C = _stack(vec, plan["springs"], init)
    V_n = _stack(vec, plan["res_a"], init)
    V_m = _stack(vec, [m for m in plan["res_b"] if m], init)

    K = 0.5 * (i_L ** 2) @ plan["L"]
    U = 0.5 * (V_C ** 2) @ plan["C"]
    dV = V_n.copy()
    noisy = np.array([bool(m) for m in plan["res_b"]], dtype=bool)
    if noisy.any():
        dV[:, noisy] -= V_m
    h = np.diff(t)
    be = first_order_steps(t, plan["breaks"], plan["break_times"])
    i_R = _step_rule(dV, be) / plan["R"]
    D = _cumulative(h * ((i_R ** 2) @ plan["R"]))
    J = np.zeros_like(t)
    if noisy.any():
        # the source sits between ground (+) and m (−): its EMF is V(0) − V(m) = −V_m
        J = _cumulative(h * (i_R[:, noisy] * _step_rule(-V_m, be)).sum(axis=1))
    heat = {f"heat:{c}": _cumulative(h * ((i_R[:, sel] ** 2) @ plan["R"][sel]))
            for c, sel in _classes(plan.get("R_class", []))}
    if "leak" in plan:
        D_leak, J_leak, W_y = _leakage(vec, plan["leak"], init, h, be)
        D, J = D + D_leak, J + J_leak
        heat["heat:leakage"] = D_leak
        heat["work:targets"] = W_y
    E = K + U
    heat["work:noise"] = J
    heat["work:levers"] = E - E[0] - J + D - heat.get("work:targets", 0.0)
    loss = 0.5 * ((np.diff(i_L, axis=0)[be] ** 2) @ plan["L"]).sum() + 0.5 * ((np.diff(V_C, axis=0)[be] ** 2) @ plan["C"]).sum()

    t_out = plan["t_out"]

    def at(y):
        y = np.asarray(y)
        if y.ndim == 1:
            return np.interp(t_out, t, y)
        return np.stack([np.interp(t_out, t, y[:, j]) for j in range(y.shape[1])], axis=1)

    eps = plan["energy"]
    return {"kinetic": at(K) / eps, "potential": at(U) / eps, "dissipated": at(D) / eps,
            "noise_work": at(J) / eps, "x": at(v_meter) * plan["x_per_volt"],
            "v": at(i_loop) * plan["v_per_ampere"], "points": int(vec["time"].size),
            "first_order_steps": int(be.sum()), "numerical_loss": float(loss) / eps,
            "ledger": {k: at(v) / eps for k, v in heat.items()}}


def _classes(names):
    """``(class, mask)`` for each distinct name, in order of first appearance."""
    names = np.asarray(names, dtype=object)
    return [(c, names == c) for c in dict.fromkeys(names.tolist())]


def _leakage(vec: dict, leak: dict, init: dict, h: np.ndarray, be: np.ndarray):
    """Heat of the leakage resistors, their noise work and the target sources' work (circuit units)."""
    V_n = _stack(vec, leak["nodes"], init)
    targets = np.broadcast_to(leak["targets"], V_n.shape)
    low = _stack(vec, leak["low"], init) if leak["low"] else targets
    i_l = _step_rule(V_n - low, be) / leak["R"]
    D = _cumulative(h * leak["R"] * (i_l ** 2).sum(axis=1))
    J = _cumulative(h * (i_l * _step_rule(targets - low, be)).sum(axis=1))
    W = _cumulative(-h * (i_l * leak["targets"]).sum(axis=1))
    return D, J, W
