"""The risk matrix as one declared object: criteria, scale, weights, priorities, bands.

Templates, readers, validation, scoring and reports all read a `Scheme`; no criterion
label, scale bound or threshold is typed anywhere else.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Any

from csprisk.findings import Stopped
from csprisk.scheme.numbers import number_of

AGGREGATIONS = ("mean", "median", "max", "min")
#: The band words, highest first: what the Summary, the Heatmap and RISK_BAND say.
HIGH, MEDIUM, LOW = BANDS = ("High", "Medium", "Low")

#: Every entry a settings file may hold, by how it is read. The analyst workbook's
#: Settings sheet uses the same keys ("bands.high" is "high" in the [bands] table).
TEXT_SETTINGS = ("partnership", "period", "aggregation", "protective_marking", "tie_break_criterion",
                 "returns_folder")
WHOLE_SETTINGS = ("scale_max", "top_n", "spare_rows")
LIST_SETTINGS = ("partners", "criteria", "priorities", "scenarios", "executive")
#: [bands] key -> the Scheme field it sets.
BAND_SETTINGS = {"high": "high_threshold", "medium": "medium_threshold"}
SETTINGS_KEYS = (*TEXT_SETTINGS, *WHOLE_SETTINGS, *LIST_SETTINGS, "bands")

#: What the template asks partners to type for a score that is not known.
NOT_KNOWN = "NK"
#: Every way of saying it that is read as not known (compared after normalise_marker).
NOT_KNOWN_MARKERS = (NOT_KNOWN.casefold(), "?", "n/k", "unknown", "not known")
#: The details the template asks for above the matrix: (field, label). The parser finds
#: them by these labels, and by the other names partners give them.
RETURN_DETAILS = (("partner", "Partner organisation"), ("lead", "Lead professional"), ("email", "Email"),
                  ("date", "Date completed"))

PESTELO_LABEL = "PESTELO"
#: The column after the criteria where a partner says how sure they are of a row's scores.
CONFIDENCE_LABEL = "Confidence"
#: What each confidence level means (the template's input message and Guidance say it).
CONFIDENCE_MEANINGS = ((HIGH, "based on data or an analysed problem profile"),
                       (MEDIUM, "professional judgement with some data"),
                       (LOW, "an estimate"))
NOTES_LABEL = "Notes"
PRIORITY_LABEL = "Priority"


@dataclass(frozen=True)
class Criterion:
    label: str
    guidance: str = ""
    weight: float = 1.0
    #: Other headers partners give this criterion ("Gap", "Fear"), matched as the label is.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Priority:
    """A candidate priority the partnership expects partners to score."""

    name: str
    aliases: tuple[str, ...] = ()


DEFAULT_CRITERIA = (
    Criterion("Gap in current Picture",
              "How much do we not know about this issue? 5 = a large gap in our "
              "understanding; 0 = we understand it well."),
    Criterion("Contribution to CSP outcomes",
              "How much would tackling this issue move the partnership's agreed "
              "outcomes? 5 = a major contribution."),
    Criterion("Current CSP priority",
              "Is this already a partnership priority? 5 = a current priority with "
              "active delivery; 0 = not a priority."),
    Criterion("Performance issue - deteriorating",
              "Is performance getting worse? 5 = clearly deteriorating; 0 = improving "
              "or stable."),
    Criterion("National priority",
              "Is it a national priority (Home Office, government strategy, "
              "inspectorates)? 5 = a high national priority."),
    Criterion("Local Priority",
              "Is it a priority for local people, councillors and partner plans? "
              "5 = a high local priority."),
    Criterion("Community concerns / Public perception",
              "How strongly do residents raise this issue (surveys, meetings, "
              "complaints)? 5 = a top community concern."),
    Criterion("Harm/impact to property/environment",
              "How much damage to property or the environment does it cause? "
              "5 = severe harm."),
    Criterion("Harm / impact to people / victims",
              "How much physical, emotional or financial harm to people and victims? "
              "5 = severe harm, including to vulnerable people."),
    Criterion("Proportion of total demand (volume)",
              "What share of total demand on services does it make? 5 = a very large "
              "share of the volume."),
    Criterion("Generator of fear / worry / confidence",
              "How much does it drive fear of crime or reduce public confidence? "
              "5 = a major driver."),
    Criterion("Cross-cutting / impact on other issues",
              "Does it feed other problems (for example drugs driving acquisitive "
              "crime)? 5 = strongly cross-cutting."),
    Criterion("Media attention",
              "How much local or national media attention does it attract? "
              "5 = sustained attention."),
    Criterion("Social and economic cost",
              "What does it cost society and the local economy? 5 = a very high cost."),
    Criterion("Risk of increase / budget cuts",
              "How likely is it to grow, for example as budgets or services are cut? "
              "5 = very likely to increase."),
    Criterion("Likelihood of achievability",
              "How likely is the partnership to make a real difference if it acts? "
              "5 = very achievable."),
)

DEFAULT_PRIORITIES = (
    Priority("Anti-social behaviour", ("ASB",)),
    Priority("Domestic abuse", ("Domestic violence", "Domestic violence and abuse")),
    Priority("Reducing re-offending", ("Reduce reoffending", "Re-offending")),
    Priority("Serious acquisitive crime", ("SAC",)),
    Priority("Substance misuse (drugs and alcohol)", ("Substance misuse",)),
    Priority("Alcohol-related crime and disorder", ("Alcohol misuse",)),
    Priority("Deliberate fires", ("Arson",)),
    Priority("Sexual violence", ()),
    Priority("Hate crime", ()),
    Priority("Casualty reduction", ("Road casualties",)),
)

HARM_TO_PEOPLE = "Harm / impact to people / victims"


@dataclass(frozen=True)
class Scenario:
    """A what-if the partnership declares: the same combined scores ranked with other
    weights ("what if harm counted double?")."""

    name: str
    #: One weight per criterion, in the scheme's order; criteria it does not name keep theirs.
    weights: tuple[float, ...]

    def changed(self, scheme: Scheme) -> list[tuple[str, float]]:
        """(criterion, weight) where this scenario differs from the scheme."""
        return [(c.label, w) for c, w in zip(scheme.criteria, self.weights, strict=False) if w != c.weight]


@dataclass(frozen=True)
class Scheme:
    partnership: str = "Community Safety Partnership"
    period: str = ""
    criteria: tuple[Criterion, ...] = DEFAULT_CRITERIA
    scale_max: int = 5
    priorities: tuple[Priority, ...] = DEFAULT_PRIORITIES
    high_threshold: float = 60
    medium_threshold: float = 40
    top_n: int = 3
    aggregation: str = "mean"
    #: Criterion whose higher combined score wins a tie on total (then more partners, then name).
    tie_break_criterion: str = HARM_TO_PEOPLE
    protective_marking: str = "OFFICIAL"
    #: Partners expected to return a matrix (for "who has not returned").
    partners: tuple[str, ...] = ()
    #: (other name, listed partner): names a partner's returns may carry for a listed partner.
    partner_aliases: tuple[tuple[str, str], ...] = ()
    spare_rows: int = 10
    returns_folder: str = "returns"
    #: What-if weightings, each ranked beside the scheme's own (the Scenarios sheet).
    scenarios: tuple[Scenario, ...] = ()
    #: (listed partner, email address): where a partner's email draft is addressed.
    partner_emails: tuple[tuple[str, str], ...] = ()
    #: Email addresses of the executive, for the executive's draft.
    executive: tuple[str, ...] = ()

    def partner_email(self, name: str) -> str:
        """The email address the settings give for a partner (or one of its aliases), or ""."""
        listed = self.canonical_partner(name) or name
        return next((email for partner, email in self.partner_emails if partner == listed), "")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.criteria)

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(c.weight for c in self.criteria)

    @property
    def max_total(self) -> float:
        return self.scale_max * sum(self.weights)

    @property
    def total_label(self) -> str:
        return f"TOTAL (out of {format_number(self.max_total)})"

    def band(self, total: float) -> str:
        if total >= self.high_threshold:
            return HIGH
        if total >= self.medium_threshold:
            return MEDIUM
        return LOW

    def bands_description(self) -> str:
        """"High at 60 or more, Medium at 40 or more, Low below": the rule in words."""
        return (f"{HIGH} at {format_number(self.high_threshold)} or more, {MEDIUM} at "
                f"{format_number(self.medium_threshold)} or more, {LOW} below")

    def tie_break_description(self) -> str:
        return (f'higher "{self.tie_break_criterion}" score, then more partners, '
                "then name (A to Z)")

    def canonical_priority(self, name: str) -> str | None:
        """The declared candidate priority a name (or alias) stands for, if any."""
        return self._priority_keys.get(priority_key(name))

    @cached_property
    def _priority_keys(self) -> dict[str, str]:
        keys: dict[str, str] = {}
        for priority in self.priorities:
            for spelling in (priority.name, *priority.aliases):
                keys.setdefault(priority_key(spelling), priority.name)
        return keys  # cached: the scheme is frozen, and this is asked once per scored priority

    def canonical_partner(self, name: str) -> str | None:
        """The listed partner a name (or one of its aliases) stands for, if any."""
        return self._partner_keys.get(priority_key(name))

    @cached_property
    def _partner_keys(self) -> dict[str, str]:
        keys = {priority_key(name): name for name in self.partners}
        for alias, name in self.partner_aliases:
            keys.setdefault(priority_key(alias), name)
        return keys

    @cached_property
    def candidate_names(self) -> frozenset[str]:
        """The declared names of the candidate priorities."""
        return frozenset(self._priority_keys[priority_key(p.name)] for p in self.priorities)

    def with_overrides(self, **changes: Any) -> Scheme:
        changes = {k: v for k, v in changes.items() if v is not None}
        scheme = replace(self, **changes)
        scheme.check()
        return scheme

    def check(self) -> None:
        """Raise SchemeError with a plain message when the settings cannot work."""
        if not self.criteria:
            raise SchemeError("The settings list no criteria; at least one is needed.")
        if len(set(criterion_key(c.label) for c in self.criteria)) != len(self.criteria):
            raise SchemeError("Two criteria in the settings have the same label.")
        spellings = [{criterion_key(s) for s in (c.label, *c.aliases)} for c in self.criteria]
        if sum(map(len, spellings)) != len(set().union(*spellings)):
            raise SchemeError("Two criteria in the settings share a label or an alias; a header can stand "
                              "for one criterion only.")
        if self.scale_max < 1:
            raise SchemeError("The scale maximum must be a whole number of 1 or more.")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise SchemeError("Criterion weights must be zero or more, and not all zero.")
        if self.aggregation not in AGGREGATIONS:
            raise SchemeError(f'The aggregation rule "{self.aggregation}" is not known; '
                              f"use one of: {', '.join(AGGREGATIONS)}.")
        if self.top_n < 0:
            raise SchemeError("Top N must be zero or more.")
        if self.medium_threshold > self.high_threshold:
            raise SchemeError("The Medium band threshold must not be above the High one.")
        if criterion_key(self.tie_break_criterion) not in {criterion_key(c.label) for c in self.criteria}:
            raise SchemeError(f'The tie-break criterion "{self.tie_break_criterion}" is not one '
                              "of the criteria.")


class SchemeError(Stopped, ValueError):
    """Settings that cannot be used, explained for the analyst."""


def format_number(value: float) -> str:
    """A setting as typed (a threshold, a weight): 60, 2.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


