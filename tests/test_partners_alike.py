"""Partners that look alike: a partner is never merged into another on a guess from a file
name, and a return sent again under another partner's name is warned of. Each case of
tests/partners_alike.py is merged as written, and as LibreOffice saves it."""

from __future__ import annotations

from pathlib import Path

import pytest

import partners_alike as alike
from conftest import require_soffice, soffice_convert
from csprisk import merge_files


def merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build) -> object:
    """The case built under tmp_path/case and merged from tmp_path, so files read as case/..."""
    build(tmp_path / "case")
    monkeypatch.chdir(tmp_path)
    return merge_files(["case"])


def found(result) -> list[tuple[str, str, str]]:
    return [(f.code, f.file, f.cell) for f in result.findings if f.code != "score-not-known"]


def totals(result) -> dict[str, float]:
    return {p.name: p.total for p in result.assessment.ranking}


def partners(result) -> list[tuple[str, str, str]]:
    return [(s.file, s.partner, s.status) for s in result.statuses]


def message(result, code: str) -> list[str]:
    return [f.message for f in result.findings if f.code == code]


#: The police's and probation's scores, merged as two partners (Domestic abuse is the mean
#: of 5,5,...,3,3 and 3,3,...: 4 on eight criteria and 3 on eight).
BOTH_PARTNERS = {"Reducing re-offending": 80.0, "Anti-social behaviour": 64.0, "Domestic abuse": 56.0}


# ------------------------------------------------------------- one file name, two partners

def test_two_partners_sending_one_file_name_are_named_from_their_folders(tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.same_name_in_partner_folders)
    assert partners(result) == [("case/Police/Risk matrix return.xlsx", "Police", "merged"),
                                ("case/Probation/Risk matrix return.xlsx", "Probation", "merged")]
    assert found(result) == [("partner-missing", "case/Police/Risk matrix return.xlsx", ""),
                             ("partner-missing", "case/Probation/Risk matrix return.xlsx", "")]
    assert message(result, "partner-missing")[0] == (
        'No partner organisation is named in this return, so the folder name "Police" is used instead. '
        "Type your organisation's name in the Partner organisation cell.")
    assert totals(result) == BOTH_PARTNERS
    assert {p.name: p.partners for p in result.assessment.ranking}["Domestic abuse"] == ("Police", "Probation")


def test_two_partners_sending_one_file_name_from_plain_folders_are_kept_apart_with_a_warning(
        tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.same_name_in_plain_folders)
    assert partners(result) == [("case/downloads/Risk matrix return.xlsx", "Risk matrix return (downloads)", "merged"),
                                ("case/inbox/Risk matrix return.xlsx", "Risk matrix return (inbox)", "merged")]
    assert found(result) == [("partner-missing", "case/downloads/Risk matrix return.xlsx", ""),
                             ("partner-missing", "case/inbox/Risk matrix return.xlsx", ""),
                             ("partner-name-shared", "case/downloads/Risk matrix return.xlsx", ""),
                             ("partner-name-shared", "case/inbox/Risk matrix return.xlsx", "")]
    assert message(result, "partner-name-shared")[0] == (
        'No partner organisation is named in this return, and the name it would go by, "Risk matrix return" '
        '(its file name), is also the partner of "case/inbox/Risk matrix return.xlsx". A return is never merged '
        "into another partner's on a guess from a file, sheet or folder name, so this one was ranked on its own, "
        'as "Risk matrix return (downloads)". If both are one partner\'s returns, remove the one you do not want '
        "from the inputs; otherwise type the partner organisation's name in the Partner organisation cell.")
    assert totals(result) == BOTH_PARTNERS
    assert not message(result, "duplicate-return")


def test_partners_who_named_their_sheets_are_named_from_them(tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.named_by_their_sheets)
    assert partners(result) == [("case/returns/Risk matrix return (1).xlsx", "Probation Service", "merged"),
                                ("case/returns/Risk matrix return.xlsx", "Anytown Police", "merged")]
    assert message(result, "partner-missing")[0] == (
        'No partner organisation is named in this return, so the sheet name "Probation Service" is used '
        "instead. Type your organisation's name in the Partner organisation cell.")
    assert [code for code, _, _ in found(result)] == ["partner-missing", "partner-missing"]
    assert totals(result) == BOTH_PARTNERS


def test_an_unnamed_return_in_a_folder_named_like_a_partner_is_not_taken_for_its_resend(tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.folder_named_like_a_partner)
    assert partners(result) == [
        ("case/returns/Anytown Police/Risk matrix return.xlsx", "Anytown Police (Risk matrix return.xlsx)", "merged"),
        ("case/returns/police.xlsx", "Anytown Police", "merged")]
    assert found(result) == [("partner-missing", "case/returns/Anytown Police/Risk matrix return.xlsx", ""),
                             ("partner-name-shared", "case/returns/Anytown Police/Risk matrix return.xlsx", "")]
    assert '"Anytown Police" (its folder name), is also the partner of "case/returns/police.xlsx"' in message(
        result, "partner-name-shared")[0]
    assert totals(result) == BOTH_PARTNERS


def test_two_unnamed_returns_in_one_partners_folder_are_kept_apart_and_found_identical(tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.two_in_one_partner_folder)
    assert partners(result) == [
        ("case/Police/Risk matrix return v2.xlsx", "Police (Risk matrix return v2.xlsx)", "merged"),
        ("case/Police/Risk matrix return.xlsx", "Police (Risk matrix return.xlsx)", "merged")]
    assert found(result) == [("partner-missing", "case/Police/Risk matrix return v2.xlsx", ""),
                             ("partner-missing", "case/Police/Risk matrix return.xlsx", ""),
                             ("partner-name-shared", "case/Police/Risk matrix return v2.xlsx", ""),
                             ("partner-name-shared", "case/Police/Risk matrix return.xlsx", ""),
                             ("returns-identical", "case/Police/Risk matrix return.xlsx", "")]
    assert totals(result) == {"Anti-social behaviour": 64.0, "Domestic abuse": 64.0}


