// Copyright 2026 the xenpv authors. MIT license.
// Per-guest console logs: one file per guest name in the log directory, with
// timestamps, rotated by size, passwords masked (ConsoleLog). Names come from
// xenstore and are hostile: the file name is made from them safely.

import { assertRealDirectory, readTail } from "../_sys/files.ts";
import { geteuid } from "../_sys/libc.ts";
import { ConsoleLog } from "../xencons/mod.ts";

/** Where and how guest logs are kept. */
export interface LogSettings {
  /** The directory (a real one, not a symlink). */
  dir: string;
  /** Rotate a guest's file at this many bytes. */
  maxSize: number;
  /** Rotated files kept per guest. */
  keep: number;
  /** Told, once, of a directory others may write (one line, with the fix). */
  warn?: (message: string) => void;
}

/** The longest name part of a log file. */
const NAME_MAX = 64;

/**
 * The log file of a guest, in the log directory: `guest-<name>.log` (as
 * xenconsoled names them) with every character but ASCII letters, digits,
 * `.`, `_` and `-` replaced by `_`, at most 64 of them; `domain-<domid>.log`
 * for a guest without a name. No `/`, no leading `.`, no control character.
 */
export function logFileName(domid: number, name: string | undefined): string {
  if (name === undefined || name === "") return `domain-${domid}.log`;
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, NAME_MAX);
  return `guest-${safe}.log`;
}

interface Holder {
  domid: number;
  /** Whether the guest still runs (a running one keeps its file). */
  running: () => boolean;
  /** Settles once its log is closed. */
  closed: Promise<void>;
}

/** A guest's open log. */
export interface GuestLog {
  /** Its file name in the log directory. */
  file: string;
  log: ConsoleLog;
  /** Closes the log and lets a successor (same name, new domid) open the file. */
  close(): Promise<void>;
}

/**
 * Checks that `dir` is a real directory, and warns (one line, with the fix)
 * if others may write it or another user owns it: `others` and `owner` say
 * what they could then do (the log and record directories).
 *
 * @throws {SystemError} the directory is missing, not a directory, or a symlink.
 */
export function checkServerDirectory(
  dir: string,
  warn: ((message: string) => void) | undefined,
  { what, others, owner }: { what: string; others: string; owner: string },
): void {
  const stat = assertRealDirectory(dir);
  const mode = (stat.mode & 0o7777).toString(8).padStart(4, "0");
  const fix = `use a directory of this user's alone (mkdir -m 700 DIR, or chmod o-w ${dir})`;
  if ((stat.mode & 0o002) !== 0) {
    warn?.(`${what} ${dir} (mode ${mode}) is writable by others: ${others}; ${fix}`);
  } else if (stat.uid !== geteuid()) {
    warn?.(`${what} ${dir} is owned by uid ${stat.uid}, not by this user: ${owner}; ${fix}`);
  }
}

/** The guest logs of one server: who writes which file. */
export class GuestLogs {
  readonly settings: LogSettings;
  #held = new Map<string, Holder>();

  /**
   * Checks the directory, and warns (`settings.warn`) if others may write it:
   * they could plant files where the logs go (a file of theirs, a hard link,
   * a symlink; each is refused, and that guest is not logged).
   *
   * @throws {SystemError} the directory is missing, not a directory, or a symlink.
   */
  constructor(settings: LogSettings) {
    checkServerDirectory(settings.dir, settings.warn, {
      what: "log directory",
      others:
        "they may plant files where guest logs go (such files are refused and the guest is not logged)",
      owner: "its owner may plant files where guest logs go",
    });
    this.settings = settings;
  }

  /**
   * Opens a guest's log. A guest that rebooted (same name, new domid) appends
   * to the same file once the old one has closed it; a running guest of the
   * same (made safe) name keeps it, and this one writes
   * `guest-<name>-<domid>.log`.
   *
   * @throws {SystemError} the file cannot be opened: a planted symlink
   * (ELOOP), or a file that is not private (EPERM: another user's, a hard
   * link, open to group or others; the message names the fix).
   */
  async open(domid: number, name: string | undefined, running: () => boolean): Promise<GuestLog> {
    let file = logFileName(domid, name);
    for (let tries = 0;; tries++) {
      const holder = this.#held.get(file);
      if (holder === undefined || holder.domid === domid) break;
      if (holder.running()) {
        if (tries > 0) throw new Error(`${file}: kept by domain ${holder.domid}`);
        file = file.replace(/\.log$/, `-${domid}.log`);
        continue;
      }
      await holder.closed;
      if (!this.#held.has(file)) break;
    }
    const log = ConsoleLog.open(`${this.settings.dir}/${file}`, {
      timestamps: true,
      maxSize: this.settings.maxSize,
      keep: this.settings.keep,
      private: true,
    });
    let release!: () => void;
    const closed = new Promise<void>((resolve) => release = resolve);
    this.#held.set(file, { domid, running, closed });
    let closing: Promise<void> | undefined;
    return {
      file,
      log,
      close: () =>
        closing ??= log.close().finally(() => {
          if (this.#held.get(file)?.domid === domid) this.#held.delete(file);
          release();
        }),
    };
  }

  /** The last bytes of a log file (its current part). */
  read(file: string, max: number): Uint8Array<ArrayBuffer> {
    return readTail(`${this.settings.dir}/${file}`, max);
  }
}
