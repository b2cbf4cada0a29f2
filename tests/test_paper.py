"""The pack on paper: every word of every text cell prints whole, and a figure reads the
same on every page, in every sentence and on the terminal.

Each sheet of the ranked workbook and of the executive copy is printed to PDF by real
LibreOffice on its own, and `pdftotext` reads the words back."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from csprisk import merge_files, write_ranked_workbook
from csprisk.app.cli import main
from csprisk.excel.export import export_for_executive
from csprisk.scheme import Scheme, figure, percent_figure

LABELS = list(Scheme().labels)


def need_tools() -> None:
    missing = [tool for tool in ("soffice", "pdftotext") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{' and '.join(missing)} required in CI")
        pytest.skip(f"{' and '.join(missing)} not installed: the pack is proved on paper with them")


def printed_sheets(workbook: Path, folder: Path) -> dict[str, str]:
    """Each sheet printed to PDF on its own (one soffice call for all), as the text pdftotext reads."""
    folder.mkdir(parents=True, exist_ok=True)
    names = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    parts = {}
    for index, name in enumerate(names):
        book = openpyxl.load_workbook(workbook)
        for other in [n for n in book.sheetnames if n != name]:
            del book[other]
        parts[name] = folder / f"{workbook.stem}-{index}.xlsx"
        book.save(parts[name])
    profile = folder / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *map(str, parts.values())], capture_output=True, timeout=600)
    texts = {}
    for name, part in parts.items():
        pdf = part.with_suffix(".pdf")
        assert pdf.exists(), f"LibreOffice did not print {name}"
        texts[name] = "\n".join(subprocess.run(["pdftotext", *mode, str(pdf), "-"], capture_output=True, text=True,
                                               check=True).stdout for mode in ([], ["-layout"]))
    return texts


def words_not_printed(workbook: Path, folder: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, word) for every word of a text cell that is not on that sheet's paper.
    The paper is read twice, in reading order and as laid out (which keeps neighbouring
    cells apart). A word of 20 characters or more (a file path) may be broken across lines:
    it only has to be there once the lines are joined. Marks alone ("-", "/") are not words:
    pdftotext takes a hyphen at a line's end for a broken word's."""
    texts = printed_sheets(workbook, folder)
    book = openpyxl.load_workbook(workbook)
    missing = []
    for name, text in texts.items():
        words, joined = set(text.split()), re.sub(r"\s+", "", text)
        for row in book[name].iter_rows():
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                for word in cell.value.split():
                    if not re.search(r"\w", word) or word in words or (len(word) >= 20 and word in joined):
                        continue
                    if (len(word) >= 20 or "-" in word) and _in_pieces(word, words):
                        continue  # broken across a column's lines, each piece printed
                    missing.append((name, cell.coordinate, word))
    return missing


def _in_pieces(word: str, printed: set[str]) -> bool:
    """Whether `word` is printed in pieces, each a printed word: a word of 20 characters or
    more broken where it meets its column's edge, or one broken after a hyphen (as Excel and
    LibreOffice break "night-time"), whose lines other cells' text comes between."""
    pieces = {p for p in printed if len(p) >= 2 and p in word}
    reach = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reach[end] = any(reach[end - len(p)] and word[end - len(p):end] == p for p in pieces if len(p) <= end)
    return reach[-1]


