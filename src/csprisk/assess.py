"""Parsed returns -> assessment: combined scores, totals, ranks and bands.

Pure scoring: nothing here knows of files, Excel or the terminal.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable, Sequence

from .parse import Return
from .scheme import Scheme, criterion_key, priority_key

COMBINE: dict[str, Callable[[list[float]], float]] = {
    "mean": statistics.fmean,
    "median": statistics.median,
    "max": max,
    "min": min,
}

#: Totals closer than this are equal (means of thirds must not break a tie by rounding noise).
TOTAL_PRECISION = 6


@dataclass(frozen=True)
class PartnerScores:
    """One partner's scores for one priority, as counted."""

    partner: str
    file: str
    scores: tuple[float | None, ...]
    not_known: int
    total: float


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
        return f"={self.rank}" if self.tied else str(self.rank)

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


def combine(values: Sequence[float], rule: str) -> float | None:
    return COMBINE[rule](list(values)) if values else None


def assess(returns: Sequence[Return], scheme: Scheme) -> Assessment:
    """Combine every partner's valid scores per priority and criterion, then rank."""
    groups: dict[str, list[tuple[Return, int]]] = {}
    names: dict[str, str] = {}
    for ret in returns:
        for index, priority in enumerate(ret.priorities):
            # A declared priority or alias is shown by its declared name; any other name
            # by the first spelling met.
            name = scheme.canonical_priority(priority.name) or priority.name
            key = priority_key(name)
            names.setdefault(key, name)
            groups.setdefault(key, []).append((ret, index))
    candidates = {scheme.canonical_priority(p.name) for p in scheme.priorities}
    unranked = []
    for key, members in groups.items():
        by_partner = []
        for ret, index in members:
            priority = ret.priorities[index]
            by_partner.append(PartnerScores(
                ret.partner, ret.file, priority.scores, priority.not_known,
                _weighted_total(priority.scores, scheme.weights)))
        combined = tuple(
            combine([p.scores[i] for p in by_partner if p.scores[i] is not None], scheme.aggregation)
            for i in range(len(scheme.criteria)))
        total = _weighted_total(combined, scheme.weights)
        unranked.append((names[key], key, combined, total, tuple(by_partner)))
    tie_index = _criterion_index(scheme, scheme.tie_break_criterion)

    def order(item):
        name, _key, combined, total, by_partner = item
        tie_score = combined[tie_index] if combined[tie_index] is not None else -1.0
        return (-round(total, TOTAL_PRECISION), -tie_score, -len(by_partner), name.casefold())

    unranked.sort(key=order)
    rounded = [round(item[3], TOTAL_PRECISION) for item in unranked]
    ranking = []
    for position, (name, key, combined, total, by_partner) in enumerate(unranked):
        rank = rounded.index(rounded[position]) + 1
        tied = rounded.count(rounded[position]) > 1
        ranking.append(RankedPriority(
            name=name, key=key, scores=combined, total=total, max_total=scheme.max_total,
            band=scheme.band(round(total, TOTAL_PRECISION)), rank=rank, tied=tied,
            recommended=rank <= scheme.top_n, candidate=name in candidates,
            by_partner=by_partner))
    return Assessment(scheme, tuple(ranking), tuple(returns))


def _weighted_total(scores: Sequence[float | None], weights: Sequence[float]) -> float:
    return sum(s * w for s, w in zip(scores, weights) if s is not None)


def _criterion_index(scheme: Scheme, label: str) -> int:
    wanted = criterion_key(label)
    return next(i for i, c in enumerate(scheme.criteria) if criterion_key(c.label) == wanted)
