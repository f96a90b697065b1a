# Set-up and the two jobs: `make build` (every handout and the brochure) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# WeasyPrint's system libraries (Debian names); HarfBuzz-Subset keeps font subsets small.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

.PHONY: build test bench system-libs clean

build: $(BIN)/make-handouts
	$(BIN)/make-handouts build

test: $(BIN)/make-handouts
	$(BIN)/python -m pytest

# Build speed, memory and sizes (prints figures; see benchmarks/build_speed.py).
bench: $(BIN)/make-handouts
	$(BIN)/python benchmarks/build_speed.py

system-libs:
	@missing=""; for lib in $(SYSTEM_LIBS); do \
	  dpkg -s $$lib >/dev/null 2>&1 || missing="$$missing $$lib"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system libraries:$$missing"; \
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
