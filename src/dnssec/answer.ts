// Signing an answer as data: between resolve (RRsets) and encode (bytes), an Answer for a DO=1
// query gets its RRSIGs, its compact-denial NSEC, its DNSKEY RRset or its proof of no DS. Pure:
// the keys, the signature cache and the time come in, a new Answer goes out.
import { Rcode, Type } from '../wire/constants.js';
import { foldCase, parentName } from '../wire/name.js';
import type { Answer, RData, RRset } from '../wire/rr.js';
import {
  compactDenialNsec,
  type Denial,
  negativeTtl,
  nextSiblingName,
  predecessorName,
  successorName,
} from './compact-denial.js';
import type { DnssecKey } from './keys.js';
import { DnssecType, rdataWire, type SignableRRset } from './records.js';
import type { RrsigRData, SignatureParams } from './sign.js';
import type { CachedSignature } from './signature-cache.js';
import type { ZoneDnssec } from './zone-keys.js';

/** One node of a zone as signing reads it: a compiled ZoneNode (zone/zone.ts) is one. */
export interface SignedNode {
  readonly rrsets: ReadonlyMap<number, unknown>;
  readonly cut: boolean;
  /** A steered name: it has A and AAAA answers picked per query. */
  readonly dynamic: unknown;
}

/** A zone as signing reads it: a compiled Zone (zone/zone.ts) is one. */
export interface SignedZone {
  /** Case-folded origin. */
  readonly key: string;
  readonly soa: RRset;
  readonly negativeSoa: RRset;
  readonly nodes: ReadonlyMap<string, SignedNode>;
  readonly dnssec?: ZoneDnssec | null;
}

/** The keys of a zone at one moment (answer-signer.ts keeps them per zone). */
export interface KeysNow {
  /** The DNSKEY RRset: every published key (RFC 6781 4.1: pre-published and retiring ones too). */
  readonly dnskey: RRset;
  /** Keys that sign the DNSKEY RRset: the SEP keys (KSK or CSK), RFC 4035 2.1. */
  readonly dnskeySigners: readonly DnssecKey[];
  /** Keys that sign everything else: the ZSKs, or the CSK. */
  readonly signers: readonly DnssecKey[];
}

/** The signature cache as signAnswer uses it (signature-cache.ts). */
export interface Signatures {
  signAt(
    set: SignableRRset,
    key: DnssecKey,
    nowMs: number,
    params: SignatureParams,
    refresh: number,
  ): CachedSignature;
}

export interface SignedAnswer {
  readonly answer: Answer;
  /**
   * Seconds since the epoch until which this signed answer may be served again as it is (the
   * memo): the earliest time one of its signatures is due for refresh.
   */
  readonly refreshAt: number;
}

const rrsigWire = new WeakMap<RrsigRData, RData>();
function opaque(sig: RrsigRData): RData {
  let rd = rrsigWire.get(sig);
  if (!rd) rrsigWire.set(sig, (rd = { kind: 'opaque', bytes: rdataWire(sig) }));
  return rd;
}

/**
 * Sign `answer`, the reply to (qname, qtype) from `zone`, for a DO=1 query (RFC 4035 3.1):
 * - every authoritative RRset in the answer section gets its RRSIG RRset; an RRset synthesized
 *   from a wildcard is signed as the wildcard (Labels without the "*", RFC 4034 3.1.3), with an
 *   NSEC proving the name itself does not exist (RFC 4035 3.1.3.3);
 * - DNSKEY at the apex is answered with the published keys, signed by the SEP keys;
 * - NXDOMAIN and NODATA become compact answers (RFC 9824): NOERROR, the SOA and one NSEC at the
 *   denied name, each signed; a nonexistent name keeps NXDOMAIN when `compactOk` (the query
 *   set CO, RFC 9824 5);
 * - a referral carries an NSEC at the cut proving there is no DS (RFC 4035 3.1.4.1): geosteer's
 *   delegations are insecure (docs/dnssec.md#delegations).
 * Additional-section data (glue, MX and SRV targets' addresses) is left unsigned: validators do
 * not need it, and it is the first thing cut when the reply is too large.
 */
