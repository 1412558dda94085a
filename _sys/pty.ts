// Copyright 2026 the xenpv authors. MIT license.
// Pseudo-terminals through libc: a master (for a simulated xenconsoled) and
// opening an existing pty path raw (what `xl console` does with the tty
// xenconsoled publishes).

import {
  acquireLibc,
  cString,
  errno,
  lastError,
  type Libc,
  O_CLOEXEC,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDWR,
  releaseLibc,
  TCSANOW,
  TERMIOS_SIZE,
} from "./libc.ts";
import { ENOTTY, errnoName } from "./errno.ts";
import { SystemError } from "../errors.ts";
import { FdStream } from "./fd_stream.ts";
import {
  type FileStat,
  fstatFd,
  isPtySlave,
  lstatPath,
  S_IFCHR,
  S_IFMT,
  sameFile,
} from "./stat.ts";

/** Puts a terminal fd in raw mode (cfmakeraw), returning the old settings. */
export function makeRaw(libc: Libc, fd: number, path: string): Uint8Array<ArrayBuffer> {
  const old = new Uint8Array(TERMIOS_SIZE);
  if (libc.tcgetattr(fd, old) !== 0) throw lastError("tcgetattr", { path });
  const raw = old.slice();
  libc.cfmakeraw(raw);
  if (libc.tcsetattr(fd, TCSANOW, raw) !== 0) throw lastError("tcsetattr", { path });
  return old;
}

/** A new pty pair: the master as a stream, the slave's path, the slave kept open raw. */
export interface PtyPair {
  master: FdStream;
  slavePath: string;
  /** The slave, held open so that the master never sees a hang-up. */
  slave: FdStream;
}

