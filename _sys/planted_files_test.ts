// Copyright 2026 the xenpv authors. MIT license.
// Files a hostile user or guest may plant, written as the attack: a symlink or
// a FIFO where root creates its lock or log file (world-writable /var/lock,
// /tmp), and a console tty in xenstore that is not xenconsoled's pty.

import assert from "node:assert/strict";
import { SystemError } from "../errors.ts";
import { FileLock } from "./flock.ts";
import { acquireLibc, geteuid, releaseLibc, TCSANOW, TERMIOS_SIZE } from "./libc.ts";
import { decodeDevice, openPty, openPtyPair } from "./pty.ts";
import { lstatPath } from "./stat.ts";
import { UnixListener } from "./unix_socket.ts";
import { openAppend, readTail } from "./files.ts";
import { StdinSwap } from "../tests/_stdin.ts";

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("lock file: a planted symlink is refused and its target never created", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink(`${dir}/target`, `${dir}/xenconsole.7`);
    assert.throws(
      () => FileLock.acquire(`${dir}/xenconsole.7`, "domain 7"),
      (e) => e instanceof SystemError && e.code === "ELOOP",
    );
    assert.equal(await exists(`${dir}/target`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock file: a planted FIFO is not taken as the lock", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await mkfifo(`${dir}/xenconsole.7`);
    assert.throws(
      () => FileLock.acquire(`${dir}/xenconsole.7`, "domain 7"),
      (e) => e instanceof SystemError && /not a regular file/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock file: two holders exclude each other; released, it can be taken again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = FileLock.acquire(`${dir}/xenconsole.7`, "domain 7", { unlinkOnRelease: true });
    assert.throws(
      () => FileLock.acquire(`${dir}/xenconsole.7`, "domain 7"),
      (e) => e instanceof SystemError && e.code === "EAGAIN",
    );
    lock.release();
    FileLock.acquire(`${dir}/xenconsole.7`, "domain 7", { unlinkOnRelease: true }).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log file: a planted symlink is not followed; a FIFO with a reader is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/victim`, "keep\n");
    await Deno.symlink(`${dir}/victim`, `${dir}/console.log`);
    assert.throws(
      () => openAppend(`${dir}/console.log`),
      (e) => e instanceof SystemError && e.code === "ELOOP",
    );
    assert.equal(await Deno.readTextFile(`${dir}/victim`), "keep\n");

    await mkfifo(`${dir}/fifo.log`);
    const reader = await Deno.open(`${dir}/fifo.log`, { read: true, write: true }); // a reader holds it open
    try {
      assert.throws(
        () => openAppend(`${dir}/fifo.log`),
        (e) => e instanceof SystemError && /not a regular file/.test(e.message),
      );
    } finally {
      reader.close();
    }
    const log = openAppend(`${dir}/new.log`);
    await log.write(new TextEncoder().encode("ok\n"));
    await log.close();
    assert.equal((await Deno.stat(`${dir}/new.log`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("console tty: only a pty slave at /dev/pts/N is opened", async () => {
  const pair = openPtyPair();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink(pair.slavePath, `${dir}/tty`);
    for (const path of [`${dir}/tty`, "/dev/null", "/dev/tty", `${dir}`, "/dev/pts/../pts/0"]) {
      assert.throws(
        () => openPty(path),
        (e) => e instanceof SystemError && e.code === "ENOTTY" && /not opened/.test(e.message),
        path,
      );
    }
    const libc = acquireLibc();
    try {
      const stat = lstatPath(libc, pair.slavePath);
      assert.ok(stat.rdevMajor >= 136 && stat.rdevMajor <= 143, `major ${stat.rdevMajor}`);
    } finally {
      releaseLibc();
    }
    const tty = openPty(pair.slavePath, { owner: geteuid() });
    await tty.close();
  } finally {
    await pair.slave.close();
    await pair.master.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("console tty: a pty that is not root's is refused, its path and the fix named", async () => {
  const pair = openPtyPair();
  try {
    // Another user's terminal. (Not root: our own pty is already not root's.)
    if (geteuid() === 0) await Deno.chown(pair.slavePath, 1000, null);
    const uid = (await Deno.lstat(pair.slavePath)).uid!;
    assert.notEqual(uid, 0);
    assert.throws(
      () => openPty(pair.slavePath),
      (e) =>
        e instanceof SystemError && e.code === "ENOTTY" && e.path === pair.slavePath &&
        e.message.includes(`open ${pair.slavePath}:`) &&
        e.message.includes(`owned by uid ${uid}, not root`) &&
        /xenstore-read.*not opened/.test(e.message),
    );
    const tty = openPty(pair.slavePath, { owner: uid }); // its owner's, when that is asked for
    await tty.close();
  } finally {
    await pair.slave.close();
    await pair.master.close();
  }
});

Deno.test("console tty: our own terminal (stdin) is refused", async () => {
  const pair = openPtyPair();
  try {
    using stdin = new StdinSwap();
    stdin.put(pair.slave.fd); // the pty is now our stdin
    assert.throws(
      () => openPty(pair.slavePath, { owner: geteuid() }),
      (e) =>
        e instanceof SystemError && e.code === "ENOTTY" && e.path === pair.slavePath &&
        /own terminal .*stdin.*not opened/.test(e.message),
    );
    stdin.restore();
    const tty = openPty(pair.slavePath, { owner: geteuid() }); // no longer ours: opened
    await tty.close();
  } finally {
    await pair.slave.close();
    await pair.master.close();
  }
});

Deno.test("console tty: our controlling terminal (not on fd 0, 1 or 2) is refused", async () => {
  // A child in a session of its own (setsid) whose shell opens the pty,
  // which makes it the session's controlling terminal, then runs the check
  // with stdin /dev/null and stdout and stderr pipes: only /dev/tty leads
  // to the pty.
  const pair = openPtyPair();
  try {
    const child = new URL("../tests/_ctty_child.ts", import.meta.url).pathname;
    const out = await new Deno.Command("setsid", {
      args: [
        "-w",
        "sh",
        "-c",
        ': <"$1"; exec "$2" run --allow-ffi "$3" "$1" </dev/null',
        "sh",
        pair.slavePath,
        Deno.execPath(),
        child,
      ],
      stdin: "null",
    }).output();
    const said = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(said, /^refused: .*own terminal .*controlling tty.*not opened/);
  } finally {
    await pair.slave.close();
    await pair.master.close();
  }
});

Deno.test("console tty: TIOCGDEV's device number decoded (minor above 255)", () => {
  // What the kernel answered for /dev/pts/0 and /dev/pts/299 (a C check).
  assert.deepEqual(decodeDevice(0x8800), { major: 136, minor: 0 });
  assert.deepEqual(decodeDevice(0x10882b), { major: 136, minor: 299 });
  assert.deepEqual(decodeDevice(0xffff_ffff), { major: 0xfff, minor: 0xfffff });
});

Deno.test("console tty: the termios it changed is restored on close", async () => {
  const pair = openPtyPair(); // its slave starts raw; make it a cooked terminal
  const libc = acquireLibc();
  try {
    const ICANON = 0o2, ECHO = 0o10;
    const termios = new Uint8Array(TERMIOS_SIZE);
    assert.equal(libc.tcgetattr(pair.slave.fd, termios), 0);
    const view = new DataView(termios.buffer);
    view.setUint32(12, view.getUint32(12, true) | ICANON | ECHO, true); // c_lflag
    assert.equal(libc.tcsetattr(pair.slave.fd, TCSANOW, termios), 0);

    const tty = openPty(pair.slavePath, { owner: geteuid() });
    const during = new Uint8Array(TERMIOS_SIZE);
    libc.tcgetattr(pair.slave.fd, during);
    assert.equal(new DataView(during.buffer).getUint32(12, true) & ICANON, 0); // raw while attached
    await tty.close();
    const after = new Uint8Array(TERMIOS_SIZE);
    libc.tcgetattr(pair.slave.fd, after);
    assert.deepEqual(after, termios);
  } finally {
    releaseLibc();
    await pair.slave.close();
    await pair.master.close();
  }
});

Deno.test("socket: made 0600 whatever the umask; a file that is not a socket is never removed", async () => {
  const dir = await Deno.makeTempDir();
  const libc = acquireLibc();
  const old = libc.umask(0);
  try {
    const listener = UnixListener.listen(`${dir}/xenstored.sock`);
    try {
      assert.equal((await Deno.stat(`${dir}/xenstored.sock`)).mode! & 0o777, 0o600);
    } finally {
      await listener.close();
    }
    await Deno.writeTextFile(`${dir}/data`, "precious\n");
    assert.throws(
      () => UnixListener.listen(`${dir}/data`),
      (e) => e instanceof SystemError && e.code === "EADDRINUSE" && /not removed/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(`${dir}/data`), "precious\n");
  } finally {
    libc.umask(old);
    releaseLibc();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a path's control characters never reach an error message", () => {
  assert.throws(
    () => openPty("/dev/pts/\x1b]0;pwned\x07\u009b"),
    (e) => e instanceof SystemError && !hasControl(e.message),
  );
});

/** Whether `text` holds a C0 or C1 control character (or DEL, or U+2028). */
function hasControl(text: string): boolean {
  return [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028;
  });
}

Deno.test("log file: another user's file, a hard link and a file open to others are refused (EPERM), not appended to nor read", async () => {
  const dir = await Deno.makeTempDir();
  const root = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o1777);
    const theirs = `${dir}/theirs.log`;
    await Deno.writeTextFile(theirs, "theirs\n", { mode: 0o600 });
    await Deno.chown(theirs, 65534, 65534); // tests run as root
    await Deno.writeTextFile(`${root}/secret`, "secret\n", { mode: 0o600 });
    await Deno.link(`${root}/secret`, `${dir}/linked.log`);
    await Deno.writeTextFile(`${dir}/open.log`, "open\n");
    await Deno.chmod(`${dir}/open.log`, 0o640);
    const refused = (hint: RegExp) => (e: unknown) =>
      e instanceof SystemError && e.code === "EPERM" && hint.test(e.message);
    const cases: [string, RegExp][] = [
      [theirs, /owned by uid 65534, not by this user \(uid 0\): .*rm /],
      [`${dir}/linked.log`, /2 names \(a hard link to another file\?\): remove it/],
      [`${dir}/open.log`, /mode 0640: group or others may read or write it \(chmod 600 /],
    ];
    for (const [path, hint] of cases) {
      assert.throws(() => openAppend(path, { private: true }), refused(hint), path);
      assert.throws(() => readTail(path, 1024), refused(hint), path);
    }
    assert.equal(await Deno.readTextFile(theirs), "theirs\n");
    assert.equal(await Deno.readTextFile(`${root}/secret`), "secret\n");
    assert.equal(await Deno.readTextFile(`${dir}/open.log`), "open\n");
    // without `private`, a file of ours that others may read is appended to (attach.ts --log)
    const log = openAppend(`${dir}/open.log`);
    await log.write(new TextEncoder().encode("more\n"));
    await log.close();
    assert.throws(() => openAppend(theirs), refused(/uid 65534/));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});
