"""What goes back: each partner's own workbook, marked, and the email drafts.

The marked copy is compared with the original part by part (only the parts that carry
marks change), read back by openpyxl and by LibreOffice with the notes on their cells;
each .eml is parsed with Python's `email` package, attachments byte for byte.
"""

from __future__ import annotations

import email
import re
import zipfile
from email import policy
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from conftest import require_soffice, soffice_convert
from csprisk.app.cli import main
from csprisk.excel.marked import BOXES, FILLS, Mark, mark_workbook, marked_name
from csprisk.read.settings import load_scheme
from csprisk.scheme import Scheme

LABELS = list(Scheme().labels)
SETTINGS = '''partnership = "Anytown Community Safety Partnership"
period = "2027-28"
protective_marking = "OFFICIAL-SENSITIVE"
executive = ["chair@anytown.example", "vice.chair@anytown.example"]
partners = [{name = "County Fire and Rescue", email = "risk@fire.example"}, "Anytown Police"]
'''


def fire_return(path: Path, partner: str = "County Fire and Rescue", priority: str = "Deliberate fires") -> Path:
    """A partner's return with what partners' workbooks hold: a formula, a validation, a
    defined name, a note of their own, a second sheet; a score of 6 at B6 and a blank at E7."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risk & matrix"
    ws["A1"], ws["B1"] = "Partner organisation", partner
    ws.append([])
    ws.append([])
    ws.append([])
    ws.append(["Priority", *LABELS, "TOTAL (out of 80)"])  # row 5
    ws.append([priority, 6, *[2] * 15, "=SUM(B6:Q6)"])  # row 6: B6 is 6
    ws.append(["Anti-social behaviour", 3, 3, 3, None, *[3] * 12, "=SUM(B7:Q7)"])  # row 7: E7 blank
    ws["R6"].comment = Comment("Typed by the fire analyst", "Fire")
    rule = DataValidation(type="whole", operator="between", formula1="0", formula2="5")
    ws.add_data_validation(rule)
    rule.add("B6:Q30")
    wb.defined_names["scores"] = DefinedName("scores", attr_text="'Risk & matrix'!$B$6:$Q$30")
    wb.create_sheet("Notes")["A1"] = "Scored at the March tasking meeting."
    wb.save(path)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def sheet_part(path: Path, name: str) -> str:
    wb = openpyxl.load_workbook(path)
    return f"xl/worksheets/sheet{wb.sheetnames.index(name) + 1}.xml"


def message(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def test_marked_copy_changes_only_the_parts_that_carry_marks(tmp_path):
    source = fire_return(tmp_path / "fire.xlsx")
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(mark_workbook(source.read_bytes(), [
        Mark("Risk & matrix", "B6", "error", "the score is 6, outside 0 to 5"),
        Mark("Risk & matrix", "E7", "warning", "the score is blank")]))
    before, after = parts(source), parts(marked)
    sheet = sheet_part(source, "Risk & matrix")
    changed = {name for name in before if before[name] != after.get(name)}
    added = set(after) - set(before)
    # The sheet already had a note (R6): its comments and VML parts are appended to, and no part is new.
    assert changed == {sheet, "xl/styles.xml", next(n for n in before if n.startswith("xl/comments")),
                       next(n for n in before if n.endswith(".vml"))}
    assert added == set()
    assert all(after[name] == before[name] for name in before if name not in changed)
    # Values and formulas: every cell of every sheet as it was.
    original, copy = openpyxl.load_workbook(source), openpyxl.load_workbook(marked)
    for ws in original.worksheets:
        assert [[c.value for c in row] for row in ws.iter_rows()] == \
               [[c.value for c in row] for row in copy[ws.title].iter_rows(max_row=ws.max_row, max_col=ws.max_column)]
    ws = copy["Risk & matrix"]
    assert ws["B6"].fill.fgColor.rgb == FILLS["error"] and ws["E7"].fill.fgColor.rgb == FILLS["warning"]
    assert ws["B6"].comment.text == "Please fix: the score is 6, outside 0 to 5"
    assert ws["E7"].comment.text == "Please check: the score is blank"
    assert ws["R6"].comment.text == "Typed by the fire analyst"
    assert ws["C6"].fill.fgColor.rgb != FILLS["error"]  # only the marked cells
    assert ws["B6"].number_format == original["Risk & matrix"]["B6"].number_format
    assert str(copy.defined_names["scores"].attr_text) == "'Risk & matrix'!$B$6:$Q$30"
    assert [str(v.sqref) for v in ws.data_validations.dataValidation] == ["B6:Q30"]


def test_a_sheet_without_notes_gets_its_comments_and_drawing_parts(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Matrix"
    wb.active["B6"] = 6
    wb.save(tmp_path / "plain.xlsx")
    marked = mark_workbook((tmp_path / "plain.xlsx").read_bytes(),
                           [Mark("Matrix", "B6", "error", "six"), Mark("Matrix", "A2", "warning", "a blank row")])
    (tmp_path / "marked.xlsx").write_bytes(marked)
    after = parts(tmp_path / "marked.xlsx")
    assert {"xl/comments1.xml", "xl/drawings/vmlDrawing1.vml", "xl/worksheets/_rels/sheet1.xml.rels"} <= set(after)
    types = after["[Content_Types].xml"].decode()
    assert 'Extension="vml"' in types and 'PartName="/xl/comments1.xml"' in types
    sheet = after["xl/worksheets/sheet1.xml"].decode()
    assert sheet.index("<row r=\"2\">") < sheet.index("<row r=\"6\"")  # the new row in order
    # The notes print at the end (a pageSetup where the schema puts it), and the drawing shows them.
    assert re.search(r"<pageMargins[^>]*/><pageSetup cellComments=\"atEnd\"/>"
                     r"<legacyDrawing [^>]*r:id=\"rId\d+\"/></worksheet>", sheet)
    ws = openpyxl.load_workbook(tmp_path / "marked.xlsx")["Matrix"]
    assert ws["A2"].value is None and ws["A2"].comment.text == "Please check: a blank row"
    assert ws["B6"].value == 6


def test_an_xlsm_keeps_its_macros_and_its_ending(tmp_path):
    source = fire_return(tmp_path / "fire.xlsx")
    macros = bytes(range(256)) * 40  # stands for vbaProject.bin: copied, never read
    xlsm = tmp_path / "fire.xlsm"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "[Content_Types].xml":
                bin_type = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")  # as Excel saves it
                data = data.replace(b"</Types>", bin_type + b"</Types>")
            new.writestr(info, data)
        new.writestr("xl/vbaProject.bin", macros)
    assert marked_name(xlsm) == "fire (checked).xlsm"
    out = tmp_path / "out"
    assert main(["validate", str(xlsm), "--feedback", str(out)]) == 1
    copy = out / "fire (checked).xlsm"
    assert parts(copy)["xl/vbaProject.bin"] == macros
    assert b"macroEnabled" in parts(copy)["[Content_Types].xml"]


def test_validate_feedback_writes_the_marked_copy_and_the_draft_with_it_attached(tmp_path, capsys):
    returns = tmp_path / "returns"
    returns.mkdir()
    fire_return(returns / "fire.xlsx")
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in returns.iterdir()}
    out = tmp_path / "feedback"
    assert main(["validate", str(returns), "--settings", str(settings), "--feedback", str(out)]) == 1
    assert {p.name: p.read_bytes() for p in returns.iterdir()} == before  # the original is never touched
    assert sorted(p.name for p in out.iterdir()) == ["fire (checked).xlsx", "fire.eml"]
    draft = message(out / "fire.eml")
    assert draft["X-Unsent"] == "1"
    assert draft["To"] == "County Fire and Rescue <risk@fire.example>"
    assert draft["Subject"] == ("Anytown Community Safety Partnership strategic assessment 2027-28: "
                                "1 thing to fix and 1 to check in your risk-matrix return (fire.xlsx)")
    body = draft.get_body(("plain",)).get_content()
    assert 'Sheet "Risk & matrix", cell B6: Deliberate fires: the score for "Gap in current Picture" is 6' in body
    assert 'Sheet "Risk & matrix", cell E7: Anti-social behaviour: the score for "Performance issue' in body
    assert '"fire (checked).xlsx"' in body
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_filename() == "fire (checked).xlsx"
    assert attachment.get_content() == (out / "fire (checked).xlsx").read_bytes()
    ws = openpyxl.load_workbook(out / "fire (checked).xlsx")["Risk & matrix"]
    assert ws["B6"].comment.text.startswith('Please fix: Deliberate fires: the score for "Gap in current Picture" is 6')
    assert ws["E7"].fill.fgColor.rgb == FILLS["warning"]


def test_a_draft_counts_what_to_fix_and_what_to_check_apart_and_agrees_with_itself(tmp_path, capsys):
    returns = tmp_path / "returns"
    returns.mkdir()
    fire_return(returns / "fire.xlsx")  # a 6 (to fix) and a blank (to check)
    wb = openpyxl.load_workbook(fire_return(returns / "police.xlsx", partner="Anytown Police"))
    wb["Risk & matrix"]["B6"] = 2  # only the blank is left: nothing to fix
    wb.save(returns / "police.xlsx")
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    out = tmp_path / "feedback"
    main(["validate", str(returns), "--settings", str(settings), "--feedback", str(out)])
    capsys.readouterr()
    police, fire = message(out / "police.eml"), message(out / "fire.eml")
    assert police["Subject"].endswith(": nothing to fix, 1 thing to check in your risk-matrix return (police.xlsx)")
    body = police.get_body(("plain",)).get_content()
    assert "There is nothing to fix: all your valid scores were used. Please check the 1 point below" in body
    assert "Please fix (these scores could not be used):" not in body and "Please check:" in body
    assert 'each cell listed under "Please check" has a thick box and is filled (blue: please check)' in (
        " ".join(body.split())) and "Please fix" not in body
    assert fire["Subject"].endswith(": 1 thing to fix and 1 to check in your risk-matrix return (fire.xlsx)")
    body = fire.get_body(("plain",)).get_content()
    assert "We found 1 thing to fix: it stops some of your scores being used." in body
    assert "There is also 1 thing to check." in body
    # Only what is to fix or to check is marked; what is for their information is not said to be.
    assert 'each cell listed under "Please fix" or "Please check" has a thick box' in " ".join(body.split())
    assert "each of these cells is filled" not in body


def test_partner_words_leave_out_what_the_analyst_must_do(tmp_path, capsys):
    returns = tmp_path / "returns"
    returns.mkdir()
    fire_return(returns / "fire.xlsx", partner="Anytown Police Service", priority="Deliberate fire")
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    (returns / "late.xlsx").write_bytes(b"")
    assert main(["validate", str(returns), "--settings", str(settings), "--feedback", str(tmp_path / "fb")]) == 1
    printed = capsys.readouterr().out
    assert 'add "Anytown Police Service" as an alias of "Anytown Police"' in printed  # the analyst's action
    assert 'add "Deliberate fire" as an alias of "Deliberate fires"' in printed
    bodies = {p.name: message(p).get_body(("plain",)).get_content() for p in (tmp_path / "fb").glob("*.eml")}
    for text in bodies.values():
        for analyst_only in ("Ask the partner", "ask the partner", "alias", "[[priorities]]", "partners = [",
                             "Remove the file", "from the inputs"):
            assert analyst_only not in text
    assert 'the partnership lists you as "Anytown Police". Please type "Anytown Police"' in bodies["fire.eml"]
    assert 'If you mean the same issue, please call it "Deliberate fires"' in bodies["fire.eml"]
    assert "The file we received is empty (0 bytes)" in bodies["late.eml"]
    assert not bodies["late.eml"].startswith("late:") and bodies["late.eml"].startswith("Hello,")
    assert message(tmp_path / "fb" / "late.eml")["To"] is None  # no address known: the analyst fills it in


def test_a_hostile_name_or_cell_text_can_neither_add_a_header_nor_become_a_formula(tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    hostile = "Fire\r\nBcc: everyone@example.org\nX-Evil: 1"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Risk matrix"
    ws["A1"], ws["B1"] = "Partner organisation", hostile
    ws.append(["Priority", *LABELS])
    ws.append(["Hate crime\r\nBcc: x@example.org", *[2] * 16])
    ws["C3"] = '=HYPERLINK("http://evil.example","click")'
    ws["D3"] = "<script>&amp;"
    wb.save(returns / "fire.xlsx")
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.replace('email = "risk@fire.example"', 'email = "a@b.example\\r\\nBcc: c@d.example"'),
                        encoding="utf-8")
    out = tmp_path / "fb"
    main(["validate", str(returns), "--settings", str(settings), "--feedback", str(out)])
    raw = (out / "fire.eml").read_bytes()
    draft = message(out / "fire.eml")
    assert draft["Bcc"] is None and draft["X-Evil"] is None
    assert set(draft.keys()) <= {"To", "Subject", "X-Unsent", "MIME-Version", "Content-Type"}
    assert b"\r\nBcc:" not in raw and b"\nX-Evil" not in raw
    assert "\n" not in draft["Subject"]
    before = parts(returns / "fire.xlsx")
    after = parts(out / "fire (checked).xlsx")
    formulas = [len(re.findall(rb"<f[ >]", data)) for data in (before["xl/worksheets/sheet1.xml"],
                                                                   after["xl/worksheets/sheet1.xml"])]
    assert formulas[0] == formulas[1] == 1  # theirs, kept; none added
    notes = after[next(n for n in after if n.startswith("xl/comments"))].decode()
    assert "<script>" not in notes and "&lt;script&gt;&amp;amp;" in notes


def test_export_email_writes_the_executives_draft_beside_the_copy(tmp_path, capsys):
    from csprisk.app.demo import write_example_returns

    scheme = load_scheme(Path(__file__).parents[1] / "src/csprisk/app/demo_settings.toml")
    write_example_returns(tmp_path / "returns", scheme)
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    ranked, copy = tmp_path / "ranked.xlsx", tmp_path / "out" / "For the executive.xlsx"
    assert main(["merge", str(tmp_path / "returns"), "--settings", str(settings), "-o", str(ranked)]) in (0, 1)
    capsys.readouterr()
    assert main(["export", str(ranked), "-o", str(copy), "--email", "--settings", str(settings)]) == 0
    draft = message(tmp_path / "out" / "For the executive.eml")
    assert draft["Subject"] == ("OFFICIAL-SENSITIVE: Anytown Community Safety Partnership strategic assessment "
                                "2027-28: recommended priorities")
    assert draft["To"] == "chair@anytown.example, vice.chair@anytown.example"
    assert draft["X-Unsent"] == "1"
    body = draft.get_body(("plain",)).get_content()
    summary = openpyxl.load_workbook(copy)["Summary"]
    recommended = [row[1] for row in summary.iter_rows(values_only=True) if "Recommended" in row and row[0] != "Rank"]
    assert len(recommended) == 3 and all(name in body for name in recommended)
    assert "Returned by " in body and "Method: Each criterion scored as a whole number from 0 to 5" in body
    assert "the ranked summary of the Anytown Community Safety Partnership strategic assessment 2027-28" in body
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_filename() == "For the executive.xlsx" and attachment.get_content() == copy.read_bytes()
    assert "Wrote the executive's email draft" in capsys.readouterr().out


@pytest.mark.libreoffice
def test_libreoffice_shows_the_notes_on_their_cells_and_prints_the_marks(tmp_path):
    require_soffice()
    source = fire_return(tmp_path / "fire.xlsx")
    resaved = soffice_convert(source, "xlsx", tmp_path / "resaved")  # a return as LibreOffice saves it
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(mark_workbook(resaved.read_bytes(), [
        Mark("Risk & matrix", "B6", "error", "six is outside 0 to 5"),
        Mark("Risk & matrix", "E7", "warning", "blank"),
        Mark("Risk & matrix", "R6", "warning", "check the total")]))
    back = soffice_convert(marked, "ods", tmp_path / "ods")
    again = soffice_convert(back, "xlsx", tmp_path / "again")
    ws = openpyxl.load_workbook(again)["Risk & matrix"]
    assert ws["B6"].value == 6 and ws["B6"].comment.text.replace("\n", " ").startswith("Please fix: six is")
    assert ws["E7"].value is None and "Please check: blank" in ws["E7"].comment.text
    assert "Typed by the fire analyst" in ws["R6"].comment.text and "check the total" in ws["R6"].comment.text
    assert ws["R6"].value == "=SUM(B6:Q6)"
    assert ws["B6"].fill.fgColor.rgb.endswith(FILLS["error"][2:])
    # Printed, the marks show: the boxes' dark red and dark amber are on the page, and on none of the original's.
    printed = {name: _colours_printed(soffice_convert(path, "pdf", tmp_path / name), tmp_path / name)
               for name, path in (("original", resaved), ("marked", marked))}
    for colour in (BOXES["error"], BOXES["warning"]):
        assert printed["original"][colour] == 0 and printed["marked"][colour] > 20


def _colours_printed(pdf: Path, folder: Path, colours: tuple[str, ...] = tuple(BOXES.values())) -> dict[str, int]:
    """How many pixels of page 1, rendered by poppler, are (nearly) each of `colours` (the boxes')."""
    import shutil
    import subprocess

    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed: the printed page cannot be looked at")
    subprocess.run(["pdftoppm", "-r", "72", "-f", "1", "-l", "1", str(pdf), str(folder / "page")], check=True)
    data = next(folder.glob("page*.ppm")).read_bytes()
    header = re.match(rb"P6\s+\d+\s+\d+\s+\d+\s", data)  # binary PPM: P6, width, height, maxval
    assert header is not None
    pixels = data[header.end():]
    wanted = {colour: tuple(int(colour[i:i + 2], 16) for i in (2, 4, 6)) for colour in colours}
    counts = dict.fromkeys(wanted, 0)
    for i in range(0, len(pixels) - 2, 3):
        rgb = pixels[i], pixels[i + 1], pixels[i + 2]
        for colour, target in wanted.items():
            if all(abs(a - b) <= 24 for a, b in zip(rgb, target, strict=True)):
                counts[colour] += 1
    return counts


def template_return(folder: Path) -> tuple[Path, list[Mark]]:
    """A return made from our own template (its colour scale paints every score), scored, with
    a 6, a 4.5 and a blank, and the marks for them."""
    from csprisk.excel.template import MATRIX_SHEET, matrix_layout, write_template

    scheme = Scheme()
    write_template(folder / "template.xlsx", scheme)
    wb = openpyxl.load_workbook(folder / "template.xlsx")
    ws, layout = wb[MATRIX_SHEET], matrix_layout(scheme)
    top, columns = layout.first_row, layout.criteria_cols
    for row in range(top, top + 4):
        for i, column in enumerate(columns):
            ws[f"{column}{row}"] = (row + i) % 6
    ws[f"{columns[1]}{top}"], ws[f"{columns[2]}{top + 1}"], ws[f"{columns[3]}{top + 2}"] = 6, 4.5, None
    wb.save(folder / "filled.xlsx")
    return folder / "filled.xlsx", [
        Mark(MATRIX_SHEET, f"{columns[1]}{top}", "error", "the score is 6, outside 0 to 5"),
        Mark(MATRIX_SHEET, f"{columns[2]}{top + 1}", "error", "the score is 4.5, not a whole number"),
        Mark(MATRIX_SHEET, f"{columns[3]}{top + 2}", "warning", "the score is blank")]


def test_marks_come_before_the_sheets_own_colour_scale_and_the_notes_print_at_the_end(tmp_path):
    source, marks = template_return(tmp_path)
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(mark_workbook(source.read_bytes(), marks))
    sheet = parts(marked)["xl/worksheets/sheet1.xml"].decode()
    before = parts(source)["xl/worksheets/sheet1.xml"].decode()
    rules = re.findall(r'<conditionalFormatting sqref="([^"]*)"><cfRule ([^>]*)>', sheet)
    # Ours first, one per severity, stopping every rule after it; theirs kept in order after ours.
    assert [sqref for sqref, _ in rules[:2]] == ["C9 D10", "E11"]
    assert all(f'priority="{i + 1}"' in rule and 'stopIfTrue="1"' in rule for i, (_s, rule) in enumerate(rules[:2]))
    theirs = [int(n) for n in re.findall(r'<cfRule [^>]*priority="(\d+)"', before)]
    assert [int(n) for n in re.findall(r'<cfRule [^>]*priority="(\d+)"', sheet)] == [1, 2, *[n + 2 for n in theirs]]
    assert "colorScale" in sheet
    assert re.search(r'<pageSetup [^>]*cellComments="atEnd"', sheet)
    ws = openpyxl.load_workbook(marked)["Risk matrix"]
    assert ws.conditional_formatting  # openpyxl reads it back
    assert ws["C9"].border.left.style == "thick" and ws["C9"].border.left.color.rgb == BOXES["error"]


@pytest.mark.libreoffice
def test_a_marked_score_prints_in_the_marks_colour_not_the_scales(tmp_path):
    require_soffice()
    source, marks = template_return(tmp_path)
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(mark_workbook(source.read_bytes(), marks))
    colours = (*FILLS.values(), *BOXES.values())
    printed = {name: _colours_printed(soffice_convert(path, "pdf", tmp_path / name), tmp_path / name, colours)
               for name, path in (("original", source), ("marked", marked))}
    for colour in colours:  # neither the template nor its colour scale uses the marks' colours
        assert printed["original"][colour] == 0 and printed["marked"][colour] > 20, colour


# ------------------------------------------------------------------ the same from Excel

def test_the_excel_scripts_write_the_marked_copies_and_drafts_beside_the_workbook(tmp_path):
    """Run as xlwings Lite and Server run them (xlwings' own Office.js dispatch); a desktop
    workbook's full name is its path, so files go beside it (in Lite: into its Files)."""
    from officejs import apply_actions, book_json, copy_returns_into, run_coroutine, server_xlwings

    xw, udfs = server_xlwings()
    import xlwings.server as server

    from csprisk.excel.analyst_workbook import build_analyst_workbook

    scheme = load_scheme(Path(__file__).parents[1] / "src/csprisk/app/demo_settings.toml")
    returns = tmp_path / "returns"
    returns.mkdir()
    fire_return(returns / "fire.xlsx")
    analyst = tmp_path / "analyst.xlsx"
    wb = build_analyst_workbook(scheme)
    copy_returns_into(wb, [])
    ws = wb["Settings"]
    row = next(c.row for c in ws["A"] if c.value == "Executive email")
    ws.cell(row=row, column=2, value="chair@anytown.example")
    wb.save(analyst)
    before = (returns / "fire.xlsx").read_bytes()

    def run(name):
        book = xw.Book(json=book_json(analyst, name=str(analyst), xw=xw))
        run_coroutine(server.custom_scripts_call(udfs, name, typehint_to_value={xw.Book: book}))
        return apply_actions(analyst, book.json()["actions"]).alerts[0]["prompt"]

    said = run("feedback_for_partners")
    assert "Wrote 1 email draft (.eml) and 1 marked workbook (checked) in " + str(tmp_path) in said
    assert (returns / "fire.xlsx").read_bytes() == before
    draft = message(tmp_path / "fire.eml")
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_content() == (tmp_path / "fire (checked).xlsx").read_bytes()
    assert "cell B6" in draft.get_body(("plain",)).get_content()
    said = run("export_for_executive")
    assert "Wrote the email draft analyst - for the executive.eml beside it" in said
    executive = message(tmp_path / "analyst - for the executive.eml")
    assert executive["To"] == "chair@anytown.example" and executive["Subject"].startswith("OFFICIAL: ")
    (attachment,) = list(executive.iter_attachments())
    assert attachment.get_content() == (tmp_path / "analyst - for the executive.xlsx").read_bytes()


def test_the_settings_sheet_gives_each_partner_an_email_and_the_executive_addresses():
    from csprisk.scheme import scheme_from_mapping
    from csprisk.scheme.settings_sheet import PARTNER_HEADER, settings_from_rows, settings_rows

    scheme = scheme_from_mapping({"partners": [{"name": "Anytown Police", "aliases": ["Police"],
                                                "email": "risk@police.example"}, "Anytown Council"],
                                  "executive": "chair@anytown.example; cx@anytown.example"})
    assert scheme.partner_email("Police") == "risk@police.example" and scheme.partner_email("Anytown Council") == ""
    rows = settings_rows(scheme)
    assert list(PARTNER_HEADER) in rows and ["Anytown Police", "Police", "risk@police.example"] in rows
    again = scheme_from_mapping(settings_from_rows(rows))
    assert again.partner_emails == scheme.partner_emails == (("Anytown Police", "risk@police.example"),)
    assert again.executive == scheme.executive == ("chair@anytown.example", "cx@anytown.example")


def test_the_checked_copy_is_still_their_return_with_the_same_findings(tmp_path, capsys):
    import json

    source = fire_return(tmp_path / "fire.xlsx")
    assert main(["validate", str(source), "--feedback", str(tmp_path / "fb")]) == 1
    capsys.readouterr()
    found = {}
    for path in (source, tmp_path / "fb" / "fire (checked).xlsx"):
        assert main(["validate", str(path), "--json"]) == 1
        found[path.name] = [(f["code"], f["sheet"], f["cell"], f["value"])
                            for f in json.loads(capsys.readouterr().out)["findings"]]
    assert found["fire.xlsx"] == found["fire (checked).xlsx"]
    assert ("score-out-of-range", "Risk & matrix", "B6", 6) in found["fire.xlsx"]


@pytest.mark.libreoffice
def test_an_ods_return_gets_the_draft_only_and_the_analyst_is_told(tmp_path, capsys):
    require_soffice()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Priority", *LABELS])
    ws.append(["Hate crime", 9, *[2] * 15])
    wb.save(tmp_path / "police.xlsx")
    returns = tmp_path / "returns"
    soffice_convert(tmp_path / "police.xlsx", "ods", returns)  # the partner's return, saved as .ods
    assert main(["validate", str(returns), "--feedback", str(tmp_path / "fb")]) == 1
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == ["police.eml"]
    assert "police.ods is not an .xlsx or .xlsm workbook, so it was not marked" in capsys.readouterr().err
    body = message(tmp_path / "fb" / "police.eml").get_body(("plain",)).get_content()
    assert 'Sheet "Sheet", cell B2: Hate crime: the score for "Gap in current Picture" is 9' in body
    assert "attached" not in body


def test_parts_written_with_a_namespace_prefix_are_marked_in_kind(tmp_path):
    """Some generators write <x:worksheet xmlns:x=...>: what is added carries the same prefix."""
    wb = openpyxl.Workbook()
    wb.active.title = "Matrix"
    wb.active["B6"] = 6
    wb.save(tmp_path / "plain.xlsx")
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as old, zipfile.ZipFile(prefixed, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename in ("xl/worksheets/sheet1.xml", "xl/styles.xml"):
                text = data.decode()
                text = re.sub(r"<(/?)(?!\?)(\w+)(?=[\s/>])", r"<\1x:\2", text)
                text = text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                                    'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
                data = text.encode()
            new.writestr(info, data)
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(mark_workbook(prefixed.read_bytes(), [Mark("Matrix", "B6", "error", "six"),
                                                             Mark("Matrix", "C7", "warning", "blank")]))
    sheet = parts(marked)["xl/worksheets/sheet1.xml"].decode()
    assert '<x:c r="C7" s=' in sheet and "<x:legacyDrawing " in sheet and "<x:fill>" in parts(marked)[
        "xl/styles.xml"].decode()
    ws = openpyxl.load_workbook(marked)["Matrix"]
    assert ws["B6"].value == 6 and ws["B6"].fill.fgColor.rgb == FILLS["error"]
    assert ws["C7"].comment.text == "Please check: blank"


@pytest.mark.pyodide
@pytest.mark.parametrize("version", ["314.0.8"])
def test_in_real_pyodide_feedback_for_partners_writes_into_lites_files(version, tmp_path):
    """The analyst workbook's main.py in Pyodide under Node, as xlwings Lite runs it: the
    marked copy and the draft land in /data (Lite's Files), to download."""
    import json
    import shutil

    import pyodide_env
    from csprisk.excel import lite
    from officejs import REPO, book_json, server_xlwings

    xw, _udfs = server_xlwings()
    line = lite.PYODIDE_LINES[version]
    pyodide_env.require(line)
    workbook = tmp_path / "CSP assessment.xlsx"
    assert main(["workbook", "-o", str(workbook), "--pyodide", version]) == 0
    code = lite.read_lite_code(workbook)
    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    (data / "returns").mkdir(parents=True)
    (work / "main.py").write_text(code.main)
    shutil.copy(REPO / "tests" / "pyodide_lite_driver.py", work)
    fire_return(data / "returns" / "fire.xlsx")
    before = (data / "returns" / "fire.xlsx").read_bytes()
    book = book_json(workbook, name=workbook.name, xw=xw)
    (work / "request.json").write_text(json.dumps({"scripts": [{"name": "feedback_for_partners", "book": book}]}))
    run = pyodide_env.run_script(
        line, "/work/pyodide_lite_driver.py", "/work/main.py", "/work/request.json", "/work/result.json",
        wheels=pyodide_env.resolve(line, pyodide_env.requirement_lines(code.requirements)),
        mounts={str(work): "/work", str(data): "/data"},
        env={"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"})
    assert run.returncode == 0, run.stdout + run.stderr
    (script,) = json.loads((work / "result.json").read_text())["scripts"]
    (alert,) = [a for a in script["actions"] if a["func"] == "alert"]
    assert "in xlwings Lite's Files (menu > Files > Import/Export), where you can download it" in alert["args"][0]
    assert sorted(p.name for p in data.iterdir() if p.is_file()) == ["fire (checked).xlsx", "fire.eml"]
    assert (data / "returns" / "fire.xlsx").read_bytes() == before
    (attachment,) = list(message(data / "fire.eml").iter_attachments())
    assert attachment.get_content() == (data / "fire (checked).xlsx").read_bytes()
    ws = openpyxl.load_workbook(data / "fire (checked).xlsx")["Risk & matrix"]
    assert ws["B6"].fill.fgColor.rgb == FILLS["error"] and ws["B6"].comment.text.startswith("Please fix:")
