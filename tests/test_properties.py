"""Whatever a partner types and whatever bytes arrive, the reader ends in scores or findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile_files as hostile
from csprisk.app.pipeline import read_source
from csprisk.grid import Grid
from csprisk.scheme import Scheme
from csprisk.score.merge import merge_sources
from csprisk.score.parse import parse_return

SCHEME = Scheme()
LABELS = list(SCHEME.labels)

cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(["NK", "?", " 4 ", "5.0", "−1", "n/k", "TOTAL", *LABELS]),
    st.datetimes(min_value=dt.datetime(1900, 1, 1)), st.dates(), st.times(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cell_values, max_size=22), max_size=12), st.integers(0, 5), st.integers(0, 3))
def test_any_cell_values_give_scores_or_findings(body, top, left):
    rows = [["Partner:", "X"], ["Priority", *LABELS, "TOTAL"], *body]
    ret, findings = parse_return([Grid("f.xlsx", "S", rows, top, left)], SCHEME, "f.xlsx")
    assert ret is not None
    for p in ret.priorities:
        assert all(s is None or 0 <= s <= SCHEME.scale_max for s in p.scores)
    for f in findings:
        assert f.message and f.code


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cell_values, max_size=20), max_size=35))
def test_any_grid_without_a_known_shape_ends_in_findings(rows):
    ret, findings = parse_return([Grid("f.xlsx", "S", rows)], SCHEME, "f.xlsx")
    assert ret is not None or [f.code for f in findings] == ["no-matrix-found"]


def _merge_bytes(tmp: Path, name: str, data: bytes):
    path = tmp / name
    path.write_bytes(data)
    result = merge_sources([read_source(path)], SCHEME)
    assert path.read_bytes() == data
    return result


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048), st.sampled_from(["r.xlsx", "r.xls", "r.ods", "r.xlsm"]))
def test_any_bytes_give_findings_never_an_exception(tmp_path, data, name):
    result = _merge_bytes(tmp_path, name, data)
    assert result.findings and result.assessment.ranking == ()


_GOOD: dict[str, bytes] = {}


def _good(kind: str, tmp: Path) -> bytes:
    """A valid small file of each kind, built once so every example damages the same bytes."""
    if kind not in _GOOD:
        if kind == "xls":
            path = hostile.xls_file(tmp / "g.xls", [(0, 0, 1.0), (1, 1, 2.0)])
        else:
            path = hostile.small_xlsx(tmp / "g.xlsx", {"A1": "Priority", "B1": LABELS[0], "A2": "ASB", "B2": 3})
        _GOOD[kind] = path.read_bytes()
    return _GOOD[kind]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["xlsx", "xls"]), st.data())
def test_damaged_real_files_give_findings_never_an_exception(tmp_path, kind, data):
    original = _good(kind, tmp_path)
    at = data.draw(st.integers(0, len(original) - 1))
    patch = data.draw(st.binary(min_size=1, max_size=16))
    cut = data.draw(st.integers(1, len(original)))
    damaged = (original[:at] + patch + original[at + len(patch):])[:cut]
    _merge_bytes(tmp_path, f"d.{kind}", damaged)
