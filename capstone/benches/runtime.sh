#!/usr/bin/env bash
# capstone-runtime beside its peers, in one run each:
#   1. `capstone-runtime run` vs `runc run` vs `crun run` of one OCI bundle (lesson 01's
#      busybox rootfs, `runc spec`'s config running /bin/true);
#   2. `docker run --rm --network none IMAGE /bin/true` under one private dockerd, with
#      `--runtime capstone` vs `--runtime runc` (containerd's runc shim calls either).
#
#   cargo build -p capstone && capstone/benches/runtime.sh [RUNS]
#
# Needs root, hyperfine, jq, runc, dockerd (Debian's docker.io); crun optional. dockerd runs in
# a network and mount namespace of its own (unshare), with its own data root, exec root,
# socket, pidfile and config, and is stopped by pid at the end: nothing of the machine's own
# Docker is used or changed.
set -euo pipefail
runs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$top/target}
rt=${CAPSTONE_RUNTIME_BIN:-$target/release/capstone-runtime}
[ -x "$rt" ] || rt=$target/debug/capstone-runtime
rootfs=$target/kit/rootfs/busybox
[ -x "$rt" ] || { echo "build it first: cargo build -p capstone" >&2; exit 1; }
[ -d "$rootfs" ] || { echo "no busybox rootfs: run any lesson-01 step first" >&2; exit 1; }
# crun refuses a hybrid cgroup layout: run in a private mount namespace where the cgroup2
# mount is covered by a tmpfs (as capstone/benches/start.sh does); every runtime then sees v1.
if [ -z "${KIT_BENCH_MNT_NS:-}" ]; then
  exec unshare --mount --propagation private env KIT_BENCH_MNT_NS=1 "$0" "$@"
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] \
    && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
  mount -t tmpfs -o size=1m,mode=755 kit-hide-cgroup2 /sys/fs/cgroup/unified
fi
echo "runtime: $rt"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
work=$(mktemp -d /tmp/runtime-bench.XXXXXX)
dockerd_pid=
cleanup() {
  if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bundle"
cp -a "$rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/' config.json)
cmds=(-n "capstone-runtime run" "$rt --root $work/rt run -b $work/bundle b-rt"
      -n "runc run" "runc --root $work/runc run -b $work/bundle b-runc")
if crun --root "$work/crun" run -b "$work/bundle" probe >/dev/null 2>&1; then
  cmds+=(-n "crun run" "crun --root $work/crun run -b $work/bundle b-crun")
else
  echo "crun refuses to run here: $(crun --root "$work/crun" run -b "$work/bundle" probe 2>&1 | head -1)"
fi
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/bundles.json" "${cmds[@]}" >/dev/null

# A private dockerd with capstone-runtime registered beside runc.
dd=$work/dockerd
mkdir -p "$dd/data" "$dd/exec"
printf '{"runtimes": {"capstone": {"path": "%s"}}}\n' "$rt" > "$dd/daemon.json"
unshare --net --mount --propagation private sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd \
  --data-root "$1/data" --exec-root "$1/exec" -H "unix://$1/docker.sock" --pidfile "$1/docker.pid" \
  --config-file "$1/daemon.json" --bridge=none --iptables=false --ip6tables=false' dockerd-bench "$dd" \
  > "$dd/log" 2>&1 &
dockerd_pid=$!
docker=(docker -H "unix://$dd/docker.sock")
[ -x /usr/bin/docker ] && docker=(/usr/bin/docker -H "unix://$dd/docker.sock") || export DOCKER_API_VERSION=1.41
deadline=$((SECONDS + 60))
until "${docker[@]}" version >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || { echo "dockerd did not start:"; tail -20 "$dd/log"; exit 1; }
  sleep 0.2
done
tar -C "$rootfs" --numeric-owner -c . | "${docker[@]}" import - runtime-bench >/dev/null
for r in runc capstone; do "${docker[@]}" run --rm --network none --runtime $r runtime-bench /bin/true; done
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/docker.json" \
  -n "docker run --rm, runc" "${docker[*]} run --rm --network none --runtime runc runtime-bench /bin/true" \
  -n "docker run --rm, capstone-runtime" "${docker[*]} run --rm --network none --runtime capstone runtime-bench /bin/true" \
  >/dev/null

echo
echo "median [ms] (min-max), $runs runs each:"
jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10) (\(.min * 1000 | round)-\(.max * 1000 | round))"' \
  "$work/bundles.json" "$work/docker.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
