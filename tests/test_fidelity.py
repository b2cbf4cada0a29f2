"""The file-fidelity gate applied to every workbook csprisk writes (tests/fidelity.py holds the
checks), and each check shown to fail on a workbook made bad on purpose.

To gate a new kind of file, add a `Written` to WRITTEN: a name, a function that writes one
into a folder and returns its path, and what it is allowed (cells meant to call udfs.py's
functions; whether LibreOffice can open it as a spreadsheet).
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table

import fidelity
import messy_returns
import partner_made
from conftest import require_soffice
from csprisk.app import cli
from csprisk.excel.analyst_workbook import committed_workbook_path
from csprisk.excel.template import committed_template_path
from fidelity import (
    excel_rule_problems,
    formula_problems,
    libreoffice_problems,
    ribbon_problems,
    schema_problems,
)

# The schema oracle (openxml-audit) runs as a child process, apart from the venv's openpyxl.
pytestmark = pytest.mark.subprocess

if sys.platform == "emscripten":
    pytest.skip("the file-fidelity gate checks files on CPython: its oracles (formulas, openxml-audit, "
                "LibreOffice) do not run inside Pyodide", allow_module_level=True)

#: Names a partner or an analyst may well type, that Excel would take for a formula.
FORMULA_LIKE = ("=Police & Crime Commissioner", "-Knife crime", "+Drugs", "@Risk team", "=SUM(1,2)")

SETTINGS_TOML = f'''
partnership = "{FORMULA_LIKE[0]} area"
period = "2027-28"
partners = ["{FORMULA_LIKE[0]}", "Anytown Council", "{FORMULA_LIKE[3]}"]

[bands]
high = 50
medium = 35

[[priorities]]
name = "{FORMULA_LIKE[1]}"
aliases = ["Knives"]

[[priorities]]
name = "{FORMULA_LIKE[2]}"

[[priorities]]
name = "Domestic abuse"

[[scenarios]]
name = "{FORMULA_LIKE[4]}"
[scenarios.weights]
"Media attention" = 3
'''


def _run(*argv: str) -> None:
    code = cli.main(list(argv))
    assert code in (0, 1), f"csprisk {' '.join(argv)} ended with {code}"


def _settings(folder: Path) -> Path:
    path = folder / "settings.toml"
    path.write_text(SETTINGS_TOML, encoding="utf-8")
    return path


def ranked_demo(folder: Path) -> Path:
    _run("demo", "--returns", str(folder / "returns"), "-o", str(folder / "ranked.xlsx"))
    return folder / "ranked.xlsx"


def messy_inbox(folder: Path) -> Path:
    """Returns as partners make them, and one whose names Excel would take for formulas."""
    inbox = folder / "inbox"
    messy_returns.good_returns(inbox)
    for name in ("partner_per_sheet", "sheet_per_year", "hidden_old_row", "table_with_totals_row",
                 "error_values", "nothing_known", "ward_priorities", "ampersand_labels"):
        partner_made.CASES[name](inbox)
    wb = openpyxl.Workbook()
    partner_made._matrix(wb.active, FORMULA_LIKE[0],
                         [partner_made._row(FORMULA_LIKE[1], 4), partner_made._row(FORMULA_LIKE[2], 2),
                          partner_made._row("@Risk of fire", 3)])
    wb.active["A1"] = "=1+1 was our estimate"
    for ref in ("A1", "B3"):
        wb.active[ref].data_type = "s"  # typed as text, as Excel keeps text typed after an apostrophe
    wb.save(inbox / "formula_like.xlsx")
    return inbox


def ranked_messy(folder: Path) -> Path:
    previous = ranked_demo(folder / "last year")
    _run("merge", str(messy_inbox(folder)), "--settings", str(_settings(folder)), "--previous", str(previous),
         "--marking", "OFFICIAL-SENSITIVE", "-o", str(folder / "ranked.xlsx"))
    return folder / "ranked.xlsx"


def executive_demo(folder: Path) -> Path:
    _run("export", str(ranked_demo(folder)), "-o", str(folder / "for_executive.xlsx"))
    return folder / "for_executive.xlsx"


def executive_messy(folder: Path) -> Path:
    _run("export", str(ranked_messy(folder)), "-o", str(folder / "for_executive.xlsx"))
    return folder / "for_executive.xlsx"


def template_default(folder: Path) -> Path:
    _run("template", "-o", str(folder / "partner_return.xlsx"))
    return folder / "partner_return.xlsx"


def template_with_settings(folder: Path) -> Path:
    _run("template", "-o", str(folder / "partner_return.xlsx"), "--settings", str(_settings(folder)),
         "--partner", FORMULA_LIKE[3])
    return folder / "partner_return.xlsx"


def analyst_built(folder: Path) -> Path:
    _run("workbook", "-o", str(folder / "analyst_workbook.xlsx"))
    return folder / "analyst_workbook.xlsx"


def analyst_with_settings(folder: Path) -> Path:
    _run("workbook", "-o", str(folder / "analyst_workbook.xlsx"), "--settings", str(_settings(folder)))
    return folder / "analyst_workbook.xlsx"


def addin(folder: Path) -> Path:
    _run("addin", "build", "-o", str(folder / "csprisk.xlam"))
    return folder / "csprisk.xlam"


def _marked(inbox: Path, folder: Path) -> Path:
    """The first of the partners' own workbooks, marked, that validate --feedback writes."""
    _run("validate", str(inbox), "--feedback", str(folder / "feedback"))
    marked = sorted((folder / "feedback").glob("* (checked).xls*"))
    assert marked, "validate --feedback wrote no marked copy"
    return marked[0]


