// Copyright 2026 the xenpv authors. MIT license.
// cmd.exe's system commands: who and what this machine is (HOSTNAME,
// WHOAMI, VER, SYSTEMINFO, TASKLIST), the console (CLS, CHCP), HELP, and
// the commands that end, start or wait (EXIT, CMD, WAITFOR, TIMEOUT).

import { CodePage } from "../../xencons/code_page.ts";
import { type Cmd, type CmdHandler, CONTROL_C_EXIT, type Result } from "./_cmd_command.ts";
import { NIC } from "./_cmd_network.ts";

/** What `help` lists: the commands this simulated cmd.exe knows. */
const HELP: [string, string][] = [
  ["CD", "Displays the name of or changes the current directory."],
  ["CERTUTIL", "-encode, -decode IN OUT (-f: overwrite); -hashfile FILE [SHA256|SHA1|MD5]."],
  ["CHCP", "Displays or sets the active code page number."],
  ["CHDIR", "Displays the name of or changes the current directory."],
  ["CLS", "Clears the screen."],
  ["CMD", "Starts a new instance of the command interpreter (/C runs a line)."],
  ["DEL", "Deletes one or more files."],
  ["DIR", "Displays a list of files and subdirectories (/B: names only)."],
  ["ECHO", "Displays messages."],
  ["EXIT", "Quits the CMD.EXE program (EXIT /B n: with exit code n)."],
  ["FIND", "Searches for a text string in a file or in piped output."],
  ["ERASE", "Deletes one or more files."],
  ["FINDSTR", "Searches for strings in files or in piped output (/R /B /N /C:)."],
  ["HELP", "Provides Help information for Windows commands."],
  ["HOSTNAME", "Prints the name of this computer."],
  ["IPCONFIG", "Displays the IP configuration (/ALL for every detail)."],
  ["MD", "Creates a directory."],
  ["MKDIR", "Creates a directory."],
  ["MORE", "Displays a file or piped output."],
  ["MOVE", "Moves a file (/Y: overwrite without asking)."],
  ["NETSH", "Network shell: interface ipv4 show global."],
  [
    "PING",
    "Sends echo requests (-n count; -t without end: ^C is Ctrl-Break, which shows statistics).",
  ],
  ["SET", "Displays, sets, or removes Windows environment variables."],
  ["SYSTEMINFO", "Displays this computer's configuration."],
  ["TASKLIST", "Displays the running processes."],
  ["TYPE", "Displays the contents of a text file."],
  ["VER", "Displays the Windows version."],
  ["WAITFOR", "Waits for a signal (/T seconds)."],
  ["WHOAMI", "Prints the domain and user name."],
];

/** What `tasklist` shows. */
const TASKLIST = "\r\n" + [
  ["Image Name", "PID", "Session Name", "Session#", "Mem Usage"],
  ["System Idle Process", "0", "Services", "0", "8 K"],
  ["System", "4", "Services", "0", "140 K"],
  ["smss.exe", "312", "Services", "0", "1,024 K"],
  ["csrss.exe", "416", "Services", "0", "4,388 K"],
  ["wininit.exe", "488", "Services", "0", "5,132 K"],
  ["services.exe", "564", "Services", "0", "7,496 K"],
  ["lsass.exe", "572", "Services", "0", "12,744 K"],
  ["svchost.exe", "668", "Services", "0", "18,212 K"],
  ["xenagent.exe", "1432", "Services", "0", "6,108 K"],
  ["cmd.exe", "2816", "Services", "0", "3,076 K"],
  ["tasklist.exe", "3100", "Services", "0", "7,812 K"],
].map(([image, pid, session, number, mem], i) =>
  `${image.padEnd(25)} ${pid.padStart(8)} ${session.padEnd(16)} ${number.padStart(11)} ${
    mem.padStart(12)
  }\r\n` + (i === 0
    ? `${"=".repeat(25)} ${"=".repeat(8)} ${"=".repeat(16)} ${"=".repeat(11)} ${"=".repeat(12)}\r\n`
    : "")
).join("");

/** A program that takes no arguments here (`systeminfo`, `tasklist`). */
function noArgs(cmd: Cmd, name: string, args: string, output: () => string): Result {
  const extra = args.trim();
  if (extra !== "") {
    cmd.error(
      `ERROR: Invalid argument/option - '${extra.split(/\s+/)[0]}'.\r\n` +
        `Type "${name} /?" for usage.\r\n`,
    );
    return cmd.set(1, false);
  }
  cmd.print(output());
  return cmd.set(0);
}

/** CHCP [nnn]: shows the console's code page, or sets it (to one the console has a table for). */
function chcp(args: string, cmd: Cmd): Result {
  const arg = args.trim().replace(/^:\s*/, "");
  if (arg !== "") {
    if (!/^\d+$/.test(arg)) {
      cmd.error("Parameter format not correct - " + arg + "\r\n");
      return cmd.set(1, false);
    }
    if (!CodePage.has(Number(arg))) {
      cmd.error("Invalid code page\r\n");
      return cmd.set(1, false);
    }
    cmd.options.codePage.page = Number(arg);
  }
  cmd.print(`Active code page: ${cmd.options.codePage.page}\r\n`);
  return cmd.set(0);
}

/** HELP [command]: what this simulated cmd.exe knows. */
function help(args: string, cmd: Cmd): Result {
  const topic = args.trim().toUpperCase();
  if (topic !== "") {
    const row = HELP.find(([name]) => name === topic);
    if (!row) {
      cmd.print(
        `This command is not supported by the help utility.  Try "${topic.toLowerCase()} /?".\r\n`,
      );
      return cmd.set(1, false);
    }
    cmd.print(`${row[1]}\r\n`);
    return cmd.set(0);
  }
  cmd.print(
    "For more information on a specific command, type HELP command-name\r\n" +
      HELP.map(([name, what]) => `${name.padEnd(15)}${what}\r\n`).join("") +
      "\r\nThis simulated cmd.exe knows only these, and & && || | > >> 2> 2>&1 %VAR%.\r\n",
  );
  return cmd.set(0);
}

