"""The crosscheck's four comparisons, one runner each (:data:`RUNNERS`).

``deterministic``
    T = 0. Loss L(t), friction heat D(t) and node positions x(t) at every output time;
    ``max_t |circuit − mech|`` relative to the largest loss (the initial loss for a start at
    rest), to D(t_end) and to ``max |x|``: each ≤ 1e-3. Both backends are also held against
    the exact matrix-exponential solution.
``stochastic``
    T > 0 with fdt noise: an ensemble per backend with *independent* seeded noise (torchsde's
    Brownian motion; the circuit's Johnson sources fed as sampled knots). At t_end the mean
    loss, mean D and mean heat Q = D − J agree within 3 combined standard errors,
    ``|z| = |c̄ − m̄| / √(se_c² + se_m²) ≤ 3``; each backend also against the exact
    Ornstein–Uhlenbeck means (:func:`ss_mech.oracles.ensemble_energies`). From the same
    ensembles, **equipartition**: ⟨K⟩/(N k_BT/2), averaged over the late part of the run,
    within 5 % of 1 in both. When the exact ratio over that window is not 1 (the run ends
    before equilibrium) both are held to the exact ratio instead, and a note says so; another
    note says when the standard errors are too large for the 5 % to mean anything.
``pathwise``
    The same noise samples (:func:`ss_circuit.draw_noise`) drive both: x(t), L(t), D(t) and the
    noise work J(t) agree to ≤ 1e-3 relative.
``training``
    Mini-batch training (springs switched batch by batch, state carried over), the same noise
    in both (none at T = 0): final training MSE, x and D agree to ≤ 1e-3 relative.
``spectral``
    The frequency domain (:mod:`springsticks.spectrum`) on every height (at most 16, spread over the
    machine): ngspice's ``.ac`` against
    the exact χ(ω) = (K − ω²M + iωΓ)⁻¹ (≤ 1e-6), its ``.noise`` (the resistors' own thermal noise)
    against the FDT spectrum 2k_BT·χΓχᴴ (≤ 1e-3), and ∫S dω/2π against k_BT·K⁻¹ on the pinned heights.

Each runner takes the :class:`~springsticks.compare.plan.Plan`, the config and the result it
appends its checks, metrics and runs to.
"""
from __future__ import annotations

import math

import numpy as np

from .checks import NAMES, Check, deviations, max_rel, z_score

__all__ = ["RUNNERS"]


def _complete(traj):
    """A run cut short by Ctrl-C returns what it has; the crosscheck stops there."""
    if traj.meta.get("interrupted"):
        raise KeyboardInterrupt
    return traj


def _deterministic(plan, config, result, progress: bool):
    from ss_mech import simulate
    from ss_mech.oracles import exact_deterministic

    from ss_circuit.simulate import simulate_circuit

    cold = plan.system.with_params(temperature=0.0)
    kw = dict(t_end=plan.t_end, dt=plan.knot / 2, x0=plan.x0, v0=plan.v0, n_out=plan.n_out)
    mech = _complete(simulate(cold, method="heun", progress=progress, **kw))
    circ = simulate_circuit(cold, **kw)
    dev = deviations(mech, circ)
    runs = {"mech": mech, "circuit": circ}
    metrics = {"loss_max_rel_err": dev["loss"], "dissipated_max_rel_err": dev["dissipated"],
               "x_max_rel_err": dev["x"], "dt": plan.knot / 2, "t_end": plan.t_end}
    exact_end = {"loss": None, "dissipated": None}
    if plan.oracle:
        exact = exact_deterministic(cold, t_end=plan.t_end, n_out=plan.n_out, x0=plan.x0, v0=plan.v0)
        runs["exact"] = exact
        metrics["mech_vs_exact"] = deviations(exact, mech)
        metrics["circuit_vs_exact"] = deviations(exact, circ)
        exact_end = {"loss": float(exact.loss[-1, 0]), "dissipated": float(exact.dissipated[-1, 0])}
    tol = config.rel_tol
    result.checks += [
        Check("deterministic", "loss L(t_end); max_t |dL| / max L", dev["loss"], tol, "rel",
              float(mech.loss[-1, 0]), float(circ.loss[-1, 0]), exact_end["loss"]),
        Check("deterministic", "friction heat D(t_end); max_t |dD| / D(t_end)", dev["dissipated"], tol, "rel",
              float(mech.dissipated[-1, 0]), float(circ.dissipated[-1, 0]), exact_end["dissipated"]),
        Check("deterministic", "positions x(t); max |dx| / max |x|", dev["x"], tol, "rel")]
    if plan.oracle:
        for name in ("mech", "circuit"):
            d = metrics[f"{name}_vs_exact"]
            result.checks.append(Check("deterministic", f"{NAMES[name]} vs exact (x, L, D)", max(d.values()), tol,
                                       "rel"))
    result.metrics["deterministic"] = metrics
    result.runs["deterministic"] = runs


