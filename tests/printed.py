"""Read a printed PDF as a reader sees it: each page's words with their boxes and sizes,
which sheet each page belongs to (by the sheet's title), and the smallest type on it.

    python tests/printed.py FOLDER [--priorities 100 --partners 20]

builds a partnership of that size (tests/big_partnership.py), merges it, prints the ranked
pack, the executive copy and the partner template through LibreOffice, writes each page as
a PNG (50 dpi) beside the PDFs to look at, and prints the page count and the smallest font
size of every sheet.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

#: Carlito's (Calibri's) word box, as poppler measures it, is 1.3 times the point size
#: (measured: 11 pt text is 14.30 points tall, 16 pt text 20.78).
BOX_PER_POINT = 1.3


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def rotated(self) -> bool:
        """Text turned to read upwards (a rotated header): its box is tall and narrow."""
        tall, wide = self.y1 - self.y0, self.x1 - self.x0
        # A word of a letter or two ("-", "/") turned upwards is wider than it is tall.
        return (tall > 1.5 * wide and tall > 18) if len(self.text) > 2 else wide > tall

    @property
    def size(self) -> float:
        """The point size the word printed at (to a tenth), read across its lines' height."""
        across = (self.x1 - self.x0) if self.rotated else (self.y1 - self.y0)
        return round(across / BOX_PER_POINT, 1)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def lines(self, body: bool = False) -> list[str]:
        """The words (of the body only, between header and footer, if `body`) grouped into
        printed lines, top to bottom."""
        rows: dict[int, list[Word]] = {}
        for w in self.body() if body else self.words:
            rows.setdefault(round(w.y1), []).append(w)
        return [" ".join(w.text for w in sorted(ws, key=lambda w: w.x0)) for _, ws in sorted(rows.items())]

    def body(self) -> tuple[Word, ...]:
        """The words between the page's header and footer (the marking and page numbers are not body)."""
        top, bottom = 0.05 * self.height, 0.93 * self.height
        return tuple(w for w in self.words if top < w.y0 and w.y1 < bottom)

    def footer(self) -> tuple[Word, ...]:
        return tuple(w for w in self.words if w.y0 >= 0.93 * self.height)


def pages(pdf: Path) -> list[Page]:
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    root = ET.fromstring(xml.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    out = []
    for number, page in enumerate(root.iter("page"), 1):
        words = tuple(Word(w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")),
                           float(w.get("yMax"))) for w in page.iter("word"))
        out.append(Page(number, float(page.get("width")), float(page.get("height")), words))
    return out


def by_sheet(printed: list[Page], titles: dict[str, str]) -> dict[str, list[Page]]:
    """Pages grouped by sheet: a sheet's pages run from the page its title (`titles`: sheet
    name -> words of its title) is on to the page before the next title."""
    sheets: dict[str, list[Page]] = {}
    current = None
    for page in printed:
        top = " ".join(page.lines()[:5])  # a long title wraps over two lines
        for name, title in titles.items():
            if title in top:
                current = name
                break
        sheets.setdefault(current or "?", []).append(page)
    return sheets


def smallest(pages_of: list[Page]) -> float:
    return min((w.size for p in pages_of for w in p.body()), default=0.0)


def look(pdf: Path) -> list[Path]:
    """Each page as a PNG at 50 dpi, beside the PDF."""
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(pdf.with_suffix(""))], check=True, timeout=300)
    return sorted(pdf.parent.glob(pdf.stem + "-*.png"))


SHEET_TITLES = {
    "Summary": ": ranked priorities", "Heatmap": ": scores by criterion",
    "Why it ranks here": ": why each recommended", "Scenarios": ": what-if scenarios",
    "Disagreement": ": where partners disagree", "Criteria apart": ": criteria where partners disagree",
    "Stability": ": how firm is the ranking", "Partner scores": ": every score as typed",
    "Validation": ": what needs fixing", "Method": ": how this ranking was made",
}


def main() -> None:
    import argparse

    sys.path.insert(0, str(Path(__file__).parent))
    from big_partnership import write_partnership
    from conftest import soffice_convert
    from csprisk.app.cli import main as csprisk

    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--priorities", type=int, default=25)
    parser.add_argument("--partners", type=int, default=12)
    parser.add_argument("--png", action="store_true", help="also write each page as a PNG")
    args = parser.parse_args()
    folder = args.folder
    settings, returns = write_partnership(folder, args.priorities, args.partners)
    ranked, executive, template = folder / "ranked.xlsx", folder / "executive.xlsx", folder / "template.xlsx"
    csprisk(["merge", str(returns), "--settings", str(settings), "-o", str(ranked)])
    csprisk(["export", str(ranked), "-o", str(executive), "--pdf"])
    csprisk(["template", "--settings", str(settings), "-o", str(template)])
    for xlsx in (ranked, template):
        soffice_convert(xlsx, "pdf", folder)
    for pdf in (folder / "ranked.pdf", folder / "executive.pdf", folder / "template.pdf"):
        printed = pages(pdf)
        print(f"{pdf.name}: {len(printed)} pages")
        groups = by_sheet(printed, SHEET_TITLES) if pdf.stem != "template" else {"template": printed}
        for name, group in groups.items():
            print(f"  {name:18} {len(group):3} pages, smallest type {smallest(group):.1f} pt "
                  f"(pages {group[0].number}-{group[-1].number})")
        if args.png:
            look(pdf)


if __name__ == "__main__":
    main()
