"""The add-in's scripts, run as xlwings Lite and Server run them: through
xlwings.server.custom_scripts_call on the JSON book Office.js sends, built from real
workbooks; the returned actions are applied to a copy with openpyxl and the sheets are
checked cell by cell against the engine."""

import datetime as dt
import types
from pathlib import Path

import openpyxl
import pytest

from officejs import (
    apply_actions,
    book_json,
    copy_returns_into,
    excel_entry,
    run_coroutine,
    server_xlwings,
    sheet_values,
)

xw, udfs = server_xlwings()
import xlwings.server as server  # noqa: E402

from csprisk.app import cli  # noqa: E402
from csprisk.app.demo import write_example_returns  # noqa: E402
from csprisk.app.pipeline import find_returns, merge_files
from csprisk.excel.analyst_workbook import ANALYST_SHEETS, build_analyst_workbook  # noqa: E402
from csprisk.excel.xlwings_writer import excel_value, points_from_chars  # noqa: E402
from csprisk.marks import EXECUTIVE_SHEETS, REPORT_SHEETS, VALIDATION
from csprisk.read.settings import load_scheme  # noqa: E402
from csprisk.read.workbook import scheme_from_book
from csprisk.report.model import STYLES  # noqa: E402
from csprisk.report.ranked import build_report  # noqa: E402
from csprisk.score import merge
from csprisk.score.merge import merge_sources

DEMO_SETTINGS = Path(cli.__file__).with_name("demo_settings.toml")
SCHEME = load_scheme(DEMO_SETTINGS)
FIXED = dt.datetime(2027, 3, 1, 9, 30)
NOTE = "=1+1 was our estimate"


class _FixedDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Reports carry the time they were made; pin it so two runs can be compared."""
    monkeypatch.setattr(merge, "dt", types.SimpleNamespace(datetime=_FixedDatetime, date=dt.date))


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("returns") / "returns"
    return write_example_returns(folder, SCHEME)


def analyst_book(path: Path, returns: list[Path], settings: dict | None = None) -> Path:
    """The analyst workbook with partners' sheets copied in (values, as Move or Copy keeps them)."""
    wb = build_analyst_workbook(SCHEME)
    copy_returns_into(wb, returns)
    for label, value in (settings or {}).items():
        ws = wb["Settings"]
        row = next(c.row for c in ws["A"] if c.value == label)
        ws.cell(row=row, column=2, value=value)
    wb.save(path)
    return path


def run_script(name: str, path: Path, book_name: str | None = None, payload=None):
    payload = payload or book_json(path, name=book_name, xw=xw)
    book = xw.Book(json=payload)
    run_coroutine(server.custom_scripts_call(udfs, name, typehint_to_value={xw.Book: book}))
    return book, book.json()["actions"]


def expected_report(path: Path, book_name: str | None = None, payload=None):
    """What the engine makes of the same workbook, straight through the package."""
    book = xw.Book(json=payload or book_json(path, name=book_name, xw=xw))
    scheme = scheme_from_book(book)
    found = find_returns(book, scheme, skip=(*ANALYST_SHEETS, *REPORT_SHEETS))
    result = merge_sources(found.sources, scheme)
    return result, build_report(result)


def assert_sheet_matches(ws, spec):
    """Every cell of the report sheet, as Excel stores what the writer sent, and nothing else."""
    expected = {key: excel_entry(excel_value(cell.value)) for key, cell in spec.all_cells()
                if cell.value is not None}
    expected = {k: v for k, v in expected.items() if v is not None}
    assert sheet_values(ws) == expected, spec.name


# ------------------------------------------------------------------------ Merge & Rank

