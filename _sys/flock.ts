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
  O_RDWR,
  releaseLibc,
} from "./libc.ts";
import { errnoName, SystemError } from "./errno.ts";

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
   * Takes an exclusive, non-blocking lock on `path` (created if missing).
   * @throws {SystemError} EWOULDBLOCK (EAGAIN) when someone else holds it.
   */
  static acquire(
    path: string,
    holder: string,
    options: { unlinkOnRelease?: boolean } = {},
  ): FileLock {
    const libc = acquireLibc();
    const fd = libc.open(cString(path), O_RDWR | O_CREAT | O_CLOEXEC, 0o600);
    if (fd < 0) {
      const code = errno();
      releaseLibc();
      throw new SystemError(code, "open", {
        path,
        hint: errnoName(code) === "EACCES" ? "permission denied: run as root in dom0" : undefined,
      });
    }
    if (libc.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const code = errno();
      libc.close(fd);
      releaseLibc();
      throw new SystemError(code, "flock", {
        path,
        hint: errnoName(code) === "EAGAIN"
          ? `${holder} is already attached (xl console or another xenpv holds the lock)`
          : undefined,
      });
    }
    return new FileLock(libc, fd, path, options.unlinkOnRelease ?? false);
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
