"""The package's shape: stages in subpackages, layers that hold, no import cycles, one vocabulary.

The import graph is read from the source (ast), function-level imports included, so it sees what runs
only on some paths too. Each rule is also run on a small planted tree, to show it can fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

LIBRARY = REPO / "handout_builder"
SHARED = ("problems", "model", "editions")  # the top-level modules every stage may use
# Lowest first: a module may import its own stage and the stages before it, never one after it.
STAGES = ("content", "render", "pdf", "checks", "build", "deliver", "web")
STAGE_NAMES = {"content": "Content", "render": "Render", "pdf": "PDF", "checks": "Checks", "build": "Build",
               "deliver": "Deliver", "web": "Web"}
FRAMEWORKS = {"click": (), "flask": ("web",), "waitress": ("web",)}  # allowed only in these stages


def modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (a subpackage is its __init__)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(package: Path) -> dict[str, set[str]]:
    """Module -> the modules (of this package, or top-level third-party names) it imports anywhere."""
    known = modules(package)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")
                    base = base[:len(base) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:  # `from . import translation` imports a module
                    sub = f"{module}.{alias.name}"
                    targets.add(sub if sub in known else module)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[name] = {t if t in known else t.split(".")[0] for t in targets} - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def stage_of(module: str) -> str | None:
    """The stage a library module belongs to (None for the shared top-level modules)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def layer_violations(graph: dict[str, set[str]], root: str) -> list[str]:
    """Imports that go up the stages, or into a framework the stage may not use."""
    found = []
    for module, targets in sorted(graph.items()):
        stage = stage_of(module)
        rank = STAGES.index(stage) if stage else -1
        for target in sorted(targets):
            if target.startswith(root + "."):
                other = stage_of(target)
                if other is not None and STAGES.index(other) > rank:
                    found.append(f"{module} imports {target}: {stage or 'a shared module'} is below {other}")
            elif target in FRAMEWORKS and stage not in FRAMEWORKS[target]:
                found.append(f"{module} imports {target}")
    return found


# --- the real library ------------------------------------------------------------------------------

def test_the_library_has_no_import_cycle():
    assert cycles(imports(LIBRARY)) == []


def test_no_stage_imports_a_later_stage_and_the_library_never_imports_click():
    assert layer_violations(imports(LIBRARY), "handout_builder") == []


def test_each_stage_is_a_subpackage_whose_init_holds_a_docstring_only():
    for stage in STAGES:
        init = LIBRARY / stage / "__init__.py"
        if stage == "web" and not init.exists():
            continue  # the app is the one stage that may be absent
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), f"{init}: only a docstring"
        assert ast.get_docstring(tree).startswith(f"{STAGE_NAMES[stage]} stage:")
    top = {p.stem for p in LIBRARY.glob("*.py")} - {"__init__"}
    assert top == set(SHARED), "top-level modules are the shared ones only; stages live in subpackages"


def test_every_module_docstring_names_its_stage():
    for name, path in modules(LIBRARY).items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path} has no docstring"
        stage = stage_of(name)
        if stage:
            assert doc.startswith(f"{STAGE_NAMES[stage]} stage:"), f"{path}: {doc.splitlines()[0]}"
        else:
            assert "shared by every stage" in doc.split("\n\n")[0] or name == "handout_builder", path
        # "stage" means one of the stages: no module calls itself a stage of its own.
        for used in re.findall(r"\b([A-Z][a-z]+) stage\b", doc):
            assert used in STAGE_NAMES.values(), f"{path}: '{used} stage' is not one of the stages"


def test_only_editions_composes_or_reads_variant_names():
    pattern = re.compile(r"""split\(["']\+["']\)|["']\+["']\.join""")
    offenders = [str(path.relative_to(REPO)) for path in modules(LIBRARY).values()
                 if path.name != "editions.py" and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_editions_imports_nothing_from_the_project():
    assert {t for t in imports(LIBRARY)["handout_builder.editions"] if t.startswith("handout_builder")} == set()


def test_the_cli_calls_the_library_and_never_the_other_way():
    graph = imports(LIBRARY)
    assert not any("make_handouts" in targets for targets in graph.values())


# --- the rules can fail: a planted tree --------------------------------------------------------------

def planted(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "handout_builder"
    for name, text in {"__init__.py": '"""x"""', **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_a_planted_cycle_through_a_function_level_import_is_found(tmp_path):
    package = planted(tmp_path, {
        "build/__init__.py": '"""Build stage: x"""',
        "build/plan.py": "from .pool import Pool\n",
        "build/pool.py": "def run():\n    from .plan import plan\n"})
    assert cycles(imports(package)) == [["handout_builder.build.plan", "handout_builder.build.pool"]]


def test_a_planted_upward_import_and_click_are_found(tmp_path):
    package = planted(tmp_path, {
        "content/__init__.py": '"""Content stage: x"""',
        "content/library.py": "def load():\n    from ..build.plan import plan\n",
        "pdf/__init__.py": '"""PDF stage: x"""',
        "pdf/engine.py": "import click\nfrom ..deliver import batch\n",
        "build/__init__.py": '"""Build stage: x"""',
        "build/plan.py": "from ..content.library import load\n",
        "deliver/__init__.py": '"""Deliver stage: x"""',
        "deliver/batch.py": "x = 1\n"})
    assert layer_violations(imports(package), "handout_builder") == [
        "handout_builder.content.library imports handout_builder.build.plan: content is below build",
        "handout_builder.pdf.engine imports click",
        "handout_builder.pdf.engine imports handout_builder.deliver.batch: pdf is below deliver"]


@pytest.mark.parametrize("source", ['"print-shop+grayscale".split("+")', 'name = "+".join(parts)'])
def test_the_variant_rule_sees_a_split_or_a_join(source):
    assert re.search(r"""split\(["']\+["']\)|["']\+["']\.join""", source)


def misplaced_docstrings(package: Path) -> list[str]:
    """Functions whose docstring comes after an import (its __doc__ is then None)."""
    found = []
    for name, path in modules(package).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) > 1:
                first, rest = node.body[0], node.body[1:]
                if isinstance(first, (ast.Import, ast.ImportFrom)) and any(
                        isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
                        for s in rest[:3]):
                    found.append(f"{name}.{node.name}")
    return found


def test_no_docstring_sits_after_an_import():
    assert misplaced_docstrings(LIBRARY) == []
    from handout_builder.build.incremental import render_all

    assert render_all.__doc__


def test_a_planted_docstring_after_an_import_is_found(tmp_path):
    package = planted(tmp_path, {"build/__init__.py": '"""Build stage: x"""',
                                 "build/incremental.py": 'def render_all():\n    import os\n\n    """Docs."""\n'})
    assert misplaced_docstrings(package) == ["handout_builder.build.incremental.render_all"]
