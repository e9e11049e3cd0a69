// DNS Cookies (RFC 7873) with interoperable server cookies (RFC 9018): every instance that shares
// the secret makes and accepts the same cookies, so an anycast fleet behind one address works.
import { randomBytes } from 'node:crypto';
import { siphash24 } from '../wire/siphash.js';
import { ipv4Bytes, ipv6Bytes } from '../base/address.js';

/** RFC 7873 4: an 8-octet client cookie, then a server cookie of 8 to 32 octets, or none. */
export function cookieLengthValid(len: number): boolean {
  return len === 8 || (len >= 16 && len <= 40);
}

/** What a query's COOKIE option says about its sender (RFC 7873 5.2). */
export const CookieVerdict = {
  /** 5.2.3: a client cookie only. */
  ClientOnly: 0,
  /** 5.2.5: a server cookie we made for this client and client cookie, within its lifetime. */
  Valid: 1,
  /** 5.2.4: a server cookie we cannot verify (another secret, too old, another client). */
  Invalid: 2,
} as const;
export type CookieVerdict = (typeof CookieVerdict)[keyof typeof CookieVerdict];
export const COOKIE_VERDICT_NAMES = ['client_only', 'valid', 'invalid'] as const;

export interface CookieOptions {
  /** 16 octets shared by every instance; null: a random secret made at start (one instance only). */
  secret: Uint8Array | null;
  /** The secret before the last roll: its cookies are still accepted, and replaced (RFC 9018 4.4). */
  previous: Uint8Array | null;
  /**
   * Over UDP, answer a query whose COOKIE has no valid server cookie with BADCOOKIE and a fresh
   * cookie instead of the answer (RFC 7873 5.2.3 option 2, Knot's mod-cookies default); false:
   * answer it normally with a fresh cookie (option 3, BIND's default), RRL still applies.
   */
  require: boolean;
  /** Milliseconds since the epoch (injected so tests can move time). */
  now?: () => number;
}

/** RFC 9018 4.3: a server cookie older than an hour, or five minutes in the future, is not valid. */
const MAX_AGE_S = 3600;
const MAX_FUTURE_S = 300;
/** RFC 9018 4.3: a valid cookie older than half an hour is replaced by a new one. */
const REISSUE_AGE_S = 1800;
const ADDRESS_CACHE_LIMIT = 10_000;
/**
 * Server cookies made lately, by client cookie and address: a resolver keeps its client cookie
 * for a server (RFC 9018 4.1), so the cookie made for its last query serves the next ones
 * (RFC 9018 4.3 lets a server hand out one it made before) and verifies the one it presents,
 * without a SipHash per query. A fixed table; a collision only costs a hash.
 */
const ISSUED_SLOTS = 4096;
/** How long a cookie made for a client is handed out again. */
const REUSE_ISSUED_S = 300;
/** Per slot: client cookie (8), server cookie (16), address (16). */
const ISSUED_ENTRY = 40;

/** Octets of the COOKIE option data in a reply: client cookie and a 16-octet server cookie. */
export const COOKIE_REPLY_LEN = 24;

export class Cookies {
  readonly require: boolean;
  private readonly secret: Uint8Array;
  private readonly previous: Uint8Array | null;
  private readonly now: () => number;
  /** SipHash input: client cookie | version | reserved | timestamp | client IP (RFC 9018 4.4). */
  private readonly input = new Uint8Array(8 + 1 + 3 + 4 + 16);
  private readonly hash = new Uint8Array(8);
  private readonly addresses = new Map<string, Uint8Array>();
  /** Queries judged, by verdict (COOKIE_VERDICT_NAMES), and BADCOOKIE replies sent: metrics. */
  readonly verdicts = new Float64Array(3);
  badcookies = 0;
  private readonly issued = new Uint8Array(ISSUED_SLOTS * ISSUED_ENTRY);
  /** Address length of each slot's entry; 0: empty. */
  private readonly issuedIpLen = new Uint8Array(ISSUED_SLOTS);
  private readonly issuedAt = new Float64Array(ISSUED_SLOTS);
  /** Set by check(): the presented server cookie may be echoed as it is (valid, recent, current secret). */
  reusable = false;

  constructor(opts: CookieOptions) {
    this.secret = opts.secret ?? randomBytes(16);
    this.previous = opts.previous;
    this.require = opts.require;
    this.now = opts.now ?? Date.now;
  }

  /** The client's address as octets (4 or 16), cached: the same resolvers ask again and again. */
  address(text: string): Uint8Array {
    let a = this.addresses.get(text);
    if (!a) {
      a = ipv4Bytes(text) ?? ipv6Bytes(text) ?? new Uint8Array(4);
      if (this.addresses.size >= ADDRESS_CACHE_LIMIT) this.addresses.clear();
      this.addresses.set(text, a);
    }
    return a;
  }

  /** Judge the COOKIE option data msg[at, at + len) (len passed cookieLengthValid) from `ip`. */
  check(msg: Uint8Array, at: number, len: number, ip: Uint8Array): CookieVerdict {
    const v = this.verdict(msg, at, len, ip);
    this.verdicts[v]!++;
    return v;
  }

