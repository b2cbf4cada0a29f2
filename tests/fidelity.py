"""The file-fidelity gate: what Excel would refuse, repair or show as an error in a workbook.

Each check takes the path of a workbook csprisk wrote and returns the problems it finds
(an empty list when there are none), read straight from the file's parts, not through
openpyxl's model, so that nothing openpyxl would tidy on loading slips by:

- `formula_problems`: every cell formula, data-validation formula, conditional-format
  formula, table formula, chart reference and defined name parses with a real Excel formula
  grammar (the `formulas` package);
- `excel_rule_problems`: the rules Excel enforces when it opens a file, where breaking one
  brings "We found a problem with some content... Do you want us to try to recover?";
- `libreoffice_problems`: LibreOffice opens the workbook and no cell shows a formula error,
  except the cells meant to call udfs.py's functions (LibreOffice does not know them);
- `schema_problems`: a second, independent oracle, openxml-audit (a port of the Open XML
  SDK's validator), less the one rule Excel itself does not hold to (see FONT_ORDER).
- `ribbon_problems`: an add-in's ribbon XML (customUI), the part of csprisk.xlam that is ours.
"""

from __future__ import annotations

import ast
import json
import os
import posixpath
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from zipfile import ZipFile

from conftest import soffice_convert

REPO = Path(__file__).resolve().parents[1]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14_MAIN = "http://schemas.microsoft.com/office/excel/2006/main"  # xm:f in x14 extensions
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_S = f"{{{MAIN}}}"

# Excel's published limits ("Excel specifications and limits") and the rules it checks on open.
MAX_SHEET_NAME = 31
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
MAX_CELL_TEXT = 32_767
MAX_FORMULA = 8_192
MAX_LIST_VALIDATION = 255  # the characters of a list typed into a data validation
MAX_VALIDATION_TITLE = 32
MAX_VALIDATION_MESSAGE = 255
MAX_HYPERLINKS = 66_530  # per worksheet
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
MAX_COLUMN_WIDTH, MAX_ROW_HEIGHT = 255, 409
MAX_NAME = 255
RIBBON_NAMESPACES = ("http://schemas.microsoft.com/office/2006/01/customui",
                     "http://schemas.microsoft.com/office/2009/07/customui")
MAX_RIBBON_TEXT = 1024  # label, screentip, supertip


@dataclass(frozen=True)
class Problem:
    check: str  # formula, excel-rule, libreoffice, schema, ribbon
    where: str  # "Example!A10", "defined name Foo", "xl/styles.xml ..."
    what: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.what}"


# ----------------------------------------------------------------------------- the package

@dataclass(frozen=True)
class SheetPart:
    name: str
    part: str  # "xl/worksheets/sheet1.xml"
    root: ET.Element
    rels: dict[str, str]  # relationship id -> target part


class Package:
    """A workbook's parts, read from its zip, and its sheets in workbook order."""

    def __init__(self, path: str | Path):
        with ZipFile(path) as archive:
            self.parts = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
        self.workbook_part = self._main_part()
        self.workbook = self.xml(self.workbook_part)
        wb_rels = self.rels(self.workbook_part)
        self.sheets = []
        for sheet in self.workbook.iter(f"{_S}sheet"):
            part = wb_rels.get(sheet.get(f"{{{REL}}}id", ""), "")
            if part in self.parts:
                self.sheets.append(SheetPart(sheet.get("name", ""), part, self.xml(part), self.rels(part)))
        self.shared_strings = []
        for part in wb_rels.values():
            if part.endswith("sharedStrings.xml") and part in self.parts:
                self.shared_strings = ["".join(t.text or "" for t in si.iter(f"{_S}t"))
                                       for si in self.xml(part).iter(f"{_S}si")]

    def _main_part(self) -> str:
        for target in self.rels("").values():
            if target.startswith("xl/") and target.count("/") == 1:
                return target
        raise AssertionError("the package has no workbook part")

    def xml(self, part: str) -> ET.Element:
        return ET.fromstring(self.parts[part])

    def rels(self, part: str) -> dict[str, str]:
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels_part not in self.parts:
            return {}
        out = {}
        for rel in self.xml(rels_part).iter(f"{{{PKG_REL}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            out[rel.get("Id", "")] = (target.lstrip("/") if target.startswith("/")
                                      else posixpath.normpath(posixpath.join(folder, target)))
        return out

    def cell_text(self, cell: ET.Element) -> str | None:
        kind = cell.get("t")
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter(f"{_S}t"))
        if kind == "s":
            v = cell.find(f"{_S}v")
            return self.shared_strings[int(v.text)] if v is not None and v.text else None
        if kind == "str":
            v = cell.find(f"{_S}v")
            return v.text if v is not None else None
        return None


