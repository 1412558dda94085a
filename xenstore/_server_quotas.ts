// Copyright 2026 the xenpv authors. MIT license.
// The in-memory server's per-domain quotas: the limits (global, and per
// domain as SET_QUOTA sets them), the check every limit shares, and the
// GET_QUOTA / SET_QUOTA / `CONTROL quota` requests. Which errno a limit
// answers with is decided where it is checked (as xenstored does: ENOSPC,
// ENOMEM or E2BIG).

import { parseDomid, Refusal } from "./_server_refusal.ts";
import { payloadOf } from "./wire.ts";

/**
 * Per-domain limits, named as xenstored's GET_QUOTA names them. 0 disables a
 * check. dom0 (privileged) connections are exempt, as in xenstored.
 */
export interface XenstoreQuotas {
  /** Nodes a domain may own. */
  nodes: number;
  /** Watches one connection may hold. */
  watches: number;
  /**
   * Transactions one connection may have open; as in Xen 4.17's xenstored,
   * which checks before counting the new one, one more than this opens.
   */
  transactions: number;
  /**
   * Largest node record, in bytes, as xenstored measures it: a 24-byte
   * header, 8 bytes a permission entry, the value, the children's names
   * with their NULs. A write that makes a record this size or larger (the
   * node's, or its parent's as it gains a child) is ENOSPC.
   */
  "node-size": number;
  /** Entries in one node's permission list, the owner's included. */
  permissions: number;
  /** Nodes one transaction may read or write (each distinct path counts once). */
  "transaction-nodes": number;
  /** Bytes one connection's open transactions may hold (paths and values kept). */
  memory: number;
}

/** The defaults of Xen 4.17's C xenstored. */
export const DEFAULT_QUOTAS: Readonly<XenstoreQuotas> = Object.freeze({
  nodes: 1000,
  watches: 128,
  transactions: 10,
  "node-size": 2048,
  permissions: 5,
  "transaction-nodes": 1024,
  memory: 2.5 * 1024 * 1024,
});

/** The limits a server enforces: global values and per-domain overrides. */
export class Quotas {
  #global: XenstoreQuotas;
  #domains = new Map<number, Partial<XenstoreQuotas>>();

  constructor(overrides: Partial<XenstoreQuotas> | undefined) {
    this.#global = { ...DEFAULT_QUOTAS, ...overrides };
  }

  /** The limit `name` of a domain (its own, else the global one); 0 is none. */
  of(domid: number, name: keyof XenstoreQuotas): number {
    return this.#domains.get(domid)?.[name] ?? this.#global[name];
  }

  /**
   * Whether `count` is past a domain's limit `name`. dom0 is exempt, and a
   * limit of 0 is no limit.
   */
  exceeded(domid: number, name: keyof XenstoreQuotas, count: number): boolean {
    if (domid === 0) return false;
    const limit = this.of(domid, name);
    return limit > 0 && count > limit;
  }

  /**
   * Whether a domain that holds `held` of `name` has no room for one more.
   * dom0 is exempt, and a limit of 0 is no limit.
   */
  full(domid: number, name: keyof XenstoreQuotas, held: number): boolean {
    if (domid === 0) return false;
    const limit = this.of(domid, name);
    return limit > 0 && held >= limit;
  }

  /** `CONTROL quota`: the global limits, one `name: value` line each. */
  report(): Uint8Array {
    const lines = Object.entries(this.#global).map(([k, v]) => `${k}: ${v}`);
    return payloadOf([lines.join("\n") + "\n"]);
  }

  /** GET_QUOTA: the names (no argument), or `[name]` or `[domid, name]`'s value. */
  get(parts: string[]): Uint8Array {
    if (parts.length === 0) return payloadOf([Object.keys(DEFAULT_QUOTAS).join(" ")]);
    const [name, domid] = parts.length === 2 ? [parts[1], parseDomid(parts[0])] : [parts[0]];
    if (!(name in DEFAULT_QUOTAS)) throw new Refusal("EINVAL");
    const key = name as keyof XenstoreQuotas;
    const value = domid === undefined ? this.#global[key] : this.of(domid, key);
    return payloadOf([String(value)]);
  }

  /** SET_QUOTA: `[name, value]` globally, or `[domid, name, value]` for one domain. */
  set(parts: string[]): void {
    const [name, valueText, domid] = parts.length === 3
      ? [parts[1], parts[2], parseDomid(parts[0])]
      : [parts[0], parts[1]];
    if (!(name in DEFAULT_QUOTAS) || !/^[0-9]+$/.test(valueText)) throw new Refusal("EINVAL");
    const key = name as keyof XenstoreQuotas;
    const value = Number(valueText);
    if (value > 0xffffffff) throw new Refusal("EINVAL");
    if (domid === undefined) this.#global[key] = value;
    else this.#domains.set(domid, { ...this.#domains.get(domid), [key]: value });
  }
}
