// Addresses and networks as octets: parsing CIDR text, truncating to a prefix, comparing bits.
// Lookups work on Uint8Array (4 or 16 octets) because that is what the wire decoder and ECS give.

import { isIP } from 'node:net';

export type Family = 4 | 6;

/** A network: `bytes` has every bit beyond `prefix` zero. Also a single address (prefix 32 or 128). */
export interface Network {
  readonly bytes: Uint8Array;
  readonly family: Family;
  readonly prefix: number;
}

export const familyBits = (family: Family): number => (family === 4 ? 32 : 128);

export function familyOf(bytes: Uint8Array): Family | null {
  return bytes.length === 4 ? 4 : bytes.length === 16 ? 6 : null;
}

/** Bit `i` of an address, most significant first (bit 0 is the top bit of the first octet). */
export function bitAt(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

/** A copy of `bytes` with every bit beyond `prefix` cleared. */
export function truncate(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const whole = prefix >> 3;
  out.set(bytes.subarray(0, whole));
  if (whole < bytes.length && prefix & 7) out[whole] = bytes[whole]! & (0xff << (8 - (prefix & 7)));
  return out;
}

export function hasHostBits(bytes: Uint8Array, prefix: number): boolean {
  const t = truncate(bytes, prefix);
  return t.some((b, i) => b !== bytes[i]);
}

/** Number of leading bits `a` and `b` share, at most `max`. */
export function commonPrefixLength(a: Uint8Array, b: Uint8Array, max: number): number {
  for (let i = 0; i < max; i++) if (bitAt(a, i) !== bitAt(b, i)) return i;
  return max;
}

/** Dotted quad or RFC 5952 text of an address. */
export function addressText(bytes: Uint8Array): string {
  return bytes.length === 4 ? bytes.join('.') : ipv6Text(bytes);
}

export function networkText(bytes: Uint8Array, prefix: number): string {
  return `${addressText(truncate(bytes, prefix))}/${prefix}`;
}

/**
 * The address as the `maxmind` reader parses it: dotted quad, or all eight IPv6 groups uncompressed
 * (cheaper to build than RFC 5952 text, and its parser needs no '::' handling for it).
 */
export function lookupText(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  let s = '';
  for (let i = 0; i < 16; i += 2) {
    if (i) s += ':';
    s += ((bytes[i]! << 8) | bytes[i + 1]!).toString(16);
  }
  return s;
}

function addressBytes(text: string): Uint8Array | null {
  return ipv4Bytes(text) ?? (text.includes(':') ? ipv6Bytes(text) : null);
}

export type CidrResult = { ok: true; network: Network } | { ok: false; message: string };

/**
 * Strict CIDR for configuration: "10.0.0.0/8", "2001:db8::/32"; a bare address is a host route
 * (/32 or /128). Host bits beyond the prefix are an error that names the intended network.
 */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = addressBytes(addr);
  if (!bytes)
    return { ok: false, message: `not an IPv4 or IPv6 network (e.g. 10.0.0.0/8): "${text}"` };
  const family: Family = bytes.length === 4 ? 4 : 6;
  const bits = familyBits(family);
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > bits)
      return { ok: false, message: `prefix length must be 0-${bits}, got "${p}" in "${text}"` };
    prefix = Number(p);
  }
  if (hasHostBits(bytes, prefix))
    return {
      ok: false,
      message: `host bits set in "${text}": the network is ${networkText(bytes, prefix)}`,
    };
  return { ok: true, network: { bytes, family, prefix } };
}

/**
 * A client address or network as typed for explain: "198.51.100.7", "198.51.100.0/24",
 * "2001:db8::/56". Lenient where configuration is strict: host bits beyond the prefix are
 * cleared ("198.51.100.7/24" is the /24 holding that address). Null when it is not an address.
 */
export function parseClientAddress(text: string): Network | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const bytes = addressBytes(slash < 0 ? t : t.slice(0, slash));
  if (!bytes) return null;
  const family: Family = bytes.length === 4 ? 4 : 6;
  const bits = familyBits(family);
  let prefix = bits;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > bits) return null;
    prefix = Number(p);
  }
  return { bytes: truncate(bytes, prefix), family, prefix };
}

/** RFC 4291 2.5.5.2: ::ffff:0:0/96 carries an IPv4 address in its last 32 bits. */
export function isIpv4Mapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16 || bytes[10] !== 0xff || bytes[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return true;
}

export function ipv4Bytes(s: string): Uint8Array | null {
  if (isIP(s) !== 4) return null;
  return Uint8Array.from(s.split('.').map(Number));
}

export function ipv6Bytes(s: string): Uint8Array | null {
  if (isIP(s) !== 6 || s.includes('%')) return null;
  let head = s;
  let tail4: number[] = [];
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    head = m[1]!.endsWith('::') ? m[1]! : m[1]!.slice(0, -1);
    tail4 = m[2]!.split('.').map(Number);
  }
  const groupsNeeded = tail4.length ? 6 : 8;
  const [l, r] = head.includes('::') ? head.split('::') : [head, undefined];
  const left = l ? l.split(':').filter((x) => x !== '') : [];
  const right = r !== undefined && r !== '' ? r.split(':').filter((x) => x !== '') : [];
  const fill = r !== undefined ? groupsNeeded - left.length - right.length : 0;
  const groups = [...left, ...Array(fill).fill('0'), ...right].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  tail4.forEach((b, i) => (out[12 + i] = b));
  return out;
}

/** Canonical text of an IPv6 address (RFC 5952) from 16 octets. */
export function ipv6Text(b: Uint8Array): string {
  // RFC 5952 5: IPv4-mapped addresses keep the dotted quad.
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
