"""The analyst workbook as an xlwings Lite workbook: csprisk travels inside its own main.py.

xlwings Lite (a free Office add-in: Windows, macOS, Excel on the web) runs Python through
Pyodide inside Excel and keeps a workbook's code in an Office web extension part of the
file: `main.py`, `requirements.txt` and the Pyodide version, each a JSON string. Lite
installs only what requirements.txt names, from PyPI or Pyodide's own repository, so
csprisk itself cannot be a requirement. Instead main.py carries the package as a zip
(base64 text, made from `src/csprisk` at build time) that it puts on `sys.path`
(zipimport), followed by the text of `udfs.py`: the functions and scripts Excel sees are
exactly those of udfs.py.

openpyxl drops web extensions (and drawings it did not make) when it saves, so these parts
are added to the finished file as the last step. The same sources give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from csprisk.findings import Stopped
from csprisk.report.model import NAVY
from csprisk.version import __version__

#: The xlwings Lite add-in in the Office add-ins store.
STORE_ID = "WA200008175"
#: The add-in version recorded by real Lite workbooks (Lite updates itself; this is the
#: format version the parts below were read from).
ADDIN_VERSION = "1.0.0.0-18"
#: The xlwings the scripts were proven with (in CPython and in both Pyodide lines): the lower
#: bound of requirements.txt.
XLWINGS_VERSION = "0.37.8"

WEBEXTENSION = "xl/webextensions/webextension1.xml"
TASKPANES = "xl/webextensions/taskpanes.xml"
TASKPANES_RELS = "xl/webextensions/_rels/taskpanes.xml.rels"
_REL_TASKPANES = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
_REL_WEBEXTENSION = "http://schemas.microsoft.com/office/2011/relationships/webextension"
_REL_DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
_REL_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


@dataclass(frozen=True)
class PyodideLine:
    """A Pyodide release the workbook can declare, and what Lite can install there."""

    version: str
    python: str  # "3.14"
    platform: str  # the wheel platform tag of that Pyodide, for pip download
    calamine: bool  # python-calamine has a wheel for it on PyPI


#: The lines proven in real Pyodide under Node (see tools/pyodide and tests/test_lite.py).
PYODIDE_LINES = {
    line.version: line for line in (
        # Python 3.14; PyPI has python-calamine for it, so returns are read fast and .xls
        # and .ods returns can be read too; Lite pins what it installs from 314 on.
        PyodideLine("314.0.8", "3.14", "pyemscripten_2026_0_wasm32", calamine=True),
        # Python 3.12, the Pyodide that Lite workbooks were first made with; no calamine
        # wheel on PyPI, so csprisk reads .xlsx and .xlsm returns with openpyxl there.
        PyodideLine("0.27.5", "3.12", "pyodide_2024_0_wasm32", calamine=False),
    )
}
DEFAULT_PYODIDE = "314.0.8"


class LiteBuildError(Stopped, RuntimeError):
    """The Lite parts could not be made (the sources were not found)."""


def pyodide_line(version: str | None = None) -> PyodideLine:
    version = version or DEFAULT_PYODIDE
    try:
        return PYODIDE_LINES[version]
    except KeyError:
        raise LiteBuildError(f"Pyodide {version} is not one csprisk has been proven in. Choose one of: "
                             f"{', '.join(PYODIDE_LINES)}.") from None


#: What csprisk needs in Lite, as bounds, not exact pins (Lite's advice since it records the
#: versions it installed in requirements-pinned.txt, Pyodide 314 on): the lower bound is the
#: one pyproject.toml declares (tests/test_lite.py checks they agree), the upper bound the next
#: release that may break us (openpyxl: csprisk's writer is proven with 3.1 only).
PACKAGE_BOUNDS = (
    ("openpyxl", ">=3.1,<3.2"),
    ("defusedxml", ">=0.7,<1"),
    ("olefile", ">=0.46,<1"),
)
#: calamine's range is pyproject's pin: the hostile-file tests prove that range only (a reader
#: panic is caught as it panics there).
CALAMINE_BOUNDS = ("python-calamine", ">=0.9.1,<0.10")


def requirements_txt(line: PyodideLine) -> str:
    """What Lite installs: its own required lines, then csprisk's dependencies, each within
    bounds (a fresh Lite installs the newest release within them; from Pyodide 314 on it then
    keeps those versions in requirements-pinned.txt). No URL and no csprisk line: the package
    travels inside main.py."""
    lines = [
        # Lite's own lines; xlwings from the release the scripts were proven with, below 1.0
        # as Lite's guide suggests (0.36.17 or later is needed for xw.Caller)
        f"xlwings>={XLWINGS_VERSION},<1.0  # required",
        "python-dotenv  # required",
        "pyodide-http  # required",
        "black  # required",
    ]
    packages = [*PACKAGE_BOUNDS, *([CALAMINE_BOUNDS] if line.calamine else [])]
    lines += [name + bounds for name, bounds in packages]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- main.py

def package_dir() -> Path:
    """The csprisk package's folder (src/csprisk)."""
    return Path(__file__).resolve().parents[1]


