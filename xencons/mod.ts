// Copyright 2026 the xenpv authors. MIT license.

/**
 * The console dialects: simulated guest programs that behave like a Windows
 * guest's XENCONS service and a Linux guest's getty and shell. (The client
 * side, with login, `run()` and an expect API, follows.)
 *
 * @module
 */

export * from "./guest_program.ts";
export * from "./linux_guest.ts";
export * from "./windows_guest.ts";