  private verdict(msg: Uint8Array, at: number, len: number, ip: Uint8Array): CookieVerdict {
    this.reusable = false;
    if (len === 8) return CookieVerdict.ClientOnly;
    // Only version 1 server cookies of 16 octets are ours (RFC 9018 4.2).
    if (len !== 24 || msg[at + 8] !== 1) return CookieVerdict.Invalid;
    const ts =
      ((msg[at + 12]! << 24) | (msg[at + 13]! << 16) | (msg[at + 14]! << 8) | msg[at + 15]!) >>> 0;
    // Serial number arithmetic (RFC 1982), as RFC 9018 4.3 asks: the timestamp wraps in 2106.
    const age = (this.seconds() - ts) | 0;
    if (age > MAX_AGE_S || age < -MAX_FUTURE_S) return CookieVerdict.Invalid;
    // Made by us lately for this client cookie and address: valid without hashing.
    const slot = this.slot(msg, at, ip);
    if (this.known(slot, msg, at, ip)) {
      let same = true;
      for (let i = 8; i < 24 && same; i++)
        same = this.issued[slot * ISSUED_ENTRY + i] === msg[at + i];
      if (same) {
        this.reusable = age <= REISSUE_AGE_S;
        return CookieVerdict.Valid;
      }
    }
    const input = this.input;
    // Copied octet by octet: a subarray per query is an allocation on the hot path.
    for (let i = 0; i < 16; i++) input[i] = msg[at + i]!;
    for (let i = 0; i < ip.length; i++) input[16 + i] = ip[i]!;
    const n = 16 + ip.length;
    if (this.matches(this.secret, msg, at, n)) {
      this.reusable = age <= REISSUE_AGE_S && msg[at + 9] === 0 && msg[at + 10] === 0;
      this.reusable &&= msg[at + 11] === 0;
      return CookieVerdict.Valid;
    }
    if (this.previous && this.matches(this.previous, msg, at, n)) return CookieVerdict.Valid;
    return CookieVerdict.Invalid;
  }

  private matches(key: Uint8Array, msg: Uint8Array, at: number, n: number): boolean {
    siphash24(key, this.input, n, this.hash, 0);
    for (let i = 0; i < 8; i++) if (this.hash[i] !== msg[at + 16 + i]) return false;
    return true;
  }

  /**
   * Write the reply's COOKIE option data (24 octets) at out[to]: the client cookie from
   * msg[at, at + 8), then the presented server cookie when check() found it reusable, else a
   * new one made now with the current secret.
   */
  write(out: Uint8Array, to: number, msg: Uint8Array, at: number, ip: Uint8Array): void {
    if (this.reusable) {
      for (let i = 0; i < 24; i++) out[to + i] = msg[at + i]!;
      return;
    }
    const now = this.seconds();
    const slot = this.slot(msg, at, ip);
    const e = slot * ISSUED_ENTRY;
    const age = now - this.issuedAt[slot]!;
    if (age >= 0 && age < REUSE_ISSUED_S && this.known(slot, msg, at, ip)) {
      for (let i = 0; i < 24; i++) out[to + i] = this.issued[e + i]!;
      return;
    }
    this.make(out, to, msg, at, ip, now);
    for (let i = 0; i < 24; i++) this.issued[e + i] = out[to + i]!;
    for (let i = 0; i < ip.length; i++) this.issued[e + 24 + i] = ip[i]!;
    this.issuedIpLen[slot] = ip.length;
    this.issuedAt[slot] = now;
  }

  /** The table slot for the client cookie at msg[at, at + 8) from `ip` (FNV-1a). */
  private slot(msg: Uint8Array, at: number, ip: Uint8Array): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < 8; i++) h = Math.imul(h ^ msg[at + i]!, 0x01000193);
    for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip[i]!, 0x01000193);
    return (h >>> 0) & (ISSUED_SLOTS - 1);
  }

  /** Whether the slot holds a cookie made for this client cookie and address. */
  private known(slot: number, msg: Uint8Array, at: number, ip: Uint8Array): boolean {
    if (this.issuedIpLen[slot] !== ip.length) return false;
    const e = slot * ISSUED_ENTRY;
    for (let i = 0; i < 8; i++) if (this.issued[e + i] !== msg[at + i]) return false;
    for (let i = 0; i < ip.length; i++) if (this.issued[e + 24 + i] !== ip[i]) return false;
    return true;
  }

  /**
   * The client cookie at client[from, from + 8) and our server cookie for it (RFC 9018 4.2),
   * `ts` seconds since the epoch, written to out[to, to + 24).
   */
  make(
    out: Uint8Array,
    to: number,
    client: Uint8Array,
    from: number,
    ip: Uint8Array,
    ts: number,
  ): void {
    const input = this.input;
    for (let i = 0; i < 8; i++) input[i] = client[from + i]!;
    input[8] = 1; // version
    input[9] = input[10] = input[11] = 0; // reserved
    input[12] = (ts >>> 24) & 0xff;
    input[13] = (ts >>> 16) & 0xff;
    input[14] = (ts >>> 8) & 0xff;
    input[15] = ts & 0xff;
    for (let i = 0; i < ip.length; i++) input[16 + i] = ip[i]!;
    for (let i = 0; i < 16; i++) out[to + i] = input[i]!;
    siphash24(this.secret, input, 16 + ip.length, out, to + 16);
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000) >>> 0;
  }
}
