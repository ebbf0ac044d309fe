#!/usr/bin/env python3
"""Writes src/lesson/commands.txt: every command of the local redis-server with its flags.

`redis-lab check` uses the live server's COMMAND INFO when it can start one, and this list when it
cannot. Regenerate with a newer redis-server to learn newer commands:
    python3 scripts/gen_commands.py
"""
import os, socket, subprocess, tempfile, time
from pathlib import Path

def read(f):
    line = f.readline().rstrip(b"\r\n")
    t, rest = line[:1], line[1:]
    if t in (b"+", b"-"): return rest.decode()
    if t == b":": return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0: return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [read(f) for _ in range(n)]
    raise ValueError(line)

def main():
    port = 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    d = tempfile.mkdtemp()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--dir", d], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = socket.create_connection(("127.0.0.1", port)); break
            except OSError: time.sleep(0.02)
        f = c.makefile("rb")
        c.sendall(b"INFO server\r\n"); version = [l for l in read(f).splitlines() if l.startswith("redis_version:")][0].split(":")[1]
        c.sendall(b"COMMAND INFO\r\n")
        infos = read(f)
        lines = [f"# Commands of redis-server {version} and their flags (scripts/gen_commands.py)"]
        def emit(info):
            name, flags = info[0].lower(), ",".join(sorted(info[2]))
            lines.append(f"{name} {flags}")
            for sub in (info[9] if len(info) > 9 and info[9] else []):
                emit(sub)
        for info in sorted(infos, key=lambda i: i[0]):
            emit(info)
        out = Path(__file__).resolve().parent.parent / "src" / "lesson" / "commands.txt"
        out.write_text("\n".join(lines) + "\n")
        print(f"{len(lines) - 1} commands from redis {version} -> {out}")
    finally:
        p.kill(); p.wait()

main()
