"""The analyst's workbook: built by code, committed, and read as settings by the CLI and the
scripts alike; and reading returns where python-calamine is missing (xlwings Lite)."""

import json
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from csprisk.app import cli
from csprisk.app.demo import write_example_returns
from csprisk.app.pipeline import merge_files
from csprisk.excel.analyst_workbook import (
    ANALYST_SHEETS,
    EXAMPLE_SHEET,
    XLWINGS_CONF_SHEET,
    analyst_workbook_bytes,
    build_analyst_workbook,
    committed_workbook_path,
    write_analyst_workbook,
)
from csprisk.read.settings import load_scheme, read_settings_workbook
from csprisk.scheme import Scheme, scheme_from_mapping
from csprisk.scheme.settings_sheet import FIELDS, SETTINGS_SHEET, settings_from_rows, settings_rows

DEMO_SETTINGS = Path(cli.__file__).with_name("demo_settings.toml")


def test_committed_workbook_is_what_the_code_builds(tmp_path):
    built = tmp_path / "analyst_workbook.xlsx"
    assert cli.main(["workbook", "-o", str(built)]) == 0
    assert built.read_bytes() == committed_workbook_path().read_bytes(), (
        "xlsx_templates/analyst_workbook.xlsx is out of date (it carries src/ and udfs.py in its "
        "xlwings Lite main.py): run make workbook")


def test_building_twice_gives_the_same_bytes_with_fixed_dates():
    assert analyst_workbook_bytes(Scheme()) == analyst_workbook_bytes(Scheme())
    with zipfile.ZipFile(committed_workbook_path()) as package:
        core = package.read("docProps/core.xml").decode()
        assert {info.date_time for info in package.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    assert "2026-01-01T00:00:00Z" in core


def test_sheets_and_xlwings_conf_layout():
    wb = openpyxl.load_workbook(committed_workbook_path())
    assert wb.sheetnames == list(ANALYST_SHEETS)
    conf = wb[XLWINGS_CONF_SHEET]
    # xlwings reads keys from A1 down to the first blank, values from column B
    assert (conf["A1"].value, conf["B1"].value, conf["A2"].value) == ("UDF Modules", "udfs", None)


def test_start_sheet_says_what_to_do_in_order():
    wb = openpyxl.load_workbook(committed_workbook_path())
    numbers = [f"{n}." for n in range(1, 9)]
    steps = [c.value for c in wb["Start"]["A"] if isinstance(c.value, str) and c.value[:2] in numbers]
    assert [s[:2] for s in steps] == numbers
    assert "xlwings Lite" in steps[0] and "Settings" in steps[1] and "Import/Export" in steps[3]
    assert "Merge & Rank button" in steps[4] and "Validation" in steps[5]


def test_example_sheet_uses_every_function():
    wb = openpyxl.load_workbook(committed_workbook_path())
    ws = wb[EXAMPLE_SHEET]
    formulas = " ".join(str(c.value.text if hasattr(c.value, "text") else c.value)
                        for row in ws.iter_rows() for c in row if c.data_type == "f")
    assert "=RISK_TOTAL(B5:Q5)" in formulas and "=RISK_CHECK(B5:Q5)" in formulas
    assert "=RISK_BAND(R5,Settings!$B$10,Settings!$B$11)" in formulas and "=RISK_RANK(R5,R$5:R$8)" in formulas
    assert "=RISK_SUMMARY(A4:Q8)" in formulas and "=RISK_CRITERIA()" in formulas


# ------------------------------------------------------------------------ Settings sheet

def test_settings_sheet_reads_back_the_scheme_it_was_written_from():
    scheme = load_scheme(DEMO_SETTINGS)
    read = scheme_from_mapping(settings_from_rows(settings_rows(scheme)))
    for field in ("partnership", "period", "returns_folder", "aggregation", "top_n", "high_threshold",
                  "medium_threshold", "protective_marking", "priorities", "partners"):
        assert getattr(read, field) == getattr(scheme, field), field


def test_settings_sheet_has_every_setting_the_issue_names():
    labels = [f.label for f in FIELDS]
    for words in ("Partnership", "period", "Returns folder", "Aggregation", "Top N", "High band",
                  "Medium band", "Protective marking"):
        assert any(words.lower() in label.lower() for label in labels), words
    assert any(r and r[0] == "Candidate priorities" for r in settings_rows(Scheme()))
    assert any(r and r[0] == "Expected partners" for r in settings_rows(Scheme()))


def test_analysts_edits_are_read_by_label_even_when_rows_move(tmp_path):
    path = write_analyst_workbook(tmp_path / "analyst.xlsx", Scheme())
    wb = openpyxl.load_workbook(path)
    ws = wb[SETTINGS_SHEET]
    ws.insert_rows(3, 2)  # the analyst adds notes at the top
    ws["A3"] = "Our notes: agreed at the ODG on 3 March"
    values = {c.value: c.row for c in ws["A"] if c.value}
    ws.cell(row=values["Aggregation rule"], column=2, value="median")
    ws.cell(row=values["Top N (recommended priorities)"], column=2, value=5)
    ws.cell(row=values["Assessment period"], column=2, value="2027-28")
    ws.cell(row=values["Hate crime"], column=2, value="Hate incidents; Racist incidents")
    partners_header = values["Partner"]
    ws.cell(row=partners_header + 1, column=1, value="Anytown Police")
    ws.cell(row=partners_header + 3, column=1, value="Fire and Rescue")  # after a blank row
    wb.save(path)
    scheme = load_scheme(path)
    assert (scheme.aggregation, scheme.top_n, scheme.period) == ("median", 5, "2027-28")
    assert scheme.canonical_priority("racist incidents") == "Hate crime"
    assert scheme.partners == ("Anytown Police", "Fire and Rescue")


def test_cli_merge_reads_settings_from_the_analyst_workbook(tmp_path, capsys):
    scheme = load_scheme(DEMO_SETTINGS)
    returns = tmp_path / "returns"
    write_example_returns(returns, scheme)
    workbook = tmp_path / "analyst.xlsx"
    assert cli.main(["workbook", "-o", str(workbook), "--settings", str(DEMO_SETTINGS)]) == 0
    capsys.readouterr()
    cli.main(["merge", str(returns), "--settings", str(workbook), "--json", "-o", str(tmp_path / "out.xlsx")])
    from_workbook = json.loads(capsys.readouterr().out)
    cli.main(["merge", str(returns), "--settings", str(DEMO_SETTINGS), "--json", "-o", str(tmp_path / "o2.xlsx")])
    from_toml = json.loads(capsys.readouterr().out)
    assert from_workbook["ranking"] == from_toml["ranking"]
    assert {p["band"] for p in from_workbook["ranking"]} >= {"High", "Medium"}  # the demo's 50/35 bands


def test_a_workbook_without_a_settings_sheet_is_refused_plainly(tmp_path):
    path = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ValueError, match='has no "Settings" sheet'):
        read_settings_workbook(path)


