// DNSKEYs of a zone: key tag, DNSKEY RDATA, DS digest, roles. The key files live in key-files.ts.
import { createHash } from 'node:crypto';
import { foldCase } from '../wire/name.js';
import { type AlgorithmNumber, generateKeyMaterial, type KeyMaterial } from './algorithm.js';
import {
  canonicalName,
  DNSKEY_PROTOCOL,
  DNSKEY_SEP,
  DNSKEY_ZONE,
  type DnssecRData,
  rdataWire,
} from './records.js';

/** BIND's timing metadata (dnssec-settime(8)), seconds since the epoch; absent means unset. */
export interface KeyTiming {
  created?: number;
  publish?: number;
  activate?: number;
  revoke?: number;
  inactive?: number;
  delete?: number;
  syncPublish?: number;
  syncDelete?: number;
}

export const TIMING_FIELDS = [
  ['created', 'Created'],
  ['publish', 'Publish'],
  ['activate', 'Activate'],
  ['revoke', 'Revoke'],
  ['inactive', 'Inactive'],
  ['delete', 'Delete'],
  ['syncPublish', 'SyncPublish'],
  ['syncDelete', 'SyncDelete'],
] as const satisfies readonly (readonly [keyof KeyTiming, string])[];

export interface DnssecKey {
  /** Zone (owner of the DNSKEY), case-folded presentation form without the trailing dot. */
  zone: string;
  /** 257 (SEP: KSK or CSK) or 256 (ZSK), RFC 4034 2.1.1. */
  flags: number;
  material: KeyMaterial;
  tag: number;
  timing: KeyTiming;
  /** TTL written on the DNSKEY line of the .key file, if any. */
  ttl?: number;
}

export type DnskeyRData = Extract<DnssecRData, { kind: 'dnskey' }>;

export function dnskeyRData(
  flags: number,
  algorithm: AlgorithmNumber,
  publicKey: Uint8Array,
): DnskeyRData {
  return { kind: 'dnskey', flags, protocol: DNSKEY_PROTOCOL, algorithm, publicKey };
}

/** RFC 4034 Appendix B: the key tag, a 16-bit ones'-complement-style sum over the DNSKEY RDATA. */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

export function makeKey(
  zone: string,
  flags: number,
  material: KeyMaterial,
  timing: KeyTiming,
  ttl?: number,
): DnssecKey {
  const tag = keyTag(rdataWire(dnskeyRData(flags, material.algorithm, material.publicKey)));
  return { zone: foldCase(zone.replace(/\.$/, '')), flags, material, tag, timing, ttl };
}

export interface GenerateOptions {
  algorithm: AlgorithmNumber;
  /** true: Secure Entry Point set (KSK or CSK); false: ZSK. */
  sep: boolean;
  now: number;
  /** Key tags already in use for the zone: a new key must not collide (BIND does the same). */
  avoidTags?: ReadonlySet<number>;
}

/** A new key, published and active from `now` (as dnssec-keygen does without -P/-A). */
export function generateKey(zone: string, opts: GenerateOptions): DnssecKey {
  // Key files keep whole seconds; a fractional time would make the key active a moment later.
  const now = Math.floor(opts.now);
  for (;;) {
    const k = makeKey(
      zone,
      DNSKEY_ZONE | (opts.sep ? DNSKEY_SEP : 0),
      generateKeyMaterial(opts.algorithm),
      {
        created: now,
        publish: now,
        activate: now,
      },
    );
    if (!opts.avoidTags?.has(k.tag)) return k;
  }
}

export function keyRData(key: DnssecKey): DnskeyRData {
  return dnskeyRData(key.flags, key.material.algorithm, key.material.publicKey);
}

export const DIGEST_SHA256 = 2;

/** RFC 4509 2.1 (with RFC 4034 5.1.4): digest = SHA-256(owner name in canonical form | DNSKEY RDATA). */
export function dsRData(key: DnssecKey): Extract<DnssecRData, { kind: 'ds' }> {
  const digest = createHash('sha256')
    .update(canonicalName(key.zone))
    .update(rdataWire(keyRData(key)))
    .digest();
  return {
    kind: 'ds',
    keyTag: key.tag,
    algorithm: key.material.algorithm,
    digestType: DIGEST_SHA256,
    digest,
  };
}

export type KeyRole = 'CSK' | 'KSK' | 'ZSK';

/**
 * A SEP key signs everything when the zone has no ZSK of its algorithm (a combined signing key);
 * with one, it signs only the DNSKEY RRset (RFC 6781 3.1, RFC 4035 2.1).
 */
export function keyRole(key: DnssecKey, all: readonly DnssecKey[]): KeyRole {
  if (!(key.flags & DNSKEY_SEP)) return 'ZSK';
  const zsk = all.some(
    (k) =>
      k.zone === key.zone &&
      !(k.flags & DNSKEY_SEP) &&
      k.material.algorithm === key.material.algorithm,
  );
  return zsk ? 'KSK' : 'CSK';
}
