"""Returns as partners really make them: every current, visible score read, and nothing
dropped or misread in silence. Each case of tests/partner_made.py is read as openpyxl wrote
it and as LibreOffice saves it (.xlsx, .ods, .xls), with exact findings at exact cells and
exact totals."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import partner_made as made
from csprisk import merge_files, write_ranked_workbook
from csprisk.scheme import Scheme

#: case -> (findings as (code, sheet, cell), merged totals). score-not-known notes aside.
EXPECTED: dict[str, tuple[set[tuple[str, str, str]], dict[str, float]]] = {
    # 1. Several matrices in one workbook.
    "partner_per_sheet": (set(), {"Domestic abuse": 64.0, "Anti-social behaviour": 40.0}),
    "sheet_per_year": ({("matrix-not-read", "Last year", "A5")}, {"Anti-social behaviour": 64.0}),
    "sheet_per_year_unlabelled": ({("matrix-not-read", "Matrix (2)", "A5")}, {"Anti-social behaviour": 32.0}),
    # 2. Hidden rows and columns; a collapsed outline group is only folded.
    "hidden_old_row": ({("hidden-row-skipped", "Matrix", "A6"), ("hidden-row-read", "Matrix", "A8")},
                       {"Domestic abuse": 64.0, "Anti-social behaviour": 48.0, "Hate crime": 32.0}),
    "hidden_old_column": ({("hidden-column-skipped", "Matrix", "N5"), ("hidden-column-read", "Matrix", "R5")},
                          {"Domestic abuse": 64.0, "Anti-social behaviour": 48.0, "Hate crime": 32.0}),
    "folded_group": (set(), {"Violence": 64.0, "Domestic abuse": 64.0, "Knife crime": 48.0}),
    # 3. Which column holds the priority names.
    "theme_and_priority": ({("priority-missing", "Sheet", "B8")},
                           {"Domestic abuse": 64.0, "Knife crime": 48.0, "Burglary": 32.0}),
    "codes_and_risk_area": (set(), {"Domestic abuse": 64.0, "Knife crime": 48.0}),
    "codes_and_unheaded_names": ({("priority-missing", "Sheet", "B8")}, {"Domestic abuse": 64.0, "Knife crime": 48.0}),
    # 4. Headers as people type them.
    "numbered_labels": (set(), {"Domestic abuse": 64.0}),
    "ampersand_labels": (set(), {"Domestic abuse": 48.0}),
    "grouped_two_row_header": ({("total-mismatch", "Sheet", "R7")}, {"Deliberate fires": 48.0, "Road safety": 32.0}),
    # 5. Noise inside and under the matrix.
    "noise_under_the_matrix": (set(), {"Domestic abuse": 64.0, "Anti-social behaviour": 32.0}),
    "table_with_totals_row": (set(), {"Domestic abuse": 64.0, "Knife crime": 48.0}),
    # 6. What a cell's format says.
    "percent_formatted": ({("score-percent", "Sheet", "B6"), ("score-percent", "Sheet", "C6")},
                          {"Domestic abuse": 56.0, "Knife crime": 48.0}),
    "date_from_typing": ({("score-not-number", "Sheet", "D6")}, {"Domestic abuse": 60.0}),
    "error_values": ({("score-error", "Sheet", "B6"), ("score-error", "Sheet", "C6"), ("score-error", "Sheet", "D6")},
                     {"Domestic abuse": 52.0}),
    # 8. A priority nobody could score.
    "nothing_known": ({("priority-not-scored", "Sheet", "A7")}, {"Domestic abuse": 64.0}),
}

#: What LibreOffice's .ods and .xls cannot carry: an Excel Table (its totals row is a plain row there).
LOST_IN = {("table_with_totals_row", "ods"): {("priority-missing", "Matrix", "A6")},
           ("table_with_totals_row", "xls"): {("priority-missing", "Matrix", "A6")}}


def found(result) -> set[tuple[str, str, str]]:
    return {(f.code, f.sheet, f.cell) for f in result.findings if f.code != "score-not-known"}


def totals(result) -> dict[str, float]:
    return {p.name: p.total for p in result.assessment.ranking}


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("made")
    return {name: build(folder) for name, build in made.CASES.items()}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_case_gives_its_exact_findings_and_totals(cases, case):
    findings, expected_totals = EXPECTED[case]
    result = merge_files([cases[case]])
    assert found(result) == findings
    assert totals(result) == expected_totals


@pytest.fixture(scope="module")
def resaved(cases, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Every case as LibreOffice saves it, one soffice call per format."""
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("made_lo")
    sets = {}
    for fmt in ("xlsx:Calc MS Excel 2007 XML", "ods", "xls:MS Excel 97"):
        extension = fmt.split(":")[0]
        out = base / extension
        profile = base / f"profile-{extension}"
        run = subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                              fmt, "--outdir", str(out), *map(str, cases.values())],
                             capture_output=True, text=True, timeout=600)
        sets[extension] = {name: out / f"{path.stem}.{extension}" for name, path in cases.items()}
        missing = [p.name for p in sets[extension].values() if not p.exists()]
        assert not missing, f"LibreOffice did not write {missing}: {run.stdout}{run.stderr}"
    return sets


