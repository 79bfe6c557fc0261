# Gopay support assistant. Quickstart: `make run`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
RASA      := $(PY) -m rasa
STAMP     := $(VENV)/.installed
MODEL     := models/current.tar.gz
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

# Everything a trained model depends on: retrain only when one of these changed.
# data/nlu/reviewed.yml (the agent console's learning-loop export, docs/learning_loop.md) is
# part of data/ and so of every training run once it exists.
TRAIN_INPUTS := config.yml $(shell find domain data gopay_support/adapters/rasa/nlu -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null) \
	gopay_support/core/text.py gopay_support/core/script.py gopay_support/core/language.py gopay_support/core/tracking.py

.PHONY: help install train run test eval bench bench-load lint validate test-stories test-nlu pytest telegram clean fuzz

help:
	@echo "make run     install if needed, train if data changed, start the assistant"
	@echo "make test    the whole test suite (lint, data validation, stories, NLU gate, pytest)"
	@echo "make eval    NLU report on the held-out set under reports/nlu/"
	@echo "make bench   throughput / latency / cold start / memory vs a stock Rasa bot"
	@echo "make bench-load  mixed zh/en load at 16 and 64 conversations, default and scaled profile, then under faults"
	@echo "make telegram  run the Telegram channel in polling mode"
	@echo "make fuzz    long fuzzing run of every endpoint (10,000 inputs each; make test runs 1,000)"

$(STAMP): pyproject.toml
	@PY310=$$(scripts/find_python310.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PY310"; "$$PY310" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

$(MODEL): $(TRAIN_INPUTS) | $(STAMP)
	PYTHONWARNINGS=ignore $(RASA) train --domain domain --fixed-model-name current --out models --quiet
	@touch $(MODEL)

train: $(MODEL)

run: $(STAMP) $(MODEL)
	@$(PY) -m devtools.launcher

telegram: $(STAMP) $(MODEL)
	@$(PY) -m channels.telegram.polling

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

validate: $(STAMP)
	$(PY) -m devtools.validate_data

test-stories: $(STAMP) $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml --out reports/stories --e2e --fail-on-prediction-errors --no-plot

test-nlu: $(STAMP) $(MODEL)
	$(PY) -m devtools.nlu_gate --model $(MODEL) --data tests/nlu_heldout.yml --out reports/nlu --min-accuracy 0.97 --min-oos-recall 0.95 --max-in-scope-to-oos 0.02

pytest: $(STAMP) $(MODEL)
	@scripts/ensure_chromium.sh
	@scripts/ensure_mailserver.sh
	@scripts/ensure_nginx.sh
	$(VENV)/bin/pytest

test: lint validate test-stories test-nlu pytest

eval: $(STAMP) $(MODEL)
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu_heldout.yml --out reports/nlu --successes
	$(PY) -m devtools.nlu_gate --model $(MODEL) --data tests/nlu_heldout.yml --out reports/nlu --min-accuracy 0.97 --min-oos-recall 0.95 --max-in-scope-to-oos 0.02

fuzz: $(STAMP) $(MODEL)
	GOPAY_FUZZ_EXAMPLES=$${GOPAY_FUZZ_EXAMPLES:-10000} GOPAY_FUZZ_RANDOM=1 $(VENV)/bin/pytest tests/security/test_fuzz.py --timeout 7200

bench: $(STAMP) $(MODEL)
	$(PY) bench/bench_rest.py

# Bounded load runs (60 s each, loopback): 16 and 64 concurrent conversations on the default
# and the scaled profile (two Rasa servers behind nginx; needs PostgreSQL and Redis), then the
# scaled profile at 16 conversations while a Rasa server, an action server, Redis and
# PostgreSQL are killed and brought back (private Redis and PostgreSQL; bench/bench_faults.py).
bench-load: $(STAMP) $(MODEL)
	@scripts/ensure_nginx.sh
	$(PY) bench/bench_load.py --duration $${BENCH_SECONDS:-60}

clean:
	rm -rf models/*.tar.gz reports/* var/run
