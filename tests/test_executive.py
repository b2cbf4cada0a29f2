"""The executive's workbook: every sheet checked against the scores it came from, the
chart's data, the print settings, movement since last time, and the emailed copy."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from csprisk.app.cli import main
from csprisk.excel.xlsx_writer import MARKING_PROPERTY, write_report
from csprisk.marks import EXECUTIVE_SHEETS, REPORT_SHEETS
from csprisk.read.previous import PreviousEntry, PreviousRanking, parse_summary, read_previous
from csprisk.report.executive import executive_sheets
from csprisk.report.firmness import close_call_sentences, close_groups, drivers, splits, stability, total_spread
from csprisk.report.ranked import build_report
from csprisk.scheme import Scheme, priority_key
from csprisk.score.assess import assess
from csprisk.score.merge import MergeResult, ReturnStatus
from csprisk.score.movement import movements
from csprisk.score.parse import Return, ScoredPriority

SCHEME = Scheme(partnership="Anytown CSP", period="2027-28", top_n=2,
                partners=("Police", "Council", "Fire", "Health"))
GENERATED = dt.datetime(2027, 3, 1, 9, 30)
MEDIA, HARM = 12, 8  # criterion indexes: "Media attention", "Harm / impact to people / victims"


def flat(value, **changes):
    scores = [value] * 16
    for index, score in changes.items():
        scores[int(index.lstrip("c"))] = score
    return scores


def scored(name, scores):
    return ScoredPriority(name, priority_key(name), "A1", tuple(float(s) for s in scores), 0, None, "", "")


def ret(partner, *priorities):
    return Return(f"{partner.lower()}.xlsx", "Risk matrix", partner, "", "", None, tuple(priorities), ())


def scenario_returns():
    """Domestic abuse 63 (1), ASB 56 (2), Reducing re-offending 50 (3), Hate crime and Sexual
    violence tied on 48 (=4). Leaving Police out drops ASB from the recommended pair."""
    return [
        ret("Police", scored("Domestic abuse", flat(4)), scored("ASB", flat(5)),
            scored("Reducing re-offending", flat(3, c8=5))),
        ret("Council", scored("Domestic abuse", flat(4)), scored("Anti-social behaviour", flat(2)),
            scored("Hate crime", flat(3))),
        ret("Fire", scored("Domestic abuse", flat(4, c12=1)), scored("Hate crime", flat(3)),
            scored("Sexual violence", flat(3))),
    ]


def merged(returns, scheme=SCHEME):
    statuses = tuple(ReturnStatus(r.file, r.partner, "merged", len(r.priorities)) for r in returns)
    return MergeResult(assess(returns, scheme), (), statuses, generated=GENERATED)


@pytest.fixture(scope="module")
def result():
    return merged(scenario_returns())


@pytest.fixture(scope="module")
def book(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("exec") / "ranked.xlsx"
    write_report(build_report(result), path)
    return openpyxl.load_workbook(path)


def rows_of(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def table(ws, first_header="Rank", second="Priority"):
    """Rows of the first table whose header starts with `first_header`, `second`, up to a blank row."""
    rows = rows_of(ws)
    top = next(i for i, r in enumerate(rows) if r[0] == first_header and r[1] == second)
    body = []
    for r in rows[top + 1:]:
        if all(v is None for v in r):
            break
        body.append(r)
    return top, rows[top], body


def rgb(properties):
    colour = properties.solidFill.srgbClr
    return getattr(colour, "val", colour)


def texts(ws):
    return [str(v) for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str)]


# --- the scenario, as the engine sees it --------------------------------------------------

def test_the_scenario_ranks_as_designed(result):
    ranking = result.assessment.ranking
    assert [(p.rank_label, p.name, p.total) for p in ranking] == [
        ("1", "Domestic abuse", 63.0), ("2", "Anti-social behaviour", 56.0),
        ("3", "Reducing re-offending", 50.0), ("=4", "Hate crime", 48.0), ("=4", "Sexual violence", 48.0)]
    assert [p.name for p in result.assessment.recommended] == ["Domestic abuse", "Anti-social behaviour"]


# --- firmness: pure facts -----------------------------------------------------------------

def test_drivers_are_the_criteria_adding_most_and_equal_scores_go_to_the_earlier_criterion(result):
    reoffending = result.assessment.ranking[2]
    top = drivers(reoffending, SCHEME)
    assert [d.index for d in top] == [HARM, 0, 1]
    assert top[0].label == "Harm / impact to people / victims" and top[0].score == 5


def test_criteria_three_or_more_points_apart_are_splits(result):
    domestic, asb = result.assessment.ranking[:2]
    [media] = splits(domestic, SCHEME)
    assert (media.label, media.low, media.high, media.low_partners, media.high_partners) == (
        "Media attention", 1, 4, ("Fire",), ("Police", "Council"))
    assert len(splits(asb, SCHEME)) == 16  # 5 against 2 on every criterion
    assert splits(result.assessment.ranking[3], SCHEME) == ()  # Hate crime: 3 and 3


def test_spread_of_partner_totals(result):
    domestic, asb, reoffending = result.assessment.ranking[:3]
    spread = total_spread(domestic)
    assert (spread.low, spread.high, spread.low_partners, spread.points) == (61, 64, ("Fire",), 3)
    assert total_spread(asb).points == 48
    assert total_spread(reoffending) is None  # one partner only


def test_ties_and_near_ties_are_grouped_and_said_in_words(result):
    ranking = result.assessment.ranking
    [group] = close_groups(ranking)
    assert [p.name for p in group.members] == ["Reducing re-offending", "Hate crime", "Sexual violence"]
    assert not group.straddles_cut_off and not group.exact_tie
    [sentence] = close_call_sentences(ranking, SCHEME)
    assert "Reducing re-offending (50), Hate crime (48) and Sexual violence (48)" in sentence
    assert "within 2 points" in sentence
    tied = close_call_sentences(ranking[3:], SCHEME)
    assert tied == ["Hate crime and Sexual violence tie on 48 and share rank =4."]


def test_a_near_tie_across_the_cut_off_is_called_a_judgement():
    returns = [ret("A", scored("One", flat(4)), scored("Two", flat(3, c0=4)), scored("Three", flat(3)))]
    ranking = assess(returns, Scheme(top_n=2)).ranking  # 64, 49, 48
    [sentence] = close_call_sentences(ranking, Scheme(top_n=2))
    assert "Two (49) and Three (48)" in sentence and "cut-off for the top 2 falls inside" in sentence


def test_stability_leaves_each_partner_out_and_names_who_changes_the_recommendation(result):
    found = stability(result.assessment)
    assert [run.partner for run in found.runs] == ["Police", "Council", "Fire"]
    [change] = found.changes
    assert change.partner == "Police"
    assert change.dropped_out == ("Anti-social behaviour",)
    assert change.came_in == ("Hate crime", "Sexual violence")  # tied on 48, both rank =2
    asb = found.range_of(priority_key("Anti-social behaviour"))
    assert (asb.best, asb.worst, asb.recommended_runs, asb.runs) == (1, 4, 2, 3)
    reoffending = found.range_of(priority_key("Reducing re-offending"))
    assert reoffending.unranked_without == ("Police",)


# --- the sheets, read back from the written file ------------------------------------------

def test_every_sheet_is_in_report_sheets_in_order(book):
    assert book.sheetnames == [name for name in REPORT_SHEETS if name != "Scenarios"]  # no scenarios declared
    assert book.sheetnames[:6] == ["Summary", "Heatmap", "Why it ranks here", "Disagreement", "Criteria apart",
                                   "Stability"]


def test_summary_table_holds_each_priority_s_numbers(book, result):
    ws = book["Summary"]
    top, header, body = table(ws)
    assert header[:7] == ["Rank", "Priority", "Total (out of 80)", "% of maximum", "Band", "Partners", "Not known"]
    assert header[-1] == "Recommended" and "Since last time" not in header
    assert len(body) == len(result.assessment.ranking)
    for row, p in zip(body, result.assessment.ranking, strict=True):
        assert row[:7] == [p.rank_label, p.name, pytest.approx(p.total), pytest.approx(p.percent, abs=1e-4),
                           p.band, len(p.partners), p.not_known]
    assert [r[7] for r in body] == ["Recommended", "Recommended", "Watch list", "Watch list", "Watch list"]
    # Bands are words and colours; the cut-off is a heavy rule under the last recommended row.
    assert ws.cell(top + 2, 5).fill.fgColor.rgb.endswith("F4B6B6")  # High, red
    assert ws.cell(top + 3, 5).fill.fgColor.rgb.endswith("FFE699")  # Medium, amber
    assert ws.cell(top + 3, 2).border.bottom.style == "thick"
    assert ws.cell(top + 2, 2).border.bottom.style == "thin"


def test_summary_says_who_returned_and_who_did_not_and_what_is_recommended(book):
    lines = texts(book["Summary"])
    assert "Anytown CSP: ranked priorities" in lines
    assert any("Assessment period 2027-28" in t and "01 March 2027" in t for t in lines)
    assert "Recommended priorities (top 2): Domestic abuse; Anti-social behaviour" in lines
    assert ("Returned by 3 of 4 partners: Police, Council and Fire. Not returned: Health.") in lines


def test_summary_watch_list_and_how_firm_in_words(book):
    ws = book["Summary"]
    _, header, body = table(ws, "Rank", "Priority")
    rows = rows_of(ws)
    watch = next(i for i, r in enumerate(rows) if str(r[0]).startswith("Watch list"))
    names = [r[1] for r in rows[watch + 2:watch + 5]]
    assert names == ["Reducing re-offending", "Hate crime", "Sexual violence"]
    assert rows[watch + 2][3] == pytest.approx(6.0)  # 56 - 50 below the cut-off
    assert "Scored by Police only" in rows[watch + 2][4]
    assert "Recommended if Police's return is left out" in rows[watch + 3][4]
    lines = texts(ws)
    assert any(t.startswith("Near-tie: Reducing re-offending (50), Hate crime (48)") for t in lines)
    assert "The recommended top 2 depends on single partners: 1 of 3 re-rankings changes it." in lines
    assert ("Without Police's return, Anti-social behaviour would drop out and Hate crime and Sexual "
            "violence would come in.") in lines
    assert any("Partners differ by 3 or more points on 17 criterion scores across 2 priorities" in t
               for t in lines)


def test_summary_chart_plots_the_table_totals_with_the_recommended_bars_set_apart(book, result):
    ws = book["Summary"]
    top, _, body = table(ws)
    [chart] = ws._charts
    [series] = chart.series
    # The chart plots the cells under it: each bar's rank and name, and its total as the table has it.
    first, last = [int(part.split("$")[-1]) for part in series.val.numRef.f.split(":")]
    assert series.val.numRef.f == f"'Summary'!$C${first}:$C${last}" and last - first + 1 == len(body)
    assert (series.cat.strRef or series.cat.numRef).f == f"'Summary'!$B${first}:$B${last}"
    assert [ws[f"C{r}"].value for r in range(first, last + 1)] == [row[2] for row in body]
    assert [ws[f"B{r}"].value for r in range(first, last + 1)] == [f"{p.rank_label}. {p.name}"
                                                                   for p in result.assessment.ranking]
    assert chart.anchor._from.row + 1 <= first and ws[f"B{first}"].font.color.rgb.endswith("FFFFFF")
    assert [point.idx for point in series.dPt] == [0, 1]  # the recommended pair, in the dark colour
    assert {rgb(point.graphicalProperties) for point in series.dPt} == {"1F3864"}
    assert rgb(series.graphicalProperties) != "1F3864"
    assert chart.x_axis.scaling.orientation == "maxMin"  # rank 1 at the top
    assert chart.y_axis.scaling.max == 80
    title = "".join(r.t for p in chart.y_axis.title.tx.rich.p for r in (p.r or []))
    assert "recommended top 2" in title and "below the cut-off" in title


def test_heatmap_holds_the_combined_scores_with_drivers_picked_out(book, result):
    ws = book["Heatmap"]
    top, header, body = table(ws)
    assert header[2] == "1. Gap in current Picture" and header[-2:] == ["Total (out of 80)", "PESTELO"]
    assert header[2:18] == [f"{i}. {label}" for i, label in enumerate(SCHEME.labels, 1)]
    assert ws.cell(top + 1, 3).alignment.textRotation == 90
    for offset, (row, p) in enumerate(zip(body, result.assessment.ranking, strict=True)):
        assert row[:2] == [p.rank_label, p.name]
        assert row[2:18] == [pytest.approx(s) for s in p.scores]
        assert row[18] == pytest.approx(p.total)
        boxed = [i for i in range(16) if ws.cell(top + 2 + offset, 3 + i).border.left.style == "medium"]
        assert boxed == sorted(d.index for d in drivers(p, SCHEME))
        assert all(ws.cell(top + 2 + offset, 3 + i).font.b for i in boxed)
    [rule] = ws.conditional_formatting
    assert str(rule.sqref) == f"C{top + 2}:R{top + 1 + len(body)}"
    scale = rule.rules[0].colorScale
    assert [v.val for v in scale.cfvo] == [0, 2.5, 5]
    assert ws.print_title_rows == f"${top + 1}:${top + 1}"


def test_why_it_ranks_here_explains_each_recommended_priority(book):
    lines = texts(book["Why it ranks here"])
    blocks = [t for t in lines if t[:2] in ("1.", "2.", "3.")]
    assert blocks == ["1. Domestic abuse", "2. Anti-social behaviour"]
    assert "Reducing re-offending" not in " ".join(t for t in lines if t.startswith("3."))
    joined = "\n".join(lines)
    assert "63 out of 80 (79%), High band; rank 1 of 5." in joined
    assert ("3 partners, with their own totals: Police (64), Council (64), Fire (61). Their totals are "
            "3 points apart.") in joined
    assert "Media attention: 1 (Fire) against 4 (Police and Council)" in joined
    assert "It drops out of the recommended set without Police's return." in joined
    assert "takes ranks 1 to 4, and is recommended in 2 of 3 re-rankings" in joined


def test_disagreement_lists_spreads_and_every_split_criterion(book, result):
    ws = book["Disagreement"]
    _, header, body = table(ws)
    assert header[:8] == ["Rank", "Priority", "Partners", "Lowest total", "From", "Highest total", "From",
                          "Spread (points)"]
    by_name = {r[1]: r for r in body}
    assert by_name["Domestic abuse"][2:9] == [3, 61, "Fire", 64, "Police and Council", 3, 1]
    assert by_name["Anti-social behaviour"][3:9] == [32, "Council", 80, "Police", 48, 16]
    assert by_name["Reducing re-offending"][2:5] == [1, 50, "Police only"]
    rows = rows_of(book["Criteria apart"])  # a sheet of its own, its header on every printed page
    start = next(i for i, r in enumerate(rows) if r[0] == "Rank" and r[2] == "Criterion")
    splits_rows = [r for r in rows[start + 1:] if r[0] is not None]
    assert len(splits_rows) == 17
    assert splits_rows[0][:8] == ["1", "Domestic abuse", "Media attention", 1, "Fire", 4, "Police and Council", 3]


def test_stability_of_a_big_partnership_sums_up_the_re_rankings_instead_of_a_column_each():
    from csprisk.report.delivery import STABILITY_PARTNER_COLUMNS, stability_sheet
    from csprisk.report.view import ExecutiveView

    partners = STABILITY_PARTNER_COLUMNS + 1
    returns = [ret(f"Partner {i:02d}", scored("Domestic abuse", flat(4)), scored("ASB", flat(i % 6)))
               for i in range(partners)]
    sheet = stability_sheet(ExecutiveView(merged(returns)))
    header = next(r for r in range(sheet.height) if sheet.value(r, 0) == "Rank" and sheet.value(r, 1) == "Priority")
    assert [sheet.value(header, c) for c in range(sheet.width)][:7] == [
        "Rank", "Priority", "Total", "Best rank", "Worst rank", "Recommended in", "Note"]
    assert sheet.value(header + 1, 1) == "Domestic abuse" and sheet.value(header + 1, 5) == f"{partners} of {partners}"
    words = " ".join(str(c.value) for c in sheet.cells.values())
    assert f"With {partners} partners the rank without each one is not shown column by column" in words
    # No partner's return changes the recommended set: one row of the set table says so for all.
    assert "Without Partner 00" not in words and f"Any one of the {partners} partners" in words


def test_stability_table_matches_re_ranking_without_each_partner(book, result):
    ws = book["Stability"]
    _, header, body = table(ws)
    assert header[3:6] == ["Without Police", "Without Council", "Without Fire"]
    returns = scenario_returns()
    for column, left_out in enumerate(returns, 3):
        again = {p.name: p.rank_label for p in assess([r for r in returns if r is not left_out], SCHEME).ranking}
        for row in body:
            assert row[column] == again.get(row[1], "not ranked"), (left_out.partner, row[1])
    asb = next(r for r in body if r[1] == "Anti-social behaviour")
    assert asb[6:9] == [1, 4, "2 of 3"]
    assert next(r for r in body if r[1] == "Reducing re-offending")[9] == "Only Police scored it"
    joined = "\n".join(texts(ws))
    assert "Anti-social behaviour drops out; Hate crime and Sexual violence come in" in joined


def test_print_settings_on_every_executive_sheet(book):
    for name in ("Summary", "Heatmap", "Why it ranks here", "Disagreement", "Criteria apart", "Stability"):
        ws = book[name]
        assert ws.page_setup.orientation == "landscape", name
        if name == "Criteria apart":  # one page wide at 7 pt exactly: a scale, not fitted to the width
            assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == 64, name
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, name
            # As many pages tall as it needs, or one where the sheet fits one at a legible size.
            assert ws.page_setup.fitToHeight in (0, 1), name
        assert "OFFICIAL" in ws.oddHeader.center.text and "OFFICIAL" in ws.oddFooter.center.text, name
        assert ws.oddFooter.right.text == "Page &P of &N", name
        assert "Anytown CSP" in ws.oddFooter.left.text and "01 March 2027" in ws.oddFooter.left.text, name
    for name in ("Heatmap", "Disagreement", "Criteria apart", "Stability"):
        assert book[name].print_title_rows, name
    # The Summary starts a new page after the chart, so the watch list never splits it.
    summary = book["Summary"]
    assert [b.id for b in summary.row_breaks.brk]


def test_a_long_summary_repeats_its_header_row_on_every_page():
    returns = [ret("A", *[scored(f"Issue {n:02d}", flat(n % 6)) for n in range(60)])]
    result = merged(returns)
    ws = executive_sheets(result)[0]
    # Page one has the top of the ranking; the full ranking ends the sheet, its header repeated.
    headers = sorted(r for (r, c), cell in ws.cells.items() if c == 0 and cell.value == "Rank"
                     and ws.cells[(r, 1)].value in ("Priority", "Top of the ranking"))
    assert [ws.cells[(r, 1)].value for r in headers] == ["Top of the ranking", "Priority"]
    full = headers[-1]
    assert ws.print_title_rows == f"{full + 1}:{full + 1}"
    assert [ws.cells[(full + 1 + i, 1)].value for i in range(60)] == [p.name for p in result.assessment.ranking]
    [chart] = ws.charts
    bars = int(chart.title.split("the top ")[1].split(" of ")[0])
    assert 5 <= bars <= 20 and chart.title.endswith(f"the top {bars} of 60 (all 60 are in the full ranking)")
    first = int(chart.values.split(":")[0][1:])
    assert chart.values == f"C{first}:C{first + bars - 1}" and first - 1 < full


def test_marking_option_reaches_header_footer_and_properties(tmp_path, capsys):
    from csprisk.app.demo import write_example_returns

    write_example_returns(tmp_path / "returns", SCHEME)
    out = tmp_path / "ranked.xlsx"
    main(["merge", str(tmp_path / "returns"), "-o", str(out), "--marking", "OFFICIAL-SENSITIVE"])
    capsys.readouterr()
    wb = openpyxl.load_workbook(out)
    assert wb["Summary"].oddHeader.center.text == "OFFICIAL-SENSITIVE"
    assert wb["Heatmap"].oddFooter.center.text == "OFFICIAL-SENSITIVE"
    assert {p.name: p.value for p in wb.custom_doc_props.props}[MARKING_PROPERTY] == "OFFICIAL-SENSITIVE"


# --- movement since last time -------------------------------------------------------------

def test_movement_up_down_same_new_and_dropped(result):
    earlier = PreviousRanking("last.xlsx", (
        PreviousEntry("Domestic abuse", 1, "1", 60.0), PreviousEntry("Reducing re-offending", 2, "2", 55.0),
        PreviousEntry("ASB", 4, "4", 50.0), PreviousEntry("Hate crime", 4, "=4", 48.0),
        PreviousEntry("Casualty reduction", 3, "3", 51.0)))
    moved, dropped = movements(result.assessment.ranking, earlier, SCHEME)
    words = {p.name: moved[p.key].words for p in result.assessment.ranking}
    assert words == {"Domestic abuse": "same (was 1)", "Anti-social behaviour": "\u25B2 up 2 (was 4)",
                     "Reducing re-offending": "\u25BC down 1 (was 2)", "Hate crime": "same (was =4)",
                     "Sexual violence": "new"}
    assert moved[priority_key("Domestic abuse")].total_change == 3.0
    assert [(m.name, m.status) for m in dropped] == [("Casualty reduction", "dropped")]


def test_summary_shows_movement_and_dropped_priorities(result, tmp_path):
    earlier = PreviousRanking(str(tmp_path / "last.xlsx"), (
        PreviousEntry("Domestic abuse", 2, "2", 60.0), PreviousEntry("Casualty reduction", 1, "1", 65.0)),
        "Assessment period 2026-27")
    path = tmp_path / "ranked.xlsx"
    write_report(build_report(result, earlier), path)
    ws = openpyxl.load_workbook(path)["Summary"]
    _, header, body = table(ws)
    assert header[7:9] == ["Since last time", "Change in total"]
    assert body[0][7:9] == ["\u25B2 up 1 (was 2)", 3.0]
    assert body[1][7] == "new" and body[1][8] is None
    lines = texts(ws)
    assert "Ranked last time but not scored this time: Casualty reduction (was 1, 65)." in lines
    assert any(t.startswith("Since last time: compared with last.xlsx (Assessment period 2026-27)") for t in lines)


def test_previous_reads_a_summary_with_ties_separators_and_notes():
    rows = [["Title"], ["Assessment period 2026-27"], [], ["Rank", "Priority", "Total (out of 80)", "Band"],
            ["1", "Domestic abuse", 61.5, "High"], ["cut-off", None, None, None], ["=2", "ASB", 50, "Medium"],
            [2.0, "Hate crime", "50", "Medium"], [None, None, None, None], ["4", "After the blank", 1, "Low"]]
    entries = parse_summary(rows)
    assert [(e.rank_label, e.name, e.rank, e.total) for e in entries] == [
        ("1", "Domestic abuse", 1, 61.5), ("=2", "ASB", 2, 50.0), ("2", "Hate crime", 2, 50.0)]


def test_merge_with_previous_reads_last_time_s_workbook_and_shows_movement(tmp_path, capsys):
    import csprisk
    from csprisk.app.demo import write_example_returns
    from csprisk.read.settings import load_scheme

    settings = Path(csprisk.__file__).parent / "app" / "demo_settings.toml"
    scheme = load_scheme(settings)
    write_example_returns(tmp_path / "returns", scheme)
    last = tmp_path / "last.xlsx"
    assert main(["merge", str(tmp_path / "returns"), "--settings", str(settings), "-o", str(last)]) == 1
    before = {e.name: e for e in read_previous(last).entries}
    assert before["Reducing re-offending"].rank == 2
    (tmp_path / "returns" / "probation.xlsx").unlink()
    now = tmp_path / "now.xlsx"
    main(["merge", str(tmp_path / "returns"), "--settings", str(settings), "-o", str(now),
          "--previous", str(last)])
    capsys.readouterr()
    _, header, body = table(openpyxl.load_workbook(now)["Summary"])
    moved = {r[1]: r[7] for r in body}
    assert moved["Domestic abuse"] == "same (was 1)"
    assert moved["Reducing re-offending"].startswith("\u25BC down")
    assert moved["Anti-social behaviour"] == "\u25B2 up 1 (was 3)"


def test_a_previous_file_that_is_not_a_ranked_workbook_is_said_and_the_ranking_goes_on(tmp_path, capsys):
    from csprisk.app.demo import write_example_returns
    from csprisk.scheme import Scheme

    returns = write_example_returns(tmp_path / "returns", Scheme())
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    status = main(["merge", *map(str, returns), "-o", str(tmp_path / "r.xlsx"), "--previous", str(other)])
    assert status == 1
    err = capsys.readouterr().err
    assert "has no Summary sheet" in err and "without movement" in err
    assert (tmp_path / "r.xlsx").exists()


# --- the executive's copy -----------------------------------------------------------------

@pytest.fixture
def ranked_file(result, tmp_path):
    path = tmp_path / "ranked.xlsx"
    write_report(build_report(result), path)
    return path


def test_export_keeps_only_the_executive_s_sheets_as_values_with_properties(ranked_file, tmp_path, capsys):
    out = tmp_path / "for_executive.xlsx"
    assert main(["export", str(ranked_file), "-o", str(out), "--author", "Jo Analyst",
                 "--marking", "OFFICIAL-SENSITIVE"]) == 0
    assert "Summary, Heatmap, Why it ranks here, Method" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [name for name in EXECUTIVE_SHEETS if name != "Scenarios"]  # none declared
    assert wb.properties.creator == "Jo Analyst"
    assert wb.properties.title.startswith("Anytown CSP")
    assert {p.name: p.value for p in wb.custom_doc_props.props}[MARKING_PROPERTY] == "OFFICIAL-SENSITIVE"
    for ws in wb.worksheets:
        assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE", ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
    # The chart and the numbers it plots come through.
    [chart] = wb["Summary"]._charts
    assert chart.series[0].val.numRef.f.startswith("'Summary'!$C$")
    names = zipfile.ZipFile(out).namelist()
    assert not any("vbaProject" in n or "externalLink" in n for n in names)
    original = openpyxl.load_workbook(ranked_file)
    assert rows_of(wb["Heatmap"]) == rows_of(original["Heatmap"])


def test_export_replaces_an_add_in_formula_by_its_saved_value_and_drops_names(tmp_path):
    from csprisk.excel.export import export_for_executive

    source = tmp_path / "from_the_add_in.xlsx"
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Summary"
    summary["A1"] = "Rank"
    summary["B1"] = "=CSPRISK_TOTAL(Scores!A1:P1)"
    summary["C1"] = "=SUM(1,2)"
    wb.create_sheet("Partner scores")["A1"] = "kept out"
    wb.defined_names["csprisk_scores"] = openpyxl.workbook.defined_name.DefinedName(
        "csprisk_scores", attr_text="'Partner scores'!$A$1")
    wb.save(source)
    # Excel saves the last calculated value beside each formula; add those as Excel would.
    # openpyxl leaves the value empty, as <v /> or <v></v> (its serializer, or lxml's).
    with zipfile.ZipFile(source) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for formula, value in (("CSPRISK_TOTAL(Scores!A1:P1)", "62.5"), ("SUM(1,2)", "3")):
        sheet = re.sub(f"<f>{re.escape(formula)}</f><v(?: ?/>|></v>)", f"<f>{formula}</f><v>{value}</v>", sheet)
    assert "<v>62.5</v>" in sheet and "<v>3</v>" in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(source, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)

    out = tmp_path / "copy.xlsx"
    exported = export_for_executive(source, out)
    assert exported.formulas_replaced == 2 and exported.blank_formulas == []
    assert exported.missing_sheets == ["Heatmap", "Why it ranks here", "Method"]
    copy = openpyxl.load_workbook(out)
    assert copy.sheetnames == ["Summary"]
    assert copy["Summary"]["B1"].value == 62.5 and copy["Summary"]["C1"].value == 3
    assert len(copy.defined_names) == 0
    assert b"CSPRISK" not in b"".join(zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist())


def test_export_refuses_what_is_not_a_ranked_workbook_and_a_macro_target(tmp_path, ranked_file, capsys):
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    assert main(["export", str(other), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "has no Summary sheet" in capsys.readouterr().err
    assert main(["export", str(ranked_file), "-o", str(tmp_path / "x.xlsm")]) == 2
    assert "must be an .xlsx file" in capsys.readouterr().err
    assert main(["export", str(ranked_file), "-o", str(ranked_file)]) == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_pdf_without_libreoffice_says_so_and_keeps_the_copy(ranked_file, tmp_path, monkeypatch, capsys):
    import csprisk.excel.export

    monkeypatch.setattr(csprisk.excel.export, "find_soffice", lambda: None)
    out = tmp_path / "for_executive.xlsx"
    assert main(["export", str(ranked_file), "-o", str(out), "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "No PDF was written: LibreOffice (soffice) is not installed" in err
    assert out.exists() and not out.with_suffix(".pdf").exists()


# --- printed by a real application --------------------------------------------------------

def require_tools():
    from conftest import require_soffice

    require_soffice()
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        if __import__("os").environ.get("CI"):
            pytest.fail("poppler-utils (pdftotext, pdfinfo) are required on CI")
        pytest.skip("poppler-utils (pdftotext, pdfinfo) are not installed")


def pdf_pages(pdf):
    """(width, height) in points of every page."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    sizes = []
    for line in info.splitlines():
        if line.startswith("Page") and "size:" in line:
            width, _, height = line.split("size:")[1].split()[:3]
            sizes.append((float(width), float(height)))
    return sizes


