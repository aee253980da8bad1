#!/usr/bin/env bash
# Installs what `make bench` needs on top of scripts/prereqs.sh (never run by `make test`):
#   - wrk: the HTTP load generator (driven by a Lua script the bench writes);
#   - postgresql-contrib: pgbench, which measures the same SQL without our server in front;
#   - gdal-bin: ogr2ogr/ogrinfo, the GIS analyst's harvest (OGC API and straight from PostGIS);
#   - the peer servers of `diachinh-tools bench-peers`, pinned, under var/bench/:
#       Martin (vector tiles, Rust, built from its crate: ~6 min the first time),
#       tipg and pygeoapi (OGC API Features, Python), each in its own venv.
# Idempotent, and quick (no apt, no pip, no cargo) when everything is already present.
#   BENCH_PEERS=0 skips the peers (wrk, pgbench and GDAL only).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  wrk
  postgresql-contrib
  gdal-bin
  python3-venv
)
PGBENCH=/usr/lib/postgresql/15/bin/pgbench

# The peers' versions: pinned, so that a figure in BENCHMARKS.md names what ran.
# Martin 1.14 is the newest release that builds with this machine's rustc (1.95).
MARTIN_VERSION=1.14.0
MARTIN_ROOT=var/bench/martin
TIPG_VENV=var/bench/tipg-venv
TIPG_PACKAGES=(tipg==1.6.1 uvicorn==0.54.0 uvicorn-worker==0.4.0 gunicorn==27.0.1)
PYGEOAPI_VENV=var/bench/pygeoapi-venv
PYGEOAPI_PACKAGES=(pygeoapi==0.21.0 geoalchemy2==0.20.0 psycopg2-binary==2.9.13 gunicorn==27.0.1)

say() { printf 'bench-prereqs: %s\n' "$*"; }

# shellcheck source=scripts/debian-packages.sh
source scripts/debian-packages.sh
install_debian_packages "${PACKAGES[@]}"

# Fail loudly now rather than half-way through a benchmark.
command -v wrk >/dev/null 2>&1 || { say "wrk is not on PATH after installing it" >&2; exit 1; }
[[ -x "$PGBENCH" ]] || { say "$PGBENCH is missing after installing postgresql-contrib" >&2; exit 1; }
command -v ogr2ogr >/dev/null 2>&1 || { say "ogr2ogr is not on PATH after installing gdal-bin" >&2; exit 1; }
say "wrk, pgbench and ogr2ogr ready"

if [[ "${BENCH_PEERS:-1}" == 0 ]]; then
  say "BENCH_PEERS=0: not installing Martin, tipg, pygeoapi"
  exit 0
fi

# --- Martin -------------------------------------------------------------------------
# Without the default features: `webui` runs npm inside its build script; we need only the
# PostgreSQL sources.
martin_version() { "$MARTIN_ROOT/bin/martin" --version 2>/dev/null | awk '{print $2}'; }
if [[ "$(martin_version)" == "$MARTIN_VERSION" ]]; then
  say "martin $MARTIN_VERSION present in $MARTIN_ROOT"
else
  say "martin: building $MARTIN_VERSION into $MARTIN_ROOT (about 6 minutes on 2 cores)"
  mkdir -p "$MARTIN_ROOT"
  cargo install "martin@$MARTIN_VERSION" --locked --no-default-features --features postgres \
    --root "$MARTIN_ROOT" --force
  [[ "$(martin_version)" == "$MARTIN_VERSION" ]] || { say "martin $MARTIN_VERSION did not install" >&2; exit 1; }
fi

# --- Python peers, each in its own venv -----------------------------------------------
# ensure_venv DIR PACKAGE==VERSION…: creates DIR with Debian's python3 and installs the pins,
# unless every pin is already installed at its version.
ensure_venv() {
  local venv=$1
  shift
  local python=/usr/bin/python3
  [[ -x "$python" ]] || python=$(command -v python3)
  if [[ -x "$venv/bin/python" ]]; then
    local pin name version missing=0
    for pin in "$@"; do
      name=${pin%%==*}
      version=${pin##*==}
      if [[ "$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" != "$version" ]]; then
        missing=1
      fi
    done
    if ((missing == 0)); then
      say "$venv has $*"
      return 0
    fi
  else
    say "creating $venv with $python"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
  fi
  say "$venv: installing $*"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}
ensure_venv "$TIPG_VENV" "${TIPG_PACKAGES[@]}"
"$TIPG_VENV/bin/python" -c 'import tipg.main, uvicorn_worker' # fail loudly if the install did not work
ensure_venv "$PYGEOAPI_VENV" "${PYGEOAPI_PACKAGES[@]}"
"$PYGEOAPI_VENV/bin/python" -c 'import pygeoapi, geoalchemy2, psycopg2' # fail loudly if the install did not work
say "martin $MARTIN_VERSION, tipg and pygeoapi ready under var/bench/"
