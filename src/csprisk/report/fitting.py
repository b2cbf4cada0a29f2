"""Fitting text to columns and rows in a style: the report model's use of the one text
measure (measure.py), with the style's size and weight."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from csprisk.report import measure
from csprisk.report.styles import Style

#: Points per printed line of 11 pt text; used to give wrapped text rows the height they need.
LINE_HEIGHT = measure.LINE_POINTS
DEFAULT_WIDTH = 8.43


def lines_needed(text: Any, width: float, size: float = measure.DEFAULT_SIZE, bold: bool = False) -> int:
    """Printed lines that wrapped text needs in a column `width` units wide (measure.lines)."""
    return measure.lines(str(text), width, size, bold)


def style_size(style: Style) -> float:
    return style.size or measure.DEFAULT_SIZE


def text_width(text: str, style: Style) -> float:
    """How many column units the widest line of `text` takes in `style`."""
    return measure.text_units(text, style_size(style), style.bold)


def style_lines(text: str, width: float, style: Style) -> int:
    """Printed lines that text needs when wrapped at whole words in `width` column units
    (a word longer than the line is broken, as LibreOffice and Excel do)."""
    return measure.lines(text, width, style_size(style), style.bold)


#: Columns widen to hold a word up to this wide; a longer one (a file path) breaks across lines.
MAX_WORD_WIDTH = 18
#: A column widens to hold a link's text up to this wide (LibreOffice does not wrap links).
MAX_LINK_WIDTH = 36


def longest_word(text: str, style: Style) -> float:
    """The column units the longest word of `text` takes (no column should break a word)."""
    return measure.longest_word_units(text, style_size(style), style.bold)


def may_not_fit(text: str, width: float) -> bool:
    """Whether `text` could be wider than a column `width` units (a quick bound before the
    measure: no character of the table is wider than two units at 11 pt bold)."""
    return len(text) * 2.0 + 1 > width


def rotated_header_points(labels: Sequence[str], width: float, lines: int | None = None) -> float:
    """The height of a header row of text turned to read upwards, each label wrapped in as
    many lines as a column `width` units wide holds across (or `lines`, where the column is
    known to hold them: bold 11 pt prints two lines in 24 points, a little under two of the
    row heights a line is given): as tall as its longest label needs."""
    lines_across = lines or max(1, int(width * measure.UNIT_POINTS // measure.line_points(11)))
    tallest = 0.0
    for label in labels:
        points = measure.text_points(label, bold=True)
        for units in range(4, 60):  # the shortest line length that keeps it to the lines across
            if measure.lines(label, units, bold=True) <= lines_across:
                points = units * measure.UNIT_POINTS
                break
        tallest = max(tallest, points)
    return tallest + 6


#: Printed margins of the report's sheets, in inches (left, right, top, bottom).
REPORT_MARGINS = (0.4, 0.4, 0.6, 0.45)
#: The widest a column unit prints: LibreOffice draws one as Carlito's "0" at 11 pt (Excel
#: a little narrower, 7 px = 5.25 pt), so a table fitted to a page shrinks most there.
WIDEST_UNIT_POINTS = 11 * 1038 / 2048


def page_width_points(landscape: bool = True, margins: tuple[float, ...] = REPORT_MARGINS) -> float:
    """The printable width of an A4 page with `margins`, in points."""
    return (842 if landscape else 595) - 72 * (margins[0] + margins[1])


def page_height_points(landscape: bool = True, margins: tuple[float, ...] = REPORT_MARGINS) -> float:
    """The printable height of an A4 page with `margins`, in points."""
    return (595 if landscape else 842) - 72 * (margins[2] + margins[3])


def max_table_units(smallest: float, size: float = measure.DEFAULT_SIZE, pages_wide: int = 1,
                    landscape: bool = True, margins: tuple[float, ...] = REPORT_MARGINS) -> float:
    """The widest a table may be, in column units, so that fitted to `pages_wide` pages its
    `size` point type still prints at `smallest` points or more."""
    return pages_wide * page_width_points(landscape, margins) * size / smallest / WIDEST_UNIT_POINTS


def print_scale(units: float, pages_wide: int = 1, landscape: bool = True,
                margins: tuple[float, ...] = REPORT_MARGINS) -> float:
    """The scale a table `units` wide prints at, fitted to `pages_wide` pages (at most 1)."""
    return min(1.0, pages_wide * page_width_points(landscape, margins) / (units * WIDEST_UNIT_POINTS))


def one_page_tall(heights: float, units: float, smallest: float, size: float = measure.DEFAULT_SIZE,
                  landscape: bool = True, margins: tuple[float, ...] = REPORT_MARGINS) -> int:
    """1 when a sheet `heights` points tall and `units` wide fits one page with its type
    still `smallest` points or more, else 0 (as many pages as it needs)."""
    scale = min(print_scale(units, 1, landscape, margins), smallest / size)
    return 1 if heights * scale <= page_height_points(landscape, margins) * 0.97 else 0


def column_groups(sheet: Any, widths: Sequence[float], smallest: float, title_columns: int) -> None:
    """A table of column `widths` too wide for one page with its type at `smallest` points
    or more prints at that size across pages instead of smaller, its first `title_columns`
    (which identify each row) repeated on every page: print titles."""
    import math

    from csprisk.grid import column_letter

    if sum(widths) <= max_table_units(smallest):
        return
    sheet.fit_width = False
    sheet.scale_percent = math.ceil(100 * smallest / measure.DEFAULT_SIZE)
    sheet.print_title_columns = f"A:{column_letter(title_columns - 1)}"


def at_smallest(sheet: Any, smallest: float) -> None:
    """A sheet fitted to one page wide prints at `smallest` points exactly, rather than
    the few percent larger (or smaller: LibreOffice picks 62% for some long tables whose
    width asks 64%) that fitting to the width picks: a page holds as many rows as it can.
    Its table must be no wider than max_table_units(smallest)."""
    import math

    sheet.fit_width = False
    sheet.scale_percent = math.ceil(100 * smallest / measure.DEFAULT_SIZE)

