"""The springsticks command (springsticks.cli): simulate, fit, errors."""
import json

import numpy as np
import pytest

from springsticks.cli import main


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 2 * np.pi, (n, 1))
    return X, np.sin(X[:, 0])


SPEC = {"grid": {"n_sticks": [4], "u_min": [0.0], "u_max": [6.28]}, "n_labels": 1,
        "physics": {"mass": 1.0, "stiffness": 1.0, "friction": 4.0, "temperature": 0.0, "kb": 1.0, "noise": "fdt"},
        "data": {"X": [[0.1], [1.0], [2.0], [3.0], [4.5], [6.0]], "y": [[0.1], [0.84], [0.9], [0.14], [-0.97], [-0.28]]},
        "run": {"t_end": 0.3, "dt": 0.001, "method": "euler", "samples": 1, "seed": 0, "n_out": 11}}


def test_cli_simulate_json(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    assert main(["simulate", str(path), "--backend", "mech", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("t", "x_end", "v_end", "loss", "kinetic", "potential", "dissipated", "noise_work"):
        assert key in out
    assert len(out["t"]) == 11 and out["t"][-1] == pytest.approx(0.3) and len(out["x_end"]) == 5
    assert out["dissipated"][-1] > 0 and out["noise_work"][-1] == 0


def test_cli_reports_bad_spec(tmp_path, capsys):
    d = json.loads(json.dumps(SPEC))
    d["physics"]["stiffness"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    assert main(["simulate", str(path)]) == 2
    assert "physics.stiffness must be > 0" in capsys.readouterr().err


def test_cli_fit_function_and_csv(tmp_path, capsys):
    assert main(["fit", "--function", "sin", "--dim", "1", "--sticks", "4", "--points", "20",
                 "--epochs", "5", "--json", "--plot", str(tmp_path / "f.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lstsq_mse"] <= out["train_mse"] + 1e-12 and out["test_mse"] > 0
    assert (tmp_path / "f.png").stat().st_size > 1000
    X, y = _data(40)
    csv = tmp_path / "d.csv"
    np.savetxt(csv, np.column_stack([X, y]), delimiter=",", header="u,y", comments="")
    assert main(["fit", "--csv", str(csv), "--sticks", "4", "--epochs", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["train_points"] == 32 and out["test_points"] == 8
