"""Small helpers for editing an Office Open XML package's parts as text: cell addresses,
attributes, relationships. Parts are edited in place, so that everything not edited stays
byte for byte as it was."""

from __future__ import annotations

import posixpath
import re
from xml.sax.saxutils import quoteattr

from csprisk.grid import cell_address, column_index


class MarkingError(Exception):
    """The workbook's parts are not as Excel writes them, so no marked copy was made."""


CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})$")


def column_number(letters: str) -> int:
    """Column letters to the 1-based number the package's parts count in: A -> 1."""
    return column_index(letters) + 1


def cell_name(row: int, column: int) -> str:
    """The address of a 1-based (row, column): (9, 3) -> C9."""
    return cell_address(row - 1, column - 1)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text XML can carry: characters XML 1.0 forbids are dropped."""
    return _CONTROL.sub("", text)


def root_prefix(xml: str) -> str:
    """"x:" when the part's elements carry a prefix (as some generators write), else ""."""
    found = re.search(r"<(?![?!])(\w+:)?\w+", xml)
    return (found.group(1) or "") if found else ""


def tag_attributes(tag: str) -> dict[str, str]:
    return {k: v for k, v in re.findall(r'([\w:]+)\s*=\s*"([^"]*)"', tag)} | {
        k: v for k, v in re.findall(r"([\w:]+)\s*=\s*'([^']*)'", tag)}


def unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def relationships(text: str, folder: str, _unused: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) for each internal relationship in a .rels part."""
    found = []
    for tag in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", text):
        attributes = tag_attributes(tag.group(0))
        if attributes.get("TargetMode") == "External":
            continue
        target = unescape(attributes.get("Target", ""))
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found.append((attributes.get("Id", ""), attributes.get("Type", ""), part))
    return found


def add_relationship(text: str, kind: str, target: str) -> str:
    ids = set(re.findall(r'\bId="([^"]*)"', text))
    number = 1
    while f"rId{number}" in ids:
        number += 1
    entry = f'<Relationship Id="rId{number}" Type="{kind}" Target={quoteattr(target)}/>'
    if re.search(r"<Relationships\b[^>]*/>", text):
        return re.sub(r"<Relationships\b([^>]*)/>", lambda m: f"<Relationships{m.group(1)}>{entry}</Relationships>",
                      text, count=1)
    at = text.rindex("</Relationships>")
    return text[:at] + entry + text[at:]
