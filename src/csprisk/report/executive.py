"""Assessment -> the executive's sheets: Summary, Heatmap, Why it ranks here, Scenarios,
Disagreement, Criteria apart and Stability, as plain report data.

The facts come from firmness.py (drivers, disagreement, close calls, stability) and
previous.py (movement since last time); this module only lays them out, in words the
Community Safety Executive reads at a glance and can print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from csprisk.grid import column_letter
from csprisk.marks import CRITERIA_APART, DISAGREEMENT, HEATMAP, SCENARIOS, STABILITY, SUMMARY, WHY
from csprisk.read.previous import PreviousRanking
from csprisk.report import measure
from csprisk.report.firmness import (
    DISAGREEMENT_POINTS,
    DRIVER_COUNT,
    NEAR_TIE_POINTS,
    Split,
    Stability,
    close_call_sentences,
    close_groups,
    drivers,
    gap,
    splits,
    stability,
    stability_sentences,
    total_spread,
)
from csprisk.report.model import LINE_HEIGHT, NAVY, STYLES, BarChart, Cell, ColourScale, Sheet, lines_needed
from csprisk.report.sheets import heading
from csprisk.report.sheets import summary_notes as ranking_notes
from csprisk.scheme import figure, format_number, percent_figure, priority_key, stored, whole_or_figure
from csprisk.score.assess import RankedPriority
from csprisk.score.merge import MERGED, MergeResult
from csprisk.score.movement import Movement, movements
from csprisk.words import join_and, join_or, moves, plural, possessive

#: How many priorities below the cut-off the watch list shows.
WATCH_LIST_SIZE = 3
#: Summary margins in inches (left, right, top, bottom): room for the table and chart on page one.
SUMMARY_MARGINS = (0.4, 0.4, 0.6, 0.45)
#: Printable height of an A4 landscape page with those margins, in points (at 100%).
PAGE_HEIGHT_POINTS = 595 - 72 * (SUMMARY_MARGINS[2] + SUMMARY_MARGINS[3])
#: The Summary's chart: at most this many bars (a partnership may score 100+ issues), and
#: its height in cm: a frame for titles and axis, plus a band per bar.
CHART_MAX_BARS = 20
CHART_FRAME_CM, CHART_BAR_CM = 2.4, 0.55


class ExecutiveView:
    """Everything the executive's sheets share, worked out once per report."""

    def __init__(self, result: MergeResult, previous: PreviousRanking | None = None) -> None:
        self.result = result
        self.scheme = result.scheme
        self.ranking = result.assessment.ranking
        self.previous = previous
        self.stability: Stability = stability(result.assessment)
        if previous is not None:
            self.moved, self.dropped = movements(self.ranking, previous, self.scheme)
        else:
            self.moved, self.dropped = {}, ()
        recommended = [p for p in self.ranking if p.recommended]
        self.cut_off = recommended[-1] if recommended else None
        below = [p for p in self.ranking if not p.recommended]
        self.watch_list = tuple(below[:WATCH_LIST_SIZE])
        self._splits: dict[str, tuple[Split, ...]] = {}

    def movement(self, priority: RankedPriority) -> Movement | None:
        return self.moved.get(priority.key)

    def splits(self, priority: RankedPriority) -> tuple[Split, ...]:
        """firmness.splits, worked out once per priority (three sheets ask for them)."""
        if priority.key not in self._splits:
            self._splits[priority.key] = splits(priority, self.scheme)
        return self._splits[priority.key]


# --- shared layout ------------------------------------------------------------------------

def paragraph(sheet: Sheet, text: str, style: str = "paragraph", first: int = 0, last: int | None = None,
              label: str | None = None) -> int:
    """Wrapped text across columns `first`..`last` (merged), with a row tall enough to show it
    all, since neither Excel nor a printer grows a row for merged wrapped text."""
    last = sheet.width - 1 if last is None else last
    row = sheet.next_row
    if label is not None:
        sheet.put(row, first - 1, label, "label-top")
    sheet.put(row, first, text, style)
    if last > first:
        sheet.merged.append(f"{column_letter(first)}{row + 1}:{column_letter(last)}{row + 1}")
    width = sum(sheet.column_widths.get(c, 8.43) for c in range(first, last + 1))
    shape = STYLES[style]
    size = shape.size or measure.DEFAULT_SIZE
    sheet.row_heights[row] = measure.row_points(lines_needed(text, width, size, shape.bold), size)
    sheet.next_row += 1
    return row


