#!/usr/bin/env bash
# Installs what building, running and testing diachinh needs.
# Idempotent, and quick (no apt, no pip) when everything is already present.
#   - Debian packages: PostgreSQL 15 + PostGIS 3 (the project runs its own private
#     cluster, see src/cluster.rs), build tools for the bundled PROJ, GDAL tools.
#   - ./var/venv with pyproj: an independent implementation of coordinate transforms
#     that the tests compare against; and schemathesis, which tests the server against its
#     OpenAPI document (tests/api/schemathesis.rs).
#   - Debian's Chromium (headless, for the browser test of the web map) and, from npm,
#     maplibre-gl (copied into web/vendor/, served at /map; not committed) and playwright-core
#     (drives that Chromium from tests/browser/map.mjs). No browser is downloaded by npm.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  postgresql-15-postgis-3
  postgresql-contrib
  libpq-dev
  cmake
  libsqlite3-dev
  sqlite3
  pkg-config
  g++
  make
  gdal-bin
  python3-venv
  chromium
  chromium-driver
  zbar-tools
)
VENV=var/venv

say() { printf 'prereqs: %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------
# shellcheck source=debian-packages.sh
source scripts/debian-packages.sh
install_debian_packages "${PACKAGES[@]}"

# --- Python venv with pyproj ------------------------------------------------------
if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import pyproj' >/dev/null 2>&1; then
  say "python venv: $VENV has pyproj"
else
  # Prefer Debian's python3 (python3-venv above is for it) over whatever is on PATH.
  PYTHON=/usr/bin/python3
  [[ -x "$PYTHON" ]] || PYTHON=$(command -v python3)
  if ! [[ -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "python venv: creating $VENV with $PYTHON"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
  fi
  say "python venv: installing pyproj"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check pyproj
  "$VENV/bin/python" -c 'import pyproj' # fail loudly if the install did not work
fi

# --- schemathesis in the same venv (pinned: its checks decide what `make test` accepts) --------
SCHEMATHESIS_VERSION=4.32.5
if [[ "$("$VENV/bin/python" -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p')" == "$SCHEMATHESIS_VERSION" ]]; then
  say "python venv: $VENV has schemathesis $SCHEMATHESIS_VERSION"
else
  say "python venv: installing schemathesis $SCHEMATHESIS_VERSION"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  "$VENV/bin/schemathesis" --version # fail loudly if the install did not work
fi

# --- Node packages: MapLibre GL JS for the web map, playwright-core for its test ------------
if ! command -v npm >/dev/null 2>&1; then
  say "npm missing: installing Debian's nodejs and npm"
  SUDO=()
  [[ "$(id -u)" != 0 ]] && SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
installed_version() { node -p "require('./node_modules/$1/package.json').version" 2>/dev/null || true; }
locked_version() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }
if [[ "$(installed_version maplibre-gl)" == "$(locked_version maplibre-gl)" && "$(installed_version playwright-core)" == "$(locked_version playwright-core)" ]]; then
  say "node packages: maplibre-gl $(installed_version maplibre-gl), playwright-core $(installed_version playwright-core) present"
else
  say "node packages: npm ci (package-lock.json)"
  # No browser download: playwright-core never fetches one; the tests use /usr/bin/chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p web/vendor
for f in maplibre-gl.js maplibre-gl.css; do
  if ! cmp -s "node_modules/maplibre-gl/dist/$f" "web/vendor/$f"; then
    cp "node_modules/maplibre-gl/dist/$f" "web/vendor/$f"
    say "web map: vendored $f into web/vendor/"
  fi
done
