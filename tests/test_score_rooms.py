"""The score rooms' shared rules: one text-to-number rule, and row checks that declare
the finding codes they give (after frictionless' checks)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csprisk.findings import Code
from csprisk.grid import Grid
from csprisk.scheme import Scheme
from csprisk.scheme.numbers import number_of
from csprisk.score.cells import classify_score, worded_score
from csprisk.score.parse import parse_return
from csprisk.score.rows import MATRIX_CHECKS, ROW_CHECKS, MatrixCheck, RowCheck


@pytest.mark.parametrize("value, number", [
    (3, 3.0), (2.5, 2.5), ("4", 4.0), (" 5 ", 5.0), ("-2", -2.0), ("+1", 1.0), ("\u22123", -3.0),
    (".5", 0.5), ("3.", 3.0), ("0.25", 0.25),
])
def test_plain_numbers_and_numbers_typed_as_text_are_read(value, number):
    assert number_of(value) == number


@pytest.mark.parametrize("value", [
    True, False, None, "", "  ", "1e3", "1,000", "nan", "inf", "-inf", "NK", "three", "3 4", "£3", "3%",
    float("nan"), float("inf"), 10 ** 400, dt.date(2025, 4, 1), dt.datetime(2025, 4, 1), "1_000", "\u0663",
])
def test_anything_else_is_not_a_number(value):
    assert number_of(value) is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_number_reads_the_same_typed_as_text(value):
    assert number_of(repr(value)) == (value if "e" not in repr(value) else None)
    assert number_of(value) == value


@given(st.one_of(st.integers(-10, 10), st.floats(-10, 10), st.text(max_size=6),
                 st.sampled_from(["NK", " 3 ", "4.0", "2.5", "", None, True, "3 - Moderate", "0: None", "6 - Extreme",
                                  "3 - 4"])))
def test_a_score_is_valid_exactly_when_it_is_a_whole_number_on_the_scale(value):
    status, score, code = classify_score(value, 5)
    number = number_of(value) if not (isinstance(value, str) and value.strip().casefold() == "nk") else None
    if number is None:
        number = worded_score(value, 5)  # "3 - Moderate": a scale point with its label
    expected_valid = number is not None and number.is_integer() and 0 <= number <= 5
    assert (status == "valid") == expected_valid
    assert score == (number if expected_valid else None)
    assert (code is None) == (status in ("valid", "blank"))


_CELLS = st.sampled_from([None, "", 0, 3, 5, 3.0, 2.5, 7, 9, -1, "4", "NK", "?", "high", True, "3 - Moderate",
                          "8 - High"])
_NAMES = st.sampled_from(["Domestic abuse", "ASB", "", None, "Hate crime", "Total", "0 = none"])


@given(st.lists(st.tuples(_NAMES, st.lists(_CELLS, min_size=16, max_size=16),
                          st.sampled_from([None, 48, "48", 12.5, "58/80"]),
                          st.sampled_from([None, "High", "M", 2, "sure"])), min_size=1, max_size=8))
def test_every_check_gives_only_the_codes_it_declares(lines):
    header = ["Priority", *Scheme().labels, "TOTAL (out of 80)", "Confidence"]
    rows = [["Partner organisation", "Anytown Police"], header]
    rows += [[name, *scores, total, confidence] for name, scores, total, confidence in lines]
    given_by: dict[str, set[str]] = {}

    def watched(check):
        def run(matrix, row):
            before = {id(f) for f in row.findings}
            check.run(matrix, row)
            given_by.setdefault(check.run.__name__, set()).update(
                f.code for f in row.findings if id(f) not in before)
        return RowCheck(check.codes, run)

    def watched_whole(check):
        def run(matrix, read):
            found = check.run(matrix, read)
            given_by.setdefault(check.run.__name__, set()).update(f.code for f in found)
            return found
        return MatrixCheck(check.codes, run)

    import csprisk.score.rows as rows_module

    row_checks, matrix_checks = rows_module.ROW_CHECKS, rows_module.MATRIX_CHECKS
    rows_module.ROW_CHECKS = tuple(watched(c) for c in row_checks)
    rows_module.MATRIX_CHECKS = tuple(watched_whole(c) for c in matrix_checks)
    try:
        parse_return([Grid("police.xlsx", "Matrix", rows)], Scheme(), "police.xlsx")
    finally:
        rows_module.ROW_CHECKS, rows_module.MATRIX_CHECKS = row_checks, matrix_checks
    for check in (*row_checks, *matrix_checks):
        assert given_by.get(check.run.__name__, set()) <= set(check.codes), check.run.__name__


def test_the_row_and_matrix_checks_declare_each_code_once():
    codes = [code for check in (*ROW_CHECKS, *MATRIX_CHECKS) for code in check.codes]
    assert len(codes) == len(set(codes))
    assert {Code.SCORE_NOT_NUMBER, Code.TOTAL_MISMATCH, Code.PRIORITY_NOT_SCORED, Code.DUPLICATE_PRIORITY,
            Code.SCORES_WORDED, Code.OTHER_SCALE} <= set(codes)
