"""Equilibrium free energy of the positions for the quadratic spring potential (DESIGN.md §6.5)."""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = ["free_energy"]


def free_energy(system) -> float:
    """Configurational free energy ``F = −k_BT ln ∫ e^{−U(x)/k_BT} dx`` (needs K non-singular).

    For ``U = ½ xᵀKx − bᵀx + ½k‖y‖²``: ``F = U_min + (k_BT/2) ln det(K / (2π k_BT))``.
    Differences of F between spring sets are the Jarzynski oracle.
    """
    kT = system.kT
    if kT <= 0:
        raise ValueError("the free energy needs temperature > 0")
    K = system.stiffness_matrix.toarray()
    x_min = sla.solve(K, system.force_offset, assume_a="pos")
    sign, logdet = np.linalg.slogdet(K / (2 * np.pi * kT))
    if sign <= 0:
        raise ValueError("K is singular: some mode is not pinned by a data spring, F is infinite")
    return float(system.potential(x_min) + 0.5 * kT * logdet)
