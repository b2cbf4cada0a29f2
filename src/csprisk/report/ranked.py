"""Assessment -> report: the sheets of the ranked workbook, as plain data.

Both writers (the .xlsx file and the open workbook) render what this module builds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

from csprisk.findings import SEVERITY_ORDER, count_by_severity
from csprisk.grid import column_letter
from csprisk.marks import METHOD, PARTNER_SCORES, VALIDATION
from csprisk.read.previous import PreviousRanking
from csprisk.report import measure
from csprisk.report.delivery import ROTATED_SLACK
from csprisk.report.executive import executive_sheets
from csprisk.report.fitting import (
    at_smallest,
    column_groups,
    page_height_points,
    print_scale,
    rotated_header_points,
)
from csprisk.report.model import LINE_HEIGHT, Cell, Report, Sheet, lines_needed
from csprisk.report.sheets import AGGREGATION_WORDS
from csprisk.report.sheets import heading as _heading
from csprisk.report.view import merge_across, printed_height
from csprisk.scheme import format_number
from csprisk.score.merge import MergeResult
from csprisk.score.parse import STATUS_OF
from csprisk.version import __version__
from csprisk.words import plural


def build_report(result: MergeResult, previous: PreviousRanking | None = None) -> Report:
    """The ranked workbook; `previous` (an earlier ranking) adds movement since last time."""
    scheme = result.scheme
    scores = partner_scores_sheet(result)
    sheets = [*executive_sheets(result, previous), scores, validation_sheet(result, scores), method_sheet(result)]
    for sheet in sheets:
        sheet.fit_text()  # every word on paper: no text cell is cut off when printed
    return Report(
        sheets=sheets,
        title=f"{scheme.partnership}: ranked risk assessment {scheme.period}".strip(),
        subject="Community Safety Partnership strategic assessment: risk-matrix ranking",
        author=f"csprisk {__version__}",
        marking=scheme.protective_marking,
        footer=footer_text(scheme.partnership, f"{result.generated:%d %B %Y}"),
    )


#: The footer's left part (partnership and date) keeps within this many points of 9 pt type:
#: about a third of a landscape A4 page, so it never runs into the marking in the middle.
FOOTER_LEFT_POINTS = 230.0
FOOTER_POINT_SIZE = 9.0


def footer_text(partnership: str, date: str) -> str:
    """"Partnership · date", the partnership's name shortened with an ellipsis to fit."""
    tail = f" · {date}"
    room = FOOTER_LEFT_POINTS - measure.text_points(tail, FOOTER_POINT_SIZE)
    return measure.shorten(partnership, room, FOOTER_POINT_SIZE) + tail


#: Partner scores' first columns; the criteria follow, one column each.
_SCORES_LEAD = ("Partner", "File", "Sheet", "Row", "Priority")


def file_name(path: str) -> str:
    """A return's file name without its folder (Method lists each file's full path)."""
    return re.split(r"[\\/]", path.rstrip("/\\"))[-1] if path else path


def common_folder(paths: list[str]) -> str:
    """The folder every one of `paths` is in ("" if they share none): Method names it once
    and each file after it, so a long path does not wrap every row of its table."""
    folders = [re.split(r"(?<=[\\/])", p)[:-1] for p in paths if p]
    if not folders or len(folders) != len(paths):
        return ""
    common: list[str] = []
    for parts in zip(*folders, strict=False):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    return "".join(common)
_FILE_COLUMN, _SHEET_COLUMN, _ROW_COLUMN = (_SCORES_LEAD.index(c) for c in ("File", "Sheet", "Row"))


