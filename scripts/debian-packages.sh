# Sourced by scripts/prereqs.sh and scripts/bench-prereqs.sh (which define `say`):
# install_debian_packages PKG… installs those of the named Debian packages that are missing,
# with sudo when not root; quick (no apt) when all are present.
install_debian_packages() {
  local missing=() pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    say "debian packages: all $# present"
    return 0
  fi
  say "debian packages: installing ${missing[*]}"
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      say "not root and no sudo: install these packages by hand: ${missing[*]}" >&2
      return 1
    fi
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
