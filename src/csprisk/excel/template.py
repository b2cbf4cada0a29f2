"""Scheme -> the partner's blank risk matrix, as an .xlsx workbook built with openpyxl.

Everything partner-facing (criteria labels, guidance, scale, weights, priorities, the
TOTAL label) comes from the `Scheme`, so the template and the parser cannot drift apart.
The workbook needs no add-in: validation, totals and colours are native Excel features
that also work in LibreOffice and Excel on the web.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.fonts import DEFAULT_FONT
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from csprisk.excel.output import reproducible_xlsx, write_atomically
from csprisk.excel.template_print import keep_table_whole, print_across, print_setup, row_height, set_widths
from csprisk.report import measure
from csprisk.scheme import (
    CONFIDENCE_LABEL,
    CONFIDENCE_MEANINGS,
    NOT_KNOWN,
    NOT_KNOWN_MARKERS,
    NOTES_LABEL,
    PESTELO_LABEL,
    PRIORITY_LABEL,
    RETURN_DETAILS,
    Scheme,
    format_number,
)

TEMPLATE_VERSION = "1"
#: Name of the hidden defined name and of the custom document property that mark our template.
VERSION_MARKER = "csprisk_template_version"
MATRIX_SHEET = "Risk matrix"
GUIDANCE_SHEET = "Guidance"

#: Fixed document dates so that building the template twice gives the same file.
_FIXED_TIME = dt.datetime(2026, 1, 1)
_METADATA_LABELS = tuple(label for _field, label in RETURN_DETAILS)
_PARTNER_LABEL = dict(RETURN_DETAILS)["partner"]
#: How many criteria columns a metadata entry cell spans, so a long name has room.
_ENTRY_SPAN = 5

_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_ENTRY_FILL = PatternFill("solid", fgColor="FFFFFF")
_LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
_INVALID_FILL = PatternFill("solid", fgColor="FF0000")
_NOT_KNOWN_FILL = PatternFill("solid", fgColor="D9D9D9")
_UNLOCKED = Protection(locked=False)
#: The workbook's default face (Calibri; LibreOffice shows it as Carlito). Every font we set
#: names it: LibreOffice draws a font that names no face in a serif one.
_FACE = DEFAULT_FONT.name
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def _font(**style: Any) -> Font:
    """A cell font in the workbook's default face and size, with `style` (bold, size, ...)."""
    return Font(**{"name": _FACE, "family": DEFAULT_FONT.family, "size": DEFAULT_FONT.sz, **style})


@dataclass(frozen=True)
class MatrixLayout:
    """Where things are on the "Risk matrix" sheet (1-based rows, column letters)."""

    header_row: int
    first_row: int
    last_row: int
    priority_col: str
    criteria_cols: tuple[str, ...]
    confidence_col: str
    pestelo_col: str
    notes_col: str
    total_col: str
    #: Metadata label -> address of the cell where the partner types it.
    metadata_cells: dict[str, str]

    @property
    def score_range(self) -> str:
        return f"{self.criteria_cols[0]}{self.first_row}:{self.criteria_cols[-1]}{self.last_row}"


def matrix_layout(scheme: Scheme) -> MatrixLayout:
    first_meta_row = 3
    header_row = first_meta_row + len(_METADATA_LABELS) + 1
    first_row = header_row + 1
    n = len(scheme.criteria)
    letters = [get_column_letter(i) for i in range(1, n + 6)]
    return MatrixLayout(
        header_row=header_row,
        first_row=first_row,
        last_row=first_row + len(scheme.priorities) + scheme.spare_rows - 1,
        priority_col=letters[0],
        criteria_cols=tuple(letters[1:n + 1]),
        confidence_col=letters[n + 1],
        pestelo_col=letters[n + 2],
        notes_col=letters[n + 3],
        total_col=letters[n + 4],
        metadata_cells={label: f"B{first_meta_row + i}" for i, label in enumerate(_METADATA_LABELS)},
    )


# ------------------------------------------------------------------------------ formulas

