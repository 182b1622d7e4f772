#!/usr/bin/env bash
# .ci/set-version.sh vX.Y.Z: every go.mod of the repository requires the
# repository's modules at vX.Y.Z (replace directives for them dropped), and
# go.work replaces each published module at vX.Y.Z by its directory, so that
# the workspace keeps building the checkout. Run it when cutting a release
# (docs/RELEASING.md) and after adding a published module to go.work.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 vX.Y.Z" >&2; exit 2; }
"$(dirname "$0")/modtool.sh" set-version "$1"