def _points(value: float) -> str:
    return f"{figure(value)} point{'' if figure(value) == '1' else 's'}"


def _cut(style: str, priority: RankedPriority, view: ExecutiveView) -> str:
    """The style with a rule below when this is the last recommended row (the cut-off)."""
    return f"{style}-cut" if view.cut_off is priority and len(view.ranking) > 1 + view.ranking.index(priority) else style


# --- Summary ------------------------------------------------------------------------------

#: A ranking of up to this many priorities is one table on page one, above the chart; a
#: longer one shows its top (the recommended and the watch list) there, and the full
#: ranking ends the sheet under its own header.
WHOLE_RANKING_ON_PAGE_ONE = 12
#: Chart bars are at least this tall (cm), so that each is labelled in type that can be read.
CHART_MIN_BAR_CM = 0.5
#: Chart labels ("3. Domestic abuse across the…") are shortened to this many points of 10 pt type.
CHART_LABEL_POINTS = 230.0
#: A sentence of the Summary names at most this many priorities or partners, then "and N more".
NAMED_IN_A_SENTENCE = 5
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
        _merge_across(sheet, row, 4, last_col, "header")
        reason_width = sum(widths[4:])
        for p in view.watch_list:
            reason = watch_reason(p, view)
            row = sheet.add_row([Cell(p.rank_label, "watch-rank"), Cell(p.name, "watch"),
                                 Cell(stored(p.total), "watch-total"),
                                 Cell(gap(view.cut_off.total, p.total) if view.cut_off else None, "watch-gap"),
                                 Cell(reason, "watch-why")])
            _merge_across(sheet, row, 4, last_col, "watch-why")
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
                  + bounded([f"{m.name} (was {m.previous.rank_label}, {figure(m.previous.total)})"
                             for m in view.dropped], "; ", "(see the previous ranking)") + ".",
                  "note-wrap", last=last_col)

    sheet.freeze = f"A{header + 2}"
    # A long ranking's header repeats on each of its pages; print titles repeat from the
    # header's own page on, so the watch list and prose before it never sit under it.
    if not whole:
        sheet.print_title_rows = f"{full_header + 1}:{full_header + 1}"
    return sheet


def _ranking_row(sheet: Sheet, p: RankedPriority, view: ExecutiveView) -> int:
    cells = [
        Cell(p.rank_label, _cut("rank", p, view)),
        Cell(p.name, _cut("recommended" if p.recommended else "text", p, view)),
        Cell(stored(p.total), _cut("total", p, view)),
        Cell(round(p.percent, 4), _cut("percent", p, view)),
        Cell(p.band, _cut(f"band-{p.band}", p, view)),
        Cell(len(p.partners), _cut("center", p, view)),
        Cell(p.not_known, _cut("center", p, view)),
    ]
    if view.previous is not None:
        move = view.movement(p)
        cells += [Cell(move.words, _cut("movement", p, view)),
                  Cell(move.total_change, _cut("change", p, view))]
    status = "Recommended" if p.recommended else "Watch list" if p in view.watch_list else ""
    cells.append(Cell(status, _cut("recommended" if p.recommended else "center", p, view)))
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
    above = _printed_height(sheet, chart_row) % page
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
    shown = "in rank order" if bars == len(ranking) else f"the top {bars} of {len(ranking)} (all {len(ranking)} are in the full ranking)"
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


def bounded(names: Sequence[str], separator: str = ", ", where: str = "", limit: int = NAMED_IN_A_SENTENCE) -> str:
    """Up to `limit` names joined, then "and N more" and where to find them: a sentence never
    grows with the size of the partnership."""
    if len(names) <= limit:
        return separator.join(names) if separator != ", " else join_and(list(names))
    more = len(names) - limit
    return f"{separator.join(names[:limit])}{separator}and {more} more{' ' + where if where else ''}"


def _merge_across(sheet: Sheet, row: int, first: int, last: int, style: str) -> None:
    for col in range(first + 1, last + 1):
        sheet.put(row, col, None, style)
    if last > first:
        sheet.merged.append(f"{column_letter(first)}{row + 1}:{column_letter(last)}{row + 1}")


