// Copyright 2026 the xenpv authors. MIT license.

import { assertDomid } from "../_sys/domid.ts";
import { Outbox } from "./_outbox.ts";
import {
  type Message,
  MessageDecoder,
  MessageType,
  messageTypeName,
  payloadOf,
  splitPayload,
} from "./wire.ts";
import { assertPath, isPathWithin } from "./path.ts";
import { XenstoreClosedError, XenstoreError, XenstoreProtocolError } from "./errors.ts";
import { type RequestOptions, XenstoreOperations } from "./operations.ts";
import { openXenstoreTransport, servingHere } from "./_transports.ts";
import { FdStream } from "../_sys/fd_stream.ts";
import type { XenstoreTransport } from "./transport.ts";

export type { RequestOptions } from "./operations.ts";

const decoder = new TextDecoder();

/** Options for {@linkcode XenstoreClient.connect}. */
export interface XenstoreConnectOptions {
  /**
   * Where xenstored is: a unix socket path, or a device path under `/dev/`.
   * Default: `$XENSTORED_PATH`, then `/var/run/xenstored/socket`, then
   * `/dev/xen/xenbus` (the order libxenstore uses).
   */
  path?: string;
  /**
   * How a socket is reached: through libc (`"libc"`: `--allow-ffi` is
   * enough), through Deno's own unix sockets (`"deno"`: their waits are
   * faster; they need `--allow-read`, `--allow-write` and `--allow-net` for
   * the path), or
   * `"auto"` (the default): Deno's when the program was granted them.
   */
  transport?: "auto" | "libc" | "deno";
  /**
   * Microseconds a lone request may block the event loop waiting for its
   * reply (0, the default: never). With nothing else in flight and no watch
   * set, the client then writes the request and waits for the reply in the
   * kernel (one `recv()` bounded by `SO_RCVTIMEO`: the thread sleeps, it
   * does not spin), as libxenstore does, instead of through the event loop:
   * one request at a time measured 1.35-1.7x faster (0.83-0.95x
   * libxenstore). A reply that does not come in time is awaited the usual
   * way, so the event loop stalls at most this long per request; after 3
   * such misses in a row the next 256 requests do not block. It never
   * blocks while this process itself serves xenstore on a socket
   * (`XenstoreServer.listen`), which could not answer meanwhile; any other
   * server in this process (e.g. a hand-made one) costs a bounded delay,
   * never a deadlock. Sockets only, through libc: `"auto"` then means
   * `"libc"`, and `"deno"` is a TypeError. At most 10000; 5000 is what was
   * measured (with `ppoll()`, bounds below the kernel's 4 ms tick cost
   * about 10 µs a wait in a VM, reprogramming the timer). Suits
   * programs that issue one request at a time and have nothing else for the
   * event loop to do (CLIs, scripts), not servers.
   */
  blockingWaitUs?: number;
}

/** Options for {@linkcode XenstoreClient.watch}. */
export interface WatchOptions extends RequestOptions {
  /** The token events carry; a unique one is made when omitted. */
  token?: string;
  /**
   * Events kept for a reader that falls behind before they collapse into
   * one `overflowed` event for the watched path. Default 1024.
   */
  maxQueued?: number;
}

/** Options for {@linkcode XenstoreClient.transaction}. */
export interface TransactionOptions extends RequestOptions {
  /** How many times to run the function before giving up on EAGAIN. Default 16. */
  maxAttempts?: number;
}

/** A watch event: the path that changed and the watch's token. */
export interface WatchEvent {
  /** The path that changed (or the watched path for the initial event). */
  path: string;
  /** The token given when the watch was set. */
  token: string;
  /**
   * Set when the reader fell behind and queued events were collapsed into
   * this one: anything under the watched path may have changed.
   */
  overflowed?: boolean;
}

interface Pending {
  type: number;
  path: string | undefined;
  resolve: (payload: Uint8Array) => void;
  reject: (err: unknown) => void;
}

let tokenCounter = 0;

/** Misses in a row after which blocking waits pause, and for how many requests. */
const BLOCKING_MISSES = 3;
const BLOCKING_PAUSE = 256;

