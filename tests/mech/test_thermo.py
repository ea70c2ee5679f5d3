"""Thermodynamics of learning (DESIGN.md §6): the exact Gaussian ledger, the learning threshold and
free energies from work, each against an independent oracle (simulated ensembles, quadrature,
sampling of the exact Gibbs law, pymbar's estimators).

Statistical checks use |z| ≤ 3 with z computed from the sample's own standard error; seeds are
fixed, so a failure is reproducible.
"""
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.integrate import simpson

from ss_mech import Grid, System, simulate
from ss_mech.oracles import ensemble_energies, exact_deterministic, least_squares, stationary_covariance
from ss_mech.run import initial_state
from ss_mech.thermo import (FreeEnergyWarning, Protocol, bar_estimate, delta_free_energy, entropy_bounds,
                            equilibrium_mse, estimate_free_energy, exp_variance, free_energy, gaussian_entropy,
                            initial_moments, jarzynski_estimate, learning_threshold, log_work_moment, moments,
                            periodic_steady_state, pinned_stationary_covariance, sample_work, time_to_target)
from ss_mech.thermo.gaussian import epoch_map
from ss_mech.training import batch_schedule, train

ROOT = Path(__file__).resolve().parents[2]
G1 = Grid((1,), (0.0,), (1.0,))
G2 = Grid((2,), (0.0,), (1.0,))


def _z(samples, exact):
    """z-score of the sample mean against ``exact``; a sample without spread must hit it exactly."""
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    if se == 0:
        return 0.0 if samples.mean() == pytest.approx(exact, abs=1e-12) else np.inf
    return (samples.mean() - exact) / se


def _switching_machine():
    """Two sticks, two spring sets on different points (both pin every node), k_BT = 0.5."""
    base = System(G2, friction=2.0, temperature=0.5)
    XA, yA = np.array([[0.05], [0.3], [0.6]]), np.array([0.2, 0.5, -0.3])
    XB, yB = np.array([[0.95], [0.45], [0.8]]), np.array([0.1, 0.4, -0.2])
    return base, (XA, yA), (XB, yB)


# ------------------------------------------------------------------------------------------ import
def test_importing_thermo_loads_neither_torch_nor_pymbar():
    code = ("import sys, ss_mech.thermo; "
            "print('torch' in sys.modules, 'torchsde' in sys.modules, 'pymbar' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False", "False"]


