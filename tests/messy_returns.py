"""A realistic inbox of partner returns, built by code: hand-made layouts, variant labels,
typed totals that disagree, text numbers, NK, blanks, every bad-score kind, a duplicate
return, and alongside them the broken and hostile files an inbox also holds.

`EXPECTED` lists every finding the corpus must produce, as (file, code, cell).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

import hostile_files as hostile

try:
    import python_calamine  # noqa: F401  (only calamine reads .xls)

    READS_XLS = True
except ImportError:  # Pyodide 0.27, as xlwings Lite runs it
    READS_XLS = False
from csprisk.scheme import Scheme

LABELS = list(Scheme().labels)


def _save(workbook: openpyxl.Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def police(folder: Path) -> Path:
    """Close to the template: merged title, metadata, a hidden row, notes below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risk matrix"
    ws["A1"] = "Anytown Police - Partnership risk matrix 2024"
    ws.merge_cells("A1:H1")
    ws["A3"], ws["B3"] = "Partner organisation:", "Anytown Police"
    ws["A4"], ws["B4"] = "Lead professional", "DI Jo Smith"
    ws["A5"], ws["B5"] = "Date", dt.datetime(2024, 3, 1)
    ws.append([])
    ws.append([])
    ws.append(["Priority", *LABELS, "PESTELO", "TOTAL (out of 80)"])  # row 8
    ws.append(["Domestic abuse", *[4] * 16, "S, L", 64])  # row 9
    asb = [3] * 16
    asb[4] = "NK"
    ws.append(["Anti-social behaviour", *asb, "S", 45])  # row 10: NK at F10
    ws.append(["Reducing re-offending", *[2] * 16, "", 40])  # row 11: typed 40, adds to 32
    ws.append(["Hate crime", *[1] * 16, "", 16])  # row 12, hidden
    ws.row_dimensions[12].hidden = True
    ws.append([])
    ws.append(["Scores agreed at the March tasking meeting."])
    ws.append([None, None, "Source: police.uk, 2023"])
    return _save(wb, folder / "police.xlsx")


def council(folder: Path) -> Path:
    """Hand-made: a cover sheet first, the header at row 14, columns reversed, labels in
    capitals with line breaks and notes, a numbering column, text numbers, bad scores."""
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "Please score each issue from 0 to 5."
    ws = wb.create_sheet("Matrix 2024")
    ws["A2"], ws["B2"] = "Partner:", "Anytown Borough Council"
    ws["A3"], ws["B3"] = "Completed by", "Pat Lee"
    ws["A4"], ws["B4"] = "Date", "15/03/2024"
    labels = [label.upper().replace("/", " / ").replace(" TO ", "\nTO ") for label in reversed(LABELS)]
    labels[0] = labels[0] + " (0-5)"
    for _ in range(9):
        ws.append([])
    ws.append(["No.", "Issue", *labels, "Confidence", "Total (out of 80)"])  # row 14: confidence read
    ws.append([1, "ASB", *[" 4"] * 8, *[4.0] * 8, "High", 64])  # row 15
    fires = [2] * 16
    fires[0], fires[1], fires[2], fires[3] = 7, 2.5, "high", None  # C16..F16: criteria 16, 15, 14, 13
    ws.append([2, "Deliberate fires", *fires, "Low", None])  # row 16
    ws.append([3, "Reduce re-offendng", *[3] * 16, "", 48])  # row 17: a typo of an alias
    ws.append([None, "Total", *[9] * 16, "", 160])  # row 18: a totals line, not a priority
    return _save(wb, folder / "council.xlsx")


