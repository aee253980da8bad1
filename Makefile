# diachinh: build, run and test.
#
#   make run        build the release binary, start the private PostGIS cluster (./var/pg), migrate, seed, serve
#   make test       start the throw-away test cluster (./var/pg-test) and run the test suite
#   make lint       cargo fmt --check and cargo clippy -D warnings over the workspace (part of make test)
#   make bench      every benchmark below, in this order, at 1,000,000 parcels (writes BENCHMARKS.md;
#                   installs wrk, pgbench, GDAL and the peers Martin, tipg, pygeoapi under var/bench/ first)
#   make bench-reads  parcel by id and bbox pages of 100 (wrk) next to the same SQL (pgbench)
#   make bench-tiles  the same for vector tiles (z14–z17 parcel tiles); its own section of BENCHMARKS.md
#   make bench-check  latency of the certificate check (200-vertex requests); its own section of BENCHMARKS.md
#   make bench-peers  ours next to tipg, pygeoapi, Martin, GDAL ogr2ogr and pgbench, one table
#   make bench-import the bulk import (diachinh import) next to a plain ogr2ogr load of the same file
#   make bench-scale  the reads above at 1,000,000 and 10,000,000 parcels (loaded through the import),
#                   disk per million parcels and the import's time
#   make db-stop    stop both clusters;  make clean-db  also deletes their data
#
# The binary manages its own PostgreSQL cluster (src/cluster.rs); with DATABASE_URL set in
# the environment it uses that database instead. Benchmarks and the generator are another
# binary, diachinh-tools (crates/tools), never linked into the server.

CARGO ?= cargo
PORT ?= 8080
PG_PORT ?= 54320
TEST_PG_PORT ?= 54321
BIN = target/debug/diachinh
# What `make run` serves: the optimised build (a debug server is several times slower per
# request, and that is what a newcomer and the staff would feel). `make test` stays on debug.
RUN_BIN = target/release/diachinh
TOOLS_RELEASE = target/release/diachinh-tools

PG_DIR = var/pg
TEST_PG_DIR = var/pg-test
# The replica tests' own primary and streaming replica (tests/api/replicas.rs; stopped by each test).
TEST_REPLICATION_DIRS = var/pg-test-primary var/pg-test-replica
DB_ENV = DIACHINH_PG_DIR=$(PG_DIR) DIACHINH_PG_PORT=$(PG_PORT)
TEST_DB_ENV = DIACHINH_PG_DIR=$(TEST_PG_DIR) DIACHINH_PG_PORT=$(TEST_PG_PORT) DIACHINH_PG_DURABLE=0

# Fallback for stopping a cluster without the binary (not built, or does not compile).
PG_CTL = /usr/lib/postgresql/15/bin/pg_ctl
AS_PG = $(if $(filter 0,$(shell id -u)),runuser -u postgres --,)

.DEFAULT_GOAL := build
.PHONY: prereqs bench-prereqs bench-prereqs-base build build-release test-build lint db run test bench bench-reads bench-tiles bench-check bench-peers bench-import bench-scale bench-build db-stop db-stop-dev db-stop-test clean-db

prereqs:
	bash scripts/prereqs.sh

# wrk, pgbench, GDAL and the peer servers (Martin built from its crate, ~6 min the first time;
# tipg and pygeoapi in venvs under var/bench/), for `make bench` only — never for `make test`.
bench-prereqs:
	bash scripts/bench-prereqs.sh

# wrk, pgbench and GDAL only: what the benchmarks without peers need.
bench-prereqs-base:
	BENCH_PEERS=0 bash scripts/bench-prereqs.sh

build: prereqs
	$(CARGO) build --bins

build-release: prereqs
	$(CARGO) build --release --bin diachinh

# Every crate and target in one feature set: the tests then reuse it (PROJ is built once).
test-build: prereqs
	$(CARGO) build --workspace --all-targets

# Formatting and lints over every crate and target; make test runs it first.
lint: prereqs
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

db: build
	$(DB_ENV) $(BIN) db start

run: build-release
	$(DB_ENV) $(RUN_BIN) db start
	$(DB_ENV) $(RUN_BIN) migrate
	$(DB_ENV) $(RUN_BIN) seed
	$(DB_ENV) $(RUN_BIN) serve --dev --bind 127.0.0.1:$(PORT)

test: test-build lint
	$(TEST_DB_ENV) $(BIN) db start
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  set -x; DIACHINH_TEST_PG_PORT=$(TEST_PG_PORT) PATH="$(CURDIR)/var/venv/bin:$$PATH" DIACHINH_PYTHON="$(CURDIR)/var/venv/bin/python" \
	    $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  set -x; DIACHINH_TEST_PG_PORT=$(TEST_PG_PORT) PATH="$(CURDIR)/var/venv/bin:$$PATH" DIACHINH_PYTHON="$(CURDIR)/var/venv/bin/python" \
	    $(CARGO) test --workspace --no-fail-fast; \
	fi

