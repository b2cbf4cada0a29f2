"""Decide whether a file is safe to hand to a spreadsheet reader, before any reader runs.

A return arrives by email from outside; a damaged, renamed, encrypted or hostile file
must cost a finding, never the run. python-calamine sizes each sheet from its furthest
cell and aborts the whole process, uncatchably, when that allocation fails
(tafia/calamine#693), so the furthest cell of every sheet is found here first, by a
bounded streaming scan, for each format calamine reads (.xlsx/.xlsm, .ods, .xls).
XML with a DOCTYPE (the carrier of entity-expansion attacks) is refused outright:
spreadsheets never need one.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, NamedTuple

from csprisk.findings import LEFT_OUT, RESEND, Code, Finding
from csprisk.grid import SheetFacts

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

XLSX, ODS, XLS = "xlsx", "ods", "xls"

#: Generous for real returns (a 130-priority matrix is well under 1 MB).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 2_000
#: Rows x columns of a sheet's used area (to its furthest value). The reader allocates
#: about 32 bytes per cell of that area (500,000 cells: 16 MB), and the scan here takes
#: about 2 microseconds a cell, so the limit also keeps a hostile file under a second.
MAX_SHEET_CELLS = 500_000
#: The same bound for workbooks csprisk wrote itself and reads back (the previous assessment,
#: the ranked workbook to export): Partner scores at 6,000 returns is 5.3 million cells.
MAX_OUTPUT_SHEET_CELLS = 8_000_000
_sheet_cells = contextvars.ContextVar("sheet_cells", default=MAX_SHEET_CELLS)


def sheet_cell_limit() -> int:
    return _sheet_cells.get()


@contextlib.contextmanager
def sheet_cells_limited_to(cells: int):
    """Check files against another cell limit (for csprisk's own, larger workbooks)."""
    token = _sheet_cells.set(cells)
    try:
        yield
    finally:
        _sheet_cells.reset(token)
#: Cell records scanned in a legacy .xls before giving up (real returns hold thousands).
MAX_XLS_RECORDS = 2_000_000

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"



#: sheet name -> what the sheet's XML says beyond its values (formulas, hidden rows, ...).
Formulas = dict[str, SheetFacts]
#: Cells of each kind remembered per file (formulas, errors, percentages, hidden rows):
#: enough for any matrix, and a bound on what a hostile file can make us hold.
MAX_FORMULA_CELLS = 100_000


class Verdict(NamedTuple):
    finding: Finding | None
    kind: str  # "xlsx", "ods", "xls" (decided by content), or "" when refused
    facts: Formulas
    #: The csprisk mark (marks.PROPERTY) of an .xlsx, read before any limit, so that
    #: csprisk's own big workbooks are known even where they would be refused; else "".
    mark: str = ""


#: The custom property as Excel, LibreOffice and openpyxl write it in docProps/custom.xml.
_MARK = re.compile(rb'name="csprisk workbook"[^>]*>\s*<vt:lpwstr>([^<]{1,100})</vt:lpwstr>')
MAX_CUSTOM_PROPERTIES_BYTES = 1024 * 1024


def mark_of(archive: zipfile.ZipFile) -> str:
    """The csprisk mark in an .xlsx package's custom properties ("" when it has none)."""
    try:
        info = archive.getinfo("docProps/custom.xml")
    except KeyError:
        return ""
    if info.file_size > MAX_CUSTOM_PROPERTIES_BYTES:
        return ""
    found = _MARK.search(archive.read(info))
    return found.group(1).decode("utf-8", "replace").strip() if found else ""


def read_mark(path: Path) -> str:
    """The csprisk mark of the workbook at `path`, "" when it has none or is no .xlsx."""
    try:
        with zipfile.ZipFile(path) as archive:
            return mark_of(archive)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError, zlib.error):
        return ""


def check_file(path: Path, label: str) -> Finding | None:
    """None when the file looks like a spreadsheet that is safe to read, else a finding."""
    return inspect_file(path, label).finding


def inspect_file(path: Path, label: str) -> Verdict:
    """Whether the file is safe to read, its format, and what each sheet's XML says beyond
    its values (learnt on the way): which cells hold formulas, so a formula TOTAL can be
    told from a typed one, errors and percentages, hidden rows and columns, merged ranges
    and an Excel Table's totals rows (grid.SheetFacts)."""
    formulas: Formulas = {}
    mark: list[str] = []
    problem, kind = _inspect(path, label, formulas, mark)
    return Verdict(problem, kind if problem is None else "", formulas, mark[0] if mark else "")


