#!/usr/bin/env bash
# How fast a lesson starts, against `repl` (the anchor: the same sandbox start, no lesson) and
# `redis-cli --version` (the anchor for commands that only load lessons), in one run. Prints a
# markdown section. Run on demand (not part of `cargo test`):  bash benches/start.sh
#   BEFORE=/path/to/an/older/redis-lab bash benches/start.sh   adds its numbers, measured in the
#   same run, interleaved with this build's, so both see the same load.
#   ROUNDS=15 (pty launches per command), RUNS=30 (hyperfine runs).
# Needs: hyperfine, redis-server, redis-cli, python3.
# The medians are of interleaved rounds: on a machine that other work keeps busy, the ratio to
# the anchor of the same run is the number to compare, not the milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install -y hyperfine" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || cargo build --release -q
LAB=${LAB:-$PWD/target/release/redis-lab}
BEFORE=${BEFORE:-}
ROUNDS=${ROUNDS:-15}
RUNS=${RUNS:-30}
export WORK; WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export REDIS_LAB_DATA_DIR="$WORK/data"
LESSON=strings-counters

# Launch to first prompt, on a pseudo-terminal as a learner sees it: the time from starting the
# program until its output ends with a prompt ("> ") and stays quiet. Then Ctrl-D, and the next.
first_prompt() { # label=command ... -> "label median_ms" per line
  python3 - "$ROUNDS" "$@" <<'PY'
import os, pty, select, statistics, sys, time, fcntl, termios, struct, re
rounds, specs = int(sys.argv[1]), sys.argv[2:]
env = dict(os.environ, NO_COLOR="1", TERM="xterm")
def launch(argv):
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    tail, last, deadline = b"", start, start + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.3)
        shown = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\r", b"", tail).rstrip(b" ")
        if not ready and shown.endswith(b">"):
            break
        if ready:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                raise SystemExit(f"{argv} ended before a prompt: {tail[-300:]!r}")
            tail, last = (tail + data)[-4096:], time.monotonic()
    else:
        raise SystemExit(f"{argv}: no prompt within 60 s: {tail[-300:]!r}")
    os.write(fd, b"\x04")  # Ctrl-D: leave (the sandbox is stopped on the way out)
    while True:
        try:
            if not os.read(fd, 1 << 16):
                break
        except OSError:
            break
    os.waitpid(pid, 0)
    return (last - start) * 1000
times = {spec: [] for spec in specs}
for _ in range(rounds):
    for spec in specs:  # interleaved: each command sees the same load
        times[spec].append(launch(spec.split("=", 1)[1].split()))
for spec in specs:
    print(spec.split("=", 1)[0], f"{statistics.median(times[spec]):.1f}")
PY
}

median_ms() { # json -> one median per command, in ms
  python3 - "$1" <<'PY'
import json, sys
print(" ".join("%.1f" % (r["median"] * 1000) for r in json.load(open(sys.argv[1]))["results"]))
PY
}

SPECS=("repl=$LAB repl" "lesson=$LAB lesson $LESSON")
[ -n "$BEFORE" ] && SPECS+=("repl_before=$BEFORE repl" "lesson_before=$BEFORE lesson $LESSON")
declare -A PROMPT
while read -r label ms; do PROMPT[$label]=$ms; done < <(first_prompt "${SPECS[@]}")

CMDS=("redis-cli --version" "$LAB lesson no-such-lesson" "$LAB check --offline")
[ -n "$BEFORE" ] && CMDS+=("$BEFORE lesson no-such-lesson" "$BEFORE check --offline")
hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$WORK/cmds.json" "${CMDS[@]}" >/dev/null 2>&1
read -r -a MS < <(median_ms "$WORK/cmds.json")

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
diff_ms() { python3 -c "import sys; print(f'{float(sys.argv[1])-float(sys.argv[2]):+.1f}')" "$1" "$2"; }
{
  echo "## Starting a lesson"
  echo
  echo "Medians of $ROUNDS interleaved launches on a pseudo-terminal (first prompt) and of $RUNS hyperfine"
  echo "runs; ratios are to the anchor of the same run."
  echo
  echo "| measurement | anchor | this build | ratio | before | ratio |"
  echo "|---|---|---|---|---|---|"
  B_LESSON="—" B_RATIO="—"
  if [ -n "$BEFORE" ]; then
    B_LESSON="${PROMPT[lesson_before]} ms ($(diff_ms "${PROMPT[lesson_before]}" "${PROMPT[repl_before]}") ms)"
    B_RATIO=$(ratio "${PROMPT[lesson_before]}" "${PROMPT[repl_before]}")
  fi
  echo "| \`lesson $LESSON\` to its first prompt, against \`repl\` to its prompt (both start a sandbox) | ${PROMPT[repl]} ms | ${PROMPT[lesson]} ms ($(diff_ms "${PROMPT[lesson]}" "${PROMPT[repl]}") ms) | $(ratio "${PROMPT[lesson]}" "${PROMPT[repl]}") | $B_LESSON | $B_RATIO |"
  B1="—" R1="—" B2="—" R2="—"
  if [ -n "$BEFORE" ]; then
    B1="${MS[3]} ms"; R1=$(ratio "${MS[3]}" "${MS[0]}")
    B2="${MS[4]} ms"; R2=$(ratio "${MS[4]}" "${MS[0]}")
  fi
  echo "| \`lesson no-such-lesson\` (answers without a server), against \`redis-cli --version\` | ${MS[0]} ms | ${MS[1]} ms | $(ratio "${MS[1]}" "${MS[0]}") | $B1 | $R1 |"
  echo "| \`check --offline\` (the built-in catalog), against \`redis-cli --version\` | ${MS[0]} ms | ${MS[2]} ms | $(ratio "${MS[2]}" "${MS[0]}") | $B2 | $R2 |"
}
