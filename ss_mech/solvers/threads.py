"""The thread policy of the solvers: small problems on one thread, large ones on every core.

On a 2-core machine whose other core is busy, a multi-threaded BLAS or torch spins on small
problems (measured: a 100×100 ``expm`` took 220 ms instead of 0.85 ms, 1-D steps ran 3.6–17×
slower). Below :data:`SMALL_DOF` degrees of freedom every solver therefore runs with one torch
thread and one BLAS thread (through ``threadpoolctl``); from it up, the libraries' defaults (all
cores). The environment variable :data:`ENV` (``SPRINGSTICKS_THREADS=4``) overrides both: that many
threads whatever the size (``0``: the libraries' defaults always).
"""
from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["SMALL_DOF", "ENV", "thread_count", "solver_threads"]

#: below this many degrees of freedom a solver runs single-threaded
SMALL_DOF = 10_000

#: environment variable that sets the number of threads (0: the libraries' defaults)
ENV = "SPRINGSTICKS_THREADS"


def thread_count(n_dof: int) -> int | None:
    """Threads for a problem of ``n_dof`` degrees of freedom (None: leave the libraries' defaults)."""
    value = os.environ.get(ENV, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"{ENV} must be an integer number of threads (0: library defaults), got {value!r}") from None
        if n < 0:
            raise ValueError(f"{ENV} must be >= 0, got {n}")
        return n or None
    return 1 if n_dof < SMALL_DOF else None


_CONTROLLER = None


def _blas_limit(n: int):
    """A context limiting the BLAS/OpenMP pools to ``n`` threads.

    The pools are found once per process (threadpoolctl scans the loaded libraries, ~2 ms, which
    would otherwise be paid by every mini-batch) and rescanned when a library was loaded since.
    """
    global _CONTROLLER
    import sys

    from threadpoolctl import ThreadpoolController

    key = len(sys.modules)
    if _CONTROLLER is None or _CONTROLLER[0] != key:
        _CONTROLLER = (key, ThreadpoolController())
    return _CONTROLLER[1].limit(limits=n)


#: the BLAS limit the innermost active :func:`solver_threads` imposes (None: none active)
_ACTIVE_BLAS: int | None = None


@contextmanager
def solver_threads(n_dof: int, *, torch_threads: bool = True):
    """Run the block with :func:`thread_count` threads for torch (optional) and BLAS, then restore.

    Re-entrant and cheap when nested: a block inside one that already limits BLAS to the same
    count does not limit it again (the mini-batch training holds one limit around all its
    batches instead of paying threadpoolctl's ~40 µs per batch).
    """
    global _ACTIVE_BLAS
    n = thread_count(n_dof)
    if n is None:
        yield
        return
    old = None
    if torch_threads:
        import torch
        old = torch.get_num_threads()
        torch.set_num_threads(n)
    outer = _ACTIVE_BLAS
    try:
        if outer == n:
            yield
        else:
            with _blas_limit(n):
                _ACTIVE_BLAS = n
                yield
    finally:
        _ACTIVE_BLAS = outer
        if old is not None:
            torch.set_num_threads(old)
