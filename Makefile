# The README's two commands: `make render` and `make test`. Both set up from nothing on Debian (as root).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := libcairo2-dev libpango1.0-dev pkg-config fonts-inter fonts-jetbrains-mono fonts-dejavu-core fonts-wqy-microhei chromium
QUALITY ?= 1080p
OUT ?= dist

.PHONY: render test setup system venv clean bench

render: setup
	$(VENV)/bin/explainers render --all --quality $(QUALITY) --out $(OUT)
	$(VENV)/bin/explainers verify $(OUT)

test: setup
	$(PY) -m pytest -q -n 2 --dist loadgroup

# System packages Manim needs to build pycairo/manimpango, the theme's fonts, and the browser the gallery tests drive.
system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing: nodejs npm"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# The SCORM 1.2 runtime the course-package tests run the packages under (an LMS player's, from npm).
SCORM_AGAIN := 3.4.3
$(VENV)/npm/.installed-$(SCORM_AGAIN): $(VENV)/.installed
	mkdir -p $(VENV)/npm
	cd $(VENV)/npm && npm install --no-audit --no-fund --silent scorm-again@$(SCORM_AGAIN)
	touch $@

venv: $(VENV)/.installed $(VENV)/npm/.installed-$(SCORM_AGAIN)

setup: system venv

# Stock Manim vs our pipeline, side by side (long: ~15 min for two explainers on 2 cores); not part of `make test`.
bench: setup
	$(PY) bench/render_bench.py

clean:
	rm -rf $(OUT) .pytest_cache
