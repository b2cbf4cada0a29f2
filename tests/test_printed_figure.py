"""One number everywhere: band, shared rank, near-tie, gap to the cut-off and movement are
decided on the total as printed (one decimal), so the paper never contradicts its rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from csprisk.read.previous import PreviousEntry, PreviousRanking
from csprisk.report.firmness import close_call_sentences, close_groups
from csprisk.report.summary import summary_sheet, watch_reason
from csprisk.report.view import ExecutiveView
from csprisk.scheme import MEDIUM, Scheme, figure, priority_key
from csprisk.score.assess import assess, printed
from csprisk.score.merge import MergeResult, ReturnStatus
from csprisk.score.movement import movements
from csprisk.score.parse import Return, ScoredPriority

# Criterion 1 weighs 0.04 and criterion 2 0.2, so totals land on hundredths: a score of a
# on the first, b on the second and fourteen more adding to s totals s + 0.2 b + 0.04 a.
WEIGHTED = Scheme(criteria=tuple(dataclasses.replace(c, weight=w) for c, w in
                                 zip(Scheme().criteria, [0.04, 0.2] + [1.0] * 14, strict=True)),
                  medium_threshold=40, high_threshold=60, top_n=1)


def scores(a: int, b: int, rest: list[int]) -> tuple[float, ...]:
    assert len(rest) == 14
    return tuple(float(s) for s in (a, b, *rest))


ROWS = {
    "Leader": scores(4, 0, [3] * 13 + [4]),  # 43.16: prints 43.2
    "Next": scores(1, 0, [3] * 14),  # 42.04: prints 42.0
    "Higher hundredths": scores(1, 2, [3] * 13 + [2]),  # 41.44: prints 41.4
    "Lower hundredths": scores(4, 1, [3] * 13 + [2]),  # 41.36: prints 41.4
    "Just under forty": scores(4, 4, [3] * 11 + [2] * 3),  # 39.96: prints 40
}


def assessed():
    ret = Return("p.xlsx", "Risk matrix", "Police", "", "", None,
                 tuple(ScoredPriority(n, priority_key(n), "A1", s, 0, None, "", "") for n, s in ROWS.items()), ())
    return assess([ret], WEIGHTED)


def test_the_printed_total_rounds_half_away_from_zero_as_figure_shows_it():
    rng = random.Random(7)
    values = [62.25, 62.35, 0.15, 2.675, 64, -0.04, 39.96, 41.449, 41.45] + [rng.uniform(0, 80) for _ in range(2000)]
    for value in values:
        assert figure(printed(value)) == figure(value), value


def test_a_total_printed_as_forty_is_banded_from_forty():
    ranking = {p.name: p for p in assessed().ranking}
    under = ranking["Just under forty"]
    assert under.total == 39.96 or abs(under.total - 39.96) < 1e-9
    assert figure(under.total) == "40" and under.band == MEDIUM


def test_two_totals_printed_alike_share_a_rank():
    ranking = {p.name: p for p in assessed().ranking}
    higher, lower = ranking["Higher hundredths"], ranking["Lower hundredths"]
    assert figure(higher.total) == figure(lower.total) == "41.4"
    assert higher.rank == lower.rank == 3 and higher.rank_label == lower.rank_label == "=3"
    assert [g.exact_tie for g in close_groups(assessed().ranking) if higher in g.members] == [False]
    sentences = " ".join(close_call_sentences(assessed().ranking, WEIGHTED))
    assert "Leader (43.2), Next (42), Higher hundredths (41.4), Lower hundredths (41.4) and Just under forty (40)" \
        in sentences


def test_the_gap_to_the_cut_off_is_the_gap_between_the_printed_totals():
    result = MergeResult(assessed(), (), (ReturnStatus("p.xlsx", "Police", "merged", 5),),
                         generated=dt.datetime(2027, 3, 1, 9, 30))
    view = ExecutiveView(result)
    assert view.cut_off.name == "Leader"
    sheet = summary_sheet(view)
    next_row = next(r for (r, c), cell in sheet.cells.items() if c == 1 and cell.value == "Next"
                    and sheet.cells.get((r, 3)) is not None and sheet.cells[(r, 3)].style.startswith("watch-gap"))
    assert sheet.cells[(next_row, 3)].value == 1.2  # 43.2 - 42.0 as printed, not 1.12
    assert watch_reason(view.watch_list[0], view).startswith("Within 2 points of the cut-off")


def test_movement_is_the_change_between_printed_totals():
    previous = PreviousRanking("last.xlsx", (PreviousEntry("Leader", 1, "1", 42.04),))
    moved, _ = movements(assessed().ranking, previous, WEIGHTED)
    assert moved[priority_key("Leader")].total_change == 1.2
