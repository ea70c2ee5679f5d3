"""SpringsSticksRegressor against scikit-learn's estimator contract (scikit-learn and pandas are test-only)."""
import inspect
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", minversion="1.6")  # expected_failed_checks, __sklearn_tags__
pd = pytest.importorskip("pandas")

from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

import ss_mech
from ss_mech.grid import OutsideGridWarning
from ss_mech.regressor import NotFittedError, SpringsSticksRegressor


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # The 10-feature checks spend their time in dense eigh (1024 nodes): with two OpenBLAS
    # threads on a busy 2-core machine that took 25x longer (57 s against 2.4 s per fit).
    with threadpool_limits(1):
        yield


# Settings for the checks. Some checks use 10 features, so one stick per axis (2^10 nodes);
# check_regressors_train wants R² > 0.5 on 200 points in 10-D, which a stiff machine reaches in
# one batch of 2 time units (R² = 0.72). Everything else is as cheap as it gets: one batch per fit.
CHECKED = SpringsSticksRegressor(1, stiffness=1000.0, friction=10.0, batch_size=256, epochs=1, time_per_batch=2.0)

#: check name -> why it cannot apply to the machine. None: every check applies and passes
#: (see "scikit-learn compatibility" in SpringsSticksRegressor's docstring).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


with warnings.catch_warnings():  # not inheriting from BaseEstimator is the point: no sklearn import
    warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
    _all_checks = parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)


@_all_checks
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideGridWarning)  # checks that predict off the training box
        check(estimator)


def _data(n=40, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, d))
    return X, np.sin(3 * X[:, 0]) + X[:, 1] ** 2


FAST = dict(friction=4.0, epochs=2, time_per_batch=0.5, batch_size=20)


def test_get_params_are_init_keywords_introspected():
    names = [p for p in inspect.signature(SpringsSticksRegressor.__init__).parameters if p != "self"]
    reg = SpringsSticksRegressor(3, seed=7, u_min=(0, 0))
    params = reg.get_params()
    assert list(params) == names
    assert params["n_sticks"] == 3 and params["seed"] == 7 and params["u_min"] == (0, 0)
    assert SpringsSticksRegressor(**params).get_params() == params

    class Extended(SpringsSticksRegressor):  # a new keyword is a parameter, no hand-kept list to edit
        def __init__(self, n_sticks=4, *, colour="red", **ignored):
            super().__init__(n_sticks)
            self.colour = colour

    assert list(Extended(colour="blue").get_params()) == ["n_sticks", "colour"]
    assert repr(Extended(colour="blue")) == "Extended(n_sticks=4, colour='blue')"
    assert Extended().set_params(colour="green").colour == "green"

    class Positional(SpringsSticksRegressor):
        def __init__(self, *args):
            super().__init__(*args)

    with pytest.raises(RuntimeError, match="by name"):
        Positional().get_params()


def test_set_params_validates_against_the_signature():
    reg = SpringsSticksRegressor()
    assert reg.set_params(epochs=3, friction=2.0) is reg
    assert reg.epochs == 3 and reg.friction == 2.0
    with pytest.raises(ValueError, match="'frcition'"):
        reg.set_params(frcition=2.0)
    with pytest.raises(ValueError, match="'x_'"):  # fitted attributes are not parameters
        reg.set_params(x_=np.zeros(3))
    assert reg.get_params()["friction"] == 2.0 and not hasattr(reg, "frcition")


def test_clone_is_unfitted_with_equal_params():
    X, y = _data()
    reg = SpringsSticksRegressor(3, seed=5, u_min=[0.0, 0.0], u_max=[1.0, 1.0], **FAST).fit(X, y)
    twin = clone(reg)
    assert twin is not reg and type(twin) is SpringsSticksRegressor
    assert twin.get_params() == reg.get_params()
    assert not hasattr(twin, "x_") and not hasattr(twin, "n_features_in_")
    with pytest.raises(NotFittedError, match="not fitted"):
        twin.predict(X)
    np.testing.assert_array_equal(twin.fit(X, y).predict(X), reg.predict(X))  # same seed, same machine


def test_not_fitted_error_is_value_and_attribute_error_and_sklearns():
    reg = SpringsSticksRegressor()
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(SklearnNotFittedError) as info:  # scikit-learn is loaded: its class too
        reg.predict(np.zeros((2, 1)))
    assert isinstance(info.value, NotFittedError) and "not fitted" in str(info.value)
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(reg)
    X, y = _data()
    check_is_fitted(reg.fit(X, y))


def test_pickle_round_trip_predicts_identically():
    X, y = _data()
    Xt, _ = _data(15, seed=1)
    reg = SpringsSticksRegressor(3, **FAST).fit(X, y)
    back = pickle.loads(pickle.dumps(reg))
    assert back.get_params() == reg.get_params() and back.n_features_in_ == 2
    np.testing.assert_array_equal(back.predict(Xt), reg.predict(Xt))
    np.testing.assert_array_equal(back.x_, reg.x_)


def test_pandas_input_matches_numpy_and_records_feature_names():
    X, y = _data()
    df, s = pd.DataFrame(X, columns=["u", "v"]), pd.Series(y, name="target")
    ref = SpringsSticksRegressor(3, **FAST).fit(X, y)
    reg = SpringsSticksRegressor(3, **FAST).fit(df, s)
    np.testing.assert_array_equal(reg.x_, ref.x_)
    np.testing.assert_array_equal(reg.predict(df), ref.predict(X))
    assert list(reg.feature_names_in_) == ["u", "v"] and not hasattr(ref, "feature_names_in_")
    assert reg.score(df, s) == pytest.approx(ref.score(X, y))
    with pytest.raises(ValueError, match="feature names should match"):
        reg.predict(df[["v", "u"]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        reg.predict(X)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        ref.predict(df)
    assert not hasattr(reg.fit(X, y), "feature_names_in_")  # refit on numpy forgets the names
    # a DataFrame target gives 2-D predictions, as a 2-D array does
    assert reg.fit(df, s.to_frame()).predict(df).shape == (40, 1)


def test_importing_the_regressor_does_not_import_sklearn():
    code = ("import sys, ss_mech.regressor as r; print(r.__file__); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'pandas')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    root = str(Path(ss_mech.__file__).resolve().parents[1])  # the ss_mech under test, not an installed one
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(root)
