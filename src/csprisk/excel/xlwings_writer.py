"""Report -> the sheets of the open workbook, through xlwings.

The only module that knows how the report model becomes xlwings calls. The same calls
work on desktop Excel (COM/AppleScript) and on the remote engine that xlwings Lite and
xlwings Server use, where each call becomes an action Excel applies when the script
returns. What a runtime cannot do (borders, colour scales, charts, print settings on the
remote engine) is left out quietly: the values, number formats, fills, fonts, widths and
frozen headers are what the analyst needs, and the .xlsx writer has the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from csprisk.findings import Stopped
from csprisk.grid import cell_address, column_index, column_letter
from csprisk.report.model import STYLES, Report, Sheet, Style

#: Formatting a runtime may not offer; a missing feature skips that touch, never the run.
_UNSUPPORTED = (NotImplementedError, AttributeError, TypeError, ValueError)


class ReportConflict(Stopped):
    """The report would replace a sheet that the analyst made; explained in plain words."""


#: A sheet-scoped name Merge & Rank puts on every sheet it writes. Only a sheet carrying it
#: is ever replaced, so an analyst's own sheet that happens to be called "Summary" is safe.
REPORT_MARK = "csprisk_report_sheet"


def render_report(book: Any, report: Report, owned: Sequence[str]) -> list[str]:
    """Replace the report's sheets in `book`; returns the sheet names written.

    Only sheets named in `owned` that carry the report mark (that is, sheets an earlier
    run wrote) are ever deleted, so a second run replaces the first run's sheets and the
    analyst's own sheets are never touched. A report sheet whose name is taken by any
    other sheet stops the run before anything changes.
    """
    owned_keys = {name.casefold() for name in owned}
    ours = {sheet.name.casefold() for sheet in book.sheets
            if sheet.name.casefold() in owned_keys and is_report_sheet(sheet)}
    existing = {sheet.name.casefold(): sheet.name for sheet in book.sheets}
    for sheet in report.sheets:
        key = sheet.name.casefold()
        if key in existing and key not in ours:
            raise ReportConflict(
                f'This workbook already has a sheet called "{existing[key]}" that Merge & Rank did not '
                "make, so it was not replaced. Rename that sheet and run Merge & Rank again.")
    old = [sheet for sheet in book.sheets if sheet.name.casefold() in ours]
    keep_one = len(old) == len(book.sheets)  # Excel refuses to delete a workbook's last sheet
    if keep_one:
        for number, sheet in enumerate(old, 1):
            sheet.name = f"~old report {number}"
    else:
        for sheet in old:
            sheet.delete()
    written = []
    for spec in report.sheets:
        target = book.sheets.add(spec.name, after=book.sheets[len(book.sheets) - 1])
        target.names.add(REPORT_MARK, f"={_quoted(spec.name)}!$A$1")
        write_sheet(target, spec)
        written.append(spec.name)
    if keep_one:
        for sheet in old:
            sheet.delete()
    if written:
        _try(lambda: book.sheets[written[0]].activate())
    return written


def is_report_sheet(sheet: Any) -> bool:
    """True for a sheet that Merge & Rank wrote (it carries the report mark)."""
    try:
        return any(name.name.rsplit("!", 1)[-1] == REPORT_MARK for name in sheet.names)
    except _UNSUPPORTED:
        return False


def _quoted(sheet_name: str) -> str:
    return "'" + sheet_name.replace("'", "''") + "'"


def write_sheet(target: Any, sheet: Sheet) -> None:
    """Values first (one block), then formats by rectangles of equal style, then layout."""
    remote = _is_remote(target)
    cells = list(sheet.all_cells())  # one walk: a big table's rows are made once here
    width = sheet.width  # once: each is a walk over the cells held
    grid = [[None] * width for _ in range(sheet.height)]
    for (row, col), cell in cells:
        grid[row][col] = excel_value(cell.value)
    if grid and grid[0]:
        target.range((1, 1)).value = grid
    for style_name, (top, left, bottom, right) in style_blocks(sheet, cells):
        style = STYLES.get(style_name, Style())
        if style != Style():
            _apply_style(target.range((top + 1, left + 1), (bottom + 1, right + 1)), style)
    for ref in sheet.merged:
        _try(lambda ref=ref: target.range(ref).merge())
    for col, chars in sorted(sheet.column_widths.items()):
        letter = column_letter(col)
        _try(lambda letter=letter, width=chars: setattr(
            target.range(f"{letter}1"), "column_width", points_from_chars(width) if remote else width))
    for row, height in sorted(sheet.all_row_heights().items()):
        _try(lambda row=row, height=height: setattr(target.range(f"A{row + 1}"), "row_height", height))
    for (row, col), cell in sorted(cells, key=lambda item: item[0]):
        if cell.link and cell.value is not None:
            _try(lambda row=row, col=col, cell=cell: target.range((row + 1, col + 1)).add_hyperlink(
                cell.link, str(cell.value)))
    if sheet.freeze:
        frozen = frozen_range(sheet.freeze)
        if frozen:
            _try(lambda: target.freeze_panes.freeze_at(frozen))


def excel_value(value: Any) -> Any:
    """A report value as Excel should receive it: text that Excel would turn into a formula,
    a number, a date or an error is given a leading apostrophe, so it stays text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return "'" + value if needs_quote(value) else value
    return value


