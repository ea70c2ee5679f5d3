"""Mechanical solvers as peers in a registry, and the one entry point :func:`simulate`.

In the style of ``scipy.integrate.solve_ivp``: :data:`METHODS` maps a name to a solver object
that states its strong order, the noise it integrates and the series it provides
(:class:`~ss_mech.solvers.base.Solver` writes the contract down). :func:`simulate` checks the
arguments every solver shares, once, with errors that name the argument, and hands them on.

Registered now: the torchsde schemes ``euler``, ``srk``, ``heun``, ``midpoint``
(:mod:`ss_mech.solvers.torchsde`) and ``exact`` (:mod:`ss_mech.solvers.exact`: the matrix
exponential of the linear dynamics, any step, dense). ``method='auto'`` picks ``exact`` for a
small noiseless system and ``euler`` otherwise (:func:`resolve_method`).
"""
from __future__ import annotations

from ..noise import SampledNoise
from ..run import check_noise_signal, check_run, initial_state
from ..system import System
from ..trajectory import Trajectory
from .base import NOISE_KINDS, SERIES, Solver
from .exact import EXACT_MAX_DOF, ExactSolver
from .torchsde import SOLVERS as _TORCHSDE

__all__ = ["METHODS", "Solver", "simulate", "get_solver", "resolve_method", "NOISE_KINDS", "SERIES",
           "AUTO_EXACT_MAX_DOF"]

#: method name → solver
METHODS: dict[str, Solver] = {**_TORCHSDE, "exact": ExactSolver()}

#: ``method='auto'`` takes the exact solver for a system at T = 0 up to this many degrees of freedom
#: (above it one dense exponential per spring set costs more than stepping; ``springsticks bench``)
AUTO_EXACT_MAX_DOF = 100


def resolve_method(system: System, method: str) -> str:
    """``'auto'`` → ``'exact'`` for a noiseless system of at most :data:`AUTO_EXACT_MAX_DOF` degrees
    of freedom, ``'euler'`` otherwise; any other name is returned as it is."""
    if method != "auto":
        return method
    return "exact" if not system.thermal and system.n_dof <= AUTO_EXACT_MAX_DOF else "euler"


def get_solver(method: str) -> Solver:
    """The registered solver called ``method`` (ValueError naming the valid ones otherwise)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))} or 'auto'; got {method!r}")
    return METHODS[method]


def simulate(system: System, *, t_end: float, dt: float | None = None, method: str = "euler",
             x0=None, v0=None, samples: int = 1, seed: int = 0, n_out: int = 101,
             noise: SampledNoise | None = None, progress: bool = False, **options) -> Trajectory:
    """Integrate the Langevin equation of ``system`` from 0 to ``t_end``.

    Parameters
    ----------
    system : System
        The machine with its data springs attached.
    t_end : float
        Duration (time units of the system).
    dt : float, optional
        Integration step. Checked against the stability limit (ValueError naming a stable
        step when too large); chosen as half the limit when omitted. Shortened so that
        every output time falls on a step.
    method : str
        A solver of :data:`METHODS` (``'euler'``, ``'srk'``, ``'heun'``, ``'midpoint'``, their
        orders in :mod:`ss_mech.solvers.torchsde`; ``'exact'``), or ``'auto'``
        (:func:`resolve_method`).
    x0, v0 : array-like, optional
        Initial state, (N,) or (samples, N); see :func:`ss_mech.run.initial_state`.
    samples : int
        Independent noise realisations integrated together (a batched ensemble).
    seed : int
        Seeds the default initial positions and the Brownian motion (streams ``initial`` and
        ``brownian`` of :mod:`ss_mech.run`): same seed, same numbers.
    n_out : int
        Evenly spaced output times including 0 and ``t_end``.
    noise : SampledNoise, optional
        A given noise signal (samples × noise_dim channels) instead of fresh Brownian motion —
        the pathwise mode, where the same samples also drive a circuit.
    progress : bool
        Show a progress bar.
    **options
        Solver-specific keywords (torchsde: ``dtype``, ``device``, ``save_states``,
        ``mass_solver``, ``max_chunk_bytes``, and ``extras``: optional series returned in
        ``Trajectory.extras``, off by default, e.g. ``extras=("paper_work",)`` for the authors'
        "work" ``∫ m_s v·(M⁻¹(b − Kx) − γv) dt`` per path (:mod:`ss_mech.thermo.paper_barrier`);
        the exact solver refuses them).

    Returns
    -------
    Trajectory
        ``backend='mech'``; ``meta`` says which solver made it and with what step.
    """
    t_end, n_out, samples = check_run(t_end, n_out, samples)
    solver = get_solver(resolve_method(system, method))
    kind = "sampled" if noise is not None else "white" if system.thermal else "none"
    if noise is not None:
        check_noise_signal(noise, system, samples=samples, t_end=t_end)
    if kind not in solver.noise:
        ok = [name for name, s in METHODS.items() if kind in s.noise]
        raise ValueError(f"method {method!r} cannot integrate {kind} noise (it supports {', '.join(solver.noise)}); "
                         f"use one of {', '.join(map(repr, ok))}")
    x_init, v_init = initial_state(system, x0=x0, v0=v0, samples=samples, seed=seed)
    return solver.simulate(system, t_end=t_end, dt=dt, x0=x_init, v0=v_init, samples=samples, seed=seed,
                           n_out=n_out, noise=noise, progress=progress, **options)
