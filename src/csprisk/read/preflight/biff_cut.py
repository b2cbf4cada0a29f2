"""Stray cells cut from a legacy .xls: each far cell record is blanked in place (its type
set to 0, a record every reader skips), and each sheet's DIMENSIONS record says the size
of the rest, so the stream keeps its length and every offset in it holds."""

from __future__ import annotations

import io
import struct

from csprisk.grid import cell_address
from csprisk.read.preflight.repackage import MAX_FAR_CELLS, FarCell

_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _SST, _CONTINUE = 0x0809, 0x000A, 0x0085, 0x0200, 0x00FC, 0x003C
_NUMBER, _RK, _LABEL, _LABELSST, _BOOLERR, _FORMULA, _MULRK = 0x0203, 0x027E, 0x0204, 0x00FD, 0x0205, 0x0006, 0x00BD
_CELLS = {_NUMBER, _RK, _LABEL, _LABELSST, _BOOLERR, _FORMULA, 0x00D6, 0x0406}


def xls_without_far_cells(raw: bytes, far: dict[str, tuple[str, int, int]]) -> tuple[bytes, list[FarCell]] | None:
    """The compound file with the cells beyond each listed sheet's body (name -> (name, body
    rows, body cols)) blanked, and the cells blanked that held a value; None when a sheet has
    more than MAX_FAR_CELLS of them or the file cannot be rewritten."""
    import olefile

    try:
        with olefile.OleFileIO(raw) as ole:
            name = "Workbook" if ole.exists("Workbook") else "Book"
            stream = bytearray(ole.openstream(name).read())
    except (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError):
        return None
    cut, counts = _blank(stream, far)
    if cut is None or any(count > MAX_FAR_CELLS for count in counts.values()):
        return None
    out = io.BytesIO(raw)
    try:
        with olefile.OleFileIO(out, write_mode=True) as ole:
            ole.write_stream(name, bytes(stream))
    except (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError):
        return None
    return out.getvalue(), cut


def _blank(stream: bytearray, far: dict[str, tuple[str, int, int]]) -> tuple[list[FarCell] | None, dict[str, int]]:
    names: list[str] = []
    strings: list[str] = []
    sheet_index, bounds, sheet = -1, None, ""
    cut: list[FarCell] = []
    counts: dict[str, int] = {}
    at = 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        body = bytes(stream[at + 4: at + 4 + length])
        if kind == _BOUNDSHEET and len(body) >= 8:
            names.append(_string(body[6:], 1))
        elif kind == _SST:
            strings = _shared_strings(stream, at)
        elif kind == _BOF and len(body) >= 4 and struct.unpack_from("<H", body, 2)[0] != 0x0005:
            sheet_index += 1
            sheet = names[sheet_index] if sheet_index < len(names) else str(sheet_index + 1)
            found = far.get(sheet)
            bounds = (found[1], found[2]) if found else None
        elif bounds is not None and kind == _DIMENSIONS and len(body) >= 12:
            struct.pack_into("<IIHH", stream, at + 4, 0, bounds[0], 0, bounds[1])
        elif bounds is not None and (kind in _CELLS or kind == _MULRK) and len(body) >= 6:
            row, col = struct.unpack_from("<HH", body, 0)
            if row >= bounds[0] or col >= bounds[1]:
                struct.pack_into("<H", stream, at, 0)
                counts[sheet] = counts.get(sheet, 0) + 1
                value = _value(kind, body, strings)
                if value is not None:
                    cut.append(FarCell(sheet, cell_address(row, col), value))
        at += 4 + length
    return cut, counts


def _value(kind: int, body: bytes, strings: list[str]) -> object:
    """A cell record's value as typed (the first of a MULRK's), or None when it has none."""
    if kind == _NUMBER and len(body) >= 14:
        return _whole(struct.unpack_from("<d", body, 6)[0])
    if kind in (_RK, _MULRK) and len(body) >= 10:
        return _whole(_rk(struct.unpack_from("<I", body, 6)[0]))
    if kind == _LABEL:
        return _string(body[6:], 2) or None
    if kind == _LABELSST and len(body) >= 10:
        index = struct.unpack_from("<I", body, 6)[0]
        return strings[index] if index < len(strings) else "(text)"
    if kind == _BOOLERR and len(body) >= 8:
        return bool(body[6]) if body[7] == 0 else None
    if kind == _FORMULA and len(body) >= 14 and body[12:14] != b"\xff\xff":
        return _whole(struct.unpack_from("<d", body, 6)[0])
    return None


def _whole(number: float) -> object:
    return int(number) if number == number and number.is_integer() and abs(number) < 1e15 else number


def _rk(rk: int) -> float:
    """An RK number: a 30-bit integer or the top 30 bits of a double, maybe divided by 100."""
    if rk & 2:
        number = float(struct.unpack("<i", struct.pack("<I", rk & 0xFFFFFFFC))[0] >> 2)
    else:
        number = struct.unpack("<d", struct.pack("<Q", (rk & 0xFFFFFFFC) << 32))[0]
    return number / 100 if rk & 1 else number


def _string(body: bytes, length_bytes: int) -> str:
    """A BIFF8 unicode string: its length, a flags byte (bit 0: two bytes a character), the characters."""
    if len(body) < length_bytes + 1:
        return ""
    length = int.from_bytes(body[:length_bytes], "little")
    flags, raw = body[length_bytes], body[length_bytes + 1:]
    return raw[: length * 2].decode("utf-16-le", "replace") if flags & 1 else raw[:length].decode("latin-1")


def _shared_strings(stream: bytearray, at: int, limit: int = 100_000) -> list[str]:
    """The SST's strings (the record and its CONTINUEs); exact for an SST in one record,
    a best effort where a string is split across records."""
    data = b""
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        if kind not in (_SST, _CONTINUE) or (kind == _SST and data):
            break
        data += bytes(stream[at + 4 + (8 if kind == _SST else 0): at + 4 + length])
        at += 4 + length
    strings: list[str] = []
    offset = 0
    while offset + 3 <= len(data) and len(strings) < limit:
        count, flags = struct.unpack_from("<HB", data, offset)
        offset += 3
        runs = struct.unpack_from("<H", data, offset)[0] if flags & 0x08 and offset + 2 <= len(data) else 0
        offset += 2 if flags & 0x08 else 0
        extra = struct.unpack_from("<I", data, offset)[0] if flags & 0x04 and offset + 4 <= len(data) else 0
        offset += 4 if flags & 0x04 else 0
        size = count * 2 if flags & 1 else count
        chunk = data[offset: offset + size]
        strings.append(chunk.decode("utf-16-le", "replace") if flags & 1 else chunk.decode("latin-1"))
        offset += size + 4 * runs + extra
    return strings
