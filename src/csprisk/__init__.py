"""csprisk: merge and rank Community Safety Partnership risk-matrix returns.

Importing the package is cheap on purpose: desktop xlwings may start a fresh Python for
every click, so pandas, openpyxl and xlwings are imported only by the modules that use them.
"""

__version__ = "0.1.0"
