# Two entry points (see README): `make serve` and `make test`; both set up .venv first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: setup serve test bench eval eval-triage bench-triage clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# CPU wheel of torch first: a bare `torch` would pull gigabytes of CUDA
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

serve: setup
	$(VENV)/bin/screening keys bootstrap
	$(VENV)/bin/screening serve

test: setup
	bash scripts/system_deps.sh
	PY=$(PY) bash scripts/run_tests.sh

eval-triage: setup
	$(PY) scripts/eval_triage.py

bench-triage: setup
	$(PY) bench/triage.py

bench: setup
	$(PIP) install -q -e '.[bench]'
	$(PY) bench/text_screening.py

eval: setup
	$(PY) -m screening.evaluate

clean:
	rm -rf $(VENV) var .pytest_cache