def score_rule(scheme: Scheme, cell: str) -> str:
    """Formula that is TRUE when `cell` holds a valid score or a not-known marker.

    IF, not AND, guards the arithmetic: spreadsheets evaluate every argument of AND, and
    INT("NK") would make the whole rule an error, which rejects the entry.
    """
    return (f'IF(ISNUMBER({cell}),AND({cell}>=0,{cell}<={scheme.scale_max},{cell}=INT({cell})),'
            f'{not_known_rule(cell)})')


def not_known_rule(cell: str) -> str:
    """Formula that is TRUE when `cell` holds any of the markers the parser reads as not known
    (NK, n/k, ?, unknown, ...), in any case and spacing (TRIM closes up spaces as the parser does).

    LOWER although Excel's = ignores case: LibreOffice can be set to compare case. Not MATCH
    over a list, which takes "?" for a wildcard.
    """
    typed = f"LOWER(TRIM({cell}))"
    return "OR(" + ",".join(f"{typed}={_text_literal(marker)}" for marker in NOT_KNOWN_MARKERS) + ")"


def _text_literal(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def total_formula(scheme: Scheme, row: int) -> str:
    """The row TOTAL: the (weighted) sum of the valid scores only; NK, text, blanks and rejected
    entries (a 6, a 4.5) count nothing; blank if the row holds no number. Scores are picked by
    comparison, `(B9:Q9=1)+2*(B9:Q9=2)+...`, which never errors on text: no IF or IFERROR,
    which SUMPRODUCT would not evaluate as an array in Excel before 365."""
    layout = matrix_layout(scheme)
    scores = f"{layout.criteria_cols[0]}{row}:{layout.criteria_cols[-1]}{row}"
    valid = "+".join(f"({scores}={k})" if k == 1 else f"{k}*({scores}={k})" for k in range(1, scheme.scale_max + 1))
    weights = "" if all(w == 1 for w in scheme.weights) else ",{" + ",".join(
        repr(float(w)) if not float(w).is_integer() else str(int(w)) for w in scheme.weights) + "}"
    return f'=IF(COUNT({scores})=0,"",SUMPRODUCT({valid}{weights}))'


def score_error_message(scheme: Scheme) -> str:
    return (f"Scores are whole numbers from 0 to {scheme.scale_max}. "
            f"Type {NOT_KNOWN} if it is not known.")


# ------------------------------------------------------------------------------ building

def build_template(scheme: Scheme, partner: str = "") -> Workbook:
    """The blank partner return for `scheme`, with `partner` filled in if given."""
    wb = Workbook()
    matrix = wb.active
    matrix.title = MATRIX_SHEET
    _build_matrix(matrix, scheme, partner)
    partners = _build_guidance(wb.create_sheet(GUIDANCE_SHEET), scheme)
    if partners:
        _offer_partners(matrix, matrix_layout(scheme), partners)
    total_col = matrix_layout(scheme).total_col
    keep_text(wb, lambda cell: cell.column_letter == total_col and cell.value == total_formula(scheme, cell.row))
    wb.active = 0
    wb.security = WorkbookProtection(lockStructure=True)
    wb.defined_names[VERSION_MARKER] = DefinedName(VERSION_MARKER, attr_text=f'"{TEMPLATE_VERSION}"',
                                                   hidden=True)
    wb.custom_doc_props.append(StringProperty(name=VERSION_MARKER, value=TEMPLATE_VERSION))
    wb.properties.creator = "csprisk"
    wb.properties.title = _title(scheme)
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    return wb


def keep_text(wb: Workbook, is_formula: Callable[[Any], bool] = lambda cell: False) -> None:
    """Make every string openpyxl took for a formula text again, except where `is_formula`
    says we wrote one: a partner, priority or partnership name from the settings or the
    command line ("=1+1 Police") is shown as typed, never run."""
    for ws in wb.worksheets:
        # ws._cells holds only the cells written; iter_rows would create the empty ones too
        # (and so change the file).
        for cell in ws._cells.values():
            if cell.data_type == "f" and isinstance(cell.value, str) and not is_formula(cell):
                cell.data_type = "s"


def write_template(path: str | os.PathLike, scheme: Scheme, partner: str = "") -> None:
    """Write the template to `path` atomically; the same scheme always gives the same bytes.
    Raises `OutputError` with a plain message when the file cannot be written."""
    data = reproducible_xlsx(build_template(scheme, partner), _FIXED_TIME)

    def write(stream: IO[bytes]) -> None:
        stream.write(data)

    write_atomically(path, write, what="the template")


def committed_template_path() -> Path:
    """The default template kept in the repository (xlsx_templates/partner_return.xlsx)."""
    return Path(__file__).resolve().parents[3] / "xlsx_templates" / "partner_return.xlsx"


def _title(scheme: Scheme) -> str:
    period = f" {scheme.period}" if scheme.period else ""
    name = scheme.partnership.strip() or Scheme.partnership
    return f"{name} \u2013 strategic assessment{period} \u2013 partner risk matrix"


def _partnership_in_a_sentence(scheme: Scheme) -> str:
    """"Anytown CSP" when the settings name the partnership; else the default's words, which
    are a description, not a name: "the Community Safety Partnership"."""
    name = scheme.partnership.strip()
    generic = Scheme.partnership  # the dataclass default
    return name if name and name.casefold() != generic.casefold() else f"the {generic}"


def _build_matrix(ws: Worksheet, scheme: Scheme, partner: str) -> None:
    layout = matrix_layout(scheme)
    last_col = layout.total_col
    ws["A1"] = _title(scheme)
    ws["A1"].font = _font(bold=True, size=14)
    ws["A2"] = (f"Score each priority against each criterion with a whole number from 0 to {scheme.scale_max}, "
                f"or {NOT_KNOWN} if it is not known. The TOTAL adds up the valid scores. Add other priorities "
                f"in the empty rows. See the {GUIDANCE_SHEET} sheet for help.")
    ws["A2"].font = _font(italic=True)

    for label, address in layout.metadata_cells.items():
        row = int(address[1:])
        ws.cell(row, 1, label).font = _font(bold=True)
        entry = ws[address]
        span_end = get_column_letter(min(1 + _ENTRY_SPAN, 1 + len(scheme.criteria)))
        if span_end != "B":
            ws.merge_cells(f"{address}:{span_end}{row}")
        for line in ws[f"{address}:{span_end}{row}"]:
            for cell in line:
                cell.border = _BOX
        entry.fill = _ENTRY_FILL
        entry.protection = _UNLOCKED
        entry.alignment = Alignment(horizontal="left")
        if label == "Date completed":
            entry.number_format = "DD/MM/YYYY"
    partner_cell = ws[layout.metadata_cells[_PARTNER_LABEL]]
    partner_cell.value = partner.strip() or None

    header = (PRIORITY_LABEL, *scheme.labels, CONFIDENCE_LABEL, PESTELO_LABEL, NOTES_LABEL, scheme.total_label)
    for col, text in enumerate(header, start=1):
        cell = ws.cell(layout.header_row, col, text)
        cell.font = _font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center",
                                   horizontal="left" if col == 1 else "center")

    column = [p.name for p in scheme.priorities] + list(_METADATA_LABELS)  # what the first column holds
    height = row_height(column, [p.name for p in scheme.priorities])
    names = [p.name for p in scheme.priorities] + [None] * scheme.spare_rows
    for row, name in zip(range(layout.first_row, layout.last_row + 1), names, strict=False):
        ws.cell(row, 1, name)
        if name is not None:  # grey like the TOTAL: what is locked looks locked
            ws.cell(row, 1).fill = _LOCKED_FILL
        ws.row_dimensions[row].height = height
        ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="center")
        for col in range(1, len(header)):
            cell = ws.cell(row, col)
            cell.border = _BOX
            # A preset priority's name stays locked, so "Domestic abuse" cannot come back as
            # "Domestic abuze"; the spare rows' names are the partner's to type.
            if col > 1 or name is None:
                cell.protection = _UNLOCKED
            if 1 < col <= len(scheme.criteria) + 2:  # the scores, and the confidence beside them
                cell.alignment = Alignment(horizontal="center", vertical="center")
            elif col > 1:  # PESTELO and notes: what a partner types wraps in the row
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        total = ws[f"{last_col}{row}"]
        total.value = total_formula(scheme, row)
        total.font = _font(bold=True)
        total.fill = _LOCKED_FILL
        total.border = _BOX
        total.alignment = Alignment(horizontal="center", vertical="center")
        total.number_format = "General" if any(not float(w).is_integer() for w in scheme.weights) else "0"

    _add_validations(ws, scheme, layout)
    _add_colours(ws, scheme, layout)
    set_widths(ws, scheme, layout, column)
    ws.freeze_panes = f"B{layout.first_row}"
    ws.protection.sheet = True
    # Partners may still resize rows and columns to read long names; nothing else.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    print_setup(ws, scheme)
    print_across(ws, layout.priority_col)
    ws.print_title_rows = f"{layout.header_row}:{layout.header_row}"
    ws.print_area = f"A1:{last_col}{layout.last_row}"


