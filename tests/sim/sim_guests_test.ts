// Copyright 2026 the xenpv authors. MIT license.
// The simulated guests' everyday commands, through ConsoleSession as a script
// runs them: each plausible, and every one agreeing with the others (the
// guest's name, its one network interface, its small disk).

import assert from "node:assert/strict";
import { connect } from "../../mod.ts";
import { SimulatedHost } from "../../sim/mod.ts";
import { ConsoleSession } from "../../xencons/mod.ts";

async function session(host: SimulatedHost, flavour: "windows" | "linux", name: string) {
  await host.createGuest({ name, program: flavour });
  const s = new ConsoleSession(await connect(name, { host }), {
    dialect: flavour,
    ownsConsole: true,
  });
  await s.login(
    flavour === "windows"
      ? { user: "Administrator", password: "xenpv" }
      : { user: "root", password: "xenpv" },
  );
  return s;
}

Deno.test("simulated Windows: ipconfig, systeminfo, hostname, dir, type agree", async () => {
  await using host = new SimulatedHost();
  await using win = await session(host, "windows", "web01");
  const run = async (command: string, exitCode = 0) => {
    const r = await win.run(command);
    assert.equal(r.exitCode, exitCode, `${command}: ${r.output}`);
    return r.output;
  };
  const name = (await run("hostname")).trim();
  assert.equal(name.toLowerCase(), "web01");
  const ipconfig = await run("ipconfig /all");
  const ip = /IPv4 Address[ .]*: ([\d.]+)\(Preferred\)/.exec(ipconfig)?.[1];
  assert.ok(ip, ipconfig);
  assert.match(ipconfig, new RegExp(`Host Name[ .]*: ${name}\\n`));
  assert.match(ipconfig, /Physical Address[ .]*: 00-16-3E-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}\n/);
  assert.match(await run("ipconfig"), new RegExp(`IPv4 Address[ .]*: ${ip}\\n`));
  const systeminfo = await run("systeminfo");
  assert.match(systeminfo, new RegExp(`Host Name: +${name.toUpperCase()}\\n`));
  assert.match(systeminfo, new RegExp(`\\[01\\]: ${ip}\\n`));
  const hosts = await run("type C:\\Windows\\System32\\drivers\\etc\\hosts");
  assert.match(hosts, new RegExp(`^${ip.replaceAll(".", "\\.")} +${name}$`, "m"));

  const listing = await run("dir Documents");
  const size = Number(/ ([\d,]+) notes\.txt\n/.exec(listing)?.[1].replace(",", ""));
  const notes = await run("cd Documents & type notes.txt");
  assert.equal(notes.replaceAll("\n", "\r\n").length, size); // dir's size is the file's bytes
  assert.match(await run("cd"), /^C:\\Users\\Administrator\\Documents\n$/); // cd stuck
  assert.match(await run("type nosuch.txt", 1), /^The system cannot find the file specified\.\n$/);
  assert.match(await run("dir C:\\nope", 1), /File Not Found/);
  assert.match(await run("tasklist"), /^cmd\.exe +\d+ /m);
  assert.match(await run("help"), /IPCONFIG/);
});

Deno.test("simulated Linux: uname, hostname, ip addr, ls, cat, cd, id agree", async () => {
  await using host = new SimulatedHost();
  await using deb = await session(host, "linux", "db02");
  const run = async (command: string, exitCode = 0) => {
    const r = await deb.run(command);
    assert.equal(r.exitCode, exitCode, `${command}: ${r.output}`);
    return r.output;
  };
  assert.equal(await run("hostname"), "db02\n");
  assert.equal(await run("uname -n"), "db02\n");
  assert.equal(await run("cat /etc/hostname"), "db02\n");
  assert.match(await run("uname -a"), /^Linux db02 6\.1\.0-28-amd64 .* x86_64 GNU\/Linux\n$/);
  const ipAddr = await run("ip addr");
  const ip = /inet (10\.[\d.]+)\/24 .* eth0\n/.exec(ipAddr)?.[1];
  assert.ok(ip, ipAddr);
  assert.match(ipAddr, /link\/ether 00:16:3e(:[0-9a-f]{2}){3} /);
  assert.match(await run("cat /etc/hosts"), new RegExp(`^${ip}\\tdb02$`, "m"));
  assert.equal(await run("id"), "uid=0(root) gid=0(root) groups=0(root)\n");
  assert.equal(await run("whoami"), "root\n");

  assert.equal(await run("pwd"), "/root\n");
  const size = Number(/ (\d+) Nov 22 {2}2024 notes\.txt\n/.exec(await run("ls -l"))?.[1]);
  assert.equal((await run("cat notes.txt")).length, size);
  await run("cd /etc");
  assert.equal(await run("pwd"), "/etc\n");
  assert.equal(await run("ls"), "debian_version  hostname  hosts  os-release  passwd\n");
  assert.equal(await run("cat nope", 1), "cat: nope: No such file or directory\n");
  assert.match(await run("ls /nope", 2), /No such file or directory/);
  assert.match(await run("cd /nope", 2), /can't cd to \/nope/);
  assert.match(await run("help"), /ip addr/);
});

Deno.test("run.ts: the README's commands work on the simulated guests", async () => {
  const RUN = new URL("../../examples/run.ts", import.meta.url).pathname;
  for (
    const [flavour, command] of [
      ["windows", "ipconfig /all"],
      ["windows", "systeminfo"],
      ["linux", "uname -a"],
      ["linux", "ip addr"],
    ]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", RUN, "--simulate", flavour, "--", ...command.split(" ")],
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, `${flavour} ${command}: ${new TextDecoder().decode(out.stderr)}`);
  }
});