def _printed_height(sheet: Sheet, rows: int) -> float:
    """Points from the top of the sheet (or of its last manual page break) to the top of
    0-based row `rows`, at 100% scale."""
    start = max((b for b in sheet.page_breaks if b <= rows), default=0)
    return sum(sheet.row_heights.get(r, LINE_HEIGHT) for r in range(start, rows))


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
    if len(returned) == len(expected) > NAMED_IN_A_SENTENCE:
        text = f"Returned by all {len(expected)} listed partners (each is on the Method sheet)."
    else:
        text = (f"Returned by {len(returned)} of {len(expected)} partners: "
                f"{bounded(returned, where='(see the Method sheet)') or 'none'}.")
    if others:
        text += f" Also merged: {bounded(others, where='(see the Method sheet)')}."
    if missing:
        text += f" Not returned: {bounded(missing)}."
    elif len(expected) <= NAMED_IN_A_SENTENCE:
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


def scenario_sentences(result: MergeResult) -> list[str]:
    """Whether the recommended set changes under any of the settings' what-if scenarios."""
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
    if not changes:
        return [f"The recommended priorities stay the same under every what-if scenario ({names}): see the "
                f"{SCENARIOS} sheet."]
    return [f"The what-if scenarios change the recommended priorities: {'; '.join(changes)} (see the "
            f"{SCENARIOS} sheet)."]


def scenarios_sheet(view: ExecutiveView) -> Sheet:
    """Each priority's rank and total under the scheme and under each what-if scenario, the
    recommended set of each shaded, and in words whether the recommended set changes."""
    result, scheme = view.result, view.scheme
    scenarios = result.assessment.scenarios
    sheet = Sheet(SCENARIOS)
    columns = 4 + 2 * len(scenarios)
    sheet.column_widths = {0: 36, 1: 9, 2: 11, **{3 + i: 11 for i in range(2 * len(scenarios))}, columns - 1: 11}
    heading(sheet, result, "what-if scenarios")
    paragraph(sheet, "The same combined scores ranked with the weights each scenario gives (criteria it does not "
              "name keep the scheme's weight), with the same tie rule and the same top "
              f"{scheme.top_n}. Shaded: recommended under that weighting.", "note-wrap", last=columns - 1)
    for line in scenario_sentences(result):
        paragraph(sheet, line, "paragraph", last=columns - 1)
    sheet.skip()
    for scenario, _ in scenarios:
        changed = "; ".join(f"{label} \u00d7{format_number(weight)}" for label, weight in scenario.changed(scheme))
        paragraph(sheet, f"{scenario.name}: {changed or 'the scheme weights'}.", "note-wrap", last=columns - 1)
    sheet.skip()
    m = format_number(scheme.max_total)
    names = ["Priority", "Rank", f"Total (out of {m})"]
    for scenario, ranking in scenarios:
        names += [f"{scenario.name}: rank", f"{scenario.name}: total (out of {format_number(ranking[0].max_total) if ranking else m})"]
    header = sheet.add_row(names, "header")
    sheet.row_heights[header] = 45
    placed = [{p.key: p for p in ranking} for _, ranking in scenarios]
    for p in view.ranking:
        cells = [Cell(p.name, "recommended" if p.recommended else "text"),
                 Cell(p.rank_label, "rank-recommended" if p.recommended else "rank"), Cell(stored(p.total), "total")]
        for by_key in placed:
            q = by_key[p.key]
            cells += [Cell(q.rank_label, "rank-recommended" if q.recommended else "rank"), Cell(stored(q.total), "total")]
        sheet.add_row(cells)
    sheet.freeze = f"B{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


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
                     f"priorit{'ies' if priorities != 1 else 'y'}: listed on the {CRITERIA_APART} sheet of the ranked workbook "
                     "for the Operational Delivery Group.")
    else:
        lines.append(f"No two partners differ by {format_number(DISAGREEMENT_POINTS)} or more points on any "
                     "criterion they both scored.")
    return lines


def summary_notes(view: ExecutiveView) -> list[str]:
    return ranking_notes(view.result)


# --- Heatmap ------------------------------------------------------------------------------

