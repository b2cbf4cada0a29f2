"""What the parser gives: a partner's return, its scored priorities, and every cell as typed."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from csprisk.grid import column_index, column_letter

_ADDRESS = re.compile(r"([A-Z]+)([0-9]+)")

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
    values: tuple[Any, ...]  # per criterion: the value as typed (an error value as its text), None if blank
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
    #: Read turned on its side: each row of the matrix is a column of the sheet (its `number`
    #: the column's, from 1), and `letters` are the criteria's row numbers on the sheet.
    turned: bool = False

    def address(self, letter: str, number: int) -> str:
        """The sheet's cell of a criterion (its `letters` entry) in the matrix row `number`."""
        return f"{column_letter(number - 1)}{letter}" if self.turned else f"{letter}{number}"

    def place(self, cell: str) -> tuple[int, str]:
        """Where a sheet's cell is in the matrix: its row's `number` and its criterion's
        `letters` entry. "F12" is (12, "F"); turned, "C7" is (3, "7"). (0, "") for no address."""
        found = _ADDRESS.fullmatch(cell)
        if found is None:
            return 0, ""
        letters, digits = found.groups()
        return (column_index(letters) + 1, digits) if self.turned else (int(digits), letters)

    @property
    def cells(self) -> tuple[ScoreCell, ...]:
        """Every score cell a partner typed, row by row, and what became of it."""
        cells = []
        turned = self.turned
        for row in self.rows:
            number = column_letter(row.number - 1) if turned else str(row.number)
            for label, letter, value, status, score in zip(self.labels, self.letters, row.values, row.statuses,
                                                            row.scores, strict=False):
                if status in "b-" or letter is None:
                    continue
                cell = number + letter if turned else letter + number
                cells.append(ScoreCell(row.priority, label, cell, value, STATUS_OF[status], score,
                                       row.counted and status == "v"))
        return tuple(cells)
