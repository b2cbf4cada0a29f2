"""Words every layer puts figures and names into: "1 error", "2 warnings", "A, B and C"."""

from __future__ import annotations

from collections.abc import Sequence

#: Plurals that are not the word with an "s".
_PLURALS = {"priority": "priorities", "was": "were", "comes": "come", "drops": "drop", "it": "they",
            "looks": "look", "matches": "match", "is": "are", "changes": "change"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """"1 error", "3 errors", "1 priority", "2 priorities"."""
    return f"{count} {word if count == 1 else (many or _PLURALS.get(word, word + 's'))}"


def agree(count: int, word: str) -> str:
    """The verb or noun for `count` things: agree(2, "comes") is "come"."""
    return word if count == 1 else _PLURALS.get(word, word + "s")


def moves(came_in: Sequence[str], dropped_out: Sequence[str]) -> list[str]:
    """How a recommended set changes, in words: ["Hate crime comes in", "ASB and Arson drop out"]."""
    return ([f"{join_and(came_in)} {agree(len(came_in), 'comes')} in"] if came_in else []) + (
        [f"{join_and(dropped_out)} {agree(len(dropped_out), 'drops')} out"] if dropped_out else [])


def join_and(items: Sequence[str]) -> str:
    """"A, B and C": names in a sentence."""
    return _join(items, "and")


def join_or(items: Sequence[str]) -> str:
    """"A, B or C": any one of them."""
    return _join(items, "or")


def possessive(name: str) -> str:
    """"Anytown Police's", "Probation Services'"."""
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") else f"{name}'s"


def _join(items: Sequence[str], word: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]
