"""Reduced runs of the paper reproductions: they must keep the shape of the published results.

Each test runs a reproduction with ``quick=True`` (seconds) and checks claims that fail when
the physics, the training protocol or the bookkeeping breaks: slopes near −2, the machine
beating the MLP baselines, equipartition exactly where the theory says so.
"""
import json
import math

import numpy as np
import pytest
import torch

from ss_mech import Grid, System
from ss_mech.oracles import stationary_covariance
from springsticks.reproduce import REPRODUCTIONS, equilibrium, mlp, scaling
from springsticks.reproduce._common import format_table, jsonable


@pytest.fixture(scope="module")
def scaling_quick():
    return REPRODUCTIONS["scaling"](out=None, quick=True)


@pytest.fixture(scope="module")
def mlp_quick():
    return REPRODUCTIONS["mlp"](out=None, quick=True)


@pytest.fixture(scope="module")
def equilibrium_quick():
    return REPRODUCTIONS["equilibrium"](out=None, quick=True)


def test_registry_names_and_signature():
    assert {"fit", "mlp", "scaling", "equilibrium"} <= set(REPRODUCTIONS)
    for name, run in REPRODUCTIONS.items():
        assert run.reproduction_name == name


# ---------------------------------------------------------------------------- scaling
def test_scaling_slopes_near_minus_two(scaling_quick):
    for design in ("equispaced", "jittered"):
        for name, r in scaling_quick["designs"][design].items():
            assert abs(r["slope"] + 2) < 0.2, (design, name, r["slope"])
            assert all(np.diff(r["mean"]) < 0), (design, name, r["mean"])  # more sticks, smaller error


def test_scaling_dynamics_ends_at_least_squares(scaling_quick):
    checks = scaling_quick["dynamics_check"]
    assert [c["n_sticks"] for c in checks] == [3, 6]
    for c in checks:
        assert c["max_height_diff"] < 1e-8
        assert math.isclose(c["E_dynamics_max"], c["E_least_squares"], rel_tol=1e-6)


def test_scaling_l1_error_of_exact_interpolant():
    # heights = f at the nodes, f linear: the piecewise-linear model is exact, E = 0;
    # f = u² on one stick over [0, 2π]: E = ∫ (2π u − u²) du = (2π)³/6.
    system = scaling.make_system(1, [1.0, 2.0], [0.0, 0.0])
    nodes = system.grid.node_coordinates()[:, 0]
    assert scaling.l1_error(system, 3 * nodes + 1, lambda u: 3 * u + 1) < 1e-12
    E = scaling.l1_error(system, nodes ** 2, lambda u: u ** 2, n_grid=200001)
    assert math.isclose(E, (2 * np.pi) ** 3 / 6, rel_tol=1e-4)


def test_scaling_points_pin_every_node():
    for design in scaling.DESIGNS:
        u, _ = scaling.sample_points(design, 3, 9)
        assert u.shape == (20,) and u.min() >= 0 and u.max() <= 2 * np.pi
        W = Grid((9,), (0.0,), (2 * np.pi,)).interpolation_matrix(u[:, None]).toarray()
        assert np.linalg.matrix_rank(W) == 10
    a, _ = scaling.sample_points("jittered", 1, 5, seed=4)
    b, _ = scaling.sample_points("jittered", 1, 5, seed=4)
    assert np.array_equal(a, b)


# ---------------------------------------------------------------------------- mlp
def test_mlp_springs_sticks_learns_and_beats_baselines(mlp_quick):
    res = mlp_quick["functions"]
    assert set(res) == {"sin_cos", "xy"}
    for name, r in res.items():
        ss = r["ss"]
        assert len(ss["train"]) == len(ss["test"]) == 11 and len(ss["paper_train"]) == 10
        assert ss["train"][10] < 2e-3, name
        assert ss["train"][10] < ss["train"][0] / 100, name
        # the least-squares optimum bounds every state's training MSE from below
        assert r["ls"]["train"] <= ss["train"][10] + 1e-12
        for model in ("mlp", "mlp_frozen"):
            assert ss["test"][10] < r[model]["test"][10], (name, model)
    assert "SS" in mlp_quick["table"] and "paper" in mlp_quick["table"]


