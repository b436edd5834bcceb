# Two commands on a fresh machine: `make run` (app on the sample reports) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install index lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel on disk; anything looser pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

index/manifest.json: | $(VENV)/.installed
	$(VENV)/bin/assistant index build reports/ --index index

index: index/manifest.json

run: install index
	$(PY) app.py --index index

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check assistant tests app.py

clean:
	rm -rf $(VENV) index/gen-* index/.tmp-* index/manifest.json index/.lock
