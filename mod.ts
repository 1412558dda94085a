// Copyright 2026 the xenpv authors. MIT license.

/**
 * xenpv: reach Xen guests' PV consoles from dom0.
 *
 * `connect(domain)` attaches to a guest's console, through xenconsoled's pty
 * (as `xl console` does) or by being the ring's backend, and gives a
 * `{ readable, writable }` pair of Web Streams. `ConsoleSession` logs in on
 * it and runs commands, with their output and exit status. This module
 * exports what a script uses: those two, the errors to catch and
 * `SimulatedHost`, a host to try it all without Xen. The layers they are built
 * from are at `@xenpv/console/xenstore`, `/ring`, `/evtchn`, `/xencons` and
 * `/sim`.
 *
 * @example Log in and run a command (on a simulated host)
 * ```ts
 * import { connect, ConsoleSession, SimulatedHost } from "@xenpv/console";
 * import assert from "node:assert/strict";
 *
 * await using host = new SimulatedHost(); // leave it out in dom0: connect() finds Xen
 * await host.createGuest({ name: "web01", program: "windows" });
 * await using session = new ConsoleSession(await connect("web01", { host }), {
 *   dialect: "windows", // or "linux"
 *   ownsConsole: true,
 * });
 * await session.login({ user: "Administrator", password: "xenpv" });
 * const { output, exitCode } = await session.run("hostname");
 * assert.equal(output, "WEB01\n");
 * assert.equal(exitCode, 0);
 * await session.logout();
 * ```
 *
 * @example Attach in dom0
 * ```ts ignore
 * import { connect } from "@xenpv/console";
 *
 * await using console = await connect("win-guest");
 * await console.readable.pipeTo(Deno.stdout.writable);
 * ```
 *
 * @module
 */

// Attach
export {
  type AttachMode,
  type ByteStream,
  connect,
  type ConnectOptions,
  ConsoleBusyError,
  type ConsoleBusyReason,
  ConsoleClosedError,
  type ConsoleFailure,
  type ConsoleInfo,
  type ConsoleKind,
  type ConsoleMode,
  ConsoleNotFoundError,
  type ConsoleNotFoundReason,
  type ConsolePage,
  GuestGoneError,
  GuestNotFoundError,
  type GuestType,
  type HostLock,
  type ReattachDetail,
  XenConsole,
  type XenHost,
} from "./console/mod.ts";
export { SystemError, type SystemErrorDetails } from "./errors.ts";
export { XenpvError } from "./errors.ts";
export { XenstoreClosedError, XenstoreError, XenstoreProtocolError } from "./xenstore/mod.ts";
export {
  type MapConsolePageOptions,
  type MapMethod,
  RingCorruptionError,
  type RingIndices,
} from "./ring/mod.ts";
export { type EventChannel, EventChannelClosedError } from "./evtchn/mod.ts";
// The types the ones above name (a script rarely needs them by name).
export type {
  Access,
  ListenOptions,
  Permission,
  RequestOptions,
  ServerConnectOptions,
  TransactionOptions,
  WatchEvent,
  WatchOptions,
  XenstoreClient,
  XenstoreListener,
  XenstoreOperations,
  XenstoreServer,
  XenstoreServerStats,
  XenstoreTransaction,
  XenstoreTransport,
  XenstoreWatch,
} from "./xenstore/mod.ts";

// Log in and run commands
export {
  type AckedLine,
  CodePage,
  type CodePageCommands,
  type CodePageDecoder,
  CommandAbortedError,
  type CommandPlan,
  ConsoleLog,
  ConsoleSession,
  type ConsoleSessionOptions,
  credentialsFromEnv,
  type CredentialsOptions,
  type Dialect,
  type EncodeOptions,
  type EnvCredentials,
  type Expect,
  type ExpectCallOptions,
  type ExpectMatch,
  ExpectTimeoutError,
  type FileProgress,
  FileTransferError,
  type FileTransferFailure,
  type FileTransferOptions,
  type FileTransferResult,
  type GetFileOptions,
  type GetFileResult,
  type HashAlgorithm,
  type InterruptKey,
  LoginError,
  type LoginFailure,
  type LoginOptions,
  logToCast,
  type LogToCastResult,
  type NestedOptions,
  type NestedShell,
  PasswordFileError,
  type PasswordFileRefusal,
  passwordFromFile,
  type Pattern,
  Recorder,
  type RecorderOptions,
  type RunOptions,
  type RunResult,
  SessionEndedError,
  type SessionState,
  SessionStateError,
  StreamEndedError,
  type Transcript,
  type TranscriptEntry,
  UnencodableError,
  UnsupportedCodePageError,
} from "./xencons/mod.ts";

// Try it without Xen
export {
  type GuestConsole,
  type GuestProgram,
  type GuestProgramFactory,
  type SimulatedGuest,
  type SimulatedGuestOptions,
  SimulatedHost,
} from "./sim/mod.ts";
