"""The worksheet functions in udfs.py, called as Excel calls them: through xlwings.server
with the arguments Office.js sends (2-D lists, None for blanks, floats, strings)."""

import dataclasses
import math
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from officejs import REPO, function_call, run_coroutine, server_xlwings

xw, udfs = server_xlwings()
import xlwings.server as server  # noqa: E402

from csprisk.app.functions import (  # noqa: E402
    VALUE_ERROR,
    risk_band,
    risk_check,
    risk_rank,
    risk_summary,
    risk_total,
)
from csprisk.grid import Grid  # noqa: E402
from csprisk.read.sources import Source  # noqa: E402
from csprisk.scheme import PRIORITY_LABEL, Scheme  # noqa: E402
from csprisk.score.merge import merge_sources  # noqa: E402

EXCEL_VALUE_ERROR = {"type": "Error", "errorType": "Value"}
SCHEME = Scheme()
LABELS = list(SCHEME.labels)


def call(name, *args):
    """Call a function as Excel does and return what Excel receives (always 2-D)."""
    return run_coroutine(server.custom_functions_call(function_call(xw, name, *args), udfs))


def row(*scores):
    """A one-row range as Office.js sends it."""
    return [list(scores)]


def full_row(*first, fill=3.0):
    return row(*first, *[fill] * (16 - len(first)))


# ------------------------------------------------------------------------- RISK_TOTAL

def test_total_of_a_full_row_of_scores():
    assert call("risk_total", full_row(4.0, 5.0, 0.0)) == [[4 + 5 + 0 + 3 * 13]]


def test_total_ignores_not_known_and_blanks():
    assert call("risk_total", full_row(4.0, "NK", None, "n/k", "?", fill=2.0)) == [[4 + 2 * 11]]


def test_total_accepts_numbers_typed_as_text():
    assert call("risk_total", row(" 5 ", "4", 3.0)) == [[12.0]]


def test_total_of_a_single_cell_and_of_a_column():
    assert call("risk_total", [[3.0]]) == [[3.0]]
    assert call("risk_total", [[1.0], [2.0], [None]]) == [[3.0]]


def test_invalid_score_gives_excels_value_error_not_a_wrong_number():
    for bad in (4.5, 6.0, -1.0, "high", True):
        assert call("risk_total", full_row(bad)) == [[EXCEL_VALUE_ERROR]], bad


def test_worded_scale_points_count_as_their_number_as_in_the_findings():
    assert call("risk_total", row("3 - Moderate", "4 \u2013 High", "0: None", 2.0)) == [[9.0]]
    assert call("risk_check", full_row("3 - Moderate", "5 - Very high")) == [["OK"]]
    assert call("risk_total", full_row("6 - Extreme")) == [[EXCEL_VALUE_ERROR]]


def test_numbers_typed_as_text_follow_the_one_rule():
    assert call("risk_band", [["60"]]) == [["High"]]
    assert call("risk_band", [[" 45.5 "]]) == [["Medium"]]
    for not_a_number in ("1e3", "1,000", "inf", "nan"):
        assert call("risk_band", [[not_a_number]]) == [[EXCEL_VALUE_ERROR]], not_a_number


def test_blank_row_totals_zero():
    assert call("risk_total", row(*[None] * 16)) == [[0.0]]


# ------------------------------------------------------------------------- RISK_CHECK

def test_check_says_ok_for_a_good_row_with_not_known():
    assert call("risk_check", full_row("NK", 0.0)) == [["OK"]]


def test_check_explains_each_problem_in_the_findings_words():
    result = call("risk_check", full_row(4.5, None, "high", 7.0), "Hate crime")[0][0]
    lines = result.split("\n")
    assert len(lines) == 4
    assert lines[0].startswith(f'Hate crime: the score for "{LABELS[0]}" is 4.5, which is not a whole number')
    assert f'"{LABELS[1]}" is blank while other criteria in this row are scored' in lines[1]
    assert f'"{LABELS[2]}" is "high", which is not a score' in lines[2]
    assert f'"{LABELS[3]}" is 7, outside the 0 to 5 scale' in lines[3]
    assert all(line.endswith("Type a whole number from 0 to 5, or NK if it is not known.") for line in lines)


def test_check_without_a_priority_name_and_of_a_blank_row():
    assert call("risk_check", full_row(9.0))[0][0].startswith("This row: the score for")
    assert call("risk_check", row(*[None] * 16)) == [[""]]


