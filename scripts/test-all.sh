#!/usr/bin/env bash
# Run every test of the kit, the way CI does, on a fresh machine or a used one:
# install what is missing, then formatting, lints, every crate's tests, and the book.
#
#   scripts/test-all.sh
#
# Tests that need root run through the workspace's runner (scripts/as-root), so this script
# itself does not need to be run with sudo; installing packages does, and it asks.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "host setup (Debian packages, mdbook)"
scripts/setup-host.sh
export PATH="$HOME/.cargo/bin:$PATH"
MDBOOK_VERSION=0.4.52
if ! mdbook --version 2>/dev/null | grep -q "$MDBOOK_VERSION"; then
    echo "installing mdbook $MDBOOK_VERSION with cargo (a few minutes, once)"
    cargo install mdbook --version "$MDBOOK_VERSION" --locked --no-default-features --quiet
fi

# A cold build of the workspace and its tests takes about 5 GiB (measured without incremental
# data, as CI builds); say so up front rather than fail half-way with "No space left on device".
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p "$target_dir"
free_gib=$(df --output=avail -BG "$target_dir" | tail -n 1 | tr -dc '0-9')
if [ "${free_gib:-0}" -lt 6 ]; then
    echo "warning: only ${free_gib} GiB free under $target_dir; a cold build needs about 5 GiB." >&2
    echo "         Free some space (cargo clean in other checkouts) if the build fails." >&2
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (what students read; a broken link is an error)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo build (the binaries the end-to-end tests drive)"
cargo build --workspace --bins
# The end-to-end tests run the real `capstone` program; tell them which one (tests of one
# package cannot name another package's binary).
export CAPSTONE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/capstone"

step "cargo test (every lesson, the capstone, end-to-end)"
# --no-fail-fast: one red test binary must not hide the others (CI reports them all).
cargo test --workspace --no-fail-fast

step "mdbook build"
mdbook build book

step "all tests passed"
