"""The frequency-domain cross-check: ``springsticks spectrum`` and :func:`spectrum_report`.

Three sources for one readout ``r = R x`` of a machine (conventions: :mod:`ss_mech.response`,
two-sided spectra per unit angular frequency, ω in the spec's time units):

* **exact**: ``R χ(ω) Rᵀ`` with ``χ = (K − ω²M + iωΓ)⁻¹`` and ``S = 2k_BT·RχΓχᴴRᵀ``, checked against
  the fluctuation–dissipation form ``−(2k_BT/ω)·Im(RχRᵀ)`` (``fdt_max_rel_err``) and integrated,
  ``∫S dω/2π / (k_BT·R K⁺ Rᵀ)`` (``equipartition_from_psd``; readouts that see a free mode are
  left out: their spectrum grows as 1/ω² at ω → 0 and its integral diverges);
* **circuit**: ngspice's ``.ac`` and ``.noise`` of the transient's circuit
  (:func:`ss_circuit.frequency.small_signal`), ``ac_max_rel_err`` and ``noise_max_rel_err``;
* **mechanical ensemble**: torchsde trajectories in the stationary state (Gibbs positions,
  Maxwell velocities), the readout sampled every Δ and :func:`scipy.signal.welch` (Hann
  segments, half overlap, the exact stationary mean removed, no detrending) per sample; the
  estimate is the mean over samples with its standard error. Its oracle is the *expected* Welch
  estimate, computed exactly from the stationary autocovariance ``C(kΔ) = R[e^{A kΔ}Σ]_{xx}Rᵀ``
  and the window (so leakage and aliasing are in the oracle, not in the error); ``welch_max_z``
  is the largest |z| over the Welch frequencies (and readouts) up to the sweep's top, held to a
  Bonferroni bound on Student's t with ``samples − 1`` degrees of freedom (the standard error is
  estimated from the samples): a family-wise false-alarm rate of at most 1 %. Measured on the demo
  with 256 samples: mean relative deviation of the estimate ≤ 1.2 % per readout against a standard
  error of 2.4 %, mean z −0.01 and −0.06 (two seeds).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["spectrum_report", "spectrum_analysis", "write_spectrum_report", "AC_TOL", "NOISE_TOL", "EQUIPARTITION_TOL"]

#: tolerances of the gating checks
AC_TOL, NOISE_TOL, EQUIPARTITION_TOL, FDT_TOL = 1e-6, 1e-3, 1e-3, 1e-9
#: family-wise false-alarm probability of the Welch band
WELCH_ALARM = 0.01


def _system_and_scaling(spec, units):
    from ss_circuit.simulate import _scaling, circuit_options

    system = spec.system
    if units is None:
        return system, _scaling(system, circuit_options(spec))
    return system.with_params(kb=1.0, temperature=units.kT_reduced), units.scaling()


def default_band(system) -> tuple[float, float]:
    """(f_min, f_max) in cycles per time unit: two decades below the slowest pinned mode's corner
    (its resonance or relaxation rate) to one decade above the fastest rate."""
    from ss_mech.response import modes
    from ss_mech.spectrum import fastest_rate, mode_rates

    md = modes(system)
    w = md["omega"][~md["free"]]
    slow = mode_rates(w ** 2, system.friction)[0] if w.size else np.array([system.friction])
    lo = max(float(np.min(np.minimum(slow, w if w.size else slow))), 1e-6 * fastest_rate(system))
    return lo / (2 * math.pi) / 100, 10 * fastest_rate(system) / (2 * math.pi)


def spectrum_report(spec, *, readout: str = "heights", f_min: float | None = None, f_max: float | None = None,
                    points: int = 10, units=None, circuit: bool = True, welch: bool = True, samples: int = 32,
                    seed: int = 0, progress: bool = False) -> dict:
    """The frequency-domain comparison of ``spec`` (see the module docstring).

    Parameters
    ----------
    spec : Spec, path, JSON string or dict
    readout : {'heights', 'residuals', 'node:I'}
        The linear readout (:func:`ss_mech.response.readout_matrix`).
    f_min, f_max : float, optional
        The sweep in cycles per time unit of the spec (ω = 2πf); default :func:`default_band`.
    points : int
        Points per decade (a SPICE ``dec`` sweep).
    units : springsticks.energy.Units, optional
        Physical units (C₀, V_u, τ, kelvin): the bath becomes ``k_BT/E₀``; default: the spec's
        reduced units and its ``circuit`` scaling.
    circuit, welch : bool
        Run ngspice's analyses; simulate the mechanical ensemble for the Welch estimate.
    samples, seed : the ensemble (mechanical trajectories, at least 2) and its seed.
    """
    from ss_mech.spec import Spec, load_spec

    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    system, scaling = _system_and_scaling(spec, units)
    return spectrum_analysis(system, scaling=scaling, readout=readout, f_min=f_min, f_max=f_max, points=points,
                             circuit=circuit, welch=welch, samples=samples, seed=seed, progress=progress)


def spectrum_analysis(system, *, scaling=None, readout="heights", f_min=None, f_max=None, points: int = 10,
                      circuit: bool = True, welch: bool = True, samples: int = 32, seed: int = 0,
                      progress: bool = False) -> dict:
    """:func:`spectrum_report` of a System with a circuit ``scaling`` (ss_circuit.Scaling; identity by default)."""
    from ss_circuit import Scaling
    from ss_mech import response as rs
    from ss_mech.errors import InputError

    scaling = Scaling() if scaling is None else scaling
    rs.require_fdt_spectrum(system)
    if not system.thermal:
        raise InputError(f"the noise spectrum needs a bath: physics.temperature={system.temperature!r} and "
                         f"physics.friction={system.friction!r} must both be > 0")
    for name, value in (("f_min", f_min), ("f_max", f_max)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a finite frequency > 0 (cycles per time unit; a free mode's spectrum "
                             f"diverges at 0), got {value!r}")
    R = rs.readout_matrix(system, readout)
    lo, hi = default_band(system)
    f_min = lo if f_min is None else f_min
    f_max = hi if f_max is None else f_max
    omega = rs.decade_grid(rs.angular(f_min), rs.angular(f_max), points)
    out = {"readout": R.name, "labels": list(R.labels), "kT": system.kT, "scaling": scaling.to_dict(),
           "checks": [], "notes": []}
    cir = None
    if circuit:
        from ss_circuit.frequency import small_signal

        cir = small_signal(system, omega, readout=R, scaling=scaling)
        omega = cir["omega"]   # ngspice's own rounding of the decade steps
    chi = rs.response(system, omega, R)
    S = rs.noise_spectrum(system, omega, R)
    diag = S.diagonal(axis1=1, axis2=2).real
    fdt = rs.fdt_spectrum(system, omega, R).diagonal(axis1=1, axis2=2)
    md = rs.modes(system)
    eq = rs.equipartition(system, R)
    out.update(omega=omega, frequency=rs.cycles(omega), response=chi, psd=diag,
               fdt_max_rel_err=float(np.max(np.abs(fdt - diag) / diag)),
               modes={"omega": md["omega"], "quality": md["quality"], "free": md["free"],
                      "frequency": rs.cycles(md["omega"])})
    _check(out, "fdt", "exact", "S = 2kT chi G chi^H vs -(2kT/w) Im chi (FDT), max rel", out["fdt_max_rel_err"],
           FDT_TOL)
    out["equipartition_from_psd"] = eq["ratio"]
    out["equipartition_max_rel_err"] = eq["max_rel_err"]
    free = int((~eq["pinned"]).sum())
    if free:
        out["notes"].append(f"{free} of {R.size} readouts see a free mode (no spring pins it): their spectrum "
                            "grows as 1/w^2 at w -> 0, so they are left out of the integrated check (still plotted)")
    if eq["pinned"].any():
        _check(out, "equipartition", "exact", "integral S dw/2pi / (kT R K+ R^T), max |r-1|", eq["max_rel_err"],
               EQUIPARTITION_TOL)
    if cir is not None:
        scale = np.abs(chi).reshape(len(omega), -1).max(axis=1)
        out["ac_max_rel_err"] = float(np.max(np.abs(cir["response"] - chi).reshape(len(omega), -1).max(axis=1) / scale))
        out["noise_max_rel_err"] = float(np.max(np.abs(cir["noise_psd"] / diag - 1)))
        out["circuit"] = {"response": cir["response"], "noise_psd": cir["noise_psd"], "hertz": cir["hertz"],
                          "kelvin": cir["kelvin"], "gshunt": cir["gshunt"]}
        _check(out, "ac", "circuit", "ngspice .ac vs exact chi, max rel", out["ac_max_rel_err"], AC_TOL)
        _check(out, "noise", "circuit", "ngspice .noise vs 2kT chi G chi^H, max rel", out["noise_max_rel_err"],
               NOISE_TOL)
    if welch:
        if isinstance(samples, bool) or int(samples) != samples or samples < 2:
            raise InputError(f"samples must be an integer >= 2 (the Welch band is their standard error), "
                             f"got {samples!r}")
        out["welch"] = _welch(system, R, f_max=float(rs.cycles(omega[-1])), samples=samples, seed=seed,
                              progress=progress)
        w = out["welch"]
        out["welch_max_z"] = w["max_z"]
        if "skipped" in w:
            out["notes"].append(f"Welch estimate skipped: {w['skipped']}")
        else:
            _check(out, "welch", "mechanical", f"Welch PSD ({samples} samples) vs expected, max |z|", w["max_z"],
                   w["z_tol"])
    out["passed"] = all(c["passed"] for c in out["checks"])
    return out


def _check(out, key, source, quantity, deviation, tolerance):
    out["checks"].append({"key": key, "source": source, "quantity": quantity, "deviation": float(deviation),
                          "tolerance": float(tolerance),
                          "passed": bool(np.isfinite(deviation) and deviation <= tolerance)})


def _welch(system, R, *, f_max, samples, seed, progress) -> dict:
    """Welch estimate of the readouts' spectrum from a stationary mechanical ensemble, with its oracle."""
    import scipy.linalg as sla
    import scipy.signal as sig
    from scipy.stats import t as student

    from ss_mech import simulate
    from ss_mech.oracles import drift_matrix, least_squares
    from ss_mech.response import pinned_readouts, two_sided
    from ss_mech.spectrum import fastest_rate, slowest_rate

    pinned = pinned_readouts(system, R)
    if not pinned.all():
        return {"skipped": "it needs a stationary state, every mode pinned by a spring (K positive definite)",
                "max_z": None}
    fast = fastest_rate(system)
    dt_sample = 1.0 / (20 * fast)                    # 20 samples per fastest time constant
    # the window's leakage is in the oracle: segments need only cover ~10 slowest relaxation times
    nperseg = 2 ** int(math.ceil(math.log2(10.0 / slowest_rate(system) / dt_sample)))
    n_seg = 4                                        # 7 half-overlapping segments per sample
    n_out = n_seg * nperseg + 1
    t_end = (n_out - 1) * dt_sample
    traj = simulate(system, t_end=t_end, dt=dt_sample / 2, method="srk", x0="gibbs", v0="maxwell", samples=samples,
                    seed=seed, n_out=n_out, progress=progress)
    mean = R.matrix @ least_squares(system)[0]
    r = np.einsum("tsn,jn->sjt", traj.x, R.matrix) - mean[None, :, None]
    f, P = sig.welch(r, fs=1.0 / dt_sample, window="hann", nperseg=nperseg, detrend=False, axis=-1)
    S_samples = two_sided(P)                         # (samples, n_r, n_f)
    est, se = S_samples.mean(axis=0), S_samples.std(axis=0, ddof=1) / math.sqrt(samples)
    # the exact expectation of that estimate: C(kΔ) from the stationary OU law, through the window
    A, _ = drift_matrix(system)
    N = system.n_dof
    Sigma = np.zeros((2 * N, 2 * N))
    Sigma[:N, :N] = system.kT * np.linalg.inv(system.stiffness_matrix.toarray())
    Sigma[N:, N:] = system.kT * np.linalg.inv(system.mass_matrix.toarray())
    step = sla.expm(A * dt_sample)
    lags = np.zeros((nperseg, R.size))
    cur = Sigma.copy()
    for k in range(nperseg):
        lags[k] = np.einsum("jn,nm,jm->j", R.matrix, cur[:N, :N], R.matrix)
        cur = step @ cur
    win = sig.get_window("hann", nperseg)
    rho = np.array([win[: nperseg - k] @ win[k:] for k in range(nperseg)])
    fs = 1.0 / dt_sample
    k = np.arange(1, nperseg)
    # E|Σ w x e^{-iωn}|² = Σ_k ρ(k) C(k) e^{-iωkΔ} over k = −(L−1)…L−1; one-sided × 2, then two-sided ÷ 2
    cosk = np.cos(2 * np.pi * f[:, None] * k[None, :] / fs)
    expected = (rho[0] * lags[0][:, None] + 2 * (cosk @ (rho[1:, None] * lags[1:])).T) / (fs * (win @ win))
    use = (f > 0) & (f <= min(f_max, 0.45 * fs))
    z = (est[:, use] - expected[:, use]) / se[:, use]
    n_tests = int(z.size)
    # the standard error is estimated from the samples themselves: z is Student-t with samples − 1 degrees of freedom
    z_tol = float(student.isf(WELCH_ALARM / 2 / n_tests, samples - 1))
    return {"frequency": f[use], "omega": 2 * np.pi * f[use], "estimate": est[:, use].T, "se": se[:, use].T,
            "expected": expected[:, use].T, "max_z": float(np.max(np.abs(z))), "z_tol": z_tol, "tests": n_tests,
            "samples": samples, "dt_sample": dt_sample, "nperseg": nperseg, "t_end": t_end,
            "segments_per_sample": 2 * n_seg - 1}


