"""Merge & Rank benchmark: ours against the naive pandas way and the floor of just reading.

    python benchmarks/bench.py [--returns 1000] [--runs 3] [--double] [--national 6000] [--against SRC]

Generates N realistic returns once (cached under benchmarks/.cache/), then times, in one
run and alternating, each variant in its own process:
  ours   `csprisk merge DIR -o OUT --json` end to end (read, validate, combine, rank, write)
  naive  pandas.read_excel(engine="openpyxl") per file, concat, groupby, to_excel
  floor  python-calamine reading every cell value of every file, nothing else
and prints median wall time, ms per return, peak memory (the most resident at once in that
process and its reading workers together) and the ratios naive/ours and ours/floor; with
--double the same for 2N returns and the ratios of time and memory at 2N to N; with
--national M a national roll-up of M returns (ours only, one run: time and peak memory);
then the cold start of `csprisk --version`, the time the gate takes over each hostile file
of tests/hostile_files.py (`--hostile-only`: just that), and the Merge & Rank script run through
xlwings' own dispatch (as xlwings Lite and Server run it) on the analyst workbook holding
30 partner sheets, sent as the Office.js client sends it (the JSON book is made by
tests/officejs.py, the helper the script tests use), on CPython and inside real Pyodide
under Node (each line the analyst workbook can declare, from the workbook's own main.py
with only its requirements.txt installed; `make pyodide` first).
`--script-only` measures just the script, on 30 generated returns; `--parse-only` just the
parser, in process, on N generated grids (no files). `--against SRC` (the src/
folder of another checkout, e.g. `git worktree add /tmp/before f77dd04`) adds "before",
that code's merge run the same way, alternating with the others.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
PRIORITIES_PER_RETURN = 30
CANDIDATES = 40


def bench_scheme():
    from csprisk.scheme import Priority, Scheme

    names = [f"Priority {i:02d}" for i in range(1, CANDIDATES + 1)]
    return Scheme(partnership="Benchmark CSP", period="2027-28",
                  priorities=tuple(Priority(n) for n in names), spare_rows=0)


def generate(n: int) -> Path:
    """N returns made from the partner template, with NK, blanks and bad cells; cached."""
    folder = CACHE / f"returns-v2-{n}"  # v2: each return scores exactly its 30 priorities
    done = folder / ".complete"
    if done.exists():
        return folder
    from csprisk.excel.template import build_template, matrix_layout

    folder.mkdir(parents=True, exist_ok=True)
    scheme = bench_scheme()
    workbook = build_template(scheme)
    sheet = workbook.worksheets[0]
    layout = matrix_layout(scheme)
    columns = dict(zip(scheme.labels, layout.criteria_cols, strict=True))
    rows = {p.name: layout.first_row + i for i, p in enumerate(scheme.priorities)}
    partner_cell = layout.metadata_cells["Partner organisation"]
    rng = random.Random(20271)
    print(f"Generating {n} returns in {folder} (once) ...", file=sys.stderr)
    for i in range(n):
        sheet[partner_cell] = f"Partner {i:05d}"
        chosen = set(rng.sample(sorted(rows), PRIORITIES_PER_RETURN))
        for name, row in rows.items():
            for label in scheme.labels:
                value = None
                if name in chosen:
                    roll = rng.random()
                    value = rng.randint(0, 5)
                    if roll < 0.03:
                        value = "NK"
                    elif roll < 0.04:
                        value = None
                    elif roll < 0.045:
                        value = rng.choice([6, 2.5, "high", "4"])
                sheet[f"{columns[label]}{row}"] = value
        workbook.save(folder / f"return_{i:05d}.xlsx")
    done.write_text("ok")
    return folder


NAIVE = r"""
import sys, glob, pandas as pd
folder, out, header = sys.argv[1], sys.argv[2], int(sys.argv[3])
frames = []
for path in sorted(glob.glob(folder + "/*.xlsx")):
    df = pd.read_excel(path, sheet_name=0, header=header, engine="openpyxl")
    df["partner"] = path
    frames.append(df)