#: The places a figure (a total, a combined score) is stored with in a report's cells.
CELL_PLACES = 2


def stored(value: float) -> float:
    """A figure as a report's cell holds it; `figure` shows exactly what the cell shows."""
    return round(value, CELL_PLACES)


def figure(value: float, places: int = 1) -> str:
    """A figure as a person reads it, the same in a sentence, on the terminal, in an alert
    and in a cell: the value as a cell stores it, shown to `places` decimals rounding half
    away from zero, as Excel and LibreOffice show a "0.0" cell (62.25 is 62.3 everywhere,
    never Python's 62.2); a whole figure without its ".0" (40). JSON keeps exact values."""
    exact = Decimal(repr(stored(float(value))))
    text = str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    text = "0" + text[2:] if text.startswith("-0") and not text.strip("-0.") else text
    # A whole figure prints whole: 40, not 40.0 (its cell takes the "0" format to match).
    return text.split(".")[0] if "." in text and not text.split(".")[1].strip("0") else text


def whole_or_figure(value: float) -> str:
    """A partner's own total: 45 when whole, else as `figure` shows it (45.5 with weights)."""
    return str(int(stored(value))) if float(stored(value)).is_integer() else figure(value)


def percent_figure(fraction: float) -> str:
    """A share as a "0%" cell shows it: 0.7781 is "78%"."""
    return figure(round(fraction, 4) * 100, 0) + "%"


