"""Files like those in the public spreadsheet corpora (calamine, SheetJS, Apache POI, xlrd,
XlsxWriter test files), built by code: a return encrypted with Excel's default password, a
package whose workbook part lies elsewhere, a stray value far from the matrix, a file that
makes the reader panic, and Excel 2.0-4.0 worksheets.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import openpyxl

import hostile_files as hostile
from csprisk.scheme import Scheme

LABELS = list(Scheme().labels)
#: Police's return: two priorities, every criterion scored, typed totals that add up.
SCORES = {"Anti-social behaviour": [3] * 16, "Domestic abuse": [4] * 8 + [5] * 8}
TOTALS = {name: float(sum(scores)) for name, scores in SCORES.items()}


def police_return(path: Path, extra: dict[str, object] | None = None) -> Path:
    """A plain return: the partner's name, the header on row 3, one row per priority."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Risk matrix"
    sheet["A1"], sheet["B1"] = "Partner organisation", "Anytown Police"
    sheet.append([])
    sheet.append(["Priority", *LABELS, "TOTAL"])
    for name, scores in SCORES.items():
        sheet.append([name, *scores, sum(scores)])
    for ref, value in (extra or {}).items():
        sheet[ref] = value
    workbook.save(path)
    return path


# ------------------------------------------------------------------- default password

def encrypted(source: Path, target: Path, password: str) -> Path:
    """`source` encrypted as Excel's File > Info > Protect Workbook > Encrypt with Password does
    (ECMA-376 agile encryption), with msoffcrypto-tool."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(source, "rb") as handle:
        OOXMLFile(handle).encrypt(password, out)
    target.write_bytes(out.getvalue())
    return target


# ------------------------------------------------------------------ relocated parts

def relocated(source: Path, target: Path, folder: str = "spreadsheet", workbook: str = "book.xml") -> Path:
    """`source` with every part of xl/ moved to `folder`/ and the workbook part renamed
    `workbook`, its relationships and content types rewritten to match: valid OOXML (the
    package's _rels/.rels says where the workbook is), but not where Excel puts it. With
    folder "", the workbook and its sheets lie at the package's root."""
    prefix = f"{folder}/" if folder else ""

    def moved(name: str) -> str:
        if name == "xl/workbook.xml":
            return prefix + workbook
        if name == "xl/_rels/workbook.xml.rels":
            return f"{prefix}_rels/{workbook}.rels"
        if name.startswith("xl/"):
            return prefix + name[3:]
        return name

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        for name in names:
            data = zin.read(name)
            if name.endswith(".rels") or name == "[Content_Types].xml":
                for old in names:  # absolute references (openpyxl writes /xl/worksheets/sheet1.xml)
                    data = data.replace(f'"/{old}"'.encode(), f'"/{moved(old)}"'.encode())
                data = data.replace(b'Target="xl/workbook.xml"', f'Target="{moved("xl/workbook.xml")}"'.encode())
            zout.writestr(moved(name), data)
    return target


# ------------------------------------------------------------------------ a panic

def panicking_xls(path: Path) -> Path:
    """An .xls whose sheet record (BOUNDSHEET) is turned into a shared-string table (SST) too
    short for what it claims: calamine 0.37 panics on it (index out of range in parse_sst)."""
    data = hostile.biff8_workbook([(0, 0, 1.0), (1, 1, 2.0)])
    bound = struct.pack("<HH", 0x0085, 14)
    assert data.count(bound) == 1
    return hostile.ole_file(path, {"Workbook": data.replace(bound, struct.pack("<HH", 0x00FC, 14))})


# ----------------------------------------------------------------- Excel 2.0 - 4.0

def old_biff(path: Path, bof: int) -> Path:
    """An Excel 2.0 (BOF 0x0009), 3.0 (0x0209) or 4.0 (0x0409) worksheet: bare BIFF records,
    no container. One number in A1, then EOF."""
    body = struct.pack("<HH", 0x0002 if bof == 0x0009 else 0, 0x0010) + (b"" if bof == 0x0009 else b"\x00\x00")
    number = struct.pack("<HHBBBd", 0, 0, 0, 0, 0, 3.0)  # BIFF2 NUMBER: row, col, 3 attribute bytes, value
    path.write_bytes(struct.pack("<HH", bof, len(body)) + body
                     + struct.pack("<HH", 0x0003, len(number)) + number + struct.pack("<HH", 0x000A, 0))
    return path


def sheet_part(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if re.search(r"sheet1\.xml$", n))
        return archive.read(name)


def _rc4_key(password: str, salt: bytes, block: int) -> bytes:
    """The RC4 key for one 1,024-byte block of an encrypted .xls (MS-OFFCRYPTO 2.3.6.2)."""
    from hashlib import md5

    truncated = md5(password.encode("utf-16-le")).digest()[:5]
    intermediate = md5((truncated + salt) * 16).digest()[:5]
    return md5(intermediate + struct.pack("<I", block)).digest()


def xls_encrypted(source: Path, target: Path, password: str) -> Path:
    """A LibreOffice-saved .xls encrypted as Excel 97-2003 does (RC4, a FILEPASS record after
    the workbook's first BOF). msoffcrypto-tool cannot encrypt an .xls, but RC4 is its own
    inverse: its decryption, run over the plain records, encrypts them."""
    import olefile
    from cryptography.hazmat.primitives.ciphers import Cipher

    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    except ImportError:  # cryptography before 43
        from cryptography.hazmat.primitives.ciphers.algorithms import ARC4  # type: ignore[no-redef]
    from hashlib import md5

    import msoffcrypto

    with olefile.OleFileIO(str(source)) as ole:
        stream = ole.openstream("Workbook").read()
    salt, verifier = bytes(range(16)), bytes(range(16, 32))
    cipher = Cipher(ARC4(_rc4_key(password, salt, 0)), mode=None).encryptor()
    sealed = cipher.update(verifier) + cipher.update(md5(verifier).digest())
    filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + salt + sealed
    first_bof_end = 4 + struct.unpack_from("<H", stream, 2)[0]
    plain = bytearray(stream[:first_bof_end] + filepass + stream[first_bof_end:])
    at = 0
    while at + 4 <= len(plain):  # each sheet's BOUNDSHEET points at its BOF: now further on
        kind, length = struct.unpack_from("<HH", plain, at)
        if kind == 0x0085:
            struct.pack_into("<I", plain, at + 4, struct.unpack_from("<I", plain, at + 4)[0] + len(filepass))
        at += 4 + length
    filler = -(len(plain) + 4) % 4  # an empty record, so that ole_file's padding reads as empty records
    plain += struct.pack("<HH", 0, filler) + bytes(filler)
    staged = hostile.ole_file(target.with_suffix(".plain.xls"), {"Workbook": bytes(plain)})
    with open(staged, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
    staged.unlink()
    with olefile.OleFileIO(out.getvalue()) as ole:
        encrypted = bytearray(ole.openstream("Workbook").read()[: len(plain)])
    encrypted[first_bof_end: first_bof_end + len(filepass)] = filepass  # decryption blanked it
    return hostile.ole_file(target, {"Workbook": bytes(encrypted)})
