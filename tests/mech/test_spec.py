"""JSON specs (ss_mech.spec): errors that name the key, example specs, dotted-path overrides."""
import json

import pytest

from ss_mech.spec import SpecError, load_spec


SPEC = {"grid": {"n_sticks": [4], "u_min": [0.0], "u_max": [6.28]}, "n_labels": 1,
        "physics": {"mass": 1.0, "stiffness": 1.0, "friction": 4.0, "temperature": 0.0, "kb": 1.0, "noise": "fdt"},
        "data": {"X": [[0.1], [1.0], [2.0], [3.0], [4.5], [6.0]], "y": [[0.1], [0.84], [0.9], [0.14], [-0.97], [-0.28]]},
        "run": {"t_end": 0.3, "dt": 0.001, "method": "euler", "samples": 1, "seed": 0, "n_out": 11}}


@pytest.mark.parametrize("edit, match", [
    (lambda d: d["physics"].update(friction=-1), "physics.friction must be >= 0"),
    (lambda d: d["run"].pop("t_end"), "missing key run.t_end"),
    (lambda d: d["physics"].update(colour=1), "unknown key physics.colour"),
    (lambda d: d.update(initial={"x": [0, 0]}), "initial.x must hold 5 finite numbers"),
    (lambda d: d["data"].update(X=[[0.1], [float("nan")], [2.0], [3.0], [4.5], [6.0]]), "non-finite"),
    (lambda d: d["run"].update(n_out=1), "run.n_out"),
    (lambda d: d["grid"].update(n_sticks=[0]), "n_sticks"),
])
def test_spec_errors_name_the_key(edit, match):
    d = json.loads(json.dumps(SPEC))
    edit(d)
    with pytest.raises(SpecError, match=match):
        load_spec(d)


def test_example_specs_load_and_overrides_change_only_what_they_name():
    from ss_mech.spec import example_spec, override

    d = example_spec("sine_1d_4sticks")
    warm = override(d, {"physics.temperature": 0.05, "run": {"t_end": 4.0}})
    assert d["physics"]["temperature"] == 0.0 and warm["physics"]["temperature"] == 0.05
    assert warm["run"]["t_end"] == 4.0 and warm["run"]["dt"] == d["run"]["dt"]  # merged, not replaced
    spec = load_spec(warm)
    assert spec.system.kT == 0.05 and spec.circuit == {"noise": "none", "max_step": 0.005}  # run.dt resolved in
    with pytest.raises(SpecError, match="no example spec 'nope'"):
        example_spec("nope")
    with pytest.raises(SpecError, match="cannot set physics.mass.x"):
        override(d, {"physics.mass.x": 1})


def test_initial_ensembles_by_name():
    d = json.loads(json.dumps(SPEC))
    d["physics"]["temperature"] = 0.1
    d["initial"] = {"x": "gibbs", "v": "maxwell"}
    spec = load_spec(d)
    assert (spec.x0, spec.v0) == ("gibbs", "maxwell")
    d["initial"] = {"x": "hot"}
    with pytest.raises(SpecError, match="initial.x must be a list of numbers or one of 'uniform', 'gibbs'"):
        load_spec(d)
