"""``springsticks crosscheck``: every comparison, its report, and that it fails when the circuit is wrong.

The quick crosscheck of the demo system (all five modes, 128 samples per ensemble) runs once
for the module; the failure tests break the translation on purpose — a capacitor 2 % off, a
Johnson source 25 % too loud — and the crosscheck must notice.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import ss_circuit.simulate as circuit_simulate
from ss_mech import Grid, System
from springsticks.cli import main
from ss_mech.spec import spec_dict

from springsticks import compare as cc

REQUIRED = ("deterministic.loss_max_rel_err", "deterministic.dissipated_max_rel_err", "stochastic.samples",
            "stochastic.loss_z", "stochastic.dissipated_z", "stochastic.heat_z", "equipartition.mech_ratio",
            "equipartition.circuit_ratio", "pathwise.max_rel_err", "training.final_loss_rel_err")


def one_stick_spec(temperature=1.0, **run):
    """N = 2: one stick held by a spring at each end (fastest rate √6)."""
    system = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], mass=1.0, stiffness=1.0,
                    friction=2.0, temperature=temperature)
    return spec_dict(system, x0=[0.8, 0.5], v0=[0.0, 0.0], **{"t_end": 2.0, **run})


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("crosscheck")
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["crosscheck", "--quick", "--json", "--report", str(out / "report")])
    return code, json.loads(buf.getvalue()), out / "report"


def test_quick_crosscheck_passes_with_every_figure(quick_run):
    code, out, _ = quick_run
    assert code == 0 and out["passed"] is True, [c for c in out["checks"] if not c["passed"]]
    for key in REQUIRED:
        mode, name = key.split(".")
        assert np.isfinite(out[mode][name]), key
    assert out["stochastic"]["samples"] == 128
    assert out["deterministic"]["loss_max_rel_err"] <= 1e-3 and out["deterministic"]["dissipated_max_rel_err"] <= 1e-3
    assert out["pathwise"]["max_rel_err"] <= 1e-3 and out["training"]["final_loss_rel_err"] <= 1e-3
    for key in ("loss_z", "dissipated_z", "heat_z"):
        assert abs(out["stochastic"][key]) <= 3
    for who in ("mech", "circuit"):
        assert abs(out["equipartition"][f"{who}_ratio"] - 1) <= 0.05
        assert out["equipartition"][f"{who}_se"] < 0.05 / 2.5  # the check can tell 5 % from noise
    # the exact solutions referee both backends
    assert out["deterministic"]["mech_vs_exact"]["x"] < 1e-4 and out["deterministic"]["circuit_vs_exact"]["x"] < 1e-4
    assert {c["mode"] for c in out["checks"]} == set(cc.MODES) | {"equipartition"}
    assert out["spectral"]["ac_max_rel_err"] <= 1e-6 and out["spectral"]["noise_max_rel_err"] <= 1e-3


def test_report_folder_holds_markdown_figures_and_a_rerunnable_spec(quick_run):
    _, out, folder = quick_run
    text = (folder / "report.md").read_text()
    assert "**PASSED**" in text
    for name in ("deterministic", "stochastic", "equipartition", "pathwise", "training", "bode", "psd"):
        assert (folder / f"{name}.png").stat().st_size > 10_000
        assert f"({name}.png)" in text
    assert json.loads((folder / "results.json").read_text())["passed"] is True
    spec = json.loads((folder / "spec.json").read_text())
    assert spec["physics"]["temperature"] == cc.DEMO_TEMPERATURE and len(spec["data"]["X"]) == 12


@pytest.fixture
def wrong_capacitor(monkeypatch):
    """Build every circuit with the first data spring's capacitor 2 % too large."""
    build = circuit_simulate.build_circuit

    def mistranslated(*args, **kwargs):
        circuit = build(*args, **kwargs)
        spring = next(b for b in circuit.branches if b.kind == "spring")
        spring.part *= 1.02
        return circuit

    monkeypatch.setattr(circuit_simulate, "build_circuit", mistranslated)


def test_a_wrong_capacitor_fails_the_crosscheck(wrong_capacitor, tmp_path):
    result = cc.crosscheck(one_stick_spec(), modes=("deterministic", "pathwise"))
    assert not result.passed
    failed = {(c.mode, c.quantity.split(";")[0]) for c in result.failures()}
    assert ("deterministic", "loss L(t_end)") in failed and ("deterministic", "positions x(t)") in failed
    assert ("deterministic", "circuit vs exact (x, L, D)") in failed
    assert ("deterministic", "mechanical vs exact (x, L, D)") not in failed  # the oracle says which one is wrong
    assert ("pathwise", "positions x(t)") in failed
    assert result.metrics["deterministic"]["x_max_rel_err"] > 3e-3
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(one_stick_spec()))
    assert main(["crosscheck", str(path), "--modes", "deterministic"]) == 1