def marked_demo(folder: Path) -> Path:
    ranked_demo(folder)
    return _marked(folder / "returns", folder)


def marked_messy(folder: Path) -> Path:
    return _marked(messy_inbox(folder), folder)


@dataclass(frozen=True)
class Written:
    """A kind of workbook csprisk writes, and how to make one."""

    name: str
    make: Callable[[Path], Path]
    #: Cells meant to call udfs.py's functions (RISK_TOTAL...), which LibreOffice does not know.
    udf_cells: bool = False
    #: Opened in LibreOffice and checked cell by cell (an add-in has no cells of ours).
    libreoffice: bool = True
    #: Checked against openxml-audit (the add-in's other parts are xlwings' template, not ours).
    schema: bool = True
    ribbon: bool = False


WRITTEN = [
    Written("ranked workbook, demo", ranked_demo),
    Written("ranked workbook, messy returns and awkward names", ranked_messy),
    Written("executive copy, demo", executive_demo),
    Written("executive copy, messy returns", executive_messy),
    Written("partner template", template_default),
    Written("partner template, committed", lambda folder: committed_template_path()),
    Written("partner template with --settings", template_with_settings),
    Written("analyst workbook, as built", analyst_built, udf_cells=True),
    Written("analyst workbook with --settings", analyst_with_settings, udf_cells=True),
    Written("analyst workbook, committed", lambda folder: committed_workbook_path(), udf_cells=True),
    Written("partner's return marked, demo", marked_demo),
    Written("partner's return marked, messy returns", marked_messy),
    Written("ribbon add-in (csprisk addin build)", addin, libreoffice=False, schema=False, ribbon=True),
]
NAMES = [w.name for w in WRITTEN]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Each kind of workbook, made once for the module, on demand."""
    made: dict[str, Path] = {}

    def get(name: str) -> tuple[Written, Path]:
        kind = next(w for w in WRITTEN if w.name == name)
        if name not in made:
            made[name] = kind.make(tmp_path_factory.mktemp("written"))
        return kind, made[name]

    return get


def _say(problems) -> str:
    return "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("name", NAMES)
def test_every_formula_and_defined_name_parses_as_excel_reads_it(written, name):
    _kind, path = written(name)
    problems = formula_problems(path)
    assert problems == [], _say(problems)


@pytest.mark.parametrize("name", NAMES)
def test_nothing_excel_would_repair_or_refuse(written, name):
    kind, path = written(name)
    problems = excel_rule_problems(path) + (schema_problems(path) if kind.schema else [])
    problems += ribbon_problems(path) if kind.ribbon else []
    assert problems == [], _say(problems)


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", [w.name for w in WRITTEN if w.libreoffice])
def test_libreoffice_shows_no_formula_error(written, name):
    require_soffice()
    kind, path = written(name)
    problems = libreoffice_problems(path, allow_udfs=kind.udf_cells)
    assert problems == [], _say(problems)


#: The names of FORMULA_LIKE each workbook shows (the template has no scenarios).
SHOWN_AS_TEXT = {
    "ranked workbook, messy returns and awkward names": set(FORMULA_LIKE),
    "executive copy, messy returns": set(FORMULA_LIKE),
    "partner template with --settings": set(FORMULA_LIKE) - {"=SUM(1,2)"},
    "analyst workbook with --settings": set(FORMULA_LIKE),
}


@pytest.mark.parametrize("name", SHOWN_AS_TEXT)
def test_names_that_look_like_formulas_are_written_as_text(written, name):
    _kind, path = written(name)
    package = fidelity.Package(path)
    texts = [package.cell_text(cell) or "" for sheet in package.sheets for cell in sheet.root.iter(f"{fidelity._S}c")]
    assert {n for n in FORMULA_LIKE if any(n in text for text in texts)} == SHOWN_AS_TEXT[name]
    cell_formulas = [text for where, text in fidelity.formulas_written(package) if re.search(r"![A-Z]+\d+$", where)]
    assert not [f for f in cell_formulas for n in FORMULA_LIKE if n.lstrip("=+-@") in f]


def test_the_gate_reads_formulas_where_they_are(written):
    # Not a gate that passes because it read nothing: the analyst workbook's formulas, its
    # data validation, and the template's rules and totals are all found.
    _kind, analyst = written("analyst workbook, as built")
    found = dict(fidelity.formulas_written(fidelity.Package(analyst)))
    assert found["Example!R5"] == "RISK_TOTAL(B5:Q5)"
    assert found["Example!A11"] == "RISK_SUMMARY(A4:Q8)"
    assert any(where.startswith("Settings data validation") for where in found)
    _kind, template = written("partner template")
    wheres = [where for where, _text in fidelity.formulas_written(fidelity.Package(template))]
    assert any("conditional format" in w for w in wheres) and any("data validation" in w for w in wheres)


# ----------------------------------------------------------------------------- each check can fail

def _save(wb: openpyxl.Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def _rewrite(path: Path, part: str, old: str, new: str) -> Path:
    """The workbook with one part's text changed, as a careless writer might have left it."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    text = parts[part].decode("utf-8")
    assert old in text, (old, text[:500])
    parts[part] = text.replace(old, new, 1).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(out.getvalue())
    return path


