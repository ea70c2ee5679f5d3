"""springsticks spectrum: the three sources compared, the JSON keys, the report, and bad input."""
import json

import numpy as np
import pytest

from ss_mech import Grid, System
from ss_mech.spec import spec_dict
from springsticks.cli import main
from springsticks.spectrum import spectrum_report, write_spectrum_report


def one_stick_spec(**physics):
    s = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [0.4], [1.0]], y=[0.3, 0.1, -0.2], mass=1.0, stiffness=2.0,
               friction=1.5, temperature=0.3, **physics)
    return spec_dict(s, x0=[0.0, 0.0], v0=[0.0, 0.0], t_end=1.0)


@pytest.fixture(scope="module")
def report():
    return spectrum_report(one_stick_spec(), points=5, samples=24, seed=3)


def test_three_sources_agree(report):
    assert report["passed"], report["checks"]
    assert report["ac_max_rel_err"] <= 1e-6
    assert report["noise_max_rel_err"] <= 1e-3
    assert report["fdt_max_rel_err"] <= 1e-9
    np.testing.assert_allclose(report["equipartition_from_psd"], 1.0, atol=1e-3)
    w = report["welch"]
    assert w["max_z"] <= w["z_tol"] and w["tests"] >= 50   # the Welch estimate lies inside its band
    assert np.asarray(report["circuit"]["noise_psd"]).shape == (len(report["omega"]), 2)
    assert np.all(report["modes"]["quality"] > 0)


def test_welch_band_catches_a_wrong_temperature(report):
    w = report["welch"]
    z = (w["estimate"] - 1.1 * w["expected"]) / w["se"]    # an oracle 10 % off (k_BT 0.33 instead of 0.3)
    assert np.abs(z).max() > w["z_tol"]


def test_report_and_json(report, tmp_path):
    md = write_spectrum_report(report, tmp_path)
    assert (tmp_path / "bode.png").stat().st_size > 0 and (tmp_path / "psd.png").stat().st_size > 0
    assert "ngspice .noise" in open(md).read()
    data = json.loads((tmp_path / "results.json").read_text())
    for key in ("ac_max_rel_err", "noise_max_rel_err", "fdt_max_rel_err", "equipartition_from_psd", "welch_max_z",
                "omega"):
        assert key in data
    assert len(data["circuit"]["noise_psd"]) == len(data["omega"])


def test_free_modes_are_said_and_kept_out(tmp_path):
    s = System(Grid((2,), (0.0,), (1.0,)), X=[[0.1], [0.3]], y=[0.2, 0.1], friction=1.0, temperature=0.5)
    out = spectrum_report(spec_dict(s, x0=[0, 0, 0], v0=[0, 0, 0], t_end=1.0), points=3, samples=2)
    assert out["passed"]
    assert np.isnan(out["equipartition_from_psd"][2]) and "free mode" in out["notes"][0]
    assert out["welch_max_z"] is None and "Welch estimate skipped" in out["notes"][1]


@pytest.mark.parametrize("args, needle", [
    (["--f-min", "0"], "f_min must be a finite frequency > 0"), (["--f-max", "-1"], "got -1.0"),
    (["--readout", "node:9"], "degree of freedom 9 is out of range"),
])
def test_bad_input_is_one_line(tmp_path, capsys, args, needle):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(one_stick_spec()))
    assert main(["spectrum", str(spec), "--no-welch", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_paper_noise_is_refused(tmp_path, capsys):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(one_stick_spec(noise="paper")))
    assert main(["spectrum", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "physics.noise='paper' has no fluctuation-dissipation relation" in err
