"""The matrix's rows, one at a time, through the row checks (after frictionless' checks).

A row of the sheet is first taken as a row of the matrix or passed over (a blank line, a
totals line, a line of the scoring key). Then each check in `ROW_CHECKS` looks at it in
turn, and declares the finding codes it can give. A check may also decide that the row is
not counted (a duplicate, a row with no name, a row with no score) or not read at all (a
hidden copy of a visible row). Last, each check in `MATRIX_CHECKS` looks at the rows read
as a whole (scores picked as worded labels, a return scored on another scale).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from csprisk.findings import Code, Finding
from csprisk.grid import Grid, column_letter, is_blank
from csprisk.scheme import Scheme, criterion_key, display_name, format_number, priority_key
from csprisk.scheme.numbers import number_of
from csprisk.score.cells import classify_score, confidence_level, shown, text, total_of, worded_point
from csprisk.score.layout import MIN_CRITERIA_SHARE, Layout, header_text
from csprisk.score.returns import BLANK, INVALID, NOT_KNOWN, STATUS_LETTER, VALID, ScoredPriority, ScoreRow
from csprisk.words import agree, plural

#: First words of rows that sum or summarise the matrix ("Total", "Average score"): not priorities.
_SUMMARY_WORDS = {"total", "totals", "grand", "average", "averages", "mean", "sum", "subtotal", "median"}
#: ... followed only by words such as these ("Average score", "Total of all priorities").
_SUMMARY_TAILS = {"score", "scores", "of", "all", "the", "row", "per", "criterion", "criteria", "priority",
                  "priorities", "partner", "partners", "value", "values", "out", "for", "each"}
#: A line of the scoring key under a matrix: "0 = none", "5 - very high", "3".
_SCALE_KEY = re.compile(r"^\s*\d{1,2}\s*(?:[=:\-\u2013\u2014]\s*\S.*)?$")


@dataclass
class Matrix:
    """One matrix being read: where it is, and what its rows have said so far."""

    layout: Layout
    scheme: Scheme
    file: str
    #: The column letter of each criterion (None: the matrix has no column for it).
    letters: list[str | None]
    #: Rows the partner hid, and for each priority the first visible row naming it.
    hidden: set[int]
    visible_row_of: dict[str, int]
    #: Whether the file marks cells beyond their values (errors, percentages).
    marked: bool
    #: priority key -> the sheet row (0-based) that first scored it.
    first_row_of: dict[str, int] = field(default_factory=dict)
    #: One float per score, shared by every cell that holds it (a national roll-up holds millions).
    floats: dict[float, float] = field(default_factory=dict)
    #: The scheme's criteria and weights, once per matrix rather than once per row.
    labels: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    max_total: float = 0.0
    #: The matching key of each criterion column's header ("" where it has none).
    header_keys: tuple[str, ...] = ()
    #: Score cells typed as a worded scale point ("3 - Moderate"): how many, and the first.
    worded: int = 0
    first_worded: tuple[str, str] = ("", "")
    #: Read turned on its side (`Grid.turned`): its rows are the sheet's columns.
    turned: bool = False

    @property
    def lines(self) -> dict[str, str]:
        """What the findings call a row of the matrix: a row, or a turned matrix's column."""
        return _COLUMN_WORDS if self.turned else _ROW_WORDS

    def named(self, number: int) -> str:
        """The sheet's name for the matrix row `number` (from 1): "7", or a turned one's "G"."""
        return column_letter(number - 1) if self.turned else str(number)

    @property
    def grid(self) -> Grid:
        return self.layout.grid


_ROW_WORDS, _COLUMN_WORDS = {"line": "row", "Line": "Row"}, {"line": "column", "Line": "Column"}


