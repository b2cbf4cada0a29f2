"""Parsed returns -> assessment: combined scores, totals, ranks and bands.

Pure scoring: nothing here knows of files, Excel or the terminal.
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal, NamedTuple, TypeVar, overload

from csprisk.scheme import CELL_PLACES, Scenario, Scheme, criterion_key, priority_key
from csprisk.score.parse import Return

COMBINE: dict[str, Callable[[list[float]], float]] = {
    "mean": statistics.fmean,
    "median": statistics.median,
    "max": max,
    "min": min,
}

#: Totals closer than this are equal (means of thirds must not break a tie by rounding noise).
TOTAL_PRECISION = 6


def printed(total: float) -> float:
    """A total as the paper prints it: one decimal, rounding half away from zero, as
    `scheme.figure` shows it (39.96 is 40, 62.25 is 62.3). Band, shared rank, near-tie, gap
    to the cut-off and movement are all decided on this figure, so the paper never
    contradicts its own rules (a printed 40.0 is never banded below a band starting at 40)."""
    cell = round(total, CELL_PLACES)  # the figure a cell stores, as `figure` starts from
    # A two-place figure times ten is within a hair of its true value: the nudge keeps a
    # half (62.25) a half, so it rounds up as Excel's "0.0" does.
    tenths = math.floor(abs(cell) * 10 + 0.5 + 1e-9)
    return math.copysign(tenths / 10, cell) if tenths else 0.0


@dataclass(frozen=True, slots=True)  # slots: a national roll-up holds 180,000 of them
class PartnerScores:
    """One partner's scores for one priority, as counted."""

    partner: str
    file: str
    scores: tuple[float | None, ...]
    not_known: int
    total: float
    #: The partner's PESTELO tags and notes for the priority, as typed ("" when none).
    pestelo: str = ""
    notes: str = ""
    confidence: str = ""  # HIGH, MEDIUM, LOW, or "" when not given


#: PESTELO: Political, Economic, Social, Technological, Environmental, Legal, Organisational.
#: Partners tag with letters, and E is both Economic and Environmental.
PESTELO_FACTORS = {"P": ("political",), "E": ("economic", "environmental"), "S": ("social",),
                   "T": ("technological",), "L": ("legal",), "O": ("organisational", "organizational")}
_FACTOR_WORDS = {word: letter for letter, words in PESTELO_FACTORS.items() for word in words}


def pestelo_factors(tags: Iterable[str]) -> tuple[str, ...]:
    """The factors in partners' PESTELO tags ("S, L", "Social; legal", "SL"), each once, in
    PESTELO order; a tag that names no factor is kept as typed, after them."""
    found: list[str] = []
    for tag in tags:
        for part in re.split(r"[,;/+&\s]+", tag.strip()):
            if not part:
                continue
            letter = _FACTOR_WORDS.get(part.casefold())
            if (letter is None and part.isalpha() and set(part.upper()) <= set(PESTELO_FACTORS)
                    and (part.isupper() or len(part) <= 3)):
                found += list(part.upper())  # "S", "sl": letters
                continue
            found.append(letter or part)
    order = list(PESTELO_FACTORS)
    unique = list(dict.fromkeys(found))
    return tuple(sorted(unique, key=lambda f: (order.index(f) if f in order else len(order), f)))


