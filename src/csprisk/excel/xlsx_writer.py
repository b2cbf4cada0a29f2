"""Report -> an .xlsx file, through openpyxl.

The only module that knows how the report model becomes openpyxl objects. The file is
written to a temporary name beside the target and moved into place in one step, so a
failure never leaves a half-written report or damages the one already there.
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
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart as XlBarChart
from openpyxl.chart import Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

from csprisk import marks
from csprisk.excel.output import refuse_if_locked, write_atomically
from csprisk.report.model import NAVY, STYLES, BarChart, ColourScale, Report, Sheet, Style

#: Name of the custom document property that carries the protective marking.
MARKING_PROPERTY = "Protective Marking"

PAGE_NUMBERS = "Page &P of &N"
FOOTER_SIZE = 9

_MAX_TEXT = 32767  # Excel's limit on the characters in one cell
_MAX_HEADER_FOOTER = 255  # Excel's limit on one header or footer string
_BOLD = "-,Bold"  # header/footer font code: the default font, bold
_PLAIN_TYPES = (bool, int, float, Decimal, dt.datetime, dt.date, dt.time, dt.timedelta)


def write_report(report: Report, path: str | Path) -> Path:
    """Write `report` to `path` as an .xlsx file, replacing any file there only on success."""
    path = Path(path)
    refuse_if_locked(path)  # before the work of building: a locked target gets nothing
    workbook, streamed = _build(report, stream_big_sheets=True)
    return write_atomically(path, lambda stream: _save_with_streamed_rows(workbook, streamed, stream))


def save_workbook(workbook: Workbook, path: str | Path) -> Path:
    """Save an openpyxl workbook made elsewhere (the executive's copy) with the same care:
    refuse a file open in Excel, and replace the target only on success."""
    return write_atomically(path, workbook.save)


def build_workbook(report: Report) -> Workbook:
    """The report as an openpyxl Workbook in memory; nothing is written to disk."""
    return _build(report)[0]


def _build(report: Report, stream_big_sheets: bool = False) -> tuple[Workbook, dict[int, _Streamed]]:
    """The workbook, and the <sheetData> XML of the sheets whose rows are left out of it
    (by sheet number from 1), to be put in when it is saved."""
    if not report.sheets:
        raise ValueError("a report needs at least one sheet")
    seen: set[str] = set()
    for sheet in report.sheets:
        if sheet.name.casefold() in seen:
            raise ValueError(f"two sheets are called {sheet.name!r}")
        if len(sheet.name) > 31:
            raise ValueError(f"sheet name {sheet.name!r} is longer than Excel's 31 characters")
        seen.add(sheet.name.casefold())

    workbook = Workbook()
    workbook.remove(workbook.active)
    styles = _StyleCache()
    streamed: dict[int, _Streamed] = {}
    for index, sheet in enumerate(report.sheets, 1):
        ws = workbook.create_sheet(sheet.name)
        if stream_big_sheets and _streamable(sheet):
            streamed[index] = _stream_sheet(ws, sheet, report, styles)
        else:
            _write_sheet(ws, sheet, report, styles)

    workbook.properties.title = report.title or None
    workbook.properties.subject = report.subject or None
    workbook.properties.creator = report.author or None
    if report.marking:
        workbook.custom_doc_props.append(StringProperty(name=MARKING_PROPERTY, value=report.marking))
    workbook.custom_doc_props.append(StringProperty(name=marks.PROPERTY, value=report.kind))
    return workbook, streamed


# --- sheets -------------------------------------------------------------------------------


def _write_sheet(ws, sheet: Sheet, report: Report, styles: _StyleCache) -> None:
    for (row, col), cell in sorted(sheet.all_cells()):
        target = ws.cell(row=row + 1, column=col + 1)
        _set_value(target, cell.value)
        if cell.style:
            styles.apply(target, cell.style)
        if cell.link:
            _set_link(target, cell.link)

    for row, height in sheet.all_row_heights().items():
        ws.row_dimensions[row + 1].height = height
    for ref in sheet.merged:
        ws.merge_cells(ref)
    _set_layout(ws, sheet, report)


def _set_layout(ws, sheet: Sheet, report: Report) -> None:
    """What a sheet has besides its cells, row heights and merges (both paths share it)."""
    for col, width in sheet.column_widths.items():
        ws.column_dimensions[get_column_letter(col + 1)].width = width
    if sheet.freeze:
        ws.freeze_panes = sheet.freeze
    if sheet.autofilter:
        ws.auto_filter.ref = sheet.autofilter
    if sheet.tab_colour:
        ws.sheet_properties.tabColor = _rgb(sheet.tab_colour)
    for scale in sheet.colour_scales:
        ws.conditional_formatting.add(scale.ref, _colour_scale_rule(scale))
    for chart in sheet.charts:
        ws.add_chart(_bar_chart(ws, chart), chart.anchor)
    _set_page_setup(ws, sheet, report)


def _set_value(target, value: Any) -> None:
    value = _native(value)
    if isinstance(value, str):
        # Assigning a str lets openpyxl read "=..." as a formula and "#N/A" as an error;
        # a plain str is always text, whatever it starts with.
        target.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
        target.data_type = "s"
    elif isinstance(value, (float, Decimal)) and not math.isfinite(value):
        # openpyxl would write "nan", which Excel refuses; show an Excel error instead.
        target.value = "#N/A" if math.isnan(value) else "#NUM!"
    elif isinstance(value, dt.datetime):
        # pandas' NaT is the only datetime unequal to itself; Excel has no time zones.
        target.value = "#N/A" if value != value else value.replace(tzinfo=None)
    elif value is None or isinstance(value, _PLAIN_TYPES):
        target.value = value
    else:
        target.value = str(value)
        target.data_type = "s"


def _native(value: Any) -> Any:
    """numpy scalars (from pandas) as the Python numbers and booleans they stand for."""
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ not in ("datetime64", "timedelta64"):
        return value.item()
    return value


def _set_link(target, link: str) -> None:
    if link.startswith("#"):
        target.hyperlink = Hyperlink(ref=target.coordinate, location=link[1:])
    else:
        target.hyperlink = link


def _set_page_setup(ws, sheet: Sheet, report: Report) -> None:
    ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if sheet.fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = sheet.pages_tall  # 0: as many pages tall as it needs
    elif sheet.scale_percent:  # a wide table in column groups, at a legible size
        ws.page_setup.scale = sheet.scale_percent
    if sheet.print_title_rows:
        ws.print_title_rows = sheet.print_title_rows
    if sheet.print_title_columns:
        ws.print_title_cols = sheet.print_title_columns
    for row in sheet.page_breaks:
        ws.row_breaks.append(Break(id=row))  # a break after row `row` (1-based) = before 0-based `row`
    if sheet.margins:
        left, right, top, bottom = sheet.margins
        ws.page_margins = PageMargins(left=left, right=right, top=top, bottom=bottom, header=0.3, footer=0.3)

    marking = _header_footer_text(report.marking)
    footer = _header_footer_text(report.footer)
    room = _MAX_HEADER_FOOTER - len(f'&L&C&"{_BOLD}"{marking}&R{PAGE_NUMBERS}')
    if len(footer) > room:
        footer = footer[:max(room - 1, 0)].rstrip("&") + "…"
    if marking:
        for part in (ws.oddHeader.center, ws.oddFooter.center):
            part.text = marking
            part.font = _BOLD
    if footer:
        ws.oddFooter.left.text = footer
    ws.oddFooter.right.text = PAGE_NUMBERS
    # Each footer part gets a third of the page; smaller type keeps a long partnership name
    # and the date clear of the marking in the middle.
    ws.oddFooter.left.size = ws.oddFooter.right.size = FOOTER_SIZE


# --- big sheets: rows as XML ---------------------------------------------------------------
#
# openpyxl makes an object per cell and serialises it element by element, which for the
# tens of thousands of rows of Partner scores and Validation takes most of a merge. So a
# big sheet's cells are written here as XML text, with the style ids openpyxl registered
# for the same named styles; openpyxl still writes the sheet itself (widths, freeze,
# filter, print settings, merges, links) and the workbook around it.

#: Sheets with more cells than this have their rows written as XML.
STREAM_CELLS = 2_000
#: ... and so do sheets with more merged ranges than this.
STREAM_MERGES = 100
#: Values written straight to XML; any other (dates, numpy numbers) goes through an openpyxl cell.
_PLAIN_XML = {str, int, float, bool, type(None)}
_ERROR_TEXT = {True: "#N/A", False: "#NUM!"}  # NaN, infinity: as _set_value writes them


def _streamable(sheet: Sheet) -> bool:
    # Many merges too: openpyxl checks each new merge against every earlier one (N x N).
    body = sheet.body
    cells = len(sheet.cells) + (body.count * body.width if body is not None else 0)
    return cells > STREAM_CELLS or len(sheet.merged) > STREAM_MERGES


class _Streamed(NamedTuple):
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
            self._elements.write(f'<hyperlink ref="{ref}" location="{_xml_attr(link[1:])}"/>'.encode())
            return
        self.external += 1
        rid = f"rIdLink{self.external}"
        self._elements.write(f'<hyperlink ref="{ref}" r:id="{rid}"/>'.encode())
        self._relations.write(f'<Relationship Id="{rid}" Type="{_HYPERLINK_TYPE}" Target="{_xml_attr(link)}" '
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


def _stream_sheet(ws, sheet: Sheet, report: Report, styles: _StyleCache) -> _Streamed:
    """Set up `ws` with everything but its cells, whose XML is made as the file is saved:
    a big table's rows (Sheet.body) go from the report's data to the file a row at a
    time, never all in memory."""
    style_ids: dict[str, int] = {}
    sealed = []  # not empty once the workbook's styles are written: no style may be added then

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
    letters = [get_column_letter(col + 1) for col in range(max(sheet.width, 1))]
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
        dimension = (f"{get_column_letter(min(columns) + 1)}{min(used_rows) + 1}:"
                     f"{get_column_letter(max(columns) + 1)}{max(used_rows) + 1}")

    for ref in sheet.merged:
        ws.merged_cells.ranges.add(CellRange(ref))  # no per-cell objects; the XML has the cells
    _set_layout(ws, sheet, report)
    return _Streamed(dimension, rows)


def _cell_xml(ref: str, style: int, value: Any) -> str:
    """One <c> element, written as _set_value would have openpyxl write it."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
        if not text:
            return f'<c r="{ref}"{s}/>'  # as openpyxl writes an empty text
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_xml_text(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float) and not math.isfinite(value):
        return f'<c r="{ref}"{s} t="e"><v>{_ERROR_TEXT[math.isnan(value)]}</v></c>'
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def _cell_xml_via_openpyxl(ws, styles: _StyleCache, ref: str, cell) -> str:
    """A date, time or numpy value: set on a detached openpyxl cell, exactly as the
    ordinary path does (openpyxl picks a date format then), and written from it."""
    probe = Cell(ws)
    if cell.style:
        styles.apply(probe, cell.style)
    _set_value(probe, cell.value)
    style = ws.parent._cell_styles.add(probe._style)
    value, kind = probe._value, probe.data_type
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        value = to_excel(value)
    elif kind == "e":
        return f'<c r="{ref}" s="{style}" t="e"><v>{_xml_text(str(value))}</v></c>'
    elif isinstance(value, Decimal):
        value = float(value)
    return _cell_xml(ref, style, value)


def _xml_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _save_with_streamed_rows(workbook: Workbook, streamed: dict[int, _Streamed], stream) -> None:
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
                        at = _HYPERLINKS_BEFORE.search(tail)
                        at = at.start() if at else tail.rindex(b"</worksheet>")
                        stream_part.write(tail[:at])
                        links.write_hyperlinks(stream_part)
                        tail = tail[at:]
                    stream_part.write(tail)
            for rels in _rels_parts(parts):
                links = relations.get(rels)
                extra = links is not None and links.external > 0
                if rels in names:
                    data = source.read(rels)
                    at = data.rindex(b"</Relationships>")
                    with target.open(rels, "w") as out:
                        out.write(data[:at])
                        if extra:
                            links.write_relations(out)
                        out.write(data[at:])
                elif extra:
                    with target.open(rels, "w") as out:
                        out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                  b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">')
                        links.write_relations(out)
                        out.write(b"</Relationships>")
        finally:
            for links in relations.values():
                links.close()


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


def _xml_attr(text: str) -> str:
    return _xml_text(ILLEGAL_CHARACTERS_RE.sub("", text)).replace('"', "&quot;")


def _header_footer_text(text: str) -> str:
    # "&" starts a code in Excel's header/footer mini-language; "&&" is a literal one.
    return " ".join(text.split()).replace("&", "&&")


def _colour_scale_rule(scale: ColourScale) -> ColorScaleRule:
    return ColorScaleRule(
        start_type="num", start_value=scale.low, start_color=_rgb(scale.low_colour),
        mid_type="num", mid_value=(scale.low + scale.high) / 2, mid_color=_rgb(scale.mid_colour),
        end_type="num", end_value=scale.high, end_color=_rgb(scale.high_colour),
    )


def _bar_chart(ws, spec: BarChart) -> XlBarChart:
    chart = XlBarChart()
    chart.type = "bar" if spec.horizontal else "col"
    chart.title = spec.title
    chart.add_data(_reference(ws, spec.values), titles_from_data=False)
    chart.set_categories(_reference(ws, spec.categories))
    chart.legend = None
    chart.y_axis.title = spec.y_title or None
    chart.x_axis.title = spec.x_title or None
    series = chart.series[0]
    series.graphicalProperties.solidFill = _rgb(spec.colour)
    for index in range(spec.highlight_count):
        point = DataPoint(idx=index)
        point.graphicalProperties.solidFill = _rgb(spec.highlight_colour)
        series.dPt.append(point)
    if spec.horizontal:
        # Excel draws the first category at the bottom; reverse it so rank 1 is on top, and
        # keep the value axis at the bottom.
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.crosses = "max"
        chart.gapWidth = 40
    chart.y_axis.number_format = "0"
    chart.y_axis.scaling.min = 0
    if spec.y_max is not None:
        chart.y_axis.scaling.max = spec.y_max
    # openpyxl 3.1 leaves axes unset, which Excel draws as deleted axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = spec.width_cm  # openpyxl measures charts in cm
    chart.height = spec.height_cm
    return chart


def _reference(ws, ref: str) -> Reference:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return Reference(ws, min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)


# --- styles -------------------------------------------------------------------------------


class _StyleCache:
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
             target.number_format) = _openpyxl_style(style)
            array = self._arrays[name] = copy(target._style)
        target._style = copy(array)

    def style_id(self, ws, name: str) -> int:
        """The cellXfs index openpyxl will write for `name` (registered now)."""
        probe = Cell(ws)
        self.apply(probe, name)
        return ws.parent._cell_styles.add(probe._style)


_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@cache
def _openpyxl_style(style: Style) -> tuple[Font, PatternFill, Border, Alignment, str]:
    font = Font(name=DEFAULT_FONT.name, family=DEFAULT_FONT.family, scheme=DEFAULT_FONT.scheme,
                sz=style.size or DEFAULT_FONT.sz, b=style.bold, i=style.italic,
                color=_rgb(style.colour) if style.colour else None)
    fill = PatternFill("solid", fgColor=_rgb(style.fill)) if style.fill else PatternFill()
    border = _border(style)
    alignment = Alignment(horizontal=style.align, vertical=style.valign, wrap_text=style.wrap or None,
                          textRotation=style.rotation or 0)
    return font, fill, border, alignment, style.number_format or "General"


def _border(style: Style) -> Border:
    if not (style.border or style.rule_below):
        return Border()
    side = Side(style=style.border_weight) if style.border else Side()
    below = Side(style="thick", color=NAVY) if style.rule_below else side
    if (style.border_weight, style.rule_below) == ("thin", False):
        return _BOX
    return Border(left=side, right=side, top=side, bottom=below)


def _rgb(colour: str) -> str:
    return colour.lstrip("#").upper()
