"""Hardware prototyping: does a machine of real parts still learn, how well, and at what cost?

``springsticks hardware SPEC.json`` trains, by the mini-batch protocol, the ideal circuit of a
spec and ``samples`` perturbed circuits: parts drawn within their tolerances
(:func:`ss_circuit.nonideal.draw_tolerances`), optionally rounded to an E-series first
(:mod:`ss_circuit.parts`), with inductor series resistances (ESR), capacitor leakage and
single-pole levers (:class:`ss_circuit.nonideal.Imperfections`). Every machine trains from
the same start, on the same batches with the same noise: only the parts differ. Machines run
in parallel worker processes (one ngspice each).

Physical units (DESIGN.md §3, §6.4, :class:`springsticks.energy.Units`): ``C₀`` farads per
spring of stiffness 1, ``V_u`` volts per unit height, ``τ`` seconds per time unit, so
``E₀ = C₀V_u²`` joules per energy unit; the bath ``k_BT = k_B·T_K`` sets the machine's reduced
temperature ``k_BT/E₀`` (T_K = 0: the deterministic circuit).

For each machine the report gives the final training and held-out MSE (against the ideal
machine and the least-squares optimum, :func:`ss_mech.oracles.least_squares`), the heat
``Q = D − J`` in joules, the part values drawn, a stability verdict, and an energy ledger per
component class and per epoch: heat in each resistor class (translational and rotational drag,
ESR, leakage), the work of the bath (``work:noise``), of the target sources (their switching,
the protocol work, plus what they push through a leak), of the levers' amplifiers (non-zero
only with a finite bandwidth), and the energy stored in the inductors and capacitors at the
end — in joules and in k_BT. Where the perturbation has a mechanical twin (tolerances,
rounding, ESR; not leakage or bandwidth) ``crosscheck_max_rel_err`` is the deterministic
circuit-vs-mechanics deviation (x, loss, friction heat) on that perturbed machine over the
spec's run. The yield is the fraction of stable machines whose held-out MSE is within the target.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

__all__ = ["hardware_report", "plot_hardware", "parts_report", "format_parts"]

KB_SI = 1.380649e-23
#: a machine whose energy ends above this multiple of the ideal machine's largest is unstable
GROWTH_LIMIT = 100.0


def parts_report(spec, *, eseries: str = "E24", capacitance: float = 1e-12, volts_per_unit: float = 1.0,
                 tau: float = 1e-9) -> dict:
    """Every L, R, C of ``spec``'s circuit (all its data springs attached) at the scales C₀, V_u, τ,
    rounded to ``eseries``, and the machine the rounded parts build (:func:`ss_circuit.parts.part_report`)."""
    from ss_mech.spec import load_spec

    from ss_circuit.parts import part_report

    from .energy import Units

    spec = load_spec(spec) if not hasattr(spec, "system") else spec
    scaling = Units(capacitance=capacitance, volts_per_unit=volts_per_unit, tau=tau).scaling()
    return part_report(spec.system, scaling, eseries)


def format_parts(report: dict) -> str:
    """One line per part class (element group): count, ideal value, rounded value, change."""
    lines = [f"parts rounded to {report['series']} (largest possible change {report['bound']:.1%})"]
    seen = {}
    for r in report["parts"]:
        group = r["label"].split(":")[0]
        seen.setdefault(group, []).append(r)
    for group, rows in seen.items():
        ideal = sorted({r["ideal"] for r in rows})
        rounded = sorted({r["rounded"] for r in rows})
        one = len(ideal) == 1 and len(rounded) == 1
        what = (f"{ideal[0]:.4g} {rows[0]['unit']} -> {rounded[0]:.4g} {rows[0]['unit']} ({rows[0]['rel_change']:+.2%})"
                if one else f"{ideal[0]:.4g}..{ideal[-1]:.4g} {rows[0]['unit']} -> {rounded[0]:.4g}..{rounded[-1]:.4g}")
        lines.append(f"  {group:<22} {len(rows):>4} x {rows[0]['class']}  {what}")
    lines.append("the rounded machine (mechanical units):")
    for ideal, rounded in zip(report["ideal_machine"], report["rounded_machine"]):
        lines.append(f"  {rounded['group']:<22} {ideal['kind']:<8} {ideal['min']:.6g} -> {rounded['min']:.6g}"
                     + ("" if rounded["min"] == rounded["max"] else f"..{rounded['max']:.6g}"))
    return "\n".join(lines)


def _parse_esr(esr):
    """``0.5`` / ``'0.5'`` (ohms) or ``'Q=50'`` → keywords of :func:`esr_perturbation`."""
    if esr is None:
        return None
    s = str(esr).strip()
    try:
        if s.upper().startswith("Q="):
            return {"q": float(s[2:])}
        return {"ohms": float(s)}
    except ValueError:
        raise ValueError(f"--esr: give ohms (0.5) or a quality factor (Q=50), got {esr!r}") from None


def _split(system, test_fraction: float, seed: int):
    from ss_mech.run import seed_stream

    B = system.n_points
    n_test = int(round(test_fraction * B))
    if not 0 <= test_fraction < 1 or B - n_test < 1:
        raise ValueError(f"--test-fraction must leave training points (in [0, 1)), got {test_fraction!r}")
    order = np.random.default_rng(seed_stream(seed, "batches")).permutation(B)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return system.X[train], system.y[train], system.X[test], system.y[test]


def _part_values(system, scaling) -> dict:
    """Every part of ``system``'s machine in SI units, by element group (springs: per slot)."""
    conv = {"inertia": scaling.inductance, "damper": scaling.resistance, "spring": scaling.capacitance}
    return {g.name: conv[g.kind](np.asarray(g.values, dtype=float)).tolist() for g in system.elements}


