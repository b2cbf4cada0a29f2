"""The scheme's small helpers: how a setting, a figure and a partner's total read."""

from __future__ import annotations

from csprisk.scheme import whole_or_figure


def test_a_whole_total_given_as_an_int_reads_without_decimals():
    # Python 3.11's int has no is_integer(): a worded dropdown score read as an int crashed here.
    assert [whole_or_figure(v) for v in (45, 0, 80)] == ["45", "0", "80"]


def test_a_partners_total_reads_whole_or_as_a_figure():
    assert [whole_or_figure(v) for v in (45.0, 45.5, 62.25, 45.004)] == ["45", "45.5", "62.3", "45"]
