# Copyright 2026 the xenpv authors. MIT license.
# The pexpect side of bench/session_compare.ts: log in to the simulated
# Windows guest through the simulated xenconsoled's pty and run the same
# marker protocol xenpv's run() uses, N times. Prints JSON.
import json, os, re, sys, time, tty
import pexpect
from pexpect import fdpexpect

path, user, password, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
child = fdpexpect.fdspawn(fd, encoding="utf-8", codec_errors="replace", timeout=10)

child.send("\r")
child.expect(r"login: $")
child.send(user + "\r")
child.expect(r"Password: $")
child.send(password + "\r")
child.expect(r"[A-Za-z]:\\[^\r\n>]*>$")

def run(i, command):
    tag = "PX%d" % i
    child.send("echo %s^B& ver>nul& %s& echo %s^E\r" % (tag, command, tag))
    child.expect_exact(tag + "B\r\n")
    child.expect_exact(tag + "E\r\n")
    output = child.before
    child.send("echo %s^X%%ERRORLEVEL%%\r" % tag)
    child.expect(re.escape(tag) + r"X(-?\d+)\r\n")
    return output, int(child.match.group(1))

for i in range(20):  # warm up
    run(i, "hostname")
start = time.perf_counter()
for i in range(n):
    output, code = run(1000 + i, "hostname")
    assert output.strip() and code == 0, (output, code)
elapsed = time.perf_counter() - start
child.send("exit\r")
child.expect(r"login: $")
os.close(fd)
print(json.dumps({"runs": n, "seconds": elapsed, "per_second": n / elapsed}))
