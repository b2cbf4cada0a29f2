"""The analyst workbook as xlwings Lite opens it: the web-extension parts Lite keeps in a
workbook, a main.py that carries csprisk and udfs.py, and that main.py run in real Pyodide
under Node with nothing installed but the workbook's requirements.txt."""

import base64
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

import pyodide_env
from officejs import REPO, apply_actions, book_json, copy_returns_into, function_call, run_coroutine, server_xlwings

xw, udfs = server_xlwings()
import xlwings.server as server  # noqa: E402

from csprisk.app import cli  # noqa: E402
from csprisk.app.demo import write_example_returns  # noqa: E402
from csprisk.app.pipeline import find_returns  # noqa: E402
from csprisk.excel import lite  # noqa: E402
from csprisk.excel.analyst_workbook import (  # noqa: E402,E501
    MERGE_BUTTON,
    analyst_workbook_bytes,
    build_analyst_workbook,
    committed_workbook_path,
)
from csprisk.read import sources  # noqa: E402
from csprisk.read.preflight import inspect_file  # noqa: E402
from csprisk.read.previous import parse_summary  # noqa: E402
from csprisk.read.settings import load_scheme  # noqa: E402
from csprisk.read.workbook import scheme_from_book  # noqa: E402
from csprisk.report.ranked import build_report  # noqa: E402
from csprisk.scheme import Scheme  # noqa: E402
from csprisk.score.merge import merge_sources  # noqa: E402
from csprisk.score.parse import parse_return  # noqa: E402

