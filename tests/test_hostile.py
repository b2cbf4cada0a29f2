"""Broken and hostile files: the pre-flight check refuses them cheaply, before any reader.

Risky probes of the reader itself run in a subprocess, so a crash there cannot end the tests.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hostile_files as hostile
from csprisk.grid import SheetFacts
from csprisk.read.preflight import MAX_SHEET_CELLS, check_file, inspect_file
from csprisk.read.sources import read_grids

READ_IN_CHILD = """
import sys, python_calamine as pc
workbook = pc.CalamineWorkbook.from_path(sys.argv[1])
rows = workbook.get_sheet_by_index(0).to_python()
print(len(rows))
"""


def code(path: Path) -> str | None:
    problem = check_file(path, path.name)
    return problem.code if problem else None


@pytest.mark.parametrize("build, expected", [
    (hostile.xlsx_claiming_the_last_cell, "file-too-large"),
    (hostile.ods_with_a_huge_repeated_cell, "file-too-large"),
    (lambda p: hostile.xls_file(p, [(0, 0, 1.0), (65535, 255, 2.0)]), "file-too-large"),
    (hostile.xlsx_with_a_billion_laughs, "file-corrupt"),
    (hostile.encrypted_xlsx, "file-encrypted"),
    (hostile.encrypted_ods, "file-encrypted"),
    (lambda p: hostile.xls_file(p, [(0, 0, 1.0)], password=True), "file-encrypted"),
])
def test_a_hostile_file_is_refused_within_a_few_mb(tmp_path, build, expected):
    """How fast: benchmarks/bench.py --hostile-only times the same files."""
    resource = pytest.importorskip("resource", reason="the resource module (peak memory) is not in Pyodide")
    path = build(tmp_path / "hostile.bin")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grids, findings = read_grids(path, "hostile")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grids == [] and [f.code for f in findings] == [expected]
    assert grown_mb < 40


def test_a_zip_bomb_is_refused_from_its_table_of_contents(tmp_path, monkeypatch):
    """Refused before a byte of any part is unpacked."""
    path = hostile.zip_bomb_xlsx(tmp_path / "bomb.xlsx", megabytes=210)

    def unpacked(*_):
        raise AssertionError("a part of the zip bomb was unpacked")

    monkeypatch.setattr(zipfile.ZipExtFile, "read", unpacked)
    monkeypatch.setattr(zipfile.ZipExtFile, "read1", unpacked)
    problem = check_file(path, "bomb.xlsx")
    assert problem.code == "file-too-large" and "200 MB" in problem.message


@pytest.mark.subprocess
def test_without_the_guard_the_reader_would_take_down_the_process(tmp_path):
    """The reason for the guard, shown in a child process: calamine aborts (tafia/calamine#693).
    Proven with the python-calamine range pyproject.toml pins; a calamine that no longer aborts
    fails this test, and the guard's reason is then read again before widening the pin."""
    path = hostile.xlsx_claiming_the_last_cell(tmp_path / "last.xlsx")
    assert path.stat().st_size < 10_000
    child = subprocess.run([sys.executable, "-c", READ_IN_CHILD, str(path)], capture_output=True,
                           text=True, timeout=60)
    assert child.returncode < 0 or "memory allocation" in child.stderr  # killed by SIGABRT
    assert code(path) == "file-too-large"


def test_a_sheet_just_inside_the_limit_still_reads(tmp_path):
    rows = MAX_SHEET_CELLS // 100
    path = hostile.small_xlsx(tmp_path / "tall.xlsx", {"A1": "x", f"CV{rows}": 1})
    assert code(path) is None
    path = hostile.small_xlsx(tmp_path / "taller.xlsx", {"A1": "x", f"CV{rows + 1}": 1})
    assert code(path) == "file-too-large"


def test_style_only_cells_far_away_take_no_room(tmp_path):
    base = hostile.small_xlsx(tmp_path / "base.xlsx")
    path = hostile.rewrite_zip(base, tmp_path / "styled.xlsx", lambda name, data: data.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
        if name == "xl/worksheets/sheet1.xml" else data)
    assert code(path) is None and read_grids(path, "styled")[1] == []


def test_the_format_is_decided_by_content(tmp_path):
    pytest.importorskip("python_calamine", reason="only calamine reads .xls (Pyodide 0.27 has no calamine)")
    xls = hostile.xls_file(tmp_path / "named.xlsx", [(0, 0, 1.0), (1, 1, 3.0)])
    verdict = inspect_file(xls, "named.xlsx")
    assert verdict.finding is None and verdict.kind == "xls"
    grids, findings = read_grids(xls, "named.xlsx")
    assert findings == [] and grids[0].rows[1][1] == 3.0


@pytest.mark.parametrize("content, kind", [
    (b"Priority,Gap\nASB,3\n", "CSV"),
    (b"<html><body>scores</body></html>", "web page"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"\x00\x01\x02garbage" * 10, "unknown kind"),
])
def test_what_is_not_a_workbook_says_what_it_is(tmp_path, content, kind):
    path = tmp_path / "return.xlsx"
    path.write_bytes(content)
    problem = check_file(path, "return.xlsx")
    assert problem.code == "file-not-excel" and kind in problem.message


def test_other_office_files_are_not_returns(tmp_path):
    doc = hostile.ole_file(tmp_path / "letter.xls", {"WordDocument": b"\x00" * 100})
    assert "Word document" in check_file(doc, "letter.xls").message
    base = hostile.small_xlsx(tmp_path / "b.xlsx")
    word = hostile.rewrite_zip(base, tmp_path / "w.xlsx",
                               lambda name, data: None if name == "xl/workbook.xml" else data)
    assert code(word) == "file-corrupt"


def test_damaged_ole_and_zip_files_are_corrupt_not_crashes(tmp_path):
    good = hostile.xls_file(tmp_path / "good.xls", [(0, 0, 1.0)]).read_bytes()
    for cut in (100, 600, 1100, len(good) - 1):
        path = tmp_path / f"cut{cut}.xls"
        path.write_bytes(good[:cut])
        grids, findings = read_grids(path, path.name)
        assert grids == [] or findings == []
        assert all(f.code in ("file-corrupt", "file-not-excel") for f in findings)


#: Entities that name the sheet: a reader that expands them (openpyxl through lxml does, where
#: lxml can be imported: it parses with lxml then, not with the parser defusedxml guards).
_LAUGHS = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def _workbook_part(tmp_path: Path, name: str, encode, dtd: bool = True) -> Path:
    """A small .xlsx whose xl/workbook.xml is given a DTD (or not) and encoded by `encode`."""
    def edit(part, data):
        if part != "xl/workbook.xml":
            return data
        text = data.decode("utf-8")
        return encode(text.replace("<workbook", _LAUGHS + "<workbook", 1).replace('name="Sheet"', 'name="&b;"')
                      if dtd else text)

    return hostile.rewrite_zip(hostile.small_xlsx(tmp_path / f"{name}.base.xlsx"), tmp_path / f"{name}.xlsx", edit)


_DECLARED = '<?xml version="1.0" encoding="{}"?>'
_ENCODINGS = {
    "utf-16 with a byte-order mark": lambda t: (_DECLARED.format("UTF-16") + t).encode("utf-16"),
    "utf-16 without one": lambda t: (_DECLARED.format("UTF-16") + t).encode("utf-16-be"),
    "utf-32": lambda t: (_DECLARED.format("UTF-32") + t).encode("utf-32"),
    "ebcdic": lambda t: (_DECLARED.format("IBM037") + t).encode("cp037"),
    "utf-7, the < of <!DOCTYPE as +ADw-": lambda t: (_DECLARED.format("UTF-7") + t).encode("utf-7").replace(
        b"<!DOCTYPE", b"+ADw-!DOCTYPE").replace(b"<!ENTITY", b"+ADw-!ENTITY"),
}


@pytest.mark.parametrize("encoding", list(_ENCODINGS))
def test_a_dtd_in_a_part_in_another_encoding_is_refused_before_any_reader(tmp_path, monkeypatch, encoding):
    """The gate, not the parser a reader happens to pick, keeps entities out: openpyxl parses
    with lxml wherever lxml can be imported, and lxml expands these."""
    import openpyxl

    from csprisk.read.sources import SETTINGS_WORKBOOK, WorkbookRefused, load_workbook_model

    path = _workbook_part(tmp_path, "laughs", _ENCODINGS[encoding])
    problem = check_file(path, path.name)
    assert problem.code == "file-corrupt" and "xl/workbook.xml declares XML entities" in problem.message

    def never(*_args, **_kwargs):
        raise AssertionError("openpyxl was given a workbook with a DTD")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(WorkbookRefused, match="declares XML entities"):
        load_workbook_model(path, SETTINGS_WORKBOOK)


def test_a_part_in_utf16_without_a_dtd_is_read(tmp_path):
    """UTF-16 is allowed for a package's XML (ECMA-376 part 2): decoded to look for a DTD, not refused."""
    path = _workbook_part(tmp_path, "plain", _ENCODINGS["utf-16 with a byte-order mark"], dtd=False)
    assert check_file(path, path.name) is None


@pytest.mark.parametrize("encoding", ["x-klingon", "zlib", "base64"])  # unknown, and Python's transforms
def test_a_part_declared_in_an_encoding_no_one_knows_is_refused(tmp_path, encoding):
    path = _workbook_part(tmp_path, "odd", lambda t: (_DECLARED.format(encoding) + t).encode(), dtd=False)
    problem = check_file(path, path.name)
    assert problem.code == "file-corrupt"
    assert f"a text encoding ({encoding}) that spreadsheets do not use" in problem.message


def test_entities_in_a_part_of_any_name_are_refused(tmp_path):
    """A reader finds the shared strings wherever [Content_Types].xml says they are."""
    laughs = hostile.xlsx_with_a_billion_laughs(tmp_path / "laughs.xlsx")
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(laughs) as source, zipfile.ZipFile(moved, "w") as target:
        for item in source.infolist():
            data = source.read(item).replace(b"/xl/sharedStrings.xml", b"/xl/strings.dat")
            target.writestr(item.filename.replace("xl/sharedStrings.xml", "xl/strings.dat"), data)
    problem = check_file(moved, moved.name)
    assert problem.code == "file-corrupt" and "xl/strings.dat declares XML entities" in problem.message


def test_an_svg_picture_with_a_doctype_but_no_entities_is_not_refused(tmp_path):
    """Illustrator's SVGs name the SVG DTD; no reader parses a picture, and it declares nothing."""
    path = hostile.small_xlsx(tmp_path / "logo.xlsx")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/media/image1.svg", '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
                         '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>')
    assert check_file(path, path.name) is None


