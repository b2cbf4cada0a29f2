"""The .xlsx writer: what goes in the report model comes back out of the file."""

from __future__ import annotations

import datetime as dt
import errno
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from csprisk.excel import xlsx_writer
from csprisk.excel.output import OutputError, OutputLockedError
from csprisk.excel.xlsx_writer import MARKING_PROPERTY, build_workbook, write_report
from csprisk.report.model import BarChart, Cell, ColourScale, Report, Sheet

LOOKS_LIKE_FORMULAS = ["=1+1 was our estimate", '=HYPERLINK("http://evil.example","click")',
                       "@SUM(A1)", "#N/A", "+44 117 922 2000", "-5 (typed by hand)"]
SCORES = [("Knife crime", 12.0), ("Domestic abuse", 18.5), ("Antisocial behaviour", 9.0),
          ("Fraud", 4.5)]


def sample_report() -> Report:
    """A small report that uses every feature of the model once."""
    summary = Sheet("Summary", tab_colour="1F3864")
    summary.put(0, 0, "Ranked risks", "title")
    summary.merged.append("A1:C1")
    for col, text in enumerate(LOOKS_LIKE_FORMULAS):
        summary.put(1, col, text, "wrap")
    summary.next_row = 3
    summary.add_row(["Risk", "Score", "Share"], "header")
    for name, score in SCORES:
        summary.add_row([name, score, score / 44], ["text", "score", "percent"])
    summary.add_row(["Total", sum(score for _, score in SCORES), 1.0], ["label", "total", "percent"])
    summary.add_row([Cell("See the details", "link", link="#'Details'!A1"),
                     Cell("Guidance", "link", link="https://www.gov.uk/government/publications")])
    summary.add_row([dt.datetime(2024, 3, 31, 17, 45), dt.date(2024, 4, 1), True, 7, math.nan],
                    ["datetime", "", "", "number", ""])
    summary.put(11, 0, None, "header")  # a styled blank
    summary.put(11, 1, "bell\x07 in the text", "")
    summary.column_widths = {0: 30, 1: 12.5}
    summary.row_heights = {3: 30}
    summary.freeze = "A5"
    summary.autofilter = "A4:C8"
    summary.print_title_rows = "4:4"
    summary.colour_scales.append(ColourScale("B5:B8", low=0, high=25))
    summary.charts.append(BarChart("Scores by risk", categories="A5:A8", values="B5:B8",
                                   anchor="E4", y_title="Combined score", y_max=25,
                                   width_cm=20, height_cm=9))

    details = Sheet("Details", landscape=False, fit_width=False)
    details.add_row(["Partner", "Risk"], "header")
    details.add_row(["Police", "Knife crime"], "text")
    return Report([summary, details], title="Ranked risks 2024", subject="CSP strategic assessment",
                  author="csprisk", marking="OFFICIAL", footer="Safer Bristol & partners")


@pytest.fixture(scope="module", params=["openpyxl cells", "rows written as XML"])
def written(request, tmp_path_factory):
    """Every test of the file runs twice: small sheets get openpyxl cells, big ones (here
    forced) have their rows written as XML; both must come back the same."""
    path = tmp_path_factory.mktemp("report") / "ranked.xlsx"
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "rows written as XML":
            patch.setattr(xlsx_writer, "STREAM_CELLS", 0)
        assert write_report(sample_report(), path) == path
    return path


@pytest.fixture(scope="module")
def book(written):
    return openpyxl.load_workbook(written)


# --- values -------------------------------------------------------------------------------


def test_plain_strings_stay_text_even_when_they_look_like_formulas(book):
    ws = book["Summary"]
    for col, text in enumerate(LOOKS_LIKE_FORMULAS, start=1):
        cell = ws.cell(row=2, column=col)
        assert cell.value == text
        assert cell.data_type == "s"


def test_report_values_are_values_never_formulas(book):
    # Every figure is computed by csprisk and written as a value, so the executive copy
    # shows the same number in any program, recalculated or not.
    for ws in book.worksheets:
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"], ws.title


def test_numbers_dates_and_booleans_keep_their_types(book):
    ws = book["Summary"]
    assert ws["B5"].value == 12.0 and ws["B5"].data_type == "n"
    assert ws["A11"].value == dt.datetime(2024, 3, 31, 17, 45)
    assert ws["B11"].value == dt.datetime(2024, 4, 1)
    assert ws["C11"].value is True and ws["C11"].data_type == "b"
    assert ws["D11"].value == 7


