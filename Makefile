# Two commands do all the set-up: `make run` and `make test`. Everything lives in .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install ingest chat bench eval feedback-csv clean

run: $(STAMP)
	$(BIN)/python app.py

# The core question set gates on evals/thresholds.yaml; pytest runs last so its summary closes the output.
test: $(STAMP)
	$(BIN)/python -m ingest --quiet
	$(BIN)/python -m evals run evals/sets/core.yaml --thresholds evals/thresholds.yaml --report test-artifacts/eval-report
	$(BIN)/python -m pytest

install: $(STAMP)

# torch first and pinned: on these machines 2.13.0 is a local CPU build; anything else pulls CUDA.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

ingest: $(STAMP)
	$(BIN)/python -m ingest

chat: $(STAMP)
	$(BIN)/hamstring-bot chat

bench: $(STAMP)
	$(BIN)/python -m evals.bench

eval: $(STAMP)
	$(BIN)/python -m evals run evals/sets/core.yaml --report test-artifacts/eval-report --format csv,jsonl,junit

feedback-csv: $(STAMP)
	$(BIN)/python app.py export-feedback

clean:
	rm -rf data test-artifacts
