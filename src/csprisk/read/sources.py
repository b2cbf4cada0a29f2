"""Sources -> grids: find the returns among the inputs and read each file's cell values.

python-calamine reads values fast; where it is unavailable (xlwings Lite on a Pyodide
without its wheel) openpyxl reads instead. This is the only module that opens workbooks,
whatever they are for (returns, the settings workbook, the previous assessment, the ranked
workbook to export), and every one passes the pre-flight check before a reader touches
it. Files are opened read-only. A test fails if another module imports a reader.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from csprisk.findings import Code, Finding, Stopped
from csprisk.grid import Grid, SheetFacts
from csprisk.marks import NOT_RETURNS
from csprisk.read.preflight import (
    MAX_OUTPUT_SHEET_CELLS,
    XLSX,
    FactsBySheet,
    corrupt,
    encrypted,
    inspect_file,
    sheet_cells_limited_to,
)

RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class Source:
    """One candidate return: its grids (or the findings that stopped it being read)."""

    label: str
    grids: Sequence[Grid]
    findings: Sequence[Finding] = ()
    modified: float | None = None  # seconds since the epoch, for choosing between duplicates
    sha256: str = ""
    #: parse_returns's answer when the returns were already parsed where they were read (a
    #: worker process); the grids are then not carried back.
    parsed: tuple[list, list[Finding]] | None = None  # (score.parse.Return list, findings)
    #: A sheet of the open workbook (the analyst copied it in), not a file.
    in_book: bool = False
    #: The real file, where the input is a symbolic link to it ("" otherwise).
    target: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


class InputError(Stopped, ValueError):
    """An input named on the command line that does not exist."""


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def is_skippable(path: Path) -> str | None:
    """Why a file found in a folder is not a return (None when it may be one)."""
    name = path.name
    if name.startswith("~$") or name.startswith(".~lock"):
        return "an Excel or LibreOffice lock file, not a return"
    if name.startswith("."):
        return "a hidden file"
    return None


def discover(inputs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Skipped]]:
    """Files to read, in a stable order, and the files passed over in folders."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*"), key=lambda p: str(p).casefold()):
                if not child.is_file() or any(part.startswith(".") for part in child.relative_to(path).parts[:-1]):
                    continue
                reason = is_skippable(child)
                if reason:
                    skipped.append(Skipped(child, reason))
                elif child.suffix.lower() in RETURN_SUFFIXES or child.suffix.lower() == ".csv":
                    files.append(child)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{item} does not exist. Name a return file or a folder of returns.")
    unique, seen = [], set()
    for f in files:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, skipped


def read_grids(path: Path, label: str, sheets: Iterable[str] | None = None,
               as_return: bool = False) -> tuple[list[Grid], list[Finding]]:
    """Every worksheet of a workbook file (or those named in `sheets`) as a grid; a finding
    instead when it can't be read.

    The format is decided by the file's content (an .xls renamed .xlsx still reads), and
    nothing is parsed until the pre-flight check has found the file safe to open. Read
    `as_return`, a workbook csprisk wrote itself (marks.NOT_RETURNS) is not read at all: its
    one finding, `not-a-return`, says which kind of file it is.
    """
    verdict = inspect_file(path, label, cut_far_cells=as_return)  # the safety gate runs before any parser
    if as_return and verdict.mark in NOT_RETURNS:  # known even where its size would be refused
        return [], [Code.NOT_A_RETURN.finding(file=label, reason=NOT_RETURNS[verdict.mark])]
    wanted = None if sheets is None else {name.casefold() for name in sheets}
    if verdict.finding is not None:
        return [], [verdict.finding]
    # What the gate vouched for: the file, or the bytes it made of it (decrypted, repackaged).
    source: Path | io.BytesIO = path if verdict.content is None else io.BytesIO(verdict.content)
    try:
        import python_calamine  # noqa: F401
    except ImportError:  # Pyodide (xlwings Lite): no calamine wheel
        if verdict.kind != XLSX:
            return [], [Code.FILE_CORRUPT.finding(
                file=label, reason="could not be read here: it is an .xls or .ods file, and xlwings Lite "
                                   "reads .xlsx and .xlsm files only",
                advice="Open it in Excel, save it as an Excel Workbook (.xlsx) and add it again.")]
        reader = _read_with_openpyxl
    else:
        reader = _read_with_calamine
    with warnings.catch_warnings():
        # A reader's warnings ("Workbook contains no default style") are for programmers,
        # and would print on the terminal; what matters to a partner is in the findings.
        warnings.simplefilter("ignore")
        grids, problems = reader(source, label, verdict.facts_by_sheet, wanted)
    return grids, (problems or list(verdict.notes))


