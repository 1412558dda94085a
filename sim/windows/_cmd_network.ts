// Copyright 2026 the xenpv authors. MIT license.
// cmd.exe's network programs, all showing the guest's one interface
// (../machine.ts): IPCONFIG [/ALL], PING (statistics on Ctrl-Break, as the
// real one) and NETSH (one command, or its own `netsh>` prompt reading the
// console's lines until `exit`).

import { type Cmd, type CmdHandler, CONTROL_C_EXIT, type Result } from "./_cmd_command.ts";

/** The network adapter's name, as the Xen PV network driver registers it. */
export const NIC = "Xen PV Network Device #0";

// `netsh interface ipv4 show global`: the rows the XENCONS announcement shows
// (Windows 10.0.15063), then the rest of that release's table.
const GLOBAL_PARAMETERS: [string, string][] = [
  ["Default Hop Limit", "128 hops"],
  ["Neighbor Cache Limit", "256 entries per interface"],
  ["Route Cache Limit", "4096 entries per compartment"],
  ["Reassembly Limit", "33420160 bytes"],
  ["ICMP Redirects", "enabled"],
  ["Source Routing Behavior", "dontforward"],
  ["Task Offload", "enabled"],
  ["Dhcp Media Sense", "enabled"],
  ["Media Sense Logging", "disabled"],
  ["MLD Level", "all"],
  ["MLD Version", "version3"],
  ["Multicast Forwarding", "disabled"],
  ["Group Forwarded Fragments", "disabled"],
  ["Randomize Identifiers", "enabled"],
  ["Address Mask Reply", "disabled"],
  ["Minimum Mtu", "576"],
];

function globalTable(): string {
  return "Querying active state...\r\n\r\nGeneral Global Parameters\r\n" +
    "---------------------------------------------\r\n" +
    GLOBAL_PARAMETERS.map(([k, v]) => `${k.padEnd(36)}: ${v}\r\n`).join("") + "\r\n";
}

/** IPCONFIG [/ALL]: the one adapter's configuration, as Windows lays it out. */
function ipconfig(args: string, cmd: Cmd): Result {
  const m = cmd.options.machine;
  const a = args.trim().toLowerCase();
  if (a !== "" && a !== "/all") {
    cmd.error(
      "Error: unrecognized or incomplete command line.\r\n\r\n" +
        "USAGE:\r\n    ipconfig [/all]   (what this simulated guest knows)\r\n",
    );
    return cmd.set(1, false);
  }
  const all = a === "/all";
  // Dot leaders on every other column, the colon in column 37.
  const row = (label: string, value: string) => {
    let lead = label;
    for (let col = label.length; col < 34; col++) lead += col % 2 === 0 ? "." : " ";
    return `   ${lead}: ${value}\r\n`;
  };
  let out = "\r\nWindows IP Configuration\r\n\r\n";
  if (all) {
    out += row("Host Name", m.host) + row("Primary Dns Suffix", "") +
      row("Node Type", "Hybrid") + row("IP Routing Enabled", "No") +
      row("WINS Proxy Enabled", "No") + "\r\n";
  }
  out += "\r\nEthernet adapter Ethernet:\r\n\r\n";
  out += row("Connection-specific DNS Suffix", "");
  if (all) {
    out += row("Description", NIC) +
      row("Physical Address", m.mac.toUpperCase().replaceAll(":", "-")) +
      row("DHCP Enabled", "No") + row("Autoconfiguration Enabled", "Yes");
  }
  const preferred = all ? "(Preferred)" : "";
  out += row("Link-local IPv6 Address", `${m.ipv6}%4${preferred}`) +
    row("IPv4 Address", `${m.ip}${preferred}`) +
    row("Subnet Mask", "255.255.255.0") + row("Default Gateway", m.gateway);
  if (all) out += row("DNS Servers", m.gateway) + row("NetBIOS over Tcpip", "Enabled");
  cmd.print(out);
  return cmd.set(0);
}