def test_mlp_frozen_biases_stay_frozen_and_rng_untouched():
    state = torch.random.get_rng_state()
    net = mlp.make_mlp(frozen_biases=True, seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    b0, b2 = net[0].bias.clone(), net[2].bias.clone()
    assert not net[0].bias.requires_grad and not net[2].bias.requires_grad
    X, Xt, e, et = mlp.make_data(1, n_train=32, n_test=16)
    batches = [np.arange(16), np.arange(16, 32)]
    w0 = net[0].weight.clone()
    hist = mlp.train_mlp(net, X, X[:, 0], Xt, Xt[:, 0], batches, epochs=1)
    assert torch.equal(b0, net[0].bias) and torch.equal(b2, net[2].bias)
    assert not torch.equal(w0, net[0].weight)
    assert len(hist["train"]) == 2 and len(hist["paper_train"]) == 1
    same = mlp.make_mlp(frozen_biases=False, seed=3)
    assert torch.equal(same[0].weight, w0)  # same seed, same weights; only the biases differ


def test_batched_mlp_training_equals_torch_sgd_on_each_network():
    """train_mlps trains G networks in one batched pass; the oracle is torch.optim.SGD on each alone."""
    import copy

    X, Xt, e, et = mlp.make_data(2, n_train=48, n_test=16)
    Y = np.stack([np.sin(X[:, 0]), X[:, 0] * X[:, 1], e], axis=1)
    Yt = np.stack([np.sin(Xt[:, 0]), Xt[:, 0] * Xt[:, 1], et], axis=1)
    batches = [np.arange(0, 16), np.arange(16, 32), np.arange(32, 48), np.arange(5, 21)]
    nets = [mlp.make_mlp(frozen_biases=f, seed=s) for f, s in ((False, 1), (True, 2), (False, 3))]
    refs = [copy.deepcopy(n) for n in nets]
    hists = mlp.train_mlps(nets, X, Y, Xt, Yt, batches, epochs=2)
    for g, (net, ref) in enumerate(zip(nets, refs)):
        opt = torch.optim.SGD([p for p in ref.parameters() if p.requires_grad], lr=0.1)
        Xg, yg = torch.as_tensor(X), torch.as_tensor(Y[:, g])[:, None]
        before = []
        for idx in batches:
            opt.zero_grad()
            loss = torch.mean((ref(Xg[idx]) - yg[idx]) ** 2)
            loss.backward()
            opt.step()
            before.append(loss.item())
        for p, q in zip(net.parameters(), ref.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hists[g]["paper_train"], [np.mean(before[:2]), np.mean(before[2:])], rtol=1e-12)
        with torch.no_grad():
            final = float(torch.mean((ref(Xg) - yg) ** 2))
        assert hists[g]["train"][-1] == pytest.approx(final, rel=1e-12)
    assert not torch.equal(nets[0][0].weight, mlp.make_mlp(frozen_biases=False, seed=1)[0].weight)  # it trained


# ---------------------------------------------------------------------------- equilibrium
def test_equilibrium_exact_ratios(equilibrium_quick):
    conv = equilibrium_quick["conventions"]
    ns = np.asarray(equilibrium_quick["n_sticks"])
    for e in conv["fdt"]["exact"]:
        assert math.isclose(e["kinetic"], 1.0, rel_tol=1e-8) and math.isclose(e["position"], 1.0, rel_tol=1e-8)
    paper = np.array([e["kinetic"] for e in conv["paper"]["exact"]])
    np.testing.assert_allclose(paper, 2 * ns / (3 * (ns + 1)), rtol=1e-8)  # energy balance, independently
    assert math.isclose(paper[0], 1 / 3, rel_tol=1e-8)  # one stick: ⟨K⟩ = k_BT/3 instead of k_BT
    assert all(e["position"] < 0.5 for e in conv["paper"]["exact"])


def test_equilibrium_simulation_matches_exact(equilibrium_quick):
    for noise, rows in equilibrium_quick["conventions"].items():
        for e, s in zip(rows["exact"], rows["simulated"]):
            for key in ("kinetic", "position"):
                assert abs(s[key] - e[key]) < 5 * s[key + "_se"] + 0.01, (noise, key, s, e)


def test_paper_kinetic_energy_balance_holds_in_two_dimensions():
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (30, 2))
    system = System(Grid((2, 3), (0, 0), (1, 1)), mass=2.0, stiffness=3.0, friction=0.7, temperature=1.3,
                    noise="paper", X=X, y=rng.normal(size=30))
    N = system.n_dof
    Sigma = stationary_covariance(system)
    kinetic = 0.5 * np.trace(system.mass_matrix.toarray() @ Sigma[N:, N:])
    assert math.isclose(kinetic / (N * 1.3 / 2), equilibrium.paper_kinetic_ratio(system), rel_tol=1e-8)


# ---------------------------------------------------------------------------- fit + plumbing
def test_fit_quick_writes_figures_and_relaxes_to_least_squares(tmp_path):
    r = REPRODUCTIONS["fit"](out=tmp_path, quick=True)
    assert r["fit1d"]["max_height_diff"] < 1e-8
    assert r["fit1d"]["first_law_rel_error"] < 1e-2
    assert r["fit2d"]["train_mse"][-1] < 5e-3 and r["fit2d"]["train_mse"][-1] >= r["fit2d"]["least_squares_train"]
    assert len(r["figures"]) == 2
    for f in r["figures"]:
        with open(f, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "fit_quick.json").read_text())
    assert saved["fit1d"] == r["fit1d"] and saved["quick"] is True


def test_jsonable_and_table():
    out = jsonable({"a": np.float64(np.nan), "b": np.arange(3), "c": (np.int64(2), np.bool_(True))})
    assert out == {"a": None, "b": [0, 1, 2], "c": [2, True]}
    json.dumps(out)
    text = format_table(["name", "x"], [["long name", "1.0"], ["y", "22.5"]], title="T")
    lines = text.splitlines()
    assert lines[0] == "T" and len({len(line) for line in lines[1:]}) == 1


def test_a_reproduction_cut_short_by_ctrl_c_raises_instead_of_reporting_a_truncated_run(monkeypatch, tmp_path):
    import ss_mech.solvers as solvers

    real = solvers.simulate

    def interrupted(system, **kw):  # what the solver returns after Ctrl-C: fewer output times, flagged
        traj = real(system, **kw)
        traj.meta["interrupted"] = True
        return traj

    monkeypatch.setattr(solvers, "simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        REPRODUCTIONS["scaling"](out=tmp_path, quick=True)
    assert not list(tmp_path.glob("*.json"))  # no result file claims a finished run
