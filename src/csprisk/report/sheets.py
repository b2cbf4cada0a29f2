"""The pieces every sheet of the ranked workbook shares (its sheets' names are in marks)."""

from __future__ import annotations

from csprisk.findings import counts_line
from csprisk.report.model import Sheet
from csprisk.scheme import format_number
from csprisk.score.merge import MERGED, MergeResult

AGGREGATION_WORDS = {
    "mean": "the mean (average) of the partners' valid scores",
    "median": "the median (middle value) of the partners' valid scores",
    "max": "the highest of the partners' valid scores",
    "min": "the lowest of the partners' valid scores",
}



def heading(sheet: Sheet, result: MergeResult, title: str) -> None:
    scheme = result.scheme
    sheet.add_row([f"{scheme.partnership}: {title}"], "title")
    merged = [s for s in result.statuses if s.status == MERGED]
    period = f"Assessment period {scheme.period} · " if scheme.period else ""
    sheet.add_row([f"{period}Produced {result.generated:%d %B %Y at %H:%M} · "
                   f"{len(merged)} return{'s' if len(merged) != 1 else ''} merged"], "subtitle")


def summary_notes(result: MergeResult) -> list[str]:
    scheme = result.scheme
    m = format_number(scheme.max_total)
    return [
        f"Bands: {scheme.bands_description()} that (totals out of {m}).",
        f"Scores combined with {AGGREGATION_WORDS[scheme.aggregation]}; not-known (NK) and invalid "
        "scores take no part.",
        f"Equal totals share a rank, shown as =2; they are listed by {scheme.tie_break_description()}.",
        "A low total does not mean work on an issue stops.",
        f"Findings: {counts_line(list(result.findings))} "
        "(listed on the Validation sheet of the full ranked workbook).",
    ]


