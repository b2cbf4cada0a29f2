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

#: A header row within this many rows of the top of the sheet is preferred to one further down.
PREFERRED_HEADER_ROWS = 30
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
    #: Where the matrix's own part of the sheet begins (its details above the header) and
    #: ends (exclusive; None: the sheet's end), when the sheet holds more than one matrix.
    top: int = 0
    end: int | None = None

    @property
    def last(self) -> int:
        """The row after the matrix's last row."""
        return self.grid.height if self.end is None else self.end


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


def criterion_keys(scheme: Scheme) -> dict[str, int]:
    """The matching key of each criterion's label and aliases -> the criterion's index."""
    keys: dict[str, int] = {}
    for i, criterion in enumerate(scheme.criteria):
        for label in (criterion.label, *criterion.aliases):
            keys.setdefault(criterion_key(label), i)
    return keys


def header_rows(grid: Grid, scheme: Scheme) -> list[tuple[int, int]]:
    """(row, how many criteria it names) for every row that names enough of them to be a
    matrix's header, wherever it is on the sheet."""
    wanted = criterion_keys(scheme)
    need = max(1, math.ceil(len(scheme.criteria) * MIN_CRITERIA_SHARE))
    found = []
    for row, line in enumerate(grid.rows):
        texts = [v for v in line if isinstance(v, str)]
        if len(texts) < need:
            continue  # most rows of a big sheet: too few labels to be a header, decided without a lookup
        matches = {wanted[k] for k in (criterion_key(v) for v in texts) if k in wanted}
        if len(matches) >= need:
            found.append((row, len(matches)))
    return found


def primary_header(grid: Grid, headers: list[tuple[int, int]]) -> int | None:
    """The header row of a sheet's (first) matrix: the one naming most criteria, the
    earliest of equals; one near the top of the sheet is preferred to one further down."""
    early = [h for h in headers if h[0] < PREFERRED_HEADER_ROWS - grid.top]
    pool = early or headers
    return max(pool, key=lambda h: (h[1], -h[0]))[0] if pool else None


def find_layout(grid: Grid, scheme: Scheme) -> Layout | None:
    """Locate the matrix's header row and map its columns."""
    header_row = primary_header(grid, header_rows(grid, scheme))
    return None if header_row is None else layout_at(grid, scheme, header_row)


def layout_at(grid: Grid, scheme: Scheme, header_row: int) -> Layout:
    """The matrix whose header is `header_row`: what each of its columns holds."""
    wanted = criterion_keys(scheme)
    header = [header_text(grid, header_row, col) for col in range(grid.width)] if grid.merged else grid.rows[header_row]
    columns_of: list[list[int]] = [[] for _ in scheme.criteria]
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
        kind = column_kind(value)
        if kind == "total":
            total_cols.append(col)
        elif kind == "pestelo":
            pestelo_col = col
        elif kind == "confidence" and confidence_col is None:
            confidence_col = col
        elif kind == "notes":
            notes_col = col
        elif kind == "priority":
            named.append((2, col))
        elif kind == "group":
            named.append((1, col))
        elif kind == "code":
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


def column_kind(value: str) -> str:
    """What a header that is not a criterion's names: "total", "pestelo", "confidence",
    "notes", "priority", "group" (a grouping column), "code" (reference codes), or ""."""
    key, detail = criterion_key(value), detail_key(value).replace("-", "")
    if key.startswith("total") or key in _TOTAL_KEYS:
        return "total"
    if key == criterion_key(PESTELO_LABEL) or key.startswith("pestelo"):
        return "pestelo"
    if key.startswith(criterion_key(CONFIDENCE_LABEL)):
        return "confidence"
    if key.startswith(criterion_key(NOTES_LABEL)) or key in ("comments", "comment"):
        return "notes"
    if detail in _PRIORITY_HEADERS or any(word in detail for word in _PRIORITY_WORDS):
        return "priority"
    if detail in _GROUPING_HEADERS:
        return "group"
    if detail in _CODE_HEADERS or value.strip() == "#":
        return "code"
    return ""


def unmatched_headers(grid: Grid, scheme: Scheme) -> tuple[int, list[str]] | None:
    """Where no header row names enough criteria: the row that looks most like a header
    (the most criteria named, else a "Priority" or "TOTAL" header with other labels beside
    it), and the labels in it that match no criterion, as typed."""
    wanted = criterion_keys(scheme)
    best: tuple[int, int, int] | None = None  # (criteria named, labels, row)
    for row, line in enumerate(grid.rows):
        texts = [v for v in line if isinstance(v, str) and v.strip()]
        if len(texts) < 3:
            continue
        named = len({wanted[k] for k in (criterion_key(v) for v in texts) if k in wanted})
        if not named and not any(column_kind(v) in ("priority", "total") for v in texts):
            continue
        if best is None or (named, len(texts)) > best[:2]:
            best = (named, len(texts), row)
    if best is None:
        return None
    row = best[2]
    labels = [v.strip() for v in grid.rows[row] if isinstance(v, str) and v.strip()
              and criterion_key(v) not in wanted and not column_kind(v)]
    return (row, labels) if labels else None


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
