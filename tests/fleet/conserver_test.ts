// Copyright 2026 the xenpv authors. MIT license.
// xenpv under Debian's real conserver (8.2): two simulated dom0s, each with
// its own conserver, and one `console` client reaching a guest of either
// dom0 through the first conserver (which redirects it to the second): logs
// written by conserver, a spectator, a login and a command. Dom0 A's
// conserver runs attach.ts per guest (`type exec`, from conserver_cf.ts);
// dom0 B's reaches one console_sockets.ts serving all its guests (`type
// uds`). Then guests come and go on both: conserver_cf.ts --watch and
// console_sockets.ts --cf rewrite the console blocks and conserver reloads on
// their SIGHUP.
//
// One machine holds both "dom0s", so the conservers listen on two loopback
// addresses with one port (conserver's redirect keeps the port). conserver
// takes a console as its own when its `master` is an address of this
// machine's interfaces: 127.0.0.1 is (lo's), 127.0.0.2 and 127.0.0.3 are
// not. So each server's own fragment says `master 127.0.0.1` and the other
// dom0's says the other server's address; in a real fleet every fragment
// names its dom0 and every server reads them all (docs/fleet.md).

import assert from "node:assert/strict";
import { have, skipUnless } from "../_peers.ts";
import { example, freePort, listening, Proc, simDom0 } from "./_procs.ts";

const available = await have("conserver", ["-V"]) && await have("console", ["-V"]);
const ESC = "\x05c"; // conserver's escape, ^Ec

/** One dom0's conserver: its address, its directory (configuration, logs). */
interface Server {
  address: string;
  dir: string;
  socket: string;
}

/** conserver_cf.ts once, against `server`'s dom0, managed by `master`: the file's text. */
async function fragment(
  server: Server,
  master: string,
  out: string,
  more: string[] = [],
): Promise<string> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", "--allow-write", example("conserver_cf.ts")]
      .concat(["--master", master, "--out", out, ...more]),
    env: { XENSTORED_PATH: server.socket },
  }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  return await Deno.readTextFile(out);
}

