"""The ``springsticks`` command.

Subcommands: ``simulate`` (a spec through either backend), ``fit`` (train on a function or a
CSV), ``netlist`` (a spec as a SPICE netlist), ``crosscheck`` (both backends against each
other), ``energy`` (the joules learning costs), ``hardware`` (real parts: tolerances, losses,
yield, ledger), ``parts`` (E-series part lists), ``spectrum`` (the frequency domain: exact response,
ngspice's .ac/.noise, a Welch estimate), ``reproduce`` (the paper's results), ``sweep`` (parameter
sweeps on Dask) and ``bench`` (speed and memory figures).

Every subcommand's argparse lives here; the libraries it calls take keywords, never an
argparse namespace. Nothing heavy is imported before a subcommand runs (``--help`` loads
neither torch nor the circuit backend).

Errors reach the user as one line on stderr, ``springsticks COMMAND: error: WHAT; WHAT TO DO``,
and an exit status (:data:`EXIT_CODES`); ``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path

from ss_mech.errors import (EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_SIMULATION, InputError,
                            SpringsSticksError)

__all__ = ["main", "build_parser", "EXIT_CODES"]

#: the command's exit statuses (also in ``springsticks --help``)
EXIT_CODES = {
    EXIT_OK: "success (every check passed)",
    EXIT_CHECK_FAILED: "a check failed (crosscheck: a comparison outside its tolerance)",
    EXIT_INPUT: "bad input: arguments, spec or data (the message names the key or argument)",
    EXIT_SIMULATION: "simulator or environment failure (ngspice, a diverging run, a file that cannot be written)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); what finished is reported",
}


def _dumps_json(obj) -> str:
    from ss_mech.serialize import dumps_json
    return dumps_json(obj)


# ---------------------------------------------------------------------------- simulate
def _simulate(args) -> int:
    from ss_mech.spec import load_spec

    from .backends import get_backend

    spec = load_spec(args.spec)
    for note in spec.notes.get(args.backend, []):
        print(f"springsticks simulate: note: {note}", file=sys.stderr)
    traj = get_backend(args.backend).simulate_spec(spec, progress=args.progress)
    summary = traj.summary(include_samples=args.samples_out)
    if args.json:
        print(_dumps_json(summary))
    else:
        print(f"backend {traj.backend}: t_end={traj.t[-1]:g}, samples={traj.samples}, "
              f"method={traj.meta.get('method')}, dt={traj.meta.get('dt')}")
        for key in ("loss", "kinetic", "potential", "dissipated", "noise_work", "heat"):
            print(f"  {key:<11} start {summary[key][0]: .6g}   end {summary[key][-1]: .6g}")
        print("  work:", ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in traj.stats.items()))
    if traj.meta.get("interrupted"):  # Ctrl-C: the library returned the output times it completed
        print(f"springsticks simulate: interrupted; the output covers t <= {traj.t[-1]:g}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


# ---------------------------------------------------------------------------- fit
def _load_csv(path: str, n_labels: int):
    import numpy as np

    if not Path(path).is_file():
        raise InputError(f"--csv {path}: {'a folder, not a file' if Path(path).is_dir() else 'no such file'}; "
                         "give the path of a CSV file")
    data = np.genfromtxt(path, delimiter=",", dtype=float)
    if data.ndim == 2 and np.all(np.isnan(data[0])):
        data = data[1:]  # header row
    if data.ndim == 1:
        data = data[None, :]
    if data.shape[1] <= n_labels:
        raise ValueError(f"{path}: need input columns followed by {n_labels} label column(s), got {data.shape[1]} columns")
    if not np.all(np.isfinite(data)):
        row = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise ValueError(f"{path}: non-numeric or missing value in data row {row + 1}")
    return data[:, :-n_labels], data[:, -n_labels:]


def _fit(args) -> int:
    import numpy as np
    from ss_mech.functions import get_function, sample_dataset
    from ss_mech.oracles import least_squares
    from ss_mech.regressor import SpringsSticksRegressor

    box = None
    if args.csv:
        X, y = _load_csv(args.csv, args.labels)
        rng = np.random.default_rng(args.seed)
        order = rng.permutation(X.shape[0])
        n_test = int(round(args.test_fraction * X.shape[0]))
        test, tr = order[:n_test], order[n_test:]
        X, y, Xt, yt = X[tr], y[tr], X[test], y[test]
        source = args.csv
    else:
        f = get_function(args.function)
        dim = args.dim if f.dim is None else f.dim
        X, y = sample_dataset(args.function, dim=dim, points=args.points, noise=args.noise, seed=args.seed)
        Xt, yt = sample_dataset(args.function, dim=dim, points=args.points, noise=args.noise, seed=args.seed + 1)
        box = f.box
        source = f.formula
    reg = SpringsSticksRegressor(
        args.sticks, friction=args.friction, temperature=args.temperature, mass=args.mass,
        stiffness=args.stiffness, epochs=args.epochs, batch_size=args.batch_size,
        time_per_batch=args.time_per_batch, method=args.method, seed=args.seed, progress=args.progress,
        u_min=None if box is None else box[0], u_max=None if box is None else box[1])
    reg.fit(X, y, eval_set=(Xt, yt) if len(Xt) else None)
    _, lstsq = least_squares(reg.system_.with_data(X, y))
    out = {"source": source, "train_points": int(X.shape[0]), "test_points": int(len(Xt)),
           "train_mse": reg.mse(X, y), "test_mse": reg.mse(Xt, yt) if len(Xt) else None, "lstsq_mse": lstsq,
           "history": reg.history_, "heights": reg.x_.tolist(), "grid": reg.system_.grid.to_dict(),
           "dt": reg.trajectory_.meta["dt"], "wall_time": reg.history_["time"][-1],
           "interrupted": bool(reg.interrupted_), "epochs_completed": len(reg.history_["epoch"]) - 1}
    if args.plot:
        from .plotting import plot_fit
        plot_fit(reg, X, y, path=args.plot, truth=None if args.csv else get_function(args.function))
        out["plot"] = args.plot
    if args.json:
        print(_dumps_json(out))
    else:
        print(f"fitted {source} with {reg.system_.grid.n_sticks} sticks on {X.shape[0]} points "
              f"in {out['wall_time']:.2f} s")
        print(f"  train MSE {out['train_mse']:.4g}   test MSE {out['test_mse'] if out['test_mse'] is None else format(out['test_mse'], '.4g')}"
              f"   least-squares optimum {lstsq:.4g}")
        if args.plot:
            print(f"  figure: {args.plot}")
    if reg.interrupted_:  # Ctrl-C: the machine as training left it, reported, and the status says so
        print(f"springsticks fit: interrupted after {out['epochs_completed']} of {args.epochs} epochs; "
              "the result above is the state reached", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


# ---------------------------------------------------------------------------- netlist
def _netlist(args) -> int:
    from ss_circuit import netlist_from_spec
    from ss_mech.spec import load_spec

    spec = load_spec(args.spec)
    text = netlist_from_spec(spec, args.output, noise=args.noise, alpha=args.alpha, tau=args.tau, energy=args.energy,
                             inductance=args.inductance, capacitance=args.capacitance, params=args.params)
    print(f"wrote {args.output} ({len(text.splitlines())} lines)")
    return 0


# ---------------------------------------------------------------------------- crosscheck / reproduce / bench
def _crosscheck(args) -> int:
    """Exit 0 when every check passes, 1 when one fails, 130 on Ctrl-C (the finished modes are reported)."""
    from dataclasses import replace

    from .compare import MODES, CrosscheckConfig, crosscheck

    config = CrosscheckConfig.quick() if args.quick else CrosscheckConfig()
    changes = {k: getattr(args, k) for k in ("samples", "seed", "t_end", "processes")}
    config = replace(config, **{k: v for k, v in changes.items() if v is not None})
    modes = [m.strip() for m in (args.modes or ",".join(MODES)).split(",") if m.strip()]

    def log(message):
        print(message, file=sys.stderr, flush=True)

    result = crosscheck(args.spec, config=config, modes=modes, progress=args.progress, log=log)
    try:
        if args.report:
            from .compare.report import write_report
            path = write_report(result, args.report, log=log)
            log(f"report: {path}")
    finally:  # the results are printed even when the report cannot be written
        print(_dumps_json(result.to_json()) if args.json else result.table())
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.passed else EXIT_CHECK_FAILED


def _reproduce(args) -> int:
    from .reproduce import REPRODUCTIONS

    if args.name not in REPRODUCTIONS:
        raise InputError(f"unknown reproduction {args.name!r}; choose one of {', '.join(REPRODUCTIONS)}")
    result = REPRODUCTIONS[args.name](out=Path(args.out) if args.out else None, quick=args.quick,
                                      progress=args.progress)
    if args.json:
        print(_dumps_json(result))
    else:
        print(result.get("table", _dumps_json(result)))
    return 0


def _bench(args) -> int:
    from .bench import run_benchmark
    run_benchmark(quick=args.quick, json_out=args.json, sweep=args.sweep)
    return 0


# ---------------------------------------------------------------------------- hardware
def _hardware(args) -> int:
    from ss_circuit.nonideal import parse_frequency, parse_tolerances

    from .hardware import hardware_report, plot_hardware

    try:
        tol = parse_tolerances(args.tolerance) if args.tolerance else None
        bandwidth = parse_frequency(args.lever_bandwidth) if args.lever_bandwidth else 0.0
    except ValueError as exc:
        raise InputError(str(exc)) from None
    out = hardware_report(args.spec, tolerance=tol, distribution=args.distribution, esr=args.esr,
                          leakage=args.leakage or 0.0, lever_bandwidth=bandwidth, samples=args.samples,
                          eseries=args.eseries, capacitance=args.capacitance, volts_per_unit=args.volts_per_unit,
                          tau=args.tau, temperature_k=args.temperature_k, seed=args.seed, epochs=args.epochs,
                          batch_size=args.batch_size, time_per_batch=args.time_per_batch,
                          test_fraction=args.test_fraction, target_mse=args.target_mse, corners=args.corners,
                          processes=args.processes,
                          progress=args.progress)
    if args.out:
        from ss_mech.serialize import atomic_write
        out["figures"] = plot_hardware(out, args.spec, args.out)
        out["report"] = str(atomic_write(Path(args.out) / "hardware.json", _dumps_json(out)))
    if args.json:
        print(_dumps_json(out))
    else:
        k = out["yield_on"]
        print(f"ideal parts: train MSE {out['ideal']['train_mse']:.4g}, {k.replace('_', ' ')} "
              f"{out['ideal'][k]:.4g}, heat {out['ideal']['heat_J']:.3g} J; least squares "
              f"{out['least_squares'][k]:.4g}")
        d = out["distribution"]
        if "median" in d:
            print(f"{len(out['perturbed'])} perturbed: {k.replace('_', ' ')} median {d['median']:.4g} "
                  f"(x{d['ratio_to_ideal_median']:.3f} ideal), range {d['min']:.4g}..{d['max']:.4g}; "
                  f"unstable {d['n_unstable']}, failed {d['n_failed']}")
        print(f"yield {out['yield']:.0%} within {k.replace('_', ' ')} <= {out['target_mse']:.4g}")
        for c in out.get("corners", []):
            print(f"corner {c['corner']}: {k.replace('_', ' ')} "
                  + (f"{c[k]:.4g}" if c.get(k) is not None else c["status"]))
        if "crosscheck_max_rel_err" in out:
            print(f"mechanical twins: circuit vs mechanics max rel. deviation {out['crosscheck_max_rel_err']:.2g}")
        for f in out.get("figures", {}).values():
            print(f"  figure: {f}")
    return 0


def _parts(args) -> int:
    from .hardware import format_parts, parts_report

    out = parts_report(args.spec, eseries=args.eseries, capacitance=args.capacitance,
                       volts_per_unit=args.volts_per_unit, tau=args.tau)
    print(_dumps_json(out) if args.json else format_parts(out))
    return 0


# ---------------------------------------------------------------------------- parser
def _energy(args) -> int:
    import numpy as np

    from .energy import Units, energy_report, energy_sweep, plot_sweep

    units = Units(capacitance=args.capacitance, volts_per_unit=args.volts_per_unit, tau=args.tau,
                  temperature_k=args.temperature_k)
    kw = dict(target_mse=args.target_mse, target_factor=args.target_factor, batch_size=args.batch_size,
              time_per_batch=args.time_per_batch, x0=args.start_x, v0=args.start_v)
    out = energy_report(args.spec, units=units, backend=args.backend, samples=args.samples, seed=args.seed,
                        progress=args.progress, **kw)
    if args.plot:
        v_min = out["threshold"]["volts_per_unit"]
        volts = np.geomspace(1.05 * v_min, max(1e3 * v_min, 2 * units.volts_per_unit), 12)
        out["plot"] = plot_sweep(energy_sweep(args.spec, volts, units=units, **kw), args.plot)
    if args.json:
        print(_dumps_json(out))
        return 0
    u = out["units"]
    print(f"C0 = {u['capacitance']:.3g} F, V_u = {u['volts_per_unit']:.3g} V per unit height, tau = {u['tau']:.3g} s, "
          f"T = {u['temperature_k']:g} K: E0 = {u['energy_J']:.3g} J, reduced k_BT = {u['kT_reduced']:.3g}")
    th = out["threshold"]
    print(f"  target MSE {out['target_mse']:.5g} (least squares {out['mse_ls']:.5g}, equilibrium here "
          f"{out['equilibrium_mse']:.5g}); threshold V_u >= {th['volts_per_unit']:.3g} V "
          f"(signal energy {th['signal_energy_J']:.3g} J = {th['signal_energy_kT']:.4g} k_BT)")
    if out["reached"]:
        h, m = out["heat"], out["minimum_heat"]
        print(f"  reached in {out['time_to_target']['s']:.4g} s; heat {h['J']:.4g} J = {h['kT']:.4g} k_BT; "
              f"minimum -k_BT dS = {m['J']:.4g} J = {m['kT']:.4g} k_BT ({m['bits']:.4g} bits); "
              f"efficiency {out['efficiency']:.3g}")
    else:
        print(f"  {out['note']}")
    if "periodic" in out:
        p = out["periodic"]
        print(f"  mini-batch training ({p['batches']} batches of {p['batch_size']}): heat per epoch in the periodic "
              f"steady state {p['heat_per_epoch']['J']:.4g} J = {p['heat_per_epoch']['kT']:.4g} k_BT")
    if "simulated" in out:
        sm = out["simulated"]
        print(f"  {sm['backend']} ({sm['samples']} samples): heat {sm['heat_J']:.4g} ± {sm['heat_se_J']:.2g} J, "
              f"z = {sm['z']:+.2f} against the exact value")
    if args.plot:
        print(f"  figure: {out['plot']}")
    return 0


def _sweep_run(args) -> int:
    from .sweep.command import run_command
    return run_command(args)


def _sweep_plot(args) -> int:
    from .sweep.command import plot_command
    return plot_command(args)


def _sweep_parser(sub, common) -> None:
    """``springsticks sweep [run] SPEC ...`` and ``springsticks sweep plot DIR ...`` (:mod:`springsticks.sweep`)."""
    w = sub.add_parser("sweep", parents=[common], help="parameter sweeps on Dask: resumable, with figures",
                       description="Sweep a spec over parameters on a Dask cluster (springsticks sweep SPEC ... is "
                                   "short for springsticks sweep run SPEC ...), or plot a sweep folder.")
    acts = w.add_subparsers(dest="action", required=True)
    r = acts.add_parser("run", parents=[common], help="run (or resume) a sweep of a spec")
    r.add_argument("spec", help="the base spec JSON")
    r.add_argument("--vary", action="append", metavar="PATH=VALUES",
                   help="an axis: dotted spec path (or task.OPTION) = 0.1,1,10 | logspace:A:B:N | linspace:A:B:N | "
                        "[1],[2] (repeat for a Cartesian product)")
    r.add_argument("--zip", action="append", metavar="PATH,PATH",
                   help="varied paths that move together (equal lengths), e.g. physics.stiffness,physics.mass")
    r.add_argument("--task", choices=("simulate", "train", "energy"), default="simulate")
    r.add_argument("--backend", choices=("mech", "circuit"), default="mech")
    r.add_argument("--out", required=True, help="the sweep folder (sweep.sqlite, results.parquet, summary.md)")
    where = r.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    r.add_argument("--seeds", type=int, default=1, help="seeds per combination (column replicate)")
    r.add_argument("--seed", type=int, help="the base seed every point's seed derives from (default: run.seed)")
    r.add_argument("--force", action="store_true", help="recompute points the store already holds")
    r.add_argument("--dry-run", action="store_true", help="list the points (validated) and run nothing")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    r.add_argument("--progress", action="store_true", default=None, help="progress bar (default: on a terminal)")
    r.add_argument("--verbose", action="store_true", help="keep Dask's own logging")
    r.set_defaults(func=_sweep_run)
    q = acts.add_parser("plot", parents=[common], help="a figure of a sweep folder, and its summary.md")
    q.add_argument("dir", help="the sweep folder (--out of the run)")
    q.add_argument("--x", required=True, help="column on the x axis (e.g. physics.stiffness, k_over_kT)")
    q.add_argument("--y", required=True, help="column on the y axis (e.g. final_mse)")
    q.add_argument("--hue", help="one line per value of this column (the heatmap's second axis)")
    q.add_argument("--reference", help="a column drawn as a dashed line beside y (e.g. equilibrium_mse)")
    q.add_argument("--heatmap", action="store_true", help="y over the (x, hue) plane")
    q.add_argument("-o", "--output", help="the PNG (default DIR/Y_vs_X....png)")
    q.add_argument("--title", help="the figure's title (default: the task and backend)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_sweep_plot)


def _spectrum(args) -> int:
    """Exit 0 when every check passes, 1 when one fails."""
    from .spectrum import spectrum_report, write_spectrum_report

    units = None
    physical = (args.capacitance, args.volts_per_unit, args.tau, args.temperature_k)
    if any(v is not None for v in physical):
        from .energy import Units
        units = Units(**{k: v for k, v in zip(("capacitance", "volts_per_unit", "tau", "temperature_k"), physical)
                         if v is not None})
    spec = args.spec
    if spec is None:
        from .compare import default_spec
        spec = default_spec()
    out = spectrum_report(spec, readout=args.readout, f_min=args.f_min, f_max=args.f_max, points=args.points,
                          units=units, circuit=not args.no_circuit, welch=not args.no_welch, samples=args.samples,
                          seed=args.seed, progress=args.progress)
    if args.report:
        path = write_spectrum_report(out, args.report)
        print(f"report: {path}", file=sys.stderr)
    if args.json:
        from .spectrum import _jsonable
        print(_dumps_json(_jsonable(out)))
    else:
        print(f"readout {out['readout']} ({len(out['labels'])} rows), {len(out['omega'])} frequencies "
              f"w = {out['omega'][0]:.3g} .. {out['omega'][-1]:.3g}, k_BT = {out['kT']:.4g}")
        for c in out["checks"]:
            print(f"  {c['source']:<10} {c['quantity']:<58} {c['deviation']:.2e} (tol {c['tolerance']:.3g}) "
                  f"{'pass' if c['passed'] else 'FAIL'}")
        for n in out["notes"]:
            print(f"  note: {n}")
    return EXIT_OK if out["passed"] else EXIT_CHECK_FAILED


def _epilog() -> str:
    width = max(len(str(code)) for code in EXIT_CODES)
    return "exit status:\n" + "\n".join(f"  {code:<{width}}  {what}" for code, what in EXIT_CODES.items())


#: the defaults of springsticks.energy.Units (not imported here: the parser must not load numpy)
UNIT_DEFAULTS = {"capacitance": 1e-12, "volts_per_unit": 1.0, "tau": 1e-9, "temperature_k": 300.0}


def _add_units(parser, *, defaults: bool = True, temperature: str | None = "bath temperature in kelvin") -> None:
    """The physical-units options (:class:`springsticks.energy.Units`) on one subcommand: with their
    defaults, or (``defaults=False``) all None, so that leaving them out means reduced units;
    ``temperature=None`` leaves out ``--temperature-k``."""
    d = UNIT_DEFAULTS if defaults else dict.fromkeys(UNIT_DEFAULTS)
    shown = (lambda text: f"{text} (default %(default)s)") if defaults else (lambda text: f"physical units: {text}")
    parser.add_argument("--capacitance", type=float, default=d["capacitance"],
                        help=shown("C0, farads of a spring of stiffness 1"))
    parser.add_argument("--volts-per-unit", type=float, default=d["volts_per_unit"],
                        help=shown("V_u, volts per unit height"))
    parser.add_argument("--tau", type=float, default=d["tau"], help=shown("seconds per time unit"))
    if temperature is not None:
        parser.add_argument("--temperature-k", type=float, default=d["temperature_k"], help=shown(temperature))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="springsticks", description=__doc__.split("\n\n")[0], epilog=_epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    debug_help = "on an error, show the full traceback instead of the one-line message"
    p.add_argument("--debug", action="store_true", help=debug_help)
    # also accepted after the subcommand; SUPPRESS keeps a subcommand from resetting the global flag
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", parents=[common], help="run a JSON spec through a backend")
    s.add_argument("spec", help="path to the spec JSON")
    s.add_argument("--backend", choices=("mech", "circuit"), default="mech")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--samples-out", action="store_true", help="include x_end_samples / v_end_samples")
    s.add_argument("--progress", action="store_true")
    s.set_defaults(func=_simulate)

    f = sub.add_parser("fit", parents=[common], help="train a machine on a target function or a CSV file")
    src = f.add_mutually_exclusive_group(required=True)
    from ss_mech.functions import FUNCTIONS
    src.add_argument("--function", choices=sorted(FUNCTIONS), help="target function")
    src.add_argument("--csv", help="CSV with input columns then label columns (optional header)")
    f.add_argument("--labels", type=int, default=1, help="label columns at the end of the CSV")
    f.add_argument("--test-fraction", type=float, default=0.2, help="held-out share of the CSV rows")
    f.add_argument("--dim", type=int, default=1)
    f.add_argument("--sticks", type=int, default=4)
    f.add_argument("--points", type=int, default=20)
    f.add_argument("--noise", type=float, default=0.0, help="Gaussian noise on the targets")
    f.add_argument("--friction", type=float, default=10.0)
    f.add_argument("--temperature", type=float, default=0.0)
    f.add_argument("--mass", type=float, default=1.0)
    f.add_argument("--stiffness", type=float, default=1.0)
    f.add_argument("--epochs", type=int, default=10)
    f.add_argument("--batch-size", type=int, default=16)
    f.add_argument("--time-per-batch", type=float, default=0.1)
    f.add_argument("--method", default="auto",
                   help="solver (default auto: the exact solver at T = 0 for a small machine, else euler)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--plot", help="save a figure of the fit (PNG)")
    f.add_argument("--json", action="store_true")
    f.add_argument("--progress", action="store_true")
    f.set_defaults(func=_fit)

    n = sub.add_parser("netlist", parents=[common], help="write a spec's circuit as a standalone SPICE netlist")
    n.add_argument("spec")
    n.add_argument("-o", "--output", required=True)
    n.add_argument("--noise", choices=("samples", "trnoise", "none"),
                   help="Johnson-noise sources (default: the spec's circuit.noise, else samples)")
    n.add_argument("--alpha", type=float, help="charge (C) per unit displacement (default 1)")
    n.add_argument("--tau", type=float, help="circuit seconds per unit of mechanical time (default 1)")
    n.add_argument("--energy", type=float, help="joules per unit of mechanical energy (default 1)")
    n.add_argument("--capacitance", type=float, help="farads of one data spring's capacitor (sets alpha)")
    n.add_argument("--inductance", type=float, help="henries of one stick's translation inductor (sets tau)")
    n.add_argument("--params", action="store_true", help="part values through one .param per part class")
    n.set_defaults(func=_netlist)

    c = sub.add_parser("crosscheck", parents=[common], help="run both backends and compare them")
    c.add_argument("spec", nargs="?", help="spec JSON (default: the demo system)")
    c.add_argument("--quick", action="store_true", help="small ensembles, short runs (CI)")
    c.add_argument("--samples", type=int, help="ensemble size per backend (default 200; 64 with --quick)")
    c.add_argument("--modes", default=None,
                   help="comma-separated subset of the comparisons (default: all five)")
    c.add_argument("--t-end", type=float, help="duration of every run (default: the spec's run.t_end)")
    c.add_argument("--seed", type=int, help="seed of every noise draw (default 0)")
    c.add_argument("--processes", type=int, help="ngspice worker processes (default: one per CPU)")
    c.add_argument("--json", action="store_true")
    c.add_argument("--report", help="write a markdown report with figures into this folder")
    c.add_argument("--progress", action="store_true")
    c.set_defaults(func=_crosscheck)

    r = sub.add_parser("reproduce", parents=[common], help="reproduce a result of the paper")
    r.add_argument("name")
    r.add_argument("--out", help="folder for figures")
    r.add_argument("--quick", action="store_true")
    r.add_argument("--json", action="store_true")
    r.add_argument("--progress", action="store_true")
    r.set_defaults(func=_reproduce)

    e = sub.add_parser("energy", parents=[common], help="the energy a machine spends to learn, in joules")
    e.add_argument("spec", help="spec JSON (its temperature is replaced by --temperature-k)")
    _add_units(e)
    tg = e.add_mutually_exclusive_group()
    tg.add_argument("--target-mse", type=float, help="the MSE to reach")
    tg.add_argument("--target-factor", type=float, default=1.1, help="target = factor x least-squares MSE (default 1.1)")
    e.add_argument("--start-x", default="uniform", choices=("uniform", "gibbs"), help="start law of the heights")
    e.add_argument("--start-v", default="maxwell", choices=("maxwell", "rest"), help="start law of the velocities")
    e.add_argument("--batch-size", type=int, help="also: heat per epoch of mini-batch training (periodic steady state)")
    e.add_argument("--time-per-batch", type=float, help="with --batch-size (default 0.1)")
    e.add_argument("--backend", choices=("mech", "circuit"), help="also measure the heat on a backend")
    e.add_argument("--samples", type=int, default=200, help="ensemble size for --backend")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--plot", help="figure: joules against the signal scale (PNG)")
    e.add_argument("--json", action="store_true")
    e.add_argument("--progress", action="store_true")
    e.set_defaults(func=_energy)

    _sweep_parser(sub, common)

    h = sub.add_parser("hardware", parents=[common],
                       help="train circuits of real parts: tolerances, ESR, leakage, lever bandwidth; yield and ledger")
    h.add_argument("spec", help="spec JSON (its temperature is replaced by --temperature-k)")
    h.add_argument("--tolerance", help="part tolerances, e.g. C=5%%,L=1%%,R=1%%,G=0.5%% (G: lever gains)")
    h.add_argument("--distribution", choices=("gaussian", "uniform"), default="gaussian",
                   help="tolerance draws: gaussian (tolerance = 3 sigma) or uniform")
    h.add_argument("--esr", help="inductor series resistance: ohms (0.5) or a quality factor (Q=50)")
    h.add_argument("--leakage", type=float, help="ohms across every spring capacitor (default: none)")
    h.add_argument("--lever-bandwidth", help="single-pole corner of the data-spring levers, e.g. 100MHz")
    h.add_argument("--eseries", choices=("E6", "E12", "E24", "E48", "E96"), help="round the parts first")
    h.add_argument("--samples", type=int, default=8, help="perturbed machines (default 8)")
    h.add_argument("--corners", action="store_true", help="also every part at +tol and at -tol")
    _add_units(h, temperature="bath in kelvin (0: deterministic)")
    h.add_argument("--epochs", type=int, default=5)
    h.add_argument("--batch-size", type=int, help="default: half the training points")
    h.add_argument("--time-per-batch", type=float, help="default: run.t_end / batches per epoch")
    h.add_argument("--test-fraction", type=float, default=0.25, help="held-out share of the spec's points")
    h.add_argument("--target-mse", type=float, help="yield threshold (default 1.1 x the ideal machine's)")
    h.add_argument("--processes", type=int, help="worker processes (default: one per CPU)")
    h.add_argument("--seed", type=int, default=0)
    h.add_argument("--out", help="folder for hardware.json and the figures")
    h.add_argument("--json", action="store_true")
    h.add_argument("--progress", action="store_true")
    h.set_defaults(func=_hardware)
    pr = sub.add_parser("parts", parents=[common], help="every L, R, C of a spec's circuit rounded to an E-series")
    pr.add_argument("spec")
    pr.add_argument("--eseries", choices=("E6", "E12", "E24", "E48", "E96"), default="E24")
    _add_units(pr, temperature=None)
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=_parts)

    sp = sub.add_parser("spectrum", parents=[common],
                        help="frequency domain: exact response and FDT spectrum vs ngspice .ac/.noise and a Welch estimate")
    sp.add_argument("spec", nargs="?", help="spec JSON with physics.temperature > 0 and noise 'fdt' "
                                            "(default: the crosscheck's demo, k_BT = 0.05)")
    sp.add_argument("--readout", default="heights", help="heights (default), residuals, or node:I")
    sp.add_argument("--f-min", type=float, help="lowest frequency, cycles per time unit of the spec (w = 2 pi f)")
    sp.add_argument("--f-max", type=float, help="highest frequency, cycles per time unit")
    sp.add_argument("--points", type=int, default=10, help="points per decade (default 10)")
    _add_units(sp, defaults=False, temperature="the bath in kelvin (replaces the spec's)")
    sp.add_argument("--samples", type=int, default=32, help="trajectories of the Welch estimate (default 32)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--no-circuit", action="store_true", help="skip ngspice")
    sp.add_argument("--no-welch", action="store_true", help="skip the simulated ensemble")
    sp.add_argument("--report", help="write bode.png, psd.png, results.json and report.md into this folder")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--progress", action="store_true")
    sp.set_defaults(func=_spectrum)

    b = sub.add_parser("bench", parents=[common], help="steps/s and peak memory vs system size")
    b.add_argument("--quick", action="store_true")
    b.add_argument("--json", action="store_true")
    b.add_argument("--sweep", action="store_true",
                   help="instead: the sweep engine's points/s on 1 and 2 Dask workers, efficiency, overhead per point")
    b.set_defaults(func=_bench)
    return p


#: what to do about an OSError, by errno
_OS_ADVICE = {
    errno.ENOSPC: "free some disk space or write to another folder",
    errno.EDQUOT: "free some of your disk quota or write to another folder",
    errno.EROFS: "the file system is read-only: write to another folder",
    errno.EACCES: "check the permissions of that path or choose another one",
    errno.EPERM: "check the permissions of that path or choose another one",
    errno.ENOENT: "check the path",
    errno.EISDIR: "give a file name, not a folder",
    errno.ENOTDIR: "a part of that path is a file, not a folder: check the path",
}


#: the errno an OSError subclass stands for, when it was raised without one
_ERRNO_OF = {FileNotFoundError: errno.ENOENT, IsADirectoryError: errno.EISDIR, NotADirectoryError: errno.ENOTDIR,
             PermissionError: errno.EACCES}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _error_message(exc: BaseException, command: str) -> tuple[str, int]:
    """The one-line message (after ``error: ``) and the exit status for an exception ``main`` catches."""
    if isinstance(exc, SpringsSticksError):  # the message says what went wrong, the hint what to do
        return _one_line(f"{exc}; {exc.hint}" if exc.hint else str(exc)), exc.exit_code
    if isinstance(exc, OSError):
        number = exc.errno if exc.errno is not None else _ERRNO_OF.get(type(exc))
        advice = _OS_ADVICE.get(number, "check the path and the disk")
        if exc.strerror:
            what = f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
        else:  # e.g. numpy's FileNotFoundError("x.csv not found.")
            what = str(exc).rstrip(".") or type(exc).__name__
        return _one_line(f"{what}; {advice}"), EXIT_SIMULATION
    # ValueError / TypeError from the library or its dependencies: bad input
    text = str(exc) or type(exc).__name__
    hint = "" if "; " in text else f"; see `springsticks {command} --help`"
    return _one_line(text + hint), EXIT_INPUT


def main(argv=None) -> int:
    """Run the command; returns the exit status (see :data:`EXIT_CODES`)."""
    from .sweep.command import normalize_argv
    args = build_parser().parse_args(normalize_argv(sys.argv[1:] if argv is None else argv))
    if getattr(args, "progress", False) is False and sys.stderr.isatty() and args.command in ("crosscheck",):
        args.progress = True
    try:
        return args.func(args)
    except (SpringsSticksError, ValueError, TypeError, OSError) as exc:
        if args.debug:
            raise
        message, code = _error_message(exc, args.command)
        print(f"springsticks {args.command}: error: {message}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"springsticks {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def console() -> int:
    """The ``springsticks`` executable: :func:`main`, then a quick exit.

    Everything alive when the command ends is moved to the collector's permanent generation
    (``gc.freeze``), so the interpreter's shutdown does not walk torch's objects again: that cost
    0.4 s of every command that loaded torch (a third of ``reproduce mlp``'s time outside its
    work). The command has finished by then, its files written and closed; output is flushed at
    exit as always. Only the executable does this: :func:`main` called in a process that goes on
    (a test, a notebook) leaves the collector alone.
    """
    import gc

    status = main()
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(console())
