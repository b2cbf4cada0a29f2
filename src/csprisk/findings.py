"""Findings are data: every problem in a return is collected, never raised.

Every code is declared once, in `Code`: its severity, a short title and the template of
its message. A check supplies the facts (the cell, the value, the partner's labels) and
the template says them, in words a partner can act on. Where a run must stop rather than
collect, it raises a `Stopped` error, which carries a Finding like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from csprisk.words import plural

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

#: Advice that closes several file findings.
RESEND = "Open it in Excel, save it again as an Excel workbook (.xlsx) and send it again."
LEFT_OUT = "It was left out; the other returns were merged."
_RULE = "Type a whole number from 0 to {scale_max}, or NK if it is not known."
_SCORE = '{priority}: the score for "{criterion}"'
#: A file finding: the reason completes "This file ...", and for a side file (the
#: settings, the previous assessment), which says it in its own words, "it ...".
_FILE, _FILE_PROBLEM = "This file {reason}. {advice}", "it {reason}."


class Code(StrEnum):
    """Each finding's code (its JSON value), with severity, heading and message template."""

    severity: str
    #: A short title for the code ("Score outside the scale"); `title` is str's own method.
    heading: str
    template: str
    problem_template: str

    def __new__(cls, value: str, severity: str, heading: str, template: str, problem: str = "") -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity, member.heading = severity, heading
        member.template, member.problem_template = template, problem
        return member

    # ----------------------------------------------------------------- in a score cell
    SCORE_OUT_OF_RANGE = ("score-out-of-range", ERROR, "Score outside the scale",
                          _SCORE + " is {shown}, outside the 0 to {scale_max} scale. " + _RULE)
    SCORE_NOT_WHOLE = ("score-not-whole", ERROR, "Score is not a whole number",
                       _SCORE + " is {shown}, which is not a whole number. " + _RULE)
    SCORE_NOT_NUMBER = ("score-not-number", ERROR, "Score is not a number",
                        _SCORE + ' is "{shown}", which is not a score. ' + _RULE)
    SCORE_MISSING = ("score-missing", WARNING, "Score left blank",
                     _SCORE + " is blank while other criteria in this row are scored. " + _RULE)
    SCORE_NOT_KNOWN = ("score-not-known", INFO, "Score marked not known",
                       _SCORE + " is marked not known ({shown}). It takes no part in the total; "
                       "replace it with a score if you can.")
    # --------------------------------------------------------------------- in a row
    TOTAL_MISMATCH = ("total-mismatch", WARNING, "Typed total does not add up",
                      "{priority}: {what} {typed} but the scores add up to {computed}. "
                      "The computed total ({computed}) is used; {fix}.")
    DUPLICATE_PRIORITY = ("duplicate-priority", ERROR, "Priority scored twice in one return",
                          '"{priority}" is scored twice in this return ({line}s {first} and {row}). Only '
                          "{line} {first} is used; delete the duplicate {line} or merge the two.")
    PRIORITY_MISSING = ("priority-missing", ERROR, "Scores without a priority name",
                        "{Line} {row} has scores but no priority name, so its scores are not used. "
                        "Type the priority's name in this cell.")
    # --------------------------------------------------------------- in a return
    PARTNER_MISSING = ("partner-missing", WARNING, "Partner name missing",
                       'No partner organisation is named in this return, so the {source} "{used}" is '
                       "used instead. Type your organisation's name in the Partner organisation cell.")
    MISSING_CRITERION = ("missing-criterion", ERROR, "Criterion column missing",
                         "This return has no column for {listed}.{unmatched} Add the column with its "
                         "scores (use the partner template's labels); until then nobody's score for it "
                         "comes from this return.")
    NO_MATRIX_FOUND = ("no-matrix-found", ERROR, "No risk matrix found",
                       "No sheet holds a risk matrix (sheets: {sheets}). A matrix needs a header row "
                       'with the criteria labels, such as "{example}".{unmatched} Use the partner '
                       "template, or add the header row.")
    UNKNOWN_COLUMN = ("unknown-column", INFO, "Column not recognised",
                      'The column "{label}" is not one of the criteria, so it is not scored.')
    SHEET_CHOSEN = ("sheet-chosen", INFO, "Sheet used for the matrix",
                    'The risk matrix was read from sheet "{sheet}"{passed_over}.')
    SCORE_PERCENT = ("score-percent", ERROR, "Score formatted as a percentage",
                     _SCORE + " shows as {percent} because the cell is formatted as a percentage (it "
                     "holds {shown}), which is not a score on the 0 to {scale_max} scale. Format the "
                     "cell as a number (Home > Number Format > General) and type the score.")
    SCORE_ERROR = ("score-error", ERROR, "Score is an error value",
                   _SCORE + " is the error {error}, not a score. Correct the formula or type the "
                   "score: " + _RULE[5:])
    CONFIDENCE_NOT_VALID = ("confidence-not-valid", WARNING, "Confidence not understood",
                            '{priority}: the confidence "{shown}" is not High, Medium or Low (or 3, 2, 1), '
                            "so it is not counted; the scores are. Type High, Medium or Low.")
    PRIORITY_NOT_SCORED = ("priority-not-scored", WARNING, "Priority not scored",
                           '"{priority}": {why}, so this row gives no score. It is left out of the '
                           "ranking rather than ranked as 0 out of {max_total}; score the criteria you can.")
    HIDDEN_ROW_READ = ("hidden-row-read", WARNING, "Hidden row read",
                       '{Line} {row} ("{priority}") is hidden, but it is the only {line} for this priority, '
                       "so its scores were read. Unhide the {line} to check them, or delete it if it "
                       "holds old scores.")
    HIDDEN_ROW_SKIPPED = ("hidden-row-skipped", INFO, "Hidden row passed over",
                          '{Line} {row} is hidden and scores "{priority}" again; the visible {line} {visible} '
                          "was read and the hidden one was not. Delete the hidden {line} if it holds old "
                          "scores.")
    HIDDEN_COLUMN_READ = ("hidden-column-read", WARNING, "Hidden column read",
                          'The {across} "{label}" is hidden, but it is the only {across} for this '
                          "criterion, so its scores were read. Unhide the {across} to check them.")
    HIDDEN_COLUMN_SKIPPED = ("hidden-column-skipped", INFO, "Hidden column passed over",
                             'The hidden {across} "{label}" repeats a criterion; the visible {across} '
                             "{visible} was read instead.")
    MATRIX_NOT_READ = ("matrix-not-read", WARNING, "A scored matrix was not read",
                       'Sheet "{sheet}" also holds a scored risk matrix{whose}, and it was not read: '
                       "{why} If that is the wrong choice, delete the sheet that should not be read, "
                       "or send each matrix as a return of its own.")
    NO_SCORES = ("no-scores", WARNING, "Return has no scores",
                 "This return has no scored priorities, so it adds nothing to the ranking. Check the "
                 "partner sent the completed matrix.")
    PARTNER_UNEXPECTED = ("partner-unexpected", WARNING, "Partner not on the settings' list",
                          '"{partner}" is not one of the partners the settings list, but closely '
                          'resembles "{listed}". It was merged under its own name (names are never '
                          'merged on a guess), so "{listed}" shows as not returned. If they are one '
                          'partner, add "{partner}" as an alias of "{listed}" in the settings '
                          '(partners = [{{name = "{listed}", aliases = ["{partner}"]}}], or the '
                          "Aliases column of the Settings sheet's Expected partners), or ask the "
                          'partner to use the name "{listed}".')
    SCORES_WORDED = ("scores-worded", INFO, "Scores picked as worded labels",
                     '{count} typed as a scale point with its label, such as "{example}" (the first in '
                     "{first}): the number each starts with was read as the score. Nothing needs changing.")
    HEADER_REPEATED = ("header-repeated", INFO, "Header row repeated",
                       "{Line} {row} repeats the matrix's header {line}, so it was passed over: it is not a "
                       "priority. Delete it if it was pasted there by mistake.")
    OTHER_SCALE = ("other-scale", WARNING, "Scores seem to use another scale",
                   "{count} of the {numbers} numbers in this return's score cells are above {scale_max} (from "
                   "{low} to {high}), so it seems to be scored on another scale than the matrix's 0 to "
                   "{scale_max}. Those scores are not used. Ask the partner to score every criterion again "
                   "from 0 to {scale_max}, as the partner template's guidance describes.")
    OTHER_PERIOD = ("other-period", WARNING, "Return from another period",
                    "This return names {found} ({where}), but the assessment is for {period}. It may be an "
                    "earlier return left with the new ones: check it is the current one, and ask the "
                    "partner for their {period} return if it is not.")
    MATRIX_TURNED = ("matrix-turned", INFO, "Matrix read turned on its side",
                     "The criteria run down column {column} (from {first}) and the priorities across row "
                     "{row}: the matrix is turned on its side, and was read that way round, each priority's "
                     "scores down its column. The cells the findings name are the real cells on the sheet. "
                     "Nothing needs changing.")
    # ------------------------------------------------------------ across returns
    SIMILAR_PRIORITY = ("similar-priority", WARNING, "Priority name resembles another",
                        '"{name}" matches no priority in the other returns, no candidate priority and '
                        'no alias, but closely resembles "{likely}". It was ranked on its own: names are '
                        'never merged on a guess. If they are the same issue, add "{name}" as an alias '
                        'of "{likely}" in the settings file ([[priorities]] name = "{likely}", aliases '
                        '= ["{name}"]), or ask the partner to use the name "{likely}".')
    DUPLICATE_RETURN = ("duplicate-return", WARNING, "Same partner in two files",
                        '{partner} sent more than one return: "{file}" and "{newer}". Only the later '
                        'one, "{newer}", was used. Remove the file you do not want from the inputs.')
    PARTNER_NAME_SHARED = ("partner-name-shared", WARNING, "Unnamed return kept apart",
                           'No partner organisation is named in this return, and the name it would go by, '
                           '"{guessed}" (its {source}), is also the partner of {others}. A return is never '
                           "merged into another partner's on a guess from a file, sheet or folder name, so "
                           'this one was ranked on its own, as "{used}". If both are one partner\'s returns, '
                           "remove the one you do not want from the inputs; otherwise type the partner "
                           "organisation's name in the Partner organisation cell.")
    RETURNS_IDENTICAL = ("returns-identical", WARNING, "Two partners' returns are identical",
                         '{partner} ("{file}") and {other} ("{other_file}") gave identical returns: the '
                         "same {priorities} priorities, and all {scores} scores the same. One may be a "
                         "copy of the other's return sent under another name. Both were merged, so these "
                         "scores count twice: check with both partners, and remove a copy from the inputs.")
    # ------------------------------------------------------------- a whole file
    FILE_CORRUPT = ("file-corrupt", ERROR, "File cannot be read", _FILE, _FILE_PROBLEM)
    FILE_EMPTY = ("file-empty", ERROR, "File is empty",
                  "This file is empty (0 bytes): it was probably not saved properly or the "
                  "attachment was lost. Ask the partner to send it again.", "it is empty (0 bytes).")
    FILE_NOT_EXCEL = ("file-not-excel", ERROR, "File is not a spreadsheet", _FILE, _FILE_PROBLEM)
    FILE_ENCRYPTED = ("file-encrypted", ERROR, "File is password-protected",
                      "This file is protected with a password, so it cannot be read. Remove the "
                      "password and send it again (in Excel: File > Info > Protect Workbook > Encrypt "
                      "with Password, clear the password, save). " + LEFT_OUT,
                      "it is protected with a password, so it cannot be read.")
    FILE_TOO_LARGE = ("file-too-large", ERROR, "File is too large to open safely",
                      "{what} It was not opened, to keep the run safe (limits: {limits}). A risk "
                      "matrix is far smaller: ask the partner to send just the matrix sheet, saved "
                      "as .xlsx.", "{what} It was not opened, to keep the run safe.")
    CELL_FAR_AWAY = ("cell-far-away", WARNING, "Stray cell far from the matrix",
                     'Cell {cell} of sheet "{sheet}" holds {shown}, far from everything else on the '
                     "sheet. It stretched the sheet past what can be read safely, so that one cell was "
                     "left out and the rest of the sheet was read. If it was typed there by mistake, "
                     "delete it (select the cell and press Delete) and save; if it matters, move it "
                     "next to the matrix.")
    #: Not reported: a workbook csprisk wrote itself is skipped with this as its reason.
    NOT_A_RETURN = ("not-a-return", INFO, "Workbook csprisk wrote, not a return", "{reason}")
    # ------------------------------------------------ a run that must stop (Stopped)
    RUN_STOPPED = ("run-stopped", ERROR, "The run stopped", "{reason}")

    def finding(self, *, file: str = "", sheet: str = "", cell: str = "", value: Any = None,
                **facts: Any) -> Finding:
        """This code's finding, its message (and problem) said by the templates from `facts`
        (and from where it is: a template may name {file}, {sheet} or {cell})."""
        facts = {"file": file, "sheet": sheet, "cell": cell, **facts}
        problem = self.problem_template.format(**facts) if self.problem_template else ""
        for_partner = PARTNER_TEMPLATES.get(self)
        return Finding(self.value, self.severity, file, sheet, cell, as_typed(value),
                       self.template.format(**facts), problem,
                       for_partner.format(**_partner_facts(facts)) if for_partner else "")


