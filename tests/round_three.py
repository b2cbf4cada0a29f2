"""Returns as partners make them, round three, built by code: worded dropdown scores,
numbered names, two partners on one sheet, a repeated header, a header far down, headers
that match no criterion, a total typed as "58/80", another scale, another period.

Each builder writes one .xlsx and returns its path; `CASES` names every builder. The tests
read each as it is and as LibreOffice saves it (.xlsx, .ods, .xls).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
from openpyxl.worksheet.datavalidation import DataValidation

from csprisk.scheme import Scheme

LABELS = list(Scheme().labels)
#: What a dropdown of worded scale points offers.
WORDED = ["0 - None", "1 - Very low", "2 - Low", "3 - Moderate", "4 \u2013 High", "5 - Very high"]


def _put(ws, top: int, left: int, rows: Sequence[Sequence]) -> None:
    for r, line in enumerate(rows, start=top):
        for c, value in enumerate(line, start=left):
            if value is not None:
                ws.cell(r, c, value)


def _save(workbook: openpyxl.Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _return(partner: str, rows: Sequence[Sequence], *, header: Sequence | None = None,
            title: str = "Risk matrix") -> list[list]:
    """A return as a partner lays it out from A1: title, partner, blank, header (row 5), rows."""
    return [[title], [], ["Partner organisation", partner], [], list(header or ["Priority", *LABELS]),
            *map(list, rows)]


def worded_dropdown(folder: Path) -> Path:
    """Scores picked from a dropdown of worded labels; one row picked words with no number."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [["Domestic abuse", *["4 \u2013 High"] * 16],
            ["Anti-social behaviour", *["3 - Moderate"] * 8, *["0 - None"] * 8],
            ["Hate crime", *["High"] * 16]]
    _put(ws, 1, 1, _return("Anytown Police", rows))
    listed = DataValidation(type="list", formula1='"' + ",".join(WORDED) + '"', allow_blank=True)
    ws.add_data_validation(listed)
    listed.add("B6:Q8")
    return _save(wb, folder / "worded.xlsx")


def numbered_names(folder: Path) -> Path:
    """Priorities numbered as a list: "1. ", "2) ", "3 - ", "(4) "."""
    wb = openpyxl.Workbook()
    rows = [["1. Domestic abuse", *[4] * 16], ["2) Anti-social behaviour", *[3] * 16],
            ["3 - Reducing re-offending", *[5] * 16], ["(4) Hate crime", *[2] * 16]]
    _put(wb.active, 1, 1, _return("Anytown Police", rows))
    return _save(wb, folder / "numbered.xlsx")


def plain_names(folder: Path) -> Path:
    """Another partner's return naming the same priorities without numbers."""
    wb = openpyxl.Workbook()
    rows = [["Domestic abuse", *[2] * 16], ["Anti-social behaviour", *[1] * 16],
            ["Reducing re-offending", *[3] * 16], ["Hate crime", *[4] * 16]]
    _put(wb.active, 1, 1, _return("Probation Service", rows))
    return _save(wb, folder / "plain.xlsx")


def two_partners_one_sheet(folder: Path) -> Path:
    """Two agencies' matrices, one under the other, each under its own partner label."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrices"
    police = _return("Anytown Police", [["Domestic abuse", *[4] * 16], ["Anti-social behaviour", *[3] * 16]],
                     title="Anytown CSP risk matrices")
    probation = [["Partner organisation:", "Probation Service"], ["Lead professional", "Sam Jones"], [],
                 ["Priority", *LABELS], ["Domestic abuse", *[2] * 16], ["Reducing re-offending", *[5] * 16]]
    _put(ws, 1, 1, police + [[]] + probation)  # police rows 6-7, blank 8, probation label 9, header 12
    return _save(wb, folder / "two_partners.xlsx")


def repeated_header(folder: Path) -> Path:
    """The header row pasted again part-way down the table."""
    wb = openpyxl.Workbook()
    rows = [["Domestic abuse", *[4] * 16], ["Anti-social behaviour", *[3] * 16], ["Priority", *LABELS],
            ["Hate crime", *[2] * 16], ["Deliberate fires", *[1] * 16]]
    _put(wb.active, 1, 1, _return("Anytown Police", rows))
    return _save(wb, folder / "repeated_header.xlsx")


def header_far_down(folder: Path) -> Path:
    """The matrix begins at row 38, column AB: notes and a chart's data fill the sheet above."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _put(ws, 1, 1, [[f"Briefing note line {n}"] for n in range(1, 36)])
    _put(ws, 38, 28, [["Partner organisation", "Anytown Council"], [],
                      ["Priority", *LABELS], ["Domestic abuse", *[4] * 16], ["Hate crime", *[2] * 16]])
    return _save(wb, folder / "far_down.xlsx")


#: Headers partners wrote instead of three of the criteria labels.
OWN_HEADERS = {"Gap in current Picture": "Gap", "Harm / impact to people / victims": "Harm (people)",
               "Generator of fear / worry / confidence": "Fear"}


def own_headers(folder: Path) -> Path:
    """Three criteria under the partner's own short headers."""
    wb = openpyxl.Workbook()
    header = ["Priority", *[OWN_HEADERS.get(label, label) for label in LABELS]]
    _put(wb.active, 1, 1, _return("Anytown Council", [["Domestic abuse", *[3] * 16]], header=header))
    return _save(wb, folder / "own_headers.xlsx")