def _sheet_edit(old: bytes, new: bytes):
    return lambda name, data: data.replace(old, new) if name == "xl/worksheets/sheet1.xml" else data


@pytest.mark.parametrize("edit", [
    None,  # an ordinary sheet: the byte scan vouches for it
    _sheet_edit(b'<row r="2"', b'<row r="1048576"'),  # a row far away, no cell: over the bound
    _sheet_edit(b'r="B2"', b'r="XFD1048576"'),  # the last cell
    _sheet_edit(b'<c r="B2"', b'<c t="n" r="B2"'),  # reference not first
    _sheet_edit(b'<c r="B2"', b"<c"),  # no reference at all: placed by position
    _sheet_edit(b'<c r="B2"', b'<c r="$b$2"'),  # a reference only the exact scan reads
    _sheet_edit(b"<sheetData>", b'<sheetData xmlns:x="urn:x"><x:row r="900"><x:c r="ZZ900"><x:v>1</x:v></x:c></x:row>'),
    _sheet_edit(b"<sheetData>", b"<sheetData><!-- <c r=\"ZZZ1\"/> -->"),  # a comment
    _sheet_edit(b"</sheetData>", b"</sheetData"),  # not well-formed
    _sheet_edit(b"</sheetData>", b'<row r="3"><c r="A3"><f>1+1</f><v>2</v></c></row></sheetData>'),
    _sheet_edit(b"</sheetData>", b'<row r="3"><c r="A3"/><f>1+1</f></row></sheetData>'),  # f outside its cell
])
def test_the_byte_scan_agrees_with_the_exact_scan(tmp_path, monkeypatch, edit):
    """The pre-flight's fast path for ordinary sheet XML gives the same verdict and finding as
    the streaming expat scan (and the same formula cells for a file it lets through), and
    hands everything unusual to it."""
    import csprisk.read.preflight.ooxml as ooxml

    path = hostile.small_xlsx(tmp_path / "base.xlsx", {"A1": "Risk matrix", "B2": 3, "C2": "=B2*2"})
    if edit is not None:
        path = hostile.rewrite_zip(path, tmp_path / "edited.xlsx", edit)
    fast = inspect_file(path, "r.xlsx")
    monkeypatch.setattr(ooxml, "fast_ooxml_extent", lambda *args: False)
    exact = inspect_file(path, "r.xlsx")
    assert (fast.finding, fast.kind) == (exact.finding, exact.kind)
    if exact.finding is None:  # formula cells are only used from a file that is read
        assert fast.facts_by_sheet == exact.facts_by_sheet


