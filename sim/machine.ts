// Copyright 2026 the xenpv authors. MIT license.
// What the simulated guests' everyday commands report, made from the guest's
// name alone so that every command agrees with every other one, and the same
// guest always looks the same: one network interface (a Xen MAC, an address
// on a /24), and a small file system.

/** The simulated machine behind a guest's name. */
export interface SimMachine {
  /** The hostname, as given. */
  host: string;
  /** IPv4 address of its one interface. */
  ip: string;
  /** The gateway (and DNS server) on that network. */
  gateway: string;
  /** The interface's MAC, in Xen's 00:16:3e range, lower case with colons. */
  mac: string;
  /** The interface's IPv6 link-local address, made from the MAC (EUI-64). */
  ipv6: string;
}

/** A 32-bit FNV-1a hash of `text`. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The machine of a guest named `host`. */
export function machineOf(host: string): SimMachine {
  const h = hash(host.toLowerCase());
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const b = [0x00, 0x16, 0x3e, (h >>> 8) & 0x7f, (h >>> 16) & 0xff, h >>> 24];
  // EUI-64: the universal/local bit flipped, ff:fe in the middle.
  const groups = [(b[0] ^ 2) << 8 | b[1], b[2] << 8 | 0xff, 0xfe00 | b[3], b[4] << 8 | b[5]];
  return {
    host,
    ip: `10.0.0.${10 + (h % 240)}`,
    gateway: "10.0.0.1",
    mac: b.map(hex).join(":"),
    ipv6: `fe80::${groups.map((g) => g.toString(16)).join(":")}`,
  };
}

/** Bytes of `text` in UTF-8 (what a file of it holds), or of bytes themselves. */
export function byteLength(text: string | Uint8Array): number {
  return typeof text === "string" ? new TextEncoder().encode(text).length : text.length;
}

/** What a file or a pipe holds: text (its bytes are its UTF-8), or bytes. */
export type SimData = string | Uint8Array;

/** `data`'s bytes (text in UTF-8). */
export function bytesOf(data: SimData): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

/** `data` as text (bytes decoded as UTF-8, as a terminal would show them). */
export function textOf(data: SimData): string {
  return typeof data === "string" ? data : new TextDecoder().decode(data);
}

/** `a` then `b`: text while both are, else bytes. */
export function concatData(a: SimData, b: SimData): SimData {
  if (typeof a === "string" && typeof b === "string") return a + b;
  const x = bytesOf(a);
  const y = bytesOf(b);
  const out = new Uint8Array(x.length + y.length);
  out.set(x);
  out.set(y, x.length);
  return out;
}

/**
 * A small tree of directories and text files. Paths are absolute, with `/`
 * or `\` as the separator given at construction; Windows paths compare case
 * blind, as NTFS does.
 */
export class SimFiles {
  readonly #sep: string;
  readonly #caseBlind: boolean;
  /** Key (case-folded if blind) -> the path as written. */
  #dirs = new Map<string, string>();
  #files = new Map<string, { path: string; content: SimData }>();

  /** `entries`: path -> a file's content, or null for a directory. */
  constructor(sep: "/" | "\\", entries: Record<string, string | null>) {
    this.#sep = sep;
    this.#caseBlind = sep === "\\";
    for (const [path, content] of Object.entries(entries)) {
      if (content === null) this.mkdir(path);
      else this.write(path, content);
    }
  }

  #key(path: string): string {
    return this.#caseBlind ? path.toUpperCase() : path;
  }

  /** The parent of an absolute path ("C:\\" and "/" are their own). */
  parent(path: string): string {
    const at = path.lastIndexOf(this.#sep);
    if (this.#sep === "/") return at <= 0 ? "/" : path.slice(0, at);
    return at <= 2 ? path.slice(0, 2) + "\\" : path.slice(0, at);
  }

  /** Makes a directory and its parents. */
  mkdir(path: string): void {
    for (let p = path; !this.#dirs.has(this.#key(p)); p = this.parent(p)) {
      this.#dirs.set(this.#key(p), p);
      if (this.parent(p) === p) break;
    }
  }

  /** Writes a file (its directory is made too). */
  write(path: string, content: SimData): void {
    this.mkdir(this.parent(path));
    this.#files.set(this.#key(path), { path, content });
  }

  /** Appends to a file (made if missing; its directory must exist). */
  append(path: string, text: SimData): void {
    const file = this.#files.get(this.#key(path));
    if (file) file.content = concatData(file.content, text);
    else this.#files.set(this.#key(path), { path, content: text });
  }

  /** Removes a file; false if there is none. */
  remove(path: string): boolean {
    return this.#files.delete(this.#key(path));
  }

  /** Whether `path` is a directory. */
  isDir(path: string): boolean {
    return this.#dirs.has(this.#key(path));
  }

  /** Whether `path` is a file. */
  isFile(path: string): boolean {
    return this.#files.has(this.#key(path));
  }

  /** A file's content as text (bytes decoded as UTF-8), or undefined. */
  read(path: string): string | undefined {
    const content = this.#files.get(this.#key(path))?.content;
    return content === undefined ? undefined : textOf(content);
  }

  /** A file's content as it is (text or bytes), or undefined. */
  data(path: string): SimData | undefined {
    return this.#files.get(this.#key(path))?.content;
  }

  /** The path as stored (its real case), for a directory or a file. */
  canonical(path: string): string | undefined {
    return this.#dirs.get(this.#key(path)) ?? this.#files.get(this.#key(path))?.path;
  }

  /** A directory's entries: [name, size in bytes or "dir"], sorted by name. */
  list(dir: string): [string, number | "dir"][] {
    const prefix = this.#key(dir.endsWith(this.#sep) ? dir : dir + this.#sep);
    const out: [string, number | "dir"][] = [];
    const direct = (key: string) =>
      key.startsWith(prefix) && key.length > prefix.length &&
      !key.slice(prefix.length).includes(this.#sep);
    for (const [key, path] of this.#dirs) {
      if (direct(key)) out.push([path.slice(prefix.length), "dir"]);
    }
    for (const [key, file] of this.#files) {
      if (direct(key)) out.push([file.path.slice(prefix.length), byteLength(file.content)]);
    }
    return out.sort(([a], [b]) => a.toLowerCase() < b.toLowerCase() ? -1 : 1);
  }
}
