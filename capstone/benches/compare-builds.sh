#!/usr/bin/env bash
# Start-up of two or more builds of the capstone beside crun, in one run: `run --rm --network
# none busybox /bin/true` (Docker's seccomp profile on, the default), each build with its own
# state, every round running each command once in a new random order (seeded), as
# `INTERLEAVED=1 start.sh` does. For an A/B of one change: build before and after it, copy the
# two binaries aside, and pass both.
#
#   capstone/benches/compare-builds.sh RUNS BUILD...   e.g. 300 /tmp/before /tmp/after
#   DELETED=8000 capstone/benches/compare-builds.sh RUNS BUILD...
#
# With DELETED=N the rounds run twice: as above, then after N files were made and deleted, for
# each build, in a directory made where that build makes a container's (under `creating/`,
# or `containers/` for builds older than it). On ext4 without a journal a new inode is never
# one deleted in the last minute or more, and allocating one walks past all of those in its
# block group: this shows what a burst of earlier containers leaves each build to pay.
#
# Prints min / p10 / median / p90 in ms per command. Needs root, crun, and lesson 01's busybox
# rootfs (run any lesson-01 step first).
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
# crun refuses a hybrid cgroup layout: hide the v2 mount in a private mount namespace, as
# start.sh does (nothing changes outside it).
if [ -z "${KIT_BENCH_MNT_NS:-}" ]; then
  exec unshare --mount --propagation private env KIT_BENCH_MNT_NS=1 "$0" "$@"
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] \
    && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
  mount -t tmpfs -o size=1m,mode=755 kit-hide-cgroup2 /sys/fs/cgroup/unified
fi
runs=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
rootfs=$top/target/kit/rootfs/busybox
[ -d "$rootfs" ] || { echo "no busybox rootfs: run any lesson-01 step first" >&2; exit 1; }
work=$(mktemp -d /tmp/capstone-builds.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -C "$rootfs" --numeric-owner -cf "$work/busybox.tar" .
cmds=()
i=0
for build in "$@"; do
  state="--root $work/root$i --runroot $work/run$i"
  "$build" $state import "$work/busybox.tar" busybox >/dev/null
  "$build" $state run --rm --network none busybox /bin/true # unpack the layer once
  cmds+=(-n "$build" "$build $state run --rm --network none busybox /bin/true")
  i=$((i + 1))
done
mkdir -p "$work/bundle"
cp -a "$rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/' config.json)
cmds+=(-n "crun run" "crun run -b $work/bundle bench-crun")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$top/capstone/benches/interleaved.py" "$runs" "${cmds[@]}"
[ -n "${DELETED:-}" ] || exit 0
for ((i = 0; i < $#; i++)); do
  parent=$work/root$i/creating
  [ -d "$parent" ] || parent=$work/root$i/containers
  mkdir "$parent/deleted" && (cd "$parent/deleted" && seq "$DELETED" | xargs touch && seq "$DELETED" | xargs rm)
  rmdir "$parent/deleted"
done
# ext4 skips only inodes deleted in an earlier second than the allocation's: wait for the next.
second=$(date +%s)
while [ "$(date +%s)" = "$second" ]; do :; done
echo "after $DELETED files were made and deleted where each build makes its containers:"
python3 "$top/capstone/benches/interleaved.py" "$runs" "${cmds[@]}"