# ----------------------------------------------------------------------------- formulas

def formulas_written(package: Package) -> list[tuple[str, str]]:
    """(where, formula text without its "=") of every formula the workbook holds."""
    found: list[tuple[str, str]] = []
    for sheet in package.sheets:
        for cell in sheet.root.iter(f"{_S}c"):
            f = cell.find(f"{_S}f")
            if f is not None and f.text:  # a shared formula's followers carry no text
                found.append((f"{sheet.name}!{cell.get('r')}", f.text))
        for rule in sheet.root.iter(f"{_S}dataValidation"):
            for tag in ("formula1", "formula2"):
                for f in rule.iter(f"{_S}{tag}"):
                    found.append((f"{sheet.name} data validation {rule.get('sqref')} {tag}", f.text or ""))
        for block in sheet.root.iter(f"{_S}conditionalFormatting"):
            for f in block.iter(f"{_S}formula"):
                found.append((f"{sheet.name} conditional format {block.get('sqref')}", f.text or ""))
        for f in sheet.root.iter(f"{{{X14_MAIN}}}f"):
            found.append((f"{sheet.name} extension formula", f.text or ""))
    for name in package.workbook.iter(f"{_S}definedName"):
        found.append((f"defined name {name.get('name')}", name.text or ""))
    for part in sorted(package.parts):
        if part.startswith("xl/charts/chart") and part.endswith(".xml"):
            for f in package.xml(part).iter(f"{{{CHART}}}f"):
                found.append((f"{part} series reference", f.text or ""))
        elif part.startswith("xl/tables/") and part.endswith(".xml"):
            for tag in ("calculatedColumnFormula", "totalsRowFormula"):
                for f in package.xml(part).iter(f"{_S}{tag}"):
                    found.append((f"{part} {tag}", f.text or ""))
    return found


def formula_problems(path: str | Path) -> list[Problem]:
    """Every formula parses as Excel's grammar reads it; none is longer than Excel allows."""
    import formulas

    parser = formulas.Parser()
    problems = []
    for where, text in formulas_written(Package(path)):
        if len(text) > MAX_FORMULA:
            problems.append(Problem("formula", where, f"{len(text):,} characters, over Excel's {MAX_FORMULA:,}"))
            continue
        try:
            parser.ast("=" + text)
        except Exception:  # formulas raises its own errors and, on some input, plain ones
            problems.append(Problem("formula", where, f"{text!r} is not a formula Excel can read"))
    return problems


# ----------------------------------------------------------------------------- Excel's rules

_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$", re.IGNORECASE)
_R1C1 = re.compile(r"^(R(\d*)C?(\d*)|C(\d*))$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_\\\u00C0-\uFFFF][\w.\\?\u00C0-\uFFFF]*$")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _looks_like_a_reference(name: str) -> bool:
    match = _CELL_REF.match(name)
    if match and _column_number(match.group(1)) <= MAX_COLUMNS and 0 < int(match.group(2)) <= MAX_ROWS:
        return True
    return bool(_R1C1.match(name))


def name_problem(name: str) -> str | None:
    """Why Excel would refuse `name` as a defined or table name; None when it is valid."""
    if name.startswith("_xlnm."):
        return None  # Excel's own names: Print_Area, Print_Titles, _FilterDatabase
    if not name or len(name) > MAX_NAME:
        return f"a name must be 1 to {MAX_NAME} characters"
    if not _NAME.match(name):
        return "a name starts with a letter, _ or \\ and holds only letters, digits, _, . and \\"
    if name.upper() in ("R", "C") or _looks_like_a_reference(name):
        return "a name cannot look like a cell reference"
    return None