def udfs_path() -> Path:
    """udfs.py, the one source of the functions and scripts, beside the csprisk source."""
    path = package_dir().parents[1] / "udfs.py"
    if not path.is_file():
        raise LiteBuildError(f"udfs.py (the CSP functions and scripts) was not found at {path}. "
                             "Build the analyst workbook from a csprisk source folder.")
    return path


def package_zip() -> bytes:
    """The csprisk package (its .py and .toml files) as a zip with fixed dates and order."""
    root = package_dir()
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and p.suffix in (".py", ".toml") and "__pycache__" not in p.parts)
    out = io.BytesIO()
    with ZipFile(out, "w", ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            entry = ZipInfo(f"csprisk/{path.relative_to(root).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, path.read_bytes(), compresslevel=9)
    return out.getvalue()


_BOOTSTRAP = '''\
# csprisk for xlwings Lite: the CSP Risk Matrix functions and scripts.
#
# Made by `csprisk workbook` (csprisk {version}); do not edit it here: it is rebuilt
# from csprisk's source. The csprisk package travels below as a zip of {size:,} bytes,
# unpacked to a temporary file and imported from there, so that nothing needs installing
# but requirements.txt. After the package come the functions and scripts of csprisk's
# udfs.py, unchanged.

def _csprisk_on_path(blob, digest):
    import base64, hashlib, os, sys, tempfile

    path = os.path.join(tempfile.gettempdir(), "csprisk-" + digest[:16] + ".zip")
    data = base64.b64decode("".join(blob))
    if hashlib.sha256(data).hexdigest() != digest:
        raise ImportError("the csprisk package in main.py is damaged: rebuild the workbook")
    if not os.path.exists(path):
        with open(path + ".part", "wb") as handle:
            handle.write(data)
        os.replace(path + ".part", path)
    if path not in sys.path:
        sys.path.insert(0, path)
    loaded = sys.modules.get("csprisk")
    if loaded is not None and not (getattr(loaded, "__file__", "") or "").startswith(path):
        for name in [n for n in sys.modules if n == "csprisk" or n.startswith("csprisk.")]:
            del sys.modules[name]  # an earlier main.py's csprisk must not answer for this one


_csprisk_on_path((
{blob}
), "{digest}")
del _csprisk_on_path

# ---------------------------------------------------------------------------- udfs.py
'''


def main_py() -> str:
    """main.py for Lite: the package as a zip on sys.path, then udfs.py as it is."""
    archive = package_zip()
    digest = hashlib.sha256(archive).hexdigest()
    text = base64.b64encode(archive).decode("ascii")
    blob = "\n".join(f'    "{text[i:i + 96]}",' for i in range(0, len(text), 96))
    head = _BOOTSTRAP.format(version=__version__, size=len(archive), digest=digest, blob=blob)
    return head + udfs_path().read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- parts

#: Office's documented way for a document to open its add-in's task pane on opening (with the
#: task pane part's visibility="1"); where the add-in is not installed, Office offers it.
AUTO_SHOW = "Office.AutoShowTaskpaneWithDocument"


def _attribute(value: str) -> str:
    """An XML attribute value in double quotes, as Excel writes them (quoteattr would switch
    to single quotes for a value holding a double quote, as every JSON string does)."""
    return '"' + escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}) + '"'


def _json_property(name: str, value: object) -> str:
    """A web extension property as Office stores an add-in's settings: the value as JSON."""
    return f"<we:property name={_attribute(name)} value={_attribute(json.dumps(value))}/>"


