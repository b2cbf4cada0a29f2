"""A big table's rows made as they are written (report.model.Rows) give exactly what the
same rows held as cells give: the widths, wrapping, links and heights fit_text decides,
and the XML the writer puts in the file."""

from __future__ import annotations

import datetime as dt
import random
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from csprisk.excel import xlsx_writer
from csprisk.excel.xlsx_writer import write_report
from csprisk.report.model import LINE_HEIGHT, Cell, Report, Sheet, lines_needed

WIDTHS = {0: 10, 1: 12, 2: 6, 3: 30, 4: 14}


def table_rows(count: int) -> list[list[Cell]]:
    """Rows such as Partner scores and Validation have: names repeated down a column, long
    paths with and without links, words wider than their column, wrapped notes, numbers,
    blanks and styled blanks."""
    rng = random.Random(15)
    words = ["Anytown", "Borough", "Council", "Constabulary", "Neighbourhoods", "criminal", "damage", "NK", "x"]
    rows = []
    for i in range(count):
        partner = rng.choice(["Police", "Fire and Rescue Service", "Anytown Borough Council"])
        path = f"/data/returns/{'very-long-folder-name/' * rng.randint(0, 3)}return_{i % 7}.xlsx"
        link = rng.choice([None, f"#'Partner scores'!A{i + 5}", "file:///" + path.lstrip("/")])
        note = " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        rows.append([
            Cell(partner, "text"),
            Cell(path, "link" if link else "text", link),
            Cell(rng.choice([0, 1, 2.5, "NK", "high", None, "Supercalifragilistic"]),
                 rng.choice(["center", "counted-no"])),
            Cell(note or None, "wrap"),
            Cell(rng.choice(["Criminal damage and arson", "ASB", "", "Reducing re-offending"]), "text"),
        ])
    return rows


def sheets(rows: list[list[Cell]], height=None) -> tuple[Sheet, Sheet]:
    """The table held as cells, and the same table as a Rows body, each under the same heading."""
    held, made = Sheet("Held"), Sheet("Made")
    for sheet in (held, made):
        sheet.add_row(["A heading over the table that runs on past the last column of it, as notes do"], "note")
        sheet.add_row(["Partner", "File", "Score", "Notes", "Priority"], "header")
        sheet.column_widths = dict(WIDTHS)
    for cells in rows:
        row = held.add_row(cells)
        if height is not None and height(cells) is not None:
            held.row_heights[row] = height(cells)
    made.set_body(len(rows), 5, lambda i: rows[i], lambda: iter(rows),
                  styles=("text", "link", "center", "counted-no", "wrap"), height=height)
    held.fit_text()
    made.fit_text()
    return held, made


def message_height(cells) -> float | None:
    lines = lines_needed(cells[3].value, WIDTHS[3]) if cells[3].value is not None else 1
    return LINE_HEIGHT * lines + 3 if lines > 1 else None


@pytest.mark.parametrize("height", [None, message_height], ids=["fit_text only", "with the builder's heights"])
def test_rows_made_as_written_fit_exactly_as_rows_held(height):
    held, made = sheets(table_rows(400), height)
    assert made.column_widths == held.column_widths
    assert made.merged == held.merged
    assert made.all_row_heights() == held.row_heights
    assert dict(made.all_cells()) == held.cells
    assert made.height == held.height and made.width == held.width
    assert [made.cell(r, c) for r in range(made.height) for c in range(5)] == \
           [held.cells.get((r, c)) for r in range(held.height) for c in range(5)]
    # What fit_text decided is there to see: links too long for any column lost, texts wrapped.
    assert made.body.unlinked and made.body.wrapped and made.body.lines
    too_long = [c for (r, col), c in made.all_cells() if col == 1 and r > 1 and len(c.value) * 0.82 + 1 > 36]
    assert too_long and all(c.link is None and c.style.startswith("text") for c in too_long)


@pytest.mark.parametrize("height", [None, message_height], ids=["fit_text only", "with the builder's heights"])
def test_rows_made_as_written_give_the_same_sheet_xml(tmp_path, monkeypatch, height):
    held, made = sheets(table_rows(400), height)
    monkeypatch.setattr(xlsx_writer, "STREAM_CELLS", 0)  # both streamed: the held cells are written as XML too
    write_report(Report([held]), tmp_path / "held.xlsx")
    write_report(Report([made]), tmp_path / "made.xlsx")
    parts = []
    for name in ("held", "made"):
        with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as z:
            parts.append({n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") or n == "xl/styles.xml"})
    assert parts[0].keys() == parts[1].keys()
    for name in parts[0]:
        if name != "xl/styles.xml":  # its records may come in another order: compare what each cell's is
            assert _styles_named(parts[1], name) == _styles_named(parts[0], name), name
    assert b"<hyperlink " in parts[1]["xl/worksheets/sheet1.xml"]


def test_a_body_refuses_what_it_cannot_write(tmp_path, monkeypatch):
    """Its styles are registered before the workbook is saved, so a row may only use those it
    declares; and it holds text, numbers and blanks. Nothing is written when it breaks that."""
    monkeypatch.setattr(xlsx_writer, "STREAM_CELLS", 0)
    rows = table_rows(3)
    sheet = Sheet("Made")
    sheet.set_body(3, 5, lambda i: rows[i], styles=("text",))
    with pytest.raises(ValueError, match="do not declare"):
        write_report(Report([sheet]), tmp_path / "ranked.xlsx")
    dated = Sheet("Made")
    dated.set_body(1, 1, lambda i: [Cell(dt.date(2026, 12, 2), "text")], styles=("text",))
    with pytest.raises(ValueError, match="hold a date"):
        write_report(Report([dated]), tmp_path / "ranked.xlsx")
    assert list(tmp_path.iterdir()) == []  # nothing left behind, not even a temporary file


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _styles_named(parts: dict[str, bytes], name: str) -> bytes:
    """A sheet part with each cell's style id replaced by the style record it stands for
    (its font, fill, border, number format and alignment)."""
    root = ET.fromstring(parts["xl/styles.xml"])

    def records(tag):
        found = root.find(_MAIN + tag)
        return [ET.tostring(e) for e in found] if found is not None else []

    fonts, fills, borders = records("fonts"), records("fills"), records("borders")
    styles = [b"|".join([fonts[int(xf.get("fontId", 0))], fills[int(xf.get("fillId", 0))],
                         borders[int(xf.get("borderId", 0))], xf.get("numFmtId", "0").encode(),
                         b"".join(ET.tostring(child) for child in xf)])
              for xf in root.find(_MAIN + "cellXfs")]
    return re.sub(rb' s="(\d+)"', lambda m: b' s="' + styles[int(m.group(1))].replace(b'"', b"'") + b'"', parts[name])