def partner_scores_sheet(result: MergeResult) -> Sheet:
    """One row per partner and priority, laid out like the matrix: every score as typed,
    with where it came from; scores that did not count are red and listed with why. Its
    rows are made as the sheet is written (a Rows body), never held as cells."""
    labels = result.scheme.labels
    sheet = Sheet(PARTNER_SCORES)
    _heading(sheet, result, "every score as typed")
    sheet.add_row(["Red scores did not count (not known, invalid, or a row that was not used); "
                   "the last column says which and why. The Validation sheet says how to fix them."], "note")
    header = sheet.add_row([*_SCORES_LEAD, *labels, "Confidence", "PESTELO", "Notes", "Not counted"],
                           ["header"] * len(_SCORES_LEAD) + ["header-rotated"] * (len(labels) + 2) + ["header"] * 2)
    sheet.header_row = header
    rows = _ScoreRows(result)
    sheet.set_body(rows.count, len(_SCORES_LEAD) + len(labels) + 4, rows.row, rows.each,
                   styles=("text", "center", "counted-no", "wrap"))
    last = 8 + len(labels)
    sheet.autofilter = f"A{header + 1}:{column_letter(last)}{max(sheet.next_row, header + 2)}"
    sheet.freeze = f"F{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    # The criteria, confidence and PESTELO headed upwards, each in two lines at most.
    sheet.row_heights = {header: ROTATED_SLACK * rotated_header_points([*labels, "Confidence", "PESTELO"], 4.5,
                                                                       lines=2)}
    # With the usual 16 criteria the table prints one page wide at 7 pt (213 units, where
    # 220 would be the sum: LibreOffice rounds each of 25 columns up and scales by whole
    # percents); a page across would double the pages. Partner and priority take two lines
    # for long names; confidence and PESTELO are headed upwards like the criteria; notes
    # wrap, and what did not count (seldom anything) has the narrowest column.
    sheet.column_widths = {0: 30, 1: 19, 2: 8, 3: 5, 4: 39.5, **{5 + i: 4.5 for i in range(len(labels))},
                           last - 3: 8.5, last - 2: 6, last - 1: 15.5, last: 10}
    # More criteria than fit one page at 7 pt: column groups, each with who, where and which priority.
    column_groups(sheet, [sheet.column_widths[c] for c in range(last + 1)], 7.0, len(_SCORES_LEAD))
    if sheet.fit_width:
        at_smallest(sheet, 7.0)  # one page wide, at 7 pt exactly
    return sheet


_BLANK_SCORE = Cell(None, "center")


class _ScoreRows:
    """Partner scores' rows, made from each return's ScoreRows as they are asked for: one
    per matrix row of every return (merged first, then superseded), in the order read."""

    def __init__(self, result: MergeResult) -> None:
        self.returns = result.assessment.returns + result.superseded
        self.starts: list[int] = []  # the index of each return's first row
        count = 0
        for ret in self.returns:
            self.starts.append(count)
            count += len(ret.rows)
        self.count = count
        # The same few scores recur on every row: one Cell each, shared. By style, then by
        # type (so 1, 1.0 and True stay apart), then by value.
        self._counted: dict[type, dict] = {}
        self._not_counted: dict[type, dict] = {}

    def row(self, index: int) -> list[Cell]:
        at = bisect.bisect_right(self.starts, index) - 1
        while not self.returns[at].rows:  # returns with no rows share a start with the next
            at += 1
        ret = self.returns[at]
        return self._cells(ret, self._lead(ret), ret.rows[index - self.starts[at]], self._scored(ret))

    def each(self) -> Iterator[list[Cell]]:
        for ret in self.returns:
            if ret.rows:
                lead, scored = self._lead(ret), self._scored(ret)
                for row in ret.rows:
                    yield self._cells(ret, lead, row, scored)

    @staticmethod
    def _lead(ret) -> tuple[Cell, Cell, Cell]:
        return Cell(ret.partner, "text"), Cell(file_name(ret.file), "text"), Cell(ret.sheet, "text")

    @staticmethod
    def _scored(ret) -> dict[int, object]:
        return {ret.place(p.cell)[0]: p for p in ret.priorities}

    def _cells(self, ret, lead: tuple[Cell, Cell, Cell], row, scored: dict) -> list[Cell]:
        counted_cells, red_cells = self._counted, self._not_counted
        line = column_letter(row.number - 1) if ret.turned else row.number  # a turned return's rows are columns
        values: list = [*lead, Cell(line, "center"), Cell(row.priority, "text")]
        counted = row.counted
        for value, status in zip(row.values, row.statuses, strict=False):
            if status == "v":
                shared, style = (counted_cells, "center") if counted else (red_cells, "counted-no")
            elif status == "b" or status == "-":
                values.append(_BLANK_SCORE)
                continue
            else:
                shared, style = red_cells, "counted-no"
                if isinstance(value, (dt.date, dt.time)):
                    value = str(value)
            kind = type(value)
            by_value = shared.get(kind)
            if by_value is None:
                by_value = shared[kind] = {}
            cell = by_value.get(value)
            if cell is None:
                cell = by_value[value] = Cell(value, style)
            values.append(cell)
        priority = scored.get(row.number)
        if priority is None:
            values += [_NO_CONFIDENCE, _NO_PESTELO, _NO_NOTES]
        else:
            values += [Cell(priority.confidence, "center"), Cell(priority.pestelo, "center"),
                       Cell(priority.notes, "wrap")]
        # A counted row of valid and blank scores (most rows) has nothing that did not count.
        values.append(_ALL_COUNTED if counted and not row.statuses.strip("vb-") else
                      Cell(_not_counted(ret, row), "wrap"))
        return values


