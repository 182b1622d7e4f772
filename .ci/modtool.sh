#!/usr/bin/env bash
# Runs .ci/modtool on this repository: `.ci/modtool.sh check|version|published|
# modules|set-version vX.Y.Z|proxy -out DIR` (see .ci/modtool/main.go). The tool
# is a module of its own, outside go.work, so that golang.org/x/mod never
# enters a published module's go.mod.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
GOWORK=off exec go run -C "$repo/.ci/modtool" . -repo "$repo" "$@"