data = pd.concat(frames, ignore_index=True)
criteria = [c for c in data.columns[1:17]]
for c in criteria:
    data[c] = pd.to_numeric(data[c], errors="coerce")
data = data.dropna(subset=criteria, how="all")
combined = data.groupby("Priority")[criteria].mean()
combined["TOTAL"] = combined.sum(axis=1)
combined.sort_values("TOTAL", ascending=False).to_excel(out)
"""

FLOOR = r"""
import sys, glob, python_calamine as pc
cells = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.xlsx")):
    wb = pc.CalamineWorkbook.from_path(path)
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=True)
        cells += sum(len(r) for r in rows)
print(cells)
"""


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; its peak counts the RSS of its
    worker processes too, summed while they run (sampled every 20 ms), since a merge of many
    files reads them in workers."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=None if env is None else {**os.environ, **env})
    tree_peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree_peak = max(tree_peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err}")
    return wall, max(usage.ru_maxrss * 1024, tree_peak) / 2 ** 20


def _tree_rss(pid: int) -> int:
    """Bytes resident in a process and its descendants now (0 where /proc cannot tell)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
                break
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, ValueError):
        return total
    return total + sum(_tree_rss(int(child)) for child in children)


def variants(folder: Path, out_dir: Path, against: str | None = None) -> dict[str, tuple[list[str], dict | None]]:
    """Each variant's command, and what its environment adds. `against` (the src/ folder of
    another checkout of csprisk) adds "before": that code's merge, run the same way."""
    csprisk = str(Path(sys.executable).with_name("csprisk"))
    from csprisk.excel.template import matrix_layout

    header_row = matrix_layout(bench_scheme()).header_row - 1  # 0-based, for pandas
    found = {
        "ours": ([csprisk, "merge", str(folder), "-o", str(out_dir / "ours.xlsx"), "--json"], None),
        "naive": ([sys.executable, "-c", NAIVE, str(folder), str(out_dir / "naive.xlsx"), str(header_row)], None),
        "floor": ([sys.executable, "-c", FLOOR, str(folder)], None),
    }
    if against:
        found["before"] = ([sys.executable, "-m", "csprisk.app.cli", "merge", str(folder), "-o",
                            str(out_dir / "before.xlsx"), "--json"], {"PYTHONPATH": str(Path(against).resolve())})
    return found


def measure(n: int, runs: int, against: str | None = None) -> dict[str, tuple[float, float]]:
    folder = generate(n)
    with tempfile.TemporaryDirectory() as tmp:
        commands = variants(folder, Path(tmp), against)
        times: dict[str, list[float]] = {k: [] for k in commands}
        peaks: dict[str, float] = {k: 0.0 for k in commands}
        for _ in range(runs):
            for name, (cmd, env) in commands.items():  # alternating, so drift hits all alike
                wall, peak = run(cmd, env)
                times[name].append(wall)
                peaks[name] = max(peaks[name], peak)
    return {k: (statistics.median(v), peaks[k]) for k, v in times.items()}


def cold_start(runs: int = 15) -> float:
    csprisk = str(Path(sys.executable).with_name("csprisk"))
    return statistics.median(run([csprisk, "--version"])[0] for _ in range(runs))


