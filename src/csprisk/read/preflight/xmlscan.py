"""Streaming XML parts through expat with DTDs refused, measuring how far a sheet reaches.

XML with a DOCTYPE (the carrier of entity-expansion attacks) is refused outright:
spreadsheets never need one.
"""

from __future__ import annotations

import codecs
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


#: A part's first bytes that name the encoding every XML parser then reads it in (XML 1.0,
#: appendix F); None: bytes that are ASCII where ASCII is meant (UTF-8 and its kin).
_MARKED = ((b"\xef\xbb\xbf", None), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
           (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\x00\x00\x00<", "utf-32-be"),
           (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<\x00", "utf-16-be"), (b"<\x00", "utf-16-le"),
           (b"\x4c\x6f\xa7\x94", "cp037"))
_DECLARED = re.compile(rb"""\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*["']([^"']{1,40})["']""")
_BYTES_ARE_ASCII = {"utf-8", "ascii"}
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_TEXT_DOCTYPE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_TEXT_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_XML_NAMES = (".xml", ".rels", ".vml")


def _codec(head: bytes, label: str, part: str) -> tuple[bool, str | None]:
    """Whether the part starts as XML does, and the codec a parser would read it with where
    its bytes are not ASCII-compatible (UTF-16, UTF-32, EBCDIC, or another declared one)."""
    for mark, codec in _MARKED:
        if head.startswith(mark):  # the mark decides, whatever the declaration says
            return True, codec
    declared = _DECLARED.match(head)
    if declared is None:
        return head.lstrip()[:1] == b"<", None
    name = declared.group(1).decode("ascii", "replace")
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    # Python's codecs also name transforms (zlib, base64) that are no text encoding at all.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise Refused(corrupt(label, f"its part {part} is written in a text encoding ({name}) that spreadsheets "
                                     "do not use"))
    return True, None if info.name in _BYTES_ARE_ASCII else info.name


def refuse_doctypes(archive: zipfile.ZipFile, label: str, keep: Collection[str] = ()) -> dict[str, bytes]:
    """Entity expansion needs a DTD; no spreadsheet part has one, so any DTD is refused,
    whatever the part is named and whatever encoding it is in: a reader may follow a part
    of any name, and decodes UTF-16 or a declared encoding before it parses (lxml, which
    openpyxl uses when it can be imported, also expands entities that defusedxml would refuse).
    A part named as XML may have no DOCTYPE; any other (an SVG image) no entity declaration.
    Returns the parts named in keep that were read whole (up to MAX_FAST_SHEET_BYTES each,
    MAX_KEPT_BYTES in all), so the sheets are not unpacked twice."""
    kept: dict[str, bytes] = {}
    budget = MAX_KEPT_BYTES
    for info in archive.infolist():
        named_xml = info.filename.lower().endswith(_XML_NAMES)
        with archive.open(info) as stream:
            keeping = info.filename in keep and budget >= info.file_size
            first = stream.read(512)  # enough to tell a picture from XML, without unpacking it
            looks_xml, codec = _codec(first, label, info.filename)
            if not (named_xml or looks_xml):
                continue
            first += stream.read(MAX_FAST_SHEET_BYTES + 1 - len(first) if keeping else 1 << 20)
            pattern = _DOCTYPE if named_xml else _ENTITY
            decoder = _Decoded(codec, _TEXT_DOCTYPE if named_xml else _TEXT_ENTITY, label, info.filename)
            if pattern.search(first) or decoder.finds(first):
                raise dtd_refused(label, info.filename)
            if keeping and codec is None and len(first) <= MAX_FAST_SHEET_BYTES and len(first) <= budget:
                kept[info.filename] = first
                budget -= len(first)
                continue
            tail = first[-16:]
            while block := stream.read(1 << 20):
                if pattern.search(tail + block) or decoder.finds(block):
                    raise dtd_refused(label, info.filename)
                tail = block[-16:]
    return kept


class _Decoded:
    """A part in an encoding whose bytes are not ASCII, decoded as it streams and searched."""

    def __init__(self, codec: str | None, pattern: re.Pattern[str], label: str, part: str) -> None:
        self.decoder = codecs.getincrementaldecoder(codec)("strict") if codec else None
        self.pattern, self.label, self.part, self.tail = pattern, label, part, ""

    def finds(self, block: bytes) -> bool:
        if self.decoder is None:
            return False
        try:
            text = self.tail + self.decoder.decode(block)
        except UnicodeDecodeError:
            why = f"its part {self.part} is not text in the encoding it declares"
            raise Refused(corrupt(self.label, why)) from None
        self.tail = text[-16:]
        return self.pattern.search(text) is not None
