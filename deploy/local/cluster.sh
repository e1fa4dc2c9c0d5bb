#!/usr/bin/env bash
# A local Tandem cluster on loopback: one coordinator (with the admin API) and N worker JVMs.
#   deploy/local/cluster.sh start N DIR   start (the coordinator with --expected-workers N: a job needing more
#                                         than N worker nodes is refused); returns once the N workers have joined (or fails naming
#                                         those that did not); pids in DIR/coordinator.pid, DIR/worker-1.pid ...,
#                                         admin URL in DIR/admin.url, bearer token in DIR/admin.token,
#                                         logs in DIR/*.log
#   deploy/local/cluster.sh stop DIR      stop every process of DIR (SIGTERM, then SIGKILL after 15 s)
# Environment: TANDEM_PORT (coordinator Artery port, default 2551), TANDEM_ADMIN_PORT (default 8558),
# TANDEM_DEVICES (devices per worker, default 1), TANDEM_JOIN_TIMEOUT (seconds to wait for the workers
# to join, default 120), TANDEM_DISK_ROOTS=1 (worker i keeps job files, e.g. its checkpoint shards, under
# DIR/disk-i: nodes without a shared file system).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TANDEM="$ROOT/tandem"

usage() {
  echo "usage: $0 start N DIR | stop DIR" >&2
  exit 2
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  local n="$1" dir="$2"
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "cluster.sh: N must be a positive number, got '$n'" >&2; exit 2; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if alive "$dir/coordinator.pid"; then
    echo "cluster.sh: a cluster already runs from $dir (coordinator pid $(cat "$dir/coordinator.pid")); stop it first" >&2
    exit 1
  fi
  rm -f "$dir"/*.pid "$dir/admin.url"
  local port="${TANDEM_PORT:-2551}" admin_port="${TANDEM_ADMIN_PORT:-8558}" devices="${TANDEM_DEVICES:-1}"
  "$TANDEM" --version >/dev/null  # builds the jar once, before the processes race to do it
  [ -s "$dir/admin.token" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/admin.token")
  nohup "$TANDEM" coordinator --port "$port" --admin-port "$admin_port" --admin-token-file "$dir/admin.token" \
      --admin-url-file "$dir/admin.url" --expected-workers "$n" > "$dir/coordinator.log" 2>&1 &
  echo $! > "$dir/coordinator.pid"
  for _ in $(seq 1 120); do
    [ -s "$dir/admin.url" ] && break
    alive "$dir/coordinator.pid" || { echo "cluster.sh: coordinator exited; see $dir/coordinator.log" >&2; tail -5 "$dir/coordinator.log" >&2; exit 1; }
    sleep 0.5
  done
  [ -s "$dir/admin.url" ] || { echo "cluster.sh: coordinator did not start within 60 s; see $dir/coordinator.log" >&2; exit 1; }
  for i in $(seq 1 "$n"); do
    local disk=()
    [ "${TANDEM_DISK_ROOTS:-0}" = 1 ] && disk=(--disk-root "$dir/disk-$i")
    nohup "$TANDEM" worker --seeds "127.0.0.1:$port" --devices "$devices" "${disk[@]}" > "$dir/worker-$i.log" 2>&1 &
    echo $! > "$dir/worker-$i.pid"
  done
  wait_for_workers "$n" "$dir"
  echo "cluster.sh: coordinator and $n worker(s) up; admin API $(cat "$dir/admin.url") (token in $dir/admin.token)"
  echo "  submit: $TANDEM submit --admin $(cat "$dir/admin.url") --token-file $dir/admin.token --devices $n --wait"
}

# Waits until N worker members are Up (as the admin API's /cluster reports them); on timeout names the
# workers that did not join (dead, or alive but not a member) and exits 1, leaving the processes for a look.
wait_for_workers() {
  local n="$1" dir="$2" timeout="${TANDEM_JOIN_TIMEOUT:-120}" url up=0 members=""
  url="$(cat "$dir/admin.url")"
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    members="$("$TANDEM" admin --url "$url" --token-file "$dir/admin.token" cluster 2>/dev/null || true)"
    up="$(printf '%s\n' "$members" | awk '$2 ~ /worker/ && $3 == "UP"' | wc -l)"
    [ "$up" -ge "$n" ] && return 0
    sleep 1
  done
  local missing=()
  for i in $(seq 1 "$n"); do
    local addr
    addr="$(grep -o 'worker pekko://[^ ]*' "$dir/worker-$i.log" 2>/dev/null | head -1 | cut -d' ' -f2)"
    if ! alive "$dir/worker-$i.pid"; then
      missing+=("worker-$i (exited; see $dir/worker-$i.log)")
    elif [ -z "$addr" ] || ! printf '%s\n' "$members" | awk '$3 == "UP" {print $1}' | grep -qxF "$addr"; then
      missing+=("worker-$i (${addr:-no address yet}; see $dir/worker-$i.log)")
    fi
  done
  echo "cluster.sh: only $up of $n worker(s) joined within ${timeout} s; not joined: ${missing[*]:-unknown}" >&2
  exit 1
}

stop() {
  local dir="$1" pids=()
  [ -d "$dir" ] || { echo "cluster.sh: no directory $dir" >&2; exit 1; }
  for f in "$dir"/worker-*.pid "$dir/coordinator.pid"; do
    [ -f "$f" ] || continue
    if alive "$f"; then
      kill -TERM "$(cat "$f")" 2>/dev/null || true
      pids+=("$(cat "$f")")
    fi
    rm -f "$f"
  done
  for _ in $(seq 1 30); do
    local left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.5
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -f "$dir/admin.url"
  echo "cluster.sh: stopped ${#pids[@]} process(es) of $dir"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) usage ;;
esac
