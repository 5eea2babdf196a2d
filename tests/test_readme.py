"""The README's "From Python" example runs as written (on the shipped demo)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import ROOT


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section has one Python example"
    return blocks[0]


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    demo = tmp_path / "instances" / "demo"
    demo.mkdir(parents=True)
    shutil.copy(ROOT / "instances" / "demo" / "suzhou.json", demo / "suzhou.json")
    monkeypatch.chdir(tmp_path)
    code = readme_example()
    assert 'consortium.load("instances/demo/suzhou.json")' in code
    namespace: dict = {}
    exec(compile(code, "README.md (From Python)", "exec"), namespace)
    sol = namespace["sol"]
    assert sol.status.value == "optimal" and abs(sol.objective - 204.9882) < 1e-3
    assert len(namespace["consortia"]) == len(sol.inst.targets)  # formed and unformed targets
    assert len(namespace["contracts"]) == sum(len(c.contracts) for c in sol.consortia)
    assert list(namespace["sweep"].frame()["policy.total_budget"]) == [80, 160, 240]
    assert "optimal 204.9882" in capsys.readouterr().out


def test_public_api_names_are_not_shadowed_by_subpackages():
    """``import consortium.x`` sets ``consortium.x``: no API function may share a
    subpackage's or module's name."""
    import consortium

    modules = {p.stem if p.is_file() else p.name for p in (ROOT / "consortium").iterdir()
               if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert not modules & set(consortium.__all__), modules & set(consortium.__all__)


def test_readme_layout_names_every_module():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1]
    missing = []
    for p in sorted((ROOT / "consortium").rglob("*.py")):
        rel = p.relative_to(ROOT / "consortium")
        if p.name == "__init__.py" and rel.parent != Path("."):
            continue  # a folder's __init__ is the folder, named by its line
        folder_ok = all(f"{part}/" in layout for part in rel.parts[:-1])
        if not folder_ok or p.name not in layout:
            missing.append(str(rel))
    assert not missing, missing