_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    for dash in _DASHES:
        text = text.replace(dash, "-")
    return text


@lru_cache(maxsize=1 << 16)  # a merge asks for the same few names thousands of times
def priority_key(name: str) -> str:
    """Matching key for a priority name: case, spacing, hyphens and '&' don't matter.

    "Reducing re- offending", "reducing reoffending" and "Reducing Re-Offending" share a key.
    """
    text = _fold(name).replace("&", " and ")
    return re.sub(r"[^0-9a-z]+", "", text)


@lru_cache(maxsize=1 << 16)
def criterion_key(label: str) -> str:
    """Matching key for a criterion header: ignores case, spacing, line breaks, punctuation,
    a number before the label ("1. ", "16) "), a trailing note in brackets, and how the parts
    are joined ("/", "&" or "and"): "16) Social & economic cost (0-5)" is "Social and
    economic cost"."""
    text = _fold(label).strip()
    text = re.sub(r"\((?:[^()]*)\)\s*$", "", text)
    text = re.sub(r"^\d{1,2}\s*(?:[.):\-]\s*|\s+)(?=[a-z])", "", text.strip())
    text = re.sub(r"\band\b|&", " ", text)
    return re.sub(r"[^0-9a-z]+", "", text)


def normalise_marker(text: str) -> str:
    return re.sub(r"\s+", " ", _fold(text).strip())


