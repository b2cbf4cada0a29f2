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
from csprisk.report.fitting import (
    at_smallest,
    column_groups,
    page_height_points,
    print_scale,
    rotated_header_points,
)
from csprisk.report.model import LINE_HEIGHT, Cell, Sheet, lines_needed
from csprisk.report.sheets import heading
from csprisk.report.view import (
    NAMED_IN_A_SENTENCE,
    ExecutiveView,
    bounded,
    cut,
    merge_across,
    paragraph,
    printed_height,
)
from csprisk.scheme import figure, format_number, stored
from csprisk.words import join_and, moves

# --- Disagreement -------------------------------------------------------------------------

def disagreement_sheet(view: ExecutiveView) -> Sheet:
    sheet = Sheet(DISAGREEMENT)
    # The partners who gave the lowest and highest totals get the width, on one line each
    # (as many as fit, then how many more); the counts get narrow columns.
    widths: dict[int, float] = {0: 7, 1: 40, 2: 9, 3: 8, 4: 52, 5: 8, 6: 52, 7: 9, 8: 14}
    sheet.column_widths = widths
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
                Cell("every partner: equal totals" if equal else _names_in(spread.low_partners, widths[4]),
                     "wrap"),
                Cell(stored(spread.high), "score"),
                Cell(None if equal else _names_in(spread.high_partners, widths[6]), "wrap"),
                Cell(stored(spread.points), "total"), Cell(len(wide), "center")])
        sheet.fit_row(row, columns=range(9))  # the table's nine columns: not a walk over the sheet
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


def criteria_apart_sheet(view: ExecutiveView) -> Sheet:
    """Every criterion where partners differ widely: a sheet of its own, so that each table
    prints with its own header repeated on every page."""
    sheet = Sheet(CRITERIA_APART)
    # 218 units: fitted to the page, 7 pt or more. A row is one printed line (as many
    # partners as fit, then how many more; a long name shortened at a word), so that a
    # dozen partners' splits, hundreds of them, print at forty-odd a page; the priority's
    # name, on its first row only, wraps.
    widths: dict[int, float] = {0: 6, 1: 28, 2: 36, 3: 7.5, 4: 44, 5: 8, 6: 44, 7: 10.5, 8: 34}
    sheet.column_widths = widths
    heading(sheet, view.result, "criteria where partners disagree")
    paragraph(sheet, f"Every criterion where partners' scores differ by {format_number(DISAGREEMENT_POINTS)} or "
              "more points, widest first within each priority; each partner's own total is on the "
              f"{DISAGREEMENT} sheet, and every score of every partner on the {PARTNER_SCORES} sheet.",
              "note-wrap", last=8)
    sheet.skip()
    header = row = sheet.add_row(["Rank", "Priority", "Criterion", "Lowest", "Scored lowest by", "Highest",
                                  "Scored highest by", "Difference", "Scores given (by how many)"], "header")
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
    at_smallest(sheet, SMALLEST_POINTS)
    sheet.freeze = f"A{header + 2}"
    sheet.print_title_rows = f"{header + 1}:{header + 1}"
    return sheet


def _names_in(names: Sequence[str], width: float) -> str:
    """As many partners by name as fit one printed line of a column `width` units wide, then
    how many more; where even one name is too long, it is shortened at a word with an
    ellipsis (each partner's full name is on the Partner scores sheet)."""
    for limit in range(min(len(names), 3), 0, -1):
        text = bounded(list(names), limit=limit)
        if measure.lines(text, width) <= 1:
            return text
    tail = f" and {len(names) - 1} more" if len(names) > 1 else ""
    room = measure.column_points(width) - measure.text_points(tail) - 1
    return measure.shorten(names[0], room) + tail


def _every_score(scores: Sequence[tuple[str, float]]) -> str:
    if len(scores) <= NAMED_IN_A_SENTENCE:
        return ", ".join(f"{who} {figure(score, 0)}" for who, score in scores)
    counts: dict[float, int] = {}
    for _who, score in scores:
        counts[score] = counts.get(score, 0) + 1
    # More than a sentence's worth of names in every row: each score given and by how many
    # partners, on one printed line (each partner's is on the Partner scores sheet, as the
    # sheet's note says).
    return ", ".join(f"{figure(score, 0)} by {count}" for score, count in sorted(counts.items()))


# --- Stability ----------------------------------------------------------------------------

#: Partners up to which Stability shows the rank without each one in a column of its own.
STABILITY_PARTNER_COLUMNS = 12
#: The width of each partner's column in Stability's rank table.
PARTNER_COLUMN = 8
#: LibreOffice wraps text turned upwards a little sooner than the measure: room to spare.
ROTATED_SLACK = 1.12


def stability_sheet(view: ExecutiveView) -> Sheet:
    scheme, result = view.scheme, view.stability
    runs = result.runs
    # A column per partner reads well for a partnership; for a county or national roll-up
    # (hundreds of returns) it is a sheet nobody can read or print, so best and worst rank
    # and how often recommended sum the re-rankings up instead.
    columns = runs if len(runs) <= STABILITY_PARTNER_COLUMNS else ()
    sheet = Sheet(STABILITY)
    # With a dozen partners the table fits one page wide: the columns without each partner
    # are narrow, headed upwards (a long name in two lines). Without a column per partner the
    # sheet is narrow: a last column, beyond the rank table's note, gives the recommended sets
    # above it three fifths of the width, so that a row of five long names is a few lines.
    widths = [7, 40, 9] + [PARTNER_COLUMN] * len(columns) + [7, 7, 13] + ([30] if columns or not runs else [36, 34])
    sheet.column_widths = dict(enumerate(widths))
    last_col = len(widths) - 1
    # Text and the recommended-set table span the sheet: a column per partner only up to
    # STABILITY_PARTNER_COLUMNS of them, so never a row merged across hundreds of cells.
    text_last = last_col
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
    close = close_call_sentences(view.ranking, scheme)
    first = measure.row_points(lines_needed(close[0], sum(widths[:text_last + 1]))) if close else 0.0
    _keep_with_next(sheet, widths, 2 * LINE_HEIGHT + first)  # a row never splits: all of the first
    sheet.add_row([f"Ties and near-ties (within {format_number(NEAR_TIE_POINTS)} points)"], "heading")
    for text in close:
        paragraph(sheet, text, "paragraph", last=text_last)
    sheet.skip()
    header_points = max(LINE_HEIGHT * 2 + 3, ROTATED_SLACK * rotated_header_points(
        [f"Without {run.partner}" for run in columns], PARTNER_COLUMN))
    _keep_with_next(sheet, widths, 4 * LINE_HEIGHT + header_points + 3 * 2 * LINE_HEIGHT)
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
    without = [f"Without {run.partner}" for run in columns]
    header = sheet.add_row(["Rank", "Priority", "Total", *without, "Best rank", "Worst rank", "Recommended in",
                            "Note"], ["header"] * 3 + ["header-rotated"] * len(without) + ["header"] * 4)
    sheet.row_heights[header] = header_points
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


def _keep_with_next(sheet: Sheet, widths: Sequence[float], points: float) -> None:
    """A page break before the next row where `points` (a heading and what must follow it
    on the same page) would not fit what is left of the page: a heading never ends a page."""
    scale = print_scale(sum(widths))
    page = page_height_points() / scale
    used = printed_height(sheet, sheet.next_row) % page
    if used + points > page:
        sheet.page_breaks.append(sheet.next_row)


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
