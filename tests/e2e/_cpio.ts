// Copyright 2026 the xenpv authors. MIT license.
// A writer for the "newc" cpio format the Linux kernel unpacks as an
// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
// a 110-byte ASCII header of thirteen 8-digit hex fields after "070701",
// the name with its NUL, padded to 4 bytes, then the data, padded to 4.

/** One entry of an initramfs. */
export type CpioEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; data: Uint8Array; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "char"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** Builds an uncompressed newc archive; parent directories are added as needed. */
export function cpio(entries: CpioEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ino = 1;
  const seen = new Set<string>();
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    size += bytes.length;
    const pad = (4 - (bytes.length % 4)) % 4;
    if (pad) {
      chunks.push(new Uint8Array(pad));
      size += pad;
    }
  };
  const record = (
    path: string,
    mode: number,
    data: Uint8Array,
    rdev: [number, number] = [0, 0],
  ) => {
    const name = encoder.encode(path + "\0");
    const fields = [
      ino++,
      mode,
      0, // uid
      0, // gid
      mode & S_IFDIR ? 2 : 1,
      0, // mtime
      data.length,
      0,
      0,
      rdev[0],
      rdev[1],
      name.length,
      0,
    ];
    const header = "070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join("");
    const head = new Uint8Array(header.length + name.length);
    head.set(encoder.encode(header));
    head.set(name, header.length);
    push(head);
    if (data.length) push(data);
  };
  const parents = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (dir && !seen.has(dir)) {
        seen.add(dir);
        record(dir, S_IFDIR | 0o755, new Uint8Array());
      }
    }
  };
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, "");
    if (seen.has(path)) throw new Error(`initramfs: ${path} added twice`);
    parents(path);
    seen.add(path);
    switch (entry.type) {
      case "dir":
        record(path, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array());
        break;
      case "file":
        record(path, S_IFREG | (entry.mode ?? 0o755), entry.data);
        break;
      case "symlink":
        record(path, S_IFLNK | 0o777, encoder.encode(entry.target));
        break;
      case "char":
        record(path, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(), [entry.major, entry.minor]);
        break;
    }
  }
  record("TRAILER!!!", 0, new Uint8Array());
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