def test_not_a_number_becomes_an_excel_error_not_a_broken_file(book):
    assert book["Summary"]["E11"].value == "#N/A"
    assert book["Summary"]["E11"].data_type == "e"


def test_numpy_and_pandas_values_are_written_as_plain_values(tmp_path):
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    sheet = Sheet("S")
    sheet.add_row([np.int64(3), np.float64(2.5), np.bool_(True), np.float64("nan"), pd.NaT,
                   pd.Timestamp("2024-03-31 09:00", tz="Europe/London"), math.inf])
    ws = openpyxl.load_workbook(write_report(Report([sheet]), tmp_path / "np.xlsx"))["S"]
    assert [c.value for c in ws[1]] == [3, 2.5, True, "#N/A", "#N/A", dt.datetime(2024, 3, 31, 9),
                                        "#NUM!"]
    assert [c.data_type for c in ws[1]] == ["n", "n", "b", "e", "e", "d", "e"]


def test_characters_excel_cannot_store_are_dropped(book):
    assert book["Summary"]["B12"].value == "bell in the text"


# --- styles -------------------------------------------------------------------------------


def test_header_style_is_bold_white_on_navy_with_border_and_wrap(book):
    cell = book["Summary"]["A4"]
    assert cell.font.b is True
    assert cell.font.color.rgb.endswith("FFFFFF")
    assert cell.fill.fill_type == "solid"
    assert cell.fill.fgColor.rgb.endswith("1F3864")
    assert cell.alignment.wrap_text is True
    assert cell.alignment.vertical == "center"
    assert cell.border.left.style == cell.border.bottom.style == "thin"


