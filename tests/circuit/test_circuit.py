"""The circuit backend, deterministic part: translation, exactness, energies, netlists, errors.

The oracle for linear dynamics is the exact affine flow ``expm`` of the (2N+1)×(2N+1) system
built here from the system's matrices (independent of both backends).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg as sla

from ss_mech import Grid, System
from springsticks.cli import main
from ss_mech.spec import load_spec, spec_dict

from ss_circuit import (NetlistRejected, Scaling, TransientFailed, build_circuit, netlist_from_spec,
                        simulate_circuit, simulate_spec, to_si, write_netlist)
from ss_circuit.demo_netlists import DEMOS, NETLIST_DIR, render
from ss_circuit.ngspice import run_netlist

NGSPICE = shutil.which("ngspice")


def sine_system(friction=0.5, n_sticks=4, **kw):
    X = np.linspace(0.0, 1.0, 7)[:, None]
    return System(Grid((n_sticks,), (0.0,), (1.0,)), X=X, y=np.sin(2 * np.pi * X[:, 0]), mass=1.0,
                  stiffness=1.0, friction=friction, **kw)


def exact(system, x0, v0, ts):
    """States (T, N) of ``M ẍ = −K x + b − Γ ẋ`` from the matrix exponential of the affine system."""
    N = system.n_dof
    Minv = np.linalg.inv(system.mass_matrix.toarray())
    A = np.zeros((2 * N + 1, 2 * N + 1))
    A[:N, N:2 * N] = np.eye(N)
    A[N:2 * N, :N] = -Minv @ system.stiffness_matrix.toarray()
    A[N:2 * N, N:2 * N] = -Minv @ system.damping_matrix.toarray()
    A[N:2 * N, -1] = Minv @ system.force_offset
    y0 = np.concatenate([x0, v0, [1.0]])
    Y = np.array([sla.expm(A * t) @ y0 for t in ts])
    return Y[:, :N], Y[:, N:2 * N]


X0 = np.array([0.2, -0.1, 0.4, 0.0, -0.3])
V0 = np.array([0.0, 0.5, 0.0, -0.2, 0.1])


@pytest.fixture(scope="module")
def fine_run():
    system = sine_system()
    traj = simulate_circuit(system, t_end=3.0, dt=1e-3, x0=X0, v0=V0, n_out=31)
    return system, traj


def test_deterministic_circuit_matches_exact_solution(fine_run):
    system, traj = fine_run
    x, v = exact(system, X0, V0, traj.t)
    err_x = np.abs(traj.x[:, 0] - x).max() / np.abs(x).max()
    err_v = np.abs(traj.v[:, 0] - v).max() / np.abs(v).max()
    assert traj.backend == "circuit"
    assert err_x <= 1e-4 and err_v <= 1e-4, (err_x, err_v)  # measured 2.5e-6 and 7.1e-6


def test_trap_error_is_second_order():
    system = sine_system()
    errs = []
    for dt in (1e-2, 5e-3):
        traj = simulate_circuit(system, t_end=3.0, dt=dt, x0=X0, v0=V0, n_out=31)
        x, _ = exact(system, X0, V0, traj.t)
        errs.append(np.abs(traj.x[:, 0] - x).max())
    assert 3.0 < errs[0] / errs[1] < 5.0, errs  # halving the step: error / 4


def test_trajectory_starts_at_t0_with_initial_state(fine_run):
    system, traj = fine_run
    assert traj.t[0] == 0.0 and traj.t.shape == (31,)
    np.testing.assert_array_equal(traj.x[0, 0], X0)
    np.testing.assert_array_equal(traj.v[0, 0], V0)
    assert traj.dissipated[0, 0] == 0.0 and traj.noise_work[0, 0] == 0.0


def test_energies_match_analytic(fine_run):
    system, traj = fine_run
    x, v = exact(system, X0, V0, traj.t)
    K, U = system.kinetic(v), system.potential(x)
    assert np.abs(traj.kinetic[:, 0] - K).max() <= 1e-4 * K.max()
    assert np.abs(traj.potential[:, 0] - U).max() <= 1e-4 * U.max()
    # D = ∫ vᵀΓv dt from the exact solution on a fine grid (Simpson)
    from scipy.integrate import simpson
    ts = np.linspace(0.0, traj.t[-1], 3001)
    _, vf = exact(system, X0, V0, ts)
    power = np.einsum("ti,ij,tj->t", vf, system.damping_matrix.toarray(), vf)
    D = simpson(power, x=ts)
    assert abs(traj.dissipated[-1, 0] - D) <= 1e-4 * D, (traj.dissipated[-1, 0], D)
    # first law without noise: E(t) − E(0) = −D, up to the BE steps' numerical loss
    assert np.abs(traj.closure()).max() <= 1e-5 * D
    np.testing.assert_array_equal(traj.noise_work, 0.0)
    np.testing.assert_array_equal(traj.protocol_work, 0.0)
    np.testing.assert_allclose(traj.loss, 2 * traj.potential / (system.n_points * system.stiffness))


def test_lossless_lever_circuit_conserves_energy():
    """No resistors: the lever transformers (E/F sources) must neither create nor destroy energy."""
    system = sine_system(friction=0.0)
    traj = simulate_circuit(system, t_end=5.0, dt=2e-3, x0=X0, v0=V0, n_out=51)
    E = traj.energy[:, 0]
    # every trap step conserves E exactly; the only loss is the backward-Euler step ngspice takes
    # after each breakpoint (t = 0 and the 50 output times), which readout reports
    lost = traj.stats["numerical_loss"]
    assert abs(E[-1] - E[0] + lost) <= 1e-9 * E[0], (E[-1] - E[0], lost)
    assert np.abs(E - E[0]).max() <= 2e-5 * E[0]  # measured 1.1e-5
    gear = simulate_circuit(system, t_end=5.0, dt=2e-3, x0=X0, v0=V0, n_out=51, method="gear")
    Eg = gear.energy[:, 0]
    assert abs(Eg[-1] - Eg[0]) > 2 * abs(E[-1] - E[0])  # gear leaks on every step (measured 3.4x trap's)


def test_scaling_to_realistic_parts_changes_units_not_dynamics(fine_run):
    system, ref = fine_run
    sc = Scaling.for_parts(system, inductance=1e-6, capacitance=1e-12)
    c = build_circuit(system, x0=X0, v0=V0, noise="none", scaling=sc)
    L = {b.label.split(":")[0]: b.part for b in c.branches}
    assert L["stick translation"] == pytest.approx(1e-6, rel=1e-12)
    assert L["data spring"] == pytest.approx(1e-12, rel=1e-12)
    traj = simulate_circuit(system, t_end=3.0, dt=1e-3, x0=X0, v0=V0, n_out=31, scaling=sc)
    np.testing.assert_allclose(traj.x, ref.x, rtol=0, atol=1e-7)
    np.testing.assert_allclose(traj.kinetic, ref.kinetic, rtol=1e-6, atol=1e-12)
    si = to_si(traj)
    np.testing.assert_allclose(si["potential"], traj.potential)  # ε = 1: joules unchanged
    np.testing.assert_allclose(si["t"], traj.t * sc.time)
    assert traj.meta["scaling"] == sc.to_dict()


def test_scaling_rejects_nonphysical_values():
    with pytest.raises(ValueError, match="charge"):
        Scaling(charge=0.0)
    with pytest.raises(ValueError, match="time"):
        Scaling(time=float("nan"))
    with pytest.raises(ValueError, match="non-physical inductance"):
        build_circuit(sine_system(), x0=X0, v0=V0, noise="none", scaling=Scaling(charge=1e-200))


def test_paper_noise_has_no_circuit():
    system = sine_system(temperature=1.0, noise="paper")
    with pytest.raises(ValueError, match="fdt"):
        build_circuit(system, x0=X0, v0=V0, t_end=1.0)
    build_circuit(system, x0=X0, v0=V0, noise="none")  # the deterministic circuit is fine


def test_step_guard():
    with pytest.raises(ValueError, match="steps"):
        build_circuit(sine_system(), x0=X0, v0=V0, noise="none").netlist(t_end=1e3, dt=1e-9)


# ---------------------------------------------------------------------------- netlists
def test_netlist_is_deterministic_commented_and_sanitised(tmp_path):
    system = sine_system(temperature=0.5)
    evil = "fit\n.include /etc/passwd\r\nR9 a b 1 \x00 é"
    kw = dict(x0=X0, v0=V0, t_end=0.2, dt=1e-3, n_out=11, seed=4, title=evil)
    a = write_netlist(system, tmp_path / "a.cir", **kw)
    b = write_netlist(system, tmp_path / "b.cir", **kw)
    assert a == b == (tmp_path / "a.cir").read_text()
    lines = a.splitlines()
    clean = write_netlist(system, None, **{**kw, "title": "fit"}).splitlines()
    assert len(lines) == len(clean) and lines[1:] == clean[1:]  # the title stays on the title line
    assert "passwd" in lines[0] and not any("passwd" in line for line in lines[1:])
    assert all(line.isascii() for line in lines)
    assert "stick translation: stick 3 (nodes 3-4), label 0" in a
    assert "data spring: data point 6, label 0" in a
    assert ".tran" in a and "uic" in a and ".options method=trap" in a
    assert "pwl(" in a  # samples → PWL data in a standalone netlist
    c = write_netlist(system, None, **{**kw, "seed": 5})
    assert c != a  # the seed changes the noise samples


def test_trnoise_amplitude_follows_johnson():
    system = sine_system(friction=1.0, temperature=2.0)
    c = build_circuit(system, x0=X0, v0=V0, noise="trnoise", t_end=1.0, n_out=11)
    text = c.netlist(t_end=1.0, dt=1e-3, n_out=11)
    b = next(b for b in c.branches if b.kind == "damper")
    line = next(l for l in text.splitlines() if l.startswith(f"vn{b.index} "))
    na, nt = map(float, line.split("trnoise(")[1].split()[:2])
    assert nt == pytest.approx(c.dt_noise)
    assert na == pytest.approx(np.sqrt(2 * system.kb * system.temperature * b.part / nt), rel=1e-12)
    from ss_mech.spectrum import fastest_rate
    assert c.dt_noise <= 1 / (100 * fastest_rate(system)) * (1 + 1e-12)


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo_netlists_regenerate_identically(name):
    path = NETLIST_DIR / f"{name}.cir"
    assert path.exists(), f"{path} missing: run python -m ss_circuit.demo_netlists"
    assert render(name) == path.read_text(), f"{path} is stale: run python -m ss_circuit.demo_netlists"


@pytest.mark.skipif(NGSPICE is None, reason="the ngspice executable is not installed (apt-get install ngspice)")
@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo_netlists_run_in_plain_ngspice(name, tmp_path):
    path = NETLIST_DIR / f"{name}.cir"
    r = subprocess.run([NGSPICE, "-b", str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-2000:]
    assert "error" not in out.lower() and "too small" not in out.lower(), out[-2000:]
    assert "no simulations run" not in out.lower()
    rows = [l for l in r.stdout.splitlines() if l.strip()[:1].isdigit()]
    assert len(rows) > 50


def test_standalone_pwl_netlist_reproduces_shared_mode(tmp_path):
    """The PWL netlist written for ngspice -b and the shared-mode run with external sources agree."""
    system = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], friction=2.0, temperature=1.0)
    c = build_circuit(system, x0=np.array([0.3, -0.2]), v0=np.zeros(2), t_end=0.2, n_out=11, seed=2)
    vec_s, _ = run_netlist(c.netlist(t_end=0.2, dt=1e-3, n_out=11, standalone=True), t_stop=0.2, vectors=["x0"])
    vec_e, _ = run_netlist(c.netlist(t_end=0.2, dt=1e-3, n_out=11, standalone=False), t_stop=0.2, vectors=["x0"],
                           sources=c.external_sources())
    assert vec_s["time"].size == vec_e["time"].size
    np.testing.assert_allclose(vec_s["x0"], vec_e["x0"], rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- specs
def test_simulate_spec_and_netlist_from_spec(tmp_path):
    system = sine_system()
    spec = load_spec(spec_dict(system, x0=X0, v0=V0, t_end=1.0, dt=1e-3, n_out=11))
    traj = simulate_spec(spec)
    assert traj.meta["method"] == "trap" and traj.meta["dt"] == 1e-3
    x, _ = exact(system, X0, V0, traj.t)
    assert np.abs(traj.x[:, 0] - x).max() <= 1e-4 * np.abs(x).max()
    text = netlist_from_spec(spec, tmp_path / "s.cir", noise="none", capacitance=1e-12, inductance=1e-6)
    assert (tmp_path / "s.cir").read_text() == text
    assert "l0 n0 0 1e-06" in text or "l0 n0 0 1.0000000000000002e-06" in text or "l0 n0 0 9.99" in text
    # the same from the command line, in parts: one data spring's capacitor, one stick's inductor
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    out = tmp_path / "cli.cir"
    assert main(["netlist", str(tmp_path / "spec.json"), "-o", str(out), "--noise", "none",
                 "--capacitance", "1e-12", "--inductance", "1e-6"]) == 0
    assert out.read_text() == text
    caps = [float(m) for m in re.findall(r"-> C = (\S+) F", text)]
    assert len(caps) == system.n_points and np.allclose(caps, 1e-12, rtol=1e-12)
    assert main(["netlist", str(tmp_path / "spec.json"), "-o", str(out), "--capacitance", "1e-12",
                 "--alpha", "2"]) == 2  # one way to set each factor


# ---------------------------------------------------------------------------- errors
def test_rejected_netlist_quotes_ngspice():
    with pytest.raises(NetlistRejected, match="modelname|q1"):
        run_netlist("bad\nQ1 a 0\n.tran 1e-4 1e-3 0 1e-4 uic\n.end\n", t_stop=1e-3, vectors=[])


def test_failed_transient_quotes_ngspice():
    net = "unstable\nL1 n1 0 1e-3 ic=1\nC1 n1 0 1e-3 ic=0\nR1 n1 0 -1e-4\n.tran 1e-4 1 0 1e-4 uic\n.end\n"
    with pytest.raises(TransientFailed, match="(?i)timestep too small"):
        run_netlist(net, t_stop=1.0, vectors=["n1"])
    # the engine is still usable afterwards
    out, info = run_netlist("rc\nR1 n1 0 1\nC1 n1 0 1 ic=1\n.tran 1e-2 1 0 1e-2 uic\n.end\n", t_stop=1.0, vectors=["n1"])
    assert out["n1"][-1] == pytest.approx(np.exp(-1.0), rel=1e-3)


def test_k_coupling_note_is_not_an_error():
    net = ("k\nL1 n1 0 1e-3 ic=1\nL2 n1 0 1e-3 ic=0\nL3 n1 0 1e-3\nK1 L1 L2 0.5\nK2 L2 L3 0.5\n"
           ".tran 1e-4 1e-3 0 1e-4 uic\n.end\n")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, info = run_netlist(net, t_stop=1e-3, vectors=["n1"])
    assert out["time"][-1] == pytest.approx(1e-3)


def test_missing_library_names_the_install_command():
    code = "import ss_circuit.ngspice as n\ntry:\n    n.engine()\nexcept n.NgspiceLibraryError as e:\n    print(e)\n"
    env = {**os.environ, "NGSPICE_LIBRARY_PATH": "/nonexistent/libngspice.so"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                       cwd=os.path.dirname(os.path.dirname(__file__)))
    assert "apt-get install ngspice libngspice0 libngspice0-dev" in r.stdout, r.stdout + r.stderr
    assert "/nonexistent/libngspice.so" in r.stdout


def _die(job):  # a worker that dies the way a crashing ngspice takes its process down
    import os
    os._exit(11)


def test_a_dead_ngspice_worker_is_a_one_line_simulation_error(monkeypatch):
    import ss_circuit.simulate as sim
    from ss_mech.errors import SimulationError

    monkeypatch.setattr(sim, "_run_job", _die)  # inherited by the forked workers
    with pytest.raises(SimulationError, match=r"worker process died while running job 0 of 2.*--processes 1"):
        sim._run_all([{}, {}], processes=2, fresh=False, progress=False, start_method="fork")
