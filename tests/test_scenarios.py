"""What-if weights and confidence, end to end: settings, ranking, JSON, the pack."""

from __future__ import annotations

import json
from statistics import fmean

import openpyxl
import pytest

import partner_made as made
from csprisk import merge_files, write_ranked_workbook
from csprisk.app.cli import main
from csprisk.scheme import Scheme, SchemeError, scheme_from_mapping
from csprisk.scheme.settings_sheet import settings_from_rows, settings_rows

LABELS = list(Scheme().labels)
HARM = LABELS.index("Harm / impact to people / victims")
MEDIA = LABELS.index("Media attention")


def scores(base: int, harm: int, media: int) -> list[int]:
    row = [base] * 16
    row[HARM], row[MEDIA] = harm, media
    return row


#: partner -> priority -> (scores, confidence)
RETURNS = {
    "Anytown Police": {"Knife crime": (scores(3, 5, 1), "High"), "Shoplifting": (scores(3, 1, 5), "Low"),
                       "Hate crime": (scores(3, 2, 2), ""), "Fly-tipping": (scores(2, 0, 4), "Low")},
    "Anytown Council": {"Knife crime": (scores(3, 4, 2), "Medium"), "Shoplifting": (scores(3, 2, 4), "low"),
                        "Hate crime": (scores(3, 2, 2), 3), "Fly-tipping": (scores(2, 1, 5), "")},
    "Anytown Fire": {"Knife crime": (scores(3, 5, 0), ""), "Shoplifting": (scores(3, 1, 5), "Medium")},
}
SETTINGS = {"top_n": 2, "scenarios": [
    {"name": "Harm first", "weights": {"Harm / impact to people / victims": 3, "Media attention": 0}},
    {"name": "Same as the scheme", "weights": {"Media attention": 1}}]}


@pytest.fixture()
def returns(tmp_path):
    paths = []
    for partner, rows in RETURNS.items():
        wb = openpyxl.Workbook()
        made._matrix(wb.active, partner, [[name, *row, level] for name, (row, level) in rows.items()],
                     header=["Priority", *LABELS, "Confidence (1-3)"])
        paths.append(made._save(wb, tmp_path / "returns" / f"{partner}.xlsx"))
    return paths


def independent_totals(weights: list[float]) -> dict[str, float]:
    """Weight times the mean of the partners' scores, criterion by criterion, worked out here."""
    names = {name for rows in RETURNS.values() for name in rows}
    totals = {}
    for name in names:
        given = [rows[name][0] for rows in RETURNS.values() if name in rows]
        totals[name] = sum(w * fmean(row[i] for row in given) for i, w in enumerate(weights))
    return totals


def test_each_scenario_ranks_the_combined_scores_with_its_weights(returns):
    result = merge_files(returns, scheme_from_mapping(SETTINGS))
    harm = [1.0] * 16
    harm[HARM], harm[MEDIA] = 3, 0
    (first, ranked), (same, unchanged) = result.assessment.scenarios
    assert first.name == "Harm first" and first.weights == tuple(harm)
    assert {p.name: p.total for p in ranked} == pytest.approx(independent_totals(harm))
    assert [p.name for p in ranked if p.recommended] == ["Knife crime", "Hate crime"]
    assert [p.name for p in result.assessment.ranking if p.recommended] == ["Shoplifting", "Knife crime"]
    assert ranked[0].max_total == 5 * sum(harm)
    assert [(p.name, p.rank, p.total) for p in unchanged] == [(p.name, p.rank, p.total)
                                                              for p in result.assessment.ranking]
    document = json.loads(json.dumps(result.to_dict()))
    assert [s["name"] for s in document["scenarios"]] == ["Harm first", "Same as the scheme"]
    entry = document["scenarios"][0]["ranking"][0]
    assert set(entry) == {"priority", "rank", "rank_label", "total", "total_printed", "max_total", "recommended"}
    assert (entry["priority"], entry["rank"], entry["recommended"]) == ("Knife crime", 1, True)


def test_the_scenarios_sheet_holds_every_rank_and_total_and_says_what_changes(returns, tmp_path):
    result = merge_files(returns, scheme_from_mapping(SETTINGS))
    book = openpyxl.load_workbook(write_ranked_workbook(result, tmp_path / "ranked.xlsx"))
    assert book.sheetnames.index("Scenarios") == book.sheetnames.index("Why it ranks here") + 1
    rows = [[c.value for c in row] for row in book["Scenarios"].iter_rows()]
    at = next(i for i, r in enumerate(rows) if r[0] == "Priority")
    assert rows[at][:7] == ["Priority", "Rank", "Total (out of 80)", "Harm first: rank",
                            "Harm first: total (out of 85)", "Same as the scheme: rank",
                            "Same as the scheme: total (out of 80)"]
    harm = [1.0] * 16
    harm[HARM], harm[MEDIA] = 3, 0
    scheme_totals, harm_totals = independent_totals([1.0] * 16), independent_totals(harm)
    body = rows[at + 1: at + 5]
    assert [r[0] for r in body] == ["Shoplifting", "Knife crime", "Hate crime", "Fly-tipping"]
    harm_order = sorted(harm_totals, key=lambda n: -harm_totals[n])
    assert harm_order == ["Knife crime", "Hate crime", "Shoplifting", "Fly-tipping"]
    for number, r in enumerate(body, start=1):
        name = r[0]
        assert r[1] == str(number) and r[2] == pytest.approx(round(scheme_totals[name], 2))
        assert r[3] == str(harm_order.index(name) + 1) and r[4] == pytest.approx(round(harm_totals[name], 2))
        assert (r[5], r[6]) == (r[1], r[2])
    ws = book["Scenarios"]
    shaded = {ws.cell(at + 2 + i, 4).value: str(ws.cell(at + 2 + i, 4).fill.fgColor.rgb) for i in range(4)}
    assert shaded["1"].endswith("DDEBF7") and shaded["2"].endswith("DDEBF7") and not shaded["3"].endswith("DDEBF7")
    sentence = ('The what-if scenarios change the recommended priorities: under "Harm first", Hate crime comes in '
                "and Shoplifting drops out")
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert sentence + "." in texts  # the Scenarios sheet never sends its reader to itself
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert sentence + " (see the Scenarios sheet)." in summary
    assert "Harm first: Harm / impact to people / victims \u00d73; Media attention \u00d70." in texts