// Module-private access between XenstoreClient and XenstoreWatch (set in
// their static blocks): nothing of it shows on the public classes.
let unwatch: (client: XenstoreClient, watch: XenstoreWatch) => Promise<void>;
let deliver: (watch: XenstoreWatch, path: string, token: string) => void;
let endWatch: (watch: XenstoreWatch, error: unknown) => void;
let allowBlocking: (client: XenstoreClient, stream: FdStream, us: number) => void;

/**
 * A xenstore client: many requests in flight at once (matched by req_id),
 * watches as async iterables, transactions with automatic retry.
 *
 * @example Against the in-memory server
 * ```ts
 * import { XenstoreServer } from "@xenpv/console/xenstore";
 * import assert from "node:assert/strict";
 *
 * await using server = new XenstoreServer();
 * await using client = server.connectClient();
 * await client.write("/vm/name", "guest1");
 * assert.equal(await client.readString("/vm/name"), "guest1");
 * assert.deepEqual(await client.directory("/vm"), ["name"]);
 * ```
 *
 * @example In dom0, against the real xenstored
 * ```ts ignore
 * import { XenstoreClient } from "@xenpv/console/xenstore";
 *
 * await using xs = await XenstoreClient.connect();
 * console.log(await xs.readString("/local/domain/1/name"));
 * ```
 */
export class XenstoreClient extends XenstoreOperations implements AsyncDisposable {
  #transport: XenstoreTransport;
  #decoder = new MessageDecoder({ pooled: true });
  #pending = new Map<number, Pending>();
  #watches = new Set<XenstoreWatch>();
  #nextReqId = 1;
  #outbox = new Outbox();
  #flushing = false;
  #reading = false;
  #error: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Blocking waits (see `blockingWaitUs`): the socket, the bound, misses, pause. */
  #blockingStream: FdStream | undefined;
  #blockingUs = 0;
  #misses = 0;
  #pause = 0;

  static {
    allowBlocking = (client, stream, us) => {
      client.#blockingStream = stream;
      client.#blockingUs = us;
    };
  }

  /** Wraps a transport; see {@linkcode XenstoreClient.connect} for the usual way. */
  constructor(transport: XenstoreTransport) {
    super();
    this.#transport = transport;
  }

  /**
   * Connects to xenstored the way libxenstore does: `options.path`, else
   * `$XENSTORED_PATH`, else `/var/run/xenstored/socket`, else
   * `/dev/xen/xenbus`. Needs `--allow-ffi` only.
   *
   * @throws {SystemError} naming the path, errno and the fix when no xenstore
   * is reachable (e.g. not in dom0, or not root).
   */
  static async connect(options: XenstoreConnectOptions = {}): Promise<XenstoreClient> {
    const us = options.blockingWaitUs ?? 0;
    if (typeof us !== "number" || !(us >= 0 && us <= 10000)) {
      throw new RangeError(`blockingWaitUs must be 0..10000 microseconds, got ${String(us)}`);
    }
    let how = options.transport;
    if (us > 0) {
      if (how === "deno") {
        throw new TypeError(
          'blockingWaitUs needs the libc transport: use transport "libc" or "auto", or drop it',
        );
      }
      how = "libc";
    }
    const transport = await openXenstoreTransport(options.path, how);
    const client = new XenstoreClient(transport);
    if (us > 0 && transport instanceof FdStream) allowBlocking(client, transport, us);
    return client;
  }

  /**
   * The largest request payload this connection takes: 4096 bytes (the
   * protocol's limit), 4080 through `/dev/xen/xenbus`, whose buffer holds the
   * 16-byte header too.
   */
  get maxPayload(): number {
    return this.#transport.maxPayload ?? 4096;
  }

  /** Number of requests awaiting a reply. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** Whether the client was closed or its connection failed. */
  get closed(): boolean {
    return this.#closed || this.#error !== undefined;
  }

  /** Sends one request outside any transaction. */
  protected request(
    type: number,
    parts: readonly (string | Uint8Array)[],
    options: RequestOptions & { path?: string },
  ): Promise<Uint8Array> {
    return this.requestIn(0, type, parts, options);
  }

