# The two commands a newcomer types: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second half of the test run; CI has one on 127.0.0.1:5432 (trust auth).
SULH_TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# The embedding model of media linking runs on PyTorch's CPU build, installed before the project so that pip does
# not pull a CUDA build (several GB) to satisfy `torch>=2.2`. This release's CPU wheel lies on the CI machines' disk;
# elsewhere set e.g. TORCH='torch --index-url https://download.pytorch.org/whl/cpu'.
TORCH ?= torch==2.13.0

.PHONY: run test setup lint test-sqlite test-postgres bench bench-ledger bench-hotline bench-commitments bench-media bench-peers clean messages

$(STAMP): pyproject.toml
	@command -v msgfmt >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && { apt-get update -qq >/dev/null; apt-get install -y -qq gettext >/dev/null; } || echo "note: gettext (msgfmt) not installed: the console stays in English"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then $(BIN)/sulh compilemessages --ignore '.venv/*' >/dev/null; fi

# The demo runs on a copy of the charter with the demo signatories' and intel desks' public keys entered (their
# private halves are under var/demo/, never in the repository); a SULH_CHARTER you set yourself is used as it is.
run: setup
	@charter="$${SULH_CHARTER:-$$($(BIN)/sulh demo charter)}" && export SULH_CHARTER="$$charter" && \
	echo "charter in force: $$charter" && \
	$(BIN)/sulh migrate --noinput && \
	$(BIN)/sulh collectstatic --noinput >/dev/null && \
	$(BIN)/sulh demo --if-empty && \
	exec $(BIN)/sulh serve --host $(HOST) --port $(PORT)

test: setup lint test-sqlite test-postgres

lint: setup
	$(BIN)/ruff check .

test-sqlite: setup
	@echo "=== test suite on SQLite ==="
	SULH_FAST_PASSWORD_HASHING=1 $(BIN)/pytest -p no:cacheprovider

test-postgres: setup
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(SULH_TEST_PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "=== test suite on PostgreSQL ($(SULH_TEST_PG_URL)) ==="; \
		DATABASE_URL='$(SULH_TEST_PG_URL)' SULH_FAST_PASSWORD_HASHING=1 $(BIN)/pytest -p no:cacheprovider; \
	else \
		echo ""; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!  PostgreSQL NOT reachable at $(SULH_TEST_PG_URL)"; \
		echo "!!  The PostgreSQL half of the test suite was SKIPPED. Only SQLite was tested."; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo ""; \
	fi

bench: setup bench-peers
	$(BIN)/python -m bench
	$(BIN)/python -m bench.hotline
	$(BIN)/python -m bench.commitments
	$(BIN)/python -m bench.media

# The ledger benchmark alone (appends, proofs, verification at 10^6 entries; pymerkle as a peer):
# `make bench-ledger BENCH_ARGS="--quick"` for a smoke run, BENCH_ARGS="--entries 200000 --db sqlite" and so on.
bench-ledger: setup bench-peers
	$(BIN)/python -m bench.ledger $(BENCH_ARGS)

# The hotline benchmark alone (200 live listeners: delivery latency, throughput, escalation lateness; ~6 min):
# `make bench-hotline BENCH_ARGS="--quick"` for a smoke run, BENCH_ARGS="--db sqlite --listeners 50" and so on.
bench-hotline: setup
	$(BIN)/python -m bench.hotline $(BENCH_ARGS)

# Commitments, co-signed documents and intelligence envelopes (5,000 obligations per database; a few minutes):
# `make bench-commitments BENCH_ARGS="--quick"` for a smoke run, BENCH_ARGS="--db sqlite --obligations 2000" and so on.
bench-commitments: setup
	$(BIN)/python -m bench.commitments $(BENCH_ARGS)

# Media extraction: the dev set's figures, articles/s and memory (needs ../shared/eval/media-dev).
bench-media: setup
	$(BIN)/python -m bench.media $(BENCH_ARGS)

# Benchmark peers (pymerkle, GPLv3): installed into the venv for the benchmarks only, never a Sulh dependency.
bench-peers: setup
	$(BIN)/pip install --quiet -r bench/requirements-peers.txt

messages: setup
	cd sulh && SULH_DATA_DIR=../var ../$(BIN)/sulh makemessages -l ps -l fa -l ur -l tr --ignore 'tests/*'
	cd sulh && SULH_DATA_DIR=../var ../$(BIN)/sulh makemessages -d djangojs -l ps -l fa -l ur -l tr --ignore 'tests/*'

clean:
	rm -rf $(VENV) var build *.egg-info
