"""Movement since the last assessment: each priority's rank and total against last time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from csprisk.read.previous import PreviousEntry, PreviousRanking
from csprisk.scheme import Scheme, priority_key
from csprisk.score.assess import RankedPriority, printed

UP, DOWN, SAME, NEW, DROPPED = "up", "down", "same", "new", "dropped"


@dataclass(frozen=True)
class Movement:
    status: str  # UP, DOWN, SAME, NEW or DROPPED
    name: str
    rank_change: int | None = None  # places moved up (negative: down)
    total_change: float | None = None
    previous: PreviousEntry | None = None

    def as_dict(self) -> dict[str, Any]:
        """As the JSON's "movement" (and "dropped") entries carry it."""
        before = self.previous
        return {"status": self.status, "rank_change": self.rank_change, "total_change": self.total_change,
                "previous_rank": before.rank_label if before else None,
                "previous_total": before.total if before else None}

    @property
    def words(self) -> str:
        before = self.previous
        if self.status == NEW or before is None:  # only a new priority has nothing before
            return "new"
        if self.status == DROPPED:
            return f"dropped (was {before.rank_label})"
        was = f"(was {before.rank_label})"
        if self.status == SAME or self.rank_change is None:  # only UP and DOWN have moved
            return f"same {was}"
        places = abs(self.rank_change)
        arrow = "\u25B2" if self.status == UP else "\u25BC"
        return f"{arrow} {self.status} {places} {was}"


def movements(ranking: Sequence[RankedPriority], previous: PreviousRanking,
              scheme: Scheme) -> tuple[dict[str, Movement], tuple[Movement, ...]]:
    """(movement per current priority key, priorities ranked last time and not now)."""
    earlier: dict[str, PreviousEntry] = {}
    for entry in previous.entries:
        earlier.setdefault(priority_key(scheme.canonical_priority(entry.name) or entry.name), entry)
    moved = {}
    for p in ranking:
        before = earlier.get(p.key)
        if before is None:
            moved[p.key] = Movement(NEW, p.name)
            continue
        change = before.rank - p.rank
        status = UP if change > 0 else DOWN if change < 0 else SAME
        moved[p.key] = Movement(status, p.name, change,
                                round(printed(p.total) - printed(before.total), 1), before)
    dropped = tuple(Movement(DROPPED, e.name, previous=e) for key, e in earlier.items()
                    if key not in moved)
    return moved, dropped