/** PING [-t] [-n count] [-w timeout] host: replies from localhost or this machine only. */
async function ping(args: string, cmd: Cmd): Promise<Result> {
  const words = args.split(/\s+/).filter((x) => x !== "");
  let count = 4;
  let forever = false;
  let host = "";
  for (let i = 0; i < words.length; i++) {
    const wd = words[i].toLowerCase();
    if (wd === "-t" || wd === "/t") forever = true;
    else if (wd === "-n" || wd === "/n") count = Number(words[++i]);
    else if (wd === "-w" || wd === "/w") i++;
    else host = words[i];
  }
  const w = (t: string) => cmd.print(t);
  if (host === "") {
    w("\r\nUsage: ping [-t] [-n count] [-w timeout] target_name\r\n");
    return cmd.set(1, false);
  }
  // The hosts file's names: localhost and this machine (its one address).
  const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host)
    ? host
    : host.toLowerCase() === "localhost"
    ? "127.0.0.1"
    : host.toLowerCase() === cmd.options.machine.host.toLowerCase()
    ? cmd.options.machine.ip
    : undefined;
  if (!ip) {
    w(`Ping request could not find host ${host}. Please check the name and try again.\r\n`);
    return cmd.set(1, false);
  }
  w(`\r\nPinging ${host === ip ? ip : `${host} [${ip}]`} with 32 bytes of data:\r\n`);
  let sent = 0;
  const stats = () =>
    w(
      `\r\nPing statistics for ${ip}:\r\n    Packets: Sent = ${sent}, Received = ${sent}, Lost = 0 (0% loss),\r\n` +
        "Approximate round trip times in milli-seconds:\r\n    Minimum = 0ms, Maximum = 0ms, Average = 0ms\r\n",
    );
  while (forever || sent < count) {
    if (cmd.exited) return cmd.set(CONTROL_C_EXIT);
    const done = await cmd.sleep(sent === 0 ? 0 : cmd.options.pingInterval);
    if (!done) {
      // ping handles Ctrl-Break itself: statistics, then it goes on.
      stats();
      w("Control-Break\r\n");
      continue;
    }
    sent++;
    w(`Reply from ${ip}: bytes=32 time<1ms TTL=128\r\n`);
  }
  stats();
  return cmd.set(0);
}

/** NETSH [command]: runs one command, or alone reads the console's lines at `netsh>` until `exit`. */
function netsh(args: string, cmd: Cmd): Result | Promise<Result> {
  args = args.trim();
  if (args === "") {
    // netsh reads the following lines of stdin; cmd resumes when it exits.
    return new Promise<Result>((resolve) => {
      const done = (code: number) => {
        cmd.readLines(undefined);
        cmd.onBreak(undefined);
        resolve(cmd.set(code, code === 0));
      };
      cmd.onBreak(() => {
        cmd.print("^C");
        cmd.abandonLine();
        done(CONTROL_C_EXIT);
      });
      cmd.readLines({
        prompt: "netsh>",
        line(line) {
          const command = line.trim();
          if (/^(exit|bye|quit)$/i.test(command)) return done(0);
          if (command !== "") netshRun(command, cmd);
          cmd.prompt();
        },
      });
    });
  }
  return netshRun(args, cmd) ? cmd.set(0) : cmd.set(1, false);
}

/** Runs one netsh command; false when it does not exist. */
function netshRun(command: string, cmd: Cmd): boolean {
  const words = command.toLowerCase().split(/\s+/).filter((x) => x !== "");
  const want = ["interface", "ipv4", "show", "global"];
  const alt = ["interface", "ip", "show", "global"];
  const ok = (ref: string[]) =>
    words.length === ref.length && words.every((wd, i) => ref[i].startsWith(wd));
  if (ok(want) || ok(alt)) {
    cmd.print(globalTable());
    return true;
  }
  cmd.print(`The following command was not found: ${command}.\r\n`);
  return false;
}

/** The network programs. */
export const NETWORK_COMMANDS: Record<string, CmdHandler> = { ipconfig, ping, netsh };
