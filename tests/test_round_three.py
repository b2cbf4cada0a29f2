"""Returns as partners make them, round three: none read wrong, none lost. Each case of
tests/round_three.py is read as openpyxl wrote it and as LibreOffice saves it (.xlsx, .ods,
.xls), with exact findings at exact cells and exact totals."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import round_three as made
from conftest import require_soffice, soffice_convert
from csprisk import merge_files
from csprisk.scheme import Criterion, Scheme, SchemeError, scheme_from_mapping

#: The assessment these returns are for.
SCHEME = Scheme(period="2025-26")


def cells(code: str, row: int, columns: str = "BCDEFGHIJKLMNOPQ") -> set[tuple[str, str, str]]:
    return {(code, "Sheet", f"{column}{row}") for column in columns}


#: case -> (findings as (code, sheet, cell), merged totals). score-not-known notes aside.
EXPECTED: dict[str, tuple[set[tuple[str, str, str]], dict[str, float]]] = {
    "worded_dropdown": ({("scores-worded", "Sheet", "B6"), ("priority-not-scored", "Sheet", "A8")}
                        | cells("score-not-number", 8), {"Domestic abuse": 64.0, "Anti-social behaviour": 24.0}),
    "numbered_names": (set(), {"Reducing re-offending": 80.0, "Domestic abuse": 64.0, "Anti-social behaviour": 48.0,
                               "Hate crime": 32.0}),
    "two_partners_one_sheet": (set(), {"Reducing re-offending": 80.0, "Domestic abuse": 48.0,
                                       "Anti-social behaviour": 48.0}),
    "repeated_header": ({("header-repeated", "Sheet", "A8")}, {"Domestic abuse": 64.0, "Anti-social behaviour": 48.0,
                                                               "Hate crime": 32.0, "Deliberate fires": 16.0}),
    "header_far_down": (set(), {"Domestic abuse": 64.0, "Hate crime": 32.0}),
    "own_headers": ({("missing-criterion", "Sheet", "A5"), ("unknown-column", "Sheet", "B5"),
                     ("unknown-column", "Sheet", "J5"), ("unknown-column", "Sheet", "L5")}, {"Domestic abuse": 39.0}),
    "short_headers": ({("no-matrix-found", "", "")}, {}),
    "total_out_of_80": ({("total-mismatch", "Sheet", "R7")}, {"Domestic abuse": 58.0, "Hate crime": 58.0}),
    "another_scale": ({("other-scale", "Sheet", "B6"), ("priority-not-scored", "Sheet", "A6")}
                      | cells("score-out-of-range", 6) | cells("score-out-of-range", 7, "BDFHJLNP"),
                      {"Hate crime": 32.0}),
    "last_years_return": ({("other-period", "Sheet", "A1")}, {"Domestic abuse": 48.0}),
    "dated_last_year": ({("other-period", "Sheet", "B2")}, {"Domestic abuse": 32.0}),
    "turned_on_its_side": ({("matrix-turned", "Matrix", "A5")}, {"Domestic abuse": 64.0, "Hate crime": 32.0}),
    "turned_with_details": ({("matrix-turned", "Matrix", "A4"), ("hidden-column-read", "Matrix", "A12"),
                             ("total-mismatch", "Matrix", "B20"), ("score-out-of-range", "Matrix", "C7")},
                            {"Domestic abuse": 64.0, "Knife crime": 45.0, "Hate crime": 30.0}),
    "turned_with_formulas": ({("matrix-turned", "Matrix", "B4"), ("partner-missing", "Matrix", ""),
                              ("score-error", "Matrix", "D5"), ("score-percent", "Matrix", "E8")},
                             {"Domestic abuse": 80.0, "Hate crime": 45.0, "Deliberate fires": 15.0}),
}


def found(result) -> set[tuple[str, str, str]]:
    return {(f.code, f.sheet, f.cell) for f in result.findings if f.code != "score-not-known"}


def totals(result) -> dict[str, float]:
    return {p.name: p.total for p in result.assessment.ranking}


def message(result, code: str) -> str:
    [finding] = [f for f in result.findings if f.code == code]
    return finding.message


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("round_three")
    return {name: build(folder) for name, build in made.CASES.items()}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_case_gives_its_exact_findings_and_totals(cases, case):
    findings, expected_totals = EXPECTED[case]
    result = merge_files([cases[case]], SCHEME)
    assert found(result) == findings
    assert totals(result) == expected_totals


@pytest.fixture(scope="module")
def resaved(cases, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Every case as LibreOffice saves it."""
    require_soffice()
    base = tmp_path_factory.mktemp("round_three_lo")
    return {extension: {name: soffice_convert(path, extension, base / extension) for name, path in cases.items()}
            for extension in ("xlsx", "ods", "xls")}


