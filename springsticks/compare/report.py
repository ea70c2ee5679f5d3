"""The crosscheck's report: a markdown page with its table and one figure per comparison.

:func:`write_report` fills a folder with ``report.md``, ``results.json`` (the ``--json``
output), ``spec.json`` (the system, runnable again with ``springsticks crosscheck spec.json``)
and the figures ``deterministic.png``, ``stochastic.png``, ``equipartition.png``,
``pathwise.png``, ``training.png``, ``bode.png`` and ``psd.png`` (those of the modes that ran), each written atomically and
``report.md`` last.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from ss_mech.serialize import atomic_write, completed_files, dumps_json, recording_writes

from ..plotting import pyplot, save_figure
from .checks import fmt, rel_dev

__all__ = ["write_report"]

MECH, CIRC, EXACT = "tab:blue", "tab:orange", "0.25"


def _residual_axis(ax, t, series: dict, tol: float | None, ylabel: str):
    """|deviation| on a log axis, one line per comparison, the tolerance dashed (t = 0, equal by
    construction, is left out)."""
    for label, (values, color) in series.items():
        ax.semilogy(t[1:], np.maximum(np.abs(values[1:]), 1e-14), color=color, lw=1, label=label)
    if tol is not None:
        ax.axhline(tol, color="tab:red", ls="--", lw=1, label=f"tolerance {tol:g}")
    ax.set_xlabel("time")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, loc="best")


def _deterministic_figure(plt, runs, tol, path):
    mech, circ, exact = runs["mech"], runs["circuit"], runs.get("exact")
    t = mech.t
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for j, (name, label) in enumerate((("loss", "loss L (MSE)"), ("dissipated", "friction heat D"))):
        ax = axes[0, j]
        ax.plot(t, getattr(mech, name)[:, 0], color=MECH, lw=2, label="mechanical (torchsde)")
        ax.plot(t, getattr(circ, name)[:, 0], color=CIRC, lw=1.2, ls="--", label="circuit (ngspice)")
        if exact is not None:
            ax.plot(t, getattr(exact, name)[:, 0], color=EXACT, lw=0.8, ls=":", label="exact")
        if name == "loss":
            ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
        ref = getattr(mech, name)[:, 0]
        scale = np.abs(ref).max()
        res = {"circuit − mechanical": (rel_dev(getattr(circ, name)[:, 0], ref, scale), CIRC)}
        if exact is not None:
            ex = getattr(exact, name)[:, 0]
            res["mechanical − exact"] = (rel_dev(ref, ex, scale), MECH)
            res["circuit − exact"] = (rel_dev(getattr(circ, name)[:, 0], ex, scale), EXACT)
        _residual_axis(axes[1, j], t, res, tol, f"|Δ{name[0].upper()}| / max {name[0].upper()}")
    fig.suptitle("Deterministic (T = 0): the two backends and the exact solution")
    fig.tight_layout()
    save_figure(fig, path.parent, path.name, dpi=120)


def _band(ax, t, traj, name, color, label):
    mean, se = traj.mean(name), traj.sem(name)
    ax.plot(t, mean, color=color, lw=1.5, label=label)
    ax.fill_between(t, mean - 2 * se, mean + 2 * se, color=color, alpha=0.25, lw=0)


def _stochastic_figure(plt, runs, z_tol, path):
    mech, circ, exact = runs["mech"], runs["circuit"], runs.get("exact")
    t = mech.t
    names = (("loss", "mean loss ⟨L⟩"), ("dissipated", "mean friction heat ⟨D⟩"),
             ("heat", "mean heat ⟨Q⟩ = ⟨D − J⟩"))
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    for j, (name, label) in enumerate(names):
        ax = axes[0, j]
        _band(ax, t, mech, name, MECH, f"mechanical ({mech.samples} samples)")
        _band(ax, t, circ, name, CIRC, f"circuit ({circ.samples} samples)")
        if exact is not None:
            ax.plot(exact["t"], exact[name], "o", ms=3, color=EXACT, label="exact (Ornstein–Uhlenbeck)")
        if name == "loss":
            ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
        diff = circ.mean(name) - mech.mean(name)
        se = np.hypot(circ.sem(name), mech.sem(name))
        ax = axes[1, j]
        ax.fill_between(t, -z_tol * se, z_tol * se, color="0.8", label=f"±{z_tol:g} combined SE")
        ax.plot(t, diff, color="k", lw=1, label="circuit − mechanical")
        ax.axhline(0, color="0.5", lw=0.5)
        ax.set_xlabel("time")
        ax.set_ylabel("difference of means")
        ax.legend(fontsize=7)
    fig.suptitle("Stochastic ensembles, independent noise (bands: ±2 standard errors)")
    fig.tight_layout()
    save_figure(fig, path.parent, path.name, dpi=120)


def _equipartition_figure(plt, runs, eq, tol, path):
    mech, circ, exact = runs["mech"], runs["circuit"], runs.get("exact")
    target = eq["target"]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for traj, color, label in ((mech, MECH, "mechanical"), (circ, CIRC, "circuit")):
        mean, se = traj.mean("kinetic") / target, traj.sem("kinetic") / target
        ax.plot(traj.t, mean, color=color, lw=1.2, label=label)
        ax.fill_between(traj.t, mean - 2 * se, mean + 2 * se, color=color, alpha=0.25, lw=0)
    if exact is not None:
        ax.plot(exact["t"], exact["kinetic"] / target, "o", ms=3, color=EXACT, label="exact")
    ax.axvspan(eq["window"][0], eq["window"][1], color="0.9", zorder=0, label="averaging window")
    ref = eq["reference"]
    for y in (ref - tol, ref + tol):
        ax.axhline(y, color="tab:red", ls="--", lw=0.8)
    ax.axhline(1, color="0.4", lw=0.8)
    ax.set_ylim(0, 1.4)
    ax.set_xlabel("time")
    ax.set_ylabel("⟨K⟩ / (N k_BT / 2)")
    ax.set_title(f"Equipartition: mechanical {eq['mech_ratio']:.3f} ± {eq['mech_se']:.3f}, "
                 f"circuit {eq['circuit_ratio']:.3f} ± {eq['circuit_se']:.3f}", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save_figure(fig, path.parent, path.name, dpi=120)


def _pathwise_figure(plt, runs, tol, path):
    mech, circ = runs["mech"], runs["circuit"]
    t = mech.t
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    ax = axes[0, 0]
    for a in range(mech.x.shape[2]):
        ax.plot(t, mech.x[:, 0, a], color=MECH, lw=1.5, label="mechanical" if a == 0 else None)
        ax.plot(t, circ.x[:, 0, a], color=CIRC, lw=0.8, ls="--", label="circuit" if a == 0 else None)
    ax.set_ylabel("node heights x (sample 0)")
    ax.legend(fontsize=7)
    for j, (name, label) in enumerate((("loss", "loss L"), ("dissipated", "friction heat D")), start=1):
        ax = axes[0, j]
        ax.plot(t, getattr(mech, name)[:, 0], color=MECH, lw=1.5, label="mechanical")
        ax.plot(t, getattr(circ, name)[:, 0], color=CIRC, lw=0.8, ls="--", label="circuit")
        ax.set_ylabel(f"{label} (sample 0)")
        ax.legend(fontsize=7)
    _residual_axis(axes[1, 0], t, {"circuit − mechanical": (rel_dev(circ.x, mech.x, np.abs(mech.x).max()), "k")},
                   tol, "max |Δx| / max |x|")
    for j, name in enumerate(("loss", "dissipated"), start=1):
        ref = getattr(mech, name)
        dev = rel_dev(getattr(circ, name), ref, np.abs(ref).max(0))
        letter = name[0].upper()
        _residual_axis(axes[1, j], t, {"circuit − mechanical": (dev, "k")}, tol, f"|Δ{letter}| / max {letter}")
    fig.suptitle("Pathwise: the same noise samples drive both backends")
    fig.tight_layout()
    save_figure(fig, path.parent, path.name, dpi=120)


def _training_figure(plt, runs, tol, path):
    m, c = runs["mech"], runs["circuit"]
    tm, tc = m.trajectory, c.trajectory
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    ax.plot(tm.t, tm.loss[:, 0], color=MECH, lw=1.5, label="mechanical")
    ax.plot(tc.t, tc.loss[:, 0], color=CIRC, lw=0.8, ls="--", label="circuit")
    ax.set_yscale("log")
    ax.set_xlabel("time")
    ax.set_ylabel("loss on the attached batch")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(m.history["epoch"], m.history["train_mse"], "o-", color=MECH, label="mechanical")
    ax.plot(c.history["epoch"], c.history["train_mse"], "s--", color=CIRC, mfc="none", label="circuit")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training MSE (all points)")
    ax.legend(fontsize=7)
    dev_loss = rel_dev(tc.loss[:, 0], tm.loss[:, 0], np.abs(tm.loss).max())
    dev_D = rel_dev(tc.dissipated[:, 0], tm.dissipated[:, 0], tm.dissipated[-1, 0])
    _residual_axis(axes[2], tm.t, {"loss": (dev_loss, "k"), "D": (dev_D, "tab:green")}, tol,
                   "|circuit − mechanical| / max")
    fig.suptitle(f"Mini-batch training, {len(m.batches)} batches, springs switched batch by batch")
    fig.tight_layout()
    save_figure(fig, path.parent, path.name, dpi=120)


def _md_table(result) -> list[str]:
    lines = ["| mode | quantity | mechanical | circuit | exact | deviation | tolerance | |",
             "|---|---|---|---|---|---|---|---|"]
    for c in result.checks:
        lines.append(f"| {c.mode} | {c.quantity.replace('|', '&#124;')} | {fmt(c.mech, c.mech_se)} | "
                     f"{fmt(c.circuit, c.circuit_se)} | {fmt(c.exact)} | "
                     f"{c.deviation:.2e} ({c.measure.replace('|', '')}) | "
                     f"{c.tolerance:g} | {'**FAIL**' if c.verdict == 'FAIL' else c.verdict} |")
    return lines


def _deterministic_section(plt, result, folder) -> list[str]:
    d, tol = result.metrics["deterministic"], result.config.rel_tol
    _deterministic_figure(plt, result.runs["deterministic"], tol, folder / "deterministic.png")
    return ["## Deterministic (T = 0)", "",
            f"Heun (torchsde) and trap (ngspice), both with step {d['dt']:.3g} over t = {d['t_end']:g}. "
            f"Largest deviations: loss {d['loss_max_rel_err']:.2e}, friction heat "
            f"{d['dissipated_max_rel_err']:.2e}, positions {d['x_max_rel_err']:.2e} (tolerance {tol:g}).", "",
            "![deterministic](deterministic.png)"]


def _stochastic_section(plt, result, folder) -> list[str]:
    cfg = result.config
    s, eq = result.metrics["stochastic"], result.metrics["equipartition"]
    _stochastic_figure(plt, result.runs["stochastic"], cfg.z_tol, folder / "stochastic.png")
    _equipartition_figure(plt, result.runs["stochastic"], eq, cfg.equipartition_tol, folder / "equipartition.png")
    bias = s["expected_bias"]
    exact = f", exact {eq['exact_ratio']:.4f}" if "exact_ratio" in eq else ""
    return ["## Stochastic ensembles (independent noise)", "",
            f"{s['samples']} samples per backend, fdt noise. The mechanical ensemble uses torchsde's Brownian "
            f"motion (Heun, step {s['dt_mech']:.3g}); the circuit's Johnson sources are seeded Gaussian knots "
            f"every {s['dt_noise']:.3g}, linearly interpolated (ngspice step ≤ {s['dt_circuit']:.3g}). "
            f"z-scores at t = {s['t_end']:g}: loss {s['loss_z']:+.2f}, friction heat {s['dissipated_z']:+.2f}, heat "
            f"{s['heat_z']:+.2f} (tolerance ±{cfg.z_tol:g}).", "",
            "Known systematic differences, to set against the standard errors in the table:", "",
            "* knot interpolation removes the noise power above 1/Δ: ⟨K⟩, ⟨D⟩ and ⟨J⟩ of the circuit are "
            f"low by (7/15)γΔ = {abs(bias['circuit_noise_power']):.2%};",
            f"* ngspice's backward-Euler restart at every knot loses {bias['circuit_numerical_loss']:.2g} "
            "energy units per sample (the circuit's first-law residual);",
            "* the exact column is the Ornstein–Uhlenbeck mean for white noise. The rows comparing each "
            "backend with it, marked (ok)/(out), are for reference and do not gate: the interpolated noise "
            "is not white, and six more 3σ tests would raise the false alarms of a correct pair of backends.",
            "", "![stochastic](stochastic.png)", "",
            f"Equipartition: ⟨K⟩/(N k_BT/2) averaged over t ∈ [{eq['window'][0]:.3g}, {eq['window'][1]:.3g}]: "
            f"mechanical {eq['mech_ratio']:.4f} ± {eq['mech_se']:.4f}, circuit {eq['circuit_ratio']:.4f} ± "
            f"{eq['circuit_se']:.4f}{exact} (tolerance ±{cfg.equipartition_tol:.0%}).", "",
            "![equipartition](equipartition.png)"]


def _pathwise_section(plt, result, folder) -> list[str]:
    p = result.metrics["pathwise"]
    _pathwise_figure(plt, result.runs["pathwise"], result.config.rel_tol, folder / "pathwise.png")
    return ["## Pathwise (the same noise in both)", "",
            f"{p['samples']} noise sample(s) drawn once (knots every {p['dt_noise']:.3g}) and fed to both: "
            f"torchsde integrates the interpolated forces, ngspice reads them as external sources (both step "
            f"{p['dt']:.3g}). Largest relative deviation {p['max_rel_err']:.2e}.", "", "![pathwise](pathwise.png)"]


def _training_section(plt, result, folder) -> list[str]:
    tr = result.metrics["training"]
    _training_figure(plt, result.runs["training"], result.config.rel_tol, folder / "training.png")
    return ["## Mini-batch training", "",
            f"{tr['epochs']} epochs of batches of {tr['batch_size']} points, {tr['time_per_batch']:.3g} time "
            f"units each, state carried over, noise: {tr['noise']}. Final training MSE: mechanical "
            f"{tr['mech_final_loss']:.6g}, circuit {tr['circuit_final_loss']:.6g} (relative deviation "
            f"{tr['final_loss_rel_err']:.2e}).", "", "![training](training.png)"]


def _spectral_section(plt, result, folder) -> list[str]:
    from ..spectrum import plot_bode, plot_psd

    out, sp = result.runs["spectral"], result.metrics["spectral"]
    show = list(range(min(len(out["labels"]), 4)))
    plot_bode(plt, out, show, folder)
    plot_psd(plt, out, show, folder)
    return ["## Spectral (frequency domain)", "",
            f"ngspice's `.ac` and `.noise` of the same circuit at {sp['points']} frequencies, ω = "
            f"{sp['omega_range'][0]:.3g} to {sp['omega_range'][1]:.3g}: the response against χ = (K − ω²M + iωΓ)⁻¹ "
            f"({sp['ac_max_rel_err']:.2e}), the resistors' own thermal noise against 2k_BT·χΓχᴴ "
            f"({sp['noise_max_rel_err']:.2e}); `springsticks spectrum` adds a Welch estimate from a simulated ensemble.",
            "", "![Bode plot](bode.png)", "", "![noise spectrum](psd.png)"]


_SECTIONS = {"deterministic": _deterministic_section, "stochastic": _stochastic_section,
             "pathwise": _pathwise_section, "training": _training_section, "spectral": _spectral_section}


def write_report(result, folder, *, log=None) -> Path:
    """Write the report of a :class:`~springsticks.compare.checks.CrosscheckResult` into ``folder``.

    Returns the path of ``report.md``. Every file is written atomically
    (:func:`ss_mech.serialize.atomic_write`): ``results.json`` and ``spec.json`` first, then the
    figures, ``report.md`` last, so a ``report.md`` exists only when everything it links to does
    (one left by an earlier run is removed first). When interrupted (Ctrl-C) or failing midway,
    ``log`` (default: print to stderr) gets one line naming the files completed so far, and the
    exception propagates.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # a report.md left by an earlier run would link to the files being replaced: it goes first
    (folder / "report.md").unlink(missing_ok=True)
    with recording_writes() as done:
        try:
            return _write_report(result, folder)
        except BaseException as exc:
            what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            line = f"report {folder}: {what}; complete: {completed_files(done, folder)} (no report.md)"
            if log is None:
                print(line, file=sys.stderr, flush=True)
            else:
                log(line)
            raise