def short_headers(folder: Path) -> Path:
    """Every criterion under a one-word header of the partner's own: no matrix is recognised."""
    wb = openpyxl.Workbook()
    header = ["Priority", "Gap", "Outcomes", "Current", "Performance", "National", "Local", "Community", "Property",
              "Harm (people)", "Demand", "Fear", "Cross-cutting", "Media", "Cost", "Increase", "Achievable"]
    _put(wb.active, 1, 1, _return("Anytown Council", [["Domestic abuse", *[3] * 16]], header=header))
    return _save(wb, folder / "short_headers.xlsx")


def total_out_of_80(folder: Path) -> Path:
    """TOTAL typed as "58/80": right on one row, wrong on the other."""
    wb = openpyxl.Workbook()
    scores = [4] * 10 + [3] * 6  # 58
    rows = [["Domestic abuse", *scores, "58/80"], ["Hate crime", *scores, "60 / 80"]]
    _put(wb.active, 1, 1, _return("Anytown Police", rows, header=["Priority", *LABELS, "TOTAL (out of 80)"]))
    return _save(wb, folder / "out_of_80.xlsx")


def another_scale(folder: Path) -> Path:
    """Scored 1 to 10: most scores above 5, a few within it."""
    wb = openpyxl.Workbook()
    rows = [["Domestic abuse", *([8, 9, 10, 7] * 4)], ["Hate crime", *([6, 4] * 8)]]
    _put(wb.active, 1, 1, _return("Anytown Fire", rows))
    return _save(wb, folder / "ten_point.xlsx")


def last_years_return(folder: Path) -> Path:
    """Last year's return: its title names 2024-25 (the assessment is for 2025-26)."""
    wb = openpyxl.Workbook()
    rows = [["Domestic abuse", *[3] * 16]]
    _put(wb.active, 1, 1, _return("Anytown Police", rows, title="Anytown CSP risk matrix 2024-25"))
    return _save(wb, folder / "last_year.xlsx")


def dated_last_year(folder: Path) -> Path:
    """A return with no period in it, completed in February 2024 (too early for 2025-26)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _put(ws, 1, 1, [["Risk matrix"], ["Date completed", dt.datetime(2024, 2, 12)],
                    ["Partner organisation", "Anytown Council"], [], ["Priority", *LABELS],
                    ["Domestic abuse", *[2] * 16]])
    ws["B2"].number_format = "DD/MM/YYYY"
    return _save(wb, folder / "dated.xlsx")


def turned_on_its_side(folder: Path) -> Path:
    """Criteria down column A, priorities across row 4."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    _put(ws, 1, 1, [["Partner organisation", "Anytown Police"], [], [],
                    ["Criterion", "Domestic abuse", "Hate crime"], *[[label, 4, 2] for label in LABELS]])
    return _save(wb, folder / "turned.xlsx")


def turned_with_details(folder: Path) -> Path:
    """A turned matrix as a partner makes one: details above it, priorities across row 3 from
    column B, the criteria down column A (row 12's hidden), a score of 6 typed at C7, "NK" at
    D10, a typed TOTAL row (B's disagrees) and a row of notes under it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    scores = {"B": [4] * 16, "C": [2] * 16, "D": [3] * 16}
    scores["C"][3] = 6  # C7
    scores["D"][6] = "NK"  # D10
    _put(ws, 1, 1, [["Partner organisation:", "Anytown Fire"], ["Completed by:", "Sam Lee"],
                    ["Criterion", "Domestic abuse", "Hate crime", "Knife crime"],
                    *[[label, scores["B"][i], scores["C"][i], scores["D"][i]] for i, label in enumerate(LABELS)],
                    ["TOTAL", 60, 30, 45], ["Notes", "Rising referrals", None, "Two stabbings"]])
    ws.row_dimensions[12].hidden = True
    return _save(wb, folder / "turned_details.xlsx")


def turned_with_formulas(folder: Path) -> Path:
    """A turned matrix away from A1: a title, the criteria down column B from B4, priorities
    across row 3 from column C; a formula TOTAL row (=SUM) under it, the error #DIV/0! at D5
    and a score shown as a percentage (20%) at E8."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    ws["A1"] = "Risk matrix 2025-26"
    _put(ws, 3, 2, [["Criterion", "Domestic abuse", "Hate crime", "Deliberate fires"],
                    *[[label, 5, 3, 1] for label in LABELS], ["TOTAL", *[f"=SUM({c}4:{c}19)" for c in "CDE"]]])
    ws["D5"] = "#DIV/0!"  # an error value, as a formula's cached result is stored
    ws["E8"] = 0.2
    ws["E8"].number_format = "0%"
    return _save(wb, folder / "turned_formulas.xlsx")


CASES: dict[str, Callable[[Path], Path]] = {
    build.__name__: build for build in (
        worded_dropdown, numbered_names, plain_names, two_partners_one_sheet, repeated_header, header_far_down,
        own_headers, short_headers, total_out_of_80, another_scale, last_years_return, dated_last_year,
        turned_on_its_side, turned_with_details, turned_with_formulas)
}
