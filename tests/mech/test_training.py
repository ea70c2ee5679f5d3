"""Mini-batch training and the regressor that runs it (ss_mech.training, ss_mech.regressor)."""
import numpy as np
import pytest

from ss_mech import Grid, System
from ss_mech.regressor import NotFittedError, SpringsSticksRegressor
from ss_mech.training import train


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 2 * np.pi, (n, 1))
    return X, np.sin(X[:, 0])


def test_regressor_contract_and_learning():
    X, y = _data()
    Xt, yt = _data(seed=1)
    reg = SpringsSticksRegressor(5, friction=4.0, epochs=6, batch_size=16, time_per_batch=0.5, u_min=0, u_max=2 * np.pi)
    assert reg.fit(X, y, eval_set=(Xt, yt)) is reg
    assert reg.predict(X).shape == (48,)
    assert reg.heights_.shape == (6, 1) and reg.n_features_in_ == 1 and reg.n_outputs_ == 1
    h = reg.history_
    assert len(h["train_mse"]) == 7 and h["train_mse"][-1] < 0.1 * h["train_mse"][0]
    assert h["test_mse"][-1] == pytest.approx(reg.mse(Xt, yt))  # truly held out
    assert reg.score(X, y) > 0.9
    # 48 points in batches of 16, reshuffled each epoch: every epoch uses every point once
    assert len(reg.batches_) == 18 and all(len(b) == 16 for b in reg.batches_)
    np.testing.assert_array_equal(np.sort(np.concatenate(reg.batches_[:3])), np.arange(48))
    with pytest.raises(NotFittedError, match="not fitted") as info:
        SpringsSticksRegressor().predict(X)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AttributeError)
    with pytest.raises(ValueError, match="X has 2 features"):
        reg.predict(np.zeros((3, 2)))


def test_training_is_reproducible_and_books_protocol_work():
    X, y = _data(32)
    system = System(Grid((4,), (0.0,), (2 * np.pi,)), friction=3.0, temperature=0.01)
    kw = dict(batch_size=8, epochs=2, time_per_batch=0.3, seed=4, samples=2, n_out_per_batch=4,
              method="heun", dt=1e-3)
    a, b = train(system, X, y, **kw), train(system, X, y, **kw)
    np.testing.assert_array_equal(a.x, b.x)
    tr = a.trajectory
    assert len(a.batches) == 8
    # switching springs changes the potential at fixed state: that jump is the protocol work
    jumps = tr.potential[4::4] - tr.potential[3::4][: len(tr.potential[4::4])]
    np.testing.assert_allclose(tr.protocol_work[-1], jumps.sum(0), rtol=1e-10)
    # first law across all switches, to integrator accuracy (heun, dt = 1e-3)
    assert np.abs(tr.closure()[-1]).max() < 0.01 * tr.dissipated[-1].mean()


def test_multilabel_2d_fit():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (60, 2))
    Y = np.stack([X[:, 0] + X[:, 1], X[:, 0] * X[:, 1]], axis=1)
    reg = SpringsSticksRegressor((2, 2), friction=4.0, epochs=8, time_per_batch=1.0, u_min=0, u_max=1).fit(X, Y)
    assert reg.predict(X).shape == (60, 2)
    assert reg.mse(X, Y) < 5e-3  # both targets are bilinear: the 2×2 grid represents them
