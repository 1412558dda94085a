// Copyright 2026 the xenpv authors. MIT license.
// xenpv under the fleet tools, on a simulated dom0 reached as a real one
// (examples/sim_dom0.ts: xenstore on a unix socket, consoles on ptys):
//
//   --ansible     seconds per Ansible task through the xenpv connection plugin
//                 (one login kept), beside `ansible_connection: local` (Ansible's
//                 own cost) and one run.ts (a fresh login: what a task would
//                 pay without the kept one)
//   --conserver   attach latency: `console` reaching a guest through conserver
//                 (type exec: attach.ts; type uds: console_sockets.ts) vs
//                 attach.ts started directly; clients per second
//   --serve-scale N  N guests under one console server (serve.ts --log-dir:
//                 every console attached and logged): the time until all are,
//                 its memory (PSS) and idle CPU, a viewer's wait for the last
//                 guest's console and for an echo
//   --scale N     N guests under one console_sockets.ts and one conserver
//                 (type uds): start-up, memory (PSS) and idle CPU of each;
//                 and attach.ts's memory per console (type exec), from 10
//
// Prints one JSON line per figure set. Needs root (the console lock in
// /var/lock), conserver, ansible-core. Figures on a busy machine are rough.
//
//   deno run -A bench/fleet.ts --ansible --conserver --scale 200

import { parseArgs } from "node:util";
import { example, freePort, listening, Proc, simDom0 } from "../tests/fleet/_procs.ts";
import { openViewerSocket, sendMessage } from "../tests/serve/_ws_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    ansible: { type: "boolean", default: false },
    conserver: { type: "boolean", default: false },
    scale: { type: "string" },
    "serve-scale": { type: "string" },
    rounds: { type: "string", default: "5" },
  },
});
const rounds = Number(values.rounds);
const deno = Deno.execPath();
const ESC = "\x05c";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Seconds `fn` takes. */
async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** A process and its descendants, from /proc's children lists. */
async function tree(pid: number): Promise<number[]> {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const text = await Deno.readTextFile(`/proc/${all[i]}/task/${all[i]}/children`).catch(() => "");
    all.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return all;
}

/** Proportional set size in KiB (shared pages split among their users). */
async function pss(pids: number[]): Promise<number> {
  let kib = 0;
  for (const pid of pids) {
    const text = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`).catch(() => "");
    kib += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return kib;
}

/** CPU seconds (user + system) the processes used so far. */
async function cpu(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const text = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / 100;
}

/** CPU milliseconds per minute the processes use over `ms` of quiet. */
async function idleCpu(pids: number[], ms: number): Promise<number> {
  const before = await cpu(pids);
  await new Promise((r) => setTimeout(r, ms));
  return round(((await cpu(pids)) - before) * 1000 * (60_000 / ms), 1);
}

async function conserverConfig(dir: string, own: string): Promise<string> {
  const cf = `${dir}/conserver.cf`;
  await Deno.writeTextFile(
    cf,
    `config * { }\ndefault * { logfile ${dir}/&.log; timestamp ""; rw *; }\n` +
      `access * { trusted 127.0.0.0/8; }\n#include ${own}\n`,
  );
  await Deno.writeTextFile(`${dir}/conserver.passwd`, "");
  return cf;
}

function startConserver(dir: string, cf: string, port: number, socket: string): Proc {
  return new Proc("conserver", "conserver", [
    ...["-C", cf, "-P", `${dir}/conserver.passwd`, "-M", "127.0.0.2", "-p", String(port)],
    ...["-E", "-v"],
  ], { env: { XENSTORED_PATH: socket } });
}

