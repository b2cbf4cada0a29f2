"""The command line's part in sending things back: `validate --feedback DIR` (each partner's
marked workbook and email draft) and `export --email` (the executive's draft)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from csprisk.words import plural


def write_partner_feedback(result: Any, folder: str) -> bool:
    """Write the marked copies and drafts into `folder` and say what was written (on stderr,
    so that --json stays one document); False when nothing could be written."""
    from csprisk.excel.output import OutputError
    from csprisk.excel.returned import write_feedback

    try:  # every file the merge looked at (each status is named by its path)
        written = write_feedback(result, folder, inputs=[Path(s.file) for s in result.statuses])
    except OSError as error:
        print(f"csprisk: could not write feedback to {folder}: {error.strerror}", file=sys.stderr)
        return False
    except OutputError as error:
        print(f"csprisk: {error}", file=sys.stderr)
        return False
    print(f"Feedback for {plural(len(written.drafts), 'return')} written to {folder}: "
          f"{plural(len(written.drafts), 'email draft')} (.eml, open to send) and "
          f"{plural(len(written.marked), 'marked workbook')} (checked).", file=sys.stderr)
    for note in written.notes:
        print(f"  {note}", file=sys.stderr)
    return True


def write_executive_email(args: Any, exported: Path, pdf: Path | None) -> bool:
    """`<copy>.eml` beside the executive's copy, the copy (and PDF) attached."""
    from csprisk.excel.output import OutputError
    from csprisk.excel.returned import write_executive_draft
    from csprisk.read.settings import load_scheme
    from csprisk.read.sources import WorkbookRefused

    try:
        scheme = load_scheme(getattr(args, "settings", None))
        draft = write_executive_draft(exported, [exported] + ([pdf] if pdf else []), scheme)
    except (OutputError, WorkbookRefused) as error:
        print(f"csprisk: no email draft was written: {error}", file=sys.stderr)
        return False
    to = (f"to {', '.join(scheme.executive)}" if scheme.executive else
          "its To line is blank: fill it in, or list the executive's addresses in the settings (executive = [...])")
    print(f"Wrote the executive's email draft to {draft} ({to}); open it to send.")
    return True
