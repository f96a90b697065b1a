# Set-up and the two jobs: `make build` (every handout and the brochure) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# WeasyPrint's system libraries (Debian names); HarfBuzz-Subset keeps font subsets small.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# What the browser, printing and print-shop tests need (CI installs them): libgs-common is Ghostscript's
# generic CMYK press profile, which the print-shop tests build with (no profile is kept in the repository).
TEST_TOOLS := chromium cups cups-client cups-bsd printer-driver-cups-pdf libgs-common

.PHONY: build test bench serve system-libs test-tools clean

build: $(BIN)/make-handouts
	$(BIN)/make-handouts build --lang all

test: $(BIN)/make-handouts | test-tools
	$(BIN)/python -m pytest -n auto --dist loadfile

# The clinic's app on http://127.0.0.1:8000 (add the first account first: see README, "The clinic's app").
serve: $(BIN)/make-handouts
	$(BIN)/make-handouts serve

# Build speed, memory and sizes (prints figures; see benchmarks/build_speed.py).
bench: $(BIN)/make-handouts
	$(BIN)/python benchmarks/build_speed.py

system-libs test-tools: PACKAGES = $(if $(filter test-tools,$@),$(TEST_TOOLS),$(SYSTEM_LIBS))
system-libs test-tools:
	@missing=""; for lib in $(PACKAGES); do \
	  dpkg -s $$lib >/dev/null 2>&1 || missing="$$missing $$lib"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BIN)/make-handouts: pyproject.toml | system-libs
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf out html .pytest_cache
