"""Deterministic dynamics against the exact solution, energy closure, steps, seeds."""
import numpy as np
import pytest

from ss_mech import SampledNoise, System, simulate
from ss_mech.oracles import exact_deterministic, least_squares


@pytest.mark.parametrize("fixture", ["sine_system", "grid2d_system"])
def test_matches_matrix_exponential(fixture, request):
    s = request.getfixturevalue(fixture)
    ex = exact_deterministic(s, t_end=1.0, n_out=11, seed=4)
    tr = simulate(s, t_end=1.0, dt=1e-3, method="srk", n_out=11, seed=4)
    scale = np.abs(ex.x).max()
    assert np.abs(tr.x - ex.x).max() / scale < 1e-5
    assert np.abs(tr.v - ex.v).max() / np.abs(ex.v).max() < 1e-5
    # friction heat from the step-by-step integral vs the exact energy balance
    assert np.abs(tr.dissipated - ex.dissipated).max() / ex.dissipated[-1, 0] < 1e-5


@pytest.mark.parametrize("method, order", [("euler", 1), ("srk", 2), ("heun", 2), ("midpoint", 2)])
def test_convergence_order(sine_system, method, order):
    ex = exact_deterministic(sine_system, t_end=1.0, n_out=3)
    errs = [np.abs(simulate(sine_system, t_end=1.0, dt=dt, method=method, n_out=3).x_end - ex.x_end).max()
            for dt in (4e-3, 2e-3)]
    assert errs[0] / errs[1] == pytest.approx(2 ** order, rel=0.15)


def test_zero_temperature_relaxes_to_least_squares(sine_system):
    x_star, mse_star = least_squares(sine_system)
    tr = simulate(sine_system, t_end=60.0, method="srk", n_out=3)
    np.testing.assert_allclose(tr.x_end[0], x_star, atol=1e-6)
    assert tr.loss[-1, 0] == pytest.approx(mse_star, rel=1e-6)


def test_energy_closure_deterministic(grid2d_system):
    tr = simulate(grid2d_system, t_end=2.0, dt=2e-3, method="heun", n_out=21)
    assert tr.dissipated[-1, 0] > 0.1 * tr.energy[0, 0]
    assert np.abs(tr.closure()).max() < 1e-4 * tr.energy[0, 0]


def test_energy_closure_with_noise_converges(sine_system):
    hot = System(sine_system.grid, friction=4.0, temperature=0.2, X=sine_system.X, y=sine_system.y)
    res = []
    for dt in (4e-3, 1e-3):
        tr = simulate(hot, t_end=1.0, dt=dt, method="heun", samples=200, n_out=3, seed=7)
        assert np.all(tr.noise_work[-1] != 0)
        res.append(np.abs(tr.closure()[-1]).mean() / tr.dissipated[-1].mean())
    assert res[1] < 0.4 * res[0]  # first-order in dt
    assert res[1] < 0.02


def test_same_seed_same_numbers_different_seed_differs(sine_system):
    hot = System(sine_system.grid, friction=4.0, temperature=0.3, X=sine_system.X, y=sine_system.y)
    a = simulate(hot, t_end=0.5, n_out=5, samples=3, seed=11)
    b = simulate(hot, t_end=0.5, n_out=5, samples=3, seed=11)
    c = simulate(hot, t_end=0.5, n_out=5, samples=3, seed=12)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.noise_work, b.noise_work)
    assert not np.allclose(a.x_end, c.x_end)


def test_step_too_large_is_refused_with_a_stable_step(sine_system):
    with pytest.raises(ValueError, match=r"dt=0.5 is unstable .* Use dt <= "):
        simulate(sine_system, t_end=1.0, dt=0.5)
    msg = ""
    try:
        simulate(sine_system, t_end=1.0, dt=0.5)
    except ValueError as exc:
        msg = str(exc)
    suggested = float(msg.split("e.g. dt=")[1].split(")")[0])
    simulate(sine_system, t_end=1.0, dt=suggested, n_out=2)  # the suggestion works


