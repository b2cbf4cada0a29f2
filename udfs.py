"""The CSP Risk Matrix functions and scripts for Excel, for every xlwings runtime.

Desktop xlwings loads this file as the UDF module ("UDF Modules: udfs"), xlwings Lite
runs it as main.py, xlwings Server imports it. Each function below only converts Excel's
arguments and calls the csprisk package, where the work is done and tested:
`csprisk.app.functions` for the worksheet functions, `csprisk.app.scripts` for the scripts.
"""

import xlwings as xw

from csprisk.app import functions, scripts

SCORES_DOC = "A row (or range) of scores: whole numbers 0-5, NK for not known; blanks are ignored."


@xw.func
@xw.arg("scores", ndim=2, doc=SCORES_DOC)
def risk_total(scores):
    """Total of a row of risk-matrix scores, out of 80. NK and blanks count nothing; an invalid score gives #VALUE!."""
    return functions.risk_total(scores)


@xw.func
@xw.arg("scores", ndim=2, doc=SCORES_DOC)
@xw.arg("priority", doc="Optional: the priority's name, used in the messages.")
def risk_check(scores, priority=None):
    """OK, or one line per problem with a row of scores, in the words the Validation sheet uses."""
    return functions.risk_check(scores, priority)


@xw.func
@xw.arg("total", doc="A total out of 80, for example from RISK_TOTAL.")
@xw.arg("high", doc="Optional: the lowest total that is High (default 60), e.g. a cell on the Settings sheet.")
@xw.arg("medium", doc="Optional: the lowest total that is Medium (default 40).")
def risk_band(total, high=None, medium=None):
    """High, Medium or Low for a total, with the partnership's band thresholds."""
    return functions.risk_band(total, high, medium)


@xw.func
@xw.arg("total", doc="The total to rank.")
@xw.arg("totals", ndim=2, doc="All the totals it is ranked among (blanks are left out).")
def risk_rank(total, totals):
    """Rank of a total, highest first; equal totals share a rank, shown as =2 (as in the Summary)."""
    return functions.risk_rank(total, totals)


@xw.func
def risk_criteria():
    """Spills the 16 criteria labels, with each criterion's scoring guidance beside it."""
    return functions.risk_criteria()


@xw.func
@xw.arg("matrix", ndim=2,
        doc="A range laid out like the matrix: priority names in the first column, then one "
            "column per criterion; a header row with the criteria labels may be included.")
def risk_summary(matrix):
    """Spills the ranked summary of a matrix: rank, priority, total, band, not-known count, check."""
    return functions.risk_summary(matrix)


@xw.script(button=scripts.MERGE_BUTTON.reference)
def merge_and_rank(book: xw.Book = None):
    """Merge every return (this workbook's return sheets and the returns folder) and rank the priorities."""
    scripts.merge_and_rank(book or scripts.calling_book())


@xw.script
def validate_returns(book: xw.Book = None):
    """Check every return and list what needs fixing on the Validation sheet, without ranking."""
    scripts.validate_returns(book or scripts.calling_book())


@xw.script
def export_for_executive(book: xw.Book = None):
    """Write the ranked workbook for the executive beside this workbook: values only, opens anywhere."""
    scripts.export_for_executive(book or scripts.calling_book())


@xw.script
def new_partner_template(book: xw.Book = None):
    """Write a blank partner template, made from this workbook's Settings, beside this workbook."""
    scripts.new_partner_template(book or scripts.calling_book())
