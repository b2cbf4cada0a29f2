"""The last assessment: the ranked table of an earlier ranked workbook csprisk wrote.

The earlier workbook is one csprisk wrote (its Summary sheet); only its values are read,
so it may have been opened and saved in Excel or LibreOffice since.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csprisk.findings import Stopped
from csprisk.grid import is_blank
from csprisk.marks import SUMMARY
from csprisk.scheme.numbers import number_of

_RANK = re.compile(r"^=?\s*(\d+)$")


class PreviousError(Stopped, ValueError):
    """The earlier workbook cannot be used; the message says why, for the analyst."""


@dataclass(frozen=True)
class PreviousEntry:
    name: str
    rank: int
    rank_label: str
    total: float


@dataclass(frozen=True)
class PreviousRanking:
    source: str
    entries: tuple[PreviousEntry, ...]
    #: The line under the earlier Summary's title (period and date), shown for context.
    described: str = ""


def read_previous(path: str | Path) -> PreviousRanking:
    """The ranked table on the Summary sheet of a workbook csprisk wrote earlier.

    It is read as returns are: through the pre-flight check, with whichever reader this
    Python has (calamine, or openpyxl inside xlwings Lite without it).
    """
    from csprisk.read.sources import PREVIOUS_ASSESSMENT, WorkbookRefused, read_workbook

    path = Path(path)
    if not path.is_file():
        raise PreviousError(f"The earlier ranked workbook {path} does not exist.")
    try:
        grids = read_workbook(path, PREVIOUS_ASSESSMENT, sheets=[SUMMARY])
    except WorkbookRefused as error:
        raise PreviousError(str(error)) from None
    summary = next((g for g in grids if g.sheet == SUMMARY), None)
    if summary is None:
        raise PreviousError(f"{path.name} has no {SUMMARY} sheet, so it is not a ranked workbook "
                            "written by csprisk. Give the ranked workbook from last time.")
    # Rows as they stand on the sheet from A1 (a reader may start at the first used cell).
    rows: list[list[Any]] = [[] for _ in range(summary.top)] + [[None] * summary.left + list(r) for r in summary.rows]
    return PreviousRanking(str(path), parse_summary(rows, path.name), _described(rows))


def parse_summary(rows: Sequence[Sequence[Any]], name: str = "the workbook") -> tuple[PreviousEntry, ...]:
    """Entries of the ranked table: the rows under the "Rank | Priority | Total" header,
    up to the first blank row."""
    found = _ranked_header(rows)
    if found is None:
        raise PreviousError(f"The {SUMMARY} sheet of {name} has no ranked table (a header row "
                            '"Rank, Priority, Total"). Give a ranked workbook written by csprisk.')
    top, total_col = found
    entries = []
    for row in rows[top + 1:]:
        cells = list(row) + [None] * 3
        if all(is_blank(v) for v in row):
            break
        match = _RANK.match(str(cells[0]).strip().removesuffix(".0"))
        total = number_of(cells[total_col])
        if not match or is_blank(cells[1]) or total is None:
            continue  # a separator or note inside the table
        entries.append(PreviousEntry(str(cells[1]).strip(), int(match.group(1)),
                                     str(cells[0]).strip().removesuffix(".0"), total))
    return tuple(entries)


def _ranked_header(rows: Sequence[Sequence[Any]]) -> tuple[int, int] | None:
    """The ranked table's header row and its Total column, or None."""
    for top, row in enumerate(rows):
        header = [str(v).strip().casefold() for v in row]
        if len(header) >= 3 and header[0] == "rank" and header[1] == "priority":
            total_col = next((i for i, h in enumerate(header) if h.startswith("total")), None)
            if total_col is not None:
                return top, total_col
    return None


def _described(rows: Sequence[Sequence[Any]]) -> str:
    return str(rows[1][0]).strip() if len(rows) > 1 and rows[1] and not is_blank(rows[1][0]) else ""

