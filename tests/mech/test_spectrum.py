"""The modal spectrum (ss_mech.spectrum): the one home of Kφ = ω²Mφ and the decay rates."""
import numpy as np
import pytest
import scipy.linalg as sla

from ss_mech import Grid, System
from ss_mech.spectrum import fastest_rate, mode_frequencies, mode_rates, slowest_rate, stiffest_mode


def _chain(friction=2.0, X=((0.0,), (0.5,), (1.0,)), n=2, labels=1):
    X = np.asarray(X, float)
    y = np.tile(np.sin(3 * X), (1, labels))
    return System(Grid((n,), (0.0,), (1.0,)), n_labels=labels, friction=friction, X=X, y=y)


def test_mode_frequencies_solve_the_generalized_problem():
    s = _chain(labels=2)
    w2 = mode_frequencies(s)
    K, M = s.stiffness_matrix.toarray(), s.mass_matrix.toarray()
    full = sla.eigh(K, M, eigvals_only=True)
    np.testing.assert_allclose(np.repeat(w2, 2), full, rtol=1e-10, atol=1e-12)  # every label, the same modes
    assert stiffest_mode(s) == pytest.approx(w2[-1], rel=1e-12)
    assert fastest_rate(s) == pytest.approx(max(s.friction, np.sqrt(w2[-1])), rel=1e-12)
    assert mode_frequencies(s) is w2  # cached on the system


def test_rates_of_a_damped_oscillator():
    slow, fast = mode_rates([0.0, 0.75, 4.0], 2.0)  # free, overdamped (roots −0.5, −1.5), underdamped
    np.testing.assert_allclose(slow, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(fast, [2.0, 1.5, 1.0])


def test_slowest_rate_says_what_a_free_mode_contributes():
    pinned = _chain()
    assert slowest_rate(pinned, free_modes="velocity") == slowest_rate(pinned, free_modes="position") > 0
    # one point in the first cell of two: the far node is pinned by no spring
    free = _chain(X=((0.1,),))
    assert slowest_rate(free, free_modes="position") == 0.0   # its position never relaxes
    assert slowest_rate(free, free_modes="velocity") <= free.friction
    with pytest.raises(ValueError, match="free_modes"):
        slowest_rate(free, free_modes="both")
