// Copyright 2026 the xenpv authors. MIT license.
// The prompt dialogue of ConsoleSession.login(): wake the console, then
// answer its login, password and elevation prompts (logging out a shell
// left logged in first) until a shell follows the answers.

import type { Dialect } from "./dialect.ts";
import { LoginError, StreamEndedError } from "./errors.ts";
import type { Expect, Pattern } from "./expect.ts";
import type { LoginOptions } from "./session_types.ts";
import { typeLine } from "./_session_util.ts";

/** Where a login is: answering nothing yet, logging a left shell out, or past a prompt. */
type LoginStage = "start" | "logging-out" | "user" | "password" | "elevate" | "done";

/** What a prompt met during a login is. */
type LoginPrompt = "login" | "password" | "elevate" | "incorrect" | "shell";

/** How long the console must stay silent before login() looks at its prompt. */
const SETTLE_MS = 150;

/**
 * Answers the console's prompts until a shell follows the answers (the
 * shell's prompt is not proven yet: the caller probes it). Throws
 * {@linkcode LoginError} for rejected credentials or no prompt at all.
 */
export async function answerLoginPrompts(
  ex: Expect,
  dialect: Dialect,
  options: LoginOptions,
  signal: AbortSignal,
): Promise<void> {
  const prompts = loginPrompts(dialect);
  await wake(ex, dialect, prompts, signal);
  let stage: LoginStage = "start";
  let sawPrompt = false;
  while (stage !== "done") {
    const kind = await nextLoginPrompt(ex, prompts, signal, sawPrompt, options.user);
    sawPrompt = true;
    // At the start, a prompt followed by more output is stale backlog.
    if (stage === "start" && ex.buffer.trim() !== "") continue;
    stage = await answer(ex, dialect, kind, stage, options);
  }
}

/** The prompts a login may meet, with what each one is. */
function loginPrompts(d: Dialect): [Pattern, LoginPrompt][] {
  const prompts: [Pattern, LoginPrompt][] = [
    [d.loginPrompt, "login"],
    [d.passwordPrompt, "password"],
    [d.shellReady, "shell"],
  ];
  if (d.elevatePrompt) prompts.push([d.elevatePrompt, "elevate"]);
  if (d.loginIncorrect) prompts.push([d.loginIncorrect, "incorrect"]);
  return prompts;
}

/**
 * Lets the backlog and any output still on its way arrive, so that a prompt
 * answered next is the current one; wakes the console with Enter unless it
 * already shows a prompt.
 */
async function wake(
  ex: Expect,
  d: Dialect,
  prompts: [Pattern, LoginPrompt][],
  signal: AbortSignal,
): Promise<void> {
  await ex.quiet(SETTLE_MS, { signal });
  const tail = ex.buffer;
  const showing = prompts.some(([p]) =>
    p instanceof RegExp && new RegExp(p.source, p.flags).test(tail)
  );
  if (!showing) await ex.send(d.enter);
}

/** The next prompt; no prompt at all (a timeout) is LoginError "no-prompt". */
async function nextLoginPrompt(
  ex: Expect,
  prompts: [Pattern, LoginPrompt][],
  signal: AbortSignal,
  sawPrompt: boolean,
  user: string,
): Promise<LoginPrompt> {
  try {
    const m = await ex.expect(prompts.map(([p]) => p), { signal });
    return prompts[m.index][1];
  } catch (err) {
    if (!sawPrompt && !(err instanceof StreamEndedError)) {
      throw new LoginError("no-prompt", user, { cause: err });
    }
    throw err;
  }
}

/** Answers a prompt met at a stage of the login; returns the next stage. */
async function answer(
  ex: Expect,
  d: Dialect,
  kind: LoginPrompt,
  stage: LoginStage,
  options: LoginOptions,
): Promise<LoginStage> {
  const { user } = options;
  const answered = stage === "password" || stage === "elevate";
  switch (kind) {
    case "login":
      // Asked again after the password: refused.
      if (answered) {
        throw new LoginError(stage === "password" ? "bad-credentials" : "refused", user);
      }
      await ex.send(user + d.enter);
      return "user";
    case "password":
      if (stage !== "user") {
        await ex.send(d.enter); // someone else's half-typed login: abandon it
        return "start";
      }
      await ex.send(options.password + d.enter, { secret: true });
      return "password";
    case "elevate":
      await ex.send(d.elevateAnswer(options.elevate ?? false) + d.enter);
      return "elevate";
    case "incorrect":
      if (stage === "password") throw new LoginError("bad-credentials", user);
      return stage;
    case "shell":
      if (answered) return "done";
      if (stage !== "start") return stage;
      if (options.reuse) return "done"; // a shell someone left logged in, used as it is
      await typeLine(ex, d, d.logout);
      return "logging-out";
  }
}