  /**
   * Sends one request with an explicit transaction id (0 = none). Prefer the
   * typed methods; this is the escape hatch for any message type.
   */
  requestIn(
    txId: number,
    type: number,
    parts: readonly (string | Uint8Array)[],
    options: RequestOptions & { path?: string } = {},
  ): Promise<Uint8Array> {
    if (this.#closed) {
      return Promise.reject(new XenstoreClosedError("xenstore client is closed"));
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Text requests (the usual kind) are encoded straight into the outbox.
    const textSize = asciiTextSize(parts);
    let payload: Uint8Array | undefined;
    try {
      if (type >>> 0 !== type || txId >>> 0 !== txId) {
        throw new RangeError(`xenstore type and txId must be u32s, got ${type} and ${txId}`);
      }
      if (textSize < 0) payload = payloadOf(parts);
      const size = payload?.length ?? textSize;
      if (size > this.maxPayload) {
        throw new RangeError(
          `xenstore ${messageTypeName(type)} payload is ${size} bytes; ` +
            `the limit is ${this.maxPayload}`,
        );
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const reqId = this.#allocateReqId();
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = { type, path: options.path, resolve, reject };
      if (signal !== undefined) {
        const onAbort = () => {
          // The reply, if it comes, is dropped: its req_id is no longer pending.
          this.#pending.delete(reqId);
          reject(signal.reason);
        };
        pending.resolve = (p) => {
          signal.removeEventListener("abort", onAbort);
          resolve(p);
        };
        pending.reject = (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
      this.#pending.set(reqId, pending);
      if (payload === undefined) {
        this.#outbox.pushText(type, reqId, txId, parts as readonly string[], textSize);
      } else {
        this.#outbox.push({ type, reqId, txId, payload });
      }
      this.#scheduleFlush();
      // With blocking waits, the flush decides (it may read the reply itself).
      if (this.#blockingStream === undefined) this.#ensureReading();
    });
  }

  #allocateReqId(): number {
    for (;;) {
      const id = this.#nextReqId;
      this.#nextReqId = id === 0xffffffff ? 1 : id + 1;
      if (!this.#pending.has(id)) return id;
    }
  }

  // Requests issued in one turn of the event loop leave in one write.
  #scheduleFlush(): void {
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(this.#flushQueued);
    }
  }

  /**
   * The flush microtask. With blocking waits, a lone request is written and
   * answered right here, synchronously (no promise of its own: this is the
   * path a program doing one request at a time takes every time).
   */
  readonly #flushQueued = (): void => {
    let rest: Uint8Array | undefined;
    if (this.#blockingStream !== undefined) {
      try {
        rest = this.#sendAndWait(this.#blockingStream);
      } catch (err) {
        this.#failSending(err);
        this.#flushing = false;
        return;
      }
      if (this.#pending.size > 0 || this.#watches.size > 0) this.#ensureReading();
      if (rest === undefined && this.#outbox.empty) {
        this.#flushing = false;
        return;
      }
    }
    this.#flush(rest);
  };

  async #flush(rest: Uint8Array | undefined): Promise<void> {
    try {
      if (rest !== undefined) await this.#transport.write(rest);
      while (!this.#outbox.empty && !this.closed) {
        await this.#transport.write(this.#outbox.take());
      }
    } catch (err) {
      this.#failSending(err);
    } finally {
      this.#flushing = false;
    }
  }

  #failSending(err: unknown): void {
    this.#fail(
      new XenstoreClosedError(`xenstore connection failed while sending: ${message(err)}`, {
        cause: err,
      }),
    );
  }

