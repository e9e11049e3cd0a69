// Sign a whole zone into a list of RRsets (DNSKEY, NSEC chain and RRSIGs added): the pre-signed
// form Knot's geoip module serves, and what the tests hand to BIND's dnssec-verify and ldns.
import { Type } from '../wire/constants.js';
import { foldCase, isSubdomain } from '../wire/name.js';
import { compareCanonicalNames } from './canonical-order.js';
import { isPublished, isSigning } from './key-state.js';
import { type DnssecKey, keyRData } from './keys.js';
import { DNSKEY_SEP, DnssecType, type SignableRRset } from './records.js';
import { DEFAULT_SIGNATURE_PARAMS, rrsigRRset, type SignatureParams, signRRset } from './sign.js';

export interface ZoneSigningOptions {
  zone: string;
  keys: readonly DnssecKey[];
  nowMs: number;
  params?: SignatureParams;
  /** TTL of the DNSKEY RRset (default: the SOA's TTL). */
  dnskeyTtl?: number;
  /** Build the NSEC chain (RFC 4035 2.3); default true. */
  nsec?: boolean;
}

/**
 * Which keys sign what (RFC 4035 2.1, RFC 6781 3.1): per algorithm, SEP keys sign the DNSKEY
 * RRset; ZSKs sign the rest, or the SEP keys themselves when the algorithm has no ZSK (a CSK).
 * RFC 4035 2.2: every algorithm present in the DNSKEY RRset signs every RRset.
 */
export function signingKeys(keys: readonly DnssecKey[]): {
  dnskey: DnssecKey[];
  other: DnssecKey[];
} {
  const dnskey: DnssecKey[] = [];
  const other: DnssecKey[] = [];
  for (const alg of new Set(keys.map((k) => k.material.algorithm))) {
    const ofAlg = keys.filter((k) => k.material.algorithm === alg);
    const sep = ofAlg.filter((k) => k.flags & DNSKEY_SEP);
    const zsk = ofAlg.filter((k) => !(k.flags & DNSKEY_SEP));
    dnskey.push(...(sep.length ? sep : zsk));
    other.push(...(zsk.length ? zsk : sep));
  }
  return { dnskey, other };
}

export function signZone(
  rrsets: readonly SignableRRset[],
  opts: ZoneSigningOptions,
): SignableRRset[] {
  const apex = foldCase(opts.zone.replace(/\.$/, ''));
  const soa = rrsets.find((s) => s.type === Type.SOA && foldCase(s.name) === apex);
  if (!soa || soa.rdata[0]?.kind !== 'soa') throw new Error(`zone ${apex}: no SOA at the apex`);
  const params = opts.params ?? DEFAULT_SIGNATURE_PARAMS;
  // The timing metadata decide: a key is in the DNSKEY RRset from Publish to Delete and signs from
  // Activate to Inactive, so a pre-published successor (RFC 6781 4.1.1.1) is seen but not used.
  const now = Math.floor(opts.nowMs / 1000);
  const published = opts.keys.filter((k) => isPublished(k.timing, now));
  const { dnskey: dnskeySigners, other: signers } = signingKeys(
    opts.keys.filter((k) => isSigning(k.timing, now)),
  );
  if (!signers.length) throw new Error(`zone ${apex}: no key is active at ${now}`);
  const all: SignableRRset[] = [
    ...rrsets,
    {
      name: apex,
      type: DnssecType.DNSKEY,
      ttl: opts.dnskeyTtl ?? soa.ttl,
      rdata: published.map(keyRData),
    },
  ];
  // RFC 4035 2.2: delegation NS RRsets and glue below a cut are not signed, and names below a cut
  // are not part of the zone's NSEC chain.
  const cuts = all
    .filter((s) => s.type === Type.NS && foldCase(s.name) !== apex)
    .map((s) => foldCase(s.name));
  const below = (name: string) => cuts.some((c) => name !== c && isSubdomain(name, c));
  const byName = new Map<string, SignableRRset[]>();
  for (const s of all) {
    const n = foldCase(s.name);
    if (!isSubdomain(n, apex)) throw new Error(`${s.name} is not in zone ${apex}`);
    if (below(n)) continue;
    byName.set(n, [...(byName.get(n) ?? []), s]);
  }
  const names = [...byName.keys()].sort(compareCanonicalNames);
  const out: SignableRRset[] = [];
  if (opts.nsec ?? true) {
    // RFC 4034 4 with RFC 9077: the NSEC TTL is the smaller of the SOA's TTL and MINIMUM field.
    const ttl = Math.min(soa.ttl, soa.rdata[0].minimum);
    names.forEach((name, i) => {
      const types = new Set(byName.get(name)!.map((s) => s.type));
      types.add(DnssecType.RRSIG).add(DnssecType.NSEC);
      if (cuts.includes(name) && !types.has(DnssecType.DS)) types.delete(DnssecType.RRSIG);
      const next = names[(i + 1) % names.length]!;
      byName.get(name)!.push({
        name,
        type: DnssecType.NSEC,
        ttl,
        rdata: [{ kind: 'nsec', next, types: [...types] }],
      });
    });
  }
  for (const name of names) {
    for (const set of byName.get(name)!) {
      out.push(set);
      if (cuts.includes(name) && set.type === Type.NS) continue;
      const keys = set.type === DnssecType.DNSKEY ? dnskeySigners : signers;
      out.push(
        rrsigRRset(
          set,
          keys.map((k) => signRRset(set, k, opts.nowMs, params)),
        ),
      );
    }
  }
  return out;
}
