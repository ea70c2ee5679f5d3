"""Per-element changes of a machine's parts: the model of real, imperfect hardware.

A :class:`Perturbation` changes the element list of DESIGN.md §2 element by element, so that
both backends read the same perturbed machine::

    value_e  → f_e · value_e                     (masses, drags, stiffnesses: part tolerances, E-series rounding)
    c_e,a    → g_e,a · c_e,a                      (each lever coefficient: static gain error of a transformer)
    + a damper of drag r_e on the lever of inertia e   (a series resistance of that inertia, e.g. an inductor's ESR)

A stick's elements change per element (``values[group name]`` has one factor per element of
that group, ``levers[group name]`` one factor per stored lever coefficient, rows × up to
``max nnz``). Data springs change per *slot*: the j-th spring of whatever spring set is attached
(a mini-batch's j-th point and label) gets factor ``values['data spring'][j]`` — in hardware
the j-th capacitor serves the j-th point of every batch. Slots beyond the given factors are
an error. A perturbed lever stays an ideal transformer (both its voltage and its current side
change by the same factor), so the perturbed machine is still a mechanical system with
symmetric M, Γ, K, and :mod:`ss_mech` simulates it exactly as it simulates the ideal one.

Series dampers (``series_dampers[inertia group name]``: one drag per element) become a damper
group named ``'<inertia group> ESR'`` with the inertia's (perturbed) lever and
``ElementGroup.series`` naming the inertia group: a circuit may draw it in series with that
inductor (same branch current), mechanically it is one more damper (thermal force
``2 k_B T r`` like every other).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from .elements import ElementGroup

__all__ = ["Perturbation", "SPRING_GROUP"]

#: the name of the data-spring group (``spring_elements``); its factors are per slot
SPRING_GROUP = "data spring"


def _scale_levers(levers: sp.csr_matrix, factors: np.ndarray, name: str) -> sp.csr_matrix:
    """``levers`` with the k-th stored coefficient of row i multiplied by ``factors[i, k]``."""
    L = sp.csr_matrix(levers, copy=True)
    counts = np.diff(L.indptr)
    rows = np.repeat(np.arange(L.shape[0]), counts)
    pos = np.arange(L.nnz) - np.repeat(L.indptr[:-1], counts)
    factors = np.asarray(factors, dtype=float)
    if factors.ndim != 2 or factors.shape[0] < L.shape[0] or (counts.size and factors.shape[1] < counts.max()):
        raise ValueError(f"perturbation: lever factors of {name!r} must be (>= {L.shape[0]}, >= "
                         f"{int(counts.max()) if counts.size else 0}), got {factors.shape}")
    L.data = L.data * factors[rows, pos]
    return L


def _positive_factors(f, n: int, name: str, what: str) -> np.ndarray:
    f = np.asarray(f, dtype=float).reshape(-1)
    if f.size < n:
        raise ValueError(f"perturbation: {what} of {name!r} has {f.size} entries, {n} needed")
    f = f[:n]
    if not np.all(np.isfinite(f) & (f > 0)):
        raise ValueError(f"perturbation: {what} of {name!r} must be finite and > 0 (a part value cannot "
                         f"change sign), got min {f.min()!r}")
    return f


@dataclass(frozen=True)
class Perturbation:
    """Element-by-element changes of a machine (see the module docstring).

    Attributes
    ----------
    values : dict str → ndarray
        Factor per element of a stick group (by group name), or per spring slot (``'data spring'``).
    levers : dict str → ndarray (rows, k)
        Factor per stored lever coefficient (row = element or spring slot, column = its k-th
        coefficient in storage order).
    series_dampers : dict str → ndarray
        Drag (mechanical units) in series with each element of an inertia group.
    info : dict
        What made it (tolerances, seed, E-series …): carried along, never read by the physics.
    """

    values: dict = field(default_factory=dict)
    levers: dict = field(default_factory=dict)
    series_dampers: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.values or self.levers or self.series_dampers)

    def _group(self, g: ElementGroup) -> ElementGroup:
        values, levers = g.values, g.levers
        if g.name in self.values:
            values = values * _positive_factors(self.values[g.name], len(g), g.name, "value factors")
        if g.name in self.levers:
            levers = _scale_levers(levers, self.levers[g.name], g.name)
        if values is g.values and levers is g.levers:
            return g
        return replace(g, values=np.asarray(values, dtype=float), levers=levers)

    def sticks(self, groups: tuple[ElementGroup, ...]) -> tuple[ElementGroup, ...]:
        """The stick groups changed, with the series dampers appended."""
        known = {g.name for g in groups} | {SPRING_GROUP}
        for what in (self.values, self.levers, self.series_dampers):
            unknown = sorted(set(what) - known)
            if unknown:
                raise ValueError(f"perturbation: no element group named {unknown[0]!r} (groups: "
                                 f"{', '.join(sorted(known))})")
        out = [self._group(g) for g in groups]
        for g in list(out):
            if g.name in self.series_dampers:
                if g.kind != "inertia":
                    raise ValueError(f"perturbation: series dampers go with inertia groups, {g.name!r} is a {g.kind}")
                r = np.asarray(self.series_dampers[g.name], dtype=float).reshape(-1)
                if r.size != len(g) or not np.all(np.isfinite(r) & (r > 0)):
                    raise ValueError(f"perturbation: series drags of {g.name!r} must be {len(g)} finite numbers > 0")
                out.append(ElementGroup("damper", f"{g.name} ESR", r, g.levers, meta=g.meta, series=g.name))
        return tuple(out)

    def springs(self, group: ElementGroup | None) -> ElementGroup | None:
        """The attached spring set changed slot by slot."""
        if group is None:
            return None
        return self._group(group)

    def to_dict(self) -> dict:
        """Summary (factor ranges per group) for reports."""
        def rng(a):
            a = np.asarray(a, dtype=float)
            return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean()), "n": int(a.size)}
        return {"values": {k: rng(v) for k, v in self.values.items()},
                "levers": {k: rng(v) for k, v in self.levers.items()},
                "series_dampers": {k: rng(v) for k, v in self.series_dampers.items()}, "info": dict(self.info)}