def heatmap_sheet(view: ExecutiveView) -> Sheet:
    scheme, ranking = view.scheme, view.ranking
    sheet = Sheet(HEATMAP)
    n = len(scheme.criteria)
    total_col = 2 + n
    sheet.column_widths = {0: 6, 1: 36, **{2 + i: 5.2 for i in range(n)}, total_col: 9, total_col + 1: 11}
    heading(sheet, view.result, "scores by criterion")
    paragraph(sheet, f"Combined scores from 0 to {scheme.scale_max}: the darker the cell, the higher the "
              f"score. The {DRIVER_COUNT} criteria adding most to each priority's total are in bold with a "
              "heavy box (on equal scores, the earlier criterion). \u2013 means no partner gave a usable score. Priorities in rank order; the line "
              "marks the cut-off. PESTELO: the factors partners tagged the priority with (Political, Economic or "
              "Environmental, Social, Technological, Legal, Organisational).", "note-wrap", last=total_col + 1)
    sheet.skip()
    header = sheet.add_row(["Rank", "Priority"] + [f"{i}. {c.label}" for i, c in enumerate(scheme.criteria, 1)]
                           + [f"Total (out of {format_number(scheme.max_total)})", "PESTELO"],
                           ["header", "header"] + ["header-rotated"] * n + ["header", "header"])
    sheet.row_heights[header] = 150
    first = sheet.next_row
    for p in ranking:
        top = {d.index for d in drivers(p, scheme)}
        cells = [Cell(p.rank_label, _cut("rank", p, view)),
                 Cell(p.name, _cut("recommended" if p.recommended else "text", p, view))]
        for i, score in enumerate(p.scores):
            style = _cut("driver" if i in top else "score", p, view)
            cells.append(Cell(stored(score) if score is not None else "\u2013", style))
        cells.append(Cell(stored(p.total), _cut("total", p, view)))
        cells.append(Cell(", ".join(p.pestelo) or None, _cut("center", p, view)))
        sheet.add_row(cells)
    if ranking:
        sheet.colour_scales.append(ColourScale(
            f"C{first + 1}:{column_letter(1 + n)}{sheet.next_row}", low=0, high=scheme.scale_max,
            low_colour="FFFFFF", mid_colour="F4B183", high_colour="C00000"))
    sheet.freeze = f"C{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


# --- Why it ranks here --------------------------------------------------------------------

def why_sheet(view: ExecutiveView) -> Sheet:
    sheet = Sheet(WHY, landscape=True)
    sheet.column_widths = {0: 24, 1: 110}
    heading(sheet, view.result, "why each recommended priority ranks where it does")
    paragraph(sheet, "For each recommended priority: the criteria that drive its total, which partners "
              "scored it, where they disagree, and how firm its place is.", "note-wrap", last=1)
    sheet.skip()
    recommended = [p for p in view.ranking if p.recommended]
    if not recommended:
        sheet.add_row(["No priority is recommended."], "note")
    for p in recommended:
        for label, text in why_block(p, view):
            if label is None:
                paragraph(sheet, text, "heading", first=0, last=1)
            else:
                paragraph(sheet, text, "paragraph", first=1, last=1, label=label)
        sheet.skip()
    return sheet


def why_block(p: RankedPriority, view: ExecutiveView) -> list[tuple[str | None, str]]:
    scheme = view.scheme
    m = format_number(scheme.max_total)
    block: list[tuple[str | None, str]] = [(None, f"{p.rank_label}. {p.name}")]
    standing = (f"{figure(p.total)} out of {m} ({percent_figure(p.percent)}), {p.band} band; rank {p.rank_label} of "
                f"{len(view.ranking)}.")
    move = view.movement(p)
    if move is not None:
        standing += f" Since last time: {move.words}."
    block.append(("Total", standing))
    top = drivers(p, scheme)
    block.append((f"Top {len(top)} drivers", "; ".join(
        f"{d.label} {figure(d.score)}" for d in top) + f" (each out of {scheme.scale_max})." if top
        else "No criterion scored above zero."))
    partners = ", ".join(f"{s.partner} ({whole_or_figure(s.total)}"
                         + (f", {s.not_known} not known" if s.not_known else "") + ")" for s in p.by_partner)
    spread = total_spread(p)
    if spread is None:
        scored = f"{partners} only: one partner's view, with no second opinion to check it against."
    else:
        scored = f"{plural(len(p.by_partner), 'partner')}, with their own totals: {partners}."
        scored += f" Their totals are {_points(spread.points)} apart."
    block.append(("Scored by", scored))
    given = [(s.partner, s.confidence) for s in p.by_partner if s.confidence]
    if given:
        words = "; ".join(f"{partner} {level}" for partner, level in given)
        unrated = len(p.by_partner) - len(given)
        words += f"; {plural(unrated, 'partner')} gave none" if unrated else ""
        if p.mostly_low_confidence:
            words += ". Most of its scores rest on Low confidence: estimates, not data"
        block.append(("Confidence", words + "."))
    if p.notes:
        block.append(("Partners' notes", "; ".join(f"{partner}: \u201c{note}\u201d" for partner, note in p.notes)))
    if p.pestelo:
        block.append(("PESTELO", ", ".join(p.pestelo)))
    wide = view.splits(p)
    if wide:
        disagree = "; ".join(f"{s.label}: {figure(s.low, 0)} ({join_and(s.low_partners)}) against {figure(s.high, 0)} "
                             f"({join_and(s.high_partners)})" for s in wide)
        block.append(("Where partners disagree", f"By {format_number(DISAGREEMENT_POINTS)} points or more on: "
                      f"{disagree}."))
    elif spread is not None:
        block.append(("Where partners disagree", f"Nowhere by {format_number(DISAGREEMENT_POINTS)} points "
                      "or more: partners broadly agree."))
    block.append(("How firm", firm_words(p, view)))
    return block


