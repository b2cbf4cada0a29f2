# Two commands on a fresh Linux machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check bench install clean workbook pyodide test-pyodide

# The file-fidelity gate's second oracle (tests/fidelity.py), installed apart from the venv and
# run as a child process: it needs lxml, and openpyxl writes differently once lxml can be imported.
ORACLES := $(VENV)/oracles
ORACLES_STAMP := $(ORACLES)/.installed

# lxml, apart from the venv too: tests/test_lxml.py runs the tests that would notice again in a
# child process where lxml can be imported (as it is for many analysts, and in Pyodide), since
# openpyxl then writes and parses its XML through lxml.
LXML := $(VENV)/lxml
LXML_STAMP := $(LXML)/.installed

install: $(STAMP) $(ORACLES_STAMP) $(LXML_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

$(ORACLES_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --target $(ORACLES) "openxml-audit>=0.8,<1"
	touch $(ORACLES_STAMP)

$(LXML_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: --target $(LXML) "lxml>=5.2,<7"
	touch $(LXML_STAMP)

demo: $(STAMP)
	$(VENV)/bin/csprisk demo

test: $(STAMP) $(ORACLES_STAMP) $(LXML_STAMP) pyodide
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q
	$(VENV)/bin/lint-imports

# The inner loop: ruff, mypy and every test but those that need LibreOffice or Pyodide (their
# markers, in pyproject.toml), under a minute on two cores. `make test` runs them all.
check: $(STAMP) $(LXML_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider -m "not libreoffice and not pyodide"

# The committed analyst workbook carries csprisk in its xlwings Lite main.py: rebuild it
# after any change to src/ or udfs.py (a test fails while it is stale).
workbook: $(STAMP)
	$(VENV)/bin/csprisk workbook -o xlsx_templates/analyst_workbook.xlsx

# Real Pyodide under Node (npm's pyodide, pinned, and wheels from PyPI) in .pyodide/.
pyodide: $(STAMP)
	$(PY) tests/pyodide_env.py prepare

# The test suite inside Pyodide, both lines the workbook can declare: 314 with calamine,
# 0.27 without it (the openpyxl reader).
test-pyodide: pyodide
	$(PY) tests/pyodide_env.py pytest 314.0.8 -q
	$(PY) tests/pyodide_env.py pytest 0.27.5 -q

clean:
	rm -rf out examples/returns

bench: $(STAMP)
	$(PY) benchmarks/bench.py --double --national 6000
