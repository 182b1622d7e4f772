#!/usr/bin/env bash
# Load comparison: starts small servers on 127.0.0.1 (no auth with HS256
# and with RS256 tokens, the handoff control for each, gatehouse bearer
# HS256/RS256, auth0
# go-jwt-middleware HS256/RS256, go-chi/jwtauth HS256) and drives each with
# wrk, in interleaved rounds, with fresh tokens each run. Arguments go to
# cmd/load (e.g. -rounds 3 -duration 5s -json results/load.json).
# Installs wrk from the distribution's packages when it is missing.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v wrk >/dev/null 2>&1; then
  echo "load.sh: installing wrk" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null
  fi
fi

bin=$(mktemp -d)/gatehouse-load
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/load
# cmd/load bounds itself (-timeout, default 10m); this is the backstop.
timeout 15m "$bin" "$@"
