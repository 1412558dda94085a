// Copyright 2026 the xenpv authors. MIT license.

import { assertDomid } from "../_sys/domid.ts";
import { type Message, MessageType, payloadOf, splitPayloadStrict } from "./wire.ts";
import { parentPath } from "./path.ts";
import { formatPermission, parsePermission, type Permission } from "./permissions.ts";
import { components, countByOwner, lookup, makeNode, nextGen, type Node, update } from "./_tree.ts";
import { XenstoreClient } from "./client.ts";
import { XenstoreClosedError } from "./errors.ts";
import type { XenstoreTransport } from "./transport.ts";
import { createPipe } from "./_pipe.ts";
import { listenSocket } from "./_transports.ts";
import { canonicalPath, parseDomid, Refusal, strictPath } from "./_server_refusal.ts";
import { Quotas, type XenstoreQuotas } from "./_server_quotas.ts";
import {
  canRead,
  canWrite,
  checkSetPerms,
  inheritedPerms,
  missing,
  privileged,
} from "./_server_permissions.ts";
import {
  changeInTransaction,
  conflicts,
  freshState,
  type Op,
  openTransaction,
  recordAccess,
  type Transaction,
  TransactionIds,
  type WorkState,
} from "./_server_transactions.ts";
import { ServerConnection } from "./_server_connection.ts";
import { addWatch, fire, fireSpecial, removeWatch } from "./_server_watches.ts";

export { DEFAULT_QUOTAS, type XenstoreQuotas } from "./_server_quotas.ts";

/** Options for {@linkcode XenstoreServer}. */
export interface XenstoreServerOptions {
  /** Override quota defaults ({@linkcode DEFAULT_QUOTAS}). */
  quotas?: Partial<XenstoreQuotas>;
}

/** Options for {@linkcode XenstoreServer.connectClient}. */
export interface ServerConnectOptions {
  /** The domain the connection speaks for (default 0, privileged). */
  domid?: number;
}

/** Counters for tests and monitoring. */
export interface XenstoreServerStats {
  /** Open connections (socket and in-process). */
  connections: number;
  /** Watches set across all connections. */
  watches: number;
  /** Open transactions across all connections. */
  transactions: number;
  /** Nodes in the tree, including the root. */
  nodes: number;
  /** Listening sockets. */
  listeners: number;
}

/** Options for {@linkcode XenstoreServer.listen}. */
export interface ListenOptions {
  /**
   * How the socket is served: through libc (`"libc"`: `--allow-ffi` is
   * enough), through Deno's own unix sockets (`"deno"`: faster waits; needs
   * `--allow-read`, `--allow-write` and `--allow-net` for the path), or `"auto"` (the
   * default): Deno's when the program was granted them. The socket is 0600
   * either way, and only a stale socket file is ever replaced.
   */
  transport?: "auto" | "libc" | "deno";
}

/** A listening unix socket of a {@linkcode XenstoreServer}. */
export interface XenstoreListener extends AsyncDisposable {
  /** The socket path. */
  readonly path: string;
  /** Stops listening (open connections stay) and removes the socket file. */
  close(): Promise<void>;
}

/** A request as its handler sees it. */
interface Request {
  conn: ServerConnection;
  m: Message;
  /** The request's transaction, if it names one. */
  tx: Transaction | undefined;
  /** The payload's NUL-separated arguments, between `min` and `max` of them (else EINVAL). */
  args(min: number, max?: number): string[];
}

/** Answers one request type: the reply's payload, or a Refusal thrown. */
type Handler = (request: Request) => Uint8Array;

