#!/usr/bin/env bash
# The project's demo command: ./scripts/demo.sh
# Placeholder: runs the root package's Example tests verbosely. It will later
# run the demo program in examples/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec go test -run 'Example' -v .
