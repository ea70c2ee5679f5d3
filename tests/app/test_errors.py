"""Typed errors and the command's exit statuses: one line on stderr, never a traceback.

Failures are simulated without breaking the machine: ngspice's runner, its library loader and
the mechanical backend are monkeypatched, the full disk is an ``os.fsync`` that says ENOSPC.
"""
from __future__ import annotations

import errno
import json
import os

import numpy as np
import pytest

import ss_circuit.ngspice as ngspice
from ss_mech.errors import (InputError, NonFiniteResultError, SimulationError, SpecError, SpringsSticksError,
                            UnstableStepError)
from springsticks.cli import EXIT_CODES, main

SPEC = {"grid": {"n_sticks": [4], "u_min": [0.0], "u_max": [6.28]}, "n_labels": 1,
        "physics": {"mass": 1.0, "stiffness": 1.0, "friction": 4.0, "temperature": 0.0, "kb": 1.0, "noise": "fdt"},
        "data": {"X": [[0.1], [1.0], [2.0], [3.0], [4.5], [6.0]], "y": [[0.1], [0.84], [0.9], [0.14], [-0.97], [-0.28]]},
        "run": {"t_end": 0.3, "dt": 0.001, "method": "euler", "samples": 1, "seed": 0, "n_out": 11}}


def _spec(tmp_path, **run):
    d = json.loads(json.dumps(SPEC))
    d["run"].update(run)
    d["run"] = {k: v for k, v in d["run"].items() if v is not None}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(d))
    return str(path)


def _one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert lines and lines[-1].startswith(f"springsticks {command}: error: "), err
    return lines[-1]


# ---------------------------------------------------------------------------- the classes
@pytest.mark.parametrize("cls, code, bases", [
    (SpringsSticksError, 3, (Exception,)),
    (InputError, 2, (SpringsSticksError, ValueError)),
    (SpecError, 2, (InputError, ValueError)),
    (UnstableStepError, 2, (InputError, ValueError)),
    (SimulationError, 3, (SpringsSticksError, RuntimeError)),
    (NonFiniteResultError, 3, (SimulationError,)),
    (ngspice.NgspiceError, 3, (SimulationError, RuntimeError)),
    (ngspice.NgspiceLibraryError, 3, (ngspice.NgspiceError, ImportError)),
    (ngspice.NetlistRejected, 3, (ngspice.NgspiceError,)),
    (ngspice.TransientFailed, 3, (ngspice.NgspiceError,)),
])
def test_every_error_is_typed_with_its_exit_code(cls, code, bases):
    assert issubclass(cls, SpringsSticksError) and cls.exit_code == code
    assert all(issubclass(cls, b) for b in bases)
    assert cls.__doc__ and len(cls.__doc__.strip()) > 20


def test_spec_error_is_still_a_value_error_and_importable_from_spec():
    from ss_mech.spec import SpecError as FromSpec

    assert FromSpec is SpecError and issubclass(SpecError, ValueError)
    assert sorted(EXIT_CODES) == [0, 1, 2, 3, 130]


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code in ("0", "1", "2", "3", "130"):
        assert f"\n  {code} " in out
    assert "--debug" in out