@dataclass(frozen=True)
class RankedPriority:
    name: str
    key: str
    scores: tuple[float | None, ...]  # combined, one per criterion; None where nobody scored
    total: float
    max_total: float
    band: str
    rank: int
    tied: bool
    recommended: bool
    candidate: bool  # named in the scheme's candidate priorities
    by_partner: tuple[PartnerScores, ...]

    @property
    def rank_label(self) -> str:
        return rank_label(self.rank, self.tied)

    @property
    def printed_total(self) -> float:
        """The total as printed (one decimal): what its band, rank and ties are decided on."""
        return printed(self.total)

    @property
    def pestelo(self) -> tuple[str, ...]:
        """The PESTELO factors partners tagged this priority with, in PESTELO order: ("S", "L")."""
        return pestelo_factors(p.pestelo for p in self.by_partner)

    @property
    def confidence(self) -> dict[str, int]:
        """How many partners' returns for this priority give each confidence level."""
        counts = {"high": 0, "medium": 0, "low": 0, "not_given": 0}
        for p in self.by_partner:
            counts[p.confidence.casefold() if p.confidence else "not_given"] += 1
        return counts

    @property
    def mostly_low_confidence(self) -> bool:
        """More than half of the partners' returns for it rate their scores Low."""
        return self.confidence["low"] * 2 > len(self.by_partner)

    @property
    def notes(self) -> tuple[tuple[str, str], ...]:
        """(partner, note) for each partner who wrote a note on this priority."""
        return tuple((p.partner, p.notes) for p in self.by_partner if p.notes)

    @property
    def percent(self) -> float:
        return self.total / self.max_total if self.max_total else 0.0

    @property
    def partners(self) -> tuple[str, ...]:
        return tuple(p.partner for p in self.by_partner)

    @property
    def not_known(self) -> int:
        return sum(p.not_known for p in self.by_partner)


@dataclass(frozen=True)
class Assessment:
    scheme: Scheme
    ranking: tuple[RankedPriority, ...]
    returns: tuple[Return, ...]

    @property
    def recommended(self) -> tuple[RankedPriority, ...]:
        return tuple(p for p in self.ranking if p.recommended)

    @cached_property
    def scenarios(self) -> tuple[tuple[Scenario, tuple[RankedPriority, ...]], ...]:
        """Each of the scheme's what-if scenarios, with the ranking it gives."""
        return tuple((scenario, rank_with(self, scenario.weights)) for scenario in self.scheme.scenarios)


def rank_with(assessment: Assessment, weights: Sequence[float]) -> tuple[RankedPriority, ...]:
    """The same combined scores ranked with other weights (a what-if scenario): total = the
    sum of weight times combined score, with the same tie rule and the same top N."""
    scheme = assessment.scheme
    weighted = replace(scheme, criteria=tuple(replace(c, weight=w)
                                              for c, w in zip(scheme.criteria, weights, strict=False)))
    unranked = [(p.name, p.key, p.scores, _weighted_total(p.scores, weights), p.by_partner)
                for p in assessment.ranking]
    return _rank(unranked, weighted)


def combine(values: Sequence[float], rule: str) -> float | None:
    return COMBINE[rule](list(values)) if values else None


def assess(returns: Sequence[Return], scheme: Scheme) -> Assessment:
    """Combine every partner's valid scores per priority and criterion, then rank."""
    groups = _groups(returns, scheme)
    unranked: list[Unranked] = []
    for key, (names, members) in groups.items():
        by_partner = tuple(member for _, member in members)
        combined = tuple(
            combine([s for p in by_partner if (s := p.scores[i]) is not None], scheme.aggregation)
            for i in range(len(scheme.criteria)))
        unranked.append((names[0], key, combined, _weighted_total(combined, scheme.weights), by_partner))
    return Assessment(scheme, _rank(unranked, scheme), tuple(returns))


class Place(NamedTuple):
    """Where a priority ranks in a re-ranking: all that a stability test looks at."""

    name: str
    key: str
    rank: int
    tied: bool
    recommended: bool

    @property
    def rank_label(self) -> str:
        return rank_label(self.rank, self.tied)


def rank_label(rank: int, tied: bool) -> str:
    """A rank as printed: "=2" when it is shared, "2" otherwise (made here and only here)."""
    return f"={rank}" if tied else str(rank)


def leave_one_out(assessment: Assessment) -> Iterator[tuple[Return, tuple[RankedPriority, ...]]]:
    """For each return in turn, the ranking without it: exactly what `assess` gives for the
    other returns, but only the priorities that return scored are combined again (from
    running sums and sorted scores), so N re-rankings cost about N, not N squared."""
    return _leave_one_out(assessment, with_partners=True)


def leave_one_out_places(assessment: Assessment) -> Iterator[tuple[Return, tuple[Place, ...]]]:
    """leave_one_out's rankings as places only: the same ranks, ties and recommended set,
    without the partners' scores of every priority of every re-ranking (at 1,000 returns,
    copying those was most of the work)."""
    return _leave_one_out(assessment, with_partners=False)


