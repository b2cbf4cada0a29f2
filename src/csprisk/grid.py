"""A sheet as a grid of cell values that remembers where each value came from.

Every source (a file read with calamine or openpyxl, a sheet of the open workbook sent by
xlwings) becomes `Grid`s, and the parser only ever sees grids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

Cell = tuple[int, int]  # (row, col) on the sheet, 0-based from A1


@dataclass
class SheetFacts:
    """What a sheet's file says beyond its cell values, learnt by the pre-flight as it walks
    the sheet (a reader such as calamine gives values only). Every position is on the sheet,
    0-based from A1."""

    #: Cells holding a formula (a formula TOTAL is a cross-check, a typed one the partner's claim).
    formulas: set[Cell] = field(default_factory=set)
    #: Rows and columns hidden by the partner. Those folded into a collapsed outline group
    #: are not hidden: they are the partner's visible structure, only folded.
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    #: Merged ranges as (top, left, bottom, right), inclusive.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: Number cells shown as a percentage (100% is stored as 1).
    percent: set[Cell] = field(default_factory=set)
    #: Cells holding an error value, with its text ("#REF!").
    errors: dict[Cell, str] = field(default_factory=dict)
    #: Rows that are an Excel Table's totals row.
    table_totals: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Grid:
    """Cell values of one sheet; `rows[0][0]` is the cell at (`top`, `left`), 0-based.

    Where the source can tell (files, through the pre-flight), `facts` says which cells hold
    formulas, errors or percentages, which rows and columns are hidden, the merged ranges and
    an Excel Table's totals rows; all on the sheet, 0-based from A1. The query methods take
    grid-relative positions."""

    file: str
    sheet: str
    rows: Sequence[Sequence[Any]]
    top: int = 0
    left: int = 0
    facts: SheetFacts = field(default_factory=SheetFacts)

    @property
    def merged(self) -> list[tuple[int, int, int, int]]:
        return self.facts.merged

    @property
    def hidden_rows(self) -> set[int]:
        return self.facts.hidden_rows

    @property
    def errors(self) -> dict[Cell, str]:
        return self.facts.errors

    @property
    def percent(self) -> set[Cell]:
        return self.facts.percent

    @property
    def table_totals(self) -> set[int]:
        return self.facts.table_totals

    def is_formula(self, row: int, col: int) -> bool:
        return (self.top + row, self.left + col) in self.facts.formulas

    def is_hidden_row(self, row: int) -> bool:
        return self.top + row in self.facts.hidden_rows

    def is_hidden_col(self, col: int) -> bool:
        return self.left + col in self.facts.hidden_cols

    def error(self, row: int, col: int) -> str | None:
        """The error value ("#REF!") in a grid-relative cell, or None."""
        errors = self.facts.errors
        return errors.get((self.top + row, self.left + col)) if errors else None

    def is_percent(self, row: int, col: int) -> bool:
        return (self.top + row, self.left + col) in self.facts.percent

    def merged_range(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        """The grid-relative merged range (top, left, bottom, right) a cell lies in, or None."""
        r, c = self.top + row, self.left + col
        for top, left, bottom, right in self.facts.merged:
            if top <= r <= bottom and left <= c <= right:
                return top - self.top, left - self.left, bottom - self.top, right - self.left
        return None

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

    def row_name(self, row: int) -> str:
        """How the sheet names the grid's row `row`: "7" (a turned grid's: "G")."""
        return str(self.top + row + 1)

    def column_name(self, col: int) -> str:
        """How the sheet names the grid's column `col`: "G" (a turned grid's: "7")."""
        return column_letter(self.left + col)

    @property
    def is_turned(self) -> bool:
        """Whether the grid's rows are the sheet's columns (`turned`)."""
        return False

    def turned(self) -> Grid:
        """The sheet read the other way round: the grid's rows are the sheet's columns, for a
        matrix with its criteria down a column and its priorities across a row. Every
        position still maps to the real cell on the sheet: `address(row, col)` is the sheet's
        cell, and the facts are turned with it (a hidden column is a hidden row of the turned
        grid, a merged range is turned). An Excel Table's totals row is not a totals line of
        the turned grid, so it has none."""
        facts = self.facts
        swap = _swapped
        turned = SheetFacts(
            formulas={swap(c) for c in facts.formulas}, hidden_rows=set(facts.hidden_cols),
            hidden_cols=set(facts.hidden_rows), merged=[(lf, t, r, b) for t, lf, b, r in facts.merged],
            percent={swap(c) for c in facts.percent}, errors={swap(c): e for c, e in facts.errors.items()})
        return TurnedGrid(self.file, self.sheet, [list(column) for column in zip_longest(*self.rows)],
                          top=self.left, left=self.top, facts=turned, sheet_grid=self)


def _swapped(cell: Cell) -> Cell:
    return cell[1], cell[0]


@dataclass(frozen=True)
class TurnedGrid(Grid):
    """A sheet read turned (`Grid.turned`): its `top`, `left` and facts are the sheet's with
    rows and columns swapped, so every grid-relative query is the same as a grid's; only
    the names it gives a place by (`address`, `row_name`, `column_name`) turn back."""

    sheet_grid: Grid | None = None

    def address(self, row: int, col: int) -> str:
        return cell_address(self.left + col, self.top + row)

    def row_name(self, row: int) -> str:
        return column_letter(self.top + row)

    def column_name(self, col: int) -> str:
        return str(self.left + col + 1)

    @property
    def is_turned(self) -> bool:
        return True

    def turned(self) -> Grid:
        return self.sheet_grid if self.sheet_grid is not None else super().turned()


def column_letter(col: int) -> str:
    """0-based column index to letters: 0 -> A, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """Column letters to a 0-based index: A -> 0, AA -> 26 (case ignored)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def cell_address(row: int, col: int) -> str:
    return f"{column_letter(col)}{row + 1}"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
