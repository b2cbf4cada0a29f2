"""The one text measure: Calibri's widths (Carlito's), kept as data, and wrapping by them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from csprisk.report import carlito_widths, measure

ROOT = Path(__file__).resolve().parents[1]
FONTS = Path("/usr/share/fonts/truetype/crosextra")


def _tool():
    spec = importlib.util.spec_from_file_location("carlito_widths_tool", ROOT / "tools" / "carlito_widths.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_width_table_is_what_the_font_files_give():
    pytest.importorskip("fontTools")
    if not (FONTS / "Carlito-Regular.ttf").exists():
        pytest.skip("the Carlito font (fonts-crosextra-carlito) is not installed")
    committed = (ROOT / "src" / "csprisk" / "report" / "carlito_widths.py").read_text(encoding="utf-8")
    assert _tool().text(FONTS) == committed


def test_letters_are_measured_by_their_own_widths_not_counted():
    # Eleven "i"s are narrower than eleven "W"s: a character count would call them equal.
    assert measure.text_points("i" * 11) < measure.text_points("W" * 11) / 3
    assert measure.text_points("Domestic abuse", bold=True) > measure.text_points("Domestic abuse")
    assert measure.text_points("0", 11) == pytest.approx(11 * 1038 / 2048)
    assert carlito_widths.UNITS_PER_EM == 2048


def test_text_wraps_at_spaces_and_a_word_too_long_for_the_line_breaks():
    name = "Domestic abuse across the town centre and retail parks: reduce harm and repeat victimisation"
    lines = measure.wrap(name, 30)
    assert " ".join(lines) == name and len(lines) == 3
    assert all(measure.text_points(line) <= measure.column_points(30) for line in lines)
    path = "/home/analyst/returns/" + "x" * 80 + ".xlsx"
    broken = measure.wrap(path, 20)
    assert "".join(broken) == path and len(broken) >= 4
    assert measure.lines("one\ntwo\nthree", 40) == 3


def test_a_long_name_is_shortened_at_a_word_with_an_ellipsis():
    name = "Greater Anytown, Riverside and Northfield Community Safety Partnership"
    short = measure.shorten(name, 150, 9)
    assert short.endswith("\u2026") and name.startswith(short[:-1]) and measure.text_points(short, 9) <= 150
    assert measure.shorten("Anytown CSP", 150, 9) == "Anytown CSP"
