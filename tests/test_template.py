"""The partner template: what a partner opens in Excel, proved against openpyxl, LibreOffice
and our own parser."""

import datetime as dt
import re
from dataclasses import replace

import openpyxl
import pytest
from openpyxl.formula.translate import Translator
from openpyxl.utils import column_index_from_string, range_boundaries

from conftest import require_soffice, soffice_convert
from csprisk.app.cli import main as cli_main
from csprisk.excel.template import (
    GUIDANCE_SHEET,
    MATRIX_SHEET,
    TEMPLATE_VERSION,
    VERSION_MARKER,
    build_template,
    committed_template_path,
    matrix_layout,
    not_known_rule,
    score_error_message,
    score_rule,
    total_formula,
    write_template,
)
from csprisk.grid import Grid
from csprisk.report import measure
from csprisk.scheme import (
    NOT_KNOWN_MARKERS,
    NOTES_LABEL,
    PESTELO_LABEL,
    PRIORITY_LABEL,
    Criterion,
    Priority,
    Scheme,
    is_not_known,
    priorities_from_names,
)
from csprisk.score.parse import parse_return

SCHEME = Scheme()
LAYOUT = matrix_layout(SCHEME)


def saved(tmp_path, scheme=SCHEME, partner="", name="template.xlsx"):
    path = tmp_path / name
    write_template(path, scheme, partner)
    return path


def cells(ws, rows, cols):
    return [ws[f"{c}{r}"] for r in rows for c in cols]


def data_rows(layout=LAYOUT):
    return range(layout.first_row, layout.last_row + 1)


def validation_for(ws, address):
    found = [dv for dv in ws.data_validations.dataValidation if address in dv.sqref]
    assert len(found) <= 1, f"{address} has {len(found)} validations"
    return found[0] if found else None


# ------------------------------------------------------------------ content snapshot

def content(path):
    """Everything that matters in a workbook, as plain data (so two files compare by content)."""
    wb = openpyxl.load_workbook(path)
    snapshot = {
        "sheets": wb.sheetnames,
        "active": wb.active.title,
        "defined_names": sorted((n, d.attr_text, bool(d.hidden)) for n, d in wb.defined_names.items()),
        "custom_props": sorted((p.name, p.value) for p in wb.custom_doc_props),
        "structure_locked": bool(wb.security and wb.security.lockStructure),
        "workbook_password": wb.security and wb.security.workbookPassword,
        "dates": (wb.properties.created, wb.properties.modified),
    }
    for ws in wb.worksheets:
        snapshot[ws.title] = {
            "cells": {c.coordinate: (c.value, c.protection.locked, c.number_format, c.font.name, c.font.b,
                                     c.font.i, c.font.sz, c.fill.fgColor.rgb)
                      for row in ws.iter_rows() for c in row
                      if c.value is not None or not c.protection.locked},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.allow_blank, dv.showInputMessage,
                 dv.promptTitle, dv.prompt, dv.showErrorMessage, dv.errorStyle, dv.errorTitle, dv.error)
                for dv in ws.data_validations.dataValidation),
            "conditional_formats": sorted(
                (str(cf.sqref), r.type, tuple(r.formula or ()), r.stopIfTrue, r.priority,
                 tuple((v.type, v.val) for v in (r.colorScale.cfvo if r.colorScale else ())))
                for cf in ws.conditional_formatting for r in cf.rules),
            "protection": {k: getattr(ws.protection, k) for k in (
                "sheet", "password", "formatCells", "formatColumns", "formatRows", "insertRows",
                "deleteRows", "insertColumns", "deleteColumns", "selectLockedCells")},
            "freeze": ws.freeze_panes,
            "print": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth,
                      ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage,
                      ws.print_title_rows, ws.print_title_cols, str(ws.print_area),
                      ws.oddHeader.center.text, ws.oddFooter.center.text, ws.oddFooter.right.text),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
        }
    return snapshot


def test_committed_template_matches_a_fresh_build(tmp_path):
    committed = committed_template_path()
    assert committed.exists(), "run csprisk template -o xlsx_templates/partner_return.xlsx"
    fresh, old = content(saved(tmp_path)), content(committed)
    for key in fresh:
        assert old[key] == fresh[key], (
            f"xlsx_templates/partner_return.xlsx is out of date ({key}); regenerate it with "
            "write_template(committed_template_path(), Scheme())")


def test_writing_twice_gives_identical_bytes_and_leaves_no_temporary_file(tmp_path):
    first = saved(tmp_path, name="a.xlsx").read_bytes()
    second = saved(tmp_path, name="b.xlsx").read_bytes()
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = saved(tmp_path)
    before = path.read_bytes()
    import csprisk.excel.template as template

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(template.os, "replace", broken)
    with pytest.raises(Exception, match="Cannot write the template"):
        write_template(path, SCHEME, partner="Fire")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# ------------------------------------------------------------------ layout and sheets

def test_matrix_sheet_comes_first_with_title_metadata_and_header(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path))
    assert wb.sheetnames == [MATRIX_SHEET, GUIDANCE_SHEET] and wb.active.title == MATRIX_SHEET
    ws = wb[MATRIX_SHEET]
    assert SCHEME.partnership in ws["A1"].value
    assert f"0 to {SCHEME.scale_max}" in ws["A2"].value and "NK" in ws["A2"].value
    for label, address in LAYOUT.metadata_cells.items():
        row = int(address[1:])
        assert ws[f"A{row}"].value == label and address == f"B{row}"
    header = [c.value for c in ws[LAYOUT.header_row] if c.value is not None]
    assert header == [PRIORITY_LABEL, *SCHEME.labels, "Confidence", PESTELO_LABEL, NOTES_LABEL, SCHEME.total_label]
    assert ws.cell(LAYOUT.header_row - 1, 1).value is None
    names = [ws[f"{LAYOUT.priority_col}{r}"].value for r in data_rows()]
    assert names == [p.name for p in SCHEME.priorities] + [None] * SCHEME.spare_rows