/** What SYSTEMINFO prints. */
function systeminfo(cmd: Cmd): string {
  const m = cmd.options.machine;
  const version = cmd.options.version;
  const row = (label: string, value: string) => `${`${label}:`.padEnd(27)}${value}\r\n`;
  const more = (value: string) => `${"".padEnd(27)}${value}\r\n`;
  return "\r\n" + row("Host Name", m.host.toUpperCase()) +
    row("OS Name", "Microsoft Windows 10 Pro") +
    row("OS Version", `${version} N/A Build ${version.split(".").at(-1)}`) +
    row("OS Manufacturer", "Microsoft Corporation") +
    row("OS Configuration", "Standalone Workstation") +
    row("OS Build Type", "Multiprocessor Free") +
    row("Registered Owner", "Windows User") +
    row("Registered Organization", "") +
    row("Original Install Date", "11/14/2017, 9:12:04 AM") +
    row("System Manufacturer", "Xen") + row("System Model", "HVM domU") +
    row("System Type", "x64-based PC") +
    row("Processor(s)", "1 Processor(s) Installed.") +
    more("[01]: Intel64 Family 6 Model 85 Stepping 4 GenuineIntel ~2100 Mhz") +
    row("BIOS Version", "Xen 4.17, 11/14/2017") +
    row("Windows Directory", "C:\\Windows") +
    row("System Directory", "C:\\Windows\\system32") +
    row("System Locale", "en-us;English (United States)") +
    row("Time Zone", "(UTC) Coordinated Universal Time") +
    row("Total Physical Memory", "4,095 MB") + row("Domain", "WORKGROUP") +
    row("Logon Server", `\\\\${m.host.toUpperCase()}`) +
    row("Network Card(s)", "1 NIC(s) Installed.") +
    more(`[01]: ${NIC}`) +
    more("      Connection Name: Ethernet") +
    more("      DHCP Enabled:    No") +
    more("      IP address(es)") +
    more(`      [01]: ${m.ip}`) +
    more(`      [02]: ${m.ipv6}`);
}

/** EXIT [/B] [code]: ends cmd.exe (with ERRORLEVEL unless a code is given). */
function exit(args: string, cmd: Cmd): Result {
  // Outside a batch script EXIT and EXIT /B both end cmd.exe.
  const m = /^\s*(?:\/b\s*)?(-?\d+)?\s*$/i.exec(args);
  const code = m?.[1] !== undefined ? Number(m[1]) : cmd.errorlevel;
  cmd.exit(code);
  return cmd.set(code);
}

/** CMD [/C line]: a banner, or a child cmd.exe running one line. */
async function cmdExe(args: string, cmd: Cmd): Promise<Result> {
  const m = /^\s*\/[ck]\s+(.*)$/i.exec(args);
  if (!m) {
    cmd.print(
      `Microsoft Windows [Version ${cmd.options.version}]\r\n(c) 2017 Microsoft Corporation. All rights reserved.\r\n`,
    );
    return cmd.set(0);
  }
  return await cmd.child(m[1].replace(/^"(.*)"$/, "$1"));
}

/** WAITFOR [/T seconds] signal: no signal ever comes; it times out or Ctrl-Break ends it. */
async function waitfor(args: string, cmd: Cmd): Promise<Result> {
  const m = /^(?:\/t\s+(\d+)\s+)?(\S+)$/i.exec(args);
  if (!m) {
    cmd.error('ERROR: Invalid syntax.\r\nType "WAITFOR /?" for usage.\r\n');
    return cmd.set(1, false);
  }
  const done = await cmd.sleep(m[1] ? Number(m[1]) * 1000 : 2 ** 31 - 1);
  if (!done) {
    cmd.print("^C");
    cmd.abandonLine();
    return cmd.set(CONTROL_C_EXIT, false);
  }
  cmd.error(`ERROR: Timed out waiting for '${m[2]}'.\r\n`);
  return cmd.set(1, false);
}

/** The system's commands. */
export const SYSTEM_COMMANDS: Record<string, CmdHandler> = {
  hostname: (_, cmd) => (cmd.print(`${cmd.options.host}\r\n`), cmd.set(0)),
  whoami: (_, cmd) => (
    cmd.print(`${cmd.options.host.toLowerCase()}\\${cmd.options.user.toLowerCase()}\r\n`),
      cmd.set(0)
  ),
  // hence the `ver >nul` idiom to clear ERRORLEVEL
  ver: (_, cmd) => (
    cmd.print(`\r\nMicrosoft Windows [Version ${cmd.options.version}]\r\n`), cmd.set(0)
  ),
  systeminfo: (args, cmd) => noArgs(cmd, "SYSTEMINFO", args, () => systeminfo(cmd)),
  tasklist: (args, cmd) => noArgs(cmd, "TASKLIST", args, () => TASKLIST),
  cls: (_, cmd) => (cmd.print("\f"), cmd.same()), // on a pipe, CLS writes a form feed
  chcp,
  help,
  exit,
  cmd: cmdExe,
  waitfor: (args, cmd) => waitfor(args.trim(), cmd),
  timeout: (_, cmd) => (
    cmd.error("ERROR: Input redirection is not supported, exiting the process immediately.\r\n"),
      cmd.set(1)
  ),
};