def test_default_step_is_stable_and_resolves_fastest_mode(sine_system):
    tr = simulate(sine_system, t_end=5.0, n_out=2)
    assert tr.meta["dt"] <= 0.5 * tr.meta["dt_max"]
    assert np.isfinite(tr.energy).all() and tr.energy[-1, 0] < tr.energy[0, 0]


def test_sampled_noise_drives_pathwise_and_reproducibly(sine_system):
    hot = System(sine_system.grid, friction=4.0, temperature=0.3, X=sine_system.X, y=sine_system.y)
    noise = SampledNoise.draw(t_end=0.5, dt_noise=2e-3, samples=2, n_noise=hot.noise_dim, seed=5)
    a = simulate(hot, t_end=0.5, dt=1e-3, method="heun", noise=noise, samples=2, n_out=6)
    b = simulate(hot, t_end=0.5, dt=5e-4, method="heun", noise=noise, samples=2, n_out=6)
    # a given noise signal makes the SDE an ODE: halving the step changes little (2nd order)
    assert np.abs(a.x - b.x).max() < 1e-4 * np.abs(a.x).max()
    with pytest.raises(ValueError, match="noise has shape"):
        simulate(hot, t_end=0.5, noise=noise, samples=3)


def test_simulate_rejects_bad_arguments(sine_system):
    with pytest.raises(ValueError, match="t_end must be > 0"):
        simulate(sine_system, t_end=0.0)
    with pytest.raises(ValueError, match="method must be one of"):
        simulate(sine_system, t_end=1.0, method="rk45")
    with pytest.raises(ValueError, match=r"x0 must have shape \(5,\)"):
        simulate(sine_system, t_end=1.0, x0=np.zeros(3))
    with pytest.raises(ValueError, match="n_out must be >= 2"):
        simulate(sine_system, t_end=1.0, n_out=1)


def test_cg_mass_solver_agrees_with_dense(grid2d_system):
    a = simulate(grid2d_system, t_end=0.5, dt=1e-3, n_out=3, mass_solver="dense")
    b = simulate(grid2d_system, t_end=0.5, dt=1e-3, n_out=3, mass_solver="cg")
    assert b.stats["cg_iterations"] > 0
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-11)


@pytest.mark.parametrize("temperature", [0.0, 0.3])
def test_the_end_state_does_not_depend_on_how_many_outputs_are_asked_for(grid2d_system, temperature):
    """The step grid is fixed by t_end and dt; outputs are read on it (two labels, with and without noise)."""
    system = grid2d_system.with_params(temperature=temperature)
    runs = {n: simulate(system, t_end=0.25, dt=1e-3, method="euler", n_out=n, seed=3, samples=2) for n in (2, 7, 126)}
    for n, tr in runs.items():
        np.testing.assert_array_equal(tr.x_end, runs[2].x_end)
        np.testing.assert_array_equal(tr.dissipated[-1], runs[2].dissipated[-1])
        np.testing.assert_array_equal(tr.noise_work[-1], runs[2].noise_work[-1])
        assert tr.meta["steps"] == 250 and tr.t[-1] == pytest.approx(0.25, rel=1e-15)
    # output times are exactly steps of the grid: 7 outputs over 250 steps sit at rounded steps
    np.testing.assert_allclose(runs[7].t, np.rint(np.arange(7) * 250 / 6) * 1e-3, rtol=1e-14)
    np.testing.assert_allclose(runs[126].t, np.linspace(0, 0.25, 126), rtol=1e-14, atol=1e-16)
    # the state at an output time is the state of the run at that step, whatever n_out (step 42)
    np.testing.assert_array_equal(runs[126].x[21], runs[7].x[1])


def test_euler_is_euler_on_the_step_grid(grid2d_system):
    """Against Euler written out by hand (two labels, T = 0): same grid, same numbers to round-off."""
    s = grid2d_system
    M, K, G = (A.toarray() for A in (s.mass_matrix, s.stiffness_matrix, s.damping_matrix))
    Minv = np.linalg.inv(M)
    tr = simulate(s, t_end=0.25, dt=1e-3, method="euler", n_out=7, seed=2)
    x, v = tr.x[0, 0].copy(), tr.v[0, 0].copy()
    for _ in range(250):
        x, v = x + 1e-3 * v, v + 1e-3 * Minv @ (s.force_offset - K @ x - G @ v)
    np.testing.assert_allclose(tr.x_end[0], x, rtol=0, atol=1e-12 * np.abs(x).max())


