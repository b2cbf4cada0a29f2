"""The partner's own workbook, marked: each cell with something to fix filled and noted.

The copy is made by editing the package (a zip of XML parts), never by loading and saving
the workbook with a library that drops what it does not know. Only the parts that carry
marks change: the styles (a fill and a box per severity, a copy of each marked cell's
format with them, and the fill of a conditional format), each marked sheet's XML (the cells'
style, blank cells inserted where needed, a conditional format over the marks ahead of the
sheet's own, notes printed at the end, and the `legacyDrawing` that shows notes), the
sheet's relationships, the comments and their VML drawing (appended to when the sheet has
notes already), and [Content_Types].xml.
Values, formulas, validations, names, pictures and macros are copied byte for byte.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, BadZipFile, ZipFile, ZipInfo

from csprisk.excel.marked_cells import (
    BOXES,
    FILLS,
    REL_NS,
    Styles,
    insert_legacy_drawing,
    mark_first,
    print_notes_at_end,
    restyle_cells,
)
from csprisk.excel.ooxml import (
    CELL,
    MarkingError,
    add_relationship,
    cell_name,
    column_number,
    relationships,
    rels_of,
    root_prefix,
    tag_attributes,
    unescape,
    xml_text,
)
from csprisk.findings import ERROR, WARNING

__all__ = ["BOXES", "FILLS", "MARKED_SUFFIXES", "Mark", "MarkingError", "mark_workbook", "marked_name"]

#: The author Excel shows on each note.
AUTHOR = "Checked by csprisk"
#: What each note starts with, by severity.
NOTE_LEAD = {ERROR: "Please fix:", WARNING: "Please check:"}
MARKED_SUFFIXES = (".xlsx", ".xlsm")

_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_COMMENTS_REL = REL_NS + "/comments"
_VML_REL = REL_NS + "/vmlDrawing"
_COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"


@dataclass(frozen=True)
class Mark:
    """One cell to mark: its sheet (by name), its address, the severity and the note's words."""

    sheet: str
    cell: str
    severity: str
    text: str


def is_cell(reference: str) -> bool:
    return bool(CELL.match(reference or ""))


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
            found = CELL.match(mark.cell)
            if part is None or found is None:
                continue  # a finding about a sheet that is not in this file: said in the email only
            at = (int(found.group(2)), column_number(found.group(1)))
            by_part.setdefault(part, {}).setdefault(at, []).append(mark)
        if not by_part:
            raise MarkingError("none of its cells could be found")
        styles = Styles(self.text(self.styles_part()))
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
        for target in relationships(self.text("_rels/.rels"), "", ""):
            if target[1].endswith("/officeDocument"):
                return target[2]
        return "xl/workbook.xml"

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name (casefolded) -> its part, through workbook.xml and its relationships."""
        workbook = self.main_part()
        rels = {rid: target for rid, _kind, target in
                relationships(self.text(rels_of(workbook)), posixpath.dirname(workbook), "")}
        parts = {}
        for tag in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", self.text(workbook)):
            attributes = tag_attributes(tag.group(0))
            rid = next((v for k, v in attributes.items() if k.endswith(":id") or k == "id"), "")
            if "name" in attributes and rid in rels:
                parts[unescape(attributes["name"]).casefold()] = rels[rid]
        return parts

    def styles_part(self) -> str:
        workbook = self.main_part()
        for _rid, kind, target in relationships(self.text(rels_of(workbook)), posixpath.dirname(workbook), ""):
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

    def mark_sheet(self, part: str, cells: dict[tuple[int, int], list[Mark]], styles: Styles) -> None:
        sheet = self.text(part)
        prefix = root_prefix(sheet)
        worst = {at: _worst(found) for at, found in cells.items()}
        sheet = restyle_cells(sheet, prefix, worst, styles)
        sheet = print_notes_at_end(mark_first(sheet, prefix, worst, styles), prefix)
        rels_name = rels_of(part)
        rels_text = self.text(rels_name) if rels_name in self.names else (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_REL_NS}"></Relationships>')
        folder = posixpath.dirname(part)
        existing = relationships(rels_text, folder, "")
        comments = next((t for _r, k, t in existing if k == _COMMENTS_REL), None)
        vml = None
        legacy = re.search(r"<(?:\w+:)?legacyDrawing\b[^>]*>", sheet)
        if legacy:
            rid = next((v for k, v in tag_attributes(legacy.group(0)).items() if k.endswith(":id")), "")
            vml = next((t for r, _k, t in existing if r == rid), None)
        notes = sorted(cells.items())
        if comments is None:
            comments = self.free_name("xl/comments{}.xml")
            self.put(comments, _new_comments())
            rels_text = add_relationship(rels_text, _COMMENTS_REL, posixpath.relpath(comments, folder))
            self.add_override(comments, _COMMENTS_TYPE)
        if legacy and vml is None:
            raise MarkingError("a sheet's drawing part could not be found")
        if vml is None:
            idmap = self.next_idmap()
            vml = self.free_name("xl/drawings/vmlDrawing{}.vml")
            self.put(vml, _new_vml(idmap))
            rels_text = add_relationship(rels_text, _VML_REL, posixpath.relpath(vml, folder))
            rid = relationships(rels_text, folder, "")[-1][0]
            sheet = insert_legacy_drawing(sheet, prefix, rid)
            self.add_default("vml", _VML_TYPE)
        already = self.put_comments(comments, notes)
        self.put_shapes(vml, [(at, found) for at, found in notes if at not in already])
        self.put(part, sheet)
        self.put(rels_name, rels_text)

    def put_comments(self, part: str, notes: list[tuple[tuple[int, int], list[Mark]]]) -> set[tuple[int, int]]:
        """Add a note per cell; a cell with a note of theirs keeps it, with ours after it.
        Returns the cells that had a note (and so a shape) already."""
        text = self.text(part)
        p = root_prefix(text)
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


# ----------------------------------------------------------------------------- notes

def _worst(found: Iterable[Mark]) -> str:
    return ERROR if any(m.severity == ERROR for m in found) else WARNING


def _note_runs(found: list[Mark], p: str) -> str:
    runs = []
    font = f'<{p}sz val="9"/><{p}color indexed="81"/><{p}rFont val="Tahoma"/><{p}family val="2"/>'
    for i, mark in enumerate(found):
        gap = "\n" if i else ""
        runs.append(f'<{p}r><{p}rPr><{p}b/>{font}</{p}rPr><{p}t xml:space="preserve">{gap}'
                    f'{escape(NOTE_LEAD.get(mark.severity, "Please check:"))}</{p}t></{p}r>'
                    f'<{p}r><{p}rPr>{font}</{p}rPr><{p}t xml:space="preserve"> {escape(xml_text(mark.text))}'
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