@lru_cache(maxsize=1 << 12)
def is_not_known(text: str) -> bool:
    return normalise_marker(text) in NOT_KNOWN_MARKERS


def display_name(name: str) -> str:
    """Tidy spacing in a typed name without changing its words."""
    text = re.sub(r"\s+", " ", str(name)).strip()
    return re.sub(r"\s*-\s*", "-", text)


# ----------------------------------------------------------------------------- loading

def scheme_from_mapping(data: dict[str, Any], base: Scheme | None = None) -> Scheme:
    base = base or Scheme()
    unknown = sorted(set(data) - set(SETTINGS_KEYS))
    if unknown:
        raise SchemeError(f"The settings contain unknown entries: {', '.join(unknown)}. "
                          f"Known entries are: {', '.join(sorted(SETTINGS_KEYS))}.")
    changes: dict[str, Any] = {}
    for key in TEXT_SETTINGS:
        if key in data:
            changes[key] = str(data[key]).strip()
    if "partnership" in changes and not changes["partnership"]:
        del changes["partnership"]  # left blank: every title keeps the default description
    for key in WHOLE_SETTINGS:
        if key in data:
            changes[key] = _whole(data[key], key)
    if "partners" in data:
        listed = [_priority(entry, "partner") for entry in data["partners"]]
        changes["partners"] = tuple(p.name for p in listed if p.name)
        changes["partner_aliases"] = tuple((alias, p.name) for p in listed for alias in p.aliases)
        changes["partner_emails"] = tuple((str(entry["name"]).strip(), str(entry["email"]).strip())
                                          for entry in data["partners"]
                                          if isinstance(entry, dict) and str(entry.get("email") or "").strip())
    if "executive" in data:
        given = data["executive"]
        changes["executive"] = tuple(a.strip() for a in (re.split(r"[;,\n]", given) if isinstance(given, str)
                                                         else map(str, given)) if a.strip())
    bands = data.get("bands", {})
    if not isinstance(bands, dict):
        raise SchemeError('The setting "bands" must be a table with "high" and "medium" totals, for example '
                          '[bands] high = 60, medium = 40.')
    for key, field in BAND_SETTINGS.items():
        if key in bands:
            changes[field] = _number(bands[key], f"bands.{key}")
    if "criteria" in data:
        changes["criteria"] = tuple(_criterion(entry) for entry in data["criteria"])
    if "priorities" in data:
        changes["priorities"] = tuple(_priority(entry) for entry in data["priorities"])
    scheme = replace(base, **changes)
    if "scenarios" in data:
        scheme = replace(scheme, scenarios=scenarios_of(data["scenarios"], scheme.criteria))
    scheme.check()
    return scheme


