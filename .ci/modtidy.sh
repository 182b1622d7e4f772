#!/usr/bin/env bash
# .ci/modtidy.sh: `go mod tidy` for every module of go.work, as it will run
# once the release is tagged. `go mod tidy` ignores go.work, so in a
# sub-module it would fetch the version of the root module it requires, which
# no proxy has before the tags are pushed. This script serves that version
# from a throwaway proxy built from the working tree (.ci/modtool.sh proxy),
# tidies each module against it with a throwaway module cache, then removes
# the checksum lines of the repository's own modules from every go.sum: they
# are checksums of the working tree, not of the tagged release, and the
# workspace never needs them (go.work replaces those versions by the
# checkout). Use it instead of `go mod tidy` after adding or removing a
# dependency; `go get` of a third-party module works in place as usual when
# run with GOWORK=off through this script: `.ci/modtidy.sh redisstore go get example.com/dep@v1.2.3`
# runs that command in redisstore with the same setup before tidying.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

root=$(.ci/modtool.sh published | awk '$1 == "." { print $2 }')
mapfile -t modules < <(.ci/modtool.sh modules)

work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-modtidy.XXXXXX")
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 143' INT TERM

.ci/modtool.sh proxy -out "$work/proxy" >/dev/null

localcache="$(go env GOMODCACHE)/cache/download"
export GOWORK=off GOTOOLCHAIN=local GOFLAGS="-modcacherw" \
  GOMODCACHE="$work/modcache" \
  GOPROXY="file://$work/proxy,file://$localcache,$(go env GOPROXY)" \
  GONOSUMDB="$root" GOPRIVATE="$root" GONOPROXY=none

if [ $# -gt 0 ]; then
  dir=$1; shift
  [ $# -gt 0 ] || { echo "usage: $0 [MODULE-DIR go COMMAND...]" >&2; exit 2; }
  (cd "$repo/$dir" && "$@")
fi

own="^$(printf '%s' "$root" | sed 's/[.]/\\./g')(/[^ ]*)? "
for m in "${modules[@]}"; do
  dir=${m%% *}
  echo "-- go mod tidy in $dir"
  (cd "$repo/$dir" && go mod tidy)
  if [ -f "$repo/$dir/go.sum" ]; then
    grep -Ev "$own" "$repo/$dir/go.sum" > "$work/go.sum" || true
    cat "$work/go.sum" > "$repo/$dir/go.sum"
  fi
done
git -C "$repo" status --short -- '*go.mod' '*go.sum'
