// Copyright 2026 the xenpv authors. MIT license.

import { assertDomid, isDomid } from "../_sys/domid.ts";
import { Outbox } from "./_outbox.ts";
import {
  type Message,
  MessageDecoder,
  MessageType,
  payloadOf,
  splitPayloadStrict,
} from "./wire.ts";
import { checkPath, isPathWithin, parentPath } from "./path.ts";
import { formatPermission, parsePermission, type Permission, permits } from "./permissions.ts";
import { components, countByOwner, lookup, makeNode, nextGen, type Node, update } from "./_tree.ts";
import { XenstoreClient } from "./client.ts";
import { XenstoreClosedError } from "./errors.ts";
import type { XenstoreTransport } from "./transport.ts";
import { createPipe } from "./_pipe.ts";
import { listenSocket } from "./_transports.ts";

/**
 * Per-domain limits, named as xenstored's GET_QUOTA names them. 0 disables a
 * check. dom0 (privileged) connections are exempt, as in xenstored.
 */
export interface XenstoreQuotas {
  /** Nodes a domain may own. */
  nodes: number;
  /** Watches one connection may hold. */
  watches: number;
  /** Transactions one connection may have open. */
  transactions: number;
  /** Largest value, in bytes. */
  "node-size": number;
  /** Entries in one node's permission list (beyond the owner). */
  permissions: number;
  /** Nodes one transaction may read or write (each distinct path counts once). */
  "transaction-nodes": number;
  /** Bytes one connection's open transactions may hold (paths and values kept). */
  memory: number;
}

/** What a kept path or op costs beyond its bytes, for the memory quota. */
const OP_OVERHEAD = 64;

/** The defaults of Xen 4.17's C xenstored. */
export const DEFAULT_QUOTAS: Readonly<XenstoreQuotas> = Object.freeze({
  nodes: 1000,
  watches: 128,
  transactions: 10,
  "node-size": 2048,
  permissions: 5,
  "transaction-nodes": 1024,
  memory: 2.5 * 1024 * 1024,
});

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

/** An error reply, by name. */
class Refusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const OK = payloadOf(["OK"]);
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const OUTBOX_LIMIT = 8 * 1024 * 1024;
const READ_PAUSE = 256 * 1024;

interface ServerWatch {
  /** As the client gave it (relative paths stay relative in events). */
  path: string;
  /** Absolute (or special) path used for matching. */
  abs: string;
  token: string;
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

/** A pending change: the working root plus what the change will announce. */
interface WorkState {
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

type Op =
  | { kind: "write"; path: string; value: Uint8Array }
  | { kind: "mkdir"; path: string }
  | { kind: "rm"; path: string }
  | { kind: "perms"; path: string; perms: Permission[] };

interface Transaction {
  id: number;
  base: Node;
  state: WorkState;
  ops: Op[];
}

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
  #quotas: XenstoreQuotas;
  #domainQuotas = new Map<number, Partial<XenstoreQuotas>>();
  #features = new Map<number, number>();
  #nextTxId = 1;
  #closed = false;
  #handlers: Map<number, Handler> = this.#table();

