"""One cell at a time: what a typed score, a confidence, a total or a date is taken to be.

`classify_score` is the one rule for a score cell; the parser, the worksheet functions
(RISK_TOTAL, RISK_CHECK) and the template's own comments all go by it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from csprisk.findings import Code
from csprisk.grid import is_blank
from csprisk.scheme import HIGH, LOW, MEDIUM, format_number, is_not_known
from csprisk.scheme.numbers import number_of
from csprisk.score.returns import BLANK, INVALID, NOT_KNOWN, VALID

_DATES = (dt.date, dt.datetime, dt.time, dt.timedelta)


def classify_score(value: Any, scale_max: int) -> tuple[str, float | None, Code | None]:
    """(status, score, finding code) for one typed score."""
    kind = type(value)
    if kind is float or kind is int:  # the usual case, a plain number: decided here
        if 0 <= value <= scale_max and float(value).is_integer():
            return VALID, float(value), None
    if is_blank(value):
        return BLANK, None, None
    if isinstance(value, str) and is_not_known(value.strip()):
        return NOT_KNOWN, None, Code.SCORE_NOT_KNOWN
    if isinstance(value, _DATES):
        return INVALID, None, Code.SCORE_NOT_NUMBER
    number = number_of(value)
    if number is None:
        worded = worded_score(value, scale_max)
        return (VALID, worded, None) if worded is not None else (INVALID, None, Code.SCORE_NOT_NUMBER)
    if not number.is_integer():
        return INVALID, None, Code.SCORE_NOT_WHOLE
    if not 0 <= number <= scale_max:
        return INVALID, None, Code.SCORE_OUT_OF_RANGE
    return VALID, number, None


#: A scale point picked from a dropdown of worded labels: "3 - Moderate", "4 – High", "0: None".
_WORDED = re.compile(r"^\s*\(?([0-9]{1,2})\s*(?:[-:=\u2010-\u2015\u2212]|[.)]|\)\s*[-:=\u2010-\u2015\u2212]?)\s*"
                     r"[^\W\d_][^\d]*$")


def worded_score(value: Any, scale_max: int) -> float | None:
    """The score a worded label gives: text that is exactly a point of the scale (0 to
    `scale_max`), then a dash, colon, equals sign, full stop or bracket ("3 - ", "3: ", "3. ",
    "(3) "), then words with no figure in them."""
    point = worded_point(value)
    return point if point is not None and point <= scale_max else None


def worded_point(value: Any) -> float | None:
    """The number a worded label starts with ("7 - Very high" is 7), whatever the scale."""
    match = _WORDED.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


def shown(value: Any) -> str:
    """A cell's value as the partner sees it: 3, 2.5, 01/04/2025, the text trimmed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def text(value: Any) -> str:
    """A text column's cell (PESTELO, Notes) as shown; "" for a blank."""
    return "" if is_blank(value) else shown(value)


def score_message(code: Code, priority: str, criterion: str, value: Any, scale_max: int) -> str:
    """The message a score finding gives, for the cell's own comment in the template."""
    return code.template.format(priority=priority, criterion=criterion, shown=shown(value), scale_max=scale_max)


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


#: A total typed with what it is out of: "58/80", "58 / 80", "58 out of 80".
_OUT_OF = re.compile(r"^\s*(\S+)\s*(?:/|out of)\s*(\S+)\s*$", re.IGNORECASE)


def total_of(value: Any, max_total: float) -> float | None:
    """A typed TOTAL as a number ("58/80" is 58 where the matrix is out of 80), or None
    where the cell holds none."""
    if isinstance(value, str):
        match = _OUT_OF.match(value)
        if match and number_of(match.group(2)) == max_total:
            return number_of(match.group(1))
    return number_of(value)


def as_date(value: Any) -> dt.date | None:
    """The date a "Date completed" cell holds, typed as a date or as text (UK order first)."""
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
