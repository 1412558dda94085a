// Copyright 2026 the xenpv authors. MIT license.

/** The console as a guest program sees it. */
export interface GuestConsole {
  /** Writes text or bytes to the console (guest output). */
  write(data: string | Uint8Array): void;
}

/**
 * A program running on a simulated guest's console: what the Windows XENCONS
 * service or a Linux getty + shell would do with the bytes typed at it.
 */
export interface GuestProgram {
  /** The console device came up (the guest booted, or the driver attached). */
  start(console: GuestConsole): void;
  /** Bytes typed at the console. */
  input(data: Uint8Array): void;
  /** The guest is going down. */
  stop(): void;
}

/** Makes a program for a guest named `hostname`. */
export type GuestProgramFactory = (options: { hostname: string }) => GuestProgram;
