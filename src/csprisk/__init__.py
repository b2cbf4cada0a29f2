"""csprisk: merge and rank Community Safety Partnership risk-matrix returns.

Importing the package is cheap on purpose: desktop xlwings may start a fresh Python for
every click, so pandas, openpyxl and xlwings are imported only by the modules that use them.
"""

from csprisk.version import __version__

__all__ = ["__version__", "main"]


def main() -> None:
    """Merge & Rank on the active workbook: what the CSP Risk Matrix ribbon button runs.

    The add-in's VBA calls `RunPython "import csprisk;csprisk.main()"` (its file is
    csprisk.xlam); xlwings then names the active workbook as the caller.
    """
    from csprisk.app.scripts import calling_book, merge_and_rank

    merge_and_rank(calling_book())
