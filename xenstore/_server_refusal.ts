// Copyright 2026 the xenpv authors. MIT license.
// The in-memory server's error reply, and the argument readers that answer
// with one: a request's handler throws a Refusal, and the server sends its
// errno name back as an ERROR reply (XenstoreServer's #handle).

import { isDomid } from "../_sys/domid.ts";
import { checkPath } from "./path.ts";

/** An error reply, by name (an errno name such as `"ENOENT"`). */
export class Refusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** A domid argument of a request: decimal digits naming a domain's id, else EINVAL. */
export function parseDomid(text: string): number {
  const domid = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!isDomid(domid)) throw new Refusal("EINVAL");
  return domid;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** A path argument given as bytes: valid UTF-8, else EINVAL. */
export function strictPath(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new Refusal("EINVAL");
  }
}

/**
 * A path argument as an absolute path: a relative one is under the
 * connection's home, `/local/domain/<domid>/`. EINVAL for a path xenstored
 * refuses.
 */
export function canonicalPath(domid: number, path: string): string {
  if (checkPath(path, { relative: true }) !== undefined) throw new Refusal("EINVAL");
  if (path.startsWith("/")) return path;
  return `/local/domain/${domid}/${path}`;
}
