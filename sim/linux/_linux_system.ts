// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's system commands: the machine (uname,
// hostname, ip, ps), the user (whoami, id), the session's variables (env,
// export, unset), and echo, true, false, sleep, clear and help.

import type { Io, LinuxHandler, Sh, Status } from "./_linux_command.ts";

const KERNEL = "6.1.0-28-amd64";
const KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)";

/** `uname -a` without the trailing "GNU/Linux": what Debian's motd starts with. */
export function kernelLine(host: string): string {
  return `Linux ${host} ${KERNEL} ${KERNEL_VERSION} x86_64`;
}

/** Printed after a login: what this simulated guest can do. */
export const MOTD = "This Debian guest is simulated: `help` lists the commands it knows.\r\n\r\n";

const HELP = [
  "Commands this simulated Debian guest knows:",
  "  cat [FILE...]      cd [DIR|-]         clear              echo [-n] [WORD...]",
  "  env                eval WORDS         exit [N], logout   export NAME=VALUE",
  "  false, true        grep [-ivcn] PATTERN [FILE...]        head, tail [-n N]",
  "  help               hostname [-I]      id                 ip addr|link|route",
  "  ls [-la] [PATH...] mkdir [-p] DIR     ps                 pwd",
  "  rm [-f] FILE       sleep SECONDS      touch FILE         uname [-asnrvmo]",
  "  trap [ACTION SIG]  unset NAME         wc [-lwc]          whoami",
  "  base64 [-d] [-w N] [FILE]             sha256sum, md5sum [FILE...]",
  "  dd if= of= bs= skip= count=           mv [-f] FROM TO    printf FORMAT [ARG...]",
  "  tee [-a] FILE...",
  "and sh's ' \" \\ quoting, $? $NAME ${NAME} ~, NAME=VALUE, # comments,",
  "; && || | between commands, > >> 2> 2>&1 < redirections, <<WORD here-documents.",
  "",
].join("\n");

function echo(args: string[], io: Io): number {
  const newline = args[0] !== "-n";
  io.out(`${(newline ? args : args.slice(1)).join(" ")}${newline ? "\n" : ""}`);
  return 0;
}

async function sleep(args: string[], io: Io, sh: Sh): Promise<Status> {
  if (args.length === 0) {
    io.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
    return 1;
  }
  const unit: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };
  let seconds = 0;
  for (const arg of args) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
    if (!m) {
      io.err(`sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`);
      return 1;
    }
    seconds += Number(m[1]) * unit[m[2]];
  }
  const slept = await sh.sleep(seconds);
  if (slept === "quit") {
    // SIGQUIT killed it; the shell, which ignores SIGQUIT, says so and goes on.
    io.err("Quit\n");
    return 131;
  }
  return slept ? 0 : "interrupted";
}

function id(_: string[], io: Io, sh: Sh): number {
  const a = sh.account();
  io.out(`uid=${a.uid}(${a.name}) gid=${a.uid}(${a.name}) groups=${a.uid}(${a.name})\n`);
  return 0;
}

function uname(args: string[], io: Io, sh: Sh): number {
  const all = ["Linux", sh.machine.host, KERNEL, KERNEL_VERSION, "x86_64", "GNU/Linux"];
  const pick: Record<string, number> = { s: 0, n: 1, r: 2, v: 3, m: 4, o: 5 };
  const chosen = new Set<number>();
  const usage = "Try 'uname --help' for more information.\n";
  for (const arg of args) {
    if (arg === "--all") {
      all.forEach((_, i) => chosen.add(i));
      continue;
    }
    if (!/^-./.test(arg)) {
      io.err(`uname: extra operand '${arg}'\n${usage}`);
      return 1;
    }
    for (const f of arg.slice(1)) {
      if (f === "a") all.forEach((_, i) => chosen.add(i));
      else if (Object.hasOwn(pick, f)) chosen.add(pick[f]);
      else {
        io.err(`uname: invalid option -- '${f}'\n${usage}`);
        return 1;
      }
    }
  }
  if (chosen.size === 0) chosen.add(0);
  io.out(`${[...chosen].sort().map((i) => all[i]).join(" ")}\n`);
  return 0;
}

function exportCommand(args: string[], _: Io, sh: Sh): number {
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq > 0) sh.vars.set(arg.slice(0, eq), arg.slice(eq + 1));
    sh.exported.add(eq > 0 ? arg.slice(0, eq) : arg);
  }
  return 0;
}

function ps(_: string[], io: Io, sh: Sh): number {
  const pid = sh.account().uid === 0 ? 612 : 731;
  io.out(
    "    PID TTY          TIME CMD\n" +
      `${String(pid).padStart(7)} hvc0     00:00:00 sh\n` +
      `${String(pid + 89).padStart(7)} hvc0     00:00:00 ps\n`,
  );
  return 0;
}

function ip(args: string[], io: Io, sh: Sh): number {
  const m = sh.machine;
  const object = args[0] ?? "";
  const is = (full: string, shortest: number) =>
    object.length >= shortest && full.startsWith(object);
  const lo = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN " +
    "mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
  const eth = "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP " +
    `mode DEFAULT group default qlen 1000\n    link/ether ${m.mac} brd ff:ff:ff:ff:ff:ff\n`;
  if (is("address", 1)) {
    io.out(
      (lo + "    inet 127.0.0.1/8 scope host lo\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "    inet6 ::1/128 scope host noprefixroute \n" +
        "       valid_lft forever preferred_lft forever\n" +
        eth + `    inet ${m.ip}/24 brd 10.0.0.255 scope global eth0\n` +
        "       valid_lft forever preferred_lft forever\n" +
        `    inet6 ${m.ipv6}/64 scope link \n` +
        "       valid_lft forever preferred_lft forever\n").replaceAll("mode DEFAULT ", ""),
    );
    return 0;
  }
  if (is("link", 1)) return (io.out(lo + eth), 0);
  if (is("route", 1)) {
    io.out(
      `default via ${m.gateway} dev eth0 onlink \n` +
        `10.0.0.0/24 dev eth0 proto kernel scope link src ${m.ip} \n`,
    );
    return 0;
  }
  io.err(`Object "${object}" is unknown, try "ip help".\n`);
  return 255;
}

/** The system's commands. */
export const SYSTEM_COMMANDS: Record<string, LinuxHandler> = {
  echo,
  true: () => 0,
  ":": () => 0,
  false: () => 1,
  sleep,
  help: (_, io) => (io.out(HELP), 0),
  clear: (_, io) => (io.out("\x1b[H\x1b[J"), 0),
  hostname: (args, io, sh) => (
    io.out(args[0] === "-I" ? `${sh.machine.ip} \n` : `${sh.machine.host}\n`), 0
  ),
  whoami: (_, io, sh) => (io.out(`${sh.user()}\n`), 0),
  id,
  uname,
  env: (_, io, sh) => (
    io.out(
      [...sh.vars].filter(([k]) => sh.exported.has(k)).map(([k, v]) => `${k}=${v}\n`).join(""),
    ), 0
  ),
  export: exportCommand,
  unset: (args, _, sh) => (args.forEach((a) => (sh.vars.delete(a), sh.exported.delete(a))), 0),
  ps,
  ip,
};
