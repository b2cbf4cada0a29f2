"""Checks across the partners' returns, before they are combined: a return whose partner is
a guess is never merged into another partner's, and two partners' returns that are one
copy are warned of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from csprisk.findings import Code, Finding
from csprisk.scheme import priority_key
from csprisk.score.parse import Return
from csprisk.score.partners import file_path, partner_from_context

T = TypeVar("T")

#: Two returns are a copy of one another only with at least this many priorities, and this
#: many valid scores, all the same: two partners who agree on a priority or two are no copy.
COPY_MIN_PRIORITIES, COPY_MIN_SCORES = 2, 16


def keep_guesses_apart(items: Sequence[tuple[T, Return]]) -> tuple[list[tuple[T, Return]], list[Finding]]:
    """Each return whose partner name is a guess (from its file, sheet or folder) and is also
    another return's partner, renamed apart from every other partner, with a warning. Returns
    that name their partner in the same words stay together (a partner resending)."""
    by_key: dict[str, list[int]] = {}
    for index, (_, ret) in enumerate(items):
        by_key.setdefault(priority_key(ret.partner), []).append(index)
    taken = set(by_key)
    kept, findings = list(items), []
    for members in by_key.values():
        guessed = [i for i in members if not items[i][1].partner_named]
        if len(members) < 2 or not guessed:
            continue
        names = _names_apart([items[i][1] for i in guessed], taken)
        taken.update(priority_key(name) for name in names)
        for index, name in zip(guessed, names, strict=True):
            origin, ret = items[index]
            others = ", ".join(f'"{items[j][1].file}"' for j in members if j != index)
            _, source = partner_from_context(ret.file, ret.sheet)
            findings.append(Code.PARTNER_NAME_SHARED.finding(
                file=ret.file, sheet=ret.sheet, value=ret.partner, guessed=ret.partner, source=source,
                others=others, used=name))
            kept[index] = (origin, replace(ret, partner=name))
    return kept, findings


def _names_apart(returns: Sequence[Return], taken: set[str]) -> list[str]:
    """A name for each return, its guessed name and what tells it apart: its folder, else its
    file's name, else its whole path (and sheet), the first that sets each apart."""
    def folder(ret: Return) -> str:
        return file_path(ret.file).parent.name

    def file_name(ret: Return) -> str:
        return file_path(ret.file).name

    def path(ret: Return) -> str:
        return ret.file

    def path_and_sheet(ret: Return) -> str:
        return f"{ret.file}, sheet {ret.sheet}"

    for tell in (folder, file_name, path, path_and_sheet):
        names = [f"{ret.partner} ({tell(ret)})" if tell(ret) and priority_key(tell(ret)) != priority_key(ret.partner)
                 else "" for ret in returns]
        keys = [priority_key(name) for name in names]
        if all(names) and len(set(keys)) == len(keys) and not set(keys) & taken:
            return names
    return [f"{ret.partner} ({ret.file}, sheet {ret.sheet}, {n})" for n, ret in enumerate(returns, 1)]


def identical_returns(returns: Sequence[Return]) -> list[Finding]:
    """A warning for each return whose scores are another partner's, every one: the same
    priorities (at least COPY_MIN_PRIORITIES), and each criterion's score the same or each
    not given, with at least COPY_MIN_SCORES scores in all."""
    first_with: dict[tuple[tuple[str, tuple[float | None, ...]], ...], Return] = {}
    findings = []
    for ret in returns:
        scores = sum(s is not None for p in ret.priorities for s in p.scores)
        if len(ret.priorities) < COPY_MIN_PRIORITIES or scores < COPY_MIN_SCORES:
            continue
        fingerprint = tuple(sorted(((p.key, p.scores) for p in ret.priorities), key=lambda item: item[0]))
        first = first_with.setdefault(fingerprint, ret)
        if first is ret or priority_key(first.partner) == priority_key(ret.partner):
            continue
        findings.append(Code.RETURNS_IDENTICAL.finding(
            file=ret.file, sheet=ret.sheet, value=ret.partner, partner=ret.partner, other=first.partner,
            other_file=first.file, priorities=len(ret.priorities), scores=scores))
    return findings

