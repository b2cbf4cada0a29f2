"""The report model (sheets as plain data) and the sheets and sentences csprisk writes:
the ranked workbook, the executive's sheets, the partners' feedback notes."""
