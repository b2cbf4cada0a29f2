"""The partner template's print layout and row heights: columns and rows sized with the one
text measure (Calibri's widths), and a matrix too wide for one page at 8 pt printed across
pages at 8 pt with the priorities' column repeated, rather than shrunk."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from csprisk.excel.xlsx_writer import PAGE_NUMBERS
from csprisk.report import fitting, measure
from csprisk.scheme import Scheme

#: The widest the priority column grows for long names; longer ones wrap onto two lines.
PRIORITY_COLUMN_MAX = 45
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
    """The matrix's column widths and its header row's height (`layout`: a MatrixLayout)."""
    ws.column_dimensions[layout.priority_col].width = priority_width(names)
    widths = {}
    for col, text in zip(layout.criteria_cols, scheme.labels, strict=True):
        widths[col] = max(10, measure.longest_word_units(text, bold=True) + 1)
    widths[layout.confidence_col] = 12
    widths[layout.pestelo_col] = 14
    widths[layout.notes_col] = 32
    widths[layout.total_col] = max(10, measure.longest_word_units(scheme.total_label, bold=True) + 2)
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    # Excel does not grow a row for wrapped text in a file it did not write, so size it here.
    lines = max(measure.lines(text, widths[col], bold=True)
                for col, text in zip(layout.criteria_cols + (layout.total_col,),
                                     (*scheme.labels, scheme.total_label), strict=True))
    ws.row_dimensions[layout.header_row].height = measure.row_points(lines) + 3
    ws.row_dimensions[2].height = 15


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
