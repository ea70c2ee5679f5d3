"""The torchsde schemes as solvers of the registry (:data:`SOLVERS`).

* :mod:`.sde`        the model torchsde integrates (``f``, ``g_prod``, additive noise)
* :mod:`.integrate`  fixed steps, chunked ``sdeint`` calls, the energy books per step
* :mod:`.stability`  the stable step of each explicit scheme
* :mod:`.linalg`     sparse CSR in torch and the mass-matrix solve
* :mod:`.brownian`   Brownian motion, no noise, and a sampled signal as torchsde objects

=========  ============  =============  ====================================================
method     strong order  sde_type       noise it integrates
=========  ============  =============  ====================================================
euler      1.0           Itô            none, white (its own Brownian motion), sampled
srk        1.5           Itô            none, white (Rößler SRA1 needs the Lévy area)
heun       1.0           Stratonovich   none, white, sampled
midpoint   1.0           Stratonovich   none, white, sampled
=========  ============  =============  ====================================================

(Strong orders for this model's additive noise. A sampled signal is piecewise linear, so it has
no Lévy area for ``srk``.) Every scheme provides every series of the Trajectory per path.
"""
from __future__ import annotations

from ..base import SERIES, Solver

__all__ = ["TorchsdeSolver", "SOLVERS"]


class TorchsdeSolver(Solver):
    """One torchsde scheme (``torchsde.sdeint(method=name)``) with the energy bookkeeping of
    :mod:`.integrate`: x, v, K, U, loss, friction heat D = ∫vᵀΓv and noise work J per path.

    Extra keywords of :meth:`simulate`: ``dtype``, ``device``, ``save_states``,
    ``mass_solver``, ``max_chunk_bytes`` and ``extras`` (optional series such as the authors'
    ``'paper_work'``, off by default; see :func:`.integrate.integrate`).
    """

    provides = SERIES

    def __init__(self, name: str, *, strong_order: float, sde_type: str, noise: tuple):
        self.name = name
        self.strong_order = strong_order
        self.sde_type = sde_type
        self.noise = noise

    def simulate(self, system, *, t_end, dt, x0, v0, samples, seed, n_out, noise, progress, **options):
        from ..threads import solver_threads
        from .integrate import integrate

        with solver_threads(system.n_dof):
            return integrate(self, system, t_end=t_end, dt=dt, x_init=x0, v_init=v0, seed=seed, n_out=n_out,
                             noise=noise, progress=progress, **options)


SOLVERS = {
    "euler": TorchsdeSolver("euler", strong_order=1.0, sde_type="ito", noise=("none", "white", "sampled")),
    "srk": TorchsdeSolver("srk", strong_order=1.5, sde_type="ito", noise=("none", "white")),
    "heun": TorchsdeSolver("heun", strong_order=1.0, sde_type="stratonovich", noise=("none", "white", "sampled")),
    "midpoint": TorchsdeSolver("midpoint", strong_order=1.0, sde_type="stratonovich",
                               noise=("none", "white", "sampled")),
}