@dataclass
class Row:
    """One row of the matrix as the checks see it and decide about it."""

    index: int  # in the grid
    number: int  # on the sheet, from 1
    name: str
    key: str
    name_cell: str
    raw: list[Any]  # per criterion: the value as the grid gives it (None where blank or no column)
    errors: list[str | None] | None  # per criterion: the error value it holds, where the file marks any
    counted: bool = True
    skipped: bool = False
    scores: list[float | None] = field(default_factory=list)
    typed: list[Any] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    not_known: int = 0
    invalid: bool = False
    typed_total: float | None = None
    confidence: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The row's name in messages: the priority, or "Row N" for a row without one."""
        return self.name or f"Row {self.number}"


class TurnedRow(Row):
    """A row of a matrix read turned: a column of the sheet."""

    @property
    def label(self) -> str:
        return self.name or f"Column {column_letter(self.number - 1)}"


@dataclass(frozen=True)
class RowCheck:
    """A check of one row, and the codes of the findings it can give."""

    codes: tuple[Code, ...]
    run: Callable[[Matrix, Row], None]


def row_check(*codes: Code) -> Callable[[Callable[[Matrix, Row], None]], RowCheck]:
    def declare(run: Callable[[Matrix, Row], None]) -> RowCheck:
        return RowCheck(codes, run)
    return declare


def read_rows(layout: Layout, scheme: Scheme, file: str,
              findings: list[Finding]) -> tuple[list[ScoredPriority], list[ScoreRow], list[str | None]]:
    """The matrix's scored priorities and every row read, with the column letter of each
    criterion; the findings of every row are added to `findings`."""
    grid = layout.grid
    first = layout.first_row or layout.header_row + 1
    # What the file says beyond values, looked at only where it has something to say.
    hidden = {r for r in range(first, layout.last) if grid.is_hidden_row(r)} if grid.hidden_rows else set()
    matrix = Matrix(layout, scheme, file,
                    letters=[None if col is None else grid.column_name(col) for col in layout.criteria_cols],
                    hidden=hidden, visible_row_of=_visible_rows(layout, first, hidden) if hidden else {},
                    marked=bool(grid.errors or grid.percent),
                    floats={float(n): float(n) for n in range(scheme.scale_max + 1)},
                    labels=scheme.labels, weights=scheme.weights, max_total=scheme.max_total,
                    header_keys=_header_keys(layout), turned=grid.is_turned)
    priorities: list[ScoredPriority] = []
    rows: list[ScoreRow] = []
    for index in range(first, layout.last):
        row = matrix_row(matrix, index)
        if isinstance(row, Finding):
            findings.append(row)  # the header pasted again
        if not isinstance(row, Row):
            continue
        for check in ROW_CHECKS:
            check.run(matrix, row)
            if row.skipped:
                break
        findings += row.findings
        if row.skipped:
            continue
        scores = tuple(row.scores)
        if any(s != "b" and s != "-" for s in row.statuses):
            # Typed exactly as scored (whole numbers stored as such, blanks): one tuple for both.
            values = scores if all(a is b for a, b in zip(row.typed, scores, strict=False)) else tuple(row.typed)
            rows.append(ScoreRow(row.label, row.number, row.counted, values, "".join(row.statuses), scores))
        if row.counted:
            priorities.append(ScoredPriority(
                name=row.name, key=row.key, cell=row.name_cell, scores=scores, not_known=row.not_known,
                typed_total=row.typed_total, pestelo=_text_in(grid, index, layout.pestelo_col),
                notes=_text_in(grid, index, layout.notes_col), confidence=row.confidence))
    for whole in MATRIX_CHECKS:
        findings += whole.run(matrix, rows)
    return priorities, rows, matrix.letters


def _address(matrix: Matrix, letter: str | None, number: int) -> str:
    """The sheet's cell of a criterion's column `letter` in the matrix's row `number`."""
    return f"{column_letter(number - 1)}{letter}" if matrix.turned else f"{letter}{number}"