def page_text(pdf, page):
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def demo_ranked(tmp_path_factory):
    import csprisk
    from csprisk.app.demo import write_example_returns
    from csprisk.read.settings import load_scheme

    folder = tmp_path_factory.mktemp("demo")
    settings = Path(csprisk.__file__).parent / "app" / "demo_settings.toml"
    write_example_returns(folder / "returns", load_scheme(settings))
    ranked = folder / "ranked.xlsx"
    main(["merge", str(folder / "returns"), "--settings", str(settings), "-o", str(ranked)])
    return ranked


@pytest.mark.libreoffice
def test_the_exported_pdf_has_the_expected_pages_all_landscape_one_page_wide(demo_ranked, tmp_path, capsys):
    """By content, never by page index: which heading is on which page, whatever the fonts."""
    require_tools()
    out = tmp_path / "FOR_EXECUTIVE.xlsx"
    assert main(["export", str(demo_ranked), "-o", str(out), "--pdf"]) == 0
    assert "Wrote the PDF to" in capsys.readouterr().out
    pdf = out.with_suffix(".pdf")
    sizes = pdf_pages(pdf)
    assert 5 <= len(sizes) <= 9
    assert all(w == pytest.approx(842, abs=1) and h == pytest.approx(595, abs=1) for w, h in sizes)
    texts = [page_text(pdf, page) for page in range(1, len(sizes) + 1)]

    def page_of(words):
        return next(i for i, text in enumerate(texts, 1) if words in text)

    first = texts[0]
    for word in ("OFFICIAL", f"Page 1 of {len(sizes)}", "Anytown Community Safety Partnership", "Rank", "Recommended",
                 "Domestic abuse", "Deliberate fires", "Total score (out of 80)"):
        assert word in first, word
    # The Summary's table and chart, then its watch list; then each sheet in the export's order.
    order = [page_of(words) for words in ("ranked priorities", "Watch list: the next", "scores by criterion",
                                           "why each recommended priority", "what-if scenarios",
                                           "how this ranking was made")]
    assert order == sorted(order) and order[0] == 1 and order[1] == 2
    assert len(set(order[1:])) == len(order) - 1  # each sheet starts a page of its own


