// Copyright 2026 the xenpv authors. MIT license.
// What a path or an fd is, through statx(2) (one struct layout on every
// architecture): to check files before trusting them (a pty named in
// xenstore, a lock or log file in a world-writable directory).

import { cString, lastError, type Libc } from "./libc.ts";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
/** STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_INO | STATX_SIZE */
const STATX_MASK = 0x1 | 0x2 | 0x4 | 0x8 | 0x100 | 0x200;
const STATX_SIZE = 256;

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;

/** The fields of struct statx xenpv looks at. */
export interface FileStat {
  /** File type and permission bits (st_mode). */
  mode: number;
  /** How many names (hard links) the file has. */
  nlink: number;
  uid: number;
  ino: bigint;
  /** Its size in bytes. */
  size: number;
  /** The device the file is on. */
  dev: string;
  /** For a device node: its major and minor numbers. */
  rdevMajor: number;
  rdevMinor: number;
}

function decode(buf: Uint8Array<ArrayBuffer>): FileStat {
  const view = new DataView(buf.buffer);
  return {
    mode: view.getUint16(28, true),
    nlink: view.getUint32(16, true),
    uid: view.getUint32(20, true),
    ino: view.getBigUint64(32, true),
    size: Number(view.getBigUint64(40, true)),
    dev: `${view.getUint32(136, true)}:${view.getUint32(140, true)}`,
    rdevMajor: view.getUint32(128, true),
    rdevMinor: view.getUint32(132, true),
  };
}

/** lstat(2): what `path` itself is (a symlink is not followed). */
export function lstatPath(libc: Libc, path: string): FileStat {
  const buf = new Uint8Array(STATX_SIZE);
  if (libc.statx(AT_FDCWD, cString(path), AT_SYMLINK_NOFOLLOW, STATX_MASK, buf) !== 0) {
    throw lastError("lstat", { path });
  }
  return decode(buf);
}

/** fstat(2): what an open fd is. */
export function fstatFd(libc: Libc, fd: number, path: string): FileStat {
  const buf = new Uint8Array(STATX_SIZE);
  if (libc.statx(fd, cString(""), AT_EMPTY_PATH, STATX_MASK, buf) !== 0) {
    throw lastError("fstat", { path });
  }
  return decode(buf);
}

/** Whether two stats are the same file (device and inode). */
export function sameFile(a: FileStat, b: FileStat): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** The major numbers of pty slaves (UNIX98_PTY_SLAVE_MAJOR 136 and the 7 after it). */
export function isPtySlave(stat: FileStat): boolean {
  return (stat.mode & S_IFMT) === S_IFCHR && stat.rdevMajor >= 136 && stat.rdevMajor <= 143;
}
