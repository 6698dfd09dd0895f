# `make test` and `make demo` work in a fresh clone with only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint wheel e2e demo bench bench-engine clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

# The tests mostly wait (on the emulator, on provider hosts), so 4 workers fit on 2 cores.
test: $(STAMP)
	$(BIN)/python -m pytest -n 4

# ruff (rules and format), mypy --strict (the package, and the constructors' typing contract), pyright (standard
# mode, and --verifytypes: every public symbol typed; it needs the venv's python first on PATH).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tests/typing/constructors.py
	$(BIN)/pyright
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pyright --verifytypes pulumi_vpsorg --ignoreexternal

# The wheel builds, and installs and runs in a clean venv.
wheel: $(STAMP)
	scripts/check-wheel $(BIN)/python

# The real `pulumi` CLI and Python language host against the emulator: built once (scripts/pulumi-cli), then reused.
e2e: $(STAMP)
	VPSORG_E2E=1 $(BIN)/python -m pytest tests/e2e

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

# Prints every table of docs/benchmarks.md and draws benchmarks/results/fleet.png (about 15 minutes).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'matplotlib>=3.8'
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/fleet.py
	$(BIN)/python benchmarks/processes.py --processes 1,5 --snapshots 24 --threads 8

# Fleets under the real engine (docs/fleets.md): 500 / 100 at S = 30, 60 and 120 s, the two front doors, a strict
# rate limit, and the kill-and-rerun trials (about 35 minutes; the CLI and its language hosts from scripts/pulumi-cli).
bench-engine: $(STAMP)
	$(BIN)/python benchmarks/engine.py --seconds 30,60,120 --fleet 500/100 --parallel 512 --checkpoints off,on --budgets default,off
	$(BIN)/python benchmarks/engine.py --seconds 30 --fleet 500/100 --parallel 512 --checkpoints off --budgets default --front-doors dynamic,native
	$(BIN)/python benchmarks/engine.py --seconds 30 --fleet 200/40 --parallel 256 --checkpoints on,off --budgets default --front-doors dynamic,native
	$(BIN)/python benchmarks/engine.py --seconds 10 --fleet 100/20 --parallel 512 --checkpoints on --budgets default --rate-limit 10
	$(BIN)/python benchmarks/kill_trials.py --trials 12 --fleet 100/20 --seconds 5

clean:
	rm -rf $(VENV) .pytest_cache .demo
