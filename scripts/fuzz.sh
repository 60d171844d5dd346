#!/usr/bin/env bash
# Runs every cargo-fuzz target of the kit for SECONDS each (default 60), one after another, at
# the lowest CPU priority, and prints one line per target: executions, coverage (cov = edges,
# ft = features), corpus size, whether it crashed, and the edges found in the second half of
# the run — "plateau" when a run of at least 15 minutes found fewer than 0.1 % there.
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]      e.g. scripts/fuzz.sh 300 reference layer_apply
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On the stable toolchain RUSTC_BOOTSTRAP=1 lets
# it pass the -Z flags it needs. New corpus entries land in <crate>/fuzz/corpus/<target>/, a
# crash in <crate>/fuzz/artifacts/<target>/ (turn it into a regression: copy it to
# <crate>/fuzz/regressions/<target>/, which `cargo test --test fuzz_corpora` replays).
# Before committing a grown corpus, minimise it: `cargo fuzz cmin <target>` in that fuzz dir.
# Do not pause a fuzzer (SIGSTOP) for longer than -timeout: libFuzzer's timer counts wall time,
# and the input it was running is then reported as a timeout.
set -euo pipefail

seconds=${1:-60}
shift || true
wanted=" $* "
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir="$root/target/fuzz"
bin="$target_dir/x86_64-unknown-linux-gnu/release"
export RUSTC_BOOTSTRAP=1
# No sanitizer: the targets are safe Rust (a panic is the crash); this builds and runs faster.
build_flags=(-O -a -s none --target-dir "$target_dir")

# compose, runtime_config, registry_request, layer_apply and digest_verify make a temporary
# directory for every input. On a disk file system that costs an inode each time, and on ext4
# without a journal every new inode walks past those deleted in the last minute (see the book's
# fuzzing chapter): the targets then ran 7 to 50 times slower than in memory. Their scratch
# files go to tmpfs when there is one.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then
    TMPDIR=$(mktemp -d /dev/shm/fuzz.XXXXXX)
    export TMPDIR
    trap 'rm -rf "$TMPDIR"' EXIT
fi

command -v cargo-fuzz >/dev/null || {
    echo "fuzz.sh: cargo-fuzz is missing: run \`cargo install cargo-fuzz\`" >&2
    exit 1
}

# Copies libFuzzer's output, each status line (`#N …`) prefixed with the seconds since the start.
stamp() {
    local start=$SECONDS line
    while IFS= read -r line; do
        [[ $line == '#'[0-9]* ]] && line="$((SECONDS - start)) $line"
        printf '%s\n' "$line"
    done
}

# The edges a run found in its second half, from the stamped status lines of its log
# (`SECONDS #N INITED cov: E …`): the plateau criterion of the book's fuzzing chapter.
second_half() {
    awk '$3 == "INITED" { n = 0 }   # count from the loaded corpus, not the loading
        $2 ~ /^#[0-9]/ && $4 == "cov:" { t[n] = $1; cov[n] = $5; n++ }
        END {
            if (n == 0) { print "no status lines"; exit }
            end = t[n - 1]; half = cov[0]
            for (i = 0; i < n && t[i] <= end / 2; i++) half = cov[i]
            grew = cov[n - 1] - half; share = 100 * grew / cov[n - 1]
            printf "cov %d->%d, second half +%d (%.2f%%)", cov[0], cov[n - 1], grew, share
            if (end >= 900 && share < 0.1) printf ", plateau"
            print ""
        }' "$1"
}

status=0
for dir in lessons/04-images/fuzz lessons/05-registry/fuzz lessons/08-engine-api/fuzz capstone/fuzz; do
    cd "$root/$dir"
    targets=$(cargo fuzz list)
    if [[ $wanted != "  " ]]; then
        targets=$(for t in $targets; do if [[ $wanted == *" $t "* ]]; then echo "$t"; fi; done)
    fi
    [[ -z $targets ]] && continue
    nice -n 19 cargo fuzz build "${build_flags[@]}" >&2
    for t in $targets; do
        mkdir -p "corpus/$t" "artifacts/$t"
        log=$(mktemp)
        # A dictionary of the words the parser compares whole, where the target has one.
        dict=()
        [[ -f dicts/$t.dict ]] && dict=(-dict="dicts/$t.dict")
        # Hand-written seeds, one per section of the input's grammar, read but never written.
        seeds=()
        [[ -d seeds/$t ]] && seeds=("seeds/$t")
        # And a copy of the JSON/YAML seeds with every kind of value in every field.
        shopt -s nullglob
        typed=("seeds/$t"/*.json "seeds/$t"/*.yml)
        shopt -u nullglob
        if [[ ${#typed[@]} -gt 0 ]] && command -v python3 >/dev/null; then
            kinds=$(mktemp -d)
            "$root/scripts/fuzz-kinds.py" "$kinds" "${typed[@]}" >/dev/null
            seeds+=("$kinds")
        fi
        # -close_fd_mask=3 silences the target's own output (compose's warnings would flood the
        # log); libFuzzer's lines still come. A crash's message: replay it (see the top).
        if nice -n 19 "$bin/$t" "corpus/$t" "${seeds[@]}" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -max_len=4096 -close_fd_mask=3 \
            -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>&1 | stamp >"$log"; then
            verdict=ok
        else
            verdict="CRASH: $(ls -t "artifacts/$t" | head -1)"
            status=1
        fi
        last=$(grep -E '^[0-9]+ #[0-9]+' "$log" | tail -1 | grep -oE '#[0-9]+|cov: [0-9]+|ft: [0-9]+|corp: [0-9]+/[0-9]+[a-zA-Z]+' | tr '\n' ' ')
        execs=$(grep -oE 'number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)
        printf '%-18s %ss  execs=%s  %s %s  %s\n' "$t" "$seconds" "${execs:-?}" "$last" "$verdict" "$(second_half "$log")"
        rm -f "$log"
        if [[ -n ${kinds:-} ]]; then rm -rf "$kinds"; kinds=; fi
    done
done
exit $status
