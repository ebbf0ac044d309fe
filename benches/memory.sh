#!/usr/bin/env bash
# Peak memory of the interactive modes, driven through a pseudo-terminal as a user would: the
# guided REPL doing the whole leaderboard lesson, and the REPL (help, completion, commands),
# next to redis-cli doing the same commands. Prints a markdown section (benches/all.sh puts it in
# docs/benchmarks.md). Needs redis-server, redis-cli, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
LAB=$PWD/target/release/redis-lab
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --daemonize no >/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
until redis-cli -p "$PORT" PING >/dev/null 2>&1; do sleep 0.02; done
URL=redis://127.0.0.1:$PORT
export REDIS_LAB_DATA_DIR=$WORK/data NO_COLOR=1 TERM=xterm

peak_pty() { python3 benches/peak_rss.py pty "$1" -- "${@:2}"; }

# The whole leaderboard lesson, typed.
"$LAB" lesson leaderboard --auto --url "$URL" | grep '^app> ' | sed 's/^app> //' > "$WORK/solutions.txt"
redis-cli -p "$PORT" FLUSHALL >/dev/null
GUIDED=$(peak_pty "$WORK/solutions.txt" "$LAB" lesson leaderboard --url "$URL")
redis-cli -p "$PORT" FLUSHALL >/dev/null

# A REPL session: commands, help, completion of a command and of keys, a big-ish reply.
cat > "$WORK/repl.txt" <<'EOF'
SET greeting hello
GET greeting
help ZADD
ZADD board 1 a 2 b 3 c
ZRANGE board 0 -1 WITHSCORES
GE<TAB> greeting
INFO
COMMAND DOCS GET
EOF
LAB_REPL=$(peak_pty "$WORK/repl.txt" "$LAB" repl --url "$URL")
grep -v '<TAB>\|^help' "$WORK/repl.txt" > "$WORK/cli.txt"
CLI_REPL=$(peak_pty "$WORK/cli.txt" redis-cli -p "$PORT")

echo "## Peak memory of the interactive modes"
echo
echo "Driven through a pseudo-terminal, typing as a user would (\`bash benches/memory.sh\`); peak"
echo "resident memory of the process (target: under 30 MB)."
echo
echo "| session | peak memory |"
echo "|---|---|"
echo "| guided REPL, the whole leaderboard lesson typed step by step (\`lesson leaderboard\`) | $GUIDED MB |"
echo "| REPL: commands, \`help\`, Tab completion, INFO, COMMAND DOCS (\`repl\`) | $LAB_REPL MB |"
echo "| redis-cli, the same commands without help and completion | $CLI_REPL MB |"
