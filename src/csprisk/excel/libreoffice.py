"""Headless LibreOffice: the one place csprisk runs it (PDFs for the executive's copy, and
the tests that prove our files against a real spreadsheet application)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path


class ConversionError(Exception):
    """LibreOffice is missing, too slow, or did not convert; the message says which."""


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def convert(path: str | Path, fmt: str, outdir: str | Path, timeout: float = 180) -> Path:
    """Convert `path` with headless LibreOffice (fmt such as "pdf", "xlsx", "ods") into `outdir`.

    Each call has a private profile, so it runs beside an open LibreOffice and beside other
    conversions; on a timeout the whole LibreOffice process group is ended, not just the
    launcher, so nothing is left running.
    """
    soffice = find_soffice()
    if soffice is None:
        raise ConversionError("LibreOffice (soffice) is not installed on this machine.")
    path, outdir = Path(path).resolve(), Path(outdir).resolve()
    converted = outdir / f"{path.stem}.{fmt.split(':')[0]}"
    if converted == path:
        raise ValueError(f"converting {path} into its own folder would overwrite it")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="csprisk-soffice-") as profile:
        command = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--convert-to", fmt, "--outdir", str(outdir), str(path)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_group(process)
            raise ConversionError(f"LibreOffice took longer than {timeout:.0f} seconds.") from None
    if not converted.exists():
        detail = (err or out).strip().splitlines()
        raise ConversionError("LibreOffice could not convert the file"
                              + (f" ({detail[-1]})" if detail else "") + ".")
    return converted


def _end_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()
    process.communicate()
