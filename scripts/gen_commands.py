#!/usr/bin/env python3
"""Writes src/lesson/commands.txt: every command of the local redis-server with its flags, and
src/lesson/command_syntax.txt: each command's arity (COMMAND INFO) and arguments (COMMAND DOCS).

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
    if t == b"%":
        n = int(rest)
        out = {}
        for _ in range(n):
            k = read(f); out[k] = read(f)
        return out
    if t == b"$":
        n = int(rest)
        if n < 0: return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b"_": return None
    if t == b"#": return rest == b"t"
    if t == b",": return float(rest)
    if t in (b"*", b"~"):
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
        # Arity and arguments, one command a line: `zadd -4 K ('NX'|'XX')? ... {D S}+`.
        # K key, S string, I integer, D double, P pattern, T unix-time; 'TOKEN' a pure token,
        # 'TOKEN'=X a token and its value; (a|b) one of; {a b} a block; suffixes ? optional,
        # + multiple, & the token repeats with each (multiple_token).
        c.sendall(b"HELLO 3\r\n"); read(f)
        c.sendall(b"COMMAND DOCS\r\n")
        docs = read(f)
        letters = {"key": "K", "string": "S", "integer": "I", "double": "D", "pattern": "P", "unix-time": "T"}
        def arg_text(a):
            kind, token, flags = a["type"], a.get("token"), a.get("flags", [])
            if token is not None:
                assert "'" not in token and " " not in token, token
            if kind == "pure-token":
                body = f"'{token}'"
            else:
                if kind == "oneof":
                    inner = "(" + "|".join(arg_text(x) for x in a["arguments"]) + ")"
                elif kind == "block":
                    inner = "{" + " ".join(arg_text(x) for x in a["arguments"]) + "}"
                else:
                    inner = letters[kind]
                body = f"'{token}'={inner}" if token is not None else inner
            if "optional" in flags: body += "?"
            if "multiple" in flags: body += "+"
            if "multiple_token" in flags: body += "&"
            return body
        arity = {}
        def collect(info):
            arity[info[0].lower()] = info[1]
            for sub in (info[9] if len(info) > 9 and info[9] else []):
                collect(sub)
        for info in infos:
            collect(info)
        syntax = [f"# Arity and arguments of redis-server {version} (scripts/gen_commands.py)"]
        def emit_doc(name, doc):
            args = " ".join(arg_text(a) for a in doc.get("arguments", []))
            syntax.append(f"{name} {arity.get(name, 0)} {args}".rstrip())
            for sub, sub_doc in sorted((doc.get("subcommands") or {}).items()):
                emit_doc(sub.lower(), sub_doc)
        for name, doc in sorted(docs.items()):
            emit_doc(name.lower(), doc)
        out = out.with_name("command_syntax.txt")
        out.write_text("\n".join(syntax) + "\n")
        print(f"{len(syntax) - 1} syntaxes -> {out}")
    finally:
        p.kill(); p.wait()

main()