def _machine(system, perturbation, X=None, y=None):
    """``system``'s machine (no springs, or those of ``X, y``) built with ``perturbation``'s parts."""
    from ss_mech import System

    return System(system.grid, n_labels=system.n_labels, X=X, y=y, outside="clip", perturbation=perturbation,
                  **system.params())


def _run_machine(job: dict) -> dict:
    """Worker: train one (perturbed) circuit; optionally its deterministic twin crosscheck."""
    from ss_mech.training import train

    from ss_circuit.simulate import default_max_step, simulate_circuit

    system = _machine(job["system"], job["perturbation"])
    scaling, imperfections = job["scaling"], job["imperfections"]

    def step(current, *, t_end, seed, samples, n_out, x0, v0, **_):
        return simulate_circuit(current, t_end=t_end, dt=default_max_step(current, t_end), x0=x0, v0=v0,
                                samples=samples, seed=seed, n_out=n_out, scaling=scaling,
                                imperfections=imperfections, ledger=True)

    out = {"index": job["index"]}
    try:
        with np.errstate(all="ignore"):
            res = train(system, job["X"], job["y"], integrator=step,
                        eval_set=job["eval_set"], n_out_per_batch=2, **job["train"])
    except Exception as exc:  # ngspice gives up on a diverging circuit ("timestep too small")
        out.update(status="failed", error=" ".join(str(exc).split())[:300])
        return out
    traj = res.trajectory
    out.update(status="ok", history=res.history, x=res.x[0].tolist(), ledger=_ledger(traj, res, job))
    if job["crosscheck"]:
        out["crosscheck_max_rel_err"] = _crosscheck(system.with_data(*job["first_batch"]), job)
    return out


def _ledger(traj, res, job) -> dict:
    """Per class: cumulative reduced energies at the end of each epoch (lists, one per epoch)."""
    per_epoch = len(res.batches) // job["train"]["epochs"]
    rows = [(e + 1) * per_epoch * 2 - 1 for e in range(job["train"]["epochs"])]
    series = {k: v[:, 0] for k, v in traj.extras.items()}
    series["work:targets (switching)"] = traj.protocol_work[:, 0]
    series["heat"] = traj.heat[:, 0]
    ends = {k: [float(v[r]) for r in rows] for k, v in series.items()}
    ends["stored:L (end of epoch)"] = [float(traj.kinetic[r, 0]) for r in rows]
    ends["stored:C (end of epoch)"] = [float(traj.potential[r, 0]) for r in rows]
    E = traj.kinetic[:, 0] + traj.potential[:, 0]
    ends["energy_max"] = float(np.nanmax(np.abs(E))) if np.isfinite(E).any() else float("inf")
    ends["finite"] = bool(np.all(np.isfinite(E)))
    return ends


