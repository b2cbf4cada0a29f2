"""Recording what a sheet's file says beyond its values, each kind capped at MAX_FACT_CELLS.

Shared by the backends (OOXML, ODS, BIFF): positions are on the sheet, 0-based from A1.
"""

from __future__ import annotations

import re

from csprisk.grid import SheetFacts, column_index
from csprisk.read.preflight.limits import MAX_FACT_CELLS

#: A cell reference ("B7", "$AB$12"): column letters, row number.
CELL_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?(\d{1,10})$")

#: Excel's built-in number formats that show a percentage (0%, 0.00%).
BUILTIN_PERCENT = {9, 10}


def is_percent_format(code: str) -> bool:
    """Whether a number format code shows a percentage: a % outside quoted text and escapes."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.replace("&quot;", '"'))
    return "%" in code


def add_formula(facts: SheetFacts, row: int, col: int) -> None:
    if len(facts.formulas) < MAX_FACT_CELLS:
        facts.formulas.add((row, col))


def add_error(facts: SheetFacts, row: int, col: int, text: str) -> None:
    if len(facts.errors) < MAX_FACT_CELLS:
        facts.errors[(row, col)] = text


def add_percent(facts: SheetFacts, row: int, col: int) -> None:
    if len(facts.percent) < MAX_FACT_CELLS:
        facts.percent.add((row, col))


def add_merged(facts: SheetFacts, top: int, left: int, bottom: int, right: int) -> None:
    if len(facts.merged) < MAX_FACT_CELLS:
        facts.merged.append((top, left, bottom, right))


def _outlined(level: str) -> bool:
    return level.strip() not in ("", "0")


def add_hidden_row(facts: SheetFacts, r: str, level: str) -> None:
    """A hidden row (`r` 1-based, as the file says it); one folded into a collapsed outline
    group is not hidden."""
    if r.isdigit() and not _outlined(level) and len(facts.hidden_rows) < MAX_FACT_CELLS:
        facts.hidden_rows.add(int(r) - 1)


def add_hidden_cols(facts: SheetFacts, attrs: dict[str, str]) -> None:
    """Columns an OOXML <col> (or its BIFF equivalent) hides, unless folded in an outline."""
    if attrs.get("hidden") not in ("1", "true") or _outlined(attrs.get("outlineLevel", "")):
        return
    first, last = attrs.get("min", ""), attrs.get("max", "")
    if first.isdigit() and last.isdigit():
        facts.hidden_cols.update(range(int(first) - 1, min(int(last), 16384)))


def add_merged_ref(facts: SheetFacts, ref: str) -> None:
    """A merged range given as "A1:C2"."""
    start, _, end = ref.partition(":")
    a, b = CELL_REF.match(start), CELL_REF.match(end or start)
    if a and b:
        top, left = int(a.group(2)) - 1, column_index(a.group(1))
        bottom, right = int(b.group(2)) - 1, column_index(b.group(1))
        add_merged(facts, min(top, bottom), min(left, right), max(top, bottom), max(left, right))
