"""Shared test helpers."""


def soffice_convert(path, fmt, outdir):
    """Convert `path` with headless LibreOffice (e.g. fmt "pdf" or "xlsx"); returns the new file.

    Each call gets a private LibreOffice profile, so tests can run beside an open
    LibreOffice and beside each other.
    """
    from csprisk.libreoffice import ConversionError, convert

    try:
        return convert(path, fmt, outdir, timeout=120)
    except ConversionError as error:
        raise AssertionError(f"LibreOffice did not convert {path} to {fmt}: {error}") from None


def require_soffice():
    """Skip when LibreOffice is missing, except on CI (CI set), where its absence is a failure."""
    import os
    import shutil

    import pytest

    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI but was not found on PATH")
        pytest.skip("LibreOffice (soffice) is not installed; these tests prove files against it")
