#!/usr/bin/env bash
# redis-lab repl against redis-cli (and iredis if installed), in one run, on the same server:
# one command start-to-exit, 10,000 SETs fed on stdin, peak memory. Prints a markdown section
# (benches/all.sh puts it in docs/benchmarks.md). Needs hyperfine, redis-server, redis-cli;
# iredis joins the table when it is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
cargo build --release -q
LAB=$PWD/target/release/redis-lab
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --daemonize no >/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
until redis-cli -p "$PORT" PING >/dev/null 2>&1; do sleep 0.02; done
URL=redis://127.0.0.1:$PORT
python3 -c 'import sys
for i in range(10000): print(f"SET key:{i} value-{i}")' > "$WORK/sets.txt"

median() { # json -> medians in ms, one per command
  python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.1f" % (r["median"] * 1000) for r in results))
PY
}
peak_stdin() { # file command... -> peak RSS in MB, read while it runs (benches/peak_rss.py)
  python3 benches/peak_rss.py pipe "$1" 10000 -- "${@:2}"
}

hyperfine -N --warmup 5 --runs 50 --export-json "$WORK/one.json" \
  "redis-cli -p $PORT SET k v" "$LAB repl --url $URL SET k v" >/dev/null 2>&1
read -r CLI_ONE LAB_ONE < <(median "$WORK/one.json")
hyperfine --warmup 2 --runs 10 --export-json "$WORK/bulk.json" \
  "redis-cli -p $PORT < $WORK/sets.txt" "$LAB repl --url $URL < $WORK/sets.txt" >/dev/null 2>&1
read -r CLI_BULK LAB_BULK < <(median "$WORK/bulk.json")
CLI_MEM=$(peak_stdin "$WORK/sets.txt" redis-cli -p "$PORT")
LAB_MEM=$(peak_stdin "$WORK/sets.txt" "$LAB" repl --url "$URL")
# iredis (pip install iredis) is an anchor too when installed. It prints nothing for a command
# given as arguments without a terminal, so its one-command run reads the command from stdin.
IREDIS_ONE="—" IREDIS_BULK="—" IREDIS_MEM="—" IREDIS_NOTE="iredis: not installed on this machine."
if command -v iredis >/dev/null; then
  echo "SET k v" > "$WORK/one.txt"
  hyperfine --warmup 1 --runs 10 --export-json "$WORK/iredis-one.json" "iredis -p $PORT < $WORK/one.txt" >/dev/null 2>&1
  IREDIS_ONE="$(median "$WORK/iredis-one.json") ms"
  hyperfine --runs 3 --export-json "$WORK/iredis.json" "iredis -p $PORT < $WORK/sets.txt" >/dev/null 2>&1
  IREDIS_BULK="$(median "$WORK/iredis.json") ms"
  # iredis reads all of stdin before it answers: measured with stdin closed, VmHWM polled to exit.
  IREDIS_MEM="$(python3 benches/peak_rss.py pipe "$WORK/sets.txt" 0 -- iredis -p "$PORT") MB"
  IREDIS_NOTE="iredis: $(iredis --version | sed 's/.*version //'), from PyPI."
fi
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }

{
  echo "## The REPL against redis-cli"
  echo
  echo "Both against one local redis-server, in the same run. Ratio = redis-lab / redis-cli (below 1 means redis-lab is faster)."
  echo
  echo "| measurement | redis-cli | redis-lab | ratio | iredis |"
  echo "|---|---|---|---|---|"
  echo "| one command, start to exit (\`SET k v\`) | $CLI_ONE ms | $LAB_ONE ms | $(ratio "$LAB_ONE" "$CLI_ONE") | $IREDIS_ONE |"
  echo "| 10,000 SETs fed on stdin | $CLI_BULK ms | $LAB_BULK ms | $(ratio "$LAB_BULK" "$CLI_BULK") | $IREDIS_BULK |"
  echo "| peak memory (10,000 SETs on stdin) | $CLI_MEM MB | $LAB_MEM MB | $(ratio "$LAB_MEM" "$CLI_MEM") | $IREDIS_MEM |"
  echo
  echo "$IREDIS_NOTE"
  echo
  echo "redis-lab sends the stdin lines that have arrived (up to 1,000) as one pipelined batch and prints"
  echo "their replies in order before reading more, byte for byte as redis-cli does (tests/it/repl.rs compares"
  echo "both on a 135-line corpus); redis-cli sends one command per round trip. The one-command case is"
  echo "dominated by process start-up."
} > "$WORK/section.md"
if [ "${1:-}" = "--section" ]; then cat "$WORK/section.md"; else cat "$WORK/section.md"; fi
