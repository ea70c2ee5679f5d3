"""ss_mech — the springs-and-sticks learning machine as Langevin mechanics.

Where things live:

* :mod:`ss_mech.grid`        sticks, nodes, node order, multilinear interpolation ``W``
* :mod:`ss_mech.elements`    the element list (a stick's mass, its drag, a data spring)
* :mod:`ss_mech.system`      physical parameters → sparse M, Γ, K and the noise map
* :mod:`ss_mech.sde`         the torchsde model (``f``, ``g_prod``, additive noise)
* :mod:`ss_mech.stability`   solver orders and stable step sizes
* :mod:`ss_mech.integrate`   ``simulate``: torchsde integration + energy bookkeeping
* :mod:`ss_mech.trajectory`  the one trajectory type every backend returns
* :mod:`ss_mech.analytic`    exact oracles: linear solution, OU moments, Gibbs, least squares
* :mod:`ss_mech.training`    mini-batch protocol (springs switched batch by batch)
* :mod:`ss_mech.regressor`   scikit-learn-style ``SpringsSticksRegressor``
* :mod:`ss_mech.spec`        JSON experiment specs shared with the circuit backend
"""
from .grid import Grid
from .system import System
from .trajectory import Trajectory
from .integrate import simulate
from .noise import SampledNoise

__all__ = ["Grid", "System", "Trajectory", "simulate", "SampledNoise"]
__version__ = "0.1.0"