def test_a_loud_johnson_source_fails_the_statistics(monkeypatch):
    """Noise sources 25 % too loud (1.56 × the power): equipartition and the heat balance fail."""
    import ss_circuit.circuit as netlist

    branches = netlist._branches

    def loud(*args, **kwargs):
        out = branches(*args, **kwargs)
        for b in out:
            b.amplitude *= 1.25
        return out

    monkeypatch.setattr(netlist, "_branches", loud)
    config = cc.CrosscheckConfig(samples=24, t_end=2.0, n_out=41)
    result = cc.crosscheck(config=config, modes=("stochastic",))
    eq = result.metrics["equipartition"]
    assert abs(eq["mech_ratio"] - 1) <= 0.05 and eq["circuit_ratio"] > 1.3
    assert not result.passed
    assert abs(result.metrics["stochastic"]["dissipated_z"]) > 3


def test_cold_spec_skips_the_noisy_modes_and_trains_deterministically():
    result = cc.crosscheck(one_stick_spec(temperature=0.0), modes=cc.MODES,
                           config=cc.CrosscheckConfig(epochs=2, batches_per_epoch=2))
    assert set(result.skipped) == {"stochastic", "pathwise", "spectral"}
    assert "temperature" in result.skipped["stochastic"] and "temperature" in result.skipped["spectral"]
    assert result.passed, result.table()
    assert result.metrics["training"]["noise"] == "none" and result.metrics["training"]["batches"] == 4
    assert "skipped" in result.table()


def test_a_run_too_short_for_equilibrium_is_held_to_the_exact_ratio_and_says_so():
    result = cc.crosscheck(one_stick_spec(t_end=1.0), config=cc.CrosscheckConfig(samples=32), modes=("stochastic",))
    eq = result.metrics["equipartition"]
    assert eq["equilibrated"] is False and eq["reference"] == eq["exact_ratio"] and eq["exact_ratio"] < 0.9
    rows = [c for c in result.checks if c.mode == "equipartition"]
    assert all("not equilibrated" in c.quantity for c in rows)
    assert rows[1].deviation == pytest.approx(abs(eq["circuit_ratio"] - eq["exact_ratio"]))
    notes = " ".join(result.notes)
    assert "ends before equilibrium" in notes and "cannot tell a real deviation from noise" in notes  # 32 samples
    assert "note: equipartition" in result.table()


def test_interrupted_crosscheck_keeps_finished_modes(monkeypatch, capsys):
    def interrupt(*_):
        raise KeyboardInterrupt

    monkeypatch.setitem(cc.RUNNERS, "pathwise", interrupt)
    result = cc.crosscheck(one_stick_spec(), modes=("deterministic", "pathwise", "training"))
    assert result.interrupted and not result.passed
    assert result.skipped == {"pathwise": "interrupted", "training": "interrupted"}
    assert {c.mode for c in result.checks} == {"deterministic"} and all(c.passed for c in result.checks)
    assert "INTERRUPTED" in result.table()


@pytest.mark.parametrize("spec, modes, message", [
    (one_stick_spec(), ("deterministic", "thermal"), "unknown crosscheck mode 'thermal'"),
    (one_stick_spec(), (), "no crosscheck mode"),
    (one_stick_spec() | {"initial": {"x": [[0.1, 0.2], [0.3, 0.4]]}}, cc.MODES, "one state"),
])
def test_bad_requests_name_what_is_wrong(spec, modes, message):
    with pytest.raises(ValueError, match=message):
        cc.crosscheck(spec, modes=modes)


def test_config_needs_two_samples_for_standard_errors():
    with pytest.raises(ValueError, match="samples must be >= 2"):
        cc.CrosscheckConfig(samples=1)


def test_a_wrong_capacitor_fails_the_spectral_rows(monkeypatch):
    """The same 2 % capacitor error, seen by ngspice's .ac and .noise: both spectral rows fail, the exact one not."""
    import ss_circuit.frequency as frequency

    build = frequency.build_circuit

    def mistranslated(*args, **kwargs):
        circuit = build(*args, **kwargs)
        next(b for b in circuit.branches if b.kind == "spring").part *= 1.02
        return circuit

    monkeypatch.setattr(frequency, "build_circuit", mistranslated)
    result = cc.crosscheck(one_stick_spec(), modes=("spectral",))
    failed = {c.quantity.split(" ")[1] for c in result.failures()}
    assert failed == {".ac", ".noise"}, result.table()
    assert result.metrics["spectral"]["ac_max_rel_err"] > 1e-3
