"""The `csprisk` command line.

Exit status: 0 done with no error findings; 1 done, but some findings are errors (output
still written); 2 usage error, or no output could be written.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from csprisk.findings import Stopped
from csprisk.scheme import figure
from csprisk.version import __version__
from csprisk.words import plural

if TYPE_CHECKING:
    from csprisk.read.previous import PreviousRanking
    from csprisk.scheme import Scheme
    from csprisk.score.merge import MergeResult

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 2


class UsageError(Stopped):
    """A problem with how the command was called, in plain words."""


def _positive_whole_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csprisk",
        description="Merge and rank Community Safety Partnership risk-matrix returns.")
    parser.add_argument("--version", action="version", version=f"csprisk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def marking(p):
        p.add_argument("--marking", metavar="TEXT",
                       help='protective marking in print headers and footers (default: the settings, '
                            'else "OFFICIAL"), e.g. OFFICIAL-SENSITIVE')

    def settings(p):
        p.add_argument("--settings", metavar="FILE",
                       help="settings: a TOML file or the analyst workbook (.xlsx)")

    p = commands.add_parser("template", help="write a blank partner return (the risk-matrix workbook)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the .xlsx")
    p.add_argument("--partner", default="", help="partner organisation to fill in")
    settings(p)

    for name, text in (("validate", "check returns and report every problem, cell by cell"),
                       ("merge", "check, merge and rank returns, and write the ranked workbook")):
        p = commands.add_parser(name, help=text)
        p.add_argument("inputs", nargs="+", metavar="INPUT", help="return files or folders of returns")
        settings(p)
        p.add_argument("--json", action="store_true", help="print one JSON document and nothing else")
        p.add_argument("--aggregation", choices=("mean", "median", "max", "min"),
                       help="how partners' scores are combined (default: mean, or the settings)")
        p.add_argument("--top", type=_positive_whole_number, metavar="N",
                       help="how many priorities to recommend (1 or more)")
        if name == "validate":
            p.add_argument("--feedback", metavar="DIR",
                           help="write, for each return with things to fix, the partner's own workbook "
                                "marked (NAME (checked).xlsx) and an email draft to them (NAME.eml)")
        if name == "merge":
            p.add_argument("-o", "--output", default="ranked_assessment.xlsx", metavar="FILE",
                           help="the ranked workbook to write (default: ranked_assessment.xlsx)")
            p.add_argument("--previous", metavar="LAST.xlsx",
                           help="the ranked workbook from the last assessment, to show movement since then")
            marking(p)

    p = commands.add_parser("export", help="make the executive's copy of a ranked workbook, for email")
    p.add_argument("ranked", metavar="RANKED.xlsx", help="a ranked workbook written by csprisk merge")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the copy to write (.xlsx)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF beside it (needs LibreOffice)")
    p.add_argument("--author", help="author shown in the document properties (default: as in RANKED.xlsx)")
    p.add_argument("--email", action="store_true",
                   help="also write an email draft to the executive (FILE.eml beside the copy), copy attached")
    settings(p)
    marking(p)

    p = commands.add_parser("workbook", help="write the analyst's workbook (Settings, Start, Example sheets), "
                                             "ready for xlwings Lite")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the .xlsx")
    p.add_argument("--pyodide", metavar="VERSION", default=None,
                   help="the Pyodide version the workbook declares for xlwings Lite "
                        "(default: the newest csprisk is proven in)")
    settings(p)

    p = commands.add_parser("addin", help="build or install the Excel ribbon add-in (csprisk.xlam)")
    addin = p.add_subparsers(dest="addin_command", metavar="ACTION", required=True)
    a = addin.add_parser("build", help="make csprisk.xlam from the installed xlwings ribbon template")
    a.add_argument("-o", "--output", default="csprisk.xlam", metavar="FILE",
                   help="where to write it; the file must be called csprisk.xlam (default: csprisk.xlam)")
    a = addin.add_parser("install", help="copy csprisk.xlam into Excel's XLSTART folder (Windows, macOS)")
    a.add_argument("addin_file", nargs="?", default="csprisk.xlam", metavar="FILE",
                   help="the add-in to install (default: csprisk.xlam)")

    p = commands.add_parser("demo", help="make example returns and merge them")
    p.add_argument("--returns", default="examples/returns", metavar="DIR",
                   help="where to write the example returns (default: examples/returns)")
    p.add_argument("-o", "--output", default="out/ranked_assessment.xlsx", metavar="FILE")
    return parser


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A command builds millions of small objects and no garbage cycles worth collecting
    (peak memory is the same without the collector), yet Python's cycle collector walks them
    again and again: about a third of a 1,000-return merge. Reference counting still frees
    everything; the collector is back on when the command ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_FAILED
    try:
        with _cycle_collector_paused():
            return COMMANDS[args.command](args)
    except Stopped as error:  # no inputs, bad settings, an output that cannot be written, ...
        print(f"csprisk: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("csprisk: stopped.", file=sys.stderr)
        return EXIT_FAILED


def load_settings(args) -> Scheme:
    from csprisk.read.settings import load_scheme

    scheme = load_scheme(getattr(args, "settings", None))
    return scheme.with_overrides(aggregation=getattr(args, "aggregation", None),
                                 top_n=getattr(args, "top", None),
                                 protective_marking=getattr(args, "marking", None))


def cmd_template(args) -> int:
    from csprisk.excel.template import write_template

    check_output(args.output, "The partner template", reads=[args.settings])
    scheme = load_settings(args)
    with saying_new_folder(args.output):
        write_template(args.output, scheme, partner=args.partner)
    print(f"Wrote the partner template to {args.output}")
    return EXIT_OK


def run_merge(args, write: bool) -> tuple[MergeResult, PreviousRanking | None, int]:
    from csprisk.app.pipeline import merge_files
    from csprisk.excel.output import OutputError
    from csprisk.read.sources import discover
    from csprisk.score.merge import MERGED, REJECTED

    scheme = load_settings(args)
    discovered = discover(args.inputs)
    files = discovered[0]
    if write:
        check_output(args.output, "The ranked workbook", reads=[getattr(args, "settings", None),
                                                                 getattr(args, "previous", None)],
                     returns=files)
    previous, previous_refused = read_previous_ranking(getattr(args, "previous", None)) if write else (None, False)
    result = merge_files(args.inputs, scheme, progress=ProgressBar() if sys.stderr.isatty() else None,
                         discovered=discovered, meanwhile=_import_writer if write else None)
    if not any(s.status in (MERGED, REJECTED) for s in result.statuses):
        raise UsageError(nothing_to_merge(args.inputs, result))
    if write:
        from csprisk.excel.xlsx_writer import write_report
        from csprisk.report.ranked import build_report

        try:
            with saying_new_folder(args.output):
                write_report(build_report(result, previous), args.output)
        except OutputError as error:
            print(f"csprisk: {error}", file=sys.stderr)
            return result, previous, EXIT_FAILED
    return result, previous, EXIT_FINDINGS if result.has_errors or previous_refused else EXIT_OK


def _import_writer() -> None:
    """Import the report and its writer (openpyxl: a fifth of a second) while worker
    processes read the returns, rather than after."""
    import csprisk.excel.xlsx_writer  # noqa: F401
    import csprisk.report.ranked  # noqa: F401


def nothing_to_merge(inputs, result) -> str:
    named = ", ".join(str(i) for i in inputs)
    skipped = [s for s in result.statuses if s.reason]
    lines = [f"No returns were found in {named}, so nothing was merged and nothing was written. "
             "Name return files, or folders holding .xlsx, .xlsm, .xls or .ods returns."]
    lines += [f"  skipped {s.file}: {s.reason}" for s in skipped[:5]]
    return "\n".join(lines)


def check_output(output: str, what: str, reads=(), returns=()) -> None:
    """Refuse, before anything is read or written, an output that is not an .xlsx workbook or
    that is one of the files being read. A ranked workbook csprisk wrote earlier, found among
    the returns, may be replaced: it is skipped, never read as a return."""
    from csprisk.excel.output import refuse_overwriting, same_file
    from csprisk.marks import RANKED
    from csprisk.read.preflight import read_mark

    path = Path(output)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{what} is an Excel workbook, so its name must end in .xlsx (not {path.name}). "
                         "Choose another name with -o.")
    # Only a return that is the output itself is opened, to see whether csprisk wrote it.
    theirs = [f for f in returns if same_file(path, f) and read_mark(f) != RANKED]
    refuse_overwriting(path, [*reads, *theirs], what)


@contextlib.contextmanager
def saying_new_folder(output: str | Path) -> Iterator[None]:
    """Write `output` inside the block; if that created its folder, say so (on stderr, so
    that --json stays one document)."""
    folder, missing = Path(output).absolute().parent, None
    while not folder.exists():
        missing, folder = folder, folder.parent
    yield
    if missing is not None:
        print(f"csprisk: created the folder {missing}", file=sys.stderr)


def cmd_merge(args) -> int:
    result, previous, status = run_merge(args, write=True)
    if status == EXIT_FAILED:
        return status
    if args.json:
        print_json(result.to_dict(previous))
    else:
        print(render_text(result, output=args.output))
    return status


def print_json(document) -> None:
    """`document` on stdout as `print(json.dumps(document, indent=2, ensure_ascii=False))`
    prints it, a megabyte at a time: a national roll-up's JSON is tens of megabytes, and
    one string of it (then encoded) was the run's peak memory."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
    batch: list[str] = []
    size = 0
    for chunk in encoder.iterencode(document):
        batch.append(chunk)
        size += len(chunk)
        if size >= 1 << 20:
            sys.stdout.write("".join(batch))
            batch.clear()
            size = 0
    batch.append("\n")
    sys.stdout.write("".join(batch))


