"""File-system mechanics of output folders: faults as one line, temporaries, moving files.

:mod:`spiral.experiments.common.outputs` decides what may be written where (the ``--out``
rule); this module does the moving: it turns a file-system fault into one
:class:`~spiral.model.errors.InputError` line (:func:`fs_error`), finds and removes the
temporary folders of dead processes (:func:`remove_stale_temporaries`, by ``os.kill(pid, 0)``),
and swaps a set of files into a folder with a way back (:func:`swap_files`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from pathlib import Path, PurePosixPath

from spiral.model.errors import InputError

MARKER = ".spiral-partial"  # inside a temporary folder while it is being written
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)$")
_ERRNO_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)
CAUSES = {errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
          errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on device",
          errno.EDQUOT: "disk quota exceeded", errno.EFBIG: "file too large",
          errno.ENAMETOOLONG: "file name too long"}


def fs_error(path: Path, exc: OSError) -> InputError | None:
    """A one-line input error for a file-system fault while writing ``path``, else None.

    Covers permission denied, read-only file system, full disk, quota and name length.
    """
    code = exc.errno
    if code is None:  # pyarrow puts the errno in the message only
        match = _ERRNO_TEXT.search(str(exc))
        code = int(match.group(1)) if match else None
    cause = CAUSES.get(code)
    if cause is None:
        return None
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return InputError(f"{path}: cannot write the output there: {cause}{where}")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (``os.kill(pid, 0)``)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def remove_stale_temporaries(parent: Path) -> list[Path]:
    """Remove our temporary folders in ``parent`` whose process is dead; return them."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = TEMPORARY.match(entry.name)
        if not match or entry.is_symlink() or not (entry / MARKER).is_file():
            continue
        pid = int(match.group("pid"))
        if pid != os.getpid() and not pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created (outermost first)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()][::-1]
    for path in missing:
        path.mkdir(exist_ok=True)
    return missing


def remove_if_empty(folders) -> None:
    """Remove the folders in order while they are empty; stop at the first that is not."""
    for path in folders:
        try:
            path.rmdir()
        except OSError:
            break


def files_under(folder: Path) -> list[str]:
    """Relative paths of every file under ``folder`` (the marker left out)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p.name != MARKER)


def mark(folder: Path, kind: str, out: Path) -> None:
    """Mark ``folder`` as one of our temporaries (see :func:`remove_stale_temporaries`)."""
    (folder / MARKER).write_text(json.dumps({"pid": os.getpid(), "kind": kind,
                                             "out": str(out)}) + "\n")


def recorded_files(manifest: dict) -> list[str]:
    """The safe relative paths in a manifest's ``files`` list (nothing absolute, no ``..``)."""
    out = []
    for item in manifest.get("files") or []:
        if not isinstance(item, str) or not item:
            continue
        path = PurePosixPath(item)
        if not path.is_absolute() and ".." not in path.parts and "\\" not in item:
            out.append(path.as_posix())
    return out


def quietly(function, *args) -> None:
    """Call ``function(*args)``, ignoring an ``OSError`` (best-effort undo)."""
    with contextlib.suppress(OSError):
        function(*args)


def prune_empty(root: Path, removed) -> None:
    """Remove folders left empty by removing ``removed`` files (never ``root`` itself)."""
    for rel in sorted(removed, key=lambda r: -r.count("/")):
        for parent in PurePosixPath(rel).parents:
            if str(parent) == ".":
                break
            try:
                (root / parent).rmdir()
            except OSError:
                break


def swap_files(folder: Path, new_from: Path, new: list[str], old: set[str], backup: Path
               ) -> None:
    """Move the ``old`` files out of ``folder`` and the ``new`` ones in from ``new_from``.

    The old files go to ``backup`` first; if anything fails, every move is undone and the
    error raised. Folders left empty by the old files are removed (never ``folder``).
    """
    backup.mkdir()
    mark(backup, "backup", folder)
    moved_old, moved_new = [], []
    try:
        for rel in sorted(old):
            source = folder / rel
            if source.is_file() or source.is_symlink():
                (backup / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, backup / rel)
                moved_old.append(rel)
        for rel in new:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(new_from / rel, folder / rel)
            moved_new.append(rel)
    except BaseException:
        for rel in moved_new:
            quietly(os.replace, folder / rel, new_from / rel)
        for rel in moved_old:
            quietly(os.replace, backup / rel, folder / rel)
        shutil.rmtree(backup, ignore_errors=True)
        raise
    prune_empty(folder, set(old) - set(new))
    shutil.rmtree(backup, ignore_errors=True)
