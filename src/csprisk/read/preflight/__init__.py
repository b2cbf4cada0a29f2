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

Some files Excel opens are made readable, in memory, and the gate inspects the bytes it
made as it does a file: `unlock` decrypts Excel's default password, `repackage` moves a
workbook part kept elsewhere to the standard paths and cuts stray cells from an .xlsx
(`ods` and `biff_cut` from the other formats). The verdict then carries those bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, NamedTuple

from csprisk.findings import RESEND, Code, Finding
from csprisk.read.preflight.biff import inspect_ole
from csprisk.read.preflight.biff_cut import xls_without_far_cells
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
    Locked,
    Refused,
    corrupt,
    encrypted,
    megabytes,
    not_excel,
    sheet_cell_limit,
    sheet_cells_limited_to,
    too_large,
)
from csprisk.read.preflight.ods import inspect_ods, ods_without_far_cells
from csprisk.read.preflight.ooxml import Relocated, inspect_ooxml, mark_of, read_mark
from csprisk.read.preflight.properties import custom_property
from csprisk.read.preflight.repackage import FarCell, FarCells, standard_layout, without_far_cells
from csprisk.read.preflight.sniff import OLE_MAGIC, ZIP_MAGIC, not_a_workbook
from csprisk.read.preflight.unlock import with_default_password

__all__ = [
    "MAX_FACT_CELLS", "MAX_FILE_BYTES", "MAX_OUTPUT_SHEET_CELLS", "MAX_SHEET_CELLS", "ODS", "XLS", "XLSX",
    "FactsBySheet", "Verdict", "check_file", "corrupt", "custom_property", "encrypted", "inspect_file",
    "is_percent_format", "not_excel", "read_mark", "sheet_cell_limit", "sheet_cells_limited_to", "too_large",
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
    #: The bytes a reader must read instead of the file, where the gate made them: the
    #: workbook decrypted with Excel's default password, its parts moved to the standard
    #: paths, or stray cells cut out. The gate vouched for these bytes, not the file's.
    content: bytes | None = None
    #: Findings about a file that is read nonetheless (a stray cell left out).
    notes: tuple[Finding, ...] = ()


def check_file(path: Path, label: str) -> Finding | None:
    """None when the file looks like a spreadsheet that is safe to read, else a finding."""
    return inspect_file(path, label).finding


def inspect_file(path: Path, label: str, *, cut_far_cells: bool = False) -> Verdict:
    """Whether the file is safe to read, its format, and what each sheet's file says beyond
    its values (learnt on the way): which cells hold formulas, so a formula TOTAL can be
    told from a typed one, errors and percentages, hidden rows and columns, merged ranges
    and an Excel Table's totals rows (grid.SheetFacts).

    With `cut_far_cells` (a return), a few stray values far from the rest of an .xlsx sheet
    are cut out rather than costing the file; the verdict's notes name each."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as error:
        return _refused(Code.FILE_CORRUPT.finding(
            file=label, reason=f"could not be opened ({error.strerror or 'the system refused it'})",
            advice="Check it is not open elsewhere and that you may read it."))
    if size == 0:
        return _refused(Code.FILE_EMPTY.finding(file=label))
    if size > MAX_FILE_BYTES:
        mark = read_mark(path) if head.startswith(ZIP_MAGIC) else ""
        return _refused(too_large(label, f"This file is {size / 1e6:.0f} MB, over the "
                                  f"{megabytes(MAX_FILE_BYTES)} limit."), mark)
    steps = {_UNLOCK, _RELOCATE} | ({_CUT} if cut_far_cells else set())
    return _inspect(path, head, label, frozenset(steps))


#: What the gate may do to make a file readable, each at most once per file.
_UNLOCK, _RELOCATE, _CUT = "unlock", "relocate", "cut"


def _inspect(source: Path | bytes, head: bytes, label: str, steps: frozenset[str]) -> Verdict:
    opened = source if isinstance(source, Path) else io.BytesIO(source)
    try:
        if head.startswith(ZIP_MAGIC):
            return _inspect_zip(opened, label, steps)
        if head.startswith(OLE_MAGIC):
            try:
                return Verdict(None, XLS, inspect_ole(opened, label, cut_far=_CUT in steps))
            except Locked as locked:
                plain = with_default_password(source) if _UNLOCK in steps else None
                if plain is None:
                    return _refused(locked.finding)
                return _again(plain, label, steps - {_UNLOCK})
            except FarCells as stray:
                raw = source.read_bytes() if isinstance(source, Path) else source
                cut = xls_without_far_cells(raw, stray.far)
                return _refused(stray.refusal) if cut is None else _with_notes(cut, label, steps)
    except Refused as refused:
        return _refused(refused.finding)
    except _READ_ERRORS:
        return _refused(corrupt(label))
    return _refused(not_a_workbook(source if isinstance(source, Path) else Path(label), label, head))


def _again(content: bytes, label: str, steps: frozenset[str]) -> Verdict:
    """The verdict on bytes the gate made from the file; a reader reads these bytes."""
    verdict = _inspect(content, content[:512], label, steps)
    if verdict.finding is None and verdict.content is None:
        verdict = verdict._replace(content=content)
    return verdict


def _refused(finding: Finding, mark: str = "") -> Verdict:
    return Verdict(finding, "", {}, mark)


def _inspect_zip(source: Path | IO[bytes], label: str, steps: frozenset[str]) -> Verdict:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return _refused(Code.FILE_CORRUPT.finding(
            file=label, reason="is damaged: its contents cannot be unpacked", advice=RESEND))
    with archive:
        mark = mark_of(archive)
        try:
            verdict = _inspect_package(archive, label, mark, steps)
        except Refused as refused:
            return _refused(refused.finding, mark)
        except Relocated as moved:
            repackaged = standard_layout(archive, moved.part) if _RELOCATE in steps else None
            if repackaged is None:
                return _refused(corrupt(label, "its workbook part is not where Excel keeps it"), mark)
            return _again(repackaged, label, steps - {_RELOCATE})
        except FarCells as stray:
            cut = (ods_without_far_cells if stray.fmt == ODS else without_far_cells)(archive, stray.far)
            if cut is None:  # more than a few cells: a second area, not a stray value
                return _refused(stray.refusal, mark)
            return _with_notes(cut, label, steps)
        except _READ_ERRORS:
            return _refused(corrupt(label), mark)
    return verdict


def _with_notes(cut: tuple[bytes, list[FarCell]], label: str, steps: frozenset[str]) -> Verdict:
    """The verdict on the file with its stray cells cut, each named in a note."""
    content, cells = cut
    verdict = _again(content, label, steps - {_CUT})
    notes = tuple(Code.CELL_FAR_AWAY.finding(file=label, sheet=c.sheet, cell=c.cell, value=c.value,
                                             shown=_shown(c.value)) for c in cells)
    return verdict._replace(notes=verdict.notes + notes) if verdict.finding is None else verdict


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f'"{value[:60]}"' + ("..." if len(value) > 60 else "")
    return str(value)


def _inspect_package(archive: zipfile.ZipFile, label: str, mark: str, steps: frozenset[str]) -> Verdict:
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
        return Verdict(None, ODS, inspect_ods(archive, names, label, cut_far=_CUT in steps), mark)
    if "[Content_Types].xml" in names:
        return Verdict(None, XLSX, inspect_ooxml(archive, names, label, cut_far=_CUT in steps), mark)
    raise Refused(not_excel(label, "a zip archive"))
