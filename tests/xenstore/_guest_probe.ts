// Copyright 2026 the xenpv authors. MIT license.
// The xenstore guest-rules probe (guest_rules.xsprobe): its parser, its
// runner over a raw transport (what tests/e2e/guest/xsprobe.c does in a real
// guest, line for line), the canonical form both sides' lines are compared
// in, and a copy of a guest's nodes (the real guest's home, replayed into
// our server so both start from the same nodes).

import {
  encodeMessage,
  type Message,
  MessageDecoder,
  MessageType,
  messageTypeName,
  payloadOf,
  splitPayload,
} from "../../xenstore/wire.ts";
import type { XenstoreTransport } from "../../xenstore/transport.ts";
import type { XenstoreServer } from "../../xenstore/server.ts";

/** The probe script, shared with the C probe (built into the e2e guest's initramfs). */
export const PROBE_SCRIPT = new URL("./guest_rules.xsprobe", import.meta.url);

/** One section of the script: who runs it, and its operation lines. */
export interface ProbeSection {
  who: "dom0" | "guest";
  lines: string[];
}

/** Splits the script into sections (comments and blank lines dropped). */
export function parseProbe(text: string): ProbeSection[] {
  const sections: ProbeSection[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line === "[dom0]" || line === "[guest]") {
      sections.push({ who: line === "[dom0]" ? "dom0" : "guest", lines: [] });
      continue;
    }
    if (sections.length === 0) throw new Error(`probe: an operation before any section: ${line}`);
    sections.at(-1)!.lines.push(line);
  }
  return sections;
}

/** How long `events` waits for more events (the C probe waits as long). */
const EVENTS_WAIT_MS = 500;
/** Values longer than this print as their length. */
const LONG_VALUE = 40;

/** Raw requests and replies over a transport, watch events queued aside. */
class ProbeConnection {
  #transport: XenstoreTransport;
  #decoder = new MessageDecoder();
  #replies: Message[] = [];
  #events: string[] = [];
  #waiting: (() => void) | undefined;
  #reading: Promise<void>;
  #ended = false;
  #reqId = 1;

  constructor(transport: XenstoreTransport) {
    this.#transport = transport;
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const chunk = await this.#transport.read();
        if (chunk === null) break;
        for (const message of this.#decoder.push(chunk)) {
          if (message.type === MessageType.WATCH_EVENT) {
            const [path, token] = splitPayload(message.payload);
            this.#events.push(`${path} ${token}`);
          } else this.#replies.push(message);
          this.#waiting?.();
        }
      }
    } finally {
      this.#ended = true;
      this.#waiting?.();
    }
  }

  async request(type: number, txId: number, parts: string[], raw = false): Promise<Message> {
    const payload = raw ? new TextEncoder().encode(parts.join("\0")) : payloadOf(parts);
    await this.#transport.write(encodeMessage({ type, reqId: this.#reqId++, txId, payload }));
    while (this.#replies.length === 0) {
      if (this.#ended) throw new Error("probe: the connection ended");
      await new Promise<void>((resolve) => this.#waiting = resolve);
      this.#waiting = undefined;
    }
    return this.#replies.shift()!;
  }

  async events(): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, EVENTS_WAIT_MS));
    return this.#events.splice(0);
  }

  async close(): Promise<void> {
    await this.#transport.close();
    await this.#reading.catch(() => {});
  }
}

const decoder = new TextDecoder("latin1");

/** A value as the script writes it: c*N is c N times. */
function value(text: string): string {
  const m = text.match(/^(.)\*(\d+)$/);
  return m ? m[1].repeat(Number(m[2])) : text;
}

/** The result of a reply, as the C probe prints it. */
function result(op: string, reply: Message): string {
  const text = decoder.decode(reply.payload);
  if (reply.type === MessageType.ERROR) return `ERR ${text.replace(/\0$/, "")}`;
  const expected: Record<string, number> = {
    read: MessageType.READ,
    write: MessageType.WRITE,
    mkdir: MessageType.MKDIR,
    rm: MessageType.RM,
    dir: MessageType.DIRECTORY,
    getperms: MessageType.GET_PERMS,
    setperms: MessageType.SET_PERMS,
    watch: MessageType.WATCH,
    unwatch: MessageType.UNWATCH,
    tstart: MessageType.TRANSACTION_START,
    tcommit: MessageType.TRANSACTION_END,
    tabort: MessageType.TRANSACTION_END,
    getdomainpath: MessageType.GET_DOMAIN_PATH,
    introduced: MessageType.IS_DOMAIN_INTRODUCED,
  };
  if (reply.type !== expected[op]) return `?${messageTypeName(reply.type)} ${text}`;
  switch (op) {
    case "read":
      return text.length > LONG_VALUE ? `OK <${text.length} bytes>` : `OK ${text}`;
    case "dir": {
      const names = text.split("\0").filter((n) => n !== "").sort();
      return `OK ${names.length ? names.join(",") : "-"}`;
    }
    case "getperms":
      return `OK ${text.split("\0").filter((n) => n !== "").join(",")}`;
    case "getdomainpath":
    case "introduced":
      return `OK ${text.replace(/\0$/, "")}`;
    default:
      return "OK";
  }
}

