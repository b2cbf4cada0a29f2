"""Grid -> parsed return (partner, priorities, scores) + findings.

The parser finds the matrix by its criteria labels, so it reads our template and the
familiar hand-made layouts alike. It never raises on what a partner typed: every problem
becomes a `Finding`, and every cell a partner typed is kept as a `ScoreCell`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from csprisk.findings import Code, Finding
from csprisk.grid import Grid, column_letter, is_blank
from csprisk.scheme import (
    CONFIDENCE_LABEL,
    HIGH,
    LOW,
    MEDIUM,
    NOTES_LABEL,
    PESTELO_LABEL,
    RETURN_DETAILS,
    Scheme,
    criterion_key,
    display_name,
    format_number,
    is_not_known,
    priority_key,
)
from csprisk.score.partners import partner_from_context

HEADER_SEARCH_ROWS = 30
#: A header row must name at least this share of the scheme's criteria.
MIN_CRITERIA_SHARE = 0.5

VALID, NOT_KNOWN, INVALID, BLANK = "valid", "not known", "invalid", "blank"


class ScoreCell(NamedTuple):
    """One score cell as typed, and what became of it."""

    priority: str
    criterion: str
    cell: str
    value: Any
    status: str  # VALID, NOT_KNOWN, INVALID or BLANK
    score: float | None
    counted: bool


#: A status as one letter of a ScoreRow's `statuses`; "-" is a criterion with no column.
STATUS_LETTER = {VALID: "v", NOT_KNOWN: "n", INVALID: "i", BLANK: "b"}
STATUS_OF = {letter: status for status, letter in STATUS_LETTER.items()}


class ScoreRow(NamedTuple):
    """One matrix row as typed, compactly: a merge holds one per row of every return, and
    the ScoreCells are made from it only when asked for (`Return.cells`)."""

    priority: str  # the name as read, or "Row N" for a row without one
    number: int  # the sheet's row number, from 1
    counted: bool  # the row counts toward the ranking (named, not a repeat, scored)
    values: tuple  # per criterion: the value as typed (an error value as its text), None if blank
    statuses: str  # per criterion: a STATUS_LETTER, or "-" where the matrix has no such column
    scores: tuple[float | None, ...]  # per criterion: the valid score, or None


@dataclass(frozen=True, slots=True)  # slots: a national roll-up holds 180,000 of them
class ScoredPriority:
    name: str
    key: str
    cell: str
    #: One entry per scheme criterion: the valid score, or None (blank, NK, invalid, absent).
    scores: tuple[float | None, ...]
    not_known: int
    typed_total: float | None
    pestelo: str
    notes: str
    #: The partner's confidence in these scores: HIGH, MEDIUM, LOW, or "" when not given.
    confidence: str = ""

    @property
    def total(self) -> float:
        """Sum of this row's valid scores before weights (assess applies the scheme's weights)."""
        return sum(s for s in self.scores if s is not None)


@dataclass(frozen=True)
class Return:
    file: str
    sheet: str
    partner: str
    lead: str
    email: str
    date: dt.date | None
    priorities: tuple[ScoredPriority, ...]
    #: Every matrix row read, with a typed cell (a blank row of the matrix is not kept).
    rows: tuple[ScoreRow, ...] = ()
    partner_named: bool = True
    #: The scheme's criteria and the column letter each was read from (None: no column).
    labels: tuple[str, ...] = ()
    letters: tuple[str | None, ...] = ()

    @property
    def cells(self) -> tuple[ScoreCell, ...]:
        """Every score cell a partner typed, row by row, and what became of it."""
        cells = []
        for row in self.rows:
            number = str(row.number)
            for label, letter, value, status, score in zip(self.labels, self.letters, row.values, row.statuses,
                                                            row.scores):
                if status in "b-":
                    continue
                cells.append(ScoreCell(row.priority, label, letter + number, value, STATUS_OF[status], score,
                                       row.counted and status == "v"))
        return tuple(cells)


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
#: First words of rows that sum or summarise the matrix ("Total", "Average score"): not priorities.
_SUMMARY_WORDS = {"total", "totals", "grand", "average", "averages", "mean", "sum", "subtotal", "median"}
#: ... followed only by words such as these ("Average score", "Total of all priorities").
_SUMMARY_TAILS = {"score", "scores", "of", "all", "the", "row", "per", "criterion", "criteria", "priority",
                  "priorities", "partner", "partners", "value", "values", "out", "for", "each"}
#: A line of the scoring key under a matrix: "0 = none", "5 - very high", "3".
_SCALE_KEY = re.compile(r"^\s*\d{1,2}\s*(?:[=:\-\u2013\u2014]\s*\S.*)?$")
_OTHER_DETAIL_NAMES = {
    "partner": ("partnerorganization", "partner", "agency", "organisation", "organization", "partneragency",
                "nameoforganisation", "nameoforganization", "organisationname", "organizationname",
                "agencyname", "nameofagency", "partnername", "partnerorganisationname"),
    "lead": ("completedby", "lead", "name", "scoredby"),
    "email": ("emailaddress", "e-mail"),
    "date": ("date", "completed", "dateofreturn"),
}


def _detail_key(label: str) -> str:
    return re.sub(r"[^0-9a-z-]+", "", label.casefold())


#: field -> the labels (as keys) it is found by: the template's own first.
_METADATA = {field: (_detail_key(label), *_OTHER_DETAIL_NAMES[field]) for field, label in RETURN_DETAILS}


def _header_text(grid: Grid, row: int, col: int) -> Any:
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
    header = [_header_text(grid, header_row, col) for col in range(grid.width)] if grid.merged else grid.rows[header_row]
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
        detail = _detail_key(value).replace("-", "")
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
        chosen = (visible or cols or [None])[0]
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


# ------------------------------------------------------------------------------- scores

def classify_score(value: Any, scale_max: int) -> tuple[str, float | None, str | None]:
    """(status, score, finding code) for one typed score."""
    kind = type(value)
    if kind is float or kind is int:  # the usual case, a plain number: decided here
        number = float(value)
        if number.is_integer() and 0 <= number <= scale_max:
            return VALID, number, None
    if is_blank(value):
        return BLANK, None, None
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return INVALID, None, "score-not-number"
    if isinstance(value, str):
        text = value.strip()
        if is_not_known(text):
            return NOT_KNOWN, None, "score-not-known"
        number = _parse_number_text(text)
        if number is None:
            return INVALID, None, "score-not-number"
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        return INVALID, None, "score-not-number"
    if not math.isfinite(number):
        return INVALID, None, "score-not-number"
    if not number.is_integer():
        return INVALID, None, "score-not-whole"
    if not 0 <= number <= scale_max:
        return INVALID, None, "score-out-of-range"
    return VALID, number, None


_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _parse_number_text(text: str) -> float | None:
    text = text.replace("\u2212", "-").strip()
    return float(text) if _NUMBER_TEXT.match(text) else None


def _is_number_text(value: Any) -> bool:
    return isinstance(value, str) and _parse_number_text(value) is not None


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def score_message(code: str, priority: str, criterion: str, value: Any, scale_max: int) -> str:
    """The message a score finding gives, for the cell's own comment in the template."""
    return Code(code).template.format(priority=priority, criterion=criterion, shown=_shown(value),
                                      scale_max=scale_max)


