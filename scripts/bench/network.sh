#!/usr/bin/env bash
# The capstone's `run --rm IMAGE /bin/true` with and without bridge networking, beside
# `podman run --rm` with and without its own bridge (netavark), in one hyperfine run:
# issue #8's target is "at least 10x faster than podman with networking".
#
#   sudo scripts/bench/network.sh            30 runs each (about a minute)
#   sudo scripts/bench/network.sh --quick    5 runs each, to check the machinery
#
# Everything runs in a private mount namespace (for this machine's hybrid cgroups, exactly as
# compare.sh does) AND a private network namespace (unshare(1) --net): both engines make their
# bridges, veth pairs and firewall rules there, and the machine's own network is never touched.
# Prints hyperfine's table and the load average before and after; raw JSON in target/kit/bench-net.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=30
[ "${1:-}" = --quick ] && RUNS=5

if [ "$(id -u)" != 0 ]; then
    echo "network.sh: containers need root: run it with sudo" >&2
    exit 1
fi
command -v hyperfine >/dev/null || { echo "network.sh: apt-get install hyperfine" >&2; exit 1; }

if [ -z "${KIT_BENCH_NET_NS:-}" ]; then
    exec unshare --mount --net --propagation private env KIT_BENCH_NET_NS=1 "$0" "$@"
fi
# crun (podman's runtime) refuses hybrid cgroups: hide the cgroup2 mount, as compare.sh does.
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] \
    && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    mount -t tmpfs -o size=1m,mode=755 kit-hide-cgroup2 /sys/fs/cgroup/unified
fi
ip link set lo up

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --quiet -p capstone --bin capstone
CAPSTONE=$CARGO_TARGET_DIR/release/capstone
OUT=$ROOT/target/kit/bench-net
WORK=$(mktemp -d /tmp/kit-bench-net.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/rootfs/bin"

# One busybox root filesystem for both engines.
cp "$(command -v busybox)" "$WORK/rootfs/bin/busybox"
for applet in $(busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$WORK/rootfs/bin/$applet"
done
tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .

export CAPSTONE_ROOT=$WORK/capstone CAPSTONE_RUNROOT=$WORK/capstone-run
"$CAPSTONE" import "$WORK/rootfs.tar" kit-busybox:bench >/dev/null
podman import "$WORK/rootfs.tar" localhost/kit-busybox:bench >/dev/null
# root here lacks CAP_SYS_RESOURCE: podman's default nofile/nproc limits cannot be set.
LIMITS="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

echo "load average before: $(cat /proc/loadavg)"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/network.json" \
    -n "capstone run --rm --network none" "$CAPSTONE run --rm --network none kit-busybox:bench /bin/true" \
    -n "capstone run --rm (bridge)" "$CAPSTONE run --rm kit-busybox:bench /bin/true" \
    -n "podman run --rm --network none" "podman run --rm --network none $LIMITS localhost/kit-busybox:bench /bin/true" \
    -n "podman run --rm (bridge)" "podman run --rm $LIMITS localhost/kit-busybox:bench /bin/true"
echo "load average after: $(cat /proc/loadavg)"
podman rmi -f localhost/kit-busybox:bench >/dev/null 2>&1 || true
