"""The parser: reading a return from a grid of cell values, and every finding it makes."""

import datetime as dt

import pytest

from csprisk.grid import Grid, cell_address, column_letter
from csprisk.scheme import Scheme, criterion_key, priority_key
from csprisk.score.parse import classify_score, parse_return

SCHEME = Scheme()
LABELS = list(SCHEME.labels)


def matrix(rows, partner="Anytown Police", extra_header=(), total=True, top=0, left=0):
    """A return laid out like the template: metadata, blank, header, priority rows."""
    header = ["Priority", *LABELS, "PESTELO", "Notes"] + (["TOTAL (out of 80)"] if total else [])
    header += list(extra_header)
    grid = [["Risk matrix"], ["Partner organisation", partner], ["Lead professional", "Sam"], [], header]
    grid += [list(r) for r in rows]
    return Grid("police.xlsx", "Risk matrix", grid, top, left)


def row(name, scores, pestelo="", notes="", total=None):
    return [name, *scores, pestelo, notes, total]


def codes(findings):
    return [f.code for f in findings]


def test_a_clean_row_is_read_with_partner_and_scores():
    ret, findings = parse_return([matrix([row("Domestic abuse", [3] * 16)])], SCHEME, "police.xlsx")
    assert codes(findings) == []
    assert ret.partner == "Anytown Police" and ret.lead == "Sam"
    [priority] = ret.priorities
    assert priority.name == "Domestic abuse" and priority.total == 48
    assert priority.cell == "A6"


@pytest.mark.parametrize("value, status, score, code", [
    (3.0, "valid", 3.0, None),
    ("4", "valid", 4.0, None),
    (" 5 ", "valid", 5.0, None),
    (0, "valid", 0.0, None),
    (4.5, "invalid", None, "score-not-whole"),
    ("2.5", "invalid", None, "score-not-whole"),
    (6, "invalid", None, "score-out-of-range"),
    (-1, "invalid", None, "score-out-of-range"),
    ("high", "invalid", None, "score-not-number"),
    (True, "invalid", None, "score-not-number"),
    (dt.datetime(2026, 1, 3), "invalid", None, "score-not-number"),
    (float("nan"), "invalid", None, "score-not-number"),
    ("NK", "not known", None, "score-not-known"),
    ("nk", "not known", None, "score-not-known"),
    ("?", "not known", None, "score-not-known"),
    ("N/K", "not known", None, "score-not-known"),
    ("Unknown", "not known", None, "score-not-known"),
    (None, "blank", None, None),
    ("  ", "blank", None, None),
])
def test_each_kind_of_typed_score_is_classified(value, status, score, code):
    assert classify_score(value, 5) == (status, score, code)


def test_bad_scores_get_findings_at_their_cells_and_take_no_part():
    scores = [3] * 16
    scores[0], scores[1], scores[2], scores[3], scores[4] = 7, 2.5, "lots", "NK", None
    ret, findings = parse_return([matrix([row("ASB", scores)])], SCHEME, "police.xlsx")
    by_cell = {f.cell: f for f in findings}
    assert by_cell["B6"].code == "score-out-of-range" and by_cell["B6"].severity == "error"
    assert by_cell["C6"].code == "score-not-whole"
    assert by_cell["D6"].code == "score-not-number" and by_cell["D6"].value == "lots"
    assert by_cell["E6"].code == "score-not-known" and by_cell["E6"].severity == "info"
    assert by_cell["F6"].code == "score-missing" and by_cell["F6"].severity == "warning"
    assert "Gap in current Picture" in by_cell["B6"].message and "0 to 5" in by_cell["B6"].message
    [priority] = ret.priorities
    assert priority.scores[:5] == (None, None, None, None, None)
    assert priority.total == 33 and priority.not_known == 1
    # Nothing typed is dropped: invalid and NK cells are kept with their raw values.
    kept = {c.cell: c for c in ret.cells}
    assert kept["B6"].value == 7 and not kept["B6"].counted
    assert kept["E6"].status == "not known"
    assert "F6" not in kept  # a blank was not typed


def test_typed_total_that_disagrees_is_flagged_and_the_computed_one_used():
    ret, findings = parse_return([matrix([row("ASB", [2] * 16, total=40)])], SCHEME, "p.xlsx")
    [f] = findings
    assert f.code == "total-mismatch" and f.cell == "T6" and f.value == 40
    assert "32" in f.message and ret.priorities[0].total == 32


def test_typed_total_that_agrees_and_text_number_total_are_accepted():
    ret, findings = parse_return([matrix([row("ASB", [2] * 16, total="32"), row("DA", [1] * 16, total=16.0)])],
                                 SCHEME, "p.xlsx")
    assert findings == []


def test_duplicate_priority_is_an_error_and_only_the_first_row_counts():
    rows = [row("Reducing re-offending", [3] * 16), row("reducing  re- offending", [5] * 16)]
    ret, findings = parse_return([matrix(rows)], SCHEME, "p.xlsx")
    [f] = findings
    assert f.code == "duplicate-priority" and f.cell == "A7" and f.severity == "error"
    assert [p.total for p in ret.priorities] == [48]
    assert all(not c.counted for c in ret.cells if c.cell.endswith("7"))


def test_missing_partner_name_falls_back_to_the_file_name():
    ret, findings = parse_return([matrix([row("ASB", [1] * 16)], partner=None)], SCHEME, "returns/fire.xlsx")
    assert ret.partner == "fire"
    [f] = findings
    assert f.code == "partner-missing" and f.cell == "B2"


