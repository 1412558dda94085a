// Copyright 2026 the xenpv authors. MIT license.
// The simulated Linux guest's everyday commands, typed at its console: each
// plausible, and all agreeing with each other (the guest's name, its one
// network interface, its small disk, its accounts).
import assert from "node:assert/strict";
import { linuxGuest, type LinuxGuestOptions } from "../mod.ts";

const settle = (ms = 10) => new Promise((r) => setTimeout(r, ms));

/** Boots a guest named deb1 and logs in; `run` types a line and returns what it printed. */
async function login(user = "root", password = "xenpv", options: Partial<LinuxGuestOptions> = {}) {
  let screen = "";
  const guest = linuxGuest({
    hostname: "deb1",
    accounts: { root: "xenpv", alice: "secret" },
    ...options,
  });
  guest.start({ write: (d) => screen += typeof d === "string" ? d : new TextDecoder().decode(d) });
  const type = (s: string) => guest.input(new TextEncoder().encode(s));
  const take = () => {
    const s = screen;
    screen = "";
    return s;
  };
  type(`${user}\r`);
  type(`${password}\r`);
  await settle();
  const banner = take();
  /** The output of `line` ("\n" line ends), and its status. */
  const run = async (line: string) => {
    type(`${line}\r`);
    await settle();
    const out = take().split("\r\n").slice(1, -1).join("\n");
    type("echo $?\r");
    await settle();
    const status = Number(take().split("\r\n")[1]);
    return { out, status };
  };
  const out = async (line: string) => {
    const r = await run(line);
    assert.equal(r.status, 0, `${line}: ${r.out}`);
    return r.out;
  };
  return { guest, type, take, banner, run, out };
}

Deno.test("linuxGuest: the motd points at help, which lists the commands", async () => {
  const g = await login();
  assert.match(g.banner, /^Linux deb1 6\.1\.0-28-amd64 .* x86_64\r\n/m);
  assert.match(g.banner, /`help` lists the commands/);
  const help = await g.out("help");
  for (const name of ["uname", "ls", "cat", "cd", "pwd", "hostname", "id", "whoami", "ip addr"]) {
    assert.match(help, new RegExp(`(^|\\s)${name}\\b`, "m"), name);
  }
  for (const name of ["grep", "head", "wc", "mkdir", "touch", "rm", "env", "export", "ps"]) {
    assert.match(help, new RegExp(`(^|\\s)${name}(\\s|,)`, "m"), name);
  }
  g.guest.stop();
});

