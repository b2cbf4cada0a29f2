"""OOXML packages rebuilt in memory so that a reader reads what Excel would show.

- A workbook part somewhere other than xl/workbook.xml (the package's _rels/.rels names it)
  is valid OOXML that calamine cannot open: its parts are moved to the standard paths.
- A sheet whose used area is pushed past the cell limit by a few stray values far from the
  rest has those cells cut out, so the rest can be read; each is reported.

The input is never modified: the new package is bytes, inspected again by the gate.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import NamedTuple

from csprisk.findings import Finding
from csprisk.grid import cell_address, column_index
from csprisk.read.preflight.xmlscan import read_bounded

WORKBOOK = "xl/workbook.xml"
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_TYPE, _TARGET = re.compile(rb'\sType="([^"]*)"'), re.compile(rb'\sTarget="([^"]*)"')


def resolve_target(folder: str, target: str) -> str:
    """A relationship's target as a part name, from the folder of the part it belongs to."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = folder.split("/") if folder else []
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _rels_of(part: str) -> str:
    folder, _, file = part.rpartition("/")
    return f"{folder}/_rels/{file}.rels" if folder else f"_rels/{file}.rels"


def relocated_workbook(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The workbook part the package's relationships name, when it exists elsewhere than
    xl/workbook.xml; else None."""
    if "_rels/.rels" not in names:
        return None
    for relation in _RELATION.findall(read_bounded(archive, "_rels/.rels")):
        kind, target = _TYPE.search(relation), _TARGET.search(relation)
        if kind and target and kind.group(1).endswith(b"/officeDocument"):
            part = resolve_target("", target.group(1).decode("utf-8", "replace"))
            if part != WORKBOOK and part in names and part.endswith(".xml"):
                return part
    return None


def standard_layout(archive: zipfile.ZipFile, workbook: str) -> bytes | None:
    """The package with the workbook at xl/workbook.xml and the parts of its folder under
    xl/ (where its folder is the package's root, the parts it relates to); None when that
    would clash with parts already there."""
    names = set(archive.namelist())
    if len(names) < len(archive.namelist()):  # a part named twice: which one a reader takes is unknown
        return None
    folder = workbook.rpartition("/")[0]
    workbook_rels = _rels_of(workbook)
    moves = {workbook: WORKBOOK, workbook_rels: "xl/_rels/workbook.xml.rels"}
    if folder:
        for name in names:
            if name.startswith(folder + "/") and name not in moves:
                moves[name] = "xl/" + name[len(folder) + 1:]
    elif workbook_rels in names:
        for relation in _RELATION.findall(read_bounded(archive, workbook_rels)):
            target = _TARGET.search(relation)
            if target and b'TargetMode="External"' not in relation:
                part = resolve_target("", target.group(1).decode("utf-8", "replace"))
                if part in names and part not in moves:
                    moves[part] = "xl/" + part
                    if _rels_of(part) in names:
                        moves[_rels_of(part)] = _rels_of("xl/" + part)
    moves = {old: new for old, new in moves.items() if old in names}
    if set(moves.values()) & (names - set(moves)):
        return None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in archive.infolist():
            data = archive.read(info)
            name = moves.get(info.filename, info.filename)
            if name.endswith(".rels") or name == "[Content_Types].xml":
                data = _renamed_references(data, moves, info.filename)
            package.writestr(name, data)
    return out.getvalue()


def _renamed_references(data: bytes, moves: dict[str, str], part: str) -> bytes:
    """A relationships part (or the content types) with its references to moved parts
    renamed; every target written as an absolute part name, so it holds wherever its
    part now lies."""
    if part == "[Content_Types].xml":
        for old, new in moves.items():
            data = data.replace(f'PartName="/{old}"'.encode(), f'PartName="/{new}"'.encode())
        return data
    # The folder the relationships' source part lies in (_rels/x.rels belongs to x).
    source_folder = part.rpartition("/_rels/")[0] if "/_rels/" in part else ""

    def absolute(match: re.Match[bytes]) -> bytes:
        relation = match.group(0)
        if b'TargetMode="External"' in relation:
            return relation
        target = _TARGET.search(relation)
        if target is None:
            return relation
        resolved = resolve_target(source_folder, target.group(1).decode("utf-8", "replace"))
        renamed = "/" + moves.get(resolved, resolved)
        return relation[:target.start(1)] + renamed.encode() + relation[target.end(1):]

    return _RELATION.sub(absolute, data)


# ------------------------------------------------------------------------ stray cells

#: A sheet with more stray cells than this holds a second area, not a stray value: it is
#: refused for its size as before.
MAX_FAR_CELLS = 20
#: Cells this many rows (or columns) beyond the last of the rest of the sheet are stray.
FAR_ROWS, FAR_COLS = 1_000, 100


class FarCell(NamedTuple):
    sheet: str
    cell: str  # "XFD1048576"
    value: object  # as the partner typed it: a number or text


class FarCells(Exception):
    """Sheets over the cell limit only through a few cells far from the rest: `far` maps a
    sheet (its part in an .xlsx, its name in an .ods or .xls) to (sheet name, rows and cols of the
    rest); `refusal` is the finding should the cells be more than a few."""

    def __init__(self, far: dict[str, tuple[str, int, int]], refusal: Finding, fmt: str = "xlsx") -> None:
        super().__init__(", ".join(far))
        self.far, self.refusal, self.fmt = far, refusal, fmt  # fmt: "xlsx", "ods" or "xls"


def rezipped(archive: zipfile.ZipFile, edited: dict[str, bytes]) -> bytes:
    """The package again, with the parts in `edited` replaced (each part keeps its place,
    name and compression: an .ods's mimetype stays first and stored)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for info in archive.infolist():
            data = edited.get(info.filename)
            package.writestr(info, archive.read(info) if data is None else data)
    return out.getvalue()


def core_extent(rows: set[int], cols: set[int]) -> tuple[int, int]:
    """How far the body of a sheet reaches (rows, cols, counted from A1): the used rows and
    columns up to the first gap of FAR_ROWS rows or FAR_COLS columns."""
    def reach(used: set[int], gap: int) -> int:
        last = -1
        for index in sorted(used):
            if last >= 0 and index - last > gap:
                break
            last = index
        return last + 1
    return reach(rows, FAR_ROWS), reach(cols, FAR_COLS)


_CELL = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?:/>|>(.*?)</c>)', re.DOTALL)
_CELL_TYPE = re.compile(rb'\st="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_TEXT = re.compile(rb"<t\b[^>]*>([^<]*)</t>")
_EMPTY_ROW = re.compile(rb'<row\b[^>]*?\sr="([0-9]{1,7})"[^>]*?(?:/>|>\s*</row>)')
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_SHARED = re.compile(rb"<si>(.*?)</si>", re.DOTALL)


def without_far_cells(archive: zipfile.ZipFile, far: dict[str, tuple[str, int, int]]
                      ) -> tuple[bytes, list[FarCell]] | None:
    """The package with the cells beyond each sheet's body cut out (`far`: sheet part ->
    (sheet name, body rows, body cols)), and the cells cut that held a value; None when a
    sheet has more than MAX_FAR_CELLS of them."""
    if len(set(archive.namelist())) < len(archive.namelist()):  # a part named twice
        return None
    strings: list[bytes] | None = None
    cut: list[FarCell] = []
    edited: dict[str, bytes] = {}
    for part, (sheet, rows, cols) in far.items():
        data, found = _cut_sheet(archive.read(part), rows, cols)
        if len(found) > MAX_FAR_CELLS:
            return None
        edited[part] = data
        for address, tag, inner in found:
            kind = _CELL_TYPE.search(tag)
            if kind and kind.group(1) == b"s" and strings is None:
                strings = _shared_strings(archive)
            value = _cell_value(kind.group(1) if kind else b"", inner, strings or [])
            if value is not None:
                cut.append(FarCell(sheet, address, value))
    return rezipped(archive, edited), cut


def _cut_sheet(data: bytes, rows: int, cols: int) -> tuple[bytes, list[tuple[str, bytes, bytes]]]:
    """A sheet part without its cells beyond `rows` x `cols` (nor the empty rows left there,
    nor its dimension, which a reader may size the sheet from); and the cells cut that had
    content, as (address, start tag, content)."""
    found: list[tuple[str, bytes, bytes]] = []

    def drop(match: re.Match[bytes]) -> bytes:
        row, col = int(match.group(2)) - 1, column_index(match.group(1).decode())
        if row < rows and col < cols:
            return match.group(0)
        if match.group(3):
            found.append((cell_address(row, col), match.group(0)[:match.start(3) - match.start(0)], match.group(3)))
        return b""

    data = _CELL.sub(drop, data)
    data = _EMPTY_ROW.sub(lambda m: b"" if int(m.group(1)) > rows else m.group(0), data)
    return _DIMENSION.sub(b"", data, count=1), found


def _shared_strings(archive: zipfile.ZipFile) -> list[bytes]:
    try:
        return _SHARED.findall(read_bounded(archive, "xl/sharedStrings.xml"))
    except KeyError:
        return []


def _cell_value(kind: bytes, inner: bytes, strings: list[bytes]) -> object:
    import html

    if kind in (b"inlineStr", b"s", b"str"):
        if kind == b"s":
            index = _VALUE.search(inner)
            if not (index and index.group(1).strip().isdigit() and int(index.group(1)) < len(strings)):
                return None
            inner = strings[int(index.group(1))]
        if kind != b"str":
            return html.unescape("".join(t.decode("utf-8", "replace") for t in _TEXT.findall(inner))) or None
    value = _VALUE.search(inner)
    if value is None:
        return None
    text = html.unescape(value.group(1).decode("utf-8", "replace")).strip()
    if kind in (b"", b"n"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if kind == b"b":
        return text == "1"
    return text
