#!/usr/bin/env bash
# wino-dash set-up and entry points. Each command creates/updates the project virtualenv (.venv) and installs what
# it needs, then runs:
#   ./dev.sh serve [--host H --port P]   start the dashboard (embedded defaults: in-process jobs, SQLite)
#   ./dev.sh test [pytest args]          run the whole test suite (browser and queue-mode tests included)
#   ./dev.sh <anything else>             run the wino-dash CLI inside the virtualenv (e.g. ./dev.sh compare --json)
set -euo pipefail
cd "$(dirname "$0")"

say() { echo "wino-dash: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {  # apt_install BINARY PACKAGE: install a Debian/Ubuntu package when the binary is missing
  command -v "$1" >/dev/null && return 0
  [ "$(uname)" = Linux ] && command -v apt-get >/dev/null || return 1
  say "installing $2 (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 || {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1; } || return 1
  command -v "$1" >/dev/null
}

need_clang() {  # tinygrad's CPU device compiles its kernels with clang
  command -v clang >/dev/null && return 0
  if [ "$(uname)" = Darwin ]; then say "tinygrad's CPU device needs clang: run 'xcode-select --install' first"; exit 1; fi
  apt_install clang clang || { say "tinygrad's CPU device needs clang: run 'sudo apt-get install -y clang' (or your distribution's clang package) first"; exit 1; }
}

need_objdump() {  # the kernels' assembly (CPU): objdump from binutils; without it kernels say so and show none
  command -v objdump >/dev/null || command -v llvm-objdump >/dev/null && return 0
  apt_install objdump binutils || say "no objdump: kernels will show no assembly ('sudo apt-get install -y binutils')"
}

need_venv() {
  local py=""
  for c in python3.13 python3.12 python3.11 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then py=$c; break; fi
  done
  [ -n "$py" ] || { say "needs Python 3.11 or newer (python3 is $(python3 --version 2>&1))"; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv 2>/dev/null || { apt_install false "python3-venv" || true; "$py" -m venv .venv; } || {
      say "could not create a virtualenv: install python3-venv ('sudo apt-get install -y python3-venv') first"; exit 1; }
  fi
  # reinstall only when the project's dependencies changed
  local stamp=.venv/.wino-dash-installed want
  want=$(cat pyproject.toml | sha256sum 2>/dev/null || shasum -a 256 pyproject.toml)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing the project and its dependencies into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    # PYTHONWARNINGS: pip 26 shows the build backend's notices, and setuptools boxes one about every editable install
    PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e '.[test]'
    echo "$want" > "$stamp"
  fi
}

need_browser() {  # the browser tests drive a headless Chromium
  [ -n "${WINO_DASH_CHROMIUM:-}" ] && return 0
  for b in chromium chromium-browser google-chrome; do command -v "$b" >/dev/null && return 0; done
  [ -d "/Applications/Google Chrome.app" ] && return 0
  if [ "$(uname)" = Linux ]; then apt_install chromium chromium && return 0; fi
  say "no Chromium found: installing Playwright's own build"
  .venv/bin/python -m playwright install chromium
}

need_redis() {  # the queue-mode tests start a real redis-server on a loopback port
  command -v redis-server >/dev/null && return 0
  apt_install redis-server redis-server && return 0
  say "no redis-server: the queue-mode tests will be skipped (Debian: 'sudo apt-get install -y redis-server'; macOS: 'brew install redis')"
}

cmd=${1:-serve}; [ $# -gt 0 ] && shift
need_venv
need_clang
need_objdump
case "$cmd" in
  test) need_browser; need_redis; exec .venv/bin/python -m pytest "$@" ;;
  *) exec .venv/bin/wino-dash "$cmd" "$@" ;;
esac