def test_a_step_that_does_not_divide_t_end_is_adjusted_down_and_reported(sine_system):
    tr = simulate(sine_system, t_end=1.0, dt=0.003, n_out=5)
    assert tr.meta["steps"] == 334 and tr.meta["dt"] == pytest.approx(1 / 334) and tr.meta["dt_requested"] == 0.003
    with pytest.raises(ValueError, match="n_out=101 output times need at least 100 steps"):
        simulate(sine_system, t_end=1.0, dt=0.05, n_out=101)
    # a step chosen by the library also resolves the output times
    assert simulate(sine_system, t_end=1.0, n_out=501).meta["steps"] >= 500


def test_chunking_does_not_change_the_path(sine_system):
    """Brownian increments are drawn per step, so memory-sized chunks of the run change nothing (srk: with its Lévy area)."""
    hot = sine_system.with_params(temperature=0.2)
    a = simulate(hot, t_end=0.6, dt=1e-3, method="srk", n_out=4, samples=3, seed=9)
    b = simulate(hot, t_end=0.6, dt=1e-3, method="srk", n_out=4, samples=3, seed=9, max_chunk_bytes=3 * 10 * 8 * 7)
    np.testing.assert_array_equal(a.x_end, b.x_end)  # the same path, bit for bit
    # the path integrals are summed chunk by chunk: only the order of the additions differs
    np.testing.assert_allclose(a.noise_work, b.noise_work, rtol=1e-12)


@pytest.mark.slow
def test_a_run_of_a_hundred_thousand_steps_works():
    """torchsde's BrownianInterval recursed too deep beyond ~4·10⁴ steps in one call; the step grid's
    increments have no such limit (and the one-stick machine stays in its Gibbs state)."""
    from ss_mech import Grid

    s = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], friction=2.0, temperature=0.5)
    tr = simulate(s, t_end=100.0, dt=1e-3, method="euler", n_out=2, save_states=False, seed=1)
    assert tr.stats["steps"] == 100_000 and np.all(np.isfinite(tr.x_end))
    assert np.abs(tr.closure()[-1]).max() < 0.05 * tr.dissipated[-1].max()  # the books still close


# ------------------------------------------------------------------ the exact solver
def test_exact_solver_matches_a_fine_srk_run(grid2d_system):
    """srk converges onto the exact solver at second order (T = 0, two labels): x to 1e-8 relative."""
    ex = simulate(grid2d_system, t_end=1.0, method="exact", n_out=5, seed=4)
    errs = []
    for dt in (2e-4, 1e-4):
        fine = simulate(grid2d_system, t_end=1.0, dt=dt, method="srk", n_out=5, seed=4)
        errs.append((np.abs(ex.x - fine.x).max() / np.abs(ex.x).max(),
                     np.abs(ex.dissipated - fine.dissipated).max() / ex.dissipated[-1, 0]))
    assert errs[1][0] < 1e-8
    for a, b in zip(*errs):
        assert a / b == pytest.approx(4.0, rel=0.15)  # the whole gap is srk's dt² error
    assert np.abs(ex.closure()).max() < 1e-12 * ex.dissipated[-1, 0]


