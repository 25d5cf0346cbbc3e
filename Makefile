# Two commands: `make demo` runs the nightly DAG on a sample marketplace; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench cluster clean

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/trust demo

test: $(STAMP)
	bash scripts/provision
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

bench: $(STAMP)
	$(BIN)/trust bench --reviews 100000

# The nightly DAG on the CeleryExecutor: Redis, PostgreSQL, API server, scheduler, DAG processor, two Celery workers.
cluster: $(STAMP)
	$(BIN)/trust cluster

clean:
	rm -rf var .pytest_cache
