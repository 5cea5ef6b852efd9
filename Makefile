# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,highs]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/flexben migrate
	$(BIN)/flexben demo
	$(BIN)/flexben api-keys create --name "demo admin" --role hr_admin --role approver --role payroll --role finance --role auditor
	$(BIN)/flexben sign-in-link --employee E00001
	$(BIN)/flexben sign-in-link --name "Demo administrator" --api-key-roles hr_admin --api-key-roles approver --api-key-roles payroll --api-key-roles finance --api-key-roles auditor
	$(BIN)/flexben serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
