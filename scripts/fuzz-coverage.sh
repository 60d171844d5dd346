#!/usr/bin/env bash
# Which code did a fuzz target's inputs reach? Replays the inputs once each (no fuzzing) through
# an AddressSanitizer build of TARGET and prints the edges they covered, summed by crate: the
# kit's own crates by their directory, the rest by crate name. libFuzzer's -print_coverage=1
# names each function it instrumented with its covered and total edges; it needs the
# sanitizer's symboliser, which is why this builds with ASan when fuzz.sh builds without.
#
#   scripts/fuzz-coverage.sh TARGET [DIR…]     default DIRs: the target's corpus and seeds
#
# To see where a run's late edges went, run it on the corpus as it stood at half time and at
# the end, and compare the two outputs line by line (the book's fuzzing chapter does). For a
# function-by-function comparison, KEEP_LOG=FILE keeps libFuzzer's own output, one line per
# function (`COVERED_FUNC: hits: … edges: covered/total <name> <file:line>`).
set -euo pipefail

[[ $# -ge 1 ]] || { sed -n '2,13p' "$0" >&2; exit 2; }
target=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir="$root/target/fuzz-asan"
export RUSTC_BOOTSTRAP=1

fuzz_dir=
for dir in lessons/04-images/fuzz lessons/05-registry/fuzz lessons/08-engine-api/fuzz capstone/fuzz; do
    if (cd "$root/$dir" && cargo fuzz list | grep -x "$target" >/dev/null); then fuzz_dir=$root/$dir; fi
done
[[ -n $fuzz_dir ]] || { echo "fuzz-coverage.sh: no fuzz target named $target" >&2; exit 2; }
inputs=()
for dir in "$@"; do inputs+=("$(realpath "$dir")"); done   # named from where we were called
cd "$fuzz_dir"

if [[ ${#inputs[@]} -eq 0 ]]; then
    inputs=("corpus/$target")
    [[ -d seeds/$target ]] && inputs+=("seeds/$target")
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-coverage.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/empty" "$scratch/tmp"

nice -n 19 cargo fuzz build -O -a --target-dir "$target_dir" "$target" >&2
# The first directory is where libFuzzer would write new inputs: an empty one, so the replay
# leaves the corpus as it was. Leak checking is off: the targets keep caches for the process.
ASAN_OPTIONS=detect_leaks=0 TMPDIR="$scratch/tmp" \
    "$target_dir/x86_64-unknown-linux-gnu/release/$target" -runs=0 -print_coverage=1 \
    -close_fd_mask=3 -timeout=60 -rss_limit_mb=4096 "$scratch/empty" "${inputs[@]}" \
    >"$scratch/log" 2>&1 || { tail -20 "$scratch/log" >&2; exit 1; }
[[ -n ${KEEP_LOG:-} ]] && cp "$scratch/log" "$KEEP_LOG"

# Lines look like `COVERED_FUNC: hits: 3 edges: 5/9 <function name> /path/to/file.rs:42`.
awk -v root="$root/" '
    /^ *(UN)?COVERED_FUNC: / {
        for (i = 1; i < NF; i++) if ($i == "edges:") split($(i + 1), edges, "/")
        path = $NF; sub(/:[0-9]+$/, "", path)
        if (index(path, root) == 1) {               # the kit: capstone, lessons/05-registry, …
            n = split(substr(path, length(root) + 1), part, "/")
            crate = "kit: " (part[1] == "lessons" ? part[1] "/" part[2] : part[1])
        } else if (path ~ /\/registry\/src\/|\/git\/checkouts\//) {   # crates.io and git
            sub(/.*\/(registry\/src|git\/checkouts)\/[^\/]+\//, "", path)
            crate = path; sub(/\/.*/, "", crate); sub(/-[0-9]+\.[0-9]+.*$/, "", crate)
        } else if (path ~ /^\/rustc\/|^\/rust\/deps\/|\/rustlib\//) {   # std and its deps
            crate = "std"
        } else {
            crate = "other"
        }
        covered[crate] += edges[1]; total[crate] += edges[2]
        all_covered += edges[1]; all_total += edges[2]
    }
    END {
        for (c in covered) printf "%7d / %7d  %s\n", covered[c], total[c], c | "sort -rn"
        close("sort -rn")
        printf "%7d / %7d  all\n", all_covered, all_total
    }' "$scratch/log"
