"""Geometry, element list and operators against hand-derived values."""
import numpy as np
import pytest

from ss_mech import Grid, System
from ss_mech.grid import OutsideGridWarning


def test_node_order_is_c_order_over_axes_then_labels():
    g = Grid((2, 3), (0.0, 0.0), (2.0, 3.0))
    nodes = g.node_coordinates()
    # node (i, j) sits at index i*(n2+1) + j and at coordinates (i, j) for unit spacing
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(nodes[i * 4 + j], [i, j])
    s = System(g, n_labels=2)
    assert s.n_dof == 12 * 2


def test_stick_count_and_pairs():
    g = Grid((2, 3), (0, 0), (1, 1))
    pairs, axis = g.sticks()
    assert len(pairs) == 2 * 4 + 3 * 3  # n1·(n2+1) + (n1+1)·n2
    assert np.all(pairs[axis == 0, 1] - pairs[axis == 0, 0] == 4)
    assert np.all(pairs[axis == 1, 1] - pairs[axis == 1, 0] == 1)


@pytest.mark.parametrize("n", [(5,), (3, 4), (2, 2, 3)])
def test_interpolation_is_exact_for_multilinear_functions(n):
    d = len(n)
    g = Grid(n, (0.0,) * d, (1.0,) * d)
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (50, d))
    W = g.interpolation_matrix(X)
    assert W.shape == (50, g.n_nodes)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    assert np.all(np.diff(W.indptr) <= 2 ** d)
    coeffs = rng.normal(size=d + 1)
    f = lambda u: coeffs[0] + u @ coeffs[1:] + (np.prod(u, axis=1) if d > 1 else 0)  # multilinear
    np.testing.assert_allclose(W @ f(g.node_coordinates()), f(X), atol=1e-12)


def test_points_outside_the_box_error_or_clip():
    g = Grid((4,), (0.0,), (1.0,))
    with pytest.raises(ValueError, match="outside the grid box"):
        g.interpolation_matrix([[1.5]])
    with pytest.warns(OutsideGridWarning):
        W = g.interpolation_matrix([[1.5], [-1.0]], outside="clip")
    np.testing.assert_allclose(W.toarray()[0, -1], 1.0)
    np.testing.assert_allclose(W.toarray()[1, 0], 1.0)


def test_mass_matrix_from_elements_matches_stick_blocks():
    g = Grid((3,), (0.0,), (1.0,))
    s = System(g, mass=3.0, friction=2.0)
    m_s = 1.0
    expected = np.zeros((4, 4))
    for a in range(3):
        expected[a:a + 2, a:a + 2] += m_s / 6 * np.array([[2, 1], [1, 2]])
    np.testing.assert_allclose(s.mass_matrix.toarray(), expected, atol=1e-15)
    np.testing.assert_allclose(s.damping_matrix.toarray(), 2.0 * expected, atol=1e-15)


def test_rigid_motion_kinetic_energy(grid2d_system):
    s = grid2d_system
    # Rigid translation of a 1-D chain at speed u: K = ½ M_total u² with the authors' m_s.
    g = Grid((5,), (0.0,), (1.0,))
    chain = System(g, mass=2.0)
    np.testing.assert_allclose(chain.kinetic(np.full(6, 3.0)), 0.5 * 2.0 * 9.0)
    # In 2-D every stick translates: K = ½ m_s u² × number of sticks.
    n_sticks = len(s.grid.sticks()[0])
    v = np.tile([1.5, 0.0], s.grid.n_nodes)  # label 0 moves, label 1 rests
    np.testing.assert_allclose(s.kinetic(v), 0.5 * s.stick_mass * 1.5 ** 2 * n_sticks)


def test_springs_give_k_WtW_and_mse(grid2d_system):
    s = grid2d_system
    W = s.W.toarray()
    K = s.stiffness_matrix.toarray()
    for label in range(2):
        np.testing.assert_allclose(K[label::2, label::2], s.stiffness * W.T @ W, atol=1e-12)
    np.testing.assert_allclose(K[0::2, 1::2], 0.0)  # labels never couple
    x = np.random.default_rng(0).normal(size=s.n_dof)
    H = x.reshape(-1, 2)
    np.testing.assert_allclose(s.mse(x), np.mean((W @ H - s.y) ** 2))
    U_quadratic = 0.5 * x @ K @ x - s.force_offset @ x + 0.5 * s.stiffness * np.sum(s.y ** 2)
    np.testing.assert_allclose(s.potential(x), U_quadratic)