/** posix_openpt + grantpt + unlockpt + ptsname, both ends raw and nonblocking. */
export function openPtyPair(): PtyPair {
  const libc = acquireLibc();
  const m = libc.posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (m < 0) {
    const err = lastError("posix_openpt", { path: "/dev/ptmx" });
    releaseLibc();
    throw err;
  }
  let slaveFd = -1;
  try {
    if (libc.grantpt(m) !== 0) throw lastError("grantpt", { path: "/dev/ptmx" });
    if (libc.unlockpt(m) !== 0) throw lastError("unlockpt", { path: "/dev/ptmx" });
    const name = libc.ptsname(m);
    if (name === null) throw lastError("ptsname", { path: "/dev/ptmx" });
    const slavePath = Deno.UnsafePointerView.getCString(name);
    slaveFd = libc.open(cString(slavePath), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
    if (slaveFd < 0) throw lastError("open", { path: slavePath });
    makeRaw(libc, slaveFd, slavePath);
    acquireLibc(); // the slave stream owns a second reference
    return {
      master: new FdStream(libc, m, { path: "/dev/ptmx" }),
      slave: new FdStream(libc, slaveFd, { path: slavePath }),
      slavePath,
    };
  } catch (err) {
    if (slaveFd >= 0) libc.close(slaveFd);
    libc.close(m);
    releaseLibc();
    throw err;
  }
}

/** What a pty named in xenstore must look like. */
const PTY_SLAVE_PATH = /^\/dev\/pts\/\d{1,9}$/;

/** Options for {@linkcode openPty}. */
export interface OpenPtyOptions {
  /**
   * The uid the pty must belong to: 0 (the default), as xenconsoled's and
   * QEMU's ptys do (both run as root). A simulated host passes its own
   * (`geteuid()` of libc.ts): its xenconsoled is this process.
   */
  owner?: number;
}

/**
 * Opens an existing pty slave (xenconsoled's /dev/pts/N, named in xenstore)
 * raw and nonblocking; its termios is restored on close. What is checked,
 * before it is opened (opening a device can have effects of its own): the
 * path is /dev/pts/N, the file there is a pty slave (checked without
 * following a symlink, and again on the opened fd), owned by `owner` (root),
 * and not this program's own terminal (its stdin, stdout, stderr or
 * controlling tty). Only a dom0 writer can set the path; these checks catch a
 * mistaken one, and a hostile one naming a user's terminal or ours. They
 * cannot tell xenconsoled's or QEMU's pty from any other root-owned pty
 * (another root login's terminal, say): such a path is opened.
 *
 * Every refusal is a SystemError with code ENOTTY ("not a console's tty")
 * whose message names the path (printable) and what to check.
 */
export function openPty(path: string, options: OpenPtyOptions = {}): FdStream {
  const owner = options.owner ?? 0;
  const libc = acquireLibc();
  let fd = -1;
  try {
    const refuse = (what: string, must = "a console's tty must be a pty slave (/dev/pts/N)") =>
      new SystemError(ENOTTY, "open", { path, hint: `${what}: ${must}; not opened` });
    const whoWrote = "check what wrote the guest's console/tty key in xenstore " +
      "(xenstore-read), or restart xenconsoled, which writes it";
    if (!PTY_SLAVE_PATH.test(path)) throw refuse("not a /dev/pts/N path");
    const before = lstatPath(libc, path);
    if (!isPtySlave(before)) throw refuse("not a pty slave");
    if (before.uid !== owner) {
      const whose = owner === 0 ? "root" : `uid ${owner}`;
      throw refuse(
        `owned by uid ${before.uid}, not ${whose}`,
        `a console's tty must be a pty slave owned by ${whose} (as xenconsoled's and QEMU's are): ${whoWrote}`,
      );
    }
    if (isOwnTerminal(libc, before)) {
      throw refuse(
        "this program's own terminal (its stdin, stdout, stderr or controlling tty)",
        `a console's tty must not be a terminal of ours: ${whoWrote}`,
      );
    }
    fd = libc.open(cString(path), O_RDWR | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) {
      const code = errno();
      const name = errnoName(code);
      throw new SystemError(code, "open", {
        path,
        hint: name === "EACCES" || name === "EPERM"
          ? "permission denied: run as root in dom0"
          : name === "ENOENT"
          ? "the console's pty is gone (did xenconsoled restart or the guest die?)"
          : undefined,
      });
    }
    if (!sameFile(before, fstatFd(libc, fd, path))) throw refuse("replaced while opening");
    const saved = makeRaw(libc, fd, path);
    return new FdStream(libc, fd, {
      path,
      beforeClose: (libc, fd) => void libc.tcsetattr(fd, TCSANOW, saved),
    });
  } catch (err) {
    if (fd >= 0) libc.close(fd);
    releaseLibc();
    throw err;
  }
}

/** TIOCGDEV, _IOR('T', 0x32, unsigned int): the device of the tty behind an fd. */
const TIOCGDEV = 0x80045432n;

/**
 * A device number in the kernel's new_encode_dev() form (TIOCGDEV's answer,
 * /proc's tty_nr): minor bits 0-7, major bits 8-19, minor bits 8-19 at 20-31.
 */
export function decodeDevice(dev: number): { major: number; minor: number } {
  return { major: (dev >>> 8) & 0xfff, minor: (dev & 0xff) | ((dev >>> 12) & 0xfff00) };
}

/**
 * Whether `tty` (a pty slave's stat) is the device behind our fd 0, 1 or 2,
 * or our controlling terminal. /dev/tty, opened only to be looked at, is
 * asked which tty it leads to (TIOCGDEV): its own stat is always 5:0.
 */
function isOwnTerminal(libc: Libc, tty: FileStat): boolean {
  const same = (major: number, minor: number) => major === tty.rdevMajor && minor === tty.rdevMinor;
  for (const fd of [0, 1, 2]) {
    try {
      const s = fstatFd(libc, fd, `fd ${fd}`);
      if ((s.mode & S_IFMT) === S_IFCHR && same(s.rdevMajor, s.rdevMinor)) return true;
    } catch {
      // closed: not a terminal of ours
    }
  }
  const ctty = libc.open(cString("/dev/tty"), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
  if (ctty < 0) return false; // no controlling terminal (ENXIO)
  try {
    const dev = new Uint8Array(4);
    if (libc.ioctl(ctty, TIOCGDEV, dev) !== 0) {
      throw lastError("ioctl TIOCGDEV", { path: "/dev/tty" });
    }
    const { major, minor } = decodeDevice(new DataView(dev.buffer).getUint32(0, true));
    return same(major, minor);
  } finally {
    libc.close(ctty);
  }
}
