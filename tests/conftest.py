"""Shared test helpers."""


def soffice_convert(path, fmt, outdir):
    """Convert `path` with headless LibreOffice (e.g. fmt "pdf" or "xlsx"); returns the new file.

    Each call gets a private LibreOffice profile, so tests can run beside an open
    LibreOffice and beside each other.
    """
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    path, outdir = Path(path).resolve(), Path(outdir).resolve()
    extension = fmt.split(":")[0]
    converted = outdir / f"{path.stem}.{extension}"
    if converted == path:
        raise ValueError(f"converting {path} into its own folder would overwrite it")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="soffice-profile-"))
    try:
        run = subprocess.run(
            ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--convert-to", fmt, "--outdir", str(outdir), str(path)],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not converted.exists():
        raise AssertionError(f"LibreOffice did not convert {path} to {fmt} "
                             f"(exit {run.returncode}): {run.stdout} {run.stderr}")
    return converted


def require_soffice():
    """Skip when LibreOffice is missing, except on CI (CI set), where its absence is a failure."""
    import os
    import shutil

    import pytest

    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI but was not found on PATH")
        pytest.skip("LibreOffice (soffice) is not installed; these tests prove files against it")
