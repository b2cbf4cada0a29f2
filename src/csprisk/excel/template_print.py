"""The partner template's print layout and row heights: columns and rows sized with the one
text measure (Calibri's widths). The criteria's, confidence's, PESTELO's and TOTAL's headers
read upwards, so their columns are as narrow as a score, and the matrix prints one page wide
in landscape at 8 pt or more; the title and instructions wrap within that width. A scheme
too wide for that prints across pages at 8 pt with the priorities' column repeated."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from csprisk.excel.xlsx_writer import PAGE_NUMBERS
from csprisk.report import fitting, measure
from csprisk.report.fitting import rotated_header_points
from csprisk.scheme import Scheme

#: The widest the priority column grows for long names; longer ones wrap onto more lines.
PRIORITY_COLUMN_MAX = 45
#: A column whose header reads upwards: a score, "NK" or a TOTAL fits, and the header wraps
#: onto two lines across it.
UPRIGHT_WIDTH = 6.0
#: Confidence ("Medium") and PESTELO (a few letters) under upright headers; the notes wrap.
CONFIDENCE_WIDTH, PESTELO_WIDTH, NOTES_WIDTH = 8.0, 8.0, 22.0
#: The title's and the instruction's sizes (points).
TITLE_SIZE, INSTRUCTION_SIZE = 14.0, 11.0
#: The template prints at this size or larger: a matrix too wide for one page at it prints
#: across pages with the priority column repeated, not smaller.
TEMPLATE_SMALLEST_POINTS = 8.0
#: Printed margins in inches (left, right, top, bottom).
MARGINS = (0.4, 0.4, 0.6, 0.6)


def priority_width(names: Sequence[str]) -> float:
    """The priority column: the longest of `names` on one line, up to PRIORITY_COLUMN_MAX."""
    return min(max(measure.text_units(n) for n in names) + 1, PRIORITY_COLUMN_MAX)


def row_height(names: Sequence[str], priorities: Sequence[str]) -> float:
    """Every matrix row is tall enough for the longest listed priority's name (the spare rows
    too, for the names partners type there)."""
    width = priority_width(names)
    return max(18.0, max((measure.row_points(measure.lines(name, width)) for name in priorities), default=18.0))


def set_widths(ws: Worksheet, scheme: Scheme, layout: Any, names: Sequence[str]) -> None:
    """The matrix's column widths, its header row's height (the headers of the narrow columns
    read upwards), and the title and instruction rows wrapped within the printed width
    (`layout`: a MatrixLayout)."""
    ws.column_dimensions[layout.priority_col].width = priority_width(names)
    upright = {col: text for col, text in zip(layout.criteria_cols, scheme.labels, strict=True)}
    upright[layout.confidence_col] = ws[f"{layout.confidence_col}{layout.header_row}"].value
    upright[layout.pestelo_col] = ws[f"{layout.pestelo_col}{layout.header_row}"].value
    upright[layout.total_col] = scheme.total_label
    widths = dict.fromkeys(layout.criteria_cols, UPRIGHT_WIDTH)
    widths[layout.confidence_col] = CONFIDENCE_WIDTH
    widths[layout.pestelo_col] = PESTELO_WIDTH
    widths[layout.notes_col] = NOTES_WIDTH
    widths[layout.total_col] = max(UPRIGHT_WIDTH, measure.text_units(format(scheme.max_total, "g"), bold=True) + 1)
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    for col in upright:
        cell = ws[f"{col}{layout.header_row}"]
        cell.alignment = Alignment(text_rotation=90, wrap_text=True, horizontal="center", vertical="bottom")
    # Excel does not grow a row for wrapped text in a file it did not write, so size it here.
    flat = max(measure.lines(ws[f"{col}{layout.header_row}"].value or "", ws.column_dimensions[col].width,
                             bold=True) for col in (layout.priority_col, layout.notes_col))
    ws.row_dimensions[layout.header_row].height = max(
        rotated_header_points([str(t) for t in upright.values()], UPRIGHT_WIDTH), measure.row_points(flat) + 3)
    _wrap_across(ws, layout, 1, TITLE_SIZE, bold=True)
    _wrap_across(ws, layout, 2, INSTRUCTION_SIZE, bold=False)


def _wrap_across(ws: Worksheet, layout: Any, row: int, size: float, bold: bool) -> None:
    """Row `row`'s text merged across the matrix's printed width and wrapped there, its row
    as tall as its lines: on paper it is never cut at a page's edge."""
    last = layout.total_col
    cell = ws[f"A{row}"]
    units = sum(ws.column_dimensions[get_column_letter(c)].width or fitting.DEFAULT_WIDTH
                for c in range(1, ws[f"{last}1"].column + 1))
    ws.merge_cells(f"A{row}:{last}{row}")
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = measure.row_points(measure.lines(str(cell.value), units, size, bold), size)


def print_across(ws: Worksheet, priority_col: str) -> None:
    """A matrix too wide for one page at 8 pt prints at 8 pt across pages, the priorities'
    column repeated on each (print titles), rather than shrunk to fit."""
    total = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, ws.max_column + 1))
    if total > fitting.max_table_units(TEMPLATE_SMALLEST_POINTS, margins=MARGINS):
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        ws.page_setup.scale = math.ceil(100 * TEMPLATE_SMALLEST_POINTS / measure.DEFAULT_SIZE)
        ws.print_title_cols = f"{priority_col}:{priority_col}"


def print_setup(ws: Worksheet, scheme: Scheme) -> None:
    """Landscape A4, one page wide, the marking in the header and footer, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(*MARGINS, header=0.3, footer=0.3)
    if scheme.protective_marking:
        ws.oddHeader.center.text = scheme.protective_marking
        ws.oddFooter.center.text = scheme.protective_marking
    ws.oddFooter.right.text = PAGE_NUMBERS


def keep_table_whole(ws: Worksheet, header: int, last: int) -> None:
    """The table from row `header` to `last` starts on a new page when what comes before it
    leaves too little room for it whole: its header never sits alone at a page's foot.
    (Printed at full size: the sheet is narrow enough for one page wide at 100%.)"""
    page = fitting.page_height_points(landscape=True, margins=MARGINS)
    used = 0.0
    for row in range(1, header):  # where the rows before the table end on their last page
        height = ws.row_dimensions[row].height or fitting.LINE_HEIGHT
        used = height if used + height > page else used + height
    heights = [ws.row_dimensions[row].height or fitting.LINE_HEIGHT for row in range(header, last + 1)]
    # A table longer than a page splits anyway (its header repeats): then it needs room for
    # its header and a few rows.
    needed = sum(heights) if sum(heights) <= page else sum(heights[:4])
    if used and used + needed > page:
        ws.row_breaks.append(Break(id=header - 1))