  /** Makes an empty store: the root node, owned by dom0, readable by none. */
  constructor(options: XenstoreServerOptions = {}) {
    this.#quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
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
    this.#fireSpecial("@introduceDomain");
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
    this.#fireSpecial("@releaseDomain");
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

  // ---- connections -------------------------------------------------------

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
    const path = (r: Request, at = 0) => this.#canonical(r.conn, r.args(1)[at]);
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
      [T.WATCH, (r) => this.#watch(r.conn, r.args(2, 3))],
      [
        T.UNWATCH,
        ok((r) => {
          const [path, token] = r.args(2, 3);
          if (!r.conn.watches.delete(`${path}\0${token}`)) throw new Refusal("ENOENT");
        }),
      ],
      [
        T.RESET_WATCHES,
        ok((r) => {
          r.conn.watches.clear();
          r.conn.transactions.clear();
        }),
      ],
      // transactions
      [T.TRANSACTION_START, (r) => (r.args(0, 1), this.#startTransaction(r.conn, r.m))],
      [T.TRANSACTION_END, ok((r) => this.#endTransaction(r))],
      // domains
      [T.GET_DOMAIN_PATH, (r) => payloadOf([`/local/domain/${parseDomid(r.args(1)[0])}`])],
      [
        T.IS_DOMAIN_INTRODUCED,
        (r) => payloadOf([this.#introduced.has(parseDomid(r.args(1)[0])) ? "T" : "F"]),
      ],
      [T.INTRODUCE, ok((r) => this.#introduce(r))],
      [T.RELEASE, ok((r) => this.#release(r))],
      [
        T.RESUME,
        ok((r) => {
          privileged(r.conn);
          if (!this.#introduced.has(parseDomid(r.args(1)[0]))) throw new Refusal("ENOENT");
        }),
      ],
      [
        T.SET_TARGET,
        ok((r) => {
          privileged(r.conn);
          const [domid, target] = r.args(2);
          parseDomid(domid);
          parseDomid(target);
        }),
      ],
      // the store itself
      [T.CONTROL, (r) => this.#control(r.conn, r.args(1, 64))],
      [T.GET_FEATURE, (r) => this.#getFeature(r)],
      [T.SET_FEATURE, ok((r) => this.#setFeature(r))],
      [T.GET_QUOTA, (r) => (privileged(r.conn), this.#getQuota(r.args(0, 2)))],
      [T.SET_QUOTA, ok((r) => (privileged(r.conn), this.#setQuota(r.args(2, 3))))],
    ]);
  }

  #write({ conn, m, tx }: Request): void {
    const nul = m.payload.indexOf(0);
    if (nul < 0) throw new Refusal("EINVAL");
    const path = strictPath(m.payload.subarray(0, nul));
    const value = m.payload.slice(nul + 1);
    this.#change(conn, tx, { kind: "write", path: this.#canonical(conn, path), value });
  }

  #directory({ conn, tx, args }: Request): Uint8Array {
    const node = this.#read(conn, tx, args(1)[0]);
    const reply = payloadOf([...node.children.keys()]);
    if (reply.length > 4096) throw new Refusal("E2BIG");
    return reply;
  }

  #setPerms({ conn, tx, args }: Request): void {
    const [path, ...texts] = args(2, 4096);
    const perms = texts.map(parsePermission);
    if (perms.some((p) => p === undefined)) throw new Refusal("EINVAL");
    this.#change(conn, tx, {
      kind: "perms",
      path: this.#canonical(conn, path),
      perms: perms as Permission[],
    });
  }

  #endTransaction({ conn, tx, args }: Request): void {
    const [how] = args(1);
    if (how !== "T" && how !== "F") throw new Refusal("EINVAL");
    if (tx === undefined) throw new Refusal("ENOENT");
    conn.transactions.delete(tx.id);
    if (how === "T") this.#commit(conn, tx);
  }

  #introduce({ conn, args }: Request): void {
    privileged(conn);
    const [domid, mfn, port] = args(3, 4);
    const id = parseDomid(domid);
    if (id === 0 || !/^-?[0-9]+$/.test(mfn) || !/^[0-9]+$/.test(port)) {
      throw new Refusal("EINVAL");
    }
    if (!this.#introduced.has(id)) this.introduceDomain(id);
  }

  #release({ conn, args }: Request): void {
    privileged(conn);
    const id = parseDomid(args(1)[0]);
    if (id === 0) throw new Refusal("EINVAL");
    if (!this.#introduced.has(id)) throw new Refusal("ENOENT");
    this.releaseDomain(id);
  }

  #getFeature({ conn, args }: Request): Uint8Array {
    const parts = args(0, 1);
    if (parts.length === 0) return payloadOf([String(this.#features.get(conn.domid) ?? 0)]);
    privileged(conn);
    return payloadOf([String(this.#features.get(parseDomid(parts[0])) ?? 0)]);
  }

  #setFeature({ conn, args }: Request): void {
    privileged(conn);
    const [domid, value] = args(2);
    const id = parseDomid(domid);
    if (!/^[0-9]+$/.test(value)) throw new Refusal("EINVAL");
    // This server supports no ring features, so only 0 is settable.
    if (Number(value) !== 0) throw new Refusal("EINVAL");
    if (this.#introduced.has(id)) throw new Refusal("EBUSY");
    this.#features.set(id, 0);
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

  // ---- paths and permissions ---------------------------------------------

  #canonical(conn: ServerConnection, path: string): string {
    if (checkPath(path, { relative: true }) !== undefined) throw new Refusal("EINVAL");
    if (path.startsWith("/")) return path;
    return `/local/domain/${conn.domid}/${path}`;
  }

  #canRead(conn: ServerConnection, node: Node): boolean {
    return conn.domid === 0 || permits(node.perms, conn.domid, "read");
  }

  #canWrite(conn: ServerConnection, node: Node): boolean {
    return conn.domid === 0 || permits(node.perms, conn.domid, "write");
  }

  /** ENOENT for a missing node, or EACCES when its nearest ancestor hides it. */
  #missing(conn: ServerConnection, root: Node, path: string): Refusal {
    if (conn.domid === 0) return new Refusal("ENOENT");
    let p = path;
    while (p !== "/") {
      p = parentPath(p);
      const node = lookup(root, p);
      if (node !== undefined) {
        return new Refusal(this.#canRead(conn, node) ? "ENOENT" : "EACCES");
      }
    }
    return new Refusal("ENOENT");
  }

  #read(conn: ServerConnection, tx: Transaction | undefined, rawPath: string): Node {
    const path = this.#canonical(conn, rawPath);
    const root = tx?.state.root ?? this.#root;
    if (tx !== undefined) this.#access(conn, tx.state, path);
    const node = lookup(root, path);
    if (node === undefined) throw this.#missing(conn, root, path);
    if (!this.#canRead(conn, node)) throw new Refusal("EACCES");
    return node;
  }

  // ---- changes -----------------------------------------------------------

  #freshState(): WorkState {
    return { root: this.#root, delta: new Map(), events: [], accessed: undefined, memory: 0 };
  }

  #change(conn: ServerConnection, tx: Transaction | undefined, op: Op): void {
    if (tx !== undefined) {
      this.#apply(conn, tx.state, op);
      const size = op.path.length + (op.kind === "write" ? op.value.length : 0) +
        (op.kind === "perms" ? op.perms.length * 8 : 0) + OP_OVERHEAD;
      this.#charge(conn, tx.state, size);
      tx.ops.push(op);
      return;
    }
    const state = this.#freshState();
    this.#apply(conn, state, op);
    this.#install(state);
  }

  /** Makes a change on a working state, checking permissions and quotas. */
  #apply(conn: ServerConnection, state: WorkState, op: Op): void {
    const { path } = op;
    const existing = lookup(state.root, path);
    this.#access(conn, state, path);
    switch (op.kind) {
      case "write":
      case "mkdir": {
        if (op.kind === "write") this.#checkSize(conn, op.value.length);
        if (existing !== undefined) {
          if (op.kind === "mkdir") return; // nothing to do, nothing announced
          if (!this.#canWrite(conn, existing)) throw new Refusal("EACCES");
          state.root = update(state.root, components(path), (old) => ({
            value: op.value,
            perms: old!.perms,
            children: old!.children,
            gen: nextGen(),
          }), unreachable);
          state.events.push([path, existing, false]);
          return;
        }
        this.#create(conn, state, path, op.kind === "write" ? op.value : EMPTY);
        return;
      }
      case "rm": {
        if (path === "/") throw new Refusal("EINVAL");
        if (existing === undefined) {
          const parent = lookup(state.root, parentPath(path));
          if (parent === undefined) throw this.#missing(conn, state.root, path);
          if (!this.#canRead(conn, parent)) throw new Refusal("EACCES");
          return;
        }
        if (!this.#canWrite(conn, existing)) throw new Refusal("EACCES");
        this.#access(conn, state, parentPath(path));
        const removed = new Map<number, number>();
        countByOwner(existing, removed);
        for (const [owner, n] of removed) addTo(state.delta, owner, -n);
        state.root = update(state.root, components(path), () => undefined, unreachable);
        state.events.push([path, existing, true]);
        return;
      }
      case "perms": {
        if (existing === undefined) throw this.#missing(conn, state.root, path);
        if (!this.#canWrite(conn, existing)) throw new Refusal("EACCES");
        if (conn.domid !== 0) {
          // Only the owner sets a node's permissions, and an unprivileged
          // owner may not give the node away (to dom0, to escape its node
          // quota, or to another guest, to fill that one's).
          if (existing.perms[0].domid !== conn.domid) throw new Refusal("EACCES");
          if (op.perms[0].domid !== conn.domid) throw new Refusal("EPERM");
          const limit = this.#quota(conn.domid, "permissions");
          if (limit > 0 && op.perms.length - 1 > limit) throw new Refusal("ENOSPC");
        }
        const oldOwner = existing.perms[0].domid;
        const newOwner = op.perms[0].domid;
        if (oldOwner !== newOwner) {
          this.#checkNodeQuota(state, newOwner, 1);
          addTo(state.delta, oldOwner, -1);
          addTo(state.delta, newOwner, 1);
        }
        state.root = update(state.root, components(path), (old) => ({
          value: old!.value,
          perms: op.perms,
          children: old!.children,
          gen: nextGen(),
        }), unreachable);
        state.events.push([path, existing, false]);
        return;
      }
    }
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
    if (!this.#canWrite(conn, ancestor)) throw new Refusal("EACCES");
    let perms = ancestor.perms;
    if (conn.domid !== 0 && perms[0].domid !== conn.domid) {
      perms = [{ domid: conn.domid, access: perms[0].access }, ...perms.slice(1)];
    }
    const owner = perms[0].domid;
    if (conn.domid !== 0) this.#checkNodeQuota(state, owner, missing.length);
    addTo(state.delta, owner, missing.length);
    for (const p of missing) this.#access(conn, state, p);
    this.#access(conn, state, ancestorPath);
    const newNode = makeNode(value, perms);
    state.root = update(state.root, components(path), () => newNode, () => makeNode(EMPTY, perms));
    state.events.push([path, newNode, false]);
  }

  /**
   * Records that a transaction read or wrote `path` (for its conflict check),
   * within the transaction-nodes and memory quotas, as xenstored bounds them:
   * ENOSPC past the nodes, ENOMEM past the memory.
   */
  #access(conn: ServerConnection, state: WorkState, path: string): void {
    const accessed = state.accessed;
    if (accessed === undefined || accessed.has(path)) return;
    if (conn.domid !== 0) {
      const limit = this.#quota(conn.domid, "transaction-nodes");
      if (limit > 0 && accessed.size >= limit) throw new Refusal("ENOSPC");
    }
    this.#charge(conn, state, path.length + OP_OVERHEAD);
    accessed.add(path);
  }

  /** Adds to what a transaction keeps; ENOMEM past the connection's memory quota. */
  #charge(conn: ServerConnection, state: WorkState, bytes: number): void {
    if (conn.domid !== 0) {
      const limit = this.#quota(conn.domid, "memory");
      let held = bytes;
      for (const tx of conn.transactions.values()) held += tx.state.memory;
      if (limit > 0 && held > limit) throw new Refusal("ENOMEM");
    }
    state.memory += bytes;
  }

  #checkSize(conn: ServerConnection, size: number): void {
    if (conn.domid === 0) return;
    const limit = this.#quota(conn.domid, "node-size");
    if (limit > 0 && size > limit) throw new Refusal("ENOSPC");
  }

  #checkNodeQuota(state: WorkState, owner: number, adding: number): void {
    if (owner === 0) return;
    const limit = this.#quota(owner, "nodes");
    if (limit === 0) return;
    const have = (this.#nodeCounts.get(owner) ?? 0) + (state.delta.get(owner) ?? 0);
    if (have + adding > limit) throw new Refusal("ENOSPC");
  }

  #quota(domid: number, name: keyof XenstoreQuotas): number {
    return this.#domainQuotas.get(domid)?.[name] ?? this.#quotas[name];
  }

  /** Makes a working state the store's state and announces its changes. */
  #install(state: WorkState): void {
    this.#root = state.root;
    for (const [owner, n] of state.delta) addTo(this.#nodeCounts, owner, n);
    // Who may hear of a change is decided by the node as it now stands (the
    // removed node, for removals), as xenstored does when it commits.
    for (const [path, node, recursive] of state.events) {
      this.#fire(path, lookup(this.#root, path) ?? node, recursive);
    }
  }

  // ---- transactions --------------------------------------------------------

  #startTransaction(conn: ServerConnection, m: Message): Uint8Array {
    if (m.txId !== 0) throw new Refusal("EBUSY");
    if (conn.domid !== 0) {
      const limit = this.#quota(conn.domid, "transactions");
      if (limit > 0 && conn.transactions.size >= limit) throw new Refusal("ENOSPC");
    }
    let id = this.#nextTxId;
    while (id === 0 || conn.transactions.has(id)) id = (id + 1) >>> 0;
    this.#nextTxId = (id + 1) >>> 0;
    const state = this.#freshState();
    state.accessed = new Set();
    conn.transactions.set(id, { id, base: this.#root, state, ops: [] });
    return payloadOf([String(id)]);
  }

  #commit(conn: ServerConnection, tx: Transaction): void {
    for (const path of tx.state.accessed ?? []) {
      if (genOf(lookup(this.#root, path)) !== genOf(lookup(tx.base, path))) {
        throw new Refusal("EAGAIN");
      }
    }
    if (tx.ops.length === 0) return;
    const state = this.#freshState();
    for (const op of tx.ops) this.#apply(conn, state, op);
    this.#install(state);
  }

  // ---- watches -----------------------------------------------------------

  #watch(conn: ServerConnection, [path, token]: string[]): Uint8Array {
    if (checkPath(path, { relative: true, special: true }) !== undefined) {
      throw new Refusal("EINVAL");
    }
    const abs = path.startsWith("@") ? path : this.#canonical(conn, path);
    const key = `${path}\0${token}`;
    if (conn.watches.has(key)) throw new Refusal("EEXIST");
    if (conn.domid !== 0) {
      const limit = this.#quota(conn.domid, "watches");
      if (limit > 0 && conn.watches.size >= limit) throw new Refusal("E2BIG");
    }
    conn.watches.set(key, { path, abs, token });
    // The initial event follows the reply.
    queueMicrotask(() => conn.sendEvent(path, token));
    return OK;
  }

  #fire(path: string, node: Node, recursive: boolean): void {
    for (const conn of this.#connections) {
      if (conn.watches.size === 0) continue;
      if (conn.domid !== 0 && !this.#canRead(conn, node)) continue;
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

  #fireSpecial(name: string): void {
    for (const conn of this.#connections) {
      // Only connections that may read the special node hear of it: dom0, as
      // in xenstored (its specials are owned by dom0, readable by none else).
      if (conn.domid !== 0) continue;
      for (const w of conn.watches.values()) {
        if (w.abs === name) conn.sendEvent(name, w.token);
      }
    }
  }

  // ---- misc --------------------------------------------------------------

  #control(conn: ServerConnection, [command, ...rest]: string[]): Uint8Array {
    privileged(conn);
    switch (command) {
      case "help":
        return payloadOf(["check\nprint\nhelp\nquota\n"]);
      case "check":
        return OK;
      case "print":
        if (rest.length !== 1) throw new Refusal("EINVAL");
        return OK;
      case "quota": {
        const lines = Object.entries(this.#quotas).map(([k, v]) => `${k}: ${v}`);
        return payloadOf([lines.join("\n") + "\n"]);
      }
      default:
        throw new Refusal("EINVAL");
    }
  }

  #getQuota(parts: string[]): Uint8Array {
    if (parts.length === 0) return payloadOf([Object.keys(DEFAULT_QUOTAS).join(" ")]);
    const [name, domid] = parts.length === 2 ? [parts[1], parseDomid(parts[0])] : [parts[0]];
    if (!(name in DEFAULT_QUOTAS)) throw new Refusal("EINVAL");
    const key = name as keyof XenstoreQuotas;
    const value = domid === undefined ? this.#quotas[key] : this.#quota(domid, key);
    return payloadOf([String(value)]);
  }

  #setQuota(parts: string[]): void {
    const [name, valueText, domid] = parts.length === 3
      ? [parts[1], parts[2], parseDomid(parts[0])]
      : [parts[0], parts[1]];
    if (!(name in DEFAULT_QUOTAS) || !/^[0-9]+$/.test(valueText)) throw new Refusal("EINVAL");
    const key = name as keyof XenstoreQuotas;
    const value = Number(valueText);
    if (value > 0xffffffff) throw new Refusal("EINVAL");
    if (domid === undefined) this.#quotas[key] = value;
    else this.#domainQuotas.set(domid, { ...this.#domainQuotas.get(domid), [key]: value });
  }
}

/** The server side of one connection. */
class ServerConnection {
  readonly domid: number;
  readonly watches = new Map<string, ServerWatch>();
  readonly transactions = new Map<number, Transaction>();
  #transport: XenstoreTransport;
  #handle: (c: ServerConnection, m: Message) => void;
  #decoder = new MessageDecoder();
  #outbox = new Outbox();
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(
    transport: XenstoreTransport,
    domid: number,
    handle: (c: ServerConnection, m: Message) => void,
  ) {
    this.#transport = transport;
    this.domid = domid;
    this.#handle = handle;
  }

  async run(): Promise<void> {
    try {
      while (!this.#closed) {
        // Backpressure: a client that does not read its replies stops being read.
        if (this.#outbox.bytes > READ_PAUSE && this.#flushing) await this.#flushing;
        const chunk = await this.#transport.read();
        if (chunk === null || this.#closed) break;
        // A malformed header (payload over 4096) throws: the connection dies,
        // as it does in xenstored.
        for (const m of this.#decoder.push(chunk)) {
          if (this.#closed) break;
          this.#handle(this, m);
        }
      }
    } catch {
      // protocol violation or transport failure: drop the connection
    } finally {
      await this.close();
    }
  }

  send(message: Message): void {
    if (this.#closed) return;
    this.#outbox.push(message);
    if (this.#outbox.bytes > OUTBOX_LIMIT) {
      // The client has stopped reading; xenstored drops such connections too.
      this.close();
      return;
    }
    if (this.#flushing === undefined) this.#flushing = this.#flush();
  }

  sendEvent(path: string, token: string): void {
    this.send({
      type: MessageType.WATCH_EVENT,
      reqId: 0,
      txId: 0,
      payload: payloadOf([path, token]),
    });
  }

  async #flush(): Promise<void> {
    // Let the current batch of requests finish first: one write for all.
    await Promise.resolve();
    try {
      while (!this.#outbox.empty && !this.#closed) {
        await this.#transport.write(this.#outbox.take());
      }
    } catch {
      this.close();
    } finally {
      this.#flushing = undefined;
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#outbox.clear();
    this.watches.clear();
    this.transactions.clear();
    return this.#transport.close();
  }
}

function relativeTo(conn: ServerConnection, w: ServerWatch, path: string): string {
  if (w.path.startsWith("/")) return path;
  const home = `/local/domain/${conn.domid}/`;
  return path.startsWith(home) ? path.slice(home.length) : path;
}

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

/** Whether `target` (at or below `base`) exists in the subtree `node` at `base`. */
function within(node: Node, base: string, target: string): boolean {
  const rest = target.slice(base === "/" ? 1 : base.length + 1);
  return rest === "" || lookup(node, `/${rest}`) !== undefined;
}

function genOf(node: Node | undefined): number {
  return node === undefined ? -1 : node.gen;
}

function addTo(map: Map<number, number>, key: number, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function privileged(conn: ServerConnection): void {
  if (conn.domid !== 0) throw new Refusal("EACCES");
}

/** A domid argument of a request: decimal digits naming a domain's id, else EINVAL. */
function parseDomid(text: string): number {
  const domid = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!isDomid(domid)) throw new Refusal("EINVAL");
  return domid;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

function strictPath(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new Refusal("EINVAL");
  }
}

function unreachable(): Node {
  throw new Error("unreachable: parent missing for an existing node");
}