def sheet_name_problem(name: str) -> str | None:
    if not name.strip():
        return "a sheet name cannot be blank"
    if len(name) > MAX_SHEET_NAME:
        return f"{len(name)} characters, over Excel's {MAX_SHEET_NAME}"
    bad = sorted(set(name) & SHEET_NAME_FORBIDDEN)
    if bad:
        return f"holds {' '.join(bad)}, which Excel forbids in sheet names"
    if name.startswith("'") or name.endswith("'"):
        return "a sheet name cannot start or end with an apostrophe"
    if name.casefold() == "history":
        return "History is reserved by Excel"
    return None


def _ranges(sqref: str) -> list[tuple[int, int, int, int]]:
    out = []
    for ref in sqref.split():
        first, _, last = ref.replace("$", "").partition(":")
        a, b = _CELL_REF.match(first), _CELL_REF.match(last or first)
        if a and b:
            out.append((int(a.group(2)), _column_number(a.group(1)), int(b.group(2)), _column_number(b.group(1))))
    return out


def excel_rule_problems(path: str | Path) -> list[Problem]:
    """What Excel repairs or refuses on opening: names, limits, order and overlaps."""
    package = Package(path)
    problems: list[Problem] = []

    def problem(where: str, what: str) -> None:
        problems.append(Problem("excel-rule", where, what))

    seen_sheets: set[str] = set()
    for sheet in package.sheets:
        why = sheet_name_problem(sheet.name)
        if why:
            problem(f"sheet {sheet.name!r}", why)
        if sheet.name.casefold() in seen_sheets:
            problem(f"sheet {sheet.name!r}", "two sheets have this name (Excel ignores case)")
        seen_sheets.add(sheet.name.casefold())
        problems.extend(_sheet_problems(package, sheet))
    scopes: set[tuple[str, str]] = set()
    for name in package.workbook.iter(f"{_S}definedName"):
        text, scope = name.get("name", ""), name.get("localSheetId", "")
        why = name_problem(text)
        if why:
            problem(f"defined name {text!r}", why)
        if (text.casefold(), scope) in scopes:
            problem(f"defined name {text!r}", "defined twice in the same scope")
        scopes.add((text.casefold(), scope))
        if scope and not (scope.isdigit() and int(scope) < len(package.sheets)):
            problem(f"defined name {text!r}", f"scoped to sheet number {scope}, which does not exist")
    tables: dict[str, str] = {}
    for part in sorted(p for p in package.parts if p.startswith("xl/tables/") and p.endswith(".xml")):
        table = package.xml(part)
        for key in ("name", "displayName"):
            text = table.get(key, "")
            why = name_problem(text)
            if why:
                problem(f"table {text!r} ({part})", why)
        display = table.get("displayName", "").casefold()
        if display in tables:
            problem(f"table {table.get('displayName')!r}", f"the same name as the table in {tables[display]}")
        if (display, "") in scopes:
            problem(f"table {table.get('displayName')!r}", "the same name as a defined name")
        tables[display] = part
        columns = [c.get("name", "").casefold() for c in table.iter(f"{_S}tableColumn")]
        if len(columns) != len(set(columns)):
            problem(f"table {table.get('displayName')!r}", "two of its columns have the same header")
    return problems


