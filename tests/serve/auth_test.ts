// Copyright 2026 the xenpv authors. MIT license.
// The console server's gate: the token (query, bearer, WebSocket subprotocol;
// no cookie), the public page, the WebSocket's Origin, the Host allow-list,
// HTTPS, identities from a trusted proxy's header and roles.

import assert from "node:assert/strict";
import { SimulatedHost } from "../../sim/mod.ts";
import { serveConsoles } from "../../serve/mod.ts";
import { originOf, rawRequest, setup, upgrade } from "./_server.ts";
import { Gate } from "../../serve/_auth.ts";
import { identityPolicy } from "../../serve/_identity.ts";
import { have, skipUnless } from "../_peers.ts";

Deno.test("serve: no token or a wrong one is 401 on the data and the WebSocket; the page's files are public", async () => {
  await using t = await setup();
  const { server } = t;
  for (const path of ["/api/guests", "/api/guests/1/log", "/nope"]) {
    const plain = await fetch(new URL(path, server.url));
    assert.equal(plain.status, 401, path);
    await plain.body?.cancel();
    const wrong = await fetch(new URL(`${path}?token=${"0".repeat(64)}`, server.url));
    assert.equal(wrong.status, 401, path);
    await wrong.body?.cancel();
  }
  // the page and its files hold nothing of a guest's nor a secret: no credential needed
  for (const path of ["/", "/static/app.js", "/static/xterm.mjs"]) {
    const page = await fetch(new URL(path, server.url));
    assert.equal(page.status, 200, path);
    assert.doesNotMatch(await page.text(), new RegExp(server.token));
  }
  const wrongOnPage = await fetch(new URL(`/?token=${"0".repeat(64)}`, server.url));
  assert.equal(wrongOnPage.status, 401);
  await wrongOnPage.body?.cancel();
  const ws = await rawRequest(t.server, "/ws/1", { ...upgrade, Origin: originOf(server) });
  assert.match(ws, /^HTTP\/1.1 401/);
  const wrongWs = await rawRequest(t.server, "/ws/1", {
    ...upgrade,
    Origin: originOf(server),
    "Sec-WebSocket-Protocol": `xenpv, xenpv.token.${btoa("0".repeat(64))}`,
  });
  assert.match(wrongWs, /^HTTP\/1.1 401/);
  // the server does not say what the token is like, nor echo it
  const text = await (await fetch(new URL("/api/guests", server.url))).text();
  assert.doesNotMatch(text, new RegExp(server.token));
});

Deno.test("serve: no cookie: ?token= on the page moves into the fragment; the WebSocket takes it as a subprotocol", async () => {
  await using t = await setup();
  const { server } = t;
  const first = await fetch(`${server.url}?token=${server.token}`, { redirect: "manual" });
  assert.equal(first.status, 303);
  assert.equal(first.headers.get("location"), `/#token=${server.token}`);
  // a cookie would reach every other server on this host: cookies are not isolated by port
  assert.equal(first.headers.get("set-cookie"), null);
  await first.body?.cancel();
  const page = await fetch(server.url);
  assert.equal(page.headers.get("set-cookie"), null);
  assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/static\/app.js">/);
  const b64 = btoa(server.token).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const ws = await rawRequest(server, "/ws/1", {
    ...upgrade,
    Origin: originOf(server),
    "Sec-WebSocket-Protocol": `xenpv, xenpv.token.${b64}`,
  });
  assert.match(ws, /^HTTP\/1.1 101/);
  // the answer names the page's subprotocol, never the one with the token
  assert.match(ws, /\r\nsec-websocket-protocol: xenpv\r\n/i);
});

