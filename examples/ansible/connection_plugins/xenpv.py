# Copyright 2026 the xenpv authors. MIT license.
"""Ansible connection plugin: a Xen guest reached through its dom0's PV console.

All console work is xenpv's: commands and files go to ``examples/run.ts
--stdio`` (one login, kept by a small control process per guest for
``persist`` seconds, as ssh's ControlPersist keeps a connection; files are
copied as cp.ts copies them). This file only carries requests between Ansible
and run.ts. See docs/fleet.md.

It also runs as that control process: ``python3 xenpv.py --control`` (the
plugin starts it; its settings and the password come on stdin).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: xenpv
short_description: reach a Xen guest through its dom0's PV console (xenpv)
description:
  - Runs commands on a Xen guest by logging in on its PV console from dom0,
    with xenpv's run.ts, which also copies files over the console. The guest
    needs no network and no sshd; the dom0 is this machine or one reached by ssh.
  - One login serves many tasks; a control process per guest keeps it for
    C(persist) seconds after the last command, then logs out.
author: the xenpv authors
version_added: "2.14"
options:
  guest:
    description: The guest's name (or domid) in its dom0.
    default: inventory_hostname
    vars: [{name: ansible_xenpv_guest}, {name: inventory_hostname}]
  dom0:
    description: The dom0 running the guest, reached with ssh; empty for this machine.
    default: ""
    vars: [{name: ansible_xenpv_dom0}]
  remote_user:
    description: The guest account to log in as.
    vars: [{name: ansible_user}]
  password:
    description: Its password (ansible_password, from a vault as usual).
    vars: [{name: ansible_password}, {name: ansible_xenpv_password}]
  dialect:
    description: The guest's console, C(linux) (getty) or C(windows) (XENCONS).
    default: linux
    vars: [{name: ansible_xenpv_dialect}]
  xenpv:
    description: The folder holding xenpv's examples/ on the dom0 (default, locally, the xenpv checkout this plugin is part of).
    vars: [{name: ansible_xenpv_path}]
  deno:
    description: The deno executable on the dom0.
    default: deno
    vars: [{name: ansible_xenpv_deno}]
  env:
    description: Environment for xenpv on the dom0 (e.g. XENSTORED_PATH), when local.
    type: dict
    default: {}
    vars: [{name: ansible_xenpv_env}]
  persist:
    description: Seconds the login is kept after the last command.
    type: int
    default: 60
    vars: [{name: ansible_xenpv_persist}]
  command_timeout:
    description: Seconds for the login and for each command (each step of a file copy).
    type: int
    default: 60
    vars: [{name: ansible_xenpv_timeout}]
  control_dir:
    description: Where the control processes' sockets go (a folder only you may open).
    default: ~/.ansible/cp
    vars: [{name: ansible_xenpv_control_dir}]
"""

import base64
import fcntl
import hashlib
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))


def _xenpv_argv(settings, cli, args):
    """The command line running examples/<cli> with args, locally or over ssh."""
    base = [settings["deno"], "run", "--allow-ffi",
            os.path.join(settings["xenpv"], "examples", cli)] + args
    if not settings["dom0"]:
        return base
    return ["ssh", "-T", "-o", "BatchMode=yes", settings["dom0"], "--",
            " ".join(shlex.quote(a) for a in base)]


# ---------------------------------------------------------------- control
# A process per guest: owns `run.ts --stdio`, serves one request at a time
# on a unix socket only its user may open, exits after `persist` idle seconds.

