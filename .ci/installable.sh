#!/usr/bin/env bash
# Proves that the published modules install as a user installs them, before
# their tags exist: it writes a throwaway module proxy (file://, the GOPROXY
# protocol's layout) holding every published module of the working tree at
# the version the modules require each other at, then, in a consumer module
# outside the repository and without go.work, runs `go get` on all of them at
# that version, builds every package they publish, and builds and runs a small
# program that uses bearer, apikey and redisstore (and imports every other
# published library module, e.g. the router adapters), and installs every
# published program (cmd/gatehouse) with go install. Takes about a minute with a
# warm module cache; .ci/run bounds it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

version=$(.ci/modtool.sh version)
root=$(.ci/modtool.sh published | awk '$1 == "." { print $2 }')
mapfile -t published < <(.ci/modtool.sh published)

work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-installable.XXXXXX")
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 143' INT TERM

echo "-- proxy of the published modules at $version"
.ci/modtool.sh proxy -out "$work/proxy"

# The consumer sees only the proxy: no go.work, and a module cache of its own,
# so the stand-in versions never enter the developer's cache (where they would
# shadow the real ones once published). Third-party modules come from the
# local module cache's download directory, else from the usual proxy, and are
# checked against go.sum and the checksum database as a user's would be; the
# stand-in versions are not in the checksum database, so GONOSUMDB/GOPRIVATE
# exempt this repository's modules (GONOPROXY=none keeps them on the proxy
# instead of a git fetch).
localcache="$(go env GOMODCACHE)/cache/download"
export GOWORK=off GOTOOLCHAIN=local GOFLAGS="-mod=mod -modcacherw" \
  GOMODCACHE="$work/modcache" \
  GOPROXY="file://$work/proxy,file://$localcache,$(go env GOPROXY)" \
  GONOSUMDB="$root" GOPRIVATE="$root" GONOPROXY=none

mkdir "$work/consumer"
cd "$work/consumer"
go mod init example.com/consumer >/dev/null 2>&1

gets=()
for m in "${published[@]}"; do gets+=("${m#* }@$version"); done
echo "-- go get ${gets[*]}"
go get "${gets[@]}"

# Every published module other than the root and redisstore (the router
# adapters) is imported for its side of the build, in an import group of its
# own; those without a package at their root are still built below through
# their path/... pattern.
# Programs (a module whose root package is main, such as cmd/gatehouse)
# are installed with go install, as their users install them.
others="" programs=()
for m in "${published[@]}"; do
  dir=${m%% *} path=${m#* }
  case "$dir" in .|redisstore) continue ;; esac
  sources=$(ls "$repo/$dir"/*.go 2>/dev/null | grep -v '_test\.go$' || true)
  [ -n "$sources" ] || continue
  if grep -qx 'package main' $sources; then
    programs+=("$path")
  else
    others+=$'\t_ "'"$path"$'"\n'
  fi
done
[ -z "$others" ] || others=$'\n'"$others"

cat > main.go <<GO
// Command consumer uses the published modules as a user's program would.
package main

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"$root/apikey"
	"$root/bearer"
	"$root/redisstore"
$others)

func main() {
	rs, err := redisstore.New(redisstore.Config{Addr: "127.0.0.1:6379", SkipServerCheck: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()
	tokens, err := bearer.New(bearer.Config{
		Algorithms:  []string{"HS256"},
		Keys:        []bearer.Key{{Algorithm: "HS256", Key: []byte("a secret of at least thirty-two bytes")}},
		Revocations: rs.Revocations(),
	})
	if err != nil {
		log.Fatal(err)
	}
	keys, err := apikey.New(apikey.Config{Store: apikey.NewMemoryStore()})
	if err != nil {
		log.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bearer", tokens.Middleware(api)}, {"apikey", keys.Middleware(api)}} {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/orders", nil))
		fmt.Printf("%s without a credential: %d\n", c.name, rec.Code)
	}
}
GO
gofmt -w main.go

echo "-- go build, go vet and run the consumer"
go build -o consumer .
go vet .
out=$(timeout 30 ./consumer)
echo "$out"
want=$'bearer without a credential: 401\napikey without a credential: 401'
[ "$out" = "$want" ] || { echo "installable: the consumer printed the above, want:"; echo "$want"; exit 1; }

for prog in "${programs[@]}"; do
  echo "-- go install $prog@$version"
  (cd "$work" && GOFLAGS=-modcacherw GOBIN="$work/bin" go install "$prog@$version")
  bin="$work/bin/$(basename "$prog")"
  "$bin" -h >/dev/null 2>&1 || { echo "installable: $bin -h failed"; "$bin" -h; exit 1; }
  echo "$bin -h: ok"
done

echo "-- every package of the published modules builds from the proxy"
patterns=()
for m in "${published[@]}"; do patterns+=("${m#* }/..."); done
go build "${patterns[@]}"

echo "-- the consumer's build list: the published modules at $version, from the proxy"
go list -m -f '{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}}{{end}}' "${gets[@]%@*}" | tee "$work/list"
for m in "${published[@]}"; do
  grep -qx "${m#* } $version" "$work/list" || { echo "installable: ${m#* } is not at $version"; exit 1; }
done
grep -E "^$root(/[^ ]+)? $version h1:" go.sum

echo "installable: go get of ${#published[@]} modules at $version and the consumer's build passed"
