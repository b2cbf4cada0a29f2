"""The OpenDocument backend (.ods): content.xml streamed, with its repeat counts measured."""

from __future__ import annotations

import zipfile

from csprisk.grid import SheetFacts
from csprisk.read.preflight.facts import add_error, add_merged, add_percent
from csprisk.read.preflight.limits import MAX_FACT_CELLS, FactsBySheet, Refused, corrupt, encrypted, not_excel
from csprisk.read.preflight.xmlscan import Extent, local, parse, read_bounded, refuse_doctypes

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def inspect_ods(archive: zipfile.ZipFile, names: set[str], label: str) -> FactsBySheet:
    """The facts of every table of an OpenDocument spreadsheet; raises Refused when it is
    another kind of document, encrypted, or unsafe to read."""
    mimetype = read_bounded(archive, "mimetype", 200).strip()
    if not mimetype.startswith(ODS_MIMETYPE):
        kind = mimetype.decode("ascii", "replace").rpartition(".")[2] or "OpenDocument"
        raise Refused(not_excel(label, f"an OpenDocument file of another kind ({kind})"))
    if "META-INF/manifest.xml" in names and b"encryption-data" in read_bounded(archive, "META-INF/manifest.xml"):
        raise Refused(encrypted(label))
    if "content.xml" not in names:
        raise Refused(corrupt(label, "the part content.xml is missing"))
    refuse_doctypes(archive, label)
    extent = _OdsExtent()
    with archive.open("content.xml") as stream:
        parse(stream, label, extent, "content.xml")
    return extent.facts_by_sheet


class _OdsExtent(Extent):
    """table:table-row / table:table-cell with their number-*-repeated counts: a repeated
    cell holding a value fills every repeat, which is how a tiny file claims a huge sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.facts_by_sheet: FactsBySheet = {}
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
                self.rows = self.cols = 0
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
            self.col += repeat
            self.cell = None
        elif tag == "table-row":
            self.row += self.row_repeat
            self.row_repeat = 1


def _count(text: str | None) -> int:
    if text and text.isdigit():
        return max(1, min(int(text), 1 << 31))
    return 1
