"""Real Pyodide under Node, the runtime xlwings Lite runs in Excel: getting it and using it.

`python tests/pyodide_env.py prepare` installs, under `.pyodide/` (not committed), each
Pyodide that `csprisk.excel.lite.PYODIDE_LINES` declares (the npm package, pinned) and the wheels
for that Pyodide's platform from PyPI: what the analyst workbook's requirements.txt names,
plus pytest and hypothesis for running the test suite there, and micropip to install them.
`python tests/pyodide_env.py pytest VERSION` runs the test suite inside that Pyodide.

Tests use `run_script` to run a script inside Pyodide with chosen wheels installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOME = REPO / ".pyodide"
RUNNER = REPO / "tools" / "pyodide" / "run.mjs"
#: What the test suite needs inside Pyodide beyond the workbook's requirements.
TEST_REQUIREMENTS = ("pytest", "hypothesis")
INSTALLER = ("micropip", "packaging")
NODE_FLAGS = ("--experimental-wasm-stack-switching",)  # asyncio.run and run_sync on Node 20

sys.path.insert(0, str(REPO / "src"))
from csprisk.excel.lite import PYODIDE_LINES, PyodideLine, requirements_txt  # noqa: E402


def npm_dir(line: PyodideLine) -> Path:
    return HOME / f"npm-{line.version}"


def pyodide_dir(line: PyodideLine) -> Path:
    return npm_dir(line) / "node_modules" / "pyodide"


def wheel_dir(line: PyodideLine) -> Path:
    return HOME / f"wheels-{line.version}"


def _stamp(line: PyodideLine) -> Path:
    return HOME / f"ready-{line.version}"


def missing(line: PyodideLine) -> str | None:
    """Why Pyodide `line` cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "Node.js (node) is not installed"
    if not _stamp(line).exists() or _stamp(line).read_text() != "\n".join(_wanted(line)) + "\n":
        return f"Pyodide {line.version} is not prepared (or its requirements changed): run make pyodide"
    return None


def require(line: PyodideLine) -> None:
    """Skip when Pyodide is not prepared, except on CI, where that is a failure."""
    import pytest

    if sys.platform == "emscripten":
        pytest.skip("this test starts Pyodide under Node, which cannot be done from inside Pyodide")
    why = missing(line)
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"{why}; CI must run the tests inside Pyodide")
        pytest.skip(why)


def _pip_download(line: PyodideLine, requirements: list[str], dest: Path, offline: bool) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--only-binary=:all:", "--python-version", line.python, "--implementation", "cp",
               "--abi", f"cp{line.python.replace('.', '')}", "--abi", "none", "--abi", "abi3",
               "--platform", "any", "--platform", line.platform, "-d", str(dest)]
    if offline:
        command += ["--no-index", "--find-links", str(wheel_dir(line))]
    subprocess.run(command + requirements, check=True)


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements.txt, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _wanted(line: PyodideLine) -> list[str]:
    return requirement_lines(requirements_txt(line)) + list(TEST_REQUIREMENTS) + list(INSTALLER)


def prepare(line: PyodideLine) -> None:
    """Install that Pyodide and its wheels, unless done already for the same requirements."""
    wanted = "\n".join(_wanted(line)) + "\n"
    if _stamp(line).exists() and _stamp(line).read_text() == wanted:
        return
    print(f"Preparing Pyodide {line.version} (Python {line.python}) under {HOME} ...", flush=True)
    npm_dir(line).mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                    "--loglevel=error", "--prefix", str(npm_dir(line)), f"pyodide@{line.version}"], check=True)
    wheels = wheel_dir(line)
    wheels.mkdir(parents=True, exist_ok=True)
    _pip_download(line, _wanted(line), wheels, offline=False)
    _stamp(line).write_text(wanted)


def resolve(line: PyodideLine, requirements: list[str]) -> list[str]:
    """The wheels (file names) that install `requirements` and their dependencies, resolved
    offline from the prepared wheels, as micropip would from PyPI."""
    with tempfile.TemporaryDirectory() as tmp:
        _pip_download(line, requirements, Path(tmp), offline=True)
        return sorted(p.name for p in Path(tmp).iterdir() if p.suffix == ".whl")


def run_script(line: PyodideLine, script: str, *args: str, wheels: list[str] = (),
               mounts: dict[str, str] | None = None, env: dict[str, str] | None = None,
               timeout: float = 1800, capture: bool = True) -> subprocess.CompletedProcess:
    """Run `script` (a path inside Pyodide) as __main__ in a fresh Pyodide with `wheels`."""
    command = ["node", *NODE_FLAGS, str(RUNNER), "--pyodide", str(pyodide_dir(line)),
               "--wheels", str(wheel_dir(line))]
    for wheel in wheels:
        command += ["--install", wheel]
    for host, guest in (mounts or {}).items():
        command += ["--mount", f"{host}:{guest}"]
    for key, value in (env or {}).items():
        command += ["--env", f"{key}={value}"]
    command += ["--", script, *args]
    return subprocess.run(command, capture_output=capture, text=True, timeout=timeout)


def pytest_in_pyodide(line: PyodideLine, pytest_args: list[str]) -> int:
    """The test suite inside Pyodide, reading and writing the checkout through a mount."""
    requirements = requirement_lines(requirements_txt(line)) + list(TEST_REQUIREMENTS)
    result = run_script(line, "/repo/tests/pyodide_pytest.py", *pytest_args,
                        wheels=resolve(line, requirements), mounts={str(REPO): "/repo"},
                        env={"PYTHONDONTWRITEBYTECODE": "1", "CI": os.environ.get("CI", "")},
                        capture=False, timeout=3600)
    return result.returncode


def main(argv: list[str]) -> int:
    if argv[:1] == ["prepare"]:
        if shutil.which("node") is None or shutil.which("npm") is None:
            print("Node.js and npm are not installed, so the tests inside Pyodide (the runtime of "
                  "xlwings Lite) will skip. Debian: apt-get install nodejs npm", file=sys.stderr)
            return 0
        for line in PYODIDE_LINES.values():
            prepare(line)
        return 0
    if argv[:1] == ["pytest"] and len(argv) >= 2:
        line = PYODIDE_LINES[argv[1]]
        why = missing(line)
        if why:
            print(f"pyodide_env: {why}", file=sys.stderr)
            return 2
        return pytest_in_pyodide(line, argv[2:])
    print("usage: pyodide_env.py prepare | pytest VERSION [PYTEST ARGS]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