# ---------------------------------------------------------------------------- bad input: 2
def test_bad_spec_exits_2_naming_the_key(tmp_path, capsys):
    d = json.loads(json.dumps(SPEC))
    d["physics"]["stiffness"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    assert main(["simulate", str(path)]) == 2
    line = _one_error_line(capsys, "simulate")
    assert "physics.stiffness must be > 0" in line and "examples/specs" in line


def test_unstable_step_exits_2_naming_a_stable_step(tmp_path, capsys):
    assert main(["simulate", _spec(tmp_path, dt=1.0)]) == 2
    line = _one_error_line(capsys, "simulate")
    assert "dt=1 is unstable" in line and "Use dt <=" in line


def test_plain_value_errors_and_missing_inputs_are_bad_input(tmp_path, capsys):
    assert main(["reproduce", "nope"]) == 2
    assert "unknown reproduction 'nope'; choose one of" in _one_error_line(capsys, "reproduce")
    assert main(["fit", "--csv", str(tmp_path / "missing.csv")]) == 2
    assert f"--csv {tmp_path / 'missing.csv'}: no such file; give the path" in _one_error_line(capsys, "fit")


# ---------------------------------------------------------------------------- simulator failures: 3
def test_ngspice_failure_exits_3_in_one_line(tmp_path, capsys, monkeypatch):
    def fails(*args, **kwargs):
        raise ngspice.TransientFailed("the transient stopped at t = 0.1 s of 0.3 s: timestep too small")

    monkeypatch.setattr(ngspice, "run_netlist", fails)
    assert main(["simulate", _spec(tmp_path, method=None), "--backend", "circuit"]) == 3
    line = _one_error_line(capsys, "simulate")
    assert "timestep too small" in line and "run.dt" in line and 'run.method "gear"' in line


def test_missing_ngspice_library_exits_3_naming_the_install_command(tmp_path, capsys, monkeypatch):
    class NoLibrary:
        def __init__(self):  # what PySpice's dlopen raises when libngspice.so is absent
            raise OSError("libngspice.so: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(ngspice, "_ENGINE", None)
    monkeypatch.setattr(ngspice, "_engine_class", lambda: NoLibrary)
    assert main(["simulate", _spec(tmp_path, method=None), "--backend", "circuit"]) == 3
    line = _one_error_line(capsys, "simulate")
    assert "cannot load the ngspice shared library" in line and "apt-get install ngspice" in line


def test_non_finite_result_exits_3_naming_the_series_and_time(tmp_path, capsys, monkeypatch):
    import ss_mech
    from ss_mech import Trajectory

    def diverges(system, **kw):
        T, N = kw["n_out"], system.n_dof
        series = {k: np.zeros((T, 1)) for k in ("kinetic", "potential", "dissipated", "noise_work",
                                                "protocol_work", "loss")}
        series["potential"][4:] = np.inf
        series["loss"][4:] = np.nan
        return Trajectory(t=np.linspace(0, kw["t_end"], T), **series, x_end=np.full((1, N), np.nan),
                          v_end=np.zeros((1, N)), meta={"dt": kw["dt"]})

    monkeypatch.setattr(ss_mech, "simulate", diverges)
    assert main(["simulate", _spec(tmp_path)]) == 3
    line = _one_error_line(capsys, "simulate")
    assert "non-finite loss at output time index 4 (t = 0.12), sample 0" in line
    assert "smaller time step" in line and "dt=0.0001" in line


def test_an_interrupted_simulation_prints_what_it_completed_and_exits_130(tmp_path, capsys, monkeypatch):
    import ss_mech
    from ss_mech import Trajectory

    def interrupted(system, **kw):  # what the solver returns after Ctrl-C: the output times it completed
        series = {k: np.zeros((4, 1)) for k in ("kinetic", "potential", "dissipated", "noise_work",
                                                "protocol_work", "loss")}
        N = system.n_dof
        return Trajectory(t=np.linspace(0, 0.09, 4), **series, x_end=np.zeros((1, N)), v_end=np.zeros((1, N)),
                          meta={"dt": kw["dt"], "interrupted": True})

    monkeypatch.setattr(ss_mech, "simulate", interrupted)
    assert main(["simulate", _spec(tmp_path), "--json"]) == 130
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["t"]) == 4
    assert captured.err.strip() == "springsticks simulate: interrupted; the output covers t <= 0.09"


def test_an_interrupted_fit_reports_the_state_reached_and_exits_130(capsys, monkeypatch):
    import ss_mech.regressor as regressor
    from ss_mech.solvers import simulate
    from ss_mech.training import train

    calls = []

    def ctrl_c_at_batch_6(*args, **kw):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return simulate(*args, **kw)

    monkeypatch.setattr(regressor, "train", lambda *a, **k: train(*a, integrator=ctrl_c_at_batch_6, **k))
    with pytest.warns(RuntimeWarning, match="interrupted after 5 of"):
        code = main(["fit", "--function", "sin", "--sticks", "4", "--points", "20", "--batch-size", "4",
                     "--epochs", "3", "--json"])
    assert code == 130
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["interrupted"] is True and out["epochs_completed"] == 1  # 5 batches a epoch: one finished
    assert np.isfinite(out["train_mse"])
    assert captured.err.strip().endswith("springsticks fit: interrupted after 1 of 3 epochs; the result above is "
                                         "the state reached")


def test_full_disk_while_writing_a_report_exits_3_naming_the_file(tmp_path, capsys, monkeypatch, small_result):
    import springsticks.compare as compare

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(compare, "crosscheck", lambda *a, **k: small_result)
    monkeypatch.setattr(os, "fsync", no_space)
    folder = tmp_path / "report"
    assert main(["crosscheck", "--report", str(folder)]) == 3
    captured = capsys.readouterr()
    assert "deterministic" in captured.out  # the results are printed all the same
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert lines[-1] == (f"springsticks crosscheck: error: {folder / 'results.json'}: No space left on device; "
                         "free some disk space or write to another folder")
    assert "complete: none" in lines[-2]
    assert os.listdir(folder) == []  # no half-written file, no temporary one


# ---------------------------------------------------------------------------- --debug
@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_reraises(tmp_path, where):
    args = ["simulate", _spec(tmp_path, dt=1.0)]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    with pytest.raises(UnstableStepError, match="Use dt <="):
        main(args)
