"""No text becomes a formula by accident: captions, labels, partners' and priorities' names
that start with =, +, - or @ are text in the files csprisk writes and in the open workbook
(the xlwings writer, through xlwings' own Office.js dispatch)."""

from __future__ import annotations

import openpyxl

from csprisk.excel.analyst_workbook import EXAMPLE_SHEET, SETTINGS_SHEET, analyst_workbook_bytes
from csprisk.scheme import Priority, Scheme
from officejs import apply_actions, book_json, excel_entry, server_xlwings

FORMULA_LIKE = ("=Police & Crime Commissioner", "-Knife crime", "+Drugs", "@Risk team", "=SUM(1,2)")


def _analyst(tmp_path, scheme: Scheme):
    path = tmp_path / "analyst.xlsx"
    path.write_bytes(analyst_workbook_bytes(scheme))
    return openpyxl.load_workbook(path)


def test_example_captions_are_text_and_the_function_calls_stay_formulas(tmp_path):
    ws = _analyst(tmp_path, Scheme())[EXAMPLE_SHEET]
    for ref, caption in (("A10", "=RISK_SUMMARY(A4:Q8) ranks the matrix above:"),
                         ("A17", "=RISK_CRITERIA() lists the criteria and their guidance:")):
        assert (ws[ref].value, ws[ref].data_type, ws[ref].quotePrefix) == (caption, "s", True)
    assert (ws["R5"].value, ws["R5"].data_type) == ("=RISK_TOTAL(B5:Q5)", "f")
    assert (ws["A11"].value.ref, ws["A11"].value.text) == ("A11:F15", "=RISK_SUMMARY(A4:Q8)")
    assert (ws["A18"].value.ref, ws["A18"].value.text) == ("A18:B33", "=RISK_CRITERIA()")
    formulas = sorted(c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f")
    assert formulas == sorted([f"{col}{row}" for row in range(5, 9) for col in "RSTU"] + ["A11", "A18"])


def test_settings_names_that_start_like_formulas_are_text_with_excels_quote_prefix(tmp_path):
    scheme = Scheme(partnership=FORMULA_LIKE[0], priorities=(Priority(FORMULA_LIKE[1]), Priority(FORMULA_LIKE[2])),
                    partners=(FORMULA_LIKE[3],))
    ws = _analyst(tmp_path, scheme)[SETTINGS_SHEET]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value in FORMULA_LIKE}
    assert set(cells) == set(FORMULA_LIKE[:4])
    assert all(c.data_type == "s" and c.quotePrefix for c in cells.values())
    plain = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] not in "=+-@"]
    assert plain and not any(c.quotePrefix for c in plain)


def test_the_open_workbook_writer_keeps_such_text_as_text_through_officejs(tmp_path):
    from csprisk.excel.xlwings_writer import render_report
    from csprisk.report.model import Report, Sheet

    xw, _udfs = server_xlwings()
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Analyst notes"
    wb.save(path)
    sheet = Sheet("Summary")
    for row, name in enumerate(FORMULA_LIKE):
        sheet.put(row, 0, name)
        sheet.put(row, 1, "-")  # a dash for "none", as tables show it
    book = xw.Book(json=book_json(path, xw=xw))
    render_report(book, Report([sheet]), ["Summary"])
    actions = book.json()["actions"]
    sent = [value for action in actions if action["func"] == "setValues" for row in action["values"] for value in row]
    assert all(value.startswith("'") for value in sent if value)
    ws = apply_actions(path, actions).workbook["Summary"]
    assert [(ws.cell(r, 1).value, ws.cell(r, 1).data_type) for r in range(1, 6)] == [(n, "s") for n in FORMULA_LIKE]
    assert {ws.cell(r, 2).value for r in range(1, 6)} == {"-"}


def test_without_the_apostrophe_excel_would_make_each_of_them_a_formula():
    # What the test above proves depends on Excel turning such typed text into a formula.
    assert [excel_entry(name) for name in FORMULA_LIKE] == [
        "=Police & Crime Commissioner", "=-Knife crime", "=+Drugs", "=@Risk team", "=SUM(1,2)"]
    assert excel_entry("-") == "=-" and excel_entry("-3") == -3
