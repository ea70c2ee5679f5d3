"""ngspice's .ac and .noise of the machine's circuit against the exact response and the FDT spectrum."""
import numpy as np
import pytest

from ss_mech import Grid, System
from ss_mech.response import decade_grid, noise_spectrum, response

from ss_circuit import Scaling
from ss_circuit.frequency import small_signal


def one_stick(**kw):
    return System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], mass=1.2, stiffness=2.0,
                  friction=1.5, temperature=0.3, **kw)


def grid2d():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (14, 2))
    return System(Grid((2, 2), (0.0, 0.0), (1.0, 1.0)), n_labels=2, friction=3.0, temperature=0.1, X=X,
                  y=np.stack([X[:, 0] * X[:, 1], np.sin(3 * X[:, 0])], axis=1))


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_ac_of_one_stick_is_chi_by_hand():
    w = decade_grid(0.05, 50.0, 5)
    out = small_signal(one_stick(), w, noise=False)
    M = 1.2 / 6 * np.array([[2.0, 1.0], [1.0, 2.0]])
    hand = np.array([np.linalg.inv(2.0 * np.eye(2) - om ** 2 * M + 1j * om * 1.5 * M) for om in out["omega"]])
    assert rel(out["response"], hand) <= 1e-6
    np.testing.assert_allclose(out["omega"], w, rtol=1e-6)


@pytest.mark.parametrize("scaling", [None, Scaling(charge=1e-12, time=1e-9, energy=1e-12)],
                         ids=["reduced", "1pF-1V-1ns"])
def test_ac_and_noise_on_a_2d_grid_with_two_labels(scaling):
    s = grid2d()
    w = decade_grid(0.1, 100.0, 4)
    out = small_signal(s, w, readout="heights", scaling=scaling)
    assert rel(out["response"], response(s, out["omega"])) <= 1e-6
    exact = noise_spectrum(s, out["omega"]).diagonal(axis1=1, axis2=2).real
    assert np.abs(out["noise_psd"] / exact - 1).max() <= 1e-3
    res = small_signal(s, w[::4], readout="residuals", scaling=scaling, noise=False)
    assert rel(res["response"], response(s, res["omega"], "residuals")) <= 1e-6


def test_noiseless_resistor_drops_out_as_its_term_does():
    s = one_stick()
    w = decade_grid(0.1, 30.0, 4)
    for off in ([0], [1]):
        out = small_signal(s, w, noiseless=off)
        assert "noisy=0" in out["netlist"]
        exact = noise_spectrum(s, out["omega"], noiseless=off).diagonal(axis1=1, axis2=2).real
        full = noise_spectrum(s, out["omega"]).diagonal(axis1=1, axis2=2).real
        assert np.abs(out["noise_psd"] / exact - 1).max() <= 1e-3
        assert np.abs(exact / full - 1).max() > 0.05      # and the drop is visible


def test_bad_input():
    s = one_stick()
    with pytest.raises(ValueError, match="circuit realises fdt noise only"):
        small_signal(s.with_params(noise="paper"), [1.0])
    with pytest.raises(ValueError, match="decade grid"):
        small_signal(s, [1.0, 2.0, 3.5])
    with pytest.raises(ValueError, match="degree of freedom 2 is out of range"):
        small_signal(s, [1.0], readout="node:2")
