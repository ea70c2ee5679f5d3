"""springsticks hardware: perturbed circuits trained side by side, yield, ledger, stability."""
import json
import math

import numpy as np
import pytest

from springsticks.cli import main
from springsticks.hardware import hardware_report

SPEC = {"grid": {"n_sticks": [3], "u_min": [0.0], "u_max": [6.3]}, "n_labels": 1,
        "physics": {"mass": 1.0, "stiffness": 1.0, "friction": 4.0, "temperature": 0.0, "kb": 1.0, "noise": "fdt"},
        "data": {"X": [[0.1], [1.0], [2.0], [3.0], [4.5], [6.0], [5.2], [2.6]],
                 "y": [[0.1], [0.84], [0.9], [0.14], [-0.97], [-0.28], [-0.88], [0.52]]},
        "run": {"t_end": 1.0, "samples": 1, "seed": 0, "n_out": 11}}

FAST = dict(epochs=2, temperature_k=0.0, tau=1.0, capacitance=1e-12)


def test_hardware_cli_json_and_figures(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    out_dir = tmp_path / "hw"
    argv = ["hardware", str(path), "--tolerance", "C=5%,L=1%,R=1%,G=1%", "--esr", "Q=50", "--samples", "2",
            "--epochs", "2", "--temperature-k", "0", "--tau", "1", "--eseries", "E24", "--processes", "2", "--corners",
            "--out", str(out_dir), "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("train_mse", "test_mse", "heat_J"):
        assert out["ideal"][key] > 0
    assert len(out["perturbed"]) == 2 and 0 <= out["yield"] <= 1
    for row in out["perturbed"]:
        assert row["stable"] and row["train_mse"] > 0 and row["test_mse"] > 0 and row["heat_J"] > 0
        assert row["crosscheck_max_rel_err"] <= 1e-3  # the perturbed machine's mechanical twin agrees
        assert set(row["parts"]) >= {"stick translation", "data spring", "stick translation ESR"}
    assert out["least_squares"]["train_mse"] <= out["ideal"]["train_mse"]
    led = out["ideal"]["ledger"]
    assert len(led["heat:translational drag"]) == 2  # one entry per epoch
    # the ideal levers put nothing in: the first law closes on the resistors' heat and the switches
    heat = led["heat"][-1]["J"]
    assert abs(led["work:levers"][-1]["J"]) < 1e-6 * heat
    for name in ("mse_histogram.png", "learned_functions.png", "ledger.png", "hardware.json"):
        assert (out_dir / name).stat().st_size > 0
    assert [c["corner"] for c in out["corners"]] == ["+tol", "-tol"] and all(c["stable"] for c in out["corners"])
    plus = out["corners"][0]["perturbation"]["values"]["stick translation"]
    assert plus["min"] == plus["max"]  # every inductor at +1 % (times its E24 rounding)
    d = out["perturbed"][0]["perturbation"]["values"]
    assert 0.8 < d["data spring"]["min"] <= d["data spring"]["max"] < 1.2


def test_hardware_is_seeded_and_vanishing_tolerance_is_the_ideal_machine():
    kw = dict(tolerance="C=5%,L=1%", samples=2, **FAST)
    a = hardware_report(SPEC, seed=3, processes=1, **kw)
    b = hardware_report(SPEC, seed=3, processes=2, **kw)
    assert [r["parts"] for r in a["perturbed"]] == [r["parts"] for r in b["perturbed"]]
    assert [r["test_mse"] for r in a["perturbed"]] == [r["test_mse"] for r in b["perturbed"]]
    assert a["perturbed"][0]["parts"] != a["perturbed"][1]["parts"]
    zero = hardware_report(SPEC, seed=3, tolerance="C=1e-12,L=1e-12", samples=1, processes=1, **FAST)
    assert zero["perturbed"][0]["train_mse"] == pytest.approx(zero["ideal"]["train_mse"], rel=1e-8)
    assert zero["perturbed"][0]["heat_J"] == pytest.approx(zero["ideal"]["heat_J"], rel=1e-8)


def test_hardware_reports_a_lever_bandwidth_instability():
    """One stick, springs on both ends, γ = 0.5: τ_c = 0.15 destabilises its ω² = 6 mode."""
    spec = {"grid": {"n_sticks": [1], "u_min": [0.0], "u_max": [1.0]}, "n_labels": 1,
            "physics": {"mass": 1.0, "stiffness": 1.0, "friction": 0.5, "temperature": 0.0, "kb": 1.0, "noise": "fdt"},
            "data": {"X": [[0.0], [1.0]], "y": [[0.3], [-0.2]]}, "run": {"t_end": 1.0, "n_out": 11},
            "initial": {"x": [1.0, 0.2]}}
    tau = 1.0
    f_slow = 1 / (2 * math.pi * 0.15 * tau)
    kw = dict(samples=1, epochs=1, batch_size=2, time_per_batch=40.0, test_fraction=0.0, temperature_k=0.0,
              tau=tau, processes=1)
    bad = hardware_report(spec, lever_bandwidth=f_slow, **kw)
    assert not bad["lever_bandwidth"]["predicted_stable"] and bad["lever_bandwidth"]["predicted_max_growth_rate"] > 0
    row = bad["perturbed"][0]
    assert row["status"] == "unstable" and not row["stable"] and "unstable" in row["note"]
    assert bad["yield"] == 0
    good = hardware_report(spec, lever_bandwidth=1e3 * f_slow, **kw)
    assert good["lever_bandwidth"]["predicted_stable"] and good["perturbed"][0]["stable"]
    # both reach the fixed point (2 springs pin 2 heights: MSE ~ 1e-10), the fast lever as the ideal one does
    assert abs(np.array(good["perturbed"][0]["x"]) - good["ideal"]["x"]).max() < 1e-4


def test_hardware_rejects_bad_options(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    assert main(["hardware", str(path), "--tolerance", "Q=5%"]) == 2
    assert "unknown part class" in capsys.readouterr().err
    assert main(["hardware", str(path), "--lever-bandwidth", "fast"]) == 2
    assert "frequency" in capsys.readouterr().err
    assert main(["hardware", str(path), "--esr", "lots"]) == 2
    assert "--esr" in capsys.readouterr().err


def test_parts_and_param_netlist_commands(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    assert main(["parts", str(path), "--eseries", "E12", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["series"] == "E12" and len(rep["parts"]) == 3 * 4 + len(SPEC["data"]["X"])
    assert main(["parts", str(path)]) == 0
    assert "stick translation" in capsys.readouterr().out
    for flag in ([], ["--params"]):
        assert main(["netlist", str(path), "-o", str(tmp_path / "n.cir"), "--noise", "none"] + flag) == 0
        capsys.readouterr()
        text = (tmp_path / "n.cir").read_text()
        assert (".param l_stick_translation=" in text) == bool(flag)
