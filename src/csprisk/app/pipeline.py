"""The pipeline: files or the open workbook -> sources -> merged, ranked result.

Reading and parsing run in worker processes for a big merge; the open workbook's sheets
and the files of its returns folder feed the same merge.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from csprisk.read.sources import RETURN_SUFFIXES, Source, discover, file_sha256, read_grids
from csprisk.read.workbook import LITE_FILES_NAME, files_folder, lite_files, returns_folder, sheet_grid, sheet_label
from csprisk.scheme import Scheme
from csprisk.score.merge import SKIPPED, MergeResult, Progress, ReturnStatus, merge_sources
from csprisk.score.parse import find_layout, parse_returns


def read_source(path: Path, label: str | None = None) -> Source:
    label = label or str(path)
    grids, problems = read_grids(path, label, as_return=True)
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = None
    return Source(label, grids, problems, modified, file_sha256(path), target=link_target(path))


def link_target(path: Path) -> str:
    """The real file a symbolic link names (so the record shows both), or "" for a plain file."""
    try:
        if path.is_symlink() or any(parent.is_symlink() for parent in path.parents):
            return str(path.resolve())
    except (OSError, RuntimeError):  # a loop of links, or no permission to look
        pass
    return ""


def read_and_parse(path: Path, scheme: Scheme) -> Source:
    """read_source, then parse_returns, in one step for a worker process: only the parsed
    returns (small, picklable) travel back, not the grids."""
    source = read_source(path)
    if source.findings and not source.grids:
        return source
    return replace(source, grids=(), parsed=parse_returns(source.grids, scheme, source.label))


#: From this many files, reading and parsing run in worker processes (one per CPU).
PARALLEL_MIN_FILES = 50


def _worker_count(files: int) -> int:
    """Worker processes for a merge of `files` files: 0 (read here) for a small merge, where
    there is no multiprocessing (Pyodide, as in xlwings Lite), or on one CPU."""
    cpus = os.cpu_count() or 1
    if files < PARALLEL_MIN_FILES or cpus < 2 or sys.platform == "emscripten":
        return 0
    return min(cpus, 8)


#: Files a worker reads per task, and tasks kept in flight per worker.
CHUNK_FILES, CHUNKS_PER_WORKER = 8, 2


def _read_chunk(paths: Sequence[Path], scheme: Scheme) -> list[Source]:
    return [read_and_parse(path, scheme) for path in paths]


def _parallel_sources(files: Sequence[Path], scheme: Scheme, workers: int,
                      meanwhile: Callable[[], object] | None = None) -> Iterator[Source]:
    """Every file read and parsed in worker processes, yielded in order; `meanwhile` runs
    here once the workers have their first files (work this process would otherwise wait).

    A worker that dies (a reader aborting the process on a file the pre-flight let through)
    costs that file, never the run: the files that were in flight are read again one at a
    time, each alone in a fresh process, and the one that ends its process gets a
    file-corrupt finding. Should no pool start at all, the files are read here.
    """
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunks = deque(files[i:i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES))
    try:
        pool = ProcessPoolExecutor(max_workers=workers)
    except (ImportError, OSError, NotImplementedError):
        yield from (read_source(path) for path in files)
        return
    window: deque = deque()
    try:
        while chunks or window:
            while chunks and len(window) < workers * CHUNKS_PER_WORKER:
                chunk = chunks.popleft()
                window.append((chunk, pool.submit(_read_chunk, chunk, scheme)))
            if meanwhile is not None:
                meanwhile()  # the workers are started and busy: nothing forks while it runs
                meanwhile = None
            chunk, future = window[0]
            try:
                done = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                for chunk, future in window:  # in order: what finished stands, the rest alone
                    if future.done() and not future.cancelled() and future.exception() is None:
                        yield from future.result()
                    else:
                        yield from (_read_alone(path, scheme) for path in chunk)
                window.clear()
                pool = ProcessPoolExecutor(max_workers=workers)
                continue
            window.popleft()
            yield from done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read_alone(path: Path, scheme: Scheme) -> Source:
    """One file read in a process of its own, so that a reader that aborts takes only it."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from csprisk.read.preflight import corrupt

    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(read_and_parse, path, scheme).result()
        except BrokenProcessPool:
            label = str(path)
            return Source(label, (), [corrupt(label, "the spreadsheet reader stopped on this file")],
                          sha256=file_sha256(path))


