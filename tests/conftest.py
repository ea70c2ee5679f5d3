import numpy as np
import pytest
import torch

# The test systems are tiny: one thread avoids OpenMP spin-waiting on a 2-core machine
# (measured: a 3×3 mat-mul on 3000 columns took 15 ms with 2 busy threads, 0.01 ms with 1).
torch.set_num_threads(1)

from ss_mech import Grid, System


@pytest.fixture
def sine_system():
    """The demo: 1-D, 4 sticks on [0, 2π], 12 points of a sine, friction 4."""
    X = np.linspace(0.2, 6.1, 12)[:, None]
    return System(Grid((4,), (0.0,), (2 * np.pi,)), friction=4.0, X=X, y=np.sin(X))


@pytest.fixture
def grid2d_system():
    """2-D, 3×2 sticks, two labels, random points: exercises ordering and label blocks."""
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (30, 2))
    y = np.stack([X[:, 0] * X[:, 1], np.sin(3 * X[:, 0])], axis=1)
    return System(Grid((3, 2), (0.0, 0.0), (1.0, 1.0)), n_labels=2, friction=3.0, X=X, y=y)