def matrix_row(matrix: Matrix, index: int) -> Row | Finding | None:
    """The grid's row `index` as a row of the matrix, or None when it is none: a blank line,
    an Excel Table's totals row, a totals or averages line, a note or the scoring key; or
    the note that says it is the header pasted again."""
    layout, grid = matrix.layout, matrix.grid
    line = grid.rows[index]
    width = len(line)
    columns = layout.criteria_cols
    raw = [line[col] if col is not None and 0 <= col < width and line[col] != "" else None
           for col in columns]  # as grid.value gives them
    errors = [grid.error(index, col) if col is not None else None for col in columns] if grid.errors else None
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw) and not (errors and any(errors)):
        return None  # not a priority: a spare row, a blank line or a note below the matrix
    if grid.table_totals and grid.top + index in grid.table_totals:
        return None  # an Excel Table's totals row
    if _repeats_header(matrix, raw):
        return Code.HEADER_REPEATED.finding(file=matrix.file, sheet=grid.sheet, cell=grid.address(index, 0),
                                            row=grid.row_name(index), **matrix.lines)
    name_value = grid.value(index, layout.priority_col)
    typed = display_name(shown(name_value)) if not is_blank(name_value) else ""
    if _is_summary_name(typed):
        return None  # a totals or averages line under the matrix
    name = priority_name(name_value) if typed else ""
    key = priority_key(name)
    key_line = _SCALE_KEY.match(typed)
    if key_line or not key:
        scale_max = matrix.scheme.scale_max
        valid = sum(classify_score(v, scale_max)[0] == VALID for v in raw)
        if key_line and name == typed:
            # A line of the scoring key ("0 = none", "5"), with a few scores as examples at
            # most; a row scored across the matrix under a bare number lacks its name.
            if valid < len(raw) * MIN_CRITERIA_SHARE:
                return None
            name, key = "", ""
        elif key_line and not valid:
            return None  # a numbered line of words with no score: "3 - Moderate risk"
        if not key and not valid and not any(classify_score(v, scale_max)[0] == NOT_KNOWN for v in raw):
            return None  # a note or key below the matrix, with no name and nothing score-like
    make = TurnedRow if matrix.turned else Row
    return make(index, grid.top + index + 1, name, key, grid.address(index, layout.priority_col), raw, errors)


#: A number in front of a priority's name: "1. ", "2) ", "3 - ", "(4) ", "5: ".
_NUMBERING = re.compile(r"^\s*(?:\(\s*[0-9]{1,3}\s*\)\s*|[0-9]{1,3}[.)]\s*|[0-9]{1,3}\s*[-:\u2013\u2014]\s+)"
                        r"(?=[^\W\d_])")


def priority_name(value: Any) -> str:
    """A priority's name as shown: spacing tidied, and without a number in front of it
    ("1. Domestic abuse" is "Domestic abuse"), so it matches the same priority elsewhere."""
    text = shown(value)
    return display_name(_NUMBERING.sub("", text) if text[:1].isdigit() or text[:1] == "(" else text)


def _header_keys(layout: Layout) -> tuple[str, ...]:
    """The matching key of each criterion column's header, "" where the criterion has none."""
    row = layout.header_row
    return tuple("" if col is None else criterion_key(shown(header_text(layout.grid, row, col)))
                 for col in layout.criteria_cols)


def _repeats_header(matrix: Matrix, raw: list[Any]) -> bool:
    """Whether the row holds the criteria labels in their columns: the header pasted again."""
    if not any(type(value) is str for value in raw):
        return False  # a row of scores, the usual row: decided without a lookup
    keys = matrix.header_keys
    labels = sum(1 for value, key in zip(raw, keys, strict=False)
                 if isinstance(value, str) and key and criterion_key(value) == key)
    return labels >= max(1, math.ceil(len(keys) * MIN_CRITERIA_SHARE))


