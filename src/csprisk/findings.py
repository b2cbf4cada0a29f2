"""Findings are data: every problem in a return is collected, never raised.

Each code has one severity and a short title; the message is written by the check that
found the problem, in words a partner can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

#: code -> (severity, title)
CODES: dict[str, tuple[str, str]] = {
    "score-out-of-range": (ERROR, "Score outside the scale"),
    "score-not-whole": (ERROR, "Score is not a whole number"),
    "score-not-number": (ERROR, "Score is not a number"),
    "score-missing": (WARNING, "Score left blank"),
    "score-not-known": (INFO, "Score marked not known"),
    "total-mismatch": (WARNING, "Typed total does not add up"),
    "duplicate-priority": (ERROR, "Priority scored twice in one return"),
    "partner-missing": (WARNING, "Partner name missing"),
    "priority-missing": (ERROR, "Scores without a priority name"),
    "file-corrupt": (ERROR, "File cannot be read"),
    "file-empty": (ERROR, "File is empty"),
    "file-not-excel": (ERROR, "File is not a spreadsheet"),
    "file-encrypted": (ERROR, "File is password-protected"),
    "file-too-large": (ERROR, "File is too large to open safely"),
    "missing-criterion": (ERROR, "Criterion column missing"),
    "no-matrix-found": (ERROR, "No risk matrix found"),
    "unknown-column": (INFO, "Column not recognised"),
    "sheet-chosen": (INFO, "Sheet used for the matrix"),
    "similar-priority": (WARNING, "Priority name resembles another"),
    "duplicate-return": (WARNING, "Same partner in two files"),
    "no-scores": (WARNING, "Return has no scores"),
    #: Not reported: a workbook csprisk wrote itself is skipped with this as its reason.
    "not-a-return": (INFO, "Workbook csprisk wrote, not a return"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    file: str
    sheet: str
    cell: str
    value: Any
    message: str
    #: For a file that could not be used: what is wrong with it, without advice for a
    #: partner, so that a side file (settings, the previous assessment) can say it in its
    #: own words. Not part of the JSON.
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        # Field by field (dataclasses.asdict deep-copies each value, only for it to be replaced).
        return {"code": self.code, "severity": self.severity, "file": self.file, "sheet": self.sheet,
                "cell": self.cell, "value": json_value(self.value), "message": self.message}

    @property
    def title(self) -> str:
        return CODES.get(self.code, (self.severity, self.code))[1]

    @property
    def where(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return ", ".join(parts)


def finding(code: str, message: str, *, file: str = "", sheet: str = "", cell: str = "",
            value: Any = None, problem: str = "") -> Finding:
    severity = CODES[code][0]
    return Finding(code, severity, file, sheet, cell, as_typed(value), message, problem)


def as_typed(value: Any) -> Any:
    """A cell's value as the partner typed it, whatever read it: a number cell holds a double,
    which calamine hands over as 6.0 and openpyxl as 6; a whole number is an int here."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def json_value(value: Any) -> Any:
    """A cell value as JSON can carry it (dates as ISO text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {ERROR: 0, WARNING: 0, INFO: 0}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts


def counts_line(findings: list[Finding]) -> str:
    """"3 errors, 2 warnings, 1 notes": the same words in the terminal, the alert and the Summary."""
    counts = count_by_severity(findings)
    return f"{counts[ERROR]} errors, {counts[WARNING]} warnings, {counts[INFO]} notes"
