// Copyright 2026 the xenpv authors. MIT license.

/**
 * A Xen host and its guests, simulated, to try everything without Xen:
 *
 * - the host ({@linkcode SimulatedHost}): an in-memory xenstore, console
 *   pages and event channels, guests running a console program, and a
 *   simulated xenconsoled on real ptys. Pass it as `host` to `connect()`;
 * - the Windows guest ({@linkcode windowsGuest}): the XENCONS monitor
 *   service and its tty helper (login, UAC elevation, the helper's line
 *   editor) in front of a small cmd.exe;
 * - the Linux guest ({@linkcode linuxGuest}): a getty login on hvc0 and a
 *   small POSIX-like shell;
 * - what a guest program is ({@linkcode GuestProgram}), to write another one.
 *
 * Both guests' everyday commands agree with each other and with the guest's
 * name (one network interface, one small disk).
 *
 * @example
 * ```ts
 * import { connect } from "@xenpv/console";
 * import { SimulatedHost, windowsGuest } from "@xenpv/console/sim";
 *
 * await using host = new SimulatedHost();
 * await host.createGuest({
 *   name: "win1",
 *   program: (o) => windowsGuest({ ...o, codePage: 850, latency: 5 }),
 * });
 * await using console = await connect("win1", { host });
 * ```
 *
 * @module
 */

export type {
  ConsoleConditions,
  GuestConsole,
  GuestProgram,
  GuestProgramFactory,
} from "./guest_program.ts";
export { linuxGuest, type LinuxGuestOptions } from "./linux/linux_guest.ts";
export {
  SimulatedGuest,
  type SimulatedGuestOptions,
  SimulatedHost,
  type SimulatedHostOptions,
} from "./simulated_host.ts";
export {
  type WindowsAccount,
  windowsGuest,
  type WindowsGuestOptions,
} from "./windows/windows_guest.ts";
export { XenpvError } from "../errors.ts";
