"""The OpenDocument backend (.ods): content.xml streamed, with its repeat counts measured."""

from __future__ import annotations

import xml.parsers.expat
import zipfile

from csprisk.findings import Finding
from csprisk.grid import SheetFacts, cell_address
from csprisk.read.preflight.facts import add_error, add_merged, add_percent
from csprisk.read.preflight.limits import (
    MAX_FACT_CELLS,
    FactsBySheet,
    Refused,
    corrupt,
    encrypted,
    not_excel,
    sheet_cell_limit,
    sheet_too_large,
)
from csprisk.read.preflight.repackage import MAX_FAR_CELLS, FarCell, FarCells, core_extent, rezipped
from csprisk.read.preflight.xmlscan import MAX_FAST_SHEET_BYTES, Extent, local, parse, read_bounded, refuse_doctypes

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def inspect_ods(archive: zipfile.ZipFile, names: set[str], label: str, cut_far: bool = False) -> FactsBySheet:
    """The facts of every table of an OpenDocument spreadsheet; raises Refused when it is
    another kind of document, encrypted, or unsafe to read; where `cut_far`, FarCells for
    tables that only stray cells make too large."""
    mimetype = read_bounded(archive, "mimetype", 200).strip()
    if not mimetype.startswith(ODS_MIMETYPE):
        kind = mimetype.decode("ascii", "replace").rpartition(".")[2] or "OpenDocument"
        raise Refused(not_excel(label, f"an OpenDocument file of another kind ({kind})"))
    if "META-INF/manifest.xml" in names and b"encryption-data" in read_bounded(archive, "META-INF/manifest.xml"):
        raise Refused(encrypted(label))
    if "content.xml" not in names:
        raise Refused(corrupt(label, "the part content.xml is missing"))
    refuse_doctypes(archive, label)
    extent = _OdsExtent(label, cut_far)
    with archive.open("content.xml") as stream:
        parse(stream, label, extent, "content.xml")
    if extent.far and extent.refusal is not None:
        raise FarCells(extent.far, extent.refusal, fmt="ods")
    return extent.facts_by_sheet


