"""The springs-and-sticks Langevin equation as a torchsde model.

State ``y = [x, v]`` (samples × 2N). With ``F(x, v) = −K x + b − Γ v``::

    dx = v dt
    dv = M⁻¹ F(x, v) dt + M⁻¹ G dW      (fdt:   G = C_dᵀ diag(√(2 k_B T r_e)), one W per damper)
    dv = M⁻¹ F(x, v) dt + σ dW          (paper: σ = √(2 k_B T γ / m_s),      one W per dof)

The diffusion does not depend on the state, so the noise is declared ``additive`` — truthfully;
Itô and Stratonovich readings coincide and ``sde_type`` only selects which torchsde solvers
accept the model. The diffusion is applied as a product (``g_prod``), ``M⁻¹`` by
:class:`~ss_mech.solvers.torchsde.linalg.MassSolver`, and ``f_and_g_prod`` solves for the drift
and the noise kick together (one solve, two column blocks). Operators are dense tensors up to
:data:`~ss_mech.solvers.torchsde.linalg.DENSE_MAX_DOF` degrees of freedom (where a sparse
product's call overhead would dominate) and sparse CSR above: nothing of size N × N is formed
for a large system.
"""
from __future__ import annotations

import torch

from ...mass import node_mass_factor
from ...system import System
from .linalg import MassSolver, to_torch_operator

__all__ = ["LangevinSDE"]


class LangevinSDE(torch.nn.Module):
    """torchsde model of a :class:`~ss_mech.system.System`.

    Parameters
    ----------
    system : System
    sde_type : {'ito', 'stratonovich'}
        Which solver family may integrate it (the SDE is the same for additive noise).
    dtype, device : torch dtype and device of the state.
    mass_solver : {'auto', 'direct', 'dense', 'cg'}
        How ``M⁻¹`` is applied (see :class:`~ss_mech.solvers.torchsde.linalg.MassSolver`).

    Attributes
    ----------
    n_drift, n_diffusion : int
        Evaluations of the drift and of the diffusion product so far.
    """

    noise_type = "additive"

    def __init__(self, system: System, *, sde_type: str = "ito", dtype=torch.float64, device="cpu",
                 mass_solver: str = "auto"):
        super().__init__()
        self.sde_type = sde_type
        self.system = system
        self.N = system.n_dof
        kw = dict(dtype=dtype, device=device)
        key = (str(dtype), str(device), mass_solver)
        # per-element parts break M = M_nodes ⊗ I_m: a perturbed machine solves with its whole M
        labels = system.n_labels if system.perturbation is None else 1
        self.mass = system.shared(("mass_solver",) + key, lambda: MassSolver(
            system.mass_matrix, method=mass_solver, n_labels=labels, factor=lambda: node_mass_factor(system), **kw))
        self.M = system.shared(("M_torch",) + key, lambda: to_torch_operator(system.mass_matrix, **kw))
        self.Gamma = (system.shared(("Gamma_torch",) + key, lambda: to_torch_operator(system.damping_matrix, **kw))
                      if system.elements.of_kind("damper") else None)
        self.K = to_torch_operator(system.stiffness_matrix, **kw) if system.n_points else None
        self.b = torch.as_tensor(system.force_offset, **kw)[:, None]
        self.noise_dim = system.noise_dim
        if system.thermal and system.noise == "fdt":
            self.Cd_T = system.shared(("Cd_T",) + key, lambda: to_torch_operator(system.damper_levers.T.tocsr(), **kw))
            self.amp = torch.as_tensor(system.noise_amplitudes(), **kw)[:, None]
        elif system.thermal:
            self.sigma = float(system.noise_amplitudes()[0])
        self.n_drift = 0
        self.n_diffusion = 0
        self._kick_rows, self._kicks = None, {}

    # --- the kicks of a chunk's increments, kept for the noise-work pass -------------------
    def remember_kicks(self, increments: torch.Tensor | None) -> None:
        """Keep the velocity kick ``M⁻¹GΔW_n`` the scheme computes for each row ``n`` of
        ``increments`` (steps × S × n_noise: the chunk the Brownian object serves, whose rows the
        scheme receives as views), so that the noise-work pass reads them instead of solving with
        M again — a third of the mass solves of a step (the kick does not depend on the state).
        Only a view of a row is recognised; ``None`` forgets them."""
        self._kick_rows, self._kicks = increments, {}

    def _memo(self, dW: torch.Tensor, dv: torch.Tensor) -> None:
        rows = self._kick_rows
        if (rows is not None and dW.shape == rows.shape[1:] and dW.stride() == rows.stride()[1:]
                and dW.untyped_storage().data_ptr() == rows.untyped_storage().data_ptr()):
            n, rest = divmod(dW.storage_offset() - rows.storage_offset(), rows.stride(0))
            if rest == 0 and 0 <= n < rows.shape[0]:
                self._kicks[n] = dv.contiguous()  # its own storage: a view would keep the whole solve alive

    def kicks(self) -> torch.Tensor | None:
        """The remembered kicks of every row (steps × S × N), or None if a row's is missing."""
        rows = self._kick_rows
        if rows is None or len(self._kicks) != rows.shape[0]:
            return None
        return torch.stack([self._kicks[n] for n in range(rows.shape[0])])

    # --- helpers on column blocks (N × S) -------------------------------------------------
    def force(self, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """F = −K x + b − Γ v for column blocks x, v (N × S)."""
        F = self.b - self.K @ x if self.K is not None else self.b.expand_as(x).clone()
        if self.Gamma is not None:
            F = F - self.Gamma @ v
        return F

    def noise_force(self, dW: torch.Tensor) -> torch.Tensor:
        """The thermal impulse ``G dW`` on the coordinates (N × S) for increments dW (S × n_noise).

        For ``paper`` noise (a velocity kick σ dW) the equivalent impulse is ``M σ dW``.
        """
        if self.noise_dim == 0:
            return torch.zeros(self.N, dW.shape[0], dtype=dW.dtype, device=dW.device)
        if self.system.noise == "fdt":
            return self.Cd_T @ (self.amp * dW.T)
        return self.M @ (self.sigma * dW.T)

    def _split(self, y):
        return y[:, : self.N].T, y[:, self.N:].T

    # --- torchsde interface ----------------------------------------------------------------
    def f(self, t, y):
        self.n_drift += 1
        x, v = self._split(y)
        a = self.mass.solve(self.force(x, v))
        return torch.cat([v.T, a.T], dim=1)

    def g_prod(self, t, y, dW):
        self.n_diffusion += 1
        dv = self._kick(dW)
        return torch.cat([torch.zeros_like(dv), dv], dim=1)

    def _kick(self, dW):
        if self.noise_dim == 0:
            return torch.zeros(dW.shape[0], self.N, dtype=dW.dtype, device=dW.device)
        if self.system.noise == "paper":
            return self.sigma * dW
        dv = self.mass.solve(self.noise_force(dW)).T
        self._memo(dW, dv)
        return dv

    def f_and_g_prod(self, t, y, dW):
        if self.noise_dim == 0 or self.system.noise == "paper":
            return self.f(t, y), self.g_prod(t, y, dW)
        self.n_drift += 1
        self.n_diffusion += 1
        x, v = self._split(y)
        S = x.shape[1]
        sol = self.mass.solve(torch.cat([self.force(x, v), self.noise_force(dW)], dim=1))
        a, dv = sol[:, :S].T, sol[:, S:].T
        self._memo(dW, dv)
        return torch.cat([v.T, a], dim=1), torch.cat([torch.zeros_like(dv), dv], dim=1)