# ------------------------------------------------------------------------------- parser

def parse_return(grids: Sequence[Grid], scheme: Scheme, file: str) -> tuple[Return | None, list[Finding]]:
    """Read a workbook that holds one partner's return (the first, where it holds several)."""
    returns, findings = parse_returns(grids, scheme, file)
    return (returns[0] if returns else None), findings


def parse_returns(grids: Sequence[Grid], scheme: Scheme, file: str) -> tuple[list[Return], list[Finding]]:
    """Read the partners' returns in one workbook from the grids of its sheets.

    Usually one. A workbook whose scored matrices each name a different partner (a police
    sheet and a council sheet) gives one return per partner. Where one partner scored
    several matrices (a sheet per year), the current one is read, chosen by its period
    against the assessment's; every scored matrix left unread gets a warning."""
    layouts = [layout for layout in (find_layout(g, scheme) for g in grids) if layout]
    if not layouts:
        sheets = ", ".join(f'"{g.sheet}"' for g in grids) or "none"
        return [], [Code.NO_MATRIX_FOUND.finding(file=file, sheets=sheets, example=scheme.labels[0],
                                                 rows=HEADER_SEARCH_ROWS)]
    scored = [layout for layout in layouts if _is_scored(layout, scheme)]
    if len(scored) <= 1:
        layout = scored[0] if scored else max(
            layouts, key=lambda l: (sum(c is not None for c in l.criteria_cols), -grids.index(l.grid)))
        findings: list[Finding] = []
        grid = layout.grid
        others = [l.grid.sheet for l in layouts if l is not layout]
        if others or grid is not grids[0]:
            # Said only when it could surprise: the matrix is not on the first sheet, or
            # several sheets look like one (an empty copy; our template's Guidance is none).
            passed_over = ("; " + ", ".join(f'"{name}"' for name in others) + " also look"
                           + ("s" if len(others) == 1 else "") + " like a matrix and " +
                           ("was" if len(others) == 1 else "were") + " not read") if others else ""
            findings.append(Code.SHEET_CHOSEN.finding(file=file, sheet=grid.sheet, passed_over=passed_over))
        return [_parse_layout(layout, _metadata(grid, layout.header_row), scheme, file, findings)], findings
    metas = [_metadata(l.grid, l.header_row) for l in scored]
    by_partner: dict[str, list[int]] = {}
    for index, meta in enumerate(metas):
        by_partner.setdefault(priority_key(display_name(meta.get("partner") or "")), []).append(index)
    groups = list(by_partner.values()) if len([k for k in by_partner if k]) >= 2 else [list(range(len(scored)))]
    returns, findings = [], []
    for group in groups:
        chosen = _current([scored[i] for i in group], [metas[i] for i in group], scheme, file, findings)
        index = next(i for i in group if scored[i] is chosen)
        returns.append(_parse_layout(chosen, metas[index], scheme, file, findings))
    return returns, findings


