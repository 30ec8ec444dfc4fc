"""Helpers every command shares, one home each (standard library only, cheap to import).

* :mod:`~spiral.experiments.common.tomlfile`: reading a TOML file with ``FILE:LINE`` errors
  (:func:`read_toml`, :func:`key_location`);
* :mod:`~spiral.experiments.common.manifest`: the manifest of an output folder (version,
  dependency versions, git, command, time: :func:`base_manifest`);
* :mod:`~spiral.experiments.common.outputs`: output folders: default names, the ``--out``
  rule (never delete or replace what we did not write), one-shot writing under a temporary
  name (:class:`OneShotOutput`) and resumable folders under a lock (:func:`lock_in_place`).
* :mod:`~spiral.experiments.common.fsops`: file-system faults as one line, moving files, the
  folder lock (:class:`FolderLock`).
"""

from __future__ import annotations

from spiral.experiments.common.fsops import FolderLock
from spiral.experiments.common.manifest import (
    base_manifest,
    git_commit,
    git_describe,
    package_versions,
    project_version,
    seed_text,
)
from spiral.experiments.common.outputs import (
    OneShotOutput,
    check_target,
    default_out_dir,
    lock_in_place,
    prepare_in_place,
    sanitise_name,
)
from spiral.experiments.common.tomlfile import key_location, read_toml

__all__ = [
    "FolderLock",
    "OneShotOutput",
    "base_manifest",
    "check_target",
    "default_out_dir",
    "git_commit",
    "git_describe",
    "key_location",
    "lock_in_place",
    "package_versions",
    "prepare_in_place",
    "project_version",
    "read_toml",
    "sanitise_name",
    "seed_text",
]
