"""The architecture, asserted from the source: three layers whose imports only point down.

    springsticks  (application: CLI, compare, reproduce, bench, plotting)
        ↓
    ss_circuit    (the circuit backend: reads the element list and ss_mech.run, never a solver)
        ↓
    ss_mech       (model, solvers, oracles, training)

Every ``import`` and ``from … import`` statement of every module is read with :mod:`ast`
(function-level imports included), so the layering cannot rot silently.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("ss_mech", "ss_circuit", "springsticks")  # bottom to top


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute names of every module ``path`` imports (relative imports resolved), with line numbers."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.append((mod, node.lineno))
            # `from pkg import submodule` imports the submodule too
            out += [(f"{mod}.{a.name}", node.lineno) for a in node.names]
    return out


def _graph() -> dict[str, list[tuple[str, int]]]:
    graph = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            graph[_module_name(path)] = [(m, line) for m, line in _imports(path) if m.split(".")[0] in LAYERS]
    return graph


GRAPH = _graph()


def test_every_layer_has_modules():
    assert {name.split(".")[0] for name in GRAPH} == set(LAYERS)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    """A module imports only from its own layer or the layers below it."""
    rank = LAYERS.index(module.split(".")[0])
    up = [f"{module}:{line} imports {target}" for target, line in GRAPH[module]
          if LAYERS.index(target.split(".")[0]) > rank]
    assert not up, "imports that point up a layer:\n" + "\n".join(up)


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("ss_circuit")))
def test_circuit_never_reaches_into_a_solver(module):
    """ss_circuit reads the element list and ss_mech.run; solver internals are another backend's."""
    bad = [f"{module}:{line} imports {t}" for t, line in GRAPH[module]
           if t == "ss_mech.solvers" or t.startswith("ss_mech.solvers.")]
    assert not bad, "\n".join(bad)


def _existing(name: str) -> str | None:
    """The module ``name`` stands for (``pkg.attr`` from ``from pkg import attr`` → ``pkg``)."""
    while name and name not in GRAPH:
        name = name.rpartition(".")[0]
    return name or None


def test_no_import_cycle():
    edges = {m: sorted({_existing(t) for t, _ in deps} - {None, m}) for m, deps in GRAPH.items()}
    # a package's __init__ importing its own submodules is the package's face, not a cycle
    edges = {m: [t for t in ts if not t.startswith(m + ".")] for m, ts in edges.items()}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in edges.get(m, []):
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_a_violation(tmp_path):
    """The reader resolves relative imports (so a violation written either way is caught)."""
    pkg = ROOT / "ss_circuit"
    fake = pkg / "_layer_probe.py"
    assert not fake.exists()
    try:
        fake.write_text("from ss_mech.solvers import simulate\nfrom ..springsticks import cli\n")
        names = [m for m, _ in _imports(fake)]
    finally:
        fake.unlink()
    assert "ss_mech.solvers" in names and "springsticks.cli" in names


@pytest.mark.parametrize("statement", ["import ss_mech", "from ss_mech import System, Grid, Trajectory",
                                       "import ss_mech.spec, ss_mech.validation, ss_mech.run, ss_mech.spectrum",
                                       "import ss_circuit.ngspice, ss_circuit.readout"])
def test_model_core_does_not_import_torch(statement):
    code = f"import sys; {statement}; print('torch' in sys.modules, 'torchsde' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], statement
