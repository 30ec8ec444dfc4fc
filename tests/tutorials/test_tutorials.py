"""The tutorial notebooks (docs/tutorials) run top to bottom, and every claim they make holds.

Each notebook asserts, in the cell after it, every claim its prose makes, so executing it is
the test: a change to the model that breaks the story fails here. The notebooks run at
reduced size (``SPIRAL_TUTORIAL_SMALL=1``, read by their first cell) through ``nbclient``,
with a kernel of this interpreter; they are committed without outputs.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "tutorials"
TUTORIALS = sorted(p for p in FOLDER.glob("*.ipynb") if not p.stem.endswith("-solutions"))
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
CELL_TIMEOUT_S = 600  # a loaded two-core machine; at reduced size a cell takes seconds
TITLES = ("Your first spiral", "Networks matter", "From one run to a finding",
          "Where the spiral comes from")


def _read(path: Path):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(path, as_version=4)


def _markdown(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def test_four_tutorials_each_with_its_solutions():
    assert [_read(p).cells[0].source.splitlines()[0] for p in TUTORIALS] == \
        [f"# {title}" for title in TITLES]
    assert {p.stem + "-solutions" for p in TUTORIALS} == \
        {p.stem for p in NOTEBOOKS if p.stem.endswith("-solutions")}


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_each_tutorial_ends_with_exercises_answered_in_its_solutions(path):
    last = _markdown(_read(path))[-1]
    assert "## Exercises" in last and f"`{path.stem}-solutions.ipynb`" in last
    exercises = re.findall(r"^(\d)\. ", last.split("## Exercises", 1)[1], re.M)
    assert 2 <= len(exercises) <= 3 and exercises == [str(k + 1) for k in range(len(exercises))]
    answers = [s for s in _markdown(_read(path.with_name(path.stem + "-solutions.ipynb")))
               if re.match(r"## \d\. ", s)]
    assert [a[3] for a in answers] == exercises


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_with_the_size_switch(path):
    nb = _read(path)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), \
        f"{path.name}: clear the outputs before committing"
    assert 'os.environ.get("SPIRAL_TUTORIAL_SMALL", "") == "1"' in code[0].source
    assert sum("assert " in cell.source for cell in code) >= 3, "claims must be asserted"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_claims_hold(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = _read(path)
    monkeypatch.setenv("SPIRAL_TUTORIAL_SMALL", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.monotonic()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: {str(exc)[-3000:]}")
    elapsed = time.monotonic() - start
    print(f"{path.name}: {elapsed:.1f} s")
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.get("output_type") == "error"]
    assert not errors
    assert os.environ["SPIRAL_TUTORIAL_SMALL"] == "1"
