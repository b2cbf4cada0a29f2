"""Scheme -> the analyst's workbook: Start, Settings, Example and xlwings.conf sheets.

This is the workbook the analyst runs Merge & Rank in. Its Settings sheet is read by the
add-in's scripts and by `csprisk merge --settings`; its `xlwings.conf` sheet tells desktop
xlwings to load the CSP functions from `udfs.py`; its Example sheet shows the functions at
work. Merge & Rank never reads these sheets as returns and never writes over them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import DEFAULT_FONT, Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

from csprisk import marks
from csprisk.excel.lite import SheetButton, add_lite_parts, main_py, pyodide_line, requirements_txt
from csprisk.excel.output import reproducible_xlsx, write_atomically
from csprisk.excel.template import keep_text
from csprisk.report.model import LINE_HEIGHT, NAVY, lines_needed
from csprisk.scheme import AGGREGATIONS, PRIORITY_LABEL, Scheme
from csprisk.scheme.settings_sheet import (
    FIELDS,
    PARTNERS_HEADING,
    PRIORITIES_HEADING,
    SCENARIOS_HEADING,
    SETTINGS_SHEET,
    VALUE_HEADER,
    settings_rows,
    value_cell,
)

START_SHEET = "Start"
EXAMPLE_SHEET = "Example"
#: The sheet desktop xlwings reads its settings from (two columns: key, value from A1 down).
XLWINGS_CONF_SHEET = "xlwings.conf"
UDF_MODULES = "udfs"
#: The analyst's own sheets: never read as a return, never replaced by a report.
ANALYST_SHEETS = (START_SHEET, SETTINGS_SHEET, EXAMPLE_SHEET, XLWINGS_CONF_SHEET)

#: Fixed document dates, so the same scheme always gives the same bytes.
_FIXED_TIME = dt.datetime(2026, 1, 1)
def _font(**style) -> Font:
    """A font in the workbook's own face and size: a nameless one is drawn in a serif face
    by LibreOffice."""
    return Font(**{"name": DEFAULT_FONT.name, "family": DEFAULT_FONT.family, "size": DEFAULT_FONT.sz, **style})


_TITLE = _font(bold=True, size=16, color=NAVY)
_HEADING = _font(bold=True, size=12, color=NAVY)
_HEADER_FONT = _font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=NAVY)
_ENTRY_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")

#: Example scores: (priority, 16 scores as a partner might type them).
EXAMPLE_ROWS: tuple[tuple[str, list[int | float | str]], ...] = (
    ("Domestic abuse", [4, 5, 5, 3, 5, 5, 4, 2, 5, 4, 4, 5, 3, 5, 4, 3]),
    ("Anti-social behaviour", [2, 4, 5, 3, 3, 5, 5, 4, 3, 5, 5, 4, 4, 3, 3, 4]),
    ("Hate crime", ["NK", 3, 2, 2, 4, 3, 3, 1, 4, 1, 3, 2, 2, 2, 2, 3]),
    ("Deliberate fires", [3, 2, 1, 2, 1, 2, 3, 5, 2, 2, 3, 2, 4, 3, 4.5, 3]),
)


def start_text(scheme: Scheme) -> list[tuple[str, str]]:
    """(style, text) lines of the Start sheet: what to do, in order. The "button" line is the
    row the Merge & Rank button covers."""
    return [
        ("title", f"{scheme.partnership}: risk matrix Merge & Rank"),
        ("step", "This workbook merges partners' risk-matrix returns and ranks the candidate priorities. "
             "Its Python code is inside it: nothing to install but the free xlwings Lite add-in."),
        ("button", ""),
        ("heading", "What to do, in order"),
        ("step", "1. xlwings Lite opens with this workbook (where it is not installed yet, Excel offers "
                 "to add it; or Home > Add-ins > xlwings Lite, or ask IT to deploy it). When Lite asks "
                 "whether to trust this workbook, say yes: its code is csprisk's (Lite asks again after "
                 "the Office cache is cleared). Wait until the task pane says it is ready."),
        ("step", f"2. Fill in the {SETTINGS_SHEET} sheet: partnership, period, candidate priorities and "
                 "aliases, expected partners, band thresholds, top N."),
        ("step", "3. Send each partner the partner template (run new_partner_template in the task pane, "
                 "or csprisk template -o partner_return.xlsx). Partners need no add-in."),
        ("step", "4. Bring in the returns partners send back: copy a partner's sheet into this workbook "
                 "(right-click the tab > Move or Copy), or put their workbooks in a folder called "
                 f"{scheme.returns_folder or 'returns'} and drop that folder onto xlwings Lite's menu > "
                 "Files > Import/Export. (Desktop Excel with the csprisk add-in reads the folder "
                 "beside this workbook.)"),
        ("step", "5. Click the Merge & Rank button above (or run merge_and_rank in the xlwings Lite task "
                 "pane; with the desktop add-in, Merge & Rank on the CSP Risk Matrix tab). It writes the "
                 "Summary, Heatmap, Why it ranks here, Scenarios (when the Settings declare some), "
                 "Disagreement, Criteria apart, Stability, Partner scores, Validation and Method sheets."),
        ("step", "6. Read the Validation sheet: errors must be fixed by the partner, warnings checked. "
                 "To chase partners, run feedback_for_partners: for each return with things to fix it "
                 "writes the partner's own workbook marked, NAME (checked).xlsx, and an email draft to "
                 "them, NAME.eml, with it attached (in xlwings Lite: in Files > Import/Export, to "
                 "download; on desktop: beside this workbook). Open each draft, check it and send it. "
                 "Then click Merge & Rank again: it replaces its own sheets and never touches yours."),
        ("step", "7. Send the executive the ranked summary: the export_for_executive script writes "
                 "a copy with values only, which opens anywhere, and an email draft with it attached, "
                 "addressed to the Executive email on the Settings sheet (in xlwings Lite, download both "
                 "from Files > Import/Export; on desktop they are beside this workbook)."),
        ("step", "8. When the assessment is done, delete the returns folder, the marked copies, the drafts "
                 "and the exported copies from xlwings Lite's Files > Import/Export: Lite keeps them until "
                 "they are deleted, and returns may be OFFICIAL-SENSITIVE."),
        ("", ""),
        ("heading", "Functions you can use in any sheet"),
        ("step", "=RISK_TOTAL(B5:Q5) total of a row of scores (NK and blanks ignored; #VALUE! if a "
                 "score is invalid)."),
        ("step", "=RISK_CHECK(B5:Q5) \"OK\", or what is wrong with the row, in the partner's words."),
        ("step", "=RISK_BAND(R5, high, medium) High, Medium or Low; high and medium are optional "
                 "(the Example points them at the thresholds on Settings)."),
        ("step", "=RISK_RANK(R5, R$5:R$8) rank, ties shared (=2)."),
        ("step", "=RISK_CRITERIA() the criteria and their guidance.   =RISK_SUMMARY(A4:Q8) a ranked "
                 "table from a matrix."),
        ("note", f"The {EXAMPLE_SHEET} sheet shows them at work; they calculate once xlwings Lite is "
                 "open. On desktop Excel without Lite they need the xlwings add-in and Import Functions "
                 "(see docs/excel-addin.md). The xlwings.conf sheet tells desktop xlwings where the "
                 "functions are."),
        ("note", f"Scores are whole numbers from 0 to {scheme.scale_max}; NK marks a score that is not "
                 "known. A low total does not mean work on an issue stops."),
    ]


START_WIDTH = 68  # characters: the Start sheet's one column of instructions
BUTTON_ROW_HEIGHT = 40  # points
_EMU_PER_POINT = 12700
#: The Merge & Rank button: a shape on the Start sheet that links to the cell it covers;
#: udfs.merge_and_rank names it in @script(button=...), which is how xlwings Lite binds it.
MERGE_BUTTON = SheetButton(
    name="csprisk_merge_and_rank", text="Merge & Rank", sheet_part="xl/worksheets/sheet1.xml",
    sheet_title=START_SHEET, cell="A3", row=2, width_emu=190 * 9525,
    height_emu=(BUTTON_ROW_HEIGHT - 6) * _EMU_PER_POINT)


def build_analyst_workbook(scheme: Scheme) -> Workbook:
    wb = Workbook()
    _build_start(wb.active, scheme)
    _build_settings(wb.create_sheet(SETTINGS_SHEET), scheme)
    formulas = _build_example(wb.create_sheet(EXAMPLE_SHEET), scheme)
    conf = wb.create_sheet(XLWINGS_CONF_SHEET)
    conf["A1"], conf["B1"] = "UDF Modules", UDF_MODULES
    conf["D1"] = ("Desktop xlwings reads its settings from columns A and B of this sheet: the CSP "
                  "functions live in udfs.py. Leave it as it is.")
    conf.column_dimensions["A"].width = 16
    conf.column_dimensions["D"].width = 60
    conf["D1"].alignment = _WRAP
    _print_one_page_wide(conf, landscape=False)
    _text_stays_text(wb, formulas)
    wb.active = 0
    wb.properties.creator = "csprisk"
    wb.custom_doc_props.append(StringProperty(name=marks.PROPERTY, value=marks.ANALYST))
    wb.properties.title = f"{scheme.partnership}: risk matrix Merge & Rank"
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    return wb


#: What makes Excel read typed text as a formula (or a sum): such text is written as text.
FORMULA_STARTS = ("=", "+", "-", "@")


def _text_stays_text(wb: Workbook, formulas: set[str]) -> None:
    """Only the cells in `formulas` (Example's function calls, by coordinate) are formulas.

    Every other text that starts like a formula (a caption naming a function, a partner or
    priority from the settings) is text, and carries Excel's quote prefix too: the
    apostrophe Excel keeps when text is typed as 'text, so that editing the cell in Excel
    leaves it text.
    """
    keep_text(wb, lambda cell: cell.parent.title == EXAMPLE_SHEET and cell.coordinate in formulas)
    for ws in wb.worksheets:
        for cell in ws._cells.values():  # only the cells written (see keep_text)
            if cell.data_type == "s" and isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True


def _build_start(ws, scheme: Scheme) -> None:
    ws.title = START_SHEET
    fonts = {"title": _TITLE, "heading": _HEADING, "note": _font(italic=True, color="595959")}
    for row, (style, text) in enumerate(start_text(scheme), 1):
        if not text:
            continue
        cell = ws.cell(row=row, column=1, value=text)
        if style in fonts:
            cell.font = fonts[style]
        if style in ("step", "note"):
            cell.alignment = _WRAP
            ws.row_dimensions[row].height = LINE_HEIGHT * lines_needed(text, START_WIDTH) + 3
    ws.row_dimensions[MERGE_BUTTON.row + 1].height = BUTTON_ROW_HEIGHT
    ws.column_dimensions["A"].width = START_WIDTH
    ws.sheet_view.showGridLines = False
    _print_one_page_wide(ws, landscape=False)


def _print_one_page_wide(ws, landscape: bool) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _build_settings(ws, scheme: Scheme) -> None:
    rows = settings_rows(scheme)
    for r, values in enumerate(rows, 1):
        for c, value in enumerate(values, 1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    ws["A1"].font = _TITLE
    ws["A2"].font = _font(italic=True, color="595959")
    for r, values in enumerate(rows, 1):
        first = values[0] if values else None
        if list(values) == list(VALUE_HEADER):
            _header(ws, r, len(values))
        elif first in (PRIORITIES_HEADING, PARTNERS_HEADING, SCENARIOS_HEADING):
            ws.cell(row=r, column=1).font = _HEADING
            ws.cell(row=r, column=3).alignment = _WRAP
            _header(ws, r + 1, len(rows[r]))  # the list's column headers follow
        elif any(first == f.label for f in FIELDS):
            ws.cell(row=r, column=1).font = _font(bold=True)
            ws.cell(row=r, column=2).fill = _ENTRY_FILL
            ws.cell(row=r, column=3).alignment = _WRAP
            if first == next(f.label for f in FIELDS if f.key == "aggregation"):
                rule = DataValidation(type="list", formula1=f'"{",".join(AGGREGATIONS)}"',
                                      allow_blank=True, showErrorMessage=True,
                                      errorTitle="Aggregation rule",
                                      error=f"Choose one of: {', '.join(AGGREGATIONS)}.")
                rule.add(f"B{r}")
                ws.add_data_validation(rule)
    widths = {"A": 32, "B": 32, "C": 42}  # within a landscape page at 100%, for LibreOffice
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    for r, values in enumerate(rows, 1):
        if r <= 2:
            continue  # the title and the one-line note may run across
        lines = [lines_needed(value, widths[letter]) for letter, value in zip("ABC", values, strict=False) if value]
        if max(lines, default=1) > 1:
            for letter in "ABC":
                ws[f"{letter}{r}"].alignment = _WRAP
            ws.row_dimensions[r].height = LINE_HEIGHT * max(lines) + 3
    _print_one_page_wide(ws, landscape=True)


def _header(ws, row: int, width: int) -> None:
    for col in range(1, width + 1):
        cell = ws.cell(row=row, column=col)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL


def _build_example(ws, scheme: Scheme) -> set[str]:
    """The Example sheet; returns the coordinates of the cells that call the functions."""
    n = len(scheme.criteria)
    formulas: set[str] = set()
    ws["A1"] = "Example: the CSP functions at work"
    ws["A1"].font = _TITLE
    ws["A2"] = ("Made-up scores. Merge & Rank never reads this sheet. Change a score to see the "
                "total, the check and the rank follow; 4.5 and NK show how problems are reported.")
    ws["A2"].font = _font(italic=True, color="595959")
    header_row, first = 4, 5
    last = first + len(EXAMPLE_ROWS) - 1
    score_first, score_last = get_column_letter(2), get_column_letter(n + 1)
    total_col = get_column_letter(n + 2)
    header = [PRIORITY_LABEL, *scheme.labels, scheme.total_label, "Check", "Band", "Rank"]
    for c, label in enumerate(header, 1):
        cell = ws.cell(row=header_row, column=c, value=label)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for r, (name, scores) in zip(range(first, last + 1), EXAMPLE_ROWS, strict=True):
        ws.cell(row=r, column=1, value=name)
        for c, score in enumerate(scores[:n], 2):
            ws.cell(row=r, column=c, value=score)
        scores_ref = f"{score_first}{r}:{score_last}{r}"
        calls = (f"=RISK_TOTAL({scores_ref})", f"=RISK_CHECK({scores_ref})",
                 f"=RISK_BAND({total_col}{r},{value_cell('bands.high')},{value_cell('bands.medium')})",
                 f"=RISK_RANK({total_col}{r},{total_col}${first}:{total_col}${last})")
        for c, call in enumerate(calls, n + 2):
            formulas.add(ws.cell(row=r, column=c, value=call).coordinate)
        ws.cell(row=r, column=n + 3).alignment = _WRAP
    summary_row = last + 3
    ws.cell(row=summary_row - 1, column=1,
            value=f"=RISK_SUMMARY(A{header_row}:{score_last}{last}) ranks the matrix above:").font = _HEADING
    summary_ref = f"A{summary_row}:F{summary_row + len(EXAMPLE_ROWS)}"
    ws[f"A{summary_row}"] = ArrayFormula(summary_ref, f"=RISK_SUMMARY(A{header_row}:{score_last}{last})")
    criteria_row = summary_row + len(EXAMPLE_ROWS) + 3
    ws.cell(row=criteria_row - 1, column=1,
            value="=RISK_CRITERIA() lists the criteria and their guidance:").font = _HEADING
    criteria_ref = f"A{criteria_row}:B{criteria_row + n - 1}"
    ws[f"A{criteria_row}"] = ArrayFormula(criteria_ref, "=RISK_CRITERIA()")
    ws.column_dimensions["A"].width = 34
    for c in range(2, n + 2):
        ws.column_dimensions[get_column_letter(c)].width = 11
    ws.column_dimensions[total_col].width = 12
    ws.column_dimensions[get_column_letter(n + 3)].width = 50
    ws.row_dimensions[header_row].height = 90
    ws.freeze_panes = f"B{first}"
    _print_one_page_wide(ws, landscape=True)
    return formulas


# ----------------------------------------------------------------------------- writing

def analyst_workbook_bytes(scheme: Scheme, pyodide: str | None = None) -> bytes:
    """The workbook as bytes, xlwings Lite-ready: its main.py carries csprisk and udfs.py.

    The same scheme and sources always give the same bytes. `pyodide` is the Pyodide version
    the workbook declares (one of lite.PYODIDE_LINES; the default if None).
    """
    line = pyodide_line(pyodide)
    plain = reproducible_xlsx(build_analyst_workbook(scheme), _FIXED_TIME)
    # Last, because openpyxl would drop these parts on any later save.
    return add_lite_parts(plain, main_py(), requirements_txt(line), line, MERGE_BUTTON)


def write_analyst_workbook(path: str | os.PathLike, scheme: Scheme, pyodide: str | None = None) -> Path:
    """Write the analyst workbook atomically; raises OutputError with a plain message."""
    data = analyst_workbook_bytes(scheme, pyodide)

    def write(stream) -> None:
        stream.write(data)

    return write_atomically(path, write, what="the analyst workbook")


def committed_workbook_path() -> Path:
    """The default analyst workbook kept in the repository."""
    return Path(__file__).resolve().parents[3] / "xlsx_templates" / "analyst_workbook.xlsx"
