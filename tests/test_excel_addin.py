"""The desktop ribbon add-in (csprisk.xlam), made from xlwings' own ribbon template.

What is proven here: the package is a valid zip holding xlwings' VBA project untouched;
its ribbon XML is well-formed and declares the CSP Risk Matrix tab with a large Merge &
Rank button wired to the template's one callback, RibbonMyAddin.RunMain; that callback
(read from the VBA source) runs "import NAME; NAME.main()" with NAME from the file name,
so csprisk.xlam reaches csprisk.main(). What Excel does with it can only be seen in Excel.
"""

import zipfile
from xml.etree import ElementTree

import pytest

import csprisk
from csprisk.app import cli
from csprisk.excel.addin import (
    ADDIN_NAME,
    CALLBACK,
    AddinError,
    build_addin,
    install_addin,
    interpreter_config,
    template_path,
)

CUSTOM_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def addin(tmp_path_factory):
    path = tmp_path_factory.mktemp("addin") / ADDIN_NAME
    assert cli.main(["addin", "build", "-o", str(path)]) == 0
    return path


def test_addin_is_a_valid_package_with_xlwings_vba_untouched(addin):
    with zipfile.ZipFile(addin) as built, zipfile.ZipFile(template_path()) as template:
        assert built.testzip() is None
        assert built.namelist() == template.namelist()
        for name in template.namelist():
            if not name.startswith("customUI/"):
                assert built.read(name) == template.read(name), name
        assert "xl/vbaProject.bin" in built.namelist()
        rels = built.read("_rels/.rels").decode()
        assert 'Target="customUI/customUI.xml"' in rels and "ui/extensibility" in rels


def test_ribbon_declares_the_tab_and_a_large_merge_and_rank_button(addin):
    with zipfile.ZipFile(addin) as built:
        root = ElementTree.fromstring(built.read("customUI/customUI.xml"))
    tabs = root.findall(f".//{CUSTOM_UI}tab")
    assert [t.get("label") for t in tabs] == ["CSP Risk Matrix"]
    buttons = tabs[0].findall(f".//{CUSTOM_UI}button")
    assert len(buttons) == 1
    button = buttons[0]
    assert (button.get("label"), button.get("size"), button.get("onAction")) == \
           ("Merge & Rank", "large", CALLBACK)
    assert button.get("imageMso")


def test_the_callback_runs_main_of_the_module_named_like_the_file():
    # The VBA of xlwings' template, RibbonMyAddin module (checked with olevba):
    #   mymodule = Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name, ".", -1, vbTextCompare) - 1))
    #   RunPython "import " & mymodule & ";" & mymodule & ".main()"
    # The VBA project is stored compressed, so check the module is there by name and
    # mirror the VBA's name arithmetic for our file.
    with zipfile.ZipFile(template_path()) as template:
        vba = template.read("xl/vbaProject.bin")
    assert "RibbonMyAddin".encode("utf-16-le") in vba or b"RibbonMyAddin" in vba
    name = ADDIN_NAME
    module = name[:name.rindex(".")]
    assert module == "csprisk"
    assert callable(csprisk.main)
    command = f"import {module};{module}.main()"
    namespace = {}
    exec(command.split(";")[0], namespace)  # the import works without Excel and is cheap
    assert namespace["csprisk"].main is csprisk.main


@pytest.mark.subprocess
def test_importing_csprisk_for_the_button_does_not_load_xlwings_or_pandas():
    import subprocess
    import sys

    code = ("import sys, csprisk; print(sorted(m for m in ('xlwings', 'pandas', 'openpyxl') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_file_must_be_called_csprisk_xlam(tmp_path):
    with pytest.raises(AddinError, match="must be called csprisk.xlam"):
        build_addin(tmp_path / "risk.xlam")
    assert cli.main(["addin", "build", "-o", str(tmp_path / "risk.xlam")]) == 2


def test_install_says_plainly_it_needs_excel_on_windows_or_macos(addin, capsys):
    import sys

    if sys.platform.startswith("win") or sys.platform == "darwin":
        pytest.skip("this machine has desktop Excel platforms; the Linux message is what is checked")
    with pytest.raises(AddinError, match="needs desktop Excel on Windows or macOS"):
        install_addin(addin)
    assert cli.main(["addin", "install", str(addin)]) == 2
    assert "Windows or macOS" in capsys.readouterr().err


def test_interpreter_config_points_the_button_at_this_python_once(tmp_path):
    import sys

    message = interpreter_config(tmp_path)
    conf = tmp_path / ".myaddin" / "myaddin.conf"
    assert conf.read_text() == f'"INTERPRETER_WIN","{sys.executable}"\n'
    assert "Wrote" in message
    conf.write_text('"INTERPRETER_WIN","C:\\\\mine\\\\python.exe"\n')
    assert "Left" in interpreter_config(tmp_path)
    assert "mine" in conf.read_text()
