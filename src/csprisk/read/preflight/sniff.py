"""File-type sniffing: what a file that is neither a zip package nor an OLE file is, named
for the partner (a web page, a CSV, a PDF...)."""

from __future__ import annotations

import struct
from pathlib import Path

from csprisk.findings import Code, Finding
from csprisk.read.preflight.limits import not_excel, old_or_other_excel

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def not_a_workbook(path: Path, label: str, head: bytes) -> Finding:
    """The finding for a file whose first bytes (`head`) are no workbook's."""
    suffix = path.suffix.lower()
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<html", b"<!doc", b"<table", b"<head", b"<meta")):
        kind = "a web page (HTML) saved with a spreadsheet name"
    elif sniff.startswith(b"<?xml"):
        if b"spreadsheet" in head.lower() or b"mso-application" in head.lower():
            return old_or_other_excel(label, "an Excel 2003 XML Spreadsheet, which csprisk cannot read")
        kind = "an XML file"
    elif _old_biff(head):
        return old_or_other_excel(label, "an Excel 2.0-4.0 workbook, too old to read")
    elif head.startswith(b"%PDF"):
        kind = "a PDF document"
    elif head.startswith(b"{\\rtf"):
        kind = "a Rich Text document"
    elif suffix in (".csv", ".tsv") or (not _binary(head) and _looks_delimited(head)):
        return Code.FILE_NOT_EXCEL.finding(
            file=label, reason="is a CSV (plain text) file. CSV is not a return: it loses the partner's "
                               "details and the layout, so it is never read as one",
            advice="Ask the partner to send the risk-matrix workbook (.xlsx) instead.")
    elif _binary(head):
        kind = "an unknown kind of file"
    else:
        kind = "a text file"
    return not_excel(label, kind)


#: The BOF record that opens a bare BIFF stream: Excel 2.0, 3.0, 4.0 (and a bare 5.0-2003 one).
_OLD_BOF = {0x0009, 0x0209, 0x0409, 0x0809}


def _old_biff(head: bytes) -> bool:
    """Whether the file opens with a BIFF beginning-of-file record, as Excel 2.0-4.0 wrote
    worksheets (no container: the records are the file)."""
    if len(head) < 8:
        return False
    kind, length, _version, sheet_type = struct.unpack_from("<HHHH", head)
    return kind in _OLD_BOF and 4 <= length <= 20 and sheet_type in (0x0010, 0x0020, 0x0040, 0x0100, 0x0005)


def _looks_delimited(head: bytes) -> bool:
    lines = [line for line in head.splitlines()[:4] if line.strip()]
    return any(len(lines) >= 1 and all(line.count(sep) == lines[0].count(sep) > 0 for line in lines[:3])
               for sep in (b",", b";", b"\t")) and not head.lstrip().startswith((b"<", b"{", b"#"))


def _binary(head: bytes) -> bool:
    return any(b < 9 or 13 < b < 32 for b in head[:256])