def _stochastic(plan, config, result, progress: bool):
    from ss_mech import simulate
    from ss_mech.oracles import ensemble_energies
    from ss_mech.spectrum import slowest_rate

    from ss_circuit.simulate import simulate_circuit

    system, S = plan.system, config.samples
    kw = dict(t_end=plan.t_end, x0=plan.x0, v0=plan.v0, samples=S, n_out=plan.n_out)
    mech = _complete(simulate(system, dt=plan.knot, method="heun", seed=plan.seeds["ensemble_mech"], save_states=False,
                              progress=progress, **kw))
    dt_circuit = plan.knot / config.ensemble_knot_steps
    circ = simulate_circuit(system, dt=dt_circuit, dt_noise=plan.knot, seed=plan.seeds["ensemble_circuit"],
                            processes=config.processes, progress=progress, **kw)
    exact = None
    if plan.oracle:
        idx = np.unique(np.linspace(0, plan.n_out - 1, min(plan.n_out, 41)).round().astype(int))
        exact = ensemble_energies(system, mech.t[idx], x0=plan.x0, v0=plan.v0)
    metrics = {"samples": S, "t_end": plan.t_end, "dt_mech": plan.knot, "dt_circuit": dt_circuit,
               "dt_noise": plan.knot}
    for name, label in (("loss", "mean loss <L(t_end)>"), ("dissipated", "mean friction heat <D(t_end)>"),
                        ("heat", "mean heat <Q(t_end)> = <D - J>")):
        m, c = getattr(mech, name)[-1], getattr(circ, name)[-1]
        mm, ms, cm, cs = m.mean(), m.std(ddof=1) / math.sqrt(S), c.mean(), c.std(ddof=1) / math.sqrt(S)
        z = z_score(cm, cs, mm, ms)
        metrics[f"{name}_z"] = z
        metrics[name] = {"mech": mm, "mech_se": ms, "circuit": cm, "circuit_se": cs}
        ex = None
        if exact is not None:
            ex = float(exact[name][-1])
            metrics[name].update(exact=ex, mech_z_exact=z_score(mm, ms, ex, 0.0), circuit_z_exact=z_score(cm, cs, ex, 0.0))
        result.checks.append(Check("stochastic", label, abs(z), config.z_tol, "|z|", mm, cm, ex, ms, cs))
    if exact is not None:
        for who in ("mech", "circuit"):
            zs = [metrics[n][f"{who}_z_exact"] for n in ("loss", "dissipated", "heat")]
            metrics[f"{who}_exact_max_z"] = max(abs(z) for z in zs)
            # reference only: the circuit's interpolated noise is not white (module docstring), and
            # six more 3σ tests would multiply the false alarms of a correct pair of backends
            result.checks.append(Check("stochastic", f"{NAMES[who]} vs exact (<L>, <D>, <Q>), max",
                                       metrics[f"{who}_exact_max_z"], config.z_tol, "|z|", gate=False))
    kT = system.kT
    late = mech.t >= config.equilibration * plan.t_end
    target = system.n_dof * kT / 2
    eq = {"window": [float(mech.t[late][0]), plan.t_end], "target": target, "reference": 1.0}
    exact_ratio = None
    if exact is not None:
        window = exact["t"] >= eq["window"][0]
        exact_ratio = float(np.mean(exact["kinetic"][window]) / target)
        eq["exact_ratio"] = exact_ratio
        if abs(exact_ratio - 1) > config.equipartition_tol / 5:
            # the run ends before equilibrium: hold both backends to the exact value instead
            rate = slowest_rate(system)
            eq.update(reference=exact_ratio, equilibrated=False, slowest_rate=rate)
            result.notes.append(
                f"equipartition: the exact <K>/(N kT/2) over t >= {eq['window'][0]:.3g} is {exact_ratio:.4f}, not 1: "
                f"this run ends before equilibrium (slowest relaxation rate {rate:.3g}, time {1 / rate:.3g}), "
                "so both backends are held to the exact value; lengthen --t-end to test equipartition itself")
    what = "" if eq["reference"] == 1.0 else " vs exact (not equilibrated)"
    for who, traj in (("mech", mech), ("circuit", circ)):
        per_sample = traj.kinetic[late].mean(axis=0) / target
        ratio, se = float(per_sample.mean()), float(per_sample.std(ddof=1) / math.sqrt(S))
        eq[f"{who}_ratio"], eq[f"{who}_se"] = ratio, se
        quantity = f"<K>/(N kT/2), {NAMES[who]}, t >= {eq['window'][0]:.3g}{what}"
        result.checks.append(Check("equipartition", quantity, abs(ratio - eq["reference"]), config.equipartition_tol,
                                   "|r-r_exact|" if what else "|r-1|", **{who: ratio, f"{who}_se": se},
                                   exact=exact_ratio))
    noisy = max(eq["mech_se"], eq["circuit_se"])
    if noisy > config.equipartition_tol / 3:
        result.notes.append(
            f"equipartition: a standard error of {noisy:.3f} exceeds a third of the {config.equipartition_tol:g} "
            "tolerance, so this check cannot tell a real deviation from noise; use more samples (--samples) "
            "or a longer run (--t-end)")
    metrics["expected_bias"] = {
        "circuit_noise_power": -7.0 / 15.0 * system.friction * plan.knot,
        "circuit_numerical_loss": circ.stats["numerical_loss"]}
    result.metrics["stochastic"] = metrics
    result.metrics["equipartition"] = eq
    result.runs["stochastic"] = {"mech": mech, "circuit": circ, "exact": exact}


