"""Assessment -> the executive's sheets: Summary (summary.py), Heatmap, Why it ranks here and
Scenarios, as plain report data; with the Operational Delivery Group's sheets (delivery.py)
they make the ranked workbook's first sheets.

The facts come from firmness.py (drivers, disagreement, close calls, stability) and
previous.py (movement since last time); this module only lays them out, in words the
Community Safety Executive reads at a glance and can print."""

from __future__ import annotations

from collections.abc import Sequence

from csprisk.grid import column_letter
from csprisk.marks import HEATMAP, SCENARIOS, WHY
from csprisk.read.previous import PreviousRanking
from csprisk.report import measure
from csprisk.report.delivery import criteria_apart_sheet, disagreement_sheet, stability_sheet
from csprisk.report.firmness import (
    DISAGREEMENT_POINTS,
    DRIVER_COUNT,
    close_groups,
    drivers,
    gap,
    total_spread,
)
from csprisk.report.fitting import (
    max_table_units,
    one_page_tall,
    page_height_points,
    print_scale,
    rotated_header_points,
)
from csprisk.report.model import LINE_HEIGHT, Cell, ColourScale, Sheet, lines_needed
from csprisk.report.sheets import heading
from csprisk.report.summary import scenario_sentences, summary_sheet
from csprisk.report.view import (
    NAMED_IN_A_SENTENCE,
    ExecutiveView,
    bounded,
    cut,
    paragraph,
    points_words,
    printed_height,
)
from csprisk.scheme import figure, format_number, percent_figure, stored, whole_or_figure
from csprisk.score.assess import RankedPriority
from csprisk.score.merge import MergeResult
from csprisk.words import join_and, join_or, plural, possessive


def scenarios_sheet(view: ExecutiveView) -> Sheet:
    """Each priority's rank and total under the scheme and under each what-if scenario, the
    recommended set of each shaded, and in words whether the recommended set changes."""
    result, scheme = view.result, view.scheme
    scenarios = result.assessment.scenarios
    sheet = Sheet(SCENARIOS)
    columns = 4 + 2 * len(scenarios)
    sheet.column_widths = {0: 36, 1: 9, 2: 11, **{3 + i: 11 for i in range(2 * len(scenarios))}, columns - 1: 11}
    sheet.column_widths[0] = name_width(view, sum(sheet.column_widths.values()) - 36)
    heading(sheet, result, "what-if scenarios")
    paragraph(sheet, "The same combined scores ranked with the weights each scenario gives (criteria it does not "
              "name keep the scheme's weight), with the same tie rule and the same top "
              f"{scheme.top_n}. Shaded: recommended under that weighting.", "note-wrap", last=columns - 1)
    for line in scenario_sentences(result, on_scenarios_sheet=True):
        paragraph(sheet, line, "paragraph", last=columns - 1)
    sheet.skip()
    for scenario, _ in scenarios:
        changed = "; ".join(f"{label} \u00d7{format_number(weight)}" for label, weight in scenario.changed(scheme))
        paragraph(sheet, f"{scenario.name}: {changed or 'the scheme weights'}.", "note-wrap", last=columns - 1)
    sheet.skip()
    m = format_number(scheme.max_total)
    names = ["Priority", "Rank", f"Total (out of {m})"]
    for scenario, ranking in scenarios:
        most = format_number(ranking[0].max_total) if ranking else m
        names += [f"{scenario.name}: rank", f"{scenario.name}: total (out of {most})"]
    header = sheet.add_row(names, "header")
    sheet.row_heights[header] = 45
    placed = [{p.key: p for p in ranking} for _, ranking in scenarios]
    for p in view.ranking:
        cells = [Cell(p.name, "recommended" if p.recommended else "text"),
                 Cell(p.rank_label, "rank-recommended" if p.recommended else "rank"), Cell(stored(p.total), "total")]
        for by_key in placed:
            q = by_key[p.key]
            cells += [Cell(q.rank_label, "rank-recommended" if q.recommended else "rank"),
                      Cell(stored(q.total), "total")]
        sheet.add_row(cells)
    sheet.freeze = f"B{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    for row in range(header + 1, sheet.next_row):  # names that wrap, for the height below
        needed = lines_needed(sheet.cells[(row, 0)].value, sheet.column_widths[0], bold=True)
        if needed > 1:
            sheet.row_heights[row] = measure.row_points(needed)
    sheet.pages_tall = one_page_tall(printed_height(sheet, sheet.next_row), sum(sheet.column_widths.values()),
                                     EXECUTIVE_SMALLEST_POINTS)
    return sheet



#: The executive's sheets print at this size or larger (type of 11 pt fitted to the page).
EXECUTIVE_SMALLEST_POINTS = 8.5


def name_width(view: ExecutiveView, others: float, least: float = 36.0) -> float:
    """The width of a column of priority names beside `others` units of columns: the longest
    name on one line where the page allows, never so wide that the sheet, fitted to the
    page's width, prints below EXECUTIVE_SMALLEST_POINTS."""
    longest = max((measure.text_units(p.name, bold=p.recommended) for p in view.ranking), default=0.0)
    return max(least, min(longest + 0.5, max_table_units(EXECUTIVE_SMALLEST_POINTS) - others))