def _return(path: Path, partner: str, rows: list[tuple[str, list]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risk matrix"
    ws["A1"], ws["B1"] = "Partner organisation", partner
    ws.append([])
    ws.append(["Priority", *LABELS, "TOTAL"])
    for name, scores in rows:
        ws.append([name, *scores])
    wb.save(path)
    return path


LONG_NAMES = ["Reducing re-offending by young adults leaving custody", "Serious acquisitive crime",
              "Anti-social behaviour in the town centre and on public transport", "Domestic abuse",
              "Violence against women and girls in the night-time economy", "Hate crime"]


@pytest.fixture(scope="module")
def three_partners(tmp_path_factory) -> Path:
    """A three-partner merge with long partner and priority names, a bad score or two."""
    folder = tmp_path_factory.mktemp("three") / "returns with long folder names"
    folder.mkdir()
    partners = ["Northshire County Council", "Northshire Police", "Northshire Fire and Rescue Service"]
    for n, partner in enumerate(partners):
        rows = [(name, [(i + n + k) % 6 for k in range(16)]) for i, name in enumerate(LONG_NAMES)]
        if n == 0:
            rows[0][1][3] = 4.5
        _return(folder / f"{partner.lower().replace(' ', '_')}_risk_matrix_return.xlsx", partner, rows)
    return folder


@pytest.mark.libreoffice
def test_every_word_of_the_demo_pack_and_its_executive_copy_is_on_paper(tmp_path, monkeypatch):
    need_tools()
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) in (0, 1)
    ranked = tmp_path / "out" / "ranked_assessment.xlsx"
    executive = export_for_executive(ranked, tmp_path / "out" / "executive.xlsx").path
    assert words_not_printed(ranked, tmp_path / "pdf") == []
    assert words_not_printed(executive, tmp_path / "pdf_exec") == []


@pytest.mark.libreoffice
def test_every_word_of_a_pack_with_long_names_is_on_paper(three_partners, tmp_path, monkeypatch):
    need_tools()
    monkeypatch.chdir(three_partners.parent)
    result = merge_files([three_partners.name])
    ranked = write_ranked_workbook(result, tmp_path / "ranked.xlsx")
    executive = export_for_executive(ranked, tmp_path / "executive.xlsx").path
    assert words_not_printed(ranked, tmp_path / "pdf") == []
    assert words_not_printed(executive, tmp_path / "pdf_exec") == []


# ------------------------------------------------------------------- one number everywhere

def test_a_figure_is_rounded_half_away_from_zero_as_a_cell_shows_it():
    assert [figure(v) for v in (62.25, 62.35, 0.15, 2.675, 64, -0.04)] == ["62.3", "62.4", "0.2", "2.7", "64", "0"]
    assert figure(62.5, 0) == "63" and percent_figure(0.775) == "78%"


@pytest.mark.libreoffice
def test_a_total_on_an_exact_x5_reads_the_same_everywhere(tmp_path, monkeypatch, capsys):
    """Four partners whose mean total is 64.25: the terminal, the sentences, every printed
    page and the alert show 64.3; JSON keeps 64.25."""
    need_tools()
    folder = tmp_path / "returns"
    folder.mkdir()
    for n, last in enumerate((4, 4, 4, 5)):
        _return(folder / f"p{n}.xlsx", f"Partner {n}", [("Domestic abuse", [4] * 15 + [last]),
                                                        ("Hate crime", [2] * 16)])
    monkeypatch.chdir(tmp_path)
    assert main(["merge", "returns", "-o", "ranked.xlsx"]) == 0
    terminal = capsys.readouterr().out
    assert re.search(r"Domestic abuse\s+64\.3\s", terminal) and "64.2" not in terminal
    assert main(["merge", "returns", "-o", "ranked.xlsx", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ranking"][0]["total"] == 64.25
    texts = printed_sheets(tmp_path / "ranked.xlsx", tmp_path / "pdf")
    shown = {name: text for name, text in texts.items() if "64.3" in text}
    assert {"Summary", "Heatmap", "Why it ranks here", "Stability"} <= set(shown)
    assert not [name for name, text in texts.items() if "64.2" in text]
    why = openpyxl.load_workbook(tmp_path / "ranked.xlsx")["Why it ranks here"]
    sentences = " ".join(str(c.value) for row in why.iter_rows() for c in row if isinstance(c.value, str))
    assert "64.3 out of 80" in sentences and "64.2" not in sentences


# --------------------------------------------------------- partners' notes and PESTELO

def test_partners_notes_and_pestelo_reach_the_pack_and_the_json(tmp_path):
    for partner, tags, note in (("Anytown Police", "S, L", "Up 12% on last year (police.uk)"),
                                ("Anytown Council", "Economic; social", "")):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws["A1"], ws["B1"] = "Partner organisation", partner
        ws.append([])
        ws.append(["Priority", *LABELS, "PESTELO", "Notes"])
        ws.append(["Domestic abuse", *[4] * 16, tags, note])
        ws.append(["Hate crime", *[1] * 16, "", ""])
        wb.save(tmp_path / f"{partner}.xlsx")
    result = merge_files(sorted(tmp_path.glob("*.xlsx")))
    [first] = [e for e in result.to_dict()["ranking"] if e["priority"] == "Domestic abuse"]
    assert first["pestelo"] == ["E", "S", "L"]
    assert first["notes"] == [{"partner": "Anytown Police", "note": "Up 12% on last year (police.uk)"}]
    book = openpyxl.load_workbook(write_ranked_workbook(result, tmp_path / "out" / "ranked.xlsx"))
    scores = [[c.value for c in row] for row in book["Partner scores"].iter_rows()]
    header = next(r for r in scores if r[0] == "Partner")
    police = next(r for r in scores if r[0] == "Anytown Police" and r[4] == "Domestic abuse")
    assert police[header.index("PESTELO")] == "S, L"
    assert police[header.index("Notes")] == "Up 12% on last year (police.uk)"
    heatmap = [[c.value for c in row] for row in book["Heatmap"].iter_rows()]
    top = next(r for r in heatmap if r[1] == "Domestic abuse")
    assert top[-1] == "E, S, L"
    why = [[c.value for c in row] for row in book["Why it ranks here"].iter_rows()]
    notes = next(r for r in why if r[0] == "Partners' notes")
    assert notes[1] == "Anytown Police: \u201cUp 12% on last year (police.uk)\u201d"


def test_the_executive_copy_never_sends_its_reader_to_a_sheet_it_leaves_out(tmp_path, monkeypatch):
    from csprisk.marks import REPORT_SHEETS

    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) in (0, 1)
    executive = export_for_executive(tmp_path / "out" / "ranked_assessment.xlsx", tmp_path / "executive.xlsx").path
    book = openpyxl.load_workbook(executive)
    texts = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    absent = [name for name in REPORT_SHEETS if name not in book.sheetnames]
    for text in texts:
        for name in absent:
            for mention in re.finditer(rf"the {re.escape(name)} sheet( of the (full )?ranked workbook)?", text):
                assert mention.group(1), f"{text!r} sends the executive to {name}, which the copy leaves out"
