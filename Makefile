# Two commands matter: `make demo` and `make test`. Both bootstrap what they need from the
# hashed locks in requirements/ (only Python 3.11, Python 3.13 and make are assumed; 3.13 may come
# from pyenv without being on PATH); downloads are cached in $(CACHE_DIR), outside git, so a
# fresh clone on the same machine reuses them.

PYTHON ?= python3.11
export PYTHON
export CACHE_DIR ?= $(HOME)/.cache/litellm-screenwriter
DEV := .venv/dev/bin/python
BOOTSTRAP := ./tools/bootstrap_venv.sh

# Every Blender line the manifest admits (blender_version_min 4.2, no maximum), each as the bpy
# module in its own venv from requirements/<venv>.lock: Python 3.11 up to 5.0, 3.13 from 5.1 on.
BLENDER_LINES := 4.2 4.5 5.0 5.2 5.3
BLENDER_VENV_4.2 := blender42
BLENDER_VENV_4.5 := blender
BLENDER_VENV_5.0 := blender50
BLENDER_VENV_5.2 := blender52
BLENDER_VENV_5.3 := blender53
# make test runs the real-Blender tests in these lines (all: about 15 s each once built).
TEST_BLENDER_LINES ?= $(BLENDER_LINES)
blender_venvs = $(foreach line,$(1),$(BLENDER_VENV_$(line)))

.PHONY: help venv venv-dev venv-dev313 venv-proxy \
        $(addprefix venv-,$(call blender_venvs,$(BLENDER_LINES))) wheels build lint format \
        test test-fast test-blender-all _blender-tests demo bench docs fuzz venv-fuzz clean

help:
	@echo "make demo              build the extension and run the demo in real Blender"
	@echo "make test              lint + build + every test (client, worker, proxy), and the"
	@echo "                       real-Blender tests in Blender $(TEST_BLENDER_LINES)"
	@echo "make test-blender-all  only the real-Blender tests, in every Blender line"
	@echo "make test-blender-5.2  only the real-Blender tests, in one line ($(BLENDER_LINES))"
	@echo "make build             one zip per platform into dist/ with Blender's own tool"
	@echo "make bench             benchmarks: table + bench/results/latest.json"
	@echo "make docs              the library's HTML API reference into dist/docs/ (pdoc)"
	@echo "make fuzz              coverage-guided fuzzing of the stream decoder and body parsers"
	@echo "make lint / format     ruff"

venv: venv-dev venv-dev313 venv-proxy $(addprefix venv-,$(call blender_venvs,$(BLENDER_LINES)))
venv-dev venv-dev313 venv-proxy venv-fuzz $(addprefix venv-,$(call blender_venvs,$(BLENDER_LINES))):
	@$(BOOTSTRAP) $(@:venv-%=%)

# The bundled runtime wheels (requirements/wheels.lock, four platforms) into wheels/ and the
# manifest's list; from $(CACHE_DIR) when already downloaded (no network, under a second).
wheels: venv-dev
	@$(DEV) tools/fetch_wheels.py

# One zip per platform in dist/ with Blender's own tool (bl_pkg/cli/blender_ext.py in bpy), each
# zip validated by the tools of Blender 4.5 and 5.2.
build: wheels venv-blender venv-blender52
	@$(DEV) tools/build.py

# Dead code (vulture) in client/ and worker/: the Blender layer and the command line count as
# their users; Blender calls the names given to it by its own API, and
# tests/layers/vulture_allowlist.py says why the rest stay. Only client/ and worker/ are judged.
DEAD_CODE_PATHS := client worker operators panels $(wildcard *.py) tests/layers/vulture_allowlist.py
BLENDER_API_NAMES := bl_*,draw,execute,invoke,modal,poll,description,register,unregister,top

lint: venv-dev
	@.venv/dev/bin/ruff check .
	@.venv/dev/bin/ruff format --check .
	@out=$$(.venv/dev/bin/vulture $(DEAD_CODE_PATHS) --ignore-names "$(BLENDER_API_NAMES)"); \
	code=$$?; if [ $$code -ne 0 ] && [ $$code -ne 3 ]; then echo "$$out"; exit $$code; fi; \
	dead=$$(echo "$$out" | grep -E '^(client|worker)/'); \
	if [ -n "$$dead" ]; then echo "$$dead"; exit 1; fi

format: venv-dev
	@.venv/dev/bin/ruff format .
	@.venv/dev/bin/ruff check --fix .

# One pytest run per Blender line (the real-Blender tests' module fixtures hold one run's state);
# the first run is everything, with Blender 4.5; each failure's test id names its Blender. The
# tests that need neither Blender nor the proxy run again on Python 3.13, as Blender 5.1+ runs.
test: lint build venv-proxy venv-dev313 \
      $(addprefix venv-,$(call blender_venvs,$(TEST_BLENDER_LINES)))
	@$(DEV) -m coverage run -m pytest
	@$(DEV) -m coverage report --include='client/*'
	@echo "== the tests without Blender or the proxy, on Python 3.13 (.venv/dev313)"
	@.venv/dev313/bin/python -m pytest -m "not blender and not proxy" -q
	@$(MAKE) --no-print-directory _blender-tests \
	    VENVS="$(call blender_venvs,$(filter-out 4.5,$(TEST_BLENDER_LINES)))"

# Everything but real Blender and the real proxy: for a quick loop while editing.
test-fast: venv-dev
	@$(DEV) -m pytest -m "not blender and not proxy"

# Only the real-Blender tests, in every line the manifest admits, or in one (test-blender-5.2).
test-blender-all: build $(addprefix venv-,$(call blender_venvs,$(BLENDER_LINES)))
	@$(MAKE) --no-print-directory _blender-tests VENVS="$(call blender_venvs,$(BLENDER_LINES))"
$(addprefix test-blender-,$(BLENDER_LINES)): test-blender-%: build
	@$(BOOTSTRAP) $(BLENDER_VENV_$*)
	@$(MAKE) --no-print-directory _blender-tests VENVS="$(BLENDER_VENV_$*)"

# Runs pytest -m blender once per Blender venv in $(VENVS), all of them even after a failure.
_blender-tests:
	@status=0; for venv in $(VENVS); do \
	    echo "== the real-Blender tests in .venv/$$venv"; \
	    BLENDER_PYTHON=$(CURDIR)/.venv/$$venv/bin/python $(DEV) -m pytest -m blender -q \
	        || status=1; \
	done; exit $$status

demo: build venv-proxy
	@$(DEV) tools/demo.py

# The HTML API reference of client/, the worker and screenplay/, from their docstrings.
docs: venv-dev
	@$(DEV) tools/build_docs.py

bench: build
	@$(DEV) bench/run.py

# atheris (libFuzzer) on the event-stream decoder and the body parsers, FUZZ_SECONDS (80) per
# target, then the coverage its corpus reaches. Not part of `make test`; see docs/reliability.md.
fuzz: venv-fuzz
	@.venv/fuzz/bin/python tools/fuzz/run.py

clean:
	rm -rf dist wheels .venv .pytest_cache .ruff_cache .coverage
