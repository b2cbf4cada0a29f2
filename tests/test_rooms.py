"""The package's rooms stay small enough to hold one job each."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "csprisk"


def test_no_module_of_the_package_is_over_500_lines():
    sizes = {str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
             for path in SRC.rglob("*.py")}
    assert sizes, "no modules found"
    too_long = {name: lines for name, lines in sizes.items() if lines > 500}
    assert not too_long, f"split these into rooms of one job: {too_long}"