def lazy_imports() -> list[str]:
    code = ("import sys, csprisk, csprisk.app.cli; "
            "print(','.join(m for m in ('pandas', 'openpyxl', 'xlwings', 'python_calamine') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


PARSE = r"""
import random, statistics, sys, time
from csprisk.grid import Grid
from csprisk.scheme import Scheme
from csprisk.score.parse import parse_returns
scheme, rng, grids = Scheme(), random.Random(20271), []
for i in range(int(sys.argv[1])):
    rows = [["Partner organisation", f"Partner {i:05d}"], [], ["Priority", *scheme.labels, "TOTAL"]]
    for p in range(30):
        scores = [float(rng.randint(0, 5)) for _ in scheme.labels]
        if rng.random() < 0.2:
            scores[3] = "NK"
        rows.append([f"Priority {p:02d}", *scores, sum(s for s in scores if isinstance(s, float))])
    grids.append(Grid("return.xlsx", "Matrix", rows))
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    for grid in grids:
        parse_returns([grid], scheme, "return.xlsx")
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def parse_times(n: int, runs: int, against: str | None) -> dict[str, float]:
    """The parser alone, in one process per variant, on n grids like the template's (30
    priorities, 16 criteria, some NK): median seconds, alternating the variants."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    variants = {"ours": here, **({"before": against} if against else {})}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, src in variants.items():
            done = subprocess.run([sys.executable, "-c", PARSE, str(n), "3"], capture_output=True, text=True,
                                  check=True, env={**os.environ, "PYTHONPATH": src})
            times[name].append(float(done.stdout))
    return {name: statistics.median(values) for name, values in times.items()}


SCRIPT_SHEETS = 30

SCRIPT = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[2])
from officejs import server_xlwings
xw, udfs = server_xlwings()
import xlwings.server as server
payload = json.loads(open(sys.argv[1]).read())
times = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    book = xw.Book(json=payload)
    asyncio.run(server.custom_scripts_call(udfs, "merge_and_rank", typehint_to_value={xw.Book: book}))
    actions = book.json()["actions"]
    times.append(time.perf_counter() - start)
    assert any(a["func"] == "addSheet" for a in actions) or actions, "no actions"
