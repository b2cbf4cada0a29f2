"""The desktop ribbon add-in: csprisk.xlam with a "CSP Risk Matrix" tab and a Merge & Rank button.

It is made, at build time, from the ribbon add-in template that the installed xlwings
ships (`quickstart_addin_ribbon.xlam`, what `xlwings quickstart NAME --addin --ribbon`
copies); none of xlwings' files are kept in this repository. Only the ribbon XML is
changed. The template's one VBA callback, `RibbonMyAddin.RunMain`, runs
`RunPython "import NAME; NAME.main()"` where NAME is the add-in's file name without its
extension, so the file must be called csprisk.xlam and the button runs `csprisk.main()`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from csprisk.findings import Stopped

ADDIN_NAME = "csprisk.xlam"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
CALLBACK = "RibbonMyAddin.RunMain"
TAB_LABEL = "CSP Risk Matrix"
BUTTON_LABEL = "Merge & Rank"
#: The part names Office reads the ribbon from (2007 and 2010+ schemas).
CUSTOM_UI_PARTS = ("customUI/customUI.xml", "customUI/customUI14.xml")
#: The name the template's VBA uses for its settings (PROJECT_NAME in its xlwings module).
VBA_PROJECT_NAME = "myaddin"

SUPERTIP = ("Merge every partner's return (sheets of this workbook and the returns folder named on its Settings "
            "sheet), rank the priorities and write the report sheets (Summary, Validation and the rest) into the "
            "active workbook.")
_TAB = f"""<tab id="cspRiskMatrixTab" label="{TAB_LABEL}">
                <group id="cspReturnsGroup" label="Partners' returns">
                    <button id="cspMergeAndRank" label="{BUTTON_LABEL.replace('&', '&amp;')}" size="large"
                            onAction="{CALLBACK}" imageMso="MacroPlay" screentip="Merge &amp; Rank"
                            supertip="{SUPERTIP}" />
                </group>
            </tab>"""


class AddinError(Stopped):
    """The add-in could not be built or installed; the message says why and what to do."""


def template_path() -> Path:
    """The ribbon add-in template inside the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).parent / TEMPLATE_NAME
    if not path.is_file():
        raise AddinError(f"The installed xlwings {xlwings.__version__} has no {TEMPLATE_NAME}, which the "
                         "add-in is made from. Reinstall xlwings (pip install --force-reinstall xlwings).")
    return path


def ribbon_xml(original: str) -> str:
    """The template's ribbon XML with its tab replaced by the CSP Risk Matrix tab."""
    if CALLBACK not in original:
        raise AddinError(f"The xlwings ribbon template no longer calls {CALLBACK}, so the button could not "
                         "reach csprisk. Use the xlwings version this csprisk release was tested with.")
    changed, count = re.subn(r"<tab\b.*?</tab>", lambda _m: _TAB, original, count=1, flags=re.DOTALL)
    if count != 1:
        raise AddinError("The xlwings ribbon template has no <tab> to replace.")
    return changed


def build_addin(output: str | os.PathLike) -> Path:
    """Write csprisk.xlam: xlwings' ribbon add-in template with the CSP Risk Matrix tab."""
    output = Path(output)
    if output.name.casefold() != ADDIN_NAME:
        raise AddinError(f"The add-in must be called {ADDIN_NAME}: its button runs "
                         f'"import <file name>; <file name>.main()", so the name is what reaches csprisk. '
                         f"Use -o {output.with_name(ADDIN_NAME)}.")
    source = template_path()
    temp = output.with_name(f".~tmp-{output.name}")
    try:
        with ZipFile(source) as template, ZipFile(temp, "w", ZIP_DEFLATED) as target:
            names = template.namelist()
            if not any(part in names for part in CUSTOM_UI_PARTS):
                raise AddinError(f"The xlwings template {TEMPLATE_NAME} has no ribbon part.")
            for info in template.infolist():
                data = template.read(info)
                if info.filename in CUSTOM_UI_PARTS:
                    data = ribbon_xml(data.decode("utf-8")).encode("utf-8")
                target.writestr(info, data, compress_type=ZIP_DEFLATED)
        os.replace(temp, output)
    except OSError as error:
        raise AddinError(f"Cannot write the add-in to {output}: {error.strerror or error}. If Excel has it "
                         "open, quit Excel and try again.") from None
    finally:
        temp.unlink(missing_ok=True)
    return output


def install_addin(source: str | os.PathLike) -> list[str]:
    """Copy the add-in into Excel's XLSTART folder, as `xlwings addin install -f` does.

    Returns lines to print. Needs desktop Excel (Windows or macOS) on this machine.
    """
    source = Path(source)
    if not source.is_file():
        raise AddinError(f"{source} does not exist. Build it first: csprisk addin build -o {ADDIN_NAME}")
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        raise AddinError(
            f"Installing the add-in needs desktop Excel on Windows or macOS, and this is {sys.platform}. "
            f"Copy {source.name} to the analyst's PC and run csprisk addin install there, or put it in "
            "Excel's XLSTART folder by hand (see docs/excel-addin.md).")
    import xlwings as xw
    from xlwings.cli import get_addin_dir  # the XLSTART folder, as xlwings itself finds it

    target = Path(get_addin_dir()) / source.name
    lines = []
    for app in xw.apps:  # an open copy would block the file: close it first
        try:
            app.books[source.name].close()
        except Exception:
            pass
    try:
        shutil.copyfile(source, target)
    except OSError as error:
        raise AddinError(f"Cannot copy the add-in to {target}: {error.strerror or error}. Quit Excel and "
                         "try again.") from None
    lines.append(f"Installed {source.name} in {target.parent}.")
    if sys.platform.startswith("win"):
        for app in xw.apps:
            try:
                app.books.open(target)
            except Exception:
                lines.append("Restart Excel to see the CSP Risk Matrix tab.")
        config = interpreter_config(Path(os.environ.get("USERPROFILE", Path.home())))
        if config:
            lines.append(config)
    else:
        lines.append("Quit Excel (Cmd-Q) and start it again to see the CSP Risk Matrix tab.")
    return lines


def interpreter_config(home: Path) -> str | None:
    """Point the add-in at this Python (where csprisk is installed), unless already set.

    The template's VBA reads its settings from %USERPROFILE%\\.myaddin\\myaddin.conf
    (lines such as "INTERPRETER_WIN","C:\\...\\python.exe"); without it the button runs
    whatever `python` is first on the PATH.
    """
    path = home / f".{VBA_PROJECT_NAME}" / f"{VBA_PROJECT_NAME}.conf"
    if path.exists():
        return f"Left {path} as it is (it already names a Python interpreter or other settings)."
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'"INTERPRETER_WIN","{sys.executable}"\n', encoding="utf-8")
    return f"Wrote {path}: the button runs {sys.executable}."