@overload
def _leave_one_out(assessment: Assessment,
                   with_partners: Literal[True]) -> Iterator[tuple[Return, tuple[RankedPriority, ...]]]: ...
@overload
def _leave_one_out(assessment: Assessment,
                   with_partners: Literal[False]) -> Iterator[tuple[Return, tuple[Place, ...]]]: ...
def _leave_one_out(assessment: Assessment, with_partners: bool
                   ) -> Iterator[tuple[Return, tuple[RankedPriority, ...] | tuple[Place, ...]]]:
    """Each re-ranking as RankedPriority (`with_partners`) or as Place: then each priority
    carries how many partners scored it, not their scores, until it is placed."""
    scheme, returns = assessment.scheme, assessment.returns
    groups = _groups(returns, scheme)
    weights, rule = scheme.weights, scheme.aggregation
    criteria = range(len(scheme.criteria))
    full: dict[str, Any] = {}  # key -> an Unranked item (with_partners), else a Counted one
    #: key -> per criterion, each score a member gave -> the combined score without that one
    #: member's (whole-number scores only: sums of them are exact); None to combine again.
    without: dict[str, list[dict[float, float | None]] | None] = {}
    touched: dict[int, list[tuple[str, int]]] = {}  # id(return) -> (key, member index) it adds
    for key, (names, members) in groups.items():
        by_partner = tuple(member for _, member in members)
        columns = [sorted(s for p in by_partner if (s := p.scores[i]) is not None) for i in criteria]
        exact = all(v.is_integer() and abs(v) < 2 ** 40 for column in columns for v in column)
        # Sums of whole numbers are exact, so sum minus one score over n-1 is exactly the
        # fmean of the others; anything else is combined again from the scores themselves.
        # Scores are few (0 to 5): each is worked out once per criterion, not once per member.
        sums = (math.fsum(c) for c in columns)
        without[key] = [{v: _one_without(column, total, v, rule) for v in set(column)}
                        for column, total in zip(columns, sums, strict=True)] if exact else None
        combined = tuple(combine(c, rule) for c in columns)
        full[key] = (names[0], key, combined, _weighted_total(combined, weights),
                     by_partner if with_partners else len(by_partner))
        for index, (ret, _) in enumerate(members):
            touched.setdefault(id(ret), []).append((key, index))
    for ret in returns:
        changed: dict[str, list[int]] = {}
        for key, index in touched.get(id(ret), ()):
            changed.setdefault(key, []).append(index)
        unranked: list[Any] = []  # Unranked items, or Counted ones
        for key, item in full.items():
            if key not in changed:
                unranked.append(item)
                continue
            names, members = groups[key]
            out = changed[key]
            if len(out) == len(members):
                continue  # only this return scored it: not ranked without them
            name = names[next(i for i in range(len(members)) if i not in out)]  # the first kept's
            tables = without[key]
            if len(out) == 1 and tables is not None:  # the usual case: no walk over every member
                at = out[0]
                combined = tuple(before if value is None else table[value]  # no score from them: no change
                                 for before, value, table in zip(item[2], members[at][1].scores, tables, strict=False))
                kept = (item[4][:at] + item[4][at + 1:]) if with_partners else len(members) - 1
            else:
                others = tuple(member for i, (_, member) in enumerate(members) if i not in out)
                combined = tuple(combine([s for p in others if (s := p.scores[i]) is not None], rule)
                                 for i in criteria)
                kept = others if with_partners else len(others)
            unranked.append((name, key, combined, _weighted_total(combined, weights), kept))
        yield ret, (_rank(unranked, scheme) if with_partners else _places(unranked, scheme))


