"""Writing files safely: atomically, never over a file that is open, with plain errors.

Every workbook csprisk writes (the ranked workbook, the executive's copy, the partner
template, the analyst workbook) goes through `write_atomically`: a temporary file beside
the target, moved into place in one step, so a failure never leaves a half-written file
or damages the one already there.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from csprisk.findings import Stopped


class OutputError(Stopped):
    """A file could not be written; the message is written for the person running it."""


class OutputLockedError(OutputError):
    """The target file is open in Excel or another program, so it cannot be replaced."""


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file: the same path, a link to it, or (on a file system
    that ignores case) the same name in another case."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def refuse_overwriting(output: str | os.PathLike, inputs, what: str) -> None:
    """Raise OutputError when `output` is one of the `inputs`: nothing csprisk writes may
    replace a file it reads."""
    for path in inputs:
        if path is not None and same_file(output, path):
            raise OutputError(
                f"{what} {output} would replace {path}, which is one of the files being read, so "
                "nothing was written. Choose another name with -o.")


def lock_files(path: Path) -> list[Path]:
    """Lock files that Excel (~$name) or LibreOffice (.~lock.name#) keep beside an open file."""
    candidates = (path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#"))
    return [lock for lock in candidates if lock.exists()]


def refuse_if_locked(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise OutputLockedError(
            f"{path} is open in Excel or LibreOffice, so it cannot be replaced. "
            f"Close it in Excel and try again, or choose another output name with -o. "
            f"(If it is not open anywhere, delete the leftover lock file {locks[0]}.)")
    if path.is_dir():
        raise OutputError(f"Cannot write to {path}: that is a folder. Choose a file name with -o.")


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], None],
                     what: str = "the report") -> Path:
    """Call `write(stream)` into a temporary file beside `path`, then move it into place."""
    path = Path(path)
    refuse_if_locked(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".~tmp-{path.stem}-", suffix=path.suffix, dir=folder)
    except OSError as error:
        raise OutputError(_os_message(error, f"Cannot write to the folder {folder}")) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if os.name == "posix":  # on Windows a read-only temp file could not be cleaned up
            os.chmod(temp, _file_mode(path))
        try:
            os.replace(temp, path)
        except PermissionError:
            raise OutputLockedError(
                f"{path} is open in another program or is read-only, so it cannot be replaced. "
                "Close it in Excel and try again, or choose another output name with -o.") from None
    except OutputError:
        temp.unlink(missing_ok=True)
        raise
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputError(_os_message(error, f"Cannot write {what} to {path}")) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def reproducible_xlsx(workbook, fixed_time: dt.datetime) -> bytes:
    """The saved workbook with its dates fixed, so an unchanged build gives identical bytes.

    openpyxl stamps "modified" with the time of saving and zip entries with the time of
    writing; both are put back to `fixed_time`.
    """
    from openpyxl.xml.constants import ARC_CORE
    from openpyxl.xml.functions import tostring

    saved = io.BytesIO()
    workbook.save(saved)
    workbook.properties.modified = fixed_time
    out = io.BytesIO()
    with ZipFile(saved) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = tostring(workbook.properties.to_tree()) if info.filename == ARC_CORE else source.read(info)
            entry = ZipInfo(info.filename, date_time=fixed_time.timetuple()[:6])
            entry.compress_type = ZIP_DEFLATED
            target.writestr(entry, data)
    return out.getvalue()


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new one gets the usual ones (mkstemp's are 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        # The owner always reads and writes what it wrote (Pyodide 0.27's umask is 0o777).
        return (0o666 & ~umask) | 0o600


def _os_message(error: OSError, lead: str) -> str:
    if error.errno == errno.ENOSPC:
        return f"{lead}: the disk is full. Free some space or choose another folder with -o."
    if isinstance(error, PermissionError) or error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{lead}: you do not have permission to write there. Choose another folder with -o."
    reason = error.strerror or str(error)
    return f"{lead}: {reason}. Choose another output name with -o."
