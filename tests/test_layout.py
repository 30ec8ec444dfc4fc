"""The layout of docs/architecture.md holds: the import rule, module sizes, packaging, hygiene.

The import rule (written down in docs/architecture.md, "What may import what") is checked on
the source with :mod:`ast`, so it needs no import of the code and sees imports inside
functions as well as at module level:

1. ``model/`` imports nothing from ``spiral.agents`` or ``spiral.experiments`` (anywhere).
2. ``agents/`` imports only ``spiral.model`` (anywhere).
3. ``experiments/common/`` imports no other part of ``spiral.experiments`` (anywhere).
4. At module level, a part of ``experiments/`` imports only parts below it in
   :data:`LAYERS`; an import the other way must sit inside the function that needs it.
   ``experiments/__init__.py`` imports no part at module level (its names load on first use),
   and no module imports ``spiral.experiments.cli``.
5. No cycle among the modules' module-level imports.
"""

import ast
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE_DIR = PYPROJECT["tool"]["setuptools"]["package-dir"]  # spiral.model -> model, ...
MAX_LINES = 400

# The parts of spiral.experiments from the bottom up: at module level a part may import its
# own modules and the parts on lower rows (parts on one row do not import each other).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("common",),
    ("measures",),
    ("runs",),
    ("charts",),
    ("sweeps",),
    ("dashboard", "validation", "tools", "calibration"),
    ("cli",),
)
RANK = {part: rank for rank, row in enumerate(LAYERS) for part in row}
COMMAND_LINE_FILES = ("command.py", "cli.py")


@dataclass(frozen=True)
class Import:
    """One import statement's target module, where it sits, and whether it runs at import."""

    source: str       # importing module
    target: str       # imported module (``spiral.x.y``)
    line: int
    module_level: bool  # executed when the importing module is imported

    def __str__(self) -> str:
        where = "module level" if self.module_level else "inside a function"
        return f"{self.source}:{self.line} imports {self.target} ({where})"


def module_files() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    out = {}
    for package, folder in PACKAGE_DIR.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            out[".".join((package, *parts))] = path
    return out


MODULES = module_files()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def parse_imports(name: str, source: str, *, is_package: bool = False) -> list[Import]:
    """Every ``spiral.*`` import in the source of module ``name``, resolved to module names."""
    found: list[Import] = []

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = name.split(".")
        base = base if is_package else base[:-1]
        base = base[:len(base) - (node.level - 1)]
        return ".".join([*base, node.module] if node.module else base)

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "spiral":
                        found.append(Import(name, alias.name, child.lineno, module_level))
            elif isinstance(child, ast.ImportFrom):
                base = resolve(child)
                if base.split(".")[0] != "spiral":
                    continue
                for alias in child.names:  # `from pkg import module` imports the module
                    sub = f"{base}.{alias.name}"
                    found.append(Import(name, sub if sub in MODULES else base, child.lineno,
                                        module_level))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, False)  # not executed at run time
            else:
                visit(child, module_level)

    visit(ast.parse(source, name), True)
    return found


def imports_of(name: str) -> list[Import]:
    """Every ``spiral.*`` import of a module of the package."""
    path = MODULES[name]
    return parse_imports(name, path.read_text(encoding="utf-8"),
                         is_package=path.name == "__init__.py")


IMPORTS = [imp for name in MODULES for imp in imports_of(name)]


def part(module: str) -> str | None:
    """The part of spiral.experiments a module belongs to (None for the package itself)."""
    pieces = module.split(".")
    if pieces[:2] != ["spiral", "experiments"]:
        raise ValueError(module)
    return pieces[2] if len(pieces) > 2 else None


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# --- the import rule -------------------------------------------------------------------------
def test_every_module_is_parsed():
    assert "spiral.model.params" in MODULES and "spiral.experiments.cli" in MODULES
    assert any(imp.source == "spiral.agents.citizen" for imp in IMPORTS)


def test_model_imports_nothing_above_it():
    bad = [str(imp) for imp in IMPORTS
           if _within(imp.source, "spiral.model") and not _within(imp.target, "spiral.model")]
    assert not bad, "model/ may import only spiral.model:\n" + "\n".join(bad)


def test_agents_import_only_the_model():
    bad = [str(imp) for imp in IMPORTS if _within(imp.source, "spiral.agents")
           and not (_within(imp.target, "spiral.model") or _within(imp.target, "spiral.agents"))]
    assert not bad, "agents/ may import only spiral.model:\n" + "\n".join(bad)


def test_common_imports_no_other_part_of_experiments():
    bad = [str(imp) for imp in IMPORTS
           if _within(imp.source, "spiral.experiments.common")
           and _within(imp.target, "spiral.experiments")
           and not _within(imp.target, "spiral.experiments.common")]
    assert not bad, "experiments/common may not import other experiments parts:\n" + "\n".join(bad)


def test_every_part_of_experiments_has_a_layer():
    parts = {part(name) for name in MODULES if _within(name, "spiral.experiments")} - {None}
    assert parts <= set(RANK), f"add {sorted(parts - set(RANK))} to LAYERS and docs/architecture.md"


def test_module_level_imports_go_down_the_layers():
    bad = []
    for imp in IMPORTS:
        if not (imp.module_level and _within(imp.source, "spiral.experiments")
                and _within(imp.target, "spiral.experiments")):
            continue
        src, dst = part(imp.source), part(imp.target)
        if src is None:
            bad.append(f"{imp}: the package's __init__ loads its names on first use")
        elif dst is None:
            bad.append(f"{imp}: import from the module that defines the name")
        elif src != dst and not RANK[dst] < RANK[src]:
            bad.append(f"{imp}: {src} may import {dst} only inside a function")
    assert not bad, "\n".join(bad)


