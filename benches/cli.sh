#!/usr/bin/env bash
# Times redis-lab's user-facing commands with hyperfine and prints the medians.
# Run on demand (not part of `cargo test`):  bash benches/cli.sh
# Needs: hyperfine (apt-get install hyperfine), redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
cargo build --release -q
BIN=./target/release/redis-lab
export REDIS_LAB_DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$REDIS_LAB_DATA_DIR" "$OUT"' EXIT
OUT="$(mktemp -d)"

bench() { # name runs command...
  local name=$1 runs=$2; shift 2
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$OUT/$name.json" "$*" >/dev/null 2>&1
  python3 - "$OUT/$name.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<32} median {r['median']*1000:7.1f} ms   (min {r['min']*1000:.1f}, max {r['max']*1000:.1f}, {len(r['times'])} runs)")
PY
}

bench "redis-lab --version" 50 "$BIN --version"
bench "redis-lab list" 50 "$BIN list"
for lesson in strings-counters key-expiry leaderboard; do
  bench "lesson $lesson --auto" 20 "$BIN lesson $lesson --auto"
done