def test_title_size_note_style_and_number_formats(book):
    ws = book["Summary"]
    assert ws["A1"].font.sz == 16 and ws["A1"].font.b
    assert ws["B5"].number_format == "0.0"
    assert ws["B5"].alignment.horizontal == "center"
    assert ws["C5"].number_format == "0%"
    assert ws["A11"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["A5"].number_format == "General"
    assert ws["A5"].font.b is False
    assert ws["A5"].fill.fill_type is None


def test_a_styled_blank_keeps_its_style(book):
    cell = book["Summary"]["A12"]
    assert cell.value is None
    assert cell.fill.fgColor.rgb.endswith("1F3864")


def test_cells_of_one_style_share_one_style_record(tmp_path):
    sheet = Sheet("Many")
    for row in range(2000):
        sheet.add_row([f"risk {row}", row, row / 7], ["text", "number", "score"])
    path = write_report(Report([sheet]), tmp_path / "many.xlsx")
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml").decode()
    # the default record plus one per style name used
    assert re.search(r'<cellXfs count="(\d+)"', styles).group(1) == "4"


def test_an_unknown_style_name_is_a_bug_caught_before_writing(tmp_path):
    sheet = Sheet("S")
    sheet.put(0, 0, "x", "no-such-style")
    with pytest.raises(KeyError, match="no-such-style"):
        write_report(Report([sheet]), tmp_path / "out.xlsx")
    assert list(tmp_path.iterdir()) == []


# --- layout and print ---------------------------------------------------------------------


def test_widths_heights_freeze_and_autofilter(book):
    ws = book["Summary"]
    assert ws.column_dimensions["A"].width == 30
    assert ws.column_dimensions["B"].width == 12.5
    assert ws.row_dimensions[4].height == 30
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:C8"


def test_merged_ranges_and_tab_colour(book):
    ws = book["Summary"]
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:C1"]
    assert ws.sheet_properties.tabColor.rgb.endswith("1F3864")


def test_landscape_sheet_fits_one_page_wide_and_repeats_its_header_row(book):
    ws = book["Summary"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$4:$4"


def test_portrait_sheet_without_fitting(book):
    ws = book["Details"]
    assert ws.page_setup.orientation == "portrait"
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)


def test_marking_in_header_and_footer_with_page_numbers_and_footer_text(book):
    for ws in book.worksheets:
        assert ws.oddHeader.center.text == "OFFICIAL"
        assert ws.oddFooter.center.text == "OFFICIAL"
        assert ws.oddFooter.right.text == "Page &P of &N"
        # "&" is a control character in headers and footers; a literal one is doubled
        assert ws.oddFooter.left.text == "Safer Bristol && partners"


def test_without_a_marking_the_footer_still_numbers_pages(tmp_path):
    sheet = Sheet("S")
    sheet.put(0, 0, "x")
    path = write_report(Report([sheet]), tmp_path / "plain.xlsx")
    ws = openpyxl.load_workbook(path)["S"]
    assert not ws.oddHeader.center.text
    assert ws.oddFooter.right.text == "Page &P of &N"
    assert openpyxl.load_workbook(path).custom_doc_props.names == ["csprisk workbook"]  # only the mark


def test_colour_scale_is_a_three_colour_conditional_format(book):
    formats = book["Summary"].conditional_formatting
    (entry,) = list(formats)
    assert str(entry.sqref) == "B5:B8"
    (rule,) = entry.rules
    scale = rule.colorScale
    assert [v.type for v in scale.cfvo] == ["num", "num", "num"]
    assert [float(v.val) for v in scale.cfvo] == [0, 12.5, 25]
    assert [c.rgb[-6:] for c in scale.color] == ["F8F8F8", "FFD966", "E06666"]


def test_bar_chart_reads_categories_and_values_from_its_sheet(book):
    (chart,) = book["Summary"]._charts
    (series,) = chart.series
    assert series.val.numRef.f == "'Summary'!$B$5:$B$8"
    assert series.cat.numRef.f == "'Summary'!$A$5:$A$8"
    assert chart.y_axis.scaling.max == 25
    assert chart.y_axis.delete is False
    title = "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))
    assert title == "Scores by risk"
    axis_title = "".join(run.t for p in chart.y_axis.title.tx.rich.p for run in (p.r or []))
    assert axis_title == "Combined score"
    assert chart.anchor._from.col == 4 and chart.anchor._from.row == 3  # E4, 0-based


def test_bar_chart_size_is_in_centimetres():
    chart = build_workbook(sample_report())["Summary"]._charts[0]
    assert (chart.width, chart.height) == (20, 9)


def test_hyperlinks_to_a_place_in_the_workbook_and_to_the_web(book):
    ws = book["Summary"]
    assert ws["A10"].hyperlink.location == "'Details'!A1"
    assert ws["A10"].hyperlink.target is None
    assert ws["B10"].hyperlink.target == "https://www.gov.uk/government/publications"
    assert ws["A10"].value == "See the details"


def test_document_properties_and_marking(book):
    assert book.properties.title == "Ranked risks 2024"
    assert book.properties.subject == "CSP strategic assessment"
    assert book.properties.creator == "csprisk"
    assert book.custom_doc_props[MARKING_PROPERTY].value == "OFFICIAL"


def test_sheets_keep_their_order_and_names(book):
    assert book.sheetnames == ["Summary", "Details"]


def test_two_sheets_with_one_name_are_refused():
    with pytest.raises(ValueError, match="details"):
        build_workbook(Report([Sheet("Details"), Sheet("details")]))


# --- writing safely -----------------------------------------------------------------------


def leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_missing_folders_are_created(tmp_path):
    target = tmp_path / "out" / "2024" / "ranked.xlsx"
    write_report(sample_report(), target)
    assert openpyxl.load_workbook(target).sheetnames == ["Summary", "Details"]
    assert leftovers(target.parent, {"ranked.xlsx"}) == []


def test_an_existing_report_is_replaced(tmp_path):
    target = tmp_path / "ranked.xlsx"
    target.write_bytes(b"old report")
    write_report(sample_report(), target)
    assert openpyxl.load_workbook(target).properties.title == "Ranked risks 2024"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_new_report_gets_ordinary_permissions_not_private_temp_ones(tmp_path):
    target = write_report(sample_report(), tmp_path / "ranked.xlsx")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == (0o666 & ~umask) | 0o600  # the owner keeps read/write


@pytest.mark.parametrize("error, raised", [
    (OSError(errno.ENOSPC, "No space left on device"), OutputError),
    (RuntimeError("bug in the middle of saving"), RuntimeError),
])
def test_a_failure_mid_write_leaves_the_old_file_byte_identical(tmp_path, monkeypatch, error, raised):
    target = tmp_path / "ranked.xlsx"
    write_report(sample_report(), target)
    before = target.read_bytes()

    def half_save(self, stream):
        stream.write(b"PK\x03\x04 half a zip")
        raise error

    monkeypatch.setattr(Workbook, "save", half_save)
    with pytest.raises(raised) as caught:
        write_report(sample_report(), target)
    assert target.read_bytes() == before
    assert leftovers(tmp_path, {"ranked.xlsx"}) == []
    if raised is OutputError:
        assert "disk is full" in str(caught.value)


def test_a_failure_mid_write_creates_no_file_when_there_was_none(tmp_path, monkeypatch):
    def failing_save(self, stream):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", failing_save)
    with pytest.raises(OutputError):
        write_report(sample_report(), tmp_path / "ranked.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lock_name", ["~$ranked.xlsx", ".~lock.ranked.xlsx#"])
def test_a_report_open_in_excel_or_libreoffice_is_left_alone(tmp_path, lock_name):
    target = tmp_path / "ranked.xlsx"
    target.write_bytes(b"the report someone is reading")
    (tmp_path / lock_name).write_text("owner")
    with pytest.raises(OutputLockedError) as caught:
        write_report(sample_report(), target)
    message = str(caught.value)
    assert "ranked.xlsx" in message
    assert "Close it in Excel and try again" in message
    assert "-o" in message
    assert target.read_bytes() == b"the report someone is reading"
    assert leftovers(tmp_path, {"ranked.xlsx", lock_name}) == []


def test_a_replace_refused_by_the_system_is_reported_as_locked(tmp_path, monkeypatch):
    target = tmp_path / "ranked.xlsx"
    target.write_bytes(b"open in Excel on Windows")

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "The process cannot access the file")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputLockedError, match="Close it in Excel and try again"):
        write_report(sample_report(), target)
    assert target.read_bytes() == b"open in Excel on Windows"
    assert leftovers(tmp_path, {"ranked.xlsx"}) == []


