"""Settings from a file: a TOML settings file, or the Settings sheet of an analyst workbook
(read through the same gate as every workbook)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from csprisk.scheme import Scheme, SchemeError, scheme_from_mapping
from csprisk.scheme.settings_sheet import SETTINGS_SHEET, settings_from_rows


def load_scheme(path: str | os.PathLike[str] | None = None, base: Scheme | None = None) -> Scheme:
    """The default scheme, or one read from a TOML settings file or an analyst workbook."""
    scheme = base or Scheme()
    if path is None:
        return scheme
    path = Path(path)
    if not path.exists():
        raise SchemeError(f"The settings file {path} does not exist.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return scheme_from_mapping(read_settings_workbook(path), scheme)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SchemeError(f"The settings file {path.name} is not valid TOML: {error}") from None
    return scheme_from_mapping(data, scheme)



def read_settings_workbook(path: str | Path) -> dict[str, Any]:
    """The settings mapping from an analyst workbook's Settings sheet (read-only)."""
    from csprisk.read.sources import SETTINGS_WORKBOOK, WorkbookRefused, read_workbook

    path = Path(path)
    try:
        grids = read_workbook(path, SETTINGS_WORKBOOK, sheets=[SETTINGS_SHEET])
    except WorkbookRefused as error:
        raise SchemeError(str(error)) from None
    grid = next((g for g in grids if g.sheet.casefold() == SETTINGS_SHEET.casefold()), None)
    if grid is None:
        raise SchemeError(f'The workbook {path.name} has no "{SETTINGS_SHEET}" sheet, so it cannot '
                          "be used as settings. Use the analyst workbook (csprisk workbook -o FILE).")
    return settings_from_rows(grid.rows)


