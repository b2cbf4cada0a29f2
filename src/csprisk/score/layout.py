"""Where the matrix is on a sheet: its header row, found by the criteria labels, and what
each column of it holds (a criterion, the priority names, TOTAL, PESTELO, Notes,
Confidence, reference codes), in the vocabulary partners use for those headers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from csprisk.grid import Grid, is_blank
from csprisk.scheme import CONFIDENCE_LABEL, NOTES_LABEL, PESTELO_LABEL, Scheme, criterion_key

HEADER_SEARCH_ROWS = 30
#: A header row must name at least this share of the scheme's criteria.
MIN_CRITERIA_SHARE = 0.5

@dataclass(frozen=True)
class Layout:
    grid: Grid
    header_row: int
    criteria_cols: tuple[int | None, ...]
    priority_col: int
    total_col: int | None
    pestelo_col: int | None
    notes_col: int | None
    unknown_cols: tuple[int, ...]
    #: Hidden criterion columns: (column, the visible column read instead, or None when
    #: the hidden one is the only column for its criterion and was read).
    hidden_cols: tuple[tuple[int, int | None], ...] = ()
    #: The row below the header where the matrix's rows begin (past a second header row
    #: that a label merged over two rows spans).
    first_row: int = 0
    confidence_col: int | None = None


# ------------------------------------------------------------------------------ layout

_TOTAL_KEYS = ("total", "totalscore", "score")
#: Headers that name the priority column outright.
_PRIORITY_HEADERS = {"priority", "priorities", "issue", "issues", "riskarea", "riskareas", "priorityarea",
                     "priorityareas", "candidatepriority", "candidatepriorities", "priorityissue",
                     "priorityissues", "priorityname", "risk", "risks"}
_PRIORITY_WORDS = ("priority", "issue", "riskarea")
#: Headers of columns that may hold names but often group them ("Theme" over several rows).
_GROUPING_HEADERS = {"theme", "themes", "area", "areas", "crimetype", "category",
                     "categories", "group", "strand", "type"}
#: Headers of a column of reference codes (CS1, CS2, ...), never the names.
_CODE_HEADERS = {"ref", "refs", "reference", "no", "number", "num", "id", "code", "item", "itemno",
                 "refno", "sno", "line"}
#: A reference code or a number as the name of a row: "CS1", "A.2", "3b", "12".
_CODE = re.compile(r"^[A-Za-z]{0,4}[-./ ]?\d{1,4}(?:[.-]\d{1,3})*[A-Za-z]?[.)]?$")


def detail_key(label: str) -> str:
    """A detail label's matching key: "Partner organisation:" is "partnerorganisation"."""
    return re.sub(r"[^0-9a-z-]+", "", label.casefold())


def header_text(grid: Grid, row: int, col: int) -> Any:
    """A header cell's text; a blank cell inside a merged range gives the range's text (a
    label merged over two header rows, as TOTAL in S4:S5)."""
    value = grid.value(row, col)
    if is_blank(value) and grid.merged:
        merged = grid.merged_range(row, col)
        if merged and merged[0] < row and merged[1] == col:
            return grid.value(merged[0], merged[1])
    return value


