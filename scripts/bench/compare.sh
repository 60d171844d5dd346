#!/usr/bin/env bash
# Containers versus virtual machines, measured in one go on this machine:
#   - whole runs of /bin/true: this kit's container (kit-run: lessons 01-03), the capstone's
#     `run --rm`, `unshare`, `runc run`, `crun run`, `podman run --rm` (hyperfine);
#   - a VM that boots Debian's kernel and powers off at once, on microvm and q35 (hyperfine);
#   - the pieces of a start and the VM boot (criterion: `cargo bench`);
#   - idle memory and density (the `memory` benchmark);
# then writes the book's data, tables and charts (the `charts` program) into
# book/src/containers-vs-vms/. Every phase records the load average before and after.
#
#   sudo scripts/bench/compare.sh             the full run (about 10 minutes on a quiet machine)
#   sudo scripts/bench/compare.sh --quick     few runs, to check the machinery (figures are rough)
#   options: --no-criterion (skip cargo bench), --out DIR (default book/src/containers-vs-vms)
#
# Needs: root, hyperfine, jq, runc, crun, podman, qemu-system-x86 and linux-image-amd64
# (whatever is missing is skipped and written down as a gap, never replaced by a guess).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ARGS=("$@")

QUICK=0
CRITERION=1
OUT=book/src/containers-vs-vms
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-criterion) CRITERION=0 ;;
        --out) OUT=$2; shift ;;
        *) echo "compare.sh: unknown option $1 (use --quick, --no-criterion, --out DIR)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$(id -u)" != 0 ]; then
    echo "compare.sh: containers need root: run it with sudo" >&2
    exit 1
fi
for tool in hyperfine jq; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing: apt-get install $tool" >&2; exit 1; }
done

# crun (and podman, which runs crun) refuse "hybrid" cgroups: v1 controllers plus a cgroup2
# mount at /sys/fs/cgroup/unified that owns a controller. Run the whole comparison in a private
# mount namespace in which that cgroup2 mount is covered by an empty tmpfs: there every runtime
# (ours included) sees a plain cgroup v1 machine. The tmpfs is writable because crun still
# makes a directory for the (now empty) unified hierarchy that /proc/self/cgroup names.
# Nothing changes outside this namespace.
if [ -z "${KIT_BENCH_IN_NS:-}" ] && [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] \
    && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    echo "compare: hybrid cgroups here; rerunning in a private mount namespace with /sys/fs/cgroup/unified hidden"
    exec unshare --mount --propagation private env KIT_BENCH_IN_NS=hide-unified "$0" "${ARGS[@]}"
fi
if [ "${KIT_BENCH_IN_NS:-}" = hide-unified ]; then
    mount -t tmpfs -o size=1m,mode=755 kit-hide-cgroup2 /sys/fs/cgroup/unified
