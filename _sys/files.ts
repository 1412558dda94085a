// Copyright 2026 the xenpv authors. MIT license.
// Files and devices through libc: appending to a log, reading a file's tail,
// renaming, checking that a directory is one itself, opening a device. Where
// root writes or reads a file for others (openAppend, readTail), a symlink is
// refused, not followed, and the file must be ours: our user's, one link.

import {
  acquireLibc,
  cString,
  errno,
  geteuid,
  lastError,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  releaseLibc,
} from "./libc.ts";
import { EINVAL, ERRNO, errnoName } from "./errno.ts";
import { SystemError } from "../errors.ts";
import { FdStream } from "./fd_stream.ts";
import { type FileStat, fstatFd, lstatPath, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "./stat.ts";

/**
 * Throws (`EPERM`, with the fix) unless the open file `stat` describes is
 * ours: owned by this process's user and with one name only (a file another
 * user planted, or a hard link to another file, in a shared directory would
 * make root write or serve what is not its own). With `private`, also unless
 * group and others have no access to it (0600).
 */
export function assertOwnFile(stat: FileStat, path: string, { private: only = false } = {}): void {
  const uid = geteuid();
  let hint: string | undefined;
  if (stat.uid !== uid) {
    hint = `owned by uid ${stat.uid}, not by this user (uid ${uid}): another user made it ` +
      `(remove it: rm ${path})`;
  } else if (stat.nlink !== 1) {
    hint = `it has ${stat.nlink} names (a hard link to another file?): remove it (rm ${path})`;
  } else if (only && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o7777).toString(8).padStart(4, "0");
    hint = `mode ${mode}: group or others may read or write it (chmod 600 ${path})`;
  }
  if (hint !== undefined) throw new SystemError(ERRNO.EPERM, "open", { path, hint });
}

/**
 * Opens a regular file for appending (created 0600 if missing), as a stream;
 * refuses a symlink (ELOOP), a FIFO (ENXIO without a reader, EINVAL with one),
 * any other non-regular file (EINVAL) and a file that is not ours (EPERM:
 * another user's, or hard-linked; with `private`, also one open to group or
 * others; see {@linkcode assertOwnFile}). An existing file is appended to,
 * never truncated.
 */
export function openAppend(path: string, options: { private?: boolean } = {}): FdStream {
  return openAppendSized(path, options).file;
}

/** {@linkcode openAppend}, and the file's size when opened. */
export function openAppendSized(
  path: string,
  options: { private?: boolean } = {},
): { file: FdStream; size: number } {
  const libc = acquireLibc();
  // No symlink is followed (a planted one in a world-writable directory would
  // make root append elsewhere), and a FIFO fails instead of blocking the open.
  const flags = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  const fd = libc.open(cString(path), flags, 0o600);
  if (fd < 0) {
    const code = errno();
    releaseLibc();
    throw new SystemError(code, "open", {
      path,
      hint: errnoName(code) === "ELOOP" ? "it is a symlink (planted?): not followed" : undefined,
    });
  }
  let size: number;
  try {
    const stat = fstatFd(libc, fd, path);
    if ((stat.mode & S_IFMT) !== S_IFREG) {
      throw new SystemError(EINVAL, "open", { path, hint: "not a regular file: not written to" });
    }
    assertOwnFile(stat, path, options);
    size = stat.size;
  } catch (err) {
    libc.close(fd);
    releaseLibc();
    throw err;
  }
  return { file: new FdStream(libc, fd, { path }), size };
}

/**
 * The last `max` bytes of the regular file `path` (a symlink is refused, not
 * followed, and so is a file that is not ours and private, as
 * {@linkcode assertOwnFile} says: what a token holder may read must be the
 * file itself, one we made).
 */