print(json.dumps(times))
"""


def script_book(folder: Path, sheets: int = SCRIPT_SHEETS) -> Path:
    """The analyst workbook with `sheets` partner returns copied in as sheets (values, as
    Move or Copy keeps them), as JSON the Office.js client would send; cached."""
    target = CACHE / f"script-book-v2-{sheets}.json"
    if target.exists():
        return target
    import json

    sys.path.insert(0, str(HERE.parent / "tests"))
    from csprisk.excel.analyst_workbook import build_analyst_workbook
    from officejs import book_json, copy_returns_into

    wb = build_analyst_workbook(bench_scheme())
    copy_returns_into(wb, sorted(folder.glob("*.xlsx"))[:sheets])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "analyst.xlsx"
        wb.save(path)
        target.write_text(json.dumps(book_json(path, name="analyst.xlsx")))
    return target


def script_time(folder: Path, runs: int) -> float:
    """Median seconds of the Merge & Rank script call (Python and imports already up)."""
    import json

    payload = script_book(folder)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(payload), str(HERE.parent / "tests"), str(runs)],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the script benchmark failed: {done.stderr}")
    return statistics.median(json.loads(done.stdout.strip().splitlines()[-1]))


def pyodide_script_times(folder: Path, runs: int) -> dict[str, tuple[float, float, float] | str]:
    """Per Pyodide line: (median seconds of the Merge & Rank script, seconds to load main.py,
    seconds for the whole Node process), run inside real Pyodide from the analyst workbook's
    own main.py with only its requirements installed; or why it could not run."""
    import json

    sys.path.insert(0, str(HERE.parent / "tests"))
    import pyodide_env
    from csprisk.excel.analyst_workbook import write_analyst_workbook
    from csprisk.excel.lite import PYODIDE_LINES, read_lite_code

    payload = json.loads(script_book(folder).read_text())
    out: dict[str, tuple[float, float, float] | str] = {}
    for version, line in PYODIDE_LINES.items():
        why = pyodide_env.missing(line)
        if why:
            out[version] = why
            continue
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            code = read_lite_code(write_analyst_workbook(work / "analyst.xlsx", bench_scheme(), version))
            (work / "main.py").write_text(code.main)
            (work / "request.json").write_text(json.dumps(
                {"scripts": [{"name": "merge_and_rank", "book": payload}] * runs}))
            (work / "driver.py").write_text((HERE.parent / "tests" / "pyodide_lite_driver.py").read_text())
            wheels = pyodide_env.resolve(line, pyodide_env.requirement_lines(code.requirements))
            start = time.perf_counter()
            done = pyodide_env.run_script(line, "/work/driver.py", "/work/main.py", "/work/request.json",
                                          "/work/result.json", wheels=wheels, mounts={str(work): "/work"},
                                          env={"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"})
            wall = time.perf_counter() - start
            if done.returncode:
                raise SystemExit(f"the Pyodide script benchmark failed: {done.stderr[-2000:]}")
            result = json.loads((work / "result.json").read_text())
            out[version] = (statistics.median(s["seconds"] for s in result["scripts"]),
                            result["load_seconds"], wall)
    return out


def print_pyodide_script_times(folder: Path, runs: int) -> None:
    for version, measured in pyodide_script_times(folder, runs).items():
        if isinstance(measured, str):
            print(f"Merge & Rank script inside Pyodide {version}: not measured ({measured})")
            continue
        script, load, wall = measured
        print(f"Merge & Rank script inside Pyodide {version} (Node), {SCRIPT_SHEETS} partner sheets: "
              f"{script * 1000:.0f} ms (target well under 2000 ms); loading main.py {load:.2f} s; "
              f"the whole Node run, Pyodide's start and installs included, {wall:.1f} s")


def hostile_times(runs: int) -> list[tuple[str, float]]:
    """Median seconds the gate takes to refuse each hostile file of tests/hostile_files.py
    (the same files tests/test_hostile.py proves refused), in this process."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    import hostile_files as hostile
    from csprisk.read.sources import read_grids

    def loop_xls(path: Path) -> Path:
        import struct

        hostile.xls_file(path, [(0, 0, 1.0), (1, 1, 3.0)])
        data = bytearray(path.read_bytes())
        struct.pack_into("<I", data, 512 + 3 * 4, 2)  # the workbook stream's sector chain loops
        path.write_bytes(bytes(data))
        return path

    builders = {
        "xlsx claiming the last cell": hostile.xlsx_claiming_the_last_cell,
        "ods with a huge repeated cell": hostile.ods_with_a_huge_repeated_cell,
        "xls with a far cell": lambda p: hostile.xls_file(p, [(0, 0, 1.0), (65535, 255, 2.0)]),
        "xlsx with a billion laughs": hostile.xlsx_with_a_billion_laughs,
        "encrypted xlsx": hostile.encrypted_xlsx,
        "encrypted ods": hostile.encrypted_ods,
        "xls with a password": lambda p: hostile.xls_file(p, [(0, 0, 1.0)], password=True),
        "zip bomb, 210 MB unpacked": lambda p: hostile.zip_bomb_xlsx(p, megabytes=210),
        "xls whose sector chain loops": loop_xls,
    }
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in builders.items():
            path = build(Path(tmp) / f"hostile-{len(times)}.bin")
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                read_grids(path, path.name)
                seconds.append(time.perf_counter() - started)
            times.append((name, statistics.median(seconds)))
    return times


def print_hostile_times(runs: int) -> None:
    for name, seconds in hostile_times(runs):
        print(f"hostile file refused or read, {name}: {seconds * 1000:.1f} ms (target < 1000 ms)")


def machine() -> str:
    """The machine, as the README's Performance table names it."""
    import platform

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * size / 2 ** 30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (f"{os.cpu_count()} cores{' (' + cpu + ')' if cpu else ''}{memory}, {platform.system()}, "
            f"Python {sys.version.split()[0]}")


def national(n: int) -> tuple[float, float]:
    """(seconds, peak MB) of one `csprisk merge --json` of n returns: a national roll-up."""
    folder = generate(n)
    with tempfile.TemporaryDirectory() as tmp:
        return run(*variants(folder, Path(tmp))["ours"])


