"""The examples of README.md and docs/*.md run as written, and docstring examples pass.

How the fenced code blocks of the Markdown files are tested:

* ``python``: run as a script with this interpreter;
* ``bash``: every line that calls ``spiral`` runs with this environment's ``spiral`` command
  (other lines, such as set-up commands or ``python -m ...`` tools, are not run);
* ``toml`` in docs/sweeps.md: parsed with :mod:`tomllib`;
* any other language (``text``): not run. Every fence names its language.

The blocks of one document run in order in one temporary working folder (as a reader working
through the page would), in which ``experiments`` links to the source tree's folder so that
example paths such as ``experiments/sweeps/...`` resolve.

A comment on the line before a fence changes what happens, visibly in the Markdown source:

* ``<!-- docs-test: skip (reason) -->``: the block is not run (too long for CI, creates
  virtual environments, starts a server, needs a cluster);
* ``<!-- docs-test: reduced (reason); "old" -> "new"; ... -->``: the block runs with those
  text replacements (smaller inputs); each ``old`` must occur in the block.
"""

import doctest
import importlib
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MODULES = ["spiral.model.params", "spiral.model.rules", "spiral.model.streams",
           "spiral.model.ties", "spiral.model.engine", "spiral.model.networks",
           "spiral.agents", "spiral.agents.spiral_model", "spiral.experiments.tools.odd"]
RUN_LANGUAGES = ("python", "bash")
TIMEOUT_S = 600

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<kind>\w+)\s*(?P<rest>.*?)\s*-->\s*$")
REASON = re.compile(r"^\((?P<reason>[^)]+)\)")
REPLACEMENT = re.compile(r'"(?P<old>[^"]+)"\s*->\s*"(?P<new>[^"]*)"')


@dataclass(frozen=True)
class Block:
    """A fenced code block of a Markdown document."""

    path: Path
    line: int          # line of the opening fence (1-based)
    lang: str
    text: str
    marker: str | None  # the docs-test comment on the line before, if any

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def kind(self) -> str | None:
        match = MARKER.match(self.marker) if self.marker else None
        return match.group("kind") if match else None

    def reason(self) -> str:
        rest = MARKER.match(self.marker).group("rest")
        match = REASON.match(rest)
        return match.group("reason").strip() if match else ""

    def replacements(self) -> list[tuple[str, str]]:
        rest = MARKER.match(self.marker).group("rest")
        return [(m.group("old"), m.group("new")) for m in REPLACEMENT.finditer(rest)]

    def runnable_text(self) -> str:
        text = self.text
        if self.kind == "reduced":
            for old, new in self.replacements():
                text = text.replace(old, new)
        return text


def blocks_of(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with the marker on the line before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent = len(match.group("indent"))
        end = i + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = "\n".join(line[indent:] for line in lines[i + 1:end]) + "\n"
        before = lines[i - 1] if i > 0 and MARKER.match(lines[i - 1]) else None
        out.append(Block(path, i + 1, match.group("lang"), body, before))
        i = end + 1
    return out


BLOCKS = [block for path in DOCUMENTS for block in blocks_of(path)]
RUN_BLOCKS = [block for block in BLOCKS if block.lang in RUN_LANGUAGES]


def spiral_lines(text: str) -> list[list[str]]:
    """The ``spiral`` commands of a shell block, as argument lists (comments stripped)."""
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] != "spiral":
            continue
        operators = [w for w in words if w in ("&&", "||", "|", ";", ">", "<", "&")]
        assert not operators, f"shell operators in a documented spiral command: {line}"
        commands.append(words)
    return commands


def spiral_command() -> list[str]:
    """This environment's ``spiral`` command."""
    script = Path(sys.executable).parent / "spiral"
    return [str(script)] if script.exists() else [sys.executable, "-m", "spiral.experiments.cli"]


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory):
    """One working folder per document, created on first use."""
    folders: dict[Path, Path] = {}

    def get(path: Path) -> Path:
        if path not in folders:
            folder = tmp_path_factory.mktemp(path.stem)
            (folder / "experiments").symlink_to(ROOT / "experiments", target_is_directory=True)
            folders[path] = folder
        return folders[path]
    return get


def _run(args: list[str], cwd: Path, what: str) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    assert proc.returncode == 0, (f"{what} exited with {proc.returncode}\n--- stdout\n"
                                  f"{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")


