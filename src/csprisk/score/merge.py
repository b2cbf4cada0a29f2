"""Merge & Rank: read every return, collect findings, combine and rank.

`merge_sources` is the one pipeline; files (`merge_files`) and the sheets of an open
workbook (the add-in) both feed it grids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from csprisk.findings import ERROR, Code, Finding, as_typed
from csprisk.read.sources import Source
from csprisk.scheme import Scheme, priority_key
from csprisk.score.across import identical_returns, keep_guesses_apart
from csprisk.score.assess import Assessment, assess
from csprisk.score.parse import Return, parse_returns
from csprisk.version import __version__

if TYPE_CHECKING:
    from csprisk.read.previous import PreviousRanking

MERGED, REJECTED, SKIPPED = "merged", "rejected", "skipped"


@dataclass(frozen=True)
class ReturnStatus:
    file: str
    partner: str
    status: str
    priorities: int
    reason: str = ""
    sha256: str = ""
    in_book: bool = False  # the return is a sheet of the workbook Merge & Rank ran in
    #: The sheet read ("" where none was): a workbook with a sheet per partner has a status each.
    sheet: str = ""
    #: The file a symbolic link among the inputs points to ("" when the input is no link).
    target: str = ""

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"file": self.file, "sheet": self.sheet, "partner": self.partner,
                                    "status": self.status, "priorities": self.priorities, "reason": self.reason}
        if self.target:
            document["target"] = self.target
        return document


class Frames(NamedTuple):
    """MergeResult.frames(): pandas DataFrames."""

    scores: Any
    ranking: Any
    findings: Any


@dataclass(frozen=True)
class MergeResult:
    assessment: Assessment
    findings: tuple[Finding, ...]
    statuses: tuple[ReturnStatus, ...]
    #: Returns read but not merged (a partner's earlier duplicate): kept for the record.
    superseded: tuple[Return, ...] = ()
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def scheme(self) -> Scheme:
        return self.assessment.scheme

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def to_dict(self, previous: PreviousRanking | None = None) -> dict[str, Any]:
        """The JSON document of `merge --json` and `validate --json`: a documented contract
        (README, "--json"). `previous`, an earlier ranking, adds movement since then."""
        scheme = self.scheme
        ranking = [{
            "rank": p.rank, "rank_label": p.rank_label, "priority": p.name, "total": round(p.total, 4),
            "total_printed": p.printed_total, "max_total": p.max_total, "percent": round(p.percent * 100, 1),
            "band": p.band,
            "partners": len(p.partners), "partner_names": list(p.partners), "not_known": p.not_known,
            "recommended": p.recommended,
            "scores": {c.label: s for c, s in zip(scheme.criteria, p.scores, strict=True)},
            "confidence": p.confidence,
            "pestelo": list(p.pestelo),
            "notes": [{"partner": partner, "note": note} for partner, note in p.notes],
        } for p in self.assessment.ranking]
        scenarios = [{"name": scenario.name, "ranking": [{
            "priority": p.name, "rank": p.rank, "rank_label": p.rank_label, "total": round(p.total, 4),
            "total_printed": p.printed_total, "max_total": p.max_total, "recommended": p.recommended} for p in ranked]}
            for scenario, ranked in self.assessment.scenarios]
        document = {
            "ranking": ranking,
            "scenarios": scenarios,
            "findings": [f.as_dict() for f in self.findings],
            "returns": [s.as_dict() for s in self.statuses],
            "aggregation": scheme.aggregation,
            "version": __version__,
        }
        if previous is not None:
            from csprisk.score.movement import movements

            moved, dropped = movements(self.assessment.ranking, previous, scheme)
            for entry, p in zip(ranking, self.assessment.ranking, strict=True):
                entry["movement"] = moved[p.key].as_dict()
            document["dropped"] = [m.as_dict() | {"priority": m.name} for m in dropped]
        return document

    def frames(self) -> Frames:
        """The result as tidy pandas DataFrames, for analysts in Jupyter or their own scripts:
        `scores` (one row per partner, priority and criterion, as typed), `ranking` and
        `findings`. pandas is imported only here."""
        import pandas as pd

        scores = pd.DataFrame(
            [(ret.partner, ret.file, ret.sheet, c.priority, c.criterion, c.cell, as_typed(c.value), c.status,
              c.score, c.counted)
             for ret in self.assessment.returns for c in ret.cells],
            columns=["partner", "file", "sheet", "priority", "criterion", "cell", "value", "status", "score",
                     "counted"])
        labels = list(self.scheme.labels)
        ranking = pd.DataFrame(
            [(p.rank, p.rank_label, p.name, p.total, p.max_total, p.band, len(p.partners), p.not_known,
              p.recommended, *p.scores) for p in self.assessment.ranking],
            columns=["rank", "rank_label", "priority", "total", "max_total", "band", "partners", "not_known",
                     "recommended", *labels])
        findings = pd.DataFrame([f.as_dict() for f in self.findings],
                                columns=["code", "severity", "file", "sheet", "cell", "value", "message"])
        return Frames(scores, ranking, findings)

    def partner_of(self, file: str, sheet: str = "") -> str:
        """The partner whose return `file` is (the one on `sheet`, where a workbook holds a
        return per partner)."""
        partners = self._partner_by_file
        return partners.get((file, sheet)) or partners.get((file, None), "")

    @cached_property
    def _partner_by_file(self) -> dict[tuple[str, str | None], str]:
        """(file, sheet) -> partner, and (file, None) -> the partner of its first status."""
        partners: dict[tuple[str, str | None], str] = {}
        for status in self.statuses:
            partners.setdefault((status.file, None), status.partner)  # the first status, as before
            partners.setdefault((status.file, status.sheet), status.partner)
        return partners


Progress = Callable[[int, int, str], None]


def merge_sources(sources: Iterable[Source], scheme: Scheme,
                  progress: Progress | None = None, total: int = 0) -> MergeResult:
    findings: list[Finding] = []
    statuses: dict[str, ReturnStatus] = {}
    parsed: list[tuple[Source, Return]] = []

    def record(source: Source, partner: str, status: str, priorities: int, reason: str = "",
               sheet: str = "", several: bool = False) -> None:
        key = f"{source.label}\n{sheet}" if several else source.label
        statuses[key] = ReturnStatus(source.label, partner, status, priorities, reason, source.sha256,
                                     source.in_book, sheet, source.target)

    #: id(source) -> whether it gave several returns (then each has a status of its own, by
    #: sheet); read only for sources held in `parsed`, whose ids are theirs while they live.
    several: dict[int, bool] = {}
    for done, source in enumerate(sources, 1):
        if progress:
            progress(done, total, source.label)
        if source.findings and source.findings[0].code == Code.NOT_A_RETURN:
            record(source, "", SKIPPED, 0, source.findings[0].message)
            continue
        findings += source.findings
        if source.findings and not source.grids and source.parsed is None:
            record(source, "", REJECTED, 0, source.findings[0].message)
            continue
        returns, found = source.parsed or parse_returns(source.grids, scheme, source.label)
        findings += found
        if not returns:
            record(source, "", REJECTED, 0, found[0].message)
            continue
        several[id(source)] = len(returns) > 1
        if scheme.partners:
            returns = [_as_listed(ret, scheme, findings) for ret in returns]
        for ret in returns:
            if not ret.priorities:
                findings.append(Code.NO_SCORES.finding(file=source.label, sheet=ret.sheet))
                record(source, ret.partner, REJECTED, 0, "no scored priorities", ret.sheet, several[id(source)])
                continue
            parsed.append((source, ret))
            record(source, ret.partner, MERGED, len(ret.priorities), "", ret.sheet, several[id(source)])
    parsed, apart = keep_guesses_apart(parsed)
    findings += apart
    for source, ret in parsed if apart else ():
        record(source, ret.partner, MERGED, len(ret.priorities), "", ret.sheet, several[id(source)])
    kept, dropped = _latest_per_partner(parsed)
    for (source, ret), newer in dropped:
        record(source, ret.partner, SKIPPED, len(ret.priorities),
               f"an earlier return from {ret.partner}; {newer} was used", ret.sheet, several[id(source)])
        findings.append(Code.DUPLICATE_RETURN.finding(file=source.label, sheet=ret.sheet, value=ret.partner,
                                                      partner=ret.partner, newer=newer))
    findings += identical_returns([ret for _, ret in kept])
    findings += similar_priorities([ret for _, ret in kept], scheme)
    assessment = assess([ret for _, ret in kept], scheme)
    return MergeResult(assessment, tuple(findings), tuple(statuses.values()),
                       tuple(ret for (_, ret), _ in dropped))


#: How alike two normalised names must be (difflib ratio) to suggest they are one priority.
SIMILAR_NAME_RATIO = 0.8


def similar_priorities(returns: Sequence[Return], scheme: Scheme) -> list[Finding]:
    """Warn about a name that matches nothing else but closely resembles another name.

    Names are never merged on a guess: the warning says which name it resembles and how
    to make them one (an alias in the settings)."""
    import difflib

    known: dict[str, str] = {}  # key -> a name to show
    for priority in scheme.priorities:
        for spelling in (priority.name, *priority.aliases):
            known.setdefault(priority_key(spelling), priority.name)
    named_by: dict[str, set[int]] = {}
    for index, ret in enumerate(returns):
        for p in ret.priorities:
            named_by.setdefault(p.key, set()).add(index)
            known.setdefault(p.key, p.name)
    found = []
    for index, ret in enumerate(returns):
        for p in ret.priorities:
            if scheme.canonical_priority(p.name) or named_by[p.key] - {index}:
                continue  # a candidate priority, an alias, or a name another return also uses
            others = [k for k in known if k != p.key]
            matches = [m for m in difflib.get_close_matches(p.key, others, n=3, cutoff=SIMILAR_NAME_RATIO)
                       if same_words(p.name, known[m])]
            if not matches:
                continue
            likely = known[matches[0]]
            found.append(Code.SIMILAR_PRIORITY.finding(file=ret.file, sheet=ret.sheet, cell=p.cell,
                                                       value=p.name, name=p.name, likely=likely))
    return found


def _as_listed(ret: Return, scheme: Scheme, findings: list[Finding]) -> Return:
    """A return under the listed partner its name (or an alias) stands for. A name that is
    not listed but closely resembles a listed one is warned of, never merged on a guess."""
    listed = scheme.canonical_partner(ret.partner)
    if listed is not None:
        return ret if listed == ret.partner else replace(ret, partner=listed)
    import difflib

    key, words = priority_key(ret.partner), set(_words(ret.partner))
    for name in scheme.partners:
        theirs = set(_words(name))
        if (difflib.SequenceMatcher(None, key, priority_key(name)).ratio() >= SIMILAR_NAME_RATIO
                or (theirs and words and (theirs <= words or words <= theirs))):
            findings.append(Code.PARTNER_UNEXPECTED.finding(file=ret.file, sheet=ret.sheet, value=ret.partner,
                                                            partner=ret.partner, listed=name))
            break
    return ret


def _words(name: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", name.casefold().replace("-", "").replace("&", " and "))


def same_words(a: str, b: str) -> bool:
    """Whether two alike names may be one issue mistyped: not when each has a whole word
    the other lacks ("Docks ward: burglary" and "Docks ward: criminal damage", or "Hill
    ward" and "Docks ward"). A word is matched by a near-miss of it ("offendng") or a form
    of it ("Reduce", "Reducing")."""
    import difflib

    first, second = _words(a), _words(b)

    def related(word: str, other: str) -> bool:
        return (word == other or word in other or other in word
                or (len(word) >= 4 and len(other) >= 4 and word[:4] == other[:4])
                or difflib.SequenceMatcher(None, word, other).ratio() >= 0.75)

    def has_own_word(words: list[str], others: list[str]) -> bool:
        return any(not any(related(w, o) for o in others) for w in words)

    return not (has_own_word(first, second) and has_own_word(second, first))


Parsed = tuple[Source, Return]


def _latest_per_partner(parsed: list[Parsed]) -> tuple[list[Parsed], list[tuple[Parsed, str]]]:
    """Keep each partner's latest return (by the date in it, else the file's time): the kept,
    and each dropped with the label of the one kept instead."""
    by_partner: dict[str, list[Parsed]] = {}
    for item in parsed:
        by_partner.setdefault(priority_key(item[1].partner), []).append(item)
    kept: list[Parsed] = []
    dropped: list[tuple[Parsed, str]] = []
    for items in by_partner.values():
        latest = max(items, key=lambda it: (it[1].date or dt.date.min, it[0].modified or 0.0))
        kept.append(latest)
        dropped += [(it, latest[0].label) for it in items if it is not latest]
    order = {id(item): i for i, item in enumerate(parsed)}
    kept.sort(key=lambda it: order[id(it)])
    return kept, dropped
