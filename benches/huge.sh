#!/usr/bin/env bash
# Huge replies: peak memory (VmHWM via wait4's ru_maxrss) and wall time of redis-lab repl and
# redis-cli for GET of a 100 MB string and LRANGE of a 1,000,000-element list, on a terminal (a
# pty, interactive, then PING to know the reply is done) and in pipe mode (stdin a pipe, stdout
# /dev/null). Both against one local redis-server, in the same run. Prints a markdown section.
# Needs redis-server, redis-cli, python3.   bash benches/huge.sh   (LAB=path to test another build,
# MODES=pipe or MODES=terminal for one mode only)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LAB:-}" ]; then
  cargo build --release -q
  LAB=$PWD/target/release/redis-lab
fi
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --daemonize no >/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
until redis-cli -p "$PORT" PING >/dev/null 2>&1; do sleep 0.02; done
URL=redis://127.0.0.1:$PORT

# 100 MiB of printable bytes (a repeated pattern, so redis-cli's quoting does not inflate it) and
# 1,000,000 short strings, sent as RESP in a few pipelined writes.
python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
value = (b"0123456789abcdef" * (104857600 // 16 + 1))[:104857600]
s.sendall(cmd("SET", "big", value))
batch = []
for start in range(0, 1_000_000, 1000):
    batch.append(cmd("RPUSH", "biglist", *[f"element:{i:07d}" for i in range(start, start + 1000)]))
s.sendall(b"".join(batch))
f = s.makefile("rb")
for _ in range(1 + len(batch)):
    f.readline()
PY

# measure MODE PROGRAM COMMAND... -> "peak_MB seconds"
measure() {
  python3 - "$@" <<'PY'
import fcntl, os, pty, re, select, struct, subprocess, sys, termios, time
mode, command, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.monotonic()
if mode == "pipe":
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    child.stdin.write((command + "\n").encode())
    child.stdin.close()
    _, _, usage = os.wait4(child.pid, 0)
    print(f"{usage.ru_maxrss / 1024:.0f} {time.monotonic() - start:.1f}")
    sys.exit()
env = dict(os.environ, NO_COLOR="1", TERM="xterm", REDIS_LAB_DATA_DIR=os.environ["WORK"])
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(argv[0], argv, env)
# A pty starts 0x0: redis-cli would ask the terminal for its size and wait for an answer.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
prompt = argv[-1].encode()  # --url redis://127.0.0.1:PORT or -p PORT: both end with the port
def at_end(marker, tail):
    """`marker` is the last thing shown (escape sequences aside): not the echo of a typed line."""
    at = tail.rfind(marker)
    rest = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", tail[at + len(marker):]) if at >= 0 else b"x"
    return rest.strip() == b""
def until(marker, quiet=0.0, limit=300):
    """Reads (and drops) output until `marker` is in its last bytes and nothing more came for
    `quiet` seconds; returns when the last output arrived."""
    tail, last, deadline = b"", time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(quiet, 0.2))
        if not ready:
            if at_end(marker, tail):
                return last
            continue
        try:
            data = os.read(fd, 1 << 16)
        except OSError:
            return last
        if not data:
            return last
        tail, last = (tail + data)[-4096:], time.monotonic()
        if quiet == 0 and marker in tail:
            return last
    raise SystemExit(f"timed out waiting for {marker!r}")
until(b":" + prompt.split(b":")[-1] + b"> ", quiet=0.5)
start = time.monotonic()
os.write(fd, (command + "\r").encode())
# The prompt back at the end of the output, and quiet: the whole reply was printed. (Typing ahead
# does not work: redis-cli's line editor flushes pending input when it leaves raw mode.)
elapsed = until(b":" + prompt.split(b":")[-1] + b"> ", quiet=1.0) - start
os.write(fd, b"PING\r")
until(b"PONG")
os.write(fd, b"quit\r")
until(b"\0never", quiet=0.2, limit=30)
_, _, usage = os.wait4(pid, 0)
print(f"{usage.ru_maxrss / 1024:.0f} {elapsed:.1f}")
PY
}
export WORK
rows=()
for mode in ${MODES:-terminal pipe}; do
  for command in "GET big" "LRANGE biglist 0 -1"; do
    read -r CLI_MEM CLI_S < <(measure "$mode" "$command" redis-cli -p "$PORT")
    read -r LAB_MEM LAB_S < <(measure "$mode" "$command" "$LAB" repl --url "$URL")
    rows+=("| \`$command\`, $mode | $CLI_MEM MB, $CLI_S s | $LAB_MEM MB, $LAB_S s |")
  done
done

echo "## Huge replies"
echo
echo "One local redis-server, \`big\` a 100 MiB string, \`biglist\` 1,000,000 strings of 15 bytes."
echo "Peak resident memory (ru_maxrss) and wall time from sending the command until the prompt is"
echo "back and quiet (terminal: an interactive session in a 200x50 pty, its output read and dropped)"
echo "or the program exits (pipe: \`echo CMD | program > /dev/null\`)."
echo
echo "| reply, mode | redis-cli | redis-lab |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "On a terminal redis-lab prints the first 1,000 lines or 64 KiB and a footer saying what it left"
echo "out; redis-cli prints everything. In pipe mode both print everything, byte for byte the same."
