# MLOps Concepts: every target creates .venv on first use.
#   make demo   grade every chapter's sample class in a throwaway course (.demo-course/): feedback,
#               grades, reports (ASSIGNMENT=<id> for one chapter)
#   make test   the whole test suite (installs bubblewrap and chromium with apt-get if missing)
#   make check  the chapter linter and the fast tests
#   make lab    JupyterLab on your own copy of a chapter, as a self-learner (ASSIGNMENT=<id>: which;
#               WORKSPACE=<dir>: where the copies live; LAB_ARGS=... for more flags)
#   make student  JupyterLab as a student of a class: the Assignments tab fetches, validates and
#               submits through the local exchange (STUDENT_HOME=<dir>; STUDENT=<id>, default:
#               your login name; LAB_ARGS=...)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# Makes nbgrader stop on an error in nbgrader_config.py instead of grading with its defaults (see
# the file). pip installs it for `pip install .`, but not for the editable install below.
GUARD  := $(VENV)/etc/jupyter/jupyter_config.py
# Makes every Formgrader page inert for gradebook text (mlops_concepts/nbgrader_plugins/formgrader_pages.py);
# likewise installed by `pip install .` only.
PAGES  := $(VENV)/etc/jupyter/jupyter_server_config.d/mlops_concepts.json
# `nbgrader collect` run outside a course directory says so (mlops_concepts/nbgrader_plugins/wrong_folder.py).
WHERE  := $(VENV)/etc/jupyter/nbgrader_config.json
# Keeps ipykernel's _control_lock traceback (an open upstream race) off the terminal on restarts.
KERNEL := $(VENV)/etc/ipython/ipython_kernel_config.py
# Our JupyterLab extension ("view feedback" opens the page: labextension/), linked to its committed
# build; `pip install .` installs that build instead (pyproject.toml's data-files).
LABEXT := $(VENV)/share/jupyter/labextensions/mlops-concepts-feedback
VENV_READY := $(STAMP) $(GUARD) $(PAGES) $(WHERE) $(KERNEL) $(LABEXT)
# Every chapter, from source/; ASSIGNMENT=<id> picks one (empty: all of them, or the first for lab).
CHAPTERS := $(sort $(notdir $(patsubst %/,%,$(wildcard source/*/))))
ASSIGNMENT ?=

.PHONY: demo test check lab student release lint lock screenshots system-deps clean formgrader labextension

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	@echo "Creating $(VENV) and installing the course's packages (a minute or two, once)..."
	@$(PYTHON) -m venv $(VENV)
	@echo "  upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@# pip's own lines, condensed to a phase and a count (etc/make/install_progress.py)
	@$(PYTHON) etc/make/install_progress.py \
	  $(BIN)/python -m pip install --progress-bar off -c constraints.txt -e ".[test]"
	@rm -f $(VENV)/.installed-* && touch $@

$(GUARD): etc/jupyter/jupyter_config.py | $(STAMP)
	install -D -m 644 $< $@

$(PAGES): etc/jupyter/jupyter_server_config.d/mlops_concepts.json | $(STAMP)
	install -D -m 644 $< $@

$(WHERE): etc/jupyter/nbgrader_config.json | $(STAMP)
	install -D -m 644 $< $@

$(KERNEL): etc/ipython/ipython_kernel_config.py | $(STAMP)
	install -D -m 644 $< $@

$(LABEXT): | $(STAMP)
	@mkdir -p $(dir $@) && ln -sfn "$(CURDIR)/labextension/prebuilt" $@

# Rebuilds labextension/prebuilt/ after an edit of labextension/src or its package.json (needs npm
# and its registry: @jupyterlab/builder). The build is committed, as wheels ship it, so that neither
# `make` nor CI needs node; source.sha256 records what it was built from, and
# tests/unit/test_labextension.py fails while the build is older than its source.
labextension: $(VENV_READY)
	cd labextension && rm -rf prebuilt && npm ci --no-audit --no-fund && \
	  PATH="$(CURDIR)/$(BIN):$$PATH" jupyter-builder build .
	cd labextension && LC_ALL=C cat package.json src/*.js | sha256sum | cut -d' ' -f1 > prebuilt/source.sha256

# Grading runs student code in a bubblewrap sandbox; the browser test drives Debian's chromium;
# the gradebook test starts a private PostgreSQL server; npm installs the JupyterHub test's proxy.
system-deps:
	@missing=""; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: $(VENV_READY)
	@command -v bwrap >/dev/null || $(MAKE) --no-print-directory system-deps
	$(BIN)/mlops-concepts demo $(ASSIGNMENT)

# tests/browser/test_jupyterhub.py installs JupyterHub's proxy from npm itself, as docs/deploy.md says.
test: $(VENV_READY) system-deps
	$(BIN)/python -m pytest

# Fast checks while working (a minute or two): the chapter linter and every test that runs neither
# nbgrader on a whole class nor a browser. `make test` still runs everything.
check: $(VENV_READY)
	$(BIN)/mlops-concepts check
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# nbgrader writes each chapter into .release-new/ first; only once it succeeded does that copy take
# the place of release/<id>. A broken configuration or chapter leaves the old release as it was,
# and nbgrader finds nothing to remove (no "Removing existing assignment" warning per chapter).
release: $(VENV_READY)
	@rm -rf .release-new
	@for a in $(or $(ASSIGNMENT),$(CHAPTERS)); do \
	  echo "nbgrader generate_assignment $$a --force"; \
	  $(BIN)/nbgrader generate_assignment $$a --force --CourseDirectory.release_directory=.release-new \
	    || { rm -rf .release-new; exit 1; }; \
	  rm -rf "release/.$$a.old" && mkdir -p release && \
	  { [ ! -e "release/$$a" ] || mv "release/$$a" "release/.$$a.old"; } && \
	  mv ".release-new/$$a" "release/$$a" && rm -rf "release/.$$a.old" || exit 1; \
	done; rm -rf .release-new

# Where learners work (mlops_concepts/workspace.py, docs/students.md): folders of their own,
# outside the repository, so that no git command, `make release` or `make clean` touches their work.
WORKSPACE    ?= $(HOME)/mlops-concepts-work
STUDENT_HOME ?= $(HOME)/mlops-concepts-student
COURSE_ID    ?= mlops-concepts
STUDENT      ?=
EXCHANGE      = $${MLOPS_CONCEPTS_EXCHANGE:-$(CURDIR)/.exchange}
# JupyterLab as students get it: no instructor menus (etc/student-lab/, the settings postBuild gives
# Binder); --allow-root as CI and containers run. Started in the server's root, so that nothing
# resolves against this repository.
STUDENT_LAB   = JUPYTER_CONFIG_PATH="$(1)$(CURDIR)/etc/student-lab$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  "$(CURDIR)/$(BIN)/jupyter" lab --ServerApp.root_dir=. $(LAB_ARGS) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The self-learner's view: their copy of the chapter (copied from release/ the first time only),
# in a server whose root is WORKSPACE; no Assignments tab, as there is no class (etc/self-learner/).
lab: $(VENV_READY)
	@notebook=$$($(BIN)/python -m mlops_concepts.workspace learner --release release \
	  --into "$(WORKSPACE)" --chapter "$(ASSIGNMENT)") && cd "$(WORKSPACE)" && \
	$(call STUDENT_LAB,$(CURDIR)/etc/self-learner:) "$$notebook"

# A student of a class, on this machine: a home folder of their own (no source/, no gradebook)
# whose nbgrader_config.py names the course and the exchange; the Assignments tab fetches into it.
student: $(VENV_READY)
	@mkdir -p "$(EXCHANGE)"
	@home=$$($(BIN)/python -m mlops_concepts.workspace student --home "$(STUDENT_HOME)" \
	  --exchange "$(EXCHANGE)" --course-id "$(COURSE_ID)" --student "$(STUDENT)") && cd "$$home" && \
	$(call STUDENT_LAB,)

# The pictures in README.md and docs/: the browser tests that take them, writing into docs/screenshots
# (tests write their screenshots to a temporary folder otherwise, never over tracked files).
screenshots: $(VENV_READY) system-deps
	MLOPS_BROWSER_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
	  tests/browser/test_lab.py tests/browser/test_checkpoints_browser.py tests/browser/test_student_class.py \
	  tests/browser/test_run_all.py \
	  tests/browser/test_formgrader_xss.py tests/integration/test_report.py

lint: $(VENV_READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/nbqa ruff source/

# After a deliberate upgrade in .venv: write the exact versions installed to constraints.txt (then
# copy the runtime pins into environment.yml; tests/unit/test_packaging.py says which differ).
lock: $(VENV_READY)
	@{ sed -n '/^#/p' constraints.txt; \
	  { $(BIN)/python -m pip freeze --exclude-editable | grep -v '^mlops-concepts=='; \
	    $(BIN)/python -m pip freeze --all | grep '^setuptools=='; } | sort -f; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf .grading submitted feedback gradebook.db grades.csv .exchange
	find autograded -mindepth 1 ! -name README.md -exec rm -rf {} +

# The instructor's view: JupyterLab whose server root is the course directory (this folder), as
# the Formgrader needs (started in release/<id>/ it shows only "Sorry, the formgrader encountered
# an error"); the browser opens on the Formgrader (LAB_ARGS=... for more flags, e.g. --no-browser).
formgrader: $(VENV_READY)
	@mkdir -p "$${MLOPS_CONCEPTS_EXCHANGE:-.exchange}"
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/formgrader $(LAB_ARGS) \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)
