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
``initial``           0      default initial heights (uniform in [0, 1))
``brownian``          1      torchsde's Brownian motion of a mechanical run
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

__all__ = ["STREAMS", "seed_stream", "seed_int", "check_run", "check_noise_signal", "initial_state"]

#: seed stream name → child number of ``SeedSequence(seed)`` (frozen; see the module docstring)
STREAMS = {"initial": 0, "brownian": 1, "circuit_noise": 2, "batches": 1, "batch_noise": 2,
           "ensemble_mech": 0, "ensemble_circuit": 1, "pathwise": 2, "training": 3}


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


def initial_state(system, *, x0=None, v0=None, samples: int = 1, seed: int = 0):
    """Initial positions and velocities as (samples, N) arrays.

    ``x0``/``v0`` may be (N,) (shared by all samples) or (samples, N). Missing positions are
    drawn uniform in [0, 1) from stream ``initial`` of ``seed`` (the paper's start, one draw
    shared by every sample); missing velocities are zero.
    """
    N = system.n_dof
    rng = np.random.default_rng(seed_stream(seed, "initial"))

    def _shape(a, name):
        a = as_finite_array(a, name)
        if a.ndim == 1:
            a = np.broadcast_to(a, (samples, a.shape[0]))
        if a.shape != (samples, N):
            raise ValueError(f"{name} must have shape ({N},) or ({samples}, {N}) (node order × labels), got {a.shape}")
        return np.array(a, dtype=float)

    x = _shape(x0, "x0") if x0 is not None else np.broadcast_to(rng.uniform(0.0, 1.0, N), (samples, N)).copy()
    v = _shape(v0, "v0") if v0 is not None else np.zeros((samples, N))
    return x, v
