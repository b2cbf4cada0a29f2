"""Writers and workbooks: the report as an .xlsx file or into the open workbook, the partner
template, the analyst workbook (with its xlwings Lite code), the executive's copy, the
desktop add-in; every file written atomically (`output`)."""
