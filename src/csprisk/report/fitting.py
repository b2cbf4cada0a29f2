"""Fitting text to columns and rows in a style: the report model's use of the one text
measure (measure.py), with the style's size and weight."""

from __future__ import annotations

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
