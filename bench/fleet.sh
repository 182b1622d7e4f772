#!/usr/bin/env bash
# Fleet benchmark: examples/rewardstore, 1 and 3 instances, in memory, on a
# Redis single node and on a 6-node Redis Cluster (3 masters, 3 replicas),
# under wrk, with the sequential Redis round trips (examples/rewardstore's
# round-trip tests, run against this script's Redis) and the commands per
# request type, and the revocation propagation time across 3 instances
# (cmd/fleet does the measuring).
#
#   ./fleet.sh           full mode, ~7 min: rewrites the "## Fleet" section of RESULTS.md
#                        (and results/fleet.md, a copy run.sh's report does not overwrite)
#   ./fleet.sh -short    short mode (or FLEET_SHORT=1), ~1 min: CI; asserts no timings
#
# It starts its own Redis servers on 127.0.0.1 — the single node on
# FLEET_REDIS_PORT (6480), the cluster on FLEET_CLUSTER_PORT..+5
# (7200-7205, bus ports +10000) — refuses to start when one is taken, and
# stops them by pid at exit. Installs wrk and redis-server from the
# distribution's packages when they are missing. Bounded: every wrk run has a fixed duration, cmd/fleet
# a -timeout, and this script a `timeout` backstop.
set -euo pipefail
cd "$(dirname "$0")"
self="$PWD/$(basename "$0")"

short=${FLEET_SHORT:-}
for a in "$@"; do
  case "$a" in
    -short|--short) short=1 ;;
    *) echo "fleet.sh: unknown argument $a (only -short)" >&2; exit 2 ;;
  esac
done

if [ -z "${FLEET_UNDER_TIMEOUT:-}" ]; then
  limit=11m
  [ -n "$short" ] && limit=4m
  # timeout signals its whole process group: this script, cmd/fleet, the
  # rewardstore instances, wrk and the Redis servers.
  FLEET_UNDER_TIMEOUT=1 FLEET_SHORT="$short" exec timeout --kill-after=10s "$limit" "$self"
fi

single_port=${FLEET_REDIS_PORT:-6480}
cluster_port=${FLEET_CLUSTER_PORT:-7200}
cluster_ports=$(seq "$cluster_port" $((cluster_port + 5)))

apt_install() { # package
  echo "fleet.sh: installing $1" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq "$1" >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq "$1" >/dev/null
  fi
}
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install redis-server
fi
command -v wrk >/dev/null 2>&1 || apt_install wrk

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$single_port" $cluster_ports; do
  for q in "$p" $((p + 10000)); do
    if port_taken "$q"; then
      echo "fleet.sh: 127.0.0.1:$q is in use; the bench needs its own ports (set FLEET_REDIS_PORT / FLEET_CLUSTER_PORT)" >&2
      exit 1
    fi
  done
done

work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-fleet.XXXXXX")
pids=()
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ] && [ -d "$work" ]; then
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- tail of $f" >&2; tail -n 15 "$f" >&2; }; done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

redis() { # port, extra arguments…
  local port=$1; shift
  redis-server --port "$port" --bind 127.0.0.1 --daemonize no --save "" --appendonly no \
    --dir "$work" --logfile "$work/redis-$port.log" "$@" &
  pids+=($!)
}
redis "$single_port"
for p in $cluster_ports; do
  redis "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf" --cluster-node-timeout 5000
done
for p in "$single_port" $cluster_ports; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$p" ping >/dev/null || { echo "fleet.sh: redis-server on $p did not start; see $work/redis-$p.log" >&2; exit 1; }
done
seeds=$(for p in $cluster_ports; do printf '127.0.0.1:%s,' "$p"; done)
seeds=${seeds%,}
# shellcheck disable=SC2086
redis-cli --cluster create ${seeds//,/ } --cluster-replicas 1 --cluster-yes >"$work/cluster-create.log" 2>&1 \
  || { cat "$work/cluster-create.log" >&2; exit 1; }
for _ in $(seq 100); do
  ok=1
  for p in $cluster_ports; do
    redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=
  done
  [ -n "$ok" ] && break
  sleep 0.1
done
[ -n "$ok" ] || { echo "fleet.sh: the cluster on $seeds did not reach cluster_state:ok" >&2; exit 1; }

(cd ../examples && go build -o "$work/rewardstore" ./rewardstore && go test -c -o "$work/rewardstore.test" ./rewardstore)
go build -o "$work/fleet" ./cmd/fleet

versions="$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(go version | cut -d' ' -f3-), \
redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), \
load average at start $(cut -d' ' -f1-3 /proc/loadavg)"

args=(-rewardstore "$work/rewardstore" -roundtrip-test "$work/rewardstore.test" -single "127.0.0.1:$single_port" -cluster "$seeds"
      -workdir "$work" -versions "$versions")
if [ -n "$short" ]; then
  args+=(-short -timeout 3m)
else
  args+=(-results RESULTS.md -md results/fleet.md -timeout 10m)
fi
"$work/fleet" "${args[@]}"