def test_merge_and_rank_writes_every_report_sheet_cell_by_cell(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    _book, actions = run_script("merge_and_rank", path)
    applied = apply_actions(path, actions)
    assert applied.unknown == []
    result, report = expected_report(path)
    wb = applied.workbook
    assert wb.sheetnames == [*openpyxl.load_workbook(path).sheetnames, *(s.name for s in report.sheets)]
    for spec in report.sheets:
        assert_sheet_matches(wb[spec.name], spec)
    assert [s.name for s in report.sheets if s.name not in REPORT_SHEETS] == []


def test_merge_and_rank_writes_the_scenarios_the_settings_sheet_declares(tmp_path, returns):
    """The analyst types a what-if scenario under the Settings sheet's What-if scenarios:
    Merge & Rank writes the Scenarios sheet into the open workbook, as the command line does."""
    from csprisk.scheme.settings_sheet import SCENARIO_HEADER

    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    header = next(c.row for c in ws["A"] if c.value == SCENARIO_HEADER[0])
    free = next(r for r in range(header + 1, header + 50) if ws.cell(r, 1).value is None)
    ws.cell(free, 1, "Media matters")
    ws.cell(free, 2, "Media attention")
    ws.cell(free, 3, 4)
    wb.save(path)
    _book, actions = run_script("merge_and_rank", path)
    applied = apply_actions(path, actions)
    result, report = expected_report(path)
    declared = [s.name for s in SCHEME.scenarios]  # the demo settings' own, listed on the sheet
    assert [s.name for s, _ in result.assessment.scenarios] == [*declared, "Media matters"]
    assert "Scenarios" in applied.workbook.sheetnames
    assert_sheet_matches(applied.workbook["Scenarios"], report.sheet("Scenarios"))


def _where(found):
    value = float(found.value) if isinstance(found.value, (int, float)) else found.value
    return found.code, found.cell, str(value)


def test_sheet_returns_rank_exactly_as_the_same_files_do(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    result, _report = expected_report(path)
    from_files = merge_files(returns, SCHEME)
    assert [(p.name, p.total, p.rank_label, p.band, p.not_known) for p in result.assessment.ranking] == \
           [(p.name, p.total, p.rank_label, p.band, p.not_known) for p in from_files.assessment.ranking]
    assert sorted(_where(f) for f in result.findings if f.code != "sheet-chosen") == \
           sorted(_where(f) for f in from_files.findings if f.code != "sheet-chosen")
    summary = apply_actions(path, run_script("merge_and_rank", path)[1]).workbook["Summary"]
    shown = {row[1]: row[2] for row in summary.iter_rows(values_only=True) if row[0] is not None and row[1] and
             isinstance(row[2], (int, float))}  # ranked rows (the chart's own data, under it, has no rank)
    assert shown == {p.name: round(p.total, 2) for p in from_files.assessment.ranking}


def test_second_run_replaces_its_sheets_and_leaves_the_analysts_alone(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    once = tmp_path / "once.xlsx"
    apply_actions(path, run_script("merge_and_rank", path)[1]).workbook.save(once)
    applied = apply_actions(once, run_script("merge_and_rank", once)[1])
    wb = applied.workbook
    first = openpyxl.load_workbook(once)
    assert wb.sheetnames == first.sheetnames  # no "Summary (2)", same order
    for name in first.sheetnames:
        if name not in REPORT_SHEETS:
            assert sheet_values(wb[name]) == sheet_values(first[name]), name
    _result, report = expected_report(once)
    for spec in report.sheets:
        assert_sheet_matches(wb[spec.name], spec)


def test_alert_summarises_returns_and_findings_by_severity(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    applied = apply_actions(path, run_script("merge_and_rank", path)[1])
    result, _ = expected_report(path)
    assert len(applied.alerts) == 1
    alert = applied.alerts[0]
    assert alert["title"] == "Merge & Rank"
    counts = {s: sum(f.severity == s for f in result.findings) for s in ("error", "warning", "info")}
    assert f"Returns merged: {len(returns)} ({len(returns)} from sheets of this workbook" in alert["prompt"]
    assert (f"Findings: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"
            in alert["prompt"])
    assert "Traceback" not in alert["prompt"]


def test_text_that_looks_like_a_formula_or_number_stays_text(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns[:2])
    payload = book_json(path, xw=xw)
    sheet = next(s for s in payload["sheets"] if s["name"] == "Return 1")
    header = next(i for i, r in enumerate(sheet["values"]) if "Priority" in r)
    priority_row = sheet["values"][header + 1]
    priority_row[2] = NOTE  # a partner typed a note in a score cell
    priority_row[0] = "-Night-time economy"
    own = len(payload["sheets"])
    wb = apply_actions(path, run_script("merge_and_rank", path, payload=payload)[1]).workbook
    report_cells = [c for ws in wb.worksheets[own:] for row in ws.iter_rows() for c in row]
    texts = [c.value for c in report_cells]
    assert NOTE in texts and "-Night-time economy" in texts
    assert not any(c.data_type == "f" for c in report_cells)
    ranks = [r[0] for r in wb["Summary"].iter_rows(values_only=True)]
    assert "1" in ranks  # rank labels stay the text the Summary holds


def test_formats_reach_the_sheet(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    applied = apply_actions(path, run_script("merge_and_rank", path)[1])
    _result, report = expected_report(path)
    ws, spec = applied.workbook["Summary"], report.sheet("Summary")
    for (row, col), cell in spec.cells.items():
        style = STYLES[cell.style]
        target = ws.cell(row=row + 1, column=col + 1)
        if style.fill:
            assert target.fill.fgColor.rgb.endswith(style.fill), (row, col, cell.style)
        if style.bold:
            assert target.font.bold, (row, col)
        if style.number_format:
            assert target.number_format == style.number_format
    for col, width in spec.column_widths.items():
        letter = openpyxl.utils.get_column_letter(col + 1)
        assert applied.widths_in_points[("Summary", letter)] == points_from_chars(width)
    if spec.freeze:
        assert applied.frozen["Summary"]


# --------------------------------------------------------------- other scripts, failures

def test_validate_returns_replaces_only_the_validation_sheet(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    applied = apply_actions(path, run_script("validate_returns", path)[1])
    assert applied.workbook.sheetnames == [*openpyxl.load_workbook(path).sheetnames, VALIDATION]
    _result, report = expected_report(path)
    assert_sheet_matches(applied.workbook[VALIDATION], report.sheet(VALIDATION))
    assert "Findings:" in applied.alerts[0]["prompt"]


def test_validate_after_merge_keeps_the_ranking_and_replaces_validation(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    ranked = tmp_path / "ranked.xlsx"
    apply_actions(path, run_script("merge_and_rank", path)[1]).workbook.save(ranked)
    before = openpyxl.load_workbook(ranked)
    wb = apply_actions(ranked, run_script("validate_returns", ranked)[1]).workbook
    assert sorted(wb.sheetnames) == sorted(before.sheetnames)
    assert wb.sheetnames.count(VALIDATION) == 1
    for name in before.sheetnames:
        if name != VALIDATION:
            assert sheet_values(wb[name]) == sheet_values(before[name]), name


def test_a_failure_is_an_alert_in_plain_english_and_changes_nothing(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns, settings={"Aggregation rule": "average"})
    _book, actions = run_script("merge_and_rank", path)
    assert [a["func"] for a in actions] == ["alert"]
    prompt = actions[0]["args"][0]
    assert 'The aggregation rule "average" is not known' in prompt and "Traceback" not in prompt


def test_no_returns_is_explained(tmp_path):
    path = analyst_book(tmp_path / "analyst.xlsx", [])
    _book, actions = run_script("merge_and_rank", path)
    assert [a["func"] for a in actions] == ["alert"]
    assert actions[0]["args"][0].startswith("No returns were found.")


def test_files_need_a_folder_this_runtime_can_see(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns[:1])
    for script in ("export_for_executive", "new_partner_template"):
        _book, actions = run_script(script, path)
        assert [a["func"] for a in actions] == ["alert"]
        assert "cannot see the folder" in actions[0]["args"][0]


def test_returns_folder_on_the_settings_sheet_is_read_as_well(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns[:2],
                        settings={"Returns folder": str(returns[0].parent)})
    applied = apply_actions(path, run_script("merge_and_rank", path)[1])
    prompt = applied.alerts[0]["prompt"]
    # the two returns in sheets are also in the folder: each partner's latest return is used
    assert f"Returns merged: {len(returns)}" in prompt and "from the returns folder" in prompt
    from_files = merge_files(returns, SCHEME)
    summary = applied.workbook["Summary"]
    shown = {row[1]: row[2] for row in summary.iter_rows(values_only=True)  # ranked rows, not the chart's data
             if row[0] is not None and row[1] and isinstance(row[2], (int, float))}
    assert shown == {p.name: round(p.total, 2) for p in from_files.assessment.ranking}


def test_where_the_workbook_folder_is_known_files_are_written_beside_it(tmp_path, returns, monkeypatch):
    # A desktop workbook's full name is its path; here the JSON book's name carries it.
    path = analyst_book(tmp_path / "analyst.xlsx", [])
    (tmp_path / "returns").mkdir()
    for file in returns:
        (tmp_path / "returns" / file.name).write_bytes(file.read_bytes())
    book_name = str(path)
    _book, actions = run_script("export_for_executive", path, book_name=book_name)
    exported = tmp_path / "analyst - for the executive.xlsx"
    assert exported.exists(), actions
    assert openpyxl.load_workbook(exported).sheetnames == list(EXECUTIVE_SHEETS)  # the demo settings declare scenarios
    # The same builder as csprisk export: the copy of the command line's ranked workbook
    # holds the same cells, properties and links (none to the sheets it leaves out).
    ranked, by_cli = tmp_path / "ranked.xlsx", tmp_path / "by cli.xlsx"
    monkeypatch.chdir(tmp_path)  # files named as the add-in names them: returns/police.xlsx
    assert cli.main(["merge", "returns", "--settings", str(path), "-o", str(ranked)]) in (0, 1)
    assert cli.main(["export", str(ranked), "-o", str(by_cli)]) == 0
    mine, theirs = openpyxl.load_workbook(exported), openpyxl.load_workbook(by_cli)
    for name in mine.sheetnames:
        here = {c.coordinate: c.value for row in mine[name].iter_rows() for c in row if c.value is not None}
        there = {c.coordinate: c.value for row in theirs[name].iter_rows() for c in row if c.value is not None}
        differ = {k for k in here.keys() | there.keys() if here.get(k) != there.get(k)}
        assert all("Produced" in str(here.get(k)) or "·" in str(here.get(k)) for k in differ), (
            name, {k: (here.get(k), there.get(k)) for k in differ})
        links = [c.hyperlink.location for row in mine[name].iter_rows() for c in row if c.hyperlink]
        assert all(link.split("!")[0].strip("'") in EXECUTIVE_SHEETS for link in links if link)
    assert (mine.properties.description, mine.properties.keywords) == (theirs.properties.description,
                                                                        theirs.properties.keywords)
    _book, actions = run_script("new_partner_template", path, book_name=book_name)
    assert (tmp_path / "partner_return.xlsx").exists(), actions
    _book, actions = run_script("new_partner_template", path, book_name=book_name)
    assert (tmp_path / "partner_return (2).xlsx").exists()  # never overwrites
    applied = apply_actions(path, run_script("merge_and_rank", path, book_name=book_name)[1])
    assert f"0 from sheets of this workbook, {len(returns)} from the returns folder" in applied.alerts[0]["prompt"]


def test_without_the_apostrophe_excel_would_have_made_a_formula_and_a_number():
    # The check above means something only if Excel (and the helper) would convert them.
    assert excel_entry(NOTE) == NOTE and excel_entry("1") == 1
    assert excel_value(NOTE) == "'" + NOTE and excel_value("1") == "'1" and excel_value("=2") == "'=2"
    assert excel_value("Domestic abuse") == "Domestic abuse"


def test_a_report_sheet_never_replaces_a_sheet_the_analyst_made(tmp_path):
    from csprisk.excel.xlwings_writer import ReportConflict, render_report
    from csprisk.report.model import Report, Sheet

    path = analyst_book(tmp_path / "analyst.xlsx", [])
    book = xw.Book(json=book_json(path, xw=xw))
    with pytest.raises(ReportConflict, match='already has a sheet called "Settings"'):
        render_report(book, Report([Sheet("Summary"), Sheet("Settings")]), REPORT_SHEETS)
    assert book.json()["actions"] == []


def test_a_workbook_holding_only_report_sheets_is_replaced_too(tmp_path):
    from csprisk.excel.xlwings_writer import render_report
    from csprisk.report.model import Report, Sheet

    path = tmp_path / "only.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Scratch"
    wb.save(path)
    book = xw.Book(json=book_json(path, xw=xw))
    old = Sheet("Summary")
    old.put(0, 0, "old")
    render_report(book, Report([old]), REPORT_SHEETS)
    wb = apply_actions(path, book.json()["actions"]).workbook
    del wb["Scratch"]
    wb.save(path)  # a workbook holding only the sheet an earlier run wrote
    book = xw.Book(json=book_json(path, xw=xw))
    new = Sheet("Summary")
    new.put(0, 0, "new")
    render_report(book, Report([new]), REPORT_SHEETS)
    applied = apply_actions(path, book.json()["actions"])
    assert applied.workbook.sheetnames == ["Summary"]
    assert applied.workbook["Summary"]["A1"].value == "new"


def test_the_analysts_own_sheet_called_summary_is_never_replaced(tmp_path, returns):
    path = analyst_book(tmp_path / "analyst.xlsx", returns)
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Summary")["A1"] = "my own notes for the executive"
    wb.save(path)
    _book, actions = run_script("merge_and_rank", path)
    applied = apply_actions(path, actions)
    assert applied.workbook["Summary"]["A1"].value == "my own notes for the executive"
    assert applied.workbook.sheetnames == openpyxl.load_workbook(path).sheetnames
    [alert] = applied.alerts
    assert 'already has a sheet called "Summary"' in alert["prompt"]
