"""The element list: the one physical description both backends consume.

Every element ``e`` has a kind, a value and a *lever* ``c_e`` over the degrees of freedom;
its coordinate is ``ξ_e = c_e·x`` (minus an offset ``y_e`` for springs). The mechanical
matrices are sums over elements (DESIGN.md §2)::

    inertia  (value m):  M += m c cᵀ          kinetic energy ½ m (c·v)²
    damper   (value r):  Γ += r c cᵀ          drag force −r (c·v) c, thermal force of PSD 2 k_B T r
    spring   (value k):  K += k c cᵀ          potential energy ½ k (c·x − y)²

A stick between nodes a and b contributes, per label, a translation inertia ``m_s`` with
lever (½, ½), a rotation inertia ``m_s/12`` with lever (−1, +1), and a damper of each kind
with ``r = γ × inertia``; ``m_s·(¼,¼;¼,¼) + m_s/12·(1,−1;−1,1) = m_s/6·[[2,1],[1,2]]``.
A data point j pulls on label l through a spring with lever ``W_j`` (its interpolation
row) and offset ``y_jl``.

Elements of one kind and shape are stored together as an :class:`ElementGroup` whose
levers form a sparse matrix (elements × degrees of freedom), so a grid of a million sticks
is a handful of arrays, not a million objects. ``ElementGroup.describe(i)`` names what an
element stands for (netlists print it as a comment).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterator, Mapping

import numpy as np
import scipy.sparse as sp

from .grid import Grid

__all__ = ["ElementGroup", "ElementList", "KINDS", "stick_elements", "spring_elements"]

KINDS = ("inertia", "damper", "spring")


@dataclass(frozen=True)
class ElementGroup:
    """Elements of one kind that share a construction rule.

    Attributes
    ----------
    kind : {'inertia', 'damper', 'spring'}
    name : str
        What the group is, e.g. ``'stick translation'``.
    values : ndarray (E,)
        Mass (inertia), drag coefficient r (damper) or stiffness k (spring), in mechanical units
        (the data springs' one k is a read-only broadcast: copy before changing one element).
    levers : scipy.sparse.csr_matrix (E, N)
        Row e is the lever ``c_e`` over the N degrees of freedom.
    offsets : ndarray (E,) or None
        Spring rest offsets ``y_e`` (the data targets); ``None`` for other kinds.
    meta : mapping of str to ndarray
        Per-element integers saying what the element stands for (``stick``, ``node_a``,
        ``node_b``, ``label`` for sticks; ``point``, ``label`` for springs).
    series : str or None
        For a damper that shares its lever, element by element, with an inertia group: that
        group's name (e.g. an inductor's series resistance, :mod:`ss_mech.perturbation`). A
        circuit may draw it in series with the inductor; the mechanics does not care.
    """

    kind: str
    name: str
    values: np.ndarray
    levers: sp.csr_matrix
    offsets: np.ndarray | None = None
    meta: Mapping = field(default_factory=dict)
    series: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.levers.shape[0] != self.values.shape[0]:
            raise ValueError("one lever row per element value is required")

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def matrix(self) -> sp.csr_matrix:
        """``Σ_e value_e c_e c_eᵀ`` (N × N, sparse)."""
        C = self.levers
        v = self.values
        if v.size and np.all(v == v[0]):  # one value for the whole group (every data spring): one product
            return (float(v[0]) * (C.T @ C)).tocsr()
        return (C.T @ sp.diags(v) @ C).tocsr()

    def describe(self, i: int) -> str:
        """One line saying which stick, node or data point element ``i`` stands for."""
        m = {k: int(v[i]) for k, v in self.meta.items()}
        if "stick" in m:
            return f"{self.name}: stick {m['stick']} (nodes {m['node_a']}-{m['node_b']}), label {m['label']}"
        if "point" in m:
            return f"{self.name}: data point {m['point']}, label {m['label']}"
        return f"{self.name} {i}"


@dataclass(frozen=True)
class ElementList:
    """All elements of one system (an ordered tuple of groups) over ``n_dof`` coordinates."""

    n_dof: int
    groups: tuple[ElementGroup, ...]

    def __iter__(self) -> Iterator[ElementGroup]:
        return iter(self.groups)

    def of_kind(self, kind: str) -> tuple[ElementGroup, ...]:
        return tuple(g for g in self.groups if g.kind == kind)

    def matrix(self, kind: str) -> sp.csr_matrix:
        """Sum of the groups' matrices of one kind: M (inertia), Γ (damper) or K (spring)."""
        groups = self.of_kind(kind)
        if not groups:
            return sp.csr_matrix((self.n_dof, self.n_dof))
        total = groups[0].matrix()
        for g in groups[1:]:
            total = total + g.matrix()
        return total.tocsr()

    def spring_force_offset(self) -> np.ndarray:
        """``Σ_springs k_e y_e c_e``: the constant part of the spring force (N,)."""
        b = np.zeros(self.n_dof)
        for g in self.of_kind("spring"):
            C = g.levers.tocsr()
            # Cᵀw entry by entry (no transposed copy of C: scipy builds one per product, ~60 µs a batch)
            w = np.repeat(g.values * g.offsets, np.diff(C.indptr))
            b += np.bincount(C.indices, weights=C.data * w, minlength=self.n_dof)
        return b

    def count(self) -> dict[str, int]:
        return {kind: sum(len(g) for g in self.of_kind(kind)) for kind in KINDS}

    def with_springs(self, springs: ElementGroup | None) -> "ElementList":
        """The same mechanical elements with the spring group replaced by ``springs``."""
        kept = tuple(g for g in self.groups if g.kind != "spring")
        return ElementList(self.n_dof, kept + ((springs,) if springs is not None else ()))


