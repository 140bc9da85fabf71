#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer test/fuzz/openapi-fuzz.test.ts runs) into .tools/, like the Temporal CLI:
# project-local, pinned, a no-op when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Pinned because the fuzz test relies on its CLI flags and check names, which move between minor versions.
VERSION=4.32.5
VENV=.tools/schemathesis-venv

log() { printf 'nexus: %s\n' "$*" >&2; }

if [ -x "$VENV/bin/schemathesis" ] && "$VENV/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(m.version('schemathesis') != '$VERSION')" 2>/dev/null; then
  exit 0
fi

log "installing schemathesis $VERSION (from PyPI) into $VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