# The benchmarks run against the private cluster; each writes its own section of BENCHMARKS.md.
# `make bench` runs all four (about 30 minutes at 1,000,000 parcels once the dataset is loaded;
# the first run loads it: 7–20 min on 2 cores). Options per benchmark, e.g.
#   make bench BENCH_ARGS="--parcels 0 --seconds 5 --repeats 1" BENCH_TILES_ARGS="--parcels 0 --seconds 5" \
#     BENCH_CHECK_ARGS="--parcels 0 --requests 50" BENCH_PEERS_ARGS="--parcels 0 --seconds 5 --repeats 1"
BENCH_ARGS ?=
BENCH_TILES_ARGS ?=
BENCH_CHECK_ARGS ?=
BENCH_PEERS_ARGS ?=
BENCH_IMPORT_ARGS ?=

bench-build: prereqs
	$(CARGO) build --release --workspace --bins

bench: bench-prereqs bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench $(BENCH_ARGS)
	$(DB_ENV) $(TOOLS_RELEASE) bench-tiles $(BENCH_TILES_ARGS)
	$(DB_ENV) $(TOOLS_RELEASE) bench-check $(BENCH_CHECK_ARGS)
	$(DB_ENV) $(TOOLS_RELEASE) bench-peers $(BENCH_PEERS_ARGS)
	$(DB_ENV) $(TOOLS_RELEASE) bench-import $(BENCH_IMPORT_ARGS)
	$(DB_ENV) $(TOOLS_RELEASE) bench-scale $(BENCH_SCALE_ARGS)

# Parcel by id and bbox pages (wrk) next to the same SQL (pgbench).
bench-reads: bench-prereqs-base bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench $(BENCH_ARGS)

# Vector tiles on the same datasets.
bench-tiles: bench-prereqs-base bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench-tiles $(BENCH_TILES_ARGS)

# Certificate checks on the same datasets.
bench-check: bench-prereqs-base bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench-check $(BENCH_CHECK_ARGS)

# The same reads at 1,000,000 and 10,000,000 parcels (each register loaded through the import
# path on first use: about an hour and 10 GB for the larger one), disk per million, import time.
bench-scale: bench-prereqs-base bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench-scale $(BENCH_SCALE_ARGS)

# Ours next to tipg, pygeoapi (bbox pages), Martin (tiles), GDAL (a whole harvest) and pgbench.
bench-peers: bench-prereqs bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench-peers $(BENCH_PEERS_ARGS)

# stop_cluster(dir, env): `diachinh db stop` (the debug or the release binary), or pg_ctl
# directly when neither is built or it fails. Fine when the cluster is not running or does not exist.
define stop_cluster
	@if [ -x $(BIN) ] && $(2) $(BIN) db stop; then :; \
	elif [ -x $(RUN_BIN) ] && $(2) $(RUN_BIN) db stop; then :; \
	elif [ -f $(1)/postmaster.pid ]; then \
	  echo "stopping $(1) with pg_ctl"; \
	  real=$$(readlink -f $(1)); cd / && $(AS_PG) $(PG_CTL) stop -D "$$real" -m fast -w; \
	fi
endef

db-stop: db-stop-dev db-stop-test

db-stop-dev:
	$(call stop_cluster,$(PG_DIR),$(DB_ENV))

db-stop-test:
	$(call stop_cluster,$(TEST_PG_DIR),$(TEST_DB_ENV))
	$(call stop_cluster,var/pg-test-replica,DIACHINH_PG_DIR=var/pg-test-replica)
	$(call stop_cluster,var/pg-test-primary,DIACHINH_PG_DIR=var/pg-test-primary)

# When the checkout is somewhere the postgres user cannot enter, var/pg* are symlinks to
# /var/tmp/diachinh-<hash>/ (see src/cluster.rs): delete the real data too.
clean-db: db-stop
	@for d in $(PG_DIR) $(TEST_PG_DIR) $(TEST_REPLICATION_DIRS); do \
	  if [ -L "$$d" ]; then \
	    real=$$(readlink -f "$$d"); \
	    echo "rm -rf $$real"; rm -rf "$$real"; rmdir --ignore-fail-on-non-empty "$$(dirname "$$real")" 2>/dev/null || true; \
	  fi; \
	  echo "rm -rf $$d $$d-secrets"; rm -rf "$$d" "$$d-secrets" "$$(dirname $$d)/.$$(basename $$d).lock"; \
	done

# The bulk import of N synthetic parcels (a GeoPackage) next to `ogr2ogr -f PostgreSQL` of the
# same file into an unvalidated table, e.g. make bench-import BENCH_IMPORT_ARGS="--parcels 100000"
bench-import: bench-prereqs-base bench-build
	$(DB_ENV) $(TOOLS_RELEASE) bench-import $(BENCH_IMPORT_ARGS)
