#!/usr/bin/env bash
# Installs moto's server, a local S3-compatible endpoint the blob-store tests run the S3 backend against, into
# .tools/moto-venv. Pinned: the tests rely on its S3 behaviour (ACLs, encryption headers), which moves between versions.
exec "$(dirname "$0")/ensure-pip-tool.sh" moto 5.2.6 moto_server 'a local S3 for the tests' '[server]'
