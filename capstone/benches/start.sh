#!/usr/bin/env bash
# Start-up benchmark of the capstone beside its peers, in one run, on one root filesystem
# (lesson 01's busybox): `capstone run --rm busybox /bin/true` with the image present, against
# `runc run` and `crun run` of an OCI bundle of the same rootfs and `podman run --rm` of the same
# image. Peers that still refuse to run are reported as such, not hidden. Also prints the
# memory of one detached container's monitor (RSS, and the part that is its own).
#
#   cargo build --release -p capstone && capstone/benches/start.sh [RUNS]
#   INTERLEAVED=1 capstone/benches/start.sh [RUNS]   # rounds of one run each, for a busy machine
#
# Needs root, hyperfine, runc; crun and podman optional.
set -euo pipefail
runs=${1:-30}
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CAPSTONE_BIN:-${CARGO_TARGET_DIR:-$top/target}/release/capstone}
rootfs=$top/target/kit/rootfs/busybox
[ -x "$bin" ] || { echo "build it first: cargo build --release -p capstone" >&2; exit 1; }
[ -d "$rootfs" ] || { echo "no busybox rootfs: run any lesson-01 step first" >&2; exit 1; }
# crun (and podman, which uses it) refuse a hybrid cgroup layout: rerun in a private mount
# namespace where the cgroup2 mount is covered by a tmpfs, as scripts/bench/compare.sh does
# (nothing changes outside that namespace; every engine then sees cgroup v1 alone).
if [ -z "${KIT_BENCH_MNT_NS:-}" ]; then
  exec unshare --mount --propagation private env KIT_BENCH_MNT_NS=1 "$0" "$@"
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] \
    && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
  mount -t tmpfs -o size=1m,mode=755 kit-hide-cgroup2 /sys/fs/cgroup/unified
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
work=$(mktemp -d /tmp/capstone-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
state=(--root "$work/root" --runroot "$work/run")
tar -C "$rootfs" --numeric-owner -cf "$work/busybox.tar" .
"$bin" "${state[@]}" import "$work/busybox.tar" busybox >/dev/null
"$bin" "${state[@]}" run --rm --network none busybox /bin/true   # unpack the layer once

# An OCI bundle of the same rootfs for runc and crun, with no network namespace changes beyond
# runc's defaults.
mkdir -p "$work/bundle"
cp -a "$rootfs" "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/' config.json)
# The same bundle with Docker's default seccomp profile (the capstone applies it by default;
# `runc spec` adds none): moby's profile resolved for the default capabilities and this
# architecture into the OCI runtime spec's `linux.seccomp`.
mkdir -p "$work/bundle-seccomp"
ln -s "$work/bundle/rootfs" "$work/bundle-seccomp/rootfs"
python3 - "$top/lessons/07-confinement/profiles/docker-default.json" "$work/bundle/config.json" \
    "$work/bundle-seccomp/config.json" <<'PY'
import json, sys
profile, spec = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
caps = set(spec["process"]["capabilities"]["bounding"])
def applies(rule):
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if inc.get("caps") and not set(inc["caps"]) <= caps: return False
    if inc.get("arches") and "amd64" not in inc["arches"]: return False
    if exc.get("caps") and set(exc["caps"]) & caps: return False
    if exc.get("arches") and "amd64" in exc["arches"]: return False
    return True
rules = []
for r in profile["syscalls"]:
    if applies(r):
        rule = {"names": r["names"], "action": r["action"]}
        if "errnoRet" in r: rule["errnoRet"] = r["errnoRet"]
        if r.get("args"): rule["args"] = r["args"]
        rules.append(rule)
spec["linux"]["seccomp"] = {
    "defaultAction": profile["defaultAction"], "defaultErrnoRet": profile.get("defaultErrnoRet", 1),
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": rules,
}
json.dump(spec, open(sys.argv[3], "w"))
PY

# (Bridge networking is measured by scripts/bench/network.sh, inside a network namespace of
# its own, so that no bridge is made on this machine.)
cmds=(-n "capstone run --rm --network none" "$bin ${state[*]} run --rm --network none busybox /bin/true"
      -n "capstone run --rm --network none, seccomp=unconfined" "$bin ${state[*]} run --rm --network none --security-opt seccomp=unconfined busybox /bin/true"
      -n "capstone run --rm --network host" "$bin ${state[*]} run --rm --network host busybox /bin/true"
      -n "runc run" "runc run -b $work/bundle bench-runc")
if crun run -b "$work/bundle" bench-crun-probe >/dev/null 2>&1; then
  cmds+=(-n "crun run" "crun run -b $work/bundle bench-crun"
         -n "crun run, Docker's seccomp profile" "crun run -b $work/bundle-seccomp bench-crun-sc")
else
  echo "crun refuses to run here: $(crun run -b "$work/bundle" bench-crun-probe 2>&1 | head -1)"
fi
if podman import "$work/busybox.tar" capstone-bench >/dev/null 2>&1 && podman run --rm --network none capstone-bench /bin/true >/dev/null 2>&1; then
  cmds+=(-n "podman run --rm --network none" "podman run --rm --network none capstone-bench /bin/true")
else
  echo "podman cannot run containers here (it uses crun, see above)"
fi
if [ -n "${INTERLEAVED:-}" ]; then
  # hyperfine times each command in a block of its own; on a shared machine a burst of load
  # then lands on one command. Here every round runs each command once, in a new random
  # order, so bursts hit all alike; the low percentiles approach the figures of an idle
  # machine. (A rotating order is not enough: each command would nearly always follow the
  # same one, and pay for the work that one leaves the kernel to finish, such as tearing
  # down its network namespace.)
  python3 "$top/capstone/benches/interleaved.py" "$runs" "${cmds[@]}"
else
  hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/result.md" --export-json "$work/result.json" "${cmds[@]}" >/dev/null
  cat "$work/result.md"
  echo
  echo "medians [ms]:"
  jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$work/result.json"
fi

id=$("$bin" "${state[@]}" run -d --network none busybox sleep 1000)
monitor=$("$bin" "${state[@]}" inspect "$id" | grep -o '"Pid": [0-9]*' | head -1 | grep -o '[0-9]*$')
monitor=$(ps -o ppid= -p "$monitor" | tr -d ' ')
echo
echo "monitor of one detached container (pid $monitor):"
grep -E 'VmRSS|RssAnon|RssFile' "/proc/$monitor/status"
# Pss shares each shared page among the processes mapping it; Private_* is the monitor's own.
grep -E '^(Pss|Private_Clean|Private_Dirty):' "/proc/$monitor/smaps_rollup"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" "${state[@]}" rm -f "$id" >/dev/null
