"""Combining partners' scores, totals, ties, bands and the recommended priorities."""

import pytest

from csprisk.scheme import Criterion, Priority, Scheme, priority_key
from csprisk.score.assess import assess
from csprisk.score.parse import Return, ScoredPriority

SCHEME = Scheme()


def scored(name, scores, not_known=0):
    scores = tuple(None if s is None else float(s) for s in scores)
    return ScoredPriority(name, priority_key(name), "A1", scores, not_known, None, "", "")


def ret(partner, *priorities):
    return Return(f"{partner}.xlsx", "Risk matrix", partner, "", "", None, tuple(priorities), ())


def flat(value, harm=None):
    scores = [value] * 16
    if harm is not None:
        scores[8] = harm  # "Harm / impact to people / victims"
    return scores


def test_mean_combines_each_criterion_and_ranks_highest_first():
    a = ret("Police", scored("Domestic abuse", flat(4)), scored("ASB", flat(2)))
    b = ret("Council", scored("Domestic abuse", flat(3)), scored("Anti-social behaviour", flat(3)))
    result = assess([a, b], SCHEME)
    assert [(p.name, p.total) for p in result.ranking] == [("Domestic abuse", 56.0), ("Anti-social behaviour", 40.0)]
    top = result.ranking[0]
    assert top.scores == (3.5,) * 16 and top.partners == ("Police", "Council")
    assert top.band == "Medium" and top.rank_label == "1"
    assert result.ranking[1].band == "Medium"  # 40 is the Medium threshold itself


@pytest.mark.parametrize("rule, expected", [("mean", 3.0), ("median", 2.0), ("max", 5.0), ("min", 2.0)])
def test_each_aggregation_rule(rule, expected):
    returns = [ret(p, scored("Hate crime", flat(v))) for p, v in (("A", 2), ("B", 2), ("C", 5))]
    result = assess(returns, Scheme(aggregation=rule))
    assert result.ranking[0].scores[0] == expected


def test_a_criterion_nobody_could_score_contributes_nothing():
    scores = flat(5)
    scores[0] = None
    result = assess([ret("A", scored("Hate crime", scores, not_known=1))], SCHEME)
    p = result.ranking[0]
    assert p.scores[0] is None and p.total == 75 and p.not_known == 1 and p.band == "High"


def test_equal_totals_share_a_rank_and_follow_the_tie_break():
    # Same total (48); the one with more harm to people comes first, then more partners, then name.
    harm_high = flat(3, harm=4)
    harm_high[0] = 2
    returns = [
        ret("A", scored("Zeta", flat(3)), scored("Alpha", flat(3)), scored("Harmful", harm_high),
            scored("Top", flat(5))),
        ret("B", scored("Zeta", flat(3))),
    ]
    result = assess(returns, SCHEME)
    assert [(p.rank_label, p.name) for p in result.ranking] == [
        ("1", "Top"), ("=2", "Harmful"), ("=2", "Zeta"), ("=2", "Alpha")]
    assert [p.rank for p in result.ranking] == [1, 2, 2, 2]


def test_ties_from_means_of_thirds_are_still_ties():
    a = [ret(p, scored("X", [v] + [0] * 15)) for p, v in (("A", 1), ("B", 1), ("C", 2))]
    b = [ret(p, scored("Y", [0] + [v] + [0] * 14)) for p, v in (("A", 1), ("B", 1), ("C", 2))]
    result = assess(a + b, SCHEME)
    assert [p.rank_label for p in result.ranking] == ["=1", "=1"]


def test_top_n_are_recommended_and_ties_at_the_cut_off_are_included():
    returns = [ret("A", *[scored(f"P{i}", flat(v)) for i, v in enumerate([5, 4, 3, 3, 1])])]
    result = assess(returns, Scheme(top_n=3))
    assert [p.name for p in result.recommended] == ["P0", "P1", "P2", "P3"]
    assert [p.band for p in result.ranking] == ["High", "High", "Medium", "Medium", "Low"]


def test_aliases_and_spellings_merge_under_the_declared_name():
    scheme = Scheme(priorities=(Priority("Reducing re-offending", ("Reduce reoffending",)),))
    returns = [ret("A", scored("Reduce Reoffending", flat(2))), ret("B", scored("reducing re- offending", flat(4)))]
    result = assess(returns, scheme)
    [p] = result.ranking
    assert p.name == "Reducing re-offending" and p.total == 48 and p.candidate


def test_weights_and_scale_change_the_maximum():
    criteria = (Criterion("Harm / impact to people / victims", weight=2), Criterion("Media attention"))
    scheme = Scheme(criteria=criteria, scale_max=10, high_threshold=20, medium_threshold=10)
    result = assess([ret("A", scored("X", [7, 4]))], scheme)
    [p] = result.ranking
    assert p.total == 18 and p.max_total == 30 and p.band == "Medium"


@pytest.mark.parametrize("rule", ["mean", "median", "max", "min"])
def test_leaving_one_return_out_ranks_exactly_as_assessing_the_others(rule):
    import random

    from csprisk.score.assess import Place, leave_one_out, leave_one_out_places

    rng = random.Random(7)
    names = ["Domestic abuse", "ASB", "Anti-social behaviour", "Hate crime", "Knife crime", "Drugs", "Fraud"]
    returns = []
    for i in range(9):
        chosen = rng.sample(names, rng.randint(1, 5))
        returns.append(ret(f"Partner {i}", *(scored(n, [rng.choice([None, 0, 1, 2, 3, 4, 5]) for _ in range(16)])
                                              for n in chosen)))
    # Two spellings of one priority in one return, and a return alone in naming one.
    returns.append(ret("Doubled", scored("ASB", flat(5)), scored("Anti-social behaviour", flat(1)),
                       scored("Only here", flat(3))))
    scheme = Scheme(aggregation=rule, top_n=2)
    assessment = assess(returns, scheme)
    runs = list(leave_one_out(assessment))
    assert [left_out for left_out, _ in runs] == returns
    for left_out, ranking in runs:
        assert ranking == assess([r for r in returns if r is not left_out], scheme).ranking, left_out.partner
    # The places alone (what the Stability sheet shows), without the partners' scores.
    places = list(leave_one_out_places(assessment))
    assert [left_out for left_out, _ in places] == returns
    for (_, ranking), (_, placed) in zip(runs, places, strict=True):
        assert placed == tuple(Place(p.name, p.key, p.rank, p.tied, p.recommended) for p in ranking)
