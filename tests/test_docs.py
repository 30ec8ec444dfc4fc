"""The examples in docstrings and the README run as written."""

import doctest
import importlib
import re
from pathlib import Path

import pytest

MODULES = ["spiral.model.params", "spiral.model.rules", "spiral.model.streams",
           "spiral.model.ties", "spiral.model.engine", "spiral.model.networks",
           "spiral.agents", "spiral.agents.spiral_model"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_readme_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Python API\n\n```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "results" / "my-run" / "summary.json").is_file()


def test_readme_lists_every_bundled_scenario():
    from spiral.experiments.runs.scenario import available

    text = (ROOT / "README.md").read_text()
    for name in available():
        assert f"`{name}`" in text
