"""Parameter sweeps on Dask: any spec, either backend, resumable, with figures (``springsticks sweep``).

A sweep runs many independent points (a spec with overrides, or any parameters of your own
function) on a ``dask.distributed`` cluster (an embedded LocalCluster, or one you start with
``dask scheduler`` / ``dask worker``) and stores each result the moment it finishes, so a killed
sweep resumes where it stopped:

* :mod:`~springsticks.sweep.points`  the points: dotted-path overrides of a spec, value syntax,
  Cartesian products and ``--zip`` ties, keys and seeds (:func:`build_points`, :func:`point_seed`);
* :mod:`~springsticks.sweep.tasks`   what a spec point runs: ``simulate``, ``train``, ``energy``;
* :mod:`~springsticks.sweep.engine`  :func:`sweep` — ``sweep(fn, points, store=..., client=...)``;
* :mod:`~springsticks.sweep.store`   the SQLite store, one row per point (:class:`Store`);
* :mod:`~springsticks.sweep.report`  figures and ``summary.md`` (:func:`plot_sweep`, :func:`write_summary`);
* :mod:`~springsticks.sweep.command` the ``springsticks sweep`` command's handlers;
* :mod:`~springsticks.sweep.bench`   points per second, parallel efficiency, overhead per point.

Your own function, from Python::

    from springsticks.sweep import sweep

    def f(p):                       # runs on a worker; returns a flat record of numbers
        return {"y": p["a"] * p["b"]}

    res = sweep(f, [{"a": a, "b": b} for a in (1, 2) for b in (3, 4)], store="out/f", workers=2)
    res.summary(), res.table()

It lives in the application layer, not in ``ss_mech``: its spec tasks run either backend, and
the circuit backend sits above ``ss_mech`` (``tests/test_layers.py``).
"""
from ss_mech.lazy import lazy_attributes

__all__ = ["sweep", "SweepResult", "Point", "build_points", "parse_values", "point_seed", "point_key", "Store",
           "TASKS", "run_task", "plot_sweep", "write_summary"]

_WHERE = {"sweep": "engine", "SweepResult": "engine", "Point": "points", "build_points": "points",
          "parse_values": "points", "point_seed": "points", "point_key": "points", "Store": "store",
          "TASKS": "tasks", "run_task": "tasks", "plot_sweep": "report", "write_summary": "report"}

__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
