"""csprisk: merge and rank Community Safety Partnership risk-matrix returns.

The Python API, for analysts in Jupyter or in their own xlwings Lite scripts:

    import csprisk
    result = csprisk.merge_files(["returns/"], settings="csp_settings.toml")
    frames = result.frames()          # pandas DataFrames: scores, ranking, findings
    frames.ranking.head()
    csprisk.write_ranked_workbook(result, "ranked_assessment.xlsx")

Importing the package is cheap on purpose: desktop xlwings may start a fresh Python for
every click, so pandas, openpyxl and xlwings are imported only by the modules that use them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from csprisk.version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from csprisk.read.previous import PreviousRanking
    from csprisk.scheme import Scheme
    from csprisk.score.merge import MergeResult

__all__ = ["__version__", "main", "merge_files", "write_ranked_workbook"]


def merge_files(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                settings: str | os.PathLike[str] | Scheme | None = None, *, aggregation: str | None = None,
                top: int | None = None) -> MergeResult:
    """Read, check, merge and rank returns as `csprisk merge` does, writing nothing.

    `paths`: return files and folders. `settings`: a TOML settings file, the analyst
    workbook, a `Scheme`, or None for the defaults. The result has `.assessment.ranking`,
    `.findings`, `.statuses`, `.to_dict()` (the `--json` document) and `.frames()`.
    """
    from csprisk.app.pipeline import merge_files as merge
    from csprisk.read.settings import load_scheme
    from csprisk.scheme import Scheme

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    scheme = settings if isinstance(settings, Scheme) else load_scheme(settings)
    return merge(list(paths), scheme.with_overrides(aggregation=aggregation, top_n=top))


def write_ranked_workbook(result: MergeResult, path: str | os.PathLike[str],
                          previous: PreviousRanking | None = None) -> Path:
    """Write the ranked workbook of `result` to `path` (atomically), as `csprisk merge` does."""
    from csprisk.excel.xlsx_writer import write_report
    from csprisk.report.ranked import build_report

    return write_report(build_report(result, previous), path)


def main() -> None:
    """Merge & Rank on the active workbook: what the CSP Risk Matrix ribbon button runs.

    The add-in's VBA calls `RunPython "import csprisk;csprisk.main()"` (its file is
    csprisk.xlam); xlwings then names the active workbook as the caller.
    """
    from csprisk.app.scripts import calling_book, merge_and_rank

    merge_and_rank(calling_book())
