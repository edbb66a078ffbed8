# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# The venv holds the test tools, the spark engine's packages (pyspark, sqlglot) and pandas for the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test quick bench clean system-deps

NODE_STAMP := $(VENV)/node/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark,bench]'
	touch $(STAMP)

# jsdom drives the report scripts in tests; axe-core checks the pages' accessibility in Debian's chromium
# (the browser tests). The stamp follows this file, so a new package here is installed on the next `make test`.
$(NODE_STAMP): Makefile
	@command -v npm >/dev/null || { echo "make test needs Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node jsdom@24 axe-core@4
	touch $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/rating demo --out out --force

test: system-deps $(STAMP) $(NODE_STAMP)
	NODE_PATH=$(CURDIR)/$(VENV)/node/node_modules $(BIN)/python -m pytest

# everyday work: the tests neither slow nor integration (pyproject.toml), with no system set-up
quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not integration"

system-deps:
	@.ci/system-deps

# every stage at 10^6, 10^7 and 10^8 complaints (about 30 minutes); e.g. BENCH_ARGS="--sizes 1e6 --rounds 1"
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) out