def _parse_layout(layout: Layout, meta: dict[str, Any], scheme: Scheme, file: str,
                  findings: list[Finding]) -> Return:
    grid = layout.grid
    findings += _layout_findings(layout, scheme, file)
    partner = display_name(meta.get("partner") or "")
    partner_named = bool(partner)
    if not partner_named:
        partner, source = partner_from_context(file, grid.sheet)
        findings.append(Code.PARTNER_MISSING.finding(file=file, sheet=grid.sheet,
                                                     cell=meta.get("partner_cell", ""), used=partner, source=source))
    priorities, rows, letters = _read_rows(layout, scheme, file, findings)
    return Return(file=file, sheet=grid.sheet, partner=partner, lead=str(meta.get("lead") or "").strip(),
                  email=str(meta.get("email") or "").strip(), date=_as_date(meta.get("date")),
                  priorities=tuple(priorities), rows=tuple(rows), partner_named=partner_named,
                  labels=scheme.labels, letters=tuple(letters))


def _is_scored(layout: Layout, scheme: Scheme) -> bool:
    """Whether any row of the matrix holds a score (an empty copy of the matrix does not)."""
    grid = layout.grid
    for row in range(layout.first_row or layout.header_row + 1, grid.height):
        for col in layout.criteria_cols:
            if col is not None and classify_score(grid.value(row, col), scheme.scale_max)[0] == VALID:
                return True
    return False


