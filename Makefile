# Two commands on a fresh machine: `make run` (app on the sample reports) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test test-fast install install-test index lint format clean constraints

# constraints.txt: the versions verified together (reproducible installs; `make constraints`).
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel on disk; anything looser pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

# The test extras add Playwright, gradio_client, ruff and a llama.cpp server (compiles, ~4 min).
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

index/manifest.json: | $(VENV)/.installed
	$(VENV)/bin/assistant index build reports/ --index index

index: index/manifest.json

run: install index
	$(PY) app.py --index index

# Everything: browser, LLM server and SIGKILL loops included (CI runs this).
test: install-test
	$(PY) -m pytest -q

# While working: no browser, no LLM server, no kill loops, no Ray.
test-fast: install-test
	$(PY) -m pytest -q -m "not browser and not llm and not kills and not cluster"

lint: install-test
	$(VENV)/bin/ruff check assistant tests app.py benchmarks training
	$(VENV)/bin/ruff format --check assistant tests app.py benchmarks training

format: install-test
	$(VENV)/bin/ruff check --fix assistant tests app.py benchmarks training
	$(VENV)/bin/ruff format assistant tests app.py benchmarks training

# After changing dependencies and passing `make test`: record the versions that passed.
constraints: install-test
	{ echo "# The versions \`make\` installs, verified together by \`make test\` on the development machine"; \
	  echo "# (regenerate with \`make constraints\` after changing pyproject.toml and passing the tests)."; \
	  $(PY) -m pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > constraints.txt

clean:
	rm -rf $(VENV) index/seg-* index/catalog-* index/gen-* index/.tmp-* index/manifest.json index/.lock index/.verified.json