# --- Heatmap ------------------------------------------------------------------------------

def heatmap_sheet(view: ExecutiveView) -> Sheet:
    scheme, ranking = view.scheme, view.ranking
    sheet = Sheet(HEATMAP)
    n = len(scheme.criteria)
    total_col = 2 + n
    sheet.column_widths = {0: 6, 1: 36, **{2 + i: 5.2 for i in range(n)}, total_col: 9, total_col + 1: 11}
    sheet.column_widths[1] = name_width(view, sum(sheet.column_widths.values()) - 36)
    heading(sheet, view.result, "scores by criterion")
    paragraph(sheet, f"Combined scores from 0 to {scheme.scale_max}: the darker the cell, the higher the "
              f"score. The {DRIVER_COUNT} criteria adding most to each priority's total are in bold with a "
              "heavy box (on equal scores, the earlier criterion). \u2013 means no partner gave a usable score. "
              "Priorities in rank order; the line "
              "marks the cut-off. PESTELO: the factors partners tagged the priority with (Political, Economic or "
              "Environmental, Social, Technological, Legal, Organisational).", "note-wrap", last=total_col + 1)
    sheet.skip()
    header = sheet.add_row(["Rank", "Priority"] + [f"{i}. {c.label}" for i, c in enumerate(scheme.criteria, 1)]
                           + [f"Total (out of {format_number(scheme.max_total)})", "PESTELO"],
                           ["header", "header"] + ["header-rotated"] * n + ["header", "header"])
    sheet.row_heights[header] = rotated_header_points([f"{i}. {c.label}" for i, c in enumerate(scheme.criteria, 1)],
                                                      sheet.column_widths[2])
    first = sheet.next_row
    for p in ranking:
        top = {d.index for d in drivers(p, scheme)}
        cells = [Cell(p.rank_label, cut("rank", p, view)),
                 Cell(p.name, cut("recommended" if p.recommended else "text", p, view))]
        for i, score in enumerate(p.scores):
            style = cut("driver" if i in top else "score", p, view)
            cells.append(Cell(stored(score) if score is not None else "\u2013", style))
        cells.append(Cell(stored(p.total), cut("total", p, view)))
        cells.append(Cell(", ".join(p.pestelo) or None, cut("center", p, view)))
        sheet.add_row(cells)
    if ranking:
        sheet.colour_scales.append(ColourScale(
            f"C{first + 1}:{column_letter(1 + n)}{sheet.next_row}", low=0, high=scheme.scale_max,
            low_colour="FFFFFF", mid_colour="F4B183", high_colour="C00000"))
    sheet.freeze = f"C{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    for row, p in enumerate(ranking, first):  # names that wrap, for the height below
        needed = lines_needed(p.name, sheet.column_widths[1], bold=p.recommended)
        if needed > 1:
            sheet.row_heights[row] = measure.row_points(needed)
    sheet.pages_tall = one_page_tall(printed_height(sheet, sheet.next_row), sum(sheet.column_widths.values()),
                                     EXECUTIVE_SMALLEST_POINTS)
    return sheet


# --- Why it ranks here --------------------------------------------------------------------

def why_sheet(view: ExecutiveView) -> Sheet:
    """A block per recommended priority, each starting where it fits whole (a page break is
    put before one that would split); a block longer than a page carries its name on to the
    next page ("… (continued)")."""
    sheet = Sheet(WHY, landscape=True)
    # Wide enough that a block of a dozen partners takes half a page; it prints at about 10 pt.
    sheet.column_widths = {0: 22, 1: 128}
    heading(sheet, view.result, "why each recommended priority ranks where it does")
    sheet.row_heights[0] = measure.row_points(1, 16)
    paragraph(sheet, "For each recommended priority: the criteria that drive its total, which partners "
              "scored it, where they disagree, and how firm its place is.", "note-wrap", last=1)
    sheet.skip()
    recommended = [p for p in view.ranking if p.recommended]
    if not recommended:
        sheet.add_row(["No priority is recommended."], "note")
    page = page_height_points() / print_scale(sum(sheet.column_widths.values()))
    used = printed_height(sheet, sheet.next_row)
    for p in recommended:
        block = why_block(p, view)
        title = block[0][1]
        heights = [_why_row_height(sheet, label, text) for label, text in block]
        if used + sum(heights) > page and used > 0 and sum(heights) <= page:
            sheet.page_breaks.append(sheet.next_row)  # start it on a page of its own
            used = 0.0
        for (label, text), height in zip(block, heights, strict=True):
            if used + height > page and used > 0:  # a block longer than a page: name it again
                sheet.page_breaks.append(sheet.next_row)
                paragraph(sheet, f"{title} (continued)", "heading", first=0, last=1)
                used = sheet.row_heights[sheet.next_row - 1]
            if label is None:
                paragraph(sheet, text, "heading", first=0, last=1)
            else:
                paragraph(sheet, text, "paragraph", first=1, last=1, label=label)
            used += height
        sheet.skip()
        used += LINE_HEIGHT
    return sheet