@pytest.mark.libreoffice
def test_a_long_summary_prints_one_page_wide_with_every_column_on_every_page(tmp_path):
    require_tools()
    from conftest import soffice_convert
    from csprisk.report.model import Report

    returns = [ret("A", *[scored(f"Issue {n:02d}", flat(n % 6, c0=n % 4)) for n in range(60)]),
               ret("B", *[scored(f"Issue {n:02d}", flat((n + 1) % 6)) for n in range(60)])]
    summary = executive_sheets(merged(returns))[0]
    path = tmp_path / "summary.xlsx"
    write_report(Report([summary], marking="OFFICIAL", footer="Anytown CSP"), path)
    pdf = soffice_convert(path, "pdf", tmp_path / "pdf")
    sizes = pdf_pages(pdf)
    assert len(sizes) >= 2 and all(w > h for w, h in sizes)
    issues_seen, full = set(), None
    for page in range(1, len(sizes) + 1):
        text = page_text(pdf, page)
        listed = {f"Issue {n:02d}" for n in range(60) if f"Issue {n:02d}" in text}
        full = page if full is None and "Full ranking: all 60 priorities" in text else full
        if full is not None:
            # a page of the full ranking: the header row is repeated and its last column is on the page
            assert "Rank" in text and "Recommended" in text and "% of" in text, page
        elif page > 1:  # the watch list and prose: the ranking's header never sits above them
            assert "% of" not in text, page
        issues_seen |= listed
    assert full is not None and issues_seen == {f"Issue {n:02d}" for n in range(60)}


