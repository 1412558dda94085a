// Copyright 2026 the xenpv authors. MIT license.
// The simulated XENCONS helper, byte for byte: what a client must cope with.
import assert from "node:assert/strict";
import { windowsGuest } from "./mod.ts";

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
