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


def test_one_spec_runs_on_both_backends_and_the_crosscheck(tmp_path, capsys):
    """The older form (a mechanical method in run) runs on the circuit too, with a note; so does the crosscheck."""
    from springsticks.compare import crosscheck

    d = json.loads(json.dumps(SPEC))  # "run": {"method": "euler", "dt": 0.001, ...}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(d))
    ends = {}
    for backend in ("mech", "circuit"):
        assert main(["simulate", str(path), "--backend", backend, "--json"]) == 0
        captured = capsys.readouterr()
        ends[backend] = json.loads(captured.out)["x_end"]
        assert ("circuit backend ignores it" in captured.err) == (backend == "circuit")
    np.testing.assert_allclose(ends["circuit"], ends["mech"], atol=2e-3)  # euler at dt = 1e-3 against trap
    assert crosscheck(str(path), modes=("deterministic",)).passed
    # the sectioned form: each backend reads its own options, the other ignores them silently
    d["run"] = {"t_end": 0.3, "n_out": 11}
    d["mech"] = {"method": "srk", "dt": 0.002}
    d["circuit"] = {"method": "trap", "max_step": 0.001}
    path.write_text(json.dumps(d))
    for backend in ("mech", "circuit"):
        assert main(["simulate", str(path), "--backend", backend, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["meta"]["method"] == {"mech": "srk", "circuit": "trap"}[backend]
        assert out["meta"]["dt"] == pytest.approx({"mech": 0.002, "circuit": 0.001}[backend])


@pytest.mark.parametrize("section, message", [
    ({"mech": {"method": "trap"}}, "mech.method must be one of 'euler'"),
    ({"mech": {"dt": -1}}, "mech.dt must be a positive number"),
    ({"mech": {"steps": 3}}, "unknown key mech.steps"),
    ({"circuit": {"method": "euler"}}, "circuit.method must be one of 'trap', 'gear'"),
    ({"circuit": {"max_step": 0}}, "circuit.max_step must be a positive number"),
])
def test_backend_sections_are_checked_with_the_key_named(tmp_path, capsys, section, message):
    d = json.loads(json.dumps(SPEC)) | section
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(d))
    backend = next(iter(section))
    assert main(["simulate", str(path), "--backend", backend]) == 2
    assert message in capsys.readouterr().err


def test_the_executable_writes_its_output_and_exit_status_through_the_quick_exit(tmp_path):
    """``python -m springsticks`` (the console entry, which freezes the collector at exit): a run's
    JSON arrives whole on stdout, and an error's status and one-line message are kept."""
    import subprocess
    import sys

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"grid": {"n_sticks": [2], "u_min": [0.0], "u_max": [1.0]},
                                "physics": {"friction": 2.0}, "data": {"X": [[0.2], [0.7]], "y": [0.1, 0.3]},
                                "run": {"t_end": 0.5, "n_out": 3}}))
    done = subprocess.run([sys.executable, "-m", "springsticks", "simulate", str(spec), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["t"]) == 3
    bad = subprocess.run([sys.executable, "-m", "springsticks", "simulate", str(tmp_path / "missing.json")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().startswith("springsticks simulate: error:") and len(bad.stderr.strip().splitlines()) == 1


def test_the_parsers_unit_defaults_are_those_of_units():
    from dataclasses import asdict

    from springsticks.cli import UNIT_DEFAULTS, build_parser
    from springsticks.energy import Units

    assert UNIT_DEFAULTS == asdict(Units())
    args = build_parser().parse_args(["energy", "spec.json"])
    assert (args.capacitance, args.volts_per_unit, args.tau, args.temperature_k) == tuple(asdict(Units()).values())
