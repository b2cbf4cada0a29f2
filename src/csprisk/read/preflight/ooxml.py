"""The OOXML backend (.xlsx/.xlsm): each worksheet part measured and its facts collected.

An ordinary sheet part is vouched for by byte patterns (ooxml_fast); anything unusual is
streamed through expat here, cell by cell.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from csprisk import marks
from csprisk.findings import Finding
from csprisk.grid import SheetFacts, column_index
from csprisk.read.preflight.facts import (
    BUILTIN_PERCENT,
    CELL_REF,
    add_error,
    add_hidden_cols,
    add_hidden_row,
    add_merged_ref,
    add_percent,
    is_percent_format,
)
from csprisk.read.preflight.limits import (
    FactsBySheet,
    Refused,
    corrupt,
    not_excel,
    old_or_other_excel,
    sheet_cell_limit,
    sheet_too_large,
)
from csprisk.read.preflight.ooxml_fast import fast_ooxml_extent
from csprisk.read.preflight.properties import custom_property
from csprisk.read.preflight.repackage import FarCells, core_extent, relocated_workbook, resolve_target
from csprisk.read.preflight.xmlscan import Extent, local, parse, read_bounded, refuse_doctypes


def mark_of(archive: zipfile.ZipFile) -> str:
    """The csprisk mark in an .xlsx package's custom properties ("" when it has none)."""
    return custom_property(archive, marks.PROPERTY)[:100]


def read_mark(path: Path) -> str:
    """The csprisk mark of the workbook at `path`, "" when it has none or is no .xlsx."""
    import zlib

    try:
        with zipfile.ZipFile(path) as archive:
            return mark_of(archive)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError, zlib.error):
        return ""


