"""File-system mechanics of output folders: faults as one line, temporaries, moving files.

:mod:`spiral.experiments.common.outputs` decides what may be written where (the ``--out``
rule); this module does the moving: it turns a file-system fault into one
:class:`~spiral.model.errors.InputError` line (:func:`fs_error`), finds and removes the
temporary folders of dead processes (:func:`remove_stale_temporaries`, by ``os.kill(pid, 0)``),
swaps a set of files into a folder with a way back (:func:`swap_files`) and locks a folder
written in place (:class:`FolderLock`: ``flock`` on ``FOLDER/.spiral.lock``, released by the
kernel when the holder dies, so a killed process never leaves a lock that blocks a resume).
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
LOCK = ".spiral.lock"  # inside a folder written in place while a process writes it
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


def remove_recorded(out: Path, files) -> None:
    """Delete the given relative files in ``out`` (ours), then folders they leave empty."""
    safe = recorded_files({"files": list(files)})
    for rel in safe:
        path = out / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
    prune_empty(out, safe)


class FolderLock:
    """An exclusive lock on a folder written in place (a sweep), held by one process at a time.

    ``flock`` on ``FOLDER/.spiral.lock`` (non-blocking): a second process gets one line
    naming the holder's pid. The kernel releases the lock when the holder dies, so after a
    ``kill -9`` the next resume takes it. :meth:`release` removes the file; a lock on a file
    removed meanwhile is retaken on the new file, so two processes never both hold it.
    Where ``fcntl`` is missing (Windows) the lock does nothing.
    """

    def __init__(self, folder: Path, label: str = "--out") -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self.label = label
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock.

        Raises:
            InputError: Another process holds it (one line with its pid), or the folder
                cannot be written.
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return self
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise fs_error(self.folder, exc) or InputError(
                    f"{self.label} {self.folder}: cannot lock the folder ({exc.strerror or exc})"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_pid(fd)
                os.close(fd)
                who = f"process {holder}" if holder else "another process"
                raise InputError(f"{self.label} {self.folder}: {who} is writing there (it holds "
                                 f"{LOCK}); wait for it to finish or stop it, then resume"
                                 ) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except OSError:
                same = False
            if same:
                break
            os.close(fd)  # the file was removed by its previous holder: lock the new one
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and release the lock (nothing if not held)."""
        if self._fd is None:
            return
        quietly(os.unlink, self.path)
        quietly(os.close, self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
