"""Step-size limits of the explicit integrators for the springs-and-sticks system.

Because ``Γ = γ M``, the generalized eigenvectors of ``K φ = ω² M φ`` decouple the
deterministic dynamics into damped oscillators with eigenvalues
``λ± = −γ/2 ± √(γ²/4 − ω²)``, ``ω²`` between 0 and the stiffest mode ``ω²_max``.
A one-step method applied to ``ẏ = λ y`` multiplies by its stability polynomial ``R(λ h)``:

=========  ===============================  ================================
method     R(z)                             strong order (additive noise)
=========  ===============================  ================================
euler      1 + z                            1.0 (Euler–Maruyama, Itô)
srk        1 + z + z²/2 (SRA1 drift stages) 1.5 (Rößler SRA1, Itô)
heun       1 + z + z²/2                     1.0 (Stratonovich)
midpoint   1 + z + z²/2                     1.0 (Stratonovich)
=========  ===============================  ================================

A step ``h`` is *admissible* over a horizon ``T`` when no mode grows by more than 0.1 %
over the run: ``|R(λ h)|^(T/h) ≤ 1.001`` for every ``λ``. With friction, every mode
decays for small enough ``h``; without friction no explicit method is strictly stable
and the rule bounds the drift instead.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from .system import System

__all__ = ["METHODS", "stiffest_mode", "max_stable_step", "choose_step"]

#: method → (torchsde sde_type, strong order for additive noise, stability polynomial coefficients)
METHODS = {
    "euler": ("ito", 1.0, (1.0, 1.0)),
    "srk": ("ito", 1.5, (1.0, 1.0, 0.5)),
    "heun": ("stratonovich", 1.0, (1.0, 1.0, 0.5)),
    "midpoint": ("stratonovich", 1.0, (1.0, 1.0, 0.5)),
}

GROWTH_LIMIT = 1e-3


def stiffest_mode(system: System) -> float:
    """ω²_max, the largest generalized eigenvalue of ``K φ = ω² M φ`` (0 without data).

    Labels do not couple and share their operators, so label 0's block suffices.
    Dense for ≤ 1500 nodes, Lanczos (ARPACK, M⁻¹ by sparse LU) above.
    """
    if system.n_points == 0:
        return 0.0
    m = system.n_labels
    K = system.stiffness_matrix[::m, ::m].tocsc()
    M = system.mass_matrix[::m, ::m].tocsc()
    n = K.shape[0]
    if n <= 1500:
        w = sla.eigh(K.toarray(), M.toarray(), eigvals_only=True, subset_by_index=[n - 1, n - 1])
        return float(max(w[0], 0.0))
    solve = spla.factorized(M)
    Minv = spla.LinearOperator(M.shape, matvec=solve, dtype=float)
    w = spla.eigsh(K, k=1, M=M, Minv=Minv, which="LA", tol=1e-6, return_eigenvectors=False)
    return float(max(w[0], 0.0))


def _growth(method: str, h: float, lam: np.ndarray, horizon: float) -> float:
    coeffs = METHODS[method][2]
    z = lam * h
    R = sum(c * z ** i for i, c in enumerate(coeffs))
    return float(np.max(np.log(np.abs(R) + 1e-300)) * max(horizon / h, 1.0))


def max_stable_step(method: str, omega2_max: float, gamma: float, horizon: float) -> float:
    """The largest admissible step (see module docstring); ``inf`` when nothing moves."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
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
            raise ValueError(f"no stable step exists for method {method!r} over t_end={horizon}")
        g = system.friction
        rate = max(abs(-g / 2 - np.sqrt(complex(g * g / 4 - w2))), np.sqrt(w2), 1e-300)
        return min(0.5 * dt_max, 0.1 / rate, horizon), dt_max
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")
    if dt > dt_max:
        raise ValueError(
            f"dt={dt:g} is unstable for method {method!r}: the stiffest mode (ω_max={np.sqrt(w2):.4g}, "
            f"friction γ={system.friction:g}) grows by more than {GROWTH_LIMIT:.0%} over t_end={horizon:g}. "
            f"Use dt <= {dt_max:.4g} (e.g. dt={0.5 * dt_max:.3g}), or omit dt to have one chosen.")
    return float(dt), dt_max