def _read_with_calamine(source: Path | io.BytesIO, label: str, facts: FactsBySheet,
                        wanted: set[str] | None = None) -> tuple[list[Grid], list[Finding]]:
    import python_calamine as pc

    try:
        with _opened(source) as handle, stderr_silenced():
            workbook = pc.CalamineWorkbook.from_filelike(handle)
            grids = []
            # Visible sheets first: a matrix on a hidden scratch sheet loses a tie.
            metas = sorted(workbook.sheets_metadata, key=lambda m: m.visible != pc.SheetVisibleEnum.Visible)
            for meta in metas:
                if meta.typ != pc.SheetTypeEnum.WorkSheet:
                    continue
                if wanted is not None and meta.name.casefold() not in wanted:
                    continue
                sheet = workbook.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=True)
                top, left = sheet.start or (0, 0)
                grids.append(Grid(label, meta.name, rows, top, left, facts.get(meta.name) or SheetFacts()))
            return grids, []
    except pc.PasswordError:
        return [], [encrypted(label)]
    except Exception:  # calamine raises many kinds for damaged files
        return [], [corrupt(label)]
    except BaseException as error:
        # A Rust panic inside calamine arrives as pyo3's PanicException, which is not an
        # Exception; it is the reader failing on a damaged file like any other.
        if type(error).__name__ != "PanicException":
            raise
        return [], [corrupt(label)]


def _opened(source: Path | io.BytesIO) -> contextlib.AbstractContextManager[IO[bytes]]:
    return open(source, "rb") if isinstance(source, Path) else contextlib.nullcontext(source)


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """The process's standard error (file descriptor 2) sent nowhere while the reader runs: a
    Rust panic in calamine prints its message and a backtrace there before it is caught as a
    finding, which says it in the partner's words instead. Python's own sys.stderr is
    flushed first and is unaffected after."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2 to silence (Pyodide, embedded)
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _read_with_openpyxl(source: Path | io.BytesIO, label: str, facts: FactsBySheet,
                        wanted: set[str] | None = None) -> tuple[list[Grid], list[Finding]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception:
        return [], [corrupt(label)]
    try:
        grids = []
        for sheet in workbook.worksheets:
            if wanted is not None and sheet.title.casefold() not in wanted:
                continue
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            grids.append(Grid(label, sheet.title, rows, facts=facts.get(sheet.title) or SheetFacts()))
        return grids, []
    except Exception:
        return [], [corrupt(label)]
    finally:
        workbook.close()


# ----------------------------------------------------------------------------- side workbooks

@dataclass(frozen=True)
class Role:
    """What a workbook other than a return is for: named in its refusal, with what to do."""

    name: str  # "the previous assessment"
    advice: str
    #: A workbook csprisk wrote itself (a ranked workbook): its sheets may be larger.
    own_output: bool = False


SETTINGS_WORKBOOK = Role("the settings workbook", "Use the analyst workbook csprisk made "
                         "(csprisk workbook -o FILE), or a TOML settings file.")
PREVIOUS_ASSESSMENT = Role("the previous assessment", "Give the ranked workbook csprisk merge wrote "
                           "last time.", own_output=True)
RANKED_WORKBOOK = Role("the ranked workbook", "Give a ranked workbook written by csprisk merge.",
                       own_output=True)


class WorkbookRefused(Stopped, ValueError):
    """A side workbook cannot be used; the message names its role and says why."""


def _refused(path: Path, role: Role, problem: Finding | str) -> WorkbookRefused:
    why = problem if isinstance(problem, str) else (problem.problem or problem.message)
    lead = role.name[:1].upper() + role.name[1:]
    return WorkbookRefused(f"{lead} {path.name} could not be used: {why} {role.advice}")


def _limits(role: Role):
    return sheet_cells_limited_to(MAX_OUTPUT_SHEET_CELLS) if role.own_output else contextlib.nullcontext()


def read_workbook(path: str | Path, role: Role, sheets: Iterable[str] | None = None) -> list[Grid]:
    """The grids of a side workbook (or of the sheets named), through the same gate as returns."""
    path = Path(path)
    with _limits(role):
        grids, problems = read_grids(path, path.name, sheets)
    if problems:
        raise _refused(path, role, problems[0])
    return grids


def load_workbook_model(path: str | Path, role: Role, **options: Any) -> Any:
    """openpyxl's full model of a side .xlsx workbook (to copy it with its formatting), after
    the same gate as returns. `options` go to openpyxl.load_workbook."""
    import openpyxl

    path = Path(path)
    with _limits(role):
        verdict = inspect_file(path, path.name)
    if verdict.finding is not None:
        raise _refused(path, role, verdict.finding)
    if verdict.kind != XLSX:
        raise _refused(path, role, f"it is an {verdict.kind} file, not an .xlsx workbook.")
    try:
        with warnings.catch_warnings():  # openpyxl's warnings are for programmers (see read_grids)
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path if verdict.content is None else io.BytesIO(verdict.content),
                                          **options)
    except Exception:  # openpyxl raises many kinds for damaged parts
        raise _refused(path, role, corrupt(path.name)) from None
