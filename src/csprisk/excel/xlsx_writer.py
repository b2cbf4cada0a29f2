"""Report -> an .xlsx file, through openpyxl.

The mapping: how the report model becomes openpyxl objects, through openpyxl's public API
(xlsx_cells says one cell's value and style; xlsx_stream writes big sheets' rows as XML and
holds every use of openpyxl's private API). The file is
written to a temporary name beside the target and moved into place in one step, so a
failure never leaves a half-written report or damages the one already there.
"""

from __future__ import annotations

import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart as XlBarChart
from openpyxl.chart import Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from csprisk import marks
from csprisk.excel.output import refuse_if_locked, write_atomically
from csprisk.excel.xlsx_cells import rgb, set_value
from csprisk.excel.xlsx_stream import Streamed, StyleCache, save_with_streamed_rows, stream_sheet
from csprisk.grid import column_letter
from csprisk.report.model import BarChart, ColourScale, Report, Sheet

#: Name of the custom document property that carries the protective marking.
MARKING_PROPERTY = "Protective Marking"

PAGE_NUMBERS = "Page &P of &N"
FOOTER_SIZE = 9

_MAX_HEADER_FOOTER = 255  # Excel's limit on one header or footer string
_BOLD = "-,Bold"  # header/footer font code: the default font, bold


def write_report(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write `report` to `path` as an .xlsx file, replacing any file there only on success."""
    path = Path(path)
    refuse_if_locked(path)  # before the work of building: a locked target gets nothing
    workbook, streamed = _build(report, stream_big_sheets=True)
    return write_atomically(path, lambda stream: save_with_streamed_rows(workbook, streamed, stream))


def save_workbook(workbook: Workbook, path: str | Path) -> Path:
    """Save an openpyxl workbook made elsewhere (the executive's copy) with the same care:
    refuse a file open in Excel, and replace the target only on success."""
    return write_atomically(path, workbook.save)


def build_workbook(report: Report) -> Workbook:
    """The report as an openpyxl Workbook in memory; nothing is written to disk."""
    return _build(report)[0]


def _build(report: Report, stream_big_sheets: bool = False) -> tuple[Workbook, dict[int, Streamed]]:
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
    styles = StyleCache()
    streamed: dict[int, Streamed] = {}
    for index, sheet in enumerate(report.sheets, 1):
        ws = workbook.create_sheet(sheet.name)
        if stream_big_sheets and _streamable(sheet):
            streamed[index] = stream_sheet(ws, sheet, styles)
            _set_layout(ws, sheet, report)
        else:
            _write_sheet(ws, sheet, report, styles)

    workbook.properties.title = report.title or None
    workbook.properties.subject = report.subject or None
    workbook.properties.creator = report.author or None
    if report.marking:
        workbook.custom_doc_props.append(StringProperty(name=MARKING_PROPERTY, value=report.marking))
    workbook.custom_doc_props.append(StringProperty(name=marks.PROPERTY, value=report.kind))
    return workbook, streamed


# Big sheets have their rows written as XML by xlsx_stream (see there why).
#: Sheets with more cells than this have their rows written as XML.
STREAM_CELLS = 2_000
#: ... and so do sheets with more merged ranges than this.
STREAM_MERGES = 100


def _streamable(sheet: Sheet) -> bool:
    # Many merges too: openpyxl checks each new merge against every earlier one (N x N).
    body = sheet.body
    cells = len(sheet.cells) + (body.count * body.width if body is not None else 0)
    return cells > STREAM_CELLS or len(sheet.merged) > STREAM_MERGES


# --- sheets -------------------------------------------------------------------------------


def _write_sheet(ws: Worksheet, sheet: Sheet, report: Report, styles: StyleCache) -> None:
    for (row, col), cell in sorted(sheet.all_cells()):
        target = ws.cell(row=row + 1, column=col + 1)
        set_value(target, cell.value)
        if cell.style:
            styles.apply(target, cell.style)
        if cell.link:
            _set_link(target, cell.link)

    for row, height in sheet.all_row_heights().items():
        ws.row_dimensions[row + 1].height = height
    for ref in sheet.merged:
        ws.merge_cells(ref)
    _set_layout(ws, sheet, report)


def _set_layout(ws: Worksheet, sheet: Sheet, report: Report) -> None:
    """What a sheet has besides its cells, row heights and merges (both paths share it)."""
    for col, width in sheet.column_widths.items():
        ws.column_dimensions[column_letter(col)].width = width
    if sheet.freeze:
        ws.freeze_panes = sheet.freeze
    if sheet.autofilter:
        ws.auto_filter.ref = sheet.autofilter
    if sheet.tab_colour:
        ws.sheet_properties.tabColor = rgb(sheet.tab_colour)
    for scale in sheet.colour_scales:
        ws.conditional_formatting.add(scale.ref, _colour_scale_rule(scale))
    for chart in sheet.charts:
        ws.add_chart(_bar_chart(ws, chart), chart.anchor)
    _set_page_setup(ws, sheet, report)


def _set_link(target, link: str) -> None:
    if link.startswith("#"):
        target.hyperlink = Hyperlink(ref=target.coordinate, location=link[1:])
    else:
        target.hyperlink = link


def _set_page_setup(ws: Worksheet, sheet: Sheet, report: Report) -> None:
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


def _header_footer_text(text: str) -> str:
    # "&" starts a code in Excel's header/footer mini-language; "&&" is a literal one.
    return " ".join(text.split()).replace("&", "&&")


def _colour_scale_rule(scale: ColourScale) -> ColorScaleRule:
    return ColorScaleRule(
        start_type="num", start_value=scale.low, start_color=rgb(scale.low_colour),
        mid_type="num", mid_value=(scale.low + scale.high) / 2, mid_color=rgb(scale.mid_colour),
        end_type="num", end_value=scale.high, end_color=rgb(scale.high_colour),
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
    series.graphicalProperties.solidFill = rgb(spec.colour)
    for index in range(spec.highlight_count):
        point = DataPoint(idx=index)
        point.graphicalProperties.solidFill = rgb(spec.highlight_colour)
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


