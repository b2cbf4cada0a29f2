"""The partner's own workbook, marked: each cell with something to fix filled and noted.

The copy is made by editing the package (a zip of XML parts), never by loading and saving
the workbook with a library that drops what it does not know. Only the parts that carry
marks change: the styles (two fills and a copy of each marked cell's format with the fill
changed), each marked sheet's XML (the cells' style, blank cells inserted where needed,
and the `legacyDrawing` that shows notes), the sheet's relationships, the comments and
their VML drawing (appended to when the sheet has notes already), and [Content_Types].xml.
Values, formulas, validations, names, pictures and macros are copied byte for byte.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr
from zipfile import ZIP_DEFLATED, BadZipFile, ZipFile, ZipInfo

from csprisk.findings import ERROR

#: Excel's own "Bad" and "Neutral" fills: errors and warnings; and a box round the cell in a
#: darker shade, which shows even where a partner's colour scale paints over the fill.
FILLS = {ERROR: "FFFFC7CE", "warning": "FFFFEB9C"}
BOXES = {ERROR: "FFC00000", "warning": "FFBF8F00"}
#: The author Excel shows on each note.
AUTHOR = "Checked by csprisk"
#: What each note starts with, by severity.
NOTE_LEAD = {ERROR: "Please fix:", "warning": "Please check:"}
MARKED_SUFFIXES = (".xlsx", ".xlsm")

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_COMMENTS_REL = _REL_NS + "/comments"
_VML_REL = _REL_NS + "/vmlDrawing"
_COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})$")
#: Elements a worksheet may hold after legacyDrawing, in the schema's order.
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst")


class MarkingError(Exception):
    """The workbook's parts are not as Excel writes them, so no marked copy was made."""


@dataclass(frozen=True)
class Mark:
    """One cell to mark: its sheet (by name), its address, the severity and the note's words."""

    sheet: str
    cell: str
    severity: str
    text: str


def is_cell(reference: str) -> bool:
    return bool(_CELL.match(reference or ""))


def marked_name(path: str | Path) -> str:
    """"police (checked).xlsx"; an .xlsm keeps its macros and its ending."""
    path = Path(path)
    suffix = ".xlsm" if path.suffix.lower() == ".xlsm" else ".xlsx"
    return f"{path.stem} (checked){suffix}"


def mark_workbook(source: bytes, marks: Sequence[Mark]) -> bytes:
    """The package `source` with every mark added; raises MarkingError when it cannot be done."""
    try:
        with ZipFile(io.BytesIO(source)) as package:
            return _Marker(package).run(marks)
    except (BadZipFile, KeyError, ValueError, IndexError) as error:
        raise MarkingError(f"its parts could not be read ({error})") from None


# ----------------------------------------------------------------------------- the package

