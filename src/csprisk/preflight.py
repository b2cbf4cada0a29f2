"""Decide whether a file is safe to hand to a spreadsheet reader, before any reader runs.

A return arrives by email from outside; a damaged, renamed, encrypted or hostile file
must cost a finding, never the run.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .findings import Finding, finding

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: Generous for real returns (a 130-priority matrix is well under 1 MB).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 2_000


def check_file(path: Path, label: str) -> Finding | None:
    """None when the file looks like a spreadsheet that is safe to read, else a finding."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as error:
        return finding("file-corrupt", f"This file could not be opened ({error.strerror}). "
                       "Check it is not open elsewhere and that you may read it.", file=label)
    if size == 0:
        return finding("file-empty", "This file is empty (0 bytes): it was probably not saved "
                       "properly or the attachment was lost. Ask the partner to send it again.",
                       file=label)
    if size > MAX_FILE_BYTES:
        return finding("file-too-large", f"This file is {size / 1e6:.0f} MB, over the "
                       f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit for a return. A risk matrix is "
                       "far smaller: ask the partner to send just the matrix sheet.", file=label)
    if head.startswith(ZIP_MAGIC):
        return _check_zip(path, label)
    if head.startswith(OLE_MAGIC):
        return _check_ole(path, label)
    return _not_excel(path, label, head)


def _check_zip(path: Path, label: str) -> Finding | None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return finding("file-corrupt", "This file is damaged: its contents cannot be unpacked "
                       f"({error}). Open it in Excel, save it again and send it again.", file=label)
    if len(entries) > MAX_ZIP_ENTRIES:
        return finding("file-too-large", f"This file holds {len(entries)} parts, over the limit "
                       f"of {MAX_ZIP_ENTRIES} for a return. Send just the risk matrix.", file=label)
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        return finding("file-too-large", f"This file unpacks to {unpacked / 1e6:.0f} MB, over "
                       f"the {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB limit for a return. Send "
                       "just the risk matrix.", file=label)
    if packed and unpacked / packed > MAX_COMPRESSION_RATIO and unpacked > 10 * 1024 * 1024:
        return finding("file-too-large", "This file unpacks to far more than its size "
                       f"(over {MAX_COMPRESSION_RATIO} times), which real workbooks never do; it "
                       "was not opened. Save the matrix again in Excel and send it again.", file=label)
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names and "mimetype" not in names:
        return finding("file-not-excel", "This file is a zip archive, not a spreadsheet. Send the "
                       "risk matrix workbook itself (.xlsx).", file=label)
    return None


def _check_ole(path: Path, label: str) -> Finding | None:
    # An encrypted .xlsx is an OLE container holding an "EncryptedPackage" stream; the
    # stream names are stored as UTF-16 in the directory sectors.
    with open(path, "rb") as handle:
        data = handle.read(4 * 1024 * 1024)
    if "EncryptedPackage".encode("utf-16-le") in data:
        return finding("file-encrypted", "This file is protected with a password, so it cannot "
                       "be read. Remove the password (File > Info > Protect Workbook > Encrypt with "
                       "Password, then clear it) and send it again.", file=label)
    return None


def _not_excel(path: Path, label: str, head: bytes) -> Finding:
    kind = "a text file"
    suffix = path.suffix.lower()
    sniff = head.lstrip().lower()
    if suffix == ".csv" or (b"," in head and not sniff.startswith(b"<")):
        kind = "a CSV (plain text) file"
    if sniff.startswith((b"<html", b"<!doc", b"<?xml", b"<tab")):
        kind = "a web page or XML file"
    elif head.startswith(b"%PDF"):
        kind = "a PDF document"
    elif any(b < 9 for b in head):
        kind = "an unknown kind of file"
    return finding("file-not-excel", f"This file is {kind}, not an Excel workbook, so it cannot be "
                   "a return. Ask the partner to fill in the risk-matrix template and send the "
                   ".xlsx file.", file=label)
