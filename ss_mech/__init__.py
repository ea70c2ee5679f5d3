"""ss_mech — the springs-and-sticks learning machine as Langevin mechanics (the model layer).

No circuits and no command line here (those are :mod:`ss_circuit` and :mod:`springsticks`).
Where things live:

* :mod:`ss_mech.grid`        sticks, nodes, node order, multilinear interpolation ``W``
* :mod:`ss_mech.elements`    the element list (a stick's mass, its drag, a data spring)
* :mod:`ss_mech.system`      physical parameters → sparse M, Γ, K, the noise map, ``System.kT``
* :mod:`ss_mech.spectrum`    the modal spectrum ``Kφ = ω²Mφ``: stiffest mode, fastest/slowest rates
* :mod:`ss_mech.response`    the frequency domain: χ(ω), the noise spectrum, the FDT, readouts, conventions
* :mod:`ss_mech.trajectory`  the one trajectory type every backend returns
* :mod:`ss_mech.noise`       sampled noise signals that can drive either backend
* :mod:`ss_mech.run`         what every backend shares: run checks, initial state, seed streams
* :mod:`ss_mech.spec`        JSON experiment specs shared with the circuit backend
* :mod:`ss_mech.solvers`     the solver registry (``METHODS``) and ``simulate``; torchsde schemes
* :mod:`ss_mech.oracles`     exact oracles: linear solution, OU moments, Gibbs, least squares
* :mod:`ss_mech.thermo`      thermodynamics of learning: exact Gaussian ledger along a protocol,
                             learning threshold, free energies (analytic; Jarzynski/BAR via pymbar)
* :mod:`ss_mech.training`    mini-batch protocol (springs switched batch by batch)
* :mod:`ss_mech.regressor`   scikit-learn-style ``SpringsSticksRegressor``

Attributes are imported lazily: ``import ss_mech`` and ``from ss_mech import System`` load
numpy and scipy only; torch and torchsde come with the first use of ``simulate``.
"""
from __future__ import annotations

from .lazy import lazy_attributes

__all__ = ["Grid", "System", "Trajectory", "simulate", "SampledNoise", "METHODS", "Perturbation"]
__version__ = "0.1.0"

_WHERE = {"Grid": "grid", "System": "system", "Trajectory": "trajectory", "SampledNoise": "noise",
          "simulate": "solvers", "METHODS": "solvers", "Perturbation": "perturbation"}


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
