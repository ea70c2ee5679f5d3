"""Cross-validate the two backends: one system through torchsde (ss_mech) and through ngspice.

:func:`crosscheck` runs the comparisons of :mod:`springsticks.compare.modes` (``deterministic``, ``spectral``,
``stochastic``, ``pathwise``, ``training``) on a spec and returns a
:class:`~springsticks.compare.checks.CrosscheckResult`; every tolerance is in
:class:`~springsticks.compare.plan.CrosscheckConfig` and in the result table. Known systematic
differences, reported with the results, all well inside the tolerances at the default settings:

* the circuit's Johnson noise is linear between knots: its spectrum is white·sinc⁴(fΔ), so the
  bath injects less power (⟨J⟩ rate), and D and ⟨K⟩ follow: low by about ``(7/15) γΔ`` (the
  high-frequency mobility γ/(mω²) weighted by 1 − sinc⁴; ∫(1 − sinc⁴u)/u² du = 14π²/15),
  0.4 % for the demo. Measured on the demo over 30 ensembles of 200 (the circuit's noise fed
  to torchsde): J −0.8 ± 0.3 %, mean heat +0.26 % — a shift of 0.5–0.8 standard errors of one
  ensemble, against the tolerance of 3;
* ngspice restarts trap with a backward-Euler step at every knot: energy lost numerically,
  the circuit's first-law residual (``stats['numerical_loss']``, ∝ dt²; 0.1 % of the heat);
* Heun's weak error in the mechanical ensemble (O(dt²)).
"""
from __future__ import annotations

import time

from .checks import CrosscheckResult
from .modes import RUNNERS
from .plan import MODES, CrosscheckConfig, make_plan, why_not

__all__ = ["crosscheck", "default_spec", "DEMO_SPEC", "DEMO_TEMPERATURE"]

#: the demo system the crosscheck runs by default (examples/specs/)
DEMO_SPEC = "sine_1d_4sticks"

#: k_BT of the demo system (k_B = 1): thermal loss ≈ N k_BT/B ≈ the least-squares loss
DEMO_TEMPERATURE = 0.05


def default_spec():
    """The demo: 4 sticks on [0, 2π] learning 12 samples of sin from a flat start (γ = 4, k_BT = 0.05).

    It is ``examples/specs/sine_1d_4sticks.json`` (whose netlist, at T = 0, is
    ``netlists/sine_1d_4sticks.cir``) with the bath switched on and a run of 4 time units.
    """
    from ss_mech.spec import example_spec, load_spec, override

    return load_spec(override(example_spec(DEMO_SPEC), {
        "physics.temperature": DEMO_TEMPERATURE, "run": {"t_end": 4.0, "n_out": 101, "samples": 200, "seed": 0}}))


def crosscheck(spec=None, *, config: CrosscheckConfig | None = None, modes=MODES, progress: bool = False,
               log=None) -> CrosscheckResult:
    """Run ``modes`` through both backends and compare them (see the module docstring).

    Parameters
    ----------
    spec : ss_mech.spec.Spec, path, JSON string or dict, optional
        The system, its initial state (one state for every sample) and ``run.t_end``; default
        :func:`default_spec`.
    config : CrosscheckConfig, optional
        Sizes, seeds and tolerances (default ``CrosscheckConfig()``).
    modes : iterable of str
        A subset of :data:`MODES`, run in that order.
    progress : bool
        Progress bars for the runs and ensembles.
    log : callable, optional
        Called with a one-line message as each mode starts.

    Returns
    -------
    CrosscheckResult
        ``passed`` is False when any check fails; a Ctrl-C keeps the modes already finished
        (``interrupted`` is then True).
    """
    from ss_mech.spec import Spec, load_spec

    spec = default_spec() if spec is None else spec if isinstance(spec, Spec) else load_spec(spec)
    config = CrosscheckConfig() if config is None else config
    modes = tuple(modes)
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"unknown crosscheck mode {unknown[0]!r}; choose from {', '.join(MODES)}" if unknown
                         else f"no crosscheck mode given; choose from {', '.join(MODES)}")
    plan = make_plan(spec, config)
    result = CrosscheckResult(spec=spec, config=config)
    todo = []
    for mode in modes:
        why = why_not(mode, plan.system, config.oracle_max_dof)
        if why:
            result.skipped[mode] = why
        else:
            todo.append(mode)
    for i, mode in enumerate(todo, start=1):
        if log is not None:
            log(f"crosscheck [{i}/{len(todo)}] {mode}" + (f" ({config.samples} samples per backend)"
                                                          if mode == "stochastic" else ""))
        start = time.perf_counter()
        try:
            RUNNERS[mode](plan, config, result, progress)
        except KeyboardInterrupt:
            result.interrupted = True
            result.skipped.update({m: "interrupted" for m in todo[i - 1:]})
            break
        finally:
            result.wall_time[mode] = time.perf_counter() - start
    return result

