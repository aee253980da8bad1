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

# shellcheck source=scripts/debian-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-packages.sh"
install_debian_packages "${PACKAGES[@]}"

# Fail loudly now rather than half-way through a benchmark.
command -v wrk >/dev/null 2>&1 || { say "wrk is not on PATH after installing it" >&2; exit 1; }
[[ -x "$PGBENCH" ]] || { say "$PGBENCH is missing after installing postgresql-contrib" >&2; exit 1; }
say "wrk and pgbench ready"
