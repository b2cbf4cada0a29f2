"""The pre-flight's limits, and the findings it refuses a file with.

A refusal deep inside a backend is raised as `Refused`, which carries its finding; the gate
(`inspect_file`) turns it back into the verdict's finding.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from csprisk.findings import LEFT_OUT, RESEND, Code, Finding
from csprisk.grid import SheetFacts

#: Generous for real returns (a 130-priority matrix is well under 1 MB).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 2_000
#: Rows x columns of a sheet's used area (to its furthest value). The reader allocates
#: about 32 bytes per cell of that area (500,000 cells: 16 MB), and the scan here takes
#: about 2 microseconds a cell, so the limit also keeps a hostile file under a second.
MAX_SHEET_CELLS = 500_000
#: The same bound for workbooks csprisk wrote itself and reads back (the previous assessment,
#: the ranked workbook to export): Partner scores at 6,000 returns is 5.3 million cells.
MAX_OUTPUT_SHEET_CELLS = 8_000_000
#: Cell records scanned in a legacy .xls before giving up (real returns hold thousands).
MAX_XLS_RECORDS = 2_000_000
#: Cells of each kind of fact remembered per sheet (formulas, errors, percentages, hidden
#: rows, merged ranges): enough for any matrix, and a bound on what a hostile file can make
#: us hold.
MAX_FACT_CELLS = 100_000

#: sheet name -> what the sheet's file says beyond its values (grid.SheetFacts).
FactsBySheet = dict[str, SheetFacts]

_sheet_cells = contextvars.ContextVar("sheet_cells", default=MAX_SHEET_CELLS)


def sheet_cell_limit() -> int:
    return _sheet_cells.get()


@contextlib.contextmanager
def sheet_cells_limited_to(cells: int) -> Iterator[None]:
    """Check files against another cell limit (for csprisk's own, larger workbooks)."""
    token = _sheet_cells.set(cells)
    try:
        yield
    finally:
        _sheet_cells.reset(token)


class Refused(Exception):
    """A file refused deep inside a backend; `finding` says why."""

    def __init__(self, problem: Finding) -> None:
        super().__init__(problem.message)
        self.finding = problem


class Locked(Refused):
    """A file encrypted with a password (it may be Excel's default one: see unlock)."""


def megabytes(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def too_large(label: str, what: str) -> Finding:
    return Code.FILE_TOO_LARGE.finding(
        file=label, what=what, limits=f"{megabytes(MAX_FILE_BYTES)} per file, "
                                      f"{megabytes(MAX_UNCOMPRESSED_BYTES)} unpacked, "
                                      f"{sheet_cell_limit():,} cells per sheet")


def sheet_too_large(label: str, sheet: str, rows: int, cols: int) -> Refused:
    return Refused(too_large(label, f'Sheet "{sheet}" reaches {rows:,} rows by {cols:,} columns '
                             f"({rows * cols:,} cells), over the limit of {sheet_cell_limit():,}."))


def corrupt(label: str, why: str = "") -> Finding:
    """A file that cannot be read. `why` is said in a partner's words, never an exception's
    text (a reader's messages are for programmers: "File is not a zip file")."""
    detail = f" ({why})" if why else ""
    return Code.FILE_CORRUPT.finding(
        file=label, reason=f"could not be read; it may be damaged or only partly saved{detail}",
        advice=f"{RESEND} {LEFT_OUT}")


def encrypted(label: str) -> Finding:
    return Code.FILE_ENCRYPTED.finding(file=label)


def not_excel(label: str, kind: str) -> Finding:
    return Code.FILE_NOT_EXCEL.finding(
        file=label, reason=f"is {kind}, not an Excel workbook, so it cannot be a return",
        advice="Ask the partner to fill in the risk-matrix template and send the .xlsx file.")


def old_or_other_excel(label: str, what: str) -> Finding:
    """An Excel file in a format that is not read here (.xlsb, Excel 2003 XML, Excel 2.0-4.0)."""
    return Code.FILE_NOT_EXCEL.finding(
        file=label, reason=f"is {what}",
        advice="Open it in Excel, save it as an Excel Workbook (.xlsx) (File > Save As) and send it again.")


def dtd_refused(label: str, part: str) -> Refused:
    return Refused(Code.FILE_CORRUPT.finding(
        file=label, reason=f"was not opened: its part {part} declares XML entities (a DOCTYPE), which "
                           "real spreadsheets never do and which can be used to attack the reader",
        advice=RESEND))