_LOOKS_LIKE_DATA = re.compile(
    r"""^\s*(
        [+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*%?   # numbers, 1,000, 5%, 1e3
      | \d{1,4}\s*[/.-]\s*\d{1,2}(\s*[/.-]\s*\d{1,4})?(\s.*)?  # dates such as 01/02/2026
      | \d{1,2}:\d{2}(:\d{2})?\s*([ap]m)?                    # times
      | true | false
    )\s*$""", re.IGNORECASE | re.VERBOSE)


def needs_quote(text: str) -> bool:
    """True when Excel would read `text` as something other than the text itself."""
    if not text:
        return False
    if text[0] in "=+-@'#" or text[0] in "\t\r\n":
        return True
    return bool(_LOOKS_LIKE_DATA.match(text))


def style_blocks(sheet: Sheet, cells=None) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Rectangles (top, left, bottom, right; 0-based) of cells sharing a style; `cells` are
    the sheet's cells where the caller has them already (sheet.all_cells()).

    Runs of equal style along a row are merged with identical runs on the rows below, so
    a table of a thousand rows costs a handful of formatting calls, not thousands.
    """
    runs_by_row: dict[int, list[tuple[int, int, str]]] = {}
    columns_of: dict[int, list[tuple[int, str]]] = {}
    for (r, c), cell in sheet.all_cells() if cells is None else cells:  # one walk over the cells
        columns_of.setdefault(r, []).append((c, cell.style))
    for row in sorted(columns_of):
        runs: list[tuple[int, int, str]] = []
        for col, name in sorted(columns_of[row]):
            if runs and runs[-1][2] == name and runs[-1][1] == col - 1:
                runs[-1] = (runs[-1][0], col, name)
            else:
                runs.append((col, col, name))
        runs_by_row[row] = runs
    blocks: list[tuple[str, tuple[int, int, int, int]]] = []
    open_blocks: dict[tuple[int, int, str], int] = {}  # run -> top row
    previous_row = -1
    for row in sorted(runs_by_row):
        current = set(runs_by_row[row])
        contiguous = row == previous_row + 1
        for run, top in list(open_blocks.items()):
            if not contiguous or run not in current:
                blocks.append((run[2], (top, run[0], previous_row, run[1])))
                del open_blocks[run]
        for run in runs_by_row[row]:
            open_blocks.setdefault(run, row)
        previous_row = row
    for run, top in open_blocks.items():
        blocks.append((run[2], (top, run[0], previous_row, run[1])))
    blocks.sort(key=lambda b: (b[1][0], b[1][1]))
    return [b for b in blocks if b[0]]


def frozen_range(top_left: str) -> str | None:
    """The frozen block for a scrolling pane starting at `top_left` ("A6" freezes rows 1-5)."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", top_left.upper())
    if not match:
        return None
    col = column_index(match.group(1))
    row = int(match.group(2)) - 1  # rows above the pane
    if row and col:
        return f"A1:{cell_address(row - 1, col - 1)}"
    if row:
        return f"1:{row}"
    if col:
        return f"A:{column_letter(col - 1)}"
    return None


def points_from_chars(width: float) -> float:
    """Excel column width in characters (the .xlsx unit) as points (the Office.js unit)."""
    return round((width * 7 + 5) * 0.75, 2)


def _apply_style(rng: Any, style: Style) -> None:
    if style.fill:
        _try(lambda: setattr(rng, "color", f"#{style.fill}"))
    if style.bold:
        _try(lambda: setattr(rng.font, "bold", True))
    if style.italic:
        _try(lambda: setattr(rng.font, "italic", True))
    if style.size:
        _try(lambda: setattr(rng.font, "size", style.size))
    if style.colour:
        _try(lambda: setattr(rng.font, "color", f"#{style.colour}"))
    if style.number_format:
        _try(lambda: setattr(rng, "number_format", style.number_format))
    if style.wrap:
        _try(lambda: setattr(rng, "wrap_text", True))
    if style.align:
        _try(lambda: setattr(rng, "horizontal_alignment", style.align))
    if style.valign:
        _try(lambda: setattr(rng, "vertical_alignment", style.valign))


def _try(action) -> None:
    try:
        action()
    except _UNSUPPORTED:
        pass


def _is_remote(target: Any) -> bool:
    """True on the engine of xlwings Lite and xlwings Server (widths in points there)."""
    try:
        return target.book.app.engine.name == "remote"
    except _UNSUPPORTED:
        return False

