#!/usr/bin/env bash
# Install the project into .venv (idempotent), with Debian's tesseract-ocr for OCR. `--dev` adds the
# test tools and Debian's Chromium.
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
echo "installing the project and its pinned dependencies (first run: ~10 min, llama.cpp compiles)..." >&2
# llama.cpp is built for the instruction sets this CPU reports (AVX2, and AVX-512 where present:
# 1.7x faster prompts than AVX2 alone here) but never with -march=native: on CPUs with AMX
# (Sapphire Rapids VMs) the native build's AMX kernels crash on the first prompt
# (ggml-org/llama.cpp#20824). A CMAKE_ARGS of your own wins.
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has_flag() { case "$cpu_flags" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
ggml_args="-DGGML_NATIVE=OFF"
want_avx512=0
if has_flag avx512f && has_flag avx512bw && has_flag avx512vl && has_flag avx512dq && has_flag avx512cd; then
  want_avx512=1
  ggml_args="$ggml_args -DGGML_AVX512=ON"
  has_flag avx512vbmi && ggml_args="$ggml_args -DGGML_AVX512_VBMI=ON"
  has_flag avx512_vnni && ggml_args="$ggml_args -DGGML_AVX512_VNNI=ON"
  has_flag avx512_bf16 && ggml_args="$ggml_args -DGGML_AVX512_BF16=ON"
fi
has_flag avx_vnni && ggml_args="$ggml_args -DGGML_AVX_VNNI=ON"
own_cmake_args=${CMAKE_ARGS:+1}
export CMAKE_ARGS="${CMAKE_ARGS:-$ggml_args}"
$PIP install -c constraints.txt -e ".[${extras}]"
# a wheel built before with other flags (pip's cache keeps it: a native one with AMX, or one
# without the AVX-512 this CPU has) is rebuilt
if [ -z "$own_cmake_args" ] && ! .venv/bin/python - "$want_avx512" <<'PY' 2>/dev/null; then
import sys

import llama_cpp

info = llama_cpp.llama_print_system_info().decode()
sys.exit("AMX_INT8 = 1" in info or ("AVX512 = 1" in info) != (sys.argv[1] == "1"))
PY
  echo "rebuilding llama-cpp-python for this CPU ($CMAKE_ARGS; ~9 min)..." >&2
  $PIP install --no-cache-dir --force-reinstall --no-deps -c constraints.txt llama-cpp-python
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { $SUDO apt-get update -qq; apt_updated=1; }
  $SUDO apt-get install -y -qq "$@" >/dev/null
}
# OCR of scanned PDFs and page images: tesseract with Dutch data, poppler's pdftoppm
if ! command -v tesseract >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
  || ! tesseract --list-langs 2>/dev/null | grep -qx nld; then
  echo "installing Debian's tesseract-ocr (Dutch) and poppler-utils for OCR..." >&2
  if [ "${1:-}" = "--dev" ]; then  # the tests need it
    apt_install tesseract-ocr tesseract-ocr-nld poppler-utils
  elif ! apt_install tesseract-ocr tesseract-ocr-nld poppler-utils; then
    echo "warning: OCR could not be installed; scanned PDFs and images will be refused" >&2
  fi
fi
if [ "${1:-}" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..." >&2
  apt_install chromium chromium-driver
fi
# the replica tests put Debian's nginx in front of two servers
if [ "${1:-}" = "--dev" ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "installing Debian's nginx for the replica tests..." >&2
  apt_install nginx-light
fi
# the replica tests keep conversations in Debian's PostgreSQL
if [ "${1:-}" = "--dev" ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ] && ! command -v initdb >/dev/null 2>&1; then
  echo "installing Debian's postgresql for the replica tests..." >&2
  apt_install postgresql
fi
# the OCR tests render their scans with DejaVu Sans
if [ "${1:-}" = "--dev" ] && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  apt_install fonts-dejavu-core
fi
