"""Findings -> a plain-English note per partner, cell by cell, ready to paste into an email.

The analyst runs `csprisk validate INPUTS --feedback DIR` and sends each partner their
note; nothing here knows about the terminal or Excel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from csprisk.findings import ERROR, INFO, WARNING, Finding
from csprisk.score.merge import MergeResult

SECTIONS = (
    (ERROR, "Please fix (these scores could not be used)"),
    (WARNING, "Please check"),
    (INFO, "For your information"),
)


@dataclass(frozen=True)
class Feedback:
    partner: str
    files: tuple[str, ...]
    text: str


def partner_feedback(result: MergeResult) -> list[Feedback]:
    """One note per partner (or per unreadable file) that has findings, in a stable order."""
    groups: dict[str, list[Finding]] = {}
    files: dict[str, list[str]] = {}
    for f in result.findings:
        partner = result.partner_of(f.file, f.sheet) or (PurePath(f.file).stem if f.file else "")
        if not partner:
            continue  # a finding about the run itself, not a return
        groups.setdefault(partner, []).append(f)
        if f.file and f.file not in files.setdefault(partner, []):
            files[partner].append(f.file)
    return [Feedback(partner, tuple(files.get(partner, ())), _note(result, partner, found, files.get(partner, [])))
            for partner, found in sorted(groups.items(), key=lambda item: item[0].casefold())]


def _note(result: MergeResult, partner: str, found: list[Finding], files: list[str]) -> str:
    scheme = result.scheme
    lines = [f"{partner}: your risk-matrix return",
             f"{scheme.partnership} strategic assessment {scheme.period}".rstrip(), ""]
    sent = ", ".join(PurePath(f).name for f in files)
    errors = sum(f.severity == ERROR for f in found)
    if errors:
        lines.append(f"Thank you for your return ({sent}). We found {errors} problem"
                     f"{'s that stop' if errors != 1 else ' that stops'} some of your scores being used. "
                     "Please correct the cells below and send the workbook back.")
    else:
        lines.append(f"Thank you for your return ({sent}). All your valid scores were used; "
                     "please check the points below and let us know if anything should change.")
    for severity, heading in SECTIONS:
        items = [f for f in found if f.severity == severity]
        if not items:
            continue
        lines += ["", f"{heading}:"]
        for number, f in enumerate(items, 1):
            lines.append(f"{number:>3}. {_place(f, len(files) > 1)}{f.message}")
    lines += ["", "Scores are whole numbers from 0 to "
              f"{scheme.scale_max}; type NK where a score is not known. Thank you."]
    return "\n".join(lines) + "\n"


def _place(f: Finding, name_file: bool) -> str:
    parts = []
    if name_file and f.file:
        parts.append(PurePath(f.file).name)
    if f.sheet:
        parts.append(f'sheet "{f.sheet}"')
    if f.cell:
        parts.append(f"cell {f.cell}")
    return (", ".join(parts) + ": ") if parts else ""


def file_name(partner: str) -> str:
    slug = re.sub(r"[^0-9A-Za-z]+", "-", partner).strip("-").lower() or "partner"
    return f"{slug[:60]}.txt"