def firm_words(p: RankedPriority, view: ExecutiveView) -> str:
    words = []
    rank_range = view.stability.range_of(p.key)
    if rank_range and rank_range.runs:
        ranks = (f"rank {rank_range.best}" if rank_range.best == rank_range.worst
                 else f"ranks {rank_range.best} to {rank_range.worst}")
        words.append(f"With one partner's return left out at a time it takes {ranks}, and is recommended "
                     f"in {rank_range.recommended_runs} of {rank_range.runs} re-rankings.")
        if rank_range.unranked_without:
            words.append(f"Without {join_and(rank_range.unranked_without)} it is not ranked at all.")
        who = [run.partner for run in view.stability.runs
               if p.name in run.dropped_out and run.partner not in rank_range.unranked_without]
        if who:
            words.append(f"It drops out of the recommended set without {join_or([possessive(w) for w in who])} "
                         "return.")
    for group in close_groups(view.ranking):
        if p in group.members:
            others = [o for o in group.members if o is not p]
            nearest = min(others, key=lambda o: abs(gap(o.total, p.total)))
            apart = abs(gap(nearest.total, p.total))
            words.append(f"Tied with {nearest.name}." if not apart else
                         f"Near-tie: {_points(apart)} from {nearest.name} (rank {nearest.rank_label}).")
    return " ".join(words) or "A single return, so its place cannot be tested."


# --- Disagreement -------------------------------------------------------------------------

def disagreement_sheet(view: ExecutiveView) -> Sheet:
    sheet = Sheet(DISAGREEMENT)
    sheet.column_widths = {0: 7, 1: 36, 2: 30, 3: 9, 4: 24, 5: 9, 6: 24, 7: 11, 8: 44}
    heading(sheet, view.result, "where partners disagree")
    paragraph(sheet, "Each partner's own total for each priority. Every criterion where partners' scores "
              f"differ by {format_number(DISAGREEMENT_POINTS)} or more points is on the {CRITERIA_APART} sheet: "
              "the places a consensus discussion at the Operational Delivery Group would settle.", "note-wrap",
              last=8)
    sheet.skip()
    sheet.add_row(["Spread of partners' totals"], "heading")
    header = sheet.add_row(["Rank", "Priority", "Partners", "Lowest total", "From", "Highest total", "From",
                            "Spread (points)", f"Criteria {format_number(DISAGREEMENT_POINTS)}+ points apart"],
                           "header")
    sheet.row_heights[header] = 30
    for p in view.ranking:
        spread = total_spread(p)
        wide = view.splits(p)
        if spread is None:
            row = sheet.add_row([Cell(p.rank_label, "rank"), Cell(p.name, "text"), Cell(1, "center"),
                                 Cell(stored(p.by_partner[0].total), "score"),
                                 Cell(f"{p.partners[0]} only", "wrap"), Cell(None, "score"), Cell(None, "wrap"),
                                 Cell(None, "score"), Cell(None, "center")])
        else:
            equal = spread.points < 1e-9
            row = sheet.add_row([
                Cell(p.rank_label, "rank"), Cell(p.name, "text"), Cell(len(p.partners), "center"),
                Cell(stored(spread.low), "score"),
                Cell("every partner: equal totals" if equal else join_and(spread.low_partners), "wrap"),
                Cell(stored(spread.high), "score"),
                Cell(None if equal else join_and(spread.high_partners), "wrap"),
                Cell(stored(spread.points), "total"), Cell(len(wide), "center")])
        sheet.fit_row(row, columns=range(9))  # the table's nine columns: not a walk over the sheet
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