def test_nothing_imports_the_command_line_module():
    bad = [str(imp) for imp in IMPORTS if _within(imp.target, "spiral.experiments.cli")]
    assert not bad, "\n".join(bad)


def test_no_cycle_among_module_level_imports():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for imp in IMPORTS:
        if not (imp.module_level and imp.target in MODULES):
            continue
        # importing a module first imports its packages (those not already the source's own)
        pieces = imp.target.split(".")
        for end in range(2, len(pieces) + 1):
            target = ".".join(pieces[:end])
            if target in MODULES and not _within(imp.source, target):
                graph[imp.source].add(target)
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles at module level:\n" + "\n".join(cycles)


def test_the_parser_tells_module_level_from_lazy_and_resolves_relative_imports():
    source = ("from typing import TYPE_CHECKING\n"
              "import numpy\n"
              "from spiral.model import params\n"
              "from ..runs import runner\n"
              "if TYPE_CHECKING:\n    from spiral.experiments.sweeps.spec import SweepSpec\n"
              "try:\n    import spiral.experiments.measures\nexcept ImportError:\n    pass\n"
              "def f():\n    from .data import tipping_grid\n"
              "class C:\n    def m(self):\n        import spiral.experiments.charts.book\n")
    found = {(imp.target, imp.module_level)
             for imp in parse_imports("spiral.experiments.charts.x", source)}
    assert found == {("spiral.model.params", True), ("spiral.experiments.runs.runner", True),
                     ("spiral.experiments.sweeps.spec", False),
                     ("spiral.experiments.measures", True),
                     ("spiral.experiments.charts.data", False),
                     ("spiral.experiments.charts.book", False)}


# --- sizes, global state, packaging ----------------------------------------------------------
def test_no_experiments_module_is_above_the_size_limit():
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for name, path in MODULES.items() if _within(name, "spiral.experiments")}
    big = {path: lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert not big, f"modules above {MAX_LINES} lines (split along their seams): {big}"


def test_only_command_line_modules_choose_the_matplotlib_backend():
    pattern = re.compile(r"\b(matplotlib|mpl)\.use\(|\bswitch_backend\(")
    bad = [f"{path.relative_to(ROOT)}:{lineno}"
           for path in MODULES.values() if path.name not in COMMAND_LINE_FILES
           for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           if pattern.search(line.split("#", 1)[0])]
    assert not bad, "library code must not switch matplotlib's backend:\n" + "\n".join(bad)


def test_every_folder_with_modules_is_a_listed_package():
    packages = PYPROJECT["tool"]["setuptools"].get("packages")
    if not isinstance(packages, list):
        pytest.skip("packages are found automatically; tests/test_wheel.py checks the wheel")
    folders = {".".join(name.split(".")[:-1]) if path.name != "__init__.py" else name
               for name, path in MODULES.items()}
    missing = sorted(folders - set(packages))
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
    no_init = sorted(name for name in packages if name not in MODULES)
    assert not no_init, f"packages without an __init__.py: {no_init}"


# --- docs/architecture.md lists every module -------------------------------------------------
ENTRY = re.compile(r"^(?P<indent> *)(?P<name>[\w.*-]+/|[\w*-]+\.(py|toml|md|cff|sh)|LICENSE)(\s|$)")


def architecture_tree() -> dict[str, int]:
    """Paths listed in the tree of docs/architecture.md (the first ``text`` block), with lines."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    match = re.search(r"^```text\n(.*?)^```", text, re.S | re.M)
    assert match, "docs/architecture.md: no ```text block with the tree"
    first_line = text[:match.start(1)].count("\n") + 1
    stack: list[str] = []
    listed = {}
    for offset, line in enumerate(match.group(1).splitlines()):
        entry = ENTRY.match(line)
        if not entry or len(entry.group("indent")) % 2:
            continue
        depth = len(entry.group("indent")) // 2
        if depth > len(stack):
            continue  # a continuation line of a description
        stack = stack[:depth]
        listed["/".join([*stack, entry.group("name")])] = first_line + offset
        if entry.group("name").endswith("/"):
            stack.append(entry.group("name").rstrip("/"))
    return listed


def test_architecture_lists_every_module_and_nothing_else():
    listed = {path for path in architecture_tree() if path.endswith(".py")}
    actual = {path.relative_to(ROOT).as_posix() for path in MODULES.values()}
    assert not sorted(actual - listed), f"add to docs/architecture.md: {sorted(actual - listed)}"
    assert not sorted(listed - actual), f"gone, remove from docs/architecture.md: {sorted(listed - actual)}"


def test_architecture_lists_the_top_level_folders():
    listed = architecture_tree()
    for folder in (*PACKAGE_DIR.values(), "experiments/scenarios", "tests", "docs", "results"):
        assert f"{folder}/" in listed, folder


# --- project hygiene -------------------------------------------------------------------------
def test_version_is_single_sourced():
    version = PYPROJECT["project"]["version"]
    assert metadata.version("blacklist-spiral") == version, "reinstall: pip install -e ."
    spiral = Path(sys.executable).parent / "spiral"
    command = [str(spiral)] if spiral.exists() else [sys.executable, "-m", "spiral.experiments.cli"]
    proc = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == version
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release = re.sub(r"\.?(dev|a|b|rc)\d*$", "", version)
    assert f"## [{release}]" in changelog, f"CHANGELOG.md has no section for {release}"


def test_license_file_matches_pyproject():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert "LICENSE" in PYPROJECT["project"]["license-files"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the blacklist-spiral authors" in text


def test_citation_file_is_valid_cff():
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert data["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert data[key], key
    assert data["license"] == PYPROJECT["project"]["license"]
    assert "version" not in data, "the version's one source is pyproject.toml"
