"""Real parts and non-idealities: E-series rounding, tolerances, ESR, leakage, lever bandwidth.

Oracles: the perturbed machine's exact solution (ss_mech's matrix exponential on the same
perturbed element list), a series RLC loop's closed form, and the exact solution of the
third-order system a single-pole lever makes (whose eigenvalues are the roots of the modal
polynomial of :mod:`ss_circuit.nonideal`).
"""
from __future__ import annotations

import math
import re
import shutil
import subprocess

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.integrate import quad

from ss_mech import Grid, System, simulate
from ss_circuit import Scaling, build_circuit, simulate_circuit
from ss_circuit.nonideal import (Imperfections, bandwidth_roots, combine, corner, draw_tolerances, esr_perturbation,
                                 max_growth_rate, parse_frequency, parse_tolerances)
from ss_circuit.parts import ESERIES, max_rounding_error, nearest, part_report, rounding_perturbation
from ss_circuit.sources import draw_noise

NGSPICE = shutil.which("ngspice")
X0 = np.array([0.2, -0.1, 0.4, 0.0, -0.3])
V0 = np.array([0.0, 0.5, 0.0, -0.2, 0.1])
RUN = dict(t_end=3.0, dt=1e-3, x0=X0, v0=V0, n_out=31)


def sine_system(**kw):
    X = np.linspace(0.0, 1.0, 7)[:, None]
    return System(Grid((4,), (0.0,), (1.0,)), X=X, y=np.sin(2 * np.pi * X[:, 0]), friction=0.5, **kw)


def rel(a, b):
    return max(float(np.abs(getattr(a, k) - getattr(b, k)).max() / np.abs(getattr(b, k)).max())
               for k in ("x", "loss", "dissipated"))


# ---------------------------------------------------------------------------------------- E-series
def test_eseries_tables_are_the_geometric_series():
    for name, n in (("E6", 6), ("E12", 12), ("E24", 24), ("E48", 48), ("E96", 96)):
        m = np.array(ESERIES[name])
        assert m.size == n and np.all(np.diff(m) > 0) and m[0] == 1.0
        ideal = 10 ** (np.arange(n) / n)
        assert np.abs(m / ideal - 1).max() < 0.045, name  # the published values (3.3 vs 3.16: 4.4 %)
    assert max_rounding_error("E96") < 0.016 < max_rounding_error("E48") < 0.03 < max_rounding_error("E24") < 0.075
    assert max_rounding_error("E24") < max_rounding_error("E12") < 0.12 < max_rounding_error("E6") < 0.23


def test_nearest_rounds_on_a_log_scale():
    assert nearest(4.4e-9, "E24") == pytest.approx(4.3e-9)
    assert nearest(4.4e-9, "E12") == pytest.approx(4.7e-9)
    assert nearest(9.6, "E24") == pytest.approx(10.0)       # up into the next decade
    assert nearest(1e-12, "E6") == pytest.approx(1e-12)
    assert nearest(1.23e3, "E96") == pytest.approx(1.24e3)
    v = np.geomspace(1e-13, 1e6, 997)
    assert np.abs(nearest(v, "E24") / v - 1).max() <= max_rounding_error("E24") + 1e-12
    with pytest.raises(ValueError, match="eseries must be one of"):
        nearest(1.0, "E7")


def test_part_report_and_the_rounded_machine_agree_across_backends():
    system = sine_system()
    sc = Scaling(charge=1e-6, time=1e-6)  # L = 0.25 H, R = 125 kOhm, C = 1e-12 F
    rep = part_report(system, sc, "E6")
    assert len(rep["parts"]) == sum(system.elements.count().values())
    row = next(r for r in rep["parts"] if r["class"] == "L" and "translation" in r["label"])
    assert row["ideal"] == pytest.approx(0.25) and row["rounded"] == pytest.approx(0.22)
    assert all(abs(r["rel_change"]) <= rep["bound"] for r in rep["parts"])
    masses = {g["group"]: g["min"] for g in rep["rounded_machine"]}
    assert masses["stick translation"] == pytest.approx(0.25 * 0.22 / 0.25)
    rounded = system.with_perturbation(rounding_perturbation(system, sc, "E6"))
    circ = simulate_circuit(rounded, scaling=sc, **RUN)
    mech = simulate(rounded, method="exact", **RUN)
    ideal = simulate(system, method="exact", **RUN)
    assert rel(circ, mech) <= 1e-3  # measured 1.3e-6
    assert rel(mech, ideal) > 1e-2  # the rounding does change the machine


