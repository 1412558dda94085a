// Copyright 2026 the xenpv authors. MIT license.
// Who a request is: the token's holder, or a user an authenticating reverse
// proxy named in a header (trusted from the listed proxy addresses only), and
// the role that identity has (operators type; everyone else views).

import type { Role } from "./types.ts";

/** The identity of whoever presents the server's token (one secret: one principal). */
export const TOKEN_USER = "token";

/**
 * What a user name from a proxy may be: 1-128 printable ASCII characters
 * without spaces, quotes or commas (`--operators` is a comma-separated list).
 */
export const USER_SYNTAX = /^[!#-+\--~]{1,128}$/;

/** What a header name may be (RFC 9110's token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/** An IPv4 address in dotted quads, or an IPv6 address (as a client's address is written). */
const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/;

/** A peer's address as written in a list: lowercase, an IPv4-mapped IPv6 address as IPv4. */
export function normalAddress(address: string): string {
  const lower = address.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped ? mapped[1] : lower;
}

/** How requests are identified: the checked `authHeader`, `trustedProxies`, `operators`. */
export interface IdentityPolicy {
  /** The header an authenticating proxy names its user in (lowercase), if any. */
  authHeader: string | undefined;
  /** The proxies' addresses, normalised. */
  trustedProxies: ReadonlySet<string>;
  /** Who may type; undefined: everyone. */
  operators: ReadonlySet<string> | undefined;
}

/**
 * The options about identities checked.
 *
 * @throws {TypeError} a bad header name, proxy address or user name; a header
 * without proxies, or proxies without a header.
 */
export function identityPolicy(options: {
  authHeader?: string;
  trustedProxies?: readonly string[];
  operators?: readonly string[];
}): IdentityPolicy {
  const { authHeader, trustedProxies = [], operators } = options;
  if (
    authHeader !== undefined && (typeof authHeader !== "string" || !HEADER_NAME.test(authHeader))
  ) {
    throw new TypeError(`authHeader must be a header name (like X-Remote-User), got ${authHeader}`);
  }
  if (!Array.isArray(trustedProxies)) {
    throw new TypeError("trustedProxies must be a list of addresses");
  }
  for (const address of trustedProxies) {
    if (typeof address !== "string" || !ADDRESS.test(address.replace(/^\[(.*)\]$/, "$1"))) {
      throw new TypeError(
        `trustedProxies: ${address} is not an IP address (names are not trusted)`,
      );
    }
  }
  if ((authHeader === undefined) !== (trustedProxies.length === 0)) {
    throw new TypeError(
      "authHeader and trustedProxies go together: the header is trusted from those addresses only",
    );
  }
  if (operators !== undefined) {
    if (!Array.isArray(operators)) throw new TypeError("operators must be a list of user names");
    for (const user of operators) {
      if (typeof user !== "string" || !USER_SYNTAX.test(user)) {
        throw new TypeError(
          `operators: ${user} is not a user name (printable ASCII, no spaces, quotes or commas)`,
        );
      }
    }
  }
  return {
    authHeader: authHeader?.toLowerCase(),
    trustedProxies: new Set(trustedProxies.map(normalAddress)),
    operators: operators === undefined ? undefined : new Set(operators),
  };
}

/** The role `user` has under `policy`: an operator if listed (or if no list was given). */
export function roleOf(policy: IdentityPolicy, user: string): Role {
  return policy.operators === undefined || policy.operators.has(user) ? "operator" : "viewer";
}

/** The WebSocket subprotocol the page asks for (and the server answers with). */
export const SUBPROTOCOL = "xenpv";
/** The prefix of the subprotocol that carries the token (base64url): a browser cannot send headers. */
export const TOKEN_SUBPROTOCOL = "xenpv.token.";

/** The token a WebSocket handshake carries in `Sec-WebSocket-Protocol`, if any. */
export function subprotocolToken(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(",")) {
    const offer = part.trim();
    if (!offer.startsWith(TOKEN_SUBPROTOCOL)) continue;
    const b64 = offer.slice(TOKEN_SUBPROTOCOL.length).replaceAll("-", "+").replaceAll("_", "/");
    try {
      return atob(b64);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Whether a WebSocket handshake offers the page's subprotocol (then the answer must name it). */
export function offersSubprotocol(header: string | null): boolean {
  return header?.split(",").some((p) => p.trim() === SUBPROTOCOL) ?? false;
}
