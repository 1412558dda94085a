// Copyright 2026 the xenpv authors. MIT license.

import { assertDomid, isDomid } from "../_sys/domid.ts";
import type { XenstoreClient, XenstoreWatch } from "../xenstore/client.ts";
import { XenstoreClosedError, XenstoreError } from "../xenstore/errors.ts";
import { ConsoleRing } from "../ring/console_ring.ts";
import { RingEndpoint } from "../ring/endpoint.ts";
import type { EventChannel } from "../evtchn/event_channel.ts";
import { SystemError } from "../errors.ts";
import { type ByteStream, type ConsolePage, type HostLock, type XenHost, xenHost } from "./host.ts";
import {
  ConsoleBusyError,
  ConsoleClosedError,
  ConsoleNotFoundError,
  GuestGoneError,
  GuestNotFoundError,
} from "./errors.ts";

/**
 * How long an ended stream waits for xenstore to say the guest is gone
 * before it is reported as the console closing (the guest still running).
 * Destroys were seen in xenstore 1-26 ms after the stream ended on real Xen.
 */
const GONE_GRACE_MS = 500;

/** The most one read from the ring or pty takes (the pty can hold more than the ring). */
const STAGING_BYTES = 16 * 1024;

/** Which console: the PV console (`xl console -t pv`) or an emulated serial port. */
export type ConsoleKind = "pv" | "serial";
/** How to reach it: xenconsoled's pty, the ring directly, or whichever fits. */
export type ConsoleMode = "auto" | "pty" | "ring";
/**
 * Xen's kind of guest (libxl's domain type): `pv` (paravirtualized),
 * `pvh` (hardware virtualization, no device model) or `hvm` (fully
 * virtualized with a device model; every Windows guest). Every kind has a PV
 * console; only `hvm` guests can have an emulated serial port.
 */
export type GuestType = "pv" | "pvh" | "hvm";

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** `pv` (default) or `serial` (HVM guests' emulated UART, pty only). */
  kind?: ConsoleKind;
  /** Console number: 0 is the primary console, N > 0 the secondary `device/console/N`. */
  index?: number;
  /**
   * `pty`: through xenconsoled's pty, like `xl console`. `ring`: be the
   * backend (map the page, bind the event channel); refused while
   * xenconsoled serves the console, since an interdomain event channel has
   * one peer. `auto` (default): ring when no backend holds the console, pty
   * otherwise. Whether xenconsoled serves it is what the kernel says when
   * binding: its `tty` key outlives a stopped xenconsoled.
   */
  mode?: ConsoleMode;
  /** Keep the stream across a reboot of a guest given by name (new domid). */
  follow?: boolean;
  /** How long to wait for xenconsoled to publish the pty, in ms. Default 5000. */
  ttyTimeout?: number;
  /** How ring mode maps the page. Default "auto" (gntdev, then privcmd). */
  mapMethod?: "auto" | "gntdev" | "privcmd";
  /** The host: the real Xen host by default; a `SimulatedHost` for simulation. */
  host?: XenHost;
  /** Aborts connecting (and, once connected, closes the console). */
  signal?: AbortSignal;
}

/** What a console is attached to. */
export interface ConsoleInfo {
  /** The guest's domain id (changes across reboots with `follow`). */
  domid: number;
  /** The guest's name, if it has one. */
  name: string | undefined;
  /**
   * The kind of guest, as libxl recorded it (`/libxl/<domid>/type`); undefined
   * when the toolstack did not say.
   */
  guestType: GuestType | undefined;
  /** `pv` or `serial`. */
  kind: ConsoleKind;
  /** The console number. */
  index: number;
  /** The mode chosen. */
  mode: "pty" | "ring";
  /** The pty, in pty mode. */
  tty: string | undefined;
  /** How the page was mapped, in ring mode. */
  mapMethod: string | undefined;
}

/** The event a following console sends when the guest came back as a new domain. */
export interface ReattachDetail {
  /** The domain that went away. */
  from: number;
  /** The domain now attached. */
  to: number;
}