Deno.test("linuxGuest: uname, hostname, /etc files and ip show one machine", async () => {
  const g = await login();
  assert.equal(await g.out("hostname"), "deb1");
  assert.equal(await g.out("uname -n"), "deb1");
  assert.equal(await g.out("uname"), "Linux");
  assert.equal(await g.out("uname -sr"), "Linux 6.1.0-28-amd64");
  const all = await g.out("uname -a");
  assert.match(all, /^Linux deb1 6\.1\.0-28-amd64 #1 SMP .* x86_64 GNU\/Linux$/);
  assert.ok(
    g.banner.includes(all.replace(/ GNU\/Linux$/, "")),
    "the motd's kernel line is uname -a's",
  );
  assert.deepEqual(await g.run("uname -q"), {
    out: "uname: invalid option -- 'q'\nTry 'uname --help' for more information.",
    status: 1,
  });
  assert.equal(await g.out("cat /etc/hostname"), "deb1");
  assert.match(
    await g.out("cat /etc/os-release"),
    /^PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"$/m,
  );

  for (const command of ["ip addr", "ip a", "ip address show"]) {
    assert.equal(await g.out(command), await g.out("ip addr"), command);
  }
  const addr = await g.out("ip addr");
  const ip = /^ {4}inet (10\.0\.0\.\d+)\/24 brd 10\.0\.0\.255 scope global eth0$/m.exec(addr)?.[1];
  const mac = /^ {4}link\/ether (00:16:3e(?::[0-9a-f]{2}){3}) brd/m.exec(addr)?.[1];
  assert.ok(ip && mac, addr);
  const [, , , d, e, f] = mac.split(":").map((x) => parseInt(x, 16));
  const ipv6 = `fe80::216:3eff:fe${d.toString(16).padStart(2, "0")}:${((e << 8) | f).toString(16)}`;
  assert.match(addr, new RegExp(`^    inet6 ${ipv6}/64 scope link $`, "m")); // EUI-64 of the MAC
  assert.match(await g.out("ip link"), new RegExp(`link/ether ${mac} `));
  assert.match(
    await g.out("ip route"),
    new RegExp(`^10\\.0\\.0\\.0/24 dev eth0 .* src ${ip} $`, "m"),
  );
  assert.equal(await g.out("hostname -I"), `${ip} `);
  assert.match(await g.out("cat /etc/hosts"), new RegExp(`^${ip}\\tdeb1$`, "m"));
  assert.deepEqual(await g.run("ip frob"), {
    out: 'Object "frob" is unknown, try "ip help".',
    status: 255,
  });
  g.guest.stop();
});

Deno.test("linuxGuest: ls, cat, cd and pwd agree on the disk, with the tools' errors and statuses", async () => {
  const g = await login();
  assert.equal(await g.out("pwd"), "/root");
  assert.equal(await g.out("ls"), "notes.txt");
  assert.match(await g.out("ls -a"), /^\. {2}\.\. {2}\.profile {2}notes\.txt$/);
  const long = await g.out("ls -l");
  const size = Number(/^-rw-r--r-- 1 root root +(\d+) Nov 22 {2}2024 notes\.txt$/m.exec(long)?.[1]);
  assert.equal(await g.out("wc -c notes.txt"), `${size} notes.txt`);
  const notes = await g.out("cat notes.txt");
  assert.equal(new TextEncoder().encode(notes + "\n").length, size);
  assert.match(notes, /^Notes on deb1$/m); // the guest's name
  assert.equal(await g.out("cat /root/notes.txt"), notes);
  assert.equal(
    await g.out("cd /etc && pwd && cat ../root/./notes.txt | head -n 1"),
    "/etc\nNotes on deb1",
  );
  assert.equal(await g.out("ls"), "debian_version  hostname  hosts  os-release  passwd");
  assert.equal(await g.out("ls hosts /tmp"), "hosts\n\n/tmp:");
  assert.equal(await g.out("cd -"), "/root");

  assert.deepEqual(await g.run("cat nope"), {
    out: "cat: nope: No such file or directory",
    status: 1,
  });
  assert.deepEqual(await g.run("cat /etc"), { out: "cat: /etc: Is a directory", status: 1 });
  assert.deepEqual(await g.run("ls /nope"), {
    out: "ls: cannot access '/nope': No such file or directory",
    status: 2,
  });
  assert.deepEqual(await g.run("cd /nope"), {
    out: "-sh: cd: can't cd to /nope: No such file or directory",
    status: 2,
  });
  assert.deepEqual(await g.run("cd notes.txt"), {
    out: "-sh: cd: can't cd to notes.txt: Not a directory",
    status: 2,
  });
  assert.deepEqual(await g.run("frob"), { out: "-sh: frob: not found", status: 127 });
  assert.equal(await g.out("pwd"), "/root"); // the failed cds left it
  g.guest.stop();
});

Deno.test("linuxGuest: pipes and redirections write and read the disk; errors go to stderr", async () => {
  const g = await login();
  assert.equal(await g.out("echo hello > /tmp/h.txt; echo world >> /tmp/h.txt"), "");
  assert.equal(await g.out("cat /tmp/h.txt"), "hello\nworld");
  assert.match(await g.out("ls -l /tmp"), /^-rw-r--r-- 1 root root +12 Nov 22 {2}2024 h\.txt$/m);
  assert.equal(await g.out("wc -l < /tmp/h.txt"), "2");
  assert.equal(await g.out("cat /tmp/h.txt | grep -n wor"), "2:world");
  assert.equal(await g.out("ip a | grep -c inet"), "4");
  assert.deepEqual(await g.run("grep nothing /tmp/h.txt"), { out: "", status: 1 });
  assert.deepEqual(await g.run("cat nope 2>/dev/null"), { out: "", status: 1 });
  assert.deepEqual(await g.run("cat nope > /dev/null"), {
    out: "cat: nope: No such file or directory",
    status: 1,
  });
  assert.equal(await g.out("cat nope /tmp/h.txt > /tmp/all 2>&1 || true"), "");
  assert.equal(
    await g.out("cat /tmp/all"),
    "cat: nope: No such file or directory\nhello\nworld",
  );
  assert.equal(await g.out("frob 2>&1 | wc -l"), "1");
  assert.deepEqual(await g.run("echo x > /nope/x"), {
    out: "-sh: cannot create /nope/x: Directory nonexistent",
    status: 2,
  });
  assert.deepEqual(await g.run("cat < /nope"), {
    out: "-sh: cannot open /nope: No such file",
    status: 2,
  });
  assert.equal(await g.out("mkdir -p /tmp/a/b && touch /tmp/a/b/f && ls /tmp/a/b"), "f");
  assert.equal(await g.out("rm /tmp/a/b/f && ls /tmp/a/b"), "");
  assert.deepEqual(await g.run("rm /tmp/a/b/f"), {
    out: "rm: cannot remove '/tmp/a/b/f': No such file or directory",
    status: 1,
  });
  g.guest.stop();
});

Deno.test("linuxGuest: every account has a home, an /etc/passwd line and an id that agree", async () => {
  const g = await login("alice", "secret");
  assert.match(g.banner, /alice@deb1:~\$ $/);
  assert.equal(await g.out("whoami"), "alice");
  assert.equal(await g.out("pwd"), "/home/alice");
  const id = await g.out("id");
  assert.equal(id, "uid=1000(alice) gid=1000(alice) groups=1000(alice)");
  assert.match(
    await g.out("grep alice /etc/passwd"),
    /^alice:x:1000:1000:[^:]*:\/home\/alice:\/bin\/sh$/,
  );
  assert.match(await g.out("grep root /etc/passwd"), /^root:x:0:0:root:\/root:/);
  assert.match(await g.out("ls -l"), /^-rw-r--r-- 1 alice alice +\d+ Nov 22 {2}2024 notes\.txt$/m);
  assert.match(await g.out("ls -l /home"), /^drwxr-xr-x 2 alice alice 4096 Nov 22 {2}2024 alice$/m);
  assert.equal(await g.out("echo mine > mine.txt && cat ~/mine.txt"), "mine");
  assert.deepEqual(await g.run("echo x > /etc/x"), {
    out: "-sh: cannot create /etc/x: Permission denied",
    status: 2,
  });
  g.guest.stop();
});

Deno.test("linuxGuest: $HOME, $USER, ~, $PWD, NAME=value, export and env", async () => {
  const g = await login();
  assert.equal(
    await g.out("echo $HOME $USER ~ ~/x \"$PWD\" '$HOME' ${USER}s"),
    "/root root /root /root/x /root $HOME roots",
  );
  assert.equal(await g.out("cd /tmp; echo $PWD"), "/tmp");
  assert.equal(await g.out("echo $UNSET x"), "x");
  assert.equal(await g.out("A=1; echo $A; env | grep -c ^A= || true"), "1\n0"); // not exported
  assert.equal(await g.out("export A; env | grep ^A="), "A=1");
  assert.match(await g.out("env"), /^HOME=\/root\nLOGNAME=root\nPATH=\S+\nPWD=\/tmp\n/);
  g.guest.stop();
});

Deno.test("linuxGuest: sleep really waits, ^C stops it with 130; bad operands are errors", async () => {
  const g = await login();
  const started = performance.now();
  g.type("sleep 0.3; echo done\r");
  await settle(150);
  assert.doesNotMatch(g.take(), /^done/m);
  await settle(250);
  assert.match(g.take(), /^done\r\nroot@deb1:~# $/m);
  assert.ok(performance.now() - started >= 300);
  g.type("sleep 30; echo after\r");
  await settle(50);
  g.type("\x03");
  await settle();
  assert.doesNotMatch(g.take(), /^after/m);
  assert.equal((await g.run("echo $?")).out, "130");
  assert.deepEqual(await g.run("sleep x"), {
    out: "sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.",
    status: 1,
  });
  assert.deepEqual(await g.run("sleep"), {
    out: "sleep: missing operand\nTry 'sleep --help' for more information.",
    status: 1,
  });
  g.guest.stop();
});

Deno.test("linuxGuest: exit N and logout end the session; exit with a bad number does not", async () => {
  const g = await login();
  assert.deepEqual(await g.run("exit abc"), { out: "-sh: exit: Illegal number: abc", status: 2 });
  g.type("exit 3\r");
  await settle();
  assert.match(g.take(), /deb1 login: $/);
  g.guest.stop();
});

Deno.test("linuxGuest: ls writes columns to the terminal only: one name a line into a pipe or a file", async () => {
  const g = await login();
  assert.equal(await g.out("ls /etc"), "debian_version  hostname  hosts  os-release  passwd");
  assert.equal(await g.out("ls /etc | wc -l"), "5");
  assert.equal(await g.out("ls /etc | head -n 2"), "debian_version\nhostname");
  assert.equal(
    await g.out("ls /etc > /tmp/l; cat /tmp/l"),
    "debian_version\nhostname\nhosts\nos-release\npasswd",
  );
  assert.equal(await g.out("ls -1 /etc | tail -n 1; ls -C / | wc -l"), "passwd\n1");
  g.guest.stop();
});