# ------------------------------------------------------------------------ RISK_BAND and RANK

def test_band_uses_the_scheme_thresholds():
    assert call("risk_band", [[60.0]]) == [["High"]]
    assert call("risk_band", [[59.5]]) == [["Medium"]]
    assert call("risk_band", [[40.0]]) == [["Medium"]]
    assert call("risk_band", [[12.0]]) == [["Low"]]
    assert call("risk_band", [[None]]) == [[""]]
    assert call("risk_band", [["lots"]]) == [[EXCEL_VALUE_ERROR]]


def test_band_thresholds_can_come_from_the_settings_cells():
    assert call("risk_band", [[52.0]], [[50.0]], [[35.0]]) == [["High"]]
    assert call("risk_band", [[36.0]], [[50.0]], [[35.0]]) == [["Medium"]]
    assert call("risk_band", [[52.0]], [[None]], [[None]]) == [["Medium"]]  # blanks: the defaults
    assert call("risk_band", [[52.0]], [["high"]], [[35.0]]) == [[EXCEL_VALUE_ERROR]]
    assert call("risk_band", [[52.0]], [[30.0]], [[35.0]]) == [[EXCEL_VALUE_ERROR]]  # Medium above High


def test_rank_shares_ties_like_the_summary():
    totals = [[50.0], [62.0], [50.0], [None], [41.0]]
    assert call("risk_rank", [[62.0]], totals) == [[1]]
    assert call("risk_rank", [[50.0]], totals) == [["=2"]]
    assert call("risk_rank", [[41.0]], totals) == [[4]]
    assert call("risk_rank", [[None]], totals) == [[""]]


def test_band_and_rank_are_decided_on_the_total_as_printed_as_in_the_pack():
    from csprisk.score.assess import printed

    # 39.96 prints as 40.0: Medium, as the Summary bands it, not Low.
    assert printed(39.96) == 40.0 and call("risk_band", [[39.96]]) == [["Medium"]]
    assert call("risk_band", [[39.94]]) == [["Low"]]
    # Two totals that both print 41.4 share a rank, as the Summary's "=" says; the next is 3.
    totals = [[41.36], [41.44], [39.0], [45.0]]
    assert call("risk_rank", [[41.36]], totals) == [["=2"]]
    assert call("risk_rank", [[41.44]], totals) == [["=2"]]
    assert call("risk_rank", [[39.0]], totals) == [[4]]


def test_rank_and_band_agree_with_the_ranked_summary_of_the_same_rows():
    from csprisk.scheme import figure

    rows = [[PRIORITY_LABEL, *LABELS]]
    # Totals that differ below the printed decimal: a last criterion weighted 0.01 makes
    # 30.01 and 30.04, which both print 30.0.
    criteria = (*SCHEME.criteria[:15], dataclasses.replace(SCHEME.criteria[15], weight=0.01))
    scheme = SCHEME.with_overrides(criteria=criteria)
    rows += [["Tied low", *[2.0] * 15, 1.0], ["Tied high", *[2.0] * 15, 4.0],
             ["Top", *[4.0] * 16], ["Bottom", *[1.0] * 16]]
    summary = risk_summary(rows, scheme)
    totals = [[r[2]] for r in summary[1:]]
    assert [r[0] for r in summary[1:]] == [1, "=2", "=2", 4]
    for rank, name, total, band, *_ in summary[1:]:
        assert risk_band(total, scheme=scheme) == band
        assert risk_rank(total, totals) == rank, (name, figure(total), rank)


# ------------------------------------------------------------------- RISK_CRITERIA, SUMMARY

def test_criteria_spill_labels_and_guidance():
    result = call("risk_criteria")
    assert [r[0] for r in result] == LABELS
    assert [r[1] for r in result] == [c.guidance for c in SCHEME.criteria]


def test_summary_ranks_a_matrix_range_as_the_summary_does():
    header = [PRIORITY_LABEL, *LABELS, SCHEME.total_label]
    matrix = [header,
              ["Domestic abuse", *[4.0] * 16, None],
              ["ASB", *[3.0] * 15, 4.5, None],  # an alias, and one invalid score
              ["Hate crime", "NK", *[4.0] * 15, 99.0],
              [None] * 18]
    result = call("risk_summary", matrix)
    assert result[0] == ["Rank", "Priority", "Total (out of 80)", "Band", "Not known", "Check"]
    expected = merge_sources([Source("m", [Grid("m", "m", matrix)])], SCHEME).assessment.ranking
    assert [r[1] for r in result[1:]] == [p.name for p in expected]
    assert [r[2] for r in result[1:]] == [round(p.total, 2) for p in expected]
    assert result[1:] == [
        [1, "Domestic abuse", 64.0, "High", 0, "OK"],
        [2, "Hate crime", 60.0, "High", 1, "OK"],
        [3, "Anti-social behaviour", 45.0, "Medium", 0, "1 problem: see RISK_CHECK"],
    ]


