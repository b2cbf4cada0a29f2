"""csprisk behaves the same whether or not lxml can be imported.

Where it can (pandas' optional dependencies bring it, and Pyodide's repository has it),
openpyxl writes its XML through lxml, with its namespace declarations elsewhere, and parses
workbook parts with lxml rather than the standard library's parser that defusedxml guards.
The main suite runs without lxml; the last test here runs the tests that would notice again,
in a child process where lxml can be imported (`make install` puts it in .venv/lxml).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.packaging.custom import StringProperty

from csprisk import marks
from csprisk.excel.xlsx_writer import MARKING_PROPERTY
from csprisk.read.preflight import read_mark
from csprisk.read.preflight.properties import text_properties

ROOT = Path(__file__).resolve().parents[1]
#: Where `make install` puts lxml, apart from the venv the suite runs in.
LXML = Path(sys.prefix) / "lxml"
#: Set for the child run: there, openpyxl must be using lxml, or the run proves nothing.
EXPECT_LXML = "CSPRISK_TESTS_EXPECT_LXML"

_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

#: docProps/custom.xml as writers have it, each saying `csprisk workbook` = "ranked workbook".
WRITERS = {
    "openpyxl, the standard library's serializer": (
        f'<Properties xmlns:vt="{_VT}" xmlns="{_CUSTOM}"><property name="csprisk workbook" fmtid="{_FMTID}" '
        'pid="2"><vt:lpwstr>ranked workbook</vt:lpwstr></property></Properties>'),
    "openpyxl, lxml's serializer": (
        f'<Properties xmlns="{_CUSTOM}"><property name="csprisk workbook" fmtid="{_FMTID}" pid="2">'
        f'<vt:lpwstr xmlns:vt="{_VT}">ranked workbook</vt:lpwstr></property></Properties>'),
    "LibreOffice": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Properties xmlns="{_CUSTOM}" xmlns:vt="{_VT}"><property '
        f'fmtid="{_FMTID}" pid="2" name="csprisk workbook"><vt:lpwstr>ranked workbook</vt:lpwstr></property>'
        '</Properties>'),
    "other prefixes, and a text split by a comment": (
        f'<cp:Properties xmlns:cp="{_CUSTOM}" xmlns:t="{_VT}"><cp:property pid="2" name="Other"><t:lpwstr>x'
        '</t:lpwstr></cp:property><cp:property pid="3" name="csprisk workbook">\n  <t:lpwstr>ranked <!-- a -->'
        'workbook</t:lpwstr></cp:property></cp:Properties>'),
    "a default namespace for the value": (
        f'<ns0:Properties xmlns:ns0="{_CUSTOM}"><ns0:property name="csprisk workbook">'
        f'<lpwstr xmlns="{_VT}">ranked workbook</lpwstr></ns0:property></ns0:Properties>'),
}


def _package(path: Path, custom: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("docProps/custom.xml", custom)
    return path


@pytest.mark.parametrize("writer", list(WRITERS))
def test_the_mark_is_found_whatever_prefixes_the_writer_chose(tmp_path, writer):
    assert read_mark(_package(tmp_path / "ranked.xlsx", WRITERS[writer])) == marks.RANKED


@pytest.mark.parametrize("custom", [
    # the same names in other namespaces are not the custom properties
    WRITERS["openpyxl, lxml's serializer"].replace(_VT, "urn:elsewhere"),
    WRITERS["openpyxl, lxml's serializer"].replace(_CUSTOM, "urn:elsewhere"),
    # another property's value, or a value that is not text
    WRITERS["LibreOffice"].replace('name="csprisk workbook"', 'name="csprisk workbook (old)"'),
    WRITERS["LibreOffice"].replace("lpwstr", "i4"),
    # a DTD (which no writer puts there), and XML that is not well-formed
    WRITERS["LibreOffice"].replace("<Properties", '<!DOCTYPE p [<!ENTITY r "ranked workbook">]><Properties', 1),
    WRITERS["LibreOffice"][:-5],
])
def test_no_mark_is_read_where_there_is_none(tmp_path, custom):
    assert read_mark(_package(tmp_path / "other.xlsx", custom)) == ""


def test_each_property_keeps_its_own_value():
    found = text_properties(WRITERS["other prefixes, and a text split by a comment"].encode())
    assert found == {"Other": "x", "csprisk workbook": "ranked workbook"}


def test_the_mark_and_the_marking_openpyxl_writes_here_are_read(tmp_path):
    """Whichever serializer openpyxl uses in this process (the child run: lxml's)."""
    from csprisk.excel.returned import _marking

    workbook = openpyxl.Workbook()
    workbook.custom_doc_props.append(StringProperty(name=marks.PROPERTY, value=marks.EXECUTIVE))
    workbook.custom_doc_props.append(StringProperty(name=MARKING_PROPERTY, value="OFFICIAL-SENSITIVE"))
    workbook.save(tmp_path / "copy.xlsx")
    assert read_mark(tmp_path / "copy.xlsx") == marks.EXECUTIVE
    assert _marking(tmp_path / "copy.xlsx") == "OFFICIAL-SENSITIVE"


def test_openpyxl_uses_lxml_in_the_run_that_expects_it():
    """The child run below proves nothing unless openpyxl really writes and parses with lxml there."""
    if os.environ.get(EXPECT_LXML) != "1":
        pytest.skip("this run does not expect lxml (the child run of the test below does)")
    import lxml.etree
    import openpyxl.xml.functions as functions

    assert openpyxl.LXML is True and functions.Element is lxml.etree.Element


#: The tests that would notice lxml: csprisk's mark and the protective marking as openpyxl
#: writes them, the executive export's splice of saved values, the gate's refusal of DTDs
#: (what reaches openpyxl's parser), and merges read in worker processes.
WITH_LXML = ["tests/test_lxml.py", "tests/test_outputs.py", "tests/test_hostile.py", "tests/test_executive.py",
             "tests/test_cli.py::test_a_big_merge_reads_in_worker_processes_with_the_same_result",
             "tests/test_cli.py::test_work_meanwhile_runs_once_while_the_workers_read_or_after_a_small_merge"]


@pytest.mark.subprocess
def test_the_tests_that_would_notice_pass_where_lxml_can_be_imported(tmp_path):
    if os.environ.get(EXPECT_LXML) == "1":
        pytest.skip("this is the child run")
    if not (LXML / "lxml").is_dir():
        pytest.fail(f"lxml is not installed in {LXML}: run make install")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(LXML), os.environ.get("PYTHONPATH")])),
           EXPECT_LXML: "1"}
    env.pop("OPENPYXL_LXML", None)
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "child"),
         "-m", "not libreoffice and not pyodide and not subprocess", *WITH_LXML],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-2000:]
    assert " passed" in child.stdout.splitlines()[-1] and "this run does not expect lxml" not in child.stdout
