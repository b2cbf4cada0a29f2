"""No output ever overwrites what a partner sent, csprisk never reads its own output as a
return, nothing to do is an error, and a reader that dies takes one file with it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from csprisk.app import cli
from csprisk.app import pipeline as merge
from csprisk.app.demo import write_example_returns
from csprisk.read.settings import load_scheme

DEMO_SETTINGS = Path(cli.__file__).with_name("demo_settings.toml")
SCHEME = load_scheme(DEMO_SETTINGS)


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "my"
    write_example_returns(folder, SCHEME)
    return folder


def fingerprints(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def run(*argv: str) -> int:
    return cli.main(list(argv))


# ------------------------------------------------------------------ an output is never an input

def test_an_output_named_like_a_return_is_refused_and_nothing_is_written(inbox, capsys):
    before = fingerprints(inbox)
    police = next(p for p in inbox.iterdir() if "police" in p.name)
    assert run("merge", str(inbox), "-o", str(police)) == 2
    err = capsys.readouterr().err
    assert f"would replace {police}, which is one of the files being read" in err
    assert "nothing was written" in err
    assert fingerprints(inbox) == before


def test_an_output_that_is_a_return_through_a_link_is_refused(inbox, tmp_path, capsys):
    police = next(p for p in inbox.iterdir() if "police" in p.name)
    link = tmp_path / "looks-new.xlsx"
    link.symlink_to(police)
    before = police.read_bytes()
    assert run("merge", str(inbox), "-o", str(link)) == 2
    assert "one of the files being read" in capsys.readouterr().err
    assert police.read_bytes() == before


def test_an_output_in_another_case_is_refused_where_the_file_system_ignores_case(inbox, capsys):
    police = next(p for p in inbox.iterdir() if "police" in p.name)
    other_case = police.with_name(police.name.upper())
    ignores_case = other_case.exists()  # the same file under another case: a case-blind file system
    status = run("merge", str(inbox), "-o", str(other_case))
    if ignores_case:
        assert status == 2 and "one of the files being read" in capsys.readouterr().err
    else:  # here the names are two files: writing the new one harms nothing
        assert status in (0, 1) and other_case.exists() and police.exists()
        assert {p.name for p in inbox.iterdir()} >= {police.name, other_case.name}


def test_settings_and_previous_are_inputs_too(inbox, tmp_path, capsys):
    settings = tmp_path / "settings.toml"
    shutil.copy(DEMO_SETTINGS, settings)
    settings_toml = settings.read_bytes()
    assert run("merge", str(inbox), "--settings", str(settings), "-o", str(tmp_path / "settings.toml.xlsx")) in (0, 1)
    ranked = tmp_path / "last.xlsx"
    assert run("merge", str(inbox), "-o", str(ranked)) in (0, 1)
    last = ranked.read_bytes()
    assert run("merge", str(inbox), "--previous", str(ranked), "-o", str(ranked)) == 2
    assert "one of the files being read" in capsys.readouterr().err
    assert ranked.read_bytes() == last and settings.read_bytes() == settings_toml


def test_export_may_not_replace_its_ranked_workbook_even_through_a_link(inbox, tmp_path, capsys):
    ranked = tmp_path / "ranked.xlsx"
    assert run("merge", str(inbox), "-o", str(ranked)) in (0, 1)
    link = tmp_path / "exec.xlsx"
    link.symlink_to(ranked)
    before = ranked.read_bytes()
    assert run("export", str(ranked), "-o", str(link)) == 2
    assert "must not replace the ranked workbook" in capsys.readouterr().err
    assert ranked.read_bytes() == before


def test_feedback_never_replaces_an_input(tmp_path, capsys):
    folder = tmp_path / "in"
    write_example_returns(folder, SCHEME)
    # A file among the inputs under the very name a partner's email draft would take.
    trap = folder / "fire_and_rescue.eml"
    trap.write_bytes(b"")  # not a return (no return's ending), but an input all the same
    before = fingerprints(folder)
    status = run("validate", str(folder), str(trap), "--feedback", str(folder))
    assert status == 2 and "The feedback file" in capsys.readouterr().err
    assert fingerprints(folder) == before


# ------------------------------------------------------------------ never its own output as a return

def test_merging_into_the_returns_folder_twice_skips_the_ranked_workbook(inbox, capsys):
    out = inbox / "ranked_assessment.xlsx"
    assert run("merge", str(inbox), "-o", str(out), "--json") == 1
    first = json.loads(capsys.readouterr().out)
    assert run("merge", str(inbox), "-o", str(out), "--json") == 1
    second = json.loads(capsys.readouterr().out)
    assert second["ranking"] == first["ranking"] and second["findings"] == first["findings"]
    (ranked,) = [r for r in second["returns"] if r["file"].endswith("ranked_assessment.xlsx")]
    assert ranked["status"] == "skipped"
    assert ranked["reason"] == "a ranked workbook csprisk wrote (csprisk merge or Merge & Rank), not a partner's return"


def test_every_workbook_csprisk_writes_is_marked_and_skipped_as_a_return(inbox, tmp_path, capsys):
    ranked = tmp_path / "out" / "ranked.xlsx"
    assert run("merge", str(inbox), "-o", str(ranked)) == 1
    assert run("export", str(ranked), "-o", str(inbox / "for the executive.xlsx")) == 0
    assert run("workbook", "-o", str(inbox / "analyst.xlsx")) == 0
    shutil.copy(ranked, inbox / "ranked copy.xlsx")
    capsys.readouterr()
    assert run("merge", str(inbox), "-o", str(tmp_path / "again.xlsx"), "--json") == 1
    returns = json.loads(capsys.readouterr().out)["returns"]
    statuses = {Path(r["file"]).name: (r["status"], r["reason"]) for r in returns}
    assert statuses["for the executive.xlsx"] == ("skipped", "the executive's copy of a ranked workbook csprisk "
                                                  "wrote, not a partner's return")
    assert statuses["analyst.xlsx"] == ("skipped", "the analyst workbook csprisk made (csprisk workbook), not a "
                                        "partner's return")
    assert statuses["ranked copy.xlsx"][0] == "skipped"
    assert sum(s == "merged" for s, _ in statuses.values()) == 5


@pytest.mark.libreoffice
def test_the_mark_survives_libreoffice_saving_the_ranked_workbook_again(inbox, tmp_path, capsys):
    from conftest import require_soffice, soffice_convert

    require_soffice()
    ranked = tmp_path / "ranked.xlsx"
    assert run("merge", str(inbox), "-o", str(ranked)) == 1
    resaved = soffice_convert(ranked, "xlsx", tmp_path / "resaved")
    shutil.copy(resaved, inbox / "ranked, saved by LibreOffice.xlsx")
    capsys.readouterr()
    assert run("merge", str(inbox), "-o", str(tmp_path / "again.xlsx"), "--json") == 1
    statuses = {Path(r["file"]).name: r["status"] for r in json.loads(capsys.readouterr().out)["returns"]}
    assert statuses["ranked, saved by LibreOffice.xlsx"] == "skipped"


def test_a_blank_template_reads_as_a_return_with_no_scores_and_a_filled_one_merges(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    assert run("template", "-o", str(folder / "blank.xlsx")) == 0
    write_example_returns(folder, SCHEME)  # made from the same template, then filled in
    capsys.readouterr()
    assert run("merge", str(folder), "-o", str(tmp_path / "r.xlsx"), "--json") == 1
    document = json.loads(capsys.readouterr().out)
    statuses = {Path(r["file"]).name: r["status"] for r in document["returns"]}
    assert statuses.pop("blank.xlsx") == "rejected"
    assert set(statuses.values()) == {"merged"}
    assert any(f["code"] == "no-scores" and f["file"].endswith("blank.xlsx") for f in document["findings"])


# ------------------------------------------------------------------ nothing to do is an error

def test_a_folder_with_no_returns_is_an_error_and_writes_nothing(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "~$police.xlsx").write_bytes(b"lock")
    out = tmp_path / "ranked.xlsx"
    assert run("merge", str(empty), "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert "No returns were found in" in err and "nothing was written" in err
    assert "skipped" in err and "lock file" in err
    assert not out.exists()


def test_a_folder_holding_only_csprisk_output_has_nothing_to_merge(inbox, tmp_path, capsys):
    out = tmp_path / "only" / "ranked.xlsx"
    assert run("merge", str(inbox), "-o", str(out)) == 1
    capsys.readouterr()
    assert run("merge", str(out.parent), "-o", str(tmp_path / "again.xlsx")) == 2
    assert "No returns were found" in capsys.readouterr().err


@pytest.mark.parametrize("top", ["0", "-1", "two"])
def test_top_must_be_one_or_more(inbox, tmp_path, capsys, top):
    with pytest.raises(SystemExit) as stopped:
        run("merge", str(inbox), "--top", top, "-o", str(tmp_path / "r.xlsx"))
    assert stopped.value.code == 2
    assert "is not a whole number of 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("command", [["merge", "IN"], ["template"], ["workbook"]])
def test_an_output_must_be_an_xlsx_workbook(inbox, tmp_path, capsys, command):
    argv = [str(inbox) if part == "IN" else part for part in command]
    assert run(*argv, "-o", str(tmp_path / "out.csv")) == 2
    assert "its name must end in .xlsx (not out.csv)" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_a_missing_output_folder_is_created_and_said(inbox, tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "ranked.xlsx"
    assert run("merge", str(inbox), "-o", str(out), "--json") == 1
    captured = capsys.readouterr()
    assert out.exists() and json.loads(captured.out)["ranking"]
    assert f"csprisk: created the folder {tmp_path / 'new'}" in captured.err


# ------------------------------------------------------------------ a reader that dies

def _dies_on_crash_files(path, scheme):
    """read_and_parse, except that a file called crash*.xlsx ends its process at once, as a
    reader aborting inside calamine does (no Python exception, no cleanup)."""
    if path.name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _REAL_READ_AND_PARSE(path, scheme)


_REAL_READ_AND_PARSE = merge.read_and_parse


@pytest.mark.skipif(sys.platform == "emscripten", reason="Pyodide has no worker processes")
def test_a_worker_that_dies_costs_its_file_not_the_run(tmp_path, monkeypatch):
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the dying reader is planted in the workers by fork")
    monkeypatch.setattr(merge, "read_and_parse", _dies_on_crash_files)
    monkeypatch.setattr(merge.os, "cpu_count", lambda: 2)
    folder = tmp_path / "in"
    demo = write_example_returns(tmp_path / "demo", SCHEME)
    folder.mkdir()
    for n in range(merge.PARALLEL_MIN_FILES + 10):
        shutil.copy(demo[n % len(demo)], folder / f"return {n:03d}.xlsx")
    shutil.copy(demo[0], folder / "crash 1.xlsx")
    shutil.copy(demo[1], folder / "crash 2.xlsx")
    result = merge.merge_files([folder], SCHEME)
    statuses = {Path(s.file).name: s for s in result.statuses}
    assert len(statuses) == merge.PARALLEL_MIN_FILES + 12
    for name in ("crash 1.xlsx", "crash 2.xlsx"):
        assert statuses[name].status == "rejected"
        (found,) = [f for f in result.findings if Path(f.file).name == name]
        assert found.code == "file-corrupt" and "the spreadsheet reader stopped on this file" in found.message
    others = [s for name, s in statuses.items() if not name.startswith("crash")]
    assert {s.status for s in others} <= {"merged", "skipped"} and len(others) == merge.PARALLEL_MIN_FILES + 10
    # the files that merged read exactly as a merge without the crashing files does
    for name in ("crash 1.xlsx", "crash 2.xlsx"):
        (folder / name).unlink()
    monkeypatch.setattr(merge, "read_and_parse", _REAL_READ_AND_PARSE)
    clean = merge.merge_files([folder], SCHEME)
    assert ([(p.name, p.total) for p in result.assessment.ranking]
            == [(p.name, p.total) for p in clean.assessment.ranking])


def test_a_ranked_workbook_over_a_returns_limits_is_still_skipped_not_refused(inbox, capsys):
    """A big roll-up's ranked workbook is larger than any return may be: its mark is read
    before the limits, so it is skipped as csprisk's own, not reported as too large."""
    from openpyxl import Workbook
    from openpyxl.packaging.custom import StringProperty

    from csprisk import marks

    wb = Workbook()
    wb.active.title = "Partner scores"
    wb.active.cell(row=30_000, column=20, value="x")  # 600,000 cells: over a return's 500,000
    wb.custom_doc_props.append(StringProperty(name=marks.PROPERTY, value=marks.RANKED))
    wb.save(inbox / "last year ranked.xlsx")
    assert run("merge", str(inbox), "-o", str(inbox.parent / "r.xlsx"), "--json") == 1
    document = json.loads(capsys.readouterr().out)
    (ranked,) = [r for r in document["returns"] if r["file"].endswith("last year ranked.xlsx")]
    assert ranked["status"] == "skipped" and ranked["reason"].startswith("a ranked workbook csprisk wrote")
    assert not any(f["file"].endswith("last year ranked.xlsx") for f in document["findings"])
