"""The Python API: csprisk.merge_files and the result's JSON contract and pandas frames."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import csprisk
from csprisk.app import cli
from csprisk.app.demo import write_example_returns
from csprisk.read.settings import load_scheme

DEMO_SETTINGS = Path(cli.__file__).with_name("demo_settings.toml")


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("api") / "returns"
    write_example_returns(folder, load_scheme(DEMO_SETTINGS))
    return folder


def test_merge_files_gives_what_the_command_line_prints(returns, capsys):
    result = csprisk.merge_files(returns, settings=DEMO_SETTINGS, top=2)
    assert cli.main(["validate", str(returns), "--settings", str(DEMO_SETTINGS), "--top", "2", "--json"]) == 1
    assert result.to_dict() == json.loads(capsys.readouterr().out)
    assert sum(p.recommended for p in result.assessment.ranking) >= 2


def test_frames_are_tidy_tables_of_scores_ranking_and_findings(returns):
    pytest.importorskip("pandas", reason="the frames need pandas (not installed in this Python)")
    result = csprisk.merge_files([returns], settings=DEMO_SETTINGS)
    frames = result.frames()
    cells = [c for ret in result.assessment.returns for c in ret.cells]
    assert len(frames.scores) == len(cells)
    assert list(frames.scores.columns) == ["partner", "file", "sheet", "priority", "criterion", "cell", "value",
                                           "status", "score", "counted"]
    six = frames.scores[frames.scores["value"].astype(str) == "6"]
    assert list(six["status"]) == ["invalid"] and not six["counted"].any()
    assert list(frames.ranking["priority"]) == [p.name for p in result.assessment.ranking]
    assert list(frames.ranking["total"]) == [p.total for p in result.assessment.ranking]
    assert list(frames.ranking.columns[-16:]) == list(result.scheme.labels)
    assert list(frames.findings["code"]) == [f.code for f in result.findings]


def test_write_ranked_workbook_writes_what_merge_writes(returns, tmp_path):
    result = csprisk.merge_files(returns, settings=DEMO_SETTINGS)
    path = csprisk.write_ranked_workbook(result, tmp_path / "ranked.xlsx")
    assert openpyxl.load_workbook(path).sheetnames[:3] == ["Summary", "Heatmap", "Why it ranks here"]


@pytest.mark.subprocess
def test_import_csprisk_loads_none_of_the_heavy_libraries():
    code = ("import sys, csprisk; print(','.join(m for m in ('pandas', 'openpyxl', 'xlwings', 'python_calamine') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
    assert set(csprisk.__all__) == {"__version__", "main", "merge_files", "write_ranked_workbook"}
