# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ensure_venv EXTRAS: create .venv (Python 3.11+) and install the package with EXTRAS.
ensure_venv() {
  local extras="$1" py="" spec="$ROOT"
  [ -n "$extras" ] && spec="$ROOT[$extras]"
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      py="$cand"; break
    fi
  done
  if [ -z "$py" ]; then
    log "Python 3.11+ not found; installing it with apt"
    apt_install python3 python3-venv
    py=python3
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in $VENV"
    "$py" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$py" -m venv "$VENV"; }
  fi
  local stamp="$VENV/.installed-${extras:-base}"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    log "installing vitalstat${extras:+[$extras]} into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
    "$VENV/bin/python" -m pip install --quiet -e "$spec" 2>&1 |
      grep -v "^WARNING: Location" || true
    "$VENV/bin/python" -c "import vitalstat" || { log "install failed"; exit 1; }
    touch "$stamp"
  fi
}

APT_UPDATED=""
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "need root to apt-get install $*"; exit 1
  fi
  if [ -z "$APT_UPDATED" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
