// Copyright 2026 the xenpv authors. MIT license.

import { hasControl } from "../_sys/text.ts";
import type { Dialect } from "./dialect.ts";

/**
 * The Linux dialect: a getty `login:` and `Password:` on hvc0, then a POSIX
 * shell. Commands run as `echo <B>; eval '<command>'; echo "<E>:$?"`, so
 * comments, quotes and several lines in the command cannot swallow the end
 * marker; a trap on EXIT, set around the command, prints `<E>:<status> exit`
 * if the command ends the shell (`exit 3`, `false || exit`), so an exit's
 * status is the command's (the trap is reset after the command, and by the
 * probe typed after ^C, which drops the rest of the line: a command setting
 * its own EXIT trap loses it); kernel messages (`[  12.345678] ...`) are cut out of the output.
 * It has no code page step: a Linux console speaks UTF-8 (the session's
 * `encoding`, UTF-8 by default, decodes it), so `codePage` does nothing here.
 *
 * @example
 * ```ts
 * import { linuxDialect } from "@xenpv/console/xencons";
 * import assert from "node:assert/strict";
 *
 * const plan = linuxDialect.command("echo it's", "T1");
 * assert.equal(
 *   plan.line,
 *   `echo T1''B; trap 'echo "T1""E:$? exit"' EXIT; eval 'echo it'\\''s'; echo "T1""E:$?"; trap - EXIT`,
 * );
 * assert.equal("\n[   5.123456] eth0: link up\r\n".replace(linuxDialect.noise!, ""), "\n");
 * ```
 */
export const linuxDialect: Dialect = {
  name: "linux",
  enter: "\r",
  interrupt: "\x03",
  // The tty's ISIG keys: SIGINT and SIGQUIT to the foreground process group.
  interruptKeys: { "ctrl-c": "\x03", "ctrl-backslash": "\x1c" },
  loginPrompt: /(?:^|\n)(\S+) login: $/,
  passwordPrompt: /[Pp]assword: $/,
  loginIncorrect: /Login incorrect/,
  shellReady: /[#$] $/,
  detached: /reboot: (?:Restarting system|Power down)|\r\nLinux version \d/,
  noise: /\[ *\d+\.\d+\] [^\r\n]*\r?\n/g,
  // readline and busybox's line editing take any length; a canonical-mode
  // reader (no line editing) takes 4095 characters.
  maxLine: 1 << 20,
  logout: "exit",
  elevateAnswer: () => "",
  // The probe (login, and recovery after ^C) also drops the EXIT trap: ^C
  // makes the shell drop the rest of the interrupted line, its `trap - EXIT`
  // with it, and a later `exit` would print a stale end marker.
  // (`trap - EXIT` is POSIX: dash, bash and busybox ash take it.)
  probe: (tag) => ({ line: `trap - EXIT; echo ${tag}''R`, ack: `${tag}R\r\n` }),
  command(command, tag) {
    if (typeof command !== "string" || command.trim() === "") {
      throw new TypeError("run() needs a non-empty command");
    }
    if (hasControl(command.replaceAll("\r\n", "\n"), "\t\n")) {
      throw new TypeError("the command contains control characters the tty would act on");
    }
    const body = command.replaceAll("\r\n", "\n").replaceAll("'", `'\\''`);
    return {
      prepare: [],
      // Markers are typed split by empty quotes and printed whole, so the
      // echo of the line never contains one.
      line: `echo ${tag}''B; trap 'echo "${tag}""E:$? exit"' EXIT; eval '${body}'; ` +
        `echo "${tag}""E:$?"; trap - EXIT`,
      begin: `${tag}B\r\n`,
      end: `${tag}E:`,
      status: { pattern: /^(\d+)( exit)?\r?\n/ },
    };
  },
};
