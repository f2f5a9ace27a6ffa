# Two entry points do all the set-up on a fresh machine:
#   make run   install, train every bot, serve them all with the demo pages
#   make test  install, then run the whole test suite
# Interpreters: docs/platform.md (Python 3.11 for hkbot; 3.12 for the plain-Python tests).
PYTHON ?= python3.11
PYTHON_CURRENT ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CURRENT       := .venv-current
CURRENT_STAMP := $(CURRENT)/.installed
# Tests whose modules import neither Rasa nor TensorFlow nor spaCy: they also run on $(PYTHON_CURRENT).
PLAIN_TESTS := tests/test_build_metadata.py tests/privacy/test_redact.py \
	tests/knowledge/test_validation.py tests/knowledge/test_store.py tests/console/test_csv.py \
	tests/nlu/test_normalise.py tests/nlu/test_language_id.py

.PHONY: run test test-current lint install install-current build-deps system-deps browser-tools train bench clean

run: install
	$(BIN)/hkbot train
	$(BIN)/hkbot serve

test: install system-deps browser-tools lint test-current
	bash scripts/services.sh start
	$(BIN)/python -m pytest; status=$$?; bash scripts/services.sh stop; exit $$status

test-current: install-current
	$(CURRENT)/bin/python -m pytest -p no:cacheprovider $(PLAIN_TESTS)

# Lint (ruff) and types (mypy on the packages listed in pyproject.toml): seconds; docs/development.md.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

install: $(STAMP)

# Rasa 3.6.21 declares Requires-Python <3.11, though all it needs resolves and runs on 3.11
# (docs/platform.md): --ignore-requires-python is the one flag that lets pip install it.
# MPLSETUPCFG: matplotlib 3.5 (Rasa's cap) is built from source against Debian's FreeType/Qhull.
$(STAMP): pyproject.toml constraints.txt scripts/mplsetup.cfg
	bash scripts/install-system-deps.sh build
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==26.3"
	MPLSETUPCFG=$(CURDIR)/scripts/mplsetup.cfg \
	  $(BIN)/pip install --quiet --ignore-requires-python -c constraints.txt -e '.[test]'
	touch $(STAMP)

# A small venv on a current Python for the plain-Python tests (no Rasa): same pins, seconds to run.
install-current: $(CURRENT_STAMP)

# Beside it, the pinned build backend alone, for the test that our build files raise no warning.
$(CURRENT_STAMP): constraints.txt scripts/current-requirements.txt scripts/build-backend.txt
	test -x $(CURRENT)/bin/python || $(PYTHON_CURRENT) -m venv $(CURRENT)
	$(CURRENT)/bin/pip install --quiet --upgrade "pip==26.3"
	$(CURRENT)/bin/pip install --quiet -c constraints.txt -r scripts/current-requirements.txt
	rm -rf $(CURRENT)/build-backend
	$(CURRENT)/bin/pip install --quiet --no-deps --target $(CURRENT)/build-backend -r scripts/build-backend.txt
	touch $(CURRENT_STAMP)

# Compilers and headers the install builds against (matplotlib 3.5 on Python 3.11). Root if missing.
build-deps:
	bash scripts/install-system-deps.sh build

# System packages the tests use for real: Chromium for the browser tests,
# PostgreSQL and Redis for the scale-out tests. Needs root (CI runs as root).
system-deps:
	bash scripts/install-system-deps.sh

# axe-core (pinned in package.json / package-lock.json) for the browser tests' accessibility checks;
# the tests inject it into the pages, citizens never load it.
browser-tools: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

train: install
	$(BIN)/hkbot train

bench: install
	$(BIN)/hkbot bench nlu
	$(BIN)/hkbot bench faq

clean:
	rm -rf $(VENV) $(CURRENT) var node_modules