def merge_files(inputs: Iterable[str | os.PathLike], scheme: Scheme,
                progress: Progress | None = None, discovered=None,
                meanwhile: Callable[[], object] | None = None) -> MergeResult:
    """Merge every return found among the inputs (files and folders); `discovered` is what
    sources.discover found in them, where the caller has looked already. `meanwhile` is
    work for this process while worker processes read (the command line imports the
    writer then); without workers it runs after the merge."""
    files, skipped = discovered if discovered is not None else discover(inputs)
    workers = _worker_count(len(files))
    if workers:  # reading and parsing in worker processes, in the same order; the rest here
        sources: Iterable[Source] = _parallel_sources(files, scheme, workers, meanwhile)
        meanwhile = None
    else:
        sources = (read_source(path) for path in files)
    result = merge_sources(sources, scheme, progress, len(files))
    if meanwhile is not None:
        meanwhile()
    extra = tuple(ReturnStatus(str(s.path), "", SKIPPED, 0, s.reason) for s in skipped)
    return replace(result, statuses=result.statuses + extra)


# ----------------------------------------------------------------------------- the open workbook

@dataclass(frozen=True)
class BookReturns:
    """What Merge & Rank found to merge, and what it could not look at."""

    sheets: tuple[Source, ...]
    files: tuple[Source, ...]
    folder: Path | None  # the returns folder that was read, if any
    notes: tuple[str, ...]  # plain sentences for the analyst

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.sheets + self.files


def sheet_sources(book: Any, scheme: Scheme, skip: Iterable[str]) -> list[Source]:
    """One source per sheet that holds a risk matrix, other than the sheets in `skip`."""
    skipped = {name.casefold() for name in skip}
    sources = []
    for sheet in book.sheets:
        if sheet.name.casefold() in skipped:
            continue
        grid = sheet_grid(book, sheet)
        if find_layout(grid, scheme) is not None:
            sources.append(Source(sheet_label(sheet.name), [grid], in_book=True))
    return sources


def find_returns(book: Any, scheme: Scheme, skip: Iterable[str]) -> BookReturns:
    notes = []
    sheets = sheet_sources(book, scheme, skip)
    here = files_folder(book)
    in_lite = here is not None and here == lite_files()
    folder = returns_folder(scheme, here)
    named = scheme.returns_folder or "returns"
    files: list[Source] = []
    if folder is not None:
        paths, _skipped = discover([folder])
        for path in paths:
            files.append(read_source(path, label=str(path.relative_to(folder.parent))))
    elif here is None and not Path(named).is_absolute():
        notes.append(f'The returns folder "{named}" was not read: this Excel cannot see files beside '
                     "the workbook. Copy partners' sheets into this workbook, or name a full path on "
                     "the Settings sheet.")
    elif in_lite and here is not None:
        loose = sorted(p.name for p in here.iterdir() if p.is_file() and p.suffix.lower() in RETURN_SUFFIXES)
        note = (f'There is no folder "{named}" in {LITE_FILES_NAME}; only returns in this workbook\'s '
                f'sheets were read. To merge workbooks partners sent, put them in a folder called "{named}" '
                "and drop the folder there.")
        if loose:
            note += f" These files are there but not in that folder, so they were not read: {', '.join(loose[:5])}"
            note += f" and {len(loose) - 5} more." if len(loose) > 5 else "."
        notes.append(note)
    else:
        where = f'"{named}"' + (f" beside {book.name}" if here else "")
        notes.append(f"There is no returns folder {where}; only returns in this workbook's sheets "
                     "were read.")
    return BookReturns(tuple(sheets), tuple(files), folder, tuple(notes))
