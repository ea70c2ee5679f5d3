"""What every backend shares about a run: its arguments, its initial state, its noise and its seeds.

A backend (the torchsde solvers of :mod:`ss_mech.solvers`, the exact solver, the circuit of
``ss_circuit``) calls these and nothing else of another backend, so that the same keywords
mean the same thing everywhere and the same bad input gets the same error:

* :func:`check_run` — duration, output times and ensemble size;
* :func:`check_noise_signal` — a given :class:`~ss_mech.noise.SampledNoise` fits the run;
* :func:`initial_state` — the (samples, N) start from given or seeded values;
* :func:`seed_stream` / :func:`seed_int` — the named, independent random streams of one seed.

Seed streams
------------
One integer ``seed`` feeds several independent random streams, each a child of
``numpy.random.SeedSequence(seed)`` with a fixed number (:data:`STREAMS`). The numbers are
frozen: they are what earlier versions drew from, so the same seed keeps giving bit-identical
results. Two names share a number only where they are drawn for different roles from different
seeds (``train`` derives ``batches`` and ``batch_noise`` from the training seed, and each batch's
run draws ``brownian`` from its own batch seed; the crosscheck's four streams come from its seed).

====================  =====  ==========================================================
name                  child  what it seeds
====================  =====  ==========================================================
``initial``           0      initial heights (uniform in [0, 1), or Gibbs)
``brownian``          1      torchsde's Brownian motion of a mechanical run
``velocities``        4      initial velocities (Maxwell)
``circuit_noise``     2      the sampled Johnson noise of a circuit run (and its twin)
``batches``           1      the order of the mini-batches (training seed)
``batch_noise``       2      one seed per mini-batch (training seed)
``ensemble_mech``     0      the crosscheck's mechanical ensemble (crosscheck seed)
``ensemble_circuit``  1      the crosscheck's circuit ensemble (crosscheck seed)
``pathwise``          2      the crosscheck's shared pathwise noise (crosscheck seed)
``training``          3      the crosscheck's training run (crosscheck seed)
====================  =====  ==========================================================
"""
from __future__ import annotations

import numpy as np

from .validation import as_finite_array, positive, positive_int

__all__ = ["STREAMS", "POSITIONS", "VELOCITIES", "seed_stream", "seed_int", "check_run", "check_noise_signal",
           "initial_state", "gibbs_positions", "maxwell_factor"]

#: seed stream name → child number of ``SeedSequence(seed)`` (frozen; see the module docstring)
STREAMS = {"initial": 0, "brownian": 1, "circuit_noise": 2, "velocities": 4, "batches": 1, "batch_noise": 2,
           "ensemble_mech": 0, "ensemble_circuit": 1, "pathwise": 2, "training": 3,
           "tolerances": 5, "leakage_noise": 6}


def seed_stream(seed: int, name: str) -> np.random.SeedSequence:
    """The ``SeedSequence`` of stream ``name`` of ``seed`` (:data:`STREAMS`)."""
    if name not in STREAMS:
        raise ValueError(f"unknown seed stream {name!r}; valid: {', '.join(STREAMS)}")
    return np.random.SeedSequence(seed).spawn(STREAMS[name] + 1)[STREAMS[name]]


def seed_int(seed: int, name: str) -> int:
    """Stream ``name`` of ``seed`` as one integer (for generators that take an integer entropy)."""
    return int(seed_stream(seed, name).generate_state(1)[0])


def check_run(t_end, n_out, samples) -> tuple[float, int, int]:
    """The run arguments every backend shares: duration, output times (≥ 2), ensemble size."""
    t_end = positive(t_end, "t_end")
    n_out = positive_int(n_out, "n_out")
    if n_out < 2:
        raise ValueError(f"n_out must be >= 2 (0 and t_end), got {n_out}")
    return t_end, n_out, positive_int(samples, "samples")


def check_noise_signal(noise, system, *, samples: int, t_end: float) -> None:
    """A given noise signal must have one block per sample, one channel per Brownian motion of
    ``system`` (one per damper for ``fdt``) and cover ``[0, t_end]``."""
    if not system.thermal:
        raise ValueError("a noise signal was given but the system has no thermal noise (T = 0 or friction = 0)")
    if (noise.samples, noise.n_noise) != (samples, system.noise_dim):
        raise ValueError(f"noise has shape (samples={noise.samples}, channels={noise.n_noise}); "
                         f"this run needs ({samples}, {system.noise_dim})")
    if noise.t0 > 0 or noise.t_end < t_end * (1 - 1e-12):
        raise ValueError(f"noise covers [{noise.t0}, {noise.t_end}] but the run needs [0, {t_end}]")


#: named initial distributions of positions and of velocities (see :func:`initial_state`)
POSITIONS = ("uniform", "gibbs")
VELOCITIES = ("rest", "maxwell")


