# Two entry points: `make demo` and `make test`. Everything a run needs is installed here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MW     := $(VENV)/bin/minewatch
DEMO   := demo
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

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

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
