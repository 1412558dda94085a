// Copyright 2026 the xenpv authors. MIT license.
// The console layer's names, one per idea: what is asked (ConnectOptions,
// ConsoleKind, ConsoleMode), what was chosen (AttachMode, ConsoleInfo) and
// what a guest is (GuestType). Types only: every file of console/ uses them.

import type { MapMethod } from "../ring/mapping.ts";
import type { XenHost } from "./host.ts";

/**
 * Xen's kind of guest (libxl's domain type): `pv` (paravirtualized),
 * `pvh` (hardware virtualization, no device model) or `hvm` (fully
 * virtualized with a device model; every Windows guest). Every kind has a PV
 * console; only `hvm` guests can have an emulated serial port.
 */
export type GuestType = "pv" | "pvh" | "hvm";

/** Which console: the PV console (`xl console -t pv`) or an emulated serial port. */
export type ConsoleKind = "pv" | "serial";
/** How to reach it, as asked: xenconsoled's pty, the ring directly, or whichever fits. */
export type ConsoleMode = "auto" | "pty" | "ring";
/** How it was reached, as chosen: xenconsoled's (or QEMU's) pty, or the ring directly. */
export type AttachMode = "pty" | "ring";

/** Options for `connect()`. */
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
  mapMethod?: "auto" | MapMethod;
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
  mode: AttachMode;
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