# ---------------------------------------------------------------------------------------- tolerances
def test_parse_tolerances():
    assert parse_tolerances("C=5%, L=1%,R=0.01,g=0.5%") == {"C": 0.05, "L": 0.01, "R": 0.01, "G": 0.005}
    for bad, msg in (("X=5%", "unknown part class"), ("C5%", "CLASS=VALUE"), ("C=abc", "not a number"),
                     ("C=150%", r"\[0, 100%\)")):
        with pytest.raises(ValueError, match=msg):
            parse_tolerances(bad)


def test_tolerances_are_seeded_and_vanish_at_zero():
    system = sine_system()
    a, b = (draw_tolerances(system, "C=5%,L=1%,R=1%,G=1%", seed=7) for _ in range(2))
    c = draw_tolerances(system, "C=5%,L=1%,R=1%,G=1%", seed=8)
    for k in a.values:
        assert np.array_equal(a.values[k], b.values[k]) and not np.array_equal(a.values[k], c.values[k])
    assert draw_tolerances(system, "C=0%,L=0%").empty
    assert system.with_perturbation(draw_tolerances(system, "C=0%")).perturbation is None
    u = draw_tolerances(system, {"C": 0.05}, distribution="uniform", seed=1).values["data spring"]
    assert np.all((1 / u - 1 >= -0.05) & (1 / u - 1 <= 0.05))
    plus = corner(system, "C=5%,L=1%")
    assert np.allclose(plus.values["stick translation"], 1.01) and np.allclose(plus.values["data spring"], 1 / 1.05)


def test_vanishing_tolerance_reproduces_the_ideal_run_and_netlist():
    system = sine_system()
    ideal = simulate_circuit(system, **RUN)
    tiny = system.with_perturbation(draw_tolerances(system, "C=1e-12,L=1e-12,R=1e-12,G=1e-12", seed=3))
    assert tiny.perturbation is not None
    assert rel(simulate_circuit(tiny, **RUN), ideal) < 1e-9  # solver precision
    zero = system.with_perturbation(draw_tolerances(system, "C=0,L=0,R=0"))
    kw = dict(t_end=1.0, dt=1e-2, n_out=11)
    ref = build_circuit(system, noise="none", x0=X0, v0=V0).netlist(**kw)
    assert build_circuit(zero, noise="none", x0=X0, v0=V0).netlist(**kw) == ref
    assert Imperfections().apply(build_circuit(system, noise="none", x0=X0, v0=V0)).netlist(**kw) == ref


def test_tolerance_perturbed_machine_matches_its_mechanical_twin():
    system = sine_system()
    p = draw_tolerances(system, "C=5%,L=1%,R=1%,G=1%", seed=3)
    twin = system.with_perturbation(p)
    circ = simulate_circuit(twin, **RUN)
    mech = simulate(twin, method="exact", **RUN)
    assert rel(circ, mech) <= 1e-3  # measured 1.3e-6
    assert rel(mech, simulate(system, method="exact", **RUN)) > 3e-3
    # the mini-batch protocol keeps the springs' slots: a batch's springs take the first factors
    sub = twin.with_data(system.X[:3], system.y[:3])
    assert np.array_equal(sub.elements.of_kind("spring")[0].values, p.values["data spring"][:3])


