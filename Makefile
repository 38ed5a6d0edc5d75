# Two commands for a fresh machine: `make run` and `make test`. Each installs what it needs:
# a virtual environment with the pinned packages and, unless HOOKBUS_KAFKA_BOOTSTRAP points at
# a broker, Apache Kafka's own jars from Maven Central (cached under ~/.cache/hookbus).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup kafka-jars run test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

kafka-jars: $(STAMP)
	@if [ -z "$$HOOKBUS_KAFKA_BOOTSTRAP" ]; then $(BIN)/python -m shared.local_kafka install; fi

setup: $(STAMP) kafka-jars

run: setup
	HOOKBUS_ALLOW_PRIVATE_DESTINATIONS=$${HOOKBUS_ALLOW_PRIVATE_DESTINATIONS:-true} \
	HOOKBUS_ADMIN_TOKEN=$${HOOKBUS_ADMIN_TOKEN:-dev-token} \
	HOOKBUS_DATA_DIR=$${HOOKBUS_DATA_DIR:-$(CURDIR)/.hookbus} \
	$(BIN)/hookbus run

lint: $(STAMP)
	$(BIN)/ruff check shared services tests bench
	$(BIN)/ruff format --check shared services tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/contract

bench: setup
	$(BIN)/python bench/pipeline.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .hookbus .pytest_cache .mypy_cache .ruff_cache
