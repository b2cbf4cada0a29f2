"""The analyst workbook's Settings sheet: its layout, declared once, and how it is read.

The sheet is a list of labelled values (column A label, column B value) followed by two
lists, the candidate priorities (with aliases) and the expected partners. Reading goes by
the labels, not by fixed cells, so the analyst may insert rows or move the block.
Whatever is read becomes the same mapping a TOML settings file gives, and
`scheme.scheme_from_mapping` turns either into a `Scheme`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from csprisk.grid import is_blank
from csprisk.scheme import AGGREGATIONS, Scheme, format_number, normalise_marker

SETTINGS_SHEET = "Settings"
PRIORITIES_HEADING = "Candidate priorities"
PRIORITY_HEADER = ("Priority", "Aliases (other names partners use; separate with ;)")
PARTNERS_HEADING = "Expected partners"
PARTNER_HEADER = ("Partner", "Aliases (other names their returns carry; separate with ;)",
                  "Email (where their email draft is addressed)")
VALUE_HEADER = ("Setting", "Value", "What it means")
SCENARIOS_HEADING = "What-if scenarios"
#: Blank rows under the scenarios, for the analyst to declare some.
SCENARIO_SPARE_ROWS = 4
SCENARIO_HEADER = ("Scenario", "Criterion", "Weight")
SCENARIOS_NOTE = ("Each row gives one criterion a weight in a scenario; criteria a scenario does not name keep "
                  "their weight. For example: Harm first | Harm / impact to people / victims | 3. Merge & Rank "
                  "ranks the same scores under each scenario on a Scenarios sheet.")


@dataclass(frozen=True)
class Field:
    key: str  # the TOML key; "bands.high" is the key "high" in the [bands] table
    label: str
    help: str
    current: Callable[[Scheme], Any]


FIELDS: tuple[Field, ...] = (
    Field("partnership", "Partnership", "The partnership's name, shown on every report sheet.",
          lambda s: s.partnership),
    Field("period", "Assessment period", "The period the assessment covers, for example 2027-28.",
          lambda s: s.period),
    Field("returns_folder", "Returns folder",
          "Folder of partners' returned workbooks. A plain name is a folder beside this "
          "workbook (in xlwings Lite: a folder of that name dropped onto Files > Import/Export); "
          "a full path may point anywhere.", lambda s: s.returns_folder),
    Field("aggregation", "Aggregation rule",
          "How several partners' scores for one priority are combined: "
          + ", ".join(AGGREGATIONS) + ".", lambda s: s.aggregation),
    Field("top_n", "Top N (recommended priorities)",
          "How many of the highest-ranked priorities to recommend (ties at the cut-off are included).",
          lambda s: s.top_n),
    Field("bands.high", "High band from (total)", "Totals at or above this are High.",
          lambda s: s.high_threshold),
    Field("bands.medium", "Medium band from (total)",
          "Totals at or above this (and below High) are Medium; the rest are Low.",
          lambda s: s.medium_threshold),
    Field("protective_marking", "Protective marking",
          "The Government Security Classification printed on the report, for example OFFICIAL-SENSITIVE.",
          lambda s: s.protective_marking),
    Field("executive", "Executive email",
          "Who receives the ranked summary: the executive's email draft is addressed to them (separate with ;).",
          lambda s: "; ".join(s.executive)),
)


def _key(text: Any) -> str:
    return normalise_marker(str(text)).rstrip(":")


_FIELD_BY_LABEL = {_key(f.label): f for f in FIELDS}
_SECTIONS = {_key(PRIORITIES_HEADING): "priorities", _key(PARTNERS_HEADING): "partners",
             _key(SCENARIOS_HEADING): "scenarios"}
_HEADERS = {_key(PRIORITY_HEADER[0]), _key(PARTNER_HEADER[0]), _key(VALUE_HEADER[0]), _key(SCENARIO_HEADER[0])}


def value_cell(key: str) -> str:
    """Where the Settings sheet keeps a setting's value, e.g. "Settings!$B$10" for bands.high."""
    label = next(f.label for f in FIELDS if f.key == key)
    row = next(i for i, cells in enumerate(settings_rows(Scheme()), 1) if cells and cells[0] == label)
    return f"{SETTINGS_SHEET}!$B${row}"


