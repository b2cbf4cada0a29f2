"""Returns as partners really make them, built by code: one workbook per case of the
"returns as partners make them" categories (several matrices, hidden rows and columns, the
priority column, typed headers, noise under the matrix, cell formats, partner labels, a
priority nobody could score, ward-level names).

Each builder writes one .xlsx and returns its path. `CASES` names every builder; the
tests read each as it is and as LibreOffice saves it (.xlsx, .ods, .xls).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
from openpyxl.worksheet.table import Table, TableStyleInfo

from csprisk.scheme import Scheme

LABELS = list(Scheme().labels)


def _matrix(ws, partner: str | None, rows: Sequence[Sequence], *, title: str = "",
            header: Sequence | None = None, header_row: int = 5, partner_label: str = "Partner organisation") -> None:
    """A matrix as a partner types it: a title, the partner's name, then the header and rows."""
    if title:
        ws["A1"] = title
    if partner is not None:
        ws.cell(3, 1, partner_label)
        ws.cell(3, 2, partner)
    for r, line in enumerate([list(header or ["Priority", *LABELS, "TOTAL"]), *map(list, rows)], start=header_row):
        for c, value in enumerate(line, start=1):
            if value is not None:
                ws.cell(r, c, value)


def _row(name, score, total: bool = True) -> list:
    scores = list(score) if isinstance(score, (list, tuple)) else [score] * 16
    return [name, *scores, sum(s for s in scores if isinstance(s, int))] if total else [name, *scores]


# ------------------------------------------------------------------- 1. several matrices

def partner_per_sheet(folder: Path) -> Path:
    """A police sheet and a council sheet, each naming its own partner."""
    wb = openpyxl.Workbook()
    police = wb.active
    police.title = "Police"
    _matrix(police, "Anytown Police", [_row("Anti-social behaviour", 3), _row("Domestic abuse", 4)])
    council = wb.create_sheet("Council")
    _matrix(council, "Anytown Council", [_row("Anti-social behaviour", 2)])
    return _save(wb, folder / "police_and_council.xlsx")


def sheet_per_year(folder: Path, name: str = "two_years.xlsx",
                   sheets: Sequence[tuple[str, str, int]] = (("Last year", "2023-24", 1), ("This year", "2024-25", 4))
                   ) -> Path:
    """Last year's matrix first, then this year's, by the same partner; each says its period
    in its title. `sheets`: (sheet name, period, the score typed throughout)."""
    wb = openpyxl.Workbook()
    for index, (sheet, period, score) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = sheet
        _matrix(ws, "Anytown Police", [_row("Anti-social behaviour", score)], title=f"Risk matrix {period}")
    return _save(wb, folder / name)


def sheet_per_year_unlabelled(folder: Path) -> Path:
    """Two matrices by one partner that say nothing of their period: csprisk must warn and ask."""
    wb = openpyxl.Workbook()
    a = wb.active
    a.title = "Matrix"
    _matrix(a, "Anytown Police", [_row("Anti-social behaviour", 2)])
    b = wb.create_sheet("Matrix (2)")
    _matrix(b, "Anytown Police", [_row("Anti-social behaviour", 5)])
    return _save(wb, folder / "two_matrices.xlsx")


# --------------------------------------------------------------- 2. hidden rows and columns

