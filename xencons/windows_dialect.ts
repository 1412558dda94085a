// Copyright 2026 the xenpv authors. MIT license.

import { hasControl } from "../_sys/text.ts";
import type { CommandPlan, Dialect } from "./dialect.ts";

/** The XENCONS tty helper keeps 1023 characters per line, Enter included. */
const HELPER_LINE = 1022;
/** cmd.exe's longest command line (after %VAR% expansion). */
const CMD_LINE = 8191;
/** Room left for the `echo <ack>& set XPVCn=` around a piece of a long command. */
const PIECE = 900;

/**
 * Sets ERRORLEVEL to 0 on Windows' cmd.exe (VER does) and on Wine's (its VER
 * leaves ERRORLEVEL as it was, its TYPE sets 0; Windows' TYPE leaves it).
 */
const CLEAR = "ver>nul& type nul>nul";

/** A command that is an `exit [/b] [N]` alone: it ends cmd.exe at the top level. */
const EXIT = /^\s*@?exit(?:\s*\/b)?(?:\s+[^\s&|<>()^"]+)?\s*$/i;

/** Caret-escapes cmd's special characters outside double quotes, so `set` stores `text` as is. */
function escapeForSet(text: string): string {
  let out = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && "^&|<>()".includes(ch)) out += "^";
    out += ch;
  }
  return out;
}

/**
 * `n`, or the start of the `%NAME%` reference that `n` would cut: each piece
 * is expanded as its `set` line is read, where half a reference (`%USER`,
 * `NAME%`) is left as it is, and the whole line's expansion is not expanded
 * again, so a cut reference would reach the command unexpanded.
 */
function outsideVariable(text: string, n: number): number {
  for (const m of text.matchAll(/%[^%]+%/g)) {
    if (m.index >= n) break;
    if (n < m.index + m[0].length) return m.index > 0 ? m.index : n;
  }
  return n;
}

