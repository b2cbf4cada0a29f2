"""The legacy Excel backend (.xls): the OLE container opened with olefile, then its BIFF
records walked to refuse a password, measure each sheet and collect its facts."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO

from csprisk.findings import Finding
from csprisk.grid import SheetFacts
from csprisk.read.preflight.facts import (
    BUILTIN_PERCENT,
    add_error,
    add_hidden_row,
    add_merged,
    add_percent,
    is_percent_format,
)
from csprisk.read.preflight.limits import (
    MAX_FILE_BYTES,
    MAX_XLS_RECORDS,
    FactsBySheet,
    Locked,
    Refused,
    corrupt,
    encrypted,
    not_excel,
    sheet_cell_limit,
    sheet_too_large,
    too_large,
)
from csprisk.read.preflight.repackage import FarCells, core_extent
from csprisk.read.preflight.xmlscan import Extent

_OLE_ERRORS = (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError)


def inspect_ole(source: Path | IO[bytes], label: str, cut_far: bool = False) -> FactsBySheet:
    """An OLE compound file: a legacy .xls has its sheets' facts returned; a Word or
    PowerPoint file is refused (raises Refused), an encrypted .xlsx (EncryptedPackage) or
    .xls (FILEPASS) raises Locked."""
    import olefile

    try:
        ole = olefile.OleFileIO(str(source) if isinstance(source, Path) else source)
    except _OLE_ERRORS:
        raise Refused(corrupt(label, "its Office container is damaged")) from None
    with ole:
        # top-level streams only: a workbook's lie at the root
        names = {entry[0].casefold(): entry for entry in ole.listdir(streams=True, storages=False)
                 if len(entry) == 1}
        if "encryptedpackage" in names or "encryptioninfo" in names:
            raise Locked(encrypted(label))
        workbook = names.get("workbook") or names.get("book")
        if workbook is None:
            if "worddocument" in names:
                raise Refused(not_excel(label, "a Word document"))
            if "powerpoint document" in names:
                raise Refused(not_excel(label, "a PowerPoint presentation"))
            raise Refused(not_excel(label, "an Office file of another kind"))
        try:
            stream = ole.openstream(workbook).read(MAX_FILE_BYTES)
        except _OLE_ERRORS:
            raise Refused(corrupt(label, "its workbook stream is damaged")) from None
    return inspect_biff(stream, label, cut_far)


# BIFF record types that put a value in a cell (row at offset 0, column at offset 2).
_BIFF_CELLS = {0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6, 0x0406}
_BIFF_MULRK, _BIFF_BOF, _BIFF_FILEPASS, _BIFF_BOUNDSHEET = 0x00BD, 0x0809, 0x002F, 0x0085
_BIFF_ROW, _BIFF_COLINFO, _BIFF_MERGEDCELLS, _BIFF_BOOLERR, _BIFF_FORMULA = 0x0208, 0x007D, 0x00E5, 0x0205, 0x0006
_BIFF_XF, _BIFF_FORMAT, _BIFF_NUMBER, _BIFF_RK = 0x00E0, 0x041E, 0x0203, 0x027E
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
                0x24: "#NUM!", 0x2A: "#N/A"}


def inspect_biff(stream: bytes, label: str, cut_far: bool = False) -> FactsBySheet:
    """Walk the BIFF records of a legacy .xls: refuse a password, measure each sheet and
    note what its records say beyond values (hidden rows and columns, merged ranges, error
    and percentage cells). Where `cut_far`, a sheet over the limit only through a few stray
    cells raises FarCells (at the end) instead."""
    at, records, sheet_index = 0, 0, -1
    used = _Used()
    facts_by_sheet: FactsBySheet = {}
    extent = Extent()
    sheet_names: list[str] = []
    percent_formats = set(BUILTIN_PERCENT)
    xf_formats: list[int] = []  # each cell style's number format
    percent_styles: set[int] = set()
    end = len(stream)
    while at + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4: at + 4 + length]
        at += 4 + length
        records += 1
        if records > MAX_XLS_RECORDS:
            raise Refused(too_large(label, f"This file holds over {MAX_XLS_RECORDS:,} records."))
        if kind == _BIFF_FILEPASS:
            raise Locked(encrypted(label))
        if kind == _BIFF_BOUNDSHEET and len(body) >= 8:
            sheet_names.append(_biff_string(body[6:], length_bytes=1))
        elif kind == _BIFF_BOF:
            if len(body) >= 4 and struct.unpack_from("<H", body, 2)[0] != 0x0005:  # not the globals
                sheet_index += 1
                percent_styles = {i for i, number in enumerate(xf_formats) if number in percent_formats}
            used.finish(extent, label, cut_far)
            used.start_sheet()
            extent.rows = extent.cols = 0
            extent.sheet = sheet_names[sheet_index] if 0 <= sheet_index < len(sheet_names) else str(sheet_index + 1)
            extent.facts = facts_by_sheet.setdefault(extent.sheet, SheetFacts())
        elif kind == _BIFF_FORMAT and len(body) >= 5:
            if is_percent_format(_biff_string(body[2:])):
                percent_formats.add(struct.unpack_from("<H", body, 0)[0])
        elif kind == _BIFF_XF and len(body) >= 4 and sheet_index < 0:
            xf_formats.append(struct.unpack_from("<H", body, 2)[0])
        elif kind in _BIFF_CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body, 0)
            extent.reach(row + 1, col + 1)
            used.add(row, col, col)
            _biff_cell(extent, kind, body, row, col, percent_styles)
        elif kind == _BIFF_MULRK and len(body) >= 6:
            row, first = struct.unpack_from("<HH", body, 0)
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            extent.reach(row + 1, last + 1)
            used.add(row, first, min(last, first + (len(body) - 6) // 6))
            for i in range(min(last - first + 1, (len(body) - 6) // 6)):
                if struct.unpack_from("<H", body, 4 + 6 * i)[0] in percent_styles:
                    add_percent(extent.facts, row, first + i)
        elif kind == _BIFF_ROW and len(body) >= 16:
            row, flags = struct.unpack_from("<H", body, 0)[0], struct.unpack_from("<I", body, 12)[0]
            if flags & 0x20 and not flags & 0x7:  # hidden (fDyZero), not folded in an outline
                add_hidden_row(extent.facts, str(row + 1), "")
        elif kind == _BIFF_COLINFO and len(body) >= 10:
            first, last, _, _, flags = struct.unpack_from("<HHHHH", body, 0)
            if flags & 0x1 and not flags & 0x700:
                extent.facts.hidden_cols.update(range(first, min(last, 16383) + 1))
        elif kind == _BIFF_MERGEDCELLS and len(body) >= 2:
            count = min(struct.unpack_from("<H", body, 0)[0], (len(body) - 2) // 8)
            for i in range(count):
                top, bottom, left, right = struct.unpack_from("<HHHH", body, 2 + 8 * i)
                add_merged(extent.facts, top, left, bottom, right)
        if used.values > sheet_cell_limit() or (not cut_far and extent.rows * extent.cols > sheet_cell_limit()):
            raise sheet_too_large(label, extent.sheet, extent.rows, extent.cols)
    used.finish(extent, label, cut_far)
    if used.far and used.refusal is not None:
        raise FarCells(used.far, used.refusal, fmt="xls")
    return facts_by_sheet


class _Used:
    """The rows and columns the current sheet's values use, counted (for cutting stray cells),
    and the sheets found over the limit only through stray cells."""

    def __init__(self) -> None:
        self.far: dict[str, tuple[str, int, int]] = {}
        self.refusal: Finding | None = None
        self.start_sheet()

    def start_sheet(self) -> None:
        self.rows: set[int] = set()
        self.cols: set[int] = set()
        self.values = 0

    def add(self, row: int, first: int, last: int) -> None:
        self.values += last - first + 1
        self.rows.add(row)
        self.cols.update(range(first, last + 1))

    def finish(self, extent: Extent, label: str, cut_far: bool) -> None:
        """The sheet just walked: refused when over the limit, unless only stray cells put it there."""
        if extent.rows * extent.cols <= sheet_cell_limit():
            return
        body_rows, body_cols = core_extent(self.rows, self.cols) if cut_far else (extent.rows, extent.cols)
        if body_rows * body_cols > sheet_cell_limit():
            raise sheet_too_large(label, extent.sheet, extent.rows, extent.cols)
        self.far[extent.sheet] = (extent.sheet, body_rows, body_cols)
        self.refusal = self.refusal or sheet_too_large(label, extent.sheet, extent.rows, extent.cols).finding


def _biff_cell(extent: Extent, kind: int, body: bytes, row: int, col: int, percent_styles: set[int]) -> None:
    facts = extent.facts
    if kind == _BIFF_FORMULA:
        extent.formula(row, col)
        if len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 2:  # an error result
            add_error(facts, row, col, _BIFF_ERRORS.get(body[8], "#N/A"))
    elif kind == _BIFF_BOOLERR and len(body) >= 8 and body[7] == 1:
        add_error(facts, row, col, _BIFF_ERRORS.get(body[6], "#N/A"))
    if kind in (_BIFF_NUMBER, _BIFF_RK, _BIFF_FORMULA) and len(body) >= 6:
        if struct.unpack_from("<H", body, 4)[0] in percent_styles:
            add_percent(facts, row, col)


def _biff_string(body: bytes, length_bytes: int = 2) -> str:
    """A BIFF8 unicode string: its length (16-bit in FORMAT records, 8-bit in a sheet's
    BOUNDSHEET name), a flags byte (bit 0: two bytes a character), then the characters."""
    if len(body) < length_bytes + 1:
        return ""
    length = int.from_bytes(body[:length_bytes], "little")
    flags, raw = body[length_bytes], body[length_bytes + 1:]
    try:
        return raw[: length * 2].decode("utf-16-le") if flags & 1 else raw[:length].decode("latin-1")
    except UnicodeDecodeError:
        return ""
