"""Grid -> parsed return (partner, priorities, scores) + findings.

The parser finds the matrix by its criteria labels, so it reads our template and the
familiar hand-made layouts alike. It never raises on what a partner typed: every problem
becomes a `Finding`, and every cell a partner typed is kept as a `ScoreCell`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, NamedTuple, Sequence

from csprisk.findings import Code, Finding
from csprisk.grid import Grid, column_letter, is_blank
from csprisk.scheme import (NOTES_LABEL, PESTELO_LABEL, RETURN_DETAILS, Scheme, criterion_key, display_name, format_number,
                            is_not_known, priority_key)

HEADER_SEARCH_ROWS = 30
#: A header row must name at least this share of the scheme's criteria.
MIN_CRITERIA_SHARE = 0.5

VALID, NOT_KNOWN, INVALID, BLANK = "valid", "not known", "invalid", "blank"


class ScoreCell(NamedTuple):
    """One score cell as typed, and what became of it (a named tuple: a merge holds one
    per score of every return)."""

    priority: str
    criterion: str
    cell: str
    value: Any
    status: str  # VALID, NOT_KNOWN, INVALID or BLANK
    score: float | None
    counted: bool


@dataclass(frozen=True)
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
    cells: tuple[ScoreCell, ...]
    partner_named: bool = True


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


# ------------------------------------------------------------------------------ layout

_TOTAL_KEYS = ("total", "totalscore", "score")
_PRIORITY_HEADERS = {"priority", "priorities", "issue", "issues", "riskarea", "riskareas",
                     "candidatepriority", "priorityissue", "area", "theme", "risk"}
_PRIORITY_WORDS = ("priority", "issue", "riskarea", "theme", "crimetype")
#: Names of rows that sum or summarise the matrix: not priorities.
_SUMMARY_ROWS = {"total", "totals", "grandtotal", "average", "averages", "mean", "sum", "subtotal"}
_OTHER_DETAIL_NAMES = {
    "partner": ("partnerorganization", "partner", "agency", "organisation", "organization", "partneragency"),
    "lead": ("completedby", "lead", "name", "scoredby"),
    "email": ("emailaddress", "e-mail"),
    "date": ("date", "completed", "dateofreturn"),
}


def _detail_key(label: str) -> str:
    return re.sub(r"[^0-9a-z-]+", "", label.casefold())


#: field -> the labels (as keys) it is found by: the template's own first.
_METADATA = {field: (_detail_key(label), *_OTHER_DETAIL_NAMES[field]) for field, label in RETURN_DETAILS}


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
    header = grid.rows[header_row]
    criteria_cols: list[int | None] = [None] * len(wanted)
    total_col = pestelo_col = notes_col = priority_col = None
    unknown: list[int] = []
    for col, value in enumerate(header):
        if not isinstance(value, str) or not value.strip():
            continue
        key = criterion_key(value)
        if key in wanted:
            if criteria_cols[wanted[key]] is None:
                criteria_cols[wanted[key]] = col
            continue
        if key.startswith("total") or key in _TOTAL_KEYS:
            total_col = col if total_col is None else total_col
        elif key == criterion_key(PESTELO_LABEL) or key.startswith("pestelo"):
            pestelo_col = col
        elif key.startswith(criterion_key(NOTES_LABEL)) or key in ("comments", "comment"):
            notes_col = col
        elif key in _PRIORITY_HEADERS or any(word in key for word in _PRIORITY_WORDS):
            priority_col = col if priority_col is None else priority_col
        else:
            unknown.append(col)
    first_criterion = min(c for c in criteria_cols if c is not None)
    if priority_col is None or priority_col > first_criterion:
        priority_col = _name_column(grid, header_row, first_criterion)
    unknown = [c for c in unknown if c != priority_col and c > priority_col]
    return Layout(grid, header_row, tuple(criteria_cols), priority_col, total_col,
                  pestelo_col, notes_col, tuple(unknown))


def _name_column(grid: Grid, header_row: int, first_criterion: int) -> int:
    """The first column left of the criteria whose cells below the header hold text
    (a numbering column such as "1", "2" is passed over)."""
    for col in range(0, first_criterion):
        if any(isinstance(grid.value(r, col), str) and not _is_number_text(grid.value(r, col))
               for r in range(header_row + 1, grid.height)):
            return col
    return max(first_criterion - 1, 0)


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
    """Read one partner's return from the grids of its sheets."""
    layouts = [layout for layout in (find_layout(g, scheme) for g in grids) if layout]
    if not layouts:
        sheets = ", ".join(f'"{g.sheet}"' for g in grids) or "none"
        return None, [Code.NO_MATRIX_FOUND.finding(file=file, sheets=sheets, example=scheme.labels[0],
                                                   rows=HEADER_SEARCH_ROWS)]
    layout = max(layouts, key=lambda l: (sum(c is not None for c in l.criteria_cols), -grids.index(l.grid)))
    findings: list[Finding] = []
    grid = layout.grid
    others = [l.grid.sheet for l in layouts if l is not layout]
    if others or grid is not grids[0]:
        # Said only when it could surprise: the matrix is not on the first sheet, or
        # several sheets look like one (our own template's Guidance sheet is no matrix).
        passed_over = ("; " + ", ".join(f'"{name}"' for name in others) + " also look"
                       + ("s" if len(others) == 1 else "") + " like a matrix and " +
                       ("was" if len(others) == 1 else "were") + " not read") if others else ""
        findings.append(Code.SHEET_CHOSEN.finding(file=file, sheet=grid.sheet, passed_over=passed_over))
    findings += _layout_findings(layout, scheme, file)
    meta = _metadata(grid, layout.header_row)
    partner = display_name(meta.get("partner") or "")
    partner_named = bool(partner)
    if not partner_named:
        partner = PurePath(file).stem
        findings.append(Code.PARTNER_MISSING.finding(file=file, sheet=grid.sheet,
                                                     cell=meta.get("partner_cell", ""), used=partner))
    priorities, cells = _read_rows(layout, scheme, file, findings)
    return Return(file=file, sheet=grid.sheet, partner=partner, lead=str(meta.get("lead") or "").strip(),
                  email=str(meta.get("email") or "").strip(), date=_as_date(meta.get("date")),
                  priorities=tuple(priorities), cells=tuple(cells),
                  partner_named=partner_named), findings


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
               findings: list[Finding]) -> tuple[list[ScoredPriority], list[ScoreCell]]:
    grid, sheet = layout.grid, layout.grid.sheet
    priorities: list[ScoredPriority] = []
    cells: list[ScoreCell] = []
    first_row_of: dict[str, int] = {}
    labels, weights, scale_max = scheme.labels, scheme.weights, scheme.scale_max
    # Column letters once per layout, not once per cell.
    letters = [None if col is None else column_letter(grid.left + col) for col in layout.criteria_cols]
    # A plain whole-number score in range is by far the usual cell: decided without a call.
    valid_scores = frozenset(range(scale_max + 1))
    columns = layout.criteria_cols
    for row in range(layout.header_row + 1, grid.height):
        line = grid.rows[row]
        width = len(line)
        raw = [line[col] if col is not None and 0 <= col < width and line[col] != "" else None
               for col in columns]  # as grid.value gives them
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue  # not a priority: a spare row, a blank line or a note below the matrix
        name_value = grid.value(row, layout.priority_col)
        name = display_name(_shown(name_value)) if not is_blank(name_value) else ""
        name_cell = grid.address(row, layout.priority_col)
        key = priority_key(name)
        if key in _SUMMARY_ROWS:
            continue  # a totals or averages line under the matrix
        if not key and not any(classify_score(v, scale_max)[0] in (VALID, NOT_KNOWN) for v in raw):
            continue  # a note or key below the matrix, with no name and nothing score-like
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
        not_known = 0
        row_findings: list[Finding] = []
        invalid = False
        number = str(row + grid.top + 1)
        for criterion, letter, value in zip(labels, letters, raw):
            if letter is None:
                scores.append(None)
                continue
            if (type(value) is float or type(value) is int) and value in valid_scores:
                status, score, code = VALID, float(value), None
            else:
                status, score, code = classify_score(value, scale_max)
            if status == BLANK:
                code = "score-missing"
            cell = letter + number
            if code:
                row_findings.append(Code(code).finding(
                    file=file, sheet=sheet, cell=cell, value=value, priority=label, criterion=criterion,
                    shown=_shown(value), scale_max=scale_max))
            invalid |= status == INVALID
            not_known += status == NOT_KNOWN
            scores.append(score)
            if status != BLANK:
                cells.append(ScoreCell(label, criterion, cell, value, status, score,
                                       counted and status == VALID))
        findings += row_findings
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
        if counted:
            priorities.append(ScoredPriority(
                name=name, key=key, cell=name_cell, scores=tuple(scores), not_known=not_known,
                typed_total=typed_total,
                pestelo=_text(grid.value(row, layout.pestelo_col)) if layout.pestelo_col is not None else "",
                notes=_text(grid.value(row, layout.notes_col)) if layout.notes_col is not None else ""))
    return priorities, cells


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