_NO_CONFIDENCE, _NO_PESTELO, _NO_NOTES = Cell(None, "center"), Cell(None, "center"), Cell(None, "wrap")
_ALL_COUNTED = Cell("", "wrap")


def _not_counted(ret, row) -> str:
    typed = [(letter, value, status)
             for letter, value, status in zip(ret.letters, row.values, row.statuses, strict=False)
             if status != "b" and status != "-"]
    if not row.counted and all(status == "v" for _, _, status in typed):
        return "Row not used (see the Validation sheet)"
    return "; ".join(f"{ret.address(letter, row.number)} {_typed(value)} ({STATUS_OF[status]})"
                     for letter, value, status in typed if not (row.counted and status == "v"))


def _typed(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f'"{value}"' if isinstance(value, str) else str(value)


def validation_sheet(result: MergeResult, scores: Sheet | None = None) -> Sheet:
    """Every finding; `scores` is the Partner scores sheet its links point into. Its rows
    are made as the sheet is written (a Rows body), never held as cells."""
    sheet = Sheet(VALIDATION)
    _heading(sheet, result, "what needs fixing")
    counts = count_by_severity(list(result.findings))
    sheet.add_row([f"{plural(counts['error'], 'error')} (must fix), {plural(counts['warning'], 'warning')} "
                   f"(check), {plural(counts['info'], 'note')}. Filter by partner, code or severity."], "note")
    header = sheet.add_row(["Severity", "Code", "Problem", "Partner", "File", "Sheet", "Cell", "Value",
                            "What to do"], "header")
    ordered = sorted(result.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9)))
    links = _partner_score_links(result, scores or partner_scores_sheet(result))
    file_link = _file_links(result)
    partner_of = result.partner_of

    def row(index: int) -> list[Cell]:
        f = ordered[index]
        value = f.value
        if isinstance(value, (dt.date, dt.time)):
            value = str(value)
        # Partner -> that return's first row in Partner scores; Cell -> the score as typed
        # there; File -> the return itself, to open it at the cell.
        partner_link, cell_link = links(f.file, f.sheet, f.cell)
        return [
            Cell(f.severity, f"severity-{f.severity}"), Cell(f.code, "text"), Cell(f.title, "text"),
            Cell(partner_of(f.file, f.sheet), "link" if partner_link else "text", partner_link),
            Cell(f.file, "link" if f.file else "text", file_link(f.file, f.sheet, f.cell)),
            Cell(f.sheet, "text"),
            Cell(f.cell, "link" if cell_link else "text", cell_link),
            Cell(value, "value"), Cell(f.message, "wrap"),
        ]

    widths = {0: 10, 1: 20, 2: 26, 3: 20, 4: 26, 5: 14, 6: 7, 7: 12, 8: 70}

    def height(cells) -> float | None:
        # Printers and Excel do not grow a row for wrapped text: the message (the only
        # wrapped cell of a row) gets the lines it needs.
        message = cells[8].value
        lines = lines_needed(message, widths[8]) if message is not None else 1
        return LINE_HEIGHT * lines + 3 if lines > 1 else None

    sheet.set_body(len(ordered), 9, row, height=height, styles=(
        "text", "link", "value", "wrap", *{f"severity-{f.severity}" for f in ordered}))
    if not result.findings:
        sheet.add_row(["No problems found."], "note")
    sheet.autofilter = f"A{header + 1}:I{max(sheet.next_row, header + 2)}"
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    sheet.column_widths = dict(widths)
    return sheet