class Relocated(Exception):
    """A valid package whose workbook part is not at xl/workbook.xml (`part` is where)."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


def inspect_ooxml(archive: zipfile.ZipFile, names: set[str], label: str, cut_far: bool = False) -> FactsBySheet:
    """The facts of every worksheet of an OOXML package; raises Refused when it is not a
    workbook, or a sheet is unsafe to read. Raises Relocated for a workbook part elsewhere,
    and, where `cut_far`, FarCells for sheets that only stray cells make too large."""
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise Refused(old_or_other_excel(label, "an Excel Binary Workbook (.xlsb), which csprisk cannot read"))
        if "word/document.xml" in names:
            raise Refused(not_excel(label, "a Word document"))
        if "ppt/presentation.xml" in names:
            raise Refused(not_excel(label, "a PowerPoint presentation"))
        moved = relocated_workbook(archive, names)
        if moved is not None:
            raise Relocated(moved)
        raise Refused(corrupt(label, "it has no workbook part"))
    facts_by_sheet: FactsBySheet = {}
    far: dict[str, tuple[str, int, int]] = {}
    refusal: Finding | None = None
    sheets = _worksheet_parts(archive, names)
    kept = refuse_doctypes(archive, label, keep=sheets)
    percent_styles = _percent_styles(archive, names)
    for name, sheet in sorted(sheets.items()):
        facts = facts_by_sheet.setdefault(sheet, SheetFacts())
        facts.table_totals |= _table_totals(archive, names, name)
        if name in kept and fast_ooxml_extent(kept[name], label, name, facts, percent_styles):
            continue
        extent = _OoxmlExtent(facts, percent_styles, cut_far)
        extent.sheet = sheet
        with archive.open(name) as stream:
            rows, cols = parse(stream, label, extent, name)
        if rows * cols > sheet_cell_limit():
            body_rows, body_cols = core_extent(extent.used_rows, extent.used_cols) if cut_far else (rows, cols)
            if body_rows * body_cols > sheet_cell_limit():
                raise sheet_too_large(label, sheet, rows, cols)
            far[name] = (sheet, body_rows, body_cols)
            refusal = refusal or sheet_too_large(label, sheet, rows, cols).finding
    if far and refusal is not None:
        raise FarCells(far, refusal)
    return facts_by_sheet


_NUM_FMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.DOTALL)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")


def _percent_styles(archive: zipfile.ZipFile, names: set[str]) -> frozenset[int]:
    """The cell styles (xf indexes) whose number format shows a percentage."""
    if "xl/styles.xml" not in names:
        return frozenset()
    styles = read_bounded(archive, "xl/styles.xml")
    percent_formats = set(BUILTIN_PERCENT)
    for number, code in _NUM_FMT.findall(styles):
        if is_percent_format(code.decode("utf-8", "replace")):
            percent_formats.add(int(number))
    xfs = _CELL_XFS.search(styles)
    found = set()
    for index, attrs in enumerate(_XF.findall(xfs.group(1)) if xfs else ()):
        number = re.search(rb'numFmtId="(\d+)"', attrs)
        if number and int(number.group(1)) in percent_formats:
            found.add(index)
    return frozenset(found)


_TABLE_REF = re.compile(rb'<(?:\w+:)?table\b[^>]*>')


def _table_totals(archive: zipfile.ZipFile, names: set[str], part: str) -> set[int]:
    """Rows (0-based) that are the totals row of an Excel Table on the sheet `part`."""
    folder, _, file = part.rpartition("/")
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in names:
        return set()
    rows: set[int] = set()
    for relation in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", read_bounded(archive, rels)):
        kind, target = re.search(rb'Type="([^"]*)"', relation), re.search(rb'Target="([^"]*)"', relation)
        if not (kind and target and kind.group(1).endswith(b"/table")):
            continue
        text = target.group(1).decode("utf-8", "replace")
        table = resolve_target(folder, text)
        if table not in names:
            continue
        tag = _TABLE_REF.search(read_bounded(archive, table, 64 * 1024))
        if tag is None:
            continue
        ref = re.search(rb'\sref="\$?[A-Z]{1,3}\$?(\d+):\$?[A-Z]{1,3}\$?(\d+)"', tag.group(0))
        count = re.search(rb'totalsRowCount="(\d+)"', tag.group(0))
        if ref and count and int(count.group(1)) > 0:
            last = int(ref.group(2)) - 1
            rows.update(range(max(last - int(count.group(1)) + 1, 0), last + 1))
    return rows


def _worksheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Every part a reader may load as a worksheet (the workbook's relations, and
    xl/worksheets/), with the sheet's name where the workbook gives one."""
    parts = {n: PurePosixPath(n).stem for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    rels = "xl/_rels/workbook.xml.rels"
    if rels not in names:
        return parts
    titles = {}
    for sheet in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", read_bounded(archive, "xl/workbook.xml")):
        name, rid = re.search(rb'\sname="([^"]*)"', sheet), re.search(rb':id="([^"]*)"', sheet)
        if name and rid:
            titles[rid.group(1)] = name.group(1).decode("utf-8", "replace")
    for relation in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", read_bounded(archive, rels)):
        kind = re.search(rb'Type="([^"]*)"', relation)
        target = re.search(rb'Target="([^"]*)"', relation)
        rid = re.search(rb'Id="([^"]*)"', relation)
        if not (kind and target and kind.group(1).endswith(b"/worksheet")):
            continue
        text = target.group(1).decode("utf-8", "replace")
        resolved = resolve_target("xl", text)
        if resolved in names:
            parts[resolved] = titles.get(rid.group(1) if rid else b"", PurePosixPath(resolved).stem)
    return parts


class _OoxmlExtent(Extent):
    """<row r=..><c r=..><v>..</v></c>: cells without a value (style only) take no room."""

    def __init__(self, facts: SheetFacts | None = None, percent_styles: frozenset[int] = frozenset(),
                 cut_far: bool = False) -> None:
        super().__init__(facts)
        #: Where stray cells may be cut, a sheet over the limit is scanned to its end (its value
        #: cells counted, and bounded by the limit) to find which rows and columns are used.
        self.cut_far = cut_far
        self.used_rows: set[int] = set()
        self.used_cols: set[int] = set()
        self.values = 0
        self.row = -1
        self.col = -1
        self.pending = False
        self.is_error = False  # the cell being read is an error cell (t="e")
        self.percent_styles = percent_styles
        self.error: list[str] | None = None  # the text of an error cell's <v>, as it streams

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        if tag == "row":
            r = attrs.get("r", "")
            self.row = int(r) - 1 if r.isdigit() else self.row + 1
            self.col = -1
            if attrs.get("hidden") in ("1", "true"):
                add_hidden_row(self.facts, str(self.row + 1), attrs.get("outlineLevel", ""))
        elif tag == "c":
            match = CELL_REF.match(attrs.get("r", ""))
            if match:
                self.col = column_index(match.group(1))
                self.row = int(match.group(2)) - 1
            else:
                self.col += 1
            self.pending = True
            self.is_error = attrs.get("t") == "e"
            style = attrs.get("s", "")
            if self.percent_styles and style.isdigit() and int(style) in self.percent_styles:
                add_percent(self.facts, self.row, self.col)
        elif tag == "col":
            add_hidden_cols(self.facts, attrs)
        elif tag == "mergeCell":
            add_merged_ref(self.facts, attrs.get("ref", ""))
        elif tag in ("v", "is", "f"):
            if tag == "v" and self.is_error:
                self.error = []
            if tag == "f":
                self.formula(self.row, self.col)
            if self.pending:
                self.pending = False
                self.reach(self.row + 1, self.col + 1)
                if self.cut_far:
                    self.values += 1
                    self.used_rows.add(self.row)
                    self.used_cols.add(self.col)

    def check(self, label: str) -> None:
        if not self.cut_far:
            super().check(label)
        elif self.values > sheet_cell_limit():  # the sheet's values alone are over the limit
            raise sheet_too_large(label, self.sheet or "1", self.rows, self.cols)

    def text(self, data: str) -> None:
        if self.error is not None and len(self.error) < 8:
            self.error.append(data)

    def end(self, name: str) -> None:
        if self.error is not None and local(name) == "v":
            add_error(self.facts, self.row, self.col, "".join(self.error).strip()[:20])
            self.error = None
