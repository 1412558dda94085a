// Copyright 2026 the xenpv authors. MIT license.

/**
 * Scripted automation over a PV console: an expect layer for any console
 * stream ({@linkcode Expect}), sessions that log in, run commands and return
 * their output and exit status ({@linkcode ConsoleSession}), the Windows
 * XENCONS and Linux dialects, a redacting {@linkcode Transcript}, and the
 * simulated guest programs the simulated host runs.
 *
 * ```ts ignore
 * import { connect } from "@xenpv/console";
 * import { ConsoleSession } from "@xenpv/console/xencons";
 *
 * await using session = new ConsoleSession(await connect("win10"), { ownsConsole: true });
 * await session.login({ user: "Administrator", password: Deno.env.get("PW")! });
 * const { output, exitCode } = await session.run("ipconfig /all");
 * ```
 *
 * @module
 */

export * from "./console_session.ts";
export * from "./dialect.ts";
export * from "./errors.ts";
export * from "./expect.ts";
export * from "./guest_program.ts";
export * from "./linux_dialect.ts";
export * from "./linux_guest.ts";
export * from "./strip_ansi.ts";
export * from "./transcript.ts";
export * from "./windows_dialect.ts";
export * from "./windows_guest.ts";
export { ConsoleLog, type ConsoleLogOptions } from "./console_log.ts";
export { credentialsFromEnv, type EnvCredentials } from "./credentials.ts";
