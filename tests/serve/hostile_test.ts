// Copyright 2026 the xenpv authors. MIT license.
// Hostile and broken requests (issue 29): each is answered, never 5xx (500 only
// for a fault of the server's own, after the gate), never with a stack trace,
// and told to `onProblem` in one line, with no token in it.

import assert from "node:assert/strict";
import type { ServerProblem } from "../../serve/mod.ts";
import { handle, type RouteContext } from "../../serve/_routes.ts";
import { Gate } from "../../serve/_auth.ts";
import { identityPolicy } from "../../serve/_identity.ts";
import { setup } from "./_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends `text` as it is; the status line of the answer (or "" if the server closed). */
async function send(port: string, text: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  await conn.write(encoder.encode(text));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  return decoder.decode(buf.subarray(0, n ?? 0)).split("\r\n")[0];
}

/** Requests that break the rules, without and with the token: name -> raw request. */
function hostile(port: string, token: string, domid: number): Record<string, string> {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const origin = `Origin: http://127.0.0.1:${port}\r\nConnection: Upgrade\r\n`;
  const ws = `GET /ws/${domid}?token=${token} HTTP/1.1\r\n${host}Upgrade: websocket\r\n`;
  return {
    "a Host with a port of letters":
      `GET /?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:1.evil\r\n\r\n`,
    "a Host with an open bracket": "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
    "a port out of range": "GET / HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n\r\n",
    "an absolute target": `GET http://evil.example/ HTTP/1.1\r\n${host}\r\n`,
    "OPTIONS *": `OPTIONS * HTTP/1.1\r\n${host}\r\n`,
    "CONNECT": `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`,
    "a path of escapes": `GET /%00%ff/..%2f..%2fetc/passwd HTTP/1.1\r\n${host}\r\n`,
    "a cookie of junk": `GET / HTTP/1.1\r\n${host}Cookie: ${"=;".repeat(2000)}\r\n\r\n`,
    "a bearer of junk": `GET / HTTP/1.1\r\n${host}Authorization: Bearer \xff\xfe\r\n\r\n`,
    "a WebSocket without its key": `${ws}${origin}Sec-WebSocket-Version: 13\r\n\r\n`,
    "a WebSocket without Connection: Upgrade":
      `${ws}Origin: http://127.0.0.1:${port}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  };
}

Deno.test("serve: hostile requests are never 5xx, each failure told in one line without a stack trace or the token", async () => {
  const problems: ServerProblem[] = [];
  await using t = await setup({ serve: { onProblem: (p) => problems.push(p) } });
  const { port } = new URL(t.server.url);
  const printed: unknown[][] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => printed.push(args);
  const answers: Record<string, string> = {};
  try {
    for (const [name, text] of Object.entries(hostile(port, t.server.token, t.win.domid))) {
      answers[name] = await send(port, text);
    }
  } finally {
    console.error = error;
  }
  for (const [name, status] of Object.entries(answers)) {
    // never 5xx (the public page answers 200 to a target naming another host: Host is ours)
    assert.match(status, /^HTTP\/1\.1 [234]\d\d /, `${name}: ${status}`);
  }
  assert.deepEqual(printed, [], "nothing printed besides onProblem (Deno's default prints stacks)");
  // the bad Hosts and handshakes: a line each; an ordinary 401 or 404 is no problem
  const failed = Object.values(answers).filter((s) => /^HTTP\/1\.1 400 /.test(s)).length;
  assert.equal(failed, 5);
  assert.equal(problems.length, failed);
  for (const p of problems) {
    assert.equal(p.kind, "request");
    assert.equal(p.status, 400);
    assert.doesNotMatch(p.message, /\n|\bat /);
    assert.ok(!JSON.stringify(p).includes(t.server.token), JSON.stringify(p));
  }
  assert.ok(problems.some((p) => /sec-websocket-key/.test(p.message)));
});

Deno.test("serve: by default a failed request is one line on stderr, not a stack trace", async () => {
  await using t = await setup();
  const { port } = new URL(t.server.url);
  const printed: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => printed.push(args.map(String).join(" "));
  let status: string;
  try {
    const text = hostile(port, t.server.token, t.win.domid)["a WebSocket without its key"];
    status = await send(port, text);
  } finally {
    console.error = error;
  }
  assert.match(status, /^HTTP\/1\.1 400 /);
  assert.equal(printed.length, 1, printed.join("\n---\n"));
  assert.match(
    printed[0],
    /^\S+Z serve: request: 400 GET \/ws\/\d+ from 127\.0\.0\.1:\d+: not a WebSocket/,
  );
  assert.doesNotMatch(printed[0], /\n/);
});

Deno.test("serve: a route that throws after the token is 500, told in one line; before it, 400", async () => {
  const problems: ServerProblem[] = [];
  const gate = new Gate({
    token: "0123456789abcdef0123",
    secure: false,
    policy: identityPolicy({}),
  });
  gate.listening("127.0.0.1", 8023);
  const context = {
    gate,
    directory: {
      list() {
        throw new Error("a fault of the server's own\n    at somewhere (file.ts:1:1)");
      },
    },
    logs: undefined,
    viewers: {},
    onProblem: (p: ServerProblem) => problems.push(p),
  } as unknown as RouteContext;
  const info = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 5000 } } as never;
  const admitted = new Request("http://127.0.0.1:8023/api/guests?token=0123456789abcdef0123");
  const response = await handle(context, admitted, info);
  assert.equal(response.status, 500);
  assert.doesNotMatch(await response.text(), /somewhere|fault/);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].request, "GET /api/guests");
  assert.match(problems[0].message, /^Error: a fault of the server's own\\x0a/); // printable: one line
  assert.ok(!JSON.stringify(problems).includes("0123456789abcdef0123"));
  // before the token: a gate that throws is 400
  const broken = {
    ...context,
    gate: { hostAllowed: () => true, admit: () => Promise.reject(new Error("x")) },
  };
  const early = await handle(broken as unknown as RouteContext, admitted, info);
  assert.equal(early.status, 400);
  await early.body?.cancel();
  assert.equal(problems.length, 2);
});
