"""The one text measure of every printed sheet: how wide a text is and how many lines it
wraps to, from Calibri's real advance widths (Carlito's, its metric twin: carlito_widths).

The report, the partner template and the analyst workbook size their columns and rows
with it, so text prints whole in Excel (Calibri) and in LibreOffice (Carlito) alike.
A column unit is Excel's: the width of one "0" of Calibri 11, 7 pixels at 96 dpi, so
5.25 points; LibreOffice draws the same column a little wider, so text measured to fit
Excel's column fits LibreOffice's too.
"""

from __future__ import annotations

from functools import lru_cache

from csprisk.report import carlito_widths as _font

#: Points per column unit (Excel: 7 px at 96 dpi for Calibri 11).
UNIT_POINTS = 5.25
#: A cell's text starts a little in from its left edge and stops short of its right one.
CELL_PADDING_POINTS = 2.5
#: Points of row height per printed line of 11 pt text (Excel's row for one line of Calibri 11).
LINE_POINTS = 15.0
#: A row's height beyond its lines: room under the last line.
ROW_EXTRA_POINTS = 3.0
DEFAULT_SIZE = 11.0

_UNITS = float(_font.UNITS_PER_EM)
_REGULAR = dict(zip(_font.CHARACTERS, _font.REGULAR, strict=True))
_BOLD = dict(zip(_font.CHARACTERS, _font.BOLD, strict=True))
#: A character the table lacks (a letter of another script) is taken as one em: never too narrow.
_UNKNOWN = _font.UNITS_PER_EM


def text_points(text: str, size: float = DEFAULT_SIZE, bold: bool = False) -> float:
    """The printed width, in points, of the widest line of `text`."""
    return max((_line_points(line, size, bold) for line in str(text).split("\n")), default=0.0)


def _line_points(line: str, size: float, bold: bool) -> float:
    table = _BOLD if bold else _REGULAR
    get = table.get
    return sum(get(ch, _UNKNOWN) for ch in line) * size / _UNITS


def text_units(text: str, size: float = DEFAULT_SIZE, bold: bool = False) -> float:
    """The column width, in column units, that shows `text` on one line."""
    return (text_points(text, size, bold) + 2 * CELL_PADDING_POINTS) / UNIT_POINTS


def column_points(width: float) -> float:
    """The points of text a column `width` units wide holds on one line."""
    return max(width * UNIT_POINTS - 2 * CELL_PADDING_POINTS, 1.0)


def longest_word_units(text: str, size: float = DEFAULT_SIZE, bold: bool = False) -> float:
    """The column width, in units, that holds the longest word of `text` unbroken (with a
    hair to spare: a word that exactly fills its column is broken by the last pixel)."""
    return max((text_units(word, size, bold) + 0.25 for word in str(text).split()), default=0.0)


@lru_cache(maxsize=65536)
def wrap(text: str, width: float, size: float = DEFAULT_SIZE, bold: bool = False) -> tuple[str, ...]:
    """`text` as it prints wrapped in a column (or merged columns) `width` units wide: at
    spaces, a word wider than the line broken where it meets the edge, as Excel and
    LibreOffice do; a line break in the text always starts a new line."""
    room = column_points(width) + 1e-6
    table = _BOLD if bold else _REGULAR
    scale = size / _UNITS
    space = table[" "] * scale
    out: list[str] = []
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            w = _line_points(word, size, bold)
            if line and used + space + w <= room:
                line, used = f"{line} {word}", used + space + w
                continue
            if line:
                out.append(line)
            line, used = "", 0.0
            while w > room:  # a word wider than the line breaks across lines
                cut, taken = 0, 0.0
                for ch in word:
                    step = table.get(ch, _UNKNOWN) * scale
                    if cut and taken + step > room:
                        break
                    cut, taken = cut + 1, taken + step
                out.append(word[:cut])
                word = word[cut:]
                w = _line_points(word, size, bold)
            line, used = word, w
        out.append(line)
    return tuple(out)


def lines(text: str, width: float, size: float = DEFAULT_SIZE, bold: bool = False) -> int:
    """How many printed lines `text` takes wrapped in a column `width` units wide."""
    return len(wrap(str(text), round(width, 3), size, bold))


def line_points(size: float = DEFAULT_SIZE) -> float:
    """Row height per printed line of text of `size` points."""
    return LINE_POINTS * size / DEFAULT_SIZE


#: The tallest row Excel allows (it repairs a workbook with a taller one).
MAX_ROW_POINTS = 409.0


def row_points(count: int, size: float = DEFAULT_SIZE) -> float:
    """The height of a row that shows `count` lines of text of `size` points, at most
    MAX_ROW_POINTS (text beyond it is in the cell, not on the paper: a score that did not
    count is on the Validation sheet as well)."""
    return min(line_points(size) * max(count, 1) + ROW_EXTRA_POINTS, MAX_ROW_POINTS)


def shorten(text: str, width_points: float, size: float = DEFAULT_SIZE, bold: bool = False) -> str:
    """`text` as it fits on one line `width_points` wide: whole, or cut at a word with an
    ellipsis (…) where it is too long (a long partnership name in a footer, a chart label)."""
    text = " ".join(str(text).split())
    if _line_points(text, size, bold) <= width_points:
        return text
    words = text.split(" ")
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(",;:-–") + "\u2026"
        if _line_points(candidate, size, bold) <= width_points:
            return candidate
    cut = text
    while len(cut) > 1 and _line_points(cut + "\u2026", size, bold) > width_points:
        cut = cut[:-1]
    return cut + "\u2026"