def _pathwise(plan, config, result, progress: bool):
    from ss_mech import simulate

    from ss_circuit.simulate import simulate_circuit
    from ss_circuit.sources import draw_noise

    P = config.pathwise_samples
    noise = draw_noise(plan.system, t_end=plan.t_end, samples=P, seed=plan.seeds["pathwise"], dt_noise=plan.knot,
                       n_out=plan.n_out)
    kw = dict(t_end=plan.t_end, dt=plan.knot / config.knot_steps, x0=plan.x0, v0=plan.v0, samples=P,
              n_out=plan.n_out, noise=noise)
    mech = _complete(simulate(plan.system, method="heun", progress=progress, **kw))
    circ = simulate_circuit(plan.system, processes=config.processes, progress=progress, **kw)
    dev = deviations(mech, circ)
    result.metrics["pathwise"] = {"max_rel_err": max(dev.values()), **{f"{k}_rel_err": v for k, v in dev.items()},
                                  "samples": P, "dt": plan.knot / config.knot_steps, "dt_noise": plan.knot}
    names = {"x": "positions x(t); max |dx| / max |x|", "loss": "loss L(t); max |dL| / max L",
             "dissipated": "friction heat D(t); max |dD| / D(t_end)",
             "noise_work": "noise work J(t); max |dJ| / max |J|"}
    for key, dv in dev.items():
        ends = () if key == "x" else (float(getattr(mech, key)[-1].mean()), float(getattr(circ, key)[-1].mean()))
        result.checks.append(Check("pathwise", names[key], dv, config.rel_tol, "rel", *ends))
    result.runs["pathwise"] = {"mech": mech, "circuit": circ}


