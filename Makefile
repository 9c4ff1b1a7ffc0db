# The interface for people and CI alike. `make run` and `make test` do all set-up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10 (3.11 cannot install it); pyenv machines keep it under ~/.pyenv.
PYTHON310 ?= $(firstword $(foreach p,python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) /usr/local/bin/python3.10 /usr/bin/python3.10,$(shell $(p) -c 'import sys; print("$(p)") if sys.version_info[:2] == (3, 10) else None' 2>/dev/null)))
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)
# endpoints.yml reads this; `python -m bot serve/shell` and the tests set their own.
export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook

# What the assistant runs on (`make run`), and on top of it the tests', lint's and
# benchmarks' tools (`make test`).
INSTALLED := $(VENV)/.installed
DEV_INSTALLED := $(VENV)/.installed-dev
KNOWLEDGE := $(shell find knowledge -name '*.yml')
GENERATED_DIR := data/generated
GENERATED := $(addprefix $(GENERATED_DIR)/,faq_nlu.yml catalog_nlu.yml responses.yml catalog_lookups.yml rules.yml jieba/catalog_words.txt)
MODEL := models/certificates.tar.gz
WIDGET_SOURCE := web/node_modules/rasa-webchat/lib/index.js
WIDGET := build/web/webchat.js
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
# A CJK font, so that the browser draws Chinese (screenshots show boxes without one).
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# data/'s folders too: a training file deleted changes only its folder's time.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -type d) $(shell find data -name '*.yml') \
	$(GENERATED_DIR)/jieba/catalog_words.txt $(wildcard bot/server/components/*.py)

.PHONY: help install generate check-generated train web browser nginx run run-scaled shell test lint bench soak lock clean

help:
	@echo "make run    set up everything and start the assistant (web page: http://localhost:8080/)"
	@echo "make test   set up everything and run every test"
	@echo "make run-scaled REPLICAS=3   the same, scaled out: replicas behind nginx on PostgreSQL and Redis"
	@echo "make shell  talk to the assistant in the terminal (make shell DEBUG=1 shows intents and answers)"
	@echo "make bench  measure held-out accuracy, training time, REST latency, lookups, import rate, load against a stock bot and the limits"
	@echo "make soak   run the assistant under load for 30 minutes: error rate and memory drift"

$(INSTALLED): requirements.txt requirements.lock
	@if [ -z "$(PYTHON310)" ]; then echo "error: Python 3.10 not found (Rasa 3.6 needs it); set PYTHON310=/path/to/python3.10" >&2; exit 1; fi
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	touch $@

$(DEV_INSTALLED): $(INSTALLED) requirements-dev.txt requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c requirements-dev.lock
	touch $@

install: $(INSTALLED)

# Regenerates Rasa data from knowledge/ (for `make run`: an edited entry shows up at once).
generate: $(INSTALLED)
	$(PY) -m bot compile

# Fails if knowledge/ was edited without regenerating (for `make test`: catches a stale commit).
check-generated: $(INSTALLED)
	$(PY) -m bot compile --check

# Trains only when an input (data, config or a custom component) is newer than the model,
# as the staff console's Train button does (bot/processes/training.py): running servers switch
# to the new model; a failed training leaves the old one in place.
$(MODEL): $(TRAINING_INPUTS) | $(INSTALLED)
	$(PY) -m bot train --by make
	touch $@

train: generate
	$(MAKE) --no-print-directory $(MODEL)

# The chat widget from npm (exact versions in web/package-lock.json), then without its
# outside font import.
$(WIDGET_SOURCE): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(WIDGET): $(WIDGET_SOURCE) bot/processes/widget_bundle.py | $(INSTALLED)
	$(PY) -m bot build-web

web: $(WIDGET)

# Debian's chromium and CJK font for the browser tests (Playwright cannot download its own here).
$(CHROMIUM) $(CJK_FONT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk

browser: $(CHROMIUM) $(CJK_FONT)

# Debian's nginx, in front of the replicas of `make run-scaled` (its service is not started).
$(NGINX):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx

nginx: $(NGINX)

run: generate $(WIDGET)
	$(MAKE) --no-print-directory $(MODEL)
	$(PY) -m bot db demo --if-empty
	$(PY) -m bot serve

REPLICAS ?= 3
run-scaled: generate $(WIDGET) $(NGINX)
	$(MAKE) --no-print-directory $(MODEL)
	$(PY) -m bot serve-scaled --replicas $(REPLICAS)

shell: generate
	$(MAKE) --no-print-directory $(MODEL)
	$(PY) -m bot db demo --if-empty
	$(PY) -m bot shell $(if $(DEBUG),--debug)

# Lint first: a change that breaks it fails at once, before the long tests.
test: lint check-generated $(MODEL) $(WIDGET) $(CHROMIUM) $(CJK_FONT) $(NGINX)
	$(PY) -m pytest
	$(RASA) data validate --quiet
	$(RASA) test core --model $(MODEL) --stories tests/conversations --fail-on-prediction-errors --out results/conversations

lint: $(DEV_INSTALLED)
	$(VENV)/bin/ruff check bot actions tests bench
	$(VENV)/bin/mypy bot actions

bench: $(DEV_INSTALLED) check-generated $(MODEL) $(NGINX)
	$(PY) bench/benchmark.py
	$(PY) bench/real_questions.py
	$(PY) bench/label_agreement.py --answers
	$(PY) bench/lookup_benchmark.py
	$(PY) bench/lookup_benchmark.py --backend postgresql
	$(PY) bench/load_benchmark.py
	$(PY) bench/safety_benchmark.py
	$(PY) bench/scaled_benchmark.py
	$(PY) bench/model_switch_benchmark.py
	$(PY) bench/handoff_benchmark.py
	$(PY) bench/handoff_benchmark.py --redis

# Half an hour of steady load: error rate and memory drift (not part of `make bench`).
soak: $(DEV_INSTALLED) check-generated $(MODEL)
	$(PY) bench/soak_benchmark.py --minutes 30

# Refreshes requirements.lock and requirements-dev.lock from fresh installs of
# requirements.txt and requirements-dev.txt (the second keeps the first's versions).
lock:
	rm -rf build/lock-venv && $(PYTHON310) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet -r requirements.txt
	(echo "# Exact versions for a reproducible install: pip install -r requirements.txt -c requirements.lock"; build/lock-venv/bin/pip freeze --all | grep -v '^pip==') > requirements.lock
	build/lock-venv/bin/pip install --quiet -r requirements-dev.txt -c requirements.lock
	(echo "# Exact versions for a reproducible install: pip install -r requirements-dev.txt -c requirements-dev.lock"; build/lock-venv/bin/pip freeze --all | grep -v '^pip==') > requirements-dev.lock

clean:
	rm -rf build models results $(VENV) web/node_modules
