#!/usr/bin/env bash
# Install (with test tools and Chromium), start a Chroma server on loopback for the
# client/server tests, run both test tiers (unit first, then integration: real models, servers, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
chroma_dir=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv/bin/chroma run --path "$chroma_dir" --host 127.0.0.1 --port "$port" >"$chroma_dir/server.log" 2>&1 &
chroma_pid=$!
trap 'kill $chroma_pid 2>/dev/null || true; rm -rf "$chroma_dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/api/v2/heartbeat" >/dev/null && break
  sleep 0.3
done
export ASSISTANT_TEST_CHROMA_PORT=$port ASSISTANT_TEST_CHROMA_PATH=$chroma_dir
.venv/bin/pytest -q --durations=15 "$@"
