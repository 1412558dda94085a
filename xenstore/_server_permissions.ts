// Copyright 2026 the xenpv authors. MIT license.
// The in-memory server's permission checks, as xenstored makes them: dom0
// may do anything; a guest reads and writes by a node's permission list,
// sees EACCES (not ENOENT) for a missing node its nearest ancestor hides,
// owns what it creates, and may not give a node away.

import { parentPath } from "./path.ts";
import { type Permission, permits } from "./permissions.ts";
import { Refusal } from "./_server_refusal.ts";
import { lookup, type Node } from "./_tree.ts";

/** Whether domain `domid` may read `node`. */
export function canRead(domid: number, node: Node): boolean {
  return domid === 0 || permits(node.perms, domid, "read");
}

/** Whether domain `domid` may write `node`. */
export function canWrite(domid: number, node: Node): boolean {
  return domid === 0 || permits(node.perms, domid, "write");
}

/** EACCES unless the connection is dom0's (privileged requests). */
export function privileged(domid: number): void {
  if (domid !== 0) throw new Refusal("EACCES");
}

/**
 * ENOENT for a missing node, or EACCES when the connection lacks, on the
 * node's nearest ancestor, the access the request needs (read for reads;
 * write for RM and SET_PERMS, as xenstored's errno_from_parents() decides).
 */
export function missing(
  domid: number,
  root: Node,
  path: string,
  need: "read" | "write" = "read",
): Refusal {
  if (domid === 0) return new Refusal("ENOENT");
  let p = path;
  while (p !== "/") {
    p = parentPath(p);
    const node = lookup(root, p);
    if (node !== undefined) {
      const allowed = need === "read" ? canRead(domid, node) : canWrite(domid, node);
      return new Refusal(allowed ? "ENOENT" : "EACCES");
    }
  }
  return new Refusal("ENOENT");
}

/**
 * The permissions of a node `domid` creates under an ancestor with `perms`:
 * the ancestor's, with a guest as the owner.
 */
export function inheritedPerms(domid: number, perms: readonly Permission[]): readonly Permission[] {
  if (domid !== 0 && perms[0].domid !== domid) {
    return [{ domid, access: perms[0].access }, ...perms.slice(1)];
  }
  return perms;
}

/** Refuses a SET_PERMS of `node` to `perms` that `domid` may not make. */
export function checkSetPerms(
  domid: number,
  node: Node,
  perms: readonly Permission[],
): void {
  if (!canWrite(domid, node)) throw new Refusal("EACCES");
  if (domid === 0) return;
  // Only the owner sets a node's permissions, and an unprivileged owner may
  // not give the node away (to dom0, to escape its node quota, or to another
  // guest, to fill that one's).
  if (node.perms[0].domid !== domid) throw new Refusal("EACCES");
  if (perms[0].domid !== domid) throw new Refusal("EPERM");
}