def _partner_score_links(result: MergeResult,
                         scores: Sheet) -> Callable[[str, str, str], tuple[str | None, str | None]]:
    """For a finding's (file, sheet, cell): a link to that return's first row on Partner
    scores, and one to the very score (its row and criterion column), where the sheet shows them."""
    if scores.header_row is None or scores.body is None:
        return lambda file, sheet, cell: (None, None)
    column_of = {label: len(_SCORES_LEAD) + i for i, label in enumerate(result.scheme.labels)}
    priority_column = _SCORES_LEAD.index("Priority")
    first: dict = {}  # file, and (file, sheet) -> the 1-based row of its first row on the sheet
    placed: dict[tuple[str, str], list] = {}  # (file, sheet) -> [(its return, 1-based row of its first row)]
    row = scores.body.first + 1
    for ret in result.assessment.returns + result.superseded:
        if ret.rows and ret.file:
            first.setdefault(ret.file, row)
            first.setdefault((ret.file, ret.sheet), row)
            placed.setdefault((ret.file, ret.sheet), []).append((ret, row))
        row += len(ret.rows)

    def links(file: str, sheet: str, cell: str) -> tuple[str | None, str | None]:
        row_of_return = first.get((file, sheet)) or first.get(file)
        start = f"#'{PARTNER_SCORES}'!A{row_of_return}" if row_of_return else None
        address = _ADDRESS.fullmatch(cell)
        if address:  # the usual cell, "F12"
            letters, digits = address.groups()
        else:
            digits = "".join(ch for ch in cell if ch.isdigit())
            letters = cell[:len(cell) - len(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]
        for ret, top in placed.get((file, sheet), ()) if digits else ():
            # A turned return's rows are the sheet's columns, its criteria the sheet's rows.
            number, criterion = ret.place(letters + digits) if ret.turned else (int(digits), letters)
            at = _row_index(ret, number)
            if at is None:
                continue
            col = priority_column  # the score's own column where the cell is a typed score
            for label, letter, status in zip(ret.labels, ret.letters, ret.rows[at].statuses, strict=False):
                if letter == criterion and status != "b" and status != "-":
                    col = column_of.get(label, priority_column)
                    break
            return start, f"#'{PARTNER_SCORES}'!{column_letter(col)}{top + at}"
        return start, None

    return links


_ADDRESS = re.compile(r"([A-Z]*)([0-9]+)")


def _row_index(ret, number: int) -> int | None:
    """Where the sheet row `number` is among a return's rows (they are in sheet order)."""
    rows = ret.rows
    at = bisect.bisect_left(rows, number, key=lambda r: r.number)
    return at if at < len(rows) and rows[at].number == number else None


def _file_links(result: MergeResult) -> Callable[[str, str, str], str | None]:
    """A link that opens the return at the cell: a place in this workbook for a return that
    is one of its sheets, the file otherwise (where the application follows it). Each file
    is resolved once, however many findings it has."""
    import sys
    from pathlib import Path

    in_book = {s.file for s in result.statuses if s.in_book}
    # Inside xlwings Lite (Pyodide) files live in Lite's own storage: Excel cannot open them.
    files_openable = sys.platform != "emscripten"
    uris: dict[str, str | None] = {}
    places: dict[str, str] = {}  # sheet -> "'Sheet'!" as a URL fragment

    def link(file: str, sheet: str, cell: str) -> str | None:
        if not file:
            return None
        if file in in_book:
            return f"#'{sheet}'!{cell or 'A1'}" if sheet else None
        if not files_openable:
            return None
        if file not in uris:
            try:
                uris[file] = Path(file).resolve().as_uri()
            except (OSError, ValueError):
                uris[file] = None
        uri = uris[file]
        if uri is None:
            return None
        if sheet and cell:
            place = places.get(sheet)
            if place is None:
                place = places[sheet] = quote(f"'{sheet}'!", safe="'!")
            uri += "#" + place + (cell if cell.isascii() and cell.isalnum() else quote(cell, safe="'!"))
        return uri

    return link


#: The heading of Method's last table, each return's file, partner, status and SHA-256: the
#: executive's copy ends Method above it (excel/export.py) with METHOD_INPUTS_ELSEWHERE, so
#: its length, a dozen partners or a hundred, with paths of any length, never adds a page.
METHOD_INPUTS = "Inputs"
METHOD_INPUTS_ELSEWHERE = ("Inputs: each return's file, partner, status and SHA-256 are listed on the Method "
                           "sheet of the ranked workbook.")


def method_sheet(result: MergeResult) -> Sheet:
    scheme = result.scheme
    sheet = Sheet(METHOD)
    _heading(sheet, result, "how this ranking was made")
    sheet.skip()
    rows = [
        ("Partnership", scheme.partnership),
        ("Assessment period", scheme.period or "not set"),
        ("Scale", f"Each criterion scored as a whole number from 0 to {scheme.scale_max}; "
                  f"NK marks a score that is not known"),
        ("Total", f"Weighted sum of the combined criterion scores, out of {format_number(scheme.max_total)}"),
        ("Aggregation rule", f"{scheme.aggregation}: {AGGREGATION_WORDS[scheme.aggregation]}"),
        ("Bands", scheme.bands_description()),
        ("Tie-break", f"Equal totals share a rank; listed by {scheme.tie_break_description()}"),
        ("Recommended", f"Priorities ranked in the top {scheme.top_n} (ties at the cut-off included)"),
        ("Protective marking", scheme.protective_marking),
        ("Produced", result.generated.strftime("%Y-%m-%d %H:%M")),
        ("Software", f"csprisk {__version__}"),
    ]
    folder = common_folder([status.file for status in result.statuses])
    for label, value in rows:
        sheet.add_row([Cell(label, "label"), Cell(value, "")])
    sheet.skip()
    # 188 units: fitted to the page it prints at 8 pt or more (the executive's copy has it).
    # The guidance spans the last three columns, so a criterion is a line or two.
    widths: dict[int, float] = {0: 24, 1: 40, 2: 10, 3: 10, 4: 72, 5: 32}
    guidance_width = widths[3] + widths[4] + widths[5]
    page = page_height_points() / print_scale(sum(widths.values()))
    sheet.add_row(["Criteria"], "heading")
    merge_across(sheet, sheet.add_row(["#", "Criterion", "Weight", "Guidance"], "header"), 3, 5, "header")
    used = printed_height(sheet, sheet.next_row) % page
    for number, criterion in enumerate(scheme.criteria, 1):
        # Printers and Excel do not grow a row for wrapped text; give it the lines it needs.
        height = measure.row_points(max(lines_needed(criterion.guidance, guidance_width),
                                        lines_needed(criterion.label, widths[1])))
        if used + height > page:  # the table continues on a new page under its header again
            sheet.page_breaks.append(sheet.next_row)
            sheet.add_row(["Criteria (continued)"], "heading")
            merge_across(sheet, sheet.add_row(["#", "Criterion", "Weight", "Guidance"], "header"), 3, 5, "header")
            used = printed_height(sheet, sheet.next_row)
        row = sheet.add_row([Cell(number, "center"), Cell(criterion.label, "text"),
                             Cell(criterion.weight, "center"), Cell(criterion.guidance, "wrap")])
        merge_across(sheet, row, 3, 5, "wrap")
        sheet.row_heights[row] = height
        used += height
    sheet.skip()
    inputs = sheet.add_row([METHOD_INPUTS], "heading")
    if folder:
        sheet.add_row([Cell("Returns folder", "label"), Cell(folder, "")])
    header = sheet.add_row(["File", "Partner", "Status",
                            "Priorities", "SHA-256", "Note"], "header")
    for status in result.statuses:
        shown = status.file[len(folder):] if folder else status.file
        row = sheet.add_row([Cell(shown, "text"), Cell(status.partner, "text"), Cell(status.status, "text"),
                             Cell(status.priorities, "center"), Cell(status.sha256, "wrap"),
                             Cell(status.reason, "wrap")])
        sheet.row_heights[row] = measure.row_points(max(
            lines_needed(status.sha256, widths[4]), lines_needed(status.reason, widths[5]),
            lines_needed(shown, widths[0]), lines_needed(status.partner, widths[1])))
    sheet.column_widths = widths
    # Method's tables keep their headers: the inputs start a page of their own where they
    # would split, and a list longer than a page repeats its header (print titles repeat
    # from the header's own page on, so the criteria above never sit under it).
    above, table = printed_height(sheet, inputs), printed_height(sheet, sheet.next_row) - printed_height(sheet, inputs)
    if above % page + table > page:
        sheet.page_breaks.append(inputs)
    if table > page:
        sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet
