"""Reading TOML files (scenarios, sweeps) with one error format: ``FILE[:LINE]: what is wrong``.

:func:`read_toml` returns the parsed table and the text (so that later checks can point at the
line that sets a key, with :func:`key_location`). Every problem is raised as one line::

    sweeps/my.toml: file not found
    sweeps/my.toml: not UTF-8 text (byte 0xe9 at offset 57); save the file as UTF-8
    sweeps/my.toml:6: invalid TOML: Expected '=' after a key in a key/value pair
    sweeps/my.toml:14: [parameters] unknown parameter 'fear_mea'; did you mean 'fear_mean'?
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from spiral.model.errors import InputError

_BOM = b"\xef\xbb\xbf"
_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)")
_AT_END = re.compile(r"\s*\(at end of document\)")


def read_toml(path: str | Path, *, error: type[InputError] = InputError) -> tuple[dict, str]:
    """Read and parse a TOML file.

    A UTF-8 byte order mark at the start is accepted.

    Args:
        path: The file.
        error: The :class:`~spiral.model.errors.InputError` subclass to raise.

    Returns:
        The parsed table and the file's text.

    Raises:
        InputError: ``error`` with one line: ``PATH: file not found``, ``PATH: not UTF-8 text
            (byte 0x.. at offset N); save the file as UTF-8`` or ``PATH:LINE: invalid TOML:
            message`` (or the operating system's reason the file cannot be read).
    """
    path = Path(path)
    if path.is_dir():
        raise error(f"{path}: is a folder, not a TOML file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    skip = len(_BOM) if raw.startswith(_BOM) else 0
    try:
        text = raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        raise error(f"{path}: not UTF-8 text (byte 0x{raw[offset]:02x} at offset {offset}); "
                    "save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)  # Python 3.14+
        match = _AT_LINE.search(message)
        if line is None and match:
            line = int(match.group(1))
        elif line is None and _AT_END.search(message):
            line = max(len(text.splitlines()), 1)
        message = _AT_END.sub("", _AT_LINE.sub("", getattr(exc, "msg", None) or message))
        where = f"{path}:{line}" if line else str(path)
        raise error(f"{where}: invalid TOML: {message}") from None
    return data, text


def key_location(origin: str | Path, text: str, key: str) -> str:
    """Where a TOML text sets ``key``, for error messages.

    Args:
        origin: The file (or a label such as ``<sweep>``).
        text: The file's text.
        key: A key (``seed``) or table name (``counterfactual``).

    Returns:
        ``FILE:LINE`` of the first line that sets it (``key = ...``, or a ``[table.key]``
        header), or just ``FILE`` if none does.
    """
    pattern = re.compile(rf"^\s*(\[\s*[\w.-]*\.)?\"?{re.escape(key)}\"?\s*(=|\])")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return f"{origin}:{lineno}"
    return str(origin)