def hidden_old_row(folder: Path) -> Path:
    """Last year's Domestic abuse row kept hidden above this year's visible one."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    _matrix(ws, "Anytown Police", [_row("Domestic abuse", 1),      # row 6, hidden: last year's
                                   _row("Anti-social behaviour", 3),  # row 7
                                   _row("Hate crime", 2),             # row 8, hidden: its only row
                                   _row("Domestic abuse", 4)])        # row 9: this year's
    ws.row_dimensions[6].hidden = True
    ws.row_dimensions[8].hidden = True
    return _save(wb, folder / "hidden_row.xlsx")


def hidden_old_column(folder: Path) -> Path:
    """A hidden "Media attention" column (last year's 0s) beside the visible one (this year's
    5s), with totals typed from the visible one; and "Likelihood of achievability" only in a
    hidden column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    media = LABELS.index("Media attention")
    header = ["Priority", *LABELS[:media], "Media attention", *LABELS[media:], "TOTAL"]
    rows = []
    for name, score in (("Anti-social behaviour", 3), ("Domestic abuse", 4), ("Hate crime", 2)):
        rows.append([name, *[score] * media, 0, *[score] * (16 - media), score * 16])
    _matrix(ws, "Anytown Police", rows, header=header)
    old = openpyxl.utils.get_column_letter(2 + media)  # the first "Media attention"
    ws.column_dimensions[old].hidden = True
    last = openpyxl.utils.get_column_letter(2 + 16)  # Likelihood of achievability, its only column
    ws.column_dimensions[last].hidden = True
    return _save(wb, folder / "hidden_column.xlsx")


def folded_group(folder: Path) -> Path:
    """Rows folded into a collapsed outline group: the partner's structure, read as usual."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    _matrix(ws, "Anytown Police", [_row("Violence", 4), _row("Domestic abuse", 4), _row("Knife crime", 3)])
    for r in (7, 8):
        ws.row_dimensions[r].outlineLevel = 1
        ws.row_dimensions[r].hidden = True
    ws.row_dimensions[9].collapsed = True
    return _save(wb, folder / "folded.xlsx")


# ------------------------------------------------------------- 3. the priority name column

def theme_and_priority(folder: Path) -> Path:
    """A "Theme" column merged over its priorities, before an explicit "Priority" column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _matrix(ws, "Anytown Council", [["Violence", "Domestic abuse", *[4] * 16],
                                    [None, "Knife crime", *[3] * 16],
                                    [None, None, *[2] * 16],                  # row 8: no name
                                    ["Property", "Burglary", *[2] * 16]],
            header=["Theme", "Priority", *LABELS])
    ws.merge_cells("A6:A8")
    return _save(wb, folder / "theme.xlsx")


def codes_and_risk_area(folder: Path) -> Path:
    """A "Ref" column of codes (CS1, CS2) before the "Risk area" names."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _matrix(ws, "Anytown Council", [["CS1", "Domestic abuse", *[4] * 16], ["CS2", "Knife crime", *[3] * 16]],
            header=["Ref", "Risk area", *LABELS])
    return _save(wb, folder / "codes.xlsx")


def codes_and_unheaded_names(folder: Path) -> Path:
    """Codes in column A, the names in column B under a blank header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _matrix(ws, "Anytown Council", [["CS1", "Domestic abuse", *[4] * 16], ["CS2", "Knife crime", *[3] * 16],
                                    ["CS3", None, *[1] * 16]],
            header=[None, None, *LABELS])
    return _save(wb, folder / "unheaded.xlsx")


# ------------------------------------------------------------- 4. headers as people type them

def numbered_labels(folder: Path) -> Path:
    labels = [f"{i}. {label}" if i % 2 else f"{i}) {label}" for i, label in enumerate(LABELS, start=1)]
    wb = openpyxl.Workbook()
    _matrix(wb.active, "Anytown Police", [_row("Domestic abuse", 4)], header=["Priority", *labels, "Total"])
    return _save(wb, folder / "numbered.xlsx")


def ampersand_labels(folder: Path) -> Path:
    labels = [label.replace(" and ", " & ").replace(" / ", " & ") if label in (
        "Social and economic cost", "Community concerns / Public perception") else label for label in LABELS]
    wb = openpyxl.Workbook()
    _matrix(wb.active, "Anytown Police", [_row("Domestic abuse", 3)], header=["Priority", *labels, "Total"])
    return _save(wb, folder / "ampersand.xlsx")