def test_rows_without_scores_are_not_priorities():
    rows = [row("ASB", [1] * 16), row("Hate crime", [None] * 16), [], ["Notes: scored at the March meeting"]]
    ret, findings = parse_return([matrix(rows)], SCHEME, "p.xlsx")
    assert [p.name for p in ret.priorities] == ["ASB"] and findings == []


def test_scores_without_a_priority_name_are_reported():
    ret, findings = parse_return([matrix([row(None, [1] * 16)])], SCHEME, "p.xlsx")
    assert codes(findings) == ["priority-missing"] and ret.priorities == ()


def test_addresses_respect_where_the_grid_starts_on_the_sheet():
    ret, findings = parse_return([matrix([row("ASB", [9] + [1] * 15)], top=3, left=2)], SCHEME, "p.xlsx")
    assert findings[0].cell == "D9"
    assert ret.priorities[0].cell == "C9"


def test_columns_in_another_order_with_variant_labels_are_recognised():
    labels = [label.upper().replace("/", " / ") for label in reversed(LABELS)]
    grid = Grid("f.xlsx", "Sheet1", [["Issue", *labels, "Total (out of 80)"],
                                     ["Hate crime", *range(16), 999]])
    ret, findings = parse_return([grid], SCHEME, "f.xlsx")
    scores = ret.priorities[0].scores
    assert scores == tuple(float(15 - i) if 15 - i <= 5 else None for i in range(16))


def test_a_workbook_without_a_matrix_gives_no_matrix_found():
    ret, findings = parse_return([Grid("f.xlsx", "Notes", [["hello"]])], SCHEME, "f.xlsx")
    assert ret is None and codes(findings) == ["no-matrix-found"]


def test_missing_criterion_and_unknown_column_are_reported():
    header = ["Priority", *LABELS[1:], "RAG rating"]
    grid = Grid("f.xlsx", "S", [["Partner:", "Fire"], header, ["ASB", *[2] * 15, "amber"]])
    ret, findings = parse_return([grid], SCHEME, "f.xlsx")
    assert codes(findings) == ["missing-criterion", "unknown-column"]
    assert "Gap in current Picture" in findings[0].message
    assert findings[1].cell == "Q2" and ret.partner == "Fire"
    assert ret.priorities[0].scores[0] is None and ret.priorities[0].total == 30


def test_names_and_labels_match_after_normalising():
    assert priority_key("Reducing re- offending") == priority_key("reducing Re-offending")
    assert priority_key("Drugs & alcohol") == priority_key("drugs and alcohol")
    assert criterion_key("Harm / impact to\npeople/victims") == criterion_key("Harm / impact to people / victims")
    assert criterion_key("TOTAL (out of 80)") == criterion_key("total")


def test_address_helpers():
    assert column_letter(0) == "A" and column_letter(25) == "Z" and column_letter(26) == "AA"
    assert cell_address(0, 0) == "A1" and cell_address(9, 27) == "AB10"


def test_the_sheet_read_is_named_only_when_it_could_surprise():
    notes = Grid("p.xlsx", "Notes", [["Scored at the March meeting"]])
    first = matrix([row("ASB", [1] * 16)])
    ret, findings = parse_return([first, notes], SCHEME, "p.xlsx")
    assert findings == []  # the matrix is on the first sheet and nothing competes with it
    ret, findings = parse_return([notes, first], SCHEME, "p.xlsx")
    assert [(f.code, f.sheet) for f in findings] == [("sheet-chosen", "Risk matrix")]
    old = Grid("p.xlsx", "Last year", [["Priority", *LABELS[:10]], ["ASB", *[1] * 10]])
    ret, findings = parse_return([old, first], SCHEME, "p.xlsx")
    # A scored matrix left unread is never a mere note: it is a warning that says which was read.
    [f] = [f for f in findings if f.code == "matrix-not-read"]
    assert (f.severity, f.sheet, f.cell) == ("warning", "Last year", "A1")
    assert f.message.startswith('Sheet "Last year" also holds a scored risk matrix, and it was not read: '
                                'sheet "Risk matrix" was read instead, because the other\'s name says it is an '
                                "earlier one.")
    empty = Grid("p.xlsx", "Blank copy", [["Priority", *LABELS]])
    ret, findings = parse_return([empty, first], SCHEME, "p.xlsx")
    [f] = [f for f in findings if f.code == "sheet-chosen"]
    assert f.message == 'The risk matrix was read from sheet "Risk matrix"; "Blank copy" also looks like a ' \
                        "matrix and was not read."


@pytest.mark.parametrize("label", ["Confidence", "Confidence level", "Confidence (1-3)", "CONFIDENCE"])
def test_confidence_is_read_under_the_labels_partners_give_it(label):
    typed = ["High", "medium", "L", 3, 2.0, "1", None, "very sure"]
    rows = [["Priority", *LABELS, label, "PESTELO"]]
    rows += [[f"Priority {i}", *[2] * 16, value, "S"] for i, value in enumerate(typed)]
    ret, findings = parse_return([Grid("f.xlsx", "S", rows)], SCHEME, "f.xlsx")
    assert [p.confidence for p in ret.priorities] == ["High", "Medium", "Low", "High", "Medium", "Low", "", ""]
    assert [(f.code, f.severity, f.cell, f.value) for f in findings if f.code != "partner-missing"] == [
        ("confidence-not-valid", "warning", "R9", "very sure")]
    assert 'the confidence "very sure" is not High, Medium or Low' in findings[-1].message
    assert all(p.total == 32 and p.pestelo == "S" for p in ret.priorities)  # never part of the total