def test_a_caption_written_as_a_formula_is_caught_at_its_cell(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Example"
    wb.active["A10"] = "=RISK_SUMMARY(A4:Q8) ranks the matrix above:"
    wb.active["A11"] = "=RISK_SUMMARY(A4:Q8)"
    [problem] = formula_problems(_save(wb, tmp_path / "caption.xlsx"))
    assert (problem.check, problem.where) == ("formula", "Example!A10")
    assert "RISK_SUMMARY(A4:Q8) ranks the matrix above:" in problem.what


def test_broken_validation_conditional_format_and_name_formulas_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    rule = DataValidation(type="custom", formula1="AND(ISNUMBER(B2),B2>=0,")
    rule.add("B2")
    ws.add_data_validation(rule)
    ws.conditional_formatting.add("B2:C3", FormulaRule(formula=["B2>>1"]))
    wb.defined_names["Scores"] = DefinedName("Scores", attr_text="Sheet!$A$1:$A$3)")
    wheres = sorted(p.where for p in formula_problems(_save(wb, tmp_path / "bad.xlsx")))
    assert wheres == ["Sheet conditional format B2:C3", "Sheet data validation B2 formula1", "defined name Scores"]


def test_a_formula_longer_than_excel_allows_is_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=" + "+".join(["1"] * 5000)
    [problem] = formula_problems(_save(wb, tmp_path / "long.xlsx"))
    assert "over Excel's 8,192" in problem.what


def test_sheet_names_excel_refuses_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Short"
    wb.create_sheet("Second")
    path = _save(wb, tmp_path / "names.xlsx")
    _rewrite(path, "xl/workbook.xml", 'name="Short"', 'name="Partner scores for the whole partnership"')
    _rewrite(path, "xl/workbook.xml", 'name="Second"', 'name="Q1/Q2"')
    found = {(p.where, p.what) for p in excel_rule_problems(path)}
    assert found == {("sheet 'Partner scores for the whole partnership'", "40 characters, over Excel's 31"),
                     ("sheet 'Q1/Q2'", "holds /, which Excel forbids in sheet names")}


def test_two_sheets_whose_names_differ_only_in_case_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.create_sheet("Other")
    path = _rewrite(_save(wb, tmp_path / "twice.xlsx"), "xl/workbook.xml", 'name="Other"', 'name="SUMMARY"')
    assert [p.what for p in excel_rule_problems(path)] == ["two sheets have this name (Excel ignores case)"]


def test_invalid_and_repeated_defined_names_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.defined_names["Good_name"] = DefinedName("Good_name", attr_text="Sheet!$A$1")
    wb.defined_names["Other"] = DefinedName("Other", attr_text="Sheet!$A$2")
    wb.defined_names["Third"] = DefinedName("Third", attr_text="Sheet!$A$3")
    path = _save(wb, tmp_path / "names.xlsx")
    _rewrite(path, "xl/workbook.xml", 'name="Other"', 'name="AB12"')
    _rewrite(path, "xl/workbook.xml", 'name="Third"', 'name="good_NAME"')
    found = {(p.where, p.what) for p in excel_rule_problems(path)}
    assert found == {("defined name 'AB12'", "a name cannot look like a cell reference"),
                     ("defined name 'good_NAME'", "defined twice in the same scope")}
    assert fidelity.name_problem("2024 scores") is not None and fidelity.name_problem("Scores_2024") is None


def test_a_validation_list_over_255_characters_is_caught(tmp_path):
    wb = openpyxl.Workbook()
    partners = ",".join(f"Partner agency number {n}" for n in range(1, 13))  # 12 x 24 characters
    rule = DataValidation(type="list", formula1=f'"{partners}"', errorTitle="Partner")
    rule.add("B2")
    wb.active.add_data_validation(rule)
    [problem] = excel_rule_problems(_save(wb, tmp_path / "list.xlsx"))
    assert problem.what == f"a list of {len(partners)} characters, over Excel's 255"


def test_tables_with_the_same_name_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    for title in ("One", "Two"):
        ws = wb.create_sheet(title)
        ws.append(["Priority", "Total"])
        ws.append(["Domestic abuse", 60])
        ws.add_table(Table(displayName=f"Scores{title}", ref="A1:B2"))
    path = _rewrite(_save(wb, tmp_path / "tables.xlsx"), "xl/tables/table2.xml",
                    'displayName="ScoresTwo"', 'displayName="ScoresOne"')
    assert [p.what for p in excel_rule_problems(path)] == ["the same name as the table in xl/tables/table1.xml"]


def test_text_over_32767_characters_and_overlapping_merges_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x" * 32_767
    wb.active["A2"] = "y" * 32_767  # openpyxl cuts longer text to this: one more is added below
    wb.active.merge_cells("C1:D2")
    wb.active.merge_cells("E1:F2")
    path = _rewrite(_save(wb, tmp_path / "long.xlsx"), "xl/worksheets/sheet1.xml",
                    '<mergeCell ref="E1:F2"', '<mergeCell ref="D2:F3"')
    _rewrite(path, "xl/worksheets/sheet1.xml", "<t>y", "<t>yy")
    found = {(p.where, p.what) for p in excel_rule_problems(path)}
    assert found == {("Sheet!A2", "32,768 characters of text, over Excel's 32,767"),
                     ("Sheet merged cells", "C1:D2 and D2:F3 overlap")}


def test_cells_out_of_order_are_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["B1"] = 1, 2
    path = _rewrite(_save(wb, tmp_path / "order.xlsx"), "xl/worksheets/sheet1.xml", 'r="B1"', 'r="A1"')
    assert [p.where for p in excel_rule_problems(path)] == ["Sheet!A1"]


def test_a_link_to_a_missing_sheet_is_caught(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Method"
    wb.active["A1"].hyperlink = Hyperlink(ref="A1", location="'Method'!A1")
    [problem] = excel_rule_problems(_save(wb, tmp_path / "link.xlsx"))
    assert problem.what == "a link to sheet 'Method', which the workbook lacks"


@pytest.mark.libreoffice
def test_libreoffice_errors_are_caught_and_only_udf_cells_are_allowed(tmp_path):
    require_soffice()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Example"
    ws["A1"] = "=1/0"
    ws["A2"] = "=NOSUCHFUNCTION(1)"
    ws["A3"] = "=RISK_TOTAL(B3:Q3)"
    ws["A4"] = "=RISK_SUMMARY(A4:Q8) ranks the matrix above:"
    path = _save(wb, tmp_path / "errors.xlsx")
    allowed = {(p.where, p.what.split(" from ")[0]) for p in libreoffice_problems(path, allow_udfs=True)}
    assert allowed == {("Example!A1", "shows #DIV/0!"), ("Example!A2", "shows #NAME?"),
                       ("Example!A4", "shows Err:509")}
    strict = {p.where for p in libreoffice_problems(path, allow_udfs=False)}
    assert strict == {"Example!A1", "Example!A2", "Example!A3", "Example!A4"}


def test_a_schema_error_is_caught_but_openpyxls_font_order_is_not(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Total"
    wb.active["A1"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    path = _save(wb, tmp_path / "schema.xlsx")
    assert schema_problems(path) == []  # openpyxl's font elements are out of the schema's order
    _rewrite(path, "xl/worksheets/sheet1.xml", "<sheetData>", "<sheetData><surprise/>")
    assert [p.where.split()[0] for p in schema_problems(path)] == ["/xl/worksheets/sheet1.xml"]


def test_a_broken_ribbon_is_caught(tmp_path, written):
    _kind, good = written("ribbon add-in (csprisk addin build)")
    with zipfile.ZipFile(good) as archive:
        ribbon = archive.read("customUI/customUI.xml").decode("utf-8")
    assert 'id="cspMergeAndRank"' in ribbon
    bad = tmp_path / "csprisk.xlam"
    bad.write_bytes(good.read_bytes())
    _rewrite(bad, "customUI/customUI.xml", 'id="cspReturnsGroup"', 'id="cspMergeAndRank"')
    assert [p.what for p in ribbon_problems(bad)] == ["id 'cspMergeAndRank' is used twice"]


def test_the_schema_oracle_reads_the_lite_parts_too(tmp_path, written):
    # The web extension and task pane parts are ours (lite.py writes them by hand).
    _kind, good = written("analyst workbook, as built")
    bad = tmp_path / "analyst.xlsx"
    bad.write_bytes(good.read_bytes())
    _rewrite(bad, "xl/webextensions/taskpanes.xml", 'visibility="1"', 'visibility="yes"')
    [problem] = schema_problems(bad)
    assert problem.where.startswith("/xl/webextensions/taskpanes.xml") and "'yes'" in problem.what