def fire(folder: Path) -> Path:
    """No Media attention column, the same priority twice, partner under "Agency"."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Scores"
    ws.append(["Agency", None, "Anytown Fire and Rescue"])
    ws.append([])
    labels = [label for label in LABELS if label != "Media attention"]
    ws.append(["Risk area", *labels, "Notes"])  # row 3
    ws.append(["Deliberate fires", *[5] * 15, "arson hotspots"])  # row 4
    ws.append(["Deliberate Fires", *[1] * 15, ""])  # row 5: duplicate
    return _save(wb, folder / "fire.xlsx")


def health(folder: Path, name: str, date: dt.datetime, score: int) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Partner organisation", "Anytown NHS"
    ws["A2"], ws["B2"] = "Date", date
    ws.append(["Priority", *LABELS])  # row 3
    ws.append(["Substance misuse", *[score] * 16])  # row 4
    return _save(wb, folder / name)


def probation(folder: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Priority", *LABELS])
    ws.append(["Reducing reoffending", *[5] * 16])
    return _save(wb, folder / "probation.xlsx")


def no_matrix(folder: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Sorry, we will send our scores next week."
    return _save(wb, folder / "apology.xlsx")


def good_returns(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [police(folder), council(folder), fire(folder),
            health(folder, "health_february.xlsx", dt.datetime(2024, 2, 1), 1),
            health(folder, "health_march.xlsx", dt.datetime(2024, 3, 1), 2),
            probation(folder), no_matrix(folder)]


def bad_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "scores.csv").write_text("Priority,Gap in current Picture\nASB,3\n")
    (folder / "web_export.xls").write_text("<html><body><table><tr><td>ASB</td></tr></table></body></html>")
    whole = hostile.small_xlsx(folder / "whole.tmp")
    data = whole.read_bytes()
    whole.unlink()
    (folder / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    hostile.encrypted_xlsx(folder / "locked.xlsx")
    hostile.xls_file(folder / "locked_old.xls", [(0, 0, 1.0)], password=True)
    hostile.xlsx_claiming_the_last_cell(folder / "last_cell.xlsx")
    hostile.xlsx_with_a_billion_laughs(folder / "laughs.xlsx")
    hostile.zip_bomb_xlsx(folder / "bomb.xlsx", megabytes=210)
    hostile.ods_with_a_huge_repeated_cell(folder / "repeated.ods")
    hostile.encrypted_ods(folder / "locked.ods")
    hostile.xls_file(folder / "far_cell.xls", [(0, 0, 1.0), (65535, 255, 3.0)])
    return sorted(p for p in folder.iterdir())


#: Every finding the returns make: (file name, code, cell).
EXPECTED_RETURNS = {
    ("police.xlsx", "score-not-known", "F10"),
    ("police.xlsx", "total-mismatch", "S11"),
    ("police.xlsx", "hidden-row-read", "A12"),  # hidden, but the only row for Hate crime: read, and said
    ("council.xlsx", "sheet-chosen", ""),
    ("council.xlsx", "score-out-of-range", "C16"),
    ("council.xlsx", "score-not-whole", "D16"),
    ("council.xlsx", "score-not-number", "E16"),
    ("council.xlsx", "score-missing", "F16"),
    ("council.xlsx", "similar-priority", "B17"),
    ("fire.xlsx", "missing-criterion", "A3"),
    ("fire.xlsx", "duplicate-priority", "A5"),
    ("health_february.xlsx", "duplicate-return", ""),
    ("probation.xlsx", "partner-missing", ""),
    ("apology.xlsx", "no-matrix-found", ""),
}

EXPECTED_BAD = {
    ("empty.xlsx", "file-empty", ""),
    ("scores.csv", "file-not-excel", ""),
    ("web_export.xls", "file-not-excel", ""),
    ("truncated.xlsx", "file-corrupt", ""),
    ("locked.xlsx", "file-encrypted", ""),
    ("locked_old.xls", "file-encrypted", ""),
    # one stray value in XFD1048576: left out and named, the rest read (it holds no matrix)
    ("last_cell.xlsx", "cell-far-away", "XFD1048576"),
    ("last_cell.xlsx", "no-matrix-found", ""),
    ("laughs.xlsx", "file-corrupt", ""),
    ("bomb.xlsx", "file-too-large", ""),
    ("repeated.ods", "file-too-large", ""),
    ("locked.ods", "file-encrypted", ""),
} | ({
    # one stray value in IV65536, blanked and named, the rest read (it holds no matrix)
    ("far_cell.xls", "cell-far-away", "IV65536"),
    ("far_cell.xls", "no-matrix-found", ""),
} if READS_XLS else {
    # without calamine (xlwings Lite on Pyodide 0.27) an .xls return is refused, saying to save it as .xlsx
    ("far_cell.xls", "file-corrupt", ""),
})

#: Merged totals (mean of partners, out of 80) every format must give.
EXPECTED_TOTALS = {
    "Domestic abuse": 64.0,
    # police 3s with NK at criterion 5 (45); council ASB all 4s (64): mean per criterion.
    "Anti-social behaviour": 15 * 3.5 + 4.0,
    # police 2s (32) and probation 5s (80).
    "Reducing re-offending": 16 * 3.5,
    "Hate crime": 16.0,
    # council: 2s on criteria 1-12 (13 blank, 14-16 invalid); fire (first row only): 5s on all
    # but Media attention (13), which nobody could score.
    "Deliberate fires": 12 * 3.5 + 3 * 5,
    "Reduce re-offendng": 48.0,
    "Substance misuse (drugs and alcohol)": 32.0,
}
