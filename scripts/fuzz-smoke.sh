#!/usr/bin/env bash
# A short run of every fuzz target (seconds each; pass another number to run longer):
#   scripts/fuzz-smoke.sh 600
# cargo fuzz needs nightly features; the stable toolchain provides them under RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-3}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
cargo fuzz build
for target in $(cargo fuzz list); do
  echo "fuzz: $target for ${seconds}s"
  log="$(mktemp)"
  if ! cargo fuzz run "$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target FAILED"
    exit 1
  fi
  grep -E "^Done" "$log" || true
done
