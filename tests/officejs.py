"""Test helpers for the Excel add-in, without Excel.

- `server_xlwings()` gives xlwings as xlwings Lite and Server run it (`XLWINGS_ON_SERVER`),
  even when another test imported xlwings first in desktop mode.
- `book_json(path)` turns a real .xlsx into the JSON book the Office.js client sends.
- `apply_actions(path, actions)` applies the actions a script returns to a copy of that
  workbook with openpyxl, doing what Excel does with each (including turning text that
  looks like a formula or a number into one, unless it starts with an apostrophe).
- `function_call(...)` is the payload Excel sends for one custom-function call.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import sys
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

REPO = Path(__file__).resolve().parents[1]


def server_xlwings():
    """xlwings in server mode (the dispatch xlwings Lite and Server run), and the udfs module.

    xlwings decides at import time: with XLWINGS_ON_SERVER=true its decorators come from
    xlwings.server, otherwise (on Linux) they do nothing. Set the variables, reload xlwings
    if it was imported in desktop mode, and (re)load udfs.py so its decorators are the
    server ones.
    """
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
    os.environ["XLWINGS_ON_SERVER"] = "true"
    import xlwings

    if not xlwings.on_server or not getattr(xlwings, "__pro__", False):
        xlwings = importlib.reload(xlwings)
    import xlwings.server  # noqa: F401

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    udfs = sys.modules.get("udfs")
    if udfs is None or not hasattr(udfs.risk_total, "__xlfunc__"):
        udfs = importlib.import_module("udfs") if udfs is None else importlib.reload(udfs)
    return xlwings, udfs


def run_coroutine(coroutine):
    """Run an xlwings.server coroutine to its end: asyncio.run in CPython; inside Pyodide,
    where an event loop is always running, through Pyodide's run_sync (JSPI)."""
    if sys.platform == "emscripten":
        from pyodide.ffi import run_sync

        return run_sync(coroutine)
    import asyncio

    return asyncio.run(coroutine)


def function_call(xw, name: str, *args: Any, caller: str = "Example!R5") -> dict:
    """The data Excel (Office.js) sends for one custom-function call."""
    return {
        "func_name": name, "args": list(args), "caller_address": caller,
        "formula_name": name.upper(), "client": "Office.js", "version": xw.__version__,
        "runtime": "1.4", "culture_info_name": "en-GB", "date_format": "dd/mm/yyyy",
    }


# ------------------------------------------------------------------ xlsx -> Office.js book

_EPOCH = dt.datetime(1899, 12, 30)