def test_layout_is_read_from_the_scheme():
    assert (LAYOUT.header_row, LAYOUT.first_row, LAYOUT.last_row) == (8, 9, 28)
    assert (LAYOUT.priority_col, LAYOUT.criteria_cols[0], LAYOUT.criteria_cols[-1]) == ("A", "B", "Q")
    assert (LAYOUT.confidence_col, LAYOUT.pestelo_col, LAYOUT.notes_col, LAYOUT.total_col) == ("R", "S", "T", "U")
    small = matrix_layout(Scheme(criteria=(Criterion("Harm"), Criterion("Volume")), spare_rows=2,
                                 priorities=priorities_from_names(["ASB"])))
    assert small.criteria_cols == ("B", "C") and small.total_col == "G" and small.last_row == 11


def test_partner_is_prefilled_when_given(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path, partner="  Avon Fire & Rescue "))[MATRIX_SHEET]
    assert ws[LAYOUT.metadata_cells["Partner organisation"]].value == "Avon Fire & Rescue"
    blank = openpyxl.load_workbook(saved(tmp_path, name="blank.xlsx"))[MATRIX_SHEET]
    assert blank[LAYOUT.metadata_cells["Partner organisation"]].value is None


PARTNERS = ("Anytown Police", "Anytown Council", "Avon Fire & Rescue Service")


def listed_names(wb, dv):
    sheet, cells_ = dv.formula1.split("!")
    return [c.value for row in wb[sheet.strip("'")][cells_.replace("$", "")] for c in row]


def test_the_listed_partners_are_offered_in_the_partner_cell_with_a_warning(tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text('partners = ["Anytown Police", "Anytown Council", "Avon Fire & Rescue Service"]\n')
    path = tmp_path / "listed.xlsx"
    assert cli_main(["template", "-o", str(path), "--settings", str(settings), "--partner", "Anytown Police"]) == 0
    wb = openpyxl.load_workbook(path)
    partner_cell = LAYOUT.metadata_cells["Partner organisation"]
    assert wb[MATRIX_SHEET][partner_cell].value == "Anytown Police"
    dv = validation_for(wb[MATRIX_SHEET], partner_cell)
    assert dv.type == "list" and dv.allow_blank and not dv.showDropDown  # (showDropDown hides the arrow)
    assert listed_names(wb, dv) == list(PARTNERS)
    # A partner whose name is spelt otherwise, or who was not listed, is warned, not stopped.
    assert dv.showErrorMessage and dv.errorStyle == "warning" and "Guidance" in dv.error
    assert dv.showInputMessage and dv.promptTitle == "Your organisation"
    assert dv.formula1.startswith(f"'{GUIDANCE_SHEET}'!")


def test_no_listed_partners_leaves_the_partner_cell_free(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path, partner="Probation"))
    partner_cell = LAYOUT.metadata_cells["Partner organisation"]
    assert wb[MATRIX_SHEET][partner_cell].value == "Probation"
    assert validation_for(wb[MATRIX_SHEET], partner_cell) is None
    lists = [dv for _, dv in every_validation(wb) if dv.type == "list"]
    assert [str(dv.sqref) for dv in lists] == [f"{LAYOUT.confidence_col}{LAYOUT.first_row}:"
                                               f"{LAYOUT.confidence_col}{LAYOUT.last_row}"]  # Confidence's alone
    assert "Partners asked for a return" not in guidance_text(saved(tmp_path, name="blank.xlsx"))


def test_the_confidence_column_offers_high_medium_low_and_says_what_each_means(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path))
    ws = wb[MATRIX_SHEET]
    assert ws.cell(LAYOUT.header_row, LAYOUT.criteria_cols.__len__() + 2).value == "Confidence"
    rule = validation_for(ws, f"{LAYOUT.confidence_col}{LAYOUT.first_row}")
    assert rule.type == "list" and rule.formula1 == '"High,Medium,Low,3,2,1"' and rule.errorStyle == "stop"
    for words in ("High: based on data or an analysed problem profile",
                  "Medium: professional judgement with some data", "Low: an estimate"):
        assert words in rule.prompt
        assert words in guidance_text(saved(tmp_path, name="g.xlsx"))
    assert ws[f"{LAYOUT.confidence_col}{LAYOUT.first_row}"].protection.locked is False


