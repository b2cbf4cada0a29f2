"""Email drafts (.eml) for the partners and the executive, with their workbooks attached.

Each draft is a standard message with `X-Unsent: 1`, so Outlook opens it as a draft ready
to send (Thunderbird: File > Open > Saved Message, then Edit As New). Nothing that came
from a return or the settings can add a header: every header value is put on one line
and set through Python's `email` package, which refuses line breaks in headers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from csprisk.marks import METHOD, SUMMARY
from csprisk.report.feedback import Feedback, note, one_line, subject
from csprisk.scheme import figure

#: Content types of the files attached.
MIME = {".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ".xlsm": ("application", "vnd.ms-excel.sheet.macroEnabled.12"),
        ".pdf": ("application", "pdf")}
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def header_text(text: str, limit: int = 300) -> str:
    """A header value on one line: line breaks and control characters become spaces."""
    return re.sub(r" {2,}", " ", _CONTROL.sub(" ", str(text))).strip()[:limit]


def address(email: str, name: str = "") -> Address | None:
    """The address when it looks like one (name@place.domain); None otherwise."""
    email = str(email or "").strip()
    if not _ADDRESS.match(email):
        return None
    local, domain = email.rsplit("@", 1)
    try:
        return Address(display_name=header_text(name, 100), username=local, domain=domain)
    except (ValueError, IndexError):
        return None


def draft(subject_line: str, body: str, to: Sequence[Address] = (),
          attachments: Sequence[tuple[str, bytes]] = ()) -> EmailMessage:
    """A draft message: plain-text body, each (file name, bytes) attached."""
    message = EmailMessage(policy=policy.SMTP)
    if to:
        message["To"] = list(to)
    message["Subject"] = header_text(subject_line, 250)
    message["X-Unsent"] = "1"
    message.set_content(body)
    for name, data in attachments:
        maintype, subtype = MIME.get(Path(name).suffix.lower(), ("application", "octet-stream"))
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_text(name, 200))
    return message


def as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=policy.SMTP)


# ----------------------------------------------------------------------------- for a partner

def partner_draft(feedback: Feedback, partnership: str, period: str, scale_max: int, email: str = "",
                  marked: tuple[str, bytes] | None = None) -> EmailMessage:
    """The draft to a partner: what to fix, cell by cell, with their marked workbook attached."""
    to = address(email, feedback.partner)
    body = note(feedback, partnership, period, scale_max, marked[0] if marked else "")
    return draft(subject(feedback, partnership, period), body, [to] if to else [], [marked] if marked else [])


# ----------------------------------------------------------------------------- for the executive

@dataclass(frozen=True)
class Ranked:
    """What the executive's covering note says, read from the copy itself."""

    title: str
    partnership: str
    period: str
    marking: str
    recommended: tuple[str, ...]  # "1. Domestic abuse: 62.25 out of 80 (High)"
    returned: str  # "Returned by 5 of 6 partners: ..."
    method: str


def read_ranked(grids: Sequence[Any], marking: str = "") -> Ranked:
    """The Summary and Method sheets of an executive's copy (grids, as read/ reads them)."""
    sheets = {g.sheet: [list(r) for r in g.rows] for g in grids}
    summary, method = sheets.get(SUMMARY, []), sheets.get(METHOD, [])
    facts = {_text(r[0]): _text(r[1]) for r in method if len(r) > 1 and r[0] is not None and r[1] is not None}
    title = next((_text(r[0]) for r in summary if r and r[0] is not None), "Ranked priorities")
    returned = next((_text(r[0]) for r in summary if r and _text(r[0]).startswith("Returned by")), "")
    recommended: list[str] = []
    header: list[str] | None = None
    for row in summary:
        cells = [_text(v) for v in row]
        if header is None:
            if len(cells) > 2 and cells[0].casefold() == "rank" and cells[1].casefold() == "priority":
                header = cells
            continue
        if not any(cells):
            break
        values = dict(zip(header, cells, strict=False))
        if any(v == "Recommended" for v in cells):
            total_label = next((h for h in header if h.casefold().startswith("total")), "")
            out_of = re.search(r"out of ([\d.]+)", total_label)
            total = _figure(values.get(total_label, ""))
            band = values.get("Band", "")
            recommended.append(f"{values.get('Rank', '')}. {values.get('Priority', '')}: {total}"
                               + (f" out of {out_of.group(1)}" if out_of else "") + (f" ({band})" if band else ""))
    how = [facts.get("Scale", "")]
    if facts.get("Aggregation rule"):
        how.append("scores combined as " + facts["Aggregation rule"].split(": ", 1)[-1])
    if facts.get("Total"):
        how.append("ranked by total: " + facts["Total"][:1].lower() + facts["Total"][1:])
    method_line = "; ".join(part for part in how if part)
    return Ranked(title, facts.get("Partnership", ""), facts.get("Assessment period", ""),
                  marking or facts.get("Protective marking", "") or "OFFICIAL", tuple(recommended), returned,
                  method_line)


def executive_draft(ranked: Ranked, attachments: Sequence[tuple[str, bytes]],
                    recipients: Sequence[str] = ()) -> EmailMessage:
    """The covering email to the executive: the recommended priorities, who returned and the
    method in a line, with the copy (and its PDF) attached; the subject starts with the marking."""
    what = f"{ranked.partnership} strategic assessment {ranked.period}".strip()
    subject_line = f"{ranked.marking}: {what}: recommended priorities"
    the = "" if what.casefold().startswith("the ") else "the "
    lines = ["Hello,", "",
             f"Attached is the ranked summary of {the}{what}"
             + (f" ({', '.join(name for name, _data in attachments)})" if attachments else "") + ".", ""]
    if ranked.recommended:
        lines += [f"Recommended priorities ({len(ranked.recommended)}):"]
        lines += [f"  {one_line(line)}" for line in ranked.recommended]
        lines.append("")
    if ranked.returned:
        lines += [one_line(ranked.returned), ""]
    if ranked.method:
        lines += [f"Method: {one_line(ranked.method)}.", ""]
    lines += [f"Protective marking: {ranked.marking}. Please handle the attachments accordingly.", "", "Thank you."]
    to = [a for a in (address(r) for r in recipients) if a is not None]
    return draft(subject_line, "\n".join(lines) + "\n", to, attachments)


def _figure(text: str) -> str:
    """A total as the Summary's cell shows it (62.25 shows as 62.3)."""
    try:
        return figure(float(text))
    except ValueError:
        return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