def test_without_scenarios_there_is_no_scenarios_sheet_and_the_json_says_none(returns, tmp_path):
    result = merge_files(returns)
    assert result.to_dict()["scenarios"] == []
    book = openpyxl.load_workbook(write_ranked_workbook(result, tmp_path / "ranked.xlsx"))
    assert "Scenarios" not in book.sheetnames


def test_when_no_scenario_changes_the_recommended_set_the_summary_says_so(returns, tmp_path):
    settings = {"top_n": 2, "scenarios": [SETTINGS["scenarios"][1]]}
    result = merge_files(returns, scheme_from_mapping(settings))
    book = openpyxl.load_workbook(write_ranked_workbook(result, tmp_path / "ranked.xlsx"))
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert ('The recommended priorities stay the same under the what-if scenario ("Same as the scheme"): see '
            "the Scenarios sheet.") in summary


@pytest.mark.parametrize("weights, message", [
    ({"Harm to pets": 2}, 'The scenario "Odd" gives a weight to "Harm to pets", which is not one of the criteria.'),
    ({"Media attention": -1},
     'The scenario "Odd" gives "Media attention" the weight -1; a weight must be zero or more.'),
    ({"Media attention": "lots"}, 'The setting "weight of "Media attention" in the scenario "Odd"" must be a number'),
])
def test_a_scenario_the_scheme_cannot_use_is_a_settings_error_naming_it(weights, message, tmp_path, returns, capsys):
    with pytest.raises(SchemeError) as error:
        scheme_from_mapping({"scenarios": [{"name": "Odd", "weights": weights}]})
    assert str(error.value).startswith(message)
    if "pets" in message:  # and on the command line: exit 2, the same words
        settings = tmp_path / "s.toml"
        settings.write_text('[[scenarios]]\nname = "Odd"\n[scenarios.weights]\n"Harm to pets" = 2\n')
        assert main(["merge", str(returns[0].parent), "--settings", str(settings), "-o", str(tmp_path / "o.xlsx")]) == 2
        assert message in capsys.readouterr().err


def test_scenarios_go_through_the_settings_sheet_and_back():
    scheme = scheme_from_mapping(SETTINGS)
    again = scheme_from_mapping(settings_from_rows(settings_rows(scheme)))
    assert again.scenarios == scheme.scenarios[:1]  # a scenario that changes nothing has no rows


# ------------------------------------------------------------------------------- confidence

def test_confidence_is_counted_per_priority_and_shown_in_the_pack(returns, tmp_path):
    result = merge_files(returns, scheme_from_mapping(SETTINGS))
    by_name = {e["priority"]: e for e in result.to_dict()["ranking"]}
    assert by_name["Shoplifting"]["confidence"] == {"high": 0, "medium": 1, "low": 2, "not_given": 0}
    assert by_name["Knife crime"]["confidence"] == {"high": 1, "medium": 1, "low": 0, "not_given": 1}
    assert by_name["Hate crime"]["confidence"] == {"high": 1, "medium": 0, "low": 0, "not_given": 1}
    book = openpyxl.load_workbook(write_ranked_workbook(result, tmp_path / "ranked.xlsx"))
    scores = [[c.value for c in row] for row in book["Partner scores"].iter_rows()]
    header = next(r for r in scores if r[0] == "Partner")
    council = next(r for r in scores if r[0] == "Anytown Council" and r[4] == "Hate crime")
    assert council[header.index("Confidence")] == "High"  # typed 3
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert ("Shoplifting is recommended, but its scores rest mostly on Low confidence: 2 of 3 partners rated "
            "theirs an estimate. Check the evidence before relying on its place.") in summary
    assert not [t for t in summary if t.startswith("Knife crime is recommended, but")]
    why = [[c.value for c in row] for row in book["Why it ranks here"].iter_rows()]
    lines = [r[1] for r in why if r[0] == "Confidence"]
    assert lines[0] == ("Anytown Police Low; Anytown Council Low; Anytown Fire Medium. Most of its scores rest on "
                        "Low confidence: estimates, not data.")