#: Excel's limits on a validation's texts: longer ones make it refuse the whole file.
TITLE_LIMIT, PROMPT_LIMIT, ERROR_LIMIT = 32, 255, 225


def _validation(**fields: Any) -> DataValidation:
    """A DataValidation whose titles and messages are cut, at a word, to Excel's limits."""
    for name, limit in (("promptTitle", TITLE_LIMIT), ("errorTitle", TITLE_LIMIT),
                        ("prompt", PROMPT_LIMIT), ("error", ERROR_LIMIT)):
        if fields.get(name):
            fields[name] = _clip(fields[name], limit)
    return DataValidation(**fields)


def _add_validations(ws: Worksheet, scheme: Scheme, layout: MatrixLayout) -> None:
    error = score_error_message(scheme)
    for criterion, col in zip(scheme.criteria, layout.criteria_cols, strict=False):
        top = f"{col}{layout.first_row}"
        prompt = criterion.guidance or f"Score from 0 to {scheme.scale_max}, or {NOT_KNOWN} if not known."
        if _clip(criterion.label, TITLE_LIMIT) != criterion.label:
            prompt = f"{criterion.label}: {prompt}"  # the title is cut, so the message says it whole
        rule = _validation(
            type="custom", formula1=score_rule(scheme, top), allow_blank=True,
            showInputMessage=True, promptTitle=criterion.label, prompt=prompt,
            showErrorMessage=True, errorStyle="stop", errorTitle="Not a valid score", error=error)
        rule.add(f"{col}{layout.first_row}:{col}{layout.last_row}")
        ws.add_data_validation(rule)
    spare_first = layout.first_row + len(scheme.priorities)
    if scheme.spare_rows:
        names = _validation(
            allow_blank=True, showInputMessage=True, promptTitle="Another priority",
            prompt="Type the name of another priority you want to score, then score it along this row.")
        names.add(f"{layout.priority_col}{spare_first}:{layout.priority_col}{layout.last_row}")
        ws.add_data_validation(names)
    confidence = _validation(
        # The words to choose, and the numbers a partner may type instead (3 High ... 1 Low).
        type="list", formula1=f'"{",".join([level for level, _ in CONFIDENCE_MEANINGS] + ["3", "2", "1"])}"',
        allow_blank=True,
        showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle=f"{CONFIDENCE_LABEL} (not scored)",
        prompt=("How sure are you of this row's scores? " + "; ".join(
            f"{level}: {meaning}" for level, meaning in CONFIDENCE_MEANINGS) + ". 3, 2 or 1 also do. "
            "It never counts towards the total."),
        errorTitle="Not a confidence level", error="Choose High, Medium or Low from the list (or type 3, 2 or 1).")
    confidence.add(f"{layout.confidence_col}{layout.first_row}:{layout.confidence_col}{layout.last_row}")
    ws.add_data_validation(confidence)
    pestelo = _validation(
        allow_blank=True, showInputMessage=True, promptTitle=f"{PESTELO_LABEL} (not scored)",
        prompt=("Which outside factors bear on this issue? P Political, E Economic, S Social, "
                "T Technological, E Environmental, L Legal, O Organisational. Type the letters "
                "or words; this never counts towards the total."))
    pestelo.add(f"{layout.pestelo_col}{layout.first_row}:{layout.pestelo_col}{layout.last_row}")
    ws.add_data_validation(pestelo)