def _inspect(path: Path, label: str, formulas: Formulas, mark: list[str]) -> tuple[Finding | None, str]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as error:
        return Code.FILE_CORRUPT.finding(
            file=label, reason=f"could not be opened ({error.strerror})",
            advice="Check it is not open elsewhere and that you may read it."), ""
    if size == 0:
        return Code.FILE_EMPTY.finding(file=label), ""
    if size > MAX_FILE_BYTES:
        if head.startswith(ZIP_MAGIC):
            mark.append(read_mark(path))
        return too_large(label, f"This file is {size / 1e6:.0f} MB, over the "
                         f"{_mb(MAX_FILE_BYTES)} limit."), ""
    try:
        if head.startswith(ZIP_MAGIC):
            return _check_zip(path, label, formulas, mark)
        if head.startswith(OLE_MAGIC):
            return _check_ole(path, label, formulas)
    except _Refused as refused:
        return refused.finding, ""
    except (OSError, ValueError, EOFError, struct.error, zipfile.BadZipFile, zlib.error, RuntimeError,
            NotImplementedError, KeyError, IndexError, UnicodeError, OverflowError) as error:
        return corrupt(label, error), ""
    return _not_excel(path, label, head), ""


# ---------------------------------------------------------------------------- findings

def too_large(label: str, what: str) -> Finding:
    return Code.FILE_TOO_LARGE.finding(
        file=label, what=what, limits=f"{_mb(MAX_FILE_BYTES)} per file, {_mb(MAX_UNCOMPRESSED_BYTES)} "
                                      f"unpacked, {sheet_cell_limit():,} cells per sheet")


def corrupt(label: str, error: object = None) -> Finding:
    detail = f" (the reader said: {str(error).strip()[:200]})" if error and str(error).strip() else ""
    return Code.FILE_CORRUPT.finding(
        file=label, reason=f"could not be read; it may be damaged or only partly saved{detail}",
        advice=f"{RESEND} {LEFT_OUT}")


def encrypted(label: str) -> Finding:
    return Code.FILE_ENCRYPTED.finding(file=label)


def not_excel(label: str, kind: str) -> Finding:
    return Code.FILE_NOT_EXCEL.finding(
        file=label, reason=f"is {kind}, not an Excel workbook, so it cannot be a return",
        advice="Ask the partner to fill in the risk-matrix template and send the .xlsx file.")


class _Refused(Exception):
    def __init__(self, problem: Finding) -> None:
        super().__init__(problem.message)
        self.finding = problem


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def _sheet_too_large(label: str, sheet: str, rows: int, cols: int) -> _Refused:
    return _Refused(too_large(label, f'Sheet "{sheet}" reaches {rows:,} rows by {cols:,} columns '
                              f"({rows * cols:,} cells), over the limit of {sheet_cell_limit():,}."))


# --------------------------------------------------------------------------------- zip

def _check_zip(path: Path, label: str, formulas: Formulas, mark: list[str]) -> tuple[Finding | None, str]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        return Code.FILE_CORRUPT.finding(
            file=label, reason=f"is damaged: its contents cannot be unpacked ({error})", advice=RESEND), ""
    with archive:
        mark.append(mark_of(archive))
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            return too_large(label, f"This file holds {len(entries):,} parts, over the limit of "
                             f"{MAX_ZIP_ENTRIES:,}."), ""
        unpacked = sum(e.file_size for e in entries)
        packed = sum(e.compress_size for e in entries)
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            return too_large(label, f"This file unpacks to {unpacked / 1e6:,.0f} MB, over the "
                             f"{_mb(MAX_UNCOMPRESSED_BYTES)} limit."), ""
        if packed and unpacked / packed > MAX_COMPRESSION_RATIO and unpacked > 10 * 1024 * 1024:
            return too_large(label, f"This file unpacks to {unpacked / packed:,.0f} times its size "
                             f"(the limit is {MAX_COMPRESSION_RATIO} times), which real workbooks "
                             "never do."), ""
        if any(e.flag_bits & 0x1 for e in entries):
            return encrypted(label), ""
        names = {e.filename for e in entries}
        if "mimetype" in names:
            return _check_ods(archive, names, label, formulas), ODS
        if "[Content_Types].xml" in names:
            return _check_ooxml(archive, names, label, formulas), XLSX
    return not_excel(label, "a zip archive"), ""


def _check_ooxml(archive: zipfile.ZipFile, names: set[str], label: str, formulas: Formulas) -> Finding | None:
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            return not_excel(label, "an Excel binary workbook (.xlsb), which is not read here; "
                             "save it as an Excel Workbook (.xlsx)")
        if "word/document.xml" in names:
            return not_excel(label, "a Word document")
        if "ppt/presentation.xml" in names:
            return not_excel(label, "a PowerPoint presentation")
        return corrupt(label, "the workbook part xl/workbook.xml is missing")
    sheets = _worksheet_parts(archive, names)
    kept = _refuse_doctypes(archive, label, keep=sheets)
    percent_styles = _percent_styles(archive, names)
    for name, sheet in sorted(sheets.items()):
        facts = formulas.setdefault(sheet, SheetFacts())
        facts.table_totals |= _table_totals(archive, names, name)
        if name in kept and _fast_ooxml_extent(kept[name], label, name, facts, percent_styles):
            continue
        extent = _OoxmlExtent(facts, percent_styles)
        extent.sheet = sheet
        with archive.open(name) as stream:
            rows, cols = _parse(stream, label, extent, name)
        if rows * cols > sheet_cell_limit():
            raise _sheet_too_large(label, sheet, rows, cols)
    return None