#: Words in a sheet's name that say it is the current matrix, or an old one.
_CURRENT_WORDS = ("this year", "current", "latest", "new", "now", "final")
_OLD_WORDS = ("last year", "previous", "old", "prior", "archive", "draft", "copy")
#: "2024-25", "2024/2025", "2024 - 25": a period by the year it starts; or a lone year.
_PERIOD = re.compile(r"\b(20\d\d)\s*[-/\u2013]\s*(?:20)?\d\d\b")
_YEAR = re.compile(r"\b(20\d\d)\b")


def period_start(text: str) -> int | None:
    """The year a period such as "2024-25" (or a lone year, "2024") starts; None if none."""
    match = _PERIOD.search(text) or _YEAR.search(text)
    return int(match.group(1)) if match else None


def _period_text(layout: Layout) -> str:
    """Where a matrix says its period: the sheet's name, then the cells above its header."""
    grid = layout.grid
    texts = [grid.sheet] + [v for r in range(layout.header_row) for v in grid.rows[r] if isinstance(v, str)]
    for text in texts:
        if period_start(text) is not None:
            match = _PERIOD.search(text) or _YEAR.search(text)
            return match.group(0)
    return ""


def _wording(sheet: str) -> int:
    name = sheet.casefold()
    if any(re.search(rf"\b{word}\b", name) for word in _OLD_WORDS):
        return -1
    return 1 if any(re.search(rf"\b{word}\b", name) for word in _CURRENT_WORDS) else 0


def _current(layouts: list[Layout], metas: list[dict[str, Any]], scheme: Scheme, file: str,
             findings: list[Finding]) -> Layout:
    """The one of one partner's scored matrices to read: the assessment's period, else the
    latest. Each one left unread gets a matrix-not-read warning saying which was read, and why."""
    if len(layouts) == 1:
        return layouts[0]
    periods = [_period_text(l) for l in layouts]
    starts = [period_start(p) if p else None for p in periods]
    dates = [_as_date(m.get("date")) for m in metas]
    wanted = period_start(scheme.period) if scheme.period else None
    matching = [i for i, start in enumerate(starts) if wanted is not None and start == wanted]
    if len(matching) == 1:
        chosen = matching[0]
        reason = (f'sheet "{layouts[chosen].grid.sheet}" was read, because its period ({periods[chosen]}) is '
                  f"the assessment's ({scheme.period}).")
    else:
        order = [(starts[i] if starts[i] is not None else -1, dates[i] or dt.date.min, _wording(l.grid.sheet))
                 for i, l in enumerate(layouts)]
        chosen = max(range(len(layouts)), key=lambda i: (order[i], -i))
        sheet = layouts[chosen].grid.sheet
        if starts[chosen] is not None and len(set(starts)) > 1:
            basis = f"because its period ({periods[chosen]}) is the later one"
        elif dates[chosen] and len(set(dates)) > 1:
            basis = f"because it is dated later ({dates[chosen]:%d/%m/%Y})"
        elif len({o[2] for o in order}) > 1:
            basis = ("because its name says it is the current one" if order[chosen][2] > 0
                     else "because the other's name says it is an earlier one")
        else:
            basis = "as the first of them: nothing in the sheets says which is current"
        ask = (f" The assessment period is {scheme.period}, which no matrix names: check it is the current one."
               if scheme.period else " Check it is the current one; with the assessment period in the "
               'settings (period = "2024-25"), csprisk chooses by it.')
        reason = f'sheet "{sheet}" was read instead, {basis}.{ask}'
    for i, layout in enumerate(layouts):
        if i == chosen:
            continue
        partner = display_name(metas[i].get("partner") or "")
        whose = (f" from {partner}" if partner else "") + (f" for {periods[i]}" if periods[i] else "")
        findings.append(Code.MATRIX_NOT_READ.finding(
            file=file, sheet=layout.grid.sheet, cell=layout.grid.address(layout.header_row, 0),
            whose=whose, why=reason))
    return layouts[chosen]