  /**
   * A blocking wait: when the queued request is the only one in flight (and
   * no read is running), writes it and waits up to `blockingWaitUs` in the
   * kernel for the reply, then dispatches what came. Returns the bytes a full
   * socket did not take (the caller writes them the usual way).
   */
  #sendAndWait(stream: FdStream): Uint8Array | undefined {
    if (
      this.#reading || this.#pending.size !== 1 || this.#outbox.empty || this.closed ||
      servingHere()
    ) return;
    if (this.#pause > 0) {
      this.#pause--;
      return;
    }
    const bytes = this.#outbox.take();
    const sent = stream.tryWrite(bytes);
    if (sent < bytes.length) return bytes.subarray(sent);
    const chunk = stream.readWithin(this.#blockingUs);
    if (chunk === undefined) {
      if (++this.#misses >= BLOCKING_MISSES) {
        this.#misses = 0;
        this.#pause = BLOCKING_PAUSE;
      }
      return;
    }
    this.#misses = 0;
    if (chunk === null) {
      this.#fail(new XenstoreClosedError("xenstore connection closed by the server"));
      return;
    }
    try {
      for (const m of this.#decoder.push(chunk)) this.#dispatch(m);
    } catch (err) {
      this.#fail(err as XenstoreProtocolError);
    }
  }

  #ensureReading(): void {
    if (!this.#reading) this.#readLoop();
  }

  async #readLoop(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.closed && (this.#pending.size > 0 || this.#watches.size > 0)) {
        const chunk = await this.#transport.read();
        if (this.#closed) return;
        if (chunk === null) {
          this.#fail(new XenstoreClosedError("xenstore connection closed by the server"));
          return;
        }
        for (const m of this.#decoder.push(chunk)) this.#dispatch(m);
      }
    } catch (err) {
      this.#fail(
        err instanceof XenstoreProtocolError ? err : new XenstoreClosedError(
          `xenstore connection failed: ${message(err)}`,
          { cause: err },
        ),
      );
    } finally {
      this.#reading = false;
    }
  }

  #dispatch(m: Message): void {
    if (m.type === MessageType.WATCH_EVENT) {
      const [path, token] = splitPayload(m.payload);
      if (path === undefined || token === undefined) return; // malformed: ignore
      for (const w of this.#watches) deliver(w, path, token);
      return;
    }
    const pending = this.#pending.get(m.reqId);
    if (pending === undefined) return; // abandoned (aborted) request
    this.#pending.delete(m.reqId);
    if (m.type === pending.type) {
      pending.resolve(m.payload);
      return;
    }
    const op = messageTypeName(pending.type);
    if (m.type === MessageType.ERROR) {
      const [code] = splitPayload(m.payload);
      // xenstored sends errno names ("ENOENT"); anything else is not to be
      // shown to anyone (it could carry terminal escapes).
      if (code === undefined || !/^E[A-Z0-9]{1,15}$/.test(code)) {
        pending.reject(new XenstoreProtocolError(`${op} got an ERROR reply without an errno name`));
      } else {
        pending.reject(new XenstoreError(code, { op, path: pending.path }));
      }
    } else {
      pending.reject(
        new XenstoreProtocolError(`reply to ${op} has type ${messageTypeName(m.type)}`),
      );
    }
  }

  #fail(err: Error): void {
    if (this.#error !== undefined || this.#closed) return;
    this.#error = err;
    this.#rejectAll(err);
    for (const w of [...this.#watches]) endWatch(w, err);
    this.#watches.clear();
    this.#transport.close().catch(() => {});
  }

  #rejectAll(err: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
  }

  /**
   * Sets a watch on `path` (or a special path such as `@releaseDomain`). The
   * returned watch is an async iterable of events, starting with the initial
   * event xenstored sends; leaving the loop (or `close()`) removes the watch.
   *
   * @example
   * ```ts
   * import { XenstoreServer } from "@xenpv/console/xenstore";
   * import assert from "node:assert/strict";
   *
   * await using server = new XenstoreServer();
   * await using client = server.connectClient();
   * await using watch = await client.watch("/data");
   * assert.equal((await watch.next()).value?.path, "/data"); // the initial event
   * await client.write("/data/x", "1");
   * assert.equal((await watch.next()).value?.path, "/data/x");
   * ```
   */
  async watch(path: string, options: WatchOptions = {}): Promise<XenstoreWatch> {
    assertPath(path, { relative: true, special: true });
    const token = options.token ?? `xenpv-${++tokenCounter}`;
    if (typeof token !== "string" || token.includes("\0") || token.length === 0) {
      throw new TypeError("xenstore watch token must be a non-empty string without NUL");
    }
    const watch = new XenstoreWatch(this, path, token, options.maxQueued ?? 1024);
    this.#watches.add(watch); // before the request: events may follow the reply at once
    try {
      await this.request(MessageType.WATCH, [path, token], { ...options, path });
    } catch (err) {
      this.#watches.delete(watch);
      throw err;
    }
    if (options.signal !== undefined) {
      options.signal.addEventListener("abort", () => watch.close(), { once: true });
    }
    return watch;
  }

  static {
    unwatch = (client, watch) => client.#unwatch(watch);
  }

  /** Called by a watch when it is closed. */
  async #unwatch(watch: XenstoreWatch): Promise<void> {
    if (!this.#watches.delete(watch) || this.closed) return;
    try {
      await this.request(MessageType.UNWATCH, [watch.path, watch.token], { path: watch.path });
    } catch (err) {
      if (err instanceof XenstoreError && err.code === "ENOENT") return;
      if (err instanceof XenstoreClosedError) return;
      throw err;
    }
  }

  /**
   * Starts a transaction. Prefer {@linkcode XenstoreClient.transaction},
   * which commits, aborts and retries for you.
   */
  async startTransaction(options: RequestOptions = {}): Promise<XenstoreTransaction> {
    const reply = await this.request(MessageType.TRANSACTION_START, [""], options);
    const text = splitPayload(reply)[0] ?? "";
    const id = Number(text);
    if (!/^[0-9]+$/.test(text) || id === 0 || id > 0xffffffff) {
      throw new XenstoreProtocolError(`TRANSACTION_START replied ${JSON.stringify(text)}`);
    }
    return new XenstoreTransaction(this, id);
  }

  /**
   * Runs `fn` in a transaction and commits it. When the commit (or a request
   * inside) reports a conflict (EAGAIN), runs `fn` again in a new transaction,
   * up to `maxAttempts` times. When `fn` throws, the transaction is aborted
   * and the error rethrown.
   *
   * @example Increment a counter atomically
   * ```ts
   * import { XenstoreServer } from "@xenpv/console/xenstore";
   * import assert from "node:assert/strict";
   *
   * await using server = new XenstoreServer();
   * await using client = server.connectClient();
   * await client.write("/counter", "0");
   * await client.transaction(async (tx) => {
   *   const n = Number(await tx.readString("/counter"));
   *   await tx.write("/counter", String(n + 1));
   * });
   * assert.equal(await client.readString("/counter"), "1");
   * ```
   */
  async transaction<T>(
    fn: (tx: XenstoreTransaction) => Promise<T> | T,
    options: TransactionOptions = {},
  ): Promise<T> {
    const maxAttempts = options.maxAttempts ?? 16;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
    }
    for (let attempt = 1;; attempt++) {
      options.signal?.throwIfAborted();
      const tx = await this.startTransaction(options);
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        await tx.abort().catch(() => {});
        if (isConflict(err) && attempt < maxAttempts) continue;
        throw err;
      }
      try {
        await tx.commit(options);
        return result;
      } catch (err) {
        if (!isConflict(err)) throw err;
        if (attempt >= maxAttempts) {
          throw new XenstoreError(
            "EAGAIN",
            { op: `TRANSACTION_END (gave up after ${attempt} conflicting attempts)` },
            { cause: err },
          );
        }
        // Back off a little so that competing writers interleave.
        await new Promise((r) => setTimeout(r, Math.min(50, attempt * attempt)));
      }
    }
  }

  /** The home path of a domain, e.g. `/local/domain/3`. */
  async getDomainPath(domid: number, options: RequestOptions = {}): Promise<string> {
    assertDomid(domid);
    const reply = await this.request(MessageType.GET_DOMAIN_PATH, [String(domid)], options);
    return splitPayload(reply)[0] ?? "";
  }

  /** Whether xenstored has been introduced to (and not released) a domain. */
  async isDomainIntroduced(domid: number, options: RequestOptions = {}): Promise<boolean> {
    assertDomid(domid);
    const reply = await this.request(MessageType.IS_DOMAIN_INTRODUCED, [String(domid)], options);
    return splitPayload(reply)[0] === "T";
  }

  /** Introduces a domain (its store page frame and event channel) to xenstored. */
  async introduce(
    domid: number,
    mfn: number | bigint,
    port: number,
    options: RequestOptions = {},
  ): Promise<void> {
    assertDomid(domid);
    await this.request(MessageType.INTRODUCE, [String(domid), String(mfn), String(port)], options);
  }

  /** Asks xenstored to drop its connection to a domain. */
  async release(domid: number, options: RequestOptions = {}): Promise<void> {
    assertDomid(domid);
    await this.request(MessageType.RELEASE, [String(domid)], options);
  }

  /** Re-arms @releaseDomain for a domain that was shut down and restarted. */
  async resume(domid: number, options: RequestOptions = {}): Promise<void> {
    assertDomid(domid);
    await this.request(MessageType.RESUME, [String(domid)], options);
  }

  /** Lets `domid` act for `target` (device model stub domains). */
  async setTarget(domid: number, target: number, options: RequestOptions = {}): Promise<void> {
    assertDomid(domid);
    assertDomid(target);
    await this.request(MessageType.SET_TARGET, [String(domid), String(target)], options);
  }

  /** Drops all watches and transactions of this connection on the server. */
  async resetWatches(options: RequestOptions = {}): Promise<void> {
    await this.request(MessageType.RESET_WATCHES, [""], options);
    for (const w of [...this.#watches]) endWatch(w, undefined);
    this.#watches.clear();
  }

  /** Sends a CONTROL command (implementation specific); resolves to the reply text. */
  async control(
    command: string,
    args: readonly string[] = [],
    options: RequestOptions = {},
  ): Promise<string> {
    const reply = await this.request(MessageType.CONTROL, [command, ...args], options);
    return splitPayload(reply).join("\n");
  }

  /** The feature bits xenstored offers (for `domid`, or for this connection). */
  async getFeature(domid?: number, options: RequestOptions = {}): Promise<number> {
    if (domid !== undefined) assertDomid(domid);
    const parts = domid === undefined ? [] : [String(domid)];
    return parseNumber(await this.request(MessageType.GET_FEATURE, parts, options), "GET_FEATURE");
  }

  /** Sets the feature bits for a domain (before it is introduced). */
  async setFeature(domid: number, value: number, options: RequestOptions = {}): Promise<void> {
    assertDomid(domid);
    await this.request(MessageType.SET_FEATURE, [String(domid), String(value)], options);
  }

  /** The names of the quotas xenstored supports. */
  async quotaNames(options: RequestOptions = {}): Promise<string[]> {
    const reply = await this.request(MessageType.GET_QUOTA, [], options);
    return (splitPayload(reply)[0] ?? "").split(" ").filter((s) => s !== "");
  }

  /** A quota value: global (default for new domains) or of one domain. */
  async getQuota(
    name: string,
    options: RequestOptions & { domid?: number } = {},
  ): Promise<number> {
    const parts = options.domid === undefined ? [name] : [String(assertDomid(options.domid)), name];
    return parseNumber(await this.request(MessageType.GET_QUOTA, parts, options), "GET_QUOTA");
  }

  /** Sets a quota value, globally or for one domain (0 disables the check). */
  async setQuota(
    name: string,
    value: number,
    options: RequestOptions & { domid?: number } = {},
  ): Promise<void> {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`quota value must be a u32, got ${value}`);
    }
    const parts = options.domid === undefined
      ? [name, String(value)]
      : [String(assertDomid(options.domid)), name, String(value)];
    await this.request(MessageType.SET_QUOTA, parts, options);
  }

  /**
   * Closes the connection. Pending requests reject with
   * {@linkcode XenstoreClosedError}; watches end.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    const err = new XenstoreClosedError("xenstore client closed");
    this.#rejectAll(err);
    for (const w of [...this.#watches]) endWatch(w, undefined);
    this.#watches.clear();
    this.#closing = this.#transport.close();
    return this.#closing;
  }

  /** Same as {@linkcode XenstoreClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A live watch: an async iterable of {@linkcode WatchEvent}s. `close()`,
 * `using`, or leaving a `for await` loop removes it from the server.
 */