def webextension_xml(main: str, requirements: str, line: PyodideLine) -> str:
    """Lite's code (each a JSON string) and Office's auto-open property (JSON true)."""
    # A fixed id: the same sources give the same bytes (Excel keeps whatever id it finds).
    ident = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "csprisk/analyst-workbook")).upper() + "}"
    properties = "".join(_json_property(name, value) for name, value in (
        ("main.py", main), ("requirements.txt", requirements),
        ("pyodideVersion", line.version), ("addinVersion", ADDIN_VERSION), (AUTO_SHOW, True)))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/2010/11" '
        f'id="{ident}">'
        f'<we:reference id="{STORE_ID.lower()}" version="1.0.0.0" store="en-GB" storeType="OMEX"/>'
        f'<we:alternateReferences><we:reference id="{STORE_ID}" version="1.0.0.0" store="{STORE_ID}" '
        'storeType="OMEX"/></we:alternateReferences>'
        f"<we:properties>{properties}</we:properties>"
        "<we:bindings/>"
        '<we:snapshot xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
        '<we:extLst><a:ext xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'uri="{D87F86FE-615C-45B5-9D79-34F1136793EB}"><we:containsCustomFunctions/></a:ext></we:extLst>'
        "</we:webextension>")


TASKPANES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11">'
    # visibility="1": the pane is open when the workbook opens (with AUTO_SHOW above)
    '<wetp:taskpane dockstate="right" visibility="1" width="350" row="2">'
    '<wetp:webextensionref xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'r:id="rId1"/></wetp:taskpane></wetp:taskpanes>')

TASKPANES_RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL_WEBEXTENSION}" Target="webextension1.xml"/></Relationships>')


@dataclass(frozen=True)
class SheetButton:
    """A shape on a sheet that runs a script in Lite: the shape links to the cell it covers,
    and `@script(button="[name]Sheet!Cell")` binds the script to that click."""

    name: str  # the shape's name
    text: str
    sheet_part: str  # e.g. "xl/worksheets/sheet1.xml"
    sheet_title: str
    cell: str  # the covered cell the shape links to, e.g. "A3"
    row: int  # zero-based row of that cell
    width_emu: int
    height_emu: int

    @property
    def reference(self) -> str:
        return f"[{self.name}]{self.sheet_title}!{self.cell}"


def _drawing_xml(button: SheetButton) -> str:
    offset = 38100  # 3 pt down from the top of the row, so the row's border stays visible
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<xdr:oneCellAnchor>'
        f'<xdr:from><xdr:col>0</xdr:col><xdr:colOff>{offset}</xdr:colOff><xdr:row>{button.row}</xdr:row>'
        f'<xdr:rowOff>{offset}</xdr:rowOff></xdr:from>'
        f'<xdr:ext cx="{button.width_emu}" cy="{button.height_emu}"/>'
        '<xdr:sp macro="" textlink="">'
        f'<xdr:nvSpPr><xdr:cNvPr id="2" name={_attribute(button.name)} descr={_attribute(button.text)}>'
        '<a:hlinkClick r:id="rId1"/></xdr:cNvPr><xdr:cNvSpPr/></xdr:nvSpPr>'
        '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></a:xfrm>'
        '<a:prstGeom prst="roundRect"><a:avLst/></a:prstGeom>'
        f'<a:solidFill><a:srgbClr val="{NAVY}"/></a:solidFill><a:ln><a:noFill/></a:ln></xdr:spPr>'
        '<xdr:txBody><a:bodyPr vertOverflow="clip" horzOverflow="clip" rtlCol="0" anchor="ctr"/>'
        '<a:lstStyle/><a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="en-GB" sz="1400" b="1">'
        '<a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill><a:latin typeface="Calibri"/></a:rPr>'
        f"<a:t>{escape(button.text)}</a:t></a:r></a:p></xdr:txBody>"
        '</xdr:sp><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>')


def _drawing_rels_xml(button: SheetButton) -> str:
    target = _attribute(f"#'{button.sheet_title}'!{button.cell}")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL_HYPERLINK}" Target={target}/></Relationships>')


def _with_drawing(sheet_xml: str) -> str:
    """The sheet XML with its <drawing> element, in the place the schema gives it."""
    element = ('<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
               'r:id="rIdButton"/>')
    for follower in ("<legacyDrawing", "<legacyDrawingHF", "<picture", "<oleObjects", "<controls",
                     "<webPublishItems", "<tableParts", "<extLst", "</worksheet>"):
        at = sheet_xml.find(follower)
        if at >= 0:
            return sheet_xml[:at] + element + sheet_xml[at:]
    raise LiteBuildError("the sheet XML has no end tag")


