"""One value and one named style as openpyxl takes them, through its public API only.

Shared by the mapping (xlsx_writer), which sets them on openpyxl cells, and the stream
(xlsx_stream), which writes the same cells as XML text and must say them identically.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import cache
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.fonts import DEFAULT_FONT

from csprisk.report.model import NAVY, Style

MAX_TEXT = 32767  # Excel's limit on the characters in one cell
_PLAIN_TYPES = (bool, int, float, Decimal, dt.datetime, dt.date, dt.time, dt.timedelta)


def set_value(target: Any, value: Any) -> None:
    value = native(value)
    if isinstance(value, str):
        # Assigning a str lets openpyxl read "=..." as a formula and "#N/A" as an error;
        # a plain str is always text, whatever it starts with.
        target.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]
        target.data_type = "s"
    elif isinstance(value, (float, Decimal)) and not math.isfinite(value):
        # openpyxl would write "nan", which Excel refuses; show an Excel error instead.
        target.value = "#N/A" if math.isnan(value) else "#NUM!"
    elif isinstance(value, dt.datetime):
        # pandas' NaT is the only datetime unequal to itself; Excel has no time zones.
        target.value = "#N/A" if value != value else value.replace(tzinfo=None)
    elif value is None or isinstance(value, _PLAIN_TYPES):
        target.value = value
    else:
        target.value = str(value)
        target.data_type = "s"


def native(value: Any) -> Any:
    """numpy scalars (from pandas) as the Python numbers and booleans they stand for."""
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ not in ("datetime64", "timedelta64"):
        return value.item()
    return value


def xml_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def xml_attr(text: str) -> str:
    return xml_text(ILLEGAL_CHARACTERS_RE.sub("", text)).replace('"', "&quot;")


_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@cache
def openpyxl_style(style: Style) -> tuple[Font, PatternFill, Border, Alignment, str]:
    font = Font(name=DEFAULT_FONT.name, family=DEFAULT_FONT.family, scheme=DEFAULT_FONT.scheme,
                sz=style.size or DEFAULT_FONT.sz, b=style.bold, i=style.italic,
                color=rgb(style.colour) if style.colour else None)
    fill = PatternFill("solid", fgColor=rgb(style.fill)) if style.fill else PatternFill()
    border = _border(style)
    alignment = Alignment(horizontal=style.align, vertical=style.valign, wrap_text=style.wrap or None,
                          textRotation=style.rotation or 0)
    return font, fill, border, alignment, style.number_format or "General"


def _border(style: Style) -> Border:
    if not (style.border or style.rule_below):
        return Border()
    side = Side(style=style.border_weight) if style.border else Side()
    below = Side(style="thick", color=NAVY) if style.rule_below else side
    if (style.border_weight, style.rule_below) == ("thin", False):
        return _BOX
    return Border(left=side, right=side, top=side, bottom=below)


def rgb(colour: str) -> str:
    return colour.lstrip("#").upper()
