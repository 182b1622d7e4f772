#!/usr/bin/env bash
# One command for the whole comparison: the micro-benchmarks (one go test
# -bench run), the load comparison (load.sh), then cmd/report, which writes
# RESULTS.md (machine, Go version, date, every table, CPU profiles of the
# rows gatehouse does not win) and the ratio summary in README.md. Each load
# server's CPU profile of its whole run is kept in results/profiles
# (server-N.pprof, not committed: read them with go tool pprof).
#
# Knobs (environment): COUNT (passes over the benchmarks, default 5),
# BENCHTIME (default 300ms), BENCH (benchmark regexp, default .), ROUNDS
# (load rounds, default 9), DURATION (wrk duration per server per round,
# default 3s), MAX_HOST_RATIO (default 28: the report refuses to rewrite
# RESULTS.md when the host control, the golang-jwt floor ÷ the HMAC check
# for HS256, is above it, because the host then ran code-heavy work slow;
# 0 writes anyway; results/ keeps the run either way).
# Takes about 20 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
note() { echo "$1: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at $(date -u +%H:%M:%S) UTC" >> results/env.txt; }
: > results/env.txt

echo "== micro-benchmarks" >&2
note "micro-benchmarks start"
# One test binary (every pass measures the same code), run COUNT times with
# count 1 rather than once with count COUNT: every contender's samples are
# spread over the whole run, so a burst of other load on the machine skews
# one pass of everything, not one contender.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" .
: > results/micro.txt
for pass in $(seq "${COUNT:-5}"); do
  echo "-- pass $pass" >&2
  "$tmp/bench.test" -test.run='^$' -test.bench="${BENCH:-.}" -test.benchmem -test.count=1 \
    -test.benchtime="${BENCHTIME:-300ms}" -test.timeout=60m | tee -a results/micro.txt
done

# A host that ran code-heavy work slow measured itself: stop before the
# load comparison rather than after it (cmd/report's host control).
go run ./cmd/report -bench results/micro.txt -check-host -max-host-ratio "${MAX_HOST_RATIO:-28}"

echo "== load" >&2
note "load start"
./load.sh -rounds "${ROUNDS:-9}" -duration "${DURATION:-3s}" -json results/load.json -profile results/profiles

echo "== report" >&2
note "report start"
go run ./cmd/report -bench results/micro.txt -load results/load.json \
  -env results/env.txt -notes NOTES.md -out RESULTS.md -readme README.md -profile \
  -max-host-ratio "${MAX_HOST_RATIO:-28}"
echo "wrote RESULTS.md and the summary in README.md" >&2
