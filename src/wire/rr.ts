// Resource record data as geosteer keeps it from zone load to the last encoding step. Answers stay
// RRsets (data), never bytes, until wire/encode.ts: later signing and rate limiting slot in there.

export type RData =
  | { kind: 'a'; address: string; bytes: Uint8Array }
  | { kind: 'aaaa'; address: string; bytes: Uint8Array }
  /** NS, CNAME, PTR: a single domain name (compressible, RFC 3597 4). */
  | { kind: 'name'; name: string }
  | { kind: 'mx'; preference: number; exchange: string }
  | { kind: 'srv'; priority: number; weight: number; port: number; target: string }
  | {
      kind: 'soa';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  /** TXT: character-strings of at most 255 octets each (RFC 1035 3.3.14). */
  | { kind: 'txt'; strings: Uint8Array[] }
  | { kind: 'caa'; flags: number; tag: string; value: Uint8Array }
  /**
   * RDATA already in wire form, written as is: DNSSEC records (RRSIG, NSEC, DNSKEY, DS), whose
   * names are never compressed (RFC 4034 3.1.7, 4.1.1; RFC 3597 4), made by src/dnssec/.
   */
  | { kind: 'opaque'; bytes: Uint8Array };

export interface RRset {
  /** Owner name in presentation form, absolute, without the trailing dot; '' is the root. */
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: readonly RData[];
}

/** A response before encoding: sections of RRsets plus the header bits that depend on the data. */
export interface Answer {
  rcode: number;
  aa: boolean;
  answer: RRset[];
  authority: RRset[];
  additional: RRset[];
  /**
   * RFC 9471 3.1: the additional RRsets that are glue for in-domain nameservers of a referral (at
   * or below the cut) are not optional; when one does not fit, the response is truncated rather
   * than sent without it. Sibling glue stays best effort (RFC 9471 3.2), like other additional data.
   */
  requiredAdditional?: RRset[];
  /**
   * Set when a steering policy chose part of the answer: the same question may get another answer
   * next time. `scope` is the RFC 7871 SCOPE PREFIX-LENGTH the answer holds for (0: any client),
   * `key` identifies the choice, so equal choices can share one encoding.
   */
  steered?: { scope: number; key: string };
  /**
   * The wildcard owner (`*.<closest encloser>`) the question's own name was synthesized from
   * (RFC 4592), when it was: RRL keys such answers on it, as BIND and Knot do, so a flood of
   * random names under one wildcard shares one bucket.
   */
  wildcard?: string;
}

export function withName(set: RRset, name: string): RRset {
  return set.name === name ? set : { ...set, name };
}
