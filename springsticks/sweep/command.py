"""The ``springsticks sweep`` command's handlers (its argparse lives in :mod:`springsticks.cli`).

Two actions: ``springsticks sweep run SPEC ...`` (also written ``springsticks sweep SPEC ...``,
the issue's form: :func:`normalize_argv` inserts ``run``) and ``springsticks sweep plot DIR ...``.
Exit status of ``run``: 0 when every point finished, 3 when some failed (they are stored with
their errors), 130 after Ctrl-C (what finished is stored and summarised), 2 for bad input
(before anything runs).
"""
from __future__ import annotations

import shlex
import sys

__all__ = ["ACTIONS", "normalize_argv", "run_command", "plot_command"]

#: the sweep command's actions (``run`` is implied when the first word is a spec)
ACTIONS = ("run", "plot")


def normalize_argv(argv: list[str]) -> list[str]:
    """``sweep SPEC ...`` → ``sweep run SPEC ...``; every other command line is returned unchanged."""
    argv = list(argv)
    for i, word in enumerate(argv):
        if word.startswith("-"):
            continue  # a global option before the command (--debug)
        if word == "sweep" and i + 1 < len(argv) and argv[i + 1] not in ACTIONS + ("-h", "--help"):
            argv.insert(i + 1, "run")
        break
    return argv


def _say(message: str) -> None:
    print(f"springsticks sweep: {message}", file=sys.stderr, flush=True)


def run_command(args) -> int:
    from ss_mech.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_SIMULATION
    from ss_mech.serialize import dumps_json

    from .engine import sweep
    from .points import build_points, parse_vary
    from .report import write_summary
    from .tasks import run_task

    axes = parse_vary(args.vary)
    points = build_points(args.spec, vary=axes, zip=args.zip, task=args.task, backend=args.backend,
                          seeds=args.seeds, seed=args.seed)
    if args.dry_run:
        rows = [{"key": p.key[:16], **p.params} for p in points]
        print(dumps_json({"points": len(points), "rows": rows}) if args.json else
              "\n".join(f"{r['key']}  " + ", ".join(f"{k}={v}" for k, v in r.items() if k != "key") for r in rows))
        return EXIT_OK
    words = [str(args.spec)] + [w for v in args.vary or [] for w in ("--vary", v)]
    words += [w for z in args.zip or [] for w in ("--zip", z)]
    words += ["--task", args.task, "--backend", args.backend, "--seeds", str(args.seeds), "--out", str(args.out)]
    if args.seed is not None:
        words += ["--seed", str(args.seed)]
    description = {"command": "springsticks sweep " + " ".join(shlex.quote(w) for w in words), "spec": str(args.spec),
                   "task": args.task, "backend": args.backend, "seed": args.seed, "seeds": args.seeds,
                   "axes": [a.path for a in axes], "points": len(points)}
    where = f"--scheduler {args.scheduler}" if args.scheduler else (f"{args.workers} local workers" if args.workers else "local workers, one per core")
    if not args.json:
        _say(f"{len(points)} points ({args.task} on {args.backend}) into {args.out}, {where}")
    result = sweep(run_task, points, store=args.out, scheduler=args.scheduler, workers=args.workers,
                   force=args.force, progress=args.progress, description=description, verbose=args.verbose)
    summary = result.summary()
    summary["summary_md"] = str(write_summary(args.out))
    if args.json:
        print(dumps_json(summary))
    else:
        print(f"{summary['points']} points: {summary['computed']} computed, {summary['reused']} reused from the store, "
              f"{summary['failed']} failed, {summary['missing']} not run; store {summary['store']} "
              f"({result.wall_time:.1f} s)")
        for key, error in result.errors.items():
            print(f"  failed {key[:12]}: {error}")
    if result.interrupted:
        _say("interrupted; the finished points are stored, run the same command again to resume")
        return EXIT_INTERRUPTED
    return EXIT_SIMULATION if result.failed else EXIT_OK


def plot_command(args) -> int:
    from ss_mech.errors import EXIT_OK
    from ss_mech.serialize import dumps_json

    from .report import plot_sweep, write_summary

    figure = plot_sweep(args.dir, x=args.x, y=args.y, hue=args.hue, reference=args.reference, heatmap=args.heatmap,
                        out=args.output, title=args.title)
    summary = write_summary(args.dir, figures=[figure])
    print(dumps_json({"figure": figure, "summary_md": str(summary)}) if args.json else f"figure: {figure}\nsummary: {summary}")
    return EXIT_OK
