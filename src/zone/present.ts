import { typeName } from '../wire/constants.js';
import type { RData, RRset } from '../wire/rr.js';

/** Absolute name with its trailing dot, as master files write it. */
export function fqdn(name: string): string {
  return `${name}.`;
}

function quote(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\' + String(b).padStart(3, '0');
  }
  return s + '"';
}

/** RDATA in RFC 1035 5.1 presentation form. */
export function rdataText(r: RData): string {
  switch (r.kind) {
    case 'a':
    case 'aaaa':
      return r.address;
    case 'name':
      return fqdn(r.name);
    case 'mx':
      return `${r.preference} ${fqdn(r.exchange)}`;
    case 'srv':
      return `${r.priority} ${r.weight} ${r.port} ${fqdn(r.target)}`;
    case 'soa':
      return `${fqdn(r.mname)} ${fqdn(r.rname)} ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minimum}`;
    case 'txt':
      return r.strings.map(quote).join(' ');
    case 'caa':
      return `${r.flags} ${r.tag} ${quote(r.value)}`;
    case 'opaque':
      // RFC 3597 5: the generic form, for RDATA only the signer produces (never in a zone file).
      return `\\# ${r.bytes.length} ${Buffer.from(r.bytes).toString('hex')}`;
  }
}

export function rrsetLines(set: RRset): string[] {
  return set.rdata.map(
    (r) => `${fqdn(set.name)}\t${set.ttl}\tIN\t${typeName(set.type)}\t${rdataText(r)}`,
  );
}
