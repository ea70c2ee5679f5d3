"""A protocol: the sequence of spring sets a machine is held in, each for a duration (mini-batches).

A :class:`Protocol` is a tuple of segments ``(system, duration)``. Each ``system`` is the same
machine (grid, labels, mass, friction, temperature, k_B, noise convention) with one spring set
attached (its data: a mini-batch); the machine evolves under it for ``duration`` time units,
then the springs are switched **instantaneously** to the next segment's. The potential jumps at
a switch: the protocol work ``W = U_next(x) − U_prev(x)`` at the switching state (DESIGN.md §4).

Segment ``k`` covers ``[t_k, t_{k+1}]`` with ``t_0 = 0`` and ``t_{k+1} = t_k + duration_k``; a
switch happens at each interior boundary. Durations may be 0 (a spring set passed through at
once). The stiffness may differ between segments; the bath may not (one temperature, one
friction, one noise convention).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..system import System
from ..validation import non_negative, positive

__all__ = ["Protocol", "as_protocol"]

_SAME = ("mass", "friction", "temperature", "kb", "noise")


@dataclass(frozen=True)
class Protocol:
    """Segments ``((system, duration), …)`` applied in order from time 0 (see the module docstring).

    Parameters
    ----------
    segments : sequence of (System, float)
        Each system with its spring set (data) attached; durations ≥ 0 in the systems' time units.
    """

    segments: tuple

    def __post_init__(self):
        segs = tuple((s, non_negative(d, f"duration of segment {i}")) for i, (s, d) in enumerate(self.segments))
        if not segs:
            raise ValueError("a protocol needs at least one segment (system, duration)")
        first = segs[0][0]
        for i, (s, _) in enumerate(segs):
            if not isinstance(s, System):
                raise TypeError(f"segment {i}: expected a System, got {type(s).__name__}")
            if s.W is None:
                raise ValueError(f"segment {i}: the system has no data springs attached (use System.with_data)")
            if s.grid != first.grid or s.n_labels != first.n_labels:
                raise ValueError(f"segment {i}: a protocol switches springs on one machine; this system has a "
                                 "different grid or number of labels")
            for key in _SAME:
                if getattr(s, key) != getattr(first, key):
                    raise ValueError(f"segment {i}: {key}={getattr(s, key)!r} differs from segment 0's "
                                     f"{getattr(first, key)!r}; all segments share one machine and one bath")
        object.__setattr__(self, "segments", segs)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_systems(cls, systems, durations) -> "Protocol":
        """Segments from a list of systems and one duration each (or one duration for all)."""
        systems = list(systems)
        if np.ndim(durations) == 0:
            durations = [durations] * len(systems)
        durations = list(durations)
        if len(durations) != len(systems):
            raise ValueError(f"{len(systems)} systems but {len(durations)} durations")
        return cls(tuple(zip(systems, durations)))

    @classmethod
    def from_batches(cls, system: System, X, y, batches, time_per_batch: float) -> "Protocol":
        """The protocol of mini-batch training: ``system.with_data(X[idx], y[idx])`` for each batch.

        ``batches`` is :attr:`ss_mech.training.TrainingResult.batches` (a flat list of index
        arrays, in the order applied) or :func:`ss_mech.training.batch_schedule`'s output (a list
        of epochs, each a list of index arrays). ``time_per_batch`` as given to ``train``. Systems
        of batches with identical points are built once, so their exponentials are computed once.
        """
        time_per_batch = positive(time_per_batch, "time_per_batch")
        flat = []
        for b in batches:
            if isinstance(b, (list, tuple)) and len(b) and np.ndim(b[0]) == 1:
                flat.extend(b)  # an epoch of batch_schedule
            else:
                flat.append(b)
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        built = {}
        segs = []
        for idx in flat:
            idx = np.asarray(idx, dtype=int)
            key = (X[idx].tobytes(), y[idx].tobytes())  # same points, same springs
            if key not in built:
                built[key] = system.with_data(X[idx], y[idx])
            segs.append((built[key], time_per_batch))
        return cls(tuple(segs))

    def repeat(self, times: int) -> "Protocol":
        """This protocol applied ``times`` times in a row (epochs); the same System objects."""
        if int(times) != times or times < 1:
            raise ValueError(f"times must be an integer >= 1, got {times!r}")
        return Protocol(self.segments * int(times))

    def reversed(self) -> "Protocol":
        """The time-reversed protocol (Crooks' reverse process): segments in the opposite order."""
        return Protocol(self.segments[::-1])

    # ------------------------------------------------------------------ views
    @property
    def systems(self) -> tuple:
        return tuple(s for s, _ in self.segments)

    @property
    def durations(self) -> np.ndarray:
        return np.array([d for _, d in self.segments])

    @property
    def boundaries(self) -> np.ndarray:
        """``t_0 = 0, t_1, …, t_n``: segment starts and the end time (n + 1 values)."""
        return np.concatenate([[0.0], np.cumsum(self.durations)])

    @property
    def total_time(self) -> float:
        return float(self.durations.sum())

    @property
    def first(self) -> System:
        return self.segments[0][0]

    @property
    def last(self) -> System:
        return self.segments[-1][0]

    def __len__(self) -> int:
        return len(self.segments)


def as_protocol(system_or_protocol, t_end: float | None = None) -> Protocol:
    """A Protocol as given, or one segment of ``system`` lasting ``t_end``."""
    if isinstance(system_or_protocol, Protocol):
        return system_or_protocol
    if isinstance(system_or_protocol, System):
        return Protocol(((system_or_protocol, float(t_end if t_end is not None else 0.0)),))
    raise TypeError(f"expected a System or a Protocol, got {type(system_or_protocol).__name__}")
