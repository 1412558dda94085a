// Copyright 2026 the xenpv authors. MIT license.
// An attached console: the pump reads the transport into a staging buffer
// and hands it to the readers; an end of the transport is the guest gone
// (followed to its next domain, or reported), or the console broken; losing
// xenstore fails it too (without it a guest's end cannot be seen).

import type { XenstoreClient, XenstoreWatch } from "../xenstore/client.ts";
import { XenstoreClosedError } from "../xenstore/errors.ts";
import { ConsoleClosedError, GuestGoneError } from "./errors.ts";
import { FanOut } from "./fan_out.ts";
import { attachNext, GONE_GRACE_MS, goneSoon, nextDomain } from "./follow.ts";
import type { XenHost } from "./host.ts";
import type { Transport } from "./transports.ts";
import type { AttachMode, ConnectOptions, ConsoleInfo, ReattachDetail } from "./types.ts";

/** The most one read from the ring or pty takes (the pty can hold more than the ring). */
const STAGING_BYTES = 16 * 1024;

/**
 * An attached console: `readable` (guest output), `writable` (input to the
 * guest), more readers with `subscribe()`, and what was chosen (`info`).
 * Events: `reattach` (a followed guest came back as a new domain; detail
 * {@linkcode ReattachDetail}). Close with `close()` or `await using`.
 *
 * @example Two readers of one console
 * ```ts
 * import { connect } from "@xenpv/console";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "deb1", program: "linux" });
 * await using console = await connect("deb1", { host });
 * const log = console.subscribe(); // also gets everything from now on
 * assert.equal(console.info.mode, "pty");
 * await log.cancel();
 * ```
 */
export class XenConsole extends EventTarget implements AsyncDisposable {
  /** Guest output. Backpressure reaches the guest: an unread console stalls it. */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Input to the guest; writes wait for room in the guest's input ring. Once
   * the console ends, or a write fails because it is ending, writes reject
   * with its failure (`GuestGoneError`, `ConsoleClosedError`), in both modes.
   */
  readonly writable: WritableStream<Uint8Array>;
  #host: XenHost;
  #xs: XenstoreClient;
  #options: ConnectOptions;
  #info: ConsoleInfo;
  #transport: Transport | undefined;
  #transportReady: Promise<void> = Promise.resolve();
  #readers = new FanOut();
  /** Where the pump reads the guest's output, before it is handed on. */
  #staging = new Uint8Array(STAGING_BYTES);
  #abort = new AbortController();
  #closed = false;
  #error: unknown;
  #gone: PromiseWithResolvers<void> = Promise.withResolvers();
  /** Resolved once the transport of the moment is given up (for the next domain, or by close). */
  #detached: PromiseWithResolvers<void> = Promise.withResolvers();
  #releaseWatch: XenstoreWatch | undefined;
  #tasks: Promise<unknown>[] = [];
  #closing: Promise<void> | undefined;