class _OdsExtent(Extent):
    """table:table-row / table:table-cell with their number-*-repeated counts: a repeated
    cell holding a value fills every repeat, which is how a tiny file claims a huge sheet."""

    def __init__(self, label: str = "", cut_far: bool = False) -> None:
        super().__init__()
        self.label = label
        self.facts_by_sheet: FactsBySheet = {}
        #: Where stray cells may be cut: each table's used rows and columns, and its value
        #: cells counted (bounded by the limit), to find the stray ones at its end.
        self.cut_far = cut_far
        self.used_rows: set[int] = set()
        self.used_cols: set[int] = set()
        self.values = 0
        self.far: dict[str, tuple[str, int, int]] = {}
        self.refusal: Finding | None = None
        self.row = self.col = 0
        self.row_repeat = 1
        self.cell: tuple[int, bool] | None = None  # (columns repeated, holds a value)
        self.depth = 0  # nested tables are part of one cell; not measured separately
        self.column = 0  # the next table:table-column's index
        self.groups = {"table-row-group": 0, "table-column-group": 0}  # outline groups open
        self.error: list[str] | None = None  # an error cell's text, as it streams

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        if name == "table:table":
            self.depth += 1
            if self.depth == 1:
                self.rows = self.cols = self.values = 0
                self.used_rows, self.used_cols = set(), set()
                self.row = self.column = 0
                self.sheet = attrs.get("table:name", "")
                self.facts = self.facts_by_sheet.setdefault(self.sheet, SheetFacts())
            return
        if self.depth != 1:
            return
        if tag in self.groups:
            self.groups[tag] += 1
        elif tag == "table-column":
            repeat = _count(attrs.get("table:number-columns-repeated"))
            if (attrs.get("table:visibility") in ("collapse", "filter") and not self.groups["table-column-group"]
                    and self.column < 16384):
                self.facts.hidden_cols.update(range(self.column, min(self.column + repeat, 16384)))
            self.column += repeat
        elif tag == "table-row":
            self.row_repeat = _count(attrs.get("table:number-rows-repeated"))
            self.col = 0
            if attrs.get("table:visibility") in ("collapse", "filter") and not self.groups["table-row-group"]:
                # A hidden row; one inside an outline group is folded, not hidden.
                for row in range(self.row, self.row + min(self.row_repeat, MAX_FACT_CELLS)):
                    if len(self.facts.hidden_rows) >= MAX_FACT_CELLS:
                        break
                    self.facts.hidden_rows.add(row)
        elif tag in ("table-cell", "covered-table-cell"):
            repeat = _count(attrs.get("table:number-columns-repeated"))
            has_value = "office:value-type" in attrs or "office:value" in attrs
            if "table:formula" in attrs:
                self.formula(self.row, self.col)
            if attrs.get("office:value-type") == "percentage":
                add_percent(self.facts, self.row, self.col)
            if attrs.get("calcext:value-type") == "error":
                self.error = []
            across = _count(attrs.get("table:number-columns-spanned"))
            down = _count(attrs.get("table:number-rows-spanned"))
            if across > 1 or down > 1:
                add_merged(self.facts, self.row, self.col, self.row + down - 1, self.col + across - 1)
            self.cell = (repeat, has_value)
        elif self.cell is not None and not self.cell[1]:
            self.cell = (self.cell[0], True)  # text:p or other content in the cell

    def text(self, data: str) -> None:
        if self.error is not None and len(self.error) < 8:
            self.error.append(data)

    def end(self, name: str) -> None:
        tag = local(name)
        if name == "table:table":
            self.depth -= 1
            if self.depth == 0:
                self.table_end()
            return
        if self.depth != 1:
            return
        if tag in self.groups:
            self.groups[tag] -= 1
            return
        if self.error is not None and tag in ("table-cell", "covered-table-cell"):
            add_error(self.facts, self.row, self.col, "".join(self.error).strip()[:20])
            self.error = None
        if tag in ("table-cell", "covered-table-cell") and self.cell is not None:
            repeat, has_value = self.cell
            if has_value:
                self.reach(self.row + self.row_repeat, self.col + repeat)
                if self.cut_far:
                    self.values += self.row_repeat * repeat
                    self.check(self.label)
                    self.used_rows.update(range(self.row, self.row + self.row_repeat))
                    self.used_cols.update(range(self.col, self.col + repeat))
            self.col += repeat
            self.cell = None
        elif tag == "table-row":
            self.row += self.row_repeat
            self.row_repeat = 1


    def check(self, label: str) -> None:
        if not self.cut_far:
            super().check(label)
        elif self.values > sheet_cell_limit():  # the table's values alone are over the limit
            raise sheet_too_large(label, self.sheet or "1", self.rows, self.cols)

    def table_end(self) -> None:
        """A table read to its end: over the limit, it is refused, or (where stray cells may
        be cut) its stray cells are noted to be cut."""
        if self.rows * self.cols <= sheet_cell_limit():
            return
        body_rows, body_cols = core_extent(self.used_rows, self.used_cols) if self.cut_far else (self.rows, self.cols)
        if body_rows * body_cols > sheet_cell_limit():
            raise sheet_too_large(self.label, self.sheet or "1", self.rows, self.cols)
        self.far[self.sheet] = (self.sheet, body_rows, body_cols)
        self.refusal = self.refusal or sheet_too_large(self.label, self.sheet, self.rows, self.cols).finding


