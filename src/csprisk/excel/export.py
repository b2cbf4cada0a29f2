"""The executive's copy of a ranked workbook: their sheets only, values only, ready to email.

`export_for_executive` keeps Summary, Heatmap, Why it ranks here and Method, replaces every
formula by the value last calculated (so nothing needs the add-in), drops macros, defined
names and links to other workbooks, and sets the document properties. `write_pdf` prints
the copy to PDF through headless LibreOffice when it is installed.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from csprisk import marks
from csprisk.excel.libreoffice import ConversionError, convert, find_soffice
from csprisk.excel.output import same_file
from csprisk.excel.xlsx_writer import MARKING_PROPERTY, save_workbook
from csprisk.findings import Stopped
from csprisk.marks import EXECUTIVE_SHEETS, METHOD, SCENARIOS, SUMMARY
from csprisk.read.sources import RANKED_WORKBOOK, WorkbookRefused, load_workbook_model
from csprisk.report.ranked import METHOD_INPUTS, METHOD_INPUTS_ELSEWHERE

PDF_TIMEOUT_SECONDS = 180


class ExportError(Stopped):
    """The copy could not be made; the message says why, for the analyst."""


class PdfUnavailable(Exception):
    """No PDF was written (LibreOffice missing, failed or too slow); the message says what to do."""


@dataclass
class Exported:
    path: Path
    sheets: list[str]
    formulas_replaced: int = 0
    #: Cells whose formula had no saved value (the workbook was never calculated): left blank.
    blank_formulas: list[str] = field(default_factory=list)
    missing_sheets: list[str] = field(default_factory=list)


def export_for_executive(source: str | Path, target: str | Path, *, marking: str | None = None,
                         author: str | None = None) -> Exported:
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    source, target = Path(source), Path(target)
    if not source.is_file():
        raise ExportError(f"The ranked workbook {source} does not exist.")
    if target.suffix.lower() != ".xlsx":
        raise ExportError(f"The executive's copy must be an .xlsx file (no macros), not {target.name}.")
    if same_file(target, source):
        raise ExportError("The executive's copy must not replace the ranked workbook; choose another name "
                          "with -o.")
    try:
        workbook = load_workbook_model(source, RANKED_WORKBOOK, keep_links=False)
        saved_values = load_workbook_model(source, RANKED_WORKBOOK, data_only=True, keep_links=False)
    except WorkbookRefused as error:
        raise ExportError(str(error)) from None
    if SUMMARY not in workbook.sheetnames:
        raise ExportError(f"{source.name} has no {SUMMARY} sheet, so it is not a ranked workbook written by "
                          "csprisk. Run csprisk merge first, then export its output.")

    kept = [name for name in EXECUTIVE_SHEETS if name in workbook.sheetnames]
    # Scenarios is there only where the settings declare some: never missed.
    result = Exported(target, kept, missing_sheets=[n for n in EXECUTIVE_SHEETS if n not in kept and n != SCENARIOS])
    for ws in list(workbook.worksheets) + list(workbook.chartsheets):
        if ws.title not in kept:
            workbook.remove(ws)
    workbook._sheets.sort(key=lambda ws: kept.index(ws.title))
    workbook.active = 0
    for ws in workbook.worksheets:
        ws.sheet_view.tabSelected = ws.title == SUMMARY

    for ws in workbook.worksheets:
        values = saved_values[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                formula = cell.data_type == "f" or isinstance(cell.value, (ArrayFormula, DataTableFormula))
                if formula:
                    saved = values[cell.coordinate].value
                    cell.value = saved
                    result.formulas_replaced += 1
                    if saved is None:
                        result.blank_formulas.append(f"{ws.title}!{cell.coordinate}")
                link = cell.hyperlink
                if link is not None and link.location and _sheet_of(link.location) not in kept:
                    cell.hyperlink = None
        # Names that belong to the sheet may point at the add-in or at sheets left out.
        for name in list(ws.defined_names):
            del ws.defined_names[name]
        ws.data_validations.dataValidation = []
    if METHOD in kept:
        _inputs_elsewhere(workbook[METHOD])
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    workbook._external_links = []
    workbook.vba_archive = None
    workbook.is_template = False

    old_marking = _custom_property(workbook, MARKING_PROPERTY)
    marking = (marking or old_marking or "OFFICIAL").strip()
    if old_marking and marking != old_marking:
        _replace_marking(workbook, old_marking, marking)
    props = workbook.properties
    props.title = props.title or f"{workbook[SUMMARY]['A1'].value or 'Ranked risk assessment'}"
    props.creator = author or props.creator
    props.lastModifiedBy = author or props.creator
    props.keywords = marking
    props.category = marking
    props.description = ("For the Community Safety Executive: the ranked priorities, values only. "
                         f"Protective marking: {marking}.")
    _set_custom_property(workbook, MARKING_PROPERTY, marking, StringProperty)
    _set_custom_property(workbook, marks.PROPERTY, marks.EXECUTIVE, StringProperty)
    save_workbook(workbook, target)
    return result


def _inputs_elsewhere(ws) -> None:
    """Method in the executive's copy ends above its inputs (each return's file, partner,
    status and SHA-256), with a line saying where they are: the list grows with the
    partnership and the length of its paths, and would add a page for no executive reader."""
    from openpyxl.styles import Font

    top = next((cell.row for cell in ws["A"] if cell.value == METHOD_INPUTS), None)
    if top is None:
        return
    last = ws.max_row
    ws.delete_rows(top, last - top + 1)
    for row in range(top, last + 1):
        ws.row_dimensions.pop(row, None)
    ws.row_breaks.brk = [b for b in ws.row_breaks.brk if b.id is not None and b.id < top - 1]
    titles = ws.print_title_rows
    if titles and int(titles.split(":")[0].lstrip("$")) >= top:
        ws.print_title_rows = None
    note = ws.cell(top, 1, METHOD_INPUTS_ELSEWHERE)
    note.font = Font(name="Calibri", size=11, italic=True)


def _sheet_of(location: str) -> str:
    sheet = location.rsplit("!", 1)[0] if "!" in location else location
    return sheet.strip("'").replace("''", "'")


def _custom_property(workbook, name: str) -> str | None:
    for prop in workbook.custom_doc_props.props:
        if prop.name == name:
            return str(prop.value)
    return None


def _set_custom_property(workbook, name: str, value: str, kind) -> None:
    props = workbook.custom_doc_props
    props.props = [p for p in props.props if p.name != name]
    props.append(kind(name=name, value=value))


def _replace_marking(workbook, old: str, new: str) -> None:
    """Print headers and footers carry the marking too; a new marking replaces the old one."""
    escaped_old, escaped_new = old.replace("&", "&&"), new.replace("&", "&&")
    for ws in workbook.worksheets:
        for part in (ws.oddHeader, ws.oddFooter, ws.evenHeader, ws.evenFooter, ws.firstHeader, ws.firstFooter):
            for side in (part.left, part.center, part.right):
                if side.text and escaped_old in side.text:
                    side.text = side.text.replace(escaped_old, escaped_new)


# --- PDF through headless LibreOffice -----------------------------------------------------

def write_pdf(xlsx: str | Path, timeout: float = PDF_TIMEOUT_SECONDS) -> Path:
    """Convert `xlsx` to a PDF beside it with headless LibreOffice."""
    xlsx = Path(xlsx).resolve()
    if find_soffice() is None:
        raise PdfUnavailable("No PDF was written: LibreOffice (soffice) is not installed on this machine. "
                             f"The workbook {xlsx.name} is ready; print it to PDF from Excel, or install "
                             "LibreOffice and run the export again with --pdf.")
    target = xlsx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="csprisk-pdf-") as work:
        try:
            made = convert(xlsx, "pdf", Path(work), timeout=timeout)
        except ConversionError as error:
            raise PdfUnavailable(f"No PDF was written: {error} The workbook {xlsx.name} is ready; "
                                 "print it to PDF from Excel.") from None
        try:
            shutil.move(str(made), target)
        except OSError as error:
            raise PdfUnavailable(f"No PDF was written: {target} could not be replaced ({error.strerror}). "
                                 "Close it if it is open and try again.") from None
    return target