def _sheet_problems(package: Package, sheet: SheetPart) -> list[Problem]:
    problems: list[Problem] = []

    def problem(where: str, what: str) -> None:
        problems.append(Problem("excel-rule", where, what))

    last_row = 0
    for row in sheet.root.iter(f"{_S}row"):
        number = int(row.get("r", last_row + 1))
        if number <= last_row or number > MAX_ROWS:
            problem(f"{sheet.name} row {number}", "rows out of order, repeated or beyond Excel's last row")
        last_row = number
        last_col = 0
        for cell in row.iter(f"{_S}c"):
            ref = cell.get("r", "")
            match = _CELL_REF.match(ref)
            col = _column_number(match.group(1)) if match else last_col + 1
            if (match and int(match.group(2)) != number) or col <= last_col or col > MAX_COLUMNS:
                problem(f"{sheet.name}!{ref}", "cells out of order, repeated, or outside their row")
            last_col = col
            text = package.cell_text(cell)
            if text is not None and len(text) > MAX_CELL_TEXT:
                problem(f"{sheet.name}!{ref}", f"{len(text):,} characters of text, over Excel's {MAX_CELL_TEXT:,}")
    for col in sheet.root.iter(f"{_S}col"):
        if float(col.get("width", 0)) > MAX_COLUMN_WIDTH:
            problem(f"{sheet.name} columns {col.get('min')}-{col.get('max')}", f"wider than Excel's {MAX_COLUMN_WIDTH}")
    for row in sheet.root.iter(f"{_S}row"):
        if float(row.get("ht", 0)) > MAX_ROW_HEIGHT:
            problem(f"{sheet.name} row {row.get('r')}", f"taller than Excel's {MAX_ROW_HEIGHT} points")
    merged = [(_ranges(m.get("ref", "")) or [None])[0] for m in sheet.root.iter(f"{_S}mergeCell")]
    for i, a in enumerate(merged):
        for b in merged[i + 1:]:
            if a and b and a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]:
                problem(f"{sheet.name} merged cells", f"{_ref(a)} and {_ref(b)} overlap")
    for rule in sheet.root.iter(f"{_S}dataValidation"):
        where = f"{sheet.name} data validation {rule.get('sqref')}"
        formula1 = rule.find(f"{_S}formula1")
        if rule.get("type") == "list" and formula1 is not None and (formula1.text or "").startswith('"'):
            items = (formula1.text or "")[1:-1].replace('""', '"')
            if len(items) > MAX_LIST_VALIDATION:
                problem(where, f"a list of {len(items)} characters, over Excel's {MAX_LIST_VALIDATION}")
        for key, limit in (("promptTitle", MAX_VALIDATION_TITLE), ("errorTitle", MAX_VALIDATION_TITLE),
                           ("prompt", MAX_VALIDATION_MESSAGE), ("error", MAX_VALIDATION_MESSAGE)):
            if len(rule.get(key, "")) > limit:
                problem(where, f"its {key} is {len(rule.get(key, ''))} characters, over Excel's {limit}")
    links = list(sheet.root.iter(f"{_S}hyperlink"))
    if len(links) > MAX_HYPERLINKS:
        problem(sheet.name, f"{len(links):,} hyperlinks, over Excel's {MAX_HYPERLINKS:,}")
    for link in links:
        rid = link.get(f"{{{REL}}}id")
        if rid and rid not in _all_rel_ids(package, sheet.part):
            problem(f"{sheet.name}!{link.get('ref')}", f"a hyperlink to relationship {rid}, which the sheet lacks")
        location = link.get("location")
        if location and "!" in location:
            target = location.rsplit("!", 1)[0].strip("'").replace("''", "'")
            if target not in {s.name for s in package.sheets}:
                problem(f"{sheet.name}!{link.get('ref')}", f"a link to sheet {target!r}, which the workbook lacks")
    return problems


def _all_rel_ids(package: Package, part: str) -> set[str]:
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_part not in package.parts:
        return set()
    return {rel.get("Id", "") for rel in package.xml(rels_part).iter(f"{{{PKG_REL}}}Relationship")}


def _ref(box: tuple[int, int, int, int]) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(box[1])}{box[0]}:{get_column_letter(box[3])}{box[2]}"


# ----------------------------------------------------------------------------- LibreOffice

_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODS_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_ERROR_TEXT = re.compile(r"^(Err:\d{3}|#NAME\?|#VALUE!|#REF!|#DIV/0!|#N/A|#NUM!|#NULL!)$")


