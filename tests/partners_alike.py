"""Returns whose partners look alike, built by code: two partners' returns with one file
name and no partner label inside, and one partner's return sent again under another
partner's name.

Each builder writes the .xlsx files of one case into `folder` and returns their paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

from csprisk.scheme import Scheme

LABELS = list(Scheme().labels)

#: The name every partner's copy of the template was saved under.
GENERIC = "Risk matrix return.xlsx"

#: (priority, its 16 scores) as two partners scored them.
POLICE_SCORES = [("Anti-social behaviour", [4] * 16), ("Domestic abuse", [5] * 8 + [3] * 8)]
PROBATION_SCORES = [("Reducing re-offending", [5] * 16), ("Domestic abuse", [3] * 16)]


def write_return(path: Path, rows: Sequence[tuple[str, Sequence[int | str]]], partner: str | None = None,
                 sheet: str = "Risk matrix") -> Path:
    """A return as the template's users fill it in: details at the top (the partner's name only
    when given), the header in row 5, a row per priority with its typed total."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"] = "Community Safety Partnership risk matrix"
    if partner is not None:
        ws["A3"], ws["B3"] = "Partner organisation", partner
    ws.append([])
    ws.append(["Priority", *LABELS, "TOTAL (out of 80)"])  # row 5
    for name, scores in rows:
        ws.append([name, *scores, sum(s for s in scores if isinstance(s, int))])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ------------------------------------------------------------- one file name, two partners

def same_name_in_partner_folders(folder: Path) -> list[Path]:
    """The police's and probation's returns, each "Risk matrix return.xlsx" in a folder named
    after the partner, neither naming its partner inside."""
    return [write_return(folder / "Police" / GENERIC, POLICE_SCORES),
            write_return(folder / "Probation" / GENERIC, PROBATION_SCORES)]


def same_name_in_plain_folders(folder: Path) -> list[Path]:
    """The same two returns saved from two mail attachments into "inbox" and "downloads":
    nothing in the file, sheet or folder names either partner."""
    return [write_return(folder / "inbox" / GENERIC, POLICE_SCORES),
            write_return(folder / "downloads" / GENERIC, PROBATION_SCORES)]


def named_by_their_sheets(folder: Path) -> list[Path]:
    """Two returns in one folder under generic file names, each partner having named its
    sheet after itself."""
    return [write_return(folder / "returns" / GENERIC, POLICE_SCORES, sheet="Anytown Police"),
            write_return(folder / "returns" / "Risk matrix return (1).xlsx", PROBATION_SCORES,
                         sheet="Probation Service")]


def folder_named_like_a_partner(folder: Path) -> list[Path]:
    """Anytown Police's return naming itself, and an unnamed return in a folder "Anytown Police"
    (perhaps its earlier return, perhaps someone else's filed there)."""
    return [write_return(folder / "returns" / "police.xlsx", POLICE_SCORES, partner="Anytown Police"),
            write_return(folder / "returns" / "Anytown Police" / GENERIC, PROBATION_SCORES)]


# ------------------------------------------------------------------------ a copied return

#: Three priorities, scored unevenly as a real partner scores them (one score not known).
FIRE_SCORES = [("Deliberate fires", [5, 4, 3, 4, 2, 5, 4, 4, 3, 2, 4, 5, 3, 4, 2, "NK"]),
               ("Anti-social behaviour", [3, 3, 4, 2, 3, 4, 5, 1, 3, 4, 4, 3, 2, 3, 3, 4]),
               ("Road safety", [2, 1, 0, 3, 2, 2, 3, 1, 4, 2, 1, 2, 3, 2, 3, 3])]


def copied_return(folder: Path) -> list[Path]:
    """Anytown Fire's return, and the council's, which is Fire's file with the partner's name
    changed and its rows sorted by name."""
    return [write_return(folder / "fire.xlsx", FIRE_SCORES, partner="Anytown Fire and Rescue"),
            write_return(folder / "council.xlsx", sorted(FIRE_SCORES), partner="Anytown Council")]


def agreeing_on_one_priority(folder: Path) -> list[Path]:
    """Two honest partners who score one priority the same, every criterion, and differ on the
    rest."""
    council = [FIRE_SCORES[0], ("Anti-social behaviour", [3] * 16), ("Road safety", [2] * 16)]
    return [write_return(folder / "fire.xlsx", FIRE_SCORES, partner="Anytown Fire and Rescue"),
            write_return(folder / "council.xlsx", council, partner="Anytown Council")]


def one_score_apart(folder: Path) -> list[Path]:
    """The copy with one score changed: no longer identical."""
    changed = [FIRE_SCORES[0], FIRE_SCORES[1], ("Road safety", [2, 1, 0, 3, 2, 2, 3, 1, 4, 2, 1, 2, 3, 2, 3, 4])]
    return [write_return(folder / "fire.xlsx", FIRE_SCORES, partner="Anytown Fire and Rescue"),
            write_return(folder / "council.xlsx", changed, partner="Anytown Council")]


def a_single_priority_each(folder: Path) -> list[Path]:
    """Two partners who each scored only Domestic abuse, and scored it alike: too little to
    call a copy."""
    return [write_return(folder / "health.xlsx", [("Domestic abuse", [4] * 16)], partner="Anytown NHS"),
            write_return(folder / "housing.xlsx", [("Domestic abuse", [4] * 16)], partner="Anytown Homes")]


def a_few_scores_each(folder: Path) -> list[Path]:
    """Two partners who scored two priorities alike, but only a few criteria of each (the rest
    not known): too few scores to call a copy."""
    rows = [("Hate crime", [3] * 4 + ["NK"] * 12), ("Domestic abuse", [4] * 4 + ["NK"] * 12)]
    return [write_return(folder / "health.xlsx", rows, partner="Anytown NHS"),
            write_return(folder / "housing.xlsx", rows, partner="Anytown Homes")]


def two_in_one_partner_folder(folder: Path) -> list[Path]:
    """Two unnamed returns in the police's folder, the second the first sent again: both go by
    "Police", so they are kept apart by their file names, and are identical."""
    return [write_return(folder / "Police" / GENERIC, POLICE_SCORES),
            write_return(folder / "Police" / "Risk matrix return v2.xlsx", POLICE_SCORES)]