def test_summary_without_a_header_row_takes_the_criteria_in_order():
    result = call("risk_summary", [["Arson", *[2.0] * 16], ["Hate crime", *[2.0] * 16]])
    assert result[1:] == [["=1", "Deliberate fires", 32.0, "Low", 0, "OK"],
                          ["=1", "Hate crime", 32.0, "Low", 0, "OK"]]


# ------------------------------------------------------------------------- metadata

def test_metadata_lists_exactly_the_six_functions_with_parameter_docs():
    meta = server.custom_functions_meta(udfs)
    functions = {f["name"]: f for f in meta["functions"]}
    assert sorted(functions) == ["RISK_BAND", "RISK_CHECK", "RISK_CRITERIA", "RISK_RANK", "RISK_SUMMARY",
                                 "RISK_TOTAL"]
    assert [p["name"] for p in functions["RISK_RANK"]["parameters"]] == ["total", "totals"]
    assert [p["name"] for p in functions["RISK_BAND"]["parameters"]] == ["total", "high", "medium"]
    assert [p["name"] for p in functions["RISK_CHECK"]["parameters"]] == ["scores", "priority"]
    assert functions["RISK_CHECK"]["parameters"][1]["optional"] is True
    assert functions["RISK_CRITERIA"]["parameters"] == []
    for function in functions.values():
        assert function["description"] and not function["description"].startswith("Python function")
        for parameter in function["parameters"]:
            assert not parameter["description"].startswith("Positional argument"), parameter


def test_script_metadata_lists_the_five_scripts():
    names = sorted(s["function_name"] for s in server.custom_scripts_meta(udfs))
    assert names == ["export_for_executive", "feedback_for_partners", "merge_and_rank", "new_partner_template",
                     "validate_returns"]


# ------------------------------------------------------------------- no value breaks them

cell_values = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
                        st.integers(-10, 10), st.text(max_size=8), st.sampled_from(["NK", " 3 ", "=1+1"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(cell_values, min_size=1, max_size=20))
def test_total_and_check_never_raise_and_agree(values):
    total = risk_total([values])
    check = risk_check([values])
    assert total == VALUE_ERROR or (isinstance(total, float) and math.isfinite(total))
    if total == VALUE_ERROR:
        assert check not in ("OK", "")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(cell_values, min_size=17, max_size=17), min_size=1, max_size=5))
def test_summary_never_raises(matrix):
    assert risk_summary([[f"P{i}", *r[1:]] for i, r in enumerate(matrix)])[0][0] == "Rank"


@pytest.mark.subprocess
def test_works_when_another_test_imported_xlwings_first_in_desktop_mode():
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    code = ("import sys, xlwings, pytest; assert not xlwings.on_server; "
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', "
            "'tests/test_excel_functions.py', '-k', 'metadata or invalid_score']))")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_help_texts_come_from_the_scheme_not_from_typed_numbers():
    from csprisk.app.functions import HELP, help_texts
    from csprisk.scheme import Criterion

    meta = {f["name"]: f for f in server.custom_functions_meta(udfs)["functions"]}
    assert meta["RISK_TOTAL"]["description"] == HELP["risk_total"] == (
        "Total of a row of risk-matrix scores, out of 80. NK and blanks count nothing; an invalid score gives #VALUE!.")
    assert meta["RISK_TOTAL"]["parameters"][0]["description"] == HELP["scores"]
    assert "16 criteria" in meta["RISK_CRITERIA"]["description"]
    source = (REPO / "udfs.py").read_text()
    for typed in ("80", "0-5", "60", "40", "16 "):
        assert typed not in source, f"udfs.py types {typed!r}: say it through csprisk.app.functions.HELP"
    small = Scheme(criteria=tuple(Criterion(f"C{i}") for i in range(10)), scale_max=4)
    texts = help_texts(small)
    assert "0-4" in texts["scores"] and "out of 40" in texts["risk_total"] and "10 criteria" in texts["risk_criteria"]