def _crosscheck(system, job) -> float:
    """max relative deviation (x, loss, D) of circuit vs mechanics, T = 0, over the spec's run, on
    the springs of the first batch's points."""
    from ss_mech import simulate

    from ss_circuit.simulate import default_max_step, simulate_circuit

    from .compare.checks import deviations

    cold = system.with_params(temperature=0.0)
    kw = dict(t_end=job["t_end"], x0=job["x0"], v0=np.zeros(system.n_dof), n_out=21)
    dt = default_max_step(cold, job["t_end"])
    mech = simulate(cold, method="exact" if cold.n_dof <= 400 else "heun", dt=dt, **kw)
    circ = simulate_circuit(cold, dt=dt, scaling=job["scaling"], **kw)
    return float(max(deviations(mech, circ).values()))


def _perturbations(system, *, samples, tolerance, distribution, eseries, esr, scaling, seed, slots, corners=False):
    """The ``samples`` perturbations (index 0 … samples−1), each a :class:`ss_mech.Perturbation`,
    then, with ``corners``, every part at +tol and every part at −tol."""
    from ss_circuit.nonideal import combine, corner, draw_tolerances, esr_perturbation
    from ss_circuit.parts import rounding_perturbation

    base = []
    if eseries:
        base.append(rounding_perturbation(system, scaling, eseries, spring_slots=slots))
    if esr is not None:
        base.append(esr_perturbation(system, scaling, **esr))
    out = []
    for s in range(samples):
        draw = draw_tolerances(system, tolerance, seed=seed + s, distribution=distribution,
                               spring_slots=slots) if tolerance else None
        out.append(combine(*base, draw))
    if corners and tolerance:
        out += [combine(*base, corner(system, tolerance, sign, spring_slots=slots)) for sign in (1, -1)]
    return out


