"""Assessment -> the executive's sheets: Summary (summary.py), Heatmap, Why it ranks here and
Scenarios, as plain report data; with the Operational Delivery Group's sheets (delivery.py)
they make the ranked workbook's first sheets.

The facts come from firmness.py (drivers, disagreement, close calls, stability) and
previous.py (movement since last time); this module only lays them out, in words the
Community Safety Executive reads at a glance and can print."""

from __future__ import annotations

from csprisk.grid import column_letter
from csprisk.marks import HEATMAP, SCENARIOS, WHY
from csprisk.read.previous import PreviousRanking
from csprisk.report.delivery import criteria_apart_sheet, disagreement_sheet, stability_sheet
from csprisk.report.firmness import (
    DISAGREEMENT_POINTS,
    DRIVER_COUNT,
    close_groups,
    drivers,
    gap,
    total_spread,
)
from csprisk.report.model import Cell, ColourScale, Sheet
from csprisk.report.sheets import heading
from csprisk.report.summary import scenario_sentences, summary_sheet
from csprisk.report.view import (
    ExecutiveView,
    cut,
    paragraph,
    points_words,
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
        scored += f" Their totals are {points_words(spread.points)} apart."
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
                         f"Near-tie: {points_words(apart)} from {nearest.name} (rank {nearest.rank_label}).")
    return " ".join(words) or "A single return, so its place cannot be tested."



def executive_sheets(result: MergeResult, previous: PreviousRanking | None = None) -> list[Sheet]:
    """Summary, Heatmap, Why it ranks here, Disagreement, Criteria apart and Stability, in that order."""
    view = ExecutiveView(result, previous)
    sheets = [summary_sheet(view), heatmap_sheet(view), why_sheet(view)]
    if result.assessment.scenarios:  # only where the settings declare some
        sheets.append(scenarios_sheet(view))
    return sheets + [disagreement_sheet(view), criteria_apart_sheet(view), stability_sheet(view)]