@row_check(Code.HIDDEN_ROW_SKIPPED, Code.HIDDEN_ROW_READ)
def _hidden_row(matrix: Matrix, row: Row) -> None:
    """A hidden row is read only when no visible row names the same priority."""
    if row.index not in matrix.hidden or not row.key:
        return
    grid = matrix.grid
    visible = matrix.visible_row_of.get(row.key)
    if visible is not None:
        row.findings.append(Code.HIDDEN_ROW_SKIPPED.finding(
            file=matrix.file, sheet=grid.sheet, cell=row.name_cell, value=row.name, row=matrix.named(row.number),
            priority=row.name, visible=grid.row_name(visible), **matrix.lines))
        row.skipped = True
    else:
        row.findings.append(Code.HIDDEN_ROW_READ.finding(
            file=matrix.file, sheet=grid.sheet, cell=row.name_cell, value=row.name, row=matrix.named(row.number),
            priority=row.name, **matrix.lines))


@row_check(Code.PRIORITY_MISSING, Code.DUPLICATE_PRIORITY)
def _named_once(matrix: Matrix, row: Row) -> None:
    """A row counts under its name, the first time the name is scored."""
    sheet = matrix.grid.sheet
    if not row.key:
        row.counted = False
        row.findings.append(Code.PRIORITY_MISSING.finding(file=matrix.file, sheet=sheet, cell=row.name_cell,
                                                          row=matrix.named(row.number), **matrix.lines))
    elif row.key in matrix.first_row_of:
        row.counted = False
        row.findings.append(Code.DUPLICATE_PRIORITY.finding(
            file=matrix.file, sheet=sheet, cell=row.name_cell, value=row.name, priority=row.name,
            first=matrix.named(matrix.first_row_of[row.key] + 1), row=matrix.named(row.number), **matrix.lines))
    else:
        matrix.first_row_of[row.key] = row.number - 1


@row_check(Code.SCORE_ERROR, Code.SCORE_PERCENT, Code.SCORE_NOT_NUMBER, Code.SCORE_NOT_WHOLE,
           Code.SCORE_OUT_OF_RANGE, Code.SCORE_NOT_KNOWN, Code.SCORE_MISSING)
def _scores(matrix: Matrix, row: Row) -> None:
    """Each criterion's cell, as `classify_score` takes it (or as an error value or a
    percentage, where the file marks them)."""
    grid, scheme, floats, marked = matrix.grid, matrix.scheme, matrix.floats, matrix.marked
    scale_max = scheme.scale_max
    # A cell's address is its column letter and row number; a turned matrix's row is a
    # column of the sheet, and its criteria's "letters" are the sheet's row numbers.
    before, number = "", str(row.number)
    if matrix.turned:
        before, number = column_letter(row.number - 1), ""
    columns = matrix.layout.criteria_cols
    scores, typed, statuses = row.scores, row.typed, row.statuses
    for i, (criterion, letter, value) in enumerate(zip(matrix.labels, matrix.letters, row.raw, strict=False)):
        col = columns[i]
        if letter is None or col is None:
            scores.append(None)
            typed.append(None)
            statuses.append("-")
            continue
        status, score, code = classify_score(value, scale_max)
        if score is not None:
            if type(value) is str and number_of(value) is None:  # a worded scale point
                matrix.worded += 1
                if matrix.worded == 1:
                    matrix.first_worded = (before + letter + number, value.strip())
            score = floats.get(score, score)
            if type(value) is float and (value or math.copysign(1.0, value) > 0):
                value = score  # the same number (not -0.0): one float object, shared
        if marked:
            cell = before + letter + number
            error = row.errors[i] if row.errors else None
            if error:
                status, score, code, value = INVALID, None, None, error
                row.findings.append(Code.SCORE_ERROR.finding(
                    file=matrix.file, sheet=grid.sheet, cell=cell, value=error, priority=row.label,
                    criterion=criterion, error=error, scale_max=scale_max))
            elif grid.is_percent(row.index, col) and isinstance(value, (int, float)) and not isinstance(value, bool):
                status, score, code = INVALID, None, None
                row.findings.append(Code.SCORE_PERCENT.finding(
                    file=matrix.file, sheet=grid.sheet, cell=cell, value=value, priority=row.label,
                    criterion=criterion, shown=shown(value), percent=f"{value * 100:g}%", scale_max=scale_max))
        if status == BLANK:
            code = Code.SCORE_MISSING
        if code is not None:
            row.findings.append(code.finding(
                file=matrix.file, sheet=grid.sheet, cell=before + letter + number, value=value, priority=row.label,
                criterion=criterion, shown=shown(value), scale_max=scale_max))
        scores.append(score)
        typed.append(None if status == BLANK else value)
        statuses.append(STATUS_LETTER[status])
    row.invalid = "i" in statuses
    row.not_known = statuses.count("n")