Deno.test("serve: a foreign or missing Origin and a foreign Host are refused", async () => {
  await using t = await setup();
  const { server } = t;
  const path = `/ws/1?token=${server.token}`;
  const evil = await rawRequest(server, path, { ...upgrade, Origin: "http://evil.example" });
  assert.match(evil, /^HTTP\/1.1 403/);
  const none = await rawRequest(server, path, upgrade);
  assert.match(none, /^HTTP\/1.1 403/);
  // the same host is not the same origin: another port (another server's
  // page, or any local program's), no port, another scheme
  const { hostname, port } = new URL(server.url);
  for (
    const origin of [
      `http://${hostname}:${Number(port) + 1}`,
      `http://${hostname}`,
      `https://${hostname}:${port}`,
      `http://${hostname}:${port}.evil.example`,
    ]
  ) {
    const other = await rawRequest(server, path, { ...upgrade, Origin: origin });
    assert.match(other, /^HTTP\/1.1 403/, origin);
  }
  const own = await rawRequest(server, path, { ...upgrade, Origin: originOf(server) });
  assert.match(own, /^HTTP\/1.1 101/);
  // DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends its own Host
  const rebound = await rawRequest(server, `/api/guests?token=${server.token}`, {
    Host: `evil.example:${port}`,
  });
  assert.match(rebound, /^HTTP\/1.1 421/);
  const local = await rawRequest(server, `/api/guests?token=${server.token}`, {
    Host: `localhost:${port}`,
  });
  assert.match(local, /^HTTP\/1.1 200/);
});

const noOpenssl = skipUnless(await have("openssl", ["version"]), "openssl");

Deno.test({
  name: "serve: HTTPS with a certificate and key",
  ignore: noOpenssl,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const cert = await Deno.readTextFile(`${dir}/cert.pem`);
    const key = await Deno.readTextFile(`${dir}/key.pem`);
    await using host = new SimulatedHost();
    await host.createGuest({ name: "win1" });
    await using server = await serveConsoles({ host, tls: { cert, key } });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    using client = Deno.createHttpClient({ caCerts: [cert] });
    const first = await fetch(`${server.url}?token=${server.token}`, {
      client,
      redirect: "manual",
    });
    assert.equal(first.status, 303);
    await first.body?.cancel();
    const list = await fetch(new URL("/api/guests", server.url), {
      client,
      headers: { authorization: `Bearer ${server.token}` },
    });
    assert.equal((await list.json())[0].name, "win1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Gate: a WebSocket's Origin must be the page's own: scheme, host and port", () => {
  const request = (origin?: string) =>
    new Request("http://127.0.0.1:8022/ws/1", { headers: origin ? { origin } : {} });
  const policy = identityPolicy({});
  const plain = new Gate({ token: "x".repeat(32), secure: false, policy });
  plain.listening("127.0.0.1", 8022);
  assert.equal(plain.sameOrigin(request("http://127.0.0.1:8022"), "127.0.0.1:8022"), true);
  assert.equal(plain.sameOrigin(request("http://localhost:8022"), "localhost:8022"), true);
  for (const origin of ["http://127.0.0.1:8023", "http://127.0.0.1", "https://127.0.0.1:8022"]) {
    assert.equal(plain.sameOrigin(request(origin), "127.0.0.1:8022"), false, origin);
  }
  assert.equal(plain.sameOrigin(request("http://localhost:8022"), "127.0.0.1:8022"), false);
  assert.equal(plain.sameOrigin(request(), "127.0.0.1:8022"), false);
  const tls = new Gate({ token: "x".repeat(32), secure: true, policy });
  tls.listening("127.0.0.1", 8443);
  assert.equal(tls.sameOrigin(request("https://127.0.0.1:8443"), "127.0.0.1:8443"), true);
  assert.equal(tls.sameOrigin(request("http://127.0.0.1:8443"), "127.0.0.1:8443"), false);
  assert.equal(tls.sameOrigin(request("https://127.0.0.1:8444"), "127.0.0.1:8443"), false);
});

Deno.test("serve: a Host that is no address, before the token, is 400 without a stack trace", async () => {
  const problems: string[] = [];
  await using t = await setup({ serve: { onProblem: (p) => problems.push(p.message) } });
  const printed: unknown[][] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => printed.push(args);
  try {
    for (const host of ["127.0.0.1:1.evil", "127.0.0.1:99999", "[::1"]) {
      const answer = await rawRequest(t.server, "/api/guests", { Host: host });
      assert.match(answer, /^HTTP\/1.1 400/, `${host}: ${answer.split("\r\n")[0]}`);
    }
  } finally {
    console.error = error;
  }
  assert.deepEqual(printed, []);
  assert.deepEqual(problems, [
    "the Host header is not an address: 127.0.0.1:1.evil",
    "the Host header is not an address: 127.0.0.1:99999",
    "the Host header is not an address: [::1",
  ]);
});