# ---------------------------------------------------------------------------------------- ESR
def test_esr_rlc_loop_against_its_exact_solution():
    """One stick, springs on both nodes, no friction: the symmetric mode ξ = (x_a + x_b)/2 is a
    series RLC loop (L = m_s, C = 1/2k, R = the ESR) with a closed-form solution."""
    system = System(Grid((1,), (0.0,), (1.0,)), X=np.array([[0.0], [1.0]]), y=np.zeros(2), friction=0.0)
    R = 0.3
    esr = system.with_perturbation(esr_perturbation(system, Scaling(), ohms=R))
    T = 6.0
    traj = simulate_circuit(esr, t_end=T, dt=5e-4, x0=np.ones(2), v0=np.zeros(2), n_out=61, ledger=True)
    beta, w0 = R / 2.0, math.sqrt(2.0)  # m_s = 1, k = 1: ξ'' + R ξ' + 2 ξ = 0
    wd = math.sqrt(w0 ** 2 - beta ** 2)
    xi = np.exp(-beta * traj.t) * (np.cos(wd * traj.t) + beta / wd * np.sin(wd * traj.t))

    def v(t):
        return -np.exp(-beta * t) * (w0 ** 2 / wd) * np.sin(wd * t)

    assert np.abs(traj.x[:, 0, 0] - xi).max() < 1e-5 and np.abs(traj.x[:, 0, 1] - xi).max() < 1e-5
    heat_exact = quad(lambda t: R * v(t) ** 2, 0, T, limit=200)[0]
    heat = traj.extras["heat:stick translation ESR"][-1, 0]
    assert heat == pytest.approx(heat_exact, rel=1e-5)
    assert traj.extras["heat:stick rotation ESR"][-1, 0] < 1e-12 * heat  # the rotation is not excited
    E = traj.kinetic + traj.potential
    assert E[0, 0] - E[-1, 0] == pytest.approx(heat, rel=1e-6)  # the first law closes on the ESR heat
    assert abs(traj.extras["work:levers"][-1, 0]) < 1e-6 * heat


def test_esr_johnson_noise_is_its_twin_damper_force():
    """At T > 0 each ESR carries its own Johnson source; the same samples drive the mechanics."""
    hot = sine_system(temperature=0.05)
    twin = hot.with_perturbation(esr_perturbation(hot, Scaling(), q=20.0))
    assert twin.noise_dim == hot.noise_dim + 8
    noise = draw_noise(twin, t_end=1.0, samples=1, seed=4, n_out=11)
    kw = dict(t_end=1.0, x0=X0, v0=V0, n_out=11, noise=noise)
    circ = simulate_circuit(twin, dt=noise.dt_noise / 4, **kw)
    mech = simulate(twin, dt=noise.dt_noise / 4, method="heun", **kw)
    assert rel(circ, mech) <= 1e-3
    text = build_circuit(twin, noise="trnoise", t_end=1.0).netlist(t_end=1.0, dt=1e-2, n_out=11)
    assert text.count("l0 n0 n") == 1 and "in series with inductor l0" in text


# ---------------------------------------------------------------------------------------- leakage
def test_leakage_books_its_heat_and_the_target_sources_work():
    system = sine_system()
    ideal = simulate_circuit(system, **RUN)
    leaky = simulate_circuit(system, imperfections=Imperfections(leakage=5.0), ledger=True, **RUN)
    ex = leaky.extras
    assert ex["heat:leakage"][-1, 0] > 1e-3 * leaky.dissipated[-1, 0]
    assert leaky.dissipated[-1, 0] == pytest.approx(ex["heat:translational drag"][-1, 0]
                                                    + ex["heat:rotational drag"][-1, 0] + ex["heat:leakage"][-1, 0])
    # ideal levers: the first law closes with the leak's heat and the target sources' work
    assert abs(ex["work:levers"]).max() < 1e-6 * leaky.dissipated[-1, 0]
    assert abs(ex["work:targets"][-1, 0]) > 1e-4
    huge = simulate_circuit(system, imperfections=Imperfections(leakage=1e12), **RUN)
    assert rel(huge, ideal) < 1e-9 and rel(leaky, ideal) > 1e-3


def test_leakage_noise_at_temperature_is_seeded():
    hot = sine_system(temperature=0.05)
    imp = Imperfections(leakage=50.0)
    runs = [simulate_circuit(hot, t_end=0.5, dt=2e-3, x0=X0, v0=V0, n_out=6, seed=2, imperfections=imp,
                             ledger=True) for _ in range(2)]
    assert np.array_equal(runs[0].x, runs[1].x)
    assert runs[0].extras["work:noise"][-1, 0] != pytest.approx(
        simulate_circuit(hot, t_end=0.5, dt=2e-3, x0=X0, v0=V0, n_out=6, seed=2, ledger=True).extras["work:noise"][-1, 0],
        rel=1e-9)


