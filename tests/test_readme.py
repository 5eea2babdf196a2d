"""The README's "From Python" example runs as written (on the shipped demo)."""

from __future__ import annotations

import re
import shutil

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
