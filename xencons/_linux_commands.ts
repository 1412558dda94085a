// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's commands: a table of handlers over a small file
// system, all reporting the same machine (_sim_machine.ts).

import { machineOf, SimFiles, type SimMachine } from "./_sim_machine.ts";

const KERNEL = "6.1.0-28-amd64";
const KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)";

/** `uname -a` without the trailing "GNU/Linux": what Debian's motd starts with. */
export function kernelLine(host: string): string {
  return `Linux ${host} ${KERNEL} ${KERNEL_VERSION} x86_64`;
}

/** Printed after a login: what this simulated guest can do. */
export const MOTD = "This Debian guest is simulated by xenpv: `help` lists its commands.\r\n\r\n";

const HELP = [
  "The simulated Linux guest (xenpv) knows these commands:",
  "  cat FILE...       cd [DIR]          echo [WORD...]    eval WORDS",
  "  exit [N], logout  false, true       help              hostname",
  "  id, whoami        ip addr           ls [-l] [-a] [PATH...]",
  "  pwd               sleep SECONDS     uname [-a|-s|-n|-r|-m]",
  "with ; && || ' \" \\ and $? as sh has them.",
  "",
].join("\r\n");

/** The status of a command, or "interrupted" when ^C stopped it. */
type Status = number | "interrupted";

/** Uids of the accounts a guest may have. */
const UIDS: Record<string, number> = { root: 0 };

/** The simulated disk. */
function linuxFiles(m: SimMachine): SimFiles {
  return new SimFiles("/", {
    "/etc/hostname": `${m.host}\n`,
    "/etc/hosts": `127.0.0.1\tlocalhost\n${m.ip}\t${m.host}\n`,
    "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n' +
      'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
    "/root/notes.txt": "This Debian guest is simulated by xenpv.\n" +
      "Its console is hvc0, the PV console, as on a real one.\n",
    "/home": null,
    "/tmp": null,
    "/var/log": null,
  });
}

/** The shell's commands and its current directory. */
export class LinuxCommands {
  #m: SimMachine;
  #fs: SimFiles;
  #cwd = "/";
  #user: () => string;
  #write: (text: string) => void;
  #sleep: (seconds: number) => Promise<boolean>;
  #table: Map<string, (args: string[]) => Status | Promise<Status>>;

