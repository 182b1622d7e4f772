#!/usr/bin/env bash
# One command for the whole comparison: the micro-benchmarks (one go test
# -bench run), the load comparison (load.sh), then cmd/report, which writes
# RESULTS.md (machine, Go version, date, every table, CPU profiles of the
# rows gatehouse does not win) and the ratio summary in README.md.
#
# Knobs (environment): COUNT (runs per benchmark, default 3), BENCHTIME
# (default 500ms), BENCH (benchmark regexp, default .), ROUNDS (load rounds,
# default 3), DURATION (wrk duration per server per round, default 5s).
# Takes about 15 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
note() { echo "$1: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at $(date -u +%H:%M:%S) UTC" >> results/env.txt; }
: > results/env.txt

echo "== micro-benchmarks" >&2
note "micro-benchmarks start"
go test -run='^$' -bench="${BENCH:-.}" -benchmem -count="${COUNT:-3}" \
  -benchtime="${BENCHTIME:-500ms}" -timeout=60m . | tee results/micro.txt

echo "== load" >&2
note "load start"
./load.sh -rounds "${ROUNDS:-3}" -duration "${DURATION:-5s}" -json results/load.json

echo "== report" >&2
note "report start"
go run ./cmd/report -bench results/micro.txt -load results/load.json \
  -env results/env.txt -notes NOTES.md -out RESULTS.md -readme README.md -profile
echo "wrote RESULTS.md and the summary in README.md" >&2
