"""The Operational Delivery Group's sheets: Disagreement (each partner's own total),
Criteria apart (every criterion where partners' scores differ widely) and Stability (the
ranking with each partner's return left out): where a consensus discussion is needed."""

from __future__ import annotations

from collections.abc import Sequence

from csprisk.marks import CRITERIA_APART, DISAGREEMENT, PARTNER_SCORES, STABILITY
from csprisk.report import measure
from csprisk.report.firmness import (
    DISAGREEMENT_POINTS,
    NEAR_TIE_POINTS,
    LeaveOneOut,
    close_call_sentences,
    stability_sentences,
    total_spread,
)
from csprisk.report.fitting import column_groups
from csprisk.report.model import LINE_HEIGHT, Cell, Sheet, lines_needed
from csprisk.report.sheets import heading
from csprisk.report.view import (
    NAMED_IN_A_SENTENCE,
    ExecutiveView,
    bounded,
    cut,
    merge_across,
    paragraph,
)
from csprisk.scheme import figure, format_number, stored
from csprisk.words import join_and, moves

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
                Cell("every partner: equal totals" if equal else _some_names(spread.low_partners), "wrap"),
                Cell(stored(spread.high), "score"),
                Cell(None if equal else _some_names(spread.high_partners), "wrap"),
                Cell(stored(spread.points), "total"), Cell(len(wide), "center")])
        sheet.fit_row(row, columns=range(9))  # the table's nine columns: not a walk over the sheet
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


def criteria_apart_sheet(view: ExecutiveView) -> Sheet:
    """Every criterion where partners differ widely: a sheet of its own, so that each table
    prints with its own header repeated on every page."""
    sheet = Sheet(CRITERIA_APART)
    # 214 units: fitted to the page, 7 pt or more. A row is a line where its names allow
    # (as many partners as fit, then how many more), so that a dozen partners' splits,
    # hundreds of them, print at forty-odd a page rather than a dozen.
    sheet.column_widths = widths = {0: 6, 1: 36, 2: 32, 3: 7, 4: 42, 5: 7, 6: 42, 7: 8, 8: 34}
    heading(sheet, view.result, "criteria where partners disagree")
    paragraph(sheet, f"Every criterion where partners' scores differ by {format_number(DISAGREEMENT_POINTS)} or "
              "more points, widest first within each priority; each partner's own total is on the "
              f"{DISAGREEMENT} sheet, and every score of every partner on the {PARTNER_SCORES} sheet.",
              "note-wrap", last=8)
    sheet.skip()
    header = row = sheet.add_row(["Rank", "Priority", "Criterion", "Lowest", "Scored lowest by", "Highest",
                                  "Scored highest by", "Difference", "Scores given"], "header")
    sheet.row_heights[row] = 30
    count = 0
    for p in view.ranking:
        for number, split in enumerate(view.splits(p)):
            count += 1
            # The priority's name once, on its first row: its other rows carry its rank.
            name = p.name if not number else None
            row = sheet.add_row([
                Cell(p.rank_label, "rank"), Cell(name, "text"), Cell(split.label, "wrap"),
                Cell(split.low, "score"), Cell(_names_in(split.low_partners, widths[4]), "wrap"),
                Cell(split.high, "score"), Cell(_names_in(split.high_partners, widths[6]), "wrap"),
                Cell(split.points, "total"), Cell(_every_score(split.scores), "wrap")])
            sheet.fit_row(row, columns=range(9))  # the table's nine columns: not a walk over the sheet
    if not count:
        sheet.add_row([f"No criterion has partners {format_number(DISAGREEMENT_POINTS)} or more points apart."],
                      "note")
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


def _some_names(names: Sequence[str]) -> str:
    """Up to three partners by name, then how many more (a table row, not a list)."""
    return bounded(list(names), where="(see Partner scores)", limit=3)


def _names_in(names: Sequence[str], width: float) -> str:
    """As many partners by name as fit one printed line of a column `width` units wide, then
    how many more; one name (on two lines) where even that is too long."""
    for limit in range(min(len(names), 3), 0, -1):
        text = bounded(list(names), limit=limit)
        if measure.lines(text, width) <= 1:
            return text
    return bounded(list(names), limit=1)


def _every_score(scores: Sequence[tuple[str, float]]) -> str:
    if len(scores) <= NAMED_IN_A_SENTENCE:
        return ", ".join(f"{who} {figure(score, 0)}" for who, score in scores)
    counts: dict[float, int] = {}
    for _who, score in scores:
        counts[score] = counts.get(score, 0) + 1
    # More than a sentence's worth of names in every row: how many gave each score (each
    # partner's is on the Partner scores sheet, as the sheet's note says).
    return ", ".join(f"{count} scored {figure(score, 0)}" for score, count in sorted(counts.items()))


# --- Stability ----------------------------------------------------------------------------

#: The Stability sheet's paragraphs and recommended-set table end at this column (0-based).
STABILITY_TEXT_LAST_COL = 12
#: Partners up to which Stability shows the rank without each one in a column of its own.
STABILITY_PARTNER_COLUMNS = 12
#: The width of each partner's column in Stability's rank table.
PARTNER_COLUMN = 12


