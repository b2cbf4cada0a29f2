"""The CSP Risk Matrix functions and scripts for Excel, for every xlwings runtime.

Desktop xlwings loads this file as the UDF module ("UDF Modules: udfs"), xlwings Lite
runs it as main.py, xlwings Server imports it. Each function below only converts Excel's
arguments and calls the csprisk package, where the work is done and tested:
`csprisk.app.functions` for the worksheet functions, `csprisk.app.scripts` for the scripts.
"""

import xlwings as xw

from csprisk.app import functions, scripts

HELP = functions.HELP  # help texts in the scheme's words and numbers (scale, maximum, bands)


@xw.func
@xw.arg("scores", ndim=2, doc=HELP["scores"])
@functions.described("risk_total")
def risk_total(scores):
    return functions.risk_total(scores)


@xw.func
@xw.arg("scores", ndim=2, doc=HELP["scores"])
@xw.arg("priority", doc=HELP["priority"])
@functions.described("risk_check")
def risk_check(scores, priority=None):
    return functions.risk_check(scores, priority)


@xw.func
@xw.arg("total", doc=HELP["total"])
@xw.arg("high", doc=HELP["high"])
@xw.arg("medium", doc=HELP["medium"])
@functions.described("risk_band")
def risk_band(total, high=None, medium=None):
    return functions.risk_band(total, high, medium)


@xw.func
@xw.arg("total", doc=HELP["rank_total"])
@xw.arg("totals", ndim=2, doc=HELP["totals"])
@functions.described("risk_rank")
def risk_rank(total, totals):
    return functions.risk_rank(total, totals)


@xw.func
@functions.described("risk_criteria")
def risk_criteria():
    return functions.risk_criteria()


@xw.func
@xw.arg("matrix", ndim=2, doc=HELP["matrix"])
@functions.described("risk_summary")
def risk_summary(matrix):
    return functions.risk_summary(matrix)


@xw.script(button=scripts.MERGE_BUTTON.reference)
def merge_and_rank(book: xw.Book = None):  # type: ignore[assignment]  # xlwings injects the Book by this exact hint
    """Merge every return (this workbook's return sheets and the returns folder) and rank the priorities."""
    scripts.merge_and_rank(book or scripts.calling_book())


@xw.script
def validate_returns(book: xw.Book = None):  # type: ignore[assignment]  # xlwings injects the Book by this exact hint
    """Check every return and list what needs fixing on the Validation sheet, without ranking."""
    scripts.validate_returns(book or scripts.calling_book())


@xw.script
def feedback_for_partners(book: xw.Book = None):  # type: ignore[assignment]  # xlwings injects the Book by this exact hint
    """Write, for each return with things to fix, the partner's workbook marked and an email draft to them."""
    scripts.feedback_for_partners(book or scripts.calling_book())


@xw.script
def export_for_executive(book: xw.Book = None):  # type: ignore[assignment]  # xlwings injects the Book by this exact hint
    """Write the ranked workbook for the executive, and an email draft with it attached, beside this workbook."""
    scripts.export_for_executive(book or scripts.calling_book())


@xw.script
def new_partner_template(book: xw.Book = None):  # type: ignore[assignment]  # xlwings injects the Book by this exact hint
    """Write a blank partner template, made from this workbook's Settings, beside this workbook."""
    scripts.new_partner_template(book or scripts.calling_book())
