"""One contract, every backend (scikit-learn's ``check_estimator`` idea, for physics backends).

Parametrised over every registered backend (:data:`springsticks.backends.BACKENDS`) and, for the
mechanical one, every solver of :data:`ss_mech.solvers.METHODS`: the same Trajectory fields and
shapes, the same seed giving the same result, the same error for the same bad input, the same
default start, and the first law closing.
"""
from __future__ import annotations

import numpy as np
import pytest

from springsticks.backends import BACKENDS
from ss_mech import Grid, METHODS, SampledNoise, System, Trajectory

CASES = [("mech", {"method": m}) for m in METHODS] + [("circuit", {})]
IDS = [f"{b}-{o['method']}" if o else b for b, o in CASES]
SERIES = ("kinetic", "potential", "dissipated", "noise_work", "protocol_work", "loss", "heat")


def _system(temperature=0.0):
    return System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [0.3], [1.0]], y=[0.3, 0.1, -0.2], friction=2.0,
                  temperature=temperature)


def _run(backend, options, system, **kw):
    kw = {"t_end": 0.5, "dt": 1e-3, "n_out": 11, **kw}
    return BACKENDS[backend].simulate(system, **options, **kw)


@pytest.fixture(params=CASES, ids=IDS)
def case(request):
    return request.param


def test_trajectory_fields_and_shapes(case):
    backend, options = case
    traj = _run(backend, options, _system(), samples=2, x0=[0.5, -0.5])
    assert isinstance(traj, Trajectory) and traj.backend == backend
    assert traj.t.shape == (11,) and traj.t[0] == 0 and traj.t[-1] == pytest.approx(0.5)
    for name in SERIES:
        series = getattr(traj, name)
        assert series.shape == (11, 2) and np.all(np.isfinite(series)), name
    assert traj.x_end.shape == traj.v_end.shape == (2, 2)
    assert traj.x.shape == traj.v.shape == (11, 2, 2)
    np.testing.assert_array_equal(traj.x[0], [[0.5, -0.5]] * 2)
    assert traj.meta["t_end"] == 0.5 and traj.meta["n_out"] == 11 and traj.meta["samples"] == 2
    assert traj.stats["wall_time"] > 0
    if backend == "mech":
        assert traj.meta["method"] == options["method"]


def test_same_seed_same_result_and_a_new_seed_differs(case):
    backend, options = case
    system = _system(temperature=0.5)
    a, b = (_run(backend, options, system, samples=2, seed=7) for _ in range(2))
    c = _run(backend, options, system, samples=2, seed=8)
    np.testing.assert_array_equal(a.x_end, b.x_end)
    np.testing.assert_array_equal(a.dissipated, b.dissipated)
    assert not np.array_equal(a.x_end, c.x_end)


def test_default_start_is_shared_by_every_backend(case):
    """Seeded uniform heights at rest, from the one ``initial_state`` of :mod:`ss_mech.run`."""
    from ss_mech.run import initial_state

    backend, options = case
    system = _system()
    traj = _run(backend, options, system, seed=3)
    x0, v0 = initial_state(system, seed=3)
    np.testing.assert_array_equal(traj.x[0], x0)
    np.testing.assert_array_equal(traj.v[0], v0)


@pytest.mark.parametrize("bad, message", [
    ({"t_end": 0.0}, "t_end must be > 0"),
    ({"t_end": float("nan")}, "t_end must be finite"),
    ({"n_out": 1}, "n_out must be >= 2"),
    ({"samples": 0}, "samples must be an integer >= 1"),
    ({"x0": [1.0, 2.0, 3.0]}, r"x0 must have shape \(2,\)"),
])
def test_same_bad_input_same_error(case, bad, message):
    backend, options = case
    with pytest.raises(ValueError, match=message):
        _run(backend, options, _system(), **bad)


def test_a_noise_signal_of_the_wrong_shape_is_refused_alike(case):
    backend, options = case
    system = _system(temperature=0.5)
    wrong = SampledNoise.draw(t_end=0.5, dt_noise=0.01, samples=1, n_noise=system.noise_dim + 1, seed=0)
    if backend == "mech" and "sampled" not in METHODS[options["method"]].noise:
        with pytest.raises(ValueError, match="cannot integrate sampled noise"):
            _run(backend, options, system, noise=SampledNoise.draw(t_end=0.5, dt_noise=0.01, samples=1,
                                                                   n_noise=system.noise_dim, seed=0))
        return
    with pytest.raises(ValueError, match="noise has shape"):
        _run(backend, options, system, noise=wrong)
    with pytest.raises(ValueError, match="no thermal noise"):
        _run(backend, options, _system(temperature=0.0),
             noise=SampledNoise.draw(t_end=0.5, dt_noise=0.01, samples=1, n_noise=2, seed=0))


def test_first_law_closes_and_converges(case):
    """E(t) − E(0) = J − D (+ W) to the backend's accuracy: the residual falls as the step does."""
    backend, options = case
    coarse, fine = (_run(backend, options, _system(), x0=[1.0, -1.0], dt=dt) for dt in (1e-3, 2.5e-4))
    D = fine.dissipated[-1, 0]
    assert D > 0.1
    res_coarse, res_fine = np.abs(coarse.closure()).max(), np.abs(fine.closure()).max()
    assert res_fine < 2e-3 * D
    assert res_fine <= max(res_coarse / 3, 1e-9 * D), (res_coarse, res_fine)  # first order or better
    warm = _run(backend, options, _system(temperature=0.5), x0=[1.0, -1.0], samples=2, seed=1, dt=2.5e-4)
    assert np.abs(warm.closure()).max() < 2e-2 * np.abs(warm.dissipated[-1]).max()


def test_named_initial_ensembles_are_drawn_alike(case):
    """``x0='gibbs', v0='maxwell'``: one draw per sample, the same draws on every backend."""
    from ss_mech.run import initial_state

    backend, options = case
    system = _system(temperature=0.5)
    traj = _run(backend, options, system, samples=2, seed=4, x0="gibbs", v0="maxwell")
    x0, v0 = initial_state(system, x0="gibbs", v0="maxwell", samples=2, seed=4)
    np.testing.assert_array_equal(traj.x[0], x0)
    np.testing.assert_array_equal(traj.v[0], v0)
    assert not np.array_equal(x0[0], x0[1]) and not np.array_equal(v0[0], v0[1])
