#!/usr/bin/env bash
# Install the project into .venv (idempotent). `--dev` adds the test tools and Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=".venv/bin/pip --disable-pip-version-check -q"
$PIP install --upgrade pip
# The CPU build of torch lies on the machines' disk; any other torch pulls a multi-GB CUDA build.
$PIP install torch==2.13.0
extras="llm"
if [ "${1:-}" = "--dev" ]; then extras="llm,dev"; fi
echo "installing the project and its pinned dependencies (first run: ~6 min, llama.cpp compiles)..." >&2
$PIP install -c constraints.txt -e ".[${extras}]"
if [ "${1:-}" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..." >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
