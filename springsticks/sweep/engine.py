"""The sweep engine: independent points mapped over a Dask cluster, each result stored as it arrives.

:func:`sweep` submits one task per point that the store does not hold yet to a
``dask.distributed`` cluster (an embedded :class:`~distributed.LocalCluster` by default, or the
scheduler at ``scheduler``, or a :class:`~distributed.Client` you pass), collects them with
``as_completed`` and writes each to the :class:`~springsticks.sweep.store.Store` the moment it
arrives, so a sweep killed at any point keeps everything that finished and a rerun computes only
the rest.

* The embedded cluster has process workers with **one thread each** (libngspice is not
  thread-safe; torch gets one thread per worker too, ``OMP_NUM_THREADS=1`` from Dask's nanny),
  as many as ``workers`` or the cores. Dask's logging is turned down to errors unless ``verbose``.
* A point whose function raises is stored with ``status='failed'`` and its error (one line); the
  sweep goes on. A worker that dies is replaced and its point rescheduled by Dask; a point that
  kills three workers fails with Dask's ``KilledWorker``. A failed point is computed again by
  the next run; a finished one only with ``force``.
* Ctrl-C (KeyboardInterrupt) cancels what is still queued, closes the cluster and returns with
  ``interrupted=True``: every stored row is complete (each is its own transaction).

The function runs on the workers, so it must be importable there (a module-level function of an
installed package, or anything cloudpickle can carry) and return a flat dict of numbers
(strings, booleans and None are kept too).
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ss_mech.errors import ClusterError, InputError

from .points import Point, point_key
from .store import Store

__all__ = ["sweep", "SweepResult", "as_points", "quiet_dask", "open_client"]


@dataclass
class SweepResult:
    """What a sweep did.

    Attributes
    ----------
    points, computed, reused, failed : int
        Points in the sweep; computed by this run; found finished in the store (not recomputed);
        failed in this run (stored with their error).
    interrupted : bool
        Ctrl-C stopped the run; the store holds what finished.
    store : Path
        The SQLite file.
    keys : list of str
        The points' keys, in the sweep's order.
    wall_time : float
        Seconds this run took.
    errors : dict
        key → error of the points that failed in this run.
    """

    points: int
    computed: int
    reused: int
    failed: int
    interrupted: bool
    store: Path
    keys: list = field(default_factory=list)
    wall_time: float = 0.0
    errors: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """The ``--json`` summary."""
        return {"points": self.points, "computed": self.computed, "reused": self.reused, "failed": self.failed,
                "missing": self.points - self.computed - self.reused, "interrupted": self.interrupted,
                "store": str(self.store), "wall_time": self.wall_time, "errors": self.errors}

    def table(self) -> list[dict]:
        """The sweep's rows from the store, in the sweep's order."""
        with Store(self.store) as st:
            return st.table(self.keys)


def as_points(points, namespace: str = "") -> list[Point]:
    """Points from :class:`Point` objects or plain dicts (a dict is its own params and payload)."""
    out = []
    for p in points:
        if isinstance(p, Point):
            out.append(p)
        elif isinstance(p, dict):
            out.append(Point(params=dict(p), payload=p, key=point_key(p, namespace)))
        else:
            raise InputError(f"a sweep point must be a dict or a Point, got {type(p).__name__}")
    seen = {}
    for i, p in enumerate(out):
        if p.key in seen:
            raise InputError(f"sweep points {seen[p.key]} and {i} are the same point ({p.params}); remove one")
        seen[p.key] = i
    return out


def _plain(value, name: str):
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"the record's {name!r} is a {type(value).__name__}; a record holds numbers, strings or None")


def _execute(fn, payload) -> dict:
    """Run one point on a worker: the outcome the store writes (never raises for the point's own errors)."""
    started = time.time()
    t0 = time.perf_counter()
    out = {"worker": f"{socket.gethostname()}:{os.getpid()}", "started_at": started}
    try:
        record = fn(payload)
        if not isinstance(record, dict):
            raise TypeError(f"the function returned a {type(record).__name__}, not a dict (a flat record)")
        out.update(status="done", record={str(k): _plain(v, k) for k, v in record.items()})
    except Exception as exc:  # noqa: BLE001 — a failed point is data, the sweep goes on
        out.update(status="failed", record=None, error=" ".join(f"{type(exc).__name__}: {exc}".split()))
    out["wall_time"] = time.perf_counter() - t0
    out["finished_at"] = time.time()
    return out


def quiet_dask(level: int = logging.ERROR) -> None:
    """Turn Dask's loggers (``distributed.*``, set one by one by its config) down to ``level``."""
    import distributed  # noqa: F401 — configures its loggers on import

    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in ("distributed", "dask", "bokeh",
                                                                                       "tornado")]
    for name in names + ["distributed"]:
        logging.getLogger(name).setLevel(level)


