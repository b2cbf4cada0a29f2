"""Broken and hostile files, built byte by byte, for the pre-flight tests and the corpus.

Each builder writes a small file that a careless reader would choke on: a zip that claims a
huge sheet, an OLE container with a password, a BIFF sheet whose one value sits in the
last cell. Nothing here needs LibreOffice.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl

END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def small_xlsx(path: Path, cells: dict[str, object] | None = None, sheet: str = "Sheet") -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = sheet
    for ref, value in (cells or {"A1": "Risk matrix", "B2": 3}).items():
        workbook.active[ref] = value
    workbook.save(path)
    return path


def rewrite_zip(source: Path, target: Path, edit) -> Path:
    """Copy a zip, passing each member's (name, bytes) through `edit` (None drops it)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = edit(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item, data)
    return target


def xlsx_claiming_the_last_cell(path: Path, sheet: str = "Sheet") -> Path:
    """A ~5 KB .xlsx whose one number sits in XFD1048576: calamine would try to allocate
    1,048,576 x 16,384 cells (512 GB) and abort the process (tafia/calamine#693)."""
    base = small_xlsx(path.with_suffix(".base.xlsx"), sheet=sheet)

    def edit(name, data):
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b'<row r="2"', b'<row r="1048576"').replace(b'r="B2"', b'r="XFD1048576"')
        return data

    rewrite_zip(base, path, edit)
    base.unlink()
    return path


def xlsx_with_a_billion_laughs(path: Path) -> Path:
    base = small_xlsx(path.with_suffix(".base.xlsx"))
    bomb = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
                       for i in range(8))
            + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
              b'uniqueCount="1"><si><t>&i;</t></si></sst>')

    def edit(name, data):
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        return data

    rewrite_zip(base, path, edit)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", bomb)
    base.unlink()
    return path


def zip_bomb_xlsx(path: Path, megabytes: int = 300) -> Path:
    """A valid-looking .xlsx with one part that unpacks to hundreds of MB of zeros."""
    base = small_xlsx(path.with_suffix(".base.xlsx"))
    rewrite_zip(base, path, lambda name, data: data)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as part:
            block = bytes(1 << 20)
            for _ in range(megabytes):
                part.write(block)
    base.unlink()
    return path


def ods_with_a_huge_repeated_cell(path: Path) -> Path:
    """An .ods of a few hundred bytes whose one value is repeated over 16,384 columns and
    1,048,576 rows: 17 billion cells once a reader expands the repeats."""
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               b'<office:body><office:spreadsheet><table:table table:name="Matrix">'
               b'<table:table-column table:number-columns-repeated="16384"/>'
               b'<table:table-row table:number-rows-repeated="1048576">'
               b'<table:table-cell table:number-columns-repeated="16384" office:value-type="float" '
               b'office:value="5"><text:p>5</text:p></table:table-cell></table:table-row>'
               b"</table:table></office:spreadsheet></office:body></office:document-content>")
    return _ods(path, content)


def _ods(path: Path, content: bytes, manifest_extra: bytes = b"") -> Path:
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                b'<manifest:file-entry manifest:full-path="/" manifest:media-type='
                b'"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                b'manifest:full-path="content.xml" manifest:media-type="text/xml">' + manifest_extra
                + b"</manifest:file-entry></manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def encrypted_ods(path: Path) -> Path:
    extra = (b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
             b'<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="x"/>'
             b"</manifest:encryption-data>")
    return _ods(path, b"\x00garbled\x00" * 20, extra)


# --------------------------------------------------------------------- OLE and BIFF

def ole_file(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal but well-formed OLE compound file (version 3, 512-byte sectors) holding
    the given streams; each is padded to 4,096 bytes so none needs the mini stream."""
    sector = 512
    body, fat, directory = [], [FAT_SECTOR, END_OF_CHAIN], []
    entries = [("Root Entry", 5, END_OF_CHAIN, 0)]
    next_sector = 2
    for name, data in streams.items():
        padded = data + bytes(max(4096, -(-len(data) // sector) * sector) - len(data))
        count = len(padded) // sector
        fat += [next_sector + i + 1 for i in range(count - 1)] + [END_OF_CHAIN]
        entries.append((name, 2, next_sector, max(len(data), 4096)))
        body.append(padded)
        next_sector += count
    assert len(entries) <= 4 and len(fat) <= 128
    for index, (name, kind, start, size) in enumerate(entries):
        encoded = (name + "\0").encode("utf-16-le")
        child = 1 if kind == 5 and len(entries) > 1 else NO_STREAM
        right = index + 1 if kind == 2 and index + 1 < len(entries) else NO_STREAM
        entry = encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, NO_STREAM, right, child)
        entry += bytes(16) + bytes(4) + bytes(16) + struct.pack("<IQ", start, size)
        directory.append(entry.ljust(128, b"\0"))
    directory_sector = b"".join(directory).ljust(sector, b"\0")
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(6) + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<I", 0) + struct.pack("<108I", *[FREE] * 108))
    assert len(header) == 512
    path.write_bytes(header + fat_sector + directory_sector + b"".join(body))
    return path


def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def biff8_workbook(cells: list[tuple[int, int, float]], password: bool = False) -> bytes:
    """A BIFF8 workbook stream: globals (optionally with FILEPASS) and one sheet of numbers."""
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    filepass = _record(0x002F, struct.pack("<HHH", 0, 0x1234, 0x5678)) if password else b""
    name = b"Matrix"

    def globals_with(offset):
        sheet = _record(0x0085, struct.pack("<IHBB", offset, 0, len(name), 0) + name)
        return bof_globals + filepass + _record(0x0042, struct.pack("<H", 1200)) + sheet + _record(0x000A)

    offset = len(globals_with(0))
    rows = max((r for r, _, _ in cells), default=0) + 1
    cols = max((c for _, c, _ in cells), default=0) + 1
    sheet = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
    sheet += _record(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))
    for row, col, value in cells:
        sheet += _record(0x0203, struct.pack("<HHHd", row, col, 15, value))
    sheet += _record(0x000A)
    return globals_with(offset) + sheet


def xls_file(path: Path, cells, password: bool = False) -> Path:
    return ole_file(path, {"Workbook": biff8_workbook(cells, password)})


def encrypted_xlsx(path: Path) -> Path:
    """What Excel writes for File > Encrypt with Password: an OLE file, not a zip."""
    return ole_file(path, {"EncryptionInfo": struct.pack("<HHI", 4, 4, 0x40) + bytes(200),
                           "EncryptedPackage": struct.pack("<Q", 5000) + bytes(5000)})
