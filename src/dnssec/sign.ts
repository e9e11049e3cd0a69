// RRSIG generation (RFC 4034 3, RFC 4035 2.2) over RRsets as geosteer keeps them (wire/rr.ts).
import { Class } from '../wire/constants.js';
import { isSubdomain, splitLabels } from '../wire/name.js';
import { signData, verifyData, isAlgorithm } from './algorithm.js';
import type { DnssecKey } from './keys.js';
import {
  canonicalName,
  type DnssecRData,
  DnssecType,
  rdataWire,
  rrsigHeader,
  type SignableRRset,
} from './records.js';

export type RrsigRData = Extract<DnssecRData, { kind: 'rrsig' }>;

export interface SignatureParams {
  /** Seconds from signing time to Signature Expiration. */
  validity: number;
  /**
   * Seconds Signature Inception is set before the signing time, so a validator whose clock runs
   * behind ours (or another instance of the fleet signing the same RRset) still accepts it.
   */
  inceptionBackdate: number;
}

/**
 * 14 days is Knot's default rrsig-lifetime; one hour of backdating is what BIND's
 * dnssec-signzone uses for inception.
 */
export const DEFAULT_SIGNATURE_PARAMS: SignatureParams = {
  validity: 14 * 86400,
  inceptionBackdate: 3600,
};

/**
 * RFC 4034 3.1.3: the Labels field counts the owner's labels without the root and without a
 * leading "*" label, so a validator can tell a wildcard expansion (RFC 4035 5.3.2).
 */
export function rrsigLabels(owner: string): number {
  const labels = splitLabels(owner);
  return labels[0] === '*' ? labels.length - 1 : labels.length;
}

/**
 * RFC 4034 6.3: the RRs of an RRset in canonical order, by their canonical RDATA compared as
 * left-justified unsigned octet strings; duplicates removed (RFC 2181 5).
 */
export function canonicalRdatas(set: SignableRRset): Buffer[] {
  const all = set.rdata.map(rdataWire).sort(Buffer.compare);
  return all.filter((b, i) => i === 0 || !b.equals(all[i - 1]!));
}

/**
 * RFC 4034 3.1.8.1: signature = sign(RRSIG_RDATA without the signature | RR(1) | RR(2) ...), each
 * RR in canonical form (6.2): lowercased owner, class IN, the Original TTL, canonical RDATA.
 */
export function signedData(set: SignableRRset, header: RrsigRData): Buffer {
  const owner = canonicalName(set.name);
  const parts: Buffer[] = [rrsigHeader(header)];
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(set.type, 0);
  fixed.writeUInt16BE(Class.IN, 2);
  fixed.writeUInt32BE(header.originalTtl >>> 0, 4);
  for (const rd of canonicalRdatas(set)) {
    const f = Buffer.from(fixed);
    f.writeUInt16BE(rd.length, 8);
    parts.push(owner, f, rd);
  }
  return Buffer.concat(parts);
}

/**
 * Sign one RRset with one key at time `nowMs`. To answer from a wildcard (RFC 4035 5.3.2), sign
 * the RRset with its wildcard owner ("*.example") and send the RRSIG under the query name: the
 * Labels field then tells the validator to rebuild the wildcard owner, and one signature serves
 * every name the wildcard matches.
 */
export function signRRset(
  set: SignableRRset,
  key: DnssecKey,
  nowMs: number,
  params: SignatureParams = DEFAULT_SIGNATURE_PARAMS,
): RrsigRData {
  if (!isSubdomain(set.name.toLowerCase(), key.zone))
    throw new Error(`cannot sign ${set.name}: not in zone ${key.zone}`);
  const now = Math.floor(nowMs / 1000);
  // RFC 4034 3.1.5: times are seconds since 1970 modulo 2^32 (serial number arithmetic).
  const header: RrsigRData = {
    kind: 'rrsig',
    typeCovered: set.type,
    algorithm: key.material.algorithm,
    labels: rrsigLabels(set.name),
    originalTtl: set.ttl,
    expiration: (now + params.validity) >>> 0,
    inception: (now - params.inceptionBackdate) >>> 0,
    keyTag: key.tag,
    signerName: key.zone,
    signature: new Uint8Array(0),
  };
  return { ...header, signature: signData(key.material, signedData(set, header)) };
}

/** The RRSIG RRset to send beside `set` (RFC 4034 3: its TTL is the covered RRset's TTL). */
export function rrsigRRset(set: SignableRRset, sigs: readonly RrsigRData[]): SignableRRset {
  return { name: set.name, type: DnssecType.RRSIG, ttl: set.ttl, rdata: sigs };
}

/** Cryptographic check of one RRSIG over `set` with a DNSKEY public key (no time checks). */
export function verifyRrsig(set: SignableRRset, sig: RrsigRData, publicKey: Uint8Array): boolean {
  if (!isAlgorithm(sig.algorithm)) return false;
  return verifyData(sig.algorithm, publicKey, signedData(set, sig), sig.signature);
}
