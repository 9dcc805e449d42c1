# Two entry points: `make run` starts the app, `make test` runs every test.
# Both create or update the virtual environment in .venv first, so they work on a fresh machine
# and can be run again and again.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
N ?= 2

.PHONY: run class dev test stress lint bench browser nginx clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# For a class larger than one server holds: N app servers (one per core) on the ports after
# PORT, nginx on PORT in front of them keeping each learner on one; Ctrl-C stops them all.
class: $(VENV)/.runtime nginx
	$(PY) -m tools.balancer --replicas $(N) --port $(PORT)

# For working on the app: reload a page when its source changes. Polls the project's own files
# (a few dozen, five times a second) rather than watching folders, which would take in .venv.
dev: $(VENV)/.runtime
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) \
		--server.fileWatcherType poll --server.runOnSave true

browser:
	scripts/install-browser

# The replica test puts nginx in front of two app servers.
nginx:
	scripts/install-nginx

lint: $(VENV)/.dev
	$(PY) -m ruff check .

test: $(VENV)/.dev browser nginx lint
	$(PY) -m pytest

# The fuzz and load tests at full size: 10,000 pictures, 2,000 zips, 24 learners at once.
stress: $(VENV)/.dev browser
	CNNEXPLAIN_FULL_SIZE=1 $(PY) -m pytest tests/test_fuzz_images.py tests/test_fuzz_zips.py \
		tests/browser/test_load_browser.py

bench: $(VENV)/.dev
	$(PY) -m cnnexplain.bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
