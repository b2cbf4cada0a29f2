"""The add-in's scripts: Merge & Rank, Validate, Feedback for partners, Export for the
executive, New template.

Each takes the open workbook (an xlwings Book, from any runtime), runs the same pipeline
as the command line and ends with one alert in plain English. Nothing here raises to
Excel: a failure becomes an alert, never a traceback in a cell or a dialog.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from csprisk.app.pipeline import BookReturns, find_returns
from csprisk.excel.analyst_workbook import ANALYST_SHEETS, MERGE_BUTTON  # noqa: F401 (udfs binds the button)
from csprisk.findings import Stopped, counts_line
from csprisk.read.workbook import LITE_FILES_NAME, files_folder, lite_files, scheme_from_book
from csprisk.score.merge import MERGED, REJECTED, MergeResult, merge_sources
from csprisk.words import plural

MERGE_TITLE = "Merge & Rank"


class Stop(Stopped):
    """Ends a script early with a message for the analyst (not a failure of the program)."""


def calling_book() -> Any:
    """The workbook a desktop button or macro was run from (the active one for the add-in)."""
    import xlwings as xw

    try:
        return xw.Book.caller()
    except Exception:  # run as a macro rather than through RunPython
        return xw.books.active


def merge_and_rank(book: Any) -> None:
    """Merge every return, write the ranked report sheets, and say what happened."""
    with reported(book, MERGE_TITLE):
        result, found = _merge(book)
        from csprisk.excel.xlwings_writer import render_report
        from csprisk.marks import REPORT_SHEETS
        from csprisk.report.ranked import build_report

        render_report(book, build_report(result), REPORT_SHEETS)
        book.app.alert(merge_message(result, found), title=MERGE_TITLE)


def validate_returns(book: Any) -> None:
    """Check every return and replace the Validation sheet only; nothing is ranked."""
    title = "Validate returns"
    with reported(book, title):
        result, _found = _merge(book)
        from csprisk.excel.xlwings_writer import render_report
        from csprisk.marks import VALIDATION
        from csprisk.report.model import Report
        from csprisk.report.ranked import build_report

        report = build_report(result)
        only = Report([report.sheet(VALIDATION)], report.title, report.subject, report.author,
                      report.marking, report.footer)
        # Only the Validation sheet is replaced: the last ranking stays until Merge & Rank runs.
        render_report(book, only, (VALIDATION,))
        book.app.alert(returns_line(result) + "\n" + findings_line(result), title=title)


def export_for_executive(book: Any) -> None:
    """Write the executive's copy (their sheets, values only) beside this workbook, made by
    the one builder `csprisk export` uses, from the ranked workbook of this merge."""
    title = "Export for the executive"
    with reported(book, title):
        folder = _writable_folder(book, "write the executive's copy")
        result, _found = _merge(book)
        import tempfile

        from csprisk.excel.export import export_for_executive as make_copy
        from csprisk.excel.returned import write_executive_draft
        from csprisk.excel.xlsx_writer import write_report
        from csprisk.report.ranked import build_report

        target = free_name(folder / f"{Path(book.name).stem} - for the executive.xlsx")
        with tempfile.TemporaryDirectory() as scratch:
            ranked = write_report(build_report(result), Path(scratch) / "ranked.xlsx")
            exported = make_copy(ranked, target)
        draft = write_executive_draft(target, [target], result.scheme)
        to = f"to {', '.join(result.scheme.executive)}" if result.scheme.executive else (
            "its To line is blank: fill it in, or give the executive's addresses on the Settings sheet")
        book.app.alert(f"Wrote {target.name} {where_written(folder)}: {', '.join(exported.sheets)}. "
                       "It holds values only, so it opens anywhere without the add-in.\n"
                       f"Wrote the email draft {draft.name} beside it, with the copy attached ({to}): open it "
                       "to send.\n"
                       f"{returns_line(result)}", title=title)


def feedback_for_partners(book: Any) -> None:
    """For each return with things to fix: the partner's workbook marked and an email draft
    to them, written beside this workbook (in xlwings Lite: into its Files, to download)."""
    title = "Feedback for partners"
    with reported(book, title):
        folder = _writable_folder(book, "write the partners' feedback")
        result, found = _merge(book)
        from csprisk.excel.returned import write_feedback

        base = found.folder.parent if found.folder is not None else folder
        returns = [base / source.label for source in found.files]
        written = write_feedback(result, folder, inputs=returns, locate=lambda label: _return_file(base, label))
        if not written.drafts:
            book.app.alert(f"No return has anything to fix, so nothing was written.\n{returns_line(result)}",
                           title=title)
            return
        lines = [f"Wrote {plural(len(written.drafts), 'email draft')} (.eml) and "
                 f"{plural(len(written.marked), 'marked workbook')} (checked) {where_written(folder)}: "
                 + ", ".join(p.name for p in written.files[:6]) + (" ..." if len(written.files) > 6 else "") + ".",
                 "Open each draft to check it and send it; the partner's marked workbook is attached."]
        lines += list(written.notes[:6])
        book.app.alert("\n".join(lines), title=title)


def new_partner_template(book: Any) -> None:
    """Write a blank partner template, made from this workbook's Settings, beside it."""
    title = "New partner template"
    with reported(book, title):
        folder = _writable_folder(book, "write the partner template")
        scheme = scheme_from_book(book)
        from csprisk.excel.template import write_template

        target = free_name(folder / "partner_return.xlsx")
        write_template(target, scheme)
        book.app.alert(f"Wrote {target.name} {where_written(folder)}. Send it to each partner; they fill it in "
                       "with Excel, LibreOffice or Excel on the web and send it back.", title=title)


