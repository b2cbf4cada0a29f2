"""Streaming XML parts through expat with DTDs refused, measuring how far a sheet reaches.

XML with a DOCTYPE (the carrier of entity-expansion attacks) is refused outright:
spreadsheets never need one.
"""

from __future__ import annotations

import re
import xml.parsers.expat
import zipfile
from collections.abc import Collection
from typing import IO, Protocol

from csprisk.grid import SheetFacts
from csprisk.read.preflight.facts import add_formula
from csprisk.read.preflight.limits import Refused, corrupt, dtd_refused, sheet_cell_limit, sheet_too_large

#: A sheet part up to this size may be vouched for by the OOXML byte scan (a return's
#: matrix is about 50 KB); anything larger goes through the streaming expat scan.
MAX_FAST_SHEET_BYTES = 8 * 1024 * 1024
#: Sheet parts held in memory at once for that scan, per file.
MAX_KEPT_BYTES = 16 * 1024 * 1024

_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Extent:
    """How far a sheet's values reach: rows and cols counted from A1 (0 when empty)."""

    def __init__(self, facts: SheetFacts | None = None) -> None:
        self.rows = self.cols = 0
        self.sheet = ""
        self.facts = facts if facts is not None else SheetFacts()

    def formula(self, row: int, col: int) -> None:
        add_formula(self.facts, row, col)

    def text(self, data: str) -> None:
        pass

    def start(self, name: str, attrs: dict[str, str]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def end(self, name: str) -> None:
        pass

    def reach(self, rows: int, cols: int) -> None:
        self.rows, self.cols = max(self.rows, rows), max(self.cols, cols)

    def check(self, label: str) -> None:
        # Checked while streaming, so a huge sheet is refused as soon as it is seen to be huge.
        if self.rows * self.cols > sheet_cell_limit():
            raise sheet_too_large(label, self.sheet or "1", self.rows, self.cols)


class WellFormed(Extent):
    """Measures nothing: the byte scan has bounded the sheet; expat only checks the XML."""

    start = None  # type: ignore[assignment]
    end = None  # type: ignore[assignment]
    text = None  # type: ignore[assignment]


def parse(stream: IO[bytes] | Readable, label: str, handler: Extent, part: str) -> tuple[int, int]:
    """Stream one XML part through expat with DTDs refused; the handler measures the sheet."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args: object) -> int:
        raise dtd_refused(label, part)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.buffer_text = True
    try:
        while block := stream.read(1 << 20):
            parser.Parse(block, False)
            handler.check(label)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as error:
        raise Refused(corrupt(label, f"its part {part} is not well-formed XML, at line {error.lineno}")) from None
    return handler.rows, handler.cols


class Blocks:
    """Bytes already read, handed to `parse` as the same 1 MB blocks a stream gives."""

    def __init__(self, data: bytes) -> None:
        self.view, self.at = memoryview(data), 0

    def read(self, size: int, /) -> bytes:
        block = self.view[self.at: self.at + size]
        self.at += len(block)
        return bytes(block)


def local(name: str) -> str:
    """An element's name without its namespace prefix."""
    return name.rpartition(":")[2]


def read_bounded(archive: zipfile.ZipFile, name: str, limit: int = 4 * 1024 * 1024) -> bytes:
    with archive.open(name) as stream:
        return stream.read(limit)


def refuse_doctypes(archive: zipfile.ZipFile, label: str, keep: Collection[str] = ()) -> dict[str, bytes]:
    """Entity expansion needs a DTD; no spreadsheet part has one, so any DTD is refused.
    Returns the parts named in keep that were read whole (up to MAX_FAST_SHEET_BYTES each,
    MAX_KEPT_BYTES in all), so the sheets are not unpacked twice."""
    kept: dict[str, bytes] = {}
    budget = MAX_KEPT_BYTES
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(info) as stream:
            if info.filename in keep and budget >= info.file_size:
                whole = stream.read(MAX_FAST_SHEET_BYTES + 1)
                if _DOCTYPE.search(whole):
                    raise dtd_refused(label, info.filename)
                if len(whole) <= MAX_FAST_SHEET_BYTES and len(whole) <= budget:
                    kept[info.filename] = whole
                    budget -= len(whole)
                    continue
                tail = whole[-16:]
            else:
                tail = b""
            while block := stream.read(1 << 20):
                if _DOCTYPE.search(tail + block):
                    raise dtd_refused(label, info.filename)
                tail = block[-16:]
    return kept
