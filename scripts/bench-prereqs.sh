#!/usr/bin/env bash
# Installs what `diachinh bench` needs on top of scripts/prereqs.sh:
#   - wrk: the HTTP load generator (driven by a Lua script the bench writes);
#   - postgresql-contrib: pgbench, which measures the same SQL without our server in front.
# Idempotent, and quick (no apt) when everything is already present.
set -euo pipefail

PACKAGES=(
  wrk
  postgresql-contrib
)
PGBENCH=/usr/lib/postgresql/15/bin/pgbench

say() { printf 'bench-prereqs: %s\n' "$*"; }

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

# Fail loudly now rather than half-way through a benchmark.
command -v wrk >/dev/null 2>&1 || { say "wrk is not on PATH after installing it" >&2; exit 1; }
[[ -x "$PGBENCH" ]] || { say "$PGBENCH is missing after installing postgresql-contrib" >&2; exit 1; }
say "wrk and pgbench ready"