def udf_names() -> frozenset[str]:
    """The worksheet functions udfs.py gives Excel (decorated with xw.func), in capitals."""
    tree = ast.parse((REPO / "udfs.py").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Attribute) and decorator.attr == "func":
                    names.add(node.name.upper())
    return frozenset(names)


def ods_cells(content: bytes):
    """(sheet, address, formula or None, shown text, error?) for each cell of an ODS content.xml,
    with the area each array formula spans, as (sheet, top, left, bottom, right, formula)."""
    from openpyxl.utils import get_column_letter

    t, calc = f"{{{_ODS_TABLE}}}", f"{{{_ODS_CALCEXT}}}"
    root = ET.fromstring(content)
    cells, arrays = [], []
    for table in root.iter(f"{t}table"):
        sheet = table.get(f"{t}name", "")
        row = 0
        for row_el in table.iter(f"{t}table-row"):
            repeat_rows = int(row_el.get(f"{t}number-rows-repeated", "1"))
            col = 0
            for cell in row_el:
                if cell.tag not in (f"{t}table-cell", f"{t}covered-table-cell"):
                    continue
                repeat = int(cell.get(f"{t}number-columns-repeated", "1"))
                formula = cell.get(f"{t}formula")
                shown = "\n".join("".join(p.itertext()) for p in cell.iter(f"{{{_ODS_TEXT}}}p"))
                # text that reads "#REF!" (a partner's own cell, quoted) is text, not an error
                error = cell.get(f"{calc}value-type") == "error" or bool(formula and _ERROR_TEXT.match(shown.strip()))
                if formula or error:
                    for r in range(row, row + min(repeat_rows, 50)):
                        for c in range(col, col + min(repeat, 50)):
                            cells.append((sheet, f"{get_column_letter(c + 1)}{r + 1}", formula, shown, error))
                if formula and cell.get(f"{t}number-matrix-rows-spanned"):
                    arrays.append((sheet, row, col, row + int(cell.get(f"{t}number-matrix-rows-spanned")) - 1,
                                   col + int(cell.get(f"{t}number-matrix-columns-spanned", "1")) - 1, formula))
                col += repeat
            row += repeat_rows
    return cells, arrays


def libreoffice_problems(path: str | Path, allow_udfs: bool = False) -> list[Problem]:
    """LibreOffice opens the workbook and no cell shows a formula error.

    With `allow_udfs`, a cell whose formula calls one of udfs.py's functions, and the cells its
    array formula spans, may show #NAME?: LibreOffice does not know those functions (Excel
    knows them once xlwings Lite or the xlwings add-in is loaded). Nothing else is allowed.
    """
    with tempfile.TemporaryDirectory(prefix="csprisk-fidelity-") as folder:
        ods = soffice_convert(path, "ods", folder)
        with ZipFile(ods) as archive:
            content = archive.read("content.xml")
    cells, arrays = ods_cells(content)
    udf_call = re.compile(r"\b(" + "|".join(sorted(udf_names())) + r")\s*\(", re.IGNORECASE)

    def calls_udf(formula: str | None) -> bool:
        return bool(formula) and bool(udf_call.search(formula or ""))

    spans = [a for a in arrays if calls_udf(a[5])]
    problems = []
    for sheet, address, formula, shown, error in cells:
        if not error:
            continue
        if allow_udfs and shown.strip() == "#NAME?":
            from openpyxl.utils.cell import coordinate_to_tuple

            r, c = coordinate_to_tuple(address)
            if calls_udf(formula) or any(s == sheet and top <= r - 1 <= bottom and left <= c - 1 <= right
                                         for s, top, left, bottom, right, _f in spans):
                continue
        problems.append(Problem("libreoffice", f"{sheet}!{address}",
                                f"shows {shown.strip() or 'an error'}" + (f" from {formula}" if formula else "")))
    return problems


# ----------------------------------------------------------------------------- openxml-audit

#: openpyxl writes a font's child elements (name, family, b, i, color, sz...) in an order the
#: validator's sequence does not expect, and flags it. Excel opens these files without a word
#: (every workbook openpyxl has written since 2010 does this), and Excel's own writer is not
#: held to that order when reading: so this one rule is excepted, and only inside a font.
FONT_ORDER = re.compile(r"^Unexpected element '(b|i|u|strike|condense|extend|outline|shadow|vertAlign|sz|color|"
                        r"name|family|charset|scheme)' found$")