@pytest.mark.libreoffice
@pytest.mark.parametrize("extension", ["xlsx", "ods", "xls"])
def test_each_case_saved_by_libreoffice_reads_the_same(resaved, extension):
    for case, (findings, expected_totals) in EXPECTED.items():
        result = merge_files([resaved[extension][case]], SCHEME)
        assert found(result) == findings, (case, extension)
        assert totals(result) == expected_totals, (case, extension)


# ------------------------------------------------------------- what each case says and keeps

def test_worded_scores_are_read_as_their_number_and_said_once(cases):
    result = merge_files([cases["worded_dropdown"]], SCHEME)
    assert message(result, "scores-worded") == (
        '32 scores were typed as a scale point with its label, such as "4 \u2013 High" (the first in B6): the '
        "number each starts with was read as the score. Nothing needs changing.")
    [ret] = result.assessment.returns
    assert {cell.value for cell in ret.cells if cell.cell in ("B6", "J7")} == {"4 \u2013 High", "0 - None"}


def test_words_with_no_scale_point_give_no_score_and_are_not_ranked_at_zero(cases):
    result = merge_files([cases["worded_dropdown"]], SCHEME)
    assert "Hate crime" not in totals(result)
    assert message(result, "priority-not-scored").startswith(
        '"Hate crime": no criterion has a valid score (see the errors in its cells), so this row gives no score.')


def test_numbered_names_are_shown_without_their_number_and_merge_with_other_partners(cases):
    result = merge_files([cases["numbered_names"], cases["plain_names"]], SCHEME)
    ranked = {p.name: (p.total, len(p.partners)) for p in result.assessment.ranking}
    assert ranked == {"Reducing re-offending": (64.0, 2), "Domestic abuse": (48.0, 2), "Hate crime": (48.0, 2),
                      "Anti-social behaviour": (32.0, 2)}
    assert found(result) == set()


def test_each_partner_on_one_sheet_is_a_return_of_its_own(cases):
    result = merge_files([cases["two_partners_one_sheet"]], SCHEME)
    returns = {r.partner: (r.sheet, [p.name for p in r.priorities], [p.cell for p in r.priorities])
               for r in result.assessment.returns}
    assert returns == {"Anytown Police": ("Matrices", ["Domestic abuse", "Anti-social behaviour"], ["A6", "A7"]),
                       "Probation Service": ("Matrices", ["Domestic abuse", "Reducing re-offending"], ["A13", "A14"])}
    [probation] = [r for r in result.assessment.returns if r.partner == "Probation Service"]
    assert probation.lead == "Sam Jones"


