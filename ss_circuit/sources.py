"""Johnson-noise sources of the circuit: which kind, how fast, and the SPICE text for each.

A damper of drag ``r`` feels the thermal force ``η = √(2 k_B T r)·ξ(t)`` with ``ξ`` of unit
intensity (two-sided PSD ``2 k_B T r``). In the circuit it is a voltage source in series with
the resistor, ``V_n = (ε/α)·η`` (see :mod:`ss_circuit.scaling`). Three modes:

``'samples'`` (default)
    ``ξ`` is a :class:`ss_mech.SampledNoise`: Gaussian knots every ``dt_noise`` from a seeded
    generator, linearly interpolated. Shared-mode simulations read it through PySpice's
    ``get_vsrc_data`` callback (an ``external`` source); standalone netlists carry it as PWL
    data. Reproducible, and the same samples drive the mechanical integrator
    (``ss_mech.simulate(..., noise=signal)``) for a pathwise comparison.
``'trnoise'``
    ngspice's native ``TRNOISE(NA NT 0 0)`` with ``NA = √(2 k_B T R / NT)``: compact netlists in
    the style of a hardware noise generator. Its seed cannot be set and its variance drifts
    from run to run within one process (DESIGN.md §3): never use it for ensembles in one
    process — :func:`ss_circuit.simulate_circuit` runs each such sample in a fresh process.
``'none'``
    No sources: the deterministic circuit (also what T = 0 or γ = 0 gives).

The default knot spacing is ``dt_noise = 1/(100·λ_max)`` with ``λ_max = max(γ, ω_max)`` the
fastest relaxation rate (:func:`ss_mech.spectrum.fastest_rate`).

The Johnson noise of a resistor is the ``fdt`` convention, element by element; the ``paper``
convention (a kick on every velocity) has no circuit: :func:`require_fdt` is the one place that
says so.

Linear interpolation filters the white noise by ``sinc⁴(f·dt_noise)``. Slow quantities
(positions) hardly notice: at ``λ_max·dt_noise = 1/100`` the lost variance is a few 1e-3
(DESIGN.md §3 measured ⟨q²/2C⟩ = 0.999 ± 0.010 k_BT/2 on an RC). Velocities respond to all
frequencies, so the power the bath injects (the mean rate of J), the friction heat and ⟨K⟩
are low by about ``(7/15)·γ·dt_noise``: the mobility's tail γ/(mω²) weighted by 1 − sinc⁴,
with ∫(1 − sinc⁴u)/u² du = 14π²/15 — 0.4 % at the default spacing when γ dominates
(measured on the crosscheck's demo system: J −0.8 ± 0.3 %; see :mod:`springsticks.compare`).
"""
from __future__ import annotations

import math

__all__ = ["NOISE_MODES", "default_dt_noise", "align_dt", "draw_noise", "fdt_only", "require_fdt",
           "pwl_lines", "trnoise_spec"]

NOISE_MODES = ("samples", "trnoise", "none")

#: knots (or TRNOISE samples) per fastest time constant
KNOTS_PER_TIME_CONSTANT = 100


def fdt_only(system) -> str:
    """Why a system with ``paper`` noise has no circuit (one sentence)."""
    return (f"the circuit realises fdt noise only (the Johnson noise of each resistor); this system uses "
            f"noise={system.noise!r}")


def require_fdt(system, hint: str = "") -> None:
    """ValueError unless the system's thermal noise is the ``fdt`` convention a circuit realises."""
    if system.noise != "fdt":
        raise ValueError(fdt_only(system) + (f". {hint}" if hint else ""))


def default_dt_noise(system) -> float:
    """``1/(100·λ_max)``; ``inf`` when nothing relaxes (no friction and no springs)."""
    from ss_mech.spectrum import fastest_rate

    rate = fastest_rate(system)
    return math.inf if rate == 0 else 1.0 / (KNOTS_PER_TIME_CONSTANT * rate)


def align_dt(dt: float, interval: float) -> float:
    """The largest ``interval/n`` (n integer) not above ``dt``: knots then hit every output time."""
    if not math.isfinite(dt) or dt >= interval:
        return interval
    return interval / math.ceil(interval / dt - 1e-9)


def draw_noise(system, *, t_end: float, samples: int = 1, seed: int = 0, dt_noise: float | None = None,
               n_out: int = 101):
    """The seeded noise signal a circuit ensemble (and its mechanical twin) is driven by.

    ``dt_noise`` defaults to :func:`default_dt_noise`, shortened so that the knots fall on the
    ``n_out`` output times. Sample ``s`` is ``values[:, s]`` of one
    ``SampledNoise.draw(seed=...)`` whose seed is stream ``circuit_noise`` of ``seed`` (the same derivation
    the circuit uses, so ``ss_mech.simulate(system, noise=draw_noise(...))`` is the pathwise
    twin of ``simulate_circuit(system, seed=...)``).
    """
    from ss_mech.noise import SampledNoise
    from ss_mech.run import seed_int

    if system.noise_dim == 0:
        raise ValueError("this system has no thermal noise (T = 0 or friction = 0): there is nothing to draw")
    require_fdt(system)
    if dt_noise is None:
        dt_noise = align_dt(default_dt_noise(system), t_end / (n_out - 1))
    entropy = seed_int(seed, "circuit_noise")
    return SampledNoise.draw(t_end=t_end, dt_noise=dt_noise, samples=samples, n_noise=system.noise_dim,
                             seed=entropy)


def pwl_lines(times, values, fmt, per_line: int = 4) -> list[str]:
    """``PWL(t0 v0 t1 v1 …)`` as continuation lines, ``per_line`` pairs each."""
    pairs = [f"{fmt(t)} {fmt(v)}" for t, v in zip(times, values)]
    body = ["+ " + " ".join(pairs[i:i + per_line]) for i in range(0, len(pairs), per_line)]
    return ["+ pwl("] + body + ["+ )"]


def trnoise_spec(amplitude: float, nt: float, fmt) -> str:
    """``trnoise(NA NT 0 0)``: Gaussian samples of r.m.s. ``NA`` every ``NT``, linearly interpolated."""
    return f"trnoise({fmt(amplitude)} {fmt(nt)} 0 0)"