# ------------------------------------------------------------------------------ report
def write_spectrum_report(out: dict, folder, *, spec=None) -> str:
    """``bode.png``, ``psd.png``, ``results.json`` and ``report.md`` (last) in ``folder``."""
    from pathlib import Path

    from ss_mech.serialize import atomic_write, dumps_json

    from .plotting import pyplot, save_figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").unlink(missing_ok=True)
    atomic_write(folder / "results.json", dumps_json(_jsonable(out)) + "\n")
    plt = pyplot()
    show = list(range(min(len(out["labels"]), 4)))
    plot_bode(plt, out, show, folder)
    plot_psd(plt, out, show, folder)
    md = ["# Frequency domain: exact response, ngspice .ac/.noise, and a Welch estimate", "",
          f"Readout `{out['readout']}` ({len(out['labels'])} rows), k_BT = {out['kT']:.4g}; ω in radians per time unit "
          "of the spec, spectra two-sided per unit angular frequency (ss_mech/response.py states the conventions).", "",
          "| source | quantity | deviation | tolerance | |", "|---|---|---|---|---|"]
    md += [f"| {c['source']} | {c['quantity'].replace('|', '&#124;')} | {c['deviation']:.2e} | {c['tolerance']:.3g} | "
           f"{'pass' if c['passed'] else '**FAIL**'} |" for c in out["checks"]]
    md += [""] + [f"**Note:** {n}." for n in out["notes"]]
    if "welch" in out and "estimate" in out["welch"]:
        wl = out["welch"]
        md += ["", f"Welch: {wl['samples']} stationary trajectories (Gibbs start) of t = {wl['t_end']:.4g}, "
               f"sampled every {wl['dt_sample']:.3g}, Hann segments of {wl['nperseg']} points "
               f"({wl['segments_per_sample']} per trajectory); "
               f"{wl['tests']} frequency-readout pairs compared with the estimate's exact expectation, bound "
               f"|z| ≤ {wl['z_tol']:.3g} (Bonferroni on Student's t, 1 % family-wise)."]
    m = out["modes"]
    md += ["", "Modes (one label): " + ", ".join(
        f"ω = {w:.4g} (Q = {q:.3g})" if not fr else "free" for w, q, fr in zip(m["omega"], m["quality"], m["free"])),
        "", "![Bode plot](bode.png)", "", "![noise spectrum](psd.png)", ""]
    return str(atomic_write(folder / "report.md", "\n".join(md) + "\n"))


