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
