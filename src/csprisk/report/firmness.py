"""How firm is the ranking: drivers, disagreement, close calls and leave-one-out stability.

Pure functions over an `Assessment`: nothing here knows of sheets, files or Excel. The
executive's sheets (executive.py) put these facts into words and tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from csprisk.scheme import Scheme, figure, format_number
from csprisk.score.assess import TOTAL_PRECISION, Assessment, Place, RankedPriority, leave_one_out_places, printed
from csprisk.words import agree, join_and, plural, possessive

#: Totals this close (or closer) are called a near-tie: the matrix is too coarse to order them.
NEAR_TIE_POINTS = 2.0
#: Partners whose scores for one criterion differ by this much need a consensus discussion.
DISAGREEMENT_POINTS = 3.0
#: How many criteria are shown as "driving" a priority's total.
DRIVER_COUNT = 3


# --- drivers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Driver:
    index: int  # 0-based criterion index
    label: str
    score: float  # combined score
    contribution: float  # score x weight: what it adds to the total


def drivers(priority: RankedPriority, scheme: Scheme, count: int = DRIVER_COUNT) -> tuple[Driver, ...]:
    """The criteria adding most to a priority's total (ties go to the earlier criterion)."""
    scored = [Driver(i, c.label, s, s * c.weight)
              for i, (c, s) in enumerate(zip(scheme.criteria, priority.scores, strict=False))
              if s is not None and s * c.weight > 0]
    scored.sort(key=lambda d: (-round(d.contribution, TOTAL_PRECISION), d.index))
    return tuple(scored[:count])


# --- disagreement -------------------------------------------------------------------------

