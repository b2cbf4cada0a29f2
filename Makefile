# Two commands on a fresh Linux machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/csprisk demo

test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf out examples/returns

bench: $(STAMP)
	$(PY) benchmarks/bench.py --double
