// Copyright 2026 the xenpv authors. MIT license.
// cmd.exe's environment: the variables Windows 10 starts it with, ECHO and
// SET. (%VAR% expansion is the shell's, in _cmd_shell.ts.)

import type { Cmd, CmdHandler, Result } from "./_cmd_command.ts";

/** The environment cmd.exe starts with, as Windows 10 sets it for `user`. */
export function windowsEnv(host: string, user: string): Record<string, string> {
  const home = `C:\\Users\\${user}`;
  return {
    ALLUSERSPROFILE: "C:\\ProgramData",
    APPDATA: `${home}\\AppData\\Roaming`,
    CommonProgramFiles: "C:\\Program Files\\Common Files",
    COMPUTERNAME: host,
    ComSpec: "C:\\Windows\\system32\\cmd.exe",
    HOMEDRIVE: "C:",
    HOMEPATH: `\\Users\\${user}`,
    LOCALAPPDATA: `${home}\\AppData\\Local`,
    LOGONSERVER: `\\\\${host}`,
    NUMBER_OF_PROCESSORS: "2",
    OS: "Windows_NT",
    Path: "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem",
    PATHEXT: ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
    PROCESSOR_ARCHITECTURE: "AMD64",
    ProgramData: "C:\\ProgramData",
    ProgramFiles: "C:\\Program Files",
    PROMPT: "$P$G",
    PUBLIC: "C:\\Users\\Public",
    SystemDrive: "C:",
    SystemRoot: "C:\\Windows",
    TEMP: `${home}\\AppData\\Local\\Temp`,
    TMP: `${home}\\AppData\\Local\\Temp`,
    USERDOMAIN: host,
    USERNAME: user,
    USERPROFILE: home,
    windir: "C:\\Windows",
  };
}

/** ECHO text; `echo.` an empty line; ECHO alone tells the (off) echo state. */
function echo(args: string, cmd: Cmd): Result {
  if (args.startsWith(".")) cmd.print(`${args.slice(1)}\r\n`);
  else if (args.trim() === "") cmd.print("ECHO is off.\r\n");
  else cmd.print(`${args.slice(1)}\r\n`);
  return cmd.same();
}

/** SET [name[=[value]]]: lists (by prefix), sets or removes a variable. */
function set(args: string, cmd: Cmd): Result {
  const a = args.trim();
  const sorted = () => [...cmd.env].sort(([a], [b]) => a < b ? -1 : 1);
  if (a === "") {
    for (const [, [k, v]] of sorted()) cmd.print(`${k}=${v}\r\n`);
    return cmd.same();
  }
  const eq = args.indexOf("=");
  if (eq < 0) {
    const hits = sorted().filter(([k]) => k.startsWith(a.toUpperCase()));
    if (hits.length === 0) {
      cmd.error(`Environment variable ${a} not defined\r\n`);
      return cmd.set(1, false);
    }
    for (const [, [k, v]] of hits) cmd.print(`${k}=${v}\r\n`);
    return cmd.same();
  }
  const name = args.slice(0, eq).trim();
  const value = args.slice(eq + 1);
  if (value === "") cmd.env.delete(name.toUpperCase());
  else cmd.env.set(name.toUpperCase(), [cmd.env.get(name.toUpperCase())?.[0] ?? name, value]);
  return cmd.same();
}

/** The environment's commands. */
export const ENV_COMMANDS: Record<string, CmdHandler> = { echo, set };