def _per_label(rows_a, rows_b, ca, cb, n_labels, n_dof):
    """Lever matrix with one row per (stick, label): ``ca`` on node a, ``cb`` on node b."""
    S = rows_a.size
    labels = np.arange(n_labels)
    a = (rows_a[:, None] * n_labels + labels).reshape(-1)
    b = (rows_b[:, None] * n_labels + labels).reshape(-1)
    r = np.arange(S * n_labels)
    data = np.concatenate([np.full(r.size, ca), np.full(r.size, cb)])
    return sp.csr_matrix((data, (np.concatenate([r, r]), np.concatenate([a, b]))), shape=(r.size, n_dof))


def stick_elements(grid: Grid, n_labels: int, mass: float, friction: float) -> tuple[ElementGroup, ...]:
    """Inertia and drag of every stick: four groups (translation/rotation × inertia/damper).

    ``mass`` is the total mass M; each stick weighs ``m_s = M / Π n_i`` (the authors'
    convention). ``friction`` is the rate γ: dampers are ``r = γ·m`` so that ``Γ = γ M``.
    """
    nodes, axis = grid.sticks()
    n_dof = grid.n_nodes * n_labels
    m_s = mass / grid.n_cells
    S = nodes.shape[0]
    meta = {
        "stick": np.repeat(np.arange(S), n_labels),
        "node_a": np.repeat(nodes[:, 0], n_labels),
        "node_b": np.repeat(nodes[:, 1], n_labels),
        "label": np.tile(np.arange(n_labels), S),
    }
    trans = _per_label(nodes[:, 0], nodes[:, 1], 0.5, 0.5, n_labels, n_dof)
    rot = _per_label(nodes[:, 0], nodes[:, 1], -1.0, 1.0, n_labels, n_dof)
    E = S * n_labels
    groups = [
        ElementGroup("inertia", "stick translation", np.full(E, m_s), trans, meta=meta),
        ElementGroup("inertia", "stick rotation", np.full(E, m_s / 12.0), rot, meta=meta),
    ]
    if friction > 0:
        groups += [
            ElementGroup("damper", "translational drag", np.full(E, friction * m_s), trans, meta=meta),
            ElementGroup("damper", "rotational drag", np.full(E, friction * m_s / 12.0), rot, meta=meta),
        ]
    return tuple(groups)


class _SpringIndex(Mapping):
    """The ``meta`` of the data springs, ``point`` and ``label`` per spring (point-major), made
    when read: stored, they were two integer arrays the size of the data (42 MB at 2.6·10⁶
    points) that only :meth:`ElementGroup.describe` reads."""

    def __init__(self, n_points: int, n_labels: int):
        self._shape = (int(n_points), int(n_labels))

    def __getitem__(self, key):
        B, m = self._shape
        if key == "point":
            return np.repeat(np.arange(B), m)
        if key == "label":
            return np.tile(np.arange(m), B)
        raise KeyError(key)

    def __iter__(self):
        return iter(("point", "label"))

    def __len__(self):
        return 2


def spring_elements(W: sp.csr_matrix, y: np.ndarray, n_labels: int, stiffness: float) -> ElementGroup:
    """One spring per (data point, label): lever = interpolation row, offset = target.

    ``W`` is the (B × nodes) interpolation matrix of the points, ``y`` their targets (B × m).
    """
    B, n_nodes = W.shape
    meta = _SpringIndex(B, n_labels)
    # one stiffness for every spring: a read-only broadcast of k, not an array the size of the data
    values = np.broadcast_to(float(stiffness), (B * n_labels,))
    if n_labels == 1:  # the levers are W itself: share its storage rather than hold a second copy
        levers = W if type(W) is sp.csr_matrix else sp.csr_matrix(W)
        return ElementGroup("spring", "data spring", values, levers,
                            offsets=np.asarray(y, dtype=float).reshape(-1), meta=meta)
    W = W.tocoo()
    labels = np.arange(n_labels)
    rows = (W.row[:, None] * n_labels + labels).reshape(-1)
    cols = (W.col[:, None] * n_labels + labels).reshape(-1)
    data = np.repeat(W.data, n_labels)
    levers = sp.csr_matrix((data, (rows, cols)), shape=(B * n_labels, n_nodes * n_labels))
    return ElementGroup("spring", "data spring", values, levers,
                        offsets=np.asarray(y, dtype=float).reshape(-1), meta=meta)