# --- edge cases ---------------------------------------------------------------------------

@pytest.mark.parametrize("returns, scheme", [
    ([], SCHEME),
    ([ret("Police", scored("Domestic abuse", flat(4)))], SCHEME),
    (scenario_returns(), Scheme(top_n=0)),
    (scenario_returns(), Scheme(top_n=4)),  # the cut-off falls in a tie: both =4 recommended
    ([ret("A", scored("Zero", flat(0)))], SCHEME),
])
def test_odd_assessments_still_make_every_sheet(returns, scheme, tmp_path):
    result = merged(returns, scheme)
    path = write_report(build_report(result), tmp_path / "ranked.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [name for name in REPORT_SHEETS if name != "Scenarios"]  # no scenarios declared
    if not returns:
        assert any("No priorities could be ranked" in t for t in texts(book["Summary"]))
    if len(returns) == 1:
        assert any("Only one return was merged" in t for t in texts(book["Stability"]))
    if scheme.top_n == 4:
        _, _, body = table(book["Summary"])
        assert [r[-1] for r in body].count("Recommended") == 5


def test_single_partner_priority_is_explained_without_a_second_view():
    result = merged([ret("Police", scored("Domestic abuse", flat(4)))])
    [why] = [s for s in executive_sheets(result) if s.name == "Why it ranks here"]
    text = " ".join(str(c.value) for c in why.cells.values())
    assert "Police (64) only: one partner's view" in text
    assert "A single return, so its place cannot be tested." in text


def test_the_summary_names_at_most_five_partners_whose_absence_changes_the_recommended_set():
    from csprisk.report.firmness import LeaveOneOut, Stability, stability_sentences

    runs = tuple(LeaveOneOut(f"Partner {i}", (), ("Domestic abuse",), ("Hate crime",)) for i in range(8))
    runs += (LeaveOneOut("Quiet partner", (), (), ()),)
    stability = Stability(runs, ())
    summary = stability_sentences(stability, Scheme(), limit=5)
    assert summary[0].startswith("The recommended top 3 depends on single partners: 8 of 9 re-rankings")
    assert [line.split("'")[0] for line in summary[1:6]] == [f"Without Partner {i}" for i in range(5)]
    assert summary[6] == ("Leaving out any of 3 other partners' returns changes it too: each is listed on the "
                          "Stability sheet of the ranked workbook.")
    assert len(stability_sentences(stability, Scheme())) == 9  # the Stability sheet names them all


def test_a_big_roll_up_counts_partners_in_a_disagreement_cell_instead_of_listing_a_thousand():
    from csprisk.report import measure
    from csprisk.report.delivery import _every_score, _names_in

    few = [("Police", 1.0), ("Council", 5.0)]
    assert _every_score(few) == "Police 1, Council 5"
    dozen = [(f"Partner {i}", float(i % 2)) for i in range(12)]
    assert _every_score(dozen) == "0 by 6, 1 by 6"
    many = [(f"Partner {i}", float(i % 3)) for i in range(1000)]
    assert _every_score(many) == "0 by 334, 1 by 333, 2 by 333"
    names = [f"P{i}" for i in range(1000)]
    assert _names_in(names, 40) == "P0, P1, P2 and 997 more"
    assert _names_in(names[:2], 40) == "P0 and P1"
    # A name too long for the column's one line is shortened at a word, with how many more.
    long = ["Greater Anytown Police Neighbourhood and Partnerships Command", "Council"]
    assert _names_in(long, 44) == "Greater Anytown Police\u2026 and 1 more"
    assert _names_in(long[:1], 44) == "Greater Anytown Police Neighbourhood and\u2026"
    assert all(measure.lines(_names_in(names, 44), 44) == 1 for names in (long, long[:1]))
