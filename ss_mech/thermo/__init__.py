"""Thermodynamics of learning: free energies, and (to come) the Gaussian ledger of DESIGN.md §6.

* :func:`free_energy` — ``F = −k_BT ln Z`` of the positions for a quadratic potential: differences
  between spring sets are the Jarzynski oracle.
"""
from .free_energy import free_energy

__all__ = ["free_energy"]
