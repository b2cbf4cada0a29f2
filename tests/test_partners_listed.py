"""Partners as the settings list them: aliases count as the listed partner; a name that only
resembles a listed one is warned of, never merged on a guess."""

from __future__ import annotations

import openpyxl

import partner_made as made
from csprisk import merge_files
from csprisk.report.summary import who_returned
from csprisk.scheme import scheme_from_mapping
from csprisk.scheme.settings_sheet import settings_from_rows, settings_rows

SETTINGS = {"partners": ["Anytown Police", {"name": "Anytown Council", "aliases": ["Anytown Borough Council"]},
                         "Probation Service"]}


def _returns(folder, *partners):
    paths = []
    for partner in partners:
        wb = openpyxl.Workbook()
        made._matrix(wb.active, partner, [made._row("Domestic abuse", 3)])
        paths.append(made._save(wb, folder / f"{partner}.xlsx"))
    return paths


def test_an_alias_counts_as_the_listed_partner_and_a_look_alike_is_warned_of(tmp_path):
    scheme = scheme_from_mapping(SETTINGS)
    result = merge_files(_returns(tmp_path, "Anytown Borough Council", "Anytown Police Service"), scheme)
    assert [(s.partner, s.status) for s in result.statuses] == [("Anytown Council", "merged"),
                                                                ("Anytown Police Service", "merged")]
    [warning] = [f for f in result.findings if f.code == "partner-unexpected"]
    assert (warning.severity, warning.value, warning.file) == ("warning", "Anytown Police Service",
                                                              str(tmp_path / "Anytown Police Service.xlsx"))
    assert '"Anytown Police Service" is not one of the partners the settings list, but closely resembles ' \
           '"Anytown Police".' in warning.message
    assert 'aliases = ["Anytown Police Service"]' in warning.message
    assert who_returned(result) == ("Returned by 1 of 3 partners: Anytown Council. Also merged: Anytown Police "
                                    "Service. Not returned: Anytown Police and Probation Service.")


def test_a_partner_nothing_like_a_listed_one_is_merged_without_a_warning(tmp_path):
    result = merge_files(_returns(tmp_path, "County Fire and Rescue"), scheme_from_mapping(SETTINGS))
    assert not [f for f in result.findings if f.code == "partner-unexpected"]


def test_without_a_list_no_partner_is_unexpected(tmp_path):
    result = merge_files(_returns(tmp_path, "Anytown Police Service"))
    assert not [f for f in result.findings if f.code == "partner-unexpected"]


def test_partner_aliases_go_through_the_settings_sheet_and_back():
    scheme = scheme_from_mapping(SETTINGS)
    assert scheme.partners == ("Anytown Police", "Anytown Council", "Probation Service")
    assert scheme.canonical_partner("anytown borough  council") == "Anytown Council"
    again = scheme_from_mapping(settings_from_rows(settings_rows(scheme)))
    assert (again.partners, again.partner_aliases) == (scheme.partners, scheme.partner_aliases)
