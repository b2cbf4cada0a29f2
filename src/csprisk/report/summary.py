"""The Summary: what the executive reads first. Page one has the recommended priorities,
the top of the ranking and the chart; then the watch list, how firm the ranking is and the
notes; a long ranking ends the sheet in full under its own header."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from csprisk.marks import CRITERIA_APART, HEATMAP, SCENARIOS, SUMMARY
from csprisk.report import measure
from csprisk.report.firmness import (
    DISAGREEMENT_POINTS,
    NEAR_TIE_POINTS,
    close_call_sentences,
    gap,
    stability_sentences,
)
from csprisk.report.model import LINE_HEIGHT, NAVY, STYLES, BarChart, Cell, Sheet, lines_needed
from csprisk.report.sheets import heading
from csprisk.report.sheets import summary_notes as ranking_notes
from csprisk.report.view import (
    NAMED_IN_A_SENTENCE,
    WATCH_LIST_SIZE,
    ExecutiveView,
    bounded,
    cut,
    merge_across,
    paragraph,
    printed_height,
)
from csprisk.scheme import figure, format_number, priority_key, stored
from csprisk.score.assess import RankedPriority
from csprisk.score.merge import MERGED, MergeResult
from csprisk.words import join_and, join_or, moves, plural, possessive

#: Summary margins in inches (left, right, top, bottom): room for the table and chart on page one.
SUMMARY_MARGINS = (0.4, 0.4, 0.6, 0.45)
#: Printable height of an A4 landscape page with those margins, in points (at 100%).
PAGE_HEIGHT_POINTS = 595 - 72 * (SUMMARY_MARGINS[2] + SUMMARY_MARGINS[3])
#: The Summary's chart: at most this many bars (a partnership may score 100+ issues), and
#: its height in cm: a frame for titles and axis, plus a band per bar.
CHART_MAX_BARS = 20
CHART_FRAME_CM, CHART_BAR_CM = 2.4, 0.55



#: A ranking of up to this many priorities is one table on page one, above the chart; a
#: longer one shows its top (the recommended and the watch list) there, and the full
#: ranking ends the sheet under its own header.
WHOLE_RANKING_ON_PAGE_ONE = 12
#: Chart bars are at least this tall (cm), so that each is labelled in type that can be read.
CHART_MIN_BAR_CM = 0.5
#: Chart labels ("3. Domestic abuse across the…") are shortened to this many points of 10 pt type.
CHART_LABEL_POINTS = 230.0
#: The Summary's widest table, in column units: fitted to the page's width it prints at about
#: 10 pt, and long names keep to one line.
SUMMARY_MAX_UNITS = 160
#: A4 landscape's printable width with the Summary's margins, in points.
PAGE_WIDTH_POINTS = 842 - 72 * (SUMMARY_MARGINS[0] + SUMMARY_MARGINS[1])


def summary_sheet(view: ExecutiveView) -> Sheet:
    """Page one: what is recommended, who returned, the top of the ranking and the chart.
    Then the watch list, how firm the ranking is and the notes, from a new page; and a long
    ranking in full at the end, its header repeated on each of its pages (print titles
    repeat from the header's own page on, so nothing before it sits under them)."""
    result, scheme, ranking = view.result, view.scheme, view.ranking
    sheet = Sheet(SUMMARY, tab_colour=NAVY, margins=SUMMARY_MARGINS)
    with_movement = view.previous is not None
    columns = ["Rank", "Priority", f"Total (out of {format_number(scheme.max_total)})", "% of maximum",
               "Band", "Partners", "Not known"]
    widths = [6.5, 38.0, 10.0, 9.0, 8.0, 9.0, 8.0]
    if with_movement:
        columns += ["Since last time", "Change in total"]
        widths += [17.0, 9.0]
    columns.append("Recommended")
    widths.append(13.0)
    # The priority column holds the longest name on one line where the page allows.
    longest = max((measure.text_units(p.name, bold=p.recommended) for p in ranking), default=0.0)
    widths[1] = max(38.0, min(longest + 1, SUMMARY_MAX_UNITS - (sum(widths) - widths[1])))
    sheet.column_widths = dict(enumerate(widths))
    last_col = len(columns) - 1

    heading(sheet, result, "ranked priorities")
    sheet.row_heights[0] = measure.row_points(1, STYLES["title"].size or 16)
    recommended = [p.name for p in ranking if p.recommended]
    paragraph(sheet, f"Recommended priorities (top {scheme.top_n}): "
              + (bounded(recommended, "; ", "(see the table below)") or "none"), "heading", last=last_col)
    paragraph(sheet, who_returned(result), "paragraph", last=last_col)
    if view.previous is not None:
        described = f" ({view.previous.described})" if view.previous.described else ""
        paragraph(sheet, f"Since last time: compared with {Path(view.previous.source).name}{described}.",
                  "note-wrap", last=last_col)
    sheet.skip()

    whole = len(ranking) <= WHOLE_RANKING_ON_PAGE_ONE
    top = ranking if whole else [p for p in ranking if p.recommended or p in view.watch_list]
    # The full ranking's header is "Rank | Priority | Total": the one a later run reads its
    # movement from (read.previous), so the top of a long ranking is headed otherwise.
    header = sheet.add_row(columns if whole else ["Rank", "Top of the ranking", *columns[2:]], "header")
    sheet.row_heights[header] = 30
    for p in top:
        _ranking_row(sheet, p, view)
    if not ranking:
        sheet.add_row(["No priorities could be ranked: no return had usable scores. "
                       "See the Validation sheet of the full ranked workbook."], "note")
    elif not whole:
        paragraph(sheet, f"The top {len(top)} of {len(ranking)}: the full ranking is at the end of this sheet.",
                  "note-wrap", last=last_col)
    sheet.skip()

    if ranking:
        _chart(sheet, view, widths)

    if view.watch_list:
        sheet.add_row([f"Watch list: the next {len(view.watch_list)} below the cut-off, kept under review"],
                      "heading")
        row = sheet.add_row(["Rank", "On the watch list", "Total", "Gap to cut-off", "Why watch it"], "header")
        sheet.row_heights[row] = 30
        merge_across(sheet, row, 4, last_col, "header")
        reason_width = sum(widths[4:])
        for p in view.watch_list:
            reason = watch_reason(p, view)
            row = sheet.add_row([Cell(p.rank_label, "watch-rank"), Cell(p.name, "watch"),
                                 Cell(stored(p.total), "watch-total"),
                                 Cell(gap(view.cut_off.total, p.total) if view.cut_off else None, "watch-gap"),
                                 Cell(reason, "watch-why")])
            merge_across(sheet, row, 4, last_col, "watch-why")
            sheet.row_heights[row] = measure.row_points(max(lines_needed(reason, reason_width),
                                                            lines_needed(p.name, widths[1])))
        sheet.skip()

    sheet.add_row(["How firm is this ranking"], "heading")
    for text in firmness_lines(view):
        paragraph(sheet, text, "paragraph", last=last_col)
    sheet.skip()
    sheet.add_row(["Notes"], "heading")
    for text in summary_notes(view):
        paragraph(sheet, text, "note-wrap", last=last_col)

    full_header = header
    if not whole:
        sheet.skip()
        sheet.page_breaks.append(sheet.next_row)
        sheet.add_row([f"Full ranking: all {len(ranking)} priorities"], "heading")
        full_header = sheet.add_row(columns, "header")
        sheet.row_heights[full_header] = 30
        for p in ranking:
            _ranking_row(sheet, p, view)
    if view.dropped:
        paragraph(sheet, "Ranked last time but not scored this time: "
                  + bounded([f"{m.name} (was {before.rank_label}, {figure(before.total)})"
                             for m in view.dropped if (before := m.previous) is not None], "; ",
                            "(see the previous ranking)") + ".",
                  "note-wrap", last=last_col)

    sheet.freeze = f"A{header + 2}"
    # A long ranking's header repeats on each of its pages; print titles repeat from the
    # header's own page on, so the watch list and prose before it never sit under it.
    if not whole:
        sheet.print_title_rows = f"{full_header + 1}:{full_header + 1}"
    return sheet


def _ranking_row(sheet: Sheet, p: RankedPriority, view: ExecutiveView) -> int:
    cells = [
        Cell(p.rank_label, cut("rank", p, view)),
        Cell(p.name, cut("recommended" if p.recommended else "text", p, view)),
        Cell(stored(p.total), cut("total", p, view)),
        Cell(round(p.percent, 4), cut("percent", p, view)),
        Cell(p.band, cut(f"band-{p.band}", p, view)),
        Cell(len(p.partners), cut("center", p, view)),
        Cell(p.not_known, cut("center", p, view)),
    ]
    if view.previous is not None:
        move = view.movement(p)
        cells += [Cell(move.words if move else None, cut("movement", p, view)),
                  Cell(move.total_change if move else None, cut("change", p, view))]
    status = "Recommended" if p.recommended else "Watch list" if p in view.watch_list else ""
    cells.append(Cell(status, cut("recommended" if p.recommended else "center", p, view)))
    row = sheet.add_row(cells)
    # Its height now, not when fit_text wraps the name: the chart's page is planned from it.
    needed = lines_needed(p.name, sheet.column_widths[1], bold=p.recommended)
    if needed > 1:
        sheet.row_heights[row] = measure.row_points(needed)
    return row


def _chart(sheet: Sheet, view: ExecutiveView, widths: Sequence[float]) -> None:
    """The top of the ranking as bars, never split across pages: as many as page one has
    room for at a legible size (at most CHART_MAX_BARS), or a page of its own. Each bar is
    labelled with its rank and its name, shortened with an ellipsis to one line; the labels
    and totals it plots sit in the cells under it, in white."""
    scheme, ranking = view.scheme, view.ranking
    chart_row = sheet.next_row
    # Fitted to the page's width, the sheet prints at `scale`: a page holds more of its points.
    scale = min(1.0, PAGE_WIDTH_POINTS / (sum(widths) * measure.UNIT_POINTS))
    page = PAGE_HEIGHT_POINTS / scale
    above = printed_height(sheet, chart_row) % page
    room_cm = (page - above - LINE_HEIGHT) * 2.54 / 72
    most = min(len(ranking), CHART_MAX_BARS)
    bars = min(most, int((room_cm - CHART_FRAME_CM) / CHART_MIN_BAR_CM))
    if bars < min(most, 5):  # too little room left on this page: a page of its own
        sheet.page_breaks.append(chart_row)
        room_cm = (page - LINE_HEIGHT) * 2.54 / 72
        bars = min(most, int((room_cm - CHART_FRAME_CM) / CHART_MIN_BAR_CM))
    bar_cm = min(CHART_BAR_CM, (room_cm - CHART_FRAME_CM) / bars)
    height_cm = CHART_FRAME_CM + bar_cm * bars
    chart_rows = max(math.ceil(height_cm * 72 / 2.54 / LINE_HEIGHT), bars + 1)
    for i, p in enumerate(ranking[:bars]):
        label = measure.shorten(f"{p.rank_label}. {p.name}", CHART_LABEL_POINTS, 10)
        sheet.put(chart_row + i, 1, label, "chart-data")
        sheet.put(chart_row + i, 2, stored(p.total), "chart-data")
    cut_words = (f"dark bars are the recommended top {scheme.top_n}, light bars are below the cut-off"
                 if view.cut_off else "no priority is recommended")
    shown = ("in rank order" if bars == len(ranking) else
             f"the top {bars} of {len(ranking)} (all {len(ranking)} are in the full ranking)")
    sheet.charts.append(BarChart(
        title=f"Total score (out of {format_number(scheme.max_total)}), {shown}",
        categories=f"B{chart_row + 1}:B{chart_row + bars}", values=f"C{chart_row + 1}:C{chart_row + bars}",
        anchor=f"A{chart_row + 1}", y_title=cut_words[0].upper() + cut_words[1:], y_max=scheme.max_total,
        width_cm=min(26.0, sum(widths) * measure.UNIT_POINTS * 2.54 / 72), height_cm=height_cm,
        highlight_count=min(bars, sum(1 for p in ranking if p.recommended)), horizontal=True))
    # Reserve the chart's rows so nothing prints under it and the print area covers it.
    sheet.put(chart_row + chart_rows, 0, None, "")
    sheet.next_row = chart_row + chart_rows + 1
    sheet.page_breaks.append(sheet.next_row)



def who_returned(result: MergeResult) -> str:
    """Which partners returned a matrix and, when the settings list the partners, which did not."""
    merged = [s.partner for s in result.statuses if s.status == MERGED]
    expected = result.scheme.partners
    if not expected:
        return f"Returns merged ({len(merged)}): {bounded(merged, where='(see the Method sheet)') or 'none'}."
    got = {priority_key(name) for name in merged}
    missing = [name for name in expected if priority_key(name) not in got]
    returned = [name for name in expected if priority_key(name) in got]
    others = [name for name in merged if priority_key(name) not in {priority_key(e) for e in expected}]
    if len(expected) == 1:
        text = (f"Returned by {returned[0]}, the one partner listed." if returned else
                f"The one partner listed, {expected[0]}, has not returned.")
    elif len(returned) == len(expected) > NAMED_IN_A_SENTENCE:
        text = f"Returned by all {len(expected)} listed partners (each is on the Method sheet)."
    else:
        text = (f"Returned by {len(returned)} of {len(expected)} partners: "
                f"{bounded(returned, where='(see the Method sheet)') or 'none'}.")
    if others:
        text += f" Also merged: {bounded(others, where='(see the Method sheet)')}."
    if missing and len(expected) > 1:
        text += f" Not returned: {bounded(missing)}."
    elif 1 < len(expected) <= NAMED_IN_A_SENTENCE:
        text += " Every listed partner returned."
    return text


def confidence_sentences(view: ExecutiveView) -> list[str]:
    """A recommended or watch-list priority whose scores rest mostly on Low confidence."""
    sentences = []
    for p in view.ranking:
        if (p.recommended or p in view.watch_list) and p.mostly_low_confidence:
            where = "recommended" if p.recommended else "on the watch list"
            sentences.append(f"{p.name} is {where}, but its scores rest mostly on Low confidence: "
                             f"{p.confidence['low']} of {plural(len(p.by_partner), 'partner')} rated "
                             f"{'its scores' if len(p.by_partner) == 1 else 'theirs'} an estimate. Check the "
                             "evidence before relying on its place.")
    return sentences


def scenario_sentences(result: MergeResult, on_scenarios_sheet: bool = False) -> list[str]:
    """Whether the recommended set changes under any of the settings' what-if scenarios (the
    Scenarios sheet itself never sends its reader to the Scenarios sheet)."""
    scenarios = result.assessment.scenarios
    if not scenarios:
        return []
    base = {p.name for p in result.assessment.ranking if p.recommended}
    changes = []
    for scenario, ranking in scenarios:
        chosen = {p.name for p in ranking if p.recommended}
        came = [p.name for p in ranking if p.recommended and p.name not in base]
        went = [p.name for p in result.assessment.ranking if p.recommended and p.name not in chosen]
        if came or went:
            changes.append(f'under "{scenario.name}", {" and ".join(moves(came, went))}')
    names = join_and([f'"{s.name}"' for s, _ in scenarios])
    every = "the what-if scenario" if len(scenarios) == 1 else "every what-if scenario"
    if not changes:
        see = "." if on_scenarios_sheet else f": see the {SCENARIOS} sheet."
        return [f"The recommended priorities stay the same under {every} ({names}){see}"]
    see = "." if on_scenarios_sheet else f" (see the {SCENARIOS} sheet)."
    which = "The what-if scenario changes" if len(scenarios) == 1 else "The what-if scenarios change"
    return [f"{which} the recommended priorities: {'; '.join(changes)}{see}"]



def watch_reason(priority: RankedPriority, view: ExecutiveView) -> str:
    reasons = []
    if view.cut_off is not None and gap(view.cut_off.total, priority.total) <= NEAR_TIE_POINTS:
        reasons.append(f"within {format_number(NEAR_TIE_POINTS)} points of the cut-off")
    rank_range = view.stability.range_of(priority.key)
    if rank_range and rank_range.recommended_runs:
        who = [run.partner for run in view.stability.runs if priority.name in run.came_in]
        reasons.append(f"recommended if {join_or([possessive(w) for w in who])} return is left out" if who
                       else "recommended in some re-rankings")
    move = view.movement(priority)
    if move is not None and move.status == "up":
        reasons.append(f"rising: up {move.rank_change} since last time")
    elif move is not None and move.status == "new":
        reasons.append("new since last time")
    if len(priority.partners) == 1:
        reasons.append(f"scored by {priority.partners[0]} only")
    text = "; ".join(reasons) or "next below the cut-off"
    return text[0].upper() + text[1:] + "."


#: Partners named on the Summary whose absence changes the recommended set; more are on Stability.
SUMMARY_STABILITY_LINES = 5


def firmness_lines(view: ExecutiveView) -> list[str]:
    near_top = view.scheme.top_n + WATCH_LIST_SIZE  # the ranks page one shows
    lines = close_call_sentences(view.ranking, view.scheme, names=NAMED_IN_A_SENTENCE, groups_near=near_top,
                                 see=HEATMAP)
    lines += confidence_sentences(view)
    lines += scenario_sentences(view.result)
    lines += stability_sentences(view.stability, view.scheme, limit=SUMMARY_STABILITY_LINES)
    wide = [(p, s) for p in view.ranking for s in view.splits(p)]
    if wide:
        priorities = len({p.key for p, _ in wide})
        lines.append(f"Partners differ by {format_number(DISAGREEMENT_POINTS)} or more points on {len(wide)} "
                     f"criterion score{'s' if len(wide) != 1 else ''} across {priorities} "
                     f"priorit{'ies' if priorities != 1 else 'y'}: listed on the {CRITERIA_APART} sheet of the "
                     "ranked workbook "
                     "for the Operational Delivery Group.")
    else:
        lines.append(f"No two partners differ by {format_number(DISAGREEMENT_POINTS)} or more points on any "
                     "criterion they both scored.")
    return lines


def summary_notes(view: ExecutiveView) -> list[str]:
    return ranking_notes(view.result)