def test_every_score_cell_has_the_rule_and_its_criterions_guidance(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[MATRIX_SHEET]
    for criterion, col in zip(SCHEME.criteria, LAYOUT.criteria_cols, strict=True):
        for row in data_rows():
            dv = validation_for(ws, f"{col}{row}")
            assert dv is not None, f"{col}{row} has no validation"
            assert dv.type == "custom" and dv.errorStyle == "stop" and dv.showErrorMessage
            assert dv.formula1 == score_rule(SCHEME, f"{col}{LAYOUT.first_row}")
            assert dv.allow_blank and dv.showInputMessage
            if len(criterion.label) <= 32:
                assert dv.promptTitle == criterion.label and dv.prompt == criterion.guidance
            else:
                assert dv.prompt == f"{criterion.label}: {criterion.guidance}"
            assert dv.error == "Scores are whole numbers from 0 to 5. Type NK if it is not known."
    assert validation_for(ws, f"{LAYOUT.total_col}{LAYOUT.first_row}") is None


def test_long_guidance_is_cut_to_excels_limits(tmp_path):
    long = Criterion("A criterion whose label is far longer than thirty-two characters", "word " * 80)
    scheme = replace(SCHEME, criteria=(long, *SCHEME.criteria[1:]))
    ws = openpyxl.load_workbook(saved(tmp_path, scheme))[MATRIX_SHEET]
    dv = validation_for(ws, f"B{LAYOUT.first_row}")
    assert dv.promptTitle == "A criterion whose label is far\u2026"
    assert dv.prompt.startswith(f"{long.label}: word word") and dv.prompt.endswith("word\u2026")
    assert len(dv.prompt) <= 255


def every_validation(wb):
    return [(ws, dv) for ws in wb.worksheets for dv in ws.data_validations.dataValidation]


def whole_words_of(text, source):
    """True when `text` is `source`, or its first words and an ellipsis."""
    if text == source:
        return True
    stem = text.removesuffix("\u2026")
    return text.endswith("\u2026") and source.startswith(stem) and not source[len(stem)].isalnum()


LONG_LABELS = replace(SCHEME, partners=("Anytown Police", "Anytown Council"), criteria=(
    Criterion("Harm/impact to property/environment and to the wider economy"),
    Criterion("Supercalifragilisticexpialidocious-and-more"), *SCHEME.criteria[2:]))


@pytest.mark.parametrize("scheme", [SCHEME, LONG_LABELS], ids=["default", "long labels"])
def test_every_validation_title_fits_excel_and_cuts_only_at_a_word(tmp_path, scheme):
    wb = openpyxl.load_workbook(saved(tmp_path, scheme))
    layout = matrix_layout(scheme)
    labels = {f"{col}{layout.first_row}:{col}{layout.last_row}": label
              for col, label in zip(layout.criteria_cols, scheme.labels, strict=True)}
    assert every_validation(wb)
    for ws, dv in every_validation(wb):
        where = f"{ws.title}!{dv.sqref}"
        assert all(len(title or "") <= 32 for title in (dv.promptTitle, dv.errorTitle)), where
        assert len(dv.prompt or "") <= 255 and len(dv.error or "") <= 225, where
        label = labels.get(str(dv.sqref), dv.promptTitle)  # a score column's criterion, else the title itself
        assert label == dv.promptTitle or label in dv.prompt, f"{where}: the label is said whole"
        if label != "Supercalifragilisticexpialidocious-and-more":  # one word: cut inside, no choice
            assert whole_words_of(dv.promptTitle, label), f"{where}: {dv.promptTitle!r} cuts a word"
        assert dv.errorTitle is None or not dv.errorTitle.endswith("\u2026"), where


def test_a_long_criterion_title_ends_at_a_word_and_its_message_names_it(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[MATRIX_SHEET]
    [(col, criterion)] = [(col, c) for col, c in zip(LAYOUT.criteria_cols, SCHEME.criteria, strict=True)
                          if c.label == "Performance issue - deteriorating"]
    dv = validation_for(ws, f"{col}{LAYOUT.first_row}")
    assert dv.promptTitle == "Performance issue\u2026"
    assert dv.prompt == f"Performance issue - deteriorating: {criterion.guidance}"
    assert validation_for(ws, f"B{LAYOUT.first_row}").promptTitle == "Gap in current Picture"


def valid_scores(row, top=5):
    """What the TOTAL adds: each whole score from 1 to `top`, picked by comparison."""
    r = f"B{row}:Q{row}"
    return "+".join(f"({r}=1)" if k == 1 else f"{k}*({r}={k})" for k in range(1, top + 1))


def test_every_row_has_a_total_formula_that_adds_only_valid_scores(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[MATRIX_SHEET]
    for row in data_rows():
        assert ws[f"{LAYOUT.total_col}{row}"].value == (
            f'=IF(COUNT(B{row}:Q{row})=0,"",SUMPRODUCT({valid_scores(row)}))')


def test_weighted_scheme_totals_with_sumproduct_of_the_weights():
    weights = [2, 0.5] + [1] * (len(SCHEME.criteria) - 2)
    scheme = replace(SCHEME, criteria=tuple(replace(c, weight=w)
                                            for c, w in zip(SCHEME.criteria, weights, strict=True)))
    formula = total_formula(scheme, 9)
    assert formula == ('=IF(COUNT(B9:Q9)=0,"",SUMPRODUCT(' + valid_scores(9) + ",{2,0.5,"
                       + ",".join(["1"] * 14) + "}))")
    assert scheme.total_label == "TOTAL (out of 82.5)"


def test_scale_comes_from_the_scheme(tmp_path):
    scheme = replace(SCHEME, scale_max=3)
    ws = openpyxl.load_workbook(saved(tmp_path, scheme))[MATRIX_SHEET]
    dv = validation_for(ws, "C12")
    assert "C9<=3" in dv.formula1 and dv.error == score_error_message(scheme)
    assert "0 to 3" in dv.error
    assert ws.cell(LAYOUT.header_row, column_index_from_string(LAYOUT.total_col)).value == "TOTAL (out of 48)"


def test_colour_scale_and_invalid_highlight_cover_the_scores(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[MATRIX_SHEET]
    rules = [(str(cf.sqref), r) for cf in ws.conditional_formatting for r in cf.rules]
    assert {sqref for sqref, _ in rules} == {LAYOUT.score_range}
    [scale] = [r for _, r in rules if r.type == "colorScale"]
    values = [(v.type, float(v.val)) for v in scale.colorScale.cfvo]
    assert values[0] == ("num", 0) and values[-1] == ("num", SCHEME.scale_max)
    [invalid] = [r for _, r in rules if r.type == "expression" and "NOT(" in r.formula[0]]
    assert invalid.priority == min(r.priority for _, r in rules) and invalid.stopIfTrue


def test_entry_cells_are_unlocked_and_titles_headers_totals_locked(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path))
    ws = wb[MATRIX_SHEET]
    assert ws.protection.sheet and not ws.protection.password
    assert wb.security.lockStructure and not wb.security.workbookPassword
    entry_cols = (*LAYOUT.criteria_cols, LAYOUT.confidence_col, LAYOUT.pestelo_col, LAYOUT.notes_col)
    for cell in cells(ws, data_rows(), entry_cols):
        assert not cell.protection.locked, f"{cell.coordinate} should be open for typing"
    for address in LAYOUT.metadata_cells.values():
        assert not ws[address].protection.locked
    locked = cells(ws, [1, 2, LAYOUT.header_row], (LAYOUT.priority_col, *entry_cols, LAYOUT.total_col))
    locked += cells(ws, data_rows(), [LAYOUT.total_col])
    locked += [ws[f"A{address[1:]}"] for address in LAYOUT.metadata_cells.values()]
    for cell in locked:
        assert cell.protection.locked, f"{cell.coordinate} should be locked"
    assert wb[GUIDANCE_SHEET].protection.sheet


def preset_and_spare_rows(layout=LAYOUT, scheme=SCHEME):
    spare = layout.first_row + len(scheme.priorities)
    return range(layout.first_row, spare), range(spare, layout.last_row + 1)


def test_preset_priority_names_are_locked_and_the_spare_names_open(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[MATRIX_SHEET]
    assert ws.protection.sheet and not ws.protection.password
    preset, spare = preset_and_spare_rows()
    for row, priority in zip(preset, SCHEME.priorities, strict=True):
        name = ws[f"{LAYOUT.priority_col}{row}"]
        assert name.value == priority.name and name.protection.locked, f"{name.coordinate} can be retyped"
        assert name.fill.fgColor.rgb == ws[f"{LAYOUT.total_col}{row}"].fill.fgColor.rgb, "locked looks locked"
    for row in spare:
        assert not ws[f"{LAYOUT.priority_col}{row}"].protection.locked, f"row {row} takes a new priority"


@pytest.mark.libreoffice
def test_libreoffice_keeps_the_preset_names_locked(tmp_path):
    require_soffice()
    ws = openpyxl.load_workbook(soffice_convert(saved(tmp_path), "xlsx", tmp_path / "lo"))[MATRIX_SHEET]
    assert ws.protection.sheet
    preset, spare = preset_and_spare_rows()
    assert all(ws[f"{LAYOUT.priority_col}{row}"].protection.locked for row in preset)
    assert not any(ws[f"{LAYOUT.priority_col}{row}"].protection.locked for row in spare)
    assert not any(ws[f"{col}{row}"].protection.locked for row in preset for col in LAYOUT.criteria_cols)


def test_header_is_readable_and_panes_frozen(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[MATRIX_SHEET]
    for cell in ws[LAYOUT.header_row]:
        if cell.value:
            assert cell.alignment.wrap_text, cell.coordinate
    assert ws.row_dimensions[LAYOUT.header_row].height >= 45
    # The criteria's headers read upwards, in at most two lines across a column a score fits.
    from csprisk.report.fitting import rotated_header_points

    for col in LAYOUT.criteria_cols:
        assert ws[f"{col}{LAYOUT.header_row}"].alignment.textRotation == 90
        assert ws.column_dimensions[col].width >= measure.text_units("NK", bold=True)
    assert ws.row_dimensions[LAYOUT.header_row].height >= rotated_header_points(
        list(SCHEME.labels), ws.column_dimensions[LAYOUT.criteria_cols[0]].width)
    width = ws.column_dimensions[LAYOUT.priority_col].width  # every listed name on one line (Calibri's widths)
    assert all(measure.lines(p.name, width) == 1 for p in SCHEME.priorities)
    assert ws.freeze_panes == f"B{LAYOUT.first_row}"


def test_every_font_names_the_workbooks_own_face(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path, replace(SCHEME, partners=("Anytown Police",))))
    face = wb._fonts[0].name  # the workbook's default font
    assert face == "Calibri"
    for ws in wb.worksheets:
        for cell in (c for row in ws.iter_rows() for c in row):
            assert cell.font.name == face, f"{ws.title}!{cell.coordinate} has font {cell.font.name!r}"
        for rule in (r for cf in ws.conditional_formatting for r in cf.rules):
            if rule.dxf and rule.dxf.font:
                assert rule.dxf.font.name == face, f"a conditional format on {ws.title} names no face"
    assert all(style.font.name == face for style in wb._named_styles)


@pytest.mark.libreoffice
def test_libreoffice_prints_the_template_in_one_sans_serif_face(tmp_path):
    """LibreOffice draws a font that names no face in a serif one: the printed titles, headers
    and totals must come out in the same face as the rest."""
    require_soffice()
    pdf = soffice_convert(saved(tmp_path), "pdf", tmp_path / "lo").read_bytes()
    faces = {re.sub(rb"^[A-Z]{6}\+", b"", name).decode() for name in re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf)}
    assert faces, "no fonts found in the PDF"
    assert not [face for face in faces if "serif" in face.lower() and "sansserif" not in face.lower()], faces
    families = {face.split("-")[0] for face in faces}
    assert len(families) == 1, f"the template prints in several faces: {sorted(faces)}"


def test_both_sheets_print_landscape_at_8_point_or_more(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.oddHeader.center.text == SCHEME.protective_marking
    # Both fit one page wide; the matrix is narrow enough that fitting it keeps 8 pt or more.
    from csprisk.excel.template_print import MARGINS
    from csprisk.report import fitting

    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    matrix = wb[MATRIX_SHEET]
    units = sum(matrix.column_dimensions[c].width for c in ("A", *LAYOUT.criteria_cols, LAYOUT.confidence_col,
                                                             LAYOUT.pestelo_col, LAYOUT.notes_col, LAYOUT.total_col))
    assert units <= fitting.max_table_units(8.0, margins=MARGINS)
    assert matrix.print_title_cols is None
    assert matrix.print_title_rows == f"${LAYOUT.header_row}:${LAYOUT.header_row}"


def test_a_long_priority_name_gets_a_row_tall_enough_and_notes_wrap(tmp_path):
    long = "Domestic abuse across the town centre and retail parks: reduce harm and repeat victimisation"
    scheme = replace(SCHEME, priorities=(Priority(long), *SCHEME.priorities))
    ws = openpyxl.load_workbook(saved(tmp_path, scheme))[MATRIX_SHEET]
    width = ws.column_dimensions[LAYOUT.priority_col].width
    lines = measure.lines(long, width)
    assert lines >= 2 and ws.cell(LAYOUT.first_row, 1).alignment.wrap_text
    for row in range(LAYOUT.first_row, LAYOUT.first_row + len(scheme.priorities) + scheme.spare_rows):
        assert ws.row_dimensions[row].height >= measure.row_points(lines), row
    notes = column_index_from_string(LAYOUT.notes_col)
    assert ws.cell(LAYOUT.first_row, notes).alignment.wrap_text


def test_guidance_explains_nk_and_lists_every_criterion(tmp_path):
    ws = openpyxl.load_workbook(saved(tmp_path))[GUIDANCE_SHEET]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "NK" in text and "not counted" in text and "A low total does not mean work stops" in text
    rows = {row[0].value: row[1].value for row in ws.iter_rows() if row[0].value}
    for criterion in SCHEME.criteria:
        assert rows[criterion.label] == criterion.guidance
    assert ws.column_dimensions["B"].width >= 60


def guidance_text(path):
    return " ".join(str(c.value) for row in openpyxl.load_workbook(path)[GUIDANCE_SHEET].iter_rows()
                    for c in row if c.value)


@pytest.mark.parametrize("partnership, says", [
    ("Anytown CSP", "Each year Anytown CSP writes a Partnership Strategic Assessment:"),
    ("Community Safety Partnership", "Each year the Community Safety Partnership writes a Partnership "
                                     "Strategic Assessment:"),
    ("  ", "Each year the Community Safety Partnership writes a Partnership Strategic Assessment:"),
], ids=["named", "not named (the default)", "left blank"])
def test_the_guidance_reads_right_with_and_without_a_partnership_name(tmp_path, partnership, says):
    path = saved(tmp_path, replace(SCHEME, partnership=partnership))
    assert says in guidance_text(path)
    name = partnership.strip() or "Community Safety Partnership"
    wb = openpyxl.load_workbook(path)
    title = f"{name} \u2013 strategic assessment \u2013 partner risk matrix"
    assert (wb[MATRIX_SHEET]["A1"].value, wb[GUIDANCE_SHEET]["A1"].value) == (title, f"{title} \u2013 guidance")
    assert wb.properties.title == title


def test_hidden_version_marker_is_present(tmp_path):
    wb = openpyxl.load_workbook(saved(tmp_path))
    marker = wb.defined_names[VERSION_MARKER]
    assert marker.attr_text == f'"{TEMPLATE_VERSION}"' and marker.hidden
    assert wb.custom_doc_props[VERSION_MARKER].value == TEMPLATE_VERSION
    assert wb.properties.created == wb.properties.modified == dt.datetime(2026, 1, 1)


@pytest.mark.parametrize("partners", [(), PARTNERS], ids=["no partners listed", "partners listed"])
def test_the_parser_reads_the_blank_template_without_complaint(tmp_path, partners):
    wb = openpyxl.load_workbook(saved(tmp_path, replace(SCHEME, partners=partners), partner="Probation"),
                                data_only=True)
    grids = [Grid("t.xlsx", ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb]
    ret, findings = parse_return(grids, SCHEME, "t.xlsx")
    assert ret.partner == "Probation" and ret.sheet == MATRIX_SHEET and ret.priorities == ()
    assert findings == []  # the Guidance sheet is not a matrix, so there is nothing to say


# ------------------------------------------------------------------ LibreOffice

NK_SPELLINGS = ("NK", "nk", " Nk ")


def fill(path, out, rows, confidence=None):
    """Type `rows` ({row: [value per criterion]}) into a saved template, as a partner would,
    and `confidence` ({row: level}) in the Confidence column."""
    wb = openpyxl.load_workbook(path)
    ws = wb[MATRIX_SHEET]
    for row, level in (confidence or {}).items():
        ws[f"{LAYOUT.confidence_col}{row}"] = level
    ws[LAYOUT.metadata_cells["Partner organisation"]] = "Avon Fire & Rescue"
    ws[LAYOUT.metadata_cells["Lead professional"]] = "Sam Jones"
    for row, values in rows.items():
        for col, value in zip(LAYOUT.criteria_cols, values, strict=True):
            ws[f"{col}{row}"] = value
    spare = LAYOUT.first_row + len(SCHEME.priorities)
    ws[f"{LAYOUT.priority_col}{spare}"] = "Knife crime"
    wb.save(out)
    return out


def sample_scores(scheme=SCHEME):
    n, top = len(scheme.criteria), scheme.scale_max
    first, spare = LAYOUT.first_row, LAYOUT.first_row + len(scheme.priorities)
    return {
        first: [i % (top + 1) for i in range(n)],                          # every score typed
        first + 1: [NK_SPELLINGS[i % 3] if i % 4 == 0 else top for i in range(n)],  # NK mixed in
        first + 2: [None if i % 2 else 1 for i in range(n)],               # blanks mixed in
        first + 3: [None] * n,                                             # fully blank row
        first + 4: ["NK"] * n,                                             # nothing but NK
        first + 5: [0] * n,                                                # a real zero total
        first + 7: [None] * (n - 1) + [2],                                 # one score only
        spare: [3] * n,                                                    # a priority the partner added
    }


def calamine_grids(path):
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    grids = []
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        top, left = sheet.start or (0, 0)
        grids.append(Grid(str(path), name, sheet.to_python(skip_empty_area=True), top, left))
    return grids


def cached(grid, address):
    col, row, _, _ = range_boundaries(address)
    return grid.value(row - 1 - grid.top, col - 1 - grid.left)


def expected_total(values, weights):
    numbers = [(v, w) for v, w in zip(values, weights, strict=True) if isinstance(v, (int, float))]
    return sum(v * w for v, w in numbers) if numbers else None


@pytest.mark.libreoffice
def test_libreoffice_totals_count_scores_and_ignore_nk_and_blanks(tmp_path):
    require_soffice()
    scores = sample_scores()
    # A confidence in every row, as words and as the numbers partners may type: never in a total.
    levels = ["High", 3, "Medium", 2, "Low", 1]
    confidence = {row: levels[i % len(levels)] for i, row in enumerate(data_rows())}
    filled = fill(saved(tmp_path), tmp_path / "filled.xlsx", scores, confidence)
    converted = soffice_convert(filled, "xlsx", tmp_path / "lo")
    [matrix] = [g for g in calamine_grids(converted) if g.sheet == MATRIX_SHEET]
    for row in data_rows():
        values = scores.get(row, [None] * len(SCHEME.criteria))
        total = cached(matrix, f"{LAYOUT.total_col}{row}")
        assert total == expected_total(values, SCHEME.weights), f"TOTAL in row {row}"
    assert cached(matrix, f"{LAYOUT.total_col}{LAYOUT.first_row + 5}") == 0
    ret, findings = parse_return(calamine_grids(converted), SCHEME, "x.xlsx")
    words = {3: "High", 2: "Medium", 1: "Low"}
    assert {p.confidence for p in ret.priorities} <= {"High", "Medium", "Low"}
    for p in ret.priorities:
        row = int(p.cell[1:])
        assert p.confidence == words.get(confidence[row], confidence[row])
    assert "confidence-not-valid" not in {f.code for f in findings}


@pytest.mark.libreoffice
@pytest.mark.parametrize("weighted", [False, True])
def test_libreoffice_totals_leave_out_rejected_scores(tmp_path, weighted):
    """The template checks its own scores: a 6, a 4.5, a -1, NK and text add nothing to the
    TOTAL, whole scores 0-5 do; and the merge's cross-check of the formula still agrees."""
    require_soffice()
    weights = [2, 0.5] + [1] * (len(SCHEME.criteria) - 2) if weighted else list(SCHEME.weights)
    scheme = replace(SCHEME, criteria=tuple(replace(c, weight=w)
                                            for c, w in zip(SCHEME.criteria, weights, strict=True)))
    n, first = len(scheme.criteria), LAYOUT.first_row
    scores = {
        first: [6, 4.5, 3, -1, "NK", "high", 5, 0.999, *[2] * (n - 8)],  # the valid: 3, 5 and the 2s
        first + 1: [4.5, 6, *[1] * (n - 2)],
        first + 2: [5] * n,  # all valid: the cross-check compares it
    }
    filled = fill(saved(tmp_path, scheme), tmp_path / "filled.xlsx", scores)
    converted = soffice_convert(filled, "xlsx", tmp_path / "lo")
    [matrix] = [g for g in calamine_grids(converted) if g.sheet == MATRIX_SHEET]
    for row, values in scores.items():
        valid = [v if isinstance(v, int) and 0 <= v <= 5 else None for v in values]
        assert cached(matrix, f"{LAYOUT.total_col}{row}") == pytest.approx(expected_total(valid, weights)), row
    assert cached(matrix, f"{LAYOUT.total_col}{first}") == pytest.approx(
        3 * weights[2] + 5 * weights[6] + 2 * sum(weights[8:]))
    ret, findings = parse_return(calamine_grids(converted), scheme, "x.xlsx")
    assert "total-mismatch" not in {f.code for f in findings}
    assert {f.cell for f in findings if f.severity == "error"} >= {"B9", "C9", "E9", "B10", "C10"}


@pytest.mark.libreoffice
def test_libreoffice_totals_apply_the_weights(tmp_path):
    require_soffice()
    weights = [2, 0.5, 0] + [1] * (len(SCHEME.criteria) - 3)
    scheme = replace(SCHEME, criteria=tuple(replace(c, weight=w)
                                            for c, w in zip(SCHEME.criteria, weights, strict=True)))
    scores = sample_scores(scheme)
    filled = fill(saved(tmp_path, scheme), tmp_path / "filled.xlsx", scores)
    converted = soffice_convert(filled, "xlsx", tmp_path / "lo")
    [matrix] = [g for g in calamine_grids(converted) if g.sheet == MATRIX_SHEET]
    for row, values in scores.items():
        expected = expected_total(values, weights)
        total = cached(matrix, f"{LAYOUT.total_col}{row}")
        assert total is None if expected is None else total == pytest.approx(expected), f"row {row}"
    ret, findings = parse_return(calamine_grids(converted), scheme, "x.xlsx")
    assert "total-mismatch" not in {f.code for f in findings}


@pytest.mark.libreoffice
def test_libreoffice_keeps_the_validation_and_colours(tmp_path):
    require_soffice()
    converted = soffice_convert(saved(tmp_path), "xlsx", tmp_path / "lo")
    ws = openpyxl.load_workbook(converted)[MATRIX_SHEET]
    for col in LAYOUT.criteria_cols:
        dv = validation_for(ws, f"{col}{LAYOUT.last_row}")
        assert dv is not None and dv.type == "custom"
        assert dv.formula1 == score_rule(SCHEME, f"{col}{LAYOUT.first_row}")
    assert any(r.type == "colorScale" for cf in ws.conditional_formatting for r in cf.rules)


@pytest.mark.libreoffice
def test_libreoffice_keeps_the_list_of_partners(tmp_path):
    require_soffice()
    converted = soffice_convert(saved(tmp_path, replace(SCHEME, partners=PARTNERS)), "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(converted)
    dv = validation_for(wb[MATRIX_SHEET], LAYOUT.metadata_cells["Partner organisation"])
    assert dv.type == "list" and dv.errorStyle == "warning"
    assert listed_names(wb, dv) == list(PARTNERS)


@pytest.mark.libreoffice
def test_libreoffice_agrees_which_entries_the_score_rule_allows(tmp_path):
    """The validation formula, evaluated by a real spreadsheet, accepts exactly the valid scores."""
    require_soffice()
    markers = [spelling for marker in NOT_KNOWN_MARKERS
               for spelling in (marker, marker.upper(), marker.title(), f" {marker.upper()}  ")]
    cases = [(0, True), (5, True), (3, True), (6, False), (-1, False), (2.5, False),
             ("NK", True), ("nk", True), (" Nk ", True), ("N/K", True), ("Unknown", True), ("?", True),
             ("Not  Known", True), *((m, True) for m in markers),
             ("x", False), ("3", False), ("N K", False), ("maybe", False), ("??", False), ("NKK", False)]
    origin = f"{LAYOUT.criteria_cols[0]}{LAYOUT.first_row}"
    wb = openpyxl.Workbook()
    ws = wb.active
    rule = "=" + score_rule(SCHEME, origin)
    rules = [r for cf in build_template(SCHEME)[MATRIX_SHEET].conditional_formatting for r in cf.rules]
    [invalid] = ["=" + r.formula[0] for r in rules if r.formula and "NOT(" in r.formula[0]]
    [grey] = ["=" + r.formula[0] for r in rules if r.formula and r.formula[0] == not_known_rule(origin)]
    for row, (value, _) in enumerate(cases, start=1):
        ws[f"A{row}"] = value
        # A rule written for the template's first score cell, moved to test the value in A.
        for col, formula in zip("BCD", (rule, invalid, grey), strict=True):
            ws[f"{col}{row}"] = Translator(formula, origin=origin).translate_formula(f"A{row}")
    blank = len(cases) + 1
    ws[f"C{blank}"] = Translator(invalid, origin=origin).translate_formula(f"A{blank}")
    path = tmp_path / "rule.xlsx"
    wb.save(path)
    [grid] = calamine_grids(soffice_convert(path, "xlsx", tmp_path / "lo"))
    for row, (value, allowed) in enumerate(cases, start=1):
        assert cached(grid, f"B{row}") is allowed, f"{value!r} allowed should be {allowed}"
        assert cached(grid, f"C{row}") is (not allowed), f"{value!r} highlighted"
        marker = isinstance(value, str) and allowed
        assert cached(grid, f"D{row}") is marker, f"{value!r} shown as not known"
        if isinstance(value, str) and not value.strip().isdigit():
            assert is_not_known(value) is allowed, f"the parser and the rule disagree on {value!r}"
    assert cached(grid, f"C{blank}") is False, "a blank cell is not highlighted"


def test_the_score_rule_accepts_every_not_known_marker_the_parser_reads():
    rule = score_rule(SCHEME, "B9")
    for marker in NOT_KNOWN_MARKERS:
        assert f'LOWER(TRIM(B9))="{marker}"' in rule and f'"{marker}"' in not_known_rule("B9")
    rules = [r.formula[0] for cf in build_template(SCHEME)[MATRIX_SHEET].conditional_formatting
             for r in cf.rules if r.formula]
    assert not_known_rule("B9") in rules  # the grey not-known colour reads the same markers
    # Excel refuses a validation or conditional-format formula over 255 characters.
    assert all(len(formula) <= 255 for formula in (rule, *rules))


@pytest.mark.libreoffice
def test_a_filled_template_reads_back_through_the_parser(tmp_path):
    require_soffice()
    scores = sample_scores()
    filled = fill(saved(tmp_path), tmp_path / "filled.xlsx", scores)
    converted = soffice_convert(filled, "xlsx", tmp_path / "lo")
    ret, findings = parse_return(calamine_grids(converted), Scheme(), "x.xlsx")
    assert ret.partner == "Avon Fire & Rescue" and ret.lead == "Sam Jones" and ret.sheet == MATRIX_SHEET
    names = [p.name for p in SCHEME.priorities] + ["Knife crime"]
    typed = {row: v for row, v in scores.items() if any(x is not None for x in v)}
    # A row of nothing but NK gives no score: warned and left out, never ranked as 0 out of 80.
    unscored = [row for row, v in typed.items() if all(isinstance(x, str) for x in v)]
    assert [(f.code, f.cell) for f in findings if f.code == "priority-not-scored"] == [
        ("priority-not-scored", f"{LAYOUT.priority_col}{row}") for row in unscored]
    scored = {row: v for row, v in typed.items() if row not in unscored}
    expected_names = [names[row - LAYOUT.first_row] for row in sorted(scored)]
    assert [p.name for p in ret.priorities] == expected_names
    for priority, row in zip(ret.priorities, sorted(scored), strict=True):
        values = typed[row]
        assert priority.cell == f"{LAYOUT.priority_col}{row}"
        assert priority.scores == tuple(float(v) if isinstance(v, int) else None for v in values)
        assert priority.not_known == sum(isinstance(v, str) for v in values)
        assert priority.typed_total == expected_total(values, SCHEME.weights)
    not_known = sorted(f.cell for f in findings if f.code == "score-not-known")
    assert not_known == sorted(f"{col}{row}" for row, values in typed.items()
                               for col, v in zip(LAYOUT.criteria_cols, values, strict=True) if isinstance(v, str))
    codes = {f.code for f in findings}
    assert not codes & {"total-mismatch", "score-not-number", "score-out-of-range", "partner-missing",
                        "missing-criterion", "unknown-column", "priority-missing"}


def test_names_from_settings_or_the_command_line_stay_text_never_formulas(tmp_path):
    scheme = Scheme(partnership="=Evil CSP", priorities=(Priority("=SUM(A1) crime"),),
                    criteria=tuple(Criterion(f"=C{i}") if i == 0 else c for i, c in enumerate(Scheme().criteria)))
    wb = build_template(scheme, partner="=1+1 Police")
    formulas = [(ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    total_col = matrix_layout(scheme).total_col
    assert formulas and all(sheet == MATRIX_SHEET and coordinate.startswith(total_col)
                            for sheet, coordinate in formulas)
    matrix = wb[MATRIX_SHEET]
    assert [c.value for row in matrix.iter_rows() for c in row if c.value == "=1+1 Police"] == ["=1+1 Police"]


# ------------------------------------------------------------------ printed as Excel prints it

@pytest.fixture(scope="module")
def printed_templates(tmp_path_factory):
    """The blank template and one for 25 priorities named in 60-90 characters (a 70-character
    partnership, OFFICIAL-SENSITIVE), printed by LibreOffice (with Carlito, Calibri's twin)."""
    from big_partnership import write_partnership
    from printed import pages

    require_soffice()
    folder = tmp_path_factory.mktemp("printed")
    settings, _returns = write_partnership(folder / "big", priorities=25, partners=12)
    assert cli_main(["template", "-o", str(folder / "blank.xlsx")]) == 0
    assert cli_main(["template", "--settings", str(settings), "-o", str(folder / "big.xlsx")]) == 0
    out = {}
    for name in ("blank", "big"):
        pdf = soffice_convert(folder / f"{name}.xlsx", "pdf", folder / "pdf")
        out[name] = (openpyxl.load_workbook(folder / f"{name}.xlsx"), pages(pdf))
    return out


@pytest.mark.libreoffice
@pytest.mark.parametrize("which, most_pages", [("blank", 1), ("big", 3)])
def test_the_matrix_prints_one_page_wide_with_its_title_and_instruction_whole(printed_templates, which,
                                                                            most_pages):
    from printed import smallest

    wb, printed = printed_templates[which]
    ws = wb[MATRIX_SHEET]
    guidance = next(i for i, p in enumerate(printed) if "matrix \u2013 guidance" in " ".join(p.lines()[:4]))
    matrix = printed[:guidance]
    assert 1 <= len(matrix) <= most_pages
    for page in matrix:  # every score column and the TOTAL on every page: one page wide
        words = {w.text for w in page.words}
        assert {"Gap", "achievability", "TOTAL", "Notes"} <= words, page.number
    first = " ".join(matrix[0].lines())
    for cell in ("A1", "A2"):  # the title and the instruction, every word whole, on the first page
        assert all(word in first.split() for word in ws[cell].value.split()), cell
    assert smallest(matrix) >= 8.0


@pytest.mark.libreoffice
@pytest.mark.parametrize("which", ["blank", "big"])
def test_the_guidance_table_keeps_its_header_with_its_rows(printed_templates, which):
    _wb, printed = printed_templates[which]
    [page] = [p for p in printed if "consider" in p.text]
    text = page.text
    assert "Criterion" in text and "Gap in current Picture" in text and "Likelihood of achievability" in text
