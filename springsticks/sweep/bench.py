"""The sweep engine's benchmark (``springsticks bench --sweep``): points/s, parallel efficiency, overhead.

A small ``simulate`` sweep (the one-stick ensemble, 16 points by default, 8 with ``quick``) is run

* as a **plain loop** in this process (``run_task`` point after point: no Dask, no store);
* through :func:`~springsticks.sweep.sweep` on an embedded LocalCluster of **1** and of **2**
  workers, each cluster started and warmed first (every worker runs one point, so torch is
  imported) and timed separately, the sweep itself into a fresh store.

Reported: points per second of each; the parallel efficiency ``rate(2) / (2·rate(1))``; the
overhead per point of the engine against the loop, ``(t_sweep(1 worker) − t_loop) / points``
(scheduling, serialisation, the store's transaction per row); and the clusters' start-up time.
Ratios, measured one right after the other: on a busy machine read those, not the absolute rates.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

__all__ = ["run_sweep_benchmark"]


def _points(n: int):
    from ss_mech.spec import example_spec

    from .points import build_points

    spec = example_spec("one_stick_samples")
    spec["run"].update(t_end=1.0, samples=32)
    return build_points(spec, vary=[f"physics.temperature=linspace:0.2:2:{n}"])


def run_sweep_benchmark(*, quick: bool = False, json_out: bool = False, workers=(1, 2)) -> dict:
    """Run the benchmark (module docstring); prints a line per figure unless ``json_out`` (then one JSON object)."""
    from .engine import open_client, sweep
    from .tasks import run_task

    say = (lambda *a: None) if json_out else (lambda *a: print(*a, flush=True))
    points = _points(8 if quick else 16)
    n = len(points)
    run_task(points[0].payload)  # imports torch here too: the loop is timed warm, like the workers
    import pyarrow.parquet  # noqa: F401 — the table's export at the end of a sweep: a one-time import, not per point
    t0 = time.perf_counter()
    for p in points:
        run_task(p.payload)
    loop = time.perf_counter() - t0
    say(f"plain loop: {n} points in {loop:.2f} s ({n / loop:.2f} points/s)")
    out = {"points": n, "loop_s": loop, "loop_points_per_s": n / loop, "clusters": {}}
    for w in workers:
        t0 = time.perf_counter()
        with open_client(workers=w) as client:
            client.wait_for_workers(w)
            client.run(run_task, points[0].payload)  # warm every worker
            start = time.perf_counter() - t0
            with tempfile.TemporaryDirectory() as tmp:
                t1 = time.perf_counter()
                res = sweep(run_task, points, store=Path(tmp) / "bench", client=client, progress=False)
                wall = time.perf_counter() - t1
        if res.computed != n or res.failed:
            raise RuntimeError(f"the benchmark sweep on {w} workers computed {res.computed} of {n} points, "
                               f"{res.failed} failed: {res.errors}")
        out["clusters"][str(w)] = {"workers": w, "startup_s": start, "sweep_s": wall, "points_per_s": n / wall}
        say(f"sweep on {w} worker{'s' if w > 1 else ''}: {n} points in {wall:.2f} s ({n / wall:.2f} points/s); "
            f"cluster start and warm-up {start:.2f} s")
    rates = {w: out["clusters"][str(w)]["points_per_s"] for w in workers}
    if 1 in rates:
        out["overhead_per_point_s"] = (out["clusters"]["1"]["sweep_s"] - loop) / n
        say(f"overhead per point (1 worker vs the plain loop): {out['overhead_per_point_s'] * 1e3:.1f} ms")
        for w in workers:
            if w > 1:
                eff = rates[w] / (w * rates[1])
                out[f"parallel_efficiency_{w}"] = eff
                say(f"parallel efficiency, {w} workers vs 1: {eff:.2f}")
    if json_out:
        print(json.dumps(out))
    return out
