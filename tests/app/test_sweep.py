"""Parameter sweeps on Dask (``springsticks sweep``): points, seeds, the store, resume after kills.

The cluster tests share one 2-worker LocalCluster and one separately started ``dask scheduler``
+ two ``dask worker`` processes (module fixtures: Dask start-up and the workers' first torch
import are the slow part). The kill tests SIGKILL the driver, and separately a worker, midway,
rerun, and check every point is stored exactly once, the finished ones untouched, and the
table equal to an uninterrupted run's.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ss_mech.errors import InputError, SpecError
from ss_mech.spec import example_spec
from springsticks.cli import main
from springsticks.sweep.command import normalize_argv
from springsticks.sweep.points import build_points, parse_values
from springsticks.sweep.store import BOOK_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).parent / "dask"

#: a small ensemble of one stick: ~0.3 s a point once a worker has imported torch
SPEC = example_spec("one_stick_samples")
SPEC["run"].update(t_end=1.0, samples=32)
VARY = ["physics.temperature=0.5,1", "physics.stiffness=logspace:-0.5:0.5:4"]   # 8 points


def _spec_file(tmp_path) -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    return str(path)


def _rows(folder) -> dict:
    """key → the stored row (bookkeeping included)."""
    db = sqlite3.connect(str(Path(folder) / "sweep.sqlite"))
    cols = ["key", "status", "record", "written_at", "computations", "worker"]
    return {r[0]: dict(zip(cols, r)) for r in db.execute(f"SELECT {', '.join(cols)} FROM points")}


def _results(table) -> dict:
    """key → the physics of a row (params and record, without wall times, workers, timestamps)."""
    drop = set(BOOK_COLUMNS) | {"wall_time"}
    return {r["key"]: {k: v for k, v in r.items() if k not in drop} for r in table}


# ---------------------------------------------------------------------------- points (no cluster)
def test_value_syntax():
    assert parse_values("0.1,1,10") == [0.1, 1, 10]
    assert parse_values("logspace:-3:0:4") == pytest.approx([1e-3, 1e-2, 1e-1, 1.0])
    assert parse_values("linspace:0:1:3") == [0.0, 0.5, 1.0]
    assert parse_values("[1],[2],[4]") == [[1], [2], [4]]
    assert parse_values("fdt,paper") == ["fdt", "paper"]
    for bad, word in (("logspace:1:2", "logspace:START:STOP:COUNT"), ("linspace:a:1:3", "numbers"), ("", "no values")):
        with pytest.raises(InputError, match=word):
            parse_values(bad)


def test_grid_zip_and_errors_before_anything_runs(tmp_path):
    base = _spec_file(tmp_path)
    pts = build_points(base, vary=["physics.temperature=0.1,1,10", "physics.stiffness=logspace:-1:1:3",
                                   "physics.mass=logspace:-1:1:3"], zip=["physics.stiffness,physics.mass"])
    assert len(pts) == 9  # 3 temperatures × 3 tied (k, M) pairs
    assert all(p.payload["spec"]["physics"]["stiffness"] == p.payload["spec"]["physics"]["mass"] for p in pts)
    assert len(build_points(base, vary=["grid.n_sticks=[1],[2]", "initial.x=uniform"], seeds=3)) == 6
    with pytest.raises(SpecError, match="physics.temprature"):
        build_points(base, vary=["physics.temprature=0.1,1"])
    with pytest.raises(SpecError, match="physics.friction must be >= 0"):
        build_points(base, vary=["physics.friction=1,-1"])
    with pytest.raises(InputError, match="task.epochz"):
        build_points(base, task="train", vary=["task.epochz=1,2"])
    with pytest.raises(InputError, match="tied axes need as many values"):
        build_points(base, vary=["physics.stiffness=1,2", "physics.mass=1,2,3"], zip=["physics.stiffness,physics.mass"])
    # the command stops before anything runs: exit 2, no store
    out = tmp_path / "never"
    assert main(["sweep", base, "--vary", "physics.temprature=1", "--out", str(out)]) == 2
    assert not out.exists()


def test_seeds_follow_the_point_not_its_place(tmp_path):
    base = _spec_file(tmp_path)
    a = build_points(base, vary=["physics.temperature=0.1,1,10", "physics.stiffness=1,2"], seeds=2)
    b = build_points(base, vary=["physics.stiffness=2,1", "physics.temperature=10,0.1"], seeds=2)  # reordered subset
    seed_a = {(p.params["physics.temperature"], p.params["physics.stiffness"], p.params["replicate"]): p.params["seed"]
              for p in a}
    for p in b:
        assert p.params["seed"] == seed_a[(p.params["physics.temperature"], p.params["physics.stiffness"],
                                          p.params["replicate"])]
    assert len({p.params["seed"] for p in a}) == len(a)  # every point and replicate its own seed
    c = build_points(base, vary=["physics.temperature=0.1,1,10", "physics.stiffness=1,2"], seeds=2, seed=7)
    assert {p.params["seed"] for p in c}.isdisjoint(seed_a.values())


def test_sweep_spec_form_means_run():
    assert normalize_argv(["sweep", "s.json", "--out", "d"]) == ["sweep", "run", "s.json", "--out", "d"]
    assert normalize_argv(["--debug", "sweep", "plot", "d"]) == ["--debug", "sweep", "plot", "d"]
    assert normalize_argv(["simulate", "sweep"]) == ["simulate", "sweep"]


# ---------------------------------------------------------------------------- a real LocalCluster
@pytest.fixture(scope="module")
def local_client():
    from springsticks.sweep.engine import open_client

    with open_client(workers=2) as client:
        yield client


@pytest.fixture(scope="module")
def reference(local_client, tmp_path_factory):
    """The uninterrupted sweep of SPEC × VARY on the 2-worker LocalCluster: (points, key → results, folder)."""
    from springsticks.sweep import run_task, sweep

    tmp = tmp_path_factory.mktemp("reference")
    points = build_points(_spec_file(tmp), vary=VARY)
    res = sweep(run_task, points, store=tmp / "ref", client=local_client)
    assert (res.computed, res.failed) == (len(points), 0)
    return points, _results(res.table()), tmp / "ref"


def test_own_function_on_local_cluster_failed_point_and_resume(local_client, tmp_path):
    from springsticks.sweep import sweep

    def f(p):  # a user's function, carried to the workers by value
        if p["a"] == 3:
            raise ValueError("a = 3 is not allowed")
        return {"y": p["a"] * p["b"], "pid": os.getpid()}

    points = [{"a": a, "b": b} for a in (1, 2, 3) for b in (10, 20)]
    res = sweep(f, points, store=tmp_path / "own", client=local_client)
    assert (res.points, res.computed, res.reused, res.failed) == (6, 6, 0, 2)
    assert all("ValueError: a = 3 is not allowed" in e for e in res.errors.values())
    table = res.table()
    assert [r.get("y") for r in table] == [10, 20, 20, 40, None, None]
    assert [r["status"] for r in table] == ["done"] * 4 + ["failed"] * 2
    import pyarrow.parquet as pq

    parquet = pq.read_table(tmp_path / "own" / "results.parquet").to_pydict()
    assert parquet["y"] == [10, 20, 20, 40, None, None] and parquet["key"] == res.keys
    again = sweep(f, points, store=tmp_path / "own", client=local_client)
    assert (again.computed, again.reused, again.failed) == (2, 4, 2)  # failed points are tried again
    rows = _rows(tmp_path / "own")
    assert sorted(r["computations"] for r in rows.values()) == [1, 1, 1, 1, 2, 2]
    forced = sweep(f, points[:2], store=tmp_path / "own", client=local_client, force=True)
    assert (forced.computed, forced.reused) == (2, 0)


def test_same_seed_same_table_for_one_and_two_workers(reference, tmp_path, capsys):
    """--workers 1 (the command, its own LocalCluster) reproduces the 2-worker table bit for bit."""
    points, ref, _ = reference
    out = tmp_path / "one"
    argv = ["sweep", _spec_file(tmp_path), *[w for v in VARY for w in ("--vary", v)], "--out", str(out),
            "--workers", "1", "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["points"], summary["computed"], summary["reused"], summary["failed"]) == (8, 8, 0, 0)
    from springsticks.sweep import Store

    with Store(out) as st:
        one = _results(st.table())
    assert one == ref
    # the physics is the library's: the exact references of the simulate task are those of the system
    row = next(iter(ref.values()))
    T, k = row["physics.temperature"], row["physics.stiffness"]
    assert row["equilibrium_mse"] == pytest.approx(T * 2 / (k * 2))  # MSE_LS = 0, rank W = B = 2
    assert row["k_over_kT"] == pytest.approx(k / T)


def test_train_energy_and_circuit_tasks_on_the_workers(local_client, tmp_path):
    """Each task is the library's own function; the circuit runs inside the (daemonic) Dask workers."""
    from ss_circuit import simulate_spec
    from ss_mech.spec import load_spec
    from springsticks.energy import Units, energy_report
    from springsticks.sweep import run_task, sweep

    base = _spec_file(tmp_path)
    fast = ["run.t_end=0.2", "run.samples=2"]
    points = (build_points(base, vary=fast + ["physics.temperature=0.5,1"], backend="circuit")
              + build_points(base, vary=fast + ["task.epochs=1,2"], task="train")
              + build_points(example_spec("sine_1d_4sticks"), vary=["task.volts_per_unit=0.01,1"], task="energy"))
    res = sweep(run_task, points, store=tmp_path / "tasks", client=local_client)
    assert (res.computed, res.failed) == (6, 0), res.errors
    rows = {r["key"]: r for r in res.table()}
    p = points[0]  # the circuit in the worker (every sample in one process) = in an ngspice process of its own
    traj = simulate_spec(load_spec(p.payload["spec"]), processes=1)
    assert rows[p.key]["final_mse"] == pytest.approx(traj.loss[-1].mean(), rel=1e-12)
    assert rows[p.key]["heat"] == pytest.approx(traj.heat[-1].mean(), rel=1e-12)
    assert rows[points[1].key]["final_mse"] != rows[p.key]["final_mse"]
    train = [rows[p.key] for p in points[2:4]]
    assert [r["batches"] for r in train] == [1, 2] and all(np.isfinite(r["final_mse"]) for r in train)
    for p in points[4:]:
        report = energy_report(p.payload["spec"], units=Units(volts_per_unit=p.params["task.volts_per_unit"]))
        assert rows[p.key]["threshold.stiffness"] == pytest.approx(report["threshold"]["stiffness"])
        assert rows[p.key]["heat.J"] == pytest.approx(report["heat"]["J"])


