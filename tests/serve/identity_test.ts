// Copyright 2026 the xenpv authors. MIT license.
// Who a request is: a user header trusted from the listed proxies only, the
// token's holder, roles (operators type, everyone else views), and what the
// viewers and the audit log are told. The real nginx in front: proxy_test.ts.

import assert from "node:assert/strict";
import { type Admission, Gate, type Refusal } from "../../serve/_auth.ts";
import { identityPolicy } from "../../serve/_identity.ts";
import type { AuditEntry } from "../../serve/mod.ts";
import { holder, setup, viewer } from "./_server.ts";

const TOKEN = "t".repeat(32);

function gate(options: Parameters<typeof identityPolicy>[0] = {}, origins: string[] = []): Gate {
  const g = new Gate({ token: TOKEN, secure: false, policy: identityPolicy(options), origins });
  g.listening("127.0.0.1", 8022);
  return g;
}

function admit(
  g: Gate,
  peer: string,
  headers: Record<string, string> = {},
  path = "/api/guests",
): Promise<Admission | Refusal> {
  const url = new URL(path, "http://127.0.0.1:8022");
  return g.admit(new Request(url, { headers }), url, peer);
}

const proxied = { authHeader: "X-Remote-User", trustedProxies: ["127.0.0.2", "::1"] };

Deno.test("Gate: a user header is trusted from the listed proxies only; from elsewhere it is refused", async () => {
  const g = gate({ ...proxied, operators: ["alice"] });
  assert.deepEqual(await admit(g, "127.0.0.2", { "x-remote-user": "alice" }), {
    identity: { user: "alice", role: "operator" },
    queryToken: undefined,
  });
  assert.deepEqual((await admit(g, "::1", { "X-Remote-User": "bob" }) as Admission).identity, {
    user: "bob",
    role: "viewer",
  });
  // an IPv4-mapped IPv6 peer is the IPv4 address
  assert.equal(
    (await admit(g, "::ffff:127.0.0.2", { "x-remote-user": "alice" }) as Admission).identity.user,
    "alice",
  );
  // forged: the header from an address not listed, even with the right token
  for (
    const headers of [
      { "x-remote-user": "alice" } as Record<string, string>,
      { "x-remote-user": "alice", authorization: `Bearer ${TOKEN}` },
      { "x-remote-user": "" },
    ]
  ) {
    const refused = await admit(g, "127.0.0.1", headers) as Refusal;
    assert.equal(refused.status, 403, JSON.stringify(headers));
    assert.match(refused.message, /trusted only from the proxies/);
  }
  // the proxy must name someone, in a user name's syntax
  assert.equal((await admit(g, "127.0.0.2") as Refusal).status, 401);
  assert.equal(
    (await admit(g, "127.0.0.2", { authorization: `Bearer ${TOKEN}` }) as Refusal).status,
    401,
  );
  for (const user of ["al ice", 'a"b', "a,b", "x".repeat(129)]) {
    assert.equal(
      (await admit(g, "127.0.0.2", { "x-remote-user": user }) as Refusal).status,
      403,
      user,
    );
  }
  // without the header, the token still admits (its holder is "token", here a viewer)
  assert.deepEqual(
    (await admit(g, "127.0.0.1", { authorization: `Bearer ${TOKEN}` }) as Admission)
      .identity,
    { user: "token", role: "viewer" },
  );
  assert.equal((await admit(g, "127.0.0.1") as Refusal).status, 401);
});

Deno.test("Gate: without a proxy, the header means nothing; everyone holding the token operates unless operators are named", async () => {
  const open = gate();
  const admitted = await admit(open, "127.0.0.1", {
    "x-remote-user": "alice",
    authorization: `Bearer ${TOKEN}`,
  }) as Admission;
  assert.deepEqual(admitted.identity, { user: "token", role: "operator" });
  assert.equal(
    (await admit(open, "127.0.0.1", { "x-remote-user": "alice" }) as Refusal).status,
    401,
  );
  const query = await admit(open, "127.0.0.1", {}, `/?token=${TOKEN}`) as Admission;
  assert.equal(query.queryToken, TOKEN);
  const named = gate({ operators: ["token"] });
  assert.equal(
    (await admit(named, "127.0.0.1", { authorization: `Bearer ${TOKEN}` }) as Admission).identity
      .role,
    "operator",
  );
});

Deno.test("Gate: a listed public origin (a proxy's address) may open WebSockets too", () => {
  const g = gate({}, ["https://consoles.example.org"]);
  const ws = (origin: string) => new Request("http://127.0.0.1:8022/ws/1", { headers: { origin } });
  assert.equal(g.sameOrigin(ws("https://consoles.example.org"), "127.0.0.1:8022"), true);
  assert.equal(g.sameOrigin(ws("http://127.0.0.1:8022"), "127.0.0.1:8022"), true);
  assert.equal(g.sameOrigin(ws("https://evil.example.org"), "127.0.0.1:8022"), false);
  assert.equal(g.sameOrigin(ws("http://consoles.example.org"), "127.0.0.1:8022"), false);
});

Deno.test("identityPolicy: bad header names, proxies, users, and a header without proxies are TypeErrors", () => {
  for (
    const options of [
      { authHeader: "X Remote User", trustedProxies: ["127.0.0.1"] },
      { authHeader: "X-Remote-User" },
      { trustedProxies: ["127.0.0.1"] },
      { authHeader: "X-Remote-User", trustedProxies: ["proxy.example.org"] },
      { operators: ["alice", "bob smith"] },
      { operators: ["a,b"] },
    ]
  ) {
    assert.throws(() => identityPolicy(options), TypeError, JSON.stringify(options));
  }
  assert.deepEqual(
    [
      ...identityPolicy({ authHeader: "X-U", trustedProxies: ["[::FFFF:10.0.0.1]"] })
        .trustedProxies,
    ],
    ["10.0.0.1"],
  );
});

Deno.test("serve: a viewer who is no operator cannot take the keyboard; viewers and the audit carry user and role", async () => {
  const audit: AuditEntry[] = [];
  // the token's holder is "token": not an operator here
  await using t = await setup({ audit, serve: { operators: ["alice"] } });
  await using v = await viewer(t.server, t.win.domid, "Carol");
  await v.waitMessage((m) => m.type === "hello");
  const hello = v.messages.find((m) => m.type === "hello");
  assert.ok(hello?.type === "hello");
  assert.deepEqual(
    { user: hello.you.user, role: hello.you.role, name: hello.you.name },
    { user: "token", role: "viewer", name: "Carol" },
  );
  v.send({ type: "take" });
  await v.waitMessage((m) => m.type === "notice" && /view only: token is not/.test(m.message));
  assert.equal(holder(v), null);
  v.type("dir\r");
  await v.waitMessage((m) => m.type === "notice" && /read-only/.test(m.message));
  const join = audit.find((e) => e.event === "join");
  assert.equal(join?.viewer.user, "token");
  assert.equal(join?.viewer.role, "viewer");
  assert.ok(!audit.some((e) => e.event === "take"));
});

Deno.test("Gate: a proxy user named as the token's holder is refused, not given its role", async () => {
  const g = gate({ ...proxied, operators: ["token"] });
  const refused = await admit(g, "127.0.0.2", { "x-remote-user": "token" }) as Refusal;
  assert.equal(refused.status, 403);
  assert.match(refused.message, /token holder/);
  // the token's holder itself is still the operator named "token"
  assert.deepEqual(
    (await admit(g, "127.0.0.1", { authorization: `Bearer ${TOKEN}` }) as Admission)
      .identity,
    { user: "token", role: "operator" },
  );
});
