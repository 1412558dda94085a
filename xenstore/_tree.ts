// Copyright 2026 the xenpv authors. MIT license.
// A persistent (path-copying) tree of xenstore nodes. Every change returns a
// new root and leaves old roots intact, so a transaction's snapshot is just a
// root pointer. `gen` changes whenever a node's own value, permissions or set
// of children changes: transactions compare it to detect conflicts, and
// DIRECTORY_PART reports it.

import type { Permission } from "./permissions.ts";

/** One node. Never mutated once built. */
export interface Node {
  readonly value: Uint8Array;
  readonly perms: readonly Permission[];
  /** Children by name, in creation order (as C xenstored lists them). */
  readonly children: ReadonlyMap<string, Node>;
  readonly gen: number;
}

let generation = 0;

/** A fresh generation number. */
export function nextGen(): number {
  return ++generation;
}

/** Builds a node. */
export function makeNode(
  value: Uint8Array,
  perms: readonly Permission[],
  children: ReadonlyMap<string, Node> = new Map(),
): Node {
  return { value, perms, children, gen: nextGen() };
}

/** Splits an absolute path into components ("/" -> []). */
export function components(path: string): string[] {
  return path === "/" ? [] : path.slice(1).split("/");
}

/** The node at `path`, if any. */
export function lookup(root: Node, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const name of components(path)) {
    node = node.children.get(name);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Replaces the node at `names` (relative to `node`) by `fn(old)`; `undefined`
 * from `fn` deletes it. Missing ancestors are made by `makeParent`. Parents
 * whose child set changes get a new generation; others keep theirs.
 */
export function update(
  node: Node,
  names: readonly string[],
  fn: (old: Node | undefined) => Node | undefined,
  makeParent: () => Node,
): Node {
  if (names.length === 0) {
    const out = fn(node);
    if (out === undefined) throw new Error("cannot delete the root");
    return out;
  }
  const [name, ...rest] = names;
  const child = node.children.get(name);
  let replacement: Node | undefined;
  if (rest.length === 0) {
    replacement = fn(child);
  } else {
    const base = child ?? makeParent();
    replacement = update(base, rest, fn, makeParent);
  }
  if (replacement === child) return node;
  const children = new Map(node.children);
  const membership = (child === undefined) !== (replacement === undefined);
  if (replacement === undefined) children.delete(name);
  else children.set(name, replacement);
  return {
    value: node.value,
    perms: node.perms,
    children,
    gen: membership ? nextGen() : node.gen,
  };
}

/** Counts nodes in a subtree, by owner domain, into `counts`. */
export function countByOwner(node: Node, counts: Map<number, number>): void {
  const owner = node.perms[0]?.domid ?? 0;
  counts.set(owner, (counts.get(owner) ?? 0) + 1);
  for (const child of node.children.values()) countByOwner(child, counts);
}

/** Every path in a subtree, parents before children. */
export function* walk(node: Node, path: string): Generator<[string, Node]> {
  yield [path, node];
  for (const [name, child] of node.children) {
    yield* walk(child, path === "/" ? `/${name}` : `${path}/${name}`);
  }
}