# ------------------------------------------------------------------------------------------ §6.1 moments
def test_moments_match_a_simulated_ensemble_across_two_switches():
    """A → B → A by ``train`` with a fixed schedule (srk, dt 5e-3), Gibbs/Maxwell start under A."""
    base, (XA, yA), (XB, yB) = _switching_machine()
    A = base.with_data(XA, yA)
    X, y = np.concatenate([XA, XB, XA]), np.concatenate([yA, yB, yA])
    tau, S = 0.5, 2000
    res = train(A, X, y, batch_size=3, epochs=1, time_per_batch=tau, dt=5e-3, method="srk", x0="gibbs",
                v0="maxwell", samples=S, seed=3, shuffle=False)
    assert [b.tolist() for b in res.batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    tr = res.trajectory
    protocol = Protocol.from_batches(A, X, y, res.batches, tau)
    assert protocol.systems[0] is protocol.systems[2]  # the same batch is built once
    law = initial_moments(A, x0="gibbs", v0="maxwell")
    zs = {}
    # the trajectory reports every join twice: before the switch ('left'), then after it ('right')
    for side, idx in (("left", [1, 3, 5]), ("right", [2, 4])):
        m = moments(protocol, tr.t[idx], law.mean, law.cov, side=side)
        for name, exact in (("kinetic", m.kinetic), ("potential", m.potential), ("protocol_work", m.work),
                            ("heat", m.heat), ("dissipated", m.dissipated)):
            for j, i in enumerate(idx):
                zs[(side, name, float(tr.t[i]))] = _z(getattr(tr, name)[i], exact[j])
    bad = {k: round(v, 2) for k, v in zs.items() if not abs(v) <= 3}
    assert not bad, bad
    m_end = moments(protocol, [3 * tau], law.mean, law.cov)
    assert m_end.work[0] > 10 * tr.sem("protocol_work")[-1]  # the check has teeth
    assert m_end.noise_work[0] == pytest.approx(base.n_dof * base.friction * base.kT * 3 * tau)


def test_moments_from_a_uniform_start_are_exact_for_energies_and_heat():
    """Heights uniform in [0, 1) per sample (not Gaussian): mean ½, variance 1/12 carry the energies."""
    s = System(G1, friction=2.0, temperature=0.4, X=[[0.1], [0.7]], y=[0.8, -0.4])
    S = 3000
    tr = simulate(s, t_end=1.0, dt=5e-3, method="srk", x0="uniform", v0="rest", samples=S, n_out=3, seed=11,
                  save_states=False)
    law = initial_moments(s, x0="uniform", v0="rest")
    assert not law.gaussian and law.entropy == -np.inf
    m = moments(s, tr.t, law.mean, law.cov)
    for name, exact in (("kinetic", m.kinetic), ("potential", m.potential), ("heat", m.heat),
                        ("dissipated", m.dissipated)):
        for i in (1, 2):
            assert abs(_z(getattr(tr, name)[i], exact[i])) <= 3, (name, i)


def test_moments_agree_with_the_single_system_oracle():
    """One segment from a fixed start: the same numbers as ``oracles.ensemble_energies``."""
    s = System(G2, friction=1.5, temperature=0.7, X=[[0.1], [0.4], [0.9]], y=[0.3, -0.2, 0.5])
    x0, v0 = np.array([1.0, -0.5, 0.3]), np.array([0.2, 0.0, -0.1])
    ts = np.array([0.0, 0.3, 1.1, 2.0])
    ref = ensemble_energies(s, ts, x0=x0, v0=v0)
    m = moments(s, ts, np.concatenate([x0, v0]))
    for name, mine in (("kinetic", m.kinetic), ("potential", m.potential), ("heat", m.heat),
                       ("dissipated", m.dissipated), ("noise_work", m.noise_work), ("loss", m.loss)):
        np.testing.assert_allclose(mine, ref[name], rtol=1e-10, atol=1e-12, err_msg=name)
    assert m.entropy[0] == -np.inf and np.all(np.isfinite(m.entropy[1:]))  # Σ₀ = 0: −inf, not NaN
    assert m.entropy_production[0] == 0.0 or np.isnan(m.entropy_production[0])


def test_entropy_production_ledger():
    """∫Π dt = ΔS_tot (quadrature), Π ≥ 0, ΔS_tot ≥ 0 and non-decreasing, k_BT·ΔS_tot = ⟨W⟩ − ΔF_neq,
    F_neq − F_eq = k_BT·D_KL, and D_KL decreasing to 0 within a segment."""
    base, (XA, yA), (XB, yB) = _switching_machine()
    A, B = base.with_data(XA, yA), base.with_data(XB, yB)
    tau = 0.6
    protocol = Protocol.from_systems([A, B, A], tau)
    law = initial_moments(A, x0="gibbs", v0="maxwell")
    # a non-equilibrium Gaussian start: shifted mean, squeezed covariance
    mean0, cov0 = law.mean + 0.3, 0.5 * law.cov
    n = 1200
    pieces = []
    for k in range(3):
        ts = np.linspace(k * tau, (k + 1) * tau, n + 1)
        side = "right" if k == 0 else "left"
        m_seg = moments(protocol, ts[1:], mean0, cov0, side=side)
        m0 = moments(protocol, ts[:1], mean0, cov0, side="right")
        rate = np.concatenate([m0.entropy_production_rate, m_seg.entropy_production_rate])
        dS = np.concatenate([m0.entropy_production, m_seg.entropy_production])
        pieces.append((ts, rate, dS))
        assert np.all(rate >= -1e-10), rate.min()
        integral = simpson(rate, x=ts)
        assert integral == pytest.approx(dS[-1] - dS[0], rel=1e-7, abs=1e-9), k
    total = np.concatenate([p[2] for p in pieces])
    assert np.all(total >= -1e-10) and np.all(np.diff(total) >= -1e-10)
    assert total[-1] > 1.0  # switches far from equilibrium produce entropy
    m = moments(protocol, np.linspace(0, 3 * tau, 61), mean0, cov0)
    F_neq0 = m.free_energy_neq[0]
    np.testing.assert_allclose(m.kT * m.entropy_production, m.work - (m.free_energy_neq - F_neq0), atol=1e-10)
    np.testing.assert_allclose(m.free_energy_neq - m.free_energy_eq, m.kT * m.kl, atol=1e-10)
    # within one long segment D_KL decreases monotonically to 0 (the start is forgotten; the
    # slowest mode of A relaxes at rate 0.04)
    ts = np.linspace(0, 600, 601)
    mk = moments(A, ts, mean0, cov0)
    assert mk.kl[0] > 0.1 and mk.kl[-1] < 1e-10
    assert np.all(np.diff(mk.kl) <= 1e-12)
    assert mk.entropy_bits[5] == pytest.approx(mk.entropy[5] / np.log(2))
    # at the Gibbs start of A nothing happens while A is held: D_KL = 0, Π = 0
    mg = moments(A, [0.0, 0.5], law.mean, law.cov)
    np.testing.assert_allclose(mg.kl, 0, atol=1e-10)
    np.testing.assert_allclose(mg.entropy_production_rate, 0, atol=1e-9)


def test_entropy_bounds_bracket_and_converge():
    s = System(G2, friction=2.0, temperature=0.3, X=[[0.1], [0.5], [0.8]], y=[0.2, 0.6, -0.1])
    ts = np.array([0.0, 0.2, 1.0, 3.0, 30.0])
    # Gaussian start: the upper bound is the entropy itself, the EPI bound lies below
    g = initial_moments(s, x0="gibbs", v0="maxwell")
    bg = entropy_bounds(s, ts, g.mean, g.cov * 0.3, gaussian_entropy(g.cov * 0.3))
    assert np.all(bg.lower <= bg.upper + 1e-9)
    assert bg.lower[0] == pytest.approx(bg.upper[0])
    # uniform start: S₀ = 0 (positions) + the Maxwell entropy; bracket, exact at t = 0, both → S_eq
    u = initial_moments(s, x0="uniform", v0="maxwell")
    assert u.entropy == pytest.approx(gaussian_entropy(u.cov[3:, 3:]))
    bu = entropy_bounds(s, ts, u.mean, u.cov, u.entropy)
    assert bu.lower[0] == pytest.approx(u.entropy) and bu.upper[0] > u.entropy
    assert np.all(bu.lower <= bu.upper + 1e-9)
    S_eq = gaussian_entropy(g.cov)
    assert bu.lower[-1] == pytest.approx(S_eq, abs=1e-8) and bu.upper[-1] == pytest.approx(S_eq, abs=1e-8)
    with pytest.raises(ValueError, match="exceeds the Gaussian entropy"):
        entropy_bounds(s, ts, u.mean, u.cov, u.entropy + 5.0)


def test_periodic_steady_state_is_the_limit_of_the_epoch_map():
    base = System(G2, friction=1.5, temperature=0.4)
    X = np.array([[0.1], [0.35], [0.6], [0.9], [0.5], [0.2]])
    y = np.array([0.3, -0.1, 0.4, 0.2, -0.3, 0.1])
    epoch = Protocol.from_batches(base, X, y, [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])], 0.4)
    pss = periodic_steady_state(epoch)
    # iterate 60 epochs from an arbitrary start
    n2 = 2 * base.n_dof
    mu, Sig = np.full(n2, 0.7), np.eye(n2) * 0.05
    Phi, phi, Se = epoch_map(epoch)
    for _ in range(60):
        mu, Sig = Phi @ mu + phi, Phi @ Sig @ Phi.T + Se
    np.testing.assert_allclose(mu, pss.mean, atol=1e-10)
    np.testing.assert_allclose(Sig, pss.cov, atol=1e-10)
    # the heat of the 60th epoch of the repeated protocol (the wrap-around switches included)
    many = epoch.repeat(60)
    T = epoch.total_time
    m = moments(many, [59 * T, 60 * T], np.full(n2, 0.7), np.eye(n2) * 0.05)
    assert m.heat[1] - m.heat[0] == pytest.approx(pss.heat_per_epoch, rel=1e-8)
    assert pss.heat_per_epoch > 0 and pss.entropy_production_per_epoch == pytest.approx(pss.heat_per_epoch / 0.4)
    assert m.noise_work[1] - m.noise_work[0] == pytest.approx(pss.noise_work_per_epoch, rel=1e-10)
    # a node no batch pins never settles
    lone = Protocol.from_batches(base, X, y, [np.array([0]), np.array([5])], 0.4)
    with pytest.raises(ValueError, match="pinned by no batch"):
        periodic_steady_state(lone)


