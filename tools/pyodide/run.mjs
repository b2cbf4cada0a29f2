// Run Python inside real Pyodide under Node, the runtime xlwings Lite uses in Excel.
//
//   node --experimental-wasm-stack-switching tools/pyodide/run.mjs \
//       --pyodide DIR      the npm pyodide package (pyodide.mjs, the standard library)
//       --wheels DIR       a folder of wheels; each --install NAME.whl is installed from it
//       --install NAME.whl (repeatable) installed with micropip, dependencies not resolved
//       --mount HOST:GUEST (repeatable) a host folder seen by Python at GUEST
//       --env KEY=VALUE    (repeatable) set in os.environ before anything runs
//       --cwd DIR          working directory inside Pyodide
//       -- SCRIPT.py ARGS  the script to run as __main__ (a path inside Pyodide)
//
// The exit status is the script's (SystemExit), 1 for an uncaught exception.
import path from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const opts = { install: [], mount: [], env: {}, script: null, args: [] };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--") { opts.script = argv[i + 1]; opts.args = argv.slice(i + 2); break; }
  const v = argv[++i];
  if (a === "--pyodide") opts.pyodide = path.resolve(v);
  else if (a === "--wheels") opts.wheels = path.resolve(v);
  else if (a === "--install") opts.install.push(v);
  else if (a === "--mount") opts.mount.push(v);
  else if (a === "--env") { const k = v.indexOf("="); opts.env[v.slice(0, k)] = v.slice(k + 1); }
  else if (a === "--cwd") opts.cwd = v;
  else { console.error(`run.mjs: unknown option ${a}`); process.exit(2); }
}
if (!opts.pyodide || !opts.script) {
  console.error("run.mjs: --pyodide DIR and -- SCRIPT.py are required");
  process.exit(2);
}

const { loadPyodide } = await import(pathToFileURL(path.join(opts.pyodide, "pyodide.mjs")).href);
const pyodide = await loadPyodide({
  indexURL: opts.pyodide + path.sep,
  env: { HOME: "/home/pyodide", ...opts.env },
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

function mount(host, guest) {
  pyodide.FS.mkdirTree(guest);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.resolve(host) }, guest);
}
for (const spec of opts.mount) {
  const k = spec.lastIndexOf(":");
  mount(spec.slice(0, k), spec.slice(k + 1));
}

if (opts.install.length) {
  if (!opts.wheels) { console.error("run.mjs: --install needs --wheels DIR"); process.exit(2); }
  mount(opts.wheels, "/wheels");
  // micropip is the installer xlwings Lite uses; its own wheel (and packaging's, which
  // older micropips need) is loaded straight from the host, as no CDN can be reached here.
  const fs = await import("node:fs");
  const names = fs.readdirSync(opts.wheels);
  for (const dist of ["packaging-", "micropip-"]) {
    const wheel = names.find((n) => n.startsWith(dist) && n.endsWith(".whl"));
    if (!wheel) { console.error(`run.mjs: no ${dist}*.whl in ${opts.wheels}`); process.exit(2); }
    await pyodide.loadPackage(path.join(opts.wheels, wheel), { messageCallback: () => {} });
  }
  pyodide.globals.set("_wheels", pyodide.toPy(opts.install.map((n) => `emfs:/wheels/${n}`)));
  await pyodide.runPythonAsync("import micropip\nawait micropip.install(_wheels, deps=False)\ndel _wheels");
}

pyodide.globals.set("_script", opts.script);
pyodide.globals.set("_argv", pyodide.toPy([opts.script, ...opts.args]));
pyodide.globals.set("_cwd", opts.cwd || "");
const status = await pyodide.runPythonAsync(`
import os, runpy, sys, traceback
sys.argv = list(_argv)
if _cwd:
    os.chdir(_cwd)
sys.path.insert(0, os.path.dirname(os.path.abspath(_script)))
_status = 0
try:
    runpy.run_path(_script, run_name="__main__")
except SystemExit as _exit:
    _status = _exit.code if isinstance(_exit.code, int) else (0 if _exit.code is None else 1)
    if not isinstance(_exit.code, (int, type(None))):
        print(_exit.code, file=sys.stderr)
except BaseException:
    traceback.print_exc()
    _status = 1
sys.stdout.flush(); sys.stderr.flush()
_status
`);
process.exit(status);
