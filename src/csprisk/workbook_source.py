"""The open workbook (an xlwings Book) as a source: its settings and the returns in it.

Sheets become the same `Grid`s that files become, so the one parser reads both. Works
with any xlwings engine: desktop Excel, and the remote engine of xlwings Lite and Server.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .grid import Grid
from .merge import Source
from .parse import find_layout
from .scheme import Scheme, scheme_from_mapping
from .settings_sheet import SETTINGS_SHEET, settings_from_rows


@dataclass(frozen=True)
class BookReturns:
    """What Merge & Rank found to merge, and what it could not look at."""

    sheets: tuple[Source, ...]
    files: tuple[Source, ...]
    folder: Path | None  # the returns folder that was read, if any
    notes: tuple[str, ...]  # plain sentences for the analyst

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.sheets + self.files


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


def sheet_sources(book: Any, scheme: Scheme, skip: Iterable[str]) -> list[Source]:
    """One source per sheet that holds a risk matrix, other than the sheets in `skip`."""
    skipped = {name.casefold() for name in skip}
    sources = []
    for sheet in book.sheets:
        if sheet.name.casefold() in skipped:
            continue
        grid = sheet_grid(book, sheet)
        if find_layout(grid, scheme) is not None:
            sources.append(Source(sheet_label(sheet.name), [grid], in_book=True))
    return sources


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


def find_returns(book: Any, scheme: Scheme, skip: Iterable[str]) -> BookReturns:
    from .merge import read_source
    from .sources import RETURN_SUFFIXES, discover

    notes = []
    sheets = sheet_sources(book, scheme, skip)
    here = files_folder(book)
    in_lite = here is not None and here == lite_files()
    folder = returns_folder(scheme, here)
    named = scheme.returns_folder or "returns"
    files: list[Source] = []
    if folder is not None:
        paths, _skipped = discover([folder])
        for path in paths:
            files.append(read_source(path, label=str(path.relative_to(folder.parent))))
    elif here is None and not Path(named).is_absolute():
        notes.append(f'The returns folder "{named}" was not read: this Excel cannot see files beside '
                     "the workbook. Copy partners' sheets into this workbook, or name a full path on "
                     "the Settings sheet.")
    elif in_lite:
        loose = sorted(p.name for p in here.iterdir() if p.is_file() and p.suffix.lower() in RETURN_SUFFIXES)
        note = (f'There is no folder "{named}" in {LITE_FILES_NAME}; only returns in this workbook\'s '
                f'sheets were read. To merge workbooks partners sent, put them in a folder called "{named}" '
                "and drop the folder there.")
        if loose:
            note += f" These files are there but not in that folder, so they were not read: {', '.join(loose[:5])}"
            note += f" and {len(loose) - 5} more." if len(loose) > 5 else "."
        notes.append(note)
    else:
        where = f'"{named}"' + (f" beside {book.name}" if here else "")
        notes.append(f"There is no returns folder {where}; only returns in this workbook's sheets "
                     "were read.")
    return BookReturns(tuple(sheets), tuple(files), folder, tuple(notes))