def test_protocol_from_a_batch_schedule_and_its_checks():
    base = System(G1, friction=1.0, temperature=0.2)
    X, y = np.array([[0.1], [0.5], [0.9]]), np.array([0.0, 1.0, 0.5])
    sched = batch_schedule(3, 2, 2, shuffle=False, rng=np.random.default_rng(0))
    p = Protocol.from_batches(base, X, y, sched, 0.25)
    assert len(p) == 4 and p.total_time == pytest.approx(1.0)
    assert p.systems[0] is p.systems[2] and p.systems[1] is p.systems[3]
    with pytest.raises(ValueError, match="temperature"):
        Protocol.from_systems([p.systems[0], p.systems[1].with_params(temperature=0.3)], 0.1)
    with pytest.raises(ValueError, match="protocol ends"):
        moments(p, [2.0], np.zeros(4))


# ------------------------------------------------------------------------------------------ §6.2 threshold
def _pinned_gibbs(s: System, samples: int, seed: int):
    """Gibbs/Maxwell start that also works with a free mode: pinned modes from N(0, k_BT/ω²), the free
    mode held at the least-squares value, all modal velocities from N(0, k_BT)."""
    rng = np.random.default_rng(seed)
    w, V = sla.eigh(s.stiffness_matrix.toarray(), s.mass_matrix.toarray())
    pin = w > 1e-10 * w.max()
    x_ls, _ = least_squares(s)
    x = x_ls + (rng.standard_normal((samples, pin.sum())) * np.sqrt(s.kT / w[pin])) @ V[:, pin].T
    v = (rng.standard_normal((samples, s.n_dof)) * np.sqrt(s.kT)) @ V.T
    return x, v