/**
 * Runs one section's lines on a connection; returns `<line> -> <result>`
 * lines (the line as the script has it, $G unreplaced). `transactions` maps
 * the script's names to ids (a section's own).
 */
export async function runSection(
  transport: XenstoreTransport,
  lines: readonly string[],
  guest: number,
): Promise<string[]> {
  const conn = new ProbeConnection(transport);
  const transactions = new Map<string, number>();
  const out: string[] = [];
  try {
    for (const line of lines) {
      out.push(`${line} -> ${await step(conn, transactions, line, guest)}`);
    }
  } finally {
    await conn.close();
  }
  return out;
}

async function step(
  conn: ProbeConnection,
  transactions: Map<string, number>,
  line: string,
  guest: number,
): Promise<string> {
  let words = line.replaceAll("$G", String(guest)).split(/\s+/);
  let txId = 0;
  if (words[0].endsWith(":")) {
    const name = words[0].slice(0, -1);
    if (!transactions.has(name)) return "ERR no such transaction";
    txId = transactions.get(name)!;
    words = words.slice(1);
  }
  const [op, ...args] = words;
  const ask = (type: number, parts: string[], raw = false) =>
    conn.request(type, txId, parts, raw).then((reply) => ({ reply, text: result(op, reply) }));
  switch (op) {
    case "read":
      return (await ask(MessageType.READ, [args[0]])).text;
    case "write":
      return (await ask(MessageType.WRITE, [args[0], value(args[1])], true)).text;
    case "mkdir":
      return (await ask(MessageType.MKDIR, [args[0]])).text;
    case "rm":
      return (await ask(MessageType.RM, [args[0]])).text;
    case "dir":
      return (await ask(MessageType.DIRECTORY, [args[0]])).text;
    case "getperms":
      return (await ask(MessageType.GET_PERMS, [args[0]])).text;
    case "setperms":
      return (await ask(MessageType.SET_PERMS, args)).text;
    case "watch":
      return (await ask(MessageType.WATCH, [args[0], args[1]])).text;
    case "unwatch":
      return (await ask(MessageType.UNWATCH, [args[0], args[1]])).text;
    case "getdomainpath":
      return (await ask(MessageType.GET_DOMAIN_PATH, [args[0]])).text;
    case "introduced":
      return (await ask(MessageType.IS_DOMAIN_INTRODUCED, [args[0]])).text;
    case "events": {
      const events = await conn.events();
      return events.length ? events.join("; ") : "none";
    }
    case "tstart": {
      const { reply, text } = await ask(MessageType.TRANSACTION_START, [""]);
      if (reply.type === MessageType.TRANSACTION_START) {
        transactions.set(args[0], Number(decoder.decode(reply.payload).replace(/\0$/, "")));
      }
      return text;
    }
    case "tcommit":
    case "tabort": {
      if (!transactions.has(args[0])) return "ERR no such transaction";
      txId = transactions.get(args[0])!;
      transactions.delete(args[0]);
      return (await ask(MessageType.TRANSACTION_END, [op === "tcommit" ? "T" : "F"])).text;
    }
    case "fill":
    case "filltree": {
      const count = Number(args[1]);
      for (let i = 0; i < count; i++) {
        const path = op === "fill"
          ? `${args[0]}/${i}`
          : `${args[0]}/${Math.floor(i / 100)}/${i % 100}`;
        const reply = await conn.request(MessageType.WRITE, txId, [path, "x"], true);
        if (reply.type === MessageType.ERROR) {
          return `ERR ${decoder.decode(reply.payload).replace(/\0$/, "")} after ${i}`;
        }
      }
      return `OK ${count}`;
    }
    default:
      throw new Error(`probe: unknown operation in ${JSON.stringify(line)}`);
  }
}

/**
 * The lines in the form they are compared in: the guest's domid is `$G`
 * where it is a domain (a path's /local/domain/<id>, a permission entry).
 */
export function canonical(lines: readonly string[], guest: number): string[] {
  const home = new RegExp(`/local/domain/${guest}(?=[/ ;,]|$)`, "g");
  const perm = new RegExp(`(?<=[ ,])([nrwb])${guest}(?=[ ,;]|$)`, "g");
  return lines.map((line) => {
    const at = line.indexOf(" -> ");
    const [op, res] = [line.slice(0, at), line.slice(at)];
    return op + res.replace(home, "/local/domain/$G").replace(perm, "$1$$G");
  });
}

/** One node of a guest's copy: path, value (latin1) and permissions. */
export interface NodeCopy {
  path: string;
  value: string;
  perms: string[];
}

/**
 * Every node the guest owns or that is under its home, walked as dom0 from
 * the root (nodes dom0 cannot list are skipped): what makes our server's
 * guest start with the nodes, and the node count, the real one has.
 */