# --- the blocks ------------------------------------------------------------------------------
def test_documents_have_runnable_blocks():
    assert any(block.lang == "python" for block in RUN_BLOCKS)
    assert any(block.lang == "bash" and block.kind is None for block in RUN_BLOCKS)


def test_every_fence_names_its_language():
    unnamed = [block.name for block in BLOCKS if not block.lang]
    assert not unnamed, f"say the blocks' language (python, bash, toml, text): {unnamed}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.marker], ids=lambda b: b.name)
def test_markers_are_well_formed(block):
    assert block.kind in ("skip", "reduced"), f"{block.name}: unknown marker {block.marker}"
    assert block.reason(), f"{block.name}: say why, in parentheses: {block.marker}"
    assert block.lang in RUN_LANGUAGES, f"{block.name}: {block.lang} blocks are never run"
    if block.kind == "reduced":
        pairs = block.replacements()
        assert pairs, f"{block.name}: no \"old\" -> \"new\" replacement"
        stale = [old for old, _ in pairs if old not in block.text]
        assert not stale, f"{block.name}: replaced text not in the block: {stale}"


def test_every_marker_sits_on_the_line_before_a_fence():
    for path in DOCUMENTS:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if re.search(r"<!--\s*docs-test", line):
                assert number < len(lines) and FENCE.match(lines[number]), (
                    f"{path.relative_to(ROOT)}:{number}: a docs-test marker must be on the "
                    "line right before the fence it is about")


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: b.name)
def test_documented_example_runs(block, workdirs):
    if block.kind == "skip":
        pytest.skip(f"marked in the Markdown: {block.reason()}")
    cwd = workdirs(block.path)
    text = block.runnable_text()
    if block.lang == "python":
        script = cwd / f"example_{block.path.stem}_{block.line}.py"
        script.write_text(text, encoding="utf-8")
        _run([sys.executable, str(script)], cwd, block.name)
        return
    commands = spiral_lines(text)
    if not commands:
        pytest.skip("no spiral command in this shell block")
    for words in commands:
        _run([*spiral_command(), *words[1:]], cwd, f"{block.name}: {shlex.join(words)}")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "toml"], ids=lambda b: b.name)
def test_toml_examples_parse(block):
    data = tomllib.loads(block.text)
    assert data, f"{block.name}: empty TOML"


def test_marker_parsing():
    block = Block(ROOT / "README.md", 1, "bash", "spiral run --ticks 60  # comment\n",
                  '<!-- docs-test: reduced (fewer months); "--ticks 60" -> "--ticks 2" -->')
    assert block.kind == "reduced" and block.reason() == "fewer months"
    assert spiral_lines(block.runnable_text()) == [["spiral", "run", "--ticks", "2"]]
    assert spiral_lines("python -m x\n# spiral run\n  spiral a \\\n  --b\n") == [
        ["spiral", "a", "--b"]]


def test_paths_named_in_the_docs_exist():
    pattern = re.compile(r"`((?:model|agents|experiments|tests|docs|\.ci)/[^`\s<>]*)`")
    missing = [f"{path.relative_to(ROOT)}: {match.group(1)}" for path in DOCUMENTS
               for match in pattern.finditer(path.read_text(encoding="utf-8"))
               if not any(ROOT.glob(match.group(1).rstrip("/")))]
    assert not missing, "paths in the docs that do not exist:\n" + "\n".join(missing)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        try:
            obj = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        try:
            for attribute in parts[end:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return False
        return True
    return False


def test_python_names_in_the_docs_exist():
    pattern = re.compile(r"\b(spiral\.(?:model|agents|experiments)(?:\.\w+)*)")
    names = {(path, name) for path in DOCUMENTS
             for name in pattern.findall(path.read_text(encoding="utf-8"))}
    missing = sorted(f"{path.relative_to(ROOT)}: {name}" for path, name in names
                     if not _resolves(name))
    assert not missing, "modules or names in the docs that do not exist:\n" + "\n".join(missing)


# --- docstrings and README facts -------------------------------------------------------------
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_readme_lists_every_bundled_scenario():
    from spiral.experiments.runs.scenario import available

    text = (ROOT / "README.md").read_text()
    for name in available():
        assert f"`{name}`" in text