@row_check(Code.PRIORITY_NOT_SCORED)
def _scored(matrix: Matrix, row: Row) -> None:
    """A named row whose every criterion is not known or blank gives no score: it is left
    out of the ranking, not ranked as 0 (and its blanks are not each reported); so is a row
    whose every score is invalid."""
    if row.counted and not any(s is not None for s in row.scores):
        row.counted = False
        row.findings[:] = [f for f in row.findings if f.code != Code.SCORE_MISSING]
        why = ("no criterion has a valid score (see the errors in its cells)" if row.invalid else
               "no criterion has a score (each is marked not known or left blank)")
        row.findings.append(Code.PRIORITY_NOT_SCORED.finding(
            file=matrix.file, sheet=matrix.grid.sheet, cell=row.name_cell, value=row.name, priority=row.name,
            why=why, max_total=format_number(matrix.scheme.max_total)))


@row_check(Code.TOTAL_MISMATCH)
def _total_adds_up(matrix: Matrix, row: Row) -> None:
    """A TOTAL the partner typed (or a formula gave) agrees with the scores."""
    layout, grid = matrix.layout, matrix.grid
    if layout.total_col is None:
        return
    row.typed_total = typed_total = total_of(grid.value(row.index, layout.total_col), matrix.max_total)
    weighted = tuple(None if s is None else s * w for s, w in zip(row.scores, matrix.weights, strict=False))
    computed = sum(s for s in weighted if s is not None)
    formula = grid.is_formula(row.index, layout.total_col)
    # A formula's SUM skips text, so it only cross-checks rows of plain numbers; a
    # typed total is the partner's own claim and is checked whenever the scores are valid.
    comparable = typed_total is not None and not row.invalid and (not formula or all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in row.raw if not is_blank(v)))
    if typed_total is not None and comparable and abs(typed_total - computed) > 1e-9:
        what = "the TOTAL formula gives" if formula else "the typed total is"
        fix = ("check the formula adds up exactly the criteria cells of this row" if formula
               else "correct the total or the scores")
        row.findings.append(Code.TOTAL_MISMATCH.finding(
            file=matrix.file, sheet=grid.sheet, cell=grid.address(row.index, layout.total_col), value=typed_total,
            priority=row.label, what=what, typed=format_number(typed_total), computed=format_number(computed),
            fix=fix))


@row_check(Code.CONFIDENCE_NOT_VALID)
def _confidence(matrix: Matrix, row: Row) -> None:
    """The partner's confidence in the row's scores: High, Medium or Low."""
    col = matrix.layout.confidence_col
    if col is None:
        return
    typed = matrix.grid.value(row.index, col)
    level = confidence_level(typed)
    row.confidence = level or ""
    if level is None and row.counted:
        row.findings.append(Code.CONFIDENCE_NOT_VALID.finding(
            file=matrix.file, sheet=matrix.grid.sheet, cell=matrix.grid.address(row.index, col), value=typed,
            priority=row.label, shown=shown(typed)))


#: The checks every row of a matrix goes through, in this order.
ROW_CHECKS = (_hidden_row, _named_once, _scores, _scored, _total_adds_up, _confidence)


