"""The modal spectrum of a machine: the one home of ``K φ = ω² M φ`` and its decay rates.

Because the damping is ``Γ = γ M``, the generalized eigenvectors of ``K φ = ω² M φ`` decouple
the deterministic dynamics into damped oscillators ``q̈ + γ q̇ + ω² q = 0`` with eigenvalues

    λ± = −γ/2 ± √(γ²/4 − ω²),

``ω²`` between 0 (a *free* mode, pinned by no spring) and the stiffest mode ``ω²_max``.
An overdamped mode (ω < γ/2) has the real rates ``|λ±|``, the slower one ``≈ ω²/γ``; an
underdamped one decays at ``γ/2`` and oscillates at ``√(ω² − γ²/4)``. A free mode has the
roots 0 and −γ: its position never relaxes (at T > 0 it diffuses), its velocity relaxes at γ.

Labels never couple and share their operators, so label 0's block gives every mode (each
ω² is repeated ``n_labels`` times). Results are cached on the :class:`~ss_mech.system.System`
(they depend on its springs), so the stability rule, the circuit's noise knots and the
reports ask once.

* :func:`mode_frequencies` — every ω², ascending (dense; small systems);
* :func:`stiffest_mode` — ω²_max (dense up to 1500 nodes, Lanczos above);
* :func:`fastest_rate` — ``λ_max = max(γ, ω_max)``, the bound on every ``|λ|``;
* :func:`slowest_rate` — the slowest decay rate, with a say on free modes.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from .mass import node_mass_factor

__all__ = ["mode_frequencies", "stiffest_mode", "fastest_rate", "slowest_rate", "mode_rates",
           "DENSE_MAX_NODES"]

#: label-0 blocks up to this many nodes are diagonalised densely
DENSE_MAX_NODES = 1500


def _blocks(system):
    m = system.n_labels
    return system.stiffness_matrix[::m, ::m].tocsc(), system.mass_matrix[::m, ::m].tocsc()


def mode_frequencies(system) -> np.ndarray:
    """Every ω² of ``K φ = ω² M φ`` for one label, ascending (dense: O(nodes³), small systems)."""
    def build():
        if system.n_points == 0:
            return np.zeros(system.grid.n_nodes)
        K, M = _blocks(system)
        return sla.eigh(K.toarray(), M.toarray(), eigvals_only=True)
    return system.cached("mode_frequencies", build)


def stiffest_mode(system) -> float:
    """ω²_max, the largest generalized eigenvalue of ``K φ = ω² M φ`` (0 without data).

    Dense for ≤ :data:`DENSE_MAX_NODES` nodes, Lanczos (ARPACK, M⁻¹ by a sparse LU) above.
    """
    def build():
        if system.n_points == 0:
            return 0.0
        K, M = _blocks(system)
        n = K.shape[0]
        if n <= DENSE_MAX_NODES:
            w = sla.eigh(K.toarray(), M.toarray(), eigvals_only=True, subset_by_index=[n - 1, n - 1])
            return float(max(w[0], 0.0))
        # M⁻¹ by the machine's one factorisation of M (ss_mech.mass), which the mass solve reuses
        Minv = spla.LinearOperator(M.shape, matvec=node_mass_factor(system).solve, dtype=float)
        w = spla.eigsh(K, k=1, M=M, Minv=Minv, which="LA", tol=1e-6, return_eigenvectors=False)
        return float(max(w[0], 0.0))
    return system.cached("stiffest_mode", build)


def fastest_rate(system) -> float:
    """``λ_max = max(γ, ω_max)`` (1/time): no mode relaxes or oscillates faster.

    An overdamped mode has ``|λ| ≤ γ`` (reached as ω → 0), an underdamped one ``|λ| = ω ≤ ω_max``.
    """
    return max(system.friction, math.sqrt(stiffest_mode(system)))


def mode_rates(omega2, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(|Re λ+|, |Re λ−|)`` of ``λ² + γλ + ω² = 0`` for each ω² (the slow and the fast rate)."""
    w2 = np.maximum(np.asarray(omega2, dtype=float), 0.0)
    disc = np.sqrt(np.maximum(gamma * gamma / 4 - w2, 0.0))
    return gamma / 2 - disc, gamma / 2 + disc


def slowest_rate(system, *, free_modes: str = "velocity") -> float:
    """The slowest decay rate of the deterministic modes, ``min |Re λ|`` (dense: small systems).

    Parameters
    ----------
    free_modes : {'velocity', 'position'}
        What a free mode (ω² ≤ 1e-12 of the largest, no spring pins it) contributes:
        ``'velocity'`` its velocity's rate γ (what the kinetic energy sees: ⟨K⟩ of a free mode
        equilibrates), ``'position'`` its position's rate 0 (it never settles: the rate of the
        T = 0 relaxation onto a fit, which needs every mode pinned).
    """
    if free_modes not in ("velocity", "position"):
        raise ValueError(f"free_modes must be 'velocity' or 'position', got {free_modes!r}")
    w2 = mode_frequencies(system)
    free = w2 <= 1e-12 * max(float(w2.max()) if w2.size else 0.0, 1.0)
    slow, _ = mode_rates(w2, system.friction)
    slow = np.where(free, system.friction if free_modes == "velocity" else 0.0, slow)
    return float(slow.min())
