// Copyright 2026 the xenpv authors. MIT license.
// Per-guest recordings (asciicast v2, xencons' Recorder): one file per attach
// of a guest's console, in the record directory, named from the guest's name
// (made safe, as log files are) and the UTC time it started. Files are
// created new (O_EXCL: never one planted there), read back only when ours,
// single-linked and private.

import { ERRNO } from "../_sys/errno.ts";
import { assertOwnFile, createNewFile, listDirectory, readCheckedFile } from "../_sys/files.ts";
import { S_IFMT, S_IFREG } from "../_sys/stat.ts";
import { SystemError } from "../errors.ts";
import { Recorder } from "../xencons/mod.ts";
import { checkServerDirectory, logFileName } from "./_logs.ts";
import type { RecordingInfo } from "./types.ts";

/**
 * A recording's file name: `<base>-<YYYYMMDD>T<HHMMSS>Z[-<n>].cast`, where
 * `<base>` is the log file's name without `.log` (`guest-<safe name>` or
 * `domain-<domid>`). Nothing else in the directory is listed or served.
 */
const RECORDING =
  /^(guest-[A-Za-z0-9._-]{1,64}|domain-[0-9]{1,5})-([0-9]{8}T[0-9]{6}Z)(?:-[0-9]{1,2})?\.cast$/;

/** The most bytes of one recording served. */
export const RECORDING_SERVED = 64 * 1024 * 1024;

/** The name part of a guest's recordings, as its log file's. */
function baseName(domid: number, name: string | undefined): string {
  return logFileName(domid, name).replace(/\.log$/, "");
}

/** `2026-12-07T04:15:00Z` as `20261207T041500Z`. */
function stamp(time: Date): string {
  return time.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

/** A guest's open recording. */
export interface GuestRecording {
  /** Its file name in the record directory. */
  file: string;
  recorder: Recorder;
}

/** Where a server records its guests' consoles. */
export class GuestRecordings {
  readonly dir: string;

  /**
   * `warn` is told, once, of a directory others may write (or another user
   * owns): one line, with the fix.
   *
   * @throws {SystemError} the directory is missing, not a directory, or a
   * symlink.
   */
  constructor(dir: string, warn?: (message: string) => void) {
    checkServerDirectory(dir, warn, {
      what: "record directory",
      others:
        "they may plant files named as recordings (such files are refused, never served) or remove recordings",
      owner: "its owner may plant files named as recordings or remove recordings",
    });
    this.dir = dir;
  }

  /**
   * Starts a recording of guest `domid` (named `name`) in a new file,
   * `width`x`height` to begin with.
   *
   * @throws {SystemError} the file cannot be created.
   */
  open(
    domid: number,
    name: string | undefined,
    guest: { kind?: string; width: number; height: number },
  ): GuestRecording {
    const base = `${baseName(domid, name)}-${stamp(new Date())}`;
    for (let n = 0; n < 100; n++) {
      const file = n === 0 ? `${base}.cast` : `${base}-${n}.cast`;
      const path = `${this.dir}/${file}`;
      // a new file of ours: the Recorder appends to it (empty, so kept)
      if (!createNewFile(path)) continue;
      const recorder = Recorder.open(path, {
        width: guest.width,
        height: guest.height,
        guest: { name: name ?? `domain ${domid}`, kind: guest.kind },
        env: { TERM: "xterm-256color" },
        // what the server gives it is UTF-8 already (decoded in the guest's code page)
        encoding: "utf-8",
      });
      return { file, recorder };
    }
    throw new SystemError(ERRNO.EEXIST, "open", {
      path: `${this.dir}/${base}.cast`,
      hint: "100 recordings of this guest started this second already",
    });
  }

  /** Guest `domid`'s recordings (by its name: a rebooted guest's too), newest first. */
  list(domid: number, name: string | undefined): RecordingInfo[] {
    const base = baseName(domid, name);
    const found: RecordingInfo[] = [];
    for (const file of listDirectory(this.dir)) {
      const match = RECORDING.exec(file);
      if (match === null || match[1] !== base) continue;
      const t = match[2];
      const started = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T` +
        `${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`;
      found.push({ file, started });
    }
    return found.sort((a, b) => a.file < b.file ? 1 : a.file > b.file ? -1 : 0);
  }

  /**
   * One of guest `domid`'s recordings, whole (at most {@linkcode RECORDING_SERVED}
   * bytes); undefined for a name that is not one of its recordings. The file
   * must be a regular file of ours, with one name, not readable by others.
   *
   * @throws {SystemError} the file is refused or cannot be read.
   */
  read(domid: number, name: string | undefined, file: string): Uint8Array | undefined {
    const match = RECORDING.exec(file);
    if (match === null || match[1] !== baseName(domid, name)) return undefined;
    const path = `${this.dir}/${file}`;
    const data = readCheckedFile(path, RECORDING_SERVED, (stat) => {
      if ((stat.mode & S_IFMT) !== S_IFREG) {
        throw new SystemError(ERRNO.EPERM, "open", {
          path,
          hint: "not a regular file: not served",
        });
      }
      // ours (this user's), one name, 0600: as the server made it
      assertOwnFile(stat, path, { private: true });
    });
    if (data.length > RECORDING_SERVED) {
      throw new SystemError(ERRNO.EFBIG, "read", {
        path,
        hint: `longer than ${RECORDING_SERVED} bytes: read it on the server`,
      });
    }
    return data;
  }
}
