"""What every backend shares (ss_mech.run): run checks, initial states and the named seed streams."""
import numpy as np
import pytest

from ss_mech import Grid, System
from ss_mech.run import STREAMS, check_run, initial_state, seed_int, seed_stream


def test_seed_streams_are_the_frozen_children_of_the_seed():
    for name, child in STREAMS.items():
        expected = np.random.SeedSequence(11).spawn(child + 1)[child]
        assert seed_stream(11, name).spawn_key == expected.spawn_key == (child,)
        assert seed_int(11, name) == int(expected.generate_state(1)[0])
    assert seed_int(11, "initial") != seed_int(11, "brownian") != seed_int(12, "brownian")
    with pytest.raises(ValueError, match="unknown seed stream 'noise'"):
        seed_stream(0, "noise")


def test_initial_state_is_seeded_uniform_at_rest_or_given():
    system = System(Grid((3,), (0.0,), (1.0,)), X=[[0.2], [0.9]], y=[0.0, 1.0])
    x, v = initial_state(system, samples=3, seed=5)
    assert x.shape == v.shape == (3, 4) and np.all(v == 0)
    np.testing.assert_array_equal(x[0], x[2])  # one draw shared by every sample
    np.testing.assert_array_equal(x[0], np.random.default_rng(seed_stream(5, "initial")).uniform(0, 1, 4))
    x, _ = initial_state(system, x0=np.arange(8.0).reshape(2, 4), samples=2)
    assert x[1, 3] == 7.0
    with pytest.raises(ValueError, match=r"x0 must have shape \(4,\) or \(2, 4\)"):
        initial_state(system, x0=np.zeros(3), samples=2)


@pytest.mark.parametrize("args, message", [((0, 11, 1), "t_end must be > 0"), ((1.0, 1, 1), "n_out must be >= 2"),
                                           ((1.0, 2.5, 1), "n_out must be an integer"),
                                           ((1.0, 11, 0), "samples must be an integer >= 1")])
def test_check_run_names_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        check_run(*args)
    assert check_run(2, 3, 4) == (2.0, 3, 4)


def _pinned(temperature=0.5):
    X = np.linspace(0.0, 1.0, 7)[:, None]
    return System(Grid((3,), (0.0,), (1.0,)), X=X, y=np.sin(3 * X[:, 0]), friction=1.0, temperature=temperature)


def test_gibbs_positions_and_maxwell_velocities_have_the_equilibrium_moments():
    """Oracles: positions N(x_LS, k_BT K⁻¹), velocities N(0, k_BT M⁻¹), independent, per sample."""
    from ss_mech.oracles import least_squares

    s = _pinned()
    n = 20_000
    x, v = initial_state(s, x0="gibbs", v0="maxwell", samples=n, seed=1)
    kT, K, M = s.kT, s.stiffness_matrix.toarray(), s.mass_matrix.toarray()
    x_ls, _ = least_squares(s)
    for draws, mean, cov in ((x, x_ls, kT * np.linalg.inv(K)), (v, np.zeros(4), kT * np.linalg.inv(M))):
        se_mean = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(draws.mean(0) - mean) < 4 * se_mean)
        # a sample covariance entry has standard error √((Σ_ii Σ_jj + Σ_ij²)/n)
        se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / n)
        assert np.all(np.abs(np.cov(draws.T) - cov) < 4.5 * se_cov)
    assert np.abs(np.corrcoef(x[:, 0], v[:, 0])[0, 1]) < 4 / np.sqrt(n)
    # changing the velocity law leaves the positions alone (separate streams)
    x_rest, v_rest = initial_state(s, x0="gibbs", v0="rest", samples=n, seed=1)
    np.testing.assert_array_equal(x_rest, x)
    assert np.all(v_rest == 0)
    u, _ = initial_state(s, x0="uniform", samples=3, seed=1)
    assert not np.array_equal(u[0], u[1]) and u.min() >= 0 and u.max() < 1


@pytest.mark.parametrize("kwargs, message", [
    ({"x0": "gibbs", "system": _pinned(0.0)}, "needs temperature > 0"),
    ({"v0": "maxwell", "system": _pinned(0.0)}, "needs temperature > 0"),
    ({"x0": "normal"}, "x0 must be an array or one of 'uniform', 'gibbs'"),
    ({"v0": "hot"}, "v0 must be an array or one of 'rest', 'maxwell'"),
])
def test_named_starts_refuse_what_they_cannot_draw(kwargs, message):
    system = kwargs.pop("system", _pinned())
    with pytest.raises(ValueError, match=message):
        initial_state(system, samples=2, **kwargs)


def test_gibbs_needs_every_mode_pinned():
    free = System(Grid((3,), (0.0,), (1.0,)), X=[[0.1]], y=[0.0], temperature=1.0)
    with pytest.raises(ValueError, match="leaves a mode free"):
        initial_state(free, x0="gibbs")
