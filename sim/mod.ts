// Copyright 2026 the xenpv authors. MIT license.

/**
 * The simulated Xen host: in-memory xenstore, console pages and event
 * channels, guests running a console program, and a simulated xenconsoled on
 * real ptys. Pass it as `host` to `connect()`.
 *
 * @module
 */

export {
  SimulatedGuest,
  type SimulatedGuestOptions,
  SimulatedHost,
  type SimulatedHostOptions,
} from "./simulated_host.ts";