def criteria_apart_sheet(view: ExecutiveView) -> Sheet:
    """Every criterion where partners differ widely: a sheet of its own, so that each table
    prints with its own header repeated on every page."""
    sheet = Sheet(CRITERIA_APART)
    sheet.column_widths = {0: 7, 1: 36, 2: 30, 3: 9, 4: 24, 5: 9, 6: 24, 7: 11, 8: 44}
    heading(sheet, view.result, "criteria where partners disagree")
    paragraph(sheet, f"Every criterion where partners' scores differ by {format_number(DISAGREEMENT_POINTS)} or "
              "more points, widest first within each priority; each partner's own total is on the "
              f"{DISAGREEMENT} sheet.", "note-wrap", last=8)
    sheet.skip()
    header = row = sheet.add_row(["Rank", "Priority", "Criterion", "Lowest", "Scored lowest by", "Highest",
                                  "Scored highest by", "Difference", "Every partner's score"], "header")
    sheet.row_heights[row] = 30
    count = 0
    for p in view.ranking:
        for split in view.splits(p):
            count += 1
            row = sheet.add_row([
                Cell(p.rank_label, "rank"), Cell(p.name, "text"), Cell(split.label, "wrap"),
                Cell(split.low, "score"), Cell(_few_names(split.low_partners), "wrap"),
                Cell(split.high, "score"), Cell(_few_names(split.high_partners), "wrap"),
                Cell(split.points, "total"), Cell(_every_score(split.scores), "wrap")])
            sheet.fit_row(row, columns=range(9))  # the table's nine columns: not a walk over the sheet
    if not count:
        sheet.add_row([f"No criterion has partners {format_number(DISAGREEMENT_POINTS)} or more points apart."],
                      "note")
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


#: Partners named in one Disagreement cell; a bigger roll-up gets counts (a cell holds 32,767
#: characters, and a list of a thousand names helps nobody).
LISTED_PARTNERS = 30


def _few_names(names: Sequence[str]) -> str:
    if len(names) <= LISTED_PARTNERS:
        return join_and(names)
    return f"{', '.join(names[:LISTED_PARTNERS])} and {plural(len(names) - LISTED_PARTNERS, 'more partner')}"


def _every_score(scores: Sequence[tuple[str, float]]) -> str:
    if len(scores) <= LISTED_PARTNERS:
        return ", ".join(f"{who} {figure(score, 0)}" for who, score in scores)
    counts: dict[float, int] = {}
    for _who, score in scores:
        counts[score] = counts.get(score, 0) + 1
    return (f"{len(scores)} partners (each on the Partner scores sheet): "
            + ", ".join(f"{count} scored {figure(score, 0)}" for score, count in sorted(counts.items())))


# --- Stability ----------------------------------------------------------------------------

#: The Stability sheet's paragraphs and recommended-set table end at this column (0-based).
STABILITY_TEXT_LAST_COL = 12
#: Partners up to which Stability shows the rank without each one in a column of its own.
STABILITY_PARTNER_COLUMNS = 12


