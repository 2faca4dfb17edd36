# Two commands matter: `make demo` and `make test`. Both bootstrap what they need from the
# hashed locks in requirements/ (only Python 3.11 and make are assumed); downloads are cached in
# $(CACHE_DIR), outside git, so a fresh clone on the same machine reuses them.

PYTHON ?= python3.11
export PYTHON
export CACHE_DIR ?= $(HOME)/.cache/litellm-screenwriter
DEV := .venv/dev/bin/python
BOOTSTRAP := ./tools/bootstrap_venv.sh

.PHONY: help venv venv-dev venv-blender venv-blender42 venv-blender50 venv-proxy wheels build lint format \
        test test-fast test-blender42 test-blender50 demo bench docs clean

help:
	@echo "make demo            build the extension and run the demo in real Blender"
	@echo "make test            lint + build + every test (client, worker, proxy, Blender 4.5)"
	@echo "make test-blender42  the real-Blender tests against bpy 4.2 LTS (the minimum)"
	@echo "make test-blender50  the real-Blender tests against bpy 5.0 (the newest)"
	@echo "make build           one zip per platform into dist/ with Blender's own tool"
	@echo "make bench           benchmarks: table + bench/results/latest.json"
	@echo "make docs            the library's HTML API reference into dist/docs/ (pdoc)"
	@echo "make lint / format   ruff"

venv: venv-dev venv-blender venv-proxy
venv-dev:
	@$(BOOTSTRAP) dev
venv-blender:
	@$(BOOTSTRAP) blender
venv-blender42:
	@$(BOOTSTRAP) blender42
venv-blender50:
	@$(BOOTSTRAP) blender50
venv-proxy:
	@$(BOOTSTRAP) proxy

# The bundled runtime wheels (requirements/wheels.lock, four platforms) into wheels/ and the
# manifest's list; from $(CACHE_DIR) when already downloaded (no network, under a second).
wheels: venv-dev
	@$(DEV) tools/fetch_wheels.py

# One zip per platform in dist/ with Blender's own tool (bl_pkg/cli/blender_ext.py in bpy).
build: wheels venv-blender
	@$(DEV) tools/build.py

lint: venv-dev
	@.venv/dev/bin/ruff check .
	@.venv/dev/bin/ruff format --check .

format: venv-dev
	@.venv/dev/bin/ruff format .
	@.venv/dev/bin/ruff check --fix .

test: lint build venv-proxy
	@$(DEV) -m coverage run -m pytest
	@$(DEV) -m coverage report --include='client/*'

# Everything but real Blender and the real proxy: for a quick loop while editing.
test-fast: venv-dev
	@$(DEV) -m pytest -m "not blender and not proxy"

# The same real-Blender tests, in bpy 4.2 LTS (the oldest Blender the manifest accepts).
test-blender42: build venv-blender42
	@BLENDER_PYTHON=$(CURDIR)/.venv/blender42/bin/python $(DEV) -m pytest -m blender

# And in bpy 5.0 (the newest Blender we support).
test-blender50: build venv-blender50
	@BLENDER_PYTHON=$(CURDIR)/.venv/blender50/bin/python $(DEV) -m pytest -m blender

demo: build venv-proxy
	@$(DEV) tools/demo.py

# The HTML API reference of client/, the worker and screenplay/, from their docstrings.
docs: venv-dev
	@$(DEV) tools/build_docs.py

bench: build
	@$(DEV) bench/run.py

clean:
	rm -rf dist wheels .venv .pytest_cache .ruff_cache .coverage
