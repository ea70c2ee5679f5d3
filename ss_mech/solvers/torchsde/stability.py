"""Step-size limits of the explicit torchsde schemes for the springs-and-sticks system.

The deterministic dynamics decouple into damped oscillators with eigenvalues
``λ± = −γ/2 ± √(γ²/4 − ω²)``, ``ω²`` between 0 and the stiffest mode ``ω²_max``
(:mod:`ss_mech.spectrum`). A one-step method applied to ``ẏ = λ y`` multiplies by its
stability polynomial ``R(λ h)`` (:data:`STABILITY_POLYNOMIALS`; the orders are stated by the
solvers in :mod:`ss_mech.solvers.torchsde`):

=========  ===============================
method     R(z)
=========  ===============================
euler      1 + z
srk        1 + z + z²/2 (SRA1 drift stages)
heun       1 + z + z²/2
midpoint   1 + z + z²/2
=========  ===============================

A step ``h`` is *admissible* over a horizon ``T`` when no mode grows by more than 0.1 %
over the run: ``|R(λ h)|^(T/h) ≤ 1.001`` for every ``λ``. With friction, every mode
decays for small enough ``h``; without friction no explicit method is strictly stable
and the rule bounds the drift instead.
"""
from __future__ import annotations

import numpy as np

from ...errors import UnstableStepError
from ...spectrum import stiffest_mode
from ...system import System

__all__ = ["STABILITY_POLYNOMIALS", "GROWTH_LIMIT", "max_stable_step", "choose_step"]

#: method → coefficients of its stability polynomial R(z) = Σ c_i z^i
STABILITY_POLYNOMIALS = {
    "euler": (1.0, 1.0),
    "srk": (1.0, 1.0, 0.5),
    "heun": (1.0, 1.0, 0.5),
    "midpoint": (1.0, 1.0, 0.5),
}

GROWTH_LIMIT = 1e-3


def _growth(method: str, h: float, lam: np.ndarray, horizon: float) -> float:
    coeffs = STABILITY_POLYNOMIALS[method]
    z = lam * h
    R = sum(c * z ** i for i, c in enumerate(coeffs))
    return float(np.max(np.log(np.abs(R) + 1e-300)) * max(horizon / h, 1.0))


def max_stable_step(method: str, omega2_max: float, gamma: float, horizon: float) -> float:
    """The largest admissible step (see module docstring); ``inf`` when nothing moves."""
    if method not in STABILITY_POLYNOMIALS:
        raise ValueError(f"method must be one of {', '.join(map(repr, STABILITY_POLYNOMIALS))}; got {method!r}")
    w2 = np.linspace(0.0, omega2_max, 401)
    disc = np.sqrt((gamma * gamma / 4 - w2).astype(complex))
    lam = np.concatenate([-gamma / 2 + disc, -gamma / 2 - disc])
    lam = lam[np.abs(lam) > 0]
    if lam.size == 0:
        return np.inf
    scale = 1.0 / np.max(np.abs(lam))
    limit = np.log1p(GROWTH_LIMIT)
    h, ok = scale * 1e-6, 0.0
    while h < 1e3 * scale and _growth(method, h, lam, horizon) <= limit:  # coarse scan upwards
        ok, h = h, h * 1.1
    if ok == 0.0:
        return 0.0
    bad = h
    for _ in range(40):  # bisect the first failure
        mid = 0.5 * (ok + bad)
        ok, bad = (mid, bad) if _growth(method, mid, lam, horizon) <= limit else (ok, mid)
    return ok


def choose_step(system: System, method: str, horizon: float, dt: float | None = None, *,
                omega2_max: float | None = None) -> tuple[float, float]:
    """Check a requested step, or choose one: returns ``(dt, dt_max)``.

    A requested ``dt`` above the admissible limit raises ``ValueError`` naming a stable step.
    Without ``dt``: half the limit, and at most a tenth of the fastest time scale
    ``1/max|λ|`` (so the fastest mode is resolved, not merely kept bounded), and at most
    ``horizon``.
    """
    w2 = stiffest_mode(system) if omega2_max is None else omega2_max
    dt_max = max_stable_step(method, w2, system.friction, horizon)
    if dt is None:
        if dt_max == 0.0:
            raise UnstableStepError(f"no stable step exists for method {method!r} over t_end={horizon}")
        g = system.friction
        rate = max(abs(-g / 2 - np.sqrt(complex(g * g / 4 - w2))), np.sqrt(w2), 1e-300)
        return min(0.5 * dt_max, 0.1 / rate, horizon), dt_max
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")
    if dt > dt_max:
        raise UnstableStepError(
            f"dt={dt:g} is unstable for method {method!r}: the stiffest mode (ω_max={np.sqrt(w2):.4g}, "
            f"friction γ={system.friction:g}) grows by more than {GROWTH_LIMIT:.1%} over t_end={horizon:g}. "
            f"Use dt <= {dt_max:.4g} (e.g. dt={0.5 * dt_max:.3g}), or omit dt to have one chosen.")
    return float(dt), dt_max
