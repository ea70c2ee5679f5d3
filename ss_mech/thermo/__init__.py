"""Thermodynamics of learning for the linear springs-and-sticks machine (DESIGN.md §6).

Model layer: numpy and scipy only at import (pymbar is imported by the estimators that use it,
torch only when a work protocol asks for dynamics). Where things live:

* :mod:`.protocol`     :class:`Protocol` — spring sets (mini-batches) and how long each is held
* :mod:`.gaussian`     exact moments along a protocol and the ledger of §6.1: ⟨K⟩, ⟨U⟩, ⟨W⟩, ⟨J⟩,
  ⟨Q⟩, ⟨D⟩, S, F_neq, ΔS_tot, Π, D_KL (:func:`moments`); :func:`initial_moments`;
  :func:`entropy_bounds` for non-Gaussian (uniform) starts; :func:`periodic_steady_state`
* :mod:`.threshold`    §6.2: :func:`equilibrium_mse`, :func:`learning_threshold` (and its circuit
  forms :func:`max_capacitance`, :func:`min_volts_per_unit`), :func:`time_to_target`
* :mod:`.free_energy`  §6.5: analytic :func:`free_energy` / :func:`delta_free_energy`,
  :func:`log_work_moment`, :func:`exp_variance`; :func:`sample_work` from equilibrium;
  Jarzynski (EXP) and BAR through pymbar (:func:`jarzynski_estimate`, :func:`bar_estimate`,
  :func:`estimate_free_energy`)
"""
from .free_energy import (FreeEnergyEstimate, FreeEnergyWarning, bar_estimate, delta_free_energy,
                          estimate_free_energy, exp_variance, free_energy, jarzynski_estimate, log_work_moment,
                          sample_work)
from .gaussian import (EntropyBounds, InitialLaw, Moments, PeriodicState, entropy_bounds, epoch_map,
                       expected_potential, gaussian_entropy, initial_moments, moments, periodic_steady_state)
from .protocol import Protocol
from .threshold import (LearningThreshold, equilibrium_mse, learning_threshold, max_capacitance, min_volts_per_unit,
                        pinned_stationary_covariance, time_to_target)

__all__ = ["Protocol",
           "moments", "Moments", "initial_moments", "InitialLaw", "entropy_bounds", "EntropyBounds",
           "periodic_steady_state", "PeriodicState", "epoch_map", "gaussian_entropy", "expected_potential",
           "equilibrium_mse", "learning_threshold", "LearningThreshold", "max_capacitance", "min_volts_per_unit",
           "time_to_target", "pinned_stationary_covariance",
           "free_energy", "delta_free_energy", "log_work_moment", "exp_variance", "sample_work",
           "jarzynski_estimate", "bar_estimate", "estimate_free_energy", "FreeEnergyEstimate", "FreeEnergyWarning"]