DEMO_SETTINGS = Path(cli.__file__).with_name("demo_settings.toml")
SCHEME = load_scheme(DEMO_SETTINGS)
NS = {"we": "http://schemas.microsoft.com/office/webextensions/webextension/2010/11",
      "wetp": "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11",
      "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def lite_properties(data: bytes) -> dict[str, str]:
    """Lite's properties in the web extension as stored: each value must be a JSON string
    (Office's own auto-open property, JSON true, is read by test_the_lite_pane_opens_...)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        root = ET.fromstring(package.read("xl/webextensions/webextension1.xml"))
    raw = {p.get("name"): p.get("value") for p in root.iterfind("we:properties/we:property", NS)
           if p.get("name") != lite.AUTO_SHOW}
    assert all(value.startswith('"') and isinstance(json.loads(value), str) for value in raw.values())
    return {name: json.loads(value) for name, value in raw.items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("built") / "X.xlsx"
    assert cli.main(["workbook", "-o", str(path)]) == 0
    return path.read_bytes()


# --------------------------------------------------------------------- the parts Lite reads

@pytest.mark.parametrize("which", ["built", "committed"])
def test_workbook_carries_the_parts_xlwings_lite_keeps(which, built):
    data = built if which == "built" else committed_workbook_path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = set(package.namelist())
        types = ET.fromstring(package.read("[Content_Types].xml"))
        root_rels = ET.fromstring(package.read("_rels/.rels"))
        panes = ET.fromstring(package.read("xl/webextensions/taskpanes.xml"))
        pane_rels = ET.fromstring(package.read("xl/webextensions/_rels/taskpanes.xml.rels"))
        extension = ET.fromstring(package.read("xl/webextensions/webextension1.xml"))
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iterfind("ct:Override", NS)}
    assert overrides["/xl/webextensions/taskpanes.xml"] == "application/vnd.ms-office.webextensiontaskpanes+xml"
    assert overrides["/xl/webextensions/webextension1.xml"] == "application/vnd.ms-office.webextension+xml"
    assert {(r.get("Type"), r.get("Target")) for r in root_rels.iterfind("rel:Relationship", NS)} >= {
        ("http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes",
         "xl/webextensions/taskpanes.xml")}
    pane = panes.find("wetp:taskpane", NS)
    (link,) = pane_rels.iterfind("rel:Relationship", NS)
    assert pane.find("wetp:webextensionref", NS).get(R_ID) == link.get("Id")
    assert (link.get("Type"), link.get("Target")) == (
        "http://schemas.microsoft.com/office/2011/relationships/webextension", "webextension1.xml")
    assert extension.find("we:reference", NS).get("id").upper() == "WA200008175"
    assert extension.find("we:alternateReferences/we:reference", NS).get("id") == "WA200008175"
    assert extension.find(".//we:containsCustomFunctions", NS) is not None
    properties = lite_properties(data)
    assert set(properties) == {"main.py", "requirements.txt", "pyodideVersion", "addinVersion"}
    assert properties["pyodideVersion"] == lite.DEFAULT_PYODIDE
    assert properties["main.py"] == lite.main_py()
    assert "xl/drawings/drawing1.xml" in names


def test_the_lite_pane_opens_with_the_workbook_as_office_documents_it(built, tmp_path):
    with zipfile.ZipFile(io.BytesIO(built)) as package:
        panes = package.read("xl/webextensions/taskpanes.xml").decode("utf-8")
        extension = package.read("xl/webextensions/webextension1.xml").decode("utf-8")
    # As Excel writes them: double-quoted attributes, the pane visible, the property JSON true.
    assert '<wetp:taskpane dockstate="right" visibility="1" width="350" row="2">' in panes
    assert '<we:property name="Office.AutoShowTaskpaneWithDocument" value="true"/>' in extension
    assert not re.search(r"=\s*'", panes + extension), "an attribute in single quotes"
    (pane,) = ET.fromstring(panes).iterfind("wetp:taskpane", NS)
    flags = {p.get("name"): p.get("value") for p in ET.fromstring(extension).iterfind(".//we:property", NS)}
    assert (pane.get("visibility"), json.loads(flags[lite.AUTO_SHOW])) == ("1", True)
    path = tmp_path / "analyst.xlsx"
    path.write_bytes(built)
    assert lite.read_lite_code(path).opens_pane
    assert lite.read_lite_code(path).pyodide_version == lite.DEFAULT_PYODIDE


def test_committed_workbook_is_what_make_workbook_builds(built):
    assert committed_workbook_path().read_bytes() == built, (
        "xlsx_templates/analyst_workbook.xlsx is stale (its main.py carries src/ and udfs.py): run make workbook")


def test_same_sources_give_the_same_bytes_for_each_pyodide_line():
    for version in lite.PYODIDE_LINES:
        assert analyst_workbook_bytes(Scheme(), version) == analyst_workbook_bytes(Scheme(), version)
    old, new = (lite_properties(analyst_workbook_bytes(Scheme(), v)) for v in ("0.27.5", "314.0.8"))
    assert old["main.py"] == new["main.py"]
    assert (old["pyodideVersion"], new["pyodideVersion"]) == ("0.27.5", "314.0.8")


def test_an_unproven_pyodide_is_refused_in_plain_words(tmp_path, capsys):
    assert cli.main(["workbook", "-o", str(tmp_path / "x.xlsx"), "--pyodide", "0.26.0"]) == 2
    assert "Pyodide 0.26.0 is not one csprisk has been proven in" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_requirements_name_only_packages_lite_can_install():
    for version, line in lite.PYODIDE_LINES.items():
        text = lite_properties(analyst_workbook_bytes(Scheme(), version))["requirements.txt"]
        assert "://" not in text and "csprisk" not in text.lower()
        names = [re.split(r"[=<>\s]", entry, maxsplit=1)[0] for entry in pyodide_env.requirement_lines(text)]
        expected = ["xlwings", "python-dotenv", "pyodide-http", "black", "openpyxl", "defusedxml", "olefile"]
        assert names == expected + (["python-calamine"] if line.calamine else [])
        required = [entry for entry in text.splitlines() if entry.endswith("# required")]
        assert required[0] == f"xlwings>={lite.XLWINGS_VERSION},<1.0  # required" and len(required) == 4


def test_requirements_give_bounds_not_pins_and_agree_with_pyproject():
    # Lite records the exact versions it installed (requirements-pinned.txt, Pyodide 314 on)
    # and advises bounds in requirements.txt; each of ours starts at a version pyproject.toml allows.
    import tomllib

    from packaging.requirements import Requirement

    declared = {Requirement(entry).name: Requirement(entry).specifier
                for entry in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    text = lite_properties(analyst_workbook_bytes(Scheme(), "314.0.8"))["requirements.txt"]
    bounded = {}
    for entry in pyodide_env.requirement_lines(text):
        requirement = Requirement(entry)
        operators = sorted(spec.operator for spec in requirement.specifier)
        if requirement.name in ("python-dotenv", "pyodide-http", "black"):
            assert operators == [], entry  # Lite's own lines, as Lite writes them
            continue
        assert operators == ["<", ">="], f"{entry}: a lower and an upper bound, no pin"
        lower = next(spec.version for spec in requirement.specifier if spec.operator == ">=")
        assert declared[requirement.name].contains(lower), (entry, declared[requirement.name])
        bounded[requirement.name] = requirement.specifier
    assert set(bounded) == {"xlwings", "openpyxl", "defusedxml", "olefile", "python-calamine"}
    assert bounded["xlwings"].contains(lite.XLWINGS_VERSION) and not bounded["xlwings"].contains("0.37.7")
    assert bounded["openpyxl"].contains("3.1.5") and not bounded["openpyxl"].contains("3.2.0")


# --------------------------------------------------------------------- main.py

def test_main_py_is_the_package_then_udfs_py_unchanged():
    main = lite.main_py()
    assert main.endswith("\n# " + "-" * 76 + " udfs.py\n" + (REPO / "udfs.py").read_text())
    blob = "".join(re.findall(r'^    "([A-Za-z0-9+/=]+)",$', main, flags=re.M))
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(blob))) as archive:
        carried = {name: archive.read(name) for name in archive.namelist()}
    source = REPO / "src"
    expected = {p.relative_to(source).as_posix(): p.read_bytes() for p in (source / "csprisk").rglob("*")
                if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts}
    assert carried == expected


@pytest.mark.subprocess
def test_main_py_gives_exactly_the_functions_and_scripts_of_udfs_py(tmp_path):
    """Run main.py as Lite does, in a fresh CPython, and compare what Excel would be shown."""
    (tmp_path / "main.py").write_text(lite_properties(committed_workbook_path().read_bytes())["main.py"])
    probe = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('main', 'main.py')\n"
        "main = importlib.util.module_from_spec(spec); spec.loader.exec_module(main)\n"
        "import csprisk, xlwings.server as s\n"
        "print(json.dumps({'file': csprisk.__file__, 'functions': s.custom_functions_meta(main),\n"
        "                  'scripts': s.custom_scripts_meta(main)}, default=str))\n")
    env = {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=True).stdout
    shown = json.loads(out)
    assert re.search(r"csprisk-[0-9a-f]{16}\.zip[/\\]csprisk[/\\]__init__\.py$", shown["file"]), shown["file"]
    assert shown["functions"] == json.loads(json.dumps(server.custom_functions_meta(udfs), default=str))
    assert shown["scripts"] == json.loads(json.dumps(server.custom_scripts_meta(udfs), default=str))
    assert {f["name"] for f in shown["functions"]["functions"]} == {
        "RISK_TOTAL", "RISK_CHECK", "RISK_BAND", "RISK_RANK", "RISK_CRITERIA", "RISK_SUMMARY"}


# --------------------------------------------------------------------- the button

def test_merge_and_rank_button_is_a_shape_linked_to_the_cell_udfs_binds():
    (script,) = [s for s in server.custom_scripts_meta(udfs) if s["function_name"] == "merge_and_rank"]
    assert script["button"] == "[csprisk_merge_and_rank]Start!A3" == MERGE_BUTTON.reference
    with zipfile.ZipFile(committed_workbook_path()) as package:
        drawing = ET.fromstring(package.read("xl/drawings/drawing1.xml"))
        drawing_rels = ET.fromstring(package.read("xl/drawings/_rels/drawing1.xml.rels"))
        sheet_rels = ET.fromstring(package.read("xl/worksheets/_rels/sheet1.xml.rels"))
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    anchor = drawing.find("xdr:oneCellAnchor", NS)
    shape = anchor.find("xdr:sp", NS)
    props = shape.find("xdr:nvSpPr/xdr:cNvPr", NS)
    assert props.get("name") == "csprisk_merge_and_rank"
    assert "".join(t.text for t in shape.iterfind(".//a:t", NS)) == "Merge & Rank"
    # it covers A3: anchored in column A, row 3
    assert (anchor.find("xdr:from/xdr:col", NS).text, anchor.find("xdr:from/xdr:row", NS).text) == ("0", "2")
    link_id = props.find("a:hlinkClick", NS).get(R_ID)
    (target,) = [r.get("Target") for r in drawing_rels.iterfind("rel:Relationship", NS) if r.get("Id") == link_id]
    assert target == "#'Start'!A3"
    (drawing_rel,) = [r for r in sheet_rels.iterfind("rel:Relationship", NS)]
    assert drawing_rel.get("Target") == "../drawings/drawing1.xml"
    assert f'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' \
           f'r:id="{drawing_rel.get("Id")}"/></worksheet>' in sheet
    assert openpyxl.load_workbook(committed_workbook_path())["Start"]["A3"].value is None


@pytest.mark.libreoffice
def test_libreoffice_opens_the_lite_workbook_and_prints_the_button(tmp_path):
    from conftest import require_soffice, soffice_convert

    require_soffice()
    copy = tmp_path / "analyst_workbook.xlsx"
    shutil.copy(committed_workbook_path(), copy)
    pdf = soffice_convert(copy, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Merge & Rank" in text.split("What to do, in order")[0]  # the button, above the steps
    resaved = soffice_convert(copy, "xlsx", tmp_path / "resaved")
    assert openpyxl.load_workbook(resaved).sheetnames[:2] == ["Start", "Settings"]


# --------------------------------------------------------------------- reading, whatever the reader

def test_findings_are_the_same_whatever_reads_the_file(tmp_path):
    pytest.importorskip("python_calamine", reason="compares calamine with openpyxl (Pyodide 0.27 has no calamine)")
    from messy_returns import bad_files, good_returns

    files = (write_example_returns(tmp_path / "demo", SCHEME) + good_returns(tmp_path / "good")
             + bad_files(tmp_path / "bad"))
    compared = 0
    for path in files:
        verdict = inspect_file(path, path.name)
        if verdict.finding is not None or verdict.kind != "xlsx":
            continue
        by_calamine, _ = sources._read_with_calamine(path, path.name, verdict.facts_by_sheet)
        by_openpyxl, _ = sources._read_with_openpyxl(path, path.name, verdict.facts_by_sheet)
        found = [[f.as_dict() for f in parse_return(grids, SCHEME, path.name)[1]]
                 for grids in (by_calamine, by_openpyxl)]
        assert found[0] == found[1], path.name
        compared += len(found[0])
    assert compared >= 20


def test_a_score_of_six_is_six_in_the_json_with_either_reader(tmp_path, monkeypatch):
    pytest.importorskip("python_calamine", reason="compares calamine with openpyxl (Pyodide 0.27 has no calamine)")
    from csprisk.app.pipeline import merge_files

    returns = write_example_returns(tmp_path / "r", SCHEME)
    by_calamine = [f.as_dict() for f in merge_files(returns, SCHEME).findings]
    monkeypatch.setattr(sources, "_read_with_calamine", sources._read_with_openpyxl)
    by_openpyxl = [f.as_dict() for f in merge_files(returns, SCHEME).findings]
    six = [f for f in by_calamine if f["code"] == "score-out-of-range"]
    assert six and all(type(f["value"]) is int for f in six)
    assert json.dumps(by_calamine) == json.dumps(by_openpyxl)


def test_links_for_returns_in_the_workbooks_own_sheets_point_into_it(tmp_path):
    wb = build_analyst_workbook(SCHEME)
    copy_returns_into(wb, write_example_returns(tmp_path / "r", SCHEME))
    wb.save(tmp_path / "analyst.xlsx")
    book = xw.Book(json=book_json(tmp_path / "analyst.xlsx", xw=xw))
    found = find_returns(book, scheme_from_book(book), skip=("Start", "Settings", "Example", "xlwings.conf"))
    report = build_report(merge_sources(found.sources, SCHEME))
    validation = report.sheet("Validation")
    links = [cell.link for _, cell in validation.all_cells() if cell.link and not cell.link.startswith("#'Partner")]
    assert links and all(re.fullmatch(r"#'Return \d'!(A1|[A-Z]+\d+)", link) for link in links), links
    assert not any("file://" in (cell.link or "") for sheet in report.sheets for _, cell in sheet.all_cells())


def test_lite_files_area_is_the_returns_folder_and_says_what_it_left_out(tmp_path, monkeypatch):
    from csprisk.read import workbook as workbook_source

    area = tmp_path / "data"
    write_example_returns(area / "returns", SCHEME)[:2]
    shutil.copy(next((area / "returns").iterdir()), area / "loose return.xlsx")
    monkeypatch.setattr(workbook_source, "LITE_FILES", area)
    monkeypatch.setattr(workbook_source.sys, "platform", "emscripten")
    wb = build_analyst_workbook(SCHEME)
    wb.save(tmp_path / "analyst.xlsx")
    book = xw.Book(json=book_json(tmp_path / "analyst.xlsx", xw=xw))
    found = find_returns(book, SCHEME, skip=())
    assert found.folder == area / "returns"
    assert [s.label for s in found.files] == sorted((f"returns/{p.name}" for p in (area / "returns").iterdir()),
                                                    key=str.casefold)
    shutil.rmtree(area / "returns")
    found = find_returns(book, SCHEME, skip=())
    assert found.files == () and found.notes == (
        "There is no folder \"returns\" in xlwings Lite's Files (menu > Files > Import/Export); only returns "
        "in this workbook's sheets were read. To merge workbooks partners sent, put them in a folder called "
        "\"returns\" and drop the folder there. These files are there but not in that folder, so they were "
        "not read: loose return.xlsx.",)


# --------------------------------------------------------------------- in real Pyodide

FUNCTION_CALLS = [
    ("risk_total", [[3, 4, "NK", None, 5, 2, 1, 0, 5, 5, 4, 3, 2, 1, 0, 4]]),
    ("risk_total", [[3, 4.5, 2]]),
    ("risk_check", [[3, 6, "high", None, 5]], "Hate crime"),
    ("risk_band", 61.5, 60, 40),
    ("risk_rank", 50, [[61], [50], [50], [20]]),
    ("risk_criteria",),
    ("risk_summary", [["Priority", *Scheme().labels], ["ASB", *[3] * 16], ["Hate crime", *[4] * 15, "NK"]]),
]


@pytest.mark.pyodide
@pytest.mark.parametrize("version", list(lite.PYODIDE_LINES))
def test_lite_workbook_runs_in_real_pyodide_as_the_command_line_ranks(version, tmp_path):
    line = lite.PYODIDE_LINES[version]
    pyodide_env.require(line)
    workbook = tmp_path / "CSP assessment.xlsx"
    assert cli.main(["workbook", "-o", str(workbook), "--pyodide", version]) == 0
    code = lite.read_lite_code(workbook)
    assert code.pyodide_version == version
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.py").write_text(code.main)
    shutil.copy(REPO / "tests" / "pyodide_lite_driver.py", work)

    # Three partners' sheets copied into the workbook, two workbooks dropped onto Lite's Files.
    returns = write_example_returns(tmp_path / "returns", SCHEME)
    data = tmp_path / "data"
    (data / "returns").mkdir(parents=True)
    for path in returns[3:]:
        shutil.copy(path, data / "returns" / path.name)
    with_sheets = tmp_path / "with sheets.xlsx"
    wb = build_analyst_workbook(SCHEME)
    copy_returns_into(wb, returns[:3])
    wb.save(with_sheets)
    book = book_json(with_sheets, name=workbook.name, xw=xw)
    calls = [function_call(xw, name, *args) for name, *args in FUNCTION_CALLS]
    request = {"functions": calls, "scripts": [{"name": "merge_and_rank", "book": book},
                                               {"name": "export_for_executive", "book": book}]}
    (work / "request.json").write_text(json.dumps(request))

    wheels = pyodide_env.resolve(line, pyodide_env.requirement_lines(code.requirements))
    run = pyodide_env.run_script(
        line, "/work/pyodide_lite_driver.py", "/work/main.py", "/work/request.json", "/work/result.json",
        wheels=wheels, mounts={str(work): "/work", str(data): "/data"},
        env={"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"})
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads((work / "result.json").read_text())

    assert result["platform"] == "emscripten" and result["python"].startswith(line.python)
    assert result["reader"] == ("calamine" if line.calamine else "openpyxl")
    assert "/csprisk-" in result["csprisk_file"] and result["csprisk_file"].endswith(".zip/csprisk/__init__.py")
    assert result["functions_meta"] == json.loads(json.dumps(server.custom_functions_meta(udfs), default=str))
    assert result["scripts_meta"] == json.loads(json.dumps(server.custom_scripts_meta(udfs), default=str))
    here = [run_coroutine(server.custom_functions_call(call, udfs)) for call in calls]
    assert result["functions"] == json.loads(json.dumps(here))

    merged, exported = result["scripts"]
    applied = apply_actions(with_sheets, merged["actions"])
    assert applied.unknown == []
    summary = applied.workbook["Summary"]
    shown = [(e.rank_label, e.name, e.total) for e in parse_summary(list(summary.iter_rows(values_only=True)))]
    run_cli = "import sys; from csprisk.app import cli; sys.exit(cli.main(sys.argv[1:]))"
    command = subprocess.run([sys.executable, "-c", run_cli,
                              "merge", *map(str, returns), "--json",
                              "--settings", str(DEMO_SETTINGS), "-o", str(tmp_path / "ranked.xlsx")],
                             capture_output=True, text=True, cwd=tmp_path)
    ranking = json.loads(command.stdout)["ranking"]
    assert shown == [(p["rank_label"], p["priority"], round(p["total"], 2)) for p in ranking]
    (alert,) = applied.alerts
    assert alert["prompt"].startswith("Returns merged: 5 (3 from sheets of this workbook, 2 from the returns folder)")
    written = list(data.glob("*for the executive.xlsx"))
    assert [p.name for p in written] == ["CSP assessment - for the executive.xlsx"]
    assert openpyxl.load_workbook(written[0]).sheetnames[0] == "Summary"
    assert "xlwings Lite's Files" in apply_actions(with_sheets, exported["actions"]).alerts[0]["prompt"]
    print(f"Pyodide {version}: main.py {len(code.main):,} characters; loaded in {result['load_seconds']:.2f} s; "
          f"merge_and_rank {merged['seconds']:.2f} s")
