"""Returns from the real world: hand-made layouts, every format, broken and hostile files.

The whole inbox goes through one merge: every usable score is merged, every other problem
is a finding with its code and cell, nothing crashes and no input changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import messy_returns as corpus
from csprisk.app.cli import main
from csprisk.app.pipeline import merge_files
from csprisk.excel.returned import write_feedback
from csprisk.grid import Grid, SheetFacts
from csprisk.scheme import Scheme
from csprisk.score.parse import parse_return

SCHEME = Scheme()
LABELS = list(SCHEME.labels)


def found(result) -> set[tuple[str, str, str]]:
    return {(Path(f.file).name, f.code, f.cell) for f in result.findings}


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def totals(result) -> dict[str, float]:
    return {p.name: round(p.total, 6) for p in result.assessment.ranking}


@pytest.fixture(scope="session")
def inbox(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inbox")
    corpus.good_returns(folder)
    corpus.bad_files(folder)
    return folder


@pytest.fixture(scope="session")
def merged(inbox):
    before = hashes(inbox)
    result = merge_files([inbox], SCHEME)
    assert hashes(inbox) == before
    return result


# ------------------------------------------------------------------ the whole inbox

def test_every_problem_in_the_inbox_is_found_with_its_code_and_cell(merged):
    assert found(merged) == corpus.EXPECTED_RETURNS | corpus.EXPECTED_BAD


def test_every_usable_score_in_the_inbox_is_merged(merged):
    assert totals(merged) == pytest.approx(corpus.EXPECTED_TOTALS)
    statuses = {Path(s.file).name: s.status for s in merged.statuses}
    assert statuses["police.xlsx"] == statuses["council.xlsx"] == statuses["probation.xlsx"] == "merged"
    assert statuses["health_march.xlsx"] == "merged" and statuses["health_february.xlsx"] == "skipped"
    assert {name for name, status in statuses.items() if status == "rejected"} == (
        {name for name, _, _ in corpus.EXPECTED_BAD} | {"apology.xlsx"})


def test_the_partner_and_lead_come_from_the_metadata_lines(merged):
    by_partner = {r.partner: r for r in merged.assessment.returns}
    assert by_partner["Anytown Police"].lead == "DI Jo Smith"
    assert by_partner["Anytown Borough Council"].lead == "Pat Lee"
    assert by_partner["Anytown Borough Council"].sheet == "Matrix 2024"
    assert "Anytown Fire and Rescue" in by_partner and "probation" in by_partner


def test_the_whole_inbox_runs_in_one_merge_with_exit_status_1(inbox, tmp_path, capsys):
    before = hashes(inbox)
    status = main(["merge", str(inbox), "-o", str(tmp_path / "ranked.xlsx"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 1 and (tmp_path / "ranked.xlsx").exists()
    assert {(Path(f["file"]).name, f["code"], f["cell"]) for f in out["findings"]} == (
        corpus.EXPECTED_RETURNS | corpus.EXPECTED_BAD)
    assert hashes(inbox) == before


def test_every_code_has_a_message_the_partner_can_act_on(merged):
    for f in merged.findings:
        assert f.message.endswith((".", ")")) and len(f.message) > 30, f
    by_code = {f.code: f for f in merged.findings}
    assert "remove the password and send it again" in by_code["file-encrypted"].message.lower()
    assert "Media attention" in by_code["missing-criterion"].message
    assert '"Reducing re-offending"' in by_code["similar-priority"].message
    assert "alias" in by_code["similar-priority"].message
    assert "500,000 cells" in by_code["file-too-large"].message
    duplicate = by_code["duplicate-return"]
    assert '"health_march.xlsx"' in duplicate.message.replace(str(Path(duplicate.file).parent) + os.sep, "")
    assert "Matrix 2024" in by_code["sheet-chosen"].message


# ------------------------------------------------------------------------- feedback

def test_feedback_is_written_per_return_cell_by_cell(merged, tmp_path):
    written = write_feedback(merged, tmp_path)
    names = {p.name for p in written.files}
    assert {"council.eml", "council (checked).xlsx", "police.eml", "police (checked).xlsx", "laughs.eml"} <= names
    assert "laughs (checked).xlsx" not in names  # a file that could not be read has nothing to mark
    council = body(tmp_path / "council.eml")
    assert "Please fix" in council and "cell C16" in council and "cell B17" in council
    assert council.index("Please fix") < council.index("Please check") < council.index("For your information")
    police = body(tmp_path / "police.eml")
    assert "cell S11" in police and "Please fix" not in police


def body(path: Path) -> str:
    import email
    from email import policy

    return email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()


def test_validate_writes_feedback_and_touches_no_input(inbox, tmp_path, capsys):
    before = hashes(inbox)
    status = main(["validate", str(inbox), "--feedback", str(tmp_path / "notes")])
    assert status == 1 and hashes(inbox) == before
    assert (tmp_path / "notes" / "fire.eml").exists()
    assert "written to" in capsys.readouterr().err


# ------------------------------------------------------------------ layouts by grid

def grid(rows, sheet="S"):
    return Grid("f.xlsx", sheet, rows)


def codes(findings):
    return sorted(f.code for f in findings)


def test_the_header_is_found_wherever_it_is_on_the_sheet():
    rows = [[] for _ in range(29)] + [["Priority", *LABELS], ["ASB", *[1] * 16]]
    ret, findings = parse_return([grid(rows)], SCHEME, "f.xlsx")
    assert ret.priorities[0].cell == "A31"
    rows = [[] for _ in range(30)] + [["Priority", *LABELS], ["ASB", *[1] * 16]]
    ret, findings = parse_return([grid(rows)], SCHEME, "f.xlsx")
    assert ret.priorities[0].cell == "A32" and ret.priorities[0].total == 16


def test_labels_match_whatever_the_spacing_case_and_trailing_notes():
    labels = ["gap in CURRENT picture (see note)", "Contribution  to\nCSP outcomes", *LABELS[2:6],
              "Community concerns/Public perception", "Harm / impact to property / environment",
              "Harm/impact to people/victims", *LABELS[9:15], "Likelihood of achievability (out of 5)"]
    ret, findings = parse_return([grid([["Priority", *labels], ["ASB", *[2] * 16]])], SCHEME, "f.xlsx")
    assert findings[0].code == "partner-missing" and len(findings) == 1
    assert ret.priorities[0].total == 32


def test_priority_names_are_the_first_text_column_left_of_the_criteria():
    rows = [["Ref", "Risk", "Lead agency", *LABELS], [1, "Hate crime", "Police", *[1] * 16]]
    ret, _ = parse_return([grid(rows)], SCHEME, "f.xlsx")
    assert [p.name for p in ret.priorities] == ["Hate crime"]
    rows = [["", "", *LABELS], ["1.", "Arson", *[1] * 16]]
    ret, _ = parse_return([grid(rows)], SCHEME, "f.xlsx")
    assert [p.name for p in ret.priorities] == ["Arson"]


def test_a_formula_total_only_cross_checks_plain_numbers():
    header = ["Priority", *LABELS, "TOTAL"]
    rows = [header, ["ASB", "4", *[2] * 15, 30], ["DA", *[2] * 16, 30]]
    g = Grid("f.xlsx", "S", rows, facts=SheetFacts(formulas={(1, 17), (2, 17)}))
    ret, findings = parse_return([g], SCHEME, "f.xlsx")
    # Row 2: SUM skipped the text "4", so 30 is what the formula rightly gives: no finding.
    # Row 3: all numbers, yet the formula gives 30 not 32: its range is wrong.
    mismatches = [f for f in findings if f.code == "total-mismatch"]
    assert [f.cell for f in mismatches] == ["R3"] and "formula" in mismatches[0].message
    typed = Grid("f.xlsx", "S", rows)
    assert [f.cell for f in parse_return([typed], SCHEME, "f.xlsx")[1] if f.code == "total-mismatch"] == ["R2", "R3"]


def test_the_sheet_with_the_matrix_is_chosen_and_named():
    sheets = [grid([["Instructions"]], "Read me"), grid([["Priority", *LABELS[:9]], ["ASB", *[1] * 9]], "Draft"),
              grid([["Priority", *LABELS], ["ASB", *[1] * 16]], "Final")]
    ret, findings = parse_return(sheets, SCHEME, "f.xlsx")
    assert ret.sheet == "Final"
    # The draft is scored too: leaving it unread is a warning, naming the sheet that was read.
    [passed] = [f for f in findings if f.code == "matrix-not-read"]
    assert (passed.sheet, passed.severity) == ("Draft", "warning") and 'sheet "Final" was read' in passed.message
    sheets[1] = grid([["Priority", *LABELS[:9]]], "Draft")  # an empty copy: a note is enough
    ret, findings = parse_return(sheets, SCHEME, "f.xlsx")
    [chosen] = [f for f in findings if f.code == "sheet-chosen"]
    assert '"Final"' in chosen.message and chosen.severity == "info"


def test_an_unknown_label_is_reported_once_as_info():
    rows = [["Priority", *LABELS, "RAG rating"], ["ASB", *[1] * 16, "red"], ["DA", *[1] * 16, "green"]]
    _, findings = parse_return([grid(rows)], SCHEME, "f.xlsx")
    unknown = [f for f in findings if f.code == "unknown-column"]
    assert len(unknown) == 1 and unknown[0].severity == "info" and unknown[0].cell == "R1"


# ------------------------------------------------------------------- LibreOffice

def soffice_available() -> bool:
    return shutil.which("soffice") is not None


def need_soffice():
    if not soffice_available():
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")


def convert_all(files: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """One soffice call converts every file (a private profile, so it runs beside others)."""
    profile = outdir.parent / f"profile-{fmt.split(':')[0]}"
    outdir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
                          "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    shutil.rmtree(profile, ignore_errors=True)
    converted = sorted(outdir.iterdir())
    assert len(converted) == len(files), run.stdout + run.stderr
    return converted


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    """The good returns as LibreOffice saves them: .xlsx, .ods and .xls."""
    need_soffice()
    base = tmp_path_factory.mktemp("lo")
    originals = corpus.good_returns(base / "openpyxl")
    sets = {}
    for fmt in ("xlsx:Calc MS Excel 2007 XML", "ods", "xls:MS Excel 97"):
        extension = fmt.split(":")[0]
        sets[extension] = convert_all(originals, fmt, base / extension)
    return sets


def expected_for(extension: str) -> set[tuple[str, str, str]]:
    return {(name.rsplit(".", 1)[0] + "." + extension, code, cell) for name, code, cell in corpus.EXPECTED_RETURNS}


@pytest.mark.libreoffice
@pytest.mark.parametrize("extension", ["xlsx", "ods", "xls"])
def test_returns_saved_by_libreoffice_give_the_same_findings_and_scores(converted, extension):
    folder = converted[extension][0].parent
    before = hashes(folder)
    result = merge_files([folder], SCHEME)
    assert hashes(folder) == before
    assert found(result) == expected_for(extension)
    assert totals(result) == pytest.approx(corpus.EXPECTED_TOTALS)


@pytest.mark.libreoffice
def test_the_format_is_decided_by_content_not_by_name(converted, tmp_path):
    police_xls = next(p for p in converted["xls"] if p.stem == "police")
    police_ods = next(p for p in converted["ods"] if p.stem == "police")
    shutil.copy(police_xls, tmp_path / "police_xls_renamed.xlsx")
    shutil.copy(police_ods, tmp_path / "police_ods_renamed.xls")
    for name in ("police_xls_renamed.xlsx", "police_ods_renamed.xls"):
        result = merge_files([tmp_path / name], SCHEME)
        assert {(f.code, f.cell) for f in result.findings} == {("score-not-known", "F10"), ("total-mismatch", "S11"),
                                                               ("hidden-row-read", "A12")}
        assert totals(result)["Domestic abuse"] == 64


@pytest.mark.libreoffice
def test_a_libreoffice_formula_total_is_a_cross_check(tmp_path):
    need_soffice()
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Partner:", "Anytown Council"])
    ws.append(["Priority", *LABELS, "TOTAL (out of 80)"])
    ws.append(["ASB", "4", *[2] * 15, "=SUM(B3:Q3)"])  # SUM skips the text "4": 30
    ws.append(["Hate crime", *[2] * 16, "=SUM(B4:P4)"])  # range one column short: 30, not 32
    wb.save(tmp_path / "formulas.xlsx")
    [recalculated] = convert_all([tmp_path / "formulas.xlsx"], "xlsx:Calc MS Excel 2007 XML", tmp_path / "out")
    result = merge_files([recalculated], SCHEME)
    assert {(f.code, f.cell) for f in result.findings} == {("total-mismatch", "R4")}
    assert totals(result) == {"Anti-social behaviour": 34.0, "Hate crime": 32.0}


def test_the_validation_sheet_links_each_finding_to_its_partner_and_cell(merged):
    from csprisk.marks import PARTNER_SCORES
    from csprisk.report.ranked import partner_scores_sheet, validation_sheet

    sheet, scores = validation_sheet(merged), partner_scores_sheet(merged)
    header = next(r for r in range(sheet.height) if sheet.value(r, 0) == "Severity")
    rows = {(Path(str(sheet.value(r, 4))).name, sheet.value(r, 1), sheet.value(r, 6)): r
            for r in range(header + 1, sheet.height)}
    r = rows[("council.xlsx", "score-out-of-range", "C16")]
    partner, file, cell = (sheet.cell(r, c) for c in (3, 4, 6))
    assert partner.value == "Anytown Borough Council" and partner.link.startswith(f"#'{PARTNER_SCORES}'!A")
    if sys.platform == "emscripten":  # inside xlwings Lite, Excel cannot open Lite's own files
        assert file.link is None
    else:
        assert file.link.startswith("file://") and file.link.endswith("#'Matrix%202024'!C16")
    target = cell.link.split("!")[1]
    col = next(c for c in range(scores.width) if scores.value(header_row(scores), c) == LABELS[15])
    from csprisk.grid import column_letter
    assert target[: len(column_letter(col))] == column_letter(col)
    assert scores.value(int(target[len(column_letter(col)):]) - 1, col) == 7
    # A file that could not be read has no partner row, but still links to the file.
    r = rows[("locked.xlsx", "file-encrypted", "")]
    assert sheet.cell(r, 3).link is None
    assert sheet.cell(r, 4).link is None if sys.platform == "emscripten" else \
        sheet.cell(r, 4).link.startswith("file://")


def header_row(scores):
    return next(r for r in range(scores.height) if scores.value(r, 0) == "Partner" and scores.value(r, 1) == "File")