class _Marker:
    def __init__(self, package: ZipFile) -> None:
        self.package = package
        self.names = {info.filename for info in package.infolist()}
        self.changed: dict[str, bytes] = {}

    def text(self, name: str) -> str:
        data = self.changed.get(name)
        return (data if data is not None else self.package.read(name)).decode("utf-8")

    def put(self, name: str, text: str) -> None:
        self.changed[name] = text.encode("utf-8")

    def run(self, marks: Sequence[Mark]) -> bytes:
        sheets = self.sheet_parts()
        by_part: dict[str, dict[tuple[int, int], list[Mark]]] = {}
        for mark in marks:
            part = sheets.get(mark.sheet.casefold())
            found = _CELL.match(mark.cell)
            if part is None or found is None:
                continue  # a finding about a sheet that is not in this file: said in the email only
            at = (int(found.group(2)), column_number(found.group(1)))
            by_part.setdefault(part, {}).setdefault(at, []).append(mark)
        if not by_part:
            raise MarkingError("none of its cells could be found")
        styles = _Styles(self.text(self.styles_part()))
        for part, cells in sorted(by_part.items()):
            self.mark_sheet(part, cells, styles)
        self.put(self.styles_part(), styles.text)
        out = io.BytesIO()
        with ZipFile(out, "w", ZIP_DEFLATED) as target:
            for info in self.package.infolist():
                data = self.changed.pop(info.filename, None)
                if data is None:
                    target.writestr(info, self.package.read(info))
                else:
                    entry = ZipInfo(info.filename, date_time=info.date_time)
                    entry.compress_type = ZIP_DEFLATED
                    target.writestr(entry, data)
            dated = self.package.infolist()[0].date_time  # new parts are dated as the package's first
            for name, data in sorted(self.changed.items()):  # new parts
                entry = ZipInfo(name, date_time=dated)
                entry.compress_type = ZIP_DEFLATED
                target.writestr(entry, data)
        return out.getvalue()

    # -- where things are ---------------------------------------------------------------

    def main_part(self) -> str:
        for target in _relationships(self.text("_rels/.rels"), "", ""):
            if target[1].endswith("/officeDocument"):
                return target[2]
        return "xl/workbook.xml"

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name (casefolded) -> its part, through workbook.xml and its relationships."""
        workbook = self.main_part()
        rels = {rid: target for rid, _kind, target in
                _relationships(self.text(_rels_of(workbook)), posixpath.dirname(workbook), "")}
        parts = {}
        for tag in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", self.text(workbook)):
            attributes = _attributes(tag.group(0))
            rid = next((v for k, v in attributes.items() if k.endswith(":id") or k == "id"), "")
            if "name" in attributes and rid in rels:
                parts[_unescape(attributes["name"]).casefold()] = rels[rid]
        return parts

    def styles_part(self) -> str:
        workbook = self.main_part()
        for _rid, kind, target in _relationships(self.text(_rels_of(workbook)), posixpath.dirname(workbook), ""):
            if kind.endswith("/styles"):
                return target
        raise MarkingError("it has no styles part")

    def free_name(self, pattern: str) -> str:
        number = 1
        while pattern.format(number) in self.names or pattern.format(number) in self.changed:
            number += 1
        name = pattern.format(number)
        self.names.add(name)
        return name

    # -- one sheet ----------------------------------------------------------------------

    def mark_sheet(self, part: str, cells: dict[tuple[int, int], list[Mark]], styles: _Styles) -> None:
        sheet = self.text(part)
        prefix = _root_prefix(sheet)
        sheet = _restyle_cells(sheet, prefix, {at: _worst(found) for at, found in cells.items()}, styles)
        rels_name = _rels_of(part)
        rels_text = self.text(rels_name) if rels_name in self.names else (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_REL_NS}"></Relationships>')
        folder = posixpath.dirname(part)
        existing = _relationships(rels_text, folder, "")
        comments = next((t for _r, k, t in existing if k == _COMMENTS_REL), None)
        vml = None
        legacy = re.search(r"<(?:\w+:)?legacyDrawing\b[^>]*>", sheet)
        if legacy:
            rid = next((v for k, v in _attributes(legacy.group(0)).items() if k.endswith(":id")), "")
            vml = next((t for r, _k, t in existing if r == rid), None)
        notes = sorted(cells.items())
        if comments is None:
            comments = self.free_name("xl/comments{}.xml")
            self.put(comments, _new_comments())
            rels_text = _add_relationship(rels_text, _COMMENTS_REL, posixpath.relpath(comments, folder))
            self.add_override(comments, _COMMENTS_TYPE)
        if legacy and vml is None:
            raise MarkingError("a sheet's drawing part could not be found")
        if vml is None:
            idmap = self.next_idmap()
            vml = self.free_name("xl/drawings/vmlDrawing{}.vml")
            self.put(vml, _new_vml(idmap))
            rels_text = _add_relationship(rels_text, _VML_REL, posixpath.relpath(vml, folder))
            rid = _relationships(rels_text, folder, "")[-1][0]
            sheet = _insert_legacy_drawing(sheet, prefix, rid)
            self.add_default("vml", _VML_TYPE)
        already = self.put_comments(comments, notes)
        self.put_shapes(vml, [(at, found) for at, found in notes if at not in already])
        self.put(part, sheet)
        self.put(rels_name, rels_text)

    def put_comments(self, part: str, notes: list[tuple[tuple[int, int], list[Mark]]]) -> set[tuple[int, int]]:
        """Add a note per cell; a cell with a note of theirs keeps it, with ours after it.
        Returns the cells that had a note (and so a shape) already."""
        text = self.text(part)
        p = _root_prefix(text)
        authors = re.findall(rf"<{p}author>(.*?)</{p}author>|<{p}author/>", text, re.S)
        author = escape(AUTHOR)
        if author in authors:
            author_id = authors.index(author)
        else:
            author_id = len(authors)
            if re.search(rf"<{p}authors\s*/>", text):
                text = re.sub(rf"<{p}authors\s*/>", f"<{p}authors><{p}author>{author}</{p}author></{p}authors>",
                              text, count=1)
            else:
                text = text.replace(f"</{p}authors>", f"<{p}author>{author}</{p}author></{p}authors>", 1)
        had: set[tuple[int, int]] = set()
        added = []
        for at, found in notes:
            ref = cell_name(*at)
            theirs = re.search(rf'<{p}comment\b[^>]*\bref="{ref}"[^>]*>.*?</{p}text>', text, re.S)
            runs = _note_runs(found, p)
            if theirs:
                had.add(at)
                end = theirs.end() - len(f"</{p}text>")
                text = text[:end] + f'<{p}r><{p}t xml:space="preserve">\n\n</{p}t></{p}r>' + runs + text[end:]
            else:
                added.append(f'<{p}comment ref="{ref}" authorId="{author_id}"><{p}text>{runs}</{p}text></{p}comment>')
        if re.search(rf"<{p}commentList\s*/>", text):
            text = re.sub(rf"<{p}commentList\s*/>", f"<{p}commentList></{p}commentList>", text, count=1)
        text = text.replace(f"</{p}commentList>", "".join(added) + f"</{p}commentList>", 1)
        self.put(part, text)
        return had

    def put_shapes(self, part: str, notes: list[tuple[tuple[int, int], list[Mark]]]) -> None:
        text = self.text(part)
        if "_x0000_t202" not in text:
            text = _insert_before_end(text, _NOTE_SHAPETYPE)
        numbers = [int(n) for n in re.findall(r'id="_x0000_s(\d+)"', text)]
        idmap = re.search(r'<o:idmap\b[^>]*\bdata="(\d+)', text)
        first = max(numbers, default=(int(idmap.group(1)) if idmap else 1) * 1024) + 1
        shapes = [_note_shape(first + i, row, column, sum(len(m.text) for m in found))
                  for i, ((row, column), found) in enumerate(notes)]
        self.put(part, _insert_before_end(text, "".join(shapes)))

    def next_idmap(self) -> int:
        used = [1]
        for name in self.names:
            if name.endswith(".vml") and name not in self.changed:
                used += [int(n) for n in re.findall(r'<o:idmap\b[^>]*\bdata="(\d+)', self.text(name))]
        for data in self.changed.values():
            used += [int(n) for n in re.findall(rb'<o:idmap\b[^>]*\bdata="(\d+)', data)]
        return max(used) + 1

    def add_override(self, part: str, content_type: str) -> None:
        types = self.text("[Content_Types].xml")
        entry = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        self.put("[Content_Types].xml", types.replace("</Types>", entry + "</Types>", 1))

    def add_default(self, extension: str, content_type: str) -> None:
        types = self.text("[Content_Types].xml")
        if re.search(rf'<Default\b[^>]*Extension="{extension}"', types, re.I):
            return
        entry = f'<Default Extension="{extension}" ContentType="{content_type}"/>'
        types = re.sub(r"(<Types\b[^>]*>)", lambda m: m.group(1) + entry, types, count=1)
        self.put("[Content_Types].xml", types)


# ----------------------------------------------------------------------------- styles

class _Styles:
    """styles.xml, extended: a fill per severity, and per (existing format, severity) a copy
    of that format with the fill changed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.p = _root_prefix(text)
        self.fill_ids: dict[str, int] = {}
        self.border_ids: dict[str, int] = {}
        self.made: dict[tuple[int, str], int] = {}
        block = self._block("cellXfs")
        self.xfs = re.findall(rf"<{self.p}xf\b[^>]*?/>|<{self.p}xf\b[^>]*>.*?</{self.p}xf>", block, re.S)
        if not self.xfs:
            raise MarkingError("its cell formats could not be read")

    def _block(self, name: str) -> str:
        found = re.search(rf"<{self.p}{name}\b[^>]*>(.*?)</{self.p}{name}>", self.text, re.S)
        if not found:
            raise MarkingError(f"its styles have no {name}")
        return found.group(1)

    def _append(self, name: str, item: str) -> int:
        """Add `item` at the end of the <name> list; returns its index."""
        found = re.search(rf"(<{self.p}{name}\b[^>]*>)(.*?)(</{self.p}{name}>)", self.text, re.S)
        if not found:
            raise MarkingError(f"its styles have no {name}")
        child = {"fills": "fill", "borders": "border"}.get(name, "xf")
        index = len(re.findall(rf"<{self.p}{child}\b", found.group(2)))
        opening = re.sub(r'\bcount="\d+"', f'count="{index + 1}"', found.group(1))
        self.text = (self.text[:found.start()] + opening + found.group(2) + item + found.group(3)
                     + self.text[found.end():])
        return index

    def xf(self, existing: int, severity: str) -> int:
        key = (existing, severity)
        if key not in self.made:
            if severity not in self.fill_ids:
                p = self.p
                self.fill_ids[severity] = self._append(
                    "fills", f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{FILLS[severity]}"/>'
                             f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>')
            if severity not in self.border_ids:
                p = self.p
                side = f'style="medium"><{p}color rgb="{BOXES[severity]}"/>'
                self.border_ids[severity] = self._append(
                    "borders", f"<{p}border><{p}left {side}</{p}left><{p}right {side}</{p}right>"
                               f"<{p}top {side}</{p}top><{p}bottom {side}</{p}bottom><{p}diagonal/></{p}border>")
            base = self.xfs[existing] if 0 <= existing < len(self.xfs) else self.xfs[0]
            opening = re.match(r"<[^>]*?(?=/?>)", base)
            assert opening is not None
            head = re.sub(r'\s(fillId|applyFill|borderId|applyBorder)="[^"]*"', "", opening.group(0))
            head += (f' fillId="{self.fill_ids[severity]}" borderId="{self.border_ids[severity]}" applyFill="1"'
                     ' applyBorder="1"')
            copy = head + base[opening.end():]
            self.made[key] = self._append("cellXfs", copy)
        return self.made[key]


# ----------------------------------------------------------------------------- the sheet's cells

def _restyle_cells(sheet: str, p: str, cells: dict[tuple[int, int], str], styles: _Styles) -> str:
    """Each (row, column) in `cells` gets the copy of its format with the severity's fill; a
    blank cell that is not in the sheet XML is inserted in its place, with the row's or the
    column's format."""
    data = re.search(rf"<{p}sheetData\b[^>]*?/>|<{p}sheetData\b[^>]*>(.*?)</{p}sheetData>", sheet, re.S)
    if not data:
        raise MarkingError("a sheet has no cells part")
    columns = _column_styles(sheet, p)
    body = data.group(1) or ""
    wanted = dict(sorted(cells.items()))
    rows = list(re.finditer(rf"<{p}row\b[^>]*?/>|<{p}row\b[^>]*>.*?</{p}row>", body, re.S))
    pieces, last, row_number = [], 0, 0
    pending = sorted({r for r, _c in wanted})
    for match in rows:
        attributes = _attributes(re.match(r"<[^>]*>", match.group(0)).group(0))  # type: ignore[union-attr]
        row_number = int(attributes.get("r", row_number + 1))
        while pending and pending[0] < row_number:  # rows not in the XML come before this one
            pieces += [body[last:match.start()], _new_row(p, pending.pop(0), wanted, columns, styles)]
            last = match.start()
        pieces.append(body[last:match.start()])
        last = match.end()
        if pending and pending[0] == row_number:
            pending.pop(0)
            pieces.append(_mark_row(match.group(0), p, row_number, attributes, wanted, columns, styles))
        else:
            pieces.append(match.group(0))
    pieces.append(body[last:])
    pieces += [_new_row(p, row, wanted, columns, styles) for row in pending]
    new_body = "".join(pieces)
    opening = re.match(r"<[^>]*?(?=/?>)", data.group(0)).group(0)  # type: ignore[union-attr]
    return sheet[:data.start()] + f"{opening}>{new_body}</{p}sheetData>" + sheet[data.end():]


def _mark_row(row: str, p: str, number: int, attributes: dict[str, str], wanted: dict[tuple[int, int], str],
              columns: dict[int, int], styles: _Styles) -> str:
    columns_here = sorted(c for r, c in wanted if r == number)
    row_style = int(attributes["s"]) if attributes.get("customFormat") in ("1", "true") and "s" in attributes else None
    if row.endswith("/>"):
        row = row[:-2] + f"></{p}row>"
    head = re.match(r"<[^>]*>", row).group(0)  # type: ignore[union-attr]
    inner = row[len(head):-len(f"</{p}row>")]
    cells = list(re.finditer(rf"<{p}c(?=[\s/>])[^>]*?/>|<{p}c(?=[\s/>])[^>]*>.*?</{p}c>", inner, re.S))
    pieces, last, column = [], 0, 0
    for match in cells:
        cell_head = re.match(r"<[^>]*?(?=/?>)", match.group(0)).group(0)  # type: ignore[union-attr]
        cell_attributes = _attributes(cell_head + ">")
        found = _CELL.match(cell_attributes.get("r", ""))
        column = column_number(found.group(1)) if found else column + 1
        while columns_here and columns_here[0] < column:
            pieces += [inner[last:match.start()], _new_cell(p, number, columns_here.pop(0), wanted, row_style,
                                                            columns, styles)]
            last = match.start()
        pieces.append(inner[last:match.start()])
        last = match.end()
        if columns_here and columns_here[0] == column:
            columns_here.pop(0)
            style = styles.xf(int(cell_attributes.get("s", "0")), wanted[(number, column)])
            new_head = re.sub(r'\ss="\d*"', "", cell_head) + f' s="{style}"'
            pieces.append(new_head + match.group(0)[len(cell_head):])
        else:
            pieces.append(match.group(0))
    pieces.append(inner[last:])
    pieces += [_new_cell(p, number, c, wanted, row_style, columns, styles) for c in columns_here]
    inner = "".join(pieces)
    head = _widen_spans(head, [c for r, c in wanted if r == number])
    return head + inner + f"</{p}row>"


def _new_row(p: str, number: int, wanted: dict[tuple[int, int], str], columns: dict[int, int],
             styles: _Styles) -> str:
    cells = "".join(_new_cell(p, number, c, wanted, None, columns, styles)
                    for c in sorted(c for r, c in wanted if r == number))
    return f'<{p}row r="{number}">{cells}</{p}row>'


def _new_cell(p: str, row: int, column: int, wanted: dict[tuple[int, int], str], row_style: int | None,
              columns: dict[int, int], styles: _Styles) -> str:
    base = row_style if row_style is not None else columns.get(column, 0)
    return f'<{p}c r="{cell_name(row, column)}" s="{styles.xf(base, wanted[(row, column)])}"/>'


def _widen_spans(head: str, added: list[int]) -> str:
    """A row's spans="first:last" (an optimisation hint) must cover the cells inserted."""
    found = re.search(r'\bspans="(\d+):(\d+)"', head)
    if not found or not added:
        return head
    low, high = min(int(found.group(1)), *added), max(int(found.group(2)), *added)
    return head[:found.start()] + f'spans="{low}:{high}"' + head[found.end():]


def _column_styles(sheet: str, p: str) -> dict[int, int]:
    styles = {}
    for tag in re.finditer(rf"<{p}col\b[^>]*>", sheet):
        attributes = _attributes(tag.group(0))
        if "style" in attributes and "min" in attributes:
            for column in range(int(attributes["min"]), min(int(attributes.get("max", attributes["min"])), 16384) + 1):
                styles[column] = int(attributes["style"])
    return styles


def _insert_legacy_drawing(sheet: str, p: str, rid: str) -> str:
    declared = re.search(r'xmlns:(\w+)="' + re.escape(_REL_NS) + '"', sheet)
    if declared:
        element = f'<{p}legacyDrawing {declared.group(1)}:id="{rid}"/>'
    else:
        element = f'<{p}legacyDrawing xmlns:r="{_REL_NS}" r:id="{rid}"/>'
    at = _legacy_drawing_place(sheet, p)
    return sheet[:at] + element + sheet[at:]


def _legacy_drawing_place(sheet: str, p: str) -> int:
    """Where legacyDrawing goes: before the first of the worksheet's own elements that the
    schema puts after it (an extLst inside a conditional format is not one), else at the end."""
    data = re.search(rf"<{p}sheetData\b[^>]*?/>|</{p}sheetData>", sheet)
    start = data.end() if data else 0
    depth = 0
    for tag in re.finditer(r"<(/?)([\w:]+)[^>]*?(/?)>", sheet[start:]):
        closing, name, empty = tag.groups()
        local = name.split(":")[-1]
        if closing:
            depth -= 1
            if depth < 0:  # </worksheet>
                return start + tag.start()
            continue
        if depth == 0 and local in _AFTER_LEGACY and name == p + local:
            return start + tag.start()
        if not empty:
            depth += 1
    return sheet.rindex(f"</{p}worksheet>")


# ----------------------------------------------------------------------------- notes

def _worst(found: Iterable[Mark]) -> str:
    return ERROR if any(m.severity == ERROR for m in found) else "warning"


def _note_runs(found: list[Mark], p: str) -> str:
    runs = []
    font = f'<{p}sz val="9"/><{p}color indexed="81"/><{p}rFont val="Tahoma"/><{p}family val="2"/>'
    for i, mark in enumerate(found):
        gap = "\n" if i else ""
        runs.append(f'<{p}r><{p}rPr><{p}b/>{font}</{p}rPr><{p}t xml:space="preserve">{gap}'
                    f'{escape(NOTE_LEAD.get(mark.severity, "Please check:"))}</{p}t></{p}r>'
                    f'<{p}r><{p}rPr>{font}</{p}rPr><{p}t xml:space="preserve"> {escape(_xml_text(mark.text))}'
                    f'</{p}t></{p}r>')
    return "".join(runs)


def _new_comments() -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{_MAIN_NS}">'
            "<authors></authors><commentList></commentList></comments>")


