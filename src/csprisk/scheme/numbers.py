"""Text to number, one rule for every reader: a score, a typed total, a setting, a rank table.

The rule: a number cell (int or float, not True/False) is its value when finite. Text is a
number when, with the spaces around it trimmed, it is written the plain way a person types
one: an optional sign ("+", "-" or the minus sign U+2212), the digits 0-9, and an optional decimal
point with digits ("3", "-2", "4.5", ".5", "3."). Nothing else is a number: no exponent
("1e3"), no thousands separator ("1,000"), no "nan" or "inf", no words. Dates and times are
not numbers either.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NUMBER_TEXT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def number_of(value: Any) -> float | None:
    """The number a cell or a setting holds by the rule above, or None if it holds none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-")
        return float(text) if _NUMBER_TEXT.match(text) else None
    return None
