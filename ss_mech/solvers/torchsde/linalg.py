"""Sparse linear algebra in torch: CSR conversion and the mass-matrix solve.

Every drift evaluation needs ``M⁻¹ F``. Labels never couple and every label sees the same
sticks, so ``M = M_nodes ⊗ I_m`` (node order × labels): one factorisation of the node mass
matrix serves all labels, the right-hand side reshaped to (nodes, m·S). It is computed once per
grid (the solver is shared by every System made from the same sticks) and applied directly:

* ``'direct'`` (default above ``dense_max``): the machine's shared factorisation of ``M_nodes``
  (:mod:`ss_mech.mass`): in 1-D LAPACK's ``pttrf``/``pttrs`` (tridiagonal, O(nodes)); in 2-D and
  up a sparse LU with a minimum-degree order. CPU only.
* ``'dense'`` (default up to ``dense_max`` degrees of freedom): a precomputed ``M⁻¹`` (M is well
  conditioned, so the inverse is accurate), where any call overhead would dominate.
* ``'cg'``: Jacobi-preconditioned conjugate gradients, kept for other devices. The mass matrix is
  assembled from 2×2 stick blocks ``m_s/6·[[2,1],[1,2]]``, so Jacobi-scaled it has its spectrum in
  [½, 3/2] (Gershgorin): condition number ≤ 3, ≈ 22 iterations to 1e-13 whatever the size.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch

from ...mass import NodeMassFactor, spd_lu

__all__ = ["to_torch_csr", "to_torch_operator", "spd_lu", "MassSolver", "DENSE_MAX_DOF"]

#: operators of systems up to this many degrees of freedom are applied as dense tensors: at that
#: size a dense product costs a few microseconds, a sparse CSR product tens (call overhead)
DENSE_MAX_DOF = 256


def to_torch_csr(A: sp.spmatrix, *, dtype=torch.float64, device="cpu") -> torch.Tensor:
    """``A`` as a torch sparse CSR tensor; 32-bit indices when they fit (half the index memory of
    torch's default int64, and the same product)."""
    A = sp.csr_matrix(A)
    A.sort_indices()
    index = torch.int32 if max(A.nnz, *A.shape) < 2 ** 31 - 1 else torch.int64
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            torch.as_tensor(A.indptr, dtype=index), torch.as_tensor(A.indices, dtype=index),
            torch.as_tensor(A.data, dtype=dtype), size=A.shape, device=device, check_invariants=False)


def to_torch_operator(A: sp.spmatrix, *, dtype=torch.float64, device="cpu") -> torch.Tensor:
    """``A`` as the torch tensor that applies it fastest: dense up to :data:`DENSE_MAX_DOF` rows
    and columns, sparse CSR above (nothing of size N × N is formed for a large system)."""
    if max(A.shape) <= DENSE_MAX_DOF:
        return torch.as_tensor(sp.csr_matrix(A).toarray(), dtype=dtype, device=device)
    return to_torch_csr(A, dtype=dtype, device=device)


class MassSolver:
    """Solves ``M X = B`` for column blocks ``B`` (N × S) and counts the work.

    Parameters
    ----------
    M : scipy sparse (N × N), symmetric positive definite
    dtype, device : torch dtype and device of the right-hand sides
    rtol : float
        Relative residual ``‖MX − B‖ ≤ rtol ‖B‖`` per column at which CG stops
        (default 1e-13 in float64, 1e-6 in float32).
    method : {'auto', 'direct', 'dense', 'cg'}
        ``'auto'``: dense inverse for N ≤ ``dense_max``, the direct factorisation above (CG on
        a device other than the CPU). See the module docstring.
    n_labels : int
        Labels m, so that ``M = M_nodes ⊗ I_m`` (C order over nodes × labels).
    factor : callable, optional
        Returns the :class:`~ss_mech.mass.NodeMassFactor` of ``M_nodes`` for the direct method
        (called only when that method is used): the machine's shared one,
        :func:`ss_mech.mass.node_mass_factor`. Default: factorise ``M`` here.

    Attributes
    ----------
    n_solves, n_iterations : int
        Solves performed and CG iterations spent (0 for the dense path).
    """

    def __init__(self, M: sp.spmatrix, *, dtype=torch.float64, device="cpu", rtol: float | None = None,
                 method: str = "auto", dense_max: int = 512, maxiter: int = 500, n_labels: int = 1,
                 factor=None):
        N = M.shape[0]
        if method not in ("auto", "direct", "dense", "cg"):
            raise ValueError(f"method must be 'auto', 'direct', 'dense' or 'cg', got {method!r}")
        cpu = torch.device(device).type == "cpu"
        if method == "auto":
            method = "dense" if N <= dense_max else "direct" if cpu else "cg"
        if method == "direct" and not cpu:
            raise ValueError("the direct mass solve runs on the CPU; use method='cg' on other devices")
        self.method = method
        self.rtol = rtol if rtol is not None else (1e-13 if dtype == torch.float64 else 1e-6)
        self.maxiter = maxiter
        self.n_solves = 0
        self.n_iterations = 0
        self._dtype = dtype
        if self.method == "direct":
            self._m = int(n_labels)
            self.factor = factor() if factor is not None else NodeMassFactor(sp.csr_matrix(M)[:: self._m, :: self._m])
        elif self.method == "dense":
            Md = torch.as_tensor(M.toarray(), dtype=torch.float64)
            self._inv = torch.cholesky_inverse(torch.linalg.cholesky(Md)).to(dtype=dtype, device=device)
        else:
            self._M = to_torch_csr(M, dtype=dtype, device=device)
            self._dinv = torch.as_tensor(1.0 / M.diagonal(), dtype=dtype, device=device)[:, None]

    def solve(self, B: torch.Tensor) -> torch.Tensor:
        self.n_solves += 1
        if self.method == "dense":
            return self._inv @ B
        if self.method == "direct":
            return self._direct(B)
        return self._cg(B)

    def _direct(self, B: torch.Tensor) -> torch.Tensor:
        N, S = B.shape
        rhs = np.ascontiguousarray(B.detach().cpu().numpy(), dtype=np.float64).reshape(N // self._m, self._m * S)
        X = self.factor.solve(rhs)
        return torch.from_numpy(np.ascontiguousarray(X).reshape(N, S)).to(self._dtype)

    def _cg(self, B: torch.Tensor) -> torch.Tensor:
        M, dinv = self._M, self._dinv
        X = dinv * B
        R = B - M @ X
        bnorm2 = (B * B).sum(0)
        tol2 = (self.rtol ** 2) * bnorm2
        Z = dinv * R
        P = Z
        rz = (R * Z).sum(0)
        for _ in range(self.maxiter):
            if bool(((R * R).sum(0) <= tol2).all()):
                break
            self.n_iterations += 1
            AP = M @ P
            pAp = (P * AP).sum(0)
            alpha = torch.where(pAp > 0, rz / torch.where(pAp > 0, pAp, torch.ones_like(pAp)), torch.zeros_like(pAp))
            X = X + alpha * P
            R = R - alpha * AP
            Z = dinv * R
            rz_new = (R * Z).sum(0)
            beta = torch.where(rz > 0, rz_new / torch.where(rz > 0, rz, torch.ones_like(rz)), torch.zeros_like(rz))
            P = Z + beta * P
            rz = rz_new
        else:
            raise RuntimeError(f"mass-matrix CG did not reach rtol={self.rtol} in {self.maxiter} iterations")
        return X