interface Transport {
  /** Copies the next bytes into `target`: the count, or `null` at end of stream. */
  readInto(target: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<number | null>;
  write(data: Uint8Array, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

class PtyTransport implements Transport {
  /** What a `read()` gave beyond the caller's buffer (streams without readInto). */
  #rest: Uint8Array | undefined;
  constructor(readonly stream: ByteStream, readonly lock: HostLock) {}
  async readInto(target: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<number | null> {
    if (this.#rest === undefined && this.stream.readInto !== undefined) {
      return await this.stream.readInto(target, signal);
    }
    const chunk = this.#rest ?? await this.stream.read(signal);
    this.#rest = undefined;
    if (chunk === null) return null;
    const n = Math.min(chunk.length, target.length);
    target.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#rest = chunk.subarray(n);
    return n;
  }
  write(data: Uint8Array): Promise<void> {
    return this.stream.write(data);
  }
  async close(): Promise<void> {
    await this.stream.close();
    this.lock.release();
  }
}

class RingTransport implements Transport {
  #endpoint: RingEndpoint;
  constructor(
    readonly page: ConsolePage,
    ring: ConsoleRing,
    readonly channel: EventChannel,
    readonly lock: HostLock,
  ) {
    this.#endpoint = new RingEndpoint(ring, channel);
  }

  readInto(target: Uint8Array<ArrayBuffer>, signal: AbortSignal): Promise<number | null> {
    return this.#endpoint.readInto(target, signal);
  }

  write(data: Uint8Array, signal: AbortSignal): Promise<void> {
    return this.#endpoint.write(data, signal);
  }

  async close(): Promise<void> {
    try {
      await this.channel.close();
    } finally {
      this.page.close();
      this.lock.release();
    }
  }
}

function consolePath(domid: number, kind: ConsoleKind, index: number): string {
  if (kind === "serial") return `/local/domain/${domid}/serial/${index}`;
  return index === 0
    ? `/local/domain/${domid}/console`
    : `/local/domain/${domid}/device/console/${index}`;
}

/** A guest as xenstore describes it. */
interface Guest {
  domid: number;
  name: string | undefined;
  type: GuestType | undefined;
}

const GUEST_TYPES: readonly string[] = ["pv", "pvh", "hvm"] satisfies GuestType[];

/** The guest's name and kind, read together (libxl keeps the kind under /libxl, dom0's). */
async function describeGuest(xs: XenstoreClient, domid: number): Promise<Guest | undefined> {
  const [name, type, exists] = await Promise.all([
    xs.tryRead(`/local/domain/${domid}/name`),
    xs.tryRead(`/libxl/${domid}/type`),
    xs.exists(`/local/domain/${domid}`),
  ]);
  if (!exists) return undefined;
  return {
    domid,
    name,
    type: type !== undefined && GUEST_TYPES.includes(type) ? type as GuestType : undefined,
  };
}

async function resolveDomain(xs: XenstoreClient, domain: number | string): Promise<Guest> {
  if (typeof domain === "number" || /^[0-9]+$/.test(domain)) {
    const domid = assertDomid(Number(domain));
    if (domid === 0) throw new RangeError("dom0 has no PV console to attach to");
    return await describeGuest(xs, domid) ?? throwNotFound(domid);
  }
  if (typeof domain !== "string" || domain === "") {
    throw new TypeError(`domain must be a domid or a guest name, got ${domain}`);
  }
  const domid = await findByName(xs, domain);
  const guest = domid === undefined ? undefined : await describeGuest(xs, domid);
  return guest ?? throwNotFound(domain);
}

function throwNotFound(domain: number | string): never {
  throw new GuestNotFoundError(domain);
}

async function findByName(xs: XenstoreClient, name: string): Promise<number | undefined> {
  // No /local/domain at all: no guests. Anything else (xenstored gone) is not "not found".
  const ids = await xs.directory("/local/domain").catch((err) => {
    if (err instanceof XenstoreError && err.code === "ENOENT") return [] as string[];
    throw err;
  });
  // Only guests' ids: not dom0, not Xen's reserved ids, not a stray key.
  const domids = ids.map((id) => /^[0-9]{1,5}$/.test(id) ? Number(id) : NaN)
    .filter((domid) => isDomid(domid, { guest: true }));
  // Every name read at once: the requests are pipelined on the connection,
  // so finding one guest among many costs about one round trip, not one each.
  const names = await Promise.all(
    domids.map((domid) => xs.tryRead(`/local/domain/${domid}/name`)),
  );
  const at = names.indexOf(name);
  return at < 0 ? undefined : domids[at];
}

/** Waits (with a watch) until `path` has a non-empty value, or the timeout. */
async function waitForValue(
  xs: XenstoreClient,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let watch: XenstoreWatch | undefined;
  try {
    watch = await xs.watch(path, { signal: both });
    for await (const _ of watch) {
      const value = await xs.tryRead(path);
      if (value) return value;
    }
  } catch (err) {
    if (!timeout.aborted) throw err;
  } finally {
    await watch?.close();
  }
  signal?.throwIfAborted();
  return undefined;
}

function lockOrBusy(host: XenHost, domid: number): HostLock {
  try {
    return host.lockConsole(domid);
  } catch (err) {
    if (err instanceof SystemError && err.code === "EAGAIN") {
      throw new ConsoleBusyError(
        domid,
        `another console client (xl console, or another xenpv) is attached to domain ${domid}` +
          ` (lock ${err.path})`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** What xenstore says of one console, read in one go. */
interface ConsoleKeys {
  /** Its xenstore directory. */
  path: string;
  /** Whether that directory exists. */
  exists: boolean;
  /** The pty its backend (xenconsoled, or QEMU for a serial port) published. */
  tty: string | undefined;
  /**
   * The page's guest frame number (PV, PVH and HVM alike; for HVM and PVH the
   * special console frame): privcmd maps it; gntdev maps grant 0 instead,
   * which libxl seeds for the console page.
   */
  ringRef: bigint | undefined;
  /** The guest's event channel port, if it is a number. */
  port: number | undefined;
}

async function readConsoleKeys(
  xs: XenstoreClient,
  domid: number,
  kind: ConsoleKind,
  index: number,
): Promise<ConsoleKeys> {
  const path = consolePath(domid, kind, index);
  const [exists, tty, ringRef, port] = await Promise.all([
    xs.exists(path),
    xs.tryRead(`${path}/tty`),
    kind === "pv" ? xs.tryRead(`${path}/ring-ref`) : undefined,
    kind === "pv" ? xs.tryRead(`${path}/port`) : undefined,
  ]);
  const number = (text: string | undefined) =>
    text !== undefined && /^[0-9]{1,20}$/.test(text) ? text : undefined;
  return {
    path,
    exists,
    tty: tty || undefined,
    ringRef: number(ringRef) === undefined ? undefined : BigInt(ringRef!),
    port: number(port) === undefined ? undefined : Number(port),
  };
}

/** "domain 7 (an HVM guest)": what an error says of the guest. */
function describe(guest: Guest): string {
  const kind = guest.type === undefined ? "" : ` (a ${guest.type.toUpperCase()} guest)`;
  return `domain ${guest.domid}${kind}`;
}

/** The error for a console xenstore does not describe, with what the guest's kind explains. */
function missingConsole(guest: Guest, keys: ConsoleKeys, kind: ConsoleKind): ConsoleNotFoundError {
  const who = describe(guest);
  if (kind === "serial") {
    const why = guest.type === "hvm"
      ? `its config has no serial = "pty" (QEMU publishes the pty at ${keys.path}/tty)`
      : guest.type !== undefined
      ? `only HVM guests have an emulated serial port`
      : `PV and PVH guests have none; an HVM guest has one when its config says serial = "pty"`;
    return new ConsoleNotFoundError(
      guest.domid,
      `${who} has no serial console (${keys.path}): ${why}. Attach its PV console instead ` +
        `(kind "pv", xl console -t pv)`,
    );
  }
  const why = keys.path.includes("/device/console/")
    ? `it has no secondary console there (its config's channel/console list)`
    : guest.type === "hvm"
    ? `the toolstack set up no PV console for it; try its emulated serial port (kind "serial")`
    : `its toolstack published no console for it`;
  return new ConsoleNotFoundError(
    guest.domid,
    `${who} has no PV console at ${keys.path} (no valid ${keys.path}/port): ${why}`,
  );
}

/** An attached transport and how it was reached. */
interface Attached {
  transport: Transport;
  mode: "pty" | "ring";
  /** The pty, in pty mode. */
  tty: string | undefined;
  /** How the page was mapped, in ring mode. */
  mapMethod: string | undefined;
}

async function openPtyMode(
  host: XenHost,
  xs: XenstoreClient,
  guest: Guest,
  keys: ConsoleKeys,
  options: ConnectOptions,
): Promise<Attached> {
  const ttyTimeout = options.ttyTimeout ?? 5000;
  const tty = keys.tty ?? await waitForValue(xs, `${keys.path}/tty`, ttyTimeout, options.signal);
  if (!tty) {
    throw new ConsoleBusyError(
      guest.domid,
      options.kind === "serial"
        ? `${keys.path}/tty did not appear within ${ttyTimeout} ms: is the guest's device ` +
          `model (QEMU) running?`
        : `${keys.path}/tty did not appear within ${ttyTimeout} ms: is xenconsoled running? ` +
          `(without it, use mode "ring")`,
    );
  }
  const lock = lockOrBusy(host, guest.domid);
  try {
    return {
      transport: new PtyTransport(host.openPty(tty), lock),
      mode: "pty",
      tty,
      mapMethod: undefined,
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Becomes the ring's backend: maps the page and binds the event channel.
 * Returns `undefined` where `auto` should take the pty instead (the page
 * cannot be mapped here, or a backend such as xenconsoled holds the port).
 */
function openRingMode(
  host: XenHost,
  guest: Guest,
  keys: ConsoleKeys & { port: number },
  options: ConnectOptions,
): Attached | undefined {
  const auto = (options.mode ?? "auto") === "auto";
  const lock = lockOrBusy(host, guest.domid);
  let page: ConsolePage | undefined;
  let attached: Attached | undefined;
  try {
    try {
      page = host.mapConsolePage(guest.domid, {
        method: options.mapMethod ?? "auto",
        ringRef: keys.ringRef,
      });
    } catch (err) {
      // no gntdev/privcmd here (or not allowed): xenconsoled's pty still is
      if (auto && keys.tty && err instanceof SystemError) return undefined;
      throw err;
    }
    const ring = new ConsoleRing(page.buffer, { role: "backend" });
    let channel: EventChannel;
    try {
      channel = host.bindEventChannel(guest.domid, keys.port);
    } catch (err) {
      if (!(err instanceof SystemError && err.code === "EINVAL")) throw err;
      if (auto) return undefined; // a backend (xenconsoled) holds the port: use its pty
      throw new ConsoleBusyError(
        guest.domid,
        `xenconsoled (or another backend) serves this console: its event channel has one ` +
          `peer and it is bound. Attach in pty mode, or stop xenconsoled first`,
        { cause: err },
      );
    }
    ring.connected = true;
    channel.notify(); // tell the guest a backend is here (it may have output waiting)
    attached = {
      transport: new RingTransport(page, ring, channel, lock),
      mode: "ring",
      tty: undefined,
      mapMethod: page.method,
    };
    return attached;
  } finally {
    if (attached === undefined) {
      try {
        page?.close();
      } catch { /* already closed */ }
      lock.release();
    }
  }
}

async function openTransport(
  host: XenHost,
  xs: XenstoreClient,
  guest: Guest,
  options: ConnectOptions,
): Promise<Attached> {
  const kind = options.kind ?? "pv";
  const mode = options.mode ?? "auto";
  const keys = await readConsoleKeys(xs, guest.domid, kind, options.index ?? 0);
  if (!keys.exists) throw missingConsole(guest, keys, kind);
  if (kind === "serial" || mode === "pty") return await openPtyMode(host, xs, guest, keys, options);
  if (keys.port === undefined) {
    if (mode === "auto" && keys.tty) return await openPtyMode(host, xs, guest, keys, options);
    throw missingConsole(guest, keys, kind);
  }
  return openRingMode(host, guest, { ...keys, port: keys.port }, options) ??
    await openPtyMode(host, xs, guest, keys, options);
}

/**
 * An attached console: `readable` (guest output), `writable` (input to the
 * guest), more readers with `subscribe()`, and what was chosen (`info`).
 * Events: `reattach` (a followed guest came back as a new domain; detail
 * {@linkcode ReattachDetail}). Close with `close()` or `await using`.
 */
export class XenConsole extends EventTarget implements AsyncDisposable {
  /** Guest output. Backpressure reaches the guest: an unread console stalls it. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Input to the guest; writes wait for room in the guest's input ring. */
  readonly writable: WritableStream<Uint8Array>;
  #host: XenHost;
  #xs: XenstoreClient;
  #options: ConnectOptions;
  #info: ConsoleInfo;
  #transport: Transport | undefined;
  #transportReady: Promise<void> = Promise.resolve();
  #subscribers = new Set<ReadableByteStreamController>();
  /** Where the pump reads the guest's output, before it is handed on. */
  #staging = new Uint8Array(STAGING_BYTES);
  #demand: (() => void) | undefined;
  #abort = new AbortController();
  #closed = false;
  #error: unknown;
  #gone: PromiseWithResolvers<void> = Promise.withResolvers();
  #releaseWatch: XenstoreWatch | undefined;
  #tasks: Promise<unknown>[] = [];
  #closing: Promise<void> | undefined;

  /** @internal Made by {@linkcode connect}. */
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
      write: async (chunk) => {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError("console input must be a Uint8Array");
        }
        for (;;) {
          if (this.#closed) throw this.#error ?? new TypeError("console is closed");
          await this.#transportReady;
          const t = this.#transport;
          if (t === undefined) continue;
          await t.write(chunk, this.#abort.signal);
          return;
        }
      },
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
  get mode(): "pty" | "ring" {
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
    let me: ReadableByteStreamController;
    return new ReadableStream({
      type: "bytes",
      start: (controller) => {
        me = controller;
        if (this.#closed) {
          if (this.#error !== undefined) controller.error(this.#error);
          else controller.close();
        } else this.#subscribers.add(controller);
      },
      pull: () => {
        this.#demand?.();
      },
      cancel: () => {
        this.#subscribers.delete(me);
        this.#demand?.();
      },
    }, { highWaterMark: 64 * 1024 });
  }

  #wanted(): boolean {
    for (const c of this.#subscribers) if ((c.desiredSize ?? 0) <= 0) return false;
    return this.#subscribers.size > 0;
  }

  /**
   * Hands `data` (a view of the staging buffer, reused by the next read) to
   * every subscriber: copied into a pending BYOB read's buffer, which costs
   * no allocation, else (and for what does not fit) as a new chunk.
   */
  #deliver(data: Uint8Array): void {
    for (const c of this.#subscribers) {
      let rest = data;
      for (let request = c.byobRequest; request !== null && rest.length > 0;) {
        const view = request.view!;
        const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        const n = Math.min(target.length, rest.length);
        target.set(rest.subarray(0, n));
        request.respond(n);
        rest = rest.subarray(n);
        request = c.byobRequest;
      }
      if (rest.length > 0) c.enqueue(rest.slice());
    }
  }

  async #pump(): Promise<void> {
    const signal = this.#abort.signal;
    while (!this.#closed) {
      while (!this.#wanted() && !this.#closed) {
        await new Promise<void>((resolve) => this.#demand = resolve);
        this.#demand = undefined;
      }
      if (this.#closed) return;
      await this.#transportReady;
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
        this.#deliver(this.#staging.subarray(0, n));
        continue;
      }
      await this.#endOfTransport(failure);
    }
  }

  /** The transport ended: the guest went away (follow it, or fail), or something broke. */
  async #endOfTransport(failure: unknown): Promise<void> {
    // The stream may end a moment before xenstore says the guest is gone.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gone = await Promise.race([
      this.#gone.promise.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), GONE_GRACE_MS)),
    ]);
    clearTimeout(timer);
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

  async #follow(): Promise<void> {
    const from = this.#info.domid;
    const name = this.#info.name!;
    const ready = Promise.withResolvers<void>();
    this.#transportReady = ready.promise;
    await this.#transport?.close().catch(() => {});
    this.#transport = undefined;
    try {
      let guest: Guest | undefined;
      await using intro = await this.#xs.watch("@introduceDomain", { signal: this.#abort.signal });
      for await (const _ of intro) {
        const domid = await findByName(this.#xs, name);
        if (domid === undefined || domid === from) continue;
        guest = await describeGuest(this.#xs, domid);
        if (guest !== undefined) break;
      }
      if (guest === undefined || this.#closed) return;
      // xenstored announces a new domain before the toolstack has written its
      // console keys: wait for the one this mode needs (bounded by ttyTimeout;
      // openTransport then says what is missing)
      const { kind = "pv", index = 0, mode: wanted = "auto", ttyTimeout = 5000 } = this.#options;
      const key = kind === "serial" || wanted === "pty" ? "tty" : "port";
      await waitForValue(
        this.#xs,
        `${consolePath(guest.domid, kind, index)}/${key}`,
        ttyTimeout,
        this.#abort.signal,
      );
      const { transport, mode, tty, mapMethod } = await openTransport(
        this.#host,
        this.#xs,
        guest,
        this.#options,
      );
      const domid = guest.domid;
      this.#transport = transport;
      this.#info = { ...this.#info, domid, guestType: guest.type, mode, tty, mapMethod };
      this.#gone = Promise.withResolvers();
      ready.resolve();
      this.dispatchEvent(
        new CustomEvent<ReattachDetail>("reattach", { detail: { from, to: domid } }),
      );
    } catch (err) {
      ready.resolve();
      if (err instanceof XenstoreClosedError) this.#xenstoreLost(err);
      else if (!this.#closed) this.#fail(err);
    }
  }

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
    for (const c of this.#subscribers) c.error(err);
    this.#subscribers.clear();
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
    this.#abort.abort(new TypeError("console is closed"));
    this.#demand?.();
    for (const c of this.#subscribers) {
      try {
        c.close();
      } catch { /* already errored */ }
    }
    this.#subscribers.clear();
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

/**
 * Attaches to a guest's console, by domid or name.
 *
 * @example Against the simulated host
 * ```ts
 * import { connect } from "@xenpv/console";
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "deb1", program: "linux" });
 * await using console = await connect("deb1", { host });
 * assert.equal(console.mode, "pty");
 * ```
 *
 * @example In dom0
 * ```ts ignore
 * import { connect } from "@xenpv/console";
 *
 * await using console = await connect("win-guest");
 * await console.readable.pipeTo(Deno.stdout.writable);
 * ```
 *
 * @throws {GuestNotFoundError} no such guest.
 * @throws {ConsoleNotFoundError} the guest has no such console (e.g. a serial
 * port on a PV guest): the message says what its kind of guest has.
 * @throws {ConsoleBusyError} xenconsoled serves it (ring mode), the lock is
 * held (another `xl console`), or the pty never appeared.
 * @throws {SystemError} no Xen here, not root, no device: with the fix.
 */
export async function connect(
  domain: number | string,
  options: ConnectOptions = {},
): Promise<XenConsole> {
  const kind = options.kind ?? "pv";
  if (kind !== "pv" && kind !== "serial") {
    throw new TypeError(`kind must be pv or serial, got ${kind}`);
  }
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "pty" && mode !== "ring") {
    throw new TypeError(`mode must be auto, pty or ring, got ${mode}`);
  }
  const index = options.index ?? 0;
  if (!Number.isInteger(index) || index < 0) {
    throw new RangeError(`console index must be a non-negative integer, got ${index}`);
  }
  if (kind === "serial" && mode === "ring") {
    throw new TypeError("serial consoles are emulated by QEMU: they have a pty, not a ring");
  }
  options.signal?.throwIfAborted();
  const host = options.host ?? xenHost;
  const xs = await host.openXenstore();
  try {
    const guest = await resolveDomain(xs, domain);
    const { transport, mode: chosen, tty, mapMethod } = await openTransport(
      host,
      xs,
      guest,
      options,
    );
    return new XenConsole(host, xs, transport, {
      domid: guest.domid,
      name: guest.name,
      guestType: guest.type,
      kind,
      index,
      mode: chosen,
      tty,
      mapMethod,
    }, options);
  } catch (err) {
    await xs.close();
    throw err;
  }
}