def stability_sheet(view: ExecutiveView) -> Sheet:
    scheme, result = view.scheme, view.stability
    runs = result.runs
    # A column per partner reads well for a partnership; for a county or national roll-up
    # (hundreds of returns) it is a sheet nobody can read or print, so best and worst rank
    # and how often recommended sum the re-rankings up instead.
    columns = runs if len(runs) <= STABILITY_PARTNER_COLUMNS else ()
    sheet = Sheet(STABILITY)
    widths = [7, 36, 9] + [12] * len(columns) + [7, 7, 13, 30]
    sheet.column_widths = dict(enumerate(widths))
    last_col = len(widths) - 1
    # Text and the recommended-set table span the sheet, but no wider than a page: with
    # hundreds of partners (a column each) a row merged across all of them is N x N cells.
    text_last = min(last_col, STABILITY_TEXT_LAST_COL)
    heading(sheet, view.result, "how firm is the ranking")
    paragraph(sheet, "Each partner's return was left out in turn and the rest re-ranked with the same rules. "
              "A priority whose rank hardly moves is a firm result; one that moves a lot rests on one "
              "partner's view.", "note-wrap", last=text_last)
    sheet.skip()
    sheet.add_row(["Would the recommended set change?"], "heading")
    for text in stability_sentences(result, scheme):
        paragraph(sheet, text, "paragraph", last=text_last)
    sheet.skip()
    sheet.add_row([f"Ties and near-ties (within {format_number(NEAR_TIE_POINTS)} points)"], "heading")
    for text in close_call_sentences(view.ranking, scheme):
        paragraph(sheet, text, "paragraph", last=text_last)
    sheet.skip()
    if columns or not runs:
        sheet.add_row(["Rank with each partner's return left out (shaded: recommended in that re-ranking)"],
                      "heading")
    else:
        sheet.add_row([f"Rank with each partner's return left out: best and worst of {len(runs)} re-rankings"],
                      "heading")
        paragraph(sheet, f"With {len(runs)} partners the rank without each one is not shown column by "
                  f"column (the sheet lists it for up to {STABILITY_PARTNER_COLUMNS} partners). Best rank, "
                  "worst rank and how often the priority stays recommended sum up every re-ranking; the "
                  "table below gives the recommended set without each partner.", "note-wrap", last=text_last)
    header = sheet.add_row(["Rank", "Priority", "Total"] + [f"Without {run.partner}" for run in columns]
                           + ["Best rank", "Worst rank", "Recommended in", "Note"], "header")
    sheet.row_heights[header] = LINE_HEIGHT * max(
        [2] + [lines_needed(f"Without {run.partner}", 12) for run in columns]) + 3
    for p in view.ranking:
        rank_range = result.range_of(p.key)
        cells = [Cell(p.rank_label, _cut("rank", p, view)),
                 Cell(p.name, _cut("recommended" if p.recommended else "text", p, view)),
                 Cell(stored(p.total), _cut("total", p, view))]
        for run in columns:
            other = run.rank_of(p.key)
            style = "rank-recommended" if other is not None and other.recommended else "center"
            cells.append(Cell(other.rank_label if other else "not ranked", _cut(style, p, view)))
        note = f"Only {join_and(rank_range.unranked_without)} scored it" if rank_range.unranked_without else ""
        cells += [Cell(rank_range.best, _cut("center", p, view)), Cell(rank_range.worst, _cut("center", p, view)),
                  Cell(f"{rank_range.recommended_runs} of {rank_range.runs}" if runs else "",
                       _cut("center", p, view)),
                  Cell(note, _cut("text", p, view))]
        sheet.add_row(cells)
    if runs:
        sheet.skip()
        sheet.add_row(["Recommended set with each partner's return left out"], "heading")
        middle = 2 + max(1, (text_last - 1) * 3 // 5) - 1  # the recommended set takes ~3/5 of the width
        set_width = sum(widths[2:middle + 1])
        change_width = sum(widths[middle + 1:text_last + 1])
        row = sheet.add_row(["", "Partner left out", "Recommended without them"], ["", "header", "header"])
        _merge_across(sheet, row, 2, middle, "header")
        sheet.put(row, middle + 1, "Change", "header")
        _merge_across(sheet, row, middle + 1, text_last, "header")
        for run in runs:
            recommended = "; ".join(o.name for o in run.ranking if o.recommended)
            change = moves(run.came_in, run.dropped_out)[::-1]  # what drops out, then what comes in
            change_text = "; ".join(change) or "no change"
            row = sheet.add_row([Cell("", ""), Cell(run.partner, "wrap"), Cell(recommended, "wrap")])
            _merge_across(sheet, row, 2, middle, "wrap")
            sheet.put(row, middle + 1, change_text, "callout-box" if change else "wrap")
            _merge_across(sheet, row, middle + 1, text_last, "callout-box" if change else "wrap")
            sheet.row_heights[row] = LINE_HEIGHT * max(lines_needed(recommended, set_width),
                                                       lines_needed(change_text, change_width),
                                                       lines_needed(run.partner, widths[1])) + 3
    sheet.freeze = f"C{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


def executive_sheets(result: MergeResult, previous: PreviousRanking | None = None) -> list[Sheet]:
    """Summary, Heatmap, Why it ranks here, Disagreement, Criteria apart and Stability, in that order."""
    view = ExecutiveView(result, previous)
    sheets = [summary_sheet(view), heatmap_sheet(view), why_sheet(view)]
    if result.assessment.scenarios:  # only where the settings declare some
        sheets.append(scenarios_sheet(view))
    return sheets + [disagreement_sheet(view), criteria_apart_sheet(view), stability_sheet(view)]