export function signAnswer(
  answer: Answer,
  qname: string,
  qtype: number,
  zone: SignedZone,
  keys: KeysNow,
  cache: Signatures,
  nowMs: number,
  compactOk = false,
): SignedAnswer {
  const cfg = zone.dnssec!.config;
  const params: SignatureParams = {
    validity: cfg.validity,
    inceptionBackdate: cfg.inceptionBackdate,
  };
  let refreshAt = Infinity;
  const sigs = (set: SignableRRset, signers: readonly DnssecKey[], owner = set.name): RRset => {
    const rdata: RData[] = [];
    for (const key of signers) {
      const e = cache.signAt(set, key, nowMs, params, cfg.refresh);
      refreshAt = Math.min(refreshAt, e.expiration - cfg.refresh);
      rdata.push(opaque(e.sig));
    }
    // RFC 4034 3: the RRSIG RRset's TTL is the covered RRset's.
    return { name: owner, type: DnssecType.RRSIG, ttl: set.ttl, rdata };
  };
  const signed = (set: RRset): RRset[] => [set, sigs(set, keys.signers)];
  const nsecTtl = negativeTtl(zone.negativeSoa);
  const nsec = (set: SignableRRset): RRset[] => {
    const wire: RRset = {
      name: set.name,
      type: set.type,
      ttl: set.ttl,
      rdata: set.rdata.map((rd) => ({ kind: 'opaque', bytes: rdataWire(rd) })),
    };
    return [wire, sigs(set, keys.signers)];
  };
  const qkey = foldCase(qname);

  // RFC 4035 2.1: the DNSKEY RRset is at the apex, signed by the key-signing keys.
  if (qtype === DnssecType.DNSKEY && qkey === zone.key && answer.answer.length === 0) {
    if (answer.rcode === Rcode.NOERROR && answer.aa) {
      const set = qname === keys.dnskey.name ? keys.dnskey : { ...keys.dnskey, name: qname };
      return {
        answer: {
          ...answer,
          answer: [set, sigs(set, keys.dnskeySigners)],
          authority: [],
          additional: [],
        },
        refreshAt,
      };
    }
  }

  const out: RRset[] = [];
  const proofs: RRset[] = [];
  for (const set of answer.answer) {
    const key = foldCase(set.name);
    const wild = zone.nodes.has(key) ? null : wildcardOwner(zone, key);
    if (wild === null) {
      out.push(...signed(set));
      continue;
    }
    // RFC 4035 5.3.2: signed as *.<closest encloser>, sent under the name asked; one signature
    // serves every name the wildcard matches. The NSEC covers the next closer name (the name
    // cut to one label below the closest encloser), so the name itself and everything between
    // it and the closest encloser are proven absent: no closer match exists.
    out.push(set, sigs({ ...set, name: wild }, keys.signers, set.name));
    const ce = wild.slice(2);
    let nextCloser = key;
    while (parentName(nextCloser) !== ce) nextCloser = parentName(nextCloser)!;
    proofs.push(
      ...nsec({
        name: predecessorName(nextCloser),
        type: DnssecType.NSEC,
        ttl: nsecTtl,
        rdata: [
          {
            kind: 'nsec',
            next: nextSiblingName(nextCloser),
            types: [DnssecType.RRSIG, DnssecType.NSEC],
          },
        ],
      }),
    );
  }

  const authority: RRset[] = [];
  let rcode = answer.rcode;
  for (const set of answer.authority) {
    if (set.type === Type.SOA) {
      // A negative answer (RFC 2308): for the question, or for the last CNAME's target.
      authority.push(...signed(set));
      const last = answer.answer[answer.answer.length - 1];
      const denied =
        last && last.type === Type.CNAME ? (last.rdata[0] as { name: string }).name : qname;
      const deniedType = qtype;
      let denial: Denial;
      if (answer.rcode === Rcode.NXDOMAIN) {
        denial = { kind: 'nxdomain' };
        // RFC 9824 3: the name is said to exist with no data; NXNAME in the bitmap says it does
        // not, to resolvers that understand it. Without the CO flag the rcode is NOERROR; with
        // it (RFC 9824 5) the resolver has said it takes NXDOMAIN with this proof, so the rcode
        // says what the NSEC says.
        if (!compactOk) rcode = Rcode.NOERROR;
      } else denial = { kind: 'nodata', types: typesAt(zone, foldCase(denied), deniedType) };
      authority.push(...nsec(compactDenialNsec(denied, denial, nsecTtl)));
    } else if (set.type === Type.NS) {
      // A referral: the NS RRset is the child's, never signed by the parent (RFC 4035 2.2); an
      // NSEC at the cut, signed, proves there is no DS, so the child is insecure (3.1.4.1).
      authority.push(set);
      authority.push(
        ...nsec({
          name: set.name,
          type: DnssecType.NSEC,
          ttl: nsecTtl,
          rdata: [
            {
              kind: 'nsec',
              next: successorName(set.name),
              types: [Type.NS, DnssecType.RRSIG, DnssecType.NSEC],
            },
          ],
        }),
      );
    } else authority.push(set);
  }
  return {
    answer: { ...answer, rcode, answer: out, authority: [...authority, ...proofs] },
    refreshAt,
  };
}

/** RFC 4592 3.3.1: the wildcard `key` is synthesized from, *.<closest encloser>, if any. */
function wildcardOwner(zone: SignedZone, key: string): string | null {
  for (let n = parentName(key); n !== null; n = parentName(n)) {
    if (zone.nodes.has(n)) return zone.nodes.has(`*.${n}`) ? `*.${n}` : null;
  }
  return null;
}

/**
 * The types a NODATA proof lists for a name (RFC 9824 3.2): its RRsets' types, A and AAAA for a
 * steered name, NS at a cut when DS is asked, DNSKEY at the apex; never the type asked, which is what is denied
 * (a steered name with no address of that family right now has none of that type to give).
 */
function typesAt(zone: SignedZone, key: string, qtype: number): number[] {
  const owner = zone.nodes.has(key) ? key : wildcardOwner(zone, key);
  const node = owner === null ? undefined : zone.nodes.get(owner);
  if (!node) return [];
  const types = new Set<number>(node.rrsets.keys());
  if (node.dynamic) types.add(Type.A).add(Type.AAAA);
  // At a cut the NS bit marks the parent side of a delegation, which proves nothing but the
  // absence of DS (RFC 4035 5.4 has validators reject it for other types); a steer: delegate
  // name with no site up is answered NODATA by this zone itself, so its proof leaves NS out.
  if (node.cut) {
    if (qtype === DnssecType.DS) types.add(Type.NS);
    else types.delete(Type.NS);
  }
  if (key === zone.key) types.add(DnssecType.DNSKEY);
  types.delete(qtype);
  return [...types];
}
