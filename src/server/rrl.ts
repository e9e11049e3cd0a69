// Response rate limiting (RRL), as operators know it from BIND's rate-limit and Knot's mod-rrl:
// responses to one client network, of one class, for one name, are limited to a rate; past it,
// every `slip`-th response goes out truncated (TC=1, no records) so a real resolver retries over
// TCP, and the rest are dropped, so a spoofed flood cannot use the server as an amplifier.
import { ipv4Bytes, ipv6Bytes } from '../base/address.js';

/** What kind of response is limited; each has its own buckets (and its own metrics). */
export const RrlClass = { Answer: 0, Nxdomain: 1, Nodata: 2, Referral: 3, Error: 4 } as const;
export type RrlClass = (typeof RrlClass)[keyof typeof RrlClass];
export const RRL_CLASS_NAMES = ['answer', 'nxdomain', 'nodata', 'referral', 'error'] as const;

/** The verdict for one response. */
export const RrlAction = { Send: 0, Drop: 1, Slip: 2 } as const;
export type RrlAction = (typeof RrlAction)[keyof typeof RrlAction];

export interface Prefix {
  bytes: Uint8Array;
  length: number;
}

export interface RrlOptions {
  /** Responses per second allowed per bucket (network, class, name). */
  responsesPerSecond: number;
  /**
   * Seconds of excess a bucket remembers (BIND's window): a network over the limit for that long
   * stays limited until its average over the window falls back under the rate.
   */
  window: number;
  /** Every slip-th limited response is sent truncated; 0 drops them all, 1 truncates them all. */
  slip: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Buckets in the table (rounded up to a power of two): memory is fixed, 32 octets each. */
  tableSize: number;
  /** Networks never limited. */
  allow: Prefix[];
  /** Count and log what would be limited, but send every response (a dry run). */
  logOnly: boolean;
}

/** Called at most once per client network and window while it is being limited. */
export type RrlLog = (e: { network: string; class: string; action: 'limiting' }) => void;

const PROBES = 4;
const LOG_SLOTS = 4096;
const NET_CACHE_LIMIT = 10_000;

