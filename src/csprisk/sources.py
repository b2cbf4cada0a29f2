"""Sources -> grids: find the returns among the inputs and read each file's cell values.

python-calamine reads values fast; where it is unavailable (xlwings Lite runs Pyodide)
openpyxl reads instead. This is the only module that opens input files, and it opens
them read-only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .findings import Finding
from .grid import Grid
from .preflight import corrupt, encrypted

RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


class InputError(ValueError):
    """An input named on the command line that does not exist."""


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def is_skippable(path: Path) -> str | None:
    """Why a file found in a folder is not a return (None when it may be one)."""
    name = path.name
    if name.startswith("~$") or name.startswith(".~lock"):
        return "an Excel or LibreOffice lock file, not a return"
    if name.startswith("."):
        return "a hidden file"
    return None


def discover(inputs: Iterable[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """Files to read, in a stable order, and the files passed over in folders."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*"), key=lambda p: str(p).casefold()):
                if not child.is_file() or any(part.startswith(".") for part in child.relative_to(path).parts[:-1]):
                    continue
                reason = is_skippable(child)
                if reason:
                    skipped.append(Skipped(child, reason))
                elif child.suffix.lower() in RETURN_SUFFIXES or child.suffix.lower() == ".csv":
                    files.append(child)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{item} does not exist. Name a return file or a folder of returns.")
    unique, seen = [], set()
    for f in files:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, skipped


def read_grids(path: Path, label: str) -> tuple[list[Grid], list[Finding]]:
    """Every worksheet of a workbook file as a grid; a finding instead when it can't be read.

    The format is decided by the file's content (an .xls renamed .xlsx still reads), and
    nothing is parsed until the pre-flight check has found the file safe to open.
    """
    from .preflight import XLSX, inspect_file  # the safety gate runs before any parser

    verdict = inspect_file(path, label)
    if verdict.finding is not None:
        return [], [verdict.finding]
    try:
        import python_calamine  # noqa: F401
    except ImportError:  # Pyodide (xlwings Lite): no calamine wheel
        if verdict.kind != XLSX:
            return [], [corrupt(label, "only .xlsx and .xlsm files can be read here")]
        return _read_with_openpyxl(path, label, verdict.formulas)
    return _read_with_calamine(path, label, verdict.formulas)


def _read_with_calamine(path: Path, label: str,
                        formulas: dict[str, set[tuple[int, int]]]) -> tuple[list[Grid], list[Finding]]:
    import python_calamine as pc

    try:
        with open(path, "rb") as handle:
            workbook = pc.CalamineWorkbook.from_filelike(handle)
            grids = []
            # Visible sheets first: a matrix on a hidden scratch sheet loses a tie.
            metas = sorted(workbook.sheets_metadata, key=lambda m: m.visible != pc.SheetVisibleEnum.Visible)
            for meta in metas:
                if meta.typ != pc.SheetTypeEnum.WorkSheet:
                    continue
                sheet = workbook.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=True)
                top, left = sheet.start or (0, 0)
                grids.append(Grid(label, meta.name, rows, top, left,
                                  formulas=frozenset(formulas.get(meta.name, ()))))
            return grids, []
    except pc.PasswordError:
        return [], [encrypted(label)]
    except Exception as error:  # calamine raises many kinds for damaged files
        return [], [corrupt(label, error)]


def _read_with_openpyxl(path: Path, label: str,
                        formulas: dict[str, set[tuple[int, int]]]) -> tuple[list[Grid], list[Finding]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        return [], [corrupt(label, error)]
    try:
        grids = []
        for sheet in workbook.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            grids.append(Grid(label, sheet.title, rows, formulas=frozenset(formulas.get(sheet.title, ()))))
        return grids, []
    except Exception as error:
        return [], [corrupt(label, error)]
    finally:
        workbook.close()