def settings_rows(scheme: Scheme) -> list[list[Any]]:
    """The Settings sheet's cells for `scheme`, row by row from A1 (None for blank)."""
    rows: list[list[Any]] = [
        [SETTINGS_SHEET],
        ["Merge & Rank and the command line (csprisk merge --settings THIS_WORKBOOK) read this "
         "sheet. Change the values in column B; keep the labels in column A as they are."],
        [],
        list(VALUE_HEADER),
    ]
    for field in FIELDS:
        value = field.current(scheme)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        rows.append([field.label, value if value != "" else None, field.help])
    rows += [[], [PRIORITIES_HEADING], list(PRIORITY_HEADER)]
    for priority in scheme.priorities:
        rows.append([priority.name, "; ".join(priority.aliases) or None])
    rows += [[], [SCENARIOS_HEADING, None, SCENARIOS_NOTE], list(SCENARIO_HEADER)]
    for scenario in scheme.scenarios:
        rows += [[scenario.name, label, int(weight) if float(weight).is_integer() else weight]
                 for label, weight in scenario.changed(scheme)]
    rows += [[]] * SCENARIO_SPARE_ROWS
    # The partners come last, so that their list may grow down the sheet.
    rows += [[], [PARTNERS_HEADING], list(PARTNER_HEADER)]
    for partner in scheme.partners:
        aliases = [alias for alias, name in scheme.partner_aliases if name == partner]
        rows.append([partner, "; ".join(aliases) or None, scheme.partner_email(partner) or None])
    return rows


def settings_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The settings mapping (TOML shape) from the Settings sheet's cell values.

    Blank values are left out, so the defaults apply to them. A row is read by its first
    non-blank cell (the label, or a list entry) and the cell to its right.
    """
    data: dict[str, Any] = {}
    section: str | None = None
    for row in rows:
        cells = list(row or ())
        first = next((i for i, v in enumerate(cells) if not is_blank(v)), None)
        if first is None:
            continue
        label = cells[first]
        after = cells[first + 1] if first + 1 < len(cells) else None
        key = _key(label)
        if key in _SECTIONS:
            section = _SECTIONS[key]
            data.setdefault(section, [])
            continue
        if key in _FIELD_BY_LABEL:
            section = None
            if not is_blank(after):
                _put(data, _FIELD_BY_LABEL[key].key, _cell_value(after))
            continue
        if key in _HEADERS or section is None:
            continue  # titles, notes and column headers
        name = _text(label)
        if section == "priorities":
            aliases = "" if is_blank(after) else _text(after)
            data["priorities"].append({"name": name, "aliases": aliases})
        elif section == "scenarios":
            weight = cells[first + 2] if first + 2 < len(cells) else None
            scenario = next((s for s in data["scenarios"] if s["name"] == name), None)
            if scenario is None:
                scenario = {"name": name, "weights": {}}
                data["scenarios"].append(scenario)
            if not is_blank(after):
                scenario["weights"][_text(after)] = _cell_value(weight) if not is_blank(weight) else ""
        else:
            aliases = "" if is_blank(after) else _text(after)
            email = cells[first + 2] if first + 2 < len(cells) else None
            entry: dict[str, Any] = {"name": name, "aliases": aliases}
            if not is_blank(email):
                entry["email"] = _text(email)
            data["partners"].append(entry if aliases or "email" in entry else name)
    # An emptied list means "none listed", which for priorities means the defaults stay.
    if not data.get("priorities"):
        data.pop("priorities", None)
    if not data.get("scenarios"):
        data.pop("scenarios", None)
    return data


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    if "." in dotted:
        table, key = dotted.split(".", 1)
        data.setdefault(table, {})[key] = value
    else:
        data[dotted] = value


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _text(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return str(value).strip()
