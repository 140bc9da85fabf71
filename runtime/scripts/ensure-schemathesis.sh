#!/usr/bin/env bash
# Installs schemathesis, the OpenAPI fuzzer test/fuzz/openapi-fuzz.test.ts runs, into .tools/schemathesis-venv.
# Pinned because the fuzz test relies on its CLI flags and check names, which move between minor versions.
exec "$(dirname "$0")/ensure-pip-tool.sh" schemathesis 4.32.5 schemathesis 'the OpenAPI fuzzer'