  /** @internal Made by `connect()`. */
  constructor(
    host: XenHost,
    xs: XenstoreClient,
    transport: Transport,
    info: ConsoleInfo,
    options: ConnectOptions,
  ) {
    super();
    this.#host = host;
    this.#xs = xs;
    this.#transport = transport;
    this.#info = info;
    this.#options = options;
    this.readable = this.subscribe();
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
      close: () => {},
      abort: () => {},
    });
    this.#tasks.push(this.#pump(), this.#watchRelease());
    options.signal?.addEventListener("abort", () => this.close().catch(() => {}), { once: true });
  }

  /** What the console is attached to (domid, mode, pty or mapping). */
  get info(): ConsoleInfo {
    return { ...this.#info };
  }

  /** The guest's domid. */
  get domid(): number {
    return this.#info.domid;
  }

  /** The mode in use. */
  get mode(): AttachMode {
    return this.#info.mode;
  }

  /**
   * Another reader of the same output (from now on). The slowest reader sets
   * the pace: memory stays bounded.
   *
   * Every stream here is a byte stream: a BYOB reader
   * (`getReader({ mode: "byob" })`) gets the bytes copied straight from the
   * ring or pty into its own buffer, so reading allocates nothing; a default
   * reader gets a new chunk per read.
   */
  subscribe(): ReadableStream<Uint8Array> {
    return this.#readers.subscribe();
  }

  /**
   * Writes `chunk` to the guest, through the transport of the moment (one at a
   * time across a follow). A write that fails because the console is ending
   * (the guest gone, xenconsoled dead) rejects with the console's own failure,
   * the transport's error as its cause, as the readers' streams do.
   */
  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("console input must be a Uint8Array");
    }
    for (;;) {
      if (this.#closed) throw this.#error ?? new TypeError("console is closed");
      await this.#transportReady;
      if (this.#closed) continue; // it ended while this write waited
      const t = this.#transport!; // once ready, there is one until the console closes
      const detached = this.#detached.promise;
      try {
        await t.write(chunk, this.#abort.signal);
        return;
      } catch (err) {
        // The pump sees the same end and decides what it means within the
        // grace (guest gone, console broken, or followed): wait for that.
        if (!await goneSoon(detached, 2 * GONE_GRACE_MS)) throw err;
        if (this.#closed) throw this.#failure(err);
        // followed to the guest's next domain: the write goes there
      }
    }
  }

  /** What a write failing with `cause` as the console ended rejects with. */
  #failure(cause: unknown): unknown {
    const error = this.#error;
    if (cause === this.#abort.signal.reason) return error ?? cause; // stopped by the close itself
    if (error instanceof GuestGoneError) return new GuestGoneError(error.domid, { cause });
    if (error instanceof ConsoleClosedError) {
      return new ConsoleClosedError(error.domid, error.mode, error.reason, { cause });
    }
    return error ?? new TypeError("console is closed", { cause });
  }

  /** Reads the transport while a reader wants more, until closed. */
  async #pump(): Promise<void> {
    const signal = this.#abort.signal;
    while (!this.#closed) {
      await this.#readers.demand();
      if (this.#closed) return;
      await this.#transportReady;
      if (this.#closed) return;
      const transport = this.#transport!;
      let n: number | null = null;
      let failure: unknown;
      try {
        n = await transport.readInto(this.#staging, signal);
      } catch (err) {
        failure = err;
      }
      if (this.#closed) return;
      if (n !== null) {
        this.#readers.deliver(this.#staging.subarray(0, n));
        continue;
      }
      await this.#endOfTransport(failure);
    }
  }

  /** The transport ended: the guest went away (follow it, or fail), or something broke. */
  async #endOfTransport(failure: unknown): Promise<void> {
    const gone = await goneSoon(this.#gone.promise);
    if (this.#closed) return;
    if (!gone) {
      this.#fail(
        new ConsoleClosedError(this.#info.domid, this.#info.mode, "transport", {
          cause: failure ?? undefined,
        }),
      );
      return;
    }
    if (!this.#options.follow || this.#info.name === undefined) {
      this.#fail(new GuestGoneError(this.#info.domid));
      return;
    }
    await this.#follow();
  }

  /**
   * Detaches from the gone domain and attaches to the guest's next one, by its
   * name. Writes and the pump wait on `#transportReady` meanwhile: it is
   * resolved however this ends, with a transport in place or the console
   * closed.
   */
  async #follow(): Promise<void> {
    const from = this.#info.domid;
    const ready = Promise.withResolvers<void>();
    this.#transportReady = ready.promise;
    this.#detached.resolve();
    await this.#transport?.close().catch(() => {});
    this.#transport = undefined;
    try {
      const signal = this.#abort.signal;
      const guest = await nextDomain(this.#xs, this.#info.name!, from, signal);
      if (this.#closed) return;
      if (guest === undefined) {
        // The watch ended under us: only xenstore going away does that.
        this.#xenstoreLost(undefined);
        return;
      }
      const attached = await attachNext(this.#host, this.#xs, guest, this.#options, signal);
      const { transport, mode, tty, mapMethod } = attached;
      const domid = guest.domid;
      this.#transport = transport;
      this.#info = { ...this.#info, domid, guestType: guest.type, mode, tty, mapMethod };
      this.#gone = Promise.withResolvers();
      this.#detached = Promise.withResolvers();
      ready.resolve();
      this.dispatchEvent(
        new CustomEvent<ReattachDetail>("reattach", { detail: { from, to: domid } }),
      );
    } catch (err) {
      if (err instanceof XenstoreClosedError) this.#xenstoreLost(err);
      else this.#fail(err);
    } finally {
      ready.resolve();
    }
  }

  /** Marks the guest gone when xenstore releases its domain. */
  async #watchRelease(): Promise<void> {
    try {
      this.#releaseWatch = await this.#xs.watch("@releaseDomain", { signal: this.#abort.signal });
      for await (const _ of this.#releaseWatch) {
        const domid = this.#info.domid;
        if (this.#transport === undefined) continue;
        if (await this.#xs.isDomainIntroduced(domid)) continue;
        this.#gone.resolve();
        // Unblock a ring read that would wait forever for a dead guest.
        await this.#transport?.close().catch(() => {});
      }
      this.#xenstoreLost(undefined);
    } catch (err) {
      this.#xenstoreLost(err);
    }
  }

  /**
   * The xenstore connection broke while attached (xenstored died or dropped
   * it). Without it a guest's end cannot be seen, and a ring would wait for a
   * dead guest forever: fail now, with a typed error.
   */
  #xenstoreLost(cause: unknown): void {
    if (this.#closed) return;
    this.#fail(
      new ConsoleClosedError(this.#info.domid, this.#info.mode, "xenstore", { cause }),
    );
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    this.#error = err;
    this.#readers.end(err);
    this.close().catch(() => {}); // a later close() returns the same promise, and its outcome
  }

  /**
   * Detaches: closes the streams, the pty or ring binding, the lock and the
   * xenstore connection. Every call waits until all of it is released, also
   * when the console closed itself after a failure.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#detached.resolve();
    this.#abort.abort(new TypeError("console is closed"));
    this.#readers.end();
    await this.#transport?.close().catch(() => {});
    this.#transport = undefined;
    await this.#releaseWatch?.close().catch(() => {});
    await this.#xs.close();
    await Promise.allSettled(this.#tasks);
  }

  /** Same as {@linkcode XenConsole.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