def _layout_findings(layout: Layout, scheme: Scheme, file: str) -> list[Finding]:
    grid, findings = layout.grid, []
    missing = [label for label, col in zip(scheme.labels, layout.criteria_cols) if col is None]
    if missing:
        listed = "; ".join(f'"{m}"' for m in missing)
        findings.append(Code.MISSING_CRITERION.finding(
            file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, 0), value="; ".join(missing),
            listed=listed))
    for col in layout.unknown_cols:
        label = grid.value(layout.header_row, col)
        findings.append(Code.UNKNOWN_COLUMN.finding(
            file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, col), value=label,
            label=_shown(label)))
    for col, instead in layout.hidden_cols:
        label = _header_text(grid, layout.header_row, col)
        where = dict(file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, col), value=label,
                     label=_shown(label))
        if instead is None:
            findings.append(Code.HIDDEN_COLUMN_READ.finding(**where))
        else:
            findings.append(Code.HIDDEN_COLUMN_SKIPPED.finding(**where, visible=column_letter(grid.left + instead)))
    return findings


def _metadata(grid: Grid, header_row: int) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for row in range(header_row):
        line = grid.rows[row]
        for col, value in enumerate(line):
            if not isinstance(value, str) or not value.strip():
                continue
            text = value.strip()
            label, _, inline = text.partition(":")
            key = _detail_key(label)
            for field, names in _METADATA.items():
                if field in meta or key not in names:
                    continue
                found = inline.strip() or _next_value(line, col)
                cell = grid.address(row, col + 1 if not inline.strip() else col)
                if field == "partner":
                    meta["partner_cell"] = cell
                if not is_blank(found):
                    meta[field] = found
                break
    return meta


def _next_value(line: Sequence[Any], col: int) -> Any:
    for value in line[col + 1: col + 4]:
        if not is_blank(value):
            return value
    return None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None