export function readTail(path: string, max: number): Uint8Array<ArrayBuffer> {
  const libc = acquireLibc();
  try {
    const fd = libc.open(cString(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0) {
      const code = errno();
      const hint = errnoName(code) === "ELOOP" ? "it is a symlink (planted?): not followed" : "";
      throw new SystemError(code, "open", { path, hint: hint || undefined });
    }
    try {
      const stat = fstatFd(libc, fd, path);
      if ((stat.mode & S_IFMT) !== S_IFREG) {
        throw new SystemError(EINVAL, "open", { path, hint: "not a regular file: not read" });
      }
      assertOwnFile(stat, path, { private: true });
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      let kept = 0;
      for (;;) {
        const buf = new Uint8Array(64 * 1024);
        const n = Number(libc.read(fd, buf, BigInt(buf.length)));
        if (n < 0) throw lastError("read", { path });
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        kept += n;
        while (kept - chunks[0].length >= max) kept -= chunks.shift()!.length;
      }
      const out = new Uint8Array(kept);
      let at = 0;
      for (const c of chunks) out.set(c, (at += c.length) - c.length);
      return out.subarray(Math.max(0, kept - max));
    } finally {
      libc.close(fd);
    }
  } finally {
    releaseLibc();
  }
}

/**
 * Reads the file `path` itself (a symlink is refused, ELOOP, not followed; a
 * FIFO does not block the open), after `check` saw what the open fd is: it
 * throws to refuse the file. At most `max` bytes are read, and one more if
 * the file is longer, so the caller can tell.
 */
export function readCheckedFile(
  path: string,
  max: number,
  check: (stat: FileStat) => void,
): Uint8Array<ArrayBuffer> {
  const libc = acquireLibc();
  try {
    const fd = libc.open(cString(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0) {
      const code = errno();
      const hint = errnoName(code) === "ELOOP" ? "it is a symlink: not followed" : undefined;
      throw new SystemError(code, "open", { path, hint });
    }
    try {
      const stat = fstatFd(libc, fd, path);
      check(stat);
      // Sized by the file (grown if it says less than it has, as /proc's files
      // do), not by `max`: a generous bound must not allocate it.
      let buf = new Uint8Array(Math.min(max, stat.size) + 1);
      let at = 0;
      for (;;) {
        if (at === buf.length) {
          if (at > max) break;
          const grown = new Uint8Array(Math.min(max + 1, buf.length * 2));
          grown.set(buf);
          buf = grown;
        }
        const n = Number(libc.read(fd, buf.subarray(at), BigInt(buf.length - at)));
        if (n < 0) throw lastError("read", { path });
        if (n === 0) break;
        at += n;
      }
      return buf.slice(0, at);
    } finally {
      libc.close(fd);
    }
  } finally {
    releaseLibc();
  }
}

/**
 * rename(2): moves `from` to `to` (a symlink is moved, never followed);
 * `false` when `from` does not exist.
 */
export function renamePath(from: string, to: string): boolean {
  const libc = acquireLibc();
  try {
    if (libc.rename(cString(from), cString(to)) === 0) return true;
    const code = errno();
    if (errnoName(code) === "ENOENT") return false;
    throw new SystemError(code, "rename", { path: `${from} -> ${to}` });
  } finally {
    releaseLibc();
  }
}

/**
 * Throws unless `path` is a directory itself (not a symlink to one): where
 * root creates files, a planted symlink must not redirect them. Returns what
 * it is (its owner and mode: the caller may warn about a shared one).
 */
export function assertRealDirectory(path: string): FileStat {
  const libc = acquireLibc();
  try {
    let stat;
    try {
      stat = lstatPath(libc, path);
    } catch (err) {
      if (!(err instanceof SystemError && err.code === "ENOENT")) throw err;
      throw new SystemError(ERRNO.ENOENT, "lstat", {
        path,
        hint: `no such directory: create it first (mkdir -p ${path})`,
      }, { cause: err });
    }
    if ((stat.mode & S_IFMT) === S_IFLNK) {
      throw new SystemError(ERRNO.ELOOP, "open", {
        path,
        hint: "it is a symlink: give the directory itself",
      });
    }
    if ((stat.mode & S_IFMT) !== S_IFDIR) {
      throw new SystemError(ERRNO.ENOTDIR, "open", { path, hint: "not a directory" });
    }
    return stat;
  } finally {
    releaseLibc();
  }
}

/**
 * Creates the file `path`, empty and 0600, only if nothing (not even a
 * dangling symlink) is there: `false` when something is (EEXIST). A file
 * made so is ours, private, and has one name, whatever the directory.
 */
export function createNewFile(path: string): boolean {
  const libc = acquireLibc();
  try {
    const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    const fd = libc.open(cString(path), flags, 0o600);
    if (fd < 0) {
      const code = errno();
      if (errnoName(code) === "EEXIST") return false;
      throw new SystemError(code, "open", { path });
    }
    libc.close(fd);
    return true;
  } finally {
    releaseLibc();
  }
}

/** The names in the directory `path` (not `.` nor `..`), unsorted. */
export function listDirectory(path: string): string[] {
  const libc = acquireLibc();
  try {
    const dir = libc.opendir(cString(path));
    if (dir === null) throw lastError("opendir", { path });
    try {
      const names: string[] = [];
      for (;;) {
        const entry = libc.readdir(dir);
        if (entry === null) break;
        // glibc's struct dirent: d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), d_name
        const name = new Deno.UnsafePointerView(entry).getCString(19);
        if (name !== "." && name !== "..") names.push(name);
      }
      return names;
    } finally {
      libc.closedir(dir);
    }
  } finally {
    releaseLibc();
  }
}

/** Opens a character device (e.g. /dev/xen/xenbus) as a nonblocking stream. */
export function openDevice(path: string, hint?: (code: string) => string | undefined): FdStream {
  const libc = acquireLibc();
  const fd = libc.open(cString(path), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) {
    const code = errno();
    releaseLibc();
    throw new SystemError(code, "open", { path, hint: hint?.(errnoName(code)) });
  }
  return new FdStream(libc, fd, { path });
}

/**
 * Writes `data` to `path` as a whole: into a new file beside it (created
 * with O_EXCL, mode 0600: readable by its owner only, as the guest's file may
 * have been, a symlink never followed), then
 * renamed over `path`, so a reader never sees half a file and a failed
 * write leaves `path` as it was (the new file is removed).
 */
export function writeFileReplacing(path: string, data: Uint8Array): void {
  const libc = acquireLibc();
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16))
    .join("");
  const tmp = `${path}.xpv-${suffix}`;
  try {
    const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    const fd = libc.open(cString(tmp), flags, 0o600);
    // Named as the file asked for (the new file beside it is ours): no such directory, no permission.
    if (fd < 0) throw lastError("open", { path });
    let done = false;
    try {
      for (let at = 0; at < data.length;) {
        const n = Number(libc.write(fd, data.subarray(at), BigInt(data.length - at)));
        if (n < 0) throw lastError("write", { path });
        at += n;
      }
      if (libc.close(fd) < 0) throw lastError("close", { path });
      done = true;
      if (libc.rename(cString(tmp), cString(path)) !== 0) {
        // named as the file asked for: the new file beside it is removed below
        const code = errno();
        const hint = errnoName(code) === "EISDIR"
          ? "it is a directory: name a file in it (the file is not written)"
          : undefined;
        throw new SystemError(code, "rename", { path, hint });
      }
    } catch (err) {
      if (!done) libc.close(fd);
      libc.unlink(cString(tmp));
      throw err;
    }
  } finally {
    releaseLibc();
  }
}
