"""Decide whether a file is safe to hand to a spreadsheet reader, before any reader runs.

A return arrives by email from outside; a damaged, renamed, encrypted or hostile file
must cost a finding, never the run. python-calamine sizes each sheet from its furthest
cell and aborts the whole process, uncatchably, when that allocation fails
(tafia/calamine#693), so the furthest cell of every sheet is found here first, by a
bounded streaming scan, for each format calamine reads.

This is the gate's API (`inspect_file` and its `Verdict`); one backend per format does
the work: `ooxml` (.xlsx/.xlsm, with its byte-pattern fast path in `ooxml_fast`), `ods`,
`biff` (.xls), and `sniff` names anything else. `limits` holds the limits and the
refusals, `facts` what is recorded on the way, `xmlscan` the guarded expat scan.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

from csprisk.findings import RESEND, Code, Finding
from csprisk.read.preflight.biff import inspect_ole
from csprisk.read.preflight.facts import is_percent_format
from csprisk.read.preflight.limits import (
    MAX_COMPRESSION_RATIO,
    MAX_FACT_CELLS,
    MAX_FILE_BYTES,
    MAX_OUTPUT_SHEET_CELLS,
    MAX_SHEET_CELLS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    FactsBySheet,
    Refused,
    corrupt,
    encrypted,
    megabytes,
    not_excel,
    sheet_cell_limit,
    sheet_cells_limited_to,
    too_large,
)
from csprisk.read.preflight.ods import inspect_ods
from csprisk.read.preflight.ooxml import inspect_ooxml, mark_of, read_mark
from csprisk.read.preflight.sniff import OLE_MAGIC, ZIP_MAGIC, not_a_workbook

__all__ = [
    "MAX_FACT_CELLS", "MAX_FILE_BYTES", "MAX_OUTPUT_SHEET_CELLS", "MAX_SHEET_CELLS", "ODS", "XLS", "XLSX",
    "FactsBySheet", "Verdict", "check_file", "corrupt", "encrypted", "inspect_file", "is_percent_format",
    "not_excel", "read_mark", "sheet_cell_limit", "sheet_cells_limited_to", "too_large",
]

XLSX, ODS, XLS = "xlsx", "ods", "xls"

#: What a damaged file makes the standard library raise while it is scanned.
_READ_ERRORS = (OSError, ValueError, EOFError, struct.error, zipfile.BadZipFile, zlib.error, RuntimeError,
                NotImplementedError, KeyError, IndexError, UnicodeError, OverflowError)


class Verdict(NamedTuple):
    """The gate's answer about one file, with what it learnt on the way."""

    finding: Finding | None  # None: safe to read
    kind: str  # "xlsx", "ods", "xls" (decided by content), or "" when refused
    #: What each sheet's file says beyond its values (grid.SheetFacts), by sheet name.
    facts_by_sheet: FactsBySheet
    #: The csprisk mark (marks.PROPERTY) of an .xlsx, read before any limit, so that
    #: csprisk's own big workbooks are known even where they would be refused; else "".
    mark: str = ""


def check_file(path: Path, label: str) -> Finding | None:
    """None when the file looks like a spreadsheet that is safe to read, else a finding."""
    return inspect_file(path, label).finding


def inspect_file(path: Path, label: str) -> Verdict:
    """Whether the file is safe to read, its format, and what each sheet's file says beyond
    its values (learnt on the way): which cells hold formulas, so a formula TOTAL can be
    told from a typed one, errors and percentages, hidden rows and columns, merged ranges
    and an Excel Table's totals rows (grid.SheetFacts)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as error:
        return _refused(Code.FILE_CORRUPT.finding(
            file=label, reason=f"could not be opened ({error.strerror})",
            advice="Check it is not open elsewhere and that you may read it."))
    if size == 0:
        return _refused(Code.FILE_EMPTY.finding(file=label))
    if size > MAX_FILE_BYTES:
        mark = read_mark(path) if head.startswith(ZIP_MAGIC) else ""
        return _refused(too_large(label, f"This file is {size / 1e6:.0f} MB, over the "
                                  f"{megabytes(MAX_FILE_BYTES)} limit."), mark)
    try:
        if head.startswith(ZIP_MAGIC):
            return _inspect_zip(path, label)
        if head.startswith(OLE_MAGIC):
            return Verdict(None, XLS, inspect_ole(path, label))
    except Refused as refused:
        return _refused(refused.finding)
    except _READ_ERRORS as error:
        return _refused(corrupt(label, error))
    return _refused(not_a_workbook(path, label, head))


def _refused(finding: Finding, mark: str = "") -> Verdict:
    return Verdict(finding, "", {}, mark)


def _inspect_zip(path: Path, label: str) -> Verdict:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        return _refused(Code.FILE_CORRUPT.finding(
            file=label, reason=f"is damaged: its contents cannot be unpacked ({error})", advice=RESEND))
    with archive:
        mark = mark_of(archive)
        try:
            return _inspect_package(archive, label, mark)
        except Refused as refused:
            return _refused(refused.finding, mark)
        except _READ_ERRORS as error:
            return _refused(corrupt(label, error), mark)


def _inspect_package(archive: zipfile.ZipFile, label: str, mark: str) -> Verdict:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise Refused(too_large(label, f"This file holds {len(entries):,} parts, over the limit of "
                                f"{MAX_ZIP_ENTRIES:,}."))
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise Refused(too_large(label, f"This file unpacks to {unpacked / 1e6:,.0f} MB, over the "
                                f"{megabytes(MAX_UNCOMPRESSED_BYTES)} limit."))
    if packed and unpacked / packed > MAX_COMPRESSION_RATIO and unpacked > 10 * 1024 * 1024:
        raise Refused(too_large(label, f"This file unpacks to {unpacked / packed:,.0f} times its size "
                                f"(the limit is {MAX_COMPRESSION_RATIO} times), which real workbooks "
                                "never do."))
    if any(e.flag_bits & 0x1 for e in entries):
        raise Refused(encrypted(label))
    names = {e.filename for e in entries}
    if "mimetype" in names:
        return Verdict(None, ODS, inspect_ods(archive, names, label), mark)
    if "[Content_Types].xml" in names:
        return Verdict(None, XLSX, inspect_ooxml(archive, names, label), mark)
    raise Refused(not_excel(label, "a zip archive"))
