"""The pack a real partnership gets, printed as Excel prints it: 25 priorities named in 60-90
characters, 12 long-named partners, a 70-character partnership name and OFFICIAL-SENSITIVE,
printed through LibreOffice with Carlito (Calibri's metrics). Checked by content: which
heading is on which page, the size of every printed word, whole names, clear footers.

The three PDFs are made once for the module (CI has 90 minutes in all)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from big_partnership import MARKING, PARTNERSHIP, priority_names, write_partnership
from conftest import require_soffice, soffice_convert
from csprisk.scheme import Scheme
from printed import SHEET_TITLES, Page, by_sheet, pages, smallest

pytestmark = pytest.mark.libreoffice

EXECUTIVE_SHEETS = ("Summary", "Heatmap", "Why it ranks here", "Scenarios", "Method")


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, list[Page]]:
    require_soffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    from csprisk.app.cli import main

    folder = tmp_path_factory.mktemp("big")
    settings, returns = write_partnership(folder)
    ranked, executive, template = folder / "ranked.xlsx", folder / "executive.xlsx", folder / "template.xlsx"
    assert main(["merge", str(returns), "--settings", str(settings), "-o", str(ranked)]) == 0
    assert main(["export", str(ranked), "-o", str(executive), "--pdf"]) == 0
    assert main(["template", "--settings", str(settings), "-o", str(template)]) == 0
    out = {"executive": pages(executive.with_suffix(".pdf"))}
    for name, xlsx in (("ranked", ranked), ("template", template)):
        out[name] = pages(soffice_convert(xlsx, "pdf", folder / name))
    return out


def _sheets(printed_pages: list[Page]) -> dict[str, list[Page]]:
    return by_sheet(printed_pages, SHEET_TITLES)


def test_the_summary_puts_the_recommended_the_top_and_the_chart_on_page_one(printed):
    summary = _sheets(printed["executive"])["Summary"]
    assert len(summary) <= 3
    first = summary[0].text
    for words in ("Recommended priorities (top 5)", "Top of the ranking", "Total score (out of 80), the top",
                  "Dark bars are the recommended top 5"):
        assert words in first, words
    # Every bar of the chart is labelled with its rank (the chart is never split across pages).
    bars = int(first.split("Total score (out of 80), the top ")[1].split(" ")[0])
    labels = {w.text for w in summary[0].words if w.text.rstrip(".").isdigit() and w.text.endswith(".")}
    assert labels == {f"{n}." for n in range(1, bars + 1)} and bars >= 5
    assert not any("Dark bars" in p.text for p in summary[1:])


def test_the_watch_list_and_prose_sit_under_no_header_but_their_own(printed):
    summary = _sheets(printed["executive"])["Summary"]
    watch = next(p for p in summary if "Watch list: the next 3" in p.text)
    assert "% of maximum" not in watch.text  # the ranking's header does not repeat over it
    full = [p for p in summary if "Full ranking: all 25 priorities" in p.text]
    assert len(full) == 1 and full[0].number > watch.number
    after = [p for p in summary if p.number > full[0].number]
    assert all("% of maximum" in p.text for p in after)  # the full ranking's header, on its every page
    ranked = " ".join(p.text for p in [full[0], *after])
    for name in priority_names(25):  # every name whole, in the full ranking
        assert " ".join(name.split()) in ranked or all(word in ranked for word in name.split()), name


def test_near_tie_prose_names_at_most_five_priorities_a_sentence(printed):
    summary = _sheets(printed["executive"])["Summary"]
    text = " ".join(p.text for p in summary)
    firm = text.split("How firm is this ranking")[1].split("Notes")[0]
    for sentence in firm.split("Near-tie")[1:]:
        named = sum(1 for name in priority_names(25) if name in sentence)
        assert named <= 5, sentence


def test_the_executive_copy_fits_its_pages_at_8_point_or_more(printed):
    sheets = _sheets(printed["executive"])
    assert list(sheets) == list(EXECUTIVE_SHEETS)
    # Method's inputs are in the ranked workbook only: however long the returns' paths (these
    # are pytest's), they add no page to the executive's copy.
    assert len(printed["executive"]) <= 10
    assert len(sheets["Why it ranks here"]) <= 3 and len(sheets["Heatmap"]) <= 2 and len(sheets["Method"]) == 1
    method = " ".join(p.text for p in sheets["Method"])
    assert "are listed on the Method sheet of the ranked workbook" in method and "SHA-256" in method
    assert "return_01.xlsx" not in method
    for name, group in sheets.items():
        assert smallest(group) >= 8.0, name
    assert len(sheets["Scenarios"]) == 1


def test_each_why_block_starts_whole_or_names_itself_where_it_continues(printed):
    why = _sheets(printed["executive"])["Why it ranks here"]
    for page in why:
        first = page.lines(body=True)[0]
        # A page starts with the sheet's title, a priority's heading, or its name continued.
        assert (first.startswith(PARTNERSHIP[:20]) or first[:2].rstrip(".").isdigit()
                or first.startswith("=")), first


def test_every_footer_leaves_the_marking_clear(printed):
    for name in ("executive", "ranked", "template"):
        for page in printed[name]:
            footer = page.footer()
            marking = [w for w in footer if w.text == MARKING]
            assert marking, (name, page.number)
            left = [w for w in footer if w.x1 < marking[0].x0]
            assert all(w.x1 <= marking[0].x0 - 4 for w in left), (name, page.number)
            overlapping = [w for w in footer if w is not marking[0] and w.x0 < marking[0].x1 and w.x1 > marking[0].x0
                           and abs(w.y0 - marking[0].y0) < 5]
            assert not overlapping, (name, page.number, [w.text for w in overlapping])


def test_the_ranked_pack_prints_every_sheet_legibly(printed):
    sheets = _sheets(printed["ranked"])
    assert list(sheets) == list(SHEET_TITLES)
    for name, group in sheets.items():
        assert smallest(group) >= (8.0 if name in EXECUTIVE_SHEETS else 7.0), name
    assert len(printed["ranked"]) <= 40
    # Partner scores prints one page wide: every page has who, which priority, the criteria and
    # what did not count; each row names the return's file, not its folder.
    scores = sheets["Partner scores"]
    for page in scores:
        assert all(words in page.text for words in ("Partner", "Priority", "Gap in current Picture",
                                                     "Not counted")), page.number
    text = " ".join(p.text for p in scores)
    assert "return_01.xlsx" in text and "returns/" not in text
    # Criteria apart is compact: a criterion split to a printed line, about forty a page.
    apart = sheets["Criteria apart"]
    splits = sum(p.text.count(label) for p in apart for label in Scheme().labels)
    assert splits >= 35 * len(apart), (splits, len(apart))
    # Stability prints one page wide: the rank without each partner, headed upwards, beside
    # best and worst rank; one row stands for every partner whose return changes nothing.
    stability = " ".join(p.text for p in sheets["Stability"])
    assert stability.count("Without ") >= 12 and "Worst" in stability and "Any one of the" in stability


def test_the_template_prints_at_8_point_with_every_name_whole(printed):
    template = printed["template"]
    assert smallest(template) >= 8.0
    text = " ".join(p.text for p in template)
    for name in priority_names(25):
        assert all(word in text for word in name.split()), name


def test_the_builder_makes_a_partnership_of_the_size_asked(tmp_path: Path):
    settings, returns = write_partnership(tmp_path, priorities=100, partners=20)
    assert len(list(returns.glob("*.xlsx"))) == 20
    names = priority_names(100)
    assert len(set(names)) == 100 and all(60 <= len(n) <= 90 for n in names)
    assert len(PARTNERSHIP) == 70 and f'protective_marking = "{MARKING}"' in settings.read_text()