@contextmanager
def _children_ignore_sigint():
    """Start processes with SIGINT ignored (inherited across exec), then restore the handler.

    Ctrl-C reaches the whole foreground process group; the driver handles it and closes the
    cluster, so the workers must not die of it first (each would print a traceback).
    """
    import signal

    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave the signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def open_client(*, client=None, scheduler: str | None = None, workers: int | None = None, verbose: bool = False):
    """A :class:`distributed.Client`: the one given, one connected to ``scheduler``, or an embedded cluster."""
    if client is not None:
        yield client
        return
    if not verbose:
        quiet_dask()
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            c = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"--scheduler {scheduler}: cannot connect ({' '.join(str(exc).split())}); start "
                               "one with `dask scheduler` and `dask worker ADDRESS`, or leave --scheduler out to run "
                               "on this machine") from None
        try:
            yield c
        finally:
            c.close()
        return
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"--workers must be a positive integer, got {workers!r}")
    n = workers or os.cpu_count() or 1
    with _children_ignore_sigint():
        # no dashboard; its HTTP server (always started) on a free port, never "8787 is in use" warnings
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": ":0"},
                               silence_logs=logging.WARNING if verbose else logging.ERROR)
    try:
        c = Client(cluster)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def sweep(fn, points, *, store, client=None, scheduler: str | None = None, workers: int | None = None,
          force: bool = False, progress: bool | None = None, namespace: str | None = None,
          description: dict | None = None, verbose: bool = False) -> SweepResult:
    """Map ``fn`` over ``points`` on a Dask cluster, storing each result as it finishes; resumable.

    Parameters
    ----------
    fn : callable
        ``fn(payload) -> dict``: one point's flat record of numbers. It runs on the workers.
    points : iterable of dict or :class:`~springsticks.sweep.points.Point`
        The points. A dict is its own parameters and payload (its key hashes it with ``namespace``);
        :func:`~springsticks.sweep.points.build_points` makes points from a spec.
    store : str, Path or Store
        A folder (``sweep.sqlite`` inside) or an ``.sqlite`` file; created when missing.
    client : distributed.Client, optional
        Run on this client's cluster (left open). Otherwise ``scheduler`` (an address such as
        ``tcp://host:8786``) or an embedded LocalCluster of ``workers`` processes (default: the cores).
    force : bool
        Recompute points the store already holds.
    progress : bool, optional
        A progress bar over the points (default: when stderr is a terminal).
    namespace : str, optional
        Mixed into the keys of dict points (default: ``fn``'s module and name), so two functions
        sweeping the same parameters into one store do not collide.
    description : dict, optional
        Stored with the run (``meta`` table) for the summary and the figures.
    verbose : bool
        Leave Dask's logging as configured.

    Returns
    -------
    SweepResult
    """
    t0 = time.perf_counter()
    if namespace is None:
        namespace = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    pts = as_points(points, namespace)
    own = not isinstance(store, Store)
    st = Store(store) if own else store
    try:
        keys = [p.key for p in pts]
        st.set_meta("points", keys)
        if description is not None:
            st.set_meta("description", description)
        stored = st.statuses()
        todo = [p for p in pts if force or stored.get(p.key) != "done"]
        reused = len(pts) - len(todo)
        computed = failed = 0
        errors, interrupted = {}, False
        if todo:
            from tqdm.auto import tqdm

            show = sys.stderr.isatty() if progress is None else progress
            bar = tqdm(total=len(pts), initial=reused, desc="sweep", unit="point", disable=not show)
            futures = {}
            try:
                with open_client(client=client, scheduler=scheduler, workers=workers, verbose=verbose) as c:
                    from distributed import as_completed

                    run = uuid.uuid4().hex[:8]
                    for p in todo:
                        f = c.submit(_execute, fn, p.payload, key=f"sweep-point-{p.key[:16]}-{run}", pure=False)
                        futures[f] = p
                    try:
                        for f in as_completed(list(futures)):
                            p = futures.pop(f)
                            try:
                                outcome = f.result()
                            except Exception as exc:  # noqa: BLE001 — e.g. KilledWorker: the point failed
                                outcome = {"status": "failed", "error": " ".join(f"{type(exc).__name__}: {exc}".split())}
                            st.write(p.key, p.params, outcome)
                            computed += 1
                            if outcome["status"] != "done":
                                failed += 1
                                errors[p.key] = outcome["error"]
                                bar.set_postfix(failed=failed)
                            bar.update(1)
                    except KeyboardInterrupt:
                        interrupted = True
                        c.cancel(list(futures), force=True)
            except KeyboardInterrupt:  # during the cluster's start or shutdown
                interrupted = True
            finally:
                bar.close()
        result = SweepResult(points=len(pts), computed=computed, reused=reused, failed=failed,
                             interrupted=interrupted, store=st.path, keys=keys, wall_time=time.perf_counter() - t0,
                             errors=errors)
        try:
            st.export_parquet(keys=keys)
        except ImportError:  # pyarrow is a declared dependency; the SQLite store is the record either way
            pass
        return result
    finally:
        if own:
            st.close()
