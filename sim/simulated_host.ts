// Copyright 2026 the xenpv authors. MIT license.

import { geteuid } from "../_sys/libc.ts";
import { XenstoreServer } from "../xenstore/server.ts";
import type { XenstoreClient } from "../xenstore/client.ts";
import { ConsoleRing } from "../ring/console_ring.ts";
import { CONSOLE_LAYOUT } from "../ring/layout.ts";
import { RingEndpoint } from "../ring/endpoint.ts";
import { createEventChannelPair, type EventChannel } from "../evtchn/event_channel.ts";
import { EINVAL } from "../_sys/errno.ts";
import { SystemError } from "../errors.ts";
import { openPty, openPtyPair, type PtyPair } from "../_sys/pty.ts";
import { FileLock } from "../_sys/flock.ts";
import type { MapConsolePageOptions } from "../ring/mapping.ts";
import type { ByteStream, ConsolePage, GuestType, HostLock, XenHost } from "../console/mod.ts";
import type { GuestProgram, GuestProgramFactory } from "./guest_program.ts";
import { windowsGuest } from "./windows/windows_guest.ts";
import { linuxGuest } from "./linux/linux_guest.ts";

/** Options for {@linkcode SimulatedHost.createGuest}. */
export interface SimulatedGuestOptions {
  /** The guest's name (xenstore `name`). */
  name: string;
  /** What runs on its console: a built-in dialect or your own program. Default "windows". */
  program?: "windows" | "linux" | GuestProgramFactory;
  /** Whether the simulated xenconsoled serves its console (pty mode). Default true. */
  xenconsoled?: boolean;
  /**
   * The kind of guest recorded for the toolstack (`/libxl/<domid>/type`).
   * Default: "hvm" for the Windows program (Windows guests are HVM), "pv"
   * otherwise. Every kind gets the same PV console.
   */
  type?: GuestType;
}

/** Options for {@linkcode SimulatedHost}. */
export interface SimulatedHostOptions {
  /** Where console locks go (default: files in /tmp named after this process). */
  lockDir?: string;
  /**
   * The first guest's domid (default 1); the next guests count up from it.
   * Two simulated hosts on one machine whose consoles are reached through the
   * real host's lock directory (`/var/lock`) need ranges of their own.
   */
  firstDomid?: number;
}

const GUEST_CONSOLE_PORT = 2;
const XENCONSOLED_LIMIT = 1048576;
const encoder = new TextEncoder();
let hostCounter = 0;

/** The binding slot of a guest's console port: one dom0 peer at a time. */
class PortSlot {
  #guestEnd: EventChannel | undefined;
  #listeners = new Set<() => void>();

