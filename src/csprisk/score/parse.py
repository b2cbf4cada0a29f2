"""Grid -> parsed return (partner, priorities, scores) + findings.

The parser finds the matrix by its criteria labels, so it reads our template and the
familiar hand-made layouts alike. It never raises on what a partner typed: every problem
becomes a `Finding`, and every cell a partner typed is kept as a `ScoreCell`.

The rooms: `returns` (what a parse gives), `layout` (where the matrix is, by its header),
`cells` (what one typed cell is taken to be), `rows` (the row checks), `details` (the
partner, lead and period above the matrix); this module chooses which sheets to read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from csprisk.findings import Code, Finding
from csprisk.grid import Grid
from csprisk.scheme import Scheme, display_name, priority_key
from csprisk.score.cells import as_date, classify_score, confidence_level, score_message, shown
from csprisk.score.details import is_partner_label, named_period, period_start, period_text, return_details
from csprisk.score.layout import (
    Layout,
    find_layout,
    header_rows,
    header_text,
    layout_at,
    primary_header,
    unmatched_headers,
)
from csprisk.score.partners import partner_from_context
from csprisk.score.returns import (
    BLANK,
    INVALID,
    NOT_KNOWN,
    STATUS_LETTER,
    STATUS_OF,
    VALID,
    Return,
    ScoreCell,
    ScoredPriority,
    ScoreRow,
)
from csprisk.score.rows import read_rows
from csprisk.words import agree, join_and

__all__ = ["BLANK", "INVALID", "NOT_KNOWN", "STATUS_LETTER", "STATUS_OF", "VALID", "Layout", "Return", "ScoreCell",
           "ScoreRow", "ScoredPriority", "classify_score", "confidence_level", "find_layout", "parse_return",
           "parse_returns", "period_start", "score_message"]

# ------------------------------------------------------------------------------- parser

def parse_return(grids: Sequence[Grid], scheme: Scheme, file: str) -> tuple[Return | None, list[Finding]]:
    """Read a workbook that holds one partner's return (the first, where it holds several)."""
    returns, findings = parse_returns(grids, scheme, file)
    return (returns[0] if returns else None), findings


def parse_returns(grids: Sequence[Grid], scheme: Scheme, file: str) -> tuple[list[Return], list[Finding]]:
    """Read the partners' returns in one workbook from the grids of its sheets.

    Usually one. A workbook whose scored matrices each name a different partner (a police
    sheet and a council sheet) gives one return per partner. Where one partner scored
    several matrices (a sheet per year), the current one is read, chosen by its period
    against the assessment's; every scored matrix left unread gets a warning."""
    layouts = [layout for grid in grids for layout in find_layouts(grid, scheme)]
    if not layouts:
        # A matrix turned on its side (criteria down a column, priorities across a row) is
        # read turned: every place is still the real cell on the sheet.
        layouts = [layout for grid in grids for layout in find_layouts(grid.turned(), scheme)]
    if not layouts:
        sheets = ", ".join(f'"{g.sheet}"' for g in grids) or "none"
        return [], [Code.NO_MATRIX_FOUND.finding(file=file, sheets=sheets, example=scheme.labels[0],
                                                 unmatched=_unmatched(grids, scheme))]
    grids = [lay.grid for lay in layouts] if layouts[0].grid.is_turned else grids
    scored = [layout for layout in layouts if _is_scored(layout, scheme)]
    if len(scored) <= 1:
        layout = scored[0] if scored else max(
            layouts, key=lambda lay: (sum(c is not None for c in lay.criteria_cols), -grids.index(lay.grid)))
        findings: list[Finding] = []
        grid = layout.grid
        others = [lay.grid.sheet for lay in layouts if lay is not layout]
        if others or grid is not grids[0]:
            # Said only when it could surprise: the matrix is not on the first sheet, or
            # several sheets look like one (an empty copy; our template's Guidance is none).
            count, names = len(others), ", ".join(f'"{name}"' for name in others)
            passed_over = (f"; {names} also {agree(count, 'looks')} like a matrix and {agree(count, 'was')} "
                           "not read") if others else ""
            findings.append(Code.SHEET_CHOSEN.finding(file=file, sheet=grid.sheet, passed_over=passed_over))
        meta = return_details(*_details_place(layout))
        return [_parse_layout(layout, meta, scheme, file, findings)], findings
    metas = [return_details(*_details_place(lay)) for lay in scored]
    by_partner: dict[str, list[int]] = {}
    for index, meta in enumerate(metas):
        by_partner.setdefault(priority_key(display_name(meta.get("partner") or "")), []).append(index)
    groups = list(by_partner.values()) if len([k for k in by_partner if k]) >= 2 else [list(range(len(scored)))]
    returns, findings = [], []
    for group in groups:
        chosen = _current([scored[i] for i in group], [metas[i] for i in group], scheme, file, findings)
        index = next(i for i in group if scored[i] is chosen)
        returns.append(_parse_layout(chosen, metas[index], scheme, file, findings))
    return returns, findings