def _new_vml(idmap: int) -> str:
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">\n'
            f' <o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>'
            f"{_NOTE_SHAPETYPE}</xml>")


_NOTE_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _note_shape(number: int, row: int, column: int, length: int) -> str:
    """A hidden note box beside its cell (Excel shows it on hover, with a red corner)."""
    tall = min(3 + length // 45, 14)  # rows of text the box needs, at about 45 characters a row
    anchor = f"{column}, 15, {max(row - 2, 0)}, 10, {column + 4}, 15, {max(row - 2, 0) + tall}, 4"
    return (f'<v:shape id="_x0000_s{number}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;'
            f'margin-top:2pt;width:220pt;height:{tall * 15}pt;z-index:{number};visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{row - 1}</x:Row><x:Column>{column - 1}</x:Column></x:ClientData></v:shape>")


def _insert_before_end(vml: str, item: str) -> str:
    at = vml.rindex("</xml>")
    return vml[:at] + item + vml[at:]


# ----------------------------------------------------------------------------- small helpers

def column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML can carry: characters XML 1.0 forbids are dropped."""
    return _CONTROL.sub("", text)


def _root_prefix(xml: str) -> str:
    """"x:" when the part's elements carry a prefix (as some generators write), else ""."""
    found = re.search(r"<(?![?!])(\w+:)?\w+", xml)
    return (found.group(1) or "") if found else ""


def _attributes(tag: str) -> dict[str, str]:
    return {k: v for k, v in re.findall(r'([\w:]+)\s*=\s*"([^"]*)"', tag)} | {
        k: v for k, v in re.findall(r"([\w:]+)\s*=\s*'([^']*)'", tag)}


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def _rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _relationships(text: str, folder: str, _unused: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) for each internal relationship in a .rels part."""
    found = []
    for tag in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", text):
        attributes = _attributes(tag.group(0))
        if attributes.get("TargetMode") == "External":
            continue
        target = _unescape(attributes.get("Target", ""))
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found.append((attributes.get("Id", ""), attributes.get("Type", ""), part))
    return found


def _add_relationship(text: str, kind: str, target: str) -> str:
    ids = set(re.findall(r'\bId="([^"]*)"', text))
    number = 1
    while f"rId{number}" in ids:
        number += 1
    entry = f'<Relationship Id="rId{number}" Type="{kind}" Target={quoteattr(target)}/>'
    if re.search(r"<Relationships\b[^>]*/>", text):
        return re.sub(r"<Relationships\b([^>]*)/>", lambda m: f"<Relationships{m.group(1)}>{entry}</Relationships>",
                      text, count=1)
    at = text.rindex("</Relationships>")
    return text[:at] + entry + text[at:]
