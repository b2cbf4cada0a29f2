"""A matrix turned on its side (criteria down a column, priorities across a row), read that
way round: the turned grid's places are the sheet's real cells, and what is made from the
return (the ranked workbook's Partner scores and links, the partner's marked copy) goes by
those cells. The return is tests/round_three.py's `turned_with_details`: a 6 at C7, NK at
D10, a typed TOTAL row (B20 disagrees) and row 12 hidden."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

import round_three as made
from conftest import require_soffice, soffice_convert
from csprisk import merge_files
from csprisk.app.cli import main
from csprisk.excel.marked import FILLS
from csprisk.grid import Grid, SheetFacts
from csprisk.scheme import Scheme
from csprisk.score.parse import parse_returns


def test_a_turned_grid_names_each_place_by_its_real_cell_and_turns_the_facts_with_it():
    facts = SheetFacts(formulas={(6, 2)}, hidden_rows={11}, hidden_cols={3}, merged=[(0, 1, 0, 3)],
                       percent={(4, 1)}, errors={(9, 3): "#REF!"}, table_totals={19})
    grid = Grid("f.xlsx", "Matrix", [["a", "b", "c"], ["d", "e", "f"]], top=2, left=1, facts=facts)
    turned = grid.turned()
    assert turned.is_turned and not grid.is_turned
    assert turned.rows == [["a", "d"], ["b", "e"], ["c", "f"]]
    assert (turned.value(2, 1), grid.value(1, 2)) == ("f", "f")
    assert turned.address(2, 1) == grid.address(1, 2) == "D4"
    assert (turned.row_name(2), turned.column_name(1)) == ("D", "4")
    # Sheet cell C7 (row 6, col 2) is grid (4, 1) and turned (1, 4).
    assert grid.is_formula(4, 1) and turned.is_formula(1, 4) and not turned.is_formula(4, 1)
    assert turned.is_percent(0, 2) and turned.error(2, 7) == "#REF!" and turned.address(2, 7) == "D10"
    assert turned.is_hidden_row(2) and turned.is_hidden_col(9)  # column D and row 12 of the sheet
    assert not turned.is_hidden_row(9)
    assert turned.merged_range(1, -2) == (0, -2, 2, -2)  # B1:D1 is one turned column
    assert turned.table_totals == set()  # a Table's totals row is a column of the turned grid
    assert turned.turned() is grid


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("turned")
    made.turned_with_details(base / "returns")
    return base


def test_partner_scores_shows_each_priority_by_its_column_and_what_did_not_count_at_its_cell(folder):
    ranked = folder / "ranked.xlsx"
    assert main(["merge", str(folder / "returns"), "-o", str(ranked)]) in (0, 1)
    ws = openpyxl.load_workbook(ranked)["Partner scores"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[:5] == ("Partner", "File", "Sheet", "Row",
                                                                         "Priority"))
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(values_only=True) if r[0] == "Anytown Fire"]
    assert [(r["Row"], r["Priority"], r["Notes"], r["Not counted"]) for r in rows] == [
        ("B", "Domestic abuse", "Rising referrals", None), ("C", "Hate crime", None, "C7 6 (invalid)"),
        ("D", "Knife crime", "Two stabbings", 'D10 "NK" (not known)')]
    assert rows[1][made.LABELS[3]] == 6 and rows[2][made.LABELS[6]] == "NK"
    links = {c.value: c.hyperlink.location for row in openpyxl.load_workbook(ranked)["Validation"].iter_rows()
             for c in row if c.hyperlink and re.fullmatch(r"[A-Z]+[0-9]+", str(c.value))}
    # Each finding's cell links to that very score on Partner scores: C7 is Hate crime's 4th criterion.
    first = ws.cell(header_row(ws) + 1, 1).row
    assert links == {"C7": f"'Partner scores'!I{first + 1}", "B20": f"'Partner scores'!E{first}",
                     "D10": f"'Partner scores'!L{first + 2}"}


def header_row(ws) -> int:
    return next(r[0].row for r in ws.iter_rows() if r[0].value == "Partner" and r[3].value == "Row")


def test_the_marked_copy_marks_the_turned_returns_real_cells(folder):
    out = folder / "feedback"
    returns = folder / "returns"
    before = {p.name: p.read_bytes() for p in returns.iterdir()}
    assert main(["validate", str(returns), "--feedback", str(out)]) == 1
    assert {p.name: p.read_bytes() for p in returns.iterdir()} == before
    marked = out / "turned_details (checked).xlsx"
    with zipfile.ZipFile(marked) as package:
        comments = next(package.read(n).decode() for n in package.namelist() if re.search(r"comments\d*\.xml$", n))
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert re.findall(r'<comment ref="([A-Z]+[0-9]+)"', comments) == ["C7", "A12", "B20"]
    assert 'is 6, outside the 0 to 5 scale' in comments and 'The row "Harm / impact' in comments
    styled = dict(re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*? s="([0-9]+)"', sheet))
    assert styled.get("C6", "0") != styled["C7"] and styled.get("G3", "0") != styled["C7"]
    assert len({styled["C7"], styled["B20"], styled["A12"]}) == 2  # an error's style, and a warning's
    ws = openpyxl.load_workbook(marked)["Matrix"]
    assert ws["C7"].fill.fgColor.rgb == FILLS["error"]
    assert ws["B20"].fill.fgColor.rgb == ws["A12"].fill.fgColor.rgb == FILLS["warning"]
    assert ws["G3"].comment is None and ws["G3"].fill.fgColor.rgb != FILLS["error"]  # C7 turned is not marked
    assert ws["C7"].value == 6 and ws["D10"].value == "NK"  # the partner's values, as typed


@pytest.mark.libreoffice
def test_a_turned_matrixs_formula_total_is_a_cross_check_at_its_own_cell(tmp_path):
    """A TOTAL formula that misses a criterion, once LibreOffice has worked it out: the
    formula fact is found at the real cell (C20), so the message speaks of the formula."""
    require_soffice()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Matrix"
    made._put(ws, 1, 1, [["Partner organisation:", "Anytown Police"], [],
                         ["Criterion", "Hate crime", "Domestic abuse"], *[[label, 2, 5] for label in made.LABELS],
                         ["TOTAL", "=SUM(B4:B19)", "=SUM(C4:C18)"]])
    saved = soffice_convert(made._save(wb, tmp_path / "police.xlsx"), "xlsx", tmp_path / "lo")
    result = merge_files([saved], Scheme())
    assert {(f.code, f.cell) for f in result.findings} == {("matrix-turned", "A4"), ("total-mismatch", "C20")}
    [mismatch] = [f for f in result.findings if f.code == "total-mismatch"]
    assert mismatch.message == ("Domestic abuse: the TOTAL formula gives 75 but the scores add up to 80. The computed "
                                "total (80) is used; check the formula adds up exactly the criteria cells of this row.")
    assert {p.name: p.total for p in result.assessment.ranking} == {"Domestic abuse": 80.0, "Hate crime": 32.0}


def test_a_turned_returns_details_and_period_are_read_above_its_row_of_priorities():
    rows = [["Risk matrix 2024-25"], ["Partner organisation: Anytown Police", None, None],
            ["Date completed", "", None], ["Criterion", "Domestic abuse", "Hate crime"],
            *[[label, 4, 1] for label in made.LABELS]]
    [ret], findings = parse_returns([Grid("police.xlsx", "Matrix", rows, top=4, left=2)], Scheme(period="2025-26"),
                                    "police.xlsx")
    assert ret.partner == "Anytown Police" and ret.turned
    assert [(f.code, f.cell) for f in findings] == [("matrix-turned", "C9"), ("other-period", "C5")]
    assert [(p.name, p.cell, p.total) for p in ret.priorities] == [("Domestic abuse", "D8", 64.0),
                                                                   ("Hate crime", "E8", 16.0)]
    assert ret.cells[0].cell == "D9" and ret.cells[-1].cell == "E24"