@dataclass(frozen=True)
class MatrixCheck:
    """A check of the matrix as a whole, once its rows are read, and the codes it can give."""

    codes: tuple[Code, ...]
    run: Callable[[Matrix, list[ScoreRow]], list[Finding]]


def matrix_check(*codes: Code) -> Callable[[Callable[[Matrix, list[ScoreRow]], list[Finding]]], MatrixCheck]:
    def declare(run: Callable[[Matrix, list[ScoreRow]], list[Finding]]) -> MatrixCheck:
        return MatrixCheck(codes, run)
    return declare


@matrix_check(Code.SCORES_WORDED)
def _worded(matrix: Matrix, rows: list[ScoreRow]) -> list[Finding]:
    """Scores picked from a dropdown of worded scale points ("3 - Moderate") are read as their
    number: said once per return, at the first of them."""
    if not matrix.worded:
        return []
    cell, example = matrix.first_worded
    return [Code.SCORES_WORDED.finding(
        file=matrix.file, sheet=matrix.grid.sheet, cell=cell, value=example, example=example, first=cell,
        count=f"{plural(matrix.worded, 'score')} {agree(matrix.worded, 'was')}")]


#: A return seems scored on another scale when at least this many of its numbers, and at
#: least this share of them, are whole numbers above the scale's top.
OTHER_SCALE_COUNT, OTHER_SCALE_SHARE = 5, 1 / 3


@matrix_check(Code.OTHER_SCALE)
def _other_scale(matrix: Matrix, rows: list[ScoreRow]) -> list[Finding]:
    """Scores all or mostly above the scale (6 to 10 on a 0 to 5 matrix): one warning for
    the return, beside each cell's own error."""
    if not any("i" in row.statuses for row in rows):
        return []  # no score outside the scale, the usual return: said without looking at each
    scale_max = matrix.scheme.scale_max
    numbers = 0
    above: list[tuple[float, str, Any]] = []
    for row in rows:
        for value, status, letter in zip(row.values, row.statuses, matrix.letters, strict=False):
            if status not in "vi":
                continue
            number = number_of(value)
            number = worded_point(value) if number is None else number  # "7 - Very high" on a 0 to 10 list
            if number is None:
                continue
            numbers += 1
            if number > scale_max and number.is_integer():
                above.append((number, _address(matrix, letter, row.number), value))
    if len(above) < OTHER_SCALE_COUNT or len(above) < numbers * OTHER_SCALE_SHARE:
        return []
    _number, cell, value = above[0]
    return [Code.OTHER_SCALE.finding(
        file=matrix.file, sheet=matrix.grid.sheet, cell=cell, value=value, count=len(above), numbers=numbers,
        scale_max=scale_max, low=format_number(min(n for n, _c, _v in above)),
        high=format_number(max(n for n, _c, _v in above)))]


#: The checks of a whole matrix, after its rows.
MATRIX_CHECKS = (_worded, _other_scale)


def _visible_rows(layout: Layout, first: int, hidden: set[int]) -> dict[str, int]:
    """priority key -> the first visible row that names it."""
    grid, rows = layout.grid, dict[str, int]()
    for row in range(first, layout.last):
        if row not in hidden:
            value = grid.value(row, layout.priority_col)
            if not is_blank(value):
                rows.setdefault(priority_key(priority_name(value)), row)
    return rows


def _is_summary_name(name: str) -> bool:
    """A row that sums or summarises the matrix ("Total", "Average score", "Grand total"): not a priority."""
    words = re.findall(r"[a-z]+", name.casefold())
    return bool(words) and words[0] in _SUMMARY_WORDS and set(words[1:]) <= _SUMMARY_WORDS | _SUMMARY_TAILS


def _text_in(grid: Grid, row: int, col: int | None) -> str:
    return text(grid.value(row, col)) if col is not None else ""
