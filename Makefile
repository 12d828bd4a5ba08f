# Two commands for a fresh machine with a Python the lesson supports (setup.md):
#   make lesson   set everything up, download the data, run every notebook, build the website
#   make test     run the test suite: helper package, pages, every notebook re-executed,
#                 the website built from those runs and checked in headless Chromium
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: lesson test setup lock notebooks figures site benchmark test-newest colab

# The supported Pythons, oldest first: pyproject.toml's classifiers, their one home.
PYTHONS := $(shell $(PYTHON) -m tools.project pythons)
lesson: setup
	$(BIN)/python -m dlhelpers check --no-data
	@# A file that cannot be fetched is reported with what to do; the notebooks
	@# that do not need it still run, and one that does fails with the same message
	@# (the table names it; the full message is in build/logs/).
	-$(BIN)/python -m dlhelpers download
	$(BIN)/python -m tools.run.benchmark
	$(BIN)/python -m tools.builders.build_site

test: setup
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

# Every environment installs from a lock (pip checks every file's hash), then the
# helpers themselves without dependencies: the lock holds all of them.
MAINTAINER_LOCK := tools/requirements-maintainer.txt
$(VENV)/.installed: pyproject.toml requirements.txt $(MAINTAINER_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(MAINTAINER_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# For maintainers, after changing a pin in pyproject.toml: the locks, with every
# package's version and the hashes of its files for every platform and Python
# the lesson supports. requirements.txt is the learners' set; the maintainers'
# lock adds the tools and keeps every learner version (-c). Versions that still
# satisfy pyproject stay; `make lock UPGRADE=1` moves everything to the newest.
# tests/test_lock.py fails while pyproject and the locks disagree.
LOCK_FLAGS = --universal --python-version $(firstword $(PYTHONS)) --generate-hashes --quiet \
  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra lesson $(LOCK_FLAGS) -o requirements.txt
	$(BIN)/uv pip compile pyproject.toml --extra lesson --extra maintainer -c requirements.txt \
	  $(LOCK_FLAGS) -o $(MAINTAINER_LOCK)

# For maintainers: regenerate the notebooks (complete and exercise versions), the
# tables of episodes and files (README, instructor schedule, data/README), setup.md
# (from learners/setup.md.in) and environment.yml's Python after editing a page in
# episodes/, the registry, setup.md's template or pyproject.toml's pins and Pythons.
notebooks: setup
	$(BIN)/python -m tools.builders.build_notebooks
	$(BIN)/python -m tools.builders.tables

# For maintainers: redraw the concept diagrams, episodes/fig/*.svg, after
# editing tools/builders/draw_figures.py (the notebooks embed the same drawings).
figures: setup
	$(BIN)/python -m tools.builders.draw_figures
	$(BIN)/python -m tools.builders.build_notebooks

# The website under build/site/, from the executed notebooks in build/notebooks/
# (`make lesson` or `make test` writes them). It runs nothing: a missing or
# stale executed notebook is an error that names the command to run.
site: setup
	$(BIN)/python -m tools.builders.build_site

# The notebook step of `make lesson`, on both Keras backends: run and time every notebook
# on JAX and on TensorFlow; print wall times (with the kernel's start and stop) and headline
# results side by side and each notebook's three slowest cells, labelled by their costly line
# (build/benchmark.md). The lesson's choice of backend (src/dlhelpers/backend.py) rests on
# this table. The image episodes run on a generated stand-in as large as Dollar Street 10
# (878 training images, tools/run/standin.py), so the times are what learners wait for;
# REAL_DATA=1 uses the data cache as it is.
benchmark: setup
	@if [ -z "$(REAL_DATA)" ]; then eval "$$($(BIN)/python -m tools.run.standin --real-size build/standin-real-size)"; fi; \
	  $(BIN)/python -m tools.run.benchmark --compare

# The newest supported Python (.ci/run runs this after `make test`): the lesson's
# pins installed on it, then the helper tests and episodes 1-3 executed and judged
# as on the default Python. Its executed notebooks go to build/newest-python/,
# apart from the site's.
PYTHON_NEWEST ?= python$(lastword $(PYTHONS))
VENV_NEWEST   := .venv-newest
test-newest: $(VENV_NEWEST)/.installed
	LESSON_BUILD=build/newest-python $(VENV_NEWEST)/bin/python -m pytest -p no:cacheprovider \
	  tests/test_helpers.py tests/test_data.py tests/test_mirror_room.py \
	  tests/test_notebooks.py::test_notebook_prints_what_its_page_shows \
	  tests/test_notebooks.py::test_results_keep_their_bounds --episodes 1-3

$(VENV_NEWEST)/.installed: pyproject.toml requirements.txt $(MAINTAINER_LOCK)
	$(PYTHON_NEWEST) -m venv $(VENV_NEWEST)
	$(VENV_NEWEST)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_NEWEST)/bin/python -m pip install --quiet -r $(MAINTAINER_LOCK)
	$(VENV_NEWEST)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

# The lesson as Colab runs it: a fresh environment on Colab's Python holding exactly
# Colab's published versions (tools/maintain/colab-versions.txt names both), then the notebooks'
# install cells, the check and every notebook (tools/maintain/colab_check.py; report in
# build/colab.md). Rebuilt from scratch each time, as a Colab runtime is.
PYTHON_COLAB ?= python$(shell $(PYTHON) -m tools.maintain.colab_check --python)
VENVCOLAB := .venv-colab
colab:
	rm -rf $(VENVCOLAB)
	$(PYTHON_COLAB) -m venv $(VENVCOLAB)
	$(VENVCOLAB)/bin/python -m pip install --quiet --upgrade pip
	$(VENVCOLAB)/bin/python -m pip install --quiet -r tools/maintain/colab-versions.txt
	$(VENVCOLAB)/bin/python -m tools.maintain.colab_check
