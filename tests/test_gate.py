"""Nothing csprisk opens can hurt it: every workbook, whatever it is for, passes the same
pre-flight gate before a reader touches it, and a bad side file is refused in words that
name what it was for."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import csprisk
import hostile_files as hostile
from csprisk.app import cli
from csprisk.app.demo import write_example_returns
from csprisk.read.settings import load_scheme

DEMO_SETTINGS = Path(cli.__file__).with_name("demo_settings.toml")
SRC = Path(csprisk.__file__).parent
#: The readers: only the gate's module may use them.
READERS = {"python_calamine", "openpyxl.reader", "openpyxl.reader.excel"}


@pytest.fixture
def returns(tmp_path) -> Path:
    folder = tmp_path / "returns"
    write_example_returns(folder, load_scheme(DEMO_SETTINGS))
    return folder


def test_only_the_gate_module_imports_a_reader():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "sources.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Attribute) and node.attr == "load_workbook":
                names = ["openpyxl.load_workbook"]
            if any(n in READERS or n.startswith("python_calamine") or n.endswith("load_workbook") for n in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == [], f"only sources.py may open workbooks (through the pre-flight): {offenders}"


def test_a_hostile_previous_assessment_is_refused_and_the_ranking_goes_on(tmp_path, returns, capsys):
    last = hostile.xlsx_claiming_the_last_cell(tmp_path / "LAST.xlsx", sheet="Summary")
    out = tmp_path / "ranked.xlsx"
    status = cli.main(["merge", str(returns), "--settings", str(DEMO_SETTINGS), "--previous", str(last),
                       "-o", str(out), "--json"])
    captured = capsys.readouterr()
    assert status == 1 and out.exists()
    assert ('csprisk: The previous assessment LAST.xlsx could not be used: Sheet "Summary" reaches '
            "1,048,576 rows by 16,384 columns") in captured.err
    assert "without movement" in captured.err and "partner" not in captured.err
    document = json.loads(captured.out)
    assert document["ranking"] and all("movement" not in entry for entry in document["ranking"])


def test_a_previous_assessment_that_does_not_exist_is_a_usage_error(tmp_path, returns, capsys):
    out = tmp_path / "ranked.xlsx"
    status = cli.main(["merge", str(returns), "--previous", str(tmp_path / "nope.xlsx"), "-o", str(out)])
    assert status == 2 and not out.exists()
    assert "The previous assessment" in capsys.readouterr().err


def test_a_hostile_workbook_given_to_export_is_refused_at_once(tmp_path, capsys):
    ranked = hostile.xlsx_claiming_the_last_cell(tmp_path / "ranked.xlsx", sheet="Summary")
    target = tmp_path / "exec.xlsx"
    assert cli.main(["export", str(ranked), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "The ranked workbook ranked.xlsx could not be used: Sheet \"Summary\" reaches" in err
    assert "Give a ranked workbook written by csprisk merge." in err and not target.exists()


@pytest.mark.parametrize("build, says", [
    (lambda p: hostile.xlsx_claiming_the_last_cell(p, sheet="Settings"), 'Sheet "Settings" reaches'),
    (hostile.encrypted_xlsx, "it is protected with a password"),
    (hostile.xlsx_with_a_billion_laughs, "declares XML entities"),
])
def test_a_bad_settings_workbook_is_refused_as_settings_not_as_a_return(tmp_path, returns, capsys, build, says):
    settings = build(tmp_path / "settings.xlsx")
    out = tmp_path / "ranked.xlsx"
    assert cli.main(["merge", str(returns), "--settings", str(settings), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("csprisk: The settings workbook settings.xlsx could not be used: ") and says in err
    assert "partner" not in err and "Use the analyst workbook csprisk made" in err
    assert not out.exists()


def test_a_ranked_workbook_of_a_big_roll_up_is_still_read_back(tmp_path):
    """csprisk's own workbooks may be larger than any return: a Summary of 600,000 cells (over a
    return's 500,000) is still a previous assessment."""
    from openpyxl import Workbook

    from csprisk.read.previous import read_previous

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append(["Ranked priorities"])
    ws.append(["2027-28"])
    ws.append(["Rank", "Priority", "Total (out of 80)"])
    ws.append([1, "Domestic abuse", 62.25])
    ws.cell(row=30_000, column=20, value="x")  # reach: 30,000 x 20 = 600,000 cells
    wb.save(tmp_path / "big.xlsx")
    ranking = read_previous(tmp_path / "big.xlsx")
    assert [(e.rank, e.name, e.total) for e in ranking.entries] == [(1, "Domestic abuse", 62.25)]
