// Copyright 2026 the xenpv authors. MIT license.
// The console server behind Debian's real nginx, with docs/serve.md's recipe
// (its `map` and `location` blocks, taken from the file): basic auth with an
// htpasswd made by openssl, the user named in X-Remote-User. An operator may
// take the keyboard and type, a viewer may not, a forged header is replaced
// by nginx, and a forged header sent straight to the server is refused.
// nginx runs in the foreground as this test's child, with its own prefix and
// config in a temporary directory, removed afterwards.

import assert from "node:assert/strict";
import type { AuditEntry } from "../../serve/mod.ts";
import { have, skipUnless } from "../_peers.ts";
import { holder, rawRequest, setup, upgrade } from "./_server.ts";
import { WsViewer } from "./_ws_client.ts";
import { launch, noChromium, terminalShows, until } from "./_browser.ts";

const NGINX = "/usr/sbin/nginx";
const ignore = skipUnless(await have(NGINX, ["-v"]), "nginx (Debian's)") ||
  skipUnless(await have("openssl", ["version"]), "openssl");

const RECIPE = new URL("../../docs/serve.md", import.meta.url);

/** docs/serve.md's nginx blocks: the basic-auth recipe, then the client-certificate one. */
async function recipes(): Promise<string[]> {
  const doc = await Deno.readTextFile(RECIPE);
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 2, "docs/serve.md lost an nginx recipe");
  return blocks;
}

/** The basic-auth recipe's `map` line and `location / { ... }` block. */
async function basicRecipe(): Promise<{ map: string; location: string }> {
  const [block] = await recipes();
  const map = /^map \$http_upgrade .*$/m.exec(block)?.[0];
  const location = /^ {4}location \/ \{\n[\s\S]*?\n {4}\}$/m.exec(block)?.[0];
  assert.ok(map && location, "docs/serve.md's nginx recipe lost its map or location");
  return { map, location };
}

/** A free port on 127.0.0.1 (taken and given back). */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/** An htpasswd line for `user` with `password`, hashed by openssl (apr1, as nginx reads it). */
async function htpasswd(user: string, password: string): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["passwd", "-apr1", "-stdin"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(password + "\n"));
  await writer.close();
  const { stdout, success } = await out.output();
  assert.ok(success);
  return `${user}:${new TextDecoder().decode(stdout).trim()}\n`;
}

