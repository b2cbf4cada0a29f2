"""The name a return goes by when no partner organisation is typed in it.

The file's name is used, unless it is one every partner could have sent ("Risk matrix
return.xlsx"): then the sheet's name, or else the folder's, where that says more. The
name is a guess and is said to be one (`partner-missing`); merging keeps a guessed name
apart from every other partner's (score.across).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath, PurePosixPath, PureWindowsPath

#: Where a guessed partner name came from, as the finding says it.
FILE_NAME, SHEET_NAME, FOLDER_NAME = "file name", "sheet name", "folder name"

#: Words that say what a file, sheet or folder is, not whose: a name made only of these (and
#: numbers, dates, version and copy marks) names no partner.
GENERIC_WORDS = frozenset("""
    risk risks matrix matrices return returns returned csp csps community safety partnership partnerships
    strategic assessment assessments psa score scores scored scoring scoresheet template templates form forms
    completed complete final draft copy copies of v ver version new updated update latest the a an and for to
    from my our your submission submitted response responses priority priorities workbook book sheet sheets
    spreadsheet blank data input inputs inbox download downloads attachment attachments received email emails
    mail documents desktop files file folder tmp temp fw fwd re annual year yearly this last next current
    partner partners agency agencies organisation organisations organization organizations crime disorder
    summary ranking rank entry details main master original working wip rev revised amended edited checked
    sent reply cleaned
    feuil tabelle hoja blad foglio planilha table tables
    jan january feb february mar march apr april may jun june jul july aug august sep sept september oct
    october nov november dec december q st nd rd th
""".split())


def is_generic(name: str) -> bool:
    """Whether a file, sheet or folder name says nothing of whose return it is."""
    words = re.findall(r"[a-z]+|[0-9]+", unicodedata.normalize("NFKC", name).casefold())
    return all(word in GENERIC_WORDS or word.isdigit() for word in words)


def partner_from_context(file: str, sheet: str) -> tuple[str, str]:
    """(name, where it came from) for a return that names no partner: the file's name, else
    the sheet's, else the folder's, the first that is not generic (the file's when none is)."""
    path = file_path(file)
    stem = path.stem
    if not is_generic(stem):
        return stem, FILE_NAME
    if sheet.strip() and not is_generic(sheet):
        return sheet.strip(), SHEET_NAME
    folder = path.parent.name
    if folder and not is_generic(folder):
        return folder, FOLDER_NAME
    return stem, FILE_NAME


def file_path(file: str) -> PurePath:
    """The file as a path, whichever separator its label was written with."""
    return PureWindowsPath(file) if "\\" in file else PurePosixPath(file)