def test_locked_is_a_kind_of_output_error():
    assert issubclass(OutputLockedError, OutputError)


def test_a_folder_as_target_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="folder"):
        write_report(sample_report(), tmp_path)


def _read_only_folder_check(folder: str) -> None:
    """Writing into a read-only folder: a plain OutputError, not 'locked', and nothing left."""
    from pathlib import Path

    from csprisk.excel.xlsx_writer import write_report

    folder = Path(folder)
    try:
        write_report(sample_report(), folder / "ranked.xlsx")
    except OutputLockedError:
        raise AssertionError("a read-only folder is not a locked file") from None
    except OutputError as error:
        assert "permission" in str(error), error
    else:
        raise AssertionError("writing into a read-only folder succeeded")
    assert list(folder.iterdir()) == []


@pytest.mark.subprocess
def test_a_read_only_folder_gives_a_plain_output_error(tmp_path):
    folder = tmp_path / "locked-down"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if not os.access(folder, os.W_OK):
            _read_only_folder_check(str(folder))
            return
        # Root ignores folder permissions; without the capabilities that let it, it cannot.
        setpriv = shutil.which("setpriv")
        if os.geteuid() != 0 or setpriv is None:
            pytest.skip("folder permissions are not enforced for this user, and setpriv is missing")
        code = ("import sys; sys.path.insert(0, sys.argv[2]); "
                "import test_xlsx_writer as t; t._read_only_folder_check(sys.argv[1])")
        done = subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--",
                               sys.executable, "-c", code, str(folder), str(Path(__file__).parent)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    finally:
        folder.chmod(0o755)


# --- against a real application -----------------------------------------------------------


def require_soffice():
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI but was not found")
        pytest.skip("LibreOffice (soffice) is not installed; these tests prove files against it")


@pytest.mark.libreoffice
def test_libreoffice_prints_the_report_to_pdf_with_marking_and_page_numbers(written, tmp_path):
    require_soffice()
    from conftest import soffice_convert

    pdf = soffice_convert(written, "pdf", tmp_path)
    assert pdf.exists() and pdf.stat().st_size > 0
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True, timeout=60).stdout
        assert "OFFICIAL" in text
        assert "Page 1 of" in text
        assert "Safer Bristol & partners" in text
        assert "=1+1 was our estimate" in text


@pytest.mark.libreoffice
def test_libreoffice_keeps_values_and_keeps_text_as_text(written, tmp_path):
    require_soffice()
    from python_calamine import CalamineWorkbook

    from conftest import soffice_convert

    resaved = soffice_convert(written, "xlsx", tmp_path)
    rows = CalamineWorkbook.from_path(str(resaved)).get_sheet_by_name("Summary").to_python()
    assert rows[8][1] == pytest.approx(sum(score for _, score in SCORES))
    assert rows[8][2] == pytest.approx(1.0)
    assert rows[1][:len(LOOKS_LIKE_FORMULAS)] == LOOKS_LIKE_FORMULAS
