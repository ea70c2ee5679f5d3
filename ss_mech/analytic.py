"""Former home of the exact oracles, kept so that ``ss_mech.analytic.<name>`` keeps working.

The oracles live in :mod:`ss_mech.oracles`; free energies in :mod:`ss_mech.thermo`.
"""
from .oracles import (diffusion_matrix, drift_matrix, ensemble_energies, exact_deterministic,  # noqa: F401
                      least_squares, ou_moments, stationary_covariance)
from .thermo import free_energy  # noqa: F401

__all__ = ["drift_matrix", "diffusion_matrix", "exact_deterministic", "ou_moments", "ensemble_energies",
           "stationary_covariance", "least_squares", "free_energy"]
