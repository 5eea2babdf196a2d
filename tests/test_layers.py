"""The package is layered: imports run one way, from the command line down to
instance I/O, and never in a cycle (as ``test_matrix`` keeps scipy off the
solve path). Every module's imports are read with ``ast``, the lazy ones
inside functions included (those under ``if TYPE_CHECKING:`` serve
annotations only and are not counted).

    cli, the public API  ->  features (analysis, sweep, generate, report,
    spreadsheet, check, whatif)  ->  solving  ->  back ends, model, result, verify
    ->  instance I/O, errors, SPEC constants
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "consortium"

# (prefix, layer): the longest matching prefix wins; a module may import its
# own layer and those below it.
LAYERS = [
    ("consortium.errors", 0), ("consortium.spec", 0), ("consortium.io", 0),
    ("consortium.model", 1), ("consortium.backends", 1), ("consortium.result", 1),
    ("consortium.verify", 1),
    ("consortium.solving", 2),
    ("consortium.analysis", 3), ("consortium.sweep", 3), ("consortium.generate", 3),
    ("consortium.report", 3),
    ("consortium.spreadsheet", 3), ("consortium.check", 3), ("consortium.whatif", 3),
    ("consortium.cli", 4), ("consortium.api", 4), ("consortium.serve", 4),
    ("consortium.__main__", 4), ("consortium", 4),
]
NAMES = {0: "instance I/O", 1: "back ends / model / result", 2: "solving", 3: "features",
         4: "command line / API"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def layer(mod: str) -> int:
    best = max((p for p, _ in LAYERS if mod == p or mod.startswith(p + ".")), key=len)
    return dict(LAYERS)[best]


def resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> list[str]:
    """The package modules a ``from ... import ...`` names."""
    if node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append(sub if sub in MODULES else target)
    return out


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    return [n for n in ast.walk(tree) if id(n) not in skip]


def imports(mod: str) -> set[str]:
    path = MODULES[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.update(resolve(mod, path.name == "__init__.py", node))
    return {m for m in found if m == "consortium" or m.startswith("consortium.")} - {mod}


GRAPH = {m: {i for i in imports(m) if i in MODULES} for m in MODULES}


def test_every_module_has_a_layer():
    assert MODULES and all(layer(m) in NAMES for m in MODULES)


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_no_upward_import(mod):
    up = [f"{i} ({NAMES[layer(i)]})" for i in sorted(GRAPH[mod]) if layer(i) > layer(mod)]
    assert not up, f"{mod} ({NAMES[layer(mod)]}) imports upwards: {', '.join(up)}"


def test_no_import_cycle():
    # the package itself (consortium/__init__.py, the lazy public API) is the top:
    # importing a submodule runs it, but it imports nothing at import time
    graph = {m: {i for i in deps if i != "consortium"} for m, deps in GRAPH.items()
             if m != "consortium"}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if layer(m) < 4))
def test_only_the_command_line_exits_or_uses_click(mod):
    tree = ast.parse(MODULES[mod].read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "click"
                                                for a in node.names):
            bad.append(f"line {node.lineno}: imports click")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click":
            bad.append(f"line {node.lineno}: imports click")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "exit" and isinstance(f.value, ast.Name) \
                    and f.value.id == "sys":
                bad.append(f"line {node.lineno}: sys.exit")
            if isinstance(f, ast.Name) and f.id in ("exit", "quit"):
                bad.append(f"line {node.lineno}: {f.id}()")
    assert not bad, f"{mod}: " + "; ".join(bad)


def test_no_highspy_outside_the_back_ends():
    users = sorted(m for m, p in MODULES.items() if "highspy" in imports_any(p) and layer(m) != 1)
    assert not users, users
    assert all(m.startswith("consortium.backends") for m, p in MODULES.items()
               if "highspy" in imports_any(p))


def imports_any(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            out.add((node.module or "").split(".")[0])
    return out


def test_every_package_is_in_pyproject():
    import tomllib

    project = tomllib.loads((PKG.parent / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    found = {module_name(p.parent / "__init__.py") for p in PKG.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)


# What a plain solve needs: numpy, highspy, pydantic (the instance models),
# click and the package's solve path. These are not needed and cost start-up
# time (rich only renders the terminal report, not written with -o).
HEAVY = ("pandas", "rich", "pyomo", "scipy", "dask", "matplotlib", "jinja2", "networkx",
         "openpyxl", "plotly", "dash", "flask", "pyarrow")
FEATURES = ("consortium.generate", "consortium.sweep", "consortium.analysis",
            "consortium.report", "consortium.spreadsheet", "consortium.serve",
            "consortium.whatif", "consortium.check", "consortium.backends.pyomo_backend",
            "consortium.backends.decompose")


@pytest.mark.parametrize("instance", ["tests/data/valid/tiny.json", "instances/demo/suzhou.json"])
def test_solve_imports_only_what_it_needs(tmp_path, instance):
    """`consortium solve FILE -o OUT` (the console script's entry point, in a
    process of its own) loads none of the heavy libraries or feature packages
    it does not use. The modules are listed by an exit handler, which the
    console script's quick exit must still run."""
    import json
    import subprocess
    import sys

    root = PKG.parent
    out, mods = tmp_path / "out.json", tmp_path / "modules.json"
    code = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: open({str(mods)!r}, 'w').write(\n"
        "    json.dumps(sorted(sys.modules))))\n"
        f"sys.argv = ['consortium', 'solve', {str(root / instance)!r}, '-o', {str(out)!r}]\n"
        "from consortium.cli import main\n"
        "main()\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["status"] == "optimal"
    loaded = json.loads(mods.read_text())
    heavy = sorted({m.split(".")[0] for m in loaded} & set(HEAVY))
    features = sorted(m for m in loaded if m.startswith(FEATURES))
    assert not heavy and not features, (heavy, features)
    assert "highspy" in loaded and "consortium.verify" in loaded  # it did solve and verify


def test_quick_exit_leaves_profilers_their_output(tmp_path):
    """`python -m cProfile -o FILE -m consortium solve ...` still writes FILE:
    the console script leaves without the interpreter's teardown only when no
    profiler or tracer is watching (they write after the command returns)."""
    import pstats
    import subprocess
    import sys

    prof, out = tmp_path / "solve.prof", tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "consortium",
                        "solve", str(PKG.parent / "tests/data/valid/tiny.json"), "-o", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert out.exists() and prof.exists()
    assert pstats.Stats(str(prof)).total_calls > 0
