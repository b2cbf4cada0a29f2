"""Findings -> what each partner is told: their return's things to fix, cell by cell.

One `Feedback` per return file with errors or warnings: the cells to mark in their own
workbook, and the words of the note (the body of their email draft). Everything here is in
the partner's terms (`Finding.for_partner`); what the analyst must do (an alias, the inputs)
stays in the findings' messages, on the terminal and the Validation sheet. Nothing here
knows about files, email or Excel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath, PureWindowsPath

from csprisk.findings import ERROR, INFO, WARNING, Code, Finding
from csprisk.score.merge import MergeResult
from csprisk.words import agree, plural

SECTIONS = (
    (ERROR, "Please fix (these scores could not be used)"),
    (WARNING, "Please check"),
    (INFO, "For your information"),
)
#: The colours of the marks (excel/marked_cells.py paints them), as the partner is told them.
COLOUR_NAMES = {ERROR: "purple", WARNING: "blue"}
#: What each mark means, by severity: the section it is listed under, and what to do.
_MARK_MEANINGS = {ERROR: ("Please fix", "please fix"), WARNING: ("Please check", "please check")}


@dataclass(frozen=True)
class Feedback:
    """What one return file's partner is told."""

    file: str  # the file as the findings name it
    partner: str  # "" when the return names no partner
    findings: tuple[Finding, ...]  # errors and warnings first, then notes

    @property
    def stem(self) -> str:
        """The file's name without its folder or ending ("police" for returns/police.xlsx)."""
        return PurePath(PureWindowsPath(self.file).as_posix()).stem or "return"

    @property
    def name(self) -> str:
        return PurePath(PureWindowsPath(self.file).as_posix()).name

    @property
    def to_fix(self) -> int:
        """How many things the partner must fix (errors: scores that could not be used)."""
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def to_check(self) -> int:
        """How many things the partner is asked to check (warnings: all valid scores were used)."""
        return sum(f.severity == WARNING for f in self.findings)

    def at_cells(self) -> list[Finding]:
        """The errors and warnings that name a cell: the ones marked in the workbook."""
        return [f for f in self.findings if f.severity in (ERROR, WARNING) and f.sheet and f.cell]


def partner_feedback(result: MergeResult) -> list[Feedback]:
    """One Feedback per return file with errors or warnings, in the order of the files."""
    by_file: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.file:  # a finding about the run itself is the analyst's
            by_file.setdefault(f.file, []).append(f)
    order = {status.file: i for i, status in reversed(list(enumerate(result.statuses)))}
    feedback = []
    for file, found in sorted(by_file.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        if not any(f.severity in (ERROR, WARNING) for f in found):
            continue
        unnamed = any(f.code == Code.PARTNER_MISSING.value for f in found)
        partner = "" if unnamed else result.partner_of(file)
        rank = {ERROR: 0, WARNING: 1, INFO: 2}
        feedback.append(Feedback(file, partner, tuple(sorted(found, key=lambda f: rank.get(f.severity, 3)))))
    return feedback


def subject(feedback: Feedback, partnership: str, period: str) -> str:
    """"Anytown CSP strategic assessment 2027-28: 2 things to fix and 1 to check in your
    risk-matrix return (fire.xlsx)"; "nothing to fix, 1 thing to check" when all scores were used."""
    what = f"{partnership} strategic assessment {period}".replace("  ", " ").strip()
    return f"{what}: {how_many(feedback)} in your risk-matrix return ({feedback.name})"


def how_many(feedback: Feedback) -> str:
    """"2 things to fix and 1 to check", "3 things to fix", "nothing to fix, 1 thing to check"."""
    fix, check = feedback.to_fix, feedback.to_check
    if not fix:
        return f"nothing to fix, {plural(check, 'thing')} to check"
    return f"{plural(fix, 'thing')} to fix" + (f" and {check} to check" if check else "")


def note(feedback: Feedback, partnership: str, period: str, scale_max: int, marked_name: str = "") -> str:
    """The partner's note: what to fix, where and why, in their terms; ready to send."""
    assessment = f"the {partnership} strategic assessment {period}".replace("  ", " ").strip()
    sent = feedback.name + (f", {one_line(feedback.partner)}" if feedback.partner else "")
    errors, warnings = feedback.to_fix, feedback.to_check
    lines = ["Hello,", "", f"Thank you for your risk-matrix return for {assessment} ({sent})."]
    if errors:
        cells = any(f.cell for f in feedback.findings if f.severity == ERROR)
        also = (f" There {agree(warnings, 'is')} also {plural(warnings, 'thing')} to check."
                if warnings else "")
        lines.append(f"We found {plural(errors, 'thing')} to fix: {'they stop' if errors != 1 else 'it stops'} some "
                     "of your scores being used. " + ("Please correct the cells below and send the workbook back."
                                                      if cells else "Please see below what is needed, and send the "
                                                      "workbook back.") + also)
    else:
        lines.append(f"There is nothing to fix: all your valid scores were used. Please check the "
                     f"{plural(warnings, 'point')} below and let us know if anything should change.")
    if marked_name and feedback.at_cells():
        lines += ["", marked_key(marked_name, {f.severity for f in feedback.at_cells()})]
    for severity, heading in SECTIONS:
        items = [f for f in feedback.findings if f.severity == severity]
        if not items:
            continue
        lines += ["", f"{heading}:"]
        for number, f in enumerate(items, 1):
            lines.append(f"{number:>3}. {place(f)}{one_line(f.for_partner)}")
    lines += ["", f"Scores are whole numbers from 0 to {scale_max}; type NK where a score is not known.",
              "", "Thank you."]
    return "\n".join(lines) + "\n"


def marked_key(marked_name: str, severities: set[str]) -> str:
    """What the marks in the attached copy mean: only what is to fix or to check is marked
    (never what is for their information), in the colours of the marks that are there."""
    shown = [s for s in (ERROR, WARNING) if s in severities]
    under = " or ".join(f'"{_MARK_MEANINGS[s][0]}"' for s in shown)
    colours = "; ".join(f"{COLOUR_NAMES[s]}: {_MARK_MEANINGS[s][1]}" for s in shown)
    return (f'In the attached copy of your workbook, "{marked_name}", each cell listed under {under} has a '
            f"thick box and is filled ({colours}), and carries a note saying what to change: point at the "
            "cell to read it. The notes also print after the sheet.")


def place(f: Finding) -> str:
    """'Sheet "Risk matrix", cell B4: ' (or only the sheet, or nothing, for a whole file)."""
    parts = []
    if f.sheet:
        parts.append(f'Sheet "{one_line(f.sheet)}"')
    if f.cell:
        parts.append(f"cell {f.cell}")
    return (", ".join(parts) + ": ") if parts else ""


def one_line(text: str) -> str:
    """Text from a return (a name, a typed value) on one line, whatever breaks it holds."""
    return re.sub(r"[\r\n\t\v\f\x85\u2028\u2029]+", " ", str(text)).strip()
