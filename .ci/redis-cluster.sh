#!/usr/bin/env bash
# A local 6-node Redis Cluster (3 masters, 3 replicas) on 127.0.0.1:7000-7005
# for redisstore's cluster tests.
#
#   .ci/redis-cluster.sh start    bring it up (does nothing if it is already up)
#   .ci/redis-cluster.sh stop     stop the nodes this script started, by pid
#   .ci/redis-cluster.sh status   print cluster_state of every node
#
# Every node keeps its files (cluster config, pid file, log) in one directory,
# $GATEHOUSE_CLUSTER_DIR (default /tmp/gatehouse-redis-cluster). Nothing is
# persisted (--save "" --appendonly no). A node that died is started again
# from its cluster config and rejoins the cluster. Installs redis-server with
# apt-get when it is missing.
set -euo pipefail

ports=(7000 7001 7002 7003 7004 7005)
host=127.0.0.1
dir="${GATEHOUSE_CLUSTER_DIR:-/tmp/gatehouse-redis-cluster}"

cli() { redis-cli -h "$host" -p "$1" "${@:2}"; }

# up PORT: a Redis answers PING on PORT.
up() { [ "$(cli "$1" ping 2>/dev/null)" = "PONG" ]; }

# state PORT: the node's cluster_state (ok, fail) or nothing.
state() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p'; }

# assigned PORT: how many slots the node's view of the cluster has assigned.
assigned() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p'; }

all_ok() {
  for p in "${ports[@]}"; do [ "$(state "$p")" = "ok" ] || return 1; done
}

start() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq redis-server
  fi
  if all_ok; then
    echo "redis cluster is up on $host:${ports[0]}-${ports[-1]}"
    return 0
  fi
  mkdir -p "$dir"
  for p in "${ports[@]}"; do
    if up "$p"; then
      if ! cli "$p" info cluster 2>/dev/null | tr -d '\r' | grep -q '^cluster_enabled:1'; then
        echo "port $p: a Redis without cluster mode is listening there; not touching it" >&2
        exit 1
      fi
      continue
    fi
    redis-server --port "$p" --bind "$host" \
      --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
      --cluster-node-timeout 2000 \
      --daemonize yes --save "" --appendonly no \
      --dir "$dir" --pidfile "$dir/redis-$p.pid" --logfile "$dir/redis-$p.log"
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 100); do up "$p" && break; sleep 0.1; done
    up "$p" || { echo "node $p did not start; see $dir/redis-$p.log" >&2; exit 1; }
  done

  # Create the cluster only when no node knows of any slot; nodes restarted
  # from their cluster config rejoin by themselves.
  fresh=1
  for p in "${ports[@]}"; do
    [ "$(assigned "$p")" = "0" ] || fresh=0
  done
  if [ "$fresh" = 1 ]; then
    addrs=()
    for p in "${ports[@]}"; do addrs+=("$host:$p"); done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
      || { cat "$dir/create.log" >&2; exit 1; }
  fi

  for _ in $(seq 300); do all_ok && break; sleep 0.1; done
  if ! all_ok; then
    echo "redis cluster did not reach cluster_state:ok:" >&2
    status >&2
    exit 1
  fi
  # Every replica has finished its first sync, so a WAIT for one replica can
  # be satisfied as soon as the cluster is handed to the tests.
  for _ in $(seq 300); do
    synced=1
    for p in "${ports[@]}"; do
      info=$(cli "$p" info replication 2>/dev/null | tr -d '\r')
      if grep -q '^role:slave' <<<"$info" && ! grep -q '^master_link_status:up' <<<"$info"; then
        synced=0
      fi
    done
    [ "$synced" = 1 ] && break
    sleep 0.1
  done
  echo "redis cluster is up on $host:${ports[0]}-${ports[-1]}"
}

stop() {
  for p in "${ports[@]}"; do
    pidfile="$dir/redis-$p.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile" "$dir/nodes-$p.conf"
  done
  echo "redis cluster stopped"
}

status() {
  for p in "${ports[@]}"; do
    printf '%s:%s %s\n' "$host" "$p" "$(state "$p" || true)"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
