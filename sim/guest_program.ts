// Copyright 2026 the xenpv authors. MIT license.

/** The console as a guest program sees it. */
export interface GuestConsole {
  /** Writes text or bytes to the console (guest output). */
  write(data: string | Uint8Array): void;
  /**
   * Resolves once everything written so far is in the ring, as a guest's
   * blocking console write returns: a program that waits on it writes as
   * fast as the reader takes the output, and no faster. (Simulated consoles
   * provide it; a plain capture object may leave it out.)
   */
  drained?(): Promise<void>;
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

/**
 * How a simulated guest's console misbehaves: slow (latency), fragmented
 * (small pieces) or noisy (driver or kernel log lines dropped anywhere in the
 * output, even mid-line, as the XENBUS driver or printk do on a real PV
 * console).
 */
export interface ConsoleConditions {
  /** Delay in ms before each piece of output appears. Default 0. */
  latency?: number;
  /** Largest piece of output written at once, in characters. Default: whole writes. */
  chunk?: number;
  /** Chance (0..1) that a write carries a noise message somewhere inside it. Default 0. */
  noise?: number;
  /** Seed for where noise lands. Default 1. */
  seed?: number;
}
