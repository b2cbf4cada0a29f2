"""The OOXML fast path: an ordinary sheet part vouched for by C-speed byte patterns.

expat still checks the part is well-formed (with DTDs refused) without calling Python per
element; the patterns bound the sheet's reach from every cell's and row's reference and
collect its facts. Anything the patterns cannot vouch for goes to the exact expat scan
(ooxml._OoxmlExtent), and tests/test_hostile.py proves the two agree.
"""

from __future__ import annotations

import re

from csprisk.grid import SheetFacts, column_index
from csprisk.read.preflight.facts import (
    add_error,
    add_formula,
    add_hidden_cols,
    add_hidden_row,
    add_merged_ref,
    add_percent,
)
from csprisk.read.preflight.limits import MAX_FACT_CELLS, sheet_cell_limit
from csprisk.read.preflight.xmlscan import Blocks, WellFormed, parse

#: Every cell and row start tag, with its reference when that is the plain first attribute.
_FAST_CELL = re.compile(rb'<c[\s/>](?:r="([A-Z]{1,7})([0-9]{1,10})")?')
_FAST_ROW = re.compile(rb'<row[\s/>](?:r="([0-9]{1,10})")?')
_FAST_FORMULA_TAG = re.compile(rb"<f[\s/>]")
_FAST_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,7})([0-9]{1,10})"[^>]*>\s*<f[\s/>]')
_FAST_PREFIXED = re.compile(rb"</?[^\s/>!?]+:(?:c|row|v|is|f)[\s/>]")
#: What any match of _FAST_PREFIXED holds, found far quicker (a literal first byte): only
#: a sheet that has it is searched with the full pattern.
_FAST_PREFIXED_HINT = re.compile(rb":(?:c|row|v|is|f)[\s/>]")


def _column(letters: bytes) -> int:
    return column_index(letters.decode("ascii"))


def fast_ooxml_extent(data: bytes, label: str, part: str, facts: SheetFacts,
                      percent_styles: frozenset[int] = frozenset()) -> bool:
    """True when a sheet part is vouched for without calling Python per element (its facts
    then collected into `facts`). False when the XML is unusual in any way the patterns
    cannot vouch for (comments, CDATA, processing instructions, prefixed cell elements, a
    cell or row without a plain reference first, a formula not opening its cell) or when the
    bound is over the limit: the exact expat scan then decides."""
    if b"<!" in data or data.count(b"<?") > data.startswith(b"<?xml"):
        return False
    if _FAST_PREFIXED_HINT.search(data) and _FAST_PREFIXED.search(data):
        return False
    cells = _FAST_CELL.findall(data)
    letters, numbers = zip(*cells, strict=True) if cells else ((), ())
    rows = _FAST_ROW.findall(data)
    formula_cells = _FAST_FORMULA_CELL.findall(data)
    if b"" in letters or b"" in rows or len(formula_cells) != len(_FAST_FORMULA_TAG.findall(data)):
        return False
    # An upper bound on what the exact scan would measure: every position it can reach
    # comes from some cell's or row's reference, all of which are counted here.
    reach_cols = max(map(_column, set(letters)), default=-1) + 1
    reach_rows = max(max(map(int, rows), default=0), max(map(int, numbers), default=0))
    if reach_rows * reach_cols > sheet_cell_limit():
        return False
    parse(Blocks(data), label, WellFormed(), part)
    for column, row in formula_cells:
        if len(facts.formulas) >= MAX_FACT_CELLS:
            break
        add_formula(facts, int(row) - 1, _column(column))
    _fast_sheet_facts(data, facts, percent_styles)
    return True


_FAST_HIDDEN_ROW = re.compile(rb'<row\b[^>]*\shidden="(?:1|true)"[^>]*>')
_FAST_COL = re.compile(rb"<col\b[^>]*>")
_FAST_MERGE = re.compile(rb'<mergeCell\b[^>]*\sref="([^"]+)"')
_FAST_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,7})([0-9]{1,10})"[^>]*?\st="e"[^>]*>(.*?)</c>', re.DOTALL)
_FAST_STYLED_CELL = re.compile(rb'<c r="([A-Z]{1,7})([0-9]{1,10})"[^>]*?\ss="(\d+)"')
_ATTR = re.compile(rb'\s([\w:]+)="([^"]*)"')


def _fast_sheet_facts(data: bytes, facts: SheetFacts, percent_styles: frozenset[int]) -> None:
    """Hidden rows and columns, merged ranges, error and percentage cells, by byte patterns
    over a sheet part the fast scan has vouched for (every cell and row has a plain reference)."""
    for tag in _FAST_HIDDEN_ROW.findall(data):
        attrs = dict(_ATTR.findall(tag))
        add_hidden_row(facts, attrs.get(b"r", b"").decode(), attrs.get(b"outlineLevel", b"").decode())
    if b"<col" in data:
        for tag in _FAST_COL.findall(data):
            add_hidden_cols(facts, {k.decode(): v.decode() for k, v in _ATTR.findall(tag)})
    if b"<mergeCell" in data:
        for ref in _FAST_MERGE.findall(data):
            add_merged_ref(facts, ref.decode("ascii", "replace"))
    if b't="e"' in data:
        for letters, row, inner in _FAST_ERROR_CELL.findall(data):
            value = re.search(rb"<v>([^<]*)</v>", inner)
            if value:
                add_error(facts, int(row) - 1, _column(letters), value.group(1).decode("utf-8", "replace").strip())
    if percent_styles:
        for letters, row, style in _FAST_STYLED_CELL.findall(data):
            if int(style) in percent_styles:
                add_percent(facts, int(row) - 1, _column(letters))