def find_layout(grid: Grid, scheme: Scheme) -> Layout | None:
    """Locate the header row (within the first rows) and map its columns."""
    wanted = {criterion_key(label): i for i, label in enumerate(scheme.labels)}
    best: tuple[int, int] | None = None  # (matches, row)
    for row in range(min(grid.height, max(HEADER_SEARCH_ROWS - grid.top, 0))):
        matches = {wanted[k] for k in (criterion_key(v) for v in grid.rows[row] if isinstance(v, str)) if k in wanted}
        if matches and (best is None or len(matches) > best[0]):
            best = (len(matches), row)
    if best is None or best[0] < max(1, math.ceil(len(wanted) * MIN_CRITERIA_SHARE)):
        return None
    header_row = best[1]
    header = [header_text(grid, header_row, col) for col in range(grid.width)] if grid.merged else grid.rows[header_row]
    columns_of: list[list[int]] = [[] for _ in wanted]
    total_cols: list[int] = []
    pestelo_col = notes_col = confidence_col = None
    named: list[tuple[int, int]] = []  # (strength, col) of columns a header calls the priority's
    code_cols: set[int] = set()
    unknown: list[int] = []
    for col, value in enumerate(header):
        if not isinstance(value, str) or not value.strip():
            continue
        key = criterion_key(value)
        if key in wanted:
            columns_of[wanted[key]].append(col)
            continue
        detail = detail_key(value).replace("-", "")
        if key.startswith("total") or key in _TOTAL_KEYS:
            total_cols.append(col)
        elif key == criterion_key(PESTELO_LABEL) or key.startswith("pestelo"):
            pestelo_col = col
        elif key.startswith(criterion_key(CONFIDENCE_LABEL)) and confidence_col is None:
            confidence_col = col
        elif key.startswith(criterion_key(NOTES_LABEL)) or key in ("comments", "comment"):
            notes_col = col
        elif detail in _PRIORITY_HEADERS or any(word in detail for word in _PRIORITY_WORDS):
            named.append((2, col))
        elif detail in _GROUPING_HEADERS:
            named.append((1, col))
        elif detail in _CODE_HEADERS or value.strip() == "#":
            code_cols.add(col)
        else:
            unknown.append(col)
    criteria_cols: list[int | None] = []
    hidden: list[tuple[int, int | None]] = []
    for cols in columns_of:
        visible = [c for c in cols if not grid.is_hidden_col(c)]
        chosen = (visible or cols)[0] if cols else None
        criteria_cols.append(chosen)
        hidden += [(c, None if c == chosen else chosen) for c in cols if grid.is_hidden_col(c)]
    total_col = next((c for c in total_cols if not grid.is_hidden_col(c)), total_cols[0] if total_cols else None)
    first_criterion = min(c for c in criteria_cols if c is not None)
    first_row = _first_row(grid, header_row)
    priority_col = _priority_column(grid, first_row, first_criterion, named, code_cols)
    unknown = [c for c in unknown if c != priority_col and c > priority_col]
    return Layout(grid, header_row, tuple(criteria_cols), priority_col, total_col,
                  pestelo_col, notes_col, tuple(unknown), tuple(hidden), first_row, confidence_col)


def _first_row(grid: Grid, header_row: int) -> int:
    """The matrix's first row: below the header, and below any header cell merged down into
    the next row."""
    first = header_row + 1
    for top, _left, bottom, _right in grid.merged:
        if top - grid.top == header_row and bottom > top:
            first = max(first, bottom - grid.top + 1)
    return first


def _priority_column(grid: Grid, first_row: int, first_criterion: int, named: list[tuple[int, int]],
                     code_cols: set[int]) -> int:
    """The column of priority names, left of the criteria.

    A header that names it ("Priority", "Issue", "Risk area") wins; otherwise the column with
    the most different names in it: a column of reference codes (CS1, CS2) is never it, and
    a grouping column ("Theme", merged down over its priorities or repeated on each row)
    has fewer different names than the priorities it groups."""
    candidates = [col for col in range(first_criterion) if col not in code_cols]
    names = {col: _names_in(grid, first_row, col) for col in candidates}
    strong = [col for strength, col in named if strength == 2 and col < first_criterion and names.get(col)]
    if strong:
        return strong[0]
    weak = {col for strength, col in named if strength == 1}
    ranked = sorted((col for col in candidates if names[col]), key=lambda c: (-names[c], c not in weak, c))
    if ranked:
        return ranked[0]
    return max(first_criterion - 1, 0)


def _names_in(grid: Grid, first_row: int, col: int) -> int:
    """How many different names the cells below the header hold: text, not a number or a
    code; a cell merged down over several rows is a group heading, not a name."""
    names = set()
    for row in range(first_row, grid.height):
        value = grid.value(row, col)
        if not isinstance(value, str) or not value.strip() or _CODE.match(value.strip()):
            continue
        merged = grid.merged_range(row, col) if grid.merged else None
        if merged and merged[2] > merged[0]:
            continue
        names.add(value.strip().casefold())
    return len(names)