async function conserver(server: Server, port: number, peer: string): Promise<Proc> {
  await Deno.writeTextFile(
    `${server.dir}/conserver.cf`,
    [
      "config * { }",
      `default * { logfile ${server.dir}/&.log; timestamp ""; rw *; }`,
      "access * { trusted 127.0.0.0/8; }",
      `#include ${server.dir}/own.cf`,
      `#include ${server.dir}/${peer}`,
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(`${server.dir}/conserver.passwd`, "");
  const proc = new Proc(`conserver ${server.address}`, "conserver", [
    ...["-C", `${server.dir}/conserver.cf`, "-P", `${server.dir}/conserver.passwd`],
    ...["-M", server.address, "-p", String(port), "-E", "-v"],
  ], { env: { XENSTORED_PATH: server.socket } });
  await Deno.writeTextFile(`${server.dir}/conserver.pid`, `${proc.child.pid}\n`);
  return proc;
}

/** A `console` client of the conserver at `master`. */
function client(master: string, port: number, args: string[]): Proc {
  return new Proc("console", "console", ["-M", master, "-p", String(port), "-E", ...args], {
    stdin: true,
  });
}

Deno.test({
  name: "conserver: two dom0s' conservers, one client: redirect, log, spectator, login, command",
  ignore: skipUnless(available, "conserver-server and conserver-client"),
}, async () => {
  const root = await Deno.makeTempDir({ prefix: "xenpv-conserver-" });
  const a: Server = { address: "127.0.0.2", dir: `${root}/a`, socket: `${root}/a.sock` };
  const b: Server = { address: "127.0.0.3", dir: `${root}/b`, socket: `${root}/b.sock` };
  await Deno.mkdir(a.dir);
  await Deno.mkdir(b.dir);
  try {
    await using dom0a = await simDom0("dom0a", a.socket, ["deb1:linux", "win1:windows"], {
      firstDomid: 1,
    });
    await using dom0b = await simDom0("dom0b", b.socket, ["deb2:linux"], { firstDomid: 101 });
    // each server: its own dom0's consoles, and the other's under the other's address
    const own = await fragment(a, "127.0.0.1", `${a.dir}/own.cf`);
    assert.match(
      own,
      /^console deb1 \{\n {2}master 127\.0\.0\.1;\n {2}type exec;\n {2}exec "stty -opost && exec deno run --allow-ffi \S+\/examples\/attach\.ts --follow --escape none deb1";\n\}$/m,
    );
    assert.match(own, /^console win1 \{/m);
    // B: one console_sockets.ts for all its guests, keeping B's own blocks current
    const uds = `${b.dir}/consoles`;
    await using sockets = new Proc("console_sockets", Deno.execPath(), [
      ...["run", "--allow-ffi", "--allow-net", "--allow-read", "--allow-write", "--allow-run"],
      ...[example("console_sockets.ts"), "--dir", uds, "--grace", "1"],
      ...["--cf", `${b.dir}/own.cf`, "--master", "127.0.0.1"],
      ...["--reload-pid", `${b.dir}/conserver.pid`],
    ], { env: { XENSTORED_PATH: b.socket } });
    await sockets.waitFor(/own\.cf written/);
    assert.equal(
      await Deno.readTextFile(`${b.dir}/own.cf`),
      "# xenpv: the guests of 127.0.0.1, written by xenpv; do not edit\n" +
        `console deb2 {\n  master 127.0.0.1;\n  type uds;\n  uds ${uds}/deb2;\n}\n`,
    );
    assert.match(
      await fragment(b, b.address, `${a.dir}/peer.cf`, ["--uds", uds]),
      /^ {2}master 127\.0\.0\.3;$/m,
    );
    await fragment(a, a.address, `${b.dir}/peer.cf`);

    const port = freePort();
    await using serverA = await conserver(a, port, "peer.cf");
    await using serverB = await conserver(b, port, "peer.cf");
    await serverA.waitFor(/\[deb1\] pid \d+ on /);
    await serverA.waitFor(/\[win1\] pid \d+ on /);
    await listening(a.address, port);
    await listening(b.address, port);

    // deb2 runs on dom0 B: asked of server A, the client is sent to B
    await using user = client(a.address, port, ["deb2"]);
    await user.waitFor(/\[Enter `\^Ec\?' for help\]/);
    await user.send("\r");
    await user.waitFor(/deb2 login: $/);
    await using spy = client(a.address, port, ["-s", "deb2"]);
    await spy.waitFor(/\[Enter `\^Ec\?' for help\]/);
    let mark = user.text.length;
    await user.send("root\r");
    await user.waitFor(/Password: $/, { from: mark });
    await user.send("xenpv\r");
    await user.waitFor(/root@deb2:~# $/, { from: mark });
    mark = user.text.length;
    const spied = spy.text.length;
    await user.send("uname -n; echo through-conserver\r");
    await user.waitFor(/\r\ndeb2\r\nthrough-conserver\r\nroot@deb2:~# $/, { from: mark });
    await spy.waitFor(/\r\ndeb2\r\nthrough-conserver\r\n/, { from: spied }); // the spectator saw it
    await user.send("exit\r");
    await user.waitFor(/deb2 login: $/, { from: mark });
    await user.send(`${ESC}.`);
    assert.equal((await user.child.status).code, 0);
    await spy.stop();

    // conserver's log of deb2, on B: the session as the guest printed it
    // (no CR CR LF: console_sockets.ts passes bytes as they are), no password
    const log = await Deno.readTextFile(`${b.dir}/deb2.log`);
    assert.match(
      log,
      /root@deb2:~# uname -n; echo through-conserver\r\ndeb2\r\nthrough-conserver\r\n/,
    );
    assert.doesNotMatch(log, /xenpv/);
    assert.doesNotMatch(log, /\r\r\n/);

    // win1 on dom0 A, from the same server
    await using win = client(a.address, port, ["win1"]);
    await win.waitFor(/\[Enter `\^Ec\?' for help\]/);
    await win.send("\r");
    await win.waitFor(/WIN1 login: $/);
    await win.send(`${ESC}.`);
    assert.equal((await win.child.status).code, 0);
    // A's log of win1, written through attach.ts (type exec) on conserver's pty:
    // without output processing (stty -opost), CRLF stays CRLF
    const winLog = await Deno.readTextFile(`${a.dir}/win1.log`);
    assert.match(winLog, /\[attached to win1 \(domain 2, pty \/dev\/pts\/\d+\)\]\r\n/);
    assert.match(winLog, /\r\nWIN1 login: /);
    assert.doesNotMatch(winLog, /\r\r\n/);

    // guests coming and going, on A (conserver_cf.ts --watch, type exec) and
    // on B (console_sockets.ts --cf, type uds): a console appears, is reached,
    // and goes after the grace second
    await using watcher = new Proc("conserver_cf --watch", Deno.execPath(), [
      ...["run", "--allow-ffi", "--allow-read", "--allow-write", "--allow-run"],
      ...[example("conserver_cf.ts"), "--master", "127.0.0.1", "--out", `${a.dir}/own.cf`],
      ...["--watch", "--grace", "1", "--reload-pid", `${a.dir}/conserver.pid`],
    ], { env: { XENSTORED_PATH: a.socket } });
    const dom0s = [
      { dom0: dom0a, server: serverA, said: watcher, address: a.address, dir: a.dir },
      { dom0: dom0b, server: serverB, said: sockets, address: b.address, dir: b.dir },
    ];
    for (const [i, { dom0, server, said, address, dir }] of dom0s.entries()) {
      const name = `new${i}`;
      let from = said.text.length;
      const reloaded = server.text.length;
      let at = dom0.text.length;
      await dom0.send(`create ${name} linux\n`);
      await dom0.waitFor(new RegExp(`^ok ${name} \\d+$`, "m"), { from: at });
      await said.waitFor(/own\.cf(: 3 console\(s\)| written)/, { from });
      await server.waitFor(/processing SIGHUP/, { from: reloaded });
      await listening(address, port);
      {
        await using guest = client(address, port, [name]);
        await guest.waitFor(/\[Enter `\^Ec\?' for help\]/);
        await guest.send("\r");
        await guest.waitFor(new RegExp(`${name} login: $`));
        await guest.send(`${ESC}.`);
        assert.equal((await guest.child.status).code, 0);
      }
      from = said.text.length;
      at = dom0.text.length;
      const removed = server.text.length;
      await dom0.send(`destroy ${name}\n`);
      await dom0.waitFor(new RegExp(`^ok ${name}$`, "m"), { from: at });
      await said.waitFor(/own\.cf(: 2 console\(s\)| written)/, { from }); // after the grace
      assert.doesNotMatch(await Deno.readTextFile(`${dir}/own.cf`), new RegExp(name));
      await server.waitFor(/processing SIGHUP/, { from: removed });
      await listening(address, port);
      await using gone = client(address, port, [name]);
      await gone.waitFor(new RegExp(`console \`${name}' not found`));
    }
    void dom0a;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