def stability_sheet(view: ExecutiveView) -> Sheet:
    scheme, result = view.scheme, view.stability
    runs = result.runs
    # A column per partner reads well for a partnership; for a county or national roll-up
    # (hundreds of returns) it is a sheet nobody can read or print, so best and worst rank
    # and how often recommended sum the re-rankings up instead.
    columns = runs if len(runs) <= STABILITY_PARTNER_COLUMNS else ()
    sheet = Sheet(STABILITY)
    # Without a column per partner the sheet is narrow: the note and the recommended sets
    # get the room instead, so that a row of five long names is a few lines, not a dozen.
    # With a dozen partners the table fits one page wide at 7 pt (221 units): the columns
    # without each partner are narrow and their headers wrap.
    widths = [7, 36, 9] + [PARTNER_COLUMN] * len(columns) + [7, 7, 13, 30 if columns or not runs else 70]
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
    _recommended_sets(sheet, runs, widths, text_last)
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
                  "table above gives the recommended set without each partner.", "note-wrap", last=text_last)
    header = sheet.add_row(["Rank", "Priority", "Total"] + [f"Without {run.partner}" for run in columns]
                           + ["Best rank", "Worst rank", "Recommended in", "Note"], "header")
    sheet.row_heights[header] = LINE_HEIGHT * max(
        [2] + [lines_needed(f"Without {run.partner}", PARTNER_COLUMN, bold=True) for run in columns]) + 3
    for p in view.ranking:
        rank_range = result.range_of(p.key)
        cells = [Cell(p.rank_label, cut("rank", p, view)),
                 Cell(p.name, cut("recommended" if p.recommended else "text", p, view)),
                 Cell(stored(p.total), cut("total", p, view))]
        for run in columns:
            other = run.rank_of(p.key)
            style = "rank-recommended" if other is not None and other.recommended else "center"
            cells.append(Cell(other.rank_label if other else "not ranked", cut(style, p, view)))
        assert rank_range is not None  # every ranked priority has its range
        note = f"Only {join_and(rank_range.unranked_without)} scored it" if rank_range.unranked_without else ""
        cells += [Cell(rank_range.best, cut("center", p, view)), Cell(rank_range.worst, cut("center", p, view)),
                  Cell(f"{rank_range.recommended_runs} of {rank_range.runs}" if runs else "",
                       cut("center", p, view)),
                  Cell(note, cut("text", p, view))]
        sheet.add_row(cells)
    sheet.freeze = f"C{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    _split_if_wide(sheet, widths, 3)
    return sheet


def _recommended_sets(sheet: Sheet, runs: Sequence[LeaveOneOut], widths: Sequence[float], text_last: int) -> None:
    """The recommended set without each partner, and what changes: above the rank table, so
    that table's header, repeated on its pages, never sits over this one."""
    if runs:
        sheet.add_row(["Recommended set with each partner's return left out"], "heading")
        # The recommended set takes about three fifths of the width, the change the rest.
        span = sum(widths[2:text_last + 1])
        middle = next(m for m in range(2, text_last + 1)
                      if sum(widths[2:m + 1]) >= 0.6 * span or m == text_last - 1)
        set_width = sum(widths[2:middle + 1])
        change_width = sum(widths[middle + 1:text_last + 1])
        row = sheet.add_row(["", "Partner left out", "Recommended without them"], ["", "header", "header"])
        merge_across(sheet, row, 2, middle, "header")
        sheet.put(row, middle + 1, "Change", "header")
        merge_across(sheet, row, middle + 1, text_last, "header")
        # A partner whose return changes nothing has no row of its own: one row says so for
        # all of them, so a dozen partners are a few rows, not a dozen of the same five names.
        changing = [run for run in runs if run.came_in or run.dropped_out]
        same = [run.partner for run in runs if not (run.came_in or run.dropped_out)]
        lines = [(run.partner, "; ".join(o.name for o in run.ranking if o.recommended),
                  "; ".join(moves(run.came_in, run.dropped_out)[::-1])) for run in changing]
        if same:
            unchanged = runs[[r.partner for r in runs].index(same[0])]
            who = same[0] if len(same) == 1 else (f"Any one of the other {len(same)} partners" if changing
                                                  else f"Any one of the {len(same)} partners")
            lines.append((who, "; ".join(o.name for o in unchanged.ranking if o.recommended), ""))
        for partner, recommended, change in lines:
            change_text = change or "no change"
            row = sheet.add_row([Cell("", ""), Cell(partner, "wrap"), Cell(recommended, "wrap")])
            merge_across(sheet, row, 2, middle, "wrap")
            sheet.put(row, middle + 1, change_text, "callout-box" if change else "wrap")
            merge_across(sheet, row, middle + 1, text_last, "callout-box" if change else "wrap")
            sheet.row_heights[row] = LINE_HEIGHT * max(lines_needed(recommended, set_width),
                                                       lines_needed(change_text, change_width),
                                                       lines_needed(partner, widths[1])) + 3
        sheet.skip()


#: The Operational Delivery Group's sheets and the analyst's print at this size or larger.
SMALLEST_POINTS = 7.0


def _split_if_wide(sheet: Sheet, widths: Sequence[float], title_columns: int) -> None:
    """A table too wide for one page at SMALLEST_POINTS prints in column groups, its first
    `title_columns` repeated on each page, rather than in smaller type."""
    column_groups(sheet, widths, SMALLEST_POINTS, title_columns)