# ------------------------------------------------------------- without python-calamine

def test_returns_and_settings_are_read_with_openpyxl_when_calamine_is_missing(tmp_path, monkeypatch):
    scheme = load_scheme(DEMO_SETTINGS)
    returns = tmp_path / "returns"
    write_example_returns(returns, scheme)
    workbook = write_analyst_workbook(tmp_path / "analyst.xlsx", scheme)
    with_calamine = merge_files([returns], scheme)

    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import now raises ImportError
    with pytest.raises(ImportError):
        import python_calamine  # noqa: F401
    without = merge_files([returns], scheme)
    assert load_scheme(workbook).priorities == scheme.priorities
    assert [(p.name, p.total, p.rank_label, p.band) for p in without.assessment.ranking] == \
           [(p.name, p.total, p.rank_label, p.band) for p in with_calamine.assessment.ranking]
    assert sorted((f.code, f.cell) for f in without.findings) == \
           sorted((f.code, f.cell) for f in with_calamine.findings)


def test_build_analyst_workbook_returns_an_openpyxl_workbook():
    wb = build_analyst_workbook(Scheme(partnership="Anytown CSP"))
    assert wb[SETTINGS_SHEET]["B5"].value == "Anytown CSP"


@pytest.mark.libreoffice
def test_committed_workbook_opens_in_libreoffice(tmp_path):
    from conftest import require_soffice, soffice_convert

    require_soffice()
    converted = soffice_convert(committed_workbook_path(), "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(converted)
    assert wb.sheetnames == list(ANALYST_SHEETS)
    assert load_scheme(converted).priorities == Scheme().priorities  # Settings survive a round trip


def test_the_start_sheet_describes_the_functions_in_text_not_broken_formulas():
    ws = openpyxl.load_workbook(committed_workbook_path())["Start"]
    described = [c for row in ws.iter_rows() for c in row if str(c.value or "").startswith("=RISK_")]
    assert len(described) == 5
    assert all(c.data_type == "s" for c in described)  # a formula "=RISK_TOTAL(B5:Q5) total of..." is corrupt
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_settings_text_that_starts_with_an_equals_sign_stays_text():
    from csprisk.scheme import Priority, Scheme

    wb = build_analyst_workbook(Scheme(partnership="=Evil CSP", priorities=(Priority("=SUM(A1) crime"),)))
    formulas = [(ws.title, c.value) for ws in wb for c in ws._cells.values() if c.data_type == "f"]
    assert formulas and all(sheet == "Example" for sheet, _ in formulas)
    assert all(str(getattr(value, "text", value)).startswith("=RISK_") for _, value in formulas)


def test_every_font_names_the_workbooks_own_face(tmp_path):
    """LibreOffice draws a font with no name in a serif face beside the Calibri text."""
    wb = openpyxl.load_workbook(write_analyst_workbook(tmp_path / "analyst.xlsx", Scheme()))
    nameless = [(ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row
                if c.has_style and not c.font.name]
    assert nameless == []


def test_a_blank_partnership_keeps_the_default_so_no_title_starts_with_a_colon():
    from csprisk.scheme import Scheme, scheme_from_mapping

    assert scheme_from_mapping({"partnership": "  "}).partnership == Scheme().partnership