def _offer_partners(ws: Worksheet, layout: MatrixLayout, names: str) -> None:
    """A list of the partners the settings name, from the range `names`, in the partner cell.

    A warning, not a stop: a partner whose name the analyst spelt otherwise, or who was not
    listed, can still type their own (the merge matches names, it does not need the list).
    """
    offer = _validation(
        type="list", formula1=names, allow_blank=True,
        showInputMessage=True, promptTitle="Your organisation",
        prompt="Choose your organisation from the list. If it is not there, type its name.",
        showErrorMessage=True, errorStyle="warning", errorTitle="Not a listed partner",
        error=(f"This name is not one of the partners listed on the {GUIDANCE_SHEET} sheet. Keep it "
               "if your organisation is not listed; otherwise choose from the list."))
    offer.add(layout.metadata_cells[_PARTNER_LABEL])
    ws.add_data_validation(offer)


def _add_colours(ws: Worksheet, scheme: Scheme, layout: MatrixLayout) -> None:
    top = f"{layout.criteria_cols[0]}{layout.first_row}"
    scores = layout.score_range
    # Entries pasted in bypass validation, so show them in red before any other colour.
    ws.conditional_formatting.add(scores, FormulaRule(
        formula=[f"AND(LEN({top})>0,NOT({score_rule(scheme, top)}))"],
        fill=_INVALID_FILL, font=Font(name=_FACE, bold=True, color="FFFFFF"), stopIfTrue=True))
    ws.conditional_formatting.add(scores, FormulaRule(
        formula=[not_known_rule(top)], fill=_NOT_KNOWN_FILL,
        font=Font(name=_FACE, italic=True), stopIfTrue=True))
    ws.conditional_formatting.add(scores, ColorScaleRule(
        start_type="num", start_value=0, start_color="63BE7B",
        mid_type="num", mid_value=scheme.scale_max / 2, mid_color="FFEB84",
        end_type="num", end_value=scheme.scale_max, end_color="F8696B"))