# ---------------------------------------------------------------------------------------- bandwidth
def one_stick():
    return System(Grid((1,), (0.0,), (1.0,)), X=np.array([[0.0], [1.0]]), y=np.array([0.3, -0.2]), friction=0.5)


def delayed_exact(system, tc, x0, v0, ts):
    """Exact states of ``M ẍ + Γ ẋ + Σ c_e f_e = 0``, ``τ_c ḟ_e = k_e(c_e·x − y_e) − f_e``."""
    N = system.n_dof
    S = system.elements.of_kind("spring")[0]
    C, k, y = S.levers.toarray(), S.values, S.offsets
    E = len(k)
    Minv = np.linalg.inv(system.mass_matrix.toarray())
    n = 2 * N + E
    A = np.zeros((n + 1, n + 1))
    A[:N, N:2 * N] = np.eye(N)
    A[N:2 * N, N:2 * N] = -Minv @ system.damping_matrix.toarray()
    A[N:2 * N, 2 * N:n] = -Minv @ C.T
    A[2 * N:n, :N] = (k[:, None] * C) / tc
    A[2 * N:n, 2 * N:n] = -np.eye(E) / tc
    A[2 * N:n, n] = -k * y / tc
    y0 = np.concatenate([x0, v0, k * (C @ x0 - y), [1.0]])
    return np.array([sla.expm(A * t) @ y0 for t in ts])[:, :N], A[:n, :n]


@pytest.mark.parametrize("tc", [0.05, 0.15])
def test_lever_bandwidth_against_the_third_order_solution(tc):
    system = one_stick()
    x0, v0 = np.array([1.0, 0.2]), np.zeros(2)
    fc = 1 / (2 * math.pi * tc)
    traj = simulate_circuit(system, t_end=20.0, dt=2e-3, x0=x0, v0=v0, n_out=101,
                            imperfections=Imperfections(lever_bandwidth=fc))
    x, A = delayed_exact(system, tc, x0, v0, traj.t)
    assert np.abs(traj.x[:, 0] - x).max() / np.abs(x).max() < 1e-3
    # the polynomial's roots are the eigenvalues of the delayed system (the stick's two modes)
    roots = np.sort_complex(bandwidth_roots(system, fc, Scaling()).ravel())
    assert np.allclose(roots, np.sort_complex(np.linalg.eigvals(A)), atol=1e-8)
    growth = max_growth_rate(system, fc, Scaling())
    assert (growth > 0) == (tc > 0.1)  # Routh-Hurwitz: the ω² = 6 mode goes unstable at τ_c > 0.087
    if growth > 0:
        E = traj.kinetic[:, 0] + traj.potential[:, 0]
        assert E[-1] > 10 * E[0]  # detectable: the energy grows (e^{2·0.137 t})


def test_lever_bandwidth_far_above_the_fastest_mode_reproduces_the_ideal_run():
    system = one_stick()
    kw = dict(t_end=10.0, dt=2e-3, x0=np.array([1.0, 0.2]), v0=np.zeros(2), n_out=51)
    ideal = simulate_circuit(system, **kw)
    fast = simulate_circuit(system, imperfections=Imperfections(lever_bandwidth=1e4), ledger=True, **kw)
    assert rel(fast, ideal) < 1e-3  # ω_max τ_c = 2.4e-4
    assert max_growth_rate(system, 1e4, Scaling()) < 0
    assert parse_frequency("100MHz") == 1e8 and parse_frequency("2.5 GHz") == 2.5e9
    with pytest.raises(ValueError, match="frequency"):
        parse_frequency("fast")


