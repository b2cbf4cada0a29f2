"""The CSP worksheet functions as plain Python: what RISK_TOTAL and friends compute.

`udfs.py` only converts Excel's arguments and calls these, so everything here is tested
without Excel. Cell values arrive as Excel sends them: numbers as floats, text as str,
blanks as None. Scores follow the same rules and messages as the findings
(`parse.classify_score`, `parse.score_message`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from csprisk.findings import Code
from csprisk.grid import Grid, is_blank
from csprisk.scheme import HIGH, LOW, MEDIUM, PRIORITY_LABEL, Scheme, format_number, stored
from csprisk.scheme.numbers import number_of
from csprisk.score.assess import printed, rank_label
from csprisk.score.parse import BLANK, INVALID, NOT_KNOWN, classify_score, score_message
from csprisk.words import plural

#: The error a function returns instead of a wrong number; xlwings turns it into Excel's #VALUE!.
VALUE_ERROR = "#VALUE!"
OK = "OK"

def help_texts(scheme: Scheme | None = None) -> dict[str, str]:
    """What Excel shows for each function and argument (udfs.py uses these), in the words and
    numbers of the scheme: the scale, the maximum total, the band thresholds, the criteria."""
    scheme = scheme or Scheme()
    top, most = format_number(scheme.scale_max), format_number(scheme.max_total)
    high, medium = format_number(scheme.high_threshold), format_number(scheme.medium_threshold)
    return {
        "scores": f"A row (or range) of scores: whole numbers 0-{top}, NK for not known; blanks are ignored.",
        "risk_total": f"Total of a row of risk-matrix scores, out of {most}. NK and blanks count nothing; "
                      "an invalid score gives #VALUE!.",
        "risk_check": "OK, or one line per problem with a row of scores, in the words the Validation sheet uses.",
        "priority": "Optional: the priority's name, used in the messages.",
        "total": f"A total out of {most}, for example from RISK_TOTAL.",
        "high": f"Optional: the lowest total that is High (default {high}), e.g. a cell on the Settings sheet.",
        "medium": f"Optional: the lowest total that is Medium (default {medium}).",
        "risk_band": f"{HIGH}, {MEDIUM} or {LOW} for a total, with the partnership's band thresholds.",
        "rank_total": "The total to rank.",
        "totals": "All the totals it is ranked among (blanks are left out).",
        "risk_rank": "Rank of a total, highest first; equal totals share a rank, shown as =2 (as in the Summary).",
        "risk_criteria": f"Spills the {len(scheme.criteria)} criteria labels, with each criterion's scoring "
                         "guidance beside it.",
        "matrix": "A range laid out like the matrix: priority names in the first column, then one column per "
                  "criterion; a header row with the criteria labels may be included.",
        "risk_summary": "Spills the ranked summary of a matrix: rank, priority, total, band, not-known count, check.",
    }


#: The help texts of the default scheme: what udfs.py declares to Excel.
HELP = help_texts()


def described(name: str):
    """Give a worksheet function its help text from HELP (put it next to the def, under
    the xlwings decorators, which read the docstring)."""
    def describe(function):
        function.__doc__ = HELP[name]
        return function
    return describe


def flatten(cells: Any) -> list[Any]:
    """A range's values in reading order, whatever shape Excel sent (scalar, row, block)."""
    if not isinstance(cells, (list, tuple)):
        return [cells]
    values: list[Any] = []
    for item in cells:
        values.extend(flatten(item) if isinstance(item, (list, tuple)) else [item])
    return values


def risk_total(scores: Any, scheme: Scheme | None = None) -> float | str:
    """Total of a row of scores, NK and blanks ignored; VALUE_ERROR if any score is invalid.

    Weights apply when the row has one cell per criterion (all weights are 1 by default).
    """
    scheme = scheme or Scheme()
    values = flatten(scores)
    weights = scheme.weights if len(values) == len(scheme.weights) else (1.0,) * len(values)
    total = 0.0
    for value, weight in zip(values, weights, strict=False):
        status, score, _code = classify_score(value, scheme.scale_max)
        if status == INVALID:
            return VALUE_ERROR
        if score is not None:
            total += score * weight
    return total


def risk_check(scores: Any, priority: Any = None, scheme: Scheme | None = None) -> str:
    """"OK", or one line per problem with the row, in the words the findings use.

    Blanks among other scores are reported (score-missing); NK is allowed and not a
    problem. An entirely blank row gives "" (nothing to check).
    """
    scheme = scheme or Scheme()
    values = flatten(scores)
    if all(is_blank(v) for v in values):
        return ""
    name = "This row" if is_blank(priority) else str(priority).strip()
    labels = scheme.labels if len(values) == len(scheme.labels) else tuple(
        f"criterion {i}" for i in range(1, len(values) + 1))
    lines = []
    for label, value in zip(labels, values, strict=False):
        status, _score, code = classify_score(value, scheme.scale_max)
        if status == BLANK:
            code = Code.SCORE_MISSING
        if code and status != NOT_KNOWN:
            lines.append(score_message(code, name, label, value, scheme.scale_max))
    return "\n".join(lines) or OK