#: The Guidance sheet's text column, in column units.
_GUIDANCE_WIDTH = 100


def _build_guidance(ws: Worksheet, scheme: Scheme) -> str | None:
    """Fill the Guidance sheet; return the range holding the listed partners' names, if any."""
    top = scheme.scale_max
    total = format_number(scheme.max_total)
    paragraphs = [
        ("What this is", (
            f"Each year {_partnership_in_a_sentence(scheme)} writes a Partnership Strategic "
            "Assessment: it tells the partnership's decision makers which community-safety issues "
            "to prioritise for the next 12 months. Each partner agency's lead professional scores "
            "the candidate priorities on this risk matrix. The analyst merges every partner's "
            "matrix, ranks the issues on one consistent scale, and analyses the highest in depth.")),
        ("How to score", (
            f"On the {MATRIX_SHEET} sheet, give each priority a whole number from 0 to {top} for "
            f"every criterion; a higher number means a greater risk or need. Click a score cell "
            f"to see what that criterion asks. The TOTAL (out of {total}) adds up the valid scores "
            "itself (a score it cannot use counts nothing): do not type it. Add other priorities in the "
            "empty rows below the list. Leave a whole row blank for a priority you do not want to score.")),
        (f"0 or {NOT_KNOWN}", (
            f"A 0 means the element is well addressed or gives no concern. {NOT_KNOWN} means "
            f"not known: you do not have the information to score it. {NOT_KNOWN} is not counted "
            "in the total, and it tells the analyst where knowledge is missing rather than "
            "recording a real zero.")),
        ("A low total does not mean work stops", (
            "The matrix decides what the partnership analyses in depth next year. Work on an "
            "issue with a low total carries on where it is needed (sexual violence once scored "
            "low and stayed important).")),
        (CONFIDENCE_LABEL, (
            "Optional, and never part of the total: how sure you are of a row's scores. "
            + "; ".join(f"{level}: {meaning}" for level, meaning in CONFIDENCE_MEANINGS)
            + ". A high score resting on an estimate stands out in the ranked pack, so the partnership "
            "knows where to look for evidence.")),
        (PESTELO_LABEL, (
            "Optional: which outside factors bear on the issue (Political, Economic, Social, "
            "Technological, Environmental, Legal, Organisational). It is not scored.")),
        ("Where the numbers come from", (
            f"The scores are your expert judgement. Use the {NOTES_LABEL} column to say what a "
            "score is based on, so the analyst can show where each number came from.")),
    ]
    ws["A1"] = f"{_title(scheme)} \u2013 guidance"
    ws["A1"].font = _font(bold=True, size=14)
    row = 3
    for heading, text in paragraphs:
        ws.cell(row, 1, heading).font = _font(bold=True)
        ws.cell(row, 1).alignment = _WRAP_TOP
        ws.cell(row, 2, text).alignment = _WRAP_TOP
        ws.row_dimensions[row].height = measure.row_points(measure.lines(text, _GUIDANCE_WIDTH))
        row += 1
    partners = None
    if scheme.partners:
        text = (f"Choose yours in the {_PARTNER_LABEL} cell on the {MATRIX_SHEET} sheet. If your "
                "organisation is not listed, type its name there.")
        ws.cell(row, 1, "Partners asked for a return").font = _font(bold=True)
        ws.cell(row, 1).alignment = _WRAP_TOP
        ws.cell(row, 2, text).alignment = _WRAP_TOP
        ws.row_dimensions[row].height = measure.row_points(measure.lines(text, _GUIDANCE_WIDTH))
        for offset, name in enumerate(scheme.partners, start=1):
            ws.cell(row + offset, 2, name).alignment = _WRAP_TOP
        partners = f"{quote_sheetname(ws.title)}!$B${row + 1}:$B${row + len(scheme.partners)}"
        row += len(scheme.partners) + 1
    row += 1
    weighted = any(w != 1 for w in scheme.weights)
    headings = ["Criterion", f"What to consider (score 0 to {top})"] + (["Weight"] if weighted else [])
    for col, text in enumerate(headings, start=1):
        cell = ws.cell(row, col, text)
        cell.font = _font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BOX
    table_header = row
    for criterion in scheme.criteria:
        row += 1
        values = [criterion.label, criterion.guidance] + ([criterion.weight] if weighted else [])
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col, value)
            cell.alignment = _WRAP_TOP
            cell.border = _BOX
        ws.row_dimensions[row].height = measure.row_points(max(measure.lines(criterion.guidance, _GUIDANCE_WIDTH),
                                                               measure.lines(criterion.label, 30)))
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = _GUIDANCE_WIDTH
    if weighted:
        ws.column_dimensions["C"].width = 10
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    print_setup(ws, scheme)
    ws.print_title_rows = f"{table_header}:{table_header}"
    keep_table_whole(ws, table_header, row)
    return partners


def _clip(text: str, limit: int) -> str:
    """`text`, or as many of its words as fit in `limit` characters with an ellipsis.

    Words break at spaces and before a slash ("Harm/impact to property/\u2026"); a dangling
    joiner ("-", "/", "&") goes with the cut. Only a first word too long to fit is cut inside.
    """
    if len(text) <= limit:
        return text
    room = text[:limit]  # the character after the kept words may be the space or slash itself
    cut = max(room.rfind(" "), room.rfind("/"))
    stem = text[:cut].rstrip(" -\u2013\u2014/&,;:") if cut > 0 else ""
    return (stem or text[:limit - 1].rstrip()) + "\u2026"
