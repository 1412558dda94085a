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
import { fstatFd, isPtySlave, lstatPath, sameFile } from "./stat.ts";

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

/**
 * Opens an existing pty slave (xenconsoled's /dev/pts/N, named in xenstore)
 * raw and nonblocking; its termios is restored on close. Anything else is
 * refused before it is opened (opening a device can have effects of its own):
 * the path must be /dev/pts/N, and the file there a pty slave (checked
 * without following a symlink, and again on the opened fd).
 */
export function openPty(path: string): FdStream {
  const libc = acquireLibc();
  let fd = -1;
  try {
    const refuse = (what: string) =>
      new SystemError(ENOTTY, "open", {
        path,
        hint: `${what}: a console's tty must be a pty slave (/dev/pts/N); not opened`,
      });
    if (!PTY_SLAVE_PATH.test(path)) throw refuse("not a /dev/pts/N path");
    const before = lstatPath(libc, path);
    if (!isPtySlave(before)) throw refuse("not a pty slave");
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
