// Copyright 2026 the xenpv authors. MIT license.
// The in-memory server's watches: setting one (with its initial event),
// firing a change to the connections that may hear of it (a removal tells
// the watchers of each removed node), and the special watches
// `@introduceDomain` / `@releaseDomain`, which only dom0 hears.

import { checkPath, isPathWithin } from "./path.ts";
import { canonicalPath, Refusal } from "./_server_refusal.ts";
import { canRead } from "./_server_permissions.ts";
import type { Quotas } from "./_server_quotas.ts";
import type { ServerConnection, ServerWatch } from "./_server_connection.ts";
import { lookup, type Node } from "./_tree.ts";

/**
 * WATCH: sets a watch on `conn` (EINVAL for a bad path, EEXIST for one it
 * has, E2BIG past the watches quota). The initial event follows the reply.
 */
export function addWatch(conn: ServerConnection, quotas: Quotas, [path, token]: string[]): void {
  if (checkPath(path, { relative: true, special: true }) !== undefined) {
    throw new Refusal("EINVAL");
  }
  const abs = path.startsWith("@") ? path : canonicalPath(conn.domid, path);
  const key = `${path}\0${token}`;
  if (conn.watches.has(key)) throw new Refusal("EEXIST");
  if (quotas.full(conn.domid, "watches", conn.watches.size)) throw new Refusal("E2BIG");
  conn.watches.set(key, { path, abs, token });
  queueMicrotask(() => conn.sendEvent(path, token));
}

/** UNWATCH: removes a watch of `conn` (ENOENT if it has none such). */
export function removeWatch(conn: ServerConnection, [path, token]: string[]): void {
  if (!conn.watches.delete(`${path}\0${token}`)) throw new Refusal("ENOENT");
}

/**
 * Tells the watchers of `path` that it changed: those that may read `node`
 * (the node as it now stands, or the removed one). A recursive removal also
 * tells the watchers of each node under `path` it removed.
 */
export function fire(
  connections: Iterable<ServerConnection>,
  path: string,
  node: Node,
  recursive: boolean,
): void {
  for (const conn of connections) {
    if (conn.watches.size === 0) continue;
    if (conn.domid !== 0 && !canRead(conn.domid, node)) continue;
    for (const w of conn.watches.values()) {
      if (w.abs.startsWith("@")) continue;
      let eventPath: string | undefined;
      if (isPathWithin(path, w.abs)) eventPath = path;
      else if (recursive && isPathWithin(w.abs, path) && within(node, path, w.abs)) {
        // A removal tells watchers of each removed node (as xenstored
        // fires an exact event for every node it deletes).
        eventPath = w.abs;
      }
      if (eventPath === undefined) continue;
      conn.sendEvent(relativeTo(conn, w, eventPath), w.token);
    }
  }
}

/** Fires a special watch (`@introduceDomain`, `@releaseDomain`). */
export function fireSpecial(connections: Iterable<ServerConnection>, name: string): void {
  for (const conn of connections) {
    // Only connections that may read the special node hear of it: dom0, as
    // in xenstored (its specials are owned by dom0, readable by none else).
    if (conn.domid !== 0) continue;
    for (const w of conn.watches.values()) {
      if (w.abs === name) conn.sendEvent(name, w.token);
    }
  }
}

/** An event's path as the watch was given: relative to the home for a relative watch. */
function relativeTo(conn: ServerConnection, w: ServerWatch, path: string): string {
  if (w.path.startsWith("/")) return path;
  const home = `/local/domain/${conn.domid}/`;
  return path.startsWith(home) ? path.slice(home.length) : path;
}

/** Whether `target` (at or below `base`) exists in the subtree `node` at `base`. */
function within(node: Node, base: string, target: string): boolean {
  const rest = target.slice(base === "/" ? 1 : base.length + 1);
  return rest === "" || lookup(node, `/${rest}`) !== undefined;
}