def _one_without(column: Sequence[float], total: float, value: float, rule: str) -> float | None:
    """A criterion's combined score with one `value` taken out of its sorted `column` of
    scores (whose exact sum is `total`); None when no score is left."""
    n = len(column) - 1
    if n == 0:
        return None
    if rule == "mean":
        return (total - value) / n
    at = bisect.bisect_left(column, value)

    def get(j: int) -> float:
        return column[j] if j < at else column[j + 1]

    if rule == "max":
        return get(n - 1)
    if rule == "min":
        return get(0)
    if n % 2:
        return get(n // 2)
    return (get(n // 2 - 1) + get(n // 2)) / 2


def _groups(returns: Sequence[Return],
            scheme: Scheme) -> dict[str, tuple[list[str], list[tuple[Return, PartnerScores]]]]:
    """Each priority key -> (the name each member gives it, (return, its scores) per member)."""
    groups: dict[str, tuple[list[str], list[tuple[Return, PartnerScores]]]] = {}
    weights = scheme.weights
    for ret in returns:
        for priority in ret.priorities:
            # A declared priority or alias is shown by its declared name; any other name
            # by the first spelling met.
            name = scheme.canonical_priority(priority.name) or priority.name
            names, members = groups.setdefault(priority_key(name), ([], []))
            names.append(name)
            members.append((ret, PartnerScores(ret.partner, ret.file, priority.scores, priority.not_known,
                                               _weighted_total(priority.scores, weights), priority.pestelo,
                                               priority.notes, priority.confidence)))
    return groups


#: A priority to rank: (name, key, combined score per criterion, total, each partner's scores).
Unranked = tuple[str, str, tuple[float | None, ...], float, tuple["PartnerScores", ...]]
#: The same with how many partners scored it instead of their scores (a re-ranking's places).
Counted = tuple[str, str, tuple[float | None, ...], float, int]
Item = TypeVar("Item", Unranked, Counted)


def _ordered(unranked: list[Item], scheme: Scheme
             ) -> tuple[list[Item], list[float], dict[float, int], Counter[float]]:
    """(name, key, combined, total, by_partner or how many partners) per priority -> those
    items in rank order, their printed totals, the rank of each total and how many share it."""
    tie_index = _criterion_index(scheme, scheme.tie_break_criterion)

    def order(item: Item) -> tuple[float, float, int, str]:
        name, _key, combined, total, by_partner = item
        tie = combined[tie_index]
        tie_score = tie if tie is not None else -1.0
        partners = by_partner if isinstance(by_partner, int) else len(by_partner)
        return (-printed(total), -tie_score, -partners, name.casefold())

    # Ranked on the totals as printed: two rows that both print 41.4 share a rank.
    unranked = sorted(unranked, key=order)
    rounded = [printed(item[3]) for item in unranked]
    first: dict[float, int] = {}
    for position, value in enumerate(rounded):
        first.setdefault(value, position + 1)
    return unranked, rounded, first, Counter(rounded)


def _places(unranked: list[Counted], scheme: Scheme) -> tuple[Place, ...]:
    """The places _rank gives the same items."""
    unranked, rounded, first, counts = _ordered(unranked, scheme)
    top_n = scheme.top_n
    return tuple(Place(item[0], item[1], first[value], counts[value] > 1, first[value] <= top_n)
                 for item, value in zip(unranked, rounded, strict=True))


def _rank(unranked: list[Unranked], scheme: Scheme) -> tuple[RankedPriority, ...]:
    """(name, key, combined, total, by_partner) per priority -> the ranking."""
    candidates = scheme.candidate_names
    max_total = scheme.max_total
    unranked, rounded, first, counts = _ordered(unranked, scheme)
    ranking = []
    for position, (name, key, combined, total, by_partner) in enumerate(unranked):
        rank = first[rounded[position]]
        ranking.append(RankedPriority(
            name=name, key=key, scores=combined, total=total, max_total=max_total,
            band=scheme.band(rounded[position]), rank=rank, tied=counts[rounded[position]] > 1,
            recommended=rank <= scheme.top_n, candidate=name in candidates,
            by_partner=by_partner))
    return tuple(ranking)


def _weighted_total(scores: Sequence[float | None], weights: Sequence[float]) -> float:
    return sum(s * w for s, w in zip(scores, weights, strict=False) if s is not None)


def _criterion_index(scheme: Scheme, label: str) -> int:
    wanted = criterion_key(label)
    return next(i for i, c in enumerate(scheme.criteria) if criterion_key(c.label) == wanted)
