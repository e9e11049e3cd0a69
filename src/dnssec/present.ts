// Master-file (presentation) form of DNSSEC records (RFC 4034 2.2, 3.2, 4.2, 5.3) and of the
// timestamps BIND's key files and RRSIGs use.
import { typeName } from '../wire/constants.js';
import { DnssecType, type DnssecRData, isDnssecRData, type SignableRRset } from './records.js';

const DNSSEC_TYPE_NAMES = new Map<number, string>([
  [DnssecType.DS, 'DS'],
  [DnssecType.RRSIG, 'RRSIG'],
  [DnssecType.NSEC, 'NSEC'],
  [DnssecType.DNSKEY, 'DNSKEY'],
]);

/**
 * Type mnemonic, falling back to RFC 3597 5's TYPEnnn. NXNAME (128) is written TYPE128, which
 * every master-file parser reads, including those older than RFC 9824.
 */
export function dnssecTypeName(type: number): string {
  return DNSSEC_TYPE_NAMES.get(type) ?? typeName(type);
}

/** YYYYMMDDHHmmSS in UTC (RFC 4034 3.2; BIND's timing metadata uses the same form). */
export function formatTimestamp(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Parse YYYYMMDDHHmmSS (UTC) into seconds since the epoch, or null if it is not one. */
export function parseTimestamp(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return null;
  return ms / 1000;
}

/**
 * RFC 4034 3.1.5: RRSIG times are 32-bit serial numbers; the absolute time is the one within
 * 68 years of `near` (seconds) with those low 32 bits.
 */
export function rrsigTime(value: number, near: number): number {
  const base = Math.floor(near) - 2 ** 31;
  return base + ((((value - base) % 2 ** 32) + 2 ** 32) % 2 ** 32);
}

/** Base64 in 56-character groups separated by spaces, as BIND writes key material. */
export function base64Groups(bytes: Uint8Array): string {
  const s = Buffer.from(bytes).toString('base64');
  return s.match(/.{1,56}/g)?.join(' ') ?? '';
}

/** RDATA of a DNSSEC record in presentation form. `nowSec` anchors RRSIG times (RFC 4034 3.1.5). */
export function dnssecRdataText(rd: DnssecRData, nowSec = Date.now() / 1000): string {
  switch (rd.kind) {
    case 'dnskey':
      return `${rd.flags} ${rd.protocol} ${rd.algorithm} ${base64Groups(rd.publicKey)}`;
    case 'ds':
      return `${rd.keyTag} ${rd.algorithm} ${rd.digestType} ${Buffer.from(rd.digest).toString('hex').toUpperCase()}`;
    case 'rrsig':
      return [
        dnssecTypeName(rd.typeCovered),
        rd.algorithm,
        rd.labels,
        rd.originalTtl,
        formatTimestamp(rrsigTime(rd.expiration, nowSec)),
        formatTimestamp(rrsigTime(rd.inception, nowSec)),
        rd.keyTag,
        `${rd.signerName}.`,
        base64Groups(rd.signature),
      ].join(' ');
    case 'nsec':
      return [`${rd.next}.`, ...[...rd.types].sort((a, b) => a - b).map(dnssecTypeName)].join(' ');
  }
}

/** Master-file lines of an RRset whose RDATA are DNSSEC records. */
export function dnssecLines(set: SignableRRset, nowSec?: number): string[] {
  return set.rdata.map((rd) => {
    if (!isDnssecRData(rd))
      throw new Error(`not a DNSSEC record: ${set.name} ${dnssecTypeName(set.type)}`);
    return `${set.name}.\t${set.ttl}\tIN\t${dnssecTypeName(set.type)}\t${dnssecRdataText(rd, nowSec)}`;
  });
}
