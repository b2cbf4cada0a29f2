"""Runs inside Pyodide: the analyst workbook's main.py, as xlwings Lite runs it.

    pyodide_lite_driver.py MAIN_PY REQUEST_JSON RESULT_JSON

Nothing but the workbook's requirements is installed, and csprisk is not: main.py must
bring it. The request names custom-function calls (Office.js payloads) and scripts to run
on an Office.js JSON book; the result holds each function's answer, the function and script
metadata, each script's actions and the time it took.
"""

import importlib.util
import json
import sys
import time

main_path, request_path, result_path = sys.argv[1:4]
assert importlib.util.find_spec("csprisk") is None, "csprisk must come from main.py, not be installed"
with open(request_path, encoding="utf-8") as handle:
    request = json.load(handle)

started = time.perf_counter()
spec = importlib.util.spec_from_file_location("main", main_path)
main = importlib.util.module_from_spec(spec)
sys.modules["main"] = main
spec.loader.exec_module(main)
loaded = time.perf_counter() - started

import xlwings as xw  # noqa: E402  (as main.py imported it: in server mode)
import xlwings.server as server  # noqa: E402
from pyodide.ffi import run_sync  # noqa: E402

import csprisk  # noqa: E402

try:
    import python_calamine  # noqa: F401
    reader = "calamine"
except ImportError:
    reader = "openpyxl"

result = {
    "python": sys.version.split()[0], "platform": sys.platform, "reader": reader,
    "csprisk_file": csprisk.__file__, "load_seconds": loaded,
    "functions_meta": server.custom_functions_meta(main),
    "scripts_meta": server.custom_scripts_meta(main),
    "functions": [], "scripts": [],
}
for call in request.get("functions", []):
    result["functions"].append(run_sync(server.custom_functions_call(call, main)))
for run in request.get("scripts", []):
    book = xw.Book(json=run["book"])
    started = time.perf_counter()
    run_sync(server.custom_scripts_call(main, run["name"], typehint_to_value={xw.Book: book}))
    seconds = time.perf_counter() - started
    result["scripts"].append({"name": run["name"], "seconds": seconds, "actions": book.json()["actions"]})
for name in request.get("read_back", []):  # files the scripts wrote, e.g. into /data
    with open(name, "rb") as handle:
        result.setdefault("files", {})[name] = len(handle.read())

with open(result_path, "w", encoding="utf-8") as handle:
    json.dump(result, handle, default=str)