def _as_sent(value: Any) -> Any:
    """A cell value as Office.js sends it: "" for blank, dates as serial numbers."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (value - _EPOCH).total_seconds() / 86400
    if isinstance(value, dt.date):
        return float((dt.datetime.combine(value, dt.time()) - _EPOCH).days)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON (and Pyodide) hand whole numbers over as int
    return value


def copy_returns_into(workbook, returns) -> None:
    """Copy each return's first sheet into `workbook` as "Return N", values only (as the
    analyst's Move or Copy keeps what Excel shows; our template's formulas are left out)."""
    for number, file in enumerate(returns, 1):
        source = openpyxl.load_workbook(file).worksheets[0]
        sheet = workbook.create_sheet(f"Return {number}")
        for row in source.iter_rows():
            for cell in row:
                if cell.value is not None and not str(cell.value).startswith("="):
                    sheet.cell(row=cell.row, column=cell.column, value=cell.value)


def book_json(path: Path, name: str | None = None, xw=None) -> dict:
    """The JSON book the Office.js client sends for the workbook at `path`.

    Values are the cached (calculated) values, anchored at A1 as the client sends them,
    with the used range's address beside them.
    """
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets, names = [], []
    for index, ws in enumerate(wb.worksheets):
        for defined in ws.defined_names.values():  # sheet-scoped names, as the client lists them
            names.append({"name": defined.name, "refers_to": "=" + defined.attr_text,
                          "sheet_index": index, "book_scope": False,
                          "address": defined.attr_text.rsplit("!", 1)[-1].replace("$", ""),
                          "scope_sheet_name": ws.title, "scope_sheet_index": index})
        max_row, max_col = ws.max_row, ws.max_column
        values = [[_as_sent(ws.cell(row=r, column=c).value) for c in range(1, max_col + 1)]
                  for r in range(1, max_row + 1)]
        used = ws.calculate_dimension() if any(v != "" for row in values for v in row) else None
        sheets.append({
            "name": ws.title, "visibility": "Visible", "values": values,
            "used_range_address": used if used and ":" in used else (f"{used}:{used}" if used else None),
            "pictures": [], "shapes": [], "charts": [], "notes": [], "tables": [],
            "print_area": None, "show_gridlines": True, "pivot_tables": [],
        })
    return {
        "client": "Office.js",
        "version": xw.__version__ if xw else "0",
        "book": {"name": name or path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


# ------------------------------------------------------------- actions -> openpyxl copy

@dataclass
class Applied:
    workbook: Any
    alerts: list[dict] = field(default_factory=list)
    widths_in_points: dict[tuple[str, str], float] = field(default_factory=dict)
    frozen: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def excel_entry(value: Any) -> Any:
    """What Excel stores when a script sets a cell to `value` (as typing it would)."""
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]  # the apostrophe keeps the rest as text and is not shown
        if value.startswith("="):
            return value  # a formula
        if _NUMBER.match(value):
            number = float(value)
            return int(number) if number.is_integer() else number
        if value.startswith(("+", "-", "@")):
            return "=" + value  # typing "+Drugs" or "-Knife crime" starts a formula (#NAME? then)
        if value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
    return value


def apply_actions(path: Path, actions: list[dict]) -> Applied:
    """Apply a script's actions to a fresh copy of the workbook at `path`, as Excel would."""
    wb = openpyxl.load_workbook(path)
    applied = Applied(wb)
    for action in actions:
        func, args = action["func"], action.get("args") or []
        position = action.get("sheet_position")
        ws = wb.worksheets[position] if position is not None and func not in ("addSheet",) else None
        cells = _cells(ws, action) if ws is not None and action.get("start_row") is not None else []
        if func == "addSheet":
            wb.create_sheet(args[1], index=args[0])
        elif func == "sheetDelete":
            wb.remove(ws)
        elif func == "setSheetName":
            ws.title = args[0]
        elif func == "setValues":
            for r, row in enumerate(action["values"]):
                for c, value in enumerate(row):
                    cell = ws.cell(row=action["start_row"] + r + 1, column=action["start_column"] + c + 1,
                                   value=excel_entry(value))
                    if isinstance(value, str) and value.startswith("'"):
                        cell.data_type = "s"  # quoted: text, even when it starts with "="
        elif func == "setNumberFormat":
            for cell in cells:
                cell.number_format = args[0]
        elif func == "setRangeColor":
            for cell in cells:
                cell.fill = PatternFill("solid", fgColor=args[0].lstrip("#").upper())
        elif func == "setFontProperty":
            prop, value = args
            for cell in cells:
                cell.font = _changed(cell.font, **{prop: value.lstrip("#").upper() if prop == "color" else value})
        elif func == "setWrapText":
            for cell in cells:
                cell.alignment = _changed(cell.alignment, wrap_text=bool(args[0]))
        elif func in ("setHorizontalAlignment", "setVerticalAlignment"):
            key = "horizontal" if func == "setHorizontalAlignment" else "vertical"
            for cell in cells:
                cell.alignment = _changed(cell.alignment, **{key: args[0].lower()})
        elif func == "setColumnWidth":
            letter = get_column_letter(action["start_column"] + 1)
            applied.widths_in_points[(ws.title, letter)] = args[0]
            ws.column_dimensions[letter].width = (args[0] / 0.75 - 5) / 7
        elif func == "setRowHeight":
            ws.row_dimensions[action["start_row"] + 1].height = args[0]
        elif func == "freezePaneAtRange":
            applied.frozen[ws.title] = args[0]
        elif func == "namesAdd":  # added through a sheet: scoped to that sheet
            ws.defined_names[args[0]] = DefinedName(args[0], attr_text=args[1].lstrip("="))
        elif func == "alert":
            applied.alerts.append({"prompt": args[0], "title": args[1]})
        elif func in ("activateSheet", "setAutofit", "setSheetAutofit", "rangeMerge", "addHyperlink"):
            pass
        else:
            applied.unknown.append(func)
    return applied


def _changed(style, **changes):
    changed = copy(style)
    for name, value in changes.items():
        setattr(changed, name, value)
    return changed


def _cells(ws, action: dict):
    top, left = action["start_row"] + 1, action["start_column"] + 1
    bottom = top + (action.get("row_count") or 1) - 1
    right = left + (action.get("column_count") or 1) - 1
    return [cell for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
            for cell in row]


def sheet_values(ws) -> dict[tuple[int, int], Any]:
    """Non-blank cells of a worksheet by 0-based (row, col)."""
    def plain(value):  # an array formula is an object: compare its range and text
        return ("array", value.ref, value.text) if hasattr(value, "text") else value

    return {(c.row - 1, c.column - 1): plain(c.value) for row in ws.iter_rows() for c in row
            if c.value is not None}