def _write_report(result, folder: Path) -> Path:
    plt = pyplot()
    spec, system = result.spec, result.spec.system
    atomic_write(folder / "results.json", dumps_json(result.to_json()) + "\n")
    atomic_write(folder / "spec.json", json.dumps(spec.to_dict(), indent=1) + "\n")

    verdict = ("INTERRUPTED" if result.interrupted else "PASSED" if result.passed else "FAILED")
    n_fail = len(result.failures())
    kT = system.kT
    md = ["# Crosscheck: mechanical (torchsde) against circuit (ngspice)", "",
          f"**{verdict}**: {result.n_gates - n_fail} of {result.n_gates} checks within tolerance "
          f"({time.strftime('%Y-%m-%d %H:%M')}, {sum(result.wall_time.values()):.0f} s).", "",
          f"System: {system.grid.dim}-D grid of {' × '.join(map(str, system.grid.n_sticks))} sticks on "
          f"[{', '.join(f'{a:.4g}' for a in system.grid.u_min)}] to "
          f"[{', '.join(f'{b:.4g}' for b in system.grid.u_max)}], "
          f"{system.n_points} data points, {system.n_labels} label(s): N = {system.n_dof} degrees of freedom; "
          f"mass {system.mass:g}, stiffness {system.stiffness:g}, friction γ = {system.friction:g}, "
          f"k_BT = {kT:g} (noise {system.noise}). The spec is [spec.json](spec.json); rerun with "
          "`springsticks crosscheck spec.json --report DIR`. Every number is in [results.json](results.json).", ""]
    md += _md_table(result)
    for mode, why in result.skipped.items():
        md.append(f"\n*{mode}: skipped ({why}).*")
    for note in result.notes:
        md.append(f"\n**Note:** {note}.")
    md.append("")

    for mode, section in _SECTIONS.items():
        if mode in result.runs:
            md += section(plt, result, folder) + [""]
    return atomic_write(folder / "report.md", "\n".join(md) + "\n")