def _training(plan, config, result, progress: bool):
    from ss_mech import simulate
    from ss_mech.training import train

    from ss_circuit.simulate import simulate_circuit
    from ss_circuit.sources import align_dt, default_dt_noise, draw_noise

    system = plan.system
    B = system.n_points
    batch_size = math.ceil(B / config.batches_per_epoch)
    per_batch = plan.t_end / config.batches_per_epoch
    n_out_batch = 11
    knot = align_dt(default_dt_noise(system), per_batch / (n_out_batch - 1))
    dt = knot / config.knot_steps

    def mech_step(current, *, t_end, seed, samples, n_out, x0, v0, **_):
        noise = (draw_noise(current, t_end=t_end, samples=samples, seed=seed, dt_noise=knot, n_out=n_out)
                 if current.thermal else None)
        return _complete(simulate(current, t_end=t_end, dt=dt, method="heun", x0=x0, v0=v0, samples=samples,
                                  seed=seed, n_out=n_out, noise=noise))

    def circuit_step(current, *, t_end, seed, samples, n_out, x0, v0, **_):
        return simulate_circuit(current, t_end=t_end, dt=dt, dt_noise=knot, x0=x0, v0=v0, samples=samples,
                                seed=seed, n_out=n_out)

    kw = dict(batch_size=batch_size, epochs=config.epochs, time_per_batch=per_batch, x0=plan.x0, v0=plan.v0,
              seed=plan.seeds["training"], n_out_per_batch=n_out_batch, progress=progress)
    runs = {}
    for name, step in (("mech", mech_step), ("circuit", circuit_step)):
        res = train(system, system.X, system.y, integrator=step, **kw)
        if res.interrupted:
            raise KeyboardInterrupt
        runs[name] = res
    m, c = runs["mech"], runs["circuit"]
    mse_m, mse_c = m.history["train_mse"][-1], c.history["train_mse"][-1]
    final = max_rel(mse_c, mse_m, mse_m)
    x_err = max_rel(c.x, m.x, np.abs(m.trajectory.x).max())
    D_m, D_c = m.trajectory.dissipated[-1, 0], c.trajectory.dissipated[-1, 0]
    D_err = max_rel(D_c, D_m, D_m)
    result.metrics["training"] = {
        "final_loss_rel_err": final, "x_rel_err": x_err, "dissipated_rel_err": D_err,
        "mech_final_loss": mse_m, "circuit_final_loss": mse_c, "batch_size": batch_size, "epochs": config.epochs,
        "time_per_batch": per_batch, "batches": len(m.batches), "noise": "shared samples" if system.thermal else "none",
        "dt": dt, "dt_noise": knot}
    tol = config.rel_tol
    result.checks += [
        Check("training", f"final training MSE ({len(m.batches)} batches)", final, tol, "rel", mse_m, mse_c),
        Check("training", "final positions x; max |dx| / max |x|", x_err, tol, "rel"),
        Check("training", "friction heat D over the run", D_err, tol, "rel", float(D_m), float(D_c))]
    result.runs["training"] = runs


#: the spectral mode reads at most this many heights
SPECTRAL_HEIGHTS = 16


def _spectral(plan, config, result, progress: bool):
    from ..spectrum import spectrum_analysis

    N = plan.system.n_dof
    # one .ac and one .noise run per readout row: on a large machine, SPECTRAL_HEIGHTS heights spread over it
    rows_ = np.unique(np.linspace(0, N - 1, min(N, SPECTRAL_HEIGHTS)).round().astype(int))
    readout = "heights" if rows_.size == N else np.eye(N)[rows_]
    out = spectrum_analysis(plan.system, readout=readout, welch=False, progress=progress)
    rows = {"ac": ("ngspice .ac vs exact chi(w); max |d chi| / max |chi|", "rel"),
            "noise": ("ngspice .noise vs FDT 2kT chi G chi^H; max rel", "rel"),
            "equipartition": ("integral S dw/2pi / (kT K^-1), pinned heights", "|r-1|")}
    if rows_.size < N:
        result.notes.append(f"spectral: {rows_.size} of the {N} heights are read (one ngspice run each)")
    for check in out["checks"]:
        if check["key"] in rows:
            quantity, measure = rows[check["key"]]
            result.checks.append(Check("spectral", quantity, check["deviation"], check["tolerance"], measure))
    result.metrics["spectral"] = {k: out.get(k) for k in ("ac_max_rel_err", "noise_max_rel_err", "fdt_max_rel_err",
                                                          "equipartition_max_rel_err")}
    result.metrics["spectral"].update(points=len(out["omega"]), heights=rows_.tolist(),
                                      omega_range=[float(out["omega"][0]), float(out["omega"][-1])])
    result.notes.extend(f"spectral: {n}" for n in out["notes"])
    result.runs["spectral"] = out


RUNNERS = {"deterministic": _deterministic, "stochastic": _stochastic, "pathwise": _pathwise,
            "training": _training, "spectral": _spectral}