def find_layouts(grid: Grid, scheme: Scheme) -> list[Layout]:
    """The matrices a sheet holds: usually one. A header row with a partner label of its own
    above it ("Partner organisation: Probation"), after another header, starts another
    partner's matrix; a header row with no partner label between is the same matrix's
    header pasted again (or one it was preferred to: the one naming most criteria)."""
    headers = header_rows(grid, scheme)
    if not headers:
        return []
    blocks: list[list[tuple[int, int]]] = [[headers[0]]]
    labels: list[int] = []  # the partner label row that starts each block after the first
    for header in headers[1:]:
        above = blocks[-1][-1][0]
        label = next((r for r in range(above + 1, header[0]) if any(is_partner_label(v) for v in grid.rows[r])), None)
        if label is None:
            blocks[-1].append(header)
        else:
            blocks.append([header])
            labels.append(label)
    layouts: list[Layout] = []
    for block, label in zip(blocks, [None, *labels], strict=True):
        row = primary_header(grid, block)
        if row is None:
            continue
        layout = layout_at(grid, scheme, row)
        if layouts and label is not None:
            # This matrix's part begins after the last row holding anything in the previous
            # one's criteria columns above its partner label (a title line between goes with it).
            previous, top = layouts[-1], label
            while top - 1 > previous.header_row and not any(
                    col is not None and grid.value(top - 1, col) is not None for col in previous.criteria_cols):
                top -= 1
            layouts[-1] = replace(previous, end=top)
            layout = replace(layout, top=top)
        layouts.append(layout)
    return layouts


def _parse_layout(layout: Layout, meta: dict[str, Any], scheme: Scheme, file: str,
                  findings: list[Finding]) -> Return:
    grid = layout.grid
    if grid.is_turned:
        findings.append(_turned_note(layout, file))
    findings += _layout_findings(layout, scheme, file)
    partner = display_name(meta.get("partner") or "")
    partner_named = bool(partner)
    if not partner_named:
        partner, source = partner_from_context(file, grid.sheet)
        findings.append(Code.PARTNER_MISSING.finding(file=file, sheet=grid.sheet,
                                                     cell=meta.get("partner_cell", ""), used=partner, source=source))
    priorities, rows, letters = read_rows(layout, scheme, file, findings)
    findings += _other_period(layout, meta, scheme, file)
    return Return(file=file, sheet=grid.sheet, partner=partner, lead=str(meta.get("lead") or "").strip(),
                  email=str(meta.get("email") or "").strip(), date=as_date(meta.get("date")),
                  priorities=tuple(priorities), rows=tuple(rows), partner_named=partner_named,
                  labels=scheme.labels, letters=tuple(letters), turned=grid.is_turned)


def _is_scored(layout: Layout, scheme: Scheme) -> bool:
    """Whether any row of the matrix holds a score (an empty copy of the matrix does not)."""
    grid = layout.grid
    for row in range(layout.first_row or layout.header_row + 1, layout.last):
        for col in layout.criteria_cols:
            if col is not None and classify_score(grid.value(row, col), scheme.scale_max)[0] == VALID:
                return True
    return False