def _read_rows(layout: Layout, scheme: Scheme, file: str,
               findings: list[Finding]) -> tuple[list[ScoredPriority], list[ScoreRow], list[str | None]]:
    grid, sheet = layout.grid, layout.grid.sheet
    priorities: list[ScoredPriority] = []
    rows: list[ScoreRow] = []
    first_row_of: dict[str, int] = {}
    labels, weights, scale_max = scheme.labels, scheme.weights, scheme.scale_max
    # Column letters once per layout, not once per cell.
    letters = [None if col is None else column_letter(grid.left + col) for col in layout.criteria_cols]
    # A plain whole-number score in range is by far the usual cell: decided without a call.
    valid_scores = frozenset(range(scale_max + 1))
    floats = {n: float(n) for n in range(scale_max + 1)}  # one float object per score, shared
    columns = layout.criteria_cols
    first = layout.first_row or layout.header_row + 1
    # What the file says beyond values, looked at only where it has something to say.
    hidden = grid.hidden_rows and {r for r in range(first, grid.height) if grid.is_hidden_row(r)}
    visible_row_of = _visible_rows(layout, first, hidden) if hidden else {}
    marked = bool(grid.errors or grid.percent)
    for row in range(first, grid.height):
        line = grid.rows[row]
        width = len(line)
        raw = [line[col] if col is not None and 0 <= col < width and line[col] != "" else None
               for col in columns]  # as grid.value gives them
        errors = [grid.error(row, col) if col is not None else None for col in columns] if grid.errors else None
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw) and not (errors and any(errors)):
            continue  # not a priority: a spare row, a blank line or a note below the matrix
        if grid.table_totals and grid.top + row in grid.table_totals:
            continue  # an Excel Table's totals row
        name_value = grid.value(row, layout.priority_col)
        name = display_name(_shown(name_value)) if not is_blank(name_value) else ""
        name_cell = grid.address(row, layout.priority_col)
        key = priority_key(name)
        if _is_summary_name(name):
            continue  # a totals or averages line under the matrix, or a line of the scoring key
        if not key and not any(classify_score(v, scale_max)[0] in (VALID, NOT_KNOWN) for v in raw):
            continue  # a note or key below the matrix, with no name and nothing score-like
        if hidden and row in hidden and key:
            visible = visible_row_of.get(key)
            if visible is not None:
                findings.append(Code.HIDDEN_ROW_SKIPPED.finding(
                    file=file, sheet=sheet, cell=name_cell, value=name, row=row + grid.top + 1, priority=name,
                    visible=visible + grid.top + 1))
                continue
            findings.append(Code.HIDDEN_ROW_READ.finding(file=file, sheet=sheet, cell=name_cell, value=name,
                                                         row=row + grid.top + 1, priority=name))
        label = name or f"Row {row + grid.top + 1}"
        counted = bool(key)
        if not key:
            findings.append(Code.PRIORITY_MISSING.finding(file=file, sheet=sheet, cell=name_cell,
                                                          row=row + grid.top + 1))
        elif key in first_row_of:
            counted = False
            findings.append(Code.DUPLICATE_PRIORITY.finding(
                file=file, sheet=sheet, cell=name_cell, value=name, priority=name,
                first=first_row_of[key] + 1, row=row + grid.top + 1))
        else:
            first_row_of[key] = row + grid.top
        scores: list[float | None] = []
        typed: list = []
        statuses: list[str] = []
        not_known = 0
        row_findings: list[Finding] = []
        invalid = False
        number = str(row + grid.top + 1)
        for criterion, letter, value in zip(labels, letters, raw):
            if letter is None:
                scores.append(None)
                typed.append(None)
                statuses.append("-")
                continue
            if (type(value) is float or type(value) is int) and value in valid_scores:
                status, score, code = VALID, floats[value], None
                if type(value) is float and (value or math.copysign(1.0, value) > 0):
                    value = score  # the same number (not -0.0): one float object, shared
                if not marked:  # the usual cell, a whole number in range: nothing to say about it
                    scores.append(score)
                    typed.append(value)
                    statuses.append("v")
                    continue
            else:
                status, score, code = classify_score(value, scale_max)
                if score is not None:
                    score = floats.get(score, score)
            cell = letter + number
            if marked:
                col = columns[len(scores)]
                error = errors[len(scores)] if errors else None
                if error:
                    status, score, code, value = INVALID, None, None, error
                    row_findings.append(Code.SCORE_ERROR.finding(
                        file=file, sheet=sheet, cell=cell, value=error, priority=label, criterion=criterion,
                        error=error, scale_max=scale_max))
                elif grid.is_percent(row, col) and isinstance(value, (int, float)) and not isinstance(value, bool):
                    status, score, code = INVALID, None, None
                    row_findings.append(Code.SCORE_PERCENT.finding(
                        file=file, sheet=sheet, cell=cell, value=value, priority=label, criterion=criterion,
                        shown=_shown(value), percent=f"{value * 100:g}%", scale_max=scale_max))
            if status == BLANK:
                code = "score-missing"
            if code:
                row_findings.append(Code(code).finding(
                    file=file, sheet=sheet, cell=cell, value=value, priority=label, criterion=criterion,
                    shown=_shown(value), scale_max=scale_max))
            invalid |= status == INVALID
            not_known += status == NOT_KNOWN
            scores.append(score)
            typed.append(None if status == BLANK else value)
            statuses.append(STATUS_LETTER[status])
        if counted and not invalid and not any(s is not None for s in scores):
            counted = False  # every criterion NK or blank: no score, not a 0 out of 80
            row_findings = [f for f in row_findings if f.code != "score-missing"]
            row_findings.append(Code.PRIORITY_NOT_SCORED.finding(
                file=file, sheet=sheet, cell=name_cell, value=name, priority=name,
                max_total=format_number(scheme.max_total)))
        findings += row_findings
        scores_row = tuple(scores)
        if any(s != "b" and s != "-" for s in statuses):
            # Typed exactly as scored (whole numbers stored as such, blanks): one tuple for both.
            values = scores_row if all(a is b for a, b in zip(typed, scores_row)) else tuple(typed)
            rows.append(ScoreRow(label, row + grid.top + 1, counted, values, "".join(statuses), scores_row))
        weighted = tuple(None if s is None else s * w for s, w in zip(scores, weights))
        typed_total = _typed_total(layout, row)
        computed = sum(s for s in weighted if s is not None)
        formula = layout.total_col is not None and grid.is_formula(row, layout.total_col)
        # A formula's SUM skips text, so it only cross-checks rows of plain numbers; a
        # typed total is the partner's own claim and is checked whenever the scores are valid.
        comparable = typed_total is not None and not invalid and (not formula or all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw if not is_blank(v)))
        if comparable and abs(typed_total - computed) > 1e-9:
            what = "the TOTAL formula gives" if formula else "the typed total is"
            fix = ("check the formula adds up exactly the criteria cells of this row" if formula
                   else "correct the total or the scores")
            findings.append(Code.TOTAL_MISMATCH.finding(
                file=file, sheet=sheet, cell=grid.address(row, layout.total_col), value=typed_total,
                priority=label, what=what, typed=format_number(typed_total),
                computed=format_number(computed), fix=fix))
        confidence = ""
        if layout.confidence_col is not None:
            typed = grid.value(row, layout.confidence_col)
            confidence = confidence_level(typed)
            if confidence is None:
                confidence = ""
                if counted:
                    findings.append(Code.CONFIDENCE_NOT_VALID.finding(
                        file=file, sheet=sheet, cell=grid.address(row, layout.confidence_col), value=typed,
                        priority=label, shown=_shown(typed)))
        if counted:
            priorities.append(ScoredPriority(
                name=name, key=key, cell=name_cell, scores=scores_row, not_known=not_known,
                typed_total=typed_total,
                pestelo=_text(grid.value(row, layout.pestelo_col)) if layout.pestelo_col is not None else "",
                notes=_text(grid.value(row, layout.notes_col)) if layout.notes_col is not None else "",
                confidence=confidence))
    return priorities, rows, letters