def is_font_order(part: str, path: str, description: str) -> bool:
    return part == "/xl/styles.xml" and "/font[" in path and bool(FONT_ORDER.match(description))


#: Where `make install` puts openxml-audit and its lxml, apart from the venv: with lxml
#: importable, openpyxl writes its parts differently, and the tests must exercise what csprisk
#: writes without it.
ORACLES = Path(sys.prefix) / "oracles"

_AUDIT = """
import json, sys
from openxml_audit import OpenXmlValidator
from openxml_audit.errors import ValidationSeverity
result = OpenXmlValidator(max_errors=0).validate(sys.argv[1])
print(json.dumps([{"error": e.severity == ValidationSeverity.ERROR, "part": str(e.part_uri),
                   "path": e.path or "", "description": e.description} for e in result.errors]))
"""


def oracle_missing() -> str | None:
    """Why openxml-audit cannot run here (None when it can)."""
    if not (ORACLES / "openxml_audit").is_dir():
        return f"openxml-audit is not installed in {ORACLES}: run make install"
    return None


def schema_problems(path: str | Path) -> list[Problem]:
    """openxml-audit's errors (its warnings are Excel's own rewrites on a later save, such as
    inline strings moved to the shared table, not repairs), less openpyxl's font order."""
    why = oracle_missing()
    if why:
        raise AssertionError(why)
    env = {**os.environ, "PYTHONPATH": str(ORACLES)}
    done = subprocess.run([sys.executable, "-c", _AUDIT, str(path)], capture_output=True, text=True, env=env,
                          timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"openxml-audit failed on {path}: {done.stderr.strip()[-2000:]}")
    return [Problem("schema", f"{e['part']} {e['path']}".strip(), e["description"])
            for e in json.loads(done.stdout)
            if e["error"] and not is_font_order(e["part"], e["path"], e["description"])]


# ----------------------------------------------------------------------------- the ribbon

def ribbon_problems(path: str | Path, parts=("customUI/customUI.xml", "customUI/customUI14.xml")) -> list[Problem]:
    """The add-in's ribbon parts: well-formed, Office's namespace, unique valid ids, texts in bounds."""
    problems = []
    with ZipFile(path) as archive:
        present = [p for p in parts if p in archive.namelist()]
        if not present:
            return [Problem("ribbon", str(path), "no ribbon part (customUI) in the add-in")]
        for part in present:
            try:
                root = ET.fromstring(archive.read(part))
            except ET.ParseError as error:
                problems.append(Problem("ribbon", part, f"not well-formed XML ({error})"))
                continue
            namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
            if namespace not in RIBBON_NAMESPACES or root.tag.rsplit("}", 1)[-1] != "customUI":
                problems.append(Problem("ribbon", part, f"the root is {root.tag}, not Office's customUI"))
            ids: set[str] = set()
            for element in root.iter():
                ident = element.get("id")
                if ident is not None:
                    if not re.match(r"^[A-Za-z_][\w.-]*$", ident):
                        problems.append(Problem("ribbon", part, f"id {ident!r} is not a valid XML id"))
                    if ident in ids:
                        problems.append(Problem("ribbon", part, f"id {ident!r} is used twice"))
                    ids.add(ident)
                for key in ("label", "screentip", "supertip"):
                    if len(element.get(key, "")) > MAX_RIBBON_TEXT:
                        problems.append(Problem("ribbon", part, f"a {key} over {MAX_RIBBON_TEXT} characters"))
    return problems


def workbook_problems(path: str | Path, allow_udfs: bool = False, libreoffice: bool = True) -> list[Problem]:
    """Every check on one workbook."""
    problems = formula_problems(path) + excel_rule_problems(path) + schema_problems(path)
    if libreoffice:
        problems += libreoffice_problems(path, allow_udfs=allow_udfs)
    return problems