#: Words in a sheet's name that say it is the current matrix, or an old one.
_CURRENT_WORDS = ("this year", "current", "latest", "new", "now", "final")
_OLD_WORDS = ("last year", "previous", "old", "prior", "archive", "draft", "copy")
def _wording(sheet: str) -> int:
    name = sheet.casefold()
    if any(re.search(rf"\b{word}\b", name) for word in _OLD_WORDS):
        return -1
    return 1 if any(re.search(rf"\b{word}\b", name) for word in _CURRENT_WORDS) else 0


def _current(layouts: list[Layout], metas: list[dict[str, Any]], scheme: Scheme, file: str,
             findings: list[Finding]) -> Layout:
    """The one of one partner's scored matrices to read: the assessment's period, else the
    latest. Each one left unread gets a matrix-not-read warning saying which was read, and why."""
    if len(layouts) == 1:
        return layouts[0]
    periods = [period_text(*_details_place(lay)) for lay in layouts]
    starts = [period_start(p) if p else None for p in periods]
    dates = [as_date(m.get("date")) for m in metas]
    wanted = period_start(scheme.period) if scheme.period else None
    matching = [i for i, start in enumerate(starts) if wanted is not None and start == wanted]
    if len(matching) == 1:
        chosen = matching[0]
        reason = (f'sheet "{layouts[chosen].grid.sheet}" was read, because its period ({periods[chosen]}) is '
                  f"the assessment's ({scheme.period}).")
    else:
        order = [(starts[i] if starts[i] is not None else -1, dates[i] or dt.date.min, _wording(lay.grid.sheet))
                 for i, lay in enumerate(layouts)]
        chosen = max(range(len(layouts)), key=lambda i: (order[i], -i))
        sheet = layouts[chosen].grid.sheet
        if starts[chosen] is not None and len(set(starts)) > 1:
            basis = f"because its period ({periods[chosen]}) is the later one"
        elif dates[chosen] and len(set(dates)) > 1:
            basis = f"because it is dated later ({dates[chosen]:%d/%m/%Y})"
        elif len({o[2] for o in order}) > 1:
            basis = ("because its name says it is the current one" if order[chosen][2] > 0
                     else "because the other's name says it is an earlier one")
        else:
            basis = "as the first of them: nothing in the sheets says which is current"
        ask = (f" The assessment period is {scheme.period}, which no matrix names: check it is the current one."
               if scheme.period else " Check it is the current one; with the assessment period in the "
               'settings (period = "2024-25"), csprisk chooses by it.')
        reason = f'sheet "{sheet}" was read instead, {basis}.{ask}'
    for i, layout in enumerate(layouts):
        if i == chosen:
            continue
        partner = display_name(metas[i].get("partner") or "")
        whose = (f" from {partner}" if partner else "") + (f" for {periods[i]}" if periods[i] else "")
        findings.append(Code.MATRIX_NOT_READ.finding(
            file=file, sheet=layout.grid.sheet, cell=layout.grid.address(layout.header_row, 0),
            whose=whose, why=reason))
    return layouts[chosen]


def _layout_findings(layout: Layout, scheme: Scheme, file: str) -> list[Finding]:
    grid, findings = layout.grid, []
    missing = [label for label, col in zip(scheme.labels, layout.criteria_cols, strict=False) if col is None]
    if missing:
        listed = "; ".join(f'"{m}"' for m in missing)
        labels = [shown(grid.value(layout.header_row, col)) for col in layout.unknown_cols]
        unmatched = (f" The {agree(len(labels), 'header')} {_quoted(labels)} {agree(len(labels), 'matches')} no "
                     "criterion: if one is a criterion above, rename it to the criterion's label, or add it "
                     "to that criterion's aliases in the settings.") if labels else ""
        findings.append(Code.MISSING_CRITERION.finding(
            file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, 0), value="; ".join(missing),
            listed=listed, unmatched=unmatched))
    for col in layout.unknown_cols:
        label = grid.value(layout.header_row, col)
        findings.append(Code.UNKNOWN_COLUMN.finding(
            file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, col), value=label,
            label=shown(label)))
    for col, instead in layout.hidden_cols:
        label = header_text(grid, layout.header_row, col)
        where = dict(file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, col), value=label,
                     label=shown(label), across="row" if grid.is_turned else "column")
        if instead is None:
            findings.append(Code.HIDDEN_COLUMN_READ.finding(**where))
        else:
            findings.append(Code.HIDDEN_COLUMN_SKIPPED.finding(**where, visible=grid.column_name(instead)))
    return findings


