#!/usr/bin/env bash
# Pipe mode (stdin not a terminal) with big replies and with many small ones, against its anchors
# in the same run on one local redis-server: redis-cli reading the same commands from stdin, and
# `redis-benchmark -c 1 -P 1000 -t set -n 100000` (the same pipeline depth on one connection).
# Wall time is hyperfine's median (stdout to /dev/null, stdin the file); peak memory is VmHWM read from /proc
# once the last line of output has arrived, while the program still waits for more input
# (benches/peak_rss.py). Prints a markdown section (benches/all.sh puts it in docs/benchmarks.md).
# Needs hyperfine, redis-server, redis-cli, redis-benchmark, python3.
#   bash benches/pipe.sh            (RUNS=n for more repeats, LAB=path to test another build)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
if [ -z "${LAB:-}" ]; then
  cargo build --release -q
  LAB=$PWD/target/release/redis-lab
fi
RUNS=${RUNS:-5}
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --daemonize no >/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
until redis-cli -p "$PORT" PING >/dev/null 2>&1; do sleep 0.02; done
URL=redis://127.0.0.1:$PORT
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# list1k and list10k: strings of 15 bytes; big: 100 MiB of printable bytes.
python3 - "$PORT" "$WORK" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
value = (b"0123456789abcdef" * (104857600 // 16 + 1))[:104857600]
sent = [cmd("SET", "big", value),
        cmd("RPUSH", "list1k", *[f"element:{i:07d}" for i in range(1000)])]
for start in range(0, 10000, 1000):
    sent.append(cmd("RPUSH", "list10k", *[f"element:{i:07d}" for i in range(start, start + 1000)]))
s.sendall(b"".join(sent))
f = s.makefile("rb")
for _ in sent:
    f.readline()
work = sys.argv[2]
open(f"{work}/lrange1k.txt", "w").write("LRANGE list1k 0 -1\n" * 1000)
open(f"{work}/lrange10k.txt", "w").write("LRANGE list10k 0 -1\n" * 1000)
open(f"{work}/get.txt", "w").write("GET big\n")
# The key and value redis-benchmark -t set sends (-d 3: "xxx").
open(f"{work}/sets.txt", "w").write("SET key:__rand_int__ xxx\n" * 100000)
PY

median() { # json -> "wall ms (CPU ms)" for each command: hyperfine's median wall time, mean user+system
  python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.1f(%.0f)" % (r["median"] * 1000, (r["user"] + r["system"]) * 1000) for r in results))
PY
}
wall() { echo "${1%%(*}"; }
cpu() { local c=${1#*(}; echo "${c%)}"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$(wall "$1")" "$(wall "$2")"; }
shown() { echo "$(wall "$1") ms (CPU $(cpu "$1") ms)"; }
peak() { # input-file output-lines command... -> peak MB
  python3 benches/peak_rss.py pipe "$1" "$2" -- "${@:3}"
}
times() { # name runs input-file extra-lab-args -> "cli_ms lab_ms"
  hyperfine --warmup 1 --runs "$2" --export-json "$WORK/$1.json" \
    "redis-cli -p $PORT < $WORK/$3" "$LAB repl --url $URL $4 < $WORK/$3" >/dev/null 2>&1
  median "$WORK/$1.json"
}

rows=()
for list in 1k 10k; do
  elements=$([ $list = 1k ] && echo 1000 || echo 10000)
  read -r CLI LAB_MS < <(times "lrange$list" "$RUNS" "lrange$list.txt" "")
  CLI_MEM=$(peak "$WORK/lrange$list.txt" $((elements * 1000)) redis-cli -p "$PORT")
  LAB_MEM=$(peak "$WORK/lrange$list.txt" $((elements * 1000)) "$LAB" repl --url "$URL")
  rows+=("| 1,000 × \`LRANGE\` of a ${list/k/,000}-element list, raw | $(shown "$CLI"), $CLI_MEM MB | $(shown "$LAB_MS"), $LAB_MEM MB | $(ratio "$LAB_MS" "$CLI") | $(ratio "$LAB_MEM" "$CLI_MEM") |")
done
# The human format off a terminal: redis-cli with FAKETTY, redis-lab with --no-raw.
hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/human.json" \
  "FAKETTY=1 redis-cli -p $PORT < $WORK/lrange1k.txt" \
  "$LAB repl --url $URL --no-raw < $WORK/lrange1k.txt" >/dev/null 2>&1
read -r CLI LAB_MS < <(median "$WORK/human.json")
rows+=("| 1,000 × \`LRANGE\` of a 1,000-element list, human format | $(shown "$CLI") | $(shown "$LAB_MS") | $(ratio "$LAB_MS" "$CLI") | |")
read -r CLI LAB_MS < <(times get "$RUNS" get.txt "")
CLI_MEM=$(peak "$WORK/get.txt" 1 redis-cli -p "$PORT")
LAB_MEM=$(peak "$WORK/get.txt" 1 "$LAB" repl --url "$URL")
rows+=("| one \`GET\` of a 100 MiB string, raw | $(shown "$CLI"), $CLI_MEM MB | $(shown "$LAB_MS"), $LAB_MEM MB | $(ratio "$LAB_MS" "$CLI") | $(ratio "$LAB_MEM" "$CLI_MEM") |")
read -r CLI LAB_MS < <(times sets 3 sets.txt "")
CLI_MEM=$(peak "$WORK/sets.txt" 100000 redis-cli -p "$PORT")
LAB_MEM=$(peak "$WORK/sets.txt" 100000 "$LAB" repl --url "$URL")
rows+=("| 100,000 \`SET\`s | $(shown "$CLI"), $CLI_MEM MB | $(shown "$LAB_MS"), $LAB_MEM MB | $(ratio "$LAB_MS" "$CLI") | $(ratio "$LAB_MEM" "$CLI_MEM") |")
hyperfine --warmup 2 --runs $((RUNS * 2)) --export-json "$WORK/bench.json" \
  "redis-benchmark -p $PORT -c 1 -P 1000 -t set -n 100000 -q" \
  "$LAB repl --url $URL < $WORK/sets.txt" >/dev/null 2>&1
read -r BENCH LAB_SETS < <(median "$WORK/bench.json")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo "## Pipe mode: big replies and many commands"
echo
echo "\`bash benches/pipe.sh\`: one local redis-server, stdin a file of commands, stdout /dev/null"
echo "(time: hyperfine median of $RUNS runs, 3 for redis-cli's SETs, with the client's own CPU time,"
echo "user+system, which a busy machine disturbs less) or a pipe read to the end (peak memory: VmHWM"
echo "once the last line is out). Ratios are redis-lab / anchor, of wall time. Load average (1, 5,"
echo "15 min) before and after: $LOAD_BEFORE; $LOAD_AFTER."
echo
echo "| commands on stdin | redis-cli | redis-lab | time ratio | memory ratio |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| 100,000 SETs, one connection, 1,000 in flight | redis-benchmark -c 1 -P 1000 -t set | redis-lab (stdin) | ratio |"
echo "|---|---|---|---|"
echo "| wall time, median of $((RUNS * 2)) (CPU: user+system, mean) | $(shown "$BENCH") | $(shown "$LAB_SETS") | $(ratio "$LAB_SETS" "$BENCH") |"
