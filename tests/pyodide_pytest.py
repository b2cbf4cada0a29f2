"""Runs inside Pyodide (see pyodide_env.py): the test suite, on the checkout mounted at /repo.

Tests that need what Pyodide has not got (subprocesses: LibreOffice, the command line in a
child process, Node) skip there, each saying why.
"""

import os
import sys

sys.dont_write_bytecode = True  # the checkout is mounted: leave no __pycache__ in it
sys.path[:0] = ["/repo/src", "/repo"]
os.chdir("/tmp")  # hypothesis keeps its example database in the working directory

import pytest  # noqa: E402

# fd capture needs fstat on an unlinked temporary file, which Pyodide 0.27 cannot do
sys.exit(pytest.main(["-p", "no:cacheprovider", "--capture=sys", "--rootdir=/repo", "-c", "/repo/pyproject.toml",
                      *sys.argv[1:], "/repo/tests"]))