  get guestEnd(): EventChannel | undefined {
    return this.#guestEnd;
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  bind(domid: number, port: number): EventChannel {
    if (this.#guestEnd !== undefined) {
      // What IOCTL_EVTCHN_BIND_INTERDOMAIN answers when the port has a peer.
      throw new SystemError(EINVAL, "ioctl", {
        path: "/dev/xen/evtchn",
        hint: `port ${port} of domain ${domid} is bound by another backend (xenconsoled?)`,
      });
    }
    const [guestEnd, dom0End] = createEventChannelPair();
    this.#guestEnd = guestEnd;
    for (const fn of this.#listeners) fn();
    const unbind = async () => {
      await dom0End.close();
      await guestEnd.close();
      if (this.#guestEnd === guestEnd) {
        this.#guestEnd = undefined;
        for (const fn of this.#listeners) fn();
      }
    };
    return {
      localPort: dom0End.localPort,
      notify: () => dom0End.notify(),
      wait: (signal) => dom0End.wait(signal),
      close: unbind,
      [Symbol.asyncDispose]: unbind,
    };
  }
}

/** The guest side: a program on the frontend of the console ring. */
class GuestRuntime {
  readonly ring: ConsoleRing;
  #slot: PortSlot;
  #program: GuestProgram;
  #pending = new Uint8Array(4096);
  #pendingStart = 0;
  #pendingBytes = 0;
  #waiters: (() => void)[] = [];
  #running = true;
  #wake: (() => void) | undefined;
  #unsubscribe: () => void;
  #loop: Promise<void>;

  constructor(page: ArrayBuffer, slot: PortSlot, program: GuestProgram) {
    this.ring = new ConsoleRing(page, { role: "frontend" });
    this.#slot = slot;
    this.#program = program;
    this.#unsubscribe = slot.onChange(() => this.#wake?.());
    program.start({
      write: (d) => this.#output(typeof d === "string" ? encoder.encode(d) : d),
      drained: () => this.#drained(),
    });
    this.#loop = this.#run();
  }

  #output(data: Uint8Array): void {
    if (!this.#running || data.length === 0) return;
    // What fits goes into the ring now; the rest waits in one reused buffer
    // (the guest kernel's tty buffer), so a flood allocates nothing per write.
    if (this.#pendingBytes > 0) {
      this.#hold(data);
      this.#flush();
      return;
    }
    const n = this.ring.write(data);
    if (n > 0) this.#slot.guestEnd?.notify();
    if (n < data.length) this.#hold(data.subarray(n));
  }

  #hold(data: Uint8Array): void {
    const start = this.#pendingStart;
    const need = this.#pendingBytes + data.length;
    if (start + need > this.#pending.length) {
      if (need > this.#pending.length) {
        const grown = new Uint8Array(Math.max(need, 2 * this.#pending.length));
        grown.set(this.#pending.subarray(start, start + this.#pendingBytes));
        this.#pending = grown;
      } else this.#pending.copyWithin(0, start, start + this.#pendingBytes);
      this.#pendingStart = 0;
    }
    this.#pending.set(data, this.#pendingStart + this.#pendingBytes);
    this.#pendingBytes = need;
  }

  #drained(): Promise<void> {
    if (this.#pendingBytes === 0 || !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const start = this.#pendingStart;
    const n = this.ring.write(this.#pending.subarray(start, start + this.#pendingBytes));
    if (n === 0) return;
    this.#pendingStart += n;
    this.#pendingBytes -= n;
    this.#slot.guestEnd?.notify();
    this.#settle();
  }

  /** Wakes drained() waiters once nothing is held back. */
  #settle(): void {
    if (this.#pendingBytes !== 0) return;
    this.#pendingStart = 0;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const ch = this.#slot.guestEnd;
      if (ch === undefined) {
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = undefined;
        continue;
      }
      try {
        await ch.wait();
      } catch {
        continue; // unbound: wait for the next backend
      }
      if (this.ring.readable() > 0) {
        const input = this.ring.read();
        ch.notify(); // room in `in` again
        this.#program.input(input);
      }
      this.#flush();
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const resolve of this.#waiters.splice(0)) resolve();
    this.#program.stop();
    this.#unsubscribe();
    this.#wake?.();
    await this.#slot.guestEnd?.close().catch(() => {});
    await this.#loop.catch(() => {});
  }
}

/** A simulated xenconsoled serving one guest's console on a real pty. */
class ConsoleDaemon {
  #pty: PtyPair;
  #channel: EventChannel;
  #endpoint: RingEndpoint;
  #abort = new AbortController();
  #buffer: Uint8Array[] = [];
  #buffered = 0;
  #draining = false;
  #closed = false;
  #tasks: Promise<void>[] = [];
  readonly ttyPath: string;

  constructor(page: ArrayBuffer, channel: EventChannel) {
    this.#pty = openPtyPair();
    this.ttyPath = this.#pty.slavePath;
    const ring = new ConsoleRing(page, { role: "backend" });
    ring.connected = true;
    this.#channel = channel;
    this.#endpoint = new RingEndpoint(ring, channel);
    this.#tasks.push(this.#fromGuest(), this.#toGuest());
  }

  async #fromGuest(): Promise<void> {
    try {
      for (;;) this.#queue(await this.#endpoint.read(this.#abort.signal));
    } catch {
      // closed
    }
  }

  /** Buffers guest output for the pty, keeping at most `limit` bytes (oldest dropped). */
  #queue(data: Uint8Array): void {
    this.#buffer.push(data);
    this.#buffered += data.length;
    while (this.#buffered > XENCONSOLED_LIMIT && this.#buffer.length > 1) {
      this.#buffered -= this.#buffer.shift()!.length;
    }
    if (!this.#draining) this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (!this.#closed && this.#buffer.length > 0) {
        const chunk = this.#buffer.shift()!;
        this.#buffered -= chunk.length;
        await this.#pty.master.write(chunk);
      }
    } catch {
      // pty closed
    } finally {
      this.#draining = false;
    }
  }

  async #toGuest(): Promise<void> {
    try {
      for (;;) {
        const data = await this.#pty.master.read(this.#abort.signal);
        if (data === null) return;
        await this.#endpoint.write(data, this.#abort.signal);
      }
    } catch {
      // closed
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    await this.#channel.close();
    await this.#pty.master.close();
    await this.#pty.slave.close();
    await Promise.all(this.#tasks);
  }
}

// Module-private access between SimulatedHost and SimulatedGuest (set in
// their static blocks): nothing of it shows on the public classes.
let guestOps: (guest: SimulatedGuest) => {
  slot(): PortSlot;
  boot(xs: XenstoreClient): Promise<void>;
};
let hostOps: (host: SimulatedHost) => {
  xs: XenstoreClient;
  destroyed(guest: SimulatedGuest): Promise<void>;
};

/** A guest of the {@linkcode SimulatedHost}. */
export class SimulatedGuest {
  /** The guest's domain id. */
  readonly domid: number;
  /** The guest's name. */
  readonly name: string;
  /** The console page (shared with the guest program). */
  readonly page: ArrayBuffer;
  #host: SimulatedHost;
  #options: SimulatedGuestOptions;
  #slot = new PortSlot();
  #runtime: GuestRuntime | undefined;
  #daemon: ConsoleDaemon | undefined;
  #alive = true;

  /** @internal Made by {@linkcode SimulatedHost.createGuest}. */
  constructor(host: SimulatedHost, domid: number, options: SimulatedGuestOptions) {
    this.#host = host;
    this.domid = domid;
    this.name = options.name;
    this.#options = options;
    this.page = new ArrayBuffer(CONSOLE_LAYOUT.PAGE_SIZE);
    new Uint8Array(this.page)[CONSOLE_LAYOUT.CONNECTION] = 1; // no backend yet
  }

  static {
    guestOps = (guest) => ({
      slot: () => guest.#slot,
      boot: (xs) => guest.#boot(xs),
    });
  }

  /** Whether the guest runs. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Boots the guest: console program, then xenconsoled if asked. */
  async #boot(xs: XenstoreClient): Promise<void> {
    const program = this.#options.program ?? "windows";
    const factory: GuestProgramFactory = program === "windows"
      ? windowsGuest
      : program === "linux"
      ? linuxGuest
      : program;
    this.#runtime = new GuestRuntime(this.page, this.#slot, factory({ hostname: this.name }));
    if (this.#options.xenconsoled ?? true) await this.startXenconsoled(xs);
  }

  /** Starts the simulated xenconsoled for this guest (publishes `console/tty`). */
  async startXenconsoled(xs?: XenstoreClient): Promise<string> {
    if (this.#daemon !== undefined) return this.#daemon.ttyPath;
    const channel = this.#slot.bind(this.domid, GUEST_CONSOLE_PORT);
    this.#daemon = new ConsoleDaemon(this.page, channel);
    const client = xs ?? hostOps(this.#host).xs;
    await client.write(`/local/domain/${this.domid}/console/tty`, this.#daemon.ttyPath);
    return this.#daemon.ttyPath;
  }

  /** Stops xenconsoled for this guest: its port is free for a ring-mode attach. */
  async stopXenconsoled(): Promise<void> {
    const daemon = this.#daemon;
    this.#daemon = undefined;
    await daemon?.close();
    if (this.#alive) await hostOps(this.#host).xs.rm(`/local/domain/${this.domid}/console/tty`);
  }

  /** Destroys the guest: console gone, xenstore entries removed, @releaseDomain fired. */
  async destroy(): Promise<void> {
    if (!this.#alive) return;
    this.#alive = false;
    await this.#daemon?.close();
    this.#daemon = undefined;
    await this.#runtime?.stop();
    await hostOps(this.#host).destroyed(this);
  }

  /** Reboots: destroys this domain and creates a new one with the same name and options. */
  async reboot(): Promise<SimulatedGuest> {
    await this.destroy();
    return await this.#host.createGuest(this.#options);
  }
}

/**
 * A simulated Xen host built from xenpv's own parts: the in-memory xenstore,
 * console pages and event channel pairs, guests running a console program on
 * the frontend of their ring, and a simulated xenconsoled serving each
 * console on a real pty. `connect(domain, { host })` works against it in pty
 * and ring mode alike.
 *
 * @example
 * ```ts
 * import { SimulatedHost } from "@xenpv/console/sim";
 * import { connect } from "@xenpv/console";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({ name: "win1" });
 * await using console = await connect("win1", { host });
 * const reader = console.readable.getReader();
 * const { value } = await reader.read(); // the backlog: "[ATTACHED]" and the login prompt
 * reader.releaseLock();
 * ```
 */
export class SimulatedHost implements XenHost, AsyncDisposable {
  /** The host's xenstore. */
  readonly xenstore: XenstoreServer;
  #xs: XenstoreClient;
  #guests = new Map<number, SimulatedGuest>();
  #nextDomid = 1;
  #lockDir: string | undefined;
  #instance = ++hostCounter;

  /** Makes an empty host (dom0 only). */
  constructor(options: SimulatedHostOptions = {}) {
    this.xenstore = new XenstoreServer();
    this.#xs = this.xenstore.connectClient();
    this.#lockDir = options.lockDir;
    const first = options.firstDomid ?? 1;
    if (!Number.isInteger(first) || first < 1 || first > 0x7fef) {
      throw new RangeError(`firstDomid must be a guest's domid (1-32751), got ${first}`);
    }
    this.#nextDomid = first;
  }

  static {
    hostOps = (host) => ({
      xs: host.#xs,
      destroyed: (guest) => host.#destroyed(guest),
    });
  }

  /** Running guests. */
  get guests(): SimulatedGuest[] {
    return [...this.#guests.values()];
  }

  /** Creates and boots a guest, as `xl create` would. */
  async createGuest(options: SimulatedGuestOptions): Promise<SimulatedGuest> {
    if (typeof options.name !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.name)) {
      throw new TypeError(`guest name must be 1-64 of [A-Za-z0-9_.-], got ${options.name}`);
    }
    if (this.guests.some((g) => g.name === options.name)) {
      throw new TypeError(`a guest named ${options.name} already runs`);
    }
    const type = options.type ?? ((options.program ?? "windows") === "windows" ? "hvm" : "pv");
    if (!["pv", "pvh", "hvm"].includes(type)) {
      throw new TypeError(`guest type must be pv, pvh or hvm, got ${type}`);
    }
    const domid = this.#nextDomid++;
    const guest = new SimulatedGuest(this, domid, options);
    const home = `/local/domain/${domid}`;
    // libxl's permissions (libxl__domain_make): the guest reads its home and
    // its console keys but cannot write them, nor create nodes under device/
    // (a console of its own making); data/, drivers/, feature/, attr/ and
    // error/ are its own.
    const readOnly = [{ domid: 0, access: "none" as const }, { domid, access: "read" as const }];
    const ownedByGuest = [{ domid, access: "none" as const }];
    await this.#xs.transaction(async (tx) => {
      await tx.mkdir(home);
      await tx.setPerms(home, readOnly);
      for (const dir of ["device", "control"]) {
        await tx.mkdir(`${home}/${dir}`);
        await tx.setPerms(`${home}/${dir}`, readOnly);
      }
      for (const dir of ["data", "drivers", "feature", "attr", "error"]) {
        await tx.mkdir(`${home}/${dir}`);
        await tx.setPerms(`${home}/${dir}`, ownedByGuest);
      }
      await tx.write(`${home}/name`, options.name);
      await tx.write(`${home}/domid`, String(domid));
      await tx.write(`${home}/console/type`, "xenconsoled");
      await tx.write(`${home}/console/output`, "pty");
      await tx.write(`${home}/console/limit`, String(XENCONSOLED_LIMIT));
      await tx.write(`${home}/console/port`, String(GUEST_CONSOLE_PORT));
      await tx.write(`${home}/console/ring-ref`, String(0x6f800 + domid));
      await tx.write(`${home}/console/backend-id`, "0");
      await tx.write(`/libxl/${domid}/type`, type); // dom0's own: the guest cannot read it
    });
    this.#guests.set(domid, guest);
    this.xenstore.introduceDomain(domid);
    await guestOps(guest).boot(this.#xs);
    return guest;
  }

  /** The guest with this domid or name. */
  guest(domain: number | string): SimulatedGuest | undefined {
    return this.guests.find((g) => g.domid === domain || g.name === domain);
  }

  async #destroyed(guest: SimulatedGuest): Promise<void> {
    this.#guests.delete(guest.domid);
    await this.#xs.rm(`/local/domain/${guest.domid}`);
    await this.#xs.rm(`/libxl/${guest.domid}`);
    this.xenstore.releaseDomain(guest.domid);
  }

  openXenstore(): Promise<XenstoreClient> {
    return Promise.resolve(this.xenstore.connectClient());
  }

  mapConsolePage(domid: number, _options: MapConsolePageOptions): ConsolePage {
    const guest = this.#guests.get(domid);
    if (guest === undefined) {
      throw new SystemError(EINVAL, "ioctl", {
        path: "/dev/xen/gntdev",
        hint: `domain ${domid} has no console grant (not running?)`,
      });
    }
    return { buffer: guest.page, method: "simulated", close() {} };
  }

  bindEventChannel(domid: number, remotePort: number): EventChannel {
    const guest = this.#guests.get(domid);
    if (guest === undefined || remotePort !== GUEST_CONSOLE_PORT) {
      throw new SystemError(EINVAL, "ioctl", {
        path: "/dev/xen/evtchn",
        hint: `domain ${domid} has no port ${remotePort}`,
      });
    }
    return guestOps(guest).slot().bind(domid, remotePort);
  }

  openPty(path: string): ByteStream {
    // As on Xen, the pty must be owned by xenconsoled's user: here that is
    // this process's (root when run as root, as on Xen), and not our terminal.
    return openPty(path, { owner: geteuid() });
  }

  lockConsole(domid: number): HostLock {
    // Per host: /tmp/xenpv-sim-<pid>-<n>-xenconsole.<domid> unless lockDir is set.
    const path = this.#lockDir === undefined
      ? `/tmp/xenpv-sim-${Deno.pid}-${this.#instance}-xenconsole.${domid}`
      : `${this.#lockDir}/xenconsole.${domid}`;
    return FileLock.acquire(path, "a console client", { unlinkOnRelease: true });
  }

  /** Destroys every guest and closes the xenstore. */
  async close(): Promise<void> {
    for (const guest of this.guests) await guest.destroy();
    await this.#xs.close();
    await this.xenstore.close();
  }

  /** Same as {@linkcode SimulatedHost.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
