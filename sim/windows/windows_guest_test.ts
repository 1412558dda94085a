// Copyright 2026 the xenpv authors. MIT license.
// The simulated XENCONS helper, byte for byte: what a client must cope with.
import assert from "node:assert/strict";
import { windowsGuest } from "../mod.ts";

function boot(options = {}) {
  let screen = "";
  const guest = windowsGuest({ hostname: "win1", ...options });
  guest.start({ write: (d) => screen += typeof d === "string" ? d : new TextDecoder().decode(d) });
  const type = (s: string) => guest.input(new TextEncoder().encode(s));
  return {
    guest,
    type,
    take() {
      const s = screen;
      screen = "";
      return s;
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

Deno.test("windowsGuest: login prompt, unechoed password, wrong password restarts the helper silently", () => {
  const g = boot();
  assert.equal(g.take(), "\r\n[ATTACHED]\r\n\r\nWIN1 login: ");
  g.type("Administrator\r");
  assert.equal(g.take(), "Administrator\r\nPassword: ");
  g.type("wrong\r");
  assert.equal(g.take(), "\r\n\r\nWIN1 login: ");
  g.type("\r"); // an empty user name: the helper exits, a new prompt
  assert.equal(g.take(), "\r\n\r\nWIN1 login: ");
  g.type("Administrator\r");
  g.take();
  g.type("xenpv\r");
  assert.match(
    g.take(),
    /^\r\nMicrosoft Windows \[Version 10\.0\.15063\]\r\n.*\r\n\r\nC:\\Users\\Administrator>$/s,
  );
  g.guest.stop();
});

Deno.test("windowsGuest: Run Elevated for limited accounts, only 'yes' elevates", () => {
  const g = boot();
  g.take();
  g.type("User\r");
  g.type("user\r");
  assert.equal(g.take(), "User\r\nPassword: \r\n\r\nRun Elevated [yes|no]: ");
  g.type("yes\r");
  assert.match(g.take(), /^yes\r\n\r\nRunning Elevated\r\n\r\nMicrosoft Windows/);
  g.guest.stop();
  const h = boot();
  h.type("User\r");
  h.type("user\r");
  h.take();
  h.type("YES\r");
  assert.doesNotMatch(h.take(), /Running Elevated/);
  h.guest.stop();
});

Deno.test("windowsGuest: what follows CR in the same read is lost; a 1023-character line is dropped", async () => {
  const g = boot();
  g.type("Administrator\r");
  g.type("xenpv\r");
  g.take();
  g.type("echo one\recho two\r"); // one read: "echo two" is lost with it
  await settle();
  const screen = g.take();
  assert.match(screen, /one\r\n/);
  assert.doesNotMatch(screen, /two/);
  g.type("echo " + "x".repeat(1017) + "\r"); // 1022 characters: taken
  await settle();
  assert.match(g.take(), /\r\nx{1017}\r\n/);
  g.type("echo " + "y".repeat(1018)); // the 1023rd character ends the line unsent
  await settle();
  assert.doesNotMatch(g.take(), /\r\ny+\r\n/);
  g.guest.stop();
});

Deno.test("windowsGuest: control characters echo as ^X, DEL erases, ^C breaks a running program", async () => {
  const g = boot({ pingInterval: 5 });
  g.type("Administrator\r");
  g.type("xenpv\r");
  g.take();
  g.type("ab\x01\x7f\x7fc\x7f");
  assert.equal(g.take(), "ab^A\b\b  \b\b\b \bc\b \b");
  g.type("\r");
  g.take();
  g.type("waitfor /t 30 sig & echo after\r");
  await settle();
  g.type("\x03");
  await settle();
  const screen = g.take();
  assert.match(screen, /\^C\r\nC:\\Users\\Administrator>$/);
  assert.doesNotMatch(screen, /\nafter/); // Ctrl-Break abandons the rest of the line
  g.type("echo %ERRORLEVEL%\r");
  await settle();
  assert.match(g.take(), /-1073741510/);
  g.guest.stop();
});

Deno.test("windowsGuest: cmd semantics the dialect relies on", async () => {
  const g = boot();
  g.type("Administrator\r");
  g.type("xenpv\r");
  g.take();
  const run = async (line: string) => {
    g.type(line + "\r");
    await settle();
    return g.take().split("\r\n").slice(1, -2).join("\n");
  };
  assert.equal(
    await run("frob"),
    "'frob' is not recognized as an internal or external command,\noperable program or batch file.",
  );
  assert.equal(await run("echo %ERRORLEVEL%"), "9009"); // ECHO leaves it alone
  assert.equal(await run("echo %ERRORLEVEL%"), "9009");
  assert.equal(await run("ver>nul& echo %ERRORLEVEL%"), "9009"); // expanded before ver ran
  assert.equal(await run("echo %ERRORLEVEL%"), "0");
  assert.equal(await run("type nul"), ""); // the NUL device reads as empty
  assert.equal(await run("type nul>nul& echo %ERRORLEVEL%"), "0");
  assert.equal(await run("set A=x^^^&y& echo %A%"), "%A%"); // expanded before set ran
  assert.equal(await run("echo %A%"), "x&y"); // A holds x^&y
  assert.equal(await run("set A=x^&y"), "");
  assert.match(await run("echo %A%"), /^x\n'y' is not recognized/); // A holds x&y
  assert.equal(await run('echo "a&b" ^& c'), '"a&b" & c');
  assert.equal(await run("cmd /c exit 4 || echo failed"), "failed");
  assert.equal(await run("cd C:\\nowhere"), "The system cannot find the path specified.");
  assert.equal(
    await run('ping -n 1 localhost | find "Reply"'),
    "Reply from 127.0.0.1: bytes=32 time<1ms TTL=128",
  );
  g.type("exit\r");
  await settle();
  assert.match(g.take(), /WIN1 login: $/);
  g.guest.stop();
});

/** Logs in (as `user`) and gives `run`, which types a line and returns what it printed. */
async function shell(g: ReturnType<typeof boot>, user = "Administrator", password = "xenpv") {
  g.type(`${user}\r`);
  g.type(`${password}\r`);
  if (user.toLowerCase() === "user") g.type("no\r");
  await settle();
  const banner = g.take();
  const run = async (line: string) => {
    g.type(line + "\r");
    await settle();
    return g.take().split("\r\n").slice(1, -2).join("\n");
  };
  return { banner, run };
}

Deno.test("windowsGuest: the banner points at HELP; HELP lists the commands and describes one", async () => {
  const g = boot();
  const { banner, run } = await shell(g);
  assert.match(banner, /HELP lists the commands/);
  const help = await run("help");
  for (const name of ["DIR", "TYPE", "CD", "IPCONFIG", "SYSTEMINFO", "TASKLIST", "SET", "CLS"]) {
    assert.match(help, new RegExp(`^${name} +\\S`, "m"), name);
  }
  assert.equal(await run("help type"), "Displays the contents of a text file.");
  assert.match(await run("help frob"), /not supported by the help utility/);
  assert.equal(await run("echo %ERRORLEVEL%"), "1");
  g.guest.stop();
});

Deno.test("windowsGuest: dir, type and cd agree on the disk, with cmd's errors and ERRORLEVEL", async () => {
  const g = boot();
  const { run } = await shell(g, "administrator"); // the profile keeps Windows' spelling
  assert.equal(await run("cd"), "C:\\Users\\Administrator");
  const listing = await run("dir");
  assert.match(listing, /^ Directory of C:\\Users\\Administrator$/m);
  for (const name of [".", "..", "Desktop", "Documents", "Downloads"]) {
    assert.match(listing, new RegExp(`^11/14/2017  09:12 AM    <DIR>          \\${name}$`, "m"));
  }
  const docs = await run("dir Documents");
  const size = Number(/^.{20} +([\d,]+) notes\.txt$/m.exec(docs)?.[1]);
  assert.match(docs, new RegExp(`^ +1 File\\(s\\) +${size} bytes$`, "m"));
  assert.equal(await run("dir /b Documents"), "notes.txt");
  assert.equal(await run("cd Documents & dir /b *.TXT"), "notes.txt"); // wildcards, case-blind
  const notes = await run("type notes.txt");
  assert.equal(new TextEncoder().encode(notes.replaceAll("\n", "\r\n") + "\r\n").length, size);
  assert.match(notes, /^Notes on WIN1$/m); // the guest's name
  assert.equal(await run("type ..\\Documents\\NOTES.TXT"), notes);

  // Each failure sets ERRORLEVEL 1 (ver clears it first: %ERRORLEVEL% expands as a line is read).
  const fails = async (line: string) => {
    await run("ver");
    const output = await run(line);
    assert.equal(await run("echo %ERRORLEVEL%"), "1", line);
    return output;
  };
  assert.equal(await fails("type missing.txt"), "The system cannot find the file specified.");
  assert.equal(await fails("type ..\\Desktop"), "Access is denied.");
  assert.equal(await fails("cd notes.txt"), "The directory name is invalid.");
  assert.equal(await fails("cd C:\\nowhere"), "The system cannot find the path specified.");
  assert.match(
    await fails("dir missing.txt"),
    /Directory of C:\\Users\\Administrator\\Documents\n\nFile Not Found$/,
  );
  assert.match(await fails("dir C:\\nowhere\\x"), /\nThe system cannot find the path specified\.$/);
  assert.doesNotMatch(await run("cd \\ & dir"), /<DIR> +\.\.?$/m); // the root has no . or ..
  assert.equal(await run("cd"), "C:\\");
  assert.equal(await run("mkdir Temp"), "A subdirectory or file Temp already exists.");
  assert.equal(
    await run("mkdir Temp\\new\\deeper & cd Temp\\new\\deeper & cd"),
    "C:\\Temp\\new\\deeper",
  );
  g.guest.stop();
});

Deno.test("windowsGuest: > >> 2> 2>&1 write the disk; errors go to standard error; files outlive the login", async () => {
  const g = boot();
  const { run } = await shell(g);
  assert.equal(await run("echo hello> hello.txt"), "");
  assert.equal(await run("echo world>>hello.txt"), "");
  assert.equal(await run("type hello.txt"), "hello\nworld");
  assert.match(await run("dir hello.txt"), /^.{20} +14 hello\.txt$/m);
  assert.equal(await run("dir /b *.txt"), "hello.txt");
  assert.equal(await run("type missing.txt >nul"), "The system cannot find the file specified.");
  assert.equal(await run("type missing.txt 2>nul || echo failed"), "failed");
  assert.equal(await run("type missing.txt 2>errors.txt"), "");
  assert.equal(await run("type errors.txt"), "The system cannot find the file specified.");
  assert.equal(await run("frob >out.txt 2>&1"), "");
  assert.match(await run("type out.txt"), /^'frob' is not recognized/);
  assert.equal(
    await run("echo x> C:\\nowhere\\x.txt"),
    "The system cannot find the path specified.",
  );
  assert.equal(await run("ver >nul"), "");
  g.type("exit\r");
  await settle();
  g.take();
  const other = await shell(g, "User", "user"); // another account, the same disk
  assert.equal(await other.run("type C:\\Users\\Administrator\\hello.txt"), "hello\nworld");
  g.guest.stop();
});

Deno.test("windowsGuest: find and findstr read a pipe or files; programs answer to NAME.exe", async () => {
  const g = boot();
  const { run } = await shell(g);
  assert.equal(await run('type Documents\\notes.txt | find "Notes on"'), "Notes on WIN1");
  assert.equal(
    await run('find "Notes on" Documents\\notes.txt'),
    "\n---------- DOCUMENTS\\NOTES.TXT\nNotes on WIN1",
  );
  assert.equal(
    await run("findstr /i WIN1 Documents\\notes.txt"),
    "Notes on WIN1\necho hello> hello.txt, ping -n 2 WIN1, netsh interface ipv4 show global.",
  );
  assert.equal(
    await run('find "nothing" Documents\\notes.txt || echo none'),
    "\n---------- DOCUMENTS\\NOTES.TXT\nnone",
  );
  assert.equal(await run("hostname.exe"), "WIN1");
  assert.equal(await run("cmd /c exit /b 5"), "");
  assert.equal(await run("echo %ERRORLEVEL%"), "5");
  assert.match(await run("hostname.txt"), /^'hostname\.txt' is not recognized/);
  g.guest.stop();
});

Deno.test("windowsGuest: hostname, whoami, set, ipconfig, systeminfo, the hosts file and ping show one machine", async () => {
  const g = boot();
  const { run } = await shell(g);
  assert.equal(await run("hostname"), "WIN1");
  assert.equal(await run("whoami"), "win1\\administrator");
  const env = await run("set");
  assert.match(env, /^COMPUTERNAME=WIN1$/m);
  assert.match(env, /^USERPROFILE=C:\\Users\\Administrator$/m);
  assert.match(env, /^ComSpec=C:\\Windows\\system32\\cmd\.exe$/m); // Windows' own spelling
  assert.equal(await run("echo %comspec%"), "C:\\Windows\\system32\\cmd.exe");
  assert.equal(await run("cd %TEMP% & cd"), "C:\\Users\\Administrator\\AppData\\Local\\Temp");

  const all = await run("ipconfig /all");
  const field = (text: string, label: string) =>
    new RegExp(`^   ${label}[ .]*: (.*)$`, "m").exec(text)?.[1];
  assert.equal(field(all, "Host Name"), "WIN1");
  const ip = field(all, "IPv4 Address")!.replace("(Preferred)", "");
  const mac = field(all, "Physical Address")!;
  const ipv6 = field(all, "Link-local IPv6 Address")!.replace(/%\d+\(Preferred\)$/, "");
  assert.match(ip, /^10\.0\.0\.\d+$/);
  assert.match(mac, /^00-16-3E(-[0-9A-F]{2}){3}$/);
  // The link-local address is the MAC's EUI-64.
  const [, , , d, e, f] = mac.split("-").map((x) => parseInt(x, 16));
  assert.equal(
    ipv6,
    `fe80::216:3eff:fe${d.toString(16).padStart(2, "0")}:${((e << 8) | f).toString(16)}`,
  );
  assert.equal(field(await run("ipconfig"), "IPv4 Address"), ip);
  assert.match(await run("ipconfig /bogus || echo failed"), /^Error: unrecognized.*\nfailed$/s);

  const info = await run("systeminfo");
  assert.match(info, /^Host Name: +WIN1$/m);
  assert.match(info, /^OS Version: +10\.0\.15063 N\/A Build 15063$/m);
  assert.match(info, new RegExp(`^ +\\[01\\]: ${ip}$`, "m"));
  assert.match(info, new RegExp(`^ +\\[02\\]: ${ipv6}$`, "m"));
  assert.match(await run("ver"), /\[Version 10\.0\.15063\]/);
  assert.match(
    await run("type C:\\Windows\\System32\\drivers\\etc\\hosts"),
    new RegExp(`^${ip.replaceAll(".", "\\.")} +WIN1$`, "m"),
  );
  assert.match(await run("ping -n 1 win1"), new RegExp(`^Reply from ${ip}: `, "m"));
  const tasks = await run("tasklist");
  assert.match(tasks, /^Image Name +PID Session Name +Session# +Mem Usage$/m);
  assert.match(tasks, /^cmd\.exe +\d+ Services +0 +[\d,]+ K$/m);
  g.type("cls\r");
  await settle();
  assert.match(g.take(), /^cls\r\n\f\r\nC:\\[^\r\n]*>$/); // a form feed, as CLS writes to a pipe
  g.guest.stop();
});

Deno.test("windowsGuest: a cp850 console writes and reads cp850 bytes; chcp shows and sets the page", async () => {
  const bytes: number[] = [];
  const guest = windowsGuest({
    hostname: "win1",
    codePage: 850,
    accounts: { "Müller": { password: "geheim" } },
  });
  guest.start({
    write: (d) => bytes.push(...(typeof d === "string" ? new TextEncoder().encode(d) : d)),
  });
  const take = () => bytes.splice(0);
  const type = (b: number[]) => guest.input(new Uint8Array(b));
  const ascii = (s: string) => [...new TextEncoder().encode(s)];
  take();
  type([0x4d, 0x81, ...ascii("ller\r")]); // "Müller" in cp850
  type(ascii("geheim\r"));
  await settle();
  const login = take();
  // The prompt's ü is cp850's 0x81 (UTF-8 would be C3 BC).
  assert.deepEqual(login.slice(-16), [...ascii("C:\\Users\\M"), 0x81, ...ascii("ller>")]);
  type([...ascii("echo "), 0x84, 0x20, 0xe1, 0x20, 0x0d]); // "echo ä ß "
  await settle();
  const echoed = String.fromCharCode(...take()); // one character per byte
  assert.match(echoed, /\r\n\x84 \xe1 \r\n/);
  type(ascii("chcp\r"));
  await settle();
  assert.match(new TextDecoder().decode(new Uint8Array(take())), /Active code page: 850\r\n/);
  type(ascii("chcp 65001>nul\r"));
  await settle();
  take();
  type([...ascii("echo "), 0xc3, 0xa4, 0x0d]); // ä in UTF-8 now
  await settle();
  assert.match(new TextDecoder().decode(new Uint8Array(take())), /\r\nä\r\n/);
  type(ascii("chcp 932\r"));
  await settle();
  assert.match(new TextDecoder().decode(new Uint8Array(take())), /Invalid code page/);
  guest.stop();
});

Deno.test("windowsGuest: ping -t on this console: ^C is Ctrl-Break, statistics and on (as ping.exe does); HELP says so", async () => {
  const g = boot({ pingInterval: 5 });
  g.type("Administrator\r");
  g.type("xenpv\r");
  g.type("help ping\r");
  await settle();
  const help = g.take();
  // Real ping stops on CTRL_C_EVENT only; the XENCONS helper sends CTRL_BREAK_EVENT for ^C.
  assert.doesNotMatch(help, /until Ctrl\+C/);
  assert.match(help, /-t.*Ctrl-Break.*statistics/);
  let screen = "";
  const until = async (pattern: RegExp) => {
    while (!pattern.test(screen)) {
      await settle();
      screen += g.take();
    }
  };
  g.type("ping -t localhost\r");
  await until(/Reply from 127\.0\.0\.1/);
  g.type("\x03");
  await until(/Control-Break\r\n/);
  assert.match(screen, /Ping statistics for 127\.0\.0\.1:\r\n {4}Packets: Sent = \d+/);
  screen = screen.slice(screen.indexOf("Control-Break"));
  await until(/Reply from/); // it goes on
  assert.doesNotMatch(screen, /C:\\Users\\Administrator>$/);
  g.guest.stop();
});