def _unmatched(grids: Sequence[Grid], scheme: Scheme) -> str:
    """The headers seen on the sheet that look most like a matrix, that match no criterion."""
    for grid in grids:
        found = unmatched_headers(grid, scheme)
        if found:
            row, labels = found
            return (f' Row {grid.top + row + 1} of sheet "{grid.sheet}" has the headers {_quoted(labels)}, '
                    "which match no criterion: rename them to the criteria labels, or add them as "
                    "criteria's aliases in the settings.")
    return ""


def _quoted(labels: Sequence[str]) -> str:
    return join_and([f'"{label}"' for label in labels])


def _other_period(layout: Layout, meta: dict[str, Any], scheme: Scheme, file: str) -> list[Finding]:
    """A return that names another period than the assessment's (last year's, left among the
    new ones): in its sheet's name or a title line above its header, the first period named
    there; else by the date it was completed, which for the period 2024-25 falls between
    April 2023 and March 2026 (a year before the period, for those who score ahead of it, or in it)."""
    wanted = period_start(scheme.period) if scheme.period else None
    if wanted is None:
        return []
    grid, header_row, top = _details_place(layout)
    places = [("its sheet's name", "", grid.sheet)] + [
        (f"cell {grid.address(r, c)}", grid.address(r, c), v) for r in range(top, header_row)
        for c, v in enumerate(grid.rows[r]) if isinstance(v, str)]
    for where, cell, text in places:
        found = named_period(text)
        if found is None:
            continue
        if found[1] == wanted:
            return []
        return [Code.OTHER_PERIOD.finding(file=file, sheet=grid.sheet, cell=cell, value=text.strip(),
                                          found=f"the period {found[0]}", where=f"in {where}", period=scheme.period)]
    date = as_date(meta.get("date"))
    if date is None or dt.date(wanted - 1, 4, 1) <= date <= dt.date(wanted + 1, 3, 31):
        return []
    return [Code.OTHER_PERIOD.finding(file=file, sheet=grid.sheet, cell=meta.get("date_cell", ""),
                                      value=date, found=f"the date {date:%d/%m/%Y}",
                                      where="as the date it was completed", period=scheme.period)]


def _details_place(layout: Layout) -> tuple[Grid, int, int]:
    """Where a matrix's details (partner, lead, period) are: the grid, and the rows from
    `top` to `header_row` (exclusive) above its header. A turned matrix's are above its row
    of priorities' names on the sheet as it is, where a partner types them."""
    grid = layout.grid
    sheet_grid = getattr(grid, "sheet_grid", None)
    if grid.is_turned and isinstance(sheet_grid, Grid):
        return sheet_grid, layout.priority_col, 0
    return grid, layout.header_row, layout.top


def _turned_note(layout: Layout, file: str) -> Finding:
    """The note that a matrix was read turned on its side, naming its column and row."""
    grid = layout.grid
    first = min((col for col in layout.criteria_cols if col is not None), default=0)
    return Code.MATRIX_TURNED.finding(
        file=file, sheet=grid.sheet, cell=grid.address(layout.header_row, first),
        value=grid.value(layout.header_row, first), column=grid.row_name(layout.header_row),
        first=grid.address(layout.header_row, first), row=grid.column_name(layout.priority_col))
