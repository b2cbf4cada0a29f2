"""Every sentence of the ranked pack read, for a partnership of one partner and of twelve:
plurals agree with their numbers, no sheet sends its reader to itself, no program's words."""

from __future__ import annotations

import re

import pytest

from big_partnership import write_partnership
from csprisk import merge_files
from csprisk.report.ranked import build_report

#: Nouns that must be singular after "1" (and plural after any other number).
NOUNS = ("partner", "return", "priority", "criterion", "point", "re-ranking", "error", "warning", "note",
         "score", "group", "more partner", "other partner", "criterion score")
PLURALS = {"priority": "priorities", "criterion": "criteria"}
#: The data sheets hold what partners typed and what the findings say, not the report's prose.
DATA_SHEETS = ("Partner scores", "Validation")


@pytest.fixture(scope="module", params=[1, 12], ids=["one partner", "twelve partners"])
def pack(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"words{request.param}")
    settings, returns = write_partnership(folder, priorities=25, partners=request.param)
    report = build_report(merge_files([returns], settings))
    return {sheet.name: [str(cell.value) for _, cell in sheet.all_cells() if isinstance(cell.value, str)]
            for sheet in report.sheets if sheet.name not in DATA_SHEETS}


def test_every_count_agrees_with_its_noun(pack):
    for sheet, texts in pack.items():
        for text in texts:
            for noun in NOUNS:
                plural = PLURALS.get(noun.split()[-1], noun.split()[-1] + "s")
                many = " ".join([*noun.split()[:-1], plural])
                assert not re.search(rf"(?<![\d.,=])\b1 {re.escape(many)}\b", text), (sheet, text)
                for number in re.findall(rf"\b(\d+) {re.escape(noun)}\b(?!s|'s| score)", text):
                    assert number in ("0", "1") or noun in ("note",), (sheet, text)
            assert "partner' " not in text and "partners's" not in text, (sheet, text)
            assert not re.search(r"\b1 of \d+ re-rankings change it\b", text), (sheet, text)


def test_no_sheet_sends_its_reader_to_itself(pack):
    for sheet, texts in pack.items():
        for text in texts:
            assert f"the {sheet} sheet" not in text.replace(f"the {sheet} sheet of the", ""), (sheet, text)


def test_sentences_are_written_for_people_not_programs(pack):
    for sheet, texts in pack.items():
        for text in texts:
            assert not re.search(r"\bNone\b|\bnan\b|\[|\]|\{|\}|Traceback|  |\s[.,;:]|\.\.(?!\.)|,,", text), \
                (sheet, text)


def test_a_sentence_names_at_most_five_priorities_on_the_summary(pack):
    summary = pack["Summary"]
    prose = [t for t in summary if t.endswith(".") and len(t) > 80]
    names = {t for t in summary if 60 <= len(t) <= 90 and not t.endswith(".")}  # the ranked names
    for sentence in prose:
        assert sum(1 for name in names if name in sentence) <= 5, sentence
