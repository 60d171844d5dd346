#!/usr/bin/env bash
# `compose up -d` and `down` of the notes' busybox app (examples/leafy-busybox) with
# `capstone compose`, against Debian's `docker-compose` 1.29 driving a real dockerd, on the
# same images (built once, before timing) and the same file. Median of RUNS rounds.
#
#   cargo build --release -p capstone && capstone/benches/compose.sh [RUNS]
#   (or CAPSTONE_BIN=target/debug/capstone: the dev profile here is optimised too)
#
# Everything happens in namespaces the script makes: capstone runs in a network namespace
# of its own (its bridges and firewall rules vanish with it); dockerd runs in its own network
# and mount namespaces with its own --data-root, --exec-root, socket and pidfile in a
# temporary directory (no default bridge, no iptables), and is stopped by its pid. Both sides
# use an override in which the backend waits for the database to be *started* rather than
# *healthy*: the health-gated start (which both engines do, and the tests check) would add the
# check's 2 s interval to both sides and measure the clock rather than the engines. And
# `down -t 0` (busybox httpd, as pid 1, ignores SIGTERM, so both engines would otherwise wait
# out their 10 s for the SIGKILL).
# Needs root, docker.io, docker-compose, the busybox rootfs of lesson 01.
set -euo pipefail
runs=${1:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CAPSTONE_BIN:-${CARGO_TARGET_DIR:-$top/target}/release/capstone}
rootfs=$top/target/kit/rootfs/busybox
[ -x "$bin" ] || { echo "build it first: cargo build --release -p capstone" >&2; exit 1; }
[ -d "$rootfs" ] || { echo "no busybox rootfs: run any lesson-01 step first" >&2; exit 1; }
command -v docker-compose >/dev/null || { echo "docker-compose missing: scripts/setup-host.sh" >&2; exit 1; }

# Phase 2: the capstone side, inside `unshare --net` (re-executed below).
if [ "${1:-}" = --capstone-in-netns ]; then
  work=$2 runs=$3
  ip link set lo up
  c=("$bin" --root "$work/root" --runroot "$work/run")
  cd "$work/capstone-app"
  "${c[@]}" compose build >/dev/null 2>&1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N); "${c[@]}" compose up -d >/dev/null 2>&1
    t1=$(date +%s%N); "${c[@]}" compose down -t 0 >/dev/null 2>&1
    t2=$(date +%s%N)
    echo "capstone $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 ))"
  done
  exit 0
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
work=$(mktemp -d /tmp/compose-bench.XXXXXX)
dockerd_pid=
cleanup() {
  if [ -n "$dockerd_pid" ]; then
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
override='services:
  backend:
    depends_on:
      db:
        condition: service_started
'
for side in capstone docker; do
  cp -a "$top/examples/leafy-busybox" "$work/$side-app"
  printf '%s' "$override" > "$work/$side-app/compose.override.yaml"
done
# docker-compose 1.29 predates the top-level `name:`: it gets the name with -p instead.
sed -i '/^name: /d' "$work/docker-app/compose.yaml"
dc=(docker-compose -p leafy -f compose.yaml -f compose.override.yaml)
tar -C "$rootfs" --numeric-owner -cf "$work/busybox.tar" .
"$bin" --root "$work/root" --runroot "$work/run" import --change 'CMD ["sh"]' "$work/busybox.tar" busybox >/dev/null
"$bin" --root "$work/root" --runroot "$work/run" save -o "$work/busybox-image.tar" busybox

# dockerd: unshare(1) without --fork execs sh, which execs dockerd, so $! is dockerd's pid.
mkdir -p "$work/docker/data" "$work/docker/exec"
echo '{}' > "$work/docker/daemon.json"
unshare --net --mount --propagation private -- sh -c 'ip link set lo up;
  mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd --data-root "$1/data" \
  --exec-root "$1/exec" -H "unix://$1/docker.sock" --pidfile "$1/docker.pid" \
  --config-file "$1/daemon.json" --bridge=none --iptables=false --ip6tables=false' \
  bench "$work/docker" >"$work/docker/log" 2>&1 &
dockerd_pid=$!
export DOCKER_HOST=unix://$work/docker/docker.sock DOCKER_CONFIG=$work/docker/client
client=docker; [ -x /usr/bin/docker ] && client=/usr/bin/docker
for _ in $(seq 600); do "$client" version >/dev/null 2>&1 && break; sleep 0.1; done
"$client" version >/dev/null || { echo "dockerd did not start:"; cat "$work/docker/log"; exit 1; } >&2
"$client" load -i "$work/busybox-image.tar" >/dev/null
(cd "$work/docker-app" && "${dc[@]}" build >"$work/docker-build.log" 2>&1) || { cat "$work/docker-build.log"; exit 1; } >&2
for _ in $(seq "$runs"); do
  cd "$work/docker-app"
  t0=$(date +%s%N); "${dc[@]}" up -d >/dev/null 2>&1
  t1=$(date +%s%N); "${dc[@]}" down -t 0 >/dev/null 2>&1
  t2=$(date +%s%N)
  echo "docker-compose $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 ))"
done > "$work/docker.times"
cd "$top"
unshare --net "$0" --capstone-in-netns "$work" "$runs" > "$work/capstone.times"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-16s %12s %12s\n' "" "up -d (ms)" "down (ms)"
for side in capstone docker; do
  f=$work/$side.times
  printf '%-16s %12s %12s\n' "$(head -1 "$f" | cut -d' ' -f1)" \
    "$(cut -d' ' -f2 "$f" | median)" "$(cut -d' ' -f3 "$f" | median)"
done
echo "median of $runs runs each; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
