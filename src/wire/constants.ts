// DNS code points used by geosteer (RFC 1035 3.2, 3596, 2782, 8659, 6891, 6895).

export const Type = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const Class = { IN: 1, CH: 3, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  /** Extended rcode 16 (RFC 6891 6.1.3): carried as 1 in the OPT TTL, 0 in the header. */
  BADVERS: 16,
  /** Extended rcode 23 (RFC 7873 8): a COOKIE without a valid server cookie; 1 in the OPT, 7 here. */
  BADCOOKIE: 23,
} as const;

/** Header flag bits in the second 16-bit word (RFC 1035 4.1.1). */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

/** RFC 6891 6.2.5: the UDP payload size we advertise; 1232 is the DNS Flag Day 2020 value. */
export const EDNS_UDP_PAYLOAD = 1232;
/** RFC 1035 4.2.1: classic UDP limit for clients without EDNS. */
export const CLASSIC_UDP_LIMIT = 512;

export const EdnsOption = { ECS: 8, COOKIE: 10 } as const;

const typeNames = new Map<number, string>(Object.entries(Type).map(([k, v]) => [v, k]));
export function typeName(t: number): string {
  return typeNames.get(t) ?? `TYPE${t}`;
}
export function typeFromName(s: string): number | undefined {
  return (Type as Record<string, number>)[s.toUpperCase()];
}
const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));
export function rcodeName(r: number): string {
  return rcodeNames.get(r) ?? `RCODE${r}`;
}