def ods_without_far_cells(archive: zipfile.ZipFile, far: dict[str, tuple[str, int, int]]
                          ) -> tuple[bytes, list[FarCell]] | None:
    """The spreadsheet with each stray value cell of the tables in `far` (name -> (name, body
    rows, body cols)) made empty, and the cells emptied; None when a table has more than
    MAX_FAR_CELLS of them, or content.xml is too big to hold."""
    info = archive.getinfo("content.xml")
    if info.file_size > MAX_FAST_SHEET_BYTES * 4 or len(set(archive.namelist())) < len(archive.namelist()):
        return None
    data = archive.read(info)
    finder = _FarCellFinder(far)
    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: finder.start(name, attrs, parser.CurrentByteIndex)
    parser.EndElementHandler = lambda name: finder.end(name, parser.CurrentByteIndex)
    parser.CharacterDataHandler = finder.text
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        return None
    if any(count > MAX_FAR_CELLS for count in finder.counts.values()):
        return None
    pieces, at, cells = [], 0, []
    for start, end, repeat, cell in finder.found:
        close = data.find(b">", end) + 1 if end > start else data.find(b">", start) + 1
        if close <= 0:
            return None
        empty = f'<table:table-cell table:number-columns-repeated="{repeat}"/>' if repeat > 1 else "<table:table-cell/>"
        pieces += [data[at:start], empty.encode()]
        at = close
        cells.append(cell)
    pieces.append(data[at:])
    return rezipped(archive, {"content.xml": b"".join(pieces)}), cells


class _FarCellFinder:
    """Where the stray value cells of some tables lie in content.xml (byte offsets), with
    their values; rows and columns counted with their repeats, as _OdsExtent does."""

    def __init__(self, far: dict[str, tuple[str, int, int]]) -> None:
        self.far = far
        self.bounds: tuple[int, int] | None = None  # the current table's body, if it is in `far`
        self.sheet = ""
        self.depth = self.row = self.col = 0
        self.row_repeat = 1
        self.cell: tuple[int, int, dict[str, str]] | None = None  # (start byte, repeat, attributes)
        self.text_parts: list[str] = []
        self.found: list[tuple[int, int, int, FarCell]] = []  # (start, end, repeat, cell)
        self.counts: dict[str, int] = {}

    def start(self, name: str, attrs: dict[str, str], at: int) -> None:
        if name == "table:table":
            self.depth += 1
            if self.depth == 1:
                self.sheet = attrs.get("table:name", "")
                found = self.far.get(self.sheet)
                self.bounds = (found[1], found[2]) if found else None
                self.row = 0
            return
        if self.depth != 1 or self.bounds is None:
            return
        tag = local(name)
        if tag == "table-row":
            self.row_repeat = _count(attrs.get("table:number-rows-repeated"))
            self.col = 0
        elif tag in ("table-cell", "covered-table-cell"):
            self.cell = (at, _count(attrs.get("table:number-columns-repeated")), attrs)
            self.text_parts = []

    def text(self, data: str) -> None:
        if self.cell is not None and len(self.text_parts) < 8:
            self.text_parts.append(data)

    def end(self, name: str, at: int) -> None:
        if name == "table:table":
            self.depth -= 1
            return
        if self.depth != 1 or self.bounds is None:
            return
        tag = local(name)
        if tag in ("table-cell", "covered-table-cell") and self.cell is not None:
            start, repeat, attrs = self.cell
            rows, cols = self.bounds
            value = _ods_value(attrs, "".join(self.text_parts))
            if value is not None and (self.row >= rows or self.col + repeat > cols):
                self.counts[self.sheet] = self.counts.get(self.sheet, 0) + 1
                self.found.append((start, at, repeat, FarCell(self.sheet, cell_address(self.row, self.col), value)))
            self.col += repeat
            self.cell = None
        elif tag == "table-row":
            self.row += self.row_repeat
            self.row_repeat = 1


def _ods_value(attrs: dict[str, str], text: str) -> object:
    """A cell's value as typed: a number for a float cell, else its text; None when empty."""
    kind = attrs.get("office:value-type")
    if kind is None and not text.strip():
        return None
    if kind in ("float", "percentage", "currency"):
        try:
            number = float(attrs.get("office:value", ""))
        except ValueError:
            return text.strip() or None
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    return attrs.get("office:string-value") or text.strip() or attrs.get("office:value") or None


def _count(text: str | None) -> int:
    if text and text.isdigit():
        return max(1, min(int(text), 1 << 31))
    return 1
