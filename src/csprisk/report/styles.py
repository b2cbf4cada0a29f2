"""The named styles of csprisk's workbooks: builders name a style, every writer reads this table."""

from __future__ import annotations

from dataclasses import dataclass

from csprisk.scheme import HIGH, LOW, MEDIUM

#: The one dark blue of csprisk's workbooks: titles, headers, the recommended bars.
NAVY = "1F3864"


@dataclass(frozen=True)
class Style:
    bold: bool = False
    italic: bool = False
    size: float | None = None
    colour: str | None = None  # font colour, RRGGBB
    fill: str | None = None  # background, RRGGBB
    wrap: bool = False
    align: str | None = None  # "left", "center", "right"
    valign: str | None = None
    number_format: str | None = None
    border: bool = False
    border_weight: str = "thin"  # "thin" or "medium": a medium box picks a cell out
    rule_below: bool = False  # a heavy line under the cell (the cut-off in a ranked table)
    rotation: int | None = None  # text rotation in degrees, 90 = reads upwards


#: Named styles; builders refer to them by name and every writer reads the same table.
STYLES: dict[str, Style] = {
    "": Style(),
    "title": Style(bold=True, size=16, colour=NAVY),
    "subtitle": Style(size=11, colour="404040"),
    "heading": Style(bold=True, size=12, colour=NAVY),
    "header": Style(bold=True, colour="FFFFFF", fill=NAVY, wrap=True, valign="center", border=True),
    "text": Style(border=True, valign="top"),
    "wrap": Style(border=True, wrap=True, valign="top"),
    #: A value as typed (a number or text) beside other text: centred, so it never runs into it.
    "value": Style(border=True, valign="top", align="center"),
    "note": Style(italic=True, colour="595959"),
    "label": Style(bold=True),
    "number": Style(border=True, number_format="0", valign="top"),
    "score": Style(border=True, number_format="0.0", align="center", valign="top"),
    "total": Style(bold=True, border=True, number_format="0.0", align="center", valign="top"),
    "percent": Style(border=True, number_format="0%", align="center", valign="top"),
    "rank": Style(bold=True, border=True, align="center", valign="top"),
    "center": Style(border=True, align="center", valign="top"),
    f"band-{HIGH}": Style(bold=True, border=True, fill="F4B6B6", colour="7F0000", align="center", valign="top"),
    f"band-{MEDIUM}": Style(bold=True, border=True, fill="FFE699", colour="7F4F00", align="center", valign="top"),
    f"band-{LOW}": Style(bold=True, border=True, fill="C6E0B4", colour="1E4620", align="center", valign="top"),
    "recommended": Style(bold=True, border=True, fill="DDEBF7", valign="top"),
    "severity-error": Style(bold=True, border=True, colour="C00000", valign="top"),
    "severity-warning": Style(bold=True, border=True, colour="9C5700", valign="top"),
    "severity-info": Style(border=True, colour="404040", valign="top"),
    "counted-no": Style(border=True, colour="C00000", valign="top"),
    "datetime": Style(border=True, number_format="yyyy-mm-dd hh:mm", valign="top"),
    "link": Style(border=True, colour="0563C1", valign="top"),
    # The executive's sheets (executive.py).
    "paragraph": Style(wrap=True, valign="top"),
    "note-wrap": Style(italic=True, colour="595959", wrap=True, valign="top"),
    "label-top": Style(bold=True, valign="top", wrap=True),
    "callout": Style(bold=True, colour="7F0000", wrap=True, valign="top"),
    "header-rotated": Style(bold=True, colour="FFFFFF", fill=NAVY, wrap=True, align="center",
                            valign="bottom", border=True, rotation=90),
    "driver": Style(bold=True, border=True, border_weight="medium", number_format="0.0", align="center",
                    valign="top"),
    "movement": Style(border=True, align="left", valign="top"),
    "change": Style(border=True, number_format="+0.0;-0.0;0.0", align="center", valign="top"),
    "watch": Style(border=True, fill="F2F2F2", valign="center"),
    "watch-rank": Style(bold=True, border=True, align="center", valign="center"),
    "watch-total": Style(bold=True, border=True, number_format="0.0", align="center", valign="center"),
    "watch-gap": Style(border=True, number_format="0.0", align="center", valign="center"),
    "watch-why": Style(border=True, wrap=True, valign="center"),
    "rank-recommended": Style(bold=True, border=True, fill="DDEBF7", align="center", valign="top"),
    "callout-box": Style(bold=True, border=True, colour="7F0000", wrap=True, valign="top"),
    #: What a chart plots, in the cells under it: white, so that nothing shows round it on paper.
    "chart-data": Style(colour="FFFFFF", number_format="0.0"),
}
#: The last recommended row of a ranked table carries a rule below: the cut-off.
STYLES.update({f"{name}-cut": Style(**{**STYLES[name].__dict__, "rule_below": True})
               for name in ("rank", "recommended", "text", "total", "percent", "center", f"band-{HIGH}",
                            f"band-{MEDIUM}", f"band-{LOW}", "movement", "change", "score", "driver",
                            "rank-recommended")})


def wrapped_style(name: str) -> str:
    """The name of `name`'s style that wraps its text (made on first use)."""
    wrapped = f"{name}-wrap" if not name.endswith("-wrap") else name
    if wrapped not in STYLES:
        STYLES[wrapped] = Style(**{**STYLES[name].__dict__, "wrap": True, "valign": STYLES[name].valign or "top"})
    return wrapped


def whole_style(name: str) -> str:
    """The name of `name`'s style that shows a figure without decimals (made on first use):
    a whole figure prints 40, not 40.0, as `scheme.figure` writes it in a sentence."""
    whole = f"{name}-whole"
    if whole not in STYLES:
        style = STYLES[name]
        fmt = ";".join(part.replace("0.0", "0") for part in (style.number_format or "").split(";"))
        STYLES[whole] = Style(**{**style.__dict__, "number_format": fmt})
    return whole
