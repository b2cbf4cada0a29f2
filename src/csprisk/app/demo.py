"""Deterministic example returns: several partners, overlapping priorities, and the
mistakes real returns contain (a typed total that does not add up, a half score, an
out-of-range score, text in a score cell, a blank, NK, a name spelt differently), and two
partners who say how confident they are of some rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from csprisk.scheme import Scheme

#: How serious each demo priority "really" is, 0-5, before each partner's own judgement.
BASELINE = {
    "Domestic abuse": 3.9,
    "Anti-social behaviour": 3.4,
    "Reducing re-offending": 3.2,
    "Substance misuse (drugs and alcohol)": 3.3,
    "Serious acquisitive crime": 2.7,
    "Alcohol-related crime and disorder": 2.6,
    "Deliberate fires": 2.0,
    "Sexual violence": 3.0,
    "Hate crime": 2.3,
}


@dataclass(frozen=True)
class DemoPartner:
    name: str
    file: str
    lead: str
    priorities: tuple[str, ...]
    seed: int
    #: (priority, criterion number 1-16, what the partner typed)
    typed: tuple[tuple[str, int, object], ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    typed_total: tuple[str, float] | None = None
    #: (priority, what the partner typed in the Confidence column)
    confidence: tuple[tuple[str, object], ...] = ()


PARTNERS = (
    DemoPartner("Anytown Police", "anytown_police.xlsx", "DI Sam Patel",
                ("Domestic abuse", "Anti-social behaviour", "Serious acquisitive crime",
                 "Reducing re-offending", "Hate crime", "Sexual violence"), 11,
                typed=(("Hate crime", 1, "NK"),),
                typed_total=("Serious acquisitive crime", 52),
                confidence=(("Domestic abuse", "High"), ("Reducing re-offending", "Low"),
                            ("Anti-social behaviour", "Medium"))),
    DemoPartner("Anytown Council", "anytown_council.xlsx", "Jo Green, Community Safety Manager",
                ("Anti-social behaviour", "Domestic abuse", "Alcohol-related crime and disorder",
                 "Hate crime", "Deliberate fires"), 23,
                typed=(("Anti-social behaviour", 4, 4.5),),
                renamed={"Anti-social behaviour": "ASB"}),
    DemoPartner("County Fire and Rescue", "fire_and_rescue.xlsx", "Station Manager Lee Hart",
                ("Deliberate fires", "Anti-social behaviour", "Domestic abuse"), 37,
                typed=(("Deliberate fires", 13, 6), ("Anti-social behaviour", 10, "high"),
                       ("Domestic abuse", 14, None))),
    DemoPartner("Probation Service", "probation.xlsx", "Alex Morgan, Senior Probation Officer",
                ("Reducing re-offending", "Substance misuse (drugs and alcohol)", "Domestic abuse"), 41,
                typed=(("Reducing re-offending", 1, "nk"), ("Domestic abuse", 7, "n/k")),
                renamed={"Reducing re-offending": "Reducing re- offending"},
                confidence=(("Reducing re-offending", 1), ("Domestic abuse", 2))),
    DemoPartner("Public Health", "public_health.xlsx", "Dr Chris Wong",
                ("Substance misuse (drugs and alcohol)", "Alcohol-related crime and disorder",
                 "Domestic abuse", "Sexual violence"), 53),
)


def example_scores(partner: DemoPartner, priority: str, criteria: int, scale_max: int) -> list[int]:
    rng = random.Random(f"{partner.seed}:{priority}")
    base = BASELINE[priority]
    return [max(0, min(scale_max, round(base + rng.uniform(-1.6, 1.6)))) for _ in range(criteria)]


def write_example_returns(folder: Path, scheme: Scheme) -> list[Path]:
    """Write the example returns (from the partner template) and return their paths."""
    from csprisk.excel.template import build_template, matrix_layout

    layout = matrix_layout(scheme)
    rows = {p.name: layout.first_row + i for i, p in enumerate(scheme.priorities)}
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for partner in PARTNERS:
        workbook = build_template(scheme, partner=partner.name)
        sheet = workbook.worksheets[0]
        sheet[layout.metadata_cells["Lead professional"]] = partner.lead
        typed = {(p, c): v for p, c, v in partner.typed}
        for priority in partner.priorities:
            row = rows[priority]
            scores = example_scores(partner, priority, len(scheme.criteria), scheme.scale_max)
            for number, (letter, score) in enumerate(zip(layout.criteria_cols, scores, strict=True), 1):
                sheet[f"{letter}{row}"] = typed.get((priority, number), score)
            if priority in partner.renamed:
                sheet[f"{layout.priority_col}{row}"] = partner.renamed[priority]
            if partner.typed_total and partner.typed_total[0] == priority:
                sheet[f"{layout.total_col}{row}"] = partner.typed_total[1]
        for priority, level in partner.confidence:
            sheet[f"{layout.confidence_col}{rows[priority]}"] = level
        path = folder / partner.file
        workbook.save(path)
        written.append(path)
    return written
