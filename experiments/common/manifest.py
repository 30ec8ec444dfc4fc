"""Manifests: what produced an output folder (kind, version, dependencies, git, command, time).

Every command that writes an output folder (``spiral run``, ``spiral sweep``, ``spiral
sensitivity``, ``spiral validate``) starts its manifest with :func:`base_manifest`::

    {"format_version": 2, "kind": "run", ...the command's own fields...,
     "version": "0.1.0", "versions": {"python": "3.12.1", "mesa": "3.5.1", ...},
     "git": {"commit": "7c5665f...", "describe": "v0.1.0-3-g7c5665f-dirty"},
     "command": ["spiral", "run", ...], "created_utc": "2026-05-09T07:36:11+00:00"}

The project's version is defined once, in ``pyproject.toml``, and read from the installed
distribution's metadata (:func:`project_version`); ``versions`` covers every dependency the
distribution declares (so a mismatch between two machines can be named), plus Python.

Seeds are 63-bit integers, which JSON readers in R or JavaScript and spreadsheets round to a
double. Every seed field of a manifest (``seed``, ``sweep_seed``, ...) therefore also comes as
text: ``seed_text = "6_716_045_083_268_726_496"`` (:func:`seed_text`, digits grouped by
underscores, which R and spreadsheets keep as text and Python's ``int()`` and ``spiral run
--seed`` read back exactly).
"""

from __future__ import annotations

import functools
import platform
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "blacklist-spiral"
FORMAT_VERSION = 2
# experiments/common/manifest.py -> the repository root (a git checkout, if any)
ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _pyproject() -> dict:
    """``[project]`` of the repository's pyproject.toml (when running from a source tree)."""
    try:
        return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    except (OSError, ValueError, KeyError):
        return {}


@functools.cache
def project_version() -> str:
    """The project's version (from the installed distribution, else pyproject.toml)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return str(_pyproject().get("version", "unknown"))


@functools.cache
def dependencies() -> tuple[str, ...]:
    """Names of every dependency the project declares (optional ones included), in order."""
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        project = _pyproject()
        requires = [*project.get("dependencies", []),
                    *(r for extra in project.get("optional-dependencies", {}).values()
                      for r in extra)]
    names = (m.group(1) for m in map(_NAME.match, requires) if m)
    return tuple(dict.fromkeys(names))


def package_versions() -> dict[str, str]:
    """Installed versions of Python, the project and every dependency it declares.

    A dependency that is not installed (an optional one) is recorded as ``"not installed"``.
    """
    out = {"python": platform.python_version(), DISTRIBUTION: project_version()}
    for name in dependencies():
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git(*args: str) -> str | None:
    if not (ROOT / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return text if out.returncode == 0 and text else None


def git_commit() -> str | None:
    """The git commit of the code (``-dirty`` if it has uncommitted changes), or None."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None
    dirty = _git("status", "--porcelain")
    return commit + ("-dirty" if dirty else "")


def git_describe() -> str | None:
    """``git describe --tags --always --dirty`` of the code, or None outside a checkout."""
    return _git("describe", "--tags", "--always", "--dirty")


def seed_text(seed: int) -> str:
    """A seed as text that no reader rounds: digits grouped by ``_`` (``6_716_045_...``).

    >>> seed_text(6716045083268726496)
    '6_716_045_083_268_726_496'
    >>> int(seed_text(12345))
    12345
    """
    return format(int(seed), "_d")


def with_seed_texts(value):
    """``value`` with a ``NAME_text`` entry (:func:`seed_text`) next to every integer seed.

    A seed is an integer under a key ``seed`` or ending in ``_seed``, in any nested dict or
    list.
    """
    if isinstance(value, list):
        return [with_seed_texts(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        out[key] = with_seed_texts(item)
        if (key == "seed" or str(key).endswith("_seed")) and isinstance(item, int) \
                and not isinstance(item, bool) and f"{key}_text" not in value:
            out[f"{key}_text"] = seed_text(item)
    return out


def base_manifest(kind: str, **fields) -> dict:
    """A manifest: format version and kind, the command's ``fields``, then provenance.

    Args:
        kind: What the folder holds (``run``, ``sweep``, ``sensitivity``, ``validation``).
        **fields: The command's own entries (parameters, seeds, timings, ...).

    Returns:
        ``format_version``, ``kind``, the fields (each integer seed also as text, see
        :func:`with_seed_texts`), ``version``, ``versions``, ``git`` (``commit`` and
        ``describe``), ``command`` and ``created_utc``.
    """
    return {"format_version": FORMAT_VERSION, "kind": kind, **with_seed_texts(fields),
            "version": project_version(), "versions": package_versions(),
            "git": {"commit": git_commit(), "describe": git_describe()},
            "command": list(sys.argv),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds")}
