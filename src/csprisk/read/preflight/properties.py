"""An .xlsx package's custom document properties (docProps/custom.xml), read by namespace.

Whoever wrote the part chose the prefixes: openpyxl declares `vt:` on the root with the
standard library's serializer and on each value with lxml's, Excel and LibreOffice each
in their own way, and another writer may use any prefix or none. So the part is parsed
(expat, namespace-aware, DTDs refused), never matched as text.
"""

from __future__ import annotations

import xml.parsers.expat
import zipfile

#: The namespaces of docProps/custom.xml (ECMA-376 part 1, 22.3 and 22.4).
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VTYPES_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#: A text property's value: lpwstr as Excel, LibreOffice and openpyxl write it, lpstr as some others do.
_TEXT_TYPES = {f"{VTYPES_NS} lpwstr", f"{VTYPES_NS} lpstr"}
MAX_CUSTOM_PROPERTIES_BYTES = 1024 * 1024
#: A value longer than this is not one csprisk wrote (nor a protective marking).
MAX_VALUE_CHARS = 1000


class _Unreadable(Exception):
    pass


def text_properties(data: bytes) -> dict[str, str]:
    """The custom properties with a text value, by name ({} for a part that is not
    well-formed, or carries a DTD); the first of two with the same name stands."""
    found: dict[str, str] = {}
    name: str | None = None  # the property being read
    value: list[str] | None = None  # its text value, as expat streams it

    def refuse(*_args: object) -> int:
        raise _Unreadable

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal name, value
        if tag == f"{CUSTOM_NS} property":
            name, value = attrs.get("name"), None
        elif tag in _TEXT_TYPES and name is not None and name not in found:
            value = []

    def text(data: str) -> None:
        if value is not None and len(value) < 8:
            value.append(data[:MAX_VALUE_CHARS])

    def end(tag: str) -> None:
        nonlocal name, value
        if value is not None and tag in _TEXT_TYPES and name is not None:
            found[name] = "".join(value)[:MAX_VALUE_CHARS]
            value = None
        elif tag == f"{CUSTOM_NS} property":
            name, value = None, None

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except (_Unreadable, xml.parsers.expat.ExpatError):
        return {}
    return found


def custom_property(archive: zipfile.ZipFile, name: str) -> str:
    """The text of the package's custom property `name`, stripped ("" when it has none)."""
    try:
        info = archive.getinfo("docProps/custom.xml")
    except KeyError:
        return ""
    if info.file_size > MAX_CUSTOM_PROPERTIES_BYTES:
        return ""
    with archive.open(info) as stream:
        data = stream.read(MAX_CUSTOM_PROPERTIES_BYTES + 1)
    if len(data) > MAX_CUSTOM_PROPERTIES_BYTES:
        return ""
    return text_properties(data).get(name, "").strip()
