"""A partnership at real size, built by code: 25 priorities named in 60-90 characters, 12
partners with long names, a 70-character partnership name and OFFICIAL-SENSITIVE (or 100
priorities and 20 partners). Each partner fills in the real partner template, so the
returns are what a partnership emails back; the scores are deterministic.

    python tests/big_partnership.py FOLDER [--priorities 100 --partners 20]

writes FOLDER/settings.toml and FOLDER/returns/*.xlsx.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

#: 70 characters, the length a real partnership's full name runs to.
PARTNERSHIP = "Greater Anytown, Riverside and Northfield Community Safety Partnership"
MARKING = "OFFICIAL-SENSITIVE"

_ISSUES = (
    "Domestic abuse", "Anti-social behaviour", "Reducing re-offending", "Serious acquisitive crime",
    "Substance misuse", "Alcohol-related crime and disorder", "Deliberate fires", "Sexual violence",
    "Hate crime", "Knife crime", "Child sexual exploitation", "County lines drug supply", "Modern slavery",
    "Fraud against older residents", "Road danger", "Violence against women and girls", "Shoplifting",
    "Criminal damage", "Youth violence", "Radicalisation", "Night-time economy disorder", "Cyber crime",
    "Vehicle crime", "Stalking and harassment", "Elder abuse",
)
_PLACES = ("across the town centre and retail parks", "in the riverside and harbour wards",
           "among young people aged 10 to 17 in every ward", "in private rented housing and hostels",
           "on the public transport network and at stations", "affecting repeat and vulnerable victims")
_AIMS = ("reduce harm and repeat victimisation", "improve reporting and referral", "early intervention",
         "prevent escalation through partnership working")

_AGENCIES = (
    "Greater Anytown Police Neighbourhood and Partnerships Command", "Anytown Metropolitan Borough Council",
    "Anytown and Riverside Fire and Rescue Service", "North Region Probation Service (Anytown Delivery Unit)",
    "Anytown Public Health and Wellbeing Directorate", "Riverside Drug and Alcohol Recovery Partnership",
    "Anytown Integrated Care Board (Safeguarding Team)", "Office of the Police and Crime Commissioner",
    "Anytown Youth Justice Service", "Riverside Housing Association Tenancy Services",
    "Anytown Domestic Abuse Partnership and Refuge", "Anytown Children's Services and Early Help",
    "Anytown Trading Standards and Licensing", "Riverside Community and Voluntary Sector Forum",
    "Anytown Colleges and Schools Safeguarding Network", "British Transport Police (Riverside Sector)",
    "Anytown Adult Social Care", "Anytown Town Centre Business Improvement District",
    "Riverside Victim Support Hub", "Anytown Environmental Health and Waste Enforcement",
)


def priority_names(count: int) -> list[str]:
    """`count` distinct priority names of 60 to 90 characters."""
    names = []
    for n in range(count):
        issue = _ISSUES[n % len(_ISSUES)]
        name = f"{issue} {_PLACES[(n // len(_ISSUES) + n) % len(_PLACES)]}"
        if len(name) < 60:
            name += f": {_AIMS[n % len(_AIMS)]}"
        if n >= len(_ISSUES):
            short = name if len(name) <= 84 else name[:84].rsplit(" ", 1)[0]
            name = f"{short.rstrip(' :,')} ({n // len(_ISSUES) + 1})"
        names.append(name if len(name) <= 90 else name[:90].rsplit(" ", 1)[0].rstrip(" :,"))
    assert len(set(names)) == count and all(60 <= len(n) <= 90 for n in names), names
    return names


def partner_names(count: int) -> list[str]:
    return list(_AGENCIES[:count])


def settings_text(priorities: int = 25, partners: int = 12, top_n: int = 5) -> str:
    lines = [f'partnership = "{PARTNERSHIP}"', 'period = "2027-28"', 'aggregation = "mean"', f"top_n = {top_n}",
             f'protective_marking = "{MARKING}"',
             "partners = [" + ", ".join(f'"{p}"' for p in partner_names(partners)) + "]",
             "", "[bands]", "high = 50", "medium = 40", ""]
    for name in priority_names(priorities):
        lines += ["[[priorities]]", f'name = "{name}"', ""]
    lines += ["[[scenarios]]", 'name = "Harm first"', "[scenarios.weights]",
              '"Harm / impact to people / victims" = 3', '"Harm/impact to property/environment" = 2', ""]
    return "\n".join(lines)


def write_partnership(folder: Path, priorities: int = 25, partners: int = 12, top_n: int = 5) -> tuple[Path, Path]:
    """Write settings.toml and one return per partner (each scores about 70% of the
    priorities, some with notes and a confidence); return (settings, returns folder)."""
    from csprisk.excel.template import build_template, matrix_layout
    from csprisk.read.settings import load_scheme

    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / "settings.toml"
    settings.write_text(settings_text(priorities, partners, top_n), encoding="utf-8")
    scheme = load_scheme(settings)
    layout = matrix_layout(scheme)
    returns = folder / "returns"
    returns.mkdir(exist_ok=True)
    names = priority_names(priorities)
    for index, partner in enumerate(partner_names(partners)):
        rng = random.Random(f"big:{priorities}:{index}")
        workbook = build_template(scheme, partner=partner)
        sheet = workbook.worksheets[0]
        sheet[layout.metadata_cells["Lead professional"]] = f"Lead analyst {index + 1}, {partner}"
        for n in range(len(names)):
            if rng.random() > 0.7 and n % partners != index:  # each priority has its lead partner
                continue
            row = layout.first_row + n
            seriousness = 4.2 - 3.0 * n / max(priorities - 1, 1)
            for letter in layout.criteria_cols:
                sheet[f"{letter}{row}"] = max(0, min(scheme.scale_max, round(seriousness + rng.uniform(-1.8, 1.8))))
            if rng.random() < 0.25:
                sheet[f"{layout.confidence_col}{row}"] = rng.choice(("High", "Medium", "Low"))
            if rng.random() < 0.15:
                sheet[f"{layout.notes_col}{row}"] = ("Rising since the last assessment; the evidence is from "
                                                     "our own case records and needs checking with partners.")
        workbook.save(returns / f"return_{index + 1:02d}.xlsx")
    return settings, returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--priorities", type=int, default=25)
    parser.add_argument("--partners", type=int, default=12)
    args = parser.parse_args()
    print(*write_partnership(args.folder, args.priorities, args.partners))


if __name__ == "__main__":
    main()