def _why_row_height(sheet: Sheet, label: str | None, text: str) -> float:
    """The height `paragraph` gives the row of one line of a block."""
    if label is None:
        return measure.row_points(lines_needed(text, sum(sheet.column_widths.values()), 12, True), 12)
    return measure.row_points(max(lines_needed(text, sheet.column_widths[1]),
                                  lines_needed(label, sheet.column_widths[0], bold=True)))


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
    spread = total_spread(p)
    many = len(p.by_partner) > NAMED_IN_A_SENTENCE
    if spread is None:
        only = p.by_partner[0]
        scored = (f"{only.partner} ({whole_or_figure(only.total)}"
                  + (f", {only.not_known} not known" if only.not_known else "")
                  + ") only: one partner's view, with no second opinion to check it against.")
    elif many:  # a dozen partners' totals are a table's work (Disagreement), not a sentence's
        scored = (f"{plural(len(p.by_partner), 'partner')}. Their own totals run from {whole_or_figure(spread.low)} "
                  f"({bounded(spread.low_partners, limit=2)}) to {whole_or_figure(spread.high)} "
                  f"({bounded(spread.high_partners, limit=2)}), {points_words(spread.points)} apart.")
    else:
        partners = ", ".join(f"{s.partner} ({whole_or_figure(s.total)}"
                             + (f", {s.not_known} not known" if s.not_known else "") + ")" for s in p.by_partner)
        scored = f"{plural(len(p.by_partner), 'partner')}, with their own totals: {partners}."
        scored += f" Their totals are {points_words(spread.points)} apart."
    block.append(("Scored by", scored))
    given = [(s.partner, s.confidence) for s in p.by_partner if s.confidence]
    if given:
        if len(given) > NAMED_IN_A_SENTENCE:
            levels: dict[str, int] = {}
            for _, level in given:
                levels[level] = levels.get(level, 0) + 1
            words = "; ".join(f"{level}: {plural(count, 'partner')}" for level, count in levels.items())
        else:
            words = "; ".join(f"{partner} {level}" for partner, level in given)
        unrated = len(p.by_partner) - len(given)
        words += f"; {plural(unrated, 'partner')} gave none" if unrated else ""
        if p.mostly_low_confidence:
            words += ". Most of its scores rest on Low confidence: estimates, not data"
        block.append(("Confidence", words + "."))
    if p.notes:
        notes = [f"{partner}: \u201c{note}\u201d" for partner, note in p.notes]
        block.append(("Partners' notes", bounded(notes, "; ", "(on the Partner scores sheet of the ranked workbook)",
                                                 limit=3)))
    if p.pestelo:
        block.append(("PESTELO", ", ".join(p.pestelo)))
    wide = view.splits(p)
    if wide:
        shown = wide[:DISAGREEMENTS_SHOWN]
        disagree = "; ".join(f"{s.label}: {figure(s.low, 0)} ({_who(s.low_partners)}) against {figure(s.high, 0)} "
                             f"({_who(s.high_partners)})" for s in shown)
        more = len(wide) - len(shown)
        rest = (f"; and {plural(more, 'more criterion', 'more criteria')} (each on the Criteria apart sheet of the "
                "ranked workbook)") if more else ""
        block.append(("Where partners disagree", f"By {format_number(DISAGREEMENT_POINTS)} points or more on "
                      f"{plural(len(wide), 'criterion', 'criteria')}: {disagree}{rest}."))
    elif spread is not None:
        block.append(("Where partners disagree", f"Nowhere by {format_number(DISAGREEMENT_POINTS)} points "
                      "or more: partners broadly agree."))
    block.append(("How firm", firm_words(p, view)))
    return block


#: "Where partners disagree" names this many criteria, the widest apart; the rest are counted.
DISAGREEMENTS_SHOWN = 3


def _who(partners: Sequence[str]) -> str:
    """Who gave a score: up to two partners by name, more by count."""
    return join_and(list(partners)) if len(partners) <= 2 else plural(len(partners), "partner")


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
                         f"Near-tie: {points_words(apart)} from {nearest.name} (rank {nearest.rank_label}).")
    return " ".join(words) or "A single return, so its place cannot be tested."



def executive_sheets(result: MergeResult, previous: PreviousRanking | None = None) -> list[Sheet]:
    """Summary, Heatmap, Why it ranks here, Disagreement, Criteria apart and Stability, in that order."""
    view = ExecutiveView(result, previous)
    sheets = [summary_sheet(view), heatmap_sheet(view), why_sheet(view)]
    if result.assessment.scenarios:  # only where the settings declare some
        sheets.append(scenarios_sheet(view))
    return sheets + [disagreement_sheet(view), criteria_apart_sheet(view), stability_sheet(view)]
