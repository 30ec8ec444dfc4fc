"""Output folders: default names, the ``--out`` rule, one-shot and resumable writing.

The rule every command follows: **a command never deletes or replaces anything it did not
write.**

* :func:`default_out_dir` names a new folder ``results/<name>-<UTC time>``; the name is
  sanitised (only ``A-Z a-z 0-9 . _ -``, no path separators, no leading dot), so the folder is
  always inside ``results/``.
* :func:`check_target` applies the ``--out`` rule before any work is done: a missing or empty
  folder is fine; a non-empty folder must be one of our previous outputs of the same kind
  (recognised by our manifest, its ``kind`` and its recorded list of ``files``), and is
  replaced only with ``--overwrite``; anything else (a file, the current folder, a folder
  holding the user's own files) is refused with one line
  (:class:`~spiral.model.errors.InputError`, exit status 2).
* :class:`OneShotOutput` (runs, validation) writes into a temporary sibling folder
  ``.NAME.tmp-PID`` and renames it when complete, so a failure never leaves a half-written
  folder. Replacing a previous output moves away only the files its manifest recorded and
  keeps everything else (the user's notes). Temporaries of dead processes are removed.
* :func:`prepare_in_place` and :func:`lock_in_place` (sweeps, sensitivity analyses) are for
  resumable outputs written in place: they refuse a non-empty folder that is not a previous
  output of the same kind; :func:`lock_in_place` holds a lock on the folder meanwhile.

File-system faults (permission denied, read-only file system, full disk) become one line
naming the folder and the cause, with nothing half-written left behind. The moving of files
is done by :mod:`spiral.experiments.common.fsops`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from spiral.experiments.common.fsops import (
    LOCK,
    MARKER,
    FolderLock,
    files_under,
    fs_error,
    make_parents,
    mark,
    recorded_files,
    remove_if_empty,
    remove_stale_temporaries,
    swap_files,
)
from spiral.experiments.common.fsops import remove_recorded as remove_recorded  # re-exported
from spiral.model.errors import InputError

RESULTS = Path("results")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# --- names ---------------------------------------------------------------------------------
def sanitise_name(name: str, *, limit: int = 80) -> str:
    """``name`` made safe as one folder name: ``A-Z a-z 0-9 . _ -`` only, no leading dot.

    >>> sanitise_name("../../../x")
    'x'
    >>> sanitise_name("fear x weight/2")
    'fear-x-weight-2'
    """
    text = re.sub(r"-{2,}", "-", _UNSAFE.sub("-", str(name)).replace("..", "-"))
    text = text.lstrip(".-")[:limit].rstrip(".-")
    return text or "output"


def default_out_dir(kind_or_name: str, name: str | None = None, *, root: Path = RESULTS) -> Path:
    """A new folder ``results/<kind>-<name>-<UTC time>`` (or ``results/<name>-<UTC time>``).

    Args:
        kind_or_name: The kind of output (``sweep``) or, alone, the whole name.
        name: The scenario's or sweep's name, if any (sanitised like the rest).
        root: The folder that holds every default output.

    Returns:
        A path inside ``root`` that does not exist yet (``-2``, ``-3``, ... appended if an
        output of the same second exists).
    """
    label = sanitise_name(kind_or_name if name is None else f"{kind_or_name}-{name}")
    stem = f"{label}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    out, k = root / stem, 1
    while out.exists() or out.is_symlink():
        k += 1
        out = root / f"{stem}-{k}"
    return out


# --- the --out rule ------------------------------------------------------------------------
def _check_location(out: Path, label: str, *, current_ok: bool) -> None:
    """Refuse an ``--out`` that is a file, the current folder, or below a file."""
    if not current_ok and (out.name in ("", ".", "..") or _holds_cwd(out)):
        raise InputError(f"{label} {out}: is the current folder (or holds it); name a new "
                         "folder for the output")
    if out.is_symlink():
        raise InputError(f"{label} {out}: is a symbolic link; give the folder it points to")
    if out.exists() and not out.is_dir():
        raise InputError(f"{label} {out}: is a file, not a folder; choose another {label}")
    # one-shot outputs write a sibling of ``out``; in-place outputs write into it
    for folder in (out, *out.parents) if current_ok else out.parents:
        if folder.exists():
            if not folder.is_dir():
                raise InputError(f"{label} {out}: {folder} is a file, not a folder")
            if not os.access(folder, os.W_OK | os.X_OK):
                cause = "read-only file system" if _read_only(folder) else "permission denied"
                raise InputError(f"{label} {out}: cannot write in {folder}: {cause}")
            break
        if folder.is_symlink():
            raise InputError(f"{label} {out}: {folder} is a broken symbolic link")


def _holds_cwd(out: Path) -> bool:
    try:
        cwd, target = Path.cwd().resolve(), out.resolve()
    except OSError:
        return False
    return target == cwd or target in cwd.parents


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# --- recognising our outputs ---------------------------------------------------------------
def read_manifest(folder: Path, manifest_name: str = "manifest.json") -> dict | None:
    """The JSON object in ``folder/manifest_name``, or None if absent or unreadable."""
    try:
        data = json.loads((folder / manifest_name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def our_output(folder: Path, kind: str, manifest_name: str = "manifest.json", *,
               need_files: bool = True) -> dict | None:
    """The manifest of a previous output of ours of ``kind`` in ``folder``, else None.

    Ours means: the manifest exists, names this ``kind`` and (with ``need_files``) records
    the list of files written.
    """
    manifest = read_manifest(folder, manifest_name)
    if manifest is None or manifest.get("kind") != kind:
        return None
    if need_files and not isinstance(manifest.get("files"), list):
        return None
    return manifest


def _non_empty(folder: Path) -> bool:
    """Whether ``folder`` holds anything (a lock file of ours left by a killed process aside)."""
    try:
        return folder.is_dir() and any(p.name != LOCK for p in folder.iterdir())
    except OSError as exc:
        raise fs_error(folder, exc) or InputError(f"{folder}: cannot read the folder "
                                                  f"({exc.strerror or exc})") from None


def check_target(out: str | Path, kind: str, *, overwrite: bool = False,
                 manifest_name: str = "manifest.json", label: str = "--out") -> dict | None:
    """Apply the ``--out`` rule for a one-shot output, before any work is done.

    Args:
        out: The output folder.
        kind: Our kind of output (``run``, ``validation``, ...).
        overwrite: Replace a previous output of ours of this kind.
        manifest_name: The manifest file that marks our outputs.
        label: How the folder was given (for messages).

    Returns:
        The previous output's manifest if it is to be replaced, else None.

    Raises:
        InputError: ``out`` is a file, the current folder, below a file, not writable, or a
            non-empty folder that is not our previous output of this kind; or it is ours and
            ``overwrite`` is not set.
    """
    out = Path(out)
    _check_location(out, label, current_ok=False)
    if not _non_empty(out):
        return None
    previous = our_output(out, kind, manifest_name)
    if previous is None:
        raise InputError(f"{label} {out}: is not empty and is not a previous {kind} output "
                         f"(no {manifest_name} of ours); choose a new or empty folder")
    if not overwrite:
        raise InputError(f"{label} {out}: holds a previous {kind} output; add --overwrite to "
                         "replace the files it wrote (other files are kept), or choose another "
                         f"{label}")
    return previous


# --- one-shot outputs ----------------------------------------------------------------------
class OneShotOutput:
    """Write an output folder under a temporary name and rename it when complete.

    Use as a context manager; write into :attr:`path`, call :meth:`write_manifest` once the
    manifest is known (it may be called again; the final one is written at the end with the
    list of every file written, ``files``)::

        with OneShotOutput(out, "run", overwrite=False) as folder:
            table.to_csv(folder.path / "table.csv")
            folder.write_manifest({"format_version": 2, "kind": "run", ...})

    On success the folder is renamed to ``out``; if ``out`` is our previous output (allowed
    only with ``overwrite``), only the files its manifest recorded are replaced and the rest
    is kept. On failure the temporary folder is removed; a file-system fault becomes one
    :class:`~spiral.model.errors.InputError` line.

    Attributes:
        out: The final folder.
        kind: Our kind of output, recorded in the manifest.
        path: The temporary folder to write into (set on entry).
        manifest: The manifest given to :meth:`write_manifest`.
    """

    def __init__(self, out: str | Path, kind: str, *, overwrite: bool = False,
                 manifest_name: str = "manifest.json", label: str = "--out") -> None:
        self.out = Path(out)
        self.kind = kind
        self.overwrite = overwrite
        self.manifest_name = manifest_name
        self.label = label
        self.path = self.out.parent / f".{self.out.name}.tmp-{os.getpid()}"
        self.manifest: dict | None = None
        self.previous: dict | None = None
        self._created: list[Path] = []

    # -- entering
    def __enter__(self) -> OneShotOutput:
        self.previous = check_target(self.out, self.kind, overwrite=self.overwrite,
                                     manifest_name=self.manifest_name, label=self.label)
        try:
            self._created = make_parents(self.out.parent)
            remove_stale_temporaries(self.out.parent)
            if self.path.exists() and (self.path / MARKER).is_file():
                shutil.rmtree(self.path)  # an earlier failed attempt of this process
            self.path.mkdir()
            mark(self.path, self.kind, self.out)
        except OSError as exc:
            remove_if_empty(reversed(self._created))
            raise fs_error(self.out, exc) or InputError(
                f"{self.out}: cannot create the output folder ({exc.strerror or exc})") from None
        return self

    def write_manifest(self, manifest: dict) -> Path:
        """Set the manifest and write it now (readers may need it before the end)."""
        self.manifest = manifest
        return self._write_manifest()

    def files(self) -> list[str]:
        """Relative paths of the files written so far, the manifest included."""
        return sorted({*files_under(self.path), self.manifest_name})

    def _write_manifest(self) -> Path:
        data = {**self.manifest, "kind": self.kind, "files": self.files()}
        path = self.path / self.manifest_name
        path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        return path

    # -- leaving
    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self._commit()
            except BaseException as error:
                self._discard()
                simple = fs_error(self.out, error) if isinstance(error, OSError) else None
                if simple is not None:
                    raise simple from None
                raise
            return False
        self._discard()
        simple = fs_error(self.out, exc) if isinstance(exc, OSError) else None
        if simple is not None:
            raise simple from None
        return False

    def _discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        remove_if_empty(reversed(self._created))

    def _commit(self) -> None:
        if self.manifest is None:
            raise RuntimeError("OneShotOutput: write_manifest() was not called")
        self._write_manifest()
        if self.previous is None:
            if _non_empty(self.out):
                raise InputError(f"{self.label} {self.out}: files appeared there while the "
                                 "output was written; nothing was changed")
            (self.path / MARKER).unlink()
            os.replace(self.path, self.out)  # onto a missing or empty folder
            return
        self._replace_previous()

    def _replace_previous(self) -> None:
        """Swap in the new files; move away only the files the previous output recorded."""
        old = set(recorded_files(self.previous)) | {self.manifest_name}
        new = self.files()
        clash = next((f for f in new if self._clashes(f, old)), None)
        if clash is not None:
            raise InputError(f"{self.label} {self.out}: --overwrite would replace {clash}, "
                             f"which the previous {self.kind} output did not write; move it "
                             "away or choose another folder")
        backup = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        swap_files(self.out, self.path, new, old, backup)
        shutil.rmtree(self.path, ignore_errors=True)

    def _clashes(self, rel: str, old: set[str]) -> bool:
        """Whether writing ``rel`` would replace something the previous output did not write."""
        target = self.out / rel
        for parent in PurePosixPath(rel).parents:
            folder = self.out / parent
            if str(parent) != "." and (folder.is_symlink() or
                                       (folder.exists() and not folder.is_dir())):
                return True
        if target.is_symlink() or target.exists():
            return rel not in old or target.is_dir()
        return False


# --- resumable outputs ---------------------------------------------------------------------
def prepare_in_place(out: str | Path, kind: str, *, manifest_name: str, resume: bool,
                     overwrite: bool = False, label: str = "--out", what: str | None = None
                     ) -> tuple[str, dict | None]:
    """Apply the ``--out`` rule to a resumable output written in place; create the folder.

    :func:`lock_in_place` without the lock: returns the mode and the previous manifest.
    """
    mode, previous, _ = lock_in_place(out, kind, manifest_name=manifest_name, resume=resume,
                                      overwrite=overwrite, label=label, what=what, lock=False)
    return mode, previous


def lock_in_place(out: str | Path, kind: str, *, manifest_name: str, resume: bool,
                  overwrite: bool = False, label: str = "--out", what: str | None = None,
                  lock: bool = True) -> tuple[str, dict | None, FolderLock | None]:
    """Apply the ``--out`` rule to a resumable output written in place, under a lock.

    The folder is created, locked (:class:`~.fsops.FolderLock`), then examined, so two
    processes never both decide to write it; on a refusal the lock is released and the
    folders this call created are removed again (nothing is left behind).

    Args:
        out: The output folder.
        kind: Our kind of output (``sweep``, ``sensitivity``).
        manifest_name: The manifest file that marks our outputs (``sweep.json``).
        resume: Continue a previous output of ours of this kind.
        overwrite: Replace a previous output of ours (the caller removes its files).
        label: How the folder was given (for messages).
        what: How to name the kind in messages (default: ``kind``).
        lock: Take the lock (the caller releases it when done).

    Returns:
        ``"fresh"``, ``"resume"`` or ``"overwrite"``; the previous manifest (or None); the
        lock (None with ``lock=False``).

    Raises:
        InputError: ``out`` is a file or below one; a non-empty folder that is not a previous
            output of ours of this kind; ours without ``resume`` or ``overwrite``; the folder
            cannot be created; or another process holds the lock.
    """
    out = Path(out)
    what = what or kind
    _check_location(out, label, current_ok=True)
    try:
        created = make_parents(out)
    except OSError as exc:
        raise fs_error(out, exc) or InputError(
            f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
    held = None
    try:
        held = FolderLock(out, label).acquire() if lock else None
        mode, previous = "fresh", None
        if _non_empty(out):
            previous = our_output(out, kind, manifest_name, need_files=False)
            if previous is None:
                raise InputError(f"{label} {out}: is not empty and is not a {what} folder (no "
                                 f"{manifest_name} of ours); choose a new or empty folder")
            if resume:
                mode = "resume"
            elif overwrite:
                mode = "overwrite"
            else:
                more = " or --overwrite to replace it" if what != "sweep" else ""
                raise InputError(f"{label} {out} is not empty: use --resume to continue the "
                                 f"{what} there{more}, or choose another {label}")
    except BaseException:
        if held is not None:
            held.release()
        remove_if_empty(reversed(created))
        raise
    return mode, previous, held
