"""torchsde Brownian objects: where the solvers get their increments from.

* :class:`StepBrownian` — seeded Gaussian increments on the step grid, drawn per block of steps:
  what every stochastic simulation uses (with the space-time Lévy area for ``srk``);
* :class:`ZeroBrownian` — no noise (T = 0);
* :class:`SampledBrownian` — the integral of a :class:`~ss_mech.noise.SampledNoise` (the signal a
  circuit is fed), for the pathwise comparison with a circuit.

This module holds the project's one import of torchsde's private Brownian base class.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torchsde._brownian.brownian_base import BaseBrownian

__all__ = ["StepBrownian", "ZeroBrownian", "SampledBrownian"]


class ZeroBrownian(BaseBrownian):
    """No noise (T = 0): every increment is zero. One channel, so torchsde's shapes hold."""

    __slots__ = ("_shape", "_dtype", "_device")

    def __init__(self, samples: int, dtype=torch.float64, device="cpu"):
        self._shape = (samples, 1)
        self._dtype = dtype
        self._device = torch.device(device)

    def __call__(self, ta, tb=None, return_U=False, return_A=False):
        z = torch.zeros(self._shape, dtype=self._dtype, device=self._device)
        if return_U and return_A:
            return z, z, z
        if return_U or return_A:
            return z, z
        return z

    def __repr__(self):
        return f"ZeroBrownian(shape={self._shape})"

    dtype = property(lambda self: self._dtype)
    device = property(lambda self: self._device)
    shape = property(lambda self: self._shape)
    levy_area_approximation = property(lambda self: "space-time")


class SampledBrownian(BaseBrownian):
    """torchsde adapter: increments of ``∫ξ dt`` for a :class:`SampledNoise` (no Lévy area)."""

    __slots__ = ("noise", "_dtype", "_device")

    def __init__(self, noise: SampledNoise, *, dtype=torch.float64, device="cpu"):
        self.noise = noise
        self._dtype = dtype
        self._device = torch.device(device)

    def __call__(self, ta, tb=None, return_U=False, return_A=False):
        if return_U or return_A:
            raise ValueError("sampled noise has no Lévy area: use method 'euler', 'heun' or 'midpoint'")
        ta = float(ta)
        inc = self.noise.integral_to(ta) if tb is None else self.noise.increment(ta, float(tb))
        return torch.as_tensor(inc, dtype=self._dtype, device=self._device)

    def __repr__(self):
        return f"SampledBrownian(samples={self.noise.samples}, n_noise={self.noise.n_noise}, dt_noise={self.noise.dt_noise})"

    dtype = property(lambda self: self._dtype)
    device = property(lambda self: self._device)
    shape = property(lambda self: (self.noise.samples, self.noise.n_noise))
    levy_area_approximation = property(lambda self: "none")


class StepBrownian(BaseBrownian):
    """Brownian increments on the uniform step grid ``t_n = n·h``, drawn per block of steps.

    Step ``n``'s increment ``ΔW_n ~ N(0, h)`` (and, for ``srk``, its space-time Lévy area
    ``H_n ~ N(0, h/12)``, so that torchsde's ``U = h(ΔW/2 + H)``) comes from block
    ``n // block`` of a generator seeded by ``(seed, block)``. The numbers therefore depend on
    the seed, the ensemble's shape and ``n`` only — never on how the run is chunked, how many
    output times are asked for, or how long the run is — and no interval tree is kept, so any
    number of steps works (torchsde's ``BrownianInterval`` recurses too deep beyond ~4·10⁴).

    The integrator calls :meth:`prepare` before each chunk of steps; torchsde then queries
    ``(t_n, t_{n+1})`` once per step, and the noise-work pass reads the same increments from
    :meth:`chunk` instead of querying again. A query off the grid is an error.
    """

    #: at most this many steps per block, and at most :data:`BLOCK_NUMBERS` numbers per block: the
    #: block length depends on the ensemble's shape only, so the increments stay independent of the
    #: chunking (a 512² grid has ~10⁶ dampers: one step per block, 8 MB, not 256 steps, 2 GB)
    BLOCK = 256
    BLOCK_NUMBERS = 1 << 20

    def __init__(self, h: float, *, samples: int, n_noise: int, seed: int, levy: bool, dtype=torch.float64,
                 device="cpu"):
        self.h = float(h)
        self.samples, self.n_noise = int(samples), int(n_noise)
        self.block = max(1, min(self.BLOCK, self.BLOCK_NUMBERS // max(1, self.samples * self.n_noise)))
        self.seed = int(seed)
        self.levy = bool(levy)
        self._dtype = dtype
        self._device = torch.device(device)
        self._n0 = 0
        self._W = self._H = None

    def _block(self, b: int):
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(b,)))
        shape = (self.block, self.samples, self.n_noise)
        W = rng.standard_normal(shape) * math.sqrt(self.h)
        H = rng.standard_normal(shape) * math.sqrt(self.h / 12) if self.levy else None
        return W, H

    def prepare(self, n0: int, n1: int) -> None:
        """Hold the increments of steps ``n0 … n1−1`` (the next chunk)."""
        b0, b1 = n0 // self.block, (n1 - 1) // self.block + 1
        blocks = [self._block(b) for b in range(b0, b1)]
        lo, hi = n0 - b0 * self.block, n1 - b0 * self.block
        kw = dict(dtype=self._dtype, device=self._device)
        self._W = torch.as_tensor(np.concatenate([w for w, _ in blocks])[lo:hi], **kw)
        self._H = torch.as_tensor(np.concatenate([h for _, h in blocks])[lo:hi], **kw) if self.levy else None
        self._n0 = n0

    def chunk(self) -> torch.Tensor:
        """The increments of the prepared chunk, (steps, samples, n_noise)."""
        return self._W

    def __call__(self, ta, tb=None, return_U=False, return_A=False):
        if return_A:
            raise ValueError("StepBrownian provides the space-time Lévy area only (return_U), not return_A")
        if tb is None:
            raise ValueError("StepBrownian serves increments over one step, not W(t)")
        n = int(round(float(ta) / self.h))
        i = n - self._n0
        if self._W is None or not 0 <= i < self._W.shape[0] or abs(float(tb) - float(ta) - self.h) > 1e-9 * self.h:
            raise ValueError(f"increment queried over [{float(ta)}, {float(tb)}], which is not a step of the "
                             f"prepared grid (h = {self.h}, steps {self._n0}…)")
        W = self._W[i]
        if return_U:
            if not self.levy:
                raise ValueError("this StepBrownian was made without the Lévy area (levy=False)")
            return W, self.h * (0.5 * W + self._H[i])
        return W

    def __repr__(self):
        return f"StepBrownian(h={self.h}, samples={self.samples}, n_noise={self.n_noise}, seed={self.seed})"

    dtype = property(lambda self: self._dtype)
    device = property(lambda self: self._device)
    shape = property(lambda self: (self.samples, self.n_noise))
    levy_area_approximation = property(lambda self: "space-time" if self.levy else "none")