def _jsonable(out):
    from ss_mech.serialize import jsonable

    def conv(v):
        if isinstance(v, np.ndarray) and np.iscomplexobj(v):
            return {"real": v.real, "imag": v.imag}
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    return jsonable(conv(out))


def _mark_modes(ax, out):
    m = out["modes"]
    for w, fr in zip(m["omega"], m["free"]):
        if not fr:
            ax.axvline(w, color="0.8", lw=0.6, zorder=0)


def plot_bode(plt, out, show, folder):
    from .plotting import save_figure

    w, chi = out["omega"], out["response"]
    fig, axes = plt.subplots(3, 1, figsize=(7.5, 8), sharex=True)
    kT = out["kT"]
    for n, j in enumerate(show):
        c = f"C{n}"
        axes[0].loglog(w, np.abs(chi[:, j, j]), color=c, lw=1.5, label=f"exact, {out['labels'][j]}")
        axes[1].semilogx(w, np.degrees(np.angle(chi[:, j, j])), color=c, lw=1.5)
        axes[2].loglog(w, -chi[:, j, j].imag, color=c, lw=1.5)
        if "circuit" in out:
            cc = out["circuit"]["response"][:, j, j]
            axes[0].loglog(w, np.abs(cc), "o", ms=3, mfc="none", color=c, label="ngspice .ac" if n == 0 else None)
            axes[1].semilogx(w, np.degrees(np.angle(cc)), "o", ms=3, mfc="none", color=c)
            axes[2].loglog(w, w * out["circuit"]["noise_psd"][:, j] / (2 * kT), "x", ms=4, color=c,
                           label="ngspice .noise · ω/2kT (FDT)" if n == 0 else None)
        if "welch" in out and "estimate" in out["welch"]:
            wl = out["welch"]
            sc = wl["omega"] / (2 * kT)
            axes[2].fill_between(wl["omega"], sc * (wl["estimate"][:, j] - 2 * wl["se"][:, j]),
                                 sc * (wl["estimate"][:, j] + 2 * wl["se"][:, j]), color=c, alpha=0.2, lw=0,
                                 label="Welch · ω/2kT (±2 SE)" if n == 0 else None)
    for ax in axes:
        _mark_modes(ax, out)
    axes[0].set_ylabel("|χ| (displacement / force)")
    axes[1].set_ylabel("phase of χ (degrees)")
    axes[2].set_ylabel("−Im χ")
    axes[2].set_xlabel("ω (radians per time unit); grey: modes")
    axes[0].legend(fontsize=7)
    axes[2].legend(fontsize=7)
    fig.suptitle("Response: exact, ngspice .ac, and −Im χ from the noise (FDT)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, folder, "bode.png", dpi=90)


def plot_psd(plt, out, show, folder):
    from .plotting import save_figure

    w = out["omega"]
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for n, j in enumerate(show):
        c = f"C{n}"
        ax.loglog(w, out["psd"][:, j], color=c, lw=1.5, label=f"exact 2kT χΓχᴴ, {out['labels'][j]}")
        if "circuit" in out:
            ax.loglog(w, out["circuit"]["noise_psd"][:, j], "o", ms=3, mfc="none", color=c,
                      label="ngspice .noise" if n == 0 else None)
        if "welch" in out and "estimate" in out["welch"]:
            wl = out["welch"]
            ax.fill_between(wl["omega"], wl["estimate"][:, j] - 2 * wl["se"][:, j],
                            wl["estimate"][:, j] + 2 * wl["se"][:, j], color=c, alpha=0.25, lw=0,
                            label=f"Welch, {wl['samples']} trajectories (±2 SE)" if n == 0 else None)
    _mark_modes(ax, out)
    ax.set_xlabel("ω (radians per time unit); grey: modes")
    ax.set_ylabel("S(ω), two-sided per unit ω")
    ax.legend(fontsize=7)
    ax.set_title("Thermal noise spectrum of the readout", fontsize=10)
    fig.tight_layout()
    save_figure(fig, folder, "psd.png", dpi=90)