/** FNV-1a over a string's UTF-16 units: how the handler keys a name (case-folded) cheaply. */
export function nameHash(folded: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < folded.length; i++) h = Math.imul(h ^ folded.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

interface Network {
  hash: number;
  text: string;
  allowed: boolean;
}

/**
 * The bucket table: a fixed array, open addressing over PROBES slots, the stalest slot evicted
 * when all are taken (as Knot's table does), so a flood of random sources cannot grow memory.
 */
export class RateLimiter {
  readonly opts: RrlOptions;
  /** Responses dropped and slipped (or, log-only, that would have been), by class. */
  readonly dropped = new Float64Array(RRL_CLASS_NAMES.length);
  readonly slipped = new Float64Array(RRL_CLASS_NAMES.length);
  onLimit: RrlLog | null = null;
  private readonly mask: number;
  private readonly keys: Uint32Array;
  /** Balance of responses left, refilled each second; negative while limited. */
  private readonly tokens: Float64Array;
  /** Second the balance was last refilled; 0 for an empty slot. */
  private readonly stamps: Float64Array;
  private readonly limited: Uint32Array;
  /**
   * Second of the last log line per client network (by its hash, LOG_SLOTS of them): one line
   * per network and window however many buckets it fills; a collision only skips a line.
   */
  private readonly logged = new Float64Array(LOG_SLOTS);
  private readonly networks = new Map<string, Network>();
  private readonly now: () => number;

  constructor(opts: RrlOptions, now: () => number = Date.now) {
    this.opts = opts;
    this.now = now;
    let size = 1;
    while (size < opts.tableSize) size *= 2;
    this.mask = size - 1;
    this.keys = new Uint32Array(size);
    this.tokens = new Float64Array(size);
    this.stamps = new Float64Array(size);
    this.limited = new Uint32Array(size);
  }

  /** The action for a UDP response of `cls` keyed on `name` (nameHash) to `address`. */
  check(address: string, cls: RrlClass, name: number): RrlAction {
    const net = this.network(address);
    if (net.allowed) return RrlAction.Send;
    const key = (Math.imul(net.hash ^ name, 0x9e3779b1) ^ (cls * 0x85ebca6b)) >>> 0 || 1;
    const i = this.slot(key);
    const o = this.opts;
    const sec = Math.floor(this.now() / 1000) + 1; // +1: a stamp of 0 marks an empty slot
    const rate = o.responsesPerSecond;
    if (this.keys[i] !== key || this.stamps[i] === 0) {
      this.keys[i] = key;
      this.tokens[i] = rate;
      this.limited[i] = 0;
    } else if (this.stamps[i]! < sec) {
      // Refill for the seconds gone by, capped at one second's worth; debt is capped by the window.
      this.tokens[i] = Math.min(rate, this.tokens[i]! + rate * (sec - this.stamps[i]!));
    }
    this.stamps[i] = sec;
    const t = this.tokens[i]! - 1;
    this.tokens[i] = Math.max(t, -rate * (o.window - 1));
    // The slip count runs on across refills, so every slip-th limited response of the bucket
    // is truncated however the flood straddles seconds.
    if (t >= 0) return RrlAction.Send;
    const n = ++this.limited[i]!;
    const slot = net.hash & (LOG_SLOTS - 1);
    if (this.onLimit && sec - this.logged[slot]! >= o.window) {
      this.logged[slot] = sec;
      this.onLimit({ network: net.text, class: RRL_CLASS_NAMES[cls]!, action: 'limiting' });
    }
    const slip = o.slip > 0 && n % o.slip === 0;
    if (slip) this.slipped[cls]!++;
    else this.dropped[cls]!++;
    if (o.logOnly) return RrlAction.Send;
    return slip ? RrlAction.Slip : RrlAction.Drop;
  }

  private slot(key: number): number {
    const base = key & this.mask;
    let stalest = base;
    for (let p = 0; p < PROBES; p++) {
      const i = (base + p) & this.mask;
      if (this.keys[i] === key || this.stamps[i] === 0) return i;
      if (this.stamps[i]! < this.stamps[stalest]!) stalest = i;
    }
    return stalest;
  }

  /** The client's network (/24, /56 by default) as a hash and as text, cached by address. */
  private network(address: string): Network {
    let n = this.networks.get(address);
    if (n) return n;
    const v4 = ipv4Bytes(address);
    const bytes = v4 ?? ipv6Bytes(address) ?? new Uint8Array(4);
    const allowed = this.opts.allow.some((p) => within(bytes, p));
    const prefix = bytes.length === 4 ? this.opts.ipv4Prefix : this.opts.ipv6Prefix;
    const net = Uint8Array.from(bytes);
    for (let bit = prefix; bit < net.length * 8; bit++) net[bit >> 3]! &= ~(0x80 >> (bit & 7));
    let h = 0x811c9dc5 ^ net.length;
    for (const b of net) h = Math.imul(h ^ b, 0x01000193);
    n = { hash: h >>> 0, text: `${networkText(net)}/${prefix}`, allowed };
    if (this.networks.size >= NET_CACHE_LIMIT) this.networks.clear();
    this.networks.set(address, n);
    return n;
  }
}

/** Whether `address` is inside the prefix (same family). */
export function within(address: Uint8Array, p: Prefix): boolean {
  if (address.length !== p.bytes.length) return false;
  for (let bit = 0; bit < p.length; bit += 8) {
    const bits = Math.min(8, p.length - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((address[bit >> 3]! & mask) !== (p.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** "192.0.2.0/24", "2001:db8::/32" into a Prefix, or null when it is not one. */
export function parsePrefix(text: string): Prefix | null {
  const [addr, len, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return null;
  const bytes = ipv4Bytes(addr) ?? ipv6Bytes(addr);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (len !== undefined && !/^[0-9]{1,3}$/.test(len)) return null;
  const length = len === undefined ? max : Number(len);
  return length <= max ? { bytes, length } : null;
}

function networkText(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return words.join(':');
}