#: code -> (severity, heading), for readers that go by the code's text.
CODES: dict[str, tuple[str, str]] = {code.value: (code.severity, code.heading) for code in Code}


@dataclass(frozen=True, slots=True)  # slots: a national roll-up holds 130,000 of them
class Finding:
    code: str
    severity: str
    file: str
    sheet: str
    cell: str
    value: Any
    message: str
    #: For a file that could not be used: what is wrong with it, without advice for a
    #: partner, so that a side file (settings, the previous assessment) can say it in its
    #: own words. Not part of the JSON.
    problem: str = ""
    #: The message in the partner's terms, where `message` also tells the analyst what to
    #: do (an alias, the inputs); "" when `message` is for the partner already. Not in the JSON.
    partner_message: str = ""

    def as_dict(self) -> dict[str, Any]:
        # Field by field (dataclasses.asdict deep-copies each value, only for it to be replaced).
        return {"code": self.code, "severity": self.severity, "file": self.file, "sheet": self.sheet,
                "cell": self.cell, "value": json_value(self.value), "message": self.message}

    @property
    def title(self) -> str:
        return CODES.get(self.code, (self.severity, self.code))[1]

    @property
    def for_partner(self) -> str:
        """What the partner is told: what to fix, where and why, with nothing for the analyst."""
        return self.partner_message or self.message

    @property
    def where(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return ", ".join(parts)


class Stopped(Exception):
    """A run that cannot go on (no inputs, a settings error, an output that cannot be
    written). It carries a Finding like those collected, so that the terminal, an Excel
    alert and the JSON say it the same way; str() is its message."""

    def __init__(self, message: str, *, file: str = "") -> None:
        super().__init__(message)
        self.finding = Code.RUN_STOPPED.finding(file=file, reason=message)


def as_typed(value: Any) -> Any:
    """A cell's value as the partner typed it, whatever read it: a number cell holds a double,
    which calamine hands over as 6.0 and openpyxl as 6; a whole number is an int here."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def json_value(value: Any) -> Any:
    """A cell value as JSON can carry it (dates as ISO text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {ERROR: 0, WARNING: 0, INFO: 0}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts


def counts_line(findings: list[Finding]) -> str:
    """"3 errors, 1 warning, 2 notes": the same words in the terminal, the alert and the Summary."""
    counts = count_by_severity(findings)
    return f"{plural(counts[ERROR], 'error')}, {plural(counts[WARNING], 'warning')}, {plural(counts[INFO], 'note')}"


# ----------------------------------------------------------------- words for the partner
#: Where a code's message also tells the analyst what to do (add an alias, change the
#: inputs, ask the partner), what the partner is told instead: the same facts, in their
#: terms. The message itself (the terminal, the Validation sheet, the JSON) is unchanged.
PARTNER_TEMPLATES: dict[Code, str] = {
    Code.PARTNER_UNEXPECTED: (
        'Your return names your organisation "{partner}", but the partnership lists you as "{listed}". '
        'Please type "{listed}" in the Partner organisation cell, so that your scores are counted as yours.'),
    Code.SIMILAR_PRIORITY: (
        'No other partner scores a priority called "{name}"; it closely resembles "{likely}". If you mean '
        'the same issue, please call it "{likely}" so that your scores count with everyone else\'s; if it is '
        "a different issue, keep the name and tell us what it covers."),
    Code.DUPLICATE_RETURN: (
        'We received two returns from you, "{file_name}" and "{newer_name}", and used the later one, '
        '"{newer_name}". If the earlier one is the one to use, please tell us.'),
    Code.FILE_EMPTY: ("The file we received is empty (0 bytes): it was probably not saved properly or the "
                      "attachment was lost. Please save your return and send it again."),
    Code.FILE_TOO_LARGE: ("{what} It is far larger than a risk matrix. Please send just the risk-matrix sheet, "
                          "saved as an Excel workbook (.xlsx)."),
    Code.FILE_CORRUPT: "This file {reason}. {partner_advice}",
    Code.FILE_NOT_EXCEL: "This file {reason}. {partner_advice}",
    Code.NO_SCORES: ("Your return has no scored priorities, so it adds nothing to the ranking yet. Please "
                     "score each priority you can and send the workbook back."),
    Code.OTHER_SCALE: ("{count} of the {numbers} numbers in your score cells are above {scale_max} (from {low} "
                       "to {high}), so your return seems to be scored on another scale than the matrix's 0 to "
                       "{scale_max}, and those scores could not be used. Please score every criterion again "
                       "from 0 to {scale_max}, as the template's guidance describes, and send the workbook back."),
    Code.OTHER_PERIOD: ("Your return names {found} ({where}), but this assessment is for {period}. If it is an "
                        "earlier return, please send your {period} return; if it is the current one, please "
                        "correct the period it names."),
    Code.PARTNER_NAME_SHARED: ("Your return does not name your organisation. Please type its name in the Partner "
                               "organisation cell and send the workbook back, so that your scores are counted "
                               "as yours."),
    Code.RETURNS_IDENTICAL: ("Your return gives exactly the same scores as another partner's return, for the same "
                             "{priorities} priorities. If it is a copy of another organisation's return, please "
                             "send your own scores; if your scores really are the same, please tell us."),
    Code.MATRIX_TURNED: ("Your matrix has the criteria down column {column} and the priorities across row "
                         "{row}, the other way round from the partner template. We read it that way round, so "
                         "nothing needs changing; in the partner template each priority has a row of its own."),
}

_ASKED = "Ask the partner to "


def _partner_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts with what the partner templates add: advice said to the partner, and file
    names without the analyst's folders."""
    advice = str(facts.get("advice", ""))
    if advice.startswith(_ASKED):
        advice = "Please " + advice[len(_ASKED):]
    elif not advice or advice.startswith("Check it is not open"):  # a problem on the analyst's side
        advice = RESEND
    names = {key + "_name": str(facts.get(key, "")).replace("\\", "/").rsplit("/", 1)[-1]
             for key in ("file", "newer")}
    return {**facts, **names, "partner_advice": advice}