def _time_averaged_mse(s, *, samples, t_end, burn, n_out, seed, X_test=None, y_test=None):
    x, v = _pinned_gibbs(s, samples, seed)
    tr = simulate(s, t_end=burn + t_end, dt=5e-3, method="srk", x0=x, v0=v, samples=samples, n_out=n_out,
                  seed=seed + 1, save_states=X_test is not None)
    start = int(round(burn / (burn + t_end) * (n_out - 1)))
    train_mse = tr.loss[start:].mean(axis=0)  # per-sample time average: independent across samples
    if X_test is None:
        return train_mse, None
    W_t = s.grid.interpolation_matrix(X_test, outside="clip").toarray()
    H = tr.x[start:].reshape(-1, samples, s.grid.n_nodes, s.n_labels)
    pred = np.einsum("bn,tsnl->tsbl", W_t, H)
    y_t = np.asarray(y_test, dtype=float).reshape(len(X_test), s.n_labels)
    return train_mse, ((pred - y_t) ** 2).mean(axis=(2, 3)).mean(axis=0)


FDT_SYSTEMS = {
    "one-stick": dict(grid=G1, friction=2.0, temperature=0.3, stiffness=1.0, X=[[0.1], [0.5], [0.8]],
                      y=[0.2, -0.1, 0.4], test=([[0.3], [0.9]], [0.0, 0.3])),
    "singular-K": dict(grid=G2, friction=2.0, temperature=0.4, stiffness=2.0, X=[[0.05], [0.2], [0.4]],
                       y=[0.3, -0.2, 0.1], test=([[0.1], [0.45]], [0.0, 0.3])),
    "two-labels": dict(grid=G2, n_labels=2, friction=3.0, temperature=0.5, stiffness=1.5,
                       X=[[0.1], [0.3], [0.55], [0.9]], y=[[0.1, 0.5], [0.3, -0.2], [-0.1, 0.0], [0.4, 0.2]],
                       test=None),
}