@pytest.mark.libreoffice
@pytest.mark.parametrize("extension", ["xlsx", "ods", "xls"])
def test_each_case_saved_by_libreoffice_reads_the_same(resaved, extension):
    for case, (findings, expected_totals) in EXPECTED.items():
        result = merge_files([resaved[extension][case]])
        assert found(result) == findings | LOST_IN.get((case, extension), set()), (case, extension)
        assert totals(result) == expected_totals, (case, extension)


# ----------------------------------------------------------------- 1. several matrices

def test_a_sheet_per_partner_is_a_return_per_partner(cases, tmp_path):
    result = merge_files([cases["partner_per_sheet"]])
    assert [(s.partner, s.sheet, s.status, s.priorities) for s in result.statuses] == [
        ("Anytown Police", "Police", "merged", 2), ("Anytown Council", "Council", "merged", 1)]
    [asb] = [p for p in result.assessment.ranking if p.name == "Anti-social behaviour"]
    assert set(asb.partners) == {"Anytown Police", "Anytown Council"}
    document = result.to_dict()
    assert [(r["partner"], r["sheet"]) for r in document["returns"]] == [("Anytown Police", "Police"),
                                                                        ("Anytown Council", "Council")]
    written = write_ranked_workbook(result, tmp_path / "ranked.xlsx")
    assert written.exists()


def test_of_one_partners_matrices_the_assessments_period_is_read(tmp_path):
    path = made.sheet_per_year(tmp_path)
    result = merge_files([path], Scheme(period="2024-25"))
    assert totals(result) == {"Anti-social behaviour": 64.0}
    [f] = [f for f in result.findings if f.code == "matrix-not-read"]
    assert f.severity == "warning" and f.message.startswith(
        'Sheet "Last year" also holds a scored risk matrix from Anytown Police for 2023-24, and it was not '
        "read: sheet \"This year\" was read, because its period (2024-25) is the assessment's (2024-25).")
    # Last year's assessment, re-run: last year's matrix is the one read.
    result = merge_files([path], Scheme(period="2023/24"))
    assert totals(result) == {"Anti-social behaviour": 16.0}
    assert [f.sheet for f in result.findings if f.code == "matrix-not-read"] == ["This year"]


def test_with_no_period_to_go_by_the_later_matrix_is_read_and_the_warning_asks(tmp_path):
    path = made.sheet_per_year(tmp_path, "reversed.xlsx", [("2024-25", "2024-25", 4), ("2023-24", "2023-24", 1)])
    result = merge_files([path])
    assert totals(result) == {"Anti-social behaviour": 64.0}
    [f] = [f for f in result.findings if f.code == "matrix-not-read"]
    assert f.sheet == "2023-24" and "because its period (2024-25) is the later one" in f.message
    assert 'period = "2024-25"' in f.message  # says how to let csprisk decide by the period
    result = merge_files([made.sheet_per_year_unlabelled(tmp_path)])
    [f] = [f for f in result.findings if f.code == "matrix-not-read"]
    assert "nothing in the sheets says which is current" in f.message and "Check it is the current one" in f.message


