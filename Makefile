# The two commands: `make run` serves the portal, `make test` runs every test.
# Both set everything up on a fresh Debian machine (venv, pinned packages, fonts, Chromium).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
APT_GET := $(shell command -v apt-get 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test soak bench mutate venv system-fonts system-browser clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# The QR posters are drawn with a CJK font; the browser tests need Chromium and the same fonts.
system-fonts:
	@fc-list 2>/dev/null | grep -qiE 'Noto Sans CJK|WenQuanYi' || { \
	  [ -n "$(APT_GET)" ] || { echo "Please install a CJK font (fonts-noto-cjk)"; exit 1; }; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq fonts-noto-cjk >/dev/null; }

system-browser:
	@[ -x /usr/bin/chromium ] || { \
	  [ -n "$(APT_GET)" ] || { echo "Please install chromium"; exit 1; }; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium >/dev/null; }

run: venv system-fonts
	$(PY) -m lib.site.bootstrap
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed-dev system-fonts system-browser
	$(PY) -m pytest -q --ignore=tests/soak

# Longer robustness runs (the real server killed 30 times mid-submission); CI runs it too.
soak: $(VENV)/.installed-dev system-fonts system-browser
	$(PY) -m pytest -q tests/soak

# The scale benchmark: builds the large community once (bench-results/data), then times it.
bench: $(VENV)/.installed-dev system-fonts system-browser
	$(PY) -m bench.run

# Mutation testing of the rule modules (not part of make test or CI: it takes many minutes).
# `make mutate MODULES=lib/points/ledger.py` picks modules; survivors are printed at the end.
MODULES ?= lib/points/ledger.py lib/reports/workflow.py lib/people/accounts.py \
	lib/people/households.py lib/people/login.py lib/people/passwords.py lib/people/sessions.py \
	lib/people/users.py lib/people/org.py lib/core/photos.py lib/points/boards.py \
	lib/volunteer/hours.py lib/shop/redeem.py lib/shop/catalogue.py lib/shop/codes.py \
	lib/crowdfund/money.py lib/crowdfund/projects.py lib/crowdfund/pledges.py \
	lib/crowdfund/labour.py lib/crowdfund/books.py lib/ranking/months.py lib/ranking/criteria.py \
	lib/ranking/scoring.py lib/ranking/standings.py lib/ranking/publish.py lib/ranking/board.py \
	lib/council/votes.py lib/council/tally.py lib/council/topics.py lib/council/meetings.py \
	lib/council/publish.py lib/council/tracking.py lib/council/followup.py
mutate: $(VENV)/.installed-dev system-fonts
	$(VENV)/bin/mutmut run --max-children 2 $(foreach m,$(MODULES),"$(subst /,.,$(basename $(m))).*")
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV)
