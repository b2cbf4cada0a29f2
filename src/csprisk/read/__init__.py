"""Reading: files and the open workbook become grids, through one pre-flight gate.

The only layer that opens workbooks (`sources`); the settings file, the previous assessment
and the open workbook's sheets are read here too. It knows nothing of scoring or reports.
"""