# ---------------------------------------------------------------------------- dask scheduler + dask worker
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler():
    """A separately started `dask scheduler` and two `dask worker` processes on localhost."""
    from distributed import Client

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0", "--no-show"], **quiet)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"], **quiet))
        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        try:
            with Client(address, timeout="5s") as c:
                c.shutdown()  # scheduler and workers, at once (a SIGTERM'd worker closes slowly)
        except OSError:
            pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _driver(spec: str, out: Path, address: str) -> list[str]:
    return [sys.executable, "-m", "springsticks", "sweep", spec, *[w for v in VARY for w in ("--vary", v)],
            "--out", str(out), "--scheduler", address, "--json"]


def _count(out: Path) -> int:
    try:
        return sqlite3.connect(str(out / "sweep.sqlite"), timeout=5).execute(
            "SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _wait_rows(proc, out: Path, n: int, timeout: float = 60.0) -> int:
    t0 = time.time()
    while time.time() - t0 < timeout:
        c = _count(out)
        if c >= n or proc.poll() is not None:
            return c
        time.sleep(0.02)
    raise AssertionError(f"no {n} rows within {timeout} s")


def _run(cmd, timeout=120) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ,
                                                                                     "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_kill_the_driver_midway_then_resume(scheduler, reference, tmp_path):
    points, ref, _ = reference
    spec, out = _spec_file(tmp_path), tmp_path / "killed"
    proc = subprocess.Popen(_driver(spec, out, scheduler), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    n = _wait_rows(proc, out, 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _rows(out)
    assert 2 <= len(before) < len(points), f"the kill came too late ({len(before)} rows): nothing to resume"
    summary = _run(_driver(spec, out, scheduler))
    assert (summary["reused"], summary["computed"], summary["failed"]) == (len(before), len(points) - len(before), 0)
    after = _rows(out)
    assert sorted(after) == sorted(p.key for p in points)           # every point, once (the key is primary)
    assert all(r["computations"] == 1 for r in after.values())      # none computed twice
    for key, row in before.items():                                 # the finished ones untouched
        assert after[key]["written_at"] == row["written_at"] and after[key]["record"] == row["record"]
    from springsticks.sweep import Store

    with Store(out) as st:
        assert _results(st.table()) == ref                          # = the uninterrupted run
    assert n >= 2


def test_kill_a_worker_midway(scheduler, reference, tmp_path):
    from distributed import Client

    points, ref, _ = reference
    spec, out = _spec_file(tmp_path), tmp_path / "worker_killed"
    proc = subprocess.Popen(_driver(spec, out, scheduler), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    _wait_rows(proc, out, 1)
    with Client(scheduler, timeout="10s") as c:
        pids = c.run(os.getpid)
        busy = {w for w, tasks in c.processing().items() if tasks}
    victim = next(iter(busy or pids))
    os.kill(pids[victim], signal.SIGKILL)
    at_kill = _count(out)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    summary = json.loads(stdout)
    assert at_kill < len(points), "the kill came too late"
    assert (summary["computed"], summary["failed"]) == (len(points), 0)
    rows = _rows(out)
    assert sorted(rows) == sorted(p.key for p in points) and all(r["computations"] == 1 for r in rows.values())
    from springsticks.sweep import Store

    with Store(out) as st:
        assert _results(st.table()) == ref
    # and a rerun finds everything
    assert _run(_driver(spec, out, scheduler))["reused"] == len(points)


def test_ctrl_c_stops_cleanly(tmp_path):
    """Ctrl-C reaches the whole process group (the embedded cluster's workers too): exit 130, no tracebacks."""
    spec, out = _spec_file(tmp_path), tmp_path / "ctrl_c"
    cmd = [sys.executable, "-m", "springsticks", "sweep", spec, *[w for v in VARY for w in ("--vary", v)],
           "--out", str(out), "--workers", "1", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_rows(proc, out, 1)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted; the finished points are stored" in stderr
    summary = json.loads(stdout)
    rows = _rows(out)
    assert summary["interrupted"] and summary["computed"] == len(rows) < 8 and summary["missing"] == 8 - len(rows)
    assert all(r["status"] == "done" and json.loads(r["record"])["final_mse"] > 0 for r in rows.values())


def test_plot_and_summary(reference, tmp_path, capsys):
    _, _, folder = reference
    axes = ["--x", "physics.stiffness", "--y", "final_mse", "--hue", "physics.temperature"]
    assert main(["sweep", "plot", str(folder), *axes, "--reference", "equilibrium_mse", "--json"]) == 0
    assert main(["sweep", "plot", str(folder), *axes, "--heatmap", "-o", str(tmp_path / "map.png"), "--json"]) == 0
    figures = [json.loads(line)["figure"] for line in capsys.readouterr().out.splitlines()]
    assert all(Path(f).stat().st_size > 1000 for f in figures) and figures[1] == str(tmp_path / "map.png")
    text = (folder / "summary.md").read_text()
    assert "points: 8; finished: 8; failed: 0" in text and "map.png" in text
    assert sum(line.startswith("| ") for line in text.splitlines()) == 1 + 8  # the header, a row per point
    assert main(["sweep", "plot", str(folder), "--x", "physics.stifness", "--y", "final_mse"]) == 2
    assert "no such column; columns:" in capsys.readouterr().err
    assert main(["sweep", "plot", str(tmp_path / "nothing"), "--x", "a", "--y", "b"]) == 2