def test_exact_solver_on_a_non_normal_underdamped_machine_with_a_singular_K():
    """A is not normal (M non-diagonal, K singular, ω > γ/2): only the matrix exponential is exact
    here; diagonalising the symmetric part of A would not be. Oracle: the two-step composition."""
    from ss_mech import Grid

    s = System(Grid((3,), (0.0,), (1.0,)), X=[[0.1], [0.2]], y=[1.0, -1.0], stiffness=40.0, friction=0.5)
    assert np.linalg.matrix_rank(s.stiffness_matrix.toarray()) < s.n_dof
    A = np.block([[np.zeros((4, 4)), np.eye(4)],
                  [-np.linalg.solve(s.mass_matrix.toarray(), s.stiffness_matrix.toarray()), -0.5 * np.eye(4)]])
    assert np.abs(A @ A.T - A.T @ A).max() > 1  # non-normal
    x0 = np.array([0.3, -0.2, 0.5, 0.1])
    one = simulate(s, t_end=1.0, method="exact", n_out=2, x0=x0)
    many = simulate(s, t_end=1.0, method="exact", n_out=41, x0=x0)
    np.testing.assert_allclose(one.x_end, many.x_end, rtol=0, atol=1e-11)
    errs = [np.abs(one.x_end - simulate(s, t_end=1.0, dt=dt, method="srk", n_out=2, x0=x0).x_end).max()
            for dt in (4e-4, 2e-4)]
    # srk closes in on it at second order: the gap is srk's error alone (1.1e-6 relative at dt = 2e-4)
    assert errs[1] < 2e-6 * np.abs(one.x_end).max() and errs[0] / errs[1] == pytest.approx(4.0, rel=0.15)
    # the free node drifts at the velocity it is given, forever (no spring, friction only)
    free = simulate(s, t_end=50.0, method="exact", n_out=2, x0=x0, v0=[0, 0, 0, 1.0])
    assert free.x_end[0, 3] > x0[3] + 0.5


def test_exact_solver_samples_the_ornstein_uhlenbeck_law(sine_system):
    """Ensemble mean and covariance of (x, v) at t within their standard errors of the exact moments."""
    from ss_mech.oracles import ou_moments

    hot = sine_system.with_params(temperature=0.2)
    n, x0 = 4000, np.linspace(0.0, 1.0, 5)
    tr = simulate(hot, t_end=0.7, method="exact", n_out=8, x0=x0, samples=n, seed=3)
    mean, cov = ou_moments(hot, 0.7, x0=x0, v0=np.zeros(5))
    Y = np.concatenate([tr.x_end, tr.v_end], axis=1)
    d = np.diag(cov)
    assert np.all(np.abs(Y.mean(0) - mean) < 4 * np.sqrt(d / n))
    se = np.sqrt((np.outer(d, d) + cov ** 2) / n)
    assert np.all(np.abs(np.cov(Y.T) - cov) < 4.5 * se)
    # per path: the first law; ensemble: the bath's mean work
    assert np.abs(tr.closure()).max() < 1e-12 * np.abs(tr.energy).max()
    assert tr.meta["ensemble_mean_only"] == ["dissipated", "noise_work"]
    np.testing.assert_allclose(tr.noise_work[-1], hot.n_dof * hot.friction * hot.kT * 0.7, rtol=1e-12)


def test_auto_takes_the_exact_solver_for_a_small_cold_machine(sine_system):
    assert simulate(sine_system, t_end=0.5, method="auto", n_out=3).meta["method"] == "exact"
    assert simulate(sine_system.with_params(temperature=0.1), t_end=0.5, method="auto", n_out=3).meta["method"] == "euler"
    with pytest.raises(ValueError, match="cannot integrate sampled noise"):
        hot = sine_system.with_params(temperature=0.1)
        simulate(hot, t_end=0.5, method="exact", noise=SampledNoise.draw(t_end=0.5, dt_noise=0.01, samples=1,
                                                                           n_noise=hot.noise_dim, seed=0))


@pytest.mark.parametrize("shape, labels", [((600,), 1), ((300,), 2), ((20, 15), 2)])
def test_direct_mass_solve_agrees_with_cg_and_dense(shape, labels):
    """pttrf/pttrs (1-D, tridiagonal) and a sparse LU (2-D) on M = M_nodes ⊗ I_m: residual ≈ round-off."""
    import torch

    from ss_mech import Grid
    from ss_mech.solvers.torchsde.linalg import MassSolver

    system = System(Grid(shape, (0.0,) * len(shape), (1.0,) * len(shape)), n_labels=labels)
    M = system.mass_matrix
    B = torch.as_tensor(np.random.default_rng(0).standard_normal((system.n_dof, 3)))
    direct = MassSolver(M, method="direct", n_labels=labels)
    X = direct.solve(B)
    assert direct.method == "direct" and direct.factor.kind == ("tridiagonal" if len(shape) == 1 else "lu")
    res = np.abs(M @ X.numpy() - B.numpy()).max() / np.abs(B.numpy()).max()
    assert res < 1e-12
    np.testing.assert_allclose(X.numpy(), MassSolver(M, method="cg").solve(B).numpy(), rtol=0, atol=1e-9)
    assert MassSolver(M, n_labels=labels).method == ("direct" if system.n_dof > 512 else "dense")
    # the solvers and the spectrum share the machine's one factorisation (ss_mech.mass)
    from ss_mech.mass import node_mass_factor
    from ss_mech.solvers.torchsde.sde import LangevinSDE
    assert LangevinSDE(system, mass_solver="direct").mass.factor is node_mass_factor(system)


