"""The report model: sheets as plain data (cells, styles, widths, print settings, charts).

Report builders fill these; writers (an .xlsx file through openpyxl, the open workbook
through xlwings) render them. Neither side knows about the other. A sheet's big table
(Partner scores, Validation) may be a Rows body: rows made from the merged result as they
are written, so that memory does not grow with the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from csprisk.grid import cell_address
from csprisk.marks import RANKED
from csprisk.report import measure
from csprisk.report.fitting import DEFAULT_WIDTH as DEFAULT_WIDTH
from csprisk.report.fitting import LINE_HEIGHT as LINE_HEIGHT
from csprisk.report.fitting import (
    MAX_LINK_WIDTH,
    MAX_WORD_WIDTH,
    REPORT_MARGINS,
    longest_word,
    may_not_fit,
    style_lines,
    style_size,
    text_width,
)
from csprisk.report.fitting import lines_needed as lines_needed
from csprisk.report.styles import NAVY as NAVY
from csprisk.report.styles import STYLES as STYLES
from csprisk.report.styles import Style as Style
from csprisk.report.styles import whole_style, wrapped_style
from csprisk.scheme import figure


def _parse_ref(ref: str) -> tuple[int, int]:
    """(row, col), 0-based, of an A1 address such as "B12" (grid.cell_address the other way)."""
    letters = "".join(ch for ch in ref if ch.isalpha())
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1


class Cell(NamedTuple):
    """One cell of a report sheet. A named tuple rather than a dataclass: a big report holds
    a million of them, and a tuple is about a third of the memory and quick to build."""

    value: Any
    style: str = ""
    link: str | None = None  # "#'Sheet'!A1" for a place in the workbook, or a URL


class Rows:
    """A big table's rows, made as they are read rather than held as cells.

    Partner scores has a row per matrix row of every return and Validation one per
    finding: at national scale a million cells, which as a dict of Cells would be most of
    a merge's memory. Row `i` is the sheet's row `first + i`; `make(i)` gives its cells
    from column 0, and `each()`, where given, every row in order (quicker than `make` one
    at a time). Its cells hold text, numbers and blanks, in the bordered `styles` it names
    (a table's). `height(cells)`, where given, is the height a row asks for (None: the
    default). What `Sheet.fit_text` decides is kept as rules by column, text and style,
    applied to each row as it is made: no row is held."""

    def __init__(self, first: int, count: int, width: int, make: Callable[[int], Sequence[Cell]],
                 each: Callable[[], Iterable[Sequence[Cell]]] | None = None, styles: Iterable[str] = (),
                 height: Callable[[Sequence[Cell]], float | None] | None = None) -> None:
        self.first, self.count, self.width = first, count, width
        self._make, self._each, self._height = make, each, height
        #: Every style its cells may have (a writer registers them before it makes a row).
        self.styles = frozenset(styles)
        #: (column, text, style) -> the style a cell with that text and a link takes without the link.
        self.unlinked: dict[tuple[int, str, str], str] = {}
        #: (column, text, style) -> the wrapping style a cell with that text takes.
        self.wrapped: dict[tuple[int, str, str], str] = {}
        #: (column, text, style as written) -> the printed lines a row holding it needs.
        self.lines: dict[tuple[int, str, str], int] = {}
        #: The columns the rules above speak of: only those of a row are looked at.
        self._fix_columns: tuple[int, ...] = ()
        self._line_columns: tuple[int, ...] = ()

    def unlink(self, col: int, text: str, style: str, unlinked_style: str) -> None:
        """Rule: a cell of `col` holding `text` in `style` with a link loses the link."""
        self.unlinked[(col, text, style)] = unlinked_style
        self._fix_columns = _with(self._fix_columns, col)

    def wrap(self, col: int, text: str, style: str, wrapped_style: str) -> None:
        """Rule: a cell of `col` holding `text` in `style` wraps, in `wrapped_style`."""
        self.wrapped[(col, text, style)] = wrapped_style
        self._fix_columns = _with(self._fix_columns, col)

    def need_lines(self, col: int, text: str, style: str, lines: int) -> None:
        """Rule: a row with `text` in `style` (as written) in `col` is `lines` lines tall."""
        self.lines[(col, text, style)] = lines
        self._line_columns = _with(self._line_columns, col)

    def row(self, index: int) -> Sequence[Cell]:
        """The cells of row `index` (from 0), as they are written."""
        return self._fixed(self._make(index))

    def raw(self) -> Iterable[Sequence[Cell]]:
        """Every row as made, before fit_text's changes."""
        return self._each() if self._each is not None else (self._make(i) for i in range(self.count))

    def __iter__(self) -> Iterator[Sequence[Cell]]:
        if not (self.unlinked or self.wrapped):
            yield from self.raw()
            return
        for cells in self.raw():
            yield self._fixed(cells)

    def row_height(self, cells: Sequence[Cell]) -> float | None:
        """The height of a row holding `cells` (as written), or None for the default."""
        height = self._height(cells) if self._height is not None else None
        lines = self.lines
        if lines:
            count = 0
            width = len(cells)
            for col in self._line_columns:
                cell = cells[col] if col < width else None
                if cell is not None and type(cell.value) is str:
                    needed = lines.get((col, cell.value, cell.style))
                    if needed is not None and needed > count:
                        count = needed
            if count:
                height = max(height or 0, measure.row_points(count))
        return height

    def _fixed(self, cells: Sequence[Cell]) -> Sequence[Cell]:
        unlinked, wrapped = self.unlinked, self.wrapped
        if not (unlinked or wrapped):
            return cells
        out = None
        width = len(cells)
        for col in self._fix_columns:
            cell = cells[col] if col < width else None
            if cell is None or type(cell.value) is not str:
                continue
            new = cell
            if cell.link and unlinked:
                style = unlinked.get((col, cell.value, cell.style))
                if style is not None:
                    new = Cell(cell.value, style)
            style = wrapped.get((col, new.value, new.style)) if wrapped else None
            if style is not None:
                new = Cell(new.value, style, new.link)
            if new is not cell:
                if out is None:
                    out = list(cells)
                out[col] = new
        return cells if out is None else out


