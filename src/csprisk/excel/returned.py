"""What goes back to the partners: for each return with things to fix, their own workbook
marked (`<stem> (checked).xlsx`, `.xlsm` for an .xlsm) and an email draft (`<stem>.eml`)
with it attached; and the executive's draft beside their copy.

Every file is planned first, refused if it would replace an input, then written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from csprisk.excel.drafts import as_bytes, executive_draft, partner_draft, read_ranked
from csprisk.excel.marked import MARKED_SUFFIXES, Mark, MarkingError, mark_workbook, marked_name
from csprisk.excel.output import refuse_overwriting, write_atomically
from csprisk.report.feedback import Feedback, partner_feedback
from csprisk.scheme import Scheme
from csprisk.score.merge import MergeResult


@dataclass
class Written:
    """The files written, and what the analyst should know about them."""

    drafts: list[Path] = field(default_factory=list)
    marked: list[Path] = field(default_factory=list)
    #: Plain sentences for the analyst: a return not marked and why, a partner with no address.
    notes: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [*self.marked, *self.drafts]


def marks_for(feedback: Feedback) -> list[Mark]:
    return [Mark(f.sheet, f.cell, f.severity, f.for_partner) for f in feedback.at_cells()]


def write_feedback(result: MergeResult, folder: str | Path, inputs: Iterable[str | os.PathLike[str]] = (),
                   locate: Callable[[str], Path | None] | None = None) -> Written:
    """For each return with errors or warnings: its marked copy (an .xlsx or .xlsm return with
    findings at cells) and its email draft, in `folder`. `locate` finds a return's file from
    its name in the findings (default: the name is the path). Nothing is written when a file
    would replace one of the `inputs` (OutputError)."""
    folder = Path(folder)
    scheme = result.scheme
    locate = locate or _as_path
    written, used = Written(), set[str]()
    planned: list[tuple[Path, bytes, list[Path]]] = []
    for feedback in partner_feedback(result):
        stem = _free_stem(feedback.stem, used)
        source = locate(feedback.file)
        marked = None
        if source is not None and feedback.at_cells():
            if source.suffix.lower() in MARKED_SUFFIXES:
                try:
                    name = marked_name(source.with_name(stem + source.suffix))
                    marked = (name, mark_workbook(source.read_bytes(), marks_for(feedback)))
                    planned.append((folder / name, marked[1], written.marked))
                except MarkingError as error:
                    written.notes.append(f"{feedback.name} was not marked: {error}. Its draft lists the cells.")
            else:
                written.notes.append(f"{feedback.name} is not an .xlsx or .xlsm workbook, so it was not marked; "
                                     "its draft lists the cells.")
        email = scheme.partner_email(feedback.partner) if feedback.partner else ""
        if not email:
            written.notes.append(f"No email address for {feedback.partner or feedback.name} in the settings: "
                                 f"fill in the To line of {stem}.eml.")
        message = partner_draft(feedback, scheme.partnership, scheme.period, scheme.scale_max, email, marked)
        planned.append((folder / f"{stem}.eml", as_bytes(message), written.drafts))
    inputs = list(inputs)
    for path, _data, _kind in planned:
        refuse_overwriting(path, inputs, "The feedback file")
    if planned:
        folder.mkdir(parents=True, exist_ok=True)  # OSError: the caller names the folder
    for path, data, kind in planned:
        kind.append(write_atomically(path, _bytes_writer(data), what="the feedback"))
    return written


def write_executive_draft(exported: Path, attachments: Sequence[Path], scheme: Scheme) -> Path:
    """`<copy stem>.eml` beside the executive's copy, with the copy (and its PDF) attached."""
    from csprisk.marks import METHOD, SUMMARY
    from csprisk.read.sources import RANKED_WORKBOOK, read_workbook

    ranked = read_ranked(read_workbook(exported, RANKED_WORKBOOK, sheets=[SUMMARY, METHOD]), _marking(exported))
    files = [(path.name, path.read_bytes()) for path in attachments]
    message = executive_draft(ranked, files, scheme.executive)
    target = exported.with_suffix(".eml")
    data = as_bytes(message)
    return write_atomically(target, _bytes_writer(data), what="the executive's email draft")


def _marking(workbook: Path) -> str:
    """The protective marking the copy carries (its custom document property), or ""."""
    import zipfile
    import zlib

    from csprisk.excel.xlsx_writer import MARKING_PROPERTY
    from csprisk.read.preflight import custom_property

    try:
        with zipfile.ZipFile(workbook) as package:
            return custom_property(package, MARKING_PROPERTY)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError, zlib.error):
        return ""


def _bytes_writer(data: bytes) -> Callable[[IO[bytes]], None]:
    def write(stream: IO[bytes]) -> None:
        stream.write(data)
    return write


def _as_path(file: str) -> Path | None:
    path = Path(file)
    return path if path.is_file() else None


def _free_stem(stem: str, used: set[str]) -> str:
    """The stem, or "stem (2)" and so on when two returns share it (police.xlsx, police.ods)."""
    candidate, number = stem, 2
    while candidate.casefold() in used:
        candidate, number = f"{stem} ({number})", number + 1
    used.add(candidate.casefold())
    return candidate