def _control():
    settings = json.loads(sys.stdin.readline())
    password = settings.pop("password")
    path = settings["socket"]
    args = ["--stdio", "--dialect", settings["dialect"], "--timeout", str(settings["timeout"])]
    if password is not None:
        args += ["--user", settings["user"], "--password-stdin"]
    elif settings["user"]:
        args += ["--user", settings["user"]]
    env = dict(os.environ, **settings["env"])
    errors = open(path + ".log", "wb")  # xenpv's messages (never the password)
    os.chmod(path + ".log", 0o600)
    xenpv = subprocess.Popen(_xenpv_argv(settings, "run.ts", args + [settings["guest"]]),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                             env=env)
    if password is not None:
        xenpv.stdin.write(password.encode() + b"\n")
        xenpv.stdin.flush()
    del password
    ready = xenpv.stdout.readline()
    if not ready.startswith(b'{"ready":true'):
        xenpv.wait()
        errors.close()
        with open(path + ".log", "rb") as f:
            said = f.read().decode(errors="replace").strip()
        sys.stdout.write("failed " + (said or "xenpv exited %s" % xenpv.returncode) + "\n")
        return 1
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(8)
    with open(path + ".pid", "w") as f:
        f.write("%d\n" % os.getpid())
    # SIGTERM ends it as the idle time does: run.ts logs out first
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    os.dup2(os.open(os.devnull, os.O_RDWR), 1)
    try:
        while True:
            readable, _, _ = select.select([server], [], [], settings["persist"])
            if not readable:
                break  # idle: log out
            conn, _ = server.accept()
            with conn:
                request = conn.makefile("rb").readline()
                xenpv.stdin.write(request.rstrip(b"\n") + b"\n")
                xenpv.stdin.flush()
                answer = xenpv.stdout.readline()
                if not answer or b'"ended":true' in answer:
                    # the shell ended (exit N) or was lost: gone before the
                    # answer goes out, so the next task logs in afresh
                    os.unlink(path)
                    xenpv.stdin.close()
                    xenpv.wait()
                    conn.sendall(answer)
                    return 0
                conn.sendall(answer)
    finally:
        for leftover in (path, path + ".pid"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        server.close()
        if not xenpv.stdin.closed:
            xenpv.stdin.close()  # run.ts logs out and exits
        xenpv.wait()
    return 0


if __name__ == "__main__" and sys.argv[1:] == ["--control"]:
    sys.exit(_control())

# ---------------------------------------------------------------- plugin

from ansible.errors import AnsibleConnectionFailure, AnsibleError  # noqa: E402
from ansible.module_utils.common.text.converters import to_bytes, to_text  # noqa: E402
from ansible.plugins.connection import ConnectionBase  # noqa: E402


class Connection(ConnectionBase):
    """A guest's shell on its PV console, through xenpv."""

    transport = "xenpv"
    has_pipelining = False

    def _settings(self):
        xenpv = self.get_option("xenpv")
        return {
            "guest": self.get_option("guest") or self._play_context.remote_addr,
            "dom0": self.get_option("dom0") or "",
            "user": self.get_option("remote_user") or self._play_context.remote_user,
            "dialect": self.get_option("dialect"),
            "xenpv": xenpv or CHECKOUT,
            "deno": self.get_option("deno"),
            "env": self.get_option("env") or {},
            "persist": int(self.get_option("persist")),
            "timeout": int(self.get_option("command_timeout")),
        }

    def _connect(self):
        if self._connected:
            return self
        settings = self._settings()
        key = json.dumps(settings, sort_keys=True).encode()
        folder = os.path.expanduser(self.get_option("control_dir"))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self._socket = os.path.join(folder, "xenpv-" + hashlib.sha256(key).hexdigest()[:16])
        with open(self._socket + ".lock", "w") as lock:
            lock.write(key.decode() + "\n")  # what the control process serves (no password)
            lock.flush()
            fcntl.flock(lock, fcntl.LOCK_EX)  # one control process per guest
            if not os.path.exists(self._socket):
                self._start_control(settings)
        self._connected = True
        return self

    def _start_control(self, settings):
        password = self.get_option("password") or self._play_context.password
        control = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--control"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        hello = json.dumps(dict(settings, socket=self._socket, password=password))
        control.stdin.write(hello.encode() + b"\n")
        control.stdin.close()
        said = to_text(control.stdout.readline()).strip()
        control.stdout.close()
        if said != "ready":
            control.wait()
            raise AnsibleConnectionFailure("xenpv: could not log in to %s: %s"
                                           % (settings["guest"], said[len("failed "):] or "no answer"))
        self._display.vvv("xenpv: logged in to %s" % settings["guest"], host=settings["guest"])

    def _request(self, request):
        for attempt in (1, 2):  # the control process may just have gone idle
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.connect(self._socket)
                    conn.sendall(json.dumps(request).encode() + b"\n")
                    answer = conn.makefile("rb").readline()
                if answer:
                    return json.loads(answer)
            except (ConnectionRefusedError, FileNotFoundError):
                pass
            if attempt == 1:
                self._connected = False
                if os.path.exists(self._socket):
                    os.unlink(self._socket)  # a stale socket of a gone control process
                self._connect()
        raise AnsibleConnectionFailure("xenpv: the console session of %s ended" % self._socket)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if in_data is not None:
            raise AnsibleError("xenpv types commands on a console: it cannot pipe data into one")
        self._display.vvv("xenpv EXEC %s" % cmd, host=self._play_context.remote_addr)
        answer = self._request({"command": to_text(cmd)})
        if "error" in answer:
            raise AnsibleConnectionFailure("xenpv: %s" % answer["error"]["message"])
        # a console has one stream: stderr is in stdout, as the guest printed them
        return answer["exitCode"], to_bytes(answer["output"]), b""

    def _answer(self, request, what):
        answer = self._request(request)
        if "error" in answer:
            raise AnsibleError("xenpv: %s: %s" % (what, answer["error"]["message"]))
        return answer

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        # through the kept login: a second client would find the console busy
        with open(in_path, "rb") as f:
            data = base64.b64encode(f.read()).decode()
        self._connect()
        self._answer({"put": {"to": to_text(out_path), "base64": data}},
                     "copying %s to %s" % (in_path, out_path))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._connect()
        answer = self._answer({"get": {"from": to_text(in_path)}},
                              "copying %s from the guest" % in_path)
        temp = out_path + ".xenpv-part"
        with open(temp, "wb") as f:
            f.write(base64.b64decode(answer["base64"]))
        os.replace(temp, out_path)

    def close(self):
        # the control process keeps the login for `persist` seconds: the next
        # task (another worker process) reuses it
        self._connected = False