def table(n: int, results: dict[str, tuple[float, float]]) -> str:
    lines = [f"{n} returns ({PRIORITIES_PER_RETURN} priorities x 16 criteria each)",
             f"{'variant':<8} {'median s':>9} {'ms/return':>10} {'peak MB':>8}"]
    for name, (wall, peak) in results.items():
        lines.append(f"{name:<8} {wall:>9.2f} {1000 * wall / n:>10.2f} {peak:>8.0f}")
    ours, naive, floor = results["ours"][0], results["naive"][0], results["floor"][0]
    lines.append(f"naive/ours = {naive / ours:.1f}x (target >= 8x)   "
                 f"ours/floor = {ours / floor:.2f}x (target <= 2.5x)")
    if "before" in results:
        lines.append(f"before/ours = {results['before'][0] / ours:.2f}x, peak memory "
                     f"{results['before'][1]:.0f} -> {results['ours'][1]:.0f} MB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--returns", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--double", action="store_true", help="also time 2N returns (scaling)")
    parser.add_argument("--against", metavar="SRC",
                        help="also time the merge of another checkout's src/ folder (before, alternating)")
    parser.add_argument("--national", type=int, default=0, metavar="M",
                        help="also merge M returns once, ours only (a national roll-up; 6000 in make bench)")
    parser.add_argument("--hostile-only", action="store_true",
                        help="only the time the gate takes over each hostile file of the tests")
    parser.add_argument("--parse-only", action="store_true",
                        help="only the parser, in process, on N generated grids (with --against, before too)")
    parser.add_argument("--script-only", action="store_true",
                        help="only the Merge & Rank script: xlwings dispatch on CPython and inside Pyodide")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.hostile_only:
        print_hostile_times(max(args.runs, 3))
        return
    if args.parse_only:
        for name, seconds in parse_times(args.returns, args.runs, args.against).items():
            print(f"parse only, {args.returns} returns, {name}: {seconds * 1000:.0f} ms "
                  f"({seconds * 1000 / args.returns:.2f} ms/return)")
        return
    if args.script_only:
        folder = generate(SCRIPT_SHEETS)
        script = script_time(folder, max(args.runs, 3))
        print(f"Merge & Rank script, xlwings dispatch, {SCRIPT_SHEETS} partner sheets: "
              f"{script * 1000:.0f} ms (target < 1000 ms)")
        print_pyodide_script_times(folder, max(args.runs, 3))
        return
    results = measure(args.returns, args.runs, args.against)
    print(table(args.returns, results))
    print(f"peak memory, ours: {results['ours'][1]:.0f} MB (target < 300 MB at 1000 returns)")
    if args.double:
        doubled = measure(2 * args.returns, args.runs, args.against)
        print(table(2 * args.returns, doubled))
        ratio = doubled["ours"][0] / results["ours"][0]
        memory = doubled["ours"][1] / results["ours"][1]
        print(f"ours at {2 * args.returns} / ours at {args.returns}: time {ratio:.2f}x (target <= 2.2x), "
              f"peak memory {memory:.2f}x ({results['ours'][1]:.0f} -> {doubled['ours'][1]:.0f} MB)")
    if args.national:
        wall, peak = national(args.national)
        print(f"national roll-up, {args.national} returns, ours (one run): {wall:.1f} s "
              f"({1000 * wall / args.national:.2f} ms/return), peak memory {peak:.0f} MB "
              f"(target < 600 MB at 6000 returns)")
    start = cold_start()
    print(f"csprisk --version cold start: {start * 1000:.0f} ms (target < 300 ms)")
    script = script_time(generate(args.returns), max(args.runs, 3))
    print(f"Merge & Rank script, xlwings dispatch, {SCRIPT_SHEETS} partner sheets: "
          f"{script * 1000:.0f} ms (target < 1000 ms)")
    print_pyodide_script_times(generate(args.returns), max(args.runs, 3))
    print_hostile_times(max(args.runs, 3))
    heavy = lazy_imports()
    print("import csprisk loads: " + (", ".join(heavy) if heavy else "none of pandas/openpyxl/xlwings/calamine"))


if __name__ == "__main__":
    main()
