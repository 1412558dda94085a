#!/usr/bin/env python3
# Copyright 2026 the xenpv authors. MIT license.
"""A stand-in for the XENCONS tty helper in front of Wine's cmd.exe.

The console is this program's stdin (what is typed) and stdout (what the
guest prints), a plain byte stream. Like the helper (xcp-ng/win-xencons
src/tty; sim/windows/windows_guest.ts simulates it), it prints
``\\r\\n[ATTACHED]\\r\\n``, ``\\r\\n<HOST> login: `` and ``Password: `` (not
echoed), checks one fixed account, then runs ``cmd.exe /q /a`` with its
standard input and output on pipes, doing the line discipline itself:
printable characters echo, DEL erases, other control characters echo as
``^X``, CR ends a line (``\\r\\n`` goes to cmd), whatever followed the CR in
the same read is dropped, a line reaching 1023 characters without a CR is
dropped, and ^C drops the line and sends a console control event. When
cmd.exe ends, the login prompt comes back (the monitor restarts the helper).

Wine differences it has to bridge (docs/testing.md lists them):
- Windows gives cmd.exe a console of its own (the helper's process has
  one) while its standard handles are pipes. Wine creates a console for a
  process only when one of its unix fds 0-2 is a tty, so ``wine`` gets a
  pty as fd 2 (its conhost draws on it; we drain and discard that), and
  cmd.exe runs under ``cmd.exe /c "... cmd.exe /q /a 2>&1"`` so that its own
  standard error is the output pipe, as the helper's is.
- Windows' helper sends CTRL_BREAK_EVENT with GenerateConsoleCtrlEvent; no
  Windows program here can, so ^C sends SIGINT, which Wine turns into a
  CTRL_C_EVENT for that process, to every process of the console except
  cmd.exe and the console itself: Wine's cmd.exe installs no control
  handler and would end (Windows' cmd.exe survives a control event).

Usage: _wine_helper.py HOST USER PASSWORD   (WINEPREFIX in the environment)
"""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading

WINE = "/usr/lib/wine/wine64"
HELPER_LINE = 1023  # the helper keeps 1023 characters per line, Enter included
CREDENTIAL_LINE = 256

host, user, password = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
out_lock = threading.Lock()


def write(data: bytes) -> None:
    with out_lock:
        os.write(1, data)


def read_chunk() -> bytes:
    try:
        return os.read(0, 4096)
    except OSError:
        return b""


class LineEditor:
    """The helper's line editor: one read at a time, a line ends with CR or ^C."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, chunk: bytes, echo: bool, limit: int):
        """Yields ("line", bytes), ("break", b"") or ("full", b"") as lines end."""
        for byte in chunk:
            if byte >= 0x20 and byte != 0x7F:
                if echo:
                    write(bytes([byte]))
                self.buffer.append(byte)
            elif byte == 0x7F:
                if self.buffer:
                    removed = self.buffer.pop()
                    if removed < 0x20:
                        write(b"\b\b  \b\b")
                    elif echo:
                        write(b"\b \b")
            elif byte in (0x0D, 0x03):
                line = bytes(self.buffer)
                self.buffer.clear()
                write(b"\r\n")
                yield ("line", line) if byte == 0x0D else ("break", b"")
                return  # the rest of this read is lost, as the helper loses it
            else:
                write(b"^" + bytes([byte + 0x40]))
                self.buffer.append(byte)
            if len(self.buffer) >= limit:
                self.buffer.clear()
                write(b"\r\n")
                yield ("full", b"")
                return


def read_line(editor: LineEditor, echo: bool) -> bytes | None:
    """A credential line; None for ^C, a full buffer or the end of the console."""
    while True:
        chunk = read_chunk()
        if not chunk:
            raise EOFError
        for kind, line in editor.feed(chunk, echo, CREDENTIAL_LINE):
            return line if kind == "line" else None


def console_processes(session: int) -> list[tuple[int, str]]:
    """The unix processes of cmd.exe's console (Wine keeps the session id)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            if os.getsid(pid) != session:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                found.append((pid, f.read().replace(b"\0", b" ").decode(errors="replace")))
        except OSError:
            continue
    return found


# What a control event must not reach: the console, start.exe, and cmd.exe itself.
SPARED = re.compile(r"(^|\\)(conhost|start|cmd)(\.exe)?( |$)", re.I)


def ctrl_event(shell: subprocess.Popen) -> None:
    for pid, command in console_processes(os.getsid(shell.pid)):
        if pid != shell.pid and not SPARED.search(command):
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass


def run_shell() -> bool:
    """cmd.exe until it ends; False when the console ended first."""
    master, slave = pty.openpty()
    shell = subprocess.Popen(
        [WINE, "cmd.exe", "/c", "cd /d %USERPROFILE%& cmd.exe /q /a 2>&1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=slave,
        start_new_session=True,
        bufsize=0,
    )
    os.close(slave)

    def pump() -> None:
        while True:
            data = os.read(shell.stdout.fileno(), 4096)
            if not data:
                return
            write(data)

    def drain_console() -> None:
        while True:
            try:
                if not os.read(master, 4096):
                    return
            except OSError:
                return

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    threading.Thread(target=drain_console, daemon=True).start()
    editor = LineEditor()
    console_open = True
    try:
        while pumping.is_alive():
            ready, _, _ = select.select([0], [], [], 0.05)
            if not ready:
                continue
            chunk = read_chunk()
            if not chunk:
                console_open = False
                break
            for kind, line in editor.feed(chunk, True, HELPER_LINE):
                if kind == "line":
                    try:
                        shell.stdin.write(line + b"\r\n")
                    except OSError:
                        pass
                elif kind == "break":
                    ctrl_event(shell)
    finally:
        try:
            shell.stdin.close()
        except OSError:
            pass
        if not console_open:
            shell.kill()
        shell.wait()
        pumping.join(timeout=5)
        os.close(master)
    return console_open


def main() -> None:
    write(b"\r\n[ATTACHED]\r\n")
    try:
        while True:
            editor = LineEditor()
            write(f"\r\n{host} login: ".encode())
            name = read_line(editor, True)
            if not name:
                continue
            write(b"Password: ")
            secret = read_line(editor, False)
            if secret is None or name.lower() != user.lower() or secret != password:
                continue  # LogonUser failed: the helper exits, the monitor restarts it
            if not run_shell():
                return
    except EOFError:
        return


if __name__ == "__main__":
    main()
