"""Mini-batch training as in the paper: springs switched batch by batch, state carried over.

For each mini-batch the springs of its points are attached (the previous batch's detached),
the machine evolves for ``time_per_batch``, and the final state starts the next batch. The
potential jumps at every switch; that jump, ``W = U_new(x) − U_old(x)`` at the switching
state, is the protocol work, which enters Jarzynski's equality. The loss per epoch is the
MSE on the full training set and, when held-out points are given, on those — never on the
last training batch (the authors' ``loss()`` does that; we do not).

The integrator is a parameter: any function with :func:`ss_mech.simulate`'s
signature (e.g. the circuit backend's) can carry the training, which is how the two
backends are compared on a whole training run.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from .run import initial_state, seed_stream
from .solvers import simulate
from .solvers.threads import solver_threads
from .system import System
from .trajectory import Trajectory
from .validation import positive, positive_int

__all__ = ["train", "TrainingResult", "batch_schedule"]


@dataclass
class TrainingResult:
    """What a training run produced.

    Attributes
    ----------
    x, v : ndarray (samples, N)
        Final state.
    trajectory : Trajectory
        All batches joined (times follow on; protocol work jumps at switches).
    history : dict of lists
        Per epoch (index 0 = before training): ``epoch``, ``train_mse``, ``test_mse`` (NaN
        without held-out data), each the mean over samples, and ``time`` (wall seconds).
    batches : list of ndarray
        Indices of the training points in each mini-batch, in the order applied.
    interrupted : bool
        True when a KeyboardInterrupt stopped the run; everything up to it is kept.
    """

    x: np.ndarray
    v: np.ndarray
    trajectory: Trajectory | None
    history: dict = field(default_factory=dict)
    batches: list = field(default_factory=list)
    interrupted: bool = False


def batch_schedule(n_points: int, batch_size: int, epochs: int, *, shuffle: bool, rng: np.random.Generator):
    """Mini-batches (index arrays) epoch by epoch; the last batch of an epoch may be short."""
    out = []
    for _ in range(epochs):
        order = rng.permutation(n_points) if shuffle else np.arange(n_points)
        out.append([order[i:i + batch_size] for i in range(0, n_points, batch_size)])
    return out


def _mse(data: System | None, x: np.ndarray) -> float:
    """The MSE of the states ``x`` (S × N) on the springs of ``data``, averaged over the samples."""
    return float(np.mean(data.mse(x))) if data is not None else float("nan")


def train(system: System, X, y, *, batch_size: int = 16, epochs: int = 10, time_per_batch: float = 0.1,
          dt: float | None = None, method: str = "auto", x0=None, v0=None, samples: int = 1, seed: int = 0,
          shuffle: bool = True, n_out_per_batch: int = 2, eval_set=None, progress: bool = False,
          integrator: Callable[..., Trajectory] = simulate, **integrator_options) -> TrainingResult:
    """Train ``system`` (its sticks; any attached springs are ignored) on ``(X, y)``.

    Parameters
    ----------
    system : System
        The machine. Its grid must contain the data (see :meth:`Grid.check_points`).
    X, y : array-like (B × d), (B × m) or (B,)
        Training data.
    batch_size, epochs : int
        Points per mini-batch, passes over the data.
    time_per_batch : float
        How long each batch's springs pull (time units).
    dt, method : integration step and method, passed to ``integrator`` (``'auto'``: the exact
        solver at T = 0 for a small machine, Euler–Maruyama otherwise).
    x0, v0 : initial state (default: seeded uniform heights in [0, 1), at rest).
    samples : int
        Independent noise realisations trained together.
    seed : int
        Seeds the initial state, the batch order and each batch's noise.
    shuffle : bool
        Reshuffle the points every epoch.
    n_out_per_batch : int
        Output times recorded per batch (≥ 2).
    eval_set : (X_test, y_test), optional
        Held-out points for ``history['test_mse']``.
    integrator : callable
        ``simulate``-compatible backend.
    """
    batch_size = positive_int(batch_size, "batch_size")
    epochs = positive_int(epochs, "epochs")
    time_per_batch = positive(time_per_batch, "time_per_batch")
    X = system.grid.check_points(X, name="X")
    _, y = system._check_data(X, y)
    if eval_set is not None:
        Xt = system.grid.check_points(eval_set[0], name="X_test", outside="clip")
        _, yt = system._check_data(Xt, eval_set[1])
    x, v = initial_state(system, x0=x0, v0=v0, samples=samples, seed=seed)
    # The data's springs, for the MSEs and as the rows every batch takes (System.subset). A machine
    # of perturbed parts has capacitors for one batch only (ss_mech.perturbation): its MSEs are read
    # on its ideal twin (the residuals do not depend on the parts) and its batches attached anew.
    ideal = system if system.perturbation is None else system.with_perturbation(None)
    data = ideal.with_data(X, y)
    rng = np.random.default_rng(seed_stream(seed, "batches"))
    schedule = batch_schedule(X.shape[0], batch_size, epochs, shuffle=shuffle, rng=rng)
    n_batches = sum(len(e) for e in schedule)
    batch_seeds = [int(s.generate_state(1)[0] % (2**31)) for s in seed_stream(seed, "batch_noise").spawn(n_batches)]

    held_out = ideal.with_data(Xt, yt) if eval_set is not None else None  # Xt is clipped into the box
    history = {"epoch": [0], "train_mse": [_mse(data, x)], "test_mse": [_mse(held_out, x)], "time": [0.0]}
    parts, batches, previous = [], [], None
    start, b, interrupted = time.perf_counter(), 0, False
    bar = tqdm(total=n_batches, desc="train", unit="batch", disable=not progress, leave=False)
    # one BLAS thread limit around every batch (ss_mech.solvers.threads), not one per batch
    with solver_threads(system.n_dof, torch_threads=False):
        try:
            for epoch, epoch_batches in enumerate(schedule, start=1):
                for idx in epoch_batches:
                    current = data.subset(idx) if ideal is system else system.with_data(X[idx], y[idx])
                    switch = (current.potential(x) - previous.potential(x)) if previous is not None \
                        else np.zeros(samples)
                    seg = integrator(current, t_end=time_per_batch, dt=dt, method=method, x0=x, v0=v,
                                     samples=samples, seed=batch_seeds[b], n_out=n_out_per_batch, **integrator_options)
                    seg.protocol_work = seg.protocol_work + switch[None, :]
                    parts.append(seg)
                    batches.append(idx)
                    x, v, previous = seg.x_end, seg.v_end, current
                    b += 1
                    bar.update(1)
                history["epoch"].append(epoch)
                history["train_mse"].append(_mse(data, x))
                history["test_mse"].append(_mse(held_out, x))
                history["time"].append(time.perf_counter() - start)
                bar.set_postfix(train_mse=f"{history['train_mse'][-1]:.3g}")
        except KeyboardInterrupt:
            interrupted = True
            warnings.warn(f"training interrupted after {b} of {n_batches} batches; the state reached is kept",
                          RuntimeWarning, stacklevel=2)
        finally:
            bar.close()
    traj = Trajectory.concatenate(parts) if parts else None
    return TrainingResult(x=x, v=v, trajectory=traj, history=history, batches=batches, interrupted=interrupted)