def _sheet_rels(existing: str | None, drawing_target: str) -> str:
    relationship = f'<Relationship Id="rIdButton" Type="{_REL_DRAWING}" Target="{drawing_target}"/>'
    if existing is None:
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f"{relationship}</Relationships>")
    return existing.replace("</Relationships>", relationship + "</Relationships>")


def _override(part: str, content_type: str) -> str:
    return f'<Override PartName="/{part}" ContentType="{content_type}"/>'


def add_lite_parts(xlsx: bytes, main: str, requirements: str, line: PyodideLine,
                   button: SheetButton | None = None) -> bytes:
    """The workbook with Lite's web extension (and the sheet button's drawing) added.

    Every entry keeps its order and date; the new ones follow, dated like the rest.
    """
    drawing = "xl/drawings/drawing1.xml"
    with ZipFile(io.BytesIO(xlsx)) as source:
        infos = source.infolist()
        parts = {info.filename: source.read(info) for info in infos}
    stamp = infos[0].date_time
    if WEBEXTENSION in parts or drawing in parts:
        raise LiteBuildError("the workbook already has Lite parts or a drawing")
    overrides = [_override(WEBEXTENSION, "application/vnd.ms-office.webextension+xml"),
                 _override(TASKPANES, "application/vnd.ms-office.webextensiontaskpanes+xml")]
    added = {WEBEXTENSION: webextension_xml(main, requirements, line), TASKPANES: TASKPANES_XML,
             TASKPANES_RELS: TASKPANES_RELS_XML}
    if button is not None:
        sheet_dir, sheet_name = button.sheet_part.rsplit("/", 1)
        rels_part = f"{sheet_dir}/_rels/{sheet_name}.rels"
        parts[button.sheet_part] = _with_drawing(parts[button.sheet_part].decode("utf-8")).encode("utf-8")
        existing = parts.pop(rels_part, None)
        added[rels_part] = _sheet_rels(existing.decode("utf-8") if existing else None, "../drawings/drawing1.xml")
        added[drawing] = _drawing_xml(button)
        added["xl/drawings/_rels/drawing1.xml.rels"] = _drawing_rels_xml(button)
        overrides.append(_override(drawing, "application/vnd.openxmlformats-officedocument.drawing+xml"))
    types = parts["[Content_Types].xml"].decode("utf-8")
    parts["[Content_Types].xml"] = types.replace("</Types>", "".join(overrides) + "</Types>").encode("utf-8")
    root_rels = parts["_rels/.rels"].decode("utf-8")
    parts["_rels/.rels"] = root_rels.replace(
        "</Relationships>",
        f'<Relationship Type="{_REL_TASKPANES}" Target="{TASKPANES}" Id="rIdLite"/></Relationships>').encode("utf-8")
    out = io.BytesIO()
    with ZipFile(out, "w", ZIP_DEFLATED) as target:
        names = [info.filename for info in infos if info.filename in parts] + sorted(added)
        for name in names:
            entry = ZipInfo(name, date_time=stamp)
            entry.compress_type = ZIP_DEFLATED
            data = parts[name] if name in parts else added[name].encode("utf-8")
            target.writestr(entry, data)
    return out.getvalue()


# ----------------------------------------------------------------------------- reading back

@dataclass(frozen=True)
class LiteCode:
    main: str
    requirements: str
    pyodide_version: str
    addin_version: str
    opens_pane: bool = False  # the task pane opens with the workbook (AUTO_SHOW and visibility="1")


def read_lite_code(path: str | Path) -> LiteCode | None:
    """The code xlwings Lite would run from a workbook; None when it has none."""
    from defusedxml.ElementTree import fromstring

    with ZipFile(path) as package:
        if WEBEXTENSION not in package.namelist():
            return None
        root = fromstring(package.read(WEBEXTENSION))
        panes = fromstring(package.read(TASKPANES)) if TASKPANES in package.namelist() else None
    ns = "{http://schemas.microsoft.com/office/webextensions/webextension/2010/11}"
    values = {p.get("name"): json.loads(p.get("value")) for p in root.iter(f"{ns}property")}
    visible = panes is not None and any(
        pane.get("visibility") in ("1", "true")
        for pane in panes.iter("{http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11}taskpane"))
    return LiteCode(values.get("main.py", ""), values.get("requirements.txt", ""),
                    values.get("pyodideVersion", ""), values.get("addinVersion", ""),
                    opens_pane=visible and values.get(AUTO_SHOW) is True)
