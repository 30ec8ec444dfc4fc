"""One manifest helper: the version from pyproject, every declared dependency's version, git,
command and time, used by every command that writes a folder (no copies left).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from spiral.experiments.common import manifest

ROOT = Path(__file__).resolve().parents[3]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0).lower()


def test_version_is_pyprojects():
    assert manifest.project_version() == _pyproject()["version"]


def test_versions_cover_every_dependency_and_python():
    project = _pyproject()
    declared = {_name(r) for r in project["dependencies"]}
    versions = {k.lower(): v for k, v in manifest.package_versions().items()}
    assert declared <= set(versions)
    assert "python" in versions and versions["blacklist-spiral"] == project["version"]
    for name in declared:
        assert versions[name] != "not installed", name


def test_base_manifest_fields():
    data = manifest.base_manifest("run", seed=3)
    assert list(data)[:3] == ["format_version", "kind", "seed"]
    assert data["kind"] == "run" and data["seed"] == 3
    for key in ("version", "versions", "git", "command", "created_utc"):
        assert key in data
    assert set(data["git"]) == {"commit", "describe"}
    assert manifest.ROOT == ROOT


def test_no_copies_of_the_helpers_left():
    experiments = ROOT / "experiments"
    for path in experiments.rglob("*.py"):
        if path.parent.name == "common":
            continue
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        assert "def package_versions" not in text, rel
        assert "def git_commit" not in text, rel
        assert "tomllib.loads" not in text, rel
        assert 'strftime("%Y%m%dT%H%M%S")' not in text and \
            "strftime('%Y%m%dT%H%M%S')" not in text, rel
