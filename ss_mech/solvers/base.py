"""The solver contract: what every mechanical solver states about itself and what it must return.

A solver integrates ``M ẍ = −K x + b − Γ ẋ + η(t)`` of a :class:`~ss_mech.system.System` (see
:mod:`ss_mech.system`) from a start state and returns one :class:`~ss_mech.trajectory.Trajectory`,
the type every backend returns (``ss_circuit`` included). In the style of
``scipy.integrate.solve_ivp``'s ``METHODS``, solvers are peers in a registry
(:data:`ss_mech.solvers.METHODS`, name → solver); ``ss_mech.simulate`` checks the arguments
every solver shares once (:mod:`ss_mech.run`) and hands them on.

Each solver declares, as class or instance attributes:

``name``
    The key in the registry (``method=`` of ``simulate``, ``train`` and specs).
``strong_order``
    Strong order of convergence for this model's additive noise (torchsde's convention).
``sde_type``
    ``'ito'`` or ``'stratonovich'``: which reading of the noise the scheme integrates (they
    coincide for additive noise; it decides which noise signals the scheme accepts).
``noise``
    The noise it can integrate, a subset of :data:`NOISE_KINDS`: ``'none'`` (T = 0),
    ``'white'`` (its own seeded Brownian motion), ``'sampled'`` (a given
    :class:`~ss_mech.noise.SampledNoise`, e.g. the one a circuit is fed).
``provides``
    The :class:`Trajectory` series it computes per path (:data:`SERIES`): a series left out is
    returned as NaN, and the solver's docstring says what stands in for it.

and implements :meth:`Solver.simulate` with the keywords of ``ss_mech.simulate``.
"""
from __future__ import annotations

__all__ = ["Solver", "NOISE_KINDS", "SERIES"]

NOISE_KINDS = ("none", "white", "sampled")

#: the per-path series of a Trajectory (``heat`` = dissipated − noise_work follows from them)
SERIES = ("x", "v", "kinetic", "potential", "loss", "dissipated", "noise_work", "protocol_work")


class Solver:
    """Base class of the mechanical solvers (see the module docstring for the contract)."""

    name: str = ""
    strong_order: float = 0.0
    sde_type: str = "ito"
    noise: tuple = ()
    provides: tuple = SERIES

    def simulate(self, system, *, t_end: float, dt: float | None, x0, v0, samples: int, seed: int,
                 n_out: int, noise, progress: bool, **options):
        """Integrate ``system`` over ``[0, t_end]``; arguments already checked by ``ss_mech.simulate``.

        ``x0``/``v0`` are (samples, N) arrays; ``noise`` is a checked
        :class:`~ss_mech.noise.SampledNoise` or None. Returns a
        :class:`~ss_mech.trajectory.Trajectory` with ``n_out`` output times including 0 and
        ``t_end`` and ``meta['method'] = self.name``.
        """
        raise NotImplementedError

    def describe(self) -> dict:
        """What the solver states about itself (for reports and ``Trajectory.meta``)."""
        return {"method": self.name, "strong_order": self.strong_order, "sde_type": self.sde_type,
                "noise": list(self.noise), "provides": list(self.provides)}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, strong_order={self.strong_order}, "
                f"sde_type={self.sde_type!r}, noise={self.noise})")
