"""Shared test helpers."""


def soffice_convert(path, fmt, outdir):
    """Convert `path` with headless LibreOffice (e.g. fmt "pdf" or "xlsx"); returns the new file.

    Each call gets a private LibreOffice profile, so tests can run beside an open
    LibreOffice and beside each other.
    """
    from csprisk.excel.libreoffice import ConversionError, convert

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


def pytest_collection_modifyitems(config, items):
    """Inside Pyodide (the test suite run as xlwings Lite runs csprisk) there are no
    subprocesses: skip the tests that start one (LibreOffice, the command line as a child
    process, Node), saying why."""
    import inspect
    import sys

    import pytest

    if sys.platform != "emscripten":
        return
    for item in items:
        if item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.skip(reason="needs LibreOffice, a subprocess: Pyodide cannot start one"))
            continue
        try:
            source = inspect.getsource(item.function)
        except (OSError, TypeError):
            continue
        if "subprocess" in source or "require_soffice" in source or "soffice_convert" in source:
            item.add_marker(pytest.mark.skip(reason="starts a subprocess, which Pyodide cannot do"))
