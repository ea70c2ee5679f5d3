"""The exact frequency response (ss_mech.response): χ by hand, the FDT, equipartition from the spectrum."""
import numpy as np
import pytest

from ss_mech import Grid, System
from ss_mech.errors import InputError
from ss_mech.response import (decade_grid, equipartition, fdt_spectrum, modes, noise_spectrum, one_sided,
                              pinned_readouts, readout_matrix, response, two_sided)


def one_stick(friction=1.5, temperature=0.3):
    """One stick on [0, 1], springs at both ends (k = 2): M = m/6 [[2,1],[1,2]], K = 2 I, Γ = γ M."""
    return System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], mass=1.2, stiffness=2.0,
                  friction=friction, temperature=temperature)


def test_response_of_one_stick_by_hand():
    s = one_stick()
    w = np.array([0.3, 1.0, 2.7, 9.0])
    m, k, g = 1.2, 2.0, 1.5
    M = m / 6 * np.array([[2.0, 1.0], [1.0, 2.0]])
    for i, om in enumerate(w):
        D = k * np.eye(2) - om ** 2 * M + 1j * om * g * M
        # the 2×2 inverse written out: adj(D)/det(D)
        det = D[0, 0] * D[1, 1] - D[0, 1] * D[1, 0]
        hand = np.array([[D[1, 1], -D[0, 1]], [-D[1, 0], D[0, 0]]]) / det
        np.testing.assert_allclose(response(s, w)[i], hand, rtol=1e-12)
    # a readout: the stick's midpoint height (½, ½)
    R = np.array([[0.5, 0.5]])
    np.testing.assert_allclose(response(s, w, R)[:, 0, 0], [R[0] @ np.linalg.inv(
        k * np.eye(2) - om ** 2 * M + 1j * om * g * M) @ R[0] for om in w], rtol=1e-12)


def test_fdt_and_the_sign_of_the_dissipation():
    s = System(Grid((3, 2), (0, 0), (1, 1)), n_labels=2, friction=2.0, temperature=0.2,
               X=np.random.default_rng(0).uniform(0, 1, (9, 2)), y=np.random.default_rng(1).normal(size=(9, 2)))
    w = decade_grid(0.05, 50, 8)
    S, F = noise_spectrum(s, w), fdt_spectrum(s, w)
    assert np.abs(S - F).max() <= 1e-12 * np.abs(F).max()
    assert np.all(np.linalg.eigvalsh(response(s, w).imag) <= 1e-14)   # Im χ ≤ 0: the machine absorbs power
    np.testing.assert_allclose(two_sided(one_sided(S)), S)


def test_equipartition_from_the_spectrum_pinned():
    for s in (one_stick(), one_stick(friction=0.2),   # overdamped and sharp (Q = 5) resonances
              System(Grid((4,), (0.0,), (2 * np.pi,)), friction=4.0, temperature=0.05,
                     X=np.linspace(0.2, 6.1, 12)[:, None], y=np.sin(np.linspace(0.2, 6.1, 12)))):
        for readout in ("heights", "residuals", "node:1"):
            eq = equipartition(s, readout)
            assert eq["pinned"].all()
            assert eq["max_rel_err"] <= 1e-6
            np.testing.assert_allclose(eq["expected"], s.kT * np.diag(
                readout_matrix(s, readout).matrix @ np.linalg.inv(s.stiffness_matrix.toarray())
                @ readout_matrix(s, readout).matrix.T), rtol=1e-12)


def test_free_modes_are_excluded_from_the_integral():
    s = System(Grid((2,), (0.0,), (1.0,)), X=[[0.1], [0.3]], y=[0.2, 0.1], friction=1.0, temperature=0.5)
    md = modes(s)
    assert md["free"].sum() == 1                           # the far node: no spring
    np.testing.assert_array_equal(pinned_readouts(s, "heights"), [True, True, False])  # only x2 sees it
    eq = equipartition(s, "heights")
    assert np.isnan(eq["ratio"][2]) and eq["max_rel_err"] <= 1e-6
    eq = equipartition(s, "residuals")                     # W x never sees a free mode
    assert eq["pinned"].all() and eq["max_rel_err"] <= 1e-6
    S = noise_spectrum(s, [1e-4, 1e-3], "heights").diagonal(axis1=1, axis2=2).real
    assert S[0, 2] / S[1, 2] > 50                          # ∝ 1/ω² at the bottom: unbounded
    assert S[0, 0] / S[1, 0] < 1.01                        # a pinned height stays flat


def test_modes_and_quality():
    s = one_stick(friction=0.2)
    md = modes(s)
    K, M = 2.0 * np.eye(2), 1.2 / 6 * np.array([[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(md["omega"] ** 2, np.sort(np.linalg.eigvals(np.linalg.solve(M, K)).real))
    np.testing.assert_allclose(md["quality"], md["omega"] / 0.2)


def test_noiseless_damper_drops_its_term():
    s = one_stick()
    w = [0.5, 2.0]
    full = noise_spectrum(s, w)
    n = s.damper_values.size                               # translation and rotation of the stick
    assert n == 2
    parts = sum(noise_spectrum(s, w, noiseless=[e for e in range(n) if e != keep]) for keep in range(n))
    np.testing.assert_allclose(parts, full, rtol=1e-12)    # each damper's noise adds up to the whole


@pytest.mark.parametrize("bad, match", [
    (dict(omega=[1.0, 0.0]), r"got 0\.0 at index 1"), (dict(omega=[-2.0]), "got -2.0"),
    (dict(readout="node:7"), "degree of freedom 7 is out of range"), (dict(readout="spam"), "unknown readout 'spam'")])
def test_bad_input_names_the_value(bad, match):
    with pytest.raises(InputError, match=match):
        response(one_stick(), bad.get("omega", [1.0]), bad.get("readout", "heights"))


def test_paper_noise_has_no_fdt():
    s = one_stick().with_params(noise="paper")
    with pytest.raises(InputError, match="physics.noise='paper' has no fluctuation-dissipation"):
        noise_spectrum(s, [1.0])