#: Excel's built-in number formats that show a percentage (0%, 0.00%).
_BUILTIN_PERCENT = {9, 10}
_NUM_FMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.DOTALL)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")


def _percent_styles(archive: zipfile.ZipFile, names: set[str]) -> frozenset[int]:
    """The cell styles (xf indexes) whose number format shows a percentage."""
    if "xl/styles.xml" not in names:
        return frozenset()
    styles = _read_bounded(archive, "xl/styles.xml")
    percent_formats = set(_BUILTIN_PERCENT)
    for number, code in _NUM_FMT.findall(styles):
        if is_percent_format(code.decode("utf-8", "replace")):
            percent_formats.add(int(number))
    xfs = _CELL_XFS.search(styles)
    found = set()
    for index, attrs in enumerate(_XF.findall(xfs.group(1)) if xfs else ()):
        number = re.search(rb'numFmtId="(\d+)"', attrs)
        if number and int(number.group(1)) in percent_formats:
            found.add(index)
    return frozenset(found)


def is_percent_format(code: str) -> bool:
    """Whether a number format code shows a percentage: a % outside quoted text and escapes."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.replace("&quot;", '"'))
    return "%" in code


_TABLE_REF = re.compile(rb'<(?:\w+:)?table\b[^>]*>')


def _table_totals(archive: zipfile.ZipFile, names: set[str], part: str) -> set[int]:
    """Rows (0-based) that are the totals row of an Excel Table on the sheet `part`."""
    folder, _, file = part.rpartition("/")
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in names:
        return set()
    rows: set[int] = set()
    for relation in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", _read_bounded(archive, rels)):
        kind, target = re.search(rb'Type="([^"]*)"', relation), re.search(rb'Target="([^"]*)"', relation)
        if not (kind and target and kind.group(1).endswith(b"/table")):
            continue
        text = target.group(1).decode("utf-8", "replace")
        table = text.lstrip("/") if text.startswith("/") else _join(folder, text)
        if table not in names:
            continue
        tag = _TABLE_REF.search(_read_bounded(archive, table, 64 * 1024))
        ref = tag and re.search(rb'\sref="\$?[A-Z]{1,3}\$?(\d+):\$?[A-Z]{1,3}\$?(\d+)"', tag.group(0))
        count = tag and re.search(rb'totalsRowCount="(\d+)"', tag.group(0))
        if ref and count and int(count.group(1)) > 0:
            last = int(ref.group(2)) - 1
            rows.update(range(max(last - int(count.group(1)) + 1, 0), last + 1))
    return rows


#: A sheet part up to this size may be vouched for by the byte scan below (a return's
#: matrix is about 50 KB); anything larger goes through the streaming expat scan.
MAX_FAST_SHEET_BYTES = 8 * 1024 * 1024
#: Sheet parts held in memory at once for that scan, per file.
MAX_KEPT_BYTES = 16 * 1024 * 1024
#: Every cell and row start tag, with its reference when that is the plain first attribute.
_FAST_CELL = re.compile(rb'<c[\s/>](?:r="([A-Z]{1,7})([0-9]{1,10})")?')
_FAST_ROW = re.compile(rb'<row[\s/>](?:r="([0-9]{1,10})")?')
_FAST_FORMULA_TAG = re.compile(rb"<f[\s/>]")
_FAST_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,7})([0-9]{1,10})"[^>]*>\s*<f[\s/>]')
_FAST_PREFIXED = re.compile(rb"</?[^\s/>!?]+:(?:c|row|v|is|f)[\s/>]")
#: What any match of _FAST_PREFIXED holds, found far quicker (a literal first byte): only
#: a sheet that has it is searched with the full pattern.
_FAST_PREFIXED_HINT = re.compile(rb":(?:c|row|v|is|f)[\s/>]")


def _fast_ooxml_extent(data: bytes, label: str, part: str, facts: SheetFacts,
                       percent_styles: frozenset[int] = frozenset()) -> bool:
    """True when a sheet part is vouched for without calling Python per element: expat
    still checks it is well-formed (with DTDs refused), and C-speed byte patterns bound its
    reach from every cell's and row's reference. False when the XML is unusual in any way
    the patterns cannot vouch for (comments, CDATA, processing instructions, prefixed cell
    elements, a cell or row without a plain reference first, a formula not opening its
    cell) or when the bound is over the limit: the exact expat scan then decides."""
    if b"<!" in data or data.count(b"<?") > data.startswith(b"<?xml"):
        return False
    if _FAST_PREFIXED_HINT.search(data) and _FAST_PREFIXED.search(data):
        return False
    cells = _FAST_CELL.findall(data)
    letters, numbers = zip(*cells) if cells else ((), ())
    rows = _FAST_ROW.findall(data)
    formula_cells = _FAST_FORMULA_CELL.findall(data)
    if b"" in letters or b"" in rows or len(formula_cells) != len(_FAST_FORMULA_TAG.findall(data)):
        return False
    # An upper bound on what the exact scan would measure: every position it can reach
    # comes from some cell's or row's reference, all of which are counted here.
    reach_cols = max(map(_column_number_bytes, set(letters)), default=0)
    reach_rows = max(max(map(int, rows), default=0), max(map(int, numbers), default=0))
    if reach_rows * reach_cols > sheet_cell_limit():
        return False
    _parse(_blocks(data), label, _WellFormed(), part)
    formulas = facts.formulas
    for letters, row in formula_cells:
        if len(formulas) >= MAX_FORMULA_CELLS:
            break
        formulas.add((int(row) - 1, _column_number_bytes(letters) - 1))
    _fast_sheet_facts(data, facts, percent_styles)
    return True


_FAST_HIDDEN_ROW = re.compile(rb'<row\b[^>]*\shidden="(?:1|true)"[^>]*>')
_FAST_COL = re.compile(rb"<col\b[^>]*>")
_FAST_MERGE = re.compile(rb'<mergeCell\b[^>]*\sref="([^"]+)"')
_FAST_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,7})([0-9]{1,10})"[^>]*?\st="e"[^>]*>(.*?)</c>', re.DOTALL)
_FAST_STYLED_CELL = re.compile(rb'<c r="([A-Z]{1,7})([0-9]{1,10})"[^>]*?\ss="(\d+)"')
_ATTR = re.compile(rb'\s([\w:]+)="([^"]*)"')


def _fast_sheet_facts(data: bytes, facts: SheetFacts, percent_styles: frozenset[int]) -> None:
    """Hidden rows and columns, merged ranges, error and percentage cells, by byte patterns
    over a sheet part the fast scan has vouched for (every cell and row has a plain reference)."""
    for tag in _FAST_HIDDEN_ROW.findall(data):
        attrs = dict(_ATTR.findall(tag))
        _hidden_row(facts, attrs.get(b"r", b"").decode(), attrs.get(b"outlineLevel", b"").decode())
    if b"<col" in data:
        for tag in _FAST_COL.findall(data):
            attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(tag)}
            _hidden_cols(facts, attrs)
    if b"<mergeCell" in data:
        for ref in _FAST_MERGE.findall(data):
            _merged(facts, ref.decode("ascii", "replace"))
    if b't="e"' in data:
        for letters, row, inner in _FAST_ERROR_CELL.findall(data):
            value = re.search(rb"<v>([^<]*)</v>", inner)
            if value and len(facts.errors) < MAX_FORMULA_CELLS:
                text = value.group(1).decode("utf-8", "replace").strip()
                facts.errors[(int(row) - 1, _column_number_bytes(letters) - 1)] = text
    if percent_styles:
        for letters, row, style in _FAST_STYLED_CELL.findall(data):
            if int(style) in percent_styles and len(facts.percent) < MAX_FORMULA_CELLS:
                facts.percent.add((int(row) - 1, _column_number_bytes(letters) - 1))


def _outlined(level: str) -> bool:
    return level.strip() not in ("", "0")


def _hidden_row(facts: SheetFacts, r: str, level: str) -> None:
    """A hidden row; one folded into a collapsed outline group is not hidden."""
    if r.isdigit() and not _outlined(level) and len(facts.hidden_rows) < MAX_FORMULA_CELLS:
        facts.hidden_rows.add(int(r) - 1)


def _hidden_cols(facts: SheetFacts, attrs: dict[str, str]) -> None:
    if attrs.get("hidden") not in ("1", "true") or _outlined(attrs.get("outlineLevel", "")):
        return
    first, last = attrs.get("min", ""), attrs.get("max", "")
    if first.isdigit() and last.isdigit():
        facts.hidden_cols.update(range(int(first) - 1, min(int(last), 16384)))


def _merged(facts: SheetFacts, ref: str) -> None:
    start, _, end = ref.partition(":")
    a, b = _REF.match(start), _REF.match(end or start)
    if a and b and len(facts.merged) < MAX_FORMULA_CELLS:
        top, left = int(a.group(2)) - 1, _column_number(a.group(1)) - 1
        bottom, right = int(b.group(2)) - 1, _column_number(b.group(1)) - 1
        facts.merged.append((min(top, bottom), min(left, right), max(top, bottom), max(left, right)))


class _blocks:
    """Bytes already read, handed to _parse as the same 1 MB blocks a stream gives."""

    def __init__(self, data: bytes) -> None:
        self.view, self.at = memoryview(data), 0

    def read(self, size: int) -> bytes:
        block = self.view[self.at: self.at + size]
        self.at += len(block)
        return bytes(block)


def _worksheet_parts(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Every part a reader may load as a worksheet (the workbook's relations, and
    xl/worksheets/), with the sheet's name where the workbook gives one."""
    parts = {n: PurePosixPath(n).stem for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    rels = "xl/_rels/workbook.xml.rels"
    if rels not in names:
        return parts
    titles = {}
    for sheet in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", _read_bounded(archive, "xl/workbook.xml")):
        name, rid = re.search(rb'\sname="([^"]*)"', sheet), re.search(rb':id="([^"]*)"', sheet)
        if name and rid:
            titles[rid.group(1)] = name.group(1).decode("utf-8", "replace")
    for relation in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", _read_bounded(archive, rels)):
        kind = re.search(rb'Type="([^"]*)"', relation)
        target = re.search(rb'Target="([^"]*)"', relation)
        rid = re.search(rb'Id="([^"]*)"', relation)
        if not (kind and target and kind.group(1).endswith(b"/worksheet")):
            continue
        text = target.group(1).decode("utf-8", "replace")
        resolved = text.lstrip("/") if text.startswith("/") else _join("xl", text)
        if resolved in names:
            parts[resolved] = titles.get(rid.group(1) if rid else b"", PurePosixPath(resolved).stem)
    return parts


def _join(base: str, relative: str) -> str:
    parts: list[str] = base.split("/")
    for piece in relative.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _read_bounded(archive: zipfile.ZipFile, name: str, limit: int = 4 * 1024 * 1024) -> bytes:
    with archive.open(name) as stream:
        return stream.read(limit)


_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _refuse_doctypes(archive: zipfile.ZipFile, label: str, keep=()) -> dict[str, bytes]:
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
                    raise _Refused(_dtd_refused(label, info.filename))
                if len(whole) <= MAX_FAST_SHEET_BYTES and len(whole) <= budget:
                    kept[info.filename] = whole
                    budget -= len(whole)
                    continue
                tail = whole[-16:]
            else:
                tail = b""
            while block := stream.read(1 << 20):
                if _DOCTYPE.search(tail + block):
                    raise _Refused(_dtd_refused(label, info.filename))
                tail = block[-16:]
    return kept


def _dtd_refused(label: str, part: str) -> Finding:
    return Code.FILE_CORRUPT.finding(
        file=label, reason=f"was not opened: its part {part} declares XML entities (a DOCTYPE), which "
                           "real spreadsheets never do and which can be used to attack the reader",
        advice=RESEND)


def _parse(stream: IO[bytes], label: str, handler: _Extent, part: str) -> tuple[int, int]:
    """Stream one XML part through expat with DTDs refused; the handler measures the sheet."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args) -> None:
        raise _Refused(_dtd_refused(label, part))

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
        raise _Refused(corrupt(label, f"{part}: {error}")) from None
    return handler.rows, handler.cols


class _Extent:
    """How far a sheet's values reach: rows and cols counted from A1 (0 when empty)."""

    def __init__(self, facts: SheetFacts | None = None) -> None:
        self.rows = self.cols = 0
        self.sheet = ""
        self.facts = facts if facts is not None else SheetFacts()

    def formula(self, row: int, col: int) -> None:
        if len(self.facts.formulas) < MAX_FORMULA_CELLS:
            self.facts.formulas.add((row, col))

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
            raise _sheet_too_large(label, self.sheet or "1", self.rows, self.cols)


class _WellFormed(_Extent):
    """Measures nothing: the byte scan has bounded the sheet; expat only checks the XML."""

    start = None  # type: ignore[assignment]
    end = None  # type: ignore[assignment]
    text = None  # type: ignore[assignment]


_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?(\d{1,10})$")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _OoxmlExtent(_Extent):
    """<row r=..><c r=..><v>..</v></c>: cells without a value (style only) take no room."""

    def __init__(self, facts: SheetFacts | None = None, percent_styles: frozenset[int] = frozenset()) -> None:
        super().__init__(facts)
        self.row = -1
        self.col = -1
        self.pending = False
        self.percent_styles = percent_styles
        self.error: list[str] | None = None  # the text of an error cell's <v>, as it streams

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "row":
            r = attrs.get("r", "")
            self.row = int(r) - 1 if r.isdigit() else self.row + 1
            self.col = -1
            if attrs.get("hidden") in ("1", "true"):
                _hidden_row(self.facts, str(self.row + 1), attrs.get("outlineLevel", ""))
        elif local == "c":
            match = _REF.match(attrs.get("r", ""))
            if match:
                self.col = _column_number(match.group(1)) - 1
                self.row = int(match.group(2)) - 1
            else:
                self.col += 1
            self.pending = True
            self.is_error = attrs.get("t") == "e"
            style = attrs.get("s", "")
            if (self.percent_styles and style.isdigit() and int(style) in self.percent_styles
                    and len(self.facts.percent) < MAX_FORMULA_CELLS):
                self.facts.percent.add((self.row, self.col))
        elif local == "col":
            _hidden_cols(self.facts, attrs)
        elif local == "mergeCell":
            _merged(self.facts, attrs.get("ref", ""))
        elif local in ("v", "is", "f"):
            if local == "v" and getattr(self, "is_error", False):
                self.error = []
            if local == "f":
                self.formula(self.row, self.col)
            if self.pending:
                self.pending = False
                self.reach(self.row + 1, self.col + 1)

    def text(self, data: str) -> None:
        if self.error is not None and len(self.error) < 8:
            self.error.append(data)

    def end(self, name: str) -> None:
        if self.error is not None and _local(name) == "v":
            if len(self.facts.errors) < MAX_FORMULA_CELLS:
                self.facts.errors[(self.row, self.col)] = "".join(self.error).strip()[:20]
            self.error = None


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _column_number_bytes(letters: bytes) -> int:
    return _column_number(letters.decode("ascii"))


# --------------------------------------------------------------------------------- ods

def _check_ods(archive: zipfile.ZipFile, names: set[str], label: str, formulas: Formulas) -> Finding | None:
    mimetype = _read_bounded(archive, "mimetype", 200).strip()
    if not mimetype.startswith(ODS_MIMETYPE):
        kind = mimetype.decode("ascii", "replace").rpartition(".")[2] or "OpenDocument"
        return not_excel(label, f"an OpenDocument file of another kind ({kind})")
    if "META-INF/manifest.xml" in names and b"encryption-data" in _read_bounded(archive, "META-INF/manifest.xml"):
        return encrypted(label)
    if "content.xml" not in names:
        return corrupt(label, "the part content.xml is missing")
    _refuse_doctypes(archive, label)
    with archive.open("content.xml") as stream:
        _parse(stream, label, _OdsExtent(formulas), "content.xml")
    return None


class _OdsExtent(_Extent):
    """table:table-row / table:table-cell with their number-*-repeated counts: a repeated
    cell holding a value fills every repeat, which is how a tiny file claims a huge sheet."""

    def __init__(self, by_sheet: Formulas) -> None:
        super().__init__()
        self.by_sheet = by_sheet
        self.row = self.col = 0
        self.row_repeat = 1
        self.cell: tuple[int, bool] | None = None  # (columns repeated, holds a value)
        self.depth = 0  # nested tables are part of one cell; not measured separately
        self.column = 0  # the next table:table-column's index
        self.groups = {"table-row-group": 0, "table-column-group": 0}  # outline groups open
        self.error: list[str] | None = None  # an error cell's text, as it streams

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if name == "table:table":
            self.depth += 1
            if self.depth == 1:
                self.rows = self.cols = 0
                self.row = self.column = 0
                self.sheet = attrs.get("table:name", "")
                self.facts = self.by_sheet.setdefault(self.sheet, SheetFacts())
            return
        if self.depth != 1:
            return
        if local in self.groups:
            self.groups[local] += 1
        elif local == "table-column":
            repeat = _count(attrs.get("table:number-columns-repeated"))
            if (attrs.get("table:visibility") in ("collapse", "filter") and not self.groups["table-column-group"]
                    and self.column < 16384):
                self.facts.hidden_cols.update(range(self.column, min(self.column + repeat, 16384)))
            self.column += repeat
        elif local == "table-row":
            self.row_repeat = _count(attrs.get("table:number-rows-repeated"))
            self.col = 0
            if attrs.get("table:visibility") in ("collapse", "filter") and not self.groups["table-row-group"]:
                # A hidden row; one inside an outline group is folded, not hidden.
                for row in range(self.row, self.row + min(self.row_repeat, MAX_FORMULA_CELLS)):
                    if len(self.facts.hidden_rows) >= MAX_FORMULA_CELLS:
                        break
                    self.facts.hidden_rows.add(row)
        elif local in ("table-cell", "covered-table-cell"):
            repeat = _count(attrs.get("table:number-columns-repeated"))
            has_value = "office:value-type" in attrs or "office:value" in attrs
            if "table:formula" in attrs:
                self.formula(self.row, self.col)
            if attrs.get("office:value-type") == "percentage" and len(self.facts.percent) < MAX_FORMULA_CELLS:
                self.facts.percent.add((self.row, self.col))
            if attrs.get("calcext:value-type") == "error":
                self.error = []
            across = _count(attrs.get("table:number-columns-spanned"))
            down = _count(attrs.get("table:number-rows-spanned"))
            if (across > 1 or down > 1) and len(self.facts.merged) < MAX_FORMULA_CELLS:
                self.facts.merged.append((self.row, self.col, self.row + down - 1, self.col + across - 1))
            self.cell = (repeat, has_value)
        elif self.cell is not None and not self.cell[1]:
            self.cell = (self.cell[0], True)  # text:p or other content in the cell

    def text(self, data: str) -> None:
        if self.error is not None and len(self.error) < 8:
            self.error.append(data)

    def end(self, name: str) -> None:
        local = _local(name)
        if name == "table:table":
            self.depth -= 1
            return
        if self.depth != 1:
            return
        if local in self.groups:
            self.groups[local] -= 1
            return
        if self.error is not None and local in ("table-cell", "covered-table-cell"):
            if len(self.facts.errors) < MAX_FORMULA_CELLS:
                self.facts.errors[(self.row, self.col)] = "".join(self.error).strip()[:20]
            self.error = None
        if local in ("table-cell", "covered-table-cell") and self.cell is not None:
            repeat, has_value = self.cell
            if has_value:
                self.reach(self.row + self.row_repeat, self.col + repeat)
            self.col += repeat
            self.cell = None
        elif local == "table-row":
            self.row += self.row_repeat
            self.row_repeat = 1


def _count(text: str | None) -> int:
    if text and text.isdigit():
        return max(1, min(int(text), 1 << 31))
    return 1


# --------------------------------------------------------------------------------- ole

def _check_ole(path: Path, label: str, formulas: Formulas) -> tuple[Finding | None, str]:
    """An OLE compound file (read with olefile): a legacy .xls, or an encrypted .xlsx
    (EncryptedPackage)."""
    import olefile

    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError) as error:
        return corrupt(label, error), ""
    with ole:
        # top-level streams only: a workbook's lie at the root
        names = {entry[0].casefold(): entry for entry in ole.listdir(streams=True, storages=False)
                 if len(entry) == 1}
        if "encryptedpackage" in names or "encryptioninfo" in names:
            return encrypted(label), ""
        workbook = names.get("workbook") or names.get("book")
        if workbook is None:
            if "worddocument" in names:
                return not_excel(label, "a Word document"), ""
            if "powerpoint document" in names:
                return not_excel(label, "a PowerPoint presentation"), ""
            return not_excel(label, "an Office file of another kind"), ""
        try:
            stream = ole.openstream(workbook).read(MAX_FILE_BYTES)
        except (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError) as error:
            return corrupt(label, error), ""
    return _check_biff(stream, label, formulas), XLS


