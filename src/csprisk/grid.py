"""A sheet as a grid of cell values that remembers where each value came from.

Every source (a file read with calamine or openpyxl, a sheet of the open workbook sent by
xlwings) becomes `Grid`s, and the parser only ever sees grids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence


@dataclass(frozen=True)
class Grid:
    """Cell values of one sheet; `rows[0][0]` is the cell at (`top`, `left`), 0-based."""

    file: str
    sheet: str
    rows: Sequence[Sequence[Any]]
    top: int = 0
    left: int = 0
    hidden_rows: frozenset[int] = field(default_factory=frozenset)
    #: (row, col) on the sheet, 0-based from A1, of cells holding a formula, where the
    #: source can tell (a formula TOTAL is a cross-check, a typed one is the partner's claim).
    formulas: frozenset[tuple[int, int]] = field(default_factory=frozenset)

    def is_formula(self, row: int, col: int) -> bool:
        return (self.top + row, self.left + col) in self.formulas

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> Any:
        """Value at grid-relative (row, col); None where blank or outside."""
        if 0 <= row < len(self.rows):
            line = self.rows[row]
            if 0 <= col < len(line):
                value = line[col]
                return None if value == "" else value
        return None

    def address(self, row: int, col: int) -> str:
        """A1 address on the sheet of a grid-relative (row, col)."""
        return cell_address(self.top + row, self.left + col)


def column_letter(col: int) -> str:
    """0-based column index to letters: 0 -> A, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_address(row: int, col: int) -> str:
    return f"{column_letter(col)}{row + 1}"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