function plan(command: string, tag: string): CommandPlan {
  if (typeof command !== "string" || command.trim() === "") {
    throw new TypeError("run() needs a non-empty command line");
  }
  if (/[\r\n]/.test(command)) {
    throw new TypeError(
      "a cmd.exe command is one line: join commands with & (or run them one by one)",
    );
  }
  if (hasControl(command, "\t")) {
    throw new TypeError("the XENCONS helper turns control characters into ^X: remove them");
  }
  if ((command.match(/"/g)?.length ?? 0) % 2 === 1) {
    throw new TypeError(`unbalanced double quote in ${JSON.stringify(command)}`);
  }
  if (command.length > CMD_LINE - 64) {
    throw new RangeError(
      `cmd.exe takes command lines up to ${CMD_LINE} characters; this one has ${command.length}`,
    );
  }
  // Each marker is typed with a caret inside (`echo T^B`) and printed without
  // it (`TB`): the helper's echo of the line can never look like the marker.
  const begin = `${tag}B\r\n`;
  const end = `${tag}E\r\n`;
  const status = `echo ${tag}^X%ERRORLEVEL%`;
  const pattern = new RegExp(`${tag}X(-?\\d+)\\r?\\n`);
  // CLEAR sets ERRORLEVEL to 0, which internal commands like ECHO leave as it was.
  // No space before `&`: ECHO would print it. (A trailing caret gets one to escape.)
  if (EXIT.test(command)) {
    // cmd.exe ends at `exit` and with it the helper: nothing after it on the
    // line runs. A child cmd works out the status (as cmd reads the number),
    // the status line prints it and then ends the shell with it.
    return {
      prepare: [],
      line: `echo ${tag}^B& ${CLEAR}& cmd /c ${command.trim()}& echo ${tag}^E`,
      begin,
      end,
      status: {
        line: `echo ${tag}^X%ERRORLEVEL% exit& exit %ERRORLEVEL%`,
        pattern: new RegExp(`${tag}X(-?\\d+)( exit)?\\r?\\n`),
      },
    };
  }
  const cut = command.endsWith("^") ? " " : "";
  const direct = `echo ${tag}^B& ${CLEAR}& ${command}${cut}& echo ${tag}^E`;
  if (direct.length <= HELPER_LINE) {
    return { prepare: [], line: direct, begin, end, status: { line: status, pattern } };
  }
  // Longer than the helper's line editor takes: store the command in pieces
  // (XPVC1, XPVC2, ...) with `set`, then run their expansion. Each piece is
  // acknowledged before the next is typed, so nothing is typed ahead.
  // The program's name is typed as it is: Wine's cmd.exe finds the command
  // word before it expands %VAR% (Windows' expands first, so the same line
  // means the same there).
  const head = /^\s*[^\s"&|<>()^%]{1,64}\s+/.exec(command)?.[0] ?? "";
  const prepare: { line: string; ack: string }[] = [];
  const names: string[] = [];
  let rest = command.slice(head.length);
  while (rest.length > 0) {
    let n = Math.min(rest.length, PIECE);
    while (escapeForSet(rest.slice(0, n)).length > PIECE) n = Math.floor(n * 0.8);
    if (n < rest.length) n = outsideVariable(rest, n);
    const name = `XPVC${names.length + 1}`;
    names.push(name);
    prepare.push({
      line: `echo ${tag}^C${names.length}& set ${name}=${escapeForSet(rest.slice(0, n))}`,
      ack: `${tag}C${names.length}\r\n`,
    });
    rest = rest.slice(n);
  }
  return {
    prepare,
    line: `echo ${tag}^B& ${CLEAR}& ${head}${
      names.map((v) => `%${v}%`).join("")
    }${cut}& echo ${tag}^E`,
    begin,
    end,
    status: { line: `${status}& ${names.map((v) => `set ${v}=`).join("& ")}`, pattern },
  };
}

/**
 * The number in what `chcp` printed: `Active code page: 850`, and as
 * localized Windows says it (`Aktive Codepage: 850.`, `Page de codes
 * active : 850`, `現在のコード ページ: 932`): the last number of the output.
 */
function parseCodePage(output: string): number | undefined {
  const m = /(\d{3,5})\D*$/.exec(output.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * The Windows XENCONS dialect: the monitor's `[ATTACHED]`, the tty helper's
 * `<HOST> login: `, `Password: ` and `Run Elevated [yes|no]: ` prompts, CR as
 * Enter, ^C as Ctrl-Break, `cmd.exe /q /a` behind it. Commands run as
 * `echo <B>& ver>nul& type nul>nul& <command>& echo <E>` (`ver>nul` clears
 * ERRORLEVEL, which internal commands like ECHO leave as it was; on Wine's
 * cmd.exe `type nul>nul` does) and the status comes
 * from `echo <X>%ERRORLEVEL%` (ECHO leaves ERRORLEVEL alone). Markers are
 * typed with a caret inside, so the echo of a line never contains one. A
 * command that is an `exit [/b] [N]` alone runs as `cmd /c exit [/b] [N]`
 * and the status line then prints its status and ends cmd.exe with it, so
 * the exit's status is the command's (cmd.exe, and the helper with it, end
 * as typed; `exit` inside a longer line ends the shell without a status).
 * Lines longer than the
 * helper's 1022 characters are stored in pieces with `set` and expanded.
 * The console's code page is learned with `chcp` (and set with
 * `chcp <page> >nul`: the space keeps the page's last digit from reading as a
 * handle number); its number is read in any language Windows prints it.
 *
 * @example
 * ```ts
 * import { windowsDialect } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const plan = windowsDialect.command("ver", "T1");
 * assert.equal(plan.line, "echo T1^B& ver>nul& type nul>nul& ver& echo T1^E");
 * assert.equal(plan.status.line, "echo T1^X%ERRORLEVEL%");
 * assert.match("T1X9009\r\n", plan.status.pattern);
 * ```
 */
export const windowsDialect: Dialect = {
  name: "windows",
  enter: "\r",
  interrupt: "\x03",
  // The helper acts on ^C alone (CTRL_BREAK_EVENT); any other control key is typed as ^X.
  interruptKeys: { "ctrl-c": "\x03" },
  loginPrompt: /(?:^|\n)(\S+) login: $/,
  passwordPrompt: /Password: $/,
  elevatePrompt: /Run Elevated \[yes\|no\]: $/,
  // Windows' banner is `Microsoft Windows [Version 10.0.15063]`; Wine's cmd.exe prints
  // `Microsoft Windows 6.1.7601` (and with /q no prompt at all).
  shellReady:
    /Microsoft Windows (?:\[Version [^\]\r\n]*\]|\d+\.\d+\.\d+\r?\n)|(?:^|\n)[A-Za-z]:\\[^\r\n<>|]*>$/,
  detached: /\r\n\[(?:ATTACHED|DETACHED)\]\r\n/,
  // XENBUS and friends log to the PV console as "XENBUS|Function: text".
  noise: /XEN[A-Z]+\|[^\r\n]*\r?\n/g,
  maxLine: HELPER_LINE,
  logout: "exit",
  codePage: {
    query: (tag, switchTo) => ({
      line: `echo ${tag}^B& chcp& ${
        switchTo === undefined ? "" : `chcp ${switchTo} >nul& `
      }echo ${tag}^E`,
      begin: `${tag}B\r\n`,
      end: `${tag}E\r\n`,
    }),
    parse: parseCodePage,
    set: (page, tag) => ({ line: `chcp ${page} >nul& echo ${tag}^R`, ack: `${tag}R\r\n` }),
  },
  elevateAnswer: (elevate) => elevate ? "yes" : "no",
  probe: (tag) => ({ line: `echo ${tag}^R`, ack: `${tag}R\r\n` }),
  command: plan,
};