@pytest.mark.parametrize("name", sorted(FDT_SYSTEMS))
def test_equilibrium_mse_fdt_matches_simulation(name):
    spec = dict(FDT_SYSTEMS[name])
    grid, test = spec.pop("grid"), spec.pop("test")
    s = System(grid, **spec)
    if name == "singular-K":
        assert np.linalg.matrix_rank(s.stiffness_matrix.toarray()) == s.n_dof - 1  # node 2 is free
    pred = equilibrium_mse(s)
    _, mse_ls = least_squares(s)
    assert pred == pytest.approx(mse_ls + s.kT * np.linalg.matrix_rank(s.W.toarray()) / (s.stiffness * s.n_points))
    X_t, y_t = test if test else (None, None)
    mse, mse_t = _time_averaged_mse(s, samples=1000, t_end=3.0, burn=0.0, n_out=31, seed=7, X_test=X_t, y_test=y_t)
    assert abs(_z(mse, pred)) <= 3
    assert (pred - mse_ls) > 20 * mse.std(ddof=1) / np.sqrt(mse.size)  # the thermal excess is resolved
    if test:
        assert abs(_z(mse_t, equilibrium_mse(s, X_test=X_t, y_test=y_t))) <= 3


def test_held_out_point_on_a_free_mode_has_no_stationary_error():
    spec = dict(FDT_SYSTEMS["singular-K"])
    s = System(spec.pop("grid"), **{k: v for k, v in spec.items() if k != "test"})
    assert equilibrium_mse(s, X_test=[[0.9]], y_test=[0.0]) == np.inf
    with pytest.raises(ValueError, match="initial value"):
        equilibrium_mse(s.with_params(temperature=0.0), X_test=[[0.9]], y_test=[0.0])


@pytest.mark.parametrize("singular", [False, True])
def test_equilibrium_mse_paper_noise_is_the_lyapunov_form(singular):
    X = [[0.05], [0.2], [0.4]] if singular else [[0.05], [0.3], [0.6], [0.9]]
    y = [0.3, -0.2, 0.1] if singular else [0.3, -0.2, 0.1, 0.2]
    s = System(G2, friction=2.0, temperature=0.4, stiffness=2.0, noise="paper", X=X, y=y)
    pred, gibbs = equilibrium_mse(s), equilibrium_mse(s.with_params(noise="fdt"))
    # Gibbs start, burn-in (Gibbs is not the paper noise's stationary state), then time averages
    mse, _ = _time_averaged_mse(s, samples=1000, t_end=4.0, burn=3.0, n_out=36, seed=21)
    se = mse.std(ddof=1) / np.sqrt(mse.size)
    assert abs(_z(mse, pred)) <= 3
    assert abs(gibbs - pred) > 10 * se  # the Gibbs formula would fail here


def test_pinned_lyapunov_covariance_is_the_oracle_where_both_exist():
    N = 3
    s = System(G2, friction=2.0, temperature=0.4, stiffness=2.0, noise="paper",
               X=[[0.05], [0.3], [0.6], [0.9]], y=[0.3, -0.2, 0.1, 0.2])
    np.testing.assert_allclose(pinned_stationary_covariance(s), stationary_covariance(s)[:N, :N], atol=1e-12)
    f = s.with_params(noise="fdt")
    np.testing.assert_allclose(pinned_stationary_covariance(f), f.kT * np.linalg.inv(f.stiffness_matrix.toarray()),
                               atol=1e-12)


def test_learning_threshold():
    s = System(G2, friction=2.0, temperature=0.05, stiffness=1.0, X=[[0.1], [0.35], [0.55], [0.8], [0.95]],
               y=[0.3, -0.2, 0.4, 0.0, 0.5])
    _, mse_ls = least_squares(s)
    target = mse_ls + 0.02
    th = learning_threshold(s, target, charge_scale=1e-12, capacitance=1e-12)
    assert equilibrium_mse(s.with_params(stiffness=th.stiffness)) == pytest.approx(target, rel=1e-12)
    assert equilibrium_mse(s.with_params(stiffness=1.01 * th.stiffness)) < target
    assert equilibrium_mse(s.with_params(stiffness=0.99 * th.stiffness)) > target
    assert th.rank == 3 and th.excess == pytest.approx(0.02)
    assert th.max_capacitance == pytest.approx(1e-24 / th.stiffness)       # C = α²/k
    assert 1e-12 * th.min_volts_per_unit ** 2 == pytest.approx(th.min_signal_energy)  # C·V_u² = k_min
    X_t, y_t = [[0.2], [0.7]], [0.1, 0.3]
    tt = learning_threshold(s, equilibrium_mse(s, X_test=X_t, y_test=y_t) + 0.01, X_test=X_t, y_test=y_t)
    target_t = tt.target_mse
    assert equilibrium_mse(s.with_params(stiffness=tt.stiffness), X_test=X_t, y_test=y_t) == pytest.approx(target_t)
    with pytest.raises(ValueError, match="least-squares optimum"):
        learning_threshold(s, mse_ls)
    with pytest.raises(ValueError, match="fdt"):
        learning_threshold(s.with_params(noise="paper"), target)