/** `console` to `guest`: banner, Enter, its login prompt, disconnect. Seconds to the prompt. */
async function consoleLatency(port: number, guest: string): Promise<number> {
  const t = performance.now();
  await using c = new Proc("console", "console", [
    "-M",
    "127.0.0.2",
    "-p",
    String(port),
    "-E",
    guest,
  ], {
    stdin: true,
  });
  await c.waitFor(/\[Enter `\^Ec\?' for help\]/);
  await c.send("\r");
  await c.waitFor(new RegExp(`${guest} login: $`));
  const s = (performance.now() - t) / 1000;
  await c.send(`${ESC}.`);
  await c.child.status;
  return s;
}

async function ansibleBench(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-bench-ansible-" });
  const socket = `${dir}/xs.sock`;
  await using _dom0 = await simDom0("dom0", socket, ["deb1:linux"], { firstDomid: 701 });
  const inventory = (connection: string) => ({
    all: {
      hosts: { deb1: { ansible_user: "root", ansible_password: "xenpv" } },
      vars: {
        ansible_connection: connection,
        ansible_xenpv_dialect: "linux",
        ansible_xenpv_env: { XENSTORED_PATH: socket },
        ansible_xenpv_control_dir: `${dir}/cp`,
        ansible_xenpv_persist: 60,
      },
    },
  });
  await Deno.writeTextFile(`${dir}/xenpv.yml`, JSON.stringify(inventory("xenpv")));
  await Deno.writeTextFile(`${dir}/local.yml`, JSON.stringify(inventory("local")));
  const play = async (inv: string, tasks: number) => {
    await Deno.writeTextFile(
      `${dir}/play.yml`,
      JSON.stringify([{
        hosts: "all",
        gather_facts: false,
        tasks: Array.from({ length: tasks }, () => ({ raw: "uname -n" })),
      }]),
    );
    return await seconds(async () => {
      const r = await new Deno.Command("ansible-playbook", {
        args: ["-i", inv, "play.yml"],
        cwd: dir,
        env: {
          ANSIBLE_CONNECTION_PLUGINS:
            new URL("../examples/ansible/connection_plugins", import.meta.url)
              .pathname,
          ANSIBLE_LOCAL_TEMP: `${dir}/tmp`,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!r.success) throw new Error(new TextDecoder().decode(r.stdout));
    });
  };
  const few = 1, many = 21;
  const perTask = async (inv: string) => {
    const a = [], b = [];
    for (let i = 0; i < 3; i++) {
      a.push(await play(inv, few));
      b.push(await play(inv, many));
    }
    return { oneTask: round(median(a)), perTask: round((median(b) - median(a)) / (many - few)) };
  };
  await play("xenpv.yml", 1); // the first login, kept from here on
  const xenpv = await perTask("xenpv.yml");
  const local = await perTask("local.yml");
  // the kept login holds the console: end its control process (it logs out)
  for await (const e of Deno.readDir(`${dir}/cp`)) {
    if (!e.name.endsWith(".pid")) continue;
    const pid = Number(await Deno.readTextFile(`${dir}/cp/${e.name}`));
    Deno.kill(pid);
    while (await Deno.stat(`/proc/${pid}/stat`).then(() => true, () => false)) {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
      if (/ Z /.test(stat)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const fresh: number[] = [];
  for (let i = 0; i < rounds; i++) {
    fresh.push(
      await seconds(async () => {
        const r = await new Deno.Command(deno, {
          args: ["run", "--allow-ffi", example("run.ts"), "--dialect", "linux", "--user", "root"]
            .concat(["deb1", "--", "uname -n"]),
          env: { XENSTORED_PATH: socket, XENPV_PASSWORD: "xenpv" },
          stdout: "null",
          stderr: "piped",
        }).output();
        if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
      }),
    );
  }
  console.log(JSON.stringify({
    ansible: { xenpv, local, runTsFreshLogin: round(median(fresh)) },
  }));
  await new Promise((r) => setTimeout(r, 500));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

async function conserverBench(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-bench-conserver-" });
  const socket = `${dir}/xs.sock`;
  await using _dom0 = await simDom0("dom0", socket, ["deb1:linux", "deb2:linux"], {
    firstDomid: 801,
  });
  const result: Record<string, unknown> = {};
  for (const type of ["exec", "uds"] as const) {
    const own = `${dir}/${type}.cf`;
    let sockets: Proc | undefined;
    if (type === "exec") {
      const r = await new Deno.Command(deno, {
        args: ["run", "-A", example("conserver_cf.ts"), "--master", "127.0.0.1", "--out", own],
        env: { XENSTORED_PATH: socket },
      }).output();
      if (!r.success) throw new Error("conserver_cf failed");
    } else {
      sockets = new Proc("console_sockets", deno, [
        ...["run", "-A", example("console_sockets.ts"), "--dir", `${dir}/consoles`],
        ...["--cf", own, "--master", "127.0.0.1"],
      ], { env: { XENSTORED_PATH: socket } });
      await sockets.waitFor(/written/);
    }
    const port = freePort();
    await using server = startConserver(dir, await conserverConfig(dir, own), port, socket);
    await listening("127.0.0.2", port);
    await new Promise((r) => setTimeout(r, 2000)); // the consoles up (attach.ts started)
    const latency: number[] = [];
    for (let i = 0; i < rounds; i++) latency.push(await consoleLatency(port, "deb1"));
    const clients = 10;
    const t = await seconds(async () => {
      for (let i = 0; i < clients; i++) await consoleLatency(port, i % 2 ? "deb1" : "deb2");
    });
    result[type] = { attachS: round(median(latency)), clientsPerS: round(clients / t, 1) };
    await server.stop();
    await sockets?.stop();
  }
  const direct: number[] = [];
  for (let i = 0; i < rounds; i++) {
    direct.push(
      await seconds(async () => {
        await using p = new Proc("attach", deno, [
          ...["run", "--allow-ffi", example("attach.ts"), "--linger", "0", "deb1"],
        ], { env: { XENSTORED_PATH: socket }, stdin: true });
        await p.send("\r");
        await p.waitFor(/deb1 login: $/);
      }),
    );
  }
  result.attachTsDirectS = round(median(direct));
  console.log(JSON.stringify({ conserver: result }));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

async function serveScaleBench(n: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-bench-serve-" });
  const socket = `${dir}/xs.sock`;
  await using _dom0 = await simDom0("dom0", socket, [], { firstDomid: 1001, count: n });
  const logs = `${dir}/logs`;
  await Deno.mkdir(logs, { mode: 0o700 });
  const t = performance.now();
  await using server = new Proc("serve", deno, [
    ...["run", "--allow-ffi", "--allow-net", example("serve.ts")],
    ...["--port", String(freePort()), "--log-dir", logs],
  ], { env: { XENSTORED_PATH: socket } });
  const [, url, token] = await server.waitFor(/^(http:\S+)#token=(\S+)$/m, {
    signal: AbortSignal.timeout(120_000),
  });
  // every guest attached: a log file each
  const logged = () => [...Deno.readDirSync(logs)].filter((e) => e.name.endsWith(".log")).length;
  while (logged() < n && performance.now() - t < 300_000) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const allAttachedS = round((performance.now() - t) / 1000);
  const attached = logged();
  await new Promise((r) => setTimeout(r, 5000)); // settle
  const pid = server.child.pid;
  const pssMiB = round((await pss([pid])) / 1024, 1);
  const idleCpuMsPerMin = await idleCpu([pid], 30_000);
  // a viewer of the last guest: its console (the scrollback) and an echo of Enter
  const t0 = performance.now();
  const ws = await openViewerSocket({ url, token }, 1000 + n, "bench");
  let output = Promise.withResolvers<void>();
  ws.onmessage = (e) => {
    if (typeof e.data !== "string") output.resolve();
  };
  await output.promise;
  const viewerFirstOutputS = round((performance.now() - t0) / 1000);
  sendMessage(ws, { type: "take" });
  await new Promise((r) => setTimeout(r, 200));
  output = Promise.withResolvers<void>();
  const t1 = performance.now();
  sendMessage(ws, { type: "input", data: "\r" });
  await output.promise;
  const echoMs = round(performance.now() - t1);
  ws.close();
  console.log(JSON.stringify({
    serveScale: {
      guests: n,
      attached,
      allAttachedS,
      pssMiB,
      idleCpuMsPerMin,
      viewerFirstOutputS,
      echoMs,
    },
  }));
  await server.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

async function scaleBench(n: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xenpv-bench-scale-" });
  const socket = `${dir}/xs.sock`;
  let t = performance.now();
  await using dom0 = await simDom0("dom0", socket, [], { firstDomid: 1001, count: n });
  const simStartS = round((performance.now() - t) / 1000);
  const own = `${dir}/own.cf`;
  t = performance.now();
  await using sockets = new Proc("console_sockets", deno, [
    ...["run", "-A", example("console_sockets.ts"), "--dir", `${dir}/consoles`],
    ...["--cf", own, "--master", "127.0.0.1"],
  ], { env: { XENSTORED_PATH: socket } });
  await sockets.waitFor(new RegExp(`: ${n} console\\(s\\)`), {
    signal: AbortSignal.timeout(300_000),
  });
  const socketsStartS = round((performance.now() - t) / 1000);
  const socketsIdlePss = await pss([sockets.child.pid]);
  const port = freePort();
  const fdsBefore = [...Deno.readDirSync(`/proc/${sockets.child.pid}/fd`)].length;
  t = performance.now();
  await using server = startConserver(dir, await conserverConfig(dir, own), port, socket);
  await listening("127.0.0.2", port);
  // every console connected: the sockets' process holds N console connections
  const connected = () =>
    Promise.resolve([...Deno.readDirSync(`/proc/${sockets.child.pid}/fd`)].length);
  // settled: at least a socket and a pty each, and no new fd for 1.5 s
  let last = -1, steady = 0, upAt = performance.now();
  while (performance.now() - t < 120_000) {
    const fds = await connected();
    if (fds !== last) upAt = performance.now();
    steady = fds === last && fds >= fdsBefore + 2 * n ? steady + 1 : 0;
    last = fds;
    if (steady >= 15) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const fdsPerConsole = round((last - fdsBefore) / n, 1);
  const conserverUpS = round((upAt - t) / 1000);
  await new Promise((r) => setTimeout(r, 5000)); // settle
  const serverPids = await tree(server.child.pid);
  const figures = {
    guests: n,
    simDom0StartS: simStartS,
    consoleSockets: {
      startS: socketsStartS,
      pssMiBIdleNoClients: round(socketsIdlePss / 1024, 1),
      pssMiBAllAttached: round((await pss([sockets.child.pid])) / 1024, 1),
      idleCpuMsPerMin: await idleCpu([sockets.child.pid], 30_000),
    },
    conserver: {
      processes: serverPids.length,
      allConnectedS: conserverUpS,
      fdsPerConsoleInConsoleSockets: fdsPerConsole,
      pssMiB: round((await pss(serverPids)) / 1024, 1),
      idleCpuMsPerMin: await idleCpu(serverPids, 30_000),
    },
    latencyS: round(await consoleLatency(port, `g${n}`)),
    simDom0PssMiB: round((await pss([dom0.child.pid])) / 1024, 1),
  };
  await server.stop();
  await sockets.stop();
  // type exec: one attach.ts per console; its memory from 10 of them
  const attaches: Proc[] = [];
  for (let i = 1; i <= 10; i++) {
    attaches.push(
      new Proc("attach", deno, [
        ...["run", "--allow-ffi", example("attach.ts"), "--follow", "--escape", "none", `g${i}`],
      ], { env: { XENSTORED_PATH: socket }, stdin: true }),
    );
  }
  await new Promise((r) => setTimeout(r, 8000));
  const attachPids = attaches.map((p) => p.child.pid);
  const perAttach = round((await pss(attachPids)) / 1024 / attaches.length, 1);
  const attachIdle = round((await idleCpu(attachPids, 30_000)) / attaches.length, 1);
  for (const p of attaches) await p.stop();
  console.log(JSON.stringify({
    scale: { ...figures, attachTs: { pssMiBEach: perAttach, idleCpuMsPerMinEach: attachIdle } },
  }));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

if (values.ansible) await ansibleBench();
if (values.conserver) await conserverBench();
if (values.scale !== undefined) await scaleBench(Number(values.scale));
if (values["serve-scale"] !== undefined) await serveScaleBench(Number(values["serve-scale"]));