def gibbs_positions(system) -> tuple[np.ndarray, np.ndarray]:
    """The equilibrium law of the positions, ``N(K⁻¹b, k_BT·K⁻¹)``: ``(mean, R)`` with ``K = RᵀR``.

    The one home of this law: :func:`initial_state` draws from it and
    :func:`ss_mech.thermo.initial_moments` takes its moments. Needs T > 0 and every mode pinned.
    """
    import scipy.linalg as sla

    if system.kT <= 0:
        raise ValueError("x0='gibbs' draws from a thermal law and needs temperature > 0")

    def build():
        try:
            R = sla.cholesky(system.stiffness_matrix.toarray(), lower=False)
        except sla.LinAlgError:
            raise ValueError("x0='gibbs' needs every mode pinned by a spring (K positive definite); this "
                             "system leaves a mode free, whose equilibrium law is flat") from None
        return sla.cho_solve((R, False), system.force_offset), R
    return system.cached("run.gibbs_positions", build)


def maxwell_factor(system) -> np.ndarray:
    """``R`` with ``M = RᵀR``: the Maxwell law of the velocities is ``N(0, k_BT·M⁻¹)`` (needs T > 0)."""
    import scipy.linalg as sla

    if system.kT <= 0:
        raise ValueError("v0='maxwell' draws from a thermal law and needs temperature > 0")
    return system.shared("run.maxwell_factor", lambda: sla.cholesky(system.mass_matrix.toarray(), lower=False))


def _draw(rng, R: np.ndarray, samples: int) -> np.ndarray:
    """``samples`` draws of ``R⁻¹z`` (z standard normal): covariance ``(RᵀR)⁻¹``, shape (samples, N)."""
    import scipy.linalg as sla

    return sla.solve_triangular(R, rng.standard_normal((R.shape[0], samples)), lower=False).T


def initial_state(system, *, x0=None, v0=None, samples: int = 1, seed: int = 0):
    """Initial positions and velocities as (samples, N) arrays.

    Parameters
    ----------
    x0 : None, ``'uniform'``, ``'gibbs'`` or array-like (N,) or (samples, N)
        ``None`` (the default, the paper's start): heights uniform in [0, 1), one draw shared by
        every sample. ``'uniform'``: a uniform draw per sample. ``'gibbs'``: per sample from the
        equilibrium law of the positions, ``N(x_LS, k_BT·K⁻¹)`` (needs T > 0 and every mode
        pinned by a spring). An array: the same state (N,) for every sample, or one per sample.
    v0 : None, ``'rest'``, ``'maxwell'`` or array-like
        ``None``/``'rest'``: at rest. ``'maxwell'``: per sample from the Maxwell law,
        ``N(0, k_BT·M⁻¹)`` (needs T > 0).
    samples, seed :
        Ensemble size; positions come from stream ``initial`` of ``seed``, velocities from
        stream ``velocities`` (so changing one never changes the other).

    An ensemble of one shared start has no entropy (S = −∞): the thermodynamics needs per-sample
    starts such as ``x0='gibbs', v0='maxwell'`` (DESIGN.md §6.1).
    """
    N = system.n_dof
    rng = None if (x0 is not None and not isinstance(x0, str)) else np.random.default_rng(seed_stream(seed, "initial"))

    def _shape(a, name):
        a = as_finite_array(a, name)
        if a.ndim == 1:
            a = np.broadcast_to(a, (samples, a.shape[0]))
        if a.shape != (samples, N):
            raise ValueError(f"{name} must have shape ({N},) or ({samples}, {N}) (node order × labels), got {a.shape}")
        return np.array(a, dtype=float)

    if x0 is None:
        x = np.broadcast_to(rng.uniform(0.0, 1.0, N), (samples, N)).copy()
    elif isinstance(x0, str):
        if x0 not in POSITIONS:
            raise ValueError(f"x0 must be an array or one of {', '.join(map(repr, POSITIONS))}; got {x0!r}")
        if x0 == "uniform":
            x = rng.uniform(0.0, 1.0, (samples, N))
        else:
            mean, R = gibbs_positions(system)
            x = mean + np.sqrt(system.kT) * _draw(rng, R, samples)
    else:
        x = _shape(x0, "x0")
    if v0 is None or (isinstance(v0, str) and v0 == "rest"):
        v = np.zeros((samples, N))
    elif isinstance(v0, str):
        if v0 not in VELOCITIES:
            raise ValueError(f"v0 must be an array or one of {', '.join(map(repr, VELOCITIES))}; got {v0!r}")
        R = maxwell_factor(system)
        v = np.sqrt(system.kT) * _draw(np.random.default_rng(seed_stream(seed, "velocities")), R, samples)
    else:
        v = _shape(v0, "v0")
    return x, v