def grouped_two_row_header(folder: Path) -> Path:
    """A grouping row ("Context", "Harm", "Likelihood" merged across their columns) above the
    labels; "Priority" and "TOTAL" each merged over both header rows (A4:A5, R4:R5); the
    typed TOTAL of row 7 is wrong."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Partner organisation", "Anytown Fire"
    ws["A4"], ws["B4"], ws["H4"], ws["N4"], ws["R4"] = "Priority", "Context", "Harm", "Likelihood", "TOTAL"
    ws.merge_cells("A4:A5")
    ws.merge_cells("B4:G4")
    ws.merge_cells("H4:M4")
    ws.merge_cells("N4:Q4")
    ws.merge_cells("R4:R5")
    for c, label in enumerate(LABELS, start=2):
        ws.cell(5, c, label)
    for r, (name, score, total) in enumerate((("Deliberate fires", 3, 48), ("Road safety", 2, 30)), start=6):
        ws.cell(r, 1, name)
        for c in range(2, 18):
            ws.cell(r, c, score)
        ws.cell(r, 18, total)
    return _save(wb, folder / "grouped_header.xlsx")


# ------------------------------------------------------------ 5. noise inside and under the matrix

def noise_under_the_matrix(folder: Path) -> Path:
    """Total and Average score rows, then a scoring key: "0 = none" ... and 0 to 5 with words."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [_row("Domestic abuse", 4), _row("Anti-social behaviour", 2),
            ["Total", *[6] * 16, 96], ["Average score", *[3] * 16, 48], [],
            ["Scoring key"], ["0 = none", "No impact"], ["5 = very high", "Severe impact"]]
    rows += [[str(n), word, *([n] * 3)]
             for n, word in enumerate(("None", "Very low", "Low", "Medium", "High", "Very high"))]
    _matrix(ws, "Anytown Police", rows)
    return _save(wb, folder / "noise.xlsx")


def table_with_totals_row(folder: Path) -> Path:
    """The matrix as an Excel Table whose totals row (blank label, sums under each criterion)
    is no priority."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    ws["A1"], ws["B1"] = "Partner organisation", "Anytown Police"
    ws.append([])
    # Table column names must be unique and plain; the labels match whatever their spacing.
    ws.append(["Priority", *[label.replace("/", "-") for label in LABELS]])  # row 3
    ws.append(["Domestic abuse", *[4] * 16])           # row 4
    ws.append(["Knife crime", *[3] * 16])              # row 5
    ws.append([None, *[2] * 16])                       # row 6: the totals row, its COUNTs typed (score-like)
    table = Table(displayName="Scores", ref="A3:Q6", totalsRowCount=1)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    return _save(wb, folder / "table.xlsx")


# ---------------------------------------------------------------- 6. what a cell's format says

def percent_formatted(folder: Path) -> Path:
    """Two score cells formatted as percentages: 100% (stored 1) and 0% (stored 0)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _matrix(ws, "Anytown Police", [_row("Domestic abuse", 4, total=False), _row("Knife crime", 3, total=False)],
            header=["Priority", *LABELS])
    ws["B6"], ws["C6"] = 1, 0
    ws["B6"].number_format = ws["C6"].number_format = "0%"
    return _save(wb, folder / "percent.xlsx")