def test_the_upper_partners_matrix_is_read_even_when_the_lower_names_more_criteria(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    police = made._return("Anytown Police", [["Domestic abuse", *[4] * 15]], header=["Priority", *made.LABELS[:15]])
    council = [["Partner organisation: Anytown Council"], [], ["Priority", *made.LABELS], ["Hate crime", *[2] * 16]]
    made._put(wb.active, 1, 1, police + [[]] + council)
    result = merge_files([made._save(wb, tmp_path / "two.xlsx")], SCHEME)
    assert {r.partner: [p.cell for p in r.priorities] for r in result.assessment.returns} == {
        "Anytown Police": ["A6"], "Anytown Council": ["A11"]}
    assert found(result) == {("missing-criterion", "Sheet", "A5")}


def test_headers_that_match_no_criterion_are_named_and_can_be_aliases(cases):
    result = merge_files([cases["own_headers"]], SCHEME)
    assert message(result, "missing-criterion") == (
        'This return has no column for "Gap in current Picture"; "Harm / impact to people / victims"; '
        '"Generator of fear / worry / confidence". The headers "Gap", "Harm (people)" and "Fear" match no '
        "criterion: if one is a criterion above, rename it to the criterion's label, or add it to that "
        "criterion's aliases in the settings. Add the column with its scores (use the partner template's "
        "labels); until then nobody's score for it comes from this return.")
    aliased = SCHEME.with_overrides(criteria=tuple(
        Criterion(c.label, c.guidance, c.weight, (made.OWN_HEADERS[c.label],) if c.label in made.OWN_HEADERS else ())
        for c in SCHEME.criteria))
    result = merge_files([cases["own_headers"]], aliased)
    assert found(result) == set() and totals(result) == {"Domestic abuse": 48.0}


def test_no_matrix_found_names_the_headers_it_saw(cases):
    result = merge_files([cases["short_headers"]], SCHEME)
    assert message(result, "no-matrix-found") == (
        'No sheet holds a risk matrix (sheets: "Sheet"). A matrix needs a header row with the criteria labels, '
        'such as "Gap in current Picture". Row 5 of sheet "Sheet" has the headers "Gap", "Outcomes", "Current", '
        '"Performance", "National", "Local", "Community", "Property", "Harm (people)", "Demand", "Fear", '
        '"Cross-cutting", "Media", "Cost", "Increase" and "Achievable", which match no criterion: rename them to '
        "the criteria labels, or add them as criteria's aliases in the settings. Use the partner template, or add "
        "the header row.")


def test_criterion_aliases_are_read_from_the_settings():
    scheme = scheme_from_mapping({"criteria": [{"label": "Gap in current Picture", "aliases": ["Gap", "Unknowns"]},
                                               {"label": "Media attention", "aliases": "Press; Media"}],
                                  "tie_break_criterion": "Media attention"})
    assert [c.aliases for c in scheme.criteria] == [("Gap", "Unknowns"), ("Press", "Media")]
    with pytest.raises(SchemeError, match="share a label or an alias"):
        scheme_from_mapping({"criteria": [{"label": "Gap in current Picture", "aliases": ["Media"]},
                                          {"label": "Media attention", "aliases": ["Media"]}],
                             "tie_break_criterion": "Media attention"})


def test_a_return_scored_on_another_scale_gets_one_warning_saying_what_to_do(cases):
    result = merge_files([cases["another_scale"]], SCHEME)
    assert message(result, "other-scale") == (
        "24 of the 32 numbers in this return's score cells are above 5 (from 6 to 10), so it seems to be scored "
        "on another scale than the matrix's 0 to 5. Those scores are not used. Ask the partner to score every "
        "criterion again from 0 to 5, as the partner template's guidance describes.")


def test_a_few_slips_above_the_scale_are_not_another_scale(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    made._put(wb.active, 1, 1, made._return("Anytown Police", [["Domestic abuse", *[3] * 12, 6, 7, 8, 9],
                                                               ["Hate crime", *[2] * 16]]))
    result = merge_files([made._save(wb, tmp_path / "slips.xlsx")], SCHEME)
    assert {f.code for f in result.findings} == {"score-out-of-range"}


def test_a_return_from_another_period_names_both_periods(cases):
    result = merge_files([cases["last_years_return"]], SCHEME)
    assert message(result, "other-period") == (
        "This return names the period 2024-25 (in cell A1), but the assessment is for 2025-26. It may be an "
        "earlier return left with the new ones: check it is the current one, and ask the partner for their "
        "2025-26 return if it is not.")
    result = merge_files([cases["dated_last_year"]], SCHEME)
    assert message(result, "other-period").startswith(
        "This return names the date 12/02/2024 (as the date it was completed), but the assessment is for 2025-26.")


def test_without_a_period_in_the_settings_no_return_is_from_another_period(cases):
    result = merge_files([cases["last_years_return"], cases["dated_last_year"]], Scheme())
    assert "other-period" not in {f.code for f in result.findings}


def test_a_return_for_the_assessments_period_or_dated_in_its_window_is_not_flagged(tmp_path):
    import datetime as dt

    import openpyxl

    for title, date in (("Risk matrix 2025-26", dt.datetime(2024, 2, 12)), ("Risk matrix", dt.datetime(2025, 1, 9)),
                        ("Police and Crime Plan 2021-2025 priorities", dt.datetime(2025, 6, 3))):
        wb = openpyxl.Workbook()
        made._put(wb.active, 1, 1, [[title], ["Date completed", date], ["Partner organisation", "Anytown Police"], [],
                                    ["Priority", *made.LABELS], ["Domestic abuse", *[2] * 16]])
        result = merge_files([made._save(wb, tmp_path / "current.xlsx")], SCHEME)
        assert "other-period" not in {f.code for f in result.findings}, title


def test_a_matrix_turned_on_its_side_is_read_and_said_so(cases):
    result = merge_files([cases["turned_on_its_side"]], SCHEME)
    assert message(result, "matrix-turned") == (
        "The criteria run down column A (from A5) and the priorities across row 4: the matrix is turned on its "
        "side, and was read that way round, each priority's scores down its column. The cells the findings name "
        "are the real cells on the sheet. Nothing needs changing.")
    [finding] = [f for f in result.findings if f.code == "matrix-turned"]
    assert finding.severity == "info"
    assert finding.for_partner == (
        "Your matrix has the criteria down column A and the priorities across row 4, the other way round from "
        "the partner template. We read it that way round, so nothing needs changing; in the partner template "
        "each priority has a row of its own.")
    [ret] = result.assessment.returns
    assert ret.partner == "Anytown Police"
    assert [(p.name, p.cell) for p in ret.priorities] == [("Domestic abuse", "B4"), ("Hate crime", "C4")]


def test_a_turned_matrix_keeps_every_cell_at_its_real_address(cases):
    result = merge_files([cases["turned_with_details"]], SCHEME)
    [ret] = result.assessment.returns
    assert (ret.partner, ret.lead) == ("Anytown Fire", "Sam Lee")
    by_cell = {cell.cell: cell for cell in ret.cells}
    assert len(by_cell) == 48 and {c.cell for c in ret.cells if c.priority == "Knife crime"} == {
        f"D{row}" for row in range(4, 20)}
    assert (by_cell["C7"].value, by_cell["C7"].status, by_cell["C7"].counted) == (6, "invalid", False)
    assert (by_cell["D10"].value, by_cell["D10"].status) == ("NK", "not known")
    assert by_cell["B4"].criterion == made.LABELS[0] and by_cell["B19"].criterion == made.LABELS[15]
    assert [(p.name, p.typed_total, p.notes) for p in ret.priorities] == [
        ("Domestic abuse", 60.0, "Rising referrals"), ("Hate crime", 30.0, ""), ("Knife crime", 45.0, "Two stabbings")]
    assert message(result, "score-out-of-range").startswith(
        'Hate crime: the score for "Performance issue - deteriorating" is 6, outside the 0 to 5 scale.')
    assert message(result, "total-mismatch") == (
        "Domestic abuse: the typed total is 60 but the scores add up to 64. The computed total (64) is used; "
        "correct the total or the scores.")


def test_a_sheet_with_no_matrix_either_way_round_is_still_no_matrix(tmp_path):
    wb = openpyxl.Workbook()
    made._put(wb.active, 1, 1, [["Notes"], ["Nothing scored here"]])
    result = merge_files([made._save(wb, tmp_path / "notes.xlsx")], SCHEME)
    assert found(result) == {("no-matrix-found", "", "")}


@pytest.mark.parametrize("typed, score", [
    ("3 - Moderate", 3.0), ("4 \u2013 High", 4.0), ("0: None", 0.0), ("2. Low", 2.0), ("(5) Very high", 5.0),
    ("1 = Very low", 1.0), ("3 Moderate", None), ("6 - Extreme", None), ("3 - 4", None), ("High", None),
    ("5 - Very high (top 10%)", None),
])
def test_only_a_scale_point_with_its_words_is_a_worded_score(typed, score):
    from csprisk.score.cells import classify_score

    status, read, _code = classify_score(typed, 5)
    assert (read, status) == (score, "valid" if score is not None else "invalid")


@pytest.mark.parametrize("typed, name", [
    ("1. Domestic abuse", "Domestic abuse"), ("1.Domestic abuse", "Domestic abuse"), ("2) ASB", "ASB"),
    ("3 - Reducing re-offending", "Reducing re-offending"), ("(4) Hate crime", "Hate crime"),
    ("5: Arson", "Arson"), ("20mph zones", "20mph zones"), ("24-hour economy", "24-hour economy"),
    ("3.5 tonne lorries", "3.5 tonne lorries"),
])
def test_a_number_in_front_of_a_name_is_dropped_and_nothing_else(typed, name):
    from csprisk.score.rows import priority_name

    assert priority_name(typed) == name


def test_the_ranked_workbook_is_written_from_every_case_and_keeps_what_was_typed(cases, tmp_path):
    import openpyxl

    from csprisk import write_ranked_workbook
    from csprisk.marks import SUMMARY

    result = merge_files(list(cases.values()), SCHEME)
    written = write_ranked_workbook(result, tmp_path / "ranked.xlsx")
    book = openpyxl.load_workbook(written, read_only=True)
    summary = [row for row in book[SUMMARY].iter_rows(values_only=True)]
    assert any("Reducing re-offending" in row for row in summary)
    typed = {value for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row}
    assert {"4 \u2013 High", "3 - Moderate", "High"} <= typed  # worded scores and bad words, as typed


def test_a_row_scored_across_the_matrix_under_a_bare_number_is_kept_and_flagged_not_dropped():
    from csprisk.grid import Grid
    from csprisk.score.parse import parse_return

    rows = [["Partner organisation", "Anytown Police"], ["Priority", *made.LABELS],
            ["Domestic abuse", *[4] * 16], ["7", *[3] * 16], [], ["Scoring key"], ["3", "Moderate", 3, 3, 3]]
    ret, findings = parse_return([Grid("police.xlsx", "Matrix", rows)], SCHEME, "police.xlsx")
    assert [(f.code, f.cell) for f in findings] == [("priority-missing", "A4")]
    assert [p.name for p in ret.priorities] == ["Domestic abuse"]
    assert [(row.priority, row.number, row.counted) for row in ret.rows] == [
        ("Domestic abuse", 3, True), ("Row 4", 4, False)]


def test_worded_points_of_another_scale_also_say_the_return_seems_scored_on_it():
    from csprisk.grid import Grid
    from csprisk.score.parse import parse_return

    words = ["7 - High", "9 - Very high", "3 - Low", "8 - High"] * 4
    rows = [["Partner organisation", "Anytown Fire"], ["Priority", *made.LABELS], ["Deliberate fires", *words]]
    ret, findings = parse_return([Grid("fire.xlsx", "Matrix", rows)], SCHEME, "fire.xlsx")
    [scale] = [f for f in findings if f.code == "other-scale"]
    assert (scale.cell, scale.value) == ("B3", "7 - High")
    assert scale.message.startswith("12 of the 16 numbers in this return's score cells are above 5 (from 7 to 9)")
    assert [p.total for p in ret.priorities] == [12.0]  # the four "3 - Low" read; the rest are errors


def test_a_turned_matrix_names_its_priorities_by_column_in_every_message(tmp_path):
    """Hidden columns, a column with no name and a priority scored twice: in a turned matrix
    each is a column of the sheet, and the messages say so, at the real cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    made._put(ws, 1, 1, [["Criterion", "Domestic abuse", "Hate crime", "Domestic abuse", None, "Knife crime"],
                         *[[label, 4, 2, 3, 1, 5] for label in made.LABELS]])
    ws.column_dimensions["F"].hidden = True
    result = merge_files([made._save(wb, tmp_path / "turned.xlsx")], SCHEME)
    messages = {(f.code, f.cell): f.message for f in result.findings
                if f.code not in ("score-not-known", "partner-missing")}
    assert messages == {
        ("matrix-turned", "A2"): (
            "The criteria run down column A (from A2) and the priorities across row 1: the matrix is turned on its "
            "side, and was read that way round, each priority's scores down its column. The cells the findings "
            "name are the real cells on the sheet. Nothing needs changing."),
        ("duplicate-priority", "D1"): (
            '"Domestic abuse" is scored twice in this return (columns B and D). Only column B is used; delete the '
            "duplicate column or merge the two."),
        ("priority-missing", "E1"): (
            "Column E has scores but no priority name, so its scores are not used. Type the priority's name in "
            "this cell."),
        ("hidden-row-read", "F1"): (
            'Column F ("Knife crime") is hidden, but it is the only column for this priority, so its scores were '
            "read. Unhide the column to check them, or delete it if it holds old scores."),
    }
    assert totals(result) == {"Domestic abuse": 64.0, "Hate crime": 32.0, "Knife crime": 80.0}
