"""``springsticks energy``: the joules of learning, against DESIGN.md §6.4's worked example and the backends."""
import json

import pytest

from springsticks.cli import main

SPEC = "examples/specs/sine_1d_4sticks.json"  # 4 sticks on [0, 2π], 12 points of sin x, γ = 4


def _energy(capsys, *args):
    assert main(["energy", SPEC, *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_worked_example_of_design_6_4(capsys):
    """C₀ = 1 pF, τ = 1 ns, 300 K, target 1.1·MSE_LS; V_u = 1 V and 2 mV."""
    one = _energy(capsys)
    p = one["parts"]
    assert p["L_translation_H"] == pytest.approx(0.25e-6) and p["L_rotation_H"] == pytest.approx(20.83e-9, rel=1e-3)
    assert p["R_translation_ohm"] == pytest.approx(1e3) and p["R_rotation_ohm"] == pytest.approx(83.33, rel=1e-3)
    assert p["C_spring_F"] == pytest.approx(1e-12)
    th = one["threshold"]
    assert th["volts_per_unit"] == pytest.approx(1.78e-3, rel=3e-3)
    assert th["signal_energy_J"] == pytest.approx(3.18e-18, rel=3e-3) and th["signal_energy_kT"] == pytest.approx(767, rel=2e-3)
    assert one["time_to_target"]["s"] == pytest.approx(1.75e-9, rel=3e-3)
    assert one["heat"]["J"] == pytest.approx(4.56e-12, rel=2e-3) and one["heat"]["kT"] == pytest.approx(1.10e9, rel=5e-3)
    assert one["efficiency"] == pytest.approx(1.4e-8, rel=0.05)
    # the minimum is bracketed for the uniform start; DESIGN's 15.8 k_BT treats the start as Gaussian
    lo, hi = (b["kT"] for b in one["minimum_heat_bracket"])
    assert lo == one["minimum_heat"]["kT"] == pytest.approx(14.88, rel=2e-3) and hi > 30
    two = _energy(capsys, "--volts-per-unit", "2e-3")
    assert two["time_to_target"]["s"] == pytest.approx(1.89e-9, rel=3e-3)
    assert two["heat"]["J"] == pytest.approx(1.82e-17, rel=3e-3) and two["heat"]["kT"] == pytest.approx(4403, rel=1e-3)
    assert two["efficiency"] == pytest.approx(2.5e-3, rel=0.02)
    # heat scales as C·V_u², the minimum only logarithmically
    assert one["heat"]["reduced"] == pytest.approx(two["heat"]["reduced"], rel=2e-3)
    assert one["minimum_heat"]["kT"] / two["minimum_heat"]["kT"] < 1.5


@pytest.mark.parametrize("backend, samples", [("mech", 400), ("circuit", 64)])
def test_the_backends_measure_the_exact_heat(capsys, backend, samples):
    """The circuit's heat is ∫R i² − ∫i·V_noise in ngspice's resistors, the mechanics' ∫vᵀΓv − ∫v∘η."""
    out = _energy(capsys, "--volts-per-unit", "2e-3", "--backend", backend, "--samples", str(samples))
    sim = out["simulated"]
    assert sim["samples"] == samples and abs(sim["z"]) < 3, sim
    assert sim["heat_se_J"] < 0.05 * out["heat"]["J"]  # the check has teeth


def test_below_the_threshold_the_target_is_never_reached_and_targets_below_least_squares_are_refused(capsys, tmp_path):
    out = _energy(capsys, "--volts-per-unit", "1.5e-3", "--plot", str(tmp_path / "sweep.png"))
    assert out["reached"] is False and "threshold" in out["note"] and out["equilibrium_mse"] > out["target_mse"]
    assert (tmp_path / "sweep.png").stat().st_size > 5000
    assert main(["energy", SPEC, "--target-factor", "0.9"]) == 2
    assert "least-squares" in capsys.readouterr().err


def test_periodic_heat_of_mini_batch_training(capsys):
    out = _energy(capsys, "--volts-per-unit", "2e-3", "--batch-size", "4", "--time-per-batch", "0.5")
    per = out["periodic"]
    assert per["batches"] == 3 and per["heat_per_epoch"]["J"] > 0 and per["epoch_time_s"] == pytest.approx(1.5e-9)