def date_from_typing(folder: Path) -> Path:
    """"3-4" typed into a score cell, which Excel turned into a date."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _matrix(ws, "Anytown Police", [_row("Domestic abuse", 4, total=False)], header=["Priority", *LABELS])
    ws["D6"] = dt.datetime(2024, 4, 3)
    ws["D6"].number_format = "d-mmm"
    return _save(wb, folder / "date.xlsx")


def error_values(folder: Path) -> Path:
    """#REF!, #N/A and #DIV/0! in three score cells, as Excel saves them (cached errors)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _matrix(ws, "Anytown Police", [_row("Domestic abuse", 4, total=False)], header=["Priority", *LABELS])
    ws["B6"], ws["C6"], ws["D6"] = 11, 12, 13  # placeholders, replaced by error cells below
    path = _save(wb, folder / "errors.xlsx")
    replace = {b'<c r="B6" t="n"><v>11</v></c>': b'<c r="B6" t="e"><f>#REF!+1</f><v>#REF!</v></c>',
               b'<c r="C6" t="n"><v>12</v></c>': b'<c r="C6" t="e"><f>NA()</f><v>#N/A</v></c>',
               b'<c r="D6" t="n"><v>13</v></c>': b'<c r="D6" t="e"><f>1/0</f><v>#DIV/0!</v></c>'}
    return _edit_sheet(path, replace)


# ------------------------------------------------------------------- 7. partner name labels

def partner_labels(folder: Path) -> list[Path]:
    paths = []
    for n, label in enumerate(("Name of organisation:", "Organisation name", "Agency", "Partner agency"), start=1):
        wb = openpyxl.Workbook()
        _matrix(wb.active, f"Partner {n}", [_row("Domestic abuse", n)], partner_label=label)
        paths.append(_save(wb, folder / f"label_{n}.xlsx"))
    return paths


# ----------------------------------------------------------- 8. a priority nobody could score

def nothing_known(folder: Path) -> Path:
    wb = openpyxl.Workbook()
    _matrix(wb.active, "Anytown Police", [_row("Domestic abuse", 4), ["Modern slavery", *["NK"] * 16]])
    return _save(wb, folder / "all_nk.xlsx")


# ----------------------------------------------------------------- 9. ward-level priorities

WARDS = ("Docks", "Hill", "Abbey", "Castle", "Riverside", "Northfield", "Southgate", "Westbury", "Eastleigh",
         "Market")
CRIMES = ("burglary", "criminal damage", "robbery", "vehicle crime", "shoplifting", "violence", "arson",
          "drug dealing", "street drinking", "fly-tipping", "graffiti", "noise", "begging", "theft", "hate crime")


def ward_priorities(folder: Path) -> Path:
    """150 ward-level priorities ("Docks ward: burglary"), and one near-miss of a candidate."""
    wb = openpyxl.Workbook()
    rows = [_row(f"{ward} ward: {crime}", (i + j) % 5 + 1, total=False)
            for i, ward in enumerate(WARDS) for j, crime in enumerate(CRIMES)]
    rows.append(_row("Domestic abuze", 4, total=False))
    _matrix(wb.active, "Anytown Council", rows, header=["Priority", *LABELS])
    return _save(wb, folder / "wards.xlsx")


# -------------------------------------------------------------------------------- helpers

def _save(workbook: openpyxl.Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _edit_sheet(path: Path, replace: dict[bytes, bytes]) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    for old, new in replace.items():
        assert old in sheet, old
        sheet = sheet.replace(old, new)
    parts["xl/worksheets/sheet1.xml"] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


#: Every single-file case, by name.
CASES: dict[str, Callable[[Path], Path]] = {
    "partner_per_sheet": partner_per_sheet, "sheet_per_year": sheet_per_year,
    "sheet_per_year_unlabelled": sheet_per_year_unlabelled, "hidden_old_row": hidden_old_row,
    "hidden_old_column": hidden_old_column, "folded_group": folded_group,
    "theme_and_priority": theme_and_priority, "codes_and_risk_area": codes_and_risk_area,
    "codes_and_unheaded_names": codes_and_unheaded_names, "numbered_labels": numbered_labels,
    "ampersand_labels": ampersand_labels, "grouped_two_row_header": grouped_two_row_header,
    "noise_under_the_matrix": noise_under_the_matrix, "table_with_totals_row": table_with_totals_row,
    "percent_formatted": percent_formatted, "date_from_typing": date_from_typing, "error_values": error_values,
    "nothing_known": nothing_known, "ward_priorities": ward_priorities,
}