def test_design_6_4_worked_example():
    """DESIGN.md §6.4: 4 sticks on [0, 2π], 12 points of sin x, γ = 4, C₀ = 1 pF, τ = 1 ns, 300 K,
    target 1.1·MSE_LS, the paper's start (heights uniform in [0, 1)) with Maxwell velocities."""
    kT_J = 1.380649e-23 * 300
    X = np.linspace(0, 2 * np.pi, 12)
    C0 = 1e-12
    claims = {1.0: dict(t=1.75, heat_kT=1.10e9, eff=1.4e-8), 2e-3: dict(t=1.89, heat_kT=4403, eff=2.5e-3)}
    for Vu, claim in claims.items():
        E0 = C0 * Vu ** 2
        s = System(Grid((4,), (0.0,), (2 * np.pi,)), friction=4.0, temperature=kT_J / E0, X=X[:, None], y=np.sin(X))
        _, mse_ls = least_squares(s)
        th = learning_threshold(s.with_params(kb=1.380649e-23, temperature=300.0), 1.1 * mse_ls, capacitance=C0)
        assert th.min_volts_per_unit == pytest.approx(1.78e-3, rel=3e-3)
        assert th.min_signal_energy == pytest.approx(3.18e-18, rel=3e-3)
        assert th.min_signal_energy / kT_J == pytest.approx(767, rel=1e-3)
        law = initial_moments(s, x0="uniform", v0="maxwell")
        t = time_to_target(s, 1.1 * mse_ls, law.mean, law.cov, t_max=10.0, n_grid=200)
        assert t == pytest.approx(claim["t"], abs=0.005)
        m = moments(s, [t], law.mean, law.cov)
        assert m.heat[0] / s.kT == pytest.approx(claim["heat_kT"], rel=3e-3)
        # −ΔS is only bracketed for this non-Gaussian start; the quoted efficiency must lie in the bracket
        b = entropy_bounds(s, [t], law.mean, law.cov, law.entropy)
        eff_lo, eff_hi = (law.entropy - b.upper[0]) / (m.heat[0] / s.kT), (law.entropy - b.lower[0]) / (m.heat[0] / s.kT)
        assert eff_lo <= claim["eff"] * 1.05 and claim["eff"] * 0.95 <= eff_hi


def test_time_to_target_at_zero_temperature_follows_the_exact_curve():
    s = System(G2, friction=3.0, X=[[0.1], [0.4], [0.7], [0.95]], y=[0.5, -0.2, 0.3, 0.1])
    x0, v0 = np.array([1.0, 0.0, -1.0]), np.zeros(3)
    _, mse_ls = least_squares(s)
    ref = exact_deterministic(s, t_end=6.0, n_out=6001, x0=x0, v0=v0)
    target = mse_ls + 0.05 * (ref.loss[0, 0] - mse_ls)
    t = time_to_target(s, target, np.concatenate([x0, v0]), None, t_max=6.0)
    first = np.flatnonzero(ref.loss[:, 0] <= target)[0]
    assert ref.t[first - 1] < t <= ref.t[first]
    at = exact_deterministic(s, t_end=t, n_out=2, x0=x0, v0=v0).loss[-1, 0]
    assert at == pytest.approx(target, rel=1e-9)
    assert time_to_target(s, mse_ls * 0.5, np.concatenate([x0, v0]), None, t_max=6.0) is None
    assert time_to_target(s, 1e6, np.concatenate([x0, v0]), None, t_max=6.0) == 0.0


# ------------------------------------------------------------------------------------------ §6.5 free energies
def _one_stick(temperature=1.0):
    return System(G1, friction=2.0, temperature=temperature)