export class XenstoreWatch implements AsyncIterableIterator<WatchEvent>, AsyncDisposable {
  /** The watched path. */
  readonly path: string;
  /** The token events carry. */
  readonly token: string;
  #client: XenstoreClient;
  #queue: WatchEvent[] = [];
  #waiters: { resolve: (e: IteratorResult<WatchEvent>) => void; reject: (e: unknown) => void }[] =
    [];
  #maxQueued: number;
  #ended = false;
  #error: unknown;

  /** @internal Made by {@linkcode XenstoreClient.watch}. */
  constructor(client: XenstoreClient, path: string, token: string, maxQueued: number) {
    this.#client = client;
    this.path = path;
    this.token = token;
    this.#maxQueued = Math.max(1, maxQueued);
  }

  static {
    deliver = (watch, path, token) => watch.#deliver(path, token);
    endWatch = (watch, error) => watch.#end(error);
  }

  /** Delivers an event if it belongs to this watch. */
  #deliver(path: string, token: string): void {
    if (this.#ended || token !== this.token) return;
    // Tokens may be shared between watches: keep only events under our path.
    if (!isPathWithin(path, this.path)) return;
    const event: WatchEvent = { path, token };
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.#queue.length >= this.#maxQueued) {
      this.#queue = [{ path: this.path, token, overflowed: true }];
      return;
    }
    this.#queue.push(event);
  }

  /** Ends iteration: normally, or with the connection's error. */
  #end(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    for (const w of this.#waiters.splice(0)) {
      if (error === undefined) w.resolve({ value: undefined, done: true });
      else w.reject(error);
    }
  }

  /** Events waiting to be read. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The next event, waiting for one if needed. */
  next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#ended) {
      return this.#error === undefined
        ? Promise.resolve({ value: undefined, done: true })
        : Promise.reject(this.#error);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Removes the watch (leaving a `for await` loop calls this). */
  async return(): Promise<IteratorResult<WatchEvent>> {
    await this.close();
    return { value: undefined, done: true };
  }

  /** The watch is its own iterator. */
  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }

  /** Removes the watch from the server; pending `next()` calls finish. */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#end(undefined);
    this.#queue = [];
    await unwatch(this.#client, this);
  }

  /** Same as {@linkcode XenstoreWatch.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The operations of one transaction. Ends with `commit()` or `abort()`;
 * disposing an unfinished transaction aborts it.
 */