@pytest.mark.skipif(NGSPICE is None, reason="ngspice binary not installed")
def test_nonideal_netlist_runs_in_plain_ngspice(tmp_path):
    hot = sine_system(temperature=0.05)
    sc = Scaling(charge=1e-6, time=1e-6)
    p = combine(draw_tolerances(hot, "C=5%,L=1%,R=1%,G=1%", seed=1), esr_perturbation(hot, sc, ohms=100.0))
    twin = hot.with_perturbation(p)
    c = build_circuit(twin, scaling=sc, x0=X0, v0=V0, t_end=0.2, n_out=5)
    c = Imperfections(leakage=1e9, lever_bandwidth=1e9).apply(c, seed=1)
    path = tmp_path / "n.cir"
    path.write_text(c.netlist(t_end=0.2, dt=1e-3, n_out=5))
    out = subprocess.run([NGSPICE, "-b", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "v(x0)" in out.stdout.lower(), out.stdout[-2000:] + out.stderr[-2000:]


# ---------------------------------------------------------------------------------------- .param netlists
@pytest.mark.skipif(NGSPICE is None, reason="ngspice binary not installed")
def test_param_netlist_is_deterministic_and_runs_like_the_plain_one(tmp_path):
    system = sine_system()
    p = draw_tolerances(system, "C=5%,L=1%", seed=2)
    outs = {}
    for name, machine in (("ideal", system), ("perturbed", system.with_perturbation(p))):
        c = Imperfections(leakage=1e3).apply(build_circuit(machine, noise="none", x0=X0, v0=V0))
        kw = dict(t_end=0.5, dt=1e-3, n_out=6)
        text = c.netlist(params=True, **kw)
        assert text == c.netlist(params=True, **kw)  # byte-deterministic
        params = [line for line in text.splitlines() if line.startswith(".param")]
        assert len(params) == 6  # L translation/rotation, R translational/rotational, C springs, leakage
        assert "{l_stick_translation}" in text and "{r_leakage}" in text
        assert ("{c_data_spring*" in text) == (name == "perturbed")  # per-part factors on the class value
        for variant, body in (("params", text), ("plain", c.netlist(**kw))):
            path = tmp_path / f"{name}_{variant}.cir"
            path.write_text(body)
            run = subprocess.run([NGSPICE, "-b", str(path)], capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stderr[-2000:]
            outs[name, variant] = [line for line in run.stdout.splitlines() if re.match(r"^\d+\s", line)]
        assert outs[name, "params"] == outs[name, "plain"] and len(outs[name, "plain"]) > 5


def test_leakage_against_the_exact_solution_of_the_leaky_machine():
    """One stick, springs on both nodes, a leak R across each capacitor: the spring charge s_e is
    a state, ṡ_e = c_e·v − k s_e/R, the loop reads k(s_e − y_e); the leak heat is ∫Σ(k s_e)²/R."""
    from scipy.integrate import solve_ivp

    system = one_stick()
    R = 4.0
    x0, v0 = np.array([1.0, 0.2]), np.zeros(2)
    S = system.elements.of_kind("spring")[0]
    C, k, y = S.levers.toarray(), S.values, S.offsets
    M = system.mass_matrix.toarray()
    G = system.damping_matrix.toarray()

    def rhs(_, z):
        v, s = z[2:4], z[4:6]
        a = np.linalg.solve(M, -G @ v - C.T @ (k * (s - y)))
        return np.concatenate([v, a, C @ v - k * s / R, [np.sum((k * s) ** 2) / R]])

    traj = simulate_circuit(system, t_end=8.0, dt=1e-3, x0=x0, v0=v0, n_out=41,
                            imperfections=Imperfections(leakage=R), ledger=True)
    sol = solve_ivp(rhs, (0, 8.0), np.concatenate([x0, v0, C @ x0, [0.0]]), t_eval=traj.t, rtol=1e-11, atol=1e-12)
    assert np.abs(traj.x[:, 0] - sol.y[:2].T).max() / np.abs(sol.y[:2]).max() < 1e-5
    heat = traj.extras["heat:leakage"][:, 0]
    assert heat[-1] > 0.05 * traj.dissipated[-1, 0]  # a leak that matters
    assert np.abs(heat - sol.y[6]).max() < 1e-5 * sol.y[6, -1]