# ----------------------------------------------------------------------------- helpers

def _merge(book: Any) -> tuple[MergeResult, BookReturns]:
    from csprisk.marks import REPORT_SHEETS

    scheme = scheme_from_book(book)
    found = find_returns(book, scheme, skip=(*ANALYST_SHEETS, *REPORT_SHEETS))
    if not found.sources:
        raise Stop("No returns were found. Copy partners' sheets into this workbook, or save their "
                   f'workbooks in the returns folder "{scheme.returns_folder}" named on the Settings '
                   "sheet." + "".join(f"\n{note}" for note in found.notes))
    return merge_sources(found.sources, scheme), found


def _return_file(base: Path, label: str) -> Path | None:
    """A return of the returns folder, from its name in the findings; None for a sheet of this workbook."""
    path = base / label
    return path if path.is_file() else None


def _writable_folder(book: Any, doing: str) -> Path:
    folder = files_folder(book)
    if folder is None:
        raise Stop(f"This Excel cannot {doing}: Python here cannot see the folder the workbook is in "
                   "(xlwings Server only sees the open workbook). Use xlwings Lite, desktop Excel with "
                   "the CSP Risk Matrix add-in, or the command line (see docs/excel-addin.md).")
    return folder


def where_written(folder: Path) -> str:
    """Where a file written to `folder` can be found, in the analyst's words."""
    if folder == lite_files():
        return f"in {LITE_FILES_NAME}, where you can download it"
    return f"in {folder}"


def free_name(path: Path) -> Path:
    """`path`, or "name (2).xlsx" and so on when it exists: never overwrite a file."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    return candidate


def returns_line(result: MergeResult) -> str:
    merged = [s for s in result.statuses if s.status == MERGED]
    rejected = [s for s in result.statuses if s.status == REJECTED]
    in_sheets = sum(1 for s in merged if s.in_book)
    line = (f"Returns merged: {len(merged)} ({in_sheets} from sheets of this workbook, "
            f"{len(merged) - in_sheets} from the returns folder). Rejected: {len(rejected)}.")
    for status in rejected[:5]:
        line += f"\n  Rejected {status.file}: {status.reason}"
    if len(rejected) > 5:
        line += f"\n  ... and {len(rejected) - 5} more (see the Validation sheet)."
    return line


def findings_line(result: MergeResult) -> str:
    return f"Findings: {counts_line(list(result.findings))} (see the Validation sheet)."


def merge_message(result: MergeResult, found: BookReturns) -> str:
    scheme = result.scheme
    recommended = [p.name for p in result.assessment.ranking if p.recommended]
    lines = [returns_line(result), findings_line(result),
             f"Priorities ranked: {len(result.assessment.ranking)}. Recommended (top {scheme.top_n}): "
             + ("; ".join(recommended) or "none") + "."]
    lines += list(found.notes)
    return "\n".join(lines)


@contextlib.contextmanager
def reported(book: Any, title: str) -> Iterator[None]:
    """Turn anything that goes wrong into one plain-English alert, with no traceback.

    On the remote engine (xlwings Lite and Server) changes are queued and applied when the
    script returns; after a failure the queued changes are dropped, so the workbook is left
    as it was.
    """
    queued = _queued_actions(book)
    start = len(queued) if queued is not None else 0
    try:
        yield
    except Exception as error:  # every failure ends in an alert, whatever it was
        if queued is not None:
            del queued[start:]
        book.app.alert(failure_message(error), title=title)


def failure_message(error: Exception) -> str:
    if isinstance(error, Stopped):  # said for the analyst already (settings, an output, a sheet of theirs)
        return str(error)
    detail = str(error).strip() or type(error).__name__
    return ("Something went wrong and the run stopped. The problem was: "
            f"{detail[:300]}. If it happens again, run csprisk validate on the returns from the "
            "command line, or send this message to whoever looks after csprisk.")


def _queued_actions(book: Any) -> list | None:
    try:
        return book.json()["actions"]
    except Exception:  # desktop Excel applies every change at once: nothing is queued
        return None