def hardware_report(spec, *, tolerance=None, distribution: str = "gaussian", esr=None, leakage: float = 0.0,
                    lever_bandwidth: float = 0.0, samples: int = 8, eseries: str | None = None,
                    capacitance: float = 1e-12, volts_per_unit: float = 1.0, tau: float = 1e-9,
                    temperature_k: float = 300.0, seed: int = 0, epochs: int = 5, batch_size: int | None = None,
                    time_per_batch: float | None = None, test_fraction: float = 0.25, target_mse: float | None = None,
                    corners: bool = False, processes: int | None = None, progress: bool = False) -> dict:
    """Train the ideal circuit of ``spec`` and ``samples`` perturbed ones (see the module docstring).

    Parameters
    ----------
    spec : str, Path, dict or Spec
        The machine and its data (a held-out ``test_fraction`` of the points, seeded, is the test set).
    tolerance : str or dict, optional
        Part tolerances ``'C=5%,L=1%,R=1%,G=0.5%'`` (G: lever gains), drawn per sample from seed
        ``seed + sample`` (:func:`ss_circuit.nonideal.draw_tolerances`), ``distribution``
        ``'gaussian'`` (tolerance = 3σ) or ``'uniform'``.
    esr : float or str, optional
        Inductor series resistance: ohms, or ``'Q=50'`` at the fastest mode.
    leakage : float
        Ohms across each spring capacitor (0: none).
    lever_bandwidth : float
        Hz, single-pole corner of the data-spring levers (0: ideal).
    eseries : str, optional
        Round every part to this E-series before the tolerances (``'E24'`` …).
    capacitance, volts_per_unit, tau, temperature_k :
        C₀ (F), V_u (V), τ (s), bath (K; 0 = deterministic).
    seed : int
        Seeds the split, the start, the batches, the noise and the parts: same seed, same report.
    epochs, batch_size, time_per_batch :
        The mini-batch protocol (default batch: half the training points; time per batch: the
        spec's ``run.t_end`` divided by the batches per epoch).
    target_mse : float, optional
        Yield threshold on the held-out MSE (default 1.1 × the ideal machine's).
    corners : bool
        Also train the two corners (every part at +tol, every part at −tol), reported under
        ``corners`` (not part of the distribution or the yield).
    processes : int, optional
        Worker processes (default: one per CPU, at most the number of machines).
    """
    from ss_mech.oracles import least_squares
    from ss_mech.run import initial_state
    from ss_mech.spec import load_spec
    from ss_mech.spectrum import fastest_rate
    from ss_mech.validation import non_negative, positive_int

    from ss_circuit.nonideal import Imperfections, max_growth_rate

    from .energy import Units

    spec = load_spec(spec) if not hasattr(spec, "system") else spec
    samples = positive_int(samples, "samples")
    epochs = positive_int(epochs, "epochs")
    temperature_k = non_negative(temperature_k, "temperature_k")
    units = Units(capacitance=capacitance, volts_per_unit=volts_per_unit, tau=tau,
                  temperature_k=temperature_k or 300.0)  # T = 0 is allowed here: the scales don't depend on it
    scaling = units.scaling()
    kT_J = KB_SI * temperature_k
    ideal = spec.system.with_params(temperature=kT_J / units.energy / spec.system.kb)
    X, y, Xt, yt = _split(ideal, test_fraction, seed)
    eval_set = (Xt, yt) if len(Xt) else None
    B = X.shape[0]
    batch_size = positive_int(batch_size, "batch_size") if batch_size is not None else max(1, math.ceil(B / 2))
    per_epoch = math.ceil(B / batch_size)
    tpb = float(time_per_batch) if time_per_batch is not None else spec.run.t_end / per_epoch
    slots = min(batch_size, B) * ideal.n_labels
    imperfections = Imperfections(leakage=float(leakage or 0.0), lever_bandwidth=float(lever_bandwidth or 0.0))
    esr_kw = _parse_esr(esr)
    perts = _perturbations(ideal, samples=samples, tolerance=tolerance, distribution=distribution, eseries=eseries,
                           esr=esr_kw, scaling=scaling, seed=seed, slots=slots, corners=corners)
    x0, _ = initial_state(ideal.with_data(X, y), x0=spec.x0, samples=1, seed=seed)
    first = (X[:min(batch_size, B)], y[:min(batch_size, B)])
    common = dict(system=ideal, scaling=scaling, X=X, y=y, eval_set=eval_set, t_end=spec.run.t_end, x0=x0[0],
                  first_batch=first,
                  train=dict(batch_size=batch_size, epochs=epochs, time_per_batch=tpb, seed=seed, x0=x0[0]))
    jobs = [dict(common, index=-1, perturbation=None, imperfections=Imperfections(), crosscheck=False)]
    jobs += [dict(common, index=s, perturbation=p, imperfections=imperfections, crosscheck=True)
             for s, p in enumerate(perts)]
    results = _run_all(jobs, processes=processes, progress=progress)
    ideal_res, perturbed = results[0], results[1:]
    if ideal_res["status"] != "ok":
        raise RuntimeError(f"the ideal machine failed to train: {ideal_res.get('error')}")

    train_ls = least_squares(ideal.with_data(X, y))
    x_ls = train_ls[0]
    test_ls = float(np.mean((ideal.predict(x_ls, Xt) - yt) ** 2)) if len(Xt) else None
    kT_red = kT_J / units.energy if kT_J > 0 else None

    def amount(reduced):
        d = {"J": float(reduced) * units.energy}
        if kT_red:
            d["kT"] = float(reduced) / kT_red
        return d

    def summary(r, p=None):
        h = r["history"]
        led = r["ledger"]
        d = {"train_mse": float(h["train_mse"][-1]), "test_mse": float(h["test_mse"][-1]) if eval_set else None,
             "train_mse_history": [float(v) for v in h["train_mse"]],
             "heat_J": float(led["heat"][-1]) * units.energy, "x": r["x"],
             "ledger": {k: [amount(v) for v in vals] for k, vals in led.items() if isinstance(vals, list)}}
        if kT_red:
            d["heat_kT"] = float(led["heat"][-1]) / kT_red
        return d

    ideal_sum = summary(ideal_res)
    E_ideal = ideal_res["ledger"]["energy_max"]
    rows = []
    for r, p in zip(perturbed, perts):
        row = {"sample": r["index"], "seed": seed + r["index"], "status": r["status"],
               "parts": _part_values(_machine(ideal, p, *first), scaling),
               "perturbation": p.to_dict()}
        if r["status"] == "ok":
            led = r["ledger"]
            stable = led["finite"] and led["energy_max"] <= GROWTH_LIMIT * E_ideal
            row.update(summary(r), stable=stable)
            if not stable:
                row["status"] = "unstable"
                row["note"] = (f"energy grew to {led['energy_max']:.3g} (ideal at most {E_ideal:.3g}): the machine "
                               "is unstable; its MSE is not a result")
            row["crosscheck_max_rel_err"] = r.get("crosscheck_max_rel_err")
        else:
            row.update(stable=False, train_mse=None, test_mse=None, heat_J=None, error=r.get("error"))
        rows.append(row)
    rows, corner_rows = rows[:samples], rows[samples:]
    for row, sign in zip(corner_rows, ("+tol", "-tol")):
        row.update(corner=sign, seed=None)
        del row["sample"]

    key = "test_mse" if eval_set else "train_mse"
    target = float(target_mse) if target_mse is not None else 1.1 * ideal_sum[key]
    ok = [r for r in rows if r["stable"] and r[key] is not None]
    good = [r for r in ok if r[key] <= target]
    mses = np.array([r[key] for r in ok]) if ok else np.zeros(0)
    out = {
        "spec": {"n_dof": ideal.n_dof, "grid": ideal.grid.to_dict(), "train_points": int(B),
                 "test_points": int(len(Xt))},
        "units": {"capacitance_F": capacitance, "volts_per_unit": volts_per_unit, "tau_s": tau,
                  "temperature_K": temperature_k, "energy_J": units.energy, "kT_J": kT_J,
                  "kT_reduced": kT_J / units.energy, "scaling": scaling.to_dict()},
        "protocol": {"epochs": epochs, "batch_size": batch_size, "time_per_batch": tpb, "seed": seed,
                     "batches_per_epoch": per_epoch},
        "nonideal": {"tolerance": tolerance, "distribution": distribution, "eseries": eseries, "esr": esr,
                     **imperfections.to_dict()},
        "least_squares": {"train_mse": train_ls[1], "test_mse": test_ls},
        "ideal": {**ideal_sum, "parts": _part_values(_machine(ideal, None, *first), scaling)},
        "perturbed": rows,
        **({"corners": corner_rows} if corner_rows else {}),
        "target_mse": target, "yield_on": key,
        "yield": len(good) / len(rows),
        "distribution": {"n_stable": len(ok), "n_unstable": sum(r["status"] == "unstable" for r in rows),
                         "n_failed": sum(r["status"] == "failed" for r in rows),
                         **({"median": float(np.median(mses)), "min": float(mses.min()), "max": float(mses.max()),
                             "mean": float(mses.mean()), "ratio_to_ideal_median": _ratio(np.median(mses), ideal_sum[key]),
                             "ratio_to_least_squares_median": _ratio(np.median(mses), test_ls if eval_set else
                                                                     train_ls[1])}
                            if ok else {})},
    }
    if imperfections.lever_bandwidth:
        full = ideal.with_data(X, y)
        growth = max_growth_rate(full, imperfections.lever_bandwidth, scaling)
        ideal_rate = -max_growth_rate(full, math.inf, scaling)  # τ_c = 0: the ideal machine's polynomial
        lever_work = [r["ledger"]["work:levers"][-1]["J"] for r in rows if r["stable"] and "ledger" in r]
        out["lever_bandwidth"] = {
            "f_c_hz": imperfections.lever_bandwidth,
            "fastest_mode_hz": fastest_rate(full) / (2 * math.pi * tau),
            "predicted_max_growth_rate": growth, "predicted_stable": growth < 0,
            "ideal_slowest_decay_rate": ideal_rate,
            "amplifier_work_J_median": float(np.median(lever_work)) if lever_work else None,
            "note": ("the modal polynomial (ideal parts, all training springs) predicts "
                     + ("instability" if growth >= 0 else
                        f"a slowest decay rate of {-growth:.3g} per time unit (ideal levers: {ideal_rate:.3g})"))}
    cc = [r["crosscheck_max_rel_err"] for r in rows if r.get("crosscheck_max_rel_err") is not None]
    if cc:
        out["crosscheck_max_rel_err"] = max(cc)
        if imperfections.active:
            out["crosscheck_note"] = ("crosscheck_max_rel_err compares the twin (tolerances, rounding, ESR); "
                                      "leakage and lever bandwidth have no mechanical twin and are not in it")
    return out