def test_a_partner_naming_itself_in_two_files_is_still_one_partner_resending(tmp_path, monkeypatch):
    def build(folder: Path) -> None:
        alike.write_return(folder / "police.xlsx", alike.POLICE_SCORES, partner="Anytown Police")
        alike.write_return(folder / "Police" / alike.GENERIC, alike.POLICE_SCORES, partner="Anytown Police")

    result = merged(tmp_path, monkeypatch, build)
    assert [code for code, _, _ in found(result)] == ["duplicate-return"]
    assert [s.status for s in result.statuses].count("skipped") == 1


# ------------------------------------------------------------------------ a copied return

FIRE_TOTALS = {"Deliberate fires": 54.0, "Anti-social behaviour": 51.0, "Road safety": 34.0}


def test_a_return_copied_under_another_partners_name_is_warned_of(tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.copied_return)
    assert found(result) == [("returns-identical", "case/fire.xlsx", "")]
    assert message(result, "returns-identical") == [
        'Anytown Fire and Rescue ("case/fire.xlsx") and Anytown Council ("case/council.xlsx") gave identical '
        "returns: the same 3 priorities, and all 47 scores the same. One may be a copy of the other's return "
        "sent under another name. Both were merged, so these scores count twice: check with both partners, "
        "and remove a copy from the inputs."]
    assert [f.value for f in result.findings if f.code == "returns-identical"] == ["Anytown Fire and Rescue"]
    assert totals(result) == FIRE_TOTALS
    assert all(len(p.partners) == 2 for p in result.assessment.ranking)


def test_two_honest_partners_who_agree_on_one_priority_are_not_flagged(tmp_path, monkeypatch):
    result = merged(tmp_path, monkeypatch, alike.agreeing_on_one_priority)
    assert found(result) == []
    assert totals(result) == {"Deliberate fires": 54.0, "Anti-social behaviour": 49.5, "Road safety": 33.0}


def test_a_copy_with_one_score_changed_is_not_identical(tmp_path, monkeypatch):
    assert found(merged(tmp_path, monkeypatch, alike.one_score_apart)) == []


@pytest.mark.parametrize("build", [alike.a_single_priority_each, alike.a_few_scores_each])
def test_returns_alike_on_too_little_are_not_called_copies(tmp_path, monkeypatch, build):
    assert "returns-identical" not in [code for code, _, _ in found(merged(tmp_path, monkeypatch, build))]


# ----------------------------------------------------------------- as LibreOffice saves them

@pytest.mark.libreoffice
@pytest.mark.parametrize("extension", ["xlsx", "ods", "xls"])
def test_one_file_name_in_partner_folders_saved_by_libreoffice_reads_the_same(tmp_path, monkeypatch, extension):
    require_soffice()
    made = alike.same_name_in_partner_folders(tmp_path / "made")
    for path in made:
        soffice_convert(path, extension, tmp_path / "case" / path.parent.name)
    monkeypatch.chdir(tmp_path)
    result = merge_files(["case"])
    assert [(s.partner, s.status) for s in result.statuses] == [("Police", "merged"), ("Probation", "merged")]
    assert [code for code, _, _ in found(result)] == ["partner-missing", "partner-missing"]
    assert totals(result) == BOTH_PARTNERS


@pytest.mark.libreoffice
@pytest.mark.parametrize("extension", ["ods", "xls"])
def test_a_copy_saved_again_in_libreoffice_is_still_identical(tmp_path, monkeypatch, extension):
    """The council opened the fire service's file in LibreOffice, typed its own name and
    saved it in another format."""
    require_soffice()
    fire, council = alike.copied_return(tmp_path / "made")
    (tmp_path / "case").mkdir()
    fire.rename(tmp_path / "case" / fire.name)
    soffice_convert(council, extension, tmp_path / "case")
    monkeypatch.chdir(tmp_path)
    result = merge_files(["case"])
    assert found(result) == [("returns-identical", "case/fire.xlsx", "")]
    assert f'Anytown Council ("case/council.{extension}")' in message(result, "returns-identical")[0]
    assert totals(result) == FIRE_TOTALS


# ---------------------------------------------------------------------- what names a partner

@pytest.mark.parametrize("name", ["Risk matrix return", "Copy of CSP risk matrix 2024-25 v2 (1)", "Sheet1",
                                  "Matrix 2024", "PSA scoring template FINAL", "inbox", "Downloads",
                                  "Partner return (revised)", "Crime and disorder matrix 1st draft", ""])
def test_names_anyone_could_give_name_no_partner(name):
    from csprisk.score.partners import is_generic

    assert is_generic(name)


@pytest.mark.parametrize("name", ["Police", "probation", "Anytown Fire and Rescue", "Youth offending team"])
def test_a_name_with_an_agencys_word_names_a_partner(name):
    from csprisk.score.partners import is_generic

    assert not is_generic(name)


def test_a_windows_path_is_named_from_its_folder():
    from csprisk.score.partners import partner_from_context

    assert partner_from_context("Returns\\Police\\Risk matrix return.xlsx", "Sheet1") == ("Police", "folder name")
    assert partner_from_context("probation.xlsx", "Police") == ("probation", "file name")
