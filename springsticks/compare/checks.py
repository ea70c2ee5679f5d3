"""The crosscheck's rows and result: one :class:`Check` per compared quantity, the measures behind them.

Every deviation is formed here, one way each:

* :func:`rel_dev` / :func:`max_rel` — ``|a − b| / scale`` (deterministic, pathwise, training rows);
* :func:`deviations` — x relative to ``max |x|``, each energy series to its largest magnitude;
* :func:`z_score` — ``(a − b) / √(se_a² + se_b²)`` of two ensemble means.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Check", "CrosscheckResult", "NAMES", "rel_dev", "max_rel", "deviations", "z_score", "fmt"]

#: how the table names each backend
NAMES = {"mech": "mechanical", "circuit": "circuit"}

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
    """Checks, summary figures per mode, and the runs behind them (for :mod:`springsticks.compare.report`).

    ``metrics[mode]`` holds the JSON figures (``deterministic.loss_max_rel_err`` …), ``runs[mode]``
    the trajectories and exact curves, ``skipped`` the modes not run and why.
    """

    spec: object
    config: object                    # the CrosscheckConfig it ran with
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
                   system=describe(self.spec.system), passed=self.passed)
        return jsonable(out)

    def table(self) -> str:
        """The plain-text table: quantity, mechanical, circuit, exact, deviation, tolerance, pass/fail."""
        head = ("mode", "quantity", "mechanical", "circuit", "exact", "deviation", "tolerance", "verdict")
        rows = [head]
        for c in self.checks:
            rows.append((c.mode, c.quantity, fmt(c.mech, c.mech_se), fmt(c.circuit, c.circuit_se), fmt(c.exact),
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



def fmt(value, se=None) -> str:
    if value is None:
        return "-"
    return f"{value:.5g}" + (f" ± {se:.2g}" if se is not None else "")


def describe(system) -> dict:
    return {"grid": system.grid.to_dict(), "n_labels": system.n_labels, "n_dof": system.n_dof,
            "n_points": system.n_points, **system.params()}


# ------------------------------------------------------------------------------ measures
def rel_dev(a, b, scale) -> np.ndarray:
    """``|a − b| / scale`` at each output time, the largest over samples and coordinates.

    ``scale`` may be per sample; where it is 0 the deviation is absolute. Scalars give a scalar.
    """
    scale = np.where(np.asarray(scale) > 0, scale, 1.0)
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / scale
    return d.reshape(d.shape[0], -1).max(axis=1) if d.ndim > 1 else d


def max_rel(a, b, scale) -> float:
    """``max |a − b| / scale`` over everything (see :func:`rel_dev`)."""
    return float(np.max(rel_dev(a, b, scale)))


def deviations(mech, other) -> dict:
    """Deviations of ``other`` from ``mech``: x relative to ``max |x|``, each energy series relative
    to its largest magnitude in that sample (L(0) for a start at rest, D(t_end), max |J|)."""
    out = {"x": max_rel(other.x, mech.x, np.abs(mech.x).max())}
    for name in ("loss", "dissipated", "noise_work"):
        ref = getattr(mech, name)
        if name != "noise_work" or np.any(ref != 0):
            out[name] = max_rel(getattr(other, name), ref, np.abs(ref).max(axis=0))
    return out


def z_score(a: float, se_a: float, b: float, se_b: float) -> float:
    """``(a − b) / √(se_a² + se_b²)``; 0 for equal values without errors, ±inf for unequal ones."""
    se = math.hypot(se_a, se_b)
    return (a - b) / se if se > 0 else (0.0 if a == b else math.inf)