def test_work_moments_match_sampling_of_the_gibbs_law():
    """G(λ) = ⟨e^{−λβW}⟩_A for λ = 1, 2 and the Kish effective sample size ≈ n/(1 + r), from exact Gibbs
    draws (an instantaneous switch needs no dynamics); SEs from the analytic G(3), G(4)."""
    base = _one_stick()
    A = base.with_data([[0.2], [0.8]], [0.1, 0.3])
    B = base.with_data([[0.2], [0.8], [0.5]], [0.1, 0.3, -0.6])
    n = 20000
    x, _ = initial_state(A, x0="gibbs", v0="maxwell", samples=n, seed=1)
    W = B.potential(x) - A.potential(x)
    G = {lam: np.exp(log_work_moment(A, B, lam)) for lam in (1, 2, 3, 4)}
    assert G[1] == pytest.approx(np.exp(-delta_free_energy(A, B) / A.kT))
    for lam in (1, 2):
        se = np.sqrt((G[2 * lam] - G[lam] ** 2) / n)
        assert abs((np.exp(-lam * W).mean() - G[lam]) / se) <= 3, lam
    r = exp_variance(A, B)
    assert r == pytest.approx(G[2] / G[1] ** 2 - 1)
    w = np.exp(-W)
    ratio = np.mean(w * w) / np.mean(w) ** 2  # = n / Kish ESS
    grad = np.array([-2 * G[2] / G[1] ** 3, 1 / G[1] ** 2])
    cov = np.array([[G[2] - G[1] ** 2, G[3] - G[1] * G[2]], [G[3] - G[1] * G[2], G[4] - G[2] ** 2]])
    assert abs((ratio - (1 + r)) / np.sqrt(grad @ cov @ grad / n)) <= 3


def test_free_energy_with_free_modes():
    base = System(G2, friction=2.0, temperature=0.5)
    A = base.with_data([[0.05], [0.2], [0.4]], [0.3, -0.2, 0.1])   # node 2 free
    B = base.with_data([[0.1], [0.3], [0.45]], [0.0, 0.4, 0.2])   # node 2 free as well
    full = base.with_data([[0.1], [0.6], [0.9]], [0.0, 0.4, 0.2])
    with pytest.raises(ValueError, match="singular"):
        free_energy(A)
    dF = delta_free_energy(A, B)
    assert dF == pytest.approx(free_energy(B, free_modes="pseudo") - free_energy(A, free_modes="pseudo"))
    # oracle: ⟨e^{−βW}⟩ over A's (pinned) Gibbs law
    n = 20000
    x, _ = _pinned_gibbs(A, n, seed=4)
    w = np.exp(-(B.potential(x) - A.potential(x)) / A.kT)
    assert abs(_z(w, np.exp(-dF / A.kT))) <= 3
    with pytest.warns(FreeEnergyWarning, match="B frees a mode that A pins"):
        assert delta_free_energy(full, A) == -np.inf
    with pytest.warns(FreeEnergyWarning, match="A frees a mode that B pins"):
        assert delta_free_energy(A, full) == np.inf
    C = base.with_data([[0.7], [0.9]], [0.0, 0.1])  # node 0 free, node 2 pinned
    with pytest.raises(ValueError, match="each spring set frees"):
        delta_free_energy(A, C)
    assert exp_variance(full, A) == np.inf


def test_jarzynski_and_bar_match_the_analytic_delta_f():
    base = _one_stick()
    A = base.with_data([[0.2], [0.8]], [0.1, 0.3])
    B = base.with_data([[0.2], [0.8], [0.5]], [0.1, 0.3, -0.6])
    r = exp_variance(A, B)
    assert np.isfinite(r) and 0 < r < 1
    for est in ("exp", "bar"):
        e = estimate_free_energy((A, B), estimator=est, samples=2000, seed=3)
        assert e.exact == pytest.approx(delta_free_energy(A, B))
        assert abs(e.z) <= 3, (est, e)
        assert e.error < 0.05 * abs(e.exact)  # resolved
    assert e.ess == pytest.approx(2000 / (1 + r), rel=0.1)


