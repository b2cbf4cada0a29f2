"""The command-line contract: JSON, exit status, the ranked workbook, and inputs untouched."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from csprisk.app.cli import main
from csprisk.marks import REPORT_SHEETS
from csprisk.scheme import Scheme

SCHEME = Scheme()


def write_return(path: Path, partner, rows, typed_totals=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risk matrix"
    ws.append(["Partner organisation", partner])
    ws.append([])
    ws.append(["Priority", *SCHEME.labels, "PESTELO", "Notes", SCHEME.total_label])
    for i, (name, scores) in enumerate(rows):
        total = (typed_totals or {}).get(name)
        ws.append([name, *scores, "P, E", "=1+1 was our estimate" if i == 0 else None, total])
    wb.save(path)
    return path


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def returns(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    write_return(folder / "police.xlsx", "Anytown Police",
                 [("Domestic abuse", [4] * 16), ("ASB", [3] * 15 + ["NK"])])
    write_return(folder / "council.xlsx", "Anytown Council",
                 [("Anti-social behaviour", [5] * 16), ("Domestic abuse", [2] * 16)],
                 typed_totals={"Domestic abuse": 30})
    (folder / "~$police.xlsx").write_bytes(b"lock")
    return folder


def run_json(capsys, *args):
    status = main(list(args))
    out = capsys.readouterr().out
    return status, json.loads(out)


def test_merge_json_ranks_and_reports(returns, tmp_path, capsys):
    out = tmp_path / "ranked.xlsx"
    status, doc = run_json(capsys, "merge", str(returns), "-o", str(out), "--json")
    assert status == 0
    assert [(r["rank"], r["priority"], r["total"]) for r in doc["ranking"]] == [
        (1, "Anti-social behaviour", 65.0), (2, "Domestic abuse", 48.0)]
    assert doc["ranking"][0]["band"] == "High" and doc["ranking"][0]["max_total"] == 80
    assert doc["ranking"][0]["partners"] == 2
    codes = sorted(f["code"] for f in doc["findings"])
    assert codes == ["score-not-known", "total-mismatch"]
    statuses = {Path(r["file"]).name: r["status"] for r in doc["returns"]}
    assert statuses == {"council.xlsx": "merged", "police.xlsx": "merged", "~$police.xlsx": "skipped"}
    assert out.exists()


def test_ranked_workbook_sheets_hold_the_numbers_and_text_stays_text(returns, tmp_path, capsys):
    out = tmp_path / "ranked.xlsx"
    main(["merge", str(returns), "-o", str(out), "--json"])
    capsys.readouterr()
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [name for name in REPORT_SHEETS if name != "Scenarios"]  # no scenarios declared
    assert wb.sheetnames[0] == "Summary" and {"Partner scores", "Validation", "Method"} <= set(wb.sheetnames)
    summary = wb["Summary"]
    rows = [[c.value for c in r] for r in summary.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0] == "Rank")
    assert rows[header + 1][:3] == ["1", "Anti-social behaviour", 65.0]
    assert rows[header + 2][:3] == ["2", "Domestic abuse", 48.0]
    scores = wb["Partner scores"]
    typed = [[c.value for c in r] for r in scores.iter_rows()]
    header = next(r for r in typed if r[0] == "Partner")
    assert header[5:21] == list(SCHEME.labels) and header[21:25] == ["Confidence", "PESTELO", "Notes", "Not counted"]
    asb = next(r for r in typed if r[0] == "Anytown Police" and r[4] == "ASB")
    assert asb[3] == 5 and asb[5:21] == [3] * 15 + ["NK"]
    assert asb[24] == 'Q5 "NK" (not known)'
    nk_cell = next(c for r in scores.iter_rows() for c in r if c.value == "NK")
    assert nk_cell.font.color.rgb.endswith("C00000")  # did not count: shown red
    # Nothing typed is ever turned into a formula.
    for ws in wb.worksheets:
        for r in ws.iter_rows():
            for c in r:
                if isinstance(c.value, str) and c.value.startswith("="):
                    assert c.data_type == "s", (ws.title, c.coordinate)
    method = [[c.value for c in r] for r in wb["Method"].iter_rows()]
    hashes = [r for r in method if r[0] and str(r[0]).endswith("police.xlsx") and r[4]]
    assert hashes and hashes[0][4] == sha(returns / "police.xlsx")


def test_inputs_are_never_modified(returns, tmp_path, capsys):
    before = {p.name: sha(p) for p in returns.iterdir()}
    main(["merge", str(returns), "-o", str(tmp_path / "r.xlsx")])
    main(["validate", str(returns)])
    capsys.readouterr()
    assert {p.name: sha(p) for p in returns.iterdir()} == before


def test_error_findings_give_exit_status_1_and_output_is_still_written(tmp_path, capsys):
    write_return(tmp_path / "fire.xlsx", "Fire", [("Deliberate fires", [6] + [2] * 15)])
    out = tmp_path / "ranked.xlsx"
    status, doc = run_json(capsys, "merge", str(tmp_path / "fire.xlsx"), "-o", str(out), "--json")
    assert status == 1 and out.exists()
    [f] = doc["findings"]
    assert (f["code"], f["cell"], f["value"], f["sheet"]) == ("score-out-of-range", "B4", 6, "Risk matrix")


def test_a_broken_file_is_reported_and_the_rest_goes_on(returns, tmp_path, capsys):
    (returns / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    status, doc = run_json(capsys, "validate", str(returns), "--json")
    assert status == 1
    broken = [f for f in doc["findings"] if f["file"].endswith("broken.xlsx")]
    assert [f["code"] for f in broken] == ["file-corrupt"]
    assert len(doc["ranking"]) == 2


def test_usage_errors_exit_2_with_a_plain_message(tmp_path, capsys):
    assert main(["merge", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('aggregation = "mode"\n')
    assert main(["validate", str(tmp_path), "--settings", str(bad)]) == 2
    assert "mode" in capsys.readouterr().err


def test_locked_output_writes_nothing_and_exits_2(returns, tmp_path, capsys):
    out = tmp_path / "ranked.xlsx"
    out.write_bytes(b"the analyst's open copy")
    (tmp_path / "~$ranked.xlsx").write_bytes(b"lock")
    status = main(["merge", str(returns), "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and "ranked.xlsx" in err
    assert out.read_bytes() == b"the analyst's open copy"


def test_aggregation_and_top_options(returns, capsys):
    status, doc = run_json(capsys, "validate", str(returns), "--json", "--aggregation", "max", "--top", "1")
    assert doc["aggregation"] == "max"
    assert [r["recommended"] for r in doc["ranking"]] == [True, False]
    assert doc["ranking"][1]["total"] == 64.0  # max of 4 and 2 on every criterion


def test_text_output_is_a_readable_table(returns, tmp_path, capsys):
    main(["merge", str(returns), "-o", str(tmp_path / "r.xlsx")])
    out = capsys.readouterr().out
    assert "Anti-social behaviour" in out and " 65 " in out and "High" in out
    assert "Findings: 0 errors, 1 warning, 1 note." in out


@pytest.mark.subprocess
def test_version_runs_as_a_console_command():
    done = subprocess.run([sys.executable, "-m", "csprisk.app.cli", "--version"], capture_output=True, text=True)
    assert done.stdout.strip().startswith("csprisk ")


@pytest.mark.libreoffice
def test_the_ranked_workbook_opens_in_libreoffice_with_the_same_numbers(returns, tmp_path, capsys):
    import python_calamine

    from conftest import require_soffice, soffice_convert

    require_soffice()
    out = tmp_path / "ranked.xlsx"
    status, doc = run_json(capsys, "merge", str(returns), "-o", str(out), "--json")
    pdf = soffice_convert(out, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 1000 and pdf.read_bytes().startswith(b"%PDF")
    resaved = soffice_convert(out, "xlsx", tmp_path / "lo")
    rows = python_calamine.CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name("Summary").to_python()
    header = next(i for i, r in enumerate(rows) if r[0] == "Rank")
    shown = [(r[1], r[2]) for r in rows[header + 1:header + 1 + len(doc["ranking"])]]
    assert shown == [(r["priority"], r["total"]) for r in doc["ranking"]]


def test_previous_adds_movement_to_the_json(returns, tmp_path, capsys):
    last = tmp_path / "last.xlsx"
    run_json(capsys, "merge", str(returns), "-o", str(last), "--json")
    write_return(returns / "fire.xlsx", "Fire", [("Deliberate fires", [5] * 16), ("Domestic abuse", [5] * 16)])
    (returns / "council.xlsx").unlink()
    status, doc = run_json(capsys, "merge", str(returns), "-o", str(tmp_path / "now.xlsx"), "--json",
                           "--previous", str(last))
    moves = {r["priority"]: r["movement"] for r in doc["ranking"]}
    assert moves["Deliberate fires"]["status"] == "new" and moves["Deliberate fires"]["previous_rank"] is None
    assert moves["Domestic abuse"] == {"status": "same", "rank_change": 0, "total_change": 72.0 - 48.0,
                                       "previous_rank": "2", "previous_total": 48.0}
    assert moves["Anti-social behaviour"] | {"total_change": None} == {
        "status": "down", "rank_change": -2, "total_change": None, "previous_rank": "1", "previous_total": 65.0}
    assert doc["dropped"] == []


def test_a_big_merge_reads_in_worker_processes_with_the_same_result(returns, capsys, monkeypatch):
    import csprisk.app.pipeline as merge

    (returns / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    (returns / "empty.xlsx").write_bytes(b"")
    monkeypatch.setattr(merge, "PARALLEL_MIN_FILES", 10**9)
    one_by_one = run_json(capsys, "validate", str(returns), "--json")
    used = []
    real = merge._parallel_sources

    def spy(files, scheme, workers, meanwhile=None):
        used.append(workers)
        yield from real(files, scheme, workers, meanwhile)

    monkeypatch.setattr(merge, "_parallel_sources", spy)
    monkeypatch.setattr(merge, "PARALLEL_MIN_FILES", 2)
    in_workers = run_json(capsys, "validate", str(returns), "--json")
    assert used == ([min(os.cpu_count(), 8)] if (os.cpu_count() or 1) >= 2 else []) and in_workers == one_by_one
    assert {f["code"] for f in in_workers[1]["findings"]} >= {"file-corrupt", "file-empty"}


def test_work_meanwhile_runs_once_while_the_workers_read_or_after_a_small_merge(returns, monkeypatch):
    """The command line imports the writer while worker processes read the returns: the
    work runs once, after the workers have their first files, and a small merge (no
    workers) runs it once, after merging."""
    import multiprocessing

    import csprisk.app.pipeline as pipeline
    from csprisk.scheme import Scheme

    calls = []

    def meanwhile():
        calls.append(len(multiprocessing.active_children()))  # the worker processes running now

    small = pipeline.merge_files([returns], Scheme(), meanwhile=meanwhile)
    assert calls == [0] and small.assessment.ranking
    if (os.cpu_count() or 1) < 2 or sys.platform == "emscripten":
        return  # no worker processes here
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 2)
    calls.clear()
    big = pipeline.merge_files([returns], Scheme(), meanwhile=meanwhile)
    assert len(calls) == 1 and calls[0] >= 1  # the workers were running
    assert big.to_dict() | {"generated": None} == small.to_dict() | {"generated": None}


def test_feedback_for_a_partner_with_one_problem_is_their_marked_workbook_and_a_draft(tmp_path, capsys):
    import email
    from email import policy

    write_return(tmp_path / "fire.xlsx", "Fire", [("Deliberate fires", [6] + [2] * 15)])
    status = main(["validate", str(tmp_path / "fire.xlsx"), "--feedback", str(tmp_path / "notes")])
    assert status == 1
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["fire (checked).xlsx", "fire.eml"]  # no temp
    draft = email.message_from_bytes((tmp_path / "notes" / "fire.eml").read_bytes(), policy=policy.default)
    body = draft.get_body(("plain",)).get_content()
    assert "We found 1 thing to fix: it stops some of your scores being used." in body
    assert 'Sheet "Risk matrix", cell B4: Deliberate fires: the score for "Gap in current Picture" is 6' in body
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    assert main(["validate", str(tmp_path / "fire.xlsx"), "--feedback", str(blocked)]) == 2
    assert "could not write feedback" in capsys.readouterr().err


def test_merge_json_is_what_json_dumps_prints_a_megabyte_at_a_time(returns, tmp_path, capsys):
    """--json is printed in pieces (a national roll-up's document is tens of megabytes), and
    comes out exactly as one json.dumps of the same document."""
    from csprisk.app.cli import print_json

    document = {"returns": [{"partner": f"Partner {i} – “quoted”", "scores": [1.5, None, 3]} for i in range(20000)],
                "empty": {}, "list": [], "text": "naïve"}
    print_json(document)
    printed = capsys.readouterr().out
    assert len(printed) > 2 * (1 << 20)  # more than one piece
    assert printed == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert main(["merge", str(returns), "-o", str(tmp_path / "ranked.xlsx"), "--json"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed)["returns"] and printed.endswith("}\n")
