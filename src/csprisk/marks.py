"""How csprisk knows its own workbooks: the mark on every workbook it writes, so that it
never reads its own output as a partner's return, and the names of the ranked workbook's
sheets (which `--previous` and `export` look for).

The mark is a custom document property (File > Info > Properties > Advanced > Custom in
Excel). Excel and LibreOffice keep custom properties when they save a workbook again, so
a ranked workbook opened and saved by the analyst is still known for what it is.
"""

from __future__ import annotations

#: The custom document property that says which of csprisk's workbooks this is.
PROPERTY = "csprisk workbook"

RANKED = "ranked workbook"
EXECUTIVE = "executive copy"
ANALYST = "analyst workbook"

#: Workbooks csprisk writes that are never a return, and how a skipped one is described.
#: (The partner template is not among them: filled in, it is a return; blank, it reads as
#: a return with no scores.)
NOT_RETURNS = {
    RANKED: "a ranked workbook csprisk wrote (csprisk merge or Merge & Rank), not a partner's return",
    EXECUTIVE: "the executive's copy of a ranked workbook csprisk wrote, not a partner's return",
    ANALYST: "the analyst workbook csprisk made (csprisk workbook), not a partner's return",
}

#: The ranked workbook's sheets.
SUMMARY, PARTNER_SCORES, VALIDATION, METHOD = "Summary", "Partner scores", "Validation", "Method"
HEATMAP, WHY, DISAGREEMENT, STABILITY = "Heatmap", "Why it ranks here", "Disagreement", "Stability"
CRITERIA_APART, SCENARIOS = "Criteria apart", "Scenarios"
#: Every sheet Merge & Rank writes, in order; a re-run replaces exactly these. Scenarios is
#: written only where the settings declare what-if scenarios.
REPORT_SHEETS = (SUMMARY, HEATMAP, WHY, SCENARIOS, DISAGREEMENT, CRITERIA_APART, STABILITY, PARTNER_SCORES,
                 VALIDATION, METHOD)
#: The sheets the executive receives (csprisk export), in order, those the workbook has.
EXECUTIVE_SHEETS = (SUMMARY, HEATMAP, WHY, SCENARIOS, METHOD)
