# Two entry points that work on a fresh machine with only Python 3.11:
#   make demo   set up .venv and run the example study end to end
#   make test   set up .venv, run the checks (import layers, lint, types), build the docs and run the whole test suite
#               (installing Chromium for the workbench's browser tests where it can)
#   make check  the checks alone
#   make docs   the documentation site in site/, built offline and strictly (a warning, broken link or failing
#               notebook cell fails the build)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# Material for MkDocs prints a banner about MkDocs 2.0 on every build; it is news, not a problem with the docs
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test check docs install browser clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	# the CPU build of torch first: any other torch spec pulls gigabytes of CUDA packages
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	PIP_CONSTRAINT=constraints.txt $(PY) -m pip install --quiet --disable-pip-version-check -e ".[test,docs]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash examples/demo.sh

check: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

docs: $(STAMP)
	rm -rf .cache/mkdocs-jupyter  # its cache would show an earlier run of the notebook after the code changed
	$(VENV)/bin/mkdocs build --strict

# the workbench's end-to-end tests drive the system Chromium (Playwright cannot download its own here);
# install it where the machine allows (root with apt-get), else say how; in CI a missing browser fails the tests
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Chromium for the workbench's browser tests (apt-get install chromium)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: no Chromium; the workbench's browser tests will skip (install the chromium package)"; fi; }

test: check docs browser
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) demo-output .pytest_cache .hypothesis site .cache