def _visible_rows(layout: Layout, first: int, hidden: set[int]) -> dict[str, int]:
    """priority key -> the first visible row that names it."""
    grid, rows = layout.grid, {}
    for row in range(first, grid.height):
        if row not in hidden:
            value = grid.value(row, layout.priority_col)
            if not is_blank(value):
                rows.setdefault(priority_key(display_name(_shown(value))), row)
    return rows


def _is_summary_name(name: str) -> bool:
    """A row that sums or summarises the matrix ("Total", "Average score", "Grand total"), or
    a line of the scoring key under it ("0 = none", "5"): not a priority."""
    if not name:
        return False
    words = re.findall(r"[a-z]+", name.casefold())
    if words and words[0] in _SUMMARY_WORDS and set(words[1:]) <= _SUMMARY_WORDS | _SUMMARY_TAILS:
        return True
    return bool(_SCALE_KEY.match(name))


#: What may be typed for each confidence level (compared casefolded): the word, its
#: initial, or the number the template's validation also accepts.
_CONFIDENCE_WORDS = {HIGH: ("high", "h", "3"), MEDIUM: ("medium", "med", "m", "2"), LOW: ("low", "l", "1")}
_CONFIDENCE = {spelling: level for level, spellings in _CONFIDENCE_WORDS.items() for spelling in spellings}


def confidence_level(value: Any) -> str | None:
    """HIGH, MEDIUM or LOW for what a partner typed in the Confidence column; "" for a blank
    (not given); None for anything else."""
    if is_blank(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _CONFIDENCE.get(format_number(value)) if math.isfinite(value) else None
    return _CONFIDENCE.get(str(value).strip().casefold())


def _typed_total(layout: Layout, row: int) -> float | None:
    if layout.total_col is None:
        return None
    value = layout.grid.value(row, layout.total_col)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        return _parse_number_text(value)
    return None


def _text(value: Any) -> str:
    return "" if is_blank(value) else _shown(value)
