#!/usr/bin/env bash
# Installs what building, running and testing diachinh needs.
# Idempotent, and quick (no apt, no pip) when everything is already present.
#   - Debian packages: PostgreSQL 15 + PostGIS 3 (the project runs its own private
#     cluster, see src/cluster.rs), build tools for the bundled PROJ, GDAL tools.
#   - ./var/venv with pyproj: an independent implementation of coordinate transforms
#     that the tests compare against.
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
)
VENV=var/venv

say() { printf 'prereqs: %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  say "debian packages: all ${#PACKAGES[@]} present"
else
  say "debian packages: installing ${missing[*]}"
  SUDO=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      say "not root and no sudo: install these packages by hand: ${missing[*]}" >&2
      exit 1
    fi
  fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

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
