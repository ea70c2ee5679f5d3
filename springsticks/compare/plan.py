"""The crosscheck's settings and the plan every mode shares (system, start, steps, seeds).

Step sizes follow from the fastest relaxation rate λ = max(γ, ω_max) (:mod:`ss_mech.spectrum`)
through the knot spacing Δ = 1/(100 λ) (:func:`ss_circuit.sources.default_dt_noise`, aligned to
the output times): deterministic runs step Δ/2 in both backends, pathwise and training runs
Δ/``knot_steps``; in the ensembles the circuit steps Δ/``ensemble_knot_steps`` and the mechanics Δ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MODES", "CrosscheckConfig", "Plan", "make_plan", "why_not"]

MODES = ("deterministic", "stochastic", "pathwise", "training", "spectral")


@dataclass(frozen=True)
class CrosscheckConfig:
    """How long and how large each comparison runs, and its tolerances.

    Attributes
    ----------
    t_end : float, optional
        Duration of every mode (one epoch in ``training``); default: the spec's ``run.t_end``.
    n_out : int
        Output times per run, including 0 and ``t_end``.
    samples : int
        Ensemble size per backend in ``stochastic``.
    pathwise_samples : int
        Noise realisations driving both backends in ``pathwise``.
    epochs, batches_per_epoch : int
        The training protocol: ``batch_size = ⌈B / batches_per_epoch⌉``, each batch pulls for
        ``t_end / batches_per_epoch``.
    seed : int
        Seeds every noise draw (independent streams per mode and backend).
    equilibration : float
        Equipartition averages ⟨K⟩ over ``t ≥ equilibration · t_end``.
    knot_steps : int
        Pathwise and training runs (both backends) step ``Δ / knot_steps``.
    ensemble_knot_steps : int
        The circuit ensemble steps ``Δ / ensemble_knot_steps`` (its first-law residual, ∝ step²,
        stays a small fraction of the heat's standard error at 4; 8 costs 50 % more).
    rel_tol, z_tol, equipartition_tol : float
        Tolerances: relative deviation (deterministic, pathwise, training), ``|z|`` of the
        ensemble means, ``|⟨K⟩/(N k_BT/2) − 1|``.
    oracle_max_dof : int
        Exact solutions (dense, O(N³)) only up to this many degrees of freedom.
    processes : int, optional
        ngspice worker processes (default: one per CPU).
    """

    t_end: float | None = None
    n_out: int = 101
    samples: int = 200
    pathwise_samples: int = 2
    epochs: int = 3
    batches_per_epoch: int = 3
    seed: int = 0
    equilibration: float = 0.5
    knot_steps: int = 8
    ensemble_knot_steps: int = 4
    rel_tol: float = 1e-3
    z_tol: float = 3.0
    equipartition_tol: float = 0.05
    oracle_max_dof: int = 200
    processes: int | None = None

    def __post_init__(self):
        from ss_mech.validation import positive, positive_int

        if self.t_end is not None:
            positive(self.t_end, "t_end")
        for name in ("samples", "pathwise_samples", "epochs", "batches_per_epoch", "knot_steps",
                     "ensemble_knot_steps"):
            positive_int(getattr(self, name), name)
        if positive_int(self.n_out, "n_out") < 3:
            raise ValueError(f"n_out must be >= 3 (the equipartition window needs late outputs), got {self.n_out}")
        if not 0 <= self.equilibration < 1:
            raise ValueError(f"equilibration must be in [0, 1), got {self.equilibration!r}")
        if self.samples < 2:
            raise ValueError(f"samples must be >= 2 (standard errors need two samples), got {self.samples}")
        for name in ("rel_tol", "z_tol", "equipartition_tol"):
            positive(getattr(self, name), name)

    @classmethod
    def quick(cls, **changes) -> "CrosscheckConfig":
        """128 samples per ensemble, one pathwise sample, two epochs: about 60 % of the default's time.

        The equipartition estimate then has a standard error of about 1.6 % (a third of its 5 %
        tolerance); fewer samples would make that check a coin toss.
        """
        return cls(**{"samples": 128, "pathwise_samples": 1, "epochs": 2, **changes})

@dataclass(frozen=True)
class Plan:
    """What every mode shares: the system, its start, durations, the knot spacing and the seeds."""

    system: object
    x0: np.ndarray
    v0: np.ndarray
    t_end: float
    n_out: int
    knot: float            # Δ, aligned to the output interval
    seeds: dict            # seed of each mode's noise, by stream name (ss_mech.run.STREAMS)
    oracle: bool


def make_plan(spec, config: CrosscheckConfig) -> Plan:
    """The :class:`Plan` of ``spec`` under ``config`` (one start state for every sample)."""
    from ss_circuit.sources import align_dt, default_dt_noise
    from ss_mech.run import initial_state, seed_int

    system = spec.system
    if spec.x0 is not None and np.ndim(spec.x0) == 2 or spec.v0 is not None and np.ndim(spec.v0) == 2:
        raise ValueError("the crosscheck starts every sample in one state: give initial.x and initial.v "
                         f"as {system.n_dof} numbers each, not one row per sample")
    x0, v0 = initial_state(system, x0=spec.x0, v0=spec.v0, samples=1, seed=spec.run.seed)
    t_end = float(config.t_end if config.t_end is not None else spec.run.t_end)
    knot = align_dt(default_dt_noise(system), t_end / (config.n_out - 1))  # the output interval if nothing relaxes
    seeds = {name: seed_int(config.seed, name)
             for name in ("ensemble_mech", "ensemble_circuit", "pathwise", "training")}
    return Plan(system=system, x0=x0[0], v0=v0[0], t_end=t_end, n_out=config.n_out, knot=knot, seeds=seeds,
                oracle=system.n_dof <= config.oracle_max_dof)


def why_not(mode: str, system, config_max_dof: int = 200) -> str | None:
    """Why ``mode`` cannot run on ``system`` (None when it can)."""
    from ss_circuit.sources import fdt_only

    if mode in ("stochastic", "pathwise", "spectral") and not system.thermal:
        return "needs a thermal system: set physics.temperature > 0 and friction > 0"
    if mode in ("stochastic", "pathwise", "training", "spectral") and system.thermal and system.noise != "fdt":
        return fdt_only(system)
    if mode == "spectral" and system.n_dof > config_max_dof:
        return f"the exact response is dense: at most {config_max_dof} degrees of freedom, this system has {system.n_dof}"
    if mode == "training" and system.n_points < 2:
        return "needs at least two data points to form mini-batches"
    return None
