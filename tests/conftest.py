"""Shared test helpers."""

import subprocess

import pytest


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


#: Markers of tests that start a child process, and why the test suite run inside Pyodide
#: (as xlwings Lite runs csprisk), which cannot start one, skips them.
CHILD_PROCESS_MARKERS = {
    "libreoffice": "needs LibreOffice, a subprocess: Pyodide cannot start one",
    "pyodide": "runs Pyodide under Node, a subprocess: Pyodide cannot start one",
    "subprocess": "starts a subprocess, which Pyodide cannot do",
}


def pytest_collection_modifyitems(config, items):
    """Inside Pyodide there are no subprocesses: skip the tests marked as starting one."""
    import sys

    import pytest

    if sys.platform != "emscripten":
        return
    for item in items:
        reason = next((why for marker, why in CHILD_PROCESS_MARKERS.items() if item.get_closest_marker(marker)), None)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _child_processes_only_where_marked(request, monkeypatch):
    """A test that starts a child process says so with one of CHILD_PROCESS_MARKERS, or fails
    here: the markers are what Pyodide's run skips and what `make check` leaves out."""
    if any(request.node.get_closest_marker(marker) for marker in CHILD_PROCESS_MARKERS):
        return

    def refused(args, *_, **__):
        raise AssertionError(f"This test starts a child process ({args!r}) but is not marked: mark it "
                             f"@pytest.mark.subprocess, or libreoffice or pyodide (see tests/conftest.py).")

    monkeypatch.setattr(subprocess, "Popen", refused)