def _with(columns: tuple[int, ...], col: int) -> tuple[int, ...]:
    return columns if col in columns else tuple(sorted((*columns, col)))


@dataclass(frozen=True)
class ColourScale:
    """A 0-to-max colour scale over a range (conditional formatting)."""

    ref: str
    low: float
    high: float
    low_colour: str = "F8F8F8"
    mid_colour: str = "FFD966"
    high_colour: str = "E06666"


@dataclass(frozen=True)
class BarChart:
    title: str
    categories: str  # ref on this sheet, e.g. "B6:B15"
    values: str
    anchor: str
    y_title: str = ""
    y_max: float | None = None
    width_cm: float = 24
    height_cm: float = 10
    x_title: str = ""
    colour: str = "8EA9C1"
    #: The first `highlight_count` bars are drawn in `highlight_colour` (the recommended set).
    highlight_count: int = 0
    highlight_colour: str = NAVY
    #: Bars run across, first category at the top (long names stay readable).
    horizontal: bool = False


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    column_widths: dict[int, float] = field(default_factory=dict)
    row_heights: dict[int, float] = field(default_factory=dict)
    freeze: str | None = None  # top-left cell of the scrolling pane, e.g. "A6"
    autofilter: str | None = None
    print_title_rows: str | None = None  # e.g. "5:5"
    landscape: bool = True
    fit_width: bool = True
    colour_scales: list[ColourScale] = field(default_factory=list)
    charts: list[BarChart] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    tab_colour: str | None = None
    #: 0-based rows that start a new printed page.
    page_breaks: list[int] = field(default_factory=list)
    #: Printed margins in inches (left, right, top, bottom); None keeps the writer's default.
    margins: tuple[float, float, float, float] | None = REPORT_MARGINS
    #: A table too wide for one page at a legible size is not fitted to the page's width
    #: (`fit_width` False): it prints at `scale_percent` across pages, its identifying
    #: columns (`print_title_columns`, e.g. "A:C") repeated on each (fitting.column_groups).
    scale_percent: int | None = None
    print_title_columns: str | None = None
    #: Pages tall it is fitted to (0: as many as it needs); 1 for a sheet that fits one page
    #: at a legible size (see fitting.one_page_tall).
    pages_tall: int = 0
    #: 0-based row of the column headers of the sheet's main table, where it has one.
    header_row: int | None = None
    #: The rows of a big table, made as they are written (see Rows); `cells` has the rest.
    body: Rows | None = None
    next_row: int = 0

    def put(self, row: int, col: int, value: Any, style: str = "", link: str | None = None) -> None:
        if value is None or value == "":
            if style:
                self.cells[(row, col)] = Cell(None, style)
            return
        self.cells[(row, col)] = Cell(value, style, link)

    def add_row(self, values: Iterable[Any], style: str | Iterable[str] = "") -> int:
        """Write a row at `next_row`; `style` is one name or one per value. Returns the row."""
        row = self.next_row
        values = list(values)
        styles = [style] * len(values) if isinstance(style, str) else list(style)
        for col, (value, name) in enumerate(zip(values, styles, strict=False)):
            if isinstance(value, Cell):
                self.cells[(row, col)] = value
            else:
                self.put(row, col, value, name)
        self.next_row += 1
        return row

    def fit_row(self, row: int, columns: Iterable[int] | None = None) -> None:
        """Make a row tall enough for its longest wrapped cell: neither Excel nor a printer
        grows a row for wrapped text written by a program. Name the `columns` to look at
        when fitting many rows of a big sheet."""
        heights = []
        for col in range(self.width) if columns is None else columns:
            cell = self.cells.get((row, col))
            style = STYLES[cell.style] if cell is not None else None
            if cell is not None and cell.value is not None and style is not None and style.wrap:
                needed = style_lines(str(cell.value), self.column_widths.get(col, DEFAULT_WIDTH), style)
                if needed > 1:
                    heights.append(measure.row_points(needed, style_size(style)))
        if heights:
            self.row_heights[row] = max(heights)

    def fit_text(self) -> None:
        """Make every text cell print whole: a cell whose text is wider than its column (or its
        merged range) wraps, in a row tall enough; text outside a table that would run past
        the sheet's last column, or into a filled neighbour, is merged across to the last
        column first. A figure that prints whole loses its ".0" (40, not 40.0). Run once a
        sheet is complete."""
        self._whole_figures()
        width = self.width
        widths = [self.column_widths.get(col, DEFAULT_WIDTH) for col in range(width)]
        if not widths:
            return
        merged: dict[tuple[int, int], tuple[int, int] | None] = {}  # None: covered by a range's first cell
        for ref in self.merged:
            (top, left), (bottom, right) = (_parse_ref(part) for part in ref.split(":"))
            merged[(top, left)] = (bottom, right)
            merged.update({(r, c): None for r in range(top, bottom + 1) for c in range(left, right + 1)
                           if (r, c) != (top, left)})
        body = self.body
        if body is not None and any(body.first <= r < body.first + body.count for r, _ in merged):
            raise ValueError(f"{self.name}: a merged range in the rows of its big table")
        # A big sheet repeats the same text down a column (a partner's name and file on each
        # of its rows): each (column, text, style) is measured once.
        seen: set[tuple] = set()
        texts = [(place, cell) for place, cell in self.cells.items()
                 if type(cell.value) is str and cell.style != "chart-data"]  # a chart's data is not read
        for (row, col), cell in texts:  # a column never breaks an ordinary word
            if (row, col) not in merged:
                unlinked = self._widen(col, cell, widths, seen)
                if unlinked is not None:
                    self.cells[(row, col)] = unlinked
        candidates: set[tuple[int, str, str]] = set()  # the big table's texts that may need wrapping
        if body is not None:
            for cells in body.raw():
                for col, cell in enumerate(cells):
                    value = cell.value
                    if type(value) is not str or (not cell.link and not may_not_fit(value, widths[col])):
                        continue  # no word of it can be wider than the column, nor it
                    if (col, value, cell.style, cell.link is None) in seen:
                        continue  # measured already: the same text, style and column decide the same
                    unlinked = self._widen(col, cell, widths, seen)
                    style = cell.style if unlinked is None else unlinked.style
                    if unlinked is not None:
                        body.unlink(col, value, cell.style, style)
                    if not STYLES.get(style, STYLES["text"]).border:
                        raise ValueError(f"{self.name}: a big table's cells are bordered, as a table's are "
                                         f"(its style {style!r} is not)")
                    candidates.add((col, value, style))
        heights: dict[int, float] = {}
        measured: dict[tuple, int] = {}  # (column, text, style) -> lines, for text in a table
        for (row, col), cell in texts:
            cell = self.cells[(row, col)]  # as the first pass left it
            if not may_not_fit(cell.value, widths[col]) or merged.get((row, col), 0) is None:
                continue
            needed, wrapped_as = self._wrap(row, col, cell, widths, merged, measured)
            if wrapped_as is not None:
                self.cells[(row, col)] = cell._replace(style=wrapped_as)
            if needed:
                size = style_size(STYLES.get(cell.style, STYLES["text"]))
                heights[row] = max(heights.get(row, 0), measure.row_points(needed, size))
        # The big table's texts wider than their column, each measured once; a row's height
        # comes from them as it is written (Rows.row_height).
        for col, value, style in candidates:  # there are candidates only where there is a body
            if body is not None and may_not_fit(value, widths[col]):
                needed, wrapped = self._wrap(-1, col, Cell(value, style), widths, {}, measured)
                if wrapped is not None:
                    body.wrap(col, value, style, wrapped)
                if needed:
                    body.need_lines(col, value, wrapped or style, needed)
        for row, height in heights.items():
            self.row_heights[row] = max(self.row_heights.get(row, 0), height)

    def _whole_figures(self) -> None:
        for place, cell in self.cells.items():
            value = cell.value
            fmt = STYLES.get(cell.style, STYLES[""]).number_format or ""
            if ("0.0" in fmt and isinstance(value, (int, float)) and not isinstance(value, bool)
                    and "." not in figure(value)):
                self.cells[place] = cell._replace(style=whole_style(cell.style))

    def _widen(self, col: int, cell: Cell, widths: list[float], seen: set[tuple]) -> Cell | None:
        """fit_text's first pass on one text cell: widen its column so that no ordinary word
        breaks, and one holding a link so that the link shows whole. Returns the cell without
        its link where the link's text is too long for any column."""
        value = cell.value
        if not cell.link and not may_not_fit(value, widths[col]):
            return None  # no word of it can be wider than the column
        key = (col, value, cell.style, cell.link is None)
        if key in seen and cell.link is None:
            return None
        seen.add(key)
        style = STYLES.get(cell.style, STYLES["text"])
        longest = longest_word(value, style) if style.border else 0.0  # text outside a table spans columns
        if widths[col] < longest <= MAX_WORD_WIDTH and not style.rotation:
            widths[col] = self.column_widths[col] = longest
        if cell.link and text_width(value, style) + 1 > widths[col]:
            # LibreOffice never wraps a cell that holds a link: the column holds it whole,
            # or (a long file path) the text wraps without its link.
            needed = text_width(value, style) + 1
            if needed <= MAX_LINK_WIDTH:
                widths[col] = self.column_widths[col] = needed
            else:
                return cell._replace(link=None, style="text")
        return None

    def _wrap(self, row: int, col: int, cell: Cell, widths: list[float], merged: dict,
              measured: dict[tuple, int]) -> tuple[int, str | None]:
        """fit_text's second pass on one text cell wider than its column: (the printed lines
        its row needs for it, or 0 where it asks nothing of the row's height; the wrapping
        style it takes, or None to keep its own)."""
        value = cell.value
        known = measured.get((col, value, cell.style))
        if known is not None:
            if known > 1:
                return known, None if STYLES[cell.style].wrap else wrapped_style(cell.style or "text")
            return 0, None
        span = merged.get((row, col))
        style = STYLES.get(cell.style, STYLES["text"])
        if style.rotation:
            return 0, None
        if span is None and not style.border:
            last = col  # outside a table: it may run on over empty cells, within the sheet
            while last + 1 < len(widths) and (row, last + 1) not in self.cells:
                last += 1
            if text_width(value, style) <= sum(widths[col:last + 1]):
                return 0, None
            if last > col:
                self.merged.append(f"{cell_address(row, col)}:{cell_address(row, last)}")
                span = merged[(row, col)] = (row, last)
        width = sum(widths[col:span[1] + 1]) if span else widths[col]
        needed = style_lines(value, width, style)
        if needed <= 1 and text_width(value, style) <= width:
            if span is None and style.border:
                measured[(col, value, cell.style)] = 1
            return 0, None
        if span is None and style.border:
            measured[(col, value, cell.style)] = needed
        wrapped = None if style.wrap else wrapped_style(cell.style or "text")
        return (needed if span is None or span[0] == row else 0), wrapped

    def skip(self, rows: int = 1) -> None:
        self.next_row += rows

    def set_body(self, count: int, width: int, make: Callable[[int], Sequence[Cell]],
                 each: Callable[[], Iterable[Sequence[Cell]]] | None = None, styles: Iterable[str] = (),
                 height: Callable[[Sequence[Cell]], float | None] | None = None) -> Rows:
        """Give the sheet `count` rows made as they are written, from `next_row` on (see Rows)."""
        self.body = Rows(self.next_row, count, width, make, each, styles, height)
        self.next_row += count
        return self.body

    def all_cells(self) -> Iterator[tuple[tuple[int, int], Cell]]:
        """Every cell, ((row, col), cell): those held, then the big table's rows as made."""
        yield from self.cells.items()
        body = self.body
        if body is not None:
            for index, cells in enumerate(body):
                row = body.first + index
                for col, cell in enumerate(cells):
                    yield (row, col), cell

    def all_row_heights(self) -> dict[int, float]:
        """Every row's height that is not the default: those held, and the big table's rows'."""
        heights = dict(self.row_heights)
        body = self.body
        if body is not None:
            for index, cells in enumerate(body):
                height = body.row_height(cells)
                if height is not None:
                    heights[body.first + index] = height
        return heights

    def cell(self, row: int, col: int) -> Cell | None:
        body = self.body
        if body is not None and body.first <= row < body.first + body.count:
            cells = body.row(row - body.first)
            return cells[col] if 0 <= col < len(cells) else None
        return self.cells.get((row, col))

    @property
    def height(self) -> int:
        held = max((r for r, _ in self.cells), default=-1) + 1
        body = self.body
        return max(held, body.first + body.count) if body is not None and body.count else held

    @property
    def width(self) -> int:
        held = max((c for _, c in self.cells), default=-1) + 1
        body = self.body
        return max(held, body.width) if body is not None and body.count else held

    def value(self, row: int, col: int) -> Any:
        cell = self.cell(row, col)
        return None if cell is None else cell.value

    def values(self) -> list[list[Any]]:
        """Dense rows of values (None for blanks), for writers that send whole blocks."""
        width = self.width  # once: it is a walk over every cell
        grid = [[None] * width for _ in range(self.height)]
        for (row, col), cell in self.all_cells():
            grid[row][col] = cell.value
        return grid


@dataclass
class Report:
    sheets: list[Sheet]
    title: str = ""
    subject: str = ""
    author: str = ""
    marking: str = ""
    footer: str = ""
    #: Which of csprisk's workbooks this is (marks.RANKED, marks.EXECUTIVE), written as its mark.
    kind: str = RANKED

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)