  constructor(
    host: string,
    user: () => string,
    write: (text: string) => void,
    sleep: (seconds: number) => Promise<boolean>,
  ) {
    this.#m = machineOf(host);
    this.#fs = linuxFiles(this.#m);
    this.#user = user;
    this.#write = write;
    this.#sleep = sleep;
    this.#table = new Map<string, (args: string[]) => Status | Promise<Status>>([
      ["echo", (args) => this.#out(`${args.join(" ")}\n`)],
      ["true", () => 0],
      ["false", () => 1],
      ["sleep", async (args) => (await this.#sleep(Number(args[0]) || 0)) ? 0 : "interrupted"],
      ["help", () => this.#out(HELP.replaceAll("\r\n", "\n"))],
      ["hostname", () => this.#out(`${this.#m.host}\n`)],
      ["whoami", () => this.#out(`${this.#user()}\n`)],
      ["id", () => this.#id()],
      ["uname", (args) => this.#uname(args)],
      ["pwd", () => this.#out(`${this.#cwd}\n`)],
      ["cd", (args) => this.#cd(args)],
      ["ls", (args) => this.#ls(args)],
      ["cat", (args) => this.#cat(args)],
      ["ip", (args) => this.#ip(args)],
    ]);
  }

  /** Back to the user's home directory (at login). */
  home(): void {
    this.#cwd = this.#homeDir();
  }

  /** The directory as a prompt shows it (`~` at home). */
  where(): string {
    return this.#cwd === this.#homeDir() ? "~" : this.#cwd;
  }

  /** Runs one simple command. */
  async run(cmd: string, args: string[]): Promise<Status> {
    const handler = this.#table.get(cmd);
    if (handler) return await handler(args);
    this.#write(`-sh: ${cmd}: not found\r\n`);
    return 127;
  }

  #homeDir(): string {
    const user = this.#user();
    return user === "root" ? "/root" : `/home/${user}`;
  }

  /** Writes text with the tty's newline translation (ONLCR); status 0. */
  #out(text: string, status = 0): number {
    this.#write(text.replaceAll("\n", "\r\n"));
    return status;
  }

  #resolve(path: string): string {
    const start = path.startsWith("/") ? [] : this.#cwd.split("/").filter(Boolean);
    for (const part of path.replace(/^~(?=\/|$)/, this.#homeDir()).split("/")) {
      if (part === "..") start.pop();
      else if (part !== "." && part !== "") start.push(part);
    }
    return `/${start.join("/")}`;
  }

  #id(): number {
    const user = this.#user();
    const uid = UIDS[user] ?? 1000;
    return this.#out(`uid=${uid}(${user}) gid=${uid}(${user}) groups=${uid}(${user})\n`);
  }

  #uname(args: string[]): number {
    const all = [
      "Linux",
      this.#m.host,
      KERNEL,
      KERNEL_VERSION,
      "x86_64",
      "GNU/Linux",
    ];
    const flags = args.join("").replaceAll("-", "");
    if (flags.includes("a")) return this.#out(`${all.join(" ")}\n`);
    const pick: Record<string, number> = { s: 0, n: 1, r: 2, v: 3, m: 4, o: 5 };
    const chosen = [...(flags || "s")].map((f) => pick[f]);
    if (chosen.some((i) => i === undefined)) {
      return this.#out(`uname: invalid option -- '${flags}'\n`, 1);
    }
    return this.#out(`${chosen.map((i) => all[i]).join(" ")}\n`);
  }

  #cd(args: string[]): number {
    const target = this.#resolve(args[0] ?? this.#homeDir());
    if (!this.#fs.isDir(target)) return this.#out(`-sh: cd: can't cd to ${args[0]}\n`, 2);
    this.#cwd = target;
    return 0;
  }

  #ls(args: string[]): number {
    const long = args.some((a) => /^-\w*l/.test(a));
    const hidden = args.some((a) => /^-\w*a/.test(a));
    const paths = args.filter((a) => !a.startsWith("-"));
    let status = 0;
    const show = (entries: [string, number | "dir"][]) => {
      if (!long) return entries.length > 0 && this.#out(`${entries.map(([n]) => n).join("  ")}\n`);
      this.#out(`total ${entries.length * 4}\n`);
      for (const [name, size] of entries) {
        const mode = size === "dir" ? "drwxr-xr-x 2" : "-rw-r--r-- 1";
        const bytes = size === "dir" ? 4096 : size;
        this.#out(`${mode} root root ${String(bytes).padStart(5)} Nov 22  2024 ${name}\n`);
      }
    };
    for (const path of paths.length > 0 ? paths : ["."]) {
      const full = this.#resolve(path);
      const file = this.#fs.read(full);
      if (file !== undefined) {
        show([[path, file.length]]);
      } else if (this.#fs.isDir(full)) {
        if (paths.length > 1) this.#out(`${path}:\n`);
        const dots: [string, "dir"][] = hidden ? [[".", "dir"], ["..", "dir"]] : [];
        show([...dots, ...this.#fs.list(full)]);
      } else {
        this.#out(`ls: cannot access '${path}': No such file or directory\n`);
        status = 2;
      }
    }
    return status;
  }

  #cat(args: string[]): number {
    let status = 0;
    for (const path of args) {
      const full = this.#resolve(path);
      const content = this.#fs.read(full);
      if (content !== undefined) this.#out(content);
      else {
        const why = this.#fs.isDir(full) ? "Is a directory" : "No such file or directory";
        this.#out(`cat: ${path}: ${why}\n`);
        status = 1;
      }
    }
    return status;
  }

  #ip(args: string[]): number {
    const m = this.#m;
    if (!/^(a|ad|add|addr|addre|addres|address)$/.test(args[0] ?? "")) {
      return this.#out('Usage: ip addr\n(this simulated guest knows only "ip addr")\n', 1);
    }
    return this.#out(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" +
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
        "    inet 127.0.0.1/8 scope host lo\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n" +
        `    link/ether ${m.mac} brd ff:ff:ff:ff:ff:ff\n` +
        `    inet ${m.ip}/24 brd 10.0.0.255 scope global eth0\n` +
        "       valid_lft forever preferred_lft forever\n",
    );
  }
}
