#!/usr/bin/env bash
# Installs what checks the Kubernetes manifests offline (test/lint/kubernetes-manifests.test.ts): kubernetes-validate
# (the Kubernetes JSON schemas, bundled) and checkov (the policy scanner), each pinned in its own venv under .tools/.
set -euo pipefail
here="$(dirname "$0")"
"$here/ensure-pip-tool.sh" kubernetes-validate 1.37.0 kubernetes-validate 'the Kubernetes schemas'
"$here/ensure-pip-tool.sh" checkov 3.3.30 checkov 'the manifest scanner'
