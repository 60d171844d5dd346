#!/usr/bin/env bash
# `docker run --rm busybox true`, then `docker-compose up -d` of a three-service app (two
# networks, a volume, a health check, a published port), through `capstone daemon` versus
# through a real dockerd (Debian's docker.io), with the same clients, the same image (lesson 01's busybox root,
# imported on both sides) and no network (`--network none`), in one hyperfine run.
#
#   cargo build --release -p capstone && capstone/benches/daemon.sh [RUNS]
#
# Each daemon runs in a network namespace of its own (unshare --net), with its own state and
# socket in a temporary directory; dockerd also in a private mount namespace with a tmpfs on
# /run, and with no bridge and no iptables rules — nothing on this machine changes. Both are
# stopped by pid when the script ends. Needs root, hyperfine, jq, docker.io (dockerd),
# docker-compose (1.29).
set -euo pipefail
runs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CAPSTONE_BIN:-${CARGO_TARGET_DIR:-$top/target}/release/capstone}
rootfs=$top/target/kit/rootfs/busybox
[ -x "$bin" ] || { echo "build it first: cargo build --release -p capstone" >&2; exit 1; }
[ -d "$rootfs" ] || { echo "no busybox rootfs: run any lesson-01 step first" >&2; exit 1; }
command -v dockerd >/dev/null || { echo "dockerd missing: scripts/setup-host.sh installs docker.io" >&2; exit 1; }
work=$(mktemp -d /tmp/capstone-daemon-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
  rm -rf "$work"
}
trap cleanup EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
tar -C "$rootfs" --numeric-owner -cf "$work/busybox.tar" .
# The same client for both, speaking the API version both servers offer.
export DOCKER_API_VERSION=1.41
mkdir -p "$work/config" && export DOCKER_CONFIG=$work/config

# Waits (up to 60 s) until the daemon behind socket $1 answers, as a client would.
wait_for() {
  for _ in $(seq 600); do
    DOCKER_HOST=unix://$1 docker version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "no daemon answered on $1" >&2; exit 1
}

# capstone daemon: unshare(1) without --fork execs it, so $! is the daemon's pid.
cap=$work/capstone.sock
unshare --net -- "$bin" --root "$work/root" --runroot "$work/run" daemon -H "unix://$cap" \
  2>"$work/capstone.log" &
pids+=($!)
wait_for "$cap"
DOCKER_HOST=unix://$cap docker import "$work/busybox.tar" busybox >/dev/null 2>&1 \
  || "$bin" --root "$work/root" --runroot "$work/run" import "$work/busybox.tar" busybox >/dev/null

# dockerd, as tests/harness/src/dockerd.rs starts it.
mkdir -p "$work/docker/data" "$work/docker/exec" && echo '{}' >"$work/docker/daemon.json"
dock=$work/docker/docker.sock
unshare --net --mount --propagation private -- sh -c \
  'mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd --data-root "$1/data" --exec-root "$1/exec" \
   -H "unix://$1/docker.sock" --pidfile "$1/docker.pid" --config-file "$1/daemon.json" \
   --bridge=none --iptables=false --ip6tables=false' dockerd-bench "$work/docker" \
  2>"$work/dockerd.log" &
pids+=($!)
wait_for "$dock"
DOCKER_HOST=unix://$dock docker import "$work/busybox.tar" busybox >/dev/null

for sock in "$cap" "$dock"; do   # once each: layers unpacked, caches warm
  DOCKER_HOST=unix://$sock docker run --rm --network none busybox /bin/true
done
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/result.md" --export-json "$work/result.json" \
  -n "docker run --rm → capstone daemon" "env DOCKER_HOST=unix://$cap docker run --rm --network none busybox /bin/true" \
  -n "docker run --rm → dockerd $(dockerd --version | grep -o '[0-9][0-9.]*' | head -1)" \
     "env DOCKER_HOST=unix://$dock docker run --rm --network none busybox /bin/true" >/dev/null
cat "$work/result.md"
echo
echo "medians [ms]:"
jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$work/result.json"
jq -r '"capstone daemon is \(.results[1].median / .results[0].median | . * 10 | round / 10)× faster"' "$work/result.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# docker-compose up -d of the app of tests/e2e/tests/daemon_compose.rs; `down -v` before each.
cat >"$work/compose.yml" <<'YAML'
version: "3.8"
services:
  db:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/data"]
    restart: unless-stopped
    healthcheck: {test: ["CMD", "true"], interval: 2s}
    volumes: [data:/data]
    networks: [back]
  backend:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [db]
    networks: {back: {}, front: {aliases: [api]}}
  frontend:
    image: busybox
    command: ["sleep", "1000"]
    ports: ["18080:8080"]
    networks: [front]
networks: {front: {}, back: {}}
volumes: {data: {}}
YAML
compose_runs=$(( (runs + 1) / 2 ))
up() { echo "env DOCKER_HOST=unix://$1 docker-compose -p bench -f $work/compose.yml $2"; }
for sock in "$cap" "$dock"; do   # once each, so that a failure shows its message
  $(up "$sock" "up -d") && $(up "$sock" "down -v")
done
hyperfine -N --warmup 1 --runs "$compose_runs" --export-markdown "$work/compose.md" --export-json "$work/compose.json" \
  -n "docker-compose up -d → capstone daemon" --prepare "$(up "$cap" "down -v")" "$(up "$cap" "up -d")" \
  -n "docker-compose up -d → dockerd" --prepare "$(up "$dock" "down -v")" "$(up "$dock" "up -d")" >/dev/null
for sock in "$cap" "$dock"; do $(up "$sock" "down -v") >/dev/null 2>&1; done
cat "$work/compose.md"
echo
jq -r '"compose up -d: capstone daemon takes \(.results[0].median / .results[1].median | . * 100 | round / 100)× the time of dockerd"' "$work/compose.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
