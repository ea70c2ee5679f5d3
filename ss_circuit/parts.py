"""Real part values: the E-series (IEC 60063) and the machine that rounded parts build.

A preferred-number series ``E_n`` has ``n`` values per decade, roughly ``10^(i/n)`` rounded
to two (E6 … E24) or three (E48, E96) digits. A part of value ``p`` is rounded to the series
value nearest to it *on a log scale* (the series is geometric: the relative error is what
matters), at most ``√(widest ratio of neighbours) − 1`` (:func:`max_rounding_error`): 22 % for
E6, 7.4 % for E24 (its 1.3 → 1.5 gap), 1.5 % for E96.

Rounding changes each part by a factor, and a part is an element value (DESIGN.md §3:
``L ∝ m``, ``R ∝ r``, ``C ∝ 1/k``), so a rounded circuit is a *perturbed machine*:
:func:`rounding_perturbation` gives the :class:`ss_mech.Perturbation` (mass factor
``L'/L``, drag factor ``R'/R``, stiffness factor ``C/C'``) that both backends simulate, and
:func:`part_report` lists every part with its ideal and rounded value and the machine they build.
"""
from __future__ import annotations

import numpy as np

__all__ = ["ESERIES", "eseries", "nearest", "round_parts", "rounding_perturbation", "part_report", "PART_CLASS",
           "max_rounding_error"]

_E24 = (10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91)
_E96 = (100, 102, 105, 107, 110, 113, 115, 118, 121, 124, 127, 130, 133, 137, 140, 143, 147, 150, 154, 158,
        162, 165, 169, 174, 178, 182, 187, 191, 196, 200, 205, 210, 215, 221, 226, 232, 237, 243, 249, 255,
        261, 267, 274, 280, 287, 294, 301, 309, 316, 324, 332, 340, 348, 357, 365, 374, 383, 392, 402, 412,
        422, 432, 442, 453, 464, 475, 487, 499, 511, 523, 536, 549, 562, 576, 590, 604, 619, 634, 649, 665,
        681, 698, 715, 732, 750, 768, 787, 806, 825, 845, 866, 887, 909, 931, 953, 976)

#: the mantissas in [1, 10) of each series
ESERIES = {
    "E6": tuple(v / 10 for v in _E24[::4]),
    "E12": tuple(v / 10 for v in _E24[::2]),
    "E24": tuple(v / 10 for v in _E24),
    "E48": tuple(v / 100 for v in _E96[::2]),
    "E96": tuple(v / 100 for v in _E96),
}

#: element kind → the part class that realises it (and its unit)
PART_CLASS = {"inertia": ("L", "H"), "damper": ("R", "Ohm"), "spring": ("C", "F")}


def eseries(name: str) -> np.ndarray:
    """The mantissas of series ``name`` (``'E6'``, ``'E12'``, ``'E24'``, ``'E48'``, ``'E96'``)."""
    key = str(name).upper()
    if key not in ESERIES:
        raise ValueError(f"eseries must be one of {', '.join(ESERIES)}; got {name!r}")
    return np.array(ESERIES[key])


def nearest(values, series: str = "E24") -> np.ndarray:
    """The series value nearest (on a log scale) to each of ``values`` (> 0, any shape)."""
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v) & (v > 0)):
        raise ValueError("nearest: part values must be finite and > 0")
    m = eseries(series)
    decade = np.floor(np.log10(v))
    mant = v / 10.0 ** decade
    cand = np.concatenate([m, [10.0]])  # the next decade's 1.0
    # guard round-off of the decade (v = 1e-12 may come out as mantissa 9.999…)
    idx = np.argmin(np.abs(np.log(mant[..., None] / cand)), axis=-1)
    return cand[idx] * 10.0 ** decade


def round_parts(circuit, series: str = "E24") -> list[dict]:
    """One row per part of ``circuit``: class, ideal value, rounded value, relative change."""
    rows = []
    for b in circuit.branches:
        cls, unit = PART_CLASS[b.kind]
        r = float(nearest(b.part, series))
        rows.append({"element": b.index, "part": f"{cls.lower()}{b.index}", "class": cls, "unit": unit,
                     "label": b.label, "value": b.value, "ideal": b.part, "rounded": r,
                     "rel_change": r / b.part - 1.0})
    return rows


def rounding_perturbation(system, scaling, series: str = "E24", *, spring_slots: int | None = None):
    """The :class:`ss_mech.Perturbation` that ``series``-rounded parts make of ``system``.

    Every stick element is rounded on its own (L, R); data springs are rounded per slot, the
    first ``spring_slots`` (default: the springs attached to ``system``) — in a mini-batch
    circuit the j-th capacitor serves the j-th point of every batch, and all of them have the
    ideal value ``α²/(εk)``, so all slots round alike.
    """
    from ss_mech.perturbation import SPRING_GROUP, Perturbation

    values = {}
    for g in system.elements:
        if g.kind == "spring":
            continue
        ideal = {"inertia": scaling.inductance, "damper": scaling.resistance}[g.kind](g.values)
        values[g.name] = nearest(ideal, series) / ideal
    n = spring_slots if spring_slots is not None else system.n_points * system.n_labels
    if n:
        C = scaling.capacitance(system.stiffness)
        values[SPRING_GROUP] = np.full(int(n), C / float(nearest(C, series)))
    return Perturbation(values=values, info={"rounding": str(series).upper()})


def _group_machine(system) -> list[dict]:
    """Per element group: its kind, value range (mechanical units)."""
    out = []
    for g in system.elements:
        out.append({"group": g.name, "kind": g.kind, "n": len(g), "min": float(np.min(g.values)),
                    "max": float(np.max(g.values))})
    return out


def part_report(system, scaling, series: str = "E24") -> dict:
    """The part list of ``system``'s circuit, rounded to ``series``, and the machine it builds.

    Returns ``{'series', 'scaling', 'parts': [row …], 'classes': {L|R|C: {n, max_rel_change}},
    'ideal_machine', 'rounded_machine'}``; the machines list every element group's values
    (mechanical units): masses of the translation and rotation inertias (ideally ``m_s`` and
    ``m_s/12``), drags (``γ×`` those) and spring stiffnesses (``k``). The rounded machine is
    ``system.with_perturbation(rounding_perturbation(...))``.
    """
    from .circuit import build_circuit

    circuit = build_circuit(system, noise="none", scaling=scaling)
    rows = round_parts(circuit, series)
    classes = {}
    for r in rows:
        c = classes.setdefault(r["class"], {"n": 0, "max_abs_rel_change": 0.0, "unit": r["unit"]})
        c["n"] += 1
        c["max_abs_rel_change"] = max(c["max_abs_rel_change"], abs(r["rel_change"]))
    rounded = system.with_perturbation(rounding_perturbation(system, scaling, series))
    return {"series": str(series).upper(), "scaling": scaling.to_dict(), "parts": rows, "classes": classes,
            "ideal_machine": _group_machine(system), "rounded_machine": _group_machine(rounded),
            "bound": max_rounding_error(series)}


def max_rounding_error(series: str = "E24") -> float:
    """The largest relative change rounding to ``series`` can make: ``√(next/this) − 1`` over the
    widest gap between neighbouring values (e.g. 7.4 % for E24's 1.3 → 1.5)."""
    cand = np.concatenate([eseries(series), [10.0]])
    return float(np.sqrt(np.max(cand[1:] / cand[:-1])) - 1.0)
