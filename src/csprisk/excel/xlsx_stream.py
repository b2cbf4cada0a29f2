"""Big sheets written as XML text, spliced into the file openpyxl saves; and the style
cache. This module holds every use of openpyxl's private API in csprisk.

openpyxl makes an object per cell and serialises it element by element, which for the
tens of thousands of rows of Partner scores and Validation takes most of a merge. So a
big sheet's cells are written here as XML text, with the style ids openpyxl registered
for the same named styles; openpyxl still writes the sheet itself (widths, freeze,
filter, print settings, merges, links) and the workbook around it.

Why openpyxl is pinned (<3.2): the stream reads and writes openpyxl's private parts, which
may change in any release: a cell's style index array (`Cell._style`, StyleArray), the
workbook's style table (`Workbook._cell_styles`), a cell's raw value (`Cell._value`), and the
names and order of the parts openpyxl saves (xl/worksheets/sheetN.xml with an empty
<sheetData>, and its _rels). Proven with openpyxl 3.1, where tests/test_xlsx_writer.py runs
every check on both paths (ordinary and streamed); a new openpyxl is taken only after they pass.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from copy import copy
from decimal import Decimal
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from csprisk.excel.xlsx_cells import MAX_TEXT, openpyxl_style, set_value, xml_attr, xml_text
from csprisk.grid import column_letter
from csprisk.report.model import STYLES, Sheet

#: Values written straight to XML; any other (dates, numpy numbers) goes through an openpyxl cell.
_PLAIN_XML = {str, int, float, bool, type(None)}
_ERROR_TEXT = {True: "#N/A", False: "#NUM!"}  # NaN, infinity: as set_value writes them


class Streamed(NamedTuple):
    dimension: str  # the used range, e.g. "A1:V7992"
    #: <sheetData> with every row, in pieces, made as it is saved; each link met goes to `links`.
    rows: Callable[[_Links], Iterator[str]]


class _Links:
    """A sheet's hyperlinks as they are met, spooled to a temporary file rather than held:
    the <hyperlink> elements, and the relationships that its links to files and sites need
    (a national roll-up's Validation sheet has hundreds of thousands)."""

    def __init__(self) -> None:
        self.count = self.external = 0
        self._elements = tempfile.SpooledTemporaryFile(max_size=4 << 20)
        self._relations = tempfile.SpooledTemporaryFile(max_size=4 << 20)

    def add(self, ref: str, link: str) -> None:
        self.count += 1
        if link.startswith("#"):
            self._elements.write(f'<hyperlink ref="{ref}" location="{xml_attr(link[1:])}"/>'.encode())
            return
        self.external += 1
        rid = f"rIdLink{self.external}"
        self._elements.write(f'<hyperlink ref="{ref}" r:id="{rid}"/>'.encode())
        self._relations.write(f'<Relationship Id="{rid}" Type="{_HYPERLINK_TYPE}" Target="{xml_attr(link)}" '
                              'TargetMode="External"/>'.encode())

    def write_hyperlinks(self, stream) -> None:
        """<hyperlinks> with every link, to `stream`."""
        stream.write(b'<hyperlinks xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')
        self._elements.seek(0)
        shutil.copyfileobj(self._elements, stream, 1 << 20)
        stream.write(b"</hyperlinks>")

    def write_relations(self, stream) -> None:
        """The <Relationship> elements of the links to files and sites, to `stream`."""
        self._relations.seek(0)
        shutil.copyfileobj(self._relations, stream, 1 << 20)

    def close(self) -> None:
        self._elements.close()
        self._relations.close()


#: Cells whose XML (but for its address) is kept, a sheet at a time, before the cache starts again.
_SUFFIX_CACHE = 50_000


def stream_sheet(ws: Worksheet, sheet: Sheet, styles: StyleCache) -> Streamed:
    """Set up `ws` with everything but its cells, whose XML is made as the file is saved:
    a big table's rows (Sheet.body) go from the report's data to the file a row at a
    time, never all in memory. The caller sets the sheet's layout as for any sheet."""
    style_ids: dict[str, int] = {}
    sealed: list[bool] = []  # not empty once the workbook's styles are written: no style may be added then

    def style_id(name: str) -> int:
        if name not in style_ids:
            if sealed:
                raise ValueError(f"{sheet.name}: its rows use the style {name!r}, which their Rows do not declare")
            style_ids[name] = styles.style_id(ws, name) if name else 0
        return style_ids[name]

    held: dict[int, list] = {}
    for (row, col), cell in sheet.cells.items():
        held.setdefault(row, []).append((col, cell))
    body = sheet.body
    if body is not None and body.count:
        clash = [row for row in held if body.first <= row < body.first + body.count]
        if clash:
            raise ValueError(f"{sheet.name}: cells held in row {clash[0] + 1}, among its big table's rows")
    heights = sheet.row_heights
    letters = [column_letter(col) for col in range(max(sheet.width, 1))]
    suffixes: dict[tuple, str] = {}  # (type, value, style) -> the <c> element after its r="..."

    def cell_xml(ref: str, cell) -> str:
        value = cell.value
        kind = type(value)
        if kind not in _PLAIN_XML:  # a date, time or numpy number: as the ordinary path writes it
            if sealed:
                raise ValueError(f"{sheet.name}: its rows hold a {kind.__name__}; a big table's rows "
                                 "hold text, numbers and blanks only")
            return _cell_xml_via_openpyxl(ws, styles, ref, cell)
        key = (kind, value, cell.style)
        suffix = suffixes.get(key)
        if suffix is None:
            if len(suffixes) > _SUFFIX_CACHE:
                suffixes.clear()
            suffix = suffixes[key] = _cell_xml("", style_id(cell.style), value)[len('<c r=""'):]
        return f'<c r="{ref}"{suffix}'

    def row_xml(row: int, cells, height: float | None, links: list) -> str:
        number = row + 1
        out = [f'<row r="{number}" ht="{height}" customHeight="1">' if height is not None
               else f'<row r="{number}">']
        for col, cell in cells:
            ref = f"{letters[col]}{number}"
            out.append(cell_xml(ref, cell))
            if cell.link:
                links.append((ref, cell.link))
        out.append("</row>")
        return "".join(out)

    def body_row_xml(row: int, cells, height: float | None, links: list) -> str:
        """row_xml for a big table's row, every cell from column 0: the same XML, with the
        usual cell's (a cached one's) steps written out here, where a million cells pass."""
        number = str(row + 1)
        out = [f'<row r="{number}" ht="{height}" customHeight="1">' if height is not None
               else f'<row r="{number}">']
        append, get = out.append, suffixes.get
        for col, cell in enumerate(cells):
            value, style, link = cell
            suffix = get((type(value), value, style))
            ref = letters[col] + number
            append(f'<c r="{ref}"{suffix}' if suffix is not None else cell_xml(ref, cell))
            if link:
                links.append((ref, link))
        out.append("</row>")
        return "".join(out)

    # Styles are registered before the workbook is saved: the cells held are made into XML
    # now, and the styles a big table's rows may take are registered now too.
    numbers = sorted(held.keys() | heights.keys())
    body_first, body_end = (body.first, body.first + body.count) if body is not None else (0, 0)
    before_links: list[tuple[str, str]] = []
    after_links: list[tuple[str, str]] = []
    before = [row_xml(row, sorted(held.get(row, ()), key=lambda item: item[0]), heights.get(row), before_links)
              for row in numbers if row < body_first]
    after = [row_xml(row, sorted(held.get(row, ()), key=lambda item: item[0]), heights.get(row), after_links)
             for row in numbers if row >= body_first and not body_first <= row < body_end]
    if body is not None and any(body_first <= row < body_end for row in heights):
        raise ValueError(f"{sheet.name}: its big table's rows take their heights from its Rows")
    if body is not None:
        for name in sorted(body.styles | set(body.wrapped.values()) | set(body.unlinked.values())):
            style_id(name)
    sealed.append(True)

    def rows(links: _Links) -> Iterator[str]:
        for ref, link in before_links:
            links.add(ref, link)
        yield "<sheetData>"
        yield from before
        if body is not None and body.count:
            row_height = body.row_height
            met: list[tuple[str, str]] = []
            for index, cells in enumerate(body):
                yield body_row_xml(body_first + index, cells, row_height(cells), met)
                if met:
                    for ref, link in met:
                        links.add(ref, link)
                    met.clear()
        for ref, link in after_links:
            links.add(ref, link)
        yield from after
        yield "</sheetData>"

    dimension = "A1:A1"
    used_rows = set(held)
    columns = [col for cells in held.values() for col, _ in cells]
    if body is not None and body.count:
        used_rows |= {body.first, body.first + body.count - 1}
        columns += [0, body.width - 1]
    if used_rows:
        dimension = (f"{column_letter(min(columns))}{min(used_rows) + 1}:"
                     f"{column_letter(max(columns))}{max(used_rows) + 1}")

    for ref in sheet.merged:
        ws.merged_cells.ranges.add(CellRange(ref))  # no per-cell objects; the XML has the cells
    return Streamed(dimension, rows)


def _cell_xml(ref: str, style: int, value: Any) -> str:
    """One <c> element, written as _set_value would have openpyxl write it."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]
        if not text:
            return f'<c r="{ref}"{s}/>'  # as openpyxl writes an empty text
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float) and not math.isfinite(value):
        return f'<c r="{ref}"{s} t="e"><v>{_ERROR_TEXT[math.isnan(value)]}</v></c>'
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def _cell_xml_via_openpyxl(ws, styles: StyleCache, ref: str, cell) -> str:
    """A date, time or numpy value: set on a detached openpyxl cell, exactly as the
    ordinary path does (openpyxl picks a date format then), and written from it."""
    probe = Cell(ws)
    if cell.style:
        styles.apply(probe, cell.style)
    set_value(probe, cell.value)
    style = ws.parent._cell_styles.add(probe._style)
    value, kind = probe._value, probe.data_type
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        value = to_excel(value)
    elif kind == "e":
        return f'<c r="{ref}" s="{style}" t="e"><v>{xml_text(str(value))}</v></c>'
    elif isinstance(value, Decimal):
        value = float(value)
    return _cell_xml(ref, style, value)


def save_with_streamed_rows(workbook: Workbook, streamed: dict[int, Streamed], stream) -> None:
    """openpyxl saves the workbook; the streamed sheets' rows then replace their empty
    <sheetData> in the saved parts (every other part is copied as it is)."""
    if not streamed:
        workbook.save(stream)
        return
    buffer = io.BytesIO()
    workbook.save(buffer)
    parts = {f"xl/worksheets/sheet{index}.xml": part for index, part in streamed.items()}
    with zipfile.ZipFile(buffer) as source, \
            zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        names = set(source.namelist())
        relations: dict[str, _Links] = {}  # rels part -> the links whose relationships it gains
        try:
            for info in source.infolist():
                data = source.read(info)
                part = parts.get(info.filename)
                if part is None:
                    if info.filename not in _rels_parts(parts):
                        target.writestr(info.filename, data)
                    continue
                data = _DIMENSION.sub(f'<dimension ref="{part.dimension}"/>'.encode(), data, count=1)
                pieces = _SHEET_DATA.split(data, maxsplit=1)
                if len(pieces) != 2:
                    raise RuntimeError(f"openpyxl wrote {info.filename} without a sheetData element")
                head, tail = pieces
                links = _Links()
                relations[_rels_part(info.filename)] = links
                with target.open(info.filename, "w", force_zip64=True) as stream_part:
                    stream_part.write(head)
                    batch: list[str] = []
                    for piece in part.rows(links):  # made a row at a time, written a batch at a time
                        batch.append(piece)
                        if len(batch) == _WRITE_BATCH:
                            stream_part.write("".join(batch).encode("utf-8"))
                            batch.clear()
                    stream_part.write("".join(batch).encode("utf-8"))
                    if links.count:  # known now that every row is made
                        found = _HYPERLINKS_BEFORE.search(tail)
                        before = found.start() if found else tail.rindex(b"</worksheet>")
                        stream_part.write(tail[:before])
                        links.write_hyperlinks(stream_part)
                        tail = tail[before:]
                    stream_part.write(tail)
            for rels in _rels_parts(parts):
                linked = relations.get(rels)
                extra = linked is not None and linked.external > 0
                if rels in names:
                    data = source.read(rels)
                    end = data.rindex(b"</Relationships>")
                    with target.open(rels, "w") as out:
                        out.write(data[:end])
                        if linked is not None and extra:
                            linked.write_relations(out)
                        out.write(data[end:])
                elif linked is not None and extra:
                    with target.open(rels, "w") as out:
                        out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                  b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">')
                        linked.write_relations(out)
                        out.write(b"</Relationships>")
        finally:
            for spooled in relations.values():
                spooled.close()


_WRITE_BATCH = 8192
_DIMENSION = re.compile(rb"<dimension [^>]*/>")
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)
#: Elements that follow <hyperlinks> in a worksheet (ECMA-376 order), the first found.
_HYPERLINKS_BEFORE = re.compile(rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks"
                                rb"|customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing"
                                rb"|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b")
_HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def _rels_part(sheet_part: str) -> str:
    folder, _, name = sheet_part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def _rels_parts(parts) -> set[str]:
    return {_rels_part(name) for name in parts}


class StyleCache:
    """openpyxl styles built once per style name and workbook, not once per cell.

    Assigning Font/Fill/Border/Alignment makes openpyxl hash each one against the
    workbook's style tables, which dominates the time for big sheets. So the first cell of
    each style gets the objects and every later cell a copy of the resulting index array,
    as openpyxl's own worksheet copier does.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, StyleArray] = {}

    def apply(self, target, name: str) -> None:
        array = self._arrays.get(name)
        if array is None:
            try:
                style = STYLES[name]
            except KeyError:
                raise KeyError(f"no style called {name!r} in report.STYLES") from None
            (target.font, target.fill, target.border, target.alignment,
             target.number_format) = openpyxl_style(style)
            array = self._arrays[name] = copy(target._style)
        target._style = copy(array)

    def style_id(self, ws, name: str) -> int:
        """The cellXfs index openpyxl will write for `name` (registered now)."""
        probe = Cell(ws)
        self.apply(probe, name)
        return ws.parent._cell_styles.add(probe._style)