def test_bar_works_where_exp_variance_is_infinite():
    """Spring sets on different points: 2K_B − K_A is indefinite (r = ∞), the reverse is finite."""
    base = _one_stick()
    A = base.with_data([[0.0], [1.0]], [0.2, -0.1])
    B = base.with_data([[0.3], [0.7]], [0.0, 0.5])
    assert exp_variance(A, B) == np.inf and np.isfinite(exp_variance(B, A))
    with pytest.raises(ValueError, match="use BAR"):
        estimate_free_energy((A, B), estimator="exp", samples=2000, seed=5)
    wf = sample_work((A, B), samples=2000, seed=5)
    with pytest.raises(ValueError, match="infinite variance"):
        jarzynski_estimate(wf, kT=A.kT, r=np.inf)
    with pytest.warns(FreeEnergyWarning):
        flagged = jarzynski_estimate(wf, kT=A.kT, r=np.inf, allow_infinite_variance=True)
    assert flagged.finite_variance is False
    e = estimate_free_energy((A, B), estimator="bar", samples=2000, seed=5)
    assert abs(e.z) <= 3 and e.finite_variance is False
    wr = sample_work((B, A), samples=2000, seed=6)
    assert bar_estimate(wf, wr, kT=A.kT).delta_f == pytest.approx(e.delta_f)  # same samples, same answer


def test_jarzynski_with_relaxation_between_switches():
    """A (equilibrium) → C, relax 0.3 under C (srk, dt 5e-3) → B: ΔF = F_B − F_A whatever C and the relaxation."""
    base = _one_stick()
    A = base.with_data([[0.2], [0.8]], [0.1, 0.3])
    C = base.with_data([[0.5], [0.9]], [0.0, 0.2])
    B = base.with_data([[0.2], [0.8], [0.5]], [0.1, 0.3, -0.6])
    p = Protocol.from_systems([A, C, B], [0.0, 0.3, 0.0])
    for est in ("exp", "bar"):
        e = estimate_free_energy(p, estimator=est, samples=2000, seed=7, dt=5e-3)
        assert e.r is None and e.exact == pytest.approx(delta_free_energy(A, B))
        assert abs(e.z) <= 3, (est, e)
    # the relaxation changes the work distribution (not its exponential average)
    w_relax = sample_work(p, samples=2000, seed=7, dt=5e-3)
    w_direct = sample_work(Protocol.from_systems([A, C, B], 0.0), samples=2000, seed=7)
    assert abs(w_relax.mean() - w_direct.mean()) > 3 * np.hypot(w_relax.std(), w_direct.std()) / np.sqrt(2000)


def test_work_relations_refuse_paper_noise_and_non_equilibrium_starts():
    A = _one_stick().with_data([[0.2], [0.8]], [0.1, 0.3])
    B = A.with_data([[0.2], [0.8], [0.5]], [0.1, 0.3, -0.6])
    with pytest.raises(ValueError, match="fdt"):
        sample_work((A.with_params(noise="paper"), B.with_params(noise="paper")), samples=10)
    with pytest.raises(ValueError, match="equilibrium start"):
        sample_work((A, B), samples=10, x0="uniform")
    with pytest.raises(ValueError, match="equilibrium start"):
        sample_work((A, B), samples=10, v0="rest")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(delta_free_energy(A, B))


def test_time_to_target_during_mini_batch_training_on_the_full_set():
    base = System(G2, friction=2.0, temperature=0.05)
    X = np.array([[0.1], [0.35], [0.6], [0.9], [0.5], [0.2]])
    y = np.array([0.3, -0.1, 0.4, 0.2, -0.3, 0.1])
    full = base.with_data(X, y)
    p = Protocol.from_batches(base, X, y, [np.array([0, 1, 2]), np.array([3, 4, 5])], 0.3).repeat(10)
    law = initial_moments(full, x0="uniform", v0="rest")
    curve = moments(p, np.linspace(0, p.total_time, 301), law.mean, law.cov).expected_mse(full)
    target = 0.5 * (curve[0] + curve.min())
    t = time_to_target(p, target, law.mean, law.cov, on=full)
    assert moments(p, [t], law.mean, law.cov).expected_mse(full)[0] == pytest.approx(target, rel=1e-9)
    assert np.all(curve[np.linspace(0, p.total_time, 301) < t - 1e-9] > target)