@pytest.mark.parametrize("kwargs, match", [
    (dict(mass=0.0), "mass must be > 0"),
    (dict(stiffness=-1.0), "stiffness must be > 0"),
    (dict(friction=-0.1), "friction must be >= 0"),
    (dict(temperature=-1.0), "temperature must be >= 0"),
    (dict(kb=0.0), "kb must be > 0"),
    (dict(noise="white"), "noise must be one of"),
    (dict(n_labels=0), "n_labels must be an integer >= 1"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        System(Grid((2,), (0.0,), (1.0,)), **kwargs)


@pytest.mark.parametrize("X, y, match", [
    ([[0.1], [np.nan]], [1.0, 2.0], "X contains a non-finite value"),
    ([[0.1], [0.2]], [1.0, np.inf], "y contains a non-finite value"),
    ([[0.1], [0.2]], [1.0, 2.0, 3.0], r"y must have shape \(2, 1\)"),
    ([[0.1, 0.2]], [1.0], "X has 2 columns"),
    (np.zeros((0, 1)), np.zeros(0), "X is empty"),
])
def test_bad_data_is_named(X, y, match):
    with pytest.raises(ValueError, match=match):
        System(Grid((2,), (0.0,), (1.0,)), X=X, y=y)


@pytest.mark.parametrize("n, match", [((0,), "n_sticks\\[0\\] must be an integer >= 1"), ((2.5,), "n_sticks")])
def test_bad_grids(n, match):
    with pytest.raises(ValueError, match=match):
        Grid(n, (0.0,), (1.0,))
    with pytest.raises(ValueError, match="must exceed"):
        Grid((2,), (1.0,), (1.0,))


def test_wrong_label_count():
    with pytest.raises(ValueError, match=r"n_labels=2"):
        System(Grid((2,), (0.0,), (1.0,)), n_labels=2, X=[[0.5]], y=[[1.0]])


def test_with_params_changes_physics_and_keeps_data(sine_system):
    cold = sine_system.with_params(temperature=0.0, friction=2.0)
    assert (cold.temperature, cold.friction, cold.mass) == (0.0, 2.0, sine_system.mass)
    np.testing.assert_array_equal(cold.X, sine_system.X)
    np.testing.assert_array_equal(cold.stiffness_matrix.toarray(), sine_system.stiffness_matrix.toarray())
    np.testing.assert_allclose(cold.damping_matrix.toarray(), 2.0 * cold.mass_matrix.toarray())
    with pytest.raises(ValueError, match="unknown parameter 'temprature'"):
        sine_system.with_params(temprature=1.0)
    with pytest.raises(ValueError, match="friction must be >= 0"):
        sine_system.with_params(friction=-1.0)


def test_interpolation_csr_is_canonical_and_sums_to_one():
    """W is written directly as CSR: sorted, duplicate-free rows of 2^d corners, each summing to one."""
    from ss_mech import Grid

    rng = np.random.default_rng(3)
    g = Grid((3, 4, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    X = rng.uniform(0, 1, (50, 3))
    X[0] = 1.0  # the upper corner of the box: its cell is the last one
    W = g.interpolation_matrix(X)
    assert W.has_canonical_format and W.shape == (50, g.n_nodes) and np.all(np.diff(W.indptr) == 8)
    np.testing.assert_allclose(np.asarray(W.sum(axis=1)).ravel(), 1.0, rtol=1e-14)
    assert W[0, g.n_nodes - 1] == pytest.approx(1.0)


@pytest.mark.parametrize("n_labels", [1, 2])
def test_spring_force_and_dense_stiffness_match_their_definitions(n_labels):
    """b = k Wᵀy and K = k WᵀW per label: the bincount force and the dense stiffness the exact
    solver builds per batch equal the sparse products (label-major within a node)."""
    from ss_mech.oracles import _dense_stiffness

    rng = np.random.default_rng(5)
    g = Grid((3, 2), (0.0, 0.0), (1.0, 1.0))
    X, y = rng.uniform(0, 1, (7, 2)), rng.normal(size=(7, n_labels))
    s = System(g, n_labels=n_labels, stiffness=2.5, X=X, y=y)
    W = g.interpolation_matrix(X).toarray()
    K_label = 2.5 * W.T @ W
    K = np.zeros((s.n_dof, s.n_dof))
    b = np.zeros(s.n_dof)
    for label in range(n_labels):
        K[label::n_labels, label::n_labels] = K_label
        b[label::n_labels] = 2.5 * W.T @ y[:, label]
    np.testing.assert_allclose(s.force_offset, b, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(_dense_stiffness(s), K, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(s.stiffness_matrix.toarray(), K, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape, n_labels", [((5,), 1), ((3, 2), 2), ((2, 2, 2), 1)])
def test_subset_equals_attaching_those_points(shape, n_labels):
    """A mini-batch's springs as rows of the attached data equal attaching those points anew."""
    rng = np.random.default_rng(2)
    d = len(shape)
    g = Grid(shape, (0.0,) * d, (1.0,) * d)
    X, y = rng.uniform(0, 1, (30, d)), rng.normal(size=(30, n_labels))
    X[0] = 1.0  # the far corner: the last cell
    s = System(g, n_labels=n_labels, stiffness=1.5, friction=2.0, X=X, y=y)
    rows = np.array([7, 0, 29, 3, 3])
    sub, ref = s.subset(rows), s.with_data(X[rows], y[rows])
    assert (sub.W != ref.W).nnz == 0 and sub.W.shape == ref.W.shape
    np.testing.assert_array_equal(sub.y, ref.y)
    np.testing.assert_array_equal(sub.stiffness_matrix.toarray(), ref.stiffness_matrix.toarray())
    np.testing.assert_array_equal(sub.force_offset, ref.force_offset)
    assert sub.mass_matrix is s.mass_matrix  # the sticks are shared, not rebuilt
    with pytest.raises(ValueError, match="no data springs"):
        System(g).subset(rows)
    with pytest.raises(ValueError, match="rows must be a 1-D array of point indices"):
        s.subset(np.array([0.5]))


def test_a_uniform_perturbation_is_a_change_of_parameters():
    """Factors 2 on every inertia and damper and 3 on every spring: the machine of mass 2 and
    stiffness 3 (same γ); the perturbation survives with_data / with_params, and lever factors
    change the lever coefficients, element by element."""
    from ss_mech.perturbation import Perturbation

    X = np.array([[0.1], [0.5], [0.9]])
    y = np.array([0.2, -0.1, 0.4])
    base = System(Grid((2,), (0.0,), (1.0,)), X=X, y=y, friction=0.7)
    names = [g.name for g in base.elements if g.kind != "spring"]
    p = Perturbation(values={**{n: np.full(2, 2.0) for n in names}, "data spring": np.full(5, 3.0)})
    pert, ref = base.with_perturbation(p), base.with_params(mass=2.0, stiffness=3.0)
    for kind in ("inertia", "damper", "spring"):
        assert np.allclose(pert.elements.matrix(kind).toarray(), ref.elements.matrix(kind).toarray())
    x = np.array([0.3, 0.1, -0.2])
    assert pert.potential(x) == pytest.approx(ref.potential(x)) and pert.mse(x) == pytest.approx(ref.mse(x))
    assert pert.with_data(X[:2], y[:2]).perturbation is p and pert.with_params(temperature=1.0).perturbation is p
    assert np.allclose(pert.with_data(X[:2], y[:2]).stiffness_matrix.toarray(),
                       ref.with_data(X[:2], y[:2]).stiffness_matrix.toarray())
    g = Perturbation(levers={"stick translation": np.array([[1.1, 0.9], [1.0, 1.0]])})
    lev = base.with_perturbation(g).elements.of_kind("inertia")[0].levers.toarray()
    assert np.allclose(lev[0, :2], [0.55, 0.45]) and np.allclose(lev[1, 1:], [0.5, 0.5])
    with pytest.raises(ValueError, match="no element group named"):
        base.with_perturbation(Perturbation(values={"sticks": np.ones(2)}))
    with pytest.raises(ValueError, match="2 entries, 3 needed"):
        base.with_perturbation(Perturbation(values={"data spring": np.ones(2)}))
