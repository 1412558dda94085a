// Copyright 2026 the xenpv authors. MIT license.

/**
 * Scripted automation over a PV console: an expect layer for any console
 * stream ({@linkcode Expect}), sessions that log in, run commands and return
 * their output and exit status ({@linkcode ConsoleSession}), the Windows
 * XENCONS and Linux dialects, code pages, a redacting {@linkcode Transcript},
 * console logs, asciicast recordings ({@linkcode Recorder}) and {@linkcode TypedLines} (which typed line came back), and
 * the console-stream tools a terminal or a script's pipe needs (an
 * {@linkcode EscapeScanner} to detach, a {@linkcode LineTyper} that types a
 * line at a time, waiting on an {@linkcode OutputWatch} for each echo and
 * for the prompt, {@linkcode sanitizeForTerminal} for guest output). The
 * simulated guests these are tried on are in `@xenpv/console/sim`.
 *
 * ```ts ignore
 * import { connect } from "@xenpv/console";
 * import { ConsoleSession } from "@xenpv/console/xencons";
 *
 * await using session = new ConsoleSession(await connect("win10"), {
 *   dialect: "windows",
 *   ownsConsole: true,
 * });
 * await session.login({ user: "Administrator", password: Deno.env.get("PW")! });
 * const { output, exitCode } = await session.run("ipconfig /all");
 * ```
 *
 * @module
 */

export { ConsoleSession } from "./console_session.ts";
export { NestedShell } from "./nested_shell.ts";
export {
  DEFAULT_MAX_BYTES,
  type FileProgress,
  type FileTransferOptions,
  type FileTransferResult,
  type GetFileOptions,
  type GetFileResult,
  type HashAlgorithm,
} from "./session_types.ts";
export type {
  ConsoleSessionOptions,
  LoginOptions,
  NestedOptions,
  RunOptions,
  RunResult,
  SessionState,
} from "./session_types.ts";
export type { AckedLine, CodePageCommands, CommandPlan, Dialect, InterruptKey } from "./dialect.ts";
export {
  CommandAbortedError,
  ExpectTimeoutError,
  FileTransferError,
  type FileTransferFailure,
  LoginError,
  type LoginFailure,
  PasswordFileError,
  type PasswordFileRefusal,
  SessionEndedError,
  SessionStateError,
  StreamEndedError,
  UnencodableError,
  UnsupportedCodePageError,
} from "./errors.ts";
export { CodePage, type CodePageDecoder, type EncodeOptions } from "./code_page.ts";
export {
  type ConsoleEncodeOptions,
  ConsoleEncoding,
  type ConsoleEncodingOptions,
} from "./console_encoding.ts";
export {
  type ConsoleStreams,
  Expect,
  type ExpectCallOptions,
  type ExpectMatch,
  type ExpectOptions,
  type Pattern,
} from "./expect.ts";
export { linuxDialect } from "./linux_dialect.ts";
export { stripAnsi } from "./strip_ansi.ts";
export { Transcript, type TranscriptEntry, type TranscriptOptions } from "./transcript.ts";
export { windowsDialect } from "./windows_dialect.ts";
export { ConsoleLog, type ConsoleLogOptions } from "./console_log.ts";
export { Recorder, type RecorderOptions, recordStreams } from "./recorder.ts";
export { logToCast, type LogToCastResult } from "./log_to_cast.ts";
export {
  credentialsFromEnv,
  type CredentialsOptions,
  type EnvCredentials,
  passwordFromFile,
} from "./credentials.ts";
export { type TypedLine, TypedLines } from "./typed_lines.ts";
export { type EscapeScan, EscapeScanner, escapeSequence } from "./escape_scanner.ts";
export { LineTyper, type LineTyperOptions } from "./line_typer.ts";
export { OutputWatch, type OutputWatchOptions } from "./output_watch.ts";
export { jsonSafe, printable, sanitizeForTerminal } from "./terminal_text.ts";
export { XenpvError } from "../errors.ts";