# BIFF record types that put a value in a cell (row at offset 0, column at offset 2).
_BIFF_CELLS = {0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6, 0x0406}
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF, _BIFF_FILEPASS, _BIFF_BOUNDSHEET = 0x00BD, 0x0809, 0x000A, 0x002F, 0x0085


_BIFF_ROW, _BIFF_COLINFO, _BIFF_MERGEDCELLS, _BIFF_BOOLERR, _BIFF_FORMULA = 0x0208, 0x007D, 0x00E5, 0x0205, 0x0006
_BIFF_XF, _BIFF_FORMAT, _BIFF_NUMBER, _BIFF_RK = 0x00E0, 0x041E, 0x0203, 0x027E
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
                0x24: "#NUM!", 0x2A: "#N/A"}


def _check_biff(stream: bytes, label: str, formulas: Formulas) -> Finding | None:
    """Walk the BIFF records of a legacy .xls: refuse a password, measure each sheet and
    note what its records say beyond values (hidden rows and columns, merged ranges, error
    and percentage cells)."""
    at, records, sheet_index = 0, 0, -1
    extent = _Extent()
    sheet_names: list[str] = []
    percent_formats, xf_formats = set(_BUILTIN_PERCENT), []
    percent_styles: set[int] = set()
    end = len(stream)
    while at + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4: at + 4 + length]
        at += 4 + length
        records += 1
        if records > MAX_XLS_RECORDS:
            return too_large(label, f"This file holds over {MAX_XLS_RECORDS:,} records.")
        if kind == _BIFF_FILEPASS:
            return encrypted(label)
        if kind == _BIFF_BOUNDSHEET and len(body) >= 8:
            sheet_names.append(_biff_string(body[6:], length_bytes=1))
        elif kind == _BIFF_BOF:
            if len(body) >= 4 and struct.unpack_from("<H", body, 2)[0] != 0x0005:  # not the globals
                sheet_index += 1
                percent_styles = {i for i, number in enumerate(xf_formats) if number in percent_formats}
            extent.rows = extent.cols = 0
            extent.sheet = sheet_names[sheet_index] if 0 <= sheet_index < len(sheet_names) else str(sheet_index + 1)
            extent.facts = formulas.setdefault(extent.sheet, SheetFacts())
        elif kind == _BIFF_FORMAT and len(body) >= 5:
            if is_percent_format(_biff_string(body[2:])):
                percent_formats.add(struct.unpack_from("<H", body, 0)[0])
        elif kind == _BIFF_XF and len(body) >= 4 and sheet_index < 0:
            xf_formats.append(struct.unpack_from("<H", body, 2)[0])
        elif kind in _BIFF_CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body, 0)
            extent.reach(row + 1, col + 1)
            _biff_cell(extent, kind, body, row, col, percent_styles)
        elif kind == _BIFF_MULRK and len(body) >= 6:
            row, first = struct.unpack_from("<HH", body, 0)
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            extent.reach(row + 1, last + 1)
            for i in range(min(last - first + 1, (len(body) - 6) // 6)):
                if struct.unpack_from("<H", body, 4 + 6 * i)[0] in percent_styles:
                    _add_percent(extent.facts, row, first + i)
        elif kind == _BIFF_ROW and len(body) >= 16:
            row, flags = struct.unpack_from("<H", body, 0)[0], struct.unpack_from("<I", body, 12)[0]
            if flags & 0x20 and not flags & 0x7:  # hidden (fDyZero), not folded in an outline
                _hidden_row(extent.facts, str(row + 1), "")
        elif kind == _BIFF_COLINFO and len(body) >= 10:
            first, last, _, _, flags = struct.unpack_from("<HHHHH", body, 0)
            if flags & 0x1 and not flags & 0x700:
                extent.facts.hidden_cols.update(range(first, min(last, 16383) + 1))
        elif kind == _BIFF_MERGEDCELLS and len(body) >= 2:
            count = min(struct.unpack_from("<H", body, 0)[0], (len(body) - 2) // 8)
            for i in range(count):
                top, bottom, left, right = struct.unpack_from("<HHHH", body, 2 + 8 * i)
                if len(extent.facts.merged) < MAX_FORMULA_CELLS:
                    extent.facts.merged.append((top, left, bottom, right))
        if extent.rows * extent.cols > sheet_cell_limit():
            return _sheet_too_large(label, extent.sheet, extent.rows, extent.cols).finding
    return None


def _biff_cell(extent: _Extent, kind: int, body: bytes, row: int, col: int, percent_styles: set[int]) -> None:
    facts = extent.facts
    if kind == _BIFF_FORMULA:
        extent.formula(row, col)
        if len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 2:  # an error result
            _add_error(facts, row, col, body[8])
    elif kind == _BIFF_BOOLERR and len(body) >= 8 and body[7] == 1:
        _add_error(facts, row, col, body[6])
    if kind in (_BIFF_NUMBER, _BIFF_RK, _BIFF_FORMULA) and len(body) >= 6:
        if struct.unpack_from("<H", body, 4)[0] in percent_styles:
            _add_percent(facts, row, col)


def _add_error(facts: SheetFacts, row: int, col: int, code: int) -> None:
    if len(facts.errors) < MAX_FORMULA_CELLS:
        facts.errors[(row, col)] = _BIFF_ERRORS.get(code, "#N/A")


def _add_percent(facts: SheetFacts, row: int, col: int) -> None:
    if len(facts.percent) < MAX_FORMULA_CELLS:
        facts.percent.add((row, col))


def _biff_string(body: bytes, length_bytes: int = 2) -> str:
    """A BIFF8 unicode string: its length (16-bit in FORMAT records, 8-bit in a sheet's
    BOUNDSHEET name), a flags byte (bit 0: two bytes a character), then the characters."""
    if len(body) < length_bytes + 1:
        return ""
    length = int.from_bytes(body[:length_bytes], "little")
    flags, raw = body[length_bytes], body[length_bytes + 1:]
    try:
        return raw[: length * 2].decode("utf-16-le") if flags & 1 else raw[:length].decode("latin-1")
    except UnicodeDecodeError:
        return ""


# ----------------------------------------------------------------------- not a workbook

def _not_excel(path: Path, label: str, head: bytes) -> Finding:
    suffix = path.suffix.lower()
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<html", b"<!doc", b"<table", b"<head", b"<meta")):
        kind = "a web page (HTML) saved with a spreadsheet name"
    elif sniff.startswith(b"<?xml"):
        kind = ("an Excel 2003 XML spreadsheet, which is not read here; save it as an Excel "
                "Workbook (.xlsx)" if b"spreadsheet" in head.lower() or b"mso-application" in head.lower()
                else "an XML file")
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


def _looks_delimited(head: bytes) -> bool:
    lines = [line for line in head.splitlines()[:4] if line.strip()]
    return any(len(lines) >= 1 and all(line.count(sep) == lines[0].count(sep) > 0 for line in lines[:3])
               for sep in (b",", b";", b"\t")) and not head.lstrip().startswith((b"<", b"{", b"#"))


def _binary(head: bytes) -> bool:
    return any(b < 9 or 13 < b < 32 for b in head[:256])
