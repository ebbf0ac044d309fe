#!/usr/bin/env bash
# Times redis-lab's user-facing commands and prints a markdown section (medians).
# Run on demand (not part of `cargo test`):  bash benches/cli.sh   (or bash benches/all.sh)
# Needs: hyperfine (apt-get install hyperfine), redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
cargo build --release -q
BIN=$PWD/target/release/redis-lab
export REDIS_LAB_DATA_DIR="$(mktemp -d)"
OUT="$(mktemp -d)"
trap 'rm -rf "$REDIS_LAB_DATA_DIR" "$OUT"' EXIT

bench() { # name target runs command...
  local name=$1 target=$2 runs=$3; shift 3
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$OUT/b.json" "$*" >/dev/null 2>&1
  python3 - "$OUT/b.json" "$name" "$target" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
def ms(x):
    return f"{x*1000:.1f} ms" if x < 10 else f"{x:.1f} s"
print(f"| {sys.argv[2]} | {ms(r['median'])} | {ms(r['min'])} - {ms(r['max'])} | {len(r['times'])} | {sys.argv[3]} |")
PY
}

echo "## Commands"
echo
echo "| command | median | range | runs | target |"
echo "|---|---|---|---|---|"
bench "redis-cli --version (the anchor: a C client starting)" "" 50 "redis-cli --version"
bench "redis-lab --version" "under 10 ms" 50 "$BIN --version"
bench "redis-lab list (no server)" "under 10 ms" 50 "$BIN list"
bench "redis-lab check --offline (load and validate the whole catalog, no server)" "under 20 ms" 20 "$BIN check --offline"
bench "redis-lab check (the same, commands from a sandbox's COMMAND INFO)" "" 20 "$BIN check"
bench "redis-lab repl PING (sandbox start to ready, one command, stop)" "under 150 ms" 20 "$BIN repl PING"
bench "redis-lab lesson strings-counters --auto" "" 20 "$BIN lesson strings-counters --auto"
bench "redis-lab lesson leaderboard --auto" "" 20 "$BIN lesson leaderboard --auto"
bench "redis-lab check --run (whole catalog, $(nproc) cores)" "under 60 s on 2 cores" 3 "$BIN check --run"
echo
echo "## Topologies (sandbox up until every node agrees)"
echo
echo "| topology | ready in (3 runs) |"
echo "|---|---|"
for kind in redlock5 replica sentinel cluster; do
  times=""
  for _ in 1 2 3; do
    log="$OUT/up.log"
    "$BIN" --color never sandbox up "$kind" > "$log" 2>&1 &
    until grep -q "ready in\|error" "$log"; do sleep 0.05; done
    times="$times $(grep -o 'ready in [0-9.]* s' "$log" | cut -d' ' -f3)"
    "$BIN" sandbox down > /dev/null
  done
  echo "| $kind |$(echo "$times" | sed 's/ / s, /g; s/^ s, / /') s |"
done
