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

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo build (the binaries the end-to-end tests drive)"
cargo build --workspace --bins
# The end-to-end tests run the real `capstone` program; tell them which one (tests of one
# package cannot name another package's binary).
export CAPSTONE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/capstone"

step "cargo test (every lesson, the capstone, end-to-end)"
cargo test --workspace

step "mdbook build"
mdbook build book

step "all tests passed"