def test_thread_policy_small_problems_single_threaded_env_overrides(monkeypatch):
    from ss_mech.solvers.threads import ENV, SMALL_DOF, thread_count

    monkeypatch.delenv(ENV, raising=False)
    assert thread_count(100) == 1 and thread_count(SMALL_DOF) is None
    monkeypatch.setenv(ENV, "3")
    assert thread_count(100) == 3 == thread_count(10 ** 6)
    monkeypatch.setenv(ENV, "0")
    assert thread_count(100) is None
    monkeypatch.setenv(ENV, "many")
    with pytest.raises(ValueError, match="SPRINGSTICKS_THREADS must be an integer"):
        thread_count(100)


@pytest.mark.parametrize("method, dt", [("srk", 0.02), ("euler", 0.005), ("heun", 0.01)])
def test_step_brownian_gives_each_scheme_the_ornstein_uhlenbeck_law(method, dt):
    """Oracle: the exact OU mean and variances at t = 3, from the per-step increments of StepBrownian.

    (This checks the increments' law, not srk's Lévy-area term: at these steps that term moves the
    variances by far less than their standard error.)"""
    from ss_mech import Grid
    from ss_mech.oracles import ou_moments

    s = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [0.5], [1.0]], y=[0.3, 0.0, -0.2], friction=2.0, temperature=1.0)
    x0, n = np.array([0.5, 0.5]), 8000
    mean, cov = ou_moments(s, 3.0, x0=x0, v0=np.zeros(2))
    tr = simulate(s, t_end=3.0, dt=dt, method=method, x0=x0, samples=n, n_out=2, seed=11, save_states=False)
    Y = np.concatenate([tr.x_end, tr.v_end], axis=1)
    d = np.diag(cov)
    assert np.all(np.abs(Y.mean(0) - mean) < 4 * np.sqrt(d / n))
    se = np.sqrt(2 * d * d / n)  # standard error of a Gaussian sample variance
    assert np.all(np.abs(np.diag(np.cov(Y.T)) - d) < 4 * se)


@pytest.mark.parametrize("method", ["euler", "heun"])
def test_noise_work_reuses_the_schemes_kicks(method, monkeypatch):
    """The noise-work pass reads the kicks M⁻¹GΔW the scheme computed for each step instead of
    solving with M again; J, the lumped work and the path equal a run that solves afresh."""
    import ss_mech.solvers.torchsde.sde as sde_module
    from ss_mech import Grid

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (40, 2))
    s = System(Grid((6, 5), (0.0, 0.0), (1.0, 1.0)), friction=3.0, temperature=0.1, X=X, y=np.sin(3 * X.sum(1)))
    run = dict(t_end=0.5, dt=0.005, method=method, samples=3, seed=1, n_out=6, extras=("paper_work",))
    reused = simulate(s, **run)
    monkeypatch.setattr(sde_module.LangevinSDE, "kicks", lambda self: None)  # always solve afresh
    fresh = simulate(s.with_params(), **run)
    assert reused.stats["mass_solves"] == fresh.stats["mass_solves"] - 2  # the two noise-work solves
    assert np.array_equal(reused.x_end, fresh.x_end)
    np.testing.assert_allclose(reused.noise_work, fresh.noise_work, rtol=0, atol=1e-13)
    np.testing.assert_allclose(reused.extras["paper_work"], fresh.extras["paper_work"], rtol=0, atol=1e-13)