def cmd_validate(args) -> int:
    result, _previous, status = run_merge(args, write=False)
    if getattr(args, "feedback", None):
        from csprisk.app.sendback import write_partner_feedback

        if not write_partner_feedback(result, args.feedback):
            return EXIT_FAILED
    if args.json:
        print_json(result.to_dict())
    else:
        print(render_returns(result))
        print()
        print(render_findings(result, limit=None))
    return status


def cmd_demo(args) -> int:
    from csprisk.app.demo import write_example_returns
    from csprisk.read.settings import load_scheme

    scheme = load_scheme(Path(__file__).with_name("demo_settings.toml"))
    files = write_example_returns(Path(args.returns), scheme)
    print(f"Wrote {len(files)} example returns to {args.returns}/")
    from csprisk.app.pipeline import merge_files
    from csprisk.excel.output import OutputError
    from csprisk.excel.xlsx_writer import write_report
    from csprisk.report.ranked import build_report

    result = merge_files([args.returns], scheme)
    try:
        with saying_new_folder(args.output):
            write_report(build_report(result), args.output)
    except OutputError as error:
        print(f"csprisk: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(render_text(result, output=args.output))
    return EXIT_OK


def read_previous_ranking(path: str | None):
    """(the previous ranking or None, whether a previous assessment was given and refused).

    A missing file is a mistake on the command line (exit 2, nothing done); a workbook that
    cannot be used is said, and the ranking goes on without movement (exit 1)."""
    from csprisk.read.previous import PreviousError, read_previous

    if not path:
        return None, False
    if not Path(path).is_file():
        raise UsageError(f"The previous assessment {path} does not exist. Name the ranked workbook "
                         "csprisk merge wrote last time, or leave out --previous.")
    try:
        return read_previous(path), False
    except PreviousError as error:
        print(f"csprisk: {error} The ranking is made without movement since last time.", file=sys.stderr)
        return None, True


def cmd_export(args) -> int:
    from csprisk.excel.export import ExportError, PdfUnavailable, export_for_executive, write_pdf
    from csprisk.excel.output import OutputError

    try:
        with saying_new_folder(args.output):
            exported = export_for_executive(args.ranked, args.output, marking=args.marking, author=args.author)
    except (ExportError, OutputError) as error:
        print(f"csprisk: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Wrote the executive's copy to {exported.path} ({', '.join(exported.sheets)}; values only).")
    if exported.missing_sheets:
        print(f"  Not in {args.ranked}, so not in the copy: {', '.join(exported.missing_sheets)}. "
              "Run csprisk merge again to add them.")
    if exported.blank_formulas:
        print(f"  {len(exported.blank_formulas)} formula cells had no saved value and are blank "
              f"(first: {exported.blank_formulas[0]}). Open and save the ranked workbook in Excel, then "
              "export again.", file=sys.stderr)
    pdf, status = None, EXIT_OK
    if args.pdf:
        try:
            pdf = write_pdf(exported.path)
            print(f"Wrote the PDF to {pdf}")
        except PdfUnavailable as error:
            print(f"csprisk: {error}", file=sys.stderr)
            status = EXIT_FINDINGS
    if args.email:
        from csprisk.app.sendback import write_executive_email

        status = status if write_executive_email(args, exported.path, pdf) else EXIT_FINDINGS
    return status


def cmd_workbook(args) -> int:
    from csprisk.excel.analyst_workbook import write_analyst_workbook
    from csprisk.excel.lite import pyodide_line

    check_output(args.output, "The analyst workbook", reads=[args.settings])
    scheme = load_settings(args)
    line = pyodide_line(args.pyodide)
    with saying_new_folder(args.output):
        write_analyst_workbook(args.output, scheme, line.version)
    print(f"Wrote the analyst workbook to {args.output}: open it in Excel with the xlwings Lite add-in "
          f"(its code runs in Pyodide {line.version}, Python {line.python}) and follow its Start sheet.")
    return EXIT_OK


def cmd_addin(args) -> int:
    from csprisk.excel.addin import build_addin, install_addin

    if args.addin_command == "build":
        print(f"Wrote the ribbon add-in to {build_addin(args.output)}")
    else:
        print("\n".join(install_addin(args.addin_file)))
    return EXIT_OK


COMMANDS = {"template": cmd_template, "merge": cmd_merge, "validate": cmd_validate, "demo": cmd_demo,
            "export": cmd_export, "workbook": cmd_workbook, "addin": cmd_addin}


# ----------------------------------------------------------------------------- output

def render_text(result, output: str | None = None) -> str:
    from csprisk.scheme import format_number
    from csprisk.score.merge import MERGED, REJECTED

    scheme = result.scheme
    lines = []
    merged = sum(1 for s in result.statuses if s.status == MERGED)
    rejected = sum(1 for s in result.statuses if s.status == REJECTED)
    lines.append(f"{scheme.partnership} {scheme.period}".strip())
    lines.append(f"{plural(merged, 'return')} merged, {rejected} rejected; scores combined by {scheme.aggregation}.")
    lines.append("")
    width = max([len(p.name) for p in result.assessment.ranking] + [8])
    width = min(width, 48)
    total_label = f"Total/{format_number(scheme.max_total)}"
    lines.append(f"{'Rank':<5} {'Priority':<{width}} {total_label:>9}  {'Band':<7} Partners")
    for p in result.assessment.ranking:
        star = "  *" if p.recommended else ""
        lines.append(f"{p.rank_label:<5} {p.name[:width]:<{width}} {figure(p.total):>9}  {p.band:<7} "
                     f"{len(p.partners):>8}{star}")
    if result.assessment.ranking:
        lines.append(f"* recommended (top {scheme.top_n})")
    lines.append("")
    lines.append(render_findings(result, limit=15))
    if output:
        lines.append(f"Ranked workbook written to {output}")
    return "\n".join(lines)


def render_findings(result, limit: int | None) -> str:
    from csprisk.findings import SEVERITY_ORDER, counts_line

    lines = [f"Findings: {counts_line(list(result.findings))}."]
    shown = [f for f in sorted(result.findings, key=lambda f: SEVERITY_ORDER[f.severity]) if f.severity != "info"]
    if limit is None:
        shown = sorted(result.findings, key=lambda f: SEVERITY_ORDER[f.severity])
    for f in shown[:limit]:
        where = f.where
        lines.append(f"  {f.severity.upper():<7} {f.code:<20} {where}: {f.message}")
    if limit is not None and len(shown) > limit:
        lines.append(f"  ... and {len(shown) - limit} more (see the Validation sheet, or run csprisk validate).")
    notes = sum(1 for f in result.findings if f.severity == "info")
    if limit is not None and notes:
        lines.append(f"  {plural(notes, 'note')} not shown here (such as scores marked not known): each is on "
                     "the Validation sheet, and csprisk validate lists them.")
    return "\n".join(lines)


def render_returns(result) -> str:
    """Which files were checked, and which were clean: one line each."""
    from csprisk.findings import count_by_severity

    by_file: dict[str, list] = {}
    for f in result.findings:
        by_file.setdefault(f.file, []).append(f)
    lines = [f"Checked {plural(len(result.statuses), 'file')}:"]
    clean = 0
    files = [s.file for s in result.statuses]
    for status in result.statuses:
        sheet = f", sheet {status.sheet}" if status.sheet and files.count(status.file) > 1 else ""
        who = f" ({status.partner}{sheet})" if status.partner else ""
        if status.status == "skipped":
            lines.append(f"  {'skipped':<28} {status.file}: {status.reason}")
            continue
        counts = count_by_severity(by_file.get(status.file, []))
        found = ", ".join(plural(n, word) for n, word in ((counts["error"], "error"), (counts["warning"], "warning"),
                                                          (counts["info"], "note")) if n)
        clean += not found
        lines.append(f"  {found or 'clean':<28} {status.file}{who}")
    lines.append(f"{clean} of {plural(len(result.statuses), 'file')} clean (no findings).")
    return "\n".join(lines)


class ProgressBar:
    """A one-line progress bar on stderr, shown only for runs long enough to need it."""

    def __init__(self, min_items: int = 10) -> None:
        self.min_items = min_items
        self.started = time.monotonic()

    def __call__(self, done: int, total: int, label: str) -> None:
        if total < self.min_items:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\rReading returns [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