def test_the_byte_scan_and_the_exact_scan_see_the_same_sheet_facts(tmp_path, monkeypatch):
    """Hidden rows and columns (not those folded in an outline group), merged ranges, error
    values and percentage cells: the fast path and the expat scan agree on every one."""
    import openpyxl

    import csprisk.read.preflight.ooxml as ooxml

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 9):
        ws.append([f"Priority {r}", r % 6, 1, 2])
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions["C"].hidden = True
    for r in (5, 6):  # a collapsed outline group: folded, not hidden
        ws.row_dimensions[r].outlineLevel = 1
        ws.row_dimensions[r].hidden = True
    ws["B2"].number_format = "0%"
    ws["B4"].number_format = '0.0"%"'  # a quoted % is text, not a percentage
    ws.merge_cells("A7:A8")
    path = tmp_path / "facts.xlsx"
    wb.save(path)
    path = hostile.rewrite_zip(path, tmp_path / "with_error.xlsx", _sheet_edit(
        b'<c r="D1" t="n"><v>2</v></c>', b'<c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    fast = inspect_file(path, "r.xlsx")
    monkeypatch.setattr(ooxml, "fast_ooxml_extent", lambda *args: False)
    exact = inspect_file(path, "r.xlsx")
    facts = fast.facts_by_sheet["Sheet"]
    assert facts == exact.facts_by_sheet["Sheet"]
    assert (facts.hidden_rows, facts.hidden_cols, facts.merged) == ({2}, {2}, [(6, 0, 7, 0)])
    assert (facts.percent, facts.errors) == ({(1, 1)}, {(0, 3): "#DIV/0!"})


def test_an_empty_sheet_passes_the_byte_scan(tmp_path):
    import openpyxl

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    verdict = inspect_file(path, "empty.xlsx")
    assert (verdict.finding, verdict.kind, verdict.facts_by_sheet) == (None, "xlsx", {"Sheet": SheetFacts()})
    assert (verdict.mark, verdict.content, verdict.notes) == ("", None, ())  # no csprisk mark; the file itself read


def test_an_ole_file_whose_sector_chain_loops_costs_no_hang_and_no_crash(tmp_path):
    import struct as packing

    path = hostile.xls_file(tmp_path / "loop.xls", [(0, 0, 1.0), (1, 1, 3.0)])
    data = bytearray(path.read_bytes())
    packing.pack_into("<I", data, 512 + 3 * 4, 2)  # the workbook stream's chain: 2 -> 3 -> 2 -> ...
    path.write_bytes(bytes(data))
    grids, findings = read_grids(path, "loop.xls")  # a hang would never return (bench.py times it)
    # the stream's declared size bounds the walk: read (the values sit in its first sector), or refused
    assert (grids and grids[0].rows[1][1] == 3.0 and findings == []) or [f.code for f in findings] == ["file-corrupt"]
