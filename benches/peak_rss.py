#!/usr/bin/env python3
"""Peak resident memory (VmHWM) of a program while it works, in MB.

  peak_rss.py pty  LINES-FILE            -- COMMAND...   types each line into a pseudo-terminal
  peak_rss.py pipe INPUT-FILE OUT-LINES  -- COMMAND...   feeds the file on stdin, waits for OUT-LINES
  peak_rss.py pipe INPUT-FILE 0          -- COMMAND...   for programs that read all of stdin before
                                                          answering (iredis): closes stdin and reads
                                                          VmHWM every 5 ms until the program exits

VmHWM is read from /proc while the program still runs (before Ctrl-D / end of input).
getrusage() would be wrong here: the child's maxrss includes the forked Python image it was
before exec.
"""
import os, pty, select, subprocess, sys, threading, time


def vmhwm_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM")


def drain(fd, quiet, limit=30.0):
    """Reads until the program has been quiet for `quiet` seconds; answers cursor queries."""
    out = b""
    end, last = time.time() + limit, time.time()
    while time.time() < end and time.time() - last < quiet:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
        last = time.time()
        if b"\x1b[6n" in data:  # a line editor asking where the cursor is
            os.write(fd, b"\x1b[1;1R")
    return out


def main():
    mode, rest = sys.argv[1], sys.argv[2:]
    split = rest.index("--")
    args, command = rest[:split], rest[split + 1:]
    if mode == "pty":
        lines = open(args[0]).read().splitlines()
        master, slave = pty.openpty()
        proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        drain(master, 1.0)
        for line in lines:
            os.write(master, line.encode().replace(b"<TAB>", b"\t") + b"\r")
            drain(master, 0.3)
        peak = vmhwm_mb(proc.pid)
        os.write(master, b"\x04")
        drain(master, 0.5)
    else:
        path, want = args[0], int(args[1])
        if want == 0:
            with open(path, "rb") as stdin:
                proc = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL)
            peak = 0.0
            while proc.poll() is None:
                try:
                    peak = max(peak, vmhwm_mb(proc.pid))
                except (OSError, SystemExit):  # exited (or a zombie) between poll and read
                    break
                time.sleep(0.005)
            print(f"{peak:.1f}")
            return
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        # Fed from a thread: a big input and a big output would otherwise block each other.
        data = open(path, "rb").read()
        feeder = threading.Thread(target=lambda: (proc.stdin.write(data), proc.stdin.flush()))
        feeder.start()
        seen = 0
        while seen < want:
            chunk = proc.stdout.read1(65536)
            if not chunk:
                break
            seen += chunk.count(b"\n")
        peak = vmhwm_mb(proc.pid)
        feeder.join()
        proc.stdin.close()
        proc.stdout.read()
    proc.wait(timeout=30)
    print(f"{peak:.1f}")


main()