export class XenstoreTransaction extends XenstoreOperations implements AsyncDisposable {
  /** The transaction id xenstored allocated. */
  readonly id: number;
  #client: XenstoreClient;
  #ended = false;

  /** @internal Made by {@linkcode XenstoreClient.startTransaction}. */
  constructor(client: XenstoreClient, id: number) {
    super();
    this.#client = client;
    this.id = id;
  }

  /** Whether commit() or abort() was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends one request inside this transaction. */
  protected request(
    type: number,
    parts: readonly (string | Uint8Array)[],
    options: RequestOptions & { path?: string },
  ): Promise<Uint8Array> {
    if (this.#ended) {
      return Promise.reject(new TypeError(`xenstore transaction ${this.id} has ended`));
    }
    return this.#client.requestIn(this.id, type, parts, options);
  }

  /**
   * Commits. Rejects with a {@linkcode XenstoreError} whose code is `EAGAIN`
   * when another writer got in the way: run the transaction again.
   */
  async commit(options: RequestOptions = {}): Promise<void> {
    await this.#end("T", options);
  }

  /** Discards the transaction's changes. */
  async abort(options: RequestOptions = {}): Promise<void> {
    await this.#end("F", options);
  }

  async #end(how: "T" | "F", options: RequestOptions): Promise<void> {
    if (this.#ended) throw new TypeError(`xenstore transaction ${this.id} has ended`);
    this.#ended = true;
    await this.#client.requestIn(this.id, MessageType.TRANSACTION_END, [how], options);
  }

  /** Aborts the transaction unless it already ended. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#ended) await this.abort().catch(() => {});
  }
}

/**
 * The payload size of `parts` when all are ASCII strings (each followed by a
 * NUL, as payloadOf builds them), else -1.
 */
function asciiTextSize(parts: readonly (string | Uint8Array)[]): number {
  let size = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (typeof part !== "string") return -1;
    for (let j = 0; j < part.length; j++) if (part.charCodeAt(j) >= 0x80) return -1;
    size += part.length + 1;
  }
  return size;
}

function isConflict(err: unknown): boolean {
  return err instanceof XenstoreError && err.code === "EAGAIN";
}

function parseNumber(reply: Uint8Array, op: string): number {
  const text = decoder.decode(reply).replace(/\0+$/, "");
  if (!/^[0-9]+$/.test(text)) {
    throw new XenstoreProtocolError(`${op} replied ${JSON.stringify(text)}, not a number`);
  }
  return Number(text);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
