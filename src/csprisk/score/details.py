"""What a return says about itself above its matrix: the partner, the lead professional,
the email, the date; and the assessment period it names (in a sheet's name or title lines)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from csprisk.grid import Grid, is_blank
from csprisk.scheme import RETURN_DETAILS
from csprisk.score.layout import detail_key

_OTHER_DETAIL_NAMES = {
    "partner": ("partnerorganization", "partner", "agency", "organisation", "organization", "partneragency",
                "nameoforganisation", "nameoforganization", "organisationname", "organizationname",
                "agencyname", "nameofagency", "partnername", "partnerorganisationname"),
    "lead": ("completedby", "lead", "name", "scoredby"),
    "email": ("emailaddress", "e-mail"),
    "date": ("date", "completed", "dateofreturn"),
}
#: field -> the labels (as keys) it is found by: the template's own first.
_METADATA = {field: (detail_key(label), *_OTHER_DETAIL_NAMES[field]) for field, label in RETURN_DETAILS}


def return_details(grid: Grid, header_row: int, start: int = 0) -> dict[str, Any]:
    """The details typed in rows `start` to `header_row` (exclusive), by their labels: field ->
    value, and "partner_cell", the cell the partner's name was (or should be) typed in."""
    meta: dict[str, Any] = {}
    for row in range(start, header_row):
        line = grid.rows[row]
        for col, value in enumerate(line):
            if not isinstance(value, str) or not value.strip():
                continue
            label, _, inline = value.strip().partition(":")
            key = detail_key(label)
            for field, names in _METADATA.items():
                if field in meta or key not in names:
                    continue
                found = inline.strip() or _next_value(line, col)
                cell = grid.address(row, col + 1 if not inline.strip() else col)
                if field in ("partner", "date"):
                    meta[f"{field}_cell"] = cell
                if not is_blank(found):
                    meta[field] = found
                break
    return meta


def is_partner_label(value: Any) -> bool:
    """Whether a cell is the label of a partner's name ("Partner organisation:", "Agency")."""
    return isinstance(value, str) and detail_key(value.strip().partition(":")[0]) in _METADATA["partner"]


def _next_value(line: Sequence[Any], col: int) -> Any:
    for value in line[col + 1: col + 4]:
        if not is_blank(value):
            return value
    return None


#: "2024-25", "2024/2025", "2024 - 25", "2024 to 2025": a period by the year it starts; or a lone year.
_PERIOD = re.compile(r"\b(20\d\d)\s*(?:[-/\u2013]|to)\s*(?:20)?\d\d\b")
_YEAR = re.compile(r"\b(20\d\d)\b")


def period_start(text: str) -> int | None:
    """The year a period such as "2024-25" (or a lone year, "2024") starts; None if none."""
    match = _PERIOD.search(text) or _YEAR.search(text)
    return int(match.group(1)) if match else None


def period_text(grid: Grid, header_row: int, start: int = 0) -> str:
    """Where a matrix says its period: the sheet's name, then the cells above its header."""
    texts = [grid.sheet] + [v for r in range(start, header_row) for v in grid.rows[r] if isinstance(v, str)]
    for text in texts:
        match = _PERIOD.search(text) or _YEAR.search(text)
        if match:
            return match.group(0)
    return ""


def named_period(text: str) -> tuple[str, int] | None:
    """An assessment period a text names ("Risk matrix 2024-25", "2024/2025"): as written,
    and the year it starts. A date ("2024-03-12", "12/03/2024") names none, nor a span of
    several years ("Police and Crime Plan 2021-2025")."""
    if _DATE_TEXT.search(text):
        return None
    for match in _PERIOD.finditer(text):
        start, end = int(match.group(1)), int(re.split(r"\D+", match.group(0))[-1])
        if end in (start + 1, (start + 1) % 100):  # one year: "2021-2025" is a plan's span, not a period
            return match.group(0), start
    return None


_DATE_TEXT = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b\d{1,2}[-/.]\d{1,2}[-/.]20\d\d\b")
