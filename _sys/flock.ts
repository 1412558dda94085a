// Copyright 2026 the xenpv authors. MIT license.
// The exclusive lock `xl console` takes on <XEN_LOCK_DIR>/xenconsole.<domid>,
// so that two attachers never split a console's output.

import {
  acquireLibc,
  cString,
  errno,
  type Libc,
  LOCK_EX,
  LOCK_NB,
  O_CLOEXEC,
  O_CREAT,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDWR,
  releaseLibc,
} from "./libc.ts";
import { EAGAIN, EINVAL, errnoName } from "./errno.ts";
import { SystemError } from "../errors.ts";
import { fstatFd, lstatPath, S_IFMT, S_IFREG, sameFile } from "./stat.ts";

/** A held flock; `release()` unlocks and closes once. */
export class FileLock {
  readonly path: string;
  #libc: Libc;
  #fd: number;
  #unlink: boolean;

  private constructor(libc: Libc, fd: number, path: string, unlink: boolean) {
    this.#libc = libc;
    this.#fd = fd;
    this.path = path;
    this.#unlink = unlink;
  }

  /**
   * Takes an exclusive, non-blocking lock on `path` (a regular file, created
   * 0600 if missing). The lock directory may be world-writable: a symlink or a
   * FIFO planted at `path` is refused (ELOOP, EINVAL), and after locking, the
   * file must still be the one at `path` (as xenconsole checks), or the lock
   * is taken again on the new one.
   * @throws {SystemError} EWOULDBLOCK (EAGAIN) when someone else holds it.
   */
  static acquire(
    path: string,
    holder: string,
    options: { unlinkOnRelease?: boolean } = {},
  ): FileLock {
    const libc = acquireLibc();
    try {
      for (let attempt = 0;; attempt++) {
        const fd = openRegular(libc, path);
        if (libc.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
          const code = errno();
          libc.close(fd);
          throw new SystemError(code, "flock", {
            path,
            hint: errnoName(code) === "EAGAIN"
              ? `${holder} is already attached (xl console or another xenpv holds the lock)`
              : undefined,
          });
        }
        // Another holder may have unlinked (and someone re-created) the file
        // between our open and our flock: the lock must be on the file at `path`.
        let current;
        try {
          current = lstatPath(libc, path);
        } catch {
          current = undefined;
        }
        if (current && sameFile(current, fstatFd(libc, fd, path))) {
          return new FileLock(libc, fd, path, options.unlinkOnRelease ?? false);
        }
        libc.close(fd);
        if (attempt === 3) {
          throw new SystemError(EAGAIN, "flock", { path, hint: "the lock file keeps changing" });
        }
      }
    } catch (err) {
      releaseLibc();
      throw err;
    }
  }

  /** Unlocks (closing the fd drops the flock). Idempotent. */
  release(): void {
    if (this.#fd < 0) return;
    if (this.#unlink) this.#libc.unlink(cString(this.path));
    this.#libc.close(this.#fd);
    this.#fd = -1;
    releaseLibc();
  }
}

/** Opens `path` read-write (created 0600), refusing a symlink, a FIFO or anything not a regular file. */
function openRegular(libc: Libc, path: string): number {
  const fd = libc.open(
    cString(path),
    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
    0o600,
  );
  if (fd < 0) {
    const code = errno();
    const name = errnoName(code);
    throw new SystemError(code, "open", {
      path,
      hint: name === "EACCES"
        ? "permission denied: run as root in dom0"
        : name === "ELOOP"
        ? "the lock file is a symlink (planted?): remove it"
        : undefined,
    });
  }
  try {
    if ((fstatFd(libc, fd, path).mode & S_IFMT) !== S_IFREG) {
      throw new SystemError(EINVAL, "open", {
        path,
        hint: "the lock file is not a regular file (planted?): remove it",
      });
    }
    return fd;
  } catch (err) {
    libc.close(fd);
    throw err;
  }
}
