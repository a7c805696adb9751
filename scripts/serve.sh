#!/usr/bin/env bash
# Install, index the shipped corpus (incremental) and serve the API + UI on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/assistant serve "$@"
