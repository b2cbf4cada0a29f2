"""The open workbook (an xlwings Book) as a source: its settings and the returns in it.

Sheets become the same `Grid`s that files become, so the one parser reads both. Works
with any xlwings engine: desktop Excel, and the remote engine of xlwings Lite and Server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from csprisk.grid import Grid
from csprisk.scheme import Scheme, scheme_from_mapping
from csprisk.scheme.settings_sheet import SETTINGS_SHEET, settings_from_rows


def sheet_grid(book: Any, sheet: Any) -> Grid:
    """A sheet's used range as a grid that knows where it sits on the sheet."""
    used = sheet.used_range
    values = used.options(ndim=2).value or []
    return Grid(book.name, sheet.name, [list(row) for row in values], used.row - 1, used.column - 1)


def scheme_from_book(book: Any, base: Scheme | None = None) -> Scheme:
    """The scheme from the book's Settings sheet; the default scheme if it has none."""
    sheet = find_sheet(book, SETTINGS_SHEET)
    if sheet is None:
        return base or Scheme()
    return scheme_from_mapping(settings_from_rows(sheet_grid(book, sheet).rows), base)


def find_sheet(book: Any, name: str) -> Any | None:
    return next((s for s in book.sheets if s.name.casefold() == name.casefold()), None)


def sheet_label(sheet_name: str) -> str:
    """How a return held in a sheet of the open workbook is named in findings and reports."""
    return f"{sheet_name} (this workbook)"


#: Where xlwings Lite shows Python the files dropped onto its menu > Files > Import/Export
#: (folders keep their paths: a folder "returns" is /data/returns); files Python writes
#: there appear in that list to download.
LITE_FILES = Path("/data")
LITE_FILES_NAME = "xlwings Lite's Files (menu > Files > Import/Export)"


def lite_files() -> Path | None:
    """xlwings Lite's files area, when running inside Lite (Pyodide) and it is there."""
    if sys.platform == "emscripten" and LITE_FILES.is_dir():
        return LITE_FILES
    return None


def workbook_folder(book: Any) -> Path | None:
    """The folder the workbook is saved in, where this runtime can see it (desktop Excel).

    xlwings Lite and Server only know the workbook's name, so there it is None.
    """
    try:
        path = Path(book.fullname)
    except Exception:  # an unsaved or cloud workbook may have no usable path
        return None
    if path.is_absolute() and path.parent.is_dir():
        return path.parent
    return None


def files_folder(book: Any) -> Path | None:
    """Where this runtime keeps the analyst's files: the workbook's folder on desktop Excel,
    Lite's files area in xlwings Lite; None where Python can see neither."""
    return workbook_folder(book) or lite_files()


def returns_folder(scheme: Scheme, folder: Path | None) -> Path | None:
    """The returns folder named on the Settings sheet, resolved; None if it can't be seen."""
    named = Path(scheme.returns_folder or "returns").expanduser()
    if not named.is_absolute():
        if folder is None:
            return None
        named = folder / named
    return named if named.is_dir() else None