const OK = payloadOf(["OK"]);
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * An in-memory xenstore server that speaks the xenstored wire protocol: the
 * node tree with permissions, watches (with the initial event and the
 * `@introduceDomain` / `@releaseDomain` specials), transactions that fail with
 * EAGAIN on conflict, per-domain quotas, and domain introduction for
 * simulated guests. Clients connect in-process or over a unix socket (which
 * Debian's libxenstore tools reach with `XENSTORED_PATH`).
 *
 * @example In-process
 * ```ts
 * import { XenstoreServer } from "@xenpv/console/xenstore";
 * import assert from "node:assert/strict";
 *
 * await using server = new XenstoreServer();
 * await using dom0 = server.connectClient();
 * await dom0.write("/local/domain/1/name", "guest");
 * server.introduceDomain(1);
 * assert.equal(await dom0.isDomainIntroduced(1), true);
 * ```
 *
 * @example On a unix socket
 * ```ts ignore
 * import { XenstoreServer } from "@xenpv/console/xenstore";
 *
 * const server = new XenstoreServer();
 * server.listen("/tmp/xenstored.sock"); // XENSTORED_PATH=/tmp/xenstored.sock xenstore-ls
 * ```
 */
export class XenstoreServer implements AsyncDisposable {
  #root: Node;
  #nodeCounts = new Map<number, number>();
  #connections = new Set<ServerConnection>();
  #listeners = new Set<XenstoreListener>();
  #introduced = new Set<number>();
  #quotas: Quotas;
  #features = new Map<number, number>();
  #transactionIds = new TransactionIds();
  #closed = false;
  #handlers: Map<number, Handler> = this.#table();

  /** Makes an empty store: the root node, owned by dom0, readable by none. */
  constructor(options: XenstoreServerOptions = {}) {
    this.#quotas = new Quotas(options.quotas);
    this.#root = makeNode(EMPTY, [{ domid: 0, access: "none" }]);
    // dom0 is always introduced.
    this.#introduced.add(0);
    this.#nodeCounts.set(0, 1);
  }

  /** Counters of what the server holds now. */
  get stats(): XenstoreServerStats {
    let watches = 0;
    let transactions = 0;
    for (const c of this.#connections) {
      watches += c.watches.size;
      transactions += c.transactions.size;
    }
    let nodes = 0;
    for (const n of this.#nodeCounts.values()) nodes += n;
    return {
      connections: this.#connections.size,
      watches,
      transactions,
      nodes,
      listeners: this.#listeners.size,
    };
  }

  /**
   * A new in-process connection's client end.
   *
   * @throws {RangeError} for a `domid` that is not a domain's (0..0x7FEF).
   * @throws {XenstoreClosedError} once the server is closed.
   */
  connectTransport(options: ServerConnectOptions = {}): XenstoreTransport {
    if (this.#closed) {
      throw new XenstoreClosedError("this XenstoreServer is closed: make a new one");
    }
    const domid = options.domid ?? 0;
    assertDomid(domid);
    const [clientEnd, serverEnd] = createPipe();
    this.#serve(serverEnd, domid);
    return clientEnd;
  }

  /** A client connected in-process (as dom0 unless `domid` says otherwise). */
  connectClient(options: ServerConnectOptions = {}): XenstoreClient {
    return new XenstoreClient(this.connectTransport(options));
  }

  /**
   * Listens on a unix socket (as dom0's xenstored does on
   * `/var/run/xenstored/socket`). Socket clients are privileged (dom0).
   *
   * @throws {SystemError} when the path cannot be bound.
   * @throws {XenstoreClosedError} once the server is closed.
   */
  listen(path: string, options: ListenOptions = {}): XenstoreListener {
    if (this.#closed) {
      throw new XenstoreClosedError("this XenstoreServer is closed: make a new one");
    }
    const socket = listenSocket(path, options.transport);
    const listeners = this.#listeners;
    const listener: XenstoreListener = {
      path,
      close: () => {
        listeners.delete(listener);
        return socket.close();
      },
      [Symbol.asyncDispose]: () => listener.close(),
    };
    listeners.add(listener);
    (async () => {
      for (;;) {
        let stream;
        try {
          stream = await socket.accept();
        } catch {
          break;
        }
        if (stream === null) break;
        if (this.#closed) {
          await stream.close();
          break;
        }
        this.#serve(stream, 0);
      }
    })();
    return listener;
  }

  /**
   * Marks a domain introduced (what INTRODUCE does) and fires
   * `@introduceDomain`.
   */
  introduceDomain(domid: number): void {
    assertDomid(domid);
    this.#introduced.add(domid);
    fireSpecial(this.#connections, "@introduceDomain");
  }

  /**
   * Marks a domain gone (destroyed, or RELEASE) and fires `@releaseDomain`.
   * Its in-process connections are closed.
   */
  releaseDomain(domid: number): void {
    assertDomid(domid);
    this.#introduced.delete(domid);
    for (const c of [...this.#connections]) {
      if (c.domid === domid && domid !== 0) c.close();
    }
    fireSpecial(this.#connections, "@releaseDomain");
  }

  /** Whether a domain is introduced. */
  isIntroduced(domid: number): boolean {
    return this.#introduced.has(domid);
  }

  /** Closes listeners and every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#listeners].map((l) => l.close()));
    await Promise.all([...this.#connections].map((c) => c.close()));
  }

  /** Same as {@linkcode XenstoreServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- requests ----------------------------------------------------------

  #serve(transport: XenstoreTransport, domid: number): void {
    const conn = new ServerConnection(transport, domid, (c, m) => this.#handle(c, m));
    this.#connections.add(conn);
    conn.run().finally(() => this.#connections.delete(conn));
  }

  #handle(conn: ServerConnection, m: Message): void {
    let reply: Uint8Array;
    let txId = m.txId;
    try {
      reply = this.#dispatch(conn, m);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      conn.send({
        type: MessageType.ERROR,
        reqId: m.reqId,
        txId,
        payload: payloadOf([err.code]),
      });
      return;
    }
    if (m.type === MessageType.TRANSACTION_START) txId = 0;
    conn.send({ type: m.type, reqId: m.reqId, txId, payload: reply });
  }

  #dispatch(conn: ServerConnection, m: Message): Uint8Array {
    const handler = this.#handlers.get(m.type);
    // WATCH_EVENT and ERROR are replies only; 20 (RESTRICT) is gone. xenstored
    // answers a type it has no handler for with ENOSYS (seen from Xen 4.17's
    // in the e2e run).
    if (handler === undefined) throw new Refusal("ENOSYS");
    const args = (min: number, max = min): string[] => {
      const parts = splitPayloadStrict(m.payload);
      if (parts === undefined || parts.length < min || parts.length > max) {
        throw new Refusal("EINVAL");
      }
      return parts;
    };
    return handler({ conn, m, tx: this.#transactionFor(conn, m), args });
  }

  /** What each request type does: one handler per type, by the areas of the protocol. */
  #table(): Map<number, Handler> {
    const T = MessageType;
    const ok = (f: (r: Request) => void): Handler => (r) => (f(r), OK);
    const path = (r: Request, at = 0) => canonicalPath(r.conn.domid, r.args(1)[at]);
    const admin = (f: (r: Request) => void): Handler => ok((r) => (privileged(r.conn.domid), f(r)));
    return new Map<number, Handler>([
      // nodes
      [T.READ, (r) => this.#read(r.conn, r.tx, r.args(1)[0]).value],
      [T.WRITE, ok((r) => this.#write(r))],
      [T.MKDIR, ok((r) => this.#change(r.conn, r.tx, { kind: "mkdir", path: path(r) }))],
      [T.RM, ok((r) => this.#change(r.conn, r.tx, { kind: "rm", path: path(r) }))],
      [T.DIRECTORY, (r) => this.#directory(r)],
      [T.DIRECTORY_PART, (r) => {
        const [path, offsetText] = r.args(2);
        // xenstored reads the offset with atoi(): leading digits, else 0.
        const offset = Number(/^[0-9]*/.exec(offsetText)![0] || "0");
        return directoryPart(this.#read(r.conn, r.tx, path), offset);
      }],
      [
        T.GET_PERMS,
        (r) => payloadOf(this.#read(r.conn, r.tx, r.args(1)[0]).perms.map(formatPermission)),
      ],
      [T.SET_PERMS, ok((r) => this.#setPerms(r))],
      // watches
      [T.WATCH, ok((r) => addWatch(r.conn, this.#quotas, r.args(2, 3)))],
      [T.UNWATCH, ok((r) => removeWatch(r.conn, r.args(2, 3)))],
      [
        T.RESET_WATCHES,
        ok((r) => {
          r.conn.watches.clear();
          r.conn.transactions.clear();
        }),
      ],
      // transactions
      [T.TRANSACTION_START, (r) => (r.args(0, 1), this.#startTransaction(r))],
      [T.TRANSACTION_END, ok((r) => this.#endTransaction(r))],
      // domains
      [T.GET_DOMAIN_PATH, (r) => payloadOf([`/local/domain/${parseDomid(r.args(1)[0])}`])],
      [
        T.IS_DOMAIN_INTRODUCED,
        // for dom0 only, as in xenstored (XS_FLAG_PRIV): a guest gets EACCES
        (
          r,
        ) => (privileged(r.conn.domid),
          payloadOf([this.#introduced.has(parseDomid(r.args(1)[0])) ? "T" : "F"])),
      ],
      [T.INTRODUCE, admin((r) => this.#introduce(r))],
      [T.RELEASE, admin((r) => this.#release(r))],
      [
        T.RESUME,
        admin((r) => {
          if (!this.#introduced.has(parseDomid(r.args(1)[0]))) throw new Refusal("ENOENT");
        }),
      ],
      [
        T.SET_TARGET,
        admin((r) => {
          const [domid, target] = r.args(2);
          parseDomid(domid);
          parseDomid(target);
        }),
      ],
      // the store itself
      [T.CONTROL, (r) => this.#control(r.conn, r.args(1, 64))],
      [T.GET_FEATURE, (r) => this.#getFeature(r)],
      [T.SET_FEATURE, admin((r) => this.#setFeature(r))],
      [T.GET_QUOTA, (r) => (privileged(r.conn.domid), this.#quotas.get(r.args(0, 2)))],
      [T.SET_QUOTA, admin((r) => this.#quotas.set(r.args(2, 3)))],
    ]);
  }

  #transactionFor(conn: ServerConnection, m: Message): Transaction | undefined {
    if (m.txId === 0) return undefined;
    // Requests that ignore the transaction id.
    switch (m.type) {
      case MessageType.WATCH:
      case MessageType.UNWATCH:
      case MessageType.TRANSACTION_START:
      case MessageType.GET_DOMAIN_PATH:
      case MessageType.IS_DOMAIN_INTRODUCED:
        return undefined;
    }
    const tx = conn.transactions.get(m.txId);
    if (tx === undefined) throw new Refusal("ENOENT");
    return tx;
  }

  // ---- nodes -------------------------------------------------------------

  #read(conn: ServerConnection, tx: Transaction | undefined, rawPath: string): Node {
    const path = canonicalPath(conn.domid, rawPath);
    const root = tx?.state.root ?? this.#root;
    if (tx !== undefined) recordAccess(conn, this.#quotas, tx.state, path);
    const node = lookup(root, path);
    if (node === undefined) throw missing(conn.domid, root, path);
    if (!canRead(conn.domid, node)) throw new Refusal("EACCES");
    return node;
  }

  #write({ conn, m, tx }: Request): void {
    const nul = m.payload.indexOf(0);
    if (nul < 0) throw new Refusal("EINVAL");
    const path = strictPath(m.payload.subarray(0, nul));
    const value = m.payload.slice(nul + 1);
    this.#change(conn, tx, { kind: "write", path: canonicalPath(conn.domid, path), value });
  }

  #directory({ conn, tx, args }: Request): Uint8Array {
    const node = this.#read(conn, tx, args(1)[0]);
    const reply = payloadOf([...node.children.keys()]);
    if (reply.length > 4096) throw new Refusal("E2BIG");
    return reply;
  }

  #setPerms({ conn, tx, args }: Request): void {
    const [path, ...texts] = args(2, 4096);
    // xenstored counts the entries, the owner's included, before anything else
    if (this.#quotas.exceeded(conn.domid, "permissions", texts.length)) {
      throw new Refusal("ENOSPC");
    }
    const perms = texts.map(parsePermission);
    if (perms.some((p) => p === undefined)) throw new Refusal("EINVAL");
    this.#change(conn, tx, {
      kind: "perms",
      path: canonicalPath(conn.domid, path),
      perms: perms as Permission[],
    });
  }

  // ---- changes -----------------------------------------------------------

  /** Makes a change: kept in the transaction, or made on the store at once. */
  #change(conn: ServerConnection, tx: Transaction | undefined, op: Op): void {
    if (tx !== undefined) {
      changeInTransaction(conn, this.#quotas, tx, op, (state) => this.#apply(conn, state, op));
      return;
    }
    const state = freshState(this.#root);
    this.#apply(conn, state, op);
    this.#install(state);
  }

  /** Makes a change on a working state, checking permissions and quotas. */
  #apply(conn: ServerConnection, state: WorkState, op: Op): void {
    const { path } = op;
    const existing = lookup(state.root, path);
    recordAccess(conn, this.#quotas, state, path);
    switch (op.kind) {
      case "write":
      case "mkdir": {
        if (existing === undefined) {
          this.#create(conn, state, path, op.kind === "write" ? op.value : EMPTY);
        } else if (op.kind === "write") {
          if (!canWrite(conn.domid, existing)) throw new Refusal("EACCES");
          this.#checkSize(conn, recordSize(op.value.length, existing.perms.length, existing));
          this.#replace(state, path, existing, op.value, undefined);
        } // mkdir of an existing node: nothing to do, nothing announced
        return;
      }
      case "rm":
        return this.#remove(conn, state, path, existing);
      case "perms": {
        if (existing === undefined) throw missing(conn.domid, state.root, path, "write");
        checkSetPerms(conn.domid, existing, op.perms);
        this.#checkSize(conn, recordSize(existing.value.length, op.perms.length, existing));
        const oldOwner = existing.perms[0].domid;
        const newOwner = op.perms[0].domid;
        if (oldOwner !== newOwner) {
          this.#checkNodeQuota(state, newOwner, 1);
          addTo(state.delta, oldOwner, -1);
          addTo(state.delta, newOwner, 1);
        }
        this.#replace(state, path, existing, undefined, op.perms);
        return;
      }
    }
  }

  /**
   * Gives the existing node at `path` a new value or new permissions (and a
   * new generation), and announces the change.
   */
  #replace(
    state: WorkState,
    path: string,
    existing: Node,
    value: Uint8Array | undefined,
    perms: readonly Permission[] | undefined,
  ): void {
    state.root = update(state.root, components(path), (old) => ({
      value: value ?? old!.value,
      perms: perms ?? old!.perms,
      children: old!.children,
      gen: nextGen(),
    }), unreachable);
    state.events.push([path, existing, false]);
  }

  /** Creates `path` and missing parents, inheriting the nearest ancestor's perms. */
  #create(conn: ServerConnection, state: WorkState, path: string, value: Uint8Array): void {
    // Find the nearest existing ancestor: it must be writable.
    const missing: string[] = [path];
    let ancestorPath = parentPath(path);
    let ancestor = lookup(state.root, ancestorPath);
    while (ancestor === undefined) {
      missing.push(ancestorPath);
      ancestorPath = parentPath(ancestorPath);
      ancestor = lookup(state.root, ancestorPath);
    }
    if (!canWrite(conn.domid, ancestor)) throw new Refusal("EACCES");
    const perms = inheritedPerms(conn.domid, ancestor.perms);
    // xenstored writes the new nodes and the ancestor that gains a child
    // under the size quota: each record as it will be
    const top = missing.at(-1)!;
    this.#checkSize(
      conn,
      recordSize(ancestor.value.length, ancestor.perms.length, ancestor) +
        top.slice(top.lastIndexOf("/") + 1).length + 1,
    );
    for (const p of missing) {
      const child = p === path ? 0 : path.slice(p.length + 1).split("/")[0].length + 1;
      this.#checkSize(conn, recordSize(p === path ? value.length : 0, perms.length) + child);
    }
    const owner = perms[0].domid;
    if (conn.domid !== 0) this.#checkNodeQuota(state, owner, missing.length);
    addTo(state.delta, owner, missing.length);
    for (const p of missing) recordAccess(conn, this.#quotas, state, p);
    recordAccess(conn, this.#quotas, state, ancestorPath);
    const newNode = makeNode(value, perms);
    state.root = update(state.root, components(path), () => newNode, () => makeNode(EMPTY, perms));
    state.events.push([path, newNode, false]);
  }

  /** Removes `path` and everything under it (nothing, under a readable parent, if missing). */
  #remove(conn: ServerConnection, state: WorkState, path: string, existing: Node | undefined) {
    if (path === "/") throw new Refusal("EINVAL");
    if (existing === undefined) {
      // as xenstored: EACCES when the nearest ancestor is not the guest's to
      // write, else nothing to do if the parent exists, else ENOENT
      const refusal = missing(conn.domid, state.root, path, "write");
      if (refusal.code === "EACCES") throw refusal;
      if (lookup(state.root, parentPath(path)) === undefined) throw new Refusal("ENOENT");
      return;
    }
    if (!canWrite(conn.domid, existing)) throw new Refusal("EACCES");
    recordAccess(conn, this.#quotas, state, parentPath(path));
    const removed = new Map<number, number>();
    countByOwner(existing, removed);
    for (const [owner, n] of removed) addTo(state.delta, owner, -n);
    state.root = update(state.root, components(path), () => undefined, unreachable);
    state.events.push([path, existing, true]);
  }

  /** ENOSPC when a node record of `size` bytes reaches the connection's size quota. */
  #checkSize(conn: ServerConnection, size: number): void {
    if (this.#quotas.exceeded(conn.domid, "node-size", size + 1)) throw new Refusal("ENOSPC");
  }

  /** ENOSPC when `owner` would own more nodes than its quota. */
  #checkNodeQuota(state: WorkState, owner: number, adding: number): void {
    const have = (this.#nodeCounts.get(owner) ?? 0) + (state.delta.get(owner) ?? 0);
    if (this.#quotas.exceeded(owner, "nodes", have + adding)) throw new Refusal("ENOSPC");
  }

  /** Makes a working state the store's state and announces its changes. */
  #install(state: WorkState): void {
    this.#root = state.root;
    for (const [owner, n] of state.delta) addTo(this.#nodeCounts, owner, n);
    // Who may hear of a change is decided by the node as it now stands (the
    // removed node, for removals), as xenstored does when it commits.
    for (const [path, node, recursive] of state.events) {
      fire(this.#connections, path, lookup(this.#root, path) ?? node, recursive);
    }
  }

  // ---- transactions --------------------------------------------------------

  #startTransaction({ conn, m }: Request): Uint8Array {
    if (m.txId !== 0) throw new Refusal("EBUSY");
    const id = openTransaction(conn, this.#quotas, this.#transactionIds, this.#root);
    return payloadOf([String(id)]);
  }

  #endTransaction({ conn, tx, args }: Request): void {
    const [how] = args(1);
    if (how !== "T" && how !== "F") throw new Refusal("EINVAL");
    if (tx === undefined) throw new Refusal("ENOENT");
    conn.transactions.delete(tx.id);
    if (how === "T") this.#commit(conn, tx);
  }

  /** EAGAIN when the store changed under the transaction, else replays its ops on it. */
  #commit(conn: ServerConnection, tx: Transaction): void {
    if (conflicts(tx, this.#root)) throw new Refusal("EAGAIN");
    if (tx.ops.length === 0) return;
    const state = freshState(this.#root);
    for (const op of tx.ops) this.#apply(conn, state, op);
    this.#install(state);
  }

  // ---- domains and the store itself --------------------------------------

  #introduce({ args }: Request): void {
    const [domid, mfn, port] = args(3, 4);
    const id = parseDomid(domid);
    if (id === 0 || !/^-?[0-9]+$/.test(mfn) || !/^[0-9]+$/.test(port)) {
      throw new Refusal("EINVAL");
    }
    if (!this.#introduced.has(id)) this.introduceDomain(id);
  }

  #release({ args }: Request): void {
    const id = parseDomid(args(1)[0]);
    if (id === 0) throw new Refusal("EINVAL");
    if (!this.#introduced.has(id)) throw new Refusal("ENOENT");
    this.releaseDomain(id);
  }

  #getFeature({ conn, args }: Request): Uint8Array {
    const parts = args(0, 1);
    if (parts.length === 0) return payloadOf([String(this.#features.get(conn.domid) ?? 0)]);
    privileged(conn.domid);
    return payloadOf([String(this.#features.get(parseDomid(parts[0])) ?? 0)]);
  }

  #setFeature({ args }: Request): void {
    const [domid, value] = args(2);
    const id = parseDomid(domid);
    if (!/^[0-9]+$/.test(value)) throw new Refusal("EINVAL");
    // This server supports no ring features, so only 0 is settable.
    if (Number(value) !== 0) throw new Refusal("EINVAL");
    if (this.#introduced.has(id)) throw new Refusal("EBUSY");
    this.#features.set(id, 0);
  }

  #control(conn: ServerConnection, [command, ...rest]: string[]): Uint8Array {
    privileged(conn.domid);
    switch (command) {
      case "help":
        return payloadOf(["check\nprint\nhelp\nquota\n"]);
      case "check":
        return OK;
      case "print":
        if (rest.length !== 1) throw new Refusal("EINVAL");
        return OK;
      case "quota":
        return this.#quotas.report();
      default:
        throw new Refusal("EINVAL");
    }
  }
}

/** DIRECTORY_PART's reply: the generation, then the names from `offset` that fit. */
function directoryPart(node: Node, offset: number): Uint8Array {
  const gen = encoder.encode(`${node.gen}\0`);
  const all = payloadOf([...node.children.keys()]);
  // At or past the end: the generation and an empty list (one more NUL).
  if (offset >= all.length) return payloadOf([String(node.gen), ""]);
  const room = 4096 - gen.length - 1;
  let end = all.length;
  let last = false;
  if (end - offset <= room) {
    last = true;
  } else {
    // Cut after the last complete name that fits.
    end = offset;
    for (let i = offset; i < offset + room; i++) if (all[i] === 0) end = i + 1;
  }
  const body = all.subarray(offset, end);
  const out = new Uint8Array(gen.length + body.length + (last ? 1 : 0));
  out.set(gen);
  out.set(body, gen.length);
  return out; // the final part ends with an extra NUL (out is zero-filled)
}

function addTo(map: Map<number, number>, key: number, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function unreachable(): Node {
  throw new Error("unreachable: parent missing for an existing node");
}

/**
 * A node's record size as xenstored measures it for its size quota
 * (`node-size`): a 24-byte header, 8 bytes a permission entry, the value,
 * and the names of the node's children, each with its NUL.
 */
function recordSize(valueLength: number, perms: number, node?: Node): number {
  let children = 0;
  if (node !== undefined) { for (const name of node.children.keys()) children += name.length + 1; }
  return 24 + 8 * perms + valueLength + children;
}