def risk_band(total: Any, high: Any = None, medium: Any = None, scheme: Scheme | None = None) -> str:
    """High, Medium or Low for a total; "" for a blank, VALUE_ERROR for anything not a number.

    `high` and `medium` override the scheme's thresholds (a worksheet function cannot read
    the Settings sheet on every runtime, so the analyst may point at those cells instead).
    """
    scheme = scheme or Scheme()
    if is_blank(total):
        return ""
    number = number_of(total)
    high_at = scheme.high_threshold if is_blank(high) else number_of(high)
    medium_at = scheme.medium_threshold if is_blank(medium) else number_of(medium)
    if number is None or high_at is None or medium_at is None or medium_at > high_at:
        return VALUE_ERROR
    # Banded on the total as printed, as the Summary is: 39.96 prints as 40 and is Medium.
    return scheme.with_overrides(high_threshold=high_at, medium_threshold=medium_at).band(printed(number))


def risk_rank(total: Any, totals: Any) -> int | str:
    """Rank of `total` among `totals`, highest first; equal totals share a rank, shown "=2".

    Ranked on the totals as printed (one decimal), as the Summary is: 41.36 and 41.44 both
    print 41.4 and share a rank. Blanks and text among `totals` are left out (a row not
    yet scored has no rank).
    """
    if is_blank(total):
        return ""
    number = number_of(total)
    if number is None:
        return VALUE_ERROR
    others = [n for n in (number_of(v) for v in flatten(totals) if not is_blank(v)) if n is not None]
    mine = printed(number)
    shown = [printed(n) for n in others]
    if mine not in shown:
        shown.append(mine)
    rank = 1 + sum(1 for n in shown if n > mine)
    # A rank alone is a number in the cell (it sorts); a shared one is the Summary's label.
    return rank_label(rank, tied=True) if shown.count(mine) > 1 else rank


def risk_criteria(scheme: Scheme | None = None) -> list[list[str]]:
    """One row per criterion: its label and its scoring guidance."""
    scheme = scheme or Scheme()
    return [[c.label, c.guidance] for c in scheme.criteria]


SUMMARY_HEADER = ("Rank", "Priority", "Total", "Band", "Not known", "Check")


def risk_summary(matrix: Any, scheme: Scheme | None = None) -> list[list[Any]]:
    """The ranked summary of a range laid out like the matrix.

    The range is priority names in its first column and one column per criterion; a
    first row holding the criteria labels is used as the header (then columns may be in
    any order and PESTELO, Notes and TOTAL columns are recognised), otherwise the columns
    are taken in the scheme's order. Ranks, totals and bands are the Summary's.
    """
    from csprisk.read.sources import Source  # the one pipeline, also for a range
    from csprisk.score.merge import merge_sources

    scheme = scheme or Scheme()
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in (matrix or [])]
    if rows and not isinstance(matrix[0], (list, tuple)):
        rows = [list(matrix)]  # a single row arrives 1-D
    if not rows or not _has_header(rows[0], scheme):
        rows = [[PRIORITY_LABEL, *scheme.labels], *rows]
    label = "RISK_SUMMARY"
    result = merge_sources([Source(label, [Grid(label, label, rows)])], scheme)
    total_header = f"Total (out of {format_number(scheme.max_total)})"
    table: list[list[Any]] = [[*SUMMARY_HEADER[:2], total_header, *SUMMARY_HEADER[3:]]]
    problems = _problems_by_priority(result)
    for p in result.assessment.ranking:
        count = problems.get(p.key, 0)
        check = OK if not count else f"{plural(count, 'problem')}: see RISK_CHECK"
        table.append([p.rank if not p.tied else p.rank_label, p.name, stored(p.total), p.band,
                      p.not_known, check])
    if len(table) == 1:
        table.append(["", "No scored priorities in the range", "", "", "", ""])
    return table


def _has_header(row: Sequence[Any], scheme: Scheme) -> bool:
    from csprisk.score.parse import find_layout

    return find_layout(Grid("", "", [list(row)]), scheme) is not None


def _problems_by_priority(result) -> dict[str, int]:
    """Invalid and missing scores per ranked priority (by its key)."""
    from csprisk.scheme import priority_key

    counts: dict[str, int] = {}
    scheme = result.scheme
    for ret in result.assessment.returns:
        invalid: dict[str, int] = {}
        for cell in ret.cells:
            if cell.status == INVALID:
                invalid[cell.priority] = invalid.get(cell.priority, 0) + 1
        for priority in ret.priorities:
            bad = invalid.get(priority.name, 0)
            missing = sum(s is None for s in priority.scores) - priority.not_known - bad
            key = priority_key(scheme.canonical_priority(priority.name) or priority.name)
            counts[key] = counts.get(key, 0) + bad + missing
    return counts