def _ratio(a, b):
    return float(a / b) if b else None


def _run_all(jobs, *, processes, progress):
    from tqdm.auto import tqdm

    workers = max(1, min(len(jobs), processes or os.cpu_count() or 1))
    bar = tqdm(total=len(jobs), desc="hardware", unit="machine", disable=not progress, leave=False)
    try:
        if workers == 1:
            out = []
            for j in jobs:
                out.append(_run_machine(j))
                bar.update(1)
            return out
        from ss_circuit.simulate import run_in_processes

        # fork: the parent has not loaded ngspice; each worker loads its own
        return run_in_processes(_run_machine, jobs, workers=workers, start_method="fork", bar=bar)
    finally:
        bar.close()


def plot_hardware(report: dict, spec, out) -> dict:
    """Three figures in folder ``out``: MSE histogram, learned functions, ledger bars (paths)."""
    from ss_mech.spec import load_spec

    from .plotting import pyplot, save_figure

    spec = load_spec(spec) if not hasattr(spec, "system") else spec
    plt = pyplot()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    key = report["yield_on"]
    paths = {}

    fig, ax = plt.subplots(figsize=(6, 3.6))
    vals = [r[key] for r in report["perturbed"] if r["stable"] and r[key] is not None]
    if vals:
        ax.hist(vals, bins=max(5, min(30, len(vals) // 2)), color="0.6", label=f"perturbed ({len(vals)} stable)")
    ax.axvline(report["ideal"][key], color="C0", lw=2, label="ideal parts")
    ls = report["least_squares"][key]
    if ls is not None:
        ax.axvline(ls, color="C2", ls="--", label="least squares")
    ax.axvline(report["target_mse"], color="C3", ls=":", label=f"target (yield {report['yield']:.0%})")
    ax.set_xlabel(key.replace("_", " ")), ax.set_ylabel("machines"), ax.legend(fontsize=8)
    fig.tight_layout()
    paths["mse_histogram"] = save_figure(fig, out, "mse_histogram.png")

    system = spec.system
    if system.grid.dim == 1:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        u = np.linspace(system.grid.u_min[0], system.grid.u_max[0], 200)[:, None]
        ax.plot(system.X[:, 0], system.y[:, 0], "k.", label="data")
        ax.plot(u[:, 0], system.predict(np.array(report["ideal"]["x"]), u)[:, 0], color="C0", lw=2, label="ideal")
        for i, r in enumerate([r for r in report["perturbed"] if r["stable"]][:5]):
            ax.plot(u[:, 0], system.predict(np.array(r["x"]), u)[:, 0], color=f"C{i + 1}", lw=1, alpha=0.8,
                    label=f"sample {r['sample']}")
        ax.set_xlabel("u"), ax.set_ylabel("prediction"), ax.legend(fontsize=7)
        fig.tight_layout()
        paths["learned_functions"] = save_figure(fig, out, "learned_functions.png")

    fig, ax = plt.subplots(figsize=(7, 3.8))
    machines = [("ideal", report["ideal"])] + [(f"s{r['sample']}", r) for r in report["perturbed"] if r["stable"]][:8]
    names = [n for n, _ in machines]
    heats = sorted({c for _, m in machines for c in m["ledger"] if c.startswith("heat:")})
    bottom = np.zeros(len(machines))
    for j, cls in enumerate(heats):  # the heat of each class, stacked
        h = np.array([m["ledger"][cls][-1]["J"] if cls in m["ledger"] else 0.0 for _, m in machines])
        ax.bar(names, h, bottom=bottom, label=cls, color=f"C{j}")
        bottom += h
    delivered = np.array([sum(m["ledger"][c][-1]["J"] for c in m["ledger"] if c.startswith("work:targets"))
                          for _, m in machines])
    ax.plot(names, delivered, "kD", label="delivered by the target sources")
    ax.set_ylabel("J over the training"), ax.legend(fontsize=7)
    ax.set_title("energy ledger per component class")
    fig.tight_layout()
    paths["ledger"] = save_figure(fig, out, "ledger.png")
    return paths