@dataclass(frozen=True)
class Spread:
    """The lowest and highest of the partners' own totals for one priority."""

    low: float
    high: float
    low_partners: tuple[str, ...]
    high_partners: tuple[str, ...]

    @property
    def points(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class Split:
    """One criterion of one priority where partners' scores differ by DISAGREEMENT_POINTS or more."""

    index: int
    label: str
    low: float
    high: float
    low_partners: tuple[str, ...]
    high_partners: tuple[str, ...]
    #: The priority's partners' scores (PartnerScores), held by reference: `scores` pairs them up.
    by_partner: tuple = field(repr=False, compare=False, default=())

    @property
    def points(self) -> float:
        return self.high - self.low

    @property
    def scores(self) -> tuple[tuple[str, float], ...]:
        """Every partner's valid score, in return order (made when asked: at national scale
        the pairs of every split of every priority were most of the report's memory)."""
        index = self.index
        return tuple((p.partner, p.scores[index]) for p in self.by_partner if p.scores[index] is not None)


def total_spread(priority: RankedPriority) -> Spread | None:
    """None when fewer than two partners scored the priority."""
    return _spread([p.partner for p in priority.by_partner], [p.total for p in priority.by_partner])


def splits(priority: RankedPriority, scheme: Scheme,
           points: float = DISAGREEMENT_POINTS) -> tuple[Split, ...]:
    """Criteria where partners differ by `points` or more, widest first."""
    found = []
    by_partner = priority.by_partner
    partners = [p.partner for p in by_partner]
    for index, criterion in enumerate(scheme.criteria):
        spread = _spread(partners, [p.scores[index] for p in by_partner])
        if spread is not None and spread.points >= points - 10 ** -TOTAL_PRECISION:
            found.append(Split(index, criterion.label, spread.low, spread.high,
                               spread.low_partners, spread.high_partners, by_partner))
    found.sort(key=lambda s: (-s.points, s.index))
    return tuple(found)


def _spread(partners: Sequence[str], values: Sequence[float | None]) -> Spread | None:
    """The lowest and highest of `values` (one per partner; None where a partner gave none)
    and who gave them; None when fewer than two gave one."""
    given = [v for v in values if v is not None]
    if len(given) < 2:
        return None
    low, high = min(given), max(given)
    return Spread(low, high, tuple(p for p, v in zip(partners, values, strict=False) if v == low),
                  tuple(p for p, v in zip(partners, values, strict=False) if v == high))


# --- ties and near-ties -------------------------------------------------------------------

@dataclass(frozen=True)
class CloseGroup:
    """Priorities next to each other in the ranking, each within NEAR_TIE_POINTS of the next."""

    members: tuple[RankedPriority, ...]
    straddles_cut_off: bool

    @property
    def exact_tie(self) -> bool:
        return len({p.printed_total for p in self.members}) == 1

    @property
    def points(self) -> float:
        """How far apart its first and last are, as printed."""
        return gap(self.members[0].total, self.members[-1].total)


def gap(higher: float, lower: float) -> float:
    """The points between two totals as printed (43.1 and 42.0 are 1.1 apart, whatever the
    hundredths behind them): the paper's own arithmetic."""
    return round(printed(higher) - printed(lower), 1)


def close_groups(ranking: Sequence[RankedPriority], points: float = NEAR_TIE_POINTS) -> tuple[CloseGroup, ...]:
    groups: list[list[RankedPriority]] = []
    for previous, current in zip(ranking, ranking[1:], strict=False):
        if gap(previous.total, current.total) <= points:
            if groups and groups[-1][-1] is previous:
                groups[-1].append(current)
            else:
                groups.append([previous, current])
    return tuple(CloseGroup(tuple(g), any(p.recommended for p in g) and not all(p.recommended for p in g))
                 for g in groups)


def close_call_sentences(ranking: Sequence[RankedPriority], scheme: Scheme, points: float = NEAR_TIE_POINTS,
                         names: int | None = None, groups_near: int | None = None, see: str = "") -> list[str]:
    """Ties and near-ties in words, the ones at the cut-off first. `names`: a sentence names
    at most that many priorities, then "and N more"; `groups_near`: only groups reaching the
    top `groups_near` ranks are told, the rest counted in one sentence; `see` says where the
    rest are (a sheet's name)."""
    found = sorted(close_groups(ranking, points), key=lambda g: (not g.straddles_cut_off, g.members[0].rank))
    told = [g for g in found if groups_near is None or g.members[0].rank <= groups_near]
    where = f" (see the {see} sheet)" if see else ""
    sentences = []
    for group in told:
        members = group.members
        shown = members if names is None or len(members) <= names else members[:names]
        more = len(members) - len(shown)
        tail = [f"{more} more{where}"] if more else []
        if group.exact_tie:
            text = (f"{join_and([p.name for p in shown] + tail)} tie on {figure(members[0].total)} "
                    f"and share rank {members[0].rank_label}.")
        elif group.points <= points + 10 ** -TOTAL_PRECISION:
            listed = join_and([f"{p.name} ({figure(p.total)})" for p in shown] + tail)
            text = (f"Near-tie: {listed} are within {figure(group.points)} "
                    f"point{'s' if figure(group.points) != '1' else ''} of each other.")
        else:
            listed = join_and([f"{p.name} ({figure(p.total)})" for p in shown] + tail)
            text = (f"Near-ties: {listed} are each within {format_number(points)} points of the next; "
                    "their order is not a firm result.")
        if group.straddles_cut_off:
            text += (f" The cut-off for the top {scheme.top_n} falls inside this group, so which of "
                     "them is recommended is a judgement, not a clear result of the scores.")
        sentences.append(text)
    rest = len(found) - len(told)
    if rest:
        sentences.append(f"Lower down, {plural(rest, 'more group')} of priorities "
                         f"{agree(rest, 'is')} tied or within {format_number(points)} points of "
                         f"each other{where}.")
    if not found and len(ranking) > 1:
        sentences.append(f"No two priorities are within {format_number(points)} points of each other.")
    return sentences


# --- stability: leave each partner out in turn --------------------------------------------

#: Where a priority lands in one leave-one-out re-ranking. Only the place is kept: a
#: RankedPriority holds every partner's scores, and a thousand re-rankings of them were
#: most of a big merge's memory.
RerankedPriority = Place


@dataclass(frozen=True)
class LeaveOneOut:
    partner: str
    ranking: tuple[RerankedPriority, ...]
    dropped_out: tuple[str, ...]  # recommended now, not without this partner
    came_in: tuple[str, ...]  # not recommended now, recommended without this partner

    @property
    def changes_recommended(self) -> bool:
        return bool(self.dropped_out or self.came_in)

    def rank_of(self, key: str) -> RerankedPriority | None:
        return self._by_key.get(key)

    @cached_property
    def _by_key(self) -> dict[str, RerankedPriority]:
        return {p.key: p for p in self.ranking}


@dataclass(frozen=True)
class RankRange:
    key: str
    name: str
    rank: int
    best: int
    worst: int
    #: Partners without whom the priority is not ranked at all (they alone scored it).
    unranked_without: tuple[str, ...]
    recommended_runs: int
    runs: int


@dataclass(frozen=True)
class Stability:
    runs: tuple[LeaveOneOut, ...]
    ranges: tuple[RankRange, ...]  # in the current rank order

    @property
    def changes(self) -> tuple[LeaveOneOut, ...]:
        return tuple(run for run in self.runs if run.changes_recommended)

    def range_of(self, key: str) -> RankRange | None:
        return self._by_key.get(key)

    @cached_property
    def _by_key(self) -> dict[str, RankRange]:
        return {r.key: r for r in self.ranges}


def stability(assessment: Assessment) -> Stability:
    """Re-rank with each partner's return left out; ranks are compared with the full ranking."""
    returns = assessment.returns
    runs = []
    if len(returns) >= 2:
        now = {p.name for p in assessment.recommended}
        for left_out, ranking in leave_one_out_places(assessment):
            then = {p.name for p in ranking if p.recommended}
            runs.append(LeaveOneOut(
                left_out.partner,
                ranking,
                tuple(p.name for p in assessment.ranking if p.name in now - then),
                tuple(p.name for p in ranking if p.name in then - now)))
    ranges = []
    for priority in assessment.ranking:
        ranks = [priority.rank]
        missing, recommended = [], 0
        for run in runs:
            other = run.rank_of(priority.key)
            if other is None:
                missing.append(run.partner)
            else:
                ranks.append(other.rank)
                recommended += other.recommended
        ranges.append(RankRange(priority.key, priority.name, priority.rank, min(ranks), max(ranks),
                                tuple(missing), recommended, len(runs)))
    return Stability(tuple(runs), tuple(ranges))


def stability_sentences(result: Stability, scheme: Scheme, limit: int | None = None) -> list[str]:
    """Would the recommended set change if one partner's return were left out, and because of
    whom; at most `limit` partners are named (a big roll-up points to the Stability sheet)."""
    if not result.runs:
        return ["Only one return was merged, so the ranking cannot be tested by leaving a partner out."]
    if not result.changes:
        return [f"The recommended top {scheme.top_n} stays the same whichever partner's return is left "
                f"out ({len(result.runs)} re-rankings)."]
    sentences = [f"The recommended top {scheme.top_n} depends on single partners: "
                 f"{len(result.changes)} of {len(result.runs)} re-rankings "
                 f"{agree(len(result.changes), 'changes')} it."]
    shown = result.changes if limit is None else result.changes[:limit]
    for run in shown:
        parts = []
        if run.dropped_out:
            parts.append(f"{join_and(run.dropped_out)} would drop out")
        if run.came_in:
            parts.append(f"{join_and(run.came_in)} would come in")
        sentences.append(f"Without {possessive(run.partner)} return, {' and '.join(parts)}.")
    if len(shown) < len(result.changes):
        more = len(result.changes) - len(shown)
        who = ("1 other partner's return changes it too: it is" if more == 1 else
               f"any of {more} other partners' returns changes it too: each is")
        sentences.append(f"Leaving out {who} listed on the Stability sheet of the ranked workbook.")
    return sentences
