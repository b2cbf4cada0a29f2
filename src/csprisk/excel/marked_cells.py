"""A marked sheet's cells and the styles they take: each marked cell gets a copy of its own
format with the severity's fill and box; a blank cell missing from the sheet XML is inserted
in its place; a conditional format of our own, first of the sheet's, keeps the sheet's colour
scales off the marked cells; the notes print at the end; and the sheet gets the
`legacyDrawing` that shows its notes."""

from __future__ import annotations

import re

from csprisk.excel.ooxml import CELL, MarkingError, cell_name, column_number, root_prefix, tag_attributes
from csprisk.findings import ERROR, WARNING

#: Errors purple, warnings blue: colours no score colour scale uses (they run green, yellow,
#: red), so a mark never looks like a score; each cell also gets a thick box of the darker
#: shade, which shows on paper in black and white too.
FILLS = {ERROR: "FFD9B3FF", WARNING: "FFB3ECFF"}
BOXES = {ERROR: "FF7030A0", WARNING: "FF0070C0"}  # the partner is told them as feedback.COLOUR_NAMES
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: Elements a worksheet may hold after conditionalFormatting, and after pageSetup, in the schema's order.
_AFTER_PAGE_SETUP = ("headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
                     "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                     "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
_AFTER_CONDITIONAL = ("dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
                      *_AFTER_PAGE_SETUP)
#: Elements a worksheet may hold after legacyDrawing, in the schema's order.
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst")


class Styles:
    """styles.xml, extended: a fill and a box per severity, and per (existing format,
    severity) a copy of that format with the fill and box changed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.p = root_prefix(text)
        self.fill_ids: dict[str, int] = {}
        self.border_ids: dict[str, int] = {}
        self.made: dict[tuple[int, str], int] = {}
        self.dxf_ids: dict[str, int] = {}
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
        child = {"fills": "fill", "borders": "border", "dxfs": "dxf"}.get(name, "xf")
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
                side = f'style="thick"><{p}color rgb="{BOXES[severity]}"/>'
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


    def dxf(self, severity: str) -> int:
        """The differential format our own conditional format gives a marked cell: its fill."""
        if severity not in self.dxf_ids:
            p = self.p
            if not re.search(rf"<{p}dxfs\b(?:[^>]*[^/>])?>", self.text):
                self._open_dxfs()
            colour = FILLS[severity]
            self.dxf_ids[severity] = self._append(
                "dxfs", f'<{p}dxf><{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{colour}"/>'
                        f'<{p}bgColor rgb="{colour}"/></{p}patternFill></{p}fill></{p}dxf>')
        return self.dxf_ids[severity]

    def _open_dxfs(self) -> None:
        """An empty <dxfs> list where the schema puts it (after cellStyles), or <dxfs/> opened."""
        p = self.p
        empty = re.search(rf"<{p}dxfs\b[^>]*/>", self.text)
        if empty:
            self.text = self.text[:empty.start()] + f'<{p}dxfs count="0"></{p}dxfs>' + self.text[empty.end():]
            return
        after = re.search(rf"<{p}(?:tableStyles|colors|extLst)\b|</{p}styleSheet>", self.text)
        if after is None:
            raise MarkingError("its styles could not be read")
        self.text = self.text[:after.start()] + f'<{p}dxfs count="0"></{p}dxfs>' + self.text[after.start():]


# ----------------------------------------------------------------------------- the sheet's cells

def restyle_cells(sheet: str, p: str, cells: dict[tuple[int, int], str], styles: Styles) -> str:
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
        attributes = tag_attributes(re.match(r"<[^>]*>", match.group(0)).group(0))  # type: ignore[union-attr]
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
              columns: dict[int, int], styles: Styles) -> str:
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
        cell_attributes = tag_attributes(cell_head + ">")
        found = CELL.match(cell_attributes.get("r", ""))
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
             styles: Styles) -> str:
    cells = "".join(_new_cell(p, number, c, wanted, None, columns, styles)
                    for c in sorted(c for r, c in wanted if r == number))
    return f'<{p}row r="{number}">{cells}</{p}row>'


def _new_cell(p: str, row: int, column: int, wanted: dict[tuple[int, int], str], row_style: int | None,
              columns: dict[int, int], styles: Styles) -> str:
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
        attributes = tag_attributes(tag.group(0))
        if "style" in attributes and "min" in attributes:
            for column in range(int(attributes["min"]), min(int(attributes.get("max", attributes["min"])), 16384) + 1):
                styles[column] = int(attributes["style"])
    return styles


def insert_legacy_drawing(sheet: str, p: str, rid: str) -> str:
    declared = re.search(r'xmlns:(\w+)="' + re.escape(REL_NS) + '"', sheet)
    if declared:
        element = f'<{p}legacyDrawing {declared.group(1)}:id="{rid}"/>'
    else:
        element = f'<{p}legacyDrawing xmlns:r="{REL_NS}" r:id="{rid}"/>'
    at = _legacy_drawing_place(sheet, p)
    return sheet[:at] + element + sheet[at:]


def _legacy_drawing_place(sheet: str, p: str) -> int:
    """Where legacyDrawing goes: before the first of the worksheet's own elements that the
    schema puts after it (an extLst inside a conditional format is not one), else at the end."""
    return _first_of(sheet, p, _AFTER_LEGACY)


def _first_of(sheet: str, p: str, later: tuple[str, ...]) -> int:
    """Where an element goes: before the first of the worksheet's own elements in `later`
    (those the schema puts after it), else before </worksheet>."""
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
        if depth == 0 and local in later and name == p + local:
            return start + tag.start()
        if not empty:
            depth += 1
    return sheet.rindex(f"</{p}worksheet>")


# ----------------------------------------------------------------------------- the sheet's print and colours

def mark_first(sheet: str, p: str, cells: dict[tuple[int, int], str], styles: Styles) -> str:
    """A conditional format per severity over the marked cells, before every other rule of
    the sheet (priority 1 and 2, stop if true): a colour scale of theirs never paints over a
    mark. The sheet's own rules keep their order, two places down."""
    by_severity: dict[str, list[str]] = {}
    for (row, column), severity in sorted(cells.items()):
        by_severity.setdefault(severity, []).append(cell_name(row, column))
    shift = len(by_severity)
    sheet = re.sub(r'(<(?:\w+:)?cfRule\b[^>]*?\bpriority=")(\d+)"',
                   lambda m: f'{m.group(1)}{int(m.group(2)) + shift}"', sheet)
    ours = []
    for priority, severity in enumerate(s for s in (ERROR, WARNING) if s in by_severity):
        ours.append(f'<{p}conditionalFormatting sqref="{" ".join(by_severity[severity])}">'
                    f'<{p}cfRule type="expression" dxfId="{styles.dxf(severity)}" priority="{priority + 1}" '
                    f'stopIfTrue="1"><{p}formula>TRUE</{p}formula></{p}cfRule></{p}conditionalFormatting>')
    first = re.search(rf"<{p}conditionalFormatting\b", sheet)
    at = first.start() if first else _first_of(sheet, p, _AFTER_CONDITIONAL)
    return sheet[:at] + "".join(ours) + sheet[at:]


def print_notes_at_end(sheet: str, p: str) -> str:
    """The sheet prints its notes after it (pageSetup cellComments="atEnd"), so a marked copy
    on paper still says what each mark is for."""
    found = re.search(rf"<{p}pageSetup\b[^>]*?(?=/?>)", sheet)
    if found:
        head = re.sub(r'\scellComments="[^"]*"', "", found.group(0)).rstrip() + ' cellComments="atEnd"'
        return sheet[:found.start()] + head + sheet[found.end():]
    at = _first_of(sheet, p, _AFTER_PAGE_SETUP)
    return sheet[:at] + f'<{p}pageSetup cellComments="atEnd"/>' + sheet[at:]
