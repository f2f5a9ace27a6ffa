# Two entry points do all the set-up on a fresh machine:
#   make run   install, train every bot, serve them all with the demo pages
#   make test  install, then run the whole test suite
PYTHON ?= python3.10
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install system-deps browser-tools train bench clean

run: install
	$(BIN)/hkbot train
	$(BIN)/hkbot serve

test: install system-deps browser-tools
	bash scripts/services.sh start
	$(BIN)/python -m pytest; status=$$?; bash scripts/services.sh stop; exit $$status

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==26.3"
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

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
	rm -rf $(VENV) var node_modules
