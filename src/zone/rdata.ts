import { Type } from '../wire/constants.js';
import type { RData } from '../wire/rr.js';
import { resolveName } from '../wire/names.js';
import { ipv4Bytes, ipv6Bytes, ipv6Text } from '../base/address.js';

export type RDataResult = { ok: true; rdata: RData } | { ok: false; message: string };

function int(s: string | undefined, max: number): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

/** Split a TXT value into character-strings of at most 255 octets (RFC 1035 3.3.14, RFC 7208 3.3). */
export function txtChunks(value: string): Uint8Array[] {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0) return [new Uint8Array(0)];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(Uint8Array.from(bytes.subarray(i, i + 255)));
  return out;
}

/** Parse one value of a static record type from its zone-file text. */
export function parseRData(type: number, value: unknown, origin: string): RDataResult {
  const text =
    typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : null;
  if (text === null)
    return { ok: false, message: `must be a string, got ${JSON.stringify(value)}` };
  // Target names inside MX and SRV: a bad one is reported with the reason, not just the syntax.
  let nameProblem = '';
  const name = (t: string | undefined): string | null => {
    if (t === undefined) return null;
    const r = resolveName(t, origin);
    if (!r.ok) nameProblem = `: ${r.message}`;
    return r.ok ? r.name : null;
  };
  switch (type) {
    case Type.A: {
      const bytes = packed(ipv4Bytes(text));
      return bytes
        ? { ok: true, rdata: { kind: 'a', address: text, bytes } }
        : { ok: false, message: `not an IPv4 address: "${text}"` };
    }
    case Type.AAAA: {
      const bytes = packed(ipv6Bytes(text));
      return bytes
        ? { ok: true, rdata: { kind: 'aaaa', address: ipv6Text(bytes), bytes } }
        : { ok: false, message: `not an IPv6 address: "${text}"` };
    }
    case Type.CNAME:
    case Type.NS:
    case Type.PTR: {
      const r = resolveName(text, origin);
      return r.ok ? { ok: true, rdata: { kind: 'name', name: r.name } } : r;
    }
    case Type.MX: {
      const [p, ex, ...rest] = text.split(/\s+/);
      const preference = int(p, 65535);
      const exchange = name(ex);
      if (preference === null || exchange === null || rest.length)
        return {
          ok: false,
          message: `MX must be "PREFERENCE EXCHANGE" (e.g. "10 mail.example.com."), got "${text}"${nameProblem}`,
        };
      return { ok: true, rdata: { kind: 'mx', preference, exchange } };
    }
    case Type.SRV: {
      const [pr, we, po, ta, ...rest] = text.split(/\s+/);
      const priority = int(pr, 65535);
      const weight = int(we, 65535);
      const port = int(po, 65535);
      const target = ta === '.' ? '' : name(ta);
      if (priority === null || weight === null || port === null || target === null || rest.length) {
        return {
          ok: false,
          message: `SRV must be "PRIORITY WEIGHT PORT TARGET" (e.g. "10 60 5060 sip.example.com."), got "${text}"${nameProblem}`,
        };
      }
      return { ok: true, rdata: { kind: 'srv', priority, weight, port, target } };
    }
    case Type.TXT:
      return { ok: true, rdata: { kind: 'txt', strings: txtChunks(text) } };
    case Type.CAA: {
      // RFC 8659 4.1: flags tag "value"
      const m = /^(\d+)\s+([A-Za-z0-9]+)\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(text);
      const flags = m ? int(m[1], 255) : null;
      if (!m || flags === null || m[2]!.length > 15)
        return {
          ok: false,
          message: `CAA must be 'FLAGS TAG "VALUE"' (e.g. '0 issue "letsencrypt.org"'), got "${text}"`,
        };
      const raw = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!;
      return {
        ok: true,
        rdata: { kind: 'caa', flags, tag: m[2]!.toLowerCase(), value: Buffer.from(raw, 'utf8') },
      };
    }
  }
  return { ok: false, message: 'unsupported record type' };
}

/**
 * Address octets as a view into a shared slab: a Uint8Array of its own carries an ArrayBuffer of
 * its own, about 190 octets of heap for 4 octets of address, 19 MB in a 100,000-record zone.
 */
let slab = new Uint8Array(0);
let slabUsed = 0;
function packed(bytes: Uint8Array | null): Uint8Array | null {
  if (!bytes) return null;
  if (slabUsed + bytes.length > slab.length) {
    slab = new Uint8Array(16384);
    slabUsed = 0;
  }
  const view = slab.subarray(slabUsed, slabUsed + bytes.length);
  view.set(bytes);
  slabUsed += bytes.length;
  return view;
}