def scenarios_of(entries: Any, criteria: Sequence[Criterion]) -> tuple[Scenario, ...]:
    """[[scenarios]] name = "Harm first", [scenarios.weights] "Harm / impact ..." = 3: each
    resolved to a weight per criterion. An unknown criterion, a weight that is not a number
    or is negative, and a name given twice are settings errors naming the scenario."""
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, (list, tuple)):
        raise SchemeError('The scenarios must be a list: [[scenarios]] with a name and a [scenarios.weights] table.')
    by_key = {criterion_key(c.label): i for i, c in enumerate(criteria)}
    found: list[Scenario] = []
    for number, entry in enumerate(entries, start=1):
        name = str(entry.get("name", "")).strip() if isinstance(entry, dict) else ""
        if not name:
            raise SchemeError(f"Scenario {number} in the settings needs a name (name = \"Harm first\").")
        if any(s.name.casefold() == name.casefold() for s in found):
            raise SchemeError(f'Two scenarios in the settings are called "{name}"; give each its own name.')
        given = entry.get("weights", {})
        if not isinstance(given, dict) or not given:
            raise SchemeError(f'The scenario "{name}" gives no weights: add a [scenarios.weights] table '
                              f'such as "{criteria[0].label}" = 2.')
        weights = [c.weight for c in criteria]
        for label, value in given.items():
            index = by_key.get(criterion_key(str(label)))
            if index is None:
                raise SchemeError(f'The scenario "{name}" gives a weight to "{label}", which is not one of the '
                                  f'criteria. Use a criterion\'s label as the settings or the template give it, '
                                  f'such as "{criteria[0].label}".')
            weight = _number(value, f'weight of "{label}" in the scenario "{name}"')
            if weight < 0 or not math.isfinite(weight):
                raise SchemeError(f'The scenario "{name}" gives "{label}" the weight {format_number(weight)}; '
                                  "a weight must be zero or more.")
            weights[index] = weight
        if sum(weights) <= 0:
            raise SchemeError(f'The scenario "{name}" gives every criterion a weight of 0; at least one must count.')
        found.append(Scenario(name, tuple(weights)))
    return tuple(found)


def _criterion(entry: Any) -> Criterion:
    if isinstance(entry, str):
        return Criterion(entry.strip())
    if not isinstance(entry, dict) or not str(entry.get("label", "")).strip():
        raise SchemeError("Each criterion in the settings needs a label.")
    return Criterion(str(entry["label"]).strip(), str(entry.get("guidance", "")).strip(),
                     _number(entry.get("weight", 1), "criterion weight"), _aliases(entry.get("aliases", ())))


def _priority(entry: Any, what: str = "priority") -> Priority:
    """A listed name with its aliases: "Name", or {name = "Name", aliases = ["Other", ...]}
    (aliases may also be one text, separated by ";"). Partners are listed the same way."""
    if isinstance(entry, str):
        return Priority(entry.strip())
    if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
        raise SchemeError(f"Each {what} in the settings needs a name.")
    return Priority(str(entry["name"]).strip(), _aliases(entry.get("aliases", ())))


def _aliases(aliases: Any) -> tuple[str, ...]:
    """A list of other names, or one text of them separated by ";"."""
    if isinstance(aliases, str):
        aliases = re.split(r"[;\n]", aliases)
    return tuple(str(a).strip() for a in aliases if str(a).strip())


def _number(value: Any, name: str) -> float:
    number = number_of(value)
    if number is None:
        raise SchemeError(f'The setting "{name}" must be a number, not "{value}".')
    return number


def _whole(value: Any, name: str) -> int:
    number = _number(value, name)
    if not number.is_integer():
        raise SchemeError(f'The setting "{name}" must be a whole number, not "{value}".')
    return int(number)


def priorities_from_names(names: Iterable[str]) -> tuple[Priority, ...]:
    return tuple(Priority(n) for n in names)
