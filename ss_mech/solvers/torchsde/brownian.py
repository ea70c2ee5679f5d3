"""torchsde Brownian objects: where the solvers get their increments from.

* :func:`brownian_motion` — torchsde's ``BrownianInterval`` (exact Brownian increments, seeded),
  for ordinary stochastic simulations (with space-time Lévy area for ``srk``);
* :class:`ZeroBrownian` — no noise (T = 0);
* :class:`SampledBrownian` — the integral of a :class:`~ss_mech.noise.SampledNoise` (the signal a
  circuit is fed), for the pathwise comparison with a circuit.

This module holds the project's one import of torchsde's private Brownian base class.
"""
from __future__ import annotations

import torch
from torchsde import BrownianInterval
from torchsde._brownian.brownian_base import BaseBrownian

__all__ = ["brownian_motion", "ZeroBrownian", "SampledBrownian"]


def brownian_motion(t0: float, t1: float, *, samples: int, n_noise: int, seed: int, method: str,
                    dtype=torch.float64, device="cpu") -> BrownianInterval:
    """A seeded torchsde Brownian motion of shape (samples, n_noise) on [t0, t1]."""
    levy = "space-time" if method == "srk" else "none"
    return BrownianInterval(t0=t0, t1=t1, size=(samples, n_noise), dtype=dtype, device=device,
                            entropy=int(seed), levy_area_approximation=levy)


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
