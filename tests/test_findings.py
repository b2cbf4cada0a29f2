"""Every finding code is declared once, with its severity, title and message template; a run
that must stop raises a Stopped error carrying a Finding."""

from __future__ import annotations

import json
import string

import pytest

from csprisk.findings import CODES, ERROR, INFO, WARNING, Code, Finding, Stopped
from csprisk.scheme import SETTINGS_KEYS, SchemeError
from csprisk.scheme.settings_sheet import FIELDS


def test_every_code_has_one_severity_a_title_and_a_template():
    assert len({code.value for code in Code}) == len(Code)
    for code in Code:
        assert code.severity in (ERROR, WARNING, INFO), code
        assert code.heading and code.template, code
        assert CODES[code.value] == (code.severity, code.heading)


def test_a_template_names_only_facts_and_a_missing_fact_is_a_loud_error():
    code = Code.DUPLICATE_PRIORITY
    fields = {name for _, name, _, _ in string.Formatter().parse(code.template) if name}
    assert fields == {"priority", "first", "row", "line"}
    made = code.finding(file="police.xlsx", sheet="Matrix", cell="A9", value="ASB", priority="ASB",
                        first=8, row=9, line="row")
    assert made.message == ('"ASB" is scored twice in this return (rows 8 and 9). Only row 8 is used; '
                            "delete the duplicate row or merge the two.")
    with pytest.raises(KeyError):
        code.finding(priority="ASB", first=8)


def test_a_findings_code_is_plain_text_in_json():
    made = Code.NO_SCORES.finding(file="x.xlsx")
    assert isinstance(made, Finding) and type(made.code) is str
    assert json.loads(json.dumps(made.as_dict()))["code"] == "no-scores"


def test_a_file_finding_says_the_same_reason_to_a_partner_and_about_a_side_file():
    made = Code.FILE_NOT_EXCEL.finding(file="x.pdf", reason="is a PDF document, not an Excel workbook",
                                       advice="Send the .xlsx file.")
    assert made.message == "This file is a PDF document, not an Excel workbook. Send the .xlsx file."
    assert made.problem == "it is a PDF document, not an Excel workbook."


def test_errors_that_stop_a_run_carry_a_finding():
    from csprisk.excel.output import OutputError
    from csprisk.read.previous import PreviousError
    from csprisk.read.sources import InputError, WorkbookRefused

    for kind in (SchemeError, OutputError, PreviousError, InputError, WorkbookRefused):
        error = kind("The settings file has no [bands] table.")
        assert isinstance(error, Stopped)
        assert error.finding.code == "run-stopped" and error.finding.severity == ERROR
        assert error.finding.message == str(error) == "The settings file has no [bands] table."


def test_the_settings_sheet_uses_the_settings_files_keys():
    assert {f.key.split(".")[0] for f in FIELDS} <= set(SETTINGS_KEYS)



#: Words that tell the analyst, not the partner, what to do.
ANALYST_ONLY = ("Ask the partner", "ask the partner", "alias", "from the inputs", "the settings",
                "Check the partner", "check with both partners", "check it is the current one")


def test_every_message_that_tells_the_analyst_what_to_do_has_words_for_the_partner():
    from csprisk.findings import PARTNER_TEMPLATES

    for code in Code:
        if any(words in code.template for words in ANALYST_ONLY):
            assert code in PARTNER_TEMPLATES, f"{code.value} speaks to the analyst and has no partner wording"
    for code, template in PARTNER_TEMPLATES.items():
        assert not [words for words in ANALYST_ONLY if words in template], code.value
