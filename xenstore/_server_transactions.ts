// Copyright 2026 the xenpv authors. MIT license.
// The in-memory server's transactions. A transaction works on a snapshot
// (the tree is persistent, so a snapshot is a root), records every path it
// reads or writes, and keeps its ops; its commit fails with EAGAIN when a
// recorded path's generation changed meanwhile, else replays the ops on the
// store as it now is. What it keeps counts against the transaction-nodes and
// memory quotas, as xenstored bounds them.

import type { Permission } from "./permissions.ts";
import { Refusal } from "./_server_refusal.ts";
import type { Quotas } from "./_server_quotas.ts";
import { lookup, type Node } from "./_tree.ts";

/** A change, as a transaction keeps it to replay at commit. */
export type Op =
  | { kind: "write"; path: string; value: Uint8Array }
  | { kind: "mkdir"; path: string }
  | { kind: "rm"; path: string }
  | { kind: "perms"; path: string; perms: Permission[] };

/** A pending change: the working root plus what the change will announce. */
export interface WorkState {
  root: Node;
  /** Change in node count per owner domain. */
  delta: Map<number, number>;
  /** Paths changed: [path, node whose perms gate the event, recursive removal]. */
  events: [string, Node, boolean][];
  /** Paths read or written (transactions only). */
  accessed: Set<string> | undefined;
  /** Bytes this transaction keeps: its accessed paths and its ops. */
  memory: number;
}

/** An open transaction: the snapshot it started from, its working state, its ops. */
export interface Transaction {
  id: number;
  base: Node;
  state: WorkState;
  ops: Op[];
}

/** Who holds transactions: a connection (its domain and its open transactions). */
export interface TransactionOwner {
  readonly domid: number;
  readonly transactions: Map<number, Transaction>;
}

/** What a kept path or op costs beyond its bytes, for the memory quota. */
const OP_OVERHEAD = 64;

/** A working state on `root` that has changed nothing yet. */
export function freshState(root: Node): WorkState {
  return { root, delta: new Map(), events: [], accessed: undefined, memory: 0 };
}

/** Transaction ids: one counter a server, never 0, never one the connection has open. */
export class TransactionIds {
  #next = 1;

  /** The next id free on `owner`. */
  take(owner: TransactionOwner): number {
    let id = this.#next;
    while (id === 0 || owner.transactions.has(id)) id = (id + 1) >>> 0;
    this.#next = (id + 1) >>> 0;
    return id;
  }
}

/**
 * Opens a transaction of `owner` on the store as it is (`root`); ENOSPC past
 * the transactions quota. Returns its id.
 */
export function openTransaction(
  owner: TransactionOwner,
  quotas: Quotas,
  ids: TransactionIds,
  root: Node,
): number {
  // xenstored refuses once more than the quota are open (its check comes
  // before the count goes up): a guest may hold one more than the quota
  if (quotas.exceeded(owner.domid, "transactions", owner.transactions.size)) {
    throw new Refusal("ENOSPC");
  }
  const id = ids.take(owner);
  const state = freshState(root);
  state.accessed = new Set();
  owner.transactions.set(id, { id, base: root, state, ops: [] });
  return id;
}

/**
 * Records that a transaction read or wrote `path` (for its conflict check),
 * within the transaction-nodes and memory quotas, as xenstored bounds them:
 * ENOSPC past the nodes, ENOMEM past the memory. Nothing outside a
 * transaction (`state.accessed` unset).
 */
export function recordAccess(
  owner: TransactionOwner,
  quotas: Quotas,
  state: WorkState,
  path: string,
): void {
  const accessed = state.accessed;
  if (accessed === undefined || accessed.has(path)) return;
  if (quotas.full(owner.domid, "transaction-nodes", accessed.size)) throw new Refusal("ENOSPC");
  charge(owner, quotas, state, path.length + OP_OVERHEAD);
  accessed.add(path);
}

/**
 * Makes a change in a transaction as xenstored does: the op is charged
 * against the memory quota before `apply` makes it on the working state, and
 * a change refused at any point (a quota, a permission, a missing node)
 * leaves the transaction exactly as it was: not seen by its later reads,
 * holding nothing.
 */
export function changeInTransaction(
  owner: TransactionOwner,
  quotas: Quotas,
  tx: Transaction,
  op: Op,
  apply: (state: WorkState) => void,
): void {
  const { state } = tx;
  const before = {
    root: state.root,
    delta: new Map(state.delta),
    events: state.events.length,
    accessed: state.accessed?.size ?? 0,
    memory: state.memory,
  };
  try {
    charge(owner, quotas, state, opSize(op));
    apply(state);
    tx.ops.push(op);
  } catch (err) {
    state.root = before.root;
    state.delta = before.delta;
    state.events.length = before.events;
    state.memory = before.memory;
    forgetAccessesAfter(state.accessed, before.accessed);
    throw err;
  }
}

/** What keeping `op` costs, for the memory quota. */
function opSize(op: Op): number {
  return op.path.length + (op.kind === "write" ? op.value.length : 0) +
    (op.kind === "perms" ? op.perms.length * 8 : 0) + OP_OVERHEAD;
}

/**
 * Drops the paths recorded after the first `count` (a set keeps insertion
 * order). Only a refused change pays for the walk; a guest's set is bounded
 * by the transaction-nodes quota.
 */
function forgetAccessesAfter(accessed: Set<string> | undefined, count: number): void {
  if (accessed === undefined || accessed.size === count) return;
  const added = [...accessed].slice(count);
  for (const path of added) accessed.delete(path);
}

/** Adds to what a transaction keeps; ENOMEM past the connection's memory quota. */
function charge(owner: TransactionOwner, quotas: Quotas, state: WorkState, bytes: number): void {
  if (owner.domid !== 0) {
    let held = bytes;
    for (const tx of owner.transactions.values()) held += tx.state.memory;
    if (quotas.exceeded(owner.domid, "memory", held)) throw new Refusal("ENOMEM");
  }
  state.memory += bytes;
}

/** Whether a path the transaction read or wrote has changed in the store (`root`) since. */
export function conflicts(tx: Transaction, root: Node): boolean {
  for (const path of tx.state.accessed ?? []) {
    if (genOf(lookup(root, path)) !== genOf(lookup(tx.base, path))) return true;
  }
  return false;
}

function genOf(node: Node | undefined): number {
  return node === undefined ? -1 : node.gen;
}
