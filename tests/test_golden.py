"""The `--json` document of the demo and of the messy test corpus, compared with a stored copy.

A refactor must leave every finding, message, cell and total as it was. When behaviour is
meant to change, regenerate the stored copies and read the diff before committing it:

    CSPRISK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import messy_returns as corpus
from csprisk import merge_files
from csprisk.app.demo import write_example_returns
from csprisk.read.settings import load_scheme

GOLDEN = Path(__file__).with_name("golden")
DEMO_SETTINGS = Path(__file__).parents[1] / "src" / "csprisk" / "app" / "demo_settings.toml"


def _document(result) -> str:
    document = result.to_dict()
    document.pop("version")  # the one field a release changes on purpose
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _compare(name: str, text: str) -> None:
    stored = GOLDEN / name
    if os.environ.get("CSPRISK_UPDATE_GOLDEN"):
        stored.write_text(text, encoding="utf-8")
    assert stored.exists(), f"{stored} is missing: run with CSPRISK_UPDATE_GOLDEN=1 to make it"
    assert text == stored.read_text(encoding="utf-8"), f"{name} differs from the stored copy"


def test_demo_json_is_unchanged(tmp_path, monkeypatch):
    scheme = load_scheme(DEMO_SETTINGS)
    write_example_returns(tmp_path / "returns", scheme)
    monkeypatch.chdir(tmp_path)
    _compare("demo.json", _document(merge_files(["returns"], scheme)))


def test_corpus_json_is_unchanged(tmp_path, monkeypatch):
    if not corpus.READS_XLS:
        pytest.skip("the corpus holds an .xls return (far_cell.xls), which only calamine reads; "
                    "without it (Pyodide 0.27) that file is refused, as the realworld tests check")
    corpus.good_returns(tmp_path / "inbox")
    corpus.bad_files(tmp_path / "inbox")
    monkeypatch.chdir(tmp_path)
    _compare("corpus.json", _document(merge_files(["inbox"])))