export async function copyGuestNodes(
  transport: XenstoreTransport,
  guest: number,
): Promise<NodeCopy[]> {
  const conn = new ProbeConnection(transport);
  const home = `/local/domain/${guest}`;
  const nodes: NodeCopy[] = [];
  const walk = async (path: string) => {
    const perms = await conn.request(MessageType.GET_PERMS, 0, [path]);
    if (perms.type === MessageType.ERROR) return;
    const list = splitPayload(perms.payload).filter((p) => p !== "");
    if (path === home || path.startsWith(home + "/") || list[0] === `n${guest}`) {
      const read = await conn.request(MessageType.READ, 0, [path]);
      nodes.push({
        path,
        value: read.type === MessageType.ERROR ? "" : decoder.decode(read.payload),
        perms: list,
      });
    }
    const dir = await conn.request(MessageType.DIRECTORY, 0, [path]);
    if (dir.type === MessageType.ERROR) return;
    for (const name of splitPayload(dir.payload).filter((n) => n !== "")) {
      await walk(path === "/" ? `/${name}` : `${path}/${name}`);
    }
  };
  try {
    await walk("/");
  } finally {
    await conn.close();
  }
  return nodes;
}

/** Writes a copy of a guest's nodes as dom0 (parents first: the walk's order). */
export async function restoreGuestNodes(
  transport: XenstoreTransport,
  nodes: readonly NodeCopy[],
): Promise<void> {
  const conn = new ProbeConnection(transport);
  try {
    for (const node of nodes) {
      for (
        const [type, parts, raw] of [
          [MessageType.WRITE, [node.path, node.value], true],
          [MessageType.SET_PERMS, [node.path, ...node.perms], false],
        ] as const
      ) {
        const reply = await conn.request(type, 0, [...parts], raw);
        if (reply.type === MessageType.ERROR) {
          throw new Error(`restoring ${node.path}: ${decoder.decode(reply.payload)}`);
        }
      }
    }
  } finally {
    await conn.close();
  }
}

/**
 * Runs the whole script against our server: `nodes` (a real guest's copy)
 * restored first, the guest introduced, each section on a new connection
 * (dom0's, or the guest's). Returns the lines, canonical.
 */
export async function runOnServer(
  server: XenstoreServer,
  script: string,
  guest: number,
  nodes: readonly NodeCopy[],
): Promise<string[]> {
  server.introduceDomain(guest);
  await restoreGuestNodes(server.connectTransport(), nodes);
  const lines: string[] = [];
  for (const section of parseProbe(script)) {
    const transport = server.connectTransport({ domid: section.who === "dom0" ? 0 : guest });
    lines.push(...await runSection(transport, section.lines, guest));
  }
  return canonical(lines, guest);
}

/**
 * A difference between the real xenstored's line and ours that is known and
 * explained (docs/e2e.md lists them too): the script's line, each side's
 * result, and why.
 */
export interface AllowedDifference {
  line: string;
  real: string;
  ours: string;
  reason: string;
}

/**
 * The differences between our server and Xen 4.17's C xenstored that the
 * probe finds and that stay, each with its reason. Everything else that
 * differs fails.
 */
export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  {
    line: "setperms /xpv-probe/given n101 r$G",
    real: "ERR ENOENT",
    ours: "ERR EPERM",
    reason: "xenstored asks the hypervisor which domains exist and answers ENOENT, before " +
      "anything else, when the new owner is not one (domain_alloc_permrefs); our server has " +
      "no hypervisor to ask and takes any owner, so the guest's owner change is what it " +
      "refuses (EPERM, as xenstored does for an owner that exists)",
  },
];

/**
 * Compares the real xenstored's lines with ours (both canonical). Returns
 * the problems: lines that differ without an allowed difference, and allowed
 * differences that no longer occur (the list must stay true).
 */
export function compareProbe(
  real: readonly string[],
  ours: readonly string[],
  allowed: readonly AllowedDifference[] = ALLOWED_DIFFERENCES,
): string[] {
  const problems: string[] = [];
  const split = (line: string) => {
    const at = line.indexOf(" -> ");
    return [line.slice(0, at), line.slice(at + 4)];
  };
  if (real.length !== ours.length) {
    problems.push(`the real run printed ${real.length} lines, ours ${ours.length}`);
  }
  const used = new Set<AllowedDifference>();
  for (let i = 0; i < Math.min(real.length, ours.length); i++) {
    const [realLine, realResult] = split(real[i]);
    const [ourLine, ourResult] = split(ours[i]);
    if (realLine !== ourLine) {
      problems.push(`line ${i + 1}: the runs are out of step: ${real[i]} | ${ours[i]}`);
      break;
    }
    if (realResult === ourResult) continue;
    const known = allowed.find((d) =>
      d.line === realLine && d.real === realResult && d.ours === ourResult
    );
    if (known) used.add(known);
    else problems.push(`${realLine}: real xenstored ${realResult}, ours ${ourResult}`);
  }
  for (const d of allowed) {
    if (!used.has(d)) problems.push(`allowed difference no longer seen: ${d.line} (${d.reason})`);
  }
  return problems;
}