fi

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
RAW=$ROOT/target/kit/bench
export KIT_BENCH_OUT=$RAW
export CRITERION_HOME=$RAW/criterion
rm -rf "$RAW"
mkdir -p "$RAW"
WORK=$(mktemp -d /tmp/kit-compare.XXXXXX)
cleanup() {
    runc delete -f kit-bench-runc >/dev/null 2>&1 || true
    crun delete -f kit-bench-crun >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

gap() { echo "$*" | tee -a "$RAW/gaps.txt" >&2; }
say() { printf '\n==> %s\n' "$*"; }

if [ "$QUICK" = 1 ]; then RUNS=5; VM_RUNS=1; else RUNS=30; VM_RUNS=5; fi

say "building kit-run, kit-vm and charts (release)"
cargo build --release --quiet -p e2e --bin kit-run --bin kit-vm --bin charts
BIN=$CARGO_TARGET_DIR/release
"$BIN/kit-run" /bin/true # also makes the cached busybox root filesystem
ROOTFS=$ROOT/target/kit/rootfs/busybox

say "an OCI bundle of the same busybox root filesystem for runc and crun"
mkdir -p "$WORK/bundle"
cp -a "$ROOTFS" "$WORK/bundle/rootfs"
(cd "$WORK/bundle" && runc spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$WORK/bundle/config.json" > "$WORK/config.json"
mv "$WORK/config.json" "$WORK/bundle/config.json"
tar -C "$ROOTFS" -cf "$WORK/rootfs.tar" .

# hyperfine's --command-name, then the command; a command is timed only if it works once.
OURS=()
PEERS=()
try() { # try ARRAY NAME COMMAND...
    local array=$1 name=$2
    shift 2
    local out
    if out=$("$@" 2>&1 </dev/null); then
        eval "$array+=(-n \"\$name\" \"\$*\")"
    else
        gap "$name: not measured: \`$*\` failed here: $(echo "$out" | tail -n 1)"
    fi
}

try OURS "kit-run (lessons 01-03)" "$BIN/kit-run" /bin/true

if [ -f capstone/src/main.rs ] && cargo build --release --quiet -p capstone 2>"$WORK/capstone-build.log"; then
    export CAPSTONE_ROOT=$WORK/capstone CAPSTONE_RUNROOT=$WORK/capstone-run
    export KIT_CAPSTONE=$BIN/capstone KIT_CAPSTONE_IMAGE=kit-busybox:bench
    if "$KIT_CAPSTONE" import "$WORK/rootfs.tar" "$KIT_CAPSTONE_IMAGE" >/dev/null 2>"$WORK/capstone-import.log"; then
        try OURS "capstone run --rm" "$KIT_CAPSTONE" run --rm --network none "$KIT_CAPSTONE_IMAGE" /bin/true
    else
        gap "capstone run --rm: not measured: capstone import failed: $(tail -n 1 "$WORK/capstone-import.log")"
        unset KIT_CAPSTONE
    fi
else
    gap "capstone run --rm: not measured: the capstone does not build yet"
fi

try PEERS "unshare (5 namespaces, no rootfs)" unshare --fork --pid --mount --uts --ipc --net /bin/true
try PEERS "runc run" runc run --bundle "$WORK/bundle" kit-bench-runc
try PEERS "crun run" crun run --bundle "$WORK/bundle" kit-bench-crun
if podman import "$WORK/rootfs.tar" localhost/kit-busybox:bench >/dev/null 2>"$WORK/podman.log"; then
    # root here lacks CAP_SYS_RESOURCE: podman's default nofile/nproc limits cannot be set.
    try PEERS "podman run --rm --network none" podman run --rm --network none \
        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/kit-busybox:bench /bin/true
else
    gap "podman run --rm: not measured: podman import failed: $(tail -n 1 "$WORK/podman.log")"
fi

ACCEL=$("$BIN/kit-vm" accel 2>/dev/null || echo none)
echo "$ACCEL" > "$RAW/accel.txt"
accel_flag=$(echo "$ACCEL" | tr 'A-Z' 'a-z')
VMS=()
if [ "$ACCEL" != none ]; then
    for machine in microvm q35; do
        if qemu-system-x86_64 -M help | grep -q "^$machine "; then
            VMS+=(-n "VM $machine ($ACCEL): boot, power off" "$BIN/kit-vm boot --machine $machine --accel $accel_flag")
        else
            gap "VM $machine: not measured: this QEMU has no $machine machine"
        fi
    done
else
    gap "VM boot: not measured: no qemu-system-x86_64 or no kernel (apt-get install qemu-system-x86 linux-image-amd64)"
fi

phase() { # phase NAME RUNS WARMUP ARGS...
    local name=$1 runs=$2 warmup=$3
    shift 3
    [ $# -gt 0 ] || return 0
    say "hyperfine: $name (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    cat /proc/loadavg > "$RAW/load-$name.txt"
    hyperfine -N --style basic --runs "$runs" --warmup "$warmup" --export-json "$RAW/hyperfine-$name.json" "$@"
    cat /proc/loadavg >> "$RAW/load-$name.txt"
}
phase ours "$RUNS" 3 "${OURS[@]}"
phase peers "$RUNS" 3 "${PEERS[@]}"
phase vm "$VM_RUNS" 0 "${VMS[@]}"

if [ "$CRITERION" = 1 ]; then
    quick=()
    [ "$QUICK" = 1 ] && quick=(--warm-up-time 0.2 --measurement-time 1)
    cat /proc/loadavg > "$RAW/load-criterion.txt"
    say "criterion: lesson 01 (clone per namespace, pivot_root, execve)"
    cargo bench --quiet -p namespaces --bench start -- "${quick[@]}"
    say "criterion: the pieces of a start, the whole start"
    cargo bench --quiet -p e2e --bench start -- "${quick[@]}"
    say "criterion: VM boot"
    cargo bench --quiet -p e2e --bench vm_boot -- "${quick[@]}"
    cat /proc/loadavg >> "$RAW/load-criterion.txt"
fi

say "memory: idle containers and VMs"
cargo bench --quiet -p e2e --bench memory

say "the book's data, tables and charts"
"$BIN/charts" --raw "$RAW" --criterion "$CRITERION_HOME" --out "$OUT"
cat "$OUT/startup.md"