# ----------------------------------------------------------------- 2. hidden rows and columns

def test_a_hidden_row_never_wins_over_a_visible_one_and_a_hidden_one_read_is_said(cases):
    result = merge_files([cases["hidden_old_row"]])
    messages = {f.code: f.message for f in result.findings}
    assert messages["hidden-row-skipped"] == ('Row 6 is hidden and scores "Domestic abuse" again; the visible row '
                                              "9 was read and the hidden one was not. Delete the hidden row if it "
                                              "holds old scores.")
    assert messages["hidden-row-read"].startswith('Row 8 ("Hate crime") is hidden, but it is the only row')
    assert not [f for f in result.findings if f.code == "duplicate-priority"]


def test_a_hidden_column_never_wins_over_a_visible_one(cases):
    result = merge_files([cases["hidden_old_column"]])
    assert not [f for f in result.findings if f.code == "total-mismatch"]  # the partner's totals are right
    [skipped] = [f for f in result.findings if f.code == "hidden-column-skipped"]
    assert (skipped.severity, skipped.value) == ("info", "Media attention") and "column O was read" in skipped.message
    [read] = [f for f in result.findings if f.code == "hidden-column-read"]
    assert (read.severity, read.value) == ("warning", "Likelihood of achievability")


# ------------------------------------------------------------------------ 7. partner labels

def test_every_common_label_names_the_partner(tmp_path):
    paths = made.partner_labels(tmp_path)
    result = merge_files(paths)
    assert [s.partner for s in result.statuses] == ["Partner 1", "Partner 2", "Partner 3", "Partner 4"]
    assert not [f for f in result.findings if f.code == "partner-missing"]


# ---------------------------------------------------------------- 8. a priority nobody could score

def test_a_priority_nobody_could_score_is_warned_and_not_ranked_as_zero(cases):
    result = merge_files([cases["nothing_known"]])
    assert "Modern slavery" not in totals(result)
    [f] = [f for f in result.findings if f.code == "priority-not-scored"]
    assert f.severity == "warning" and f.value == "Modern slavery" and "rather than ranked as 0 out of 80" in f.message
    assert not [f for f in result.findings if f.code == "score-missing"]


# ------------------------------------------------------------------- 9. similar-priority noise

def test_ward_level_names_are_different_issues_and_a_near_miss_still_warns(cases):
    result = merge_files([cases["ward_priorities"]])
    assert len(result.assessment.ranking) == 151
    similar = [f for f in result.findings if f.code == "similar-priority"]
    assert [(f.value, f.cell) for f in similar] == [("Domestic abuze", "A156")]
    assert 'closely resembles "Domestic abuse"' in similar[0].message


# ------------------------------------------------------------------------------- 10. links

@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_return_reached_through_a_link_records_the_real_file_too(cases, tmp_path):
    real = cases["codes_and_risk_area"]
    link = tmp_path / "from_the_council.xlsx"
    link.symlink_to(real)
    result = merge_files([link])
    [status] = result.statuses
    assert (status.file, status.target) == (str(link), str(real.resolve()))
    assert json.loads(json.dumps(result.to_dict()))["returns"][0]["target"] == str(real.resolve())
    folder = tmp_path / "linked_folder"
    folder.symlink_to(real.parent, target_is_directory=True)
    statuses = {Path(s.file).name: s.target for s in merge_files([folder / real.name]).statuses}
    assert statuses == {real.name: str(real.resolve())}
    plain = merge_files([real]).statuses[0]
    assert plain.target == "" and "target" not in plain.as_dict()
