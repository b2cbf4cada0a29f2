"""What the executive's and the Operational Delivery Group's sheets share: the view of the
assessment worked out once per report, and the layout helpers every one of them uses."""

from __future__ import annotations

from collections.abc import Sequence

from csprisk.grid import column_letter
from csprisk.read.previous import PreviousRanking
from csprisk.report import measure
from csprisk.report.firmness import (
    Split,
    Stability,
    splits,
    stability,
)
from csprisk.report.model import LINE_HEIGHT, STYLES, Sheet, lines_needed
from csprisk.scheme import figure
from csprisk.score.assess import RankedPriority
from csprisk.score.merge import MergeResult
from csprisk.score.movement import Movement, movements
from csprisk.words import join_and

#: How many priorities below the cut-off the watch list shows.
WATCH_LIST_SIZE = 3
#: A sentence names at most this many priorities or partners, then "and N more".
NAMED_IN_A_SENTENCE = 5


class ExecutiveView:
    """Everything the executive's sheets share, worked out once per report."""

    def __init__(self, result: MergeResult, previous: PreviousRanking | None = None) -> None:
        self.result = result
        self.scheme = result.scheme
        self.ranking = result.assessment.ranking
        self.previous = previous
        self.stability: Stability = stability(result.assessment)
        if previous is not None:
            self.moved, self.dropped = movements(self.ranking, previous, self.scheme)
        else:
            self.moved, self.dropped = {}, ()
        recommended = [p for p in self.ranking if p.recommended]
        self.cut_off = recommended[-1] if recommended else None
        below = [p for p in self.ranking if not p.recommended]
        self.watch_list = tuple(below[:WATCH_LIST_SIZE])
        self._splits: dict[str, tuple[Split, ...]] = {}

    def movement(self, priority: RankedPriority) -> Movement | None:
        return self.moved.get(priority.key)

    def splits(self, priority: RankedPriority) -> tuple[Split, ...]:
        """firmness.splits, worked out once per priority (three sheets ask for them)."""
        if priority.key not in self._splits:
            self._splits[priority.key] = splits(priority, self.scheme)
        return self._splits[priority.key]


# --- shared layout ------------------------------------------------------------------------

def paragraph(sheet: Sheet, text: str, style: str = "paragraph", first: int = 0, last: int | None = None,
              label: str | None = None) -> int:
    """Wrapped text across columns `first`..`last` (merged), with a row tall enough to show it
    all, since neither Excel nor a printer grows a row for merged wrapped text."""
    last = sheet.width - 1 if last is None else last
    row = sheet.next_row
    if label is not None:
        sheet.put(row, first - 1, label, "label-top")
    sheet.put(row, first, text, style)
    if last > first:
        sheet.merged.append(f"{column_letter(first)}{row + 1}:{column_letter(last)}{row + 1}")
    width = sum(sheet.column_widths.get(c, 8.43) for c in range(first, last + 1))
    shape = STYLES[style]
    size = shape.size or measure.DEFAULT_SIZE
    sheet.row_heights[row] = measure.row_points(lines_needed(text, width, size, shape.bold), size)
    sheet.next_row += 1
    return row


def points_words(value: float) -> str:
    return f"{figure(value)} point{'' if figure(value) == '1' else 's'}"


def cut(style: str, priority: RankedPriority, view: ExecutiveView) -> str:
    """The style with a rule below when this is the last recommended row (the cut-off)."""
    last = view.cut_off is priority and len(view.ranking) > 1 + view.ranking.index(priority)
    return f"{style}-cut" if last else style



def bounded(names: Sequence[str], separator: str = ", ", where: str = "", limit: int = NAMED_IN_A_SENTENCE) -> str:
    """Up to `limit` names joined, then "and N more" and where to find them: a sentence never
    grows with the size of the partnership."""
    if len(names) <= limit:
        return separator.join(names) if separator != ", " else join_and(list(names))
    more = len(names) - limit
    joint = " and" if separator == ", " else f"{separator}and"  # "A, B and 3 more"; "A; B; and 3 more"
    return f"{separator.join(names[:limit])}{joint} {more} more{' ' + where if where else ''}"


def merge_across(sheet: Sheet, row: int, first: int, last: int, style: str) -> None:
    for col in range(first + 1, last + 1):
        sheet.put(row, col, None, style)
    if last > first:
        sheet.merged.append(f"{column_letter(first)}{row + 1}:{column_letter(last)}{row + 1}")


def printed_height(sheet: Sheet, rows: int) -> float:
    """Points from the top of the sheet (or of its last manual page break) to the top of
    0-based row `rows`, at 100% scale."""
    start = max((b for b in sheet.page_breaks if b <= rows), default=0)
    return sum(sheet.row_heights.get(r, LINE_HEIGHT) for r in range(start, rows))