/** nginx in the foreground in `dir`, listening on `port`, with `http` in its http block. */
async function startNginx(dir: string, port: number, http: string) {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${dir}/${t};`).join("\n");
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
${temp}
${http}
}
`,
  );
  const child = new Deno.Command(NGINX, {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", "stderr"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // ready once it accepts a connection (or failed: its stderr says why)
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (exited || Date.now() > deadline) {
        if (!exited) child.kill("SIGKILL");
        await status;
        throw new Error(`nginx did not start: ${await stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await status;
      await stderr;
    },
  };
}

/**
 * nginx with the basic-auth recipe on `port`, in front of the server at
 * `upstream` (its URL), with `dir`/htpasswd.
 */
async function basicAuthProxy(dir: string, port: number, upstream: string) {
  const { map, location } = await basicRecipe();
  const site = location
    .replace("/etc/nginx/xenpv.htpasswd", `${dir}/htpasswd`)
    .replace("http://127.0.0.1:8023", `http://127.0.0.1:${new URL(upstream).port}`);
  return await startNginx(dir, port, `${map}\nserver {\n    listen 127.0.0.1:${port};\n${site}\n}`);
}

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

Deno.test({
  name:
    "serve behind nginx (docs/serve.md's recipe): alice operates, bob views, forged headers fail",
  ignore,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-nginx-" });
  try {
    await Deno.writeTextFile(
      `${dir}/htpasswd`,
      (await htpasswd("alice", "alice-pw")) + (await htpasswd("bob", "bob-pw")),
    );
    const port = freePort();
    const front = `http://127.0.0.1:${port}/`;
    const audit: AuditEntry[] = [];
    await using t = await setup({
      audit,
      serve: {
        authHeader: "X-Remote-User",
        trustedProxies: ["127.0.0.2"],
        origins: [new URL(front).origin],
        operators: ["alice"],
      },
    });
    await using _nginx = await basicAuthProxy(dir, port, t.server.url);
    const proxied = { url: front, token: "" };

    // no password, or a wrong one: nginx's 401, the server never asked
    for (const auth of [undefined, basic("alice", "bob-pw")]) {
      const r = await fetch(new URL("/api/guests", front), {
        headers: auth ? { authorization: auth } : {},
      });
      assert.equal(r.status, 401);
      await r.body?.cancel();
    }
    const list = await fetch(new URL("/api/guests", front), {
      headers: { authorization: basic("alice", "alice-pw") },
    });
    assert.equal(list.status, 200);
    assert.deepEqual((await list.json()).map((g: { name: string }) => g.name).sort(), [
      "deb1",
      "win1",
    ]);

    // alice (an operator) takes the keyboard and types
    await using alice = await WsViewer.open(proxied, t.win.domid, "alice", {
      headers: { authorization: basic("alice", "alice-pw") },
    });
    await alice.waitMessage((m) => m.type === "hello");
    const hello = alice.messages.find((m) => m.type === "hello");
    assert.ok(hello?.type === "hello");
    assert.deepEqual([hello.you.user, hello.you.role], ["alice", "operator"]);
    await alice.waitText(/WIN1 login: $/);
    alice.send({ type: "take" });
    await alice.until("alice holds the keyboard", () => holder(alice) === "alice");
    alice.type("Administrator\r");
    await alice.waitText(/Password: $/);

    // bob (a viewer) can neither take the keyboard nor type; naming himself
    // alice, in the header too, changes nothing: nginx names the user
    await using bob = await WsViewer.open(proxied, t.win.domid, "alice", {
      headers: { authorization: basic("bob", "bob-pw"), "x-remote-user": "alice" },
    });
    await bob.waitMessage((m) => m.type === "hello");
    const bobHello = bob.messages.find((m) => m.type === "hello");
    assert.ok(bobHello?.type === "hello");
    assert.deepEqual([bobHello.you.user, bobHello.you.role], ["bob", "viewer"]);
    bob.send({ type: "take" });
    await bob.waitMessage((m) => m.type === "notice" && /view only: bob/.test(m.message));
    bob.type("hostname\r");
    await bob.waitMessage((m) => m.type === "notice" && /read-only/.test(m.message));
    assert.equal(holder(alice), "alice");

    // straight to the server (not from the proxy's address), a forged header is refused
    const direct = await rawRequest(t.server, "/api/guests", { "X-Remote-User": "alice" });
    assert.match(direct, /^HTTP\/1.1 403/);
    assert.match(direct, /trusted only from the proxies/);
    const ws = await rawRequest(t.server, `/ws/${t.win.domid}`, {
      ...upgrade,
      Origin: new URL(front).origin,
      "X-Remote-User": "alice",
    });
    assert.match(ws, /^HTTP\/1.1 403/);

    // the audit names who did what: alice took the keyboard and typed; bob only watched
    const did = audit.filter((e) => e.event !== "leave").map((e) =>
      `${e.viewer.user}/${e.viewer.role} ${e.event}${e.text ? ` ${e.text}` : ""}`
    );
    assert.deepEqual(did, [
      "alice/operator join",
      "alice/operator take",
      "alice/operator input Administrator",
      "bob/viewer join",
    ]);
    // the passwords stayed at nginx
    assert.doesNotMatch(JSON.stringify(audit), /-pw|Basic/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs openssl with `args`; fails with its stderr. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** A CA, a server certificate for 127.0.0.1 and client certificates (CN = each user), in `dir`. */
async function certificates(dir: string, users: string[]): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-days",
    "1",
    "-subj",
    "/CN=team CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
  );
  await Deno.writeTextFile(`${dir}/server.ext`, "subjectAltName=IP:127.0.0.1\n");
  await Deno.writeTextFile(`${dir}/client.ext`, "extendedKeyUsage=clientAuth\n");
  for (
    const [name, cn, ext] of [
      ["server", "127.0.0.1", "server.ext"],
      ...users.map((u) => [u, u, "client.ext"]),
    ]
  ) {
    await openssl(
      dir,
      "req",
      ...ec,
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      `${name}.pem`,
    );
  }
}

Deno.test({
  name: "serve behind nginx verifying TLS client certificates (docs/serve.md): the CN is the user",
  ignore,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-nginx-" });
  try {
    await certificates(dir, ["alice", "bob"]);
    const port = freePort();
    const front = `https://127.0.0.1:${port}/`;
    await using t = await setup({
      serve: {
        authHeader: "X-Remote-User",
        trustedProxies: ["127.0.0.2"],
        origins: [new URL(front).origin],
        operators: ["alice"],
      },
    });
    const upstream = Number(new URL(t.server.url).port);
    const [, certRecipe] = await recipes();
    const { map } = await basicRecipe();
    const site = certRecipe
      .replace("listen 443 ssl;", `listen 127.0.0.1:${port} ssl;`)
      .replace("/etc/ssl/certs/consoles.example.org.pem", `${dir}/server.pem`)
      .replace("/etc/ssl/private/consoles.example.org.key", `${dir}/server.key`)
      .replace("/etc/nginx/team-ca.pem", `${dir}/ca.pem`)
      .replace("http://127.0.0.1:8023", `http://127.0.0.1:${upstream}`);
    await using _nginx = await startNginx(dir, port, `${map}\n${site}`);
    const ca = await Deno.readTextFile(`${dir}/ca.pem`);
    const clientOf = async (user: string) =>
      Deno.createHttpClient({
        caCerts: [ca],
        cert: await Deno.readTextFile(`${dir}/${user}.pem`),
        key: await Deno.readTextFile(`${dir}/${user}.key`),
      });

    // no certificate: nginx refuses
    using anonymous = Deno.createHttpClient({ caCerts: [ca] });
    const refused = await fetch(new URL("/api/guests", front), { client: anonymous });
    assert.equal(refused.status, 400);
    await refused.body?.cancel();

    const proxied = { url: front, token: "" };
    for (const [user, role] of [["alice", "operator"], ["bob", "viewer"]]) {
      using client = await clientOf(user);
      const list = await fetch(new URL("/api/guests", front), { client });
      assert.equal(list.status, 200, user);
      await list.body?.cancel();
      await using v = await WsViewer.open(proxied, t.deb.domid, "someone", { client });
      await v.waitMessage((m) => m.type === "hello");
      const hello = v.messages.find((m) => m.type === "hello");
      assert.ok(hello?.type === "hello");
      assert.deepEqual([hello.you.user, hello.you.role], [user, role]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "serve behind nginx in chromium: the page shows who is who; alice types, bob's keyboard stays off",
  ignore: ignore || await noChromium(),
  // playwright keeps its browser pipe and timers to itself
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-nginx-" });
  const browser = await launch();
  try {
    await Deno.writeTextFile(
      `${dir}/htpasswd`,
      (await htpasswd("alice", "alice-pw")) + (await htpasswd("bob", "bob-pw")),
    );
    const port = freePort();
    const front = `http://127.0.0.1:${port}/`;
    await using t = await setup({
      serve: {
        authHeader: "X-Remote-User",
        trustedProxies: ["127.0.0.2"],
        origins: [new URL(front).origin],
        operators: ["alice"],
      },
    });
    await using _nginx = await basicAuthProxy(dir, port, t.server.url);
    const open = async (username: string) => {
      const context = await browser.newContext({
        httpCredentials: { username, password: `${username}-pw` },
      });
      const page = await context.newPage();
      assert.equal((await page.goto(`${front}#${t.deb.domid}`))?.status(), 200);
      return page;
    };
    const alice = await open("alice");
    await terminalShows(alice, /deb1 login: $/m);
    await until(
      alice,
      `document.querySelector("#you").textContent === "You: alice, operator (may type)"`,
    );
    const bob = await open("bob");
    await until(
      bob,
      `document.querySelector("#you").textContent === "You: bob, viewer (may watch, not type)"`,
    );
    // each sees the other by who they are, and the viewer's role
    await until(
      alice,
      `/^watching: alice #\\d+, bob \\(views\\) #\\d+$/.test(document.querySelector("#viewers").textContent)`,
    );
    await until(bob, `/alice #\\d+/.test(document.querySelector("#viewers").textContent)`);
    assert.equal(await bob.isDisabled("#take"), true);
    await alice.click("#take");
    await until(bob, `document.querySelector("#keyboard").textContent.startsWith("alice #")`);
    await alice.click("#terminal");
    await alice.keyboard.type("root");
    await alice.keyboard.press("Enter");
    await terminalShows(bob, /Password: $/m);
    assert.equal(await bob.isDisabled("#take"), true);
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});
