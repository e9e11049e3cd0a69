// DNS query messages for scenarios that dnsperf's text input cannot express: per-query EDNS Client
// Subnet options (RFC 7871), one client network per query, as a resolver forwards them.

/** One query; RD clear, as resolvers ask authoritative servers. dnsperf -B sets the ID per query. */
export function queryMessage(
  name: string,
  qtype: number,
  opts: { udpSize?: number; ecs?: Uint8Array; cookie?: Uint8Array; dnssecOk?: boolean } = {},
): Uint8Array {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .flatMap((l) => [l.length, ...Buffer.from(l, 'ascii')]);
  const edns =
    opts.udpSize !== undefined ||
    opts.ecs !== undefined ||
    opts.cookie !== undefined ||
    opts.dnssecOk !== undefined;
  const header = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0];
  const question = [...labels, 0, qtype >> 8, qtype & 0xff, 0, 1];
  if (!edns) return Uint8Array.from([...header, ...question]);
  const size = opts.udpSize ?? 1232;
  // RFC 7871 6: OPTION-CODE 8, FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH 0, ADDRESS.
  const ecs = opts.ecs ? [0, 8, opts.ecs.length >> 8, opts.ecs.length & 0xff, ...opts.ecs] : [];
  // RFC 7873 4: OPTION-CODE 10, the client cookie (and a server cookie, when known).
  if (opts.cookie) ecs.push(0, 10, 0, opts.cookie.length, ...opts.cookie);
  // RFC 6891 6.1.2: root owner, TYPE OPT (41), CLASS payload size, TTL (extended rcode 0,
  // version 0, then the flags: DO is their top bit, RFC 3225 3).
  const flags = opts.dnssecOk ? 0x80 : 0;
  const opt = [
    0,
    0,
    41,
    size >> 8,
    size & 0xff,
    0,
    0,
    flags,
    0,
    ecs.length >> 8,
    ecs.length & 0xff,
  ];
  return Uint8Array.from([...header, ...question, ...opt, ...ecs]);
}

/** ECS option data for an IPv4 /24: FAMILY 1, SOURCE /24, SCOPE 0, the network's three octets. */
export function ecs24(network: number): Uint8Array {
  return Uint8Array.from([
    0,
    1,
    24,
    0,
    network >>> 24,
    (network >>> 16) & 0xff,
    (network >>> 8) & 0xff,
  ]);
}

/** mulberry32: a small seeded PRNG, so every run (and every machine) sends the same subnets. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Special-purpose and non-unicast IPv4 space (RFC 6890 and its updates): no resolver sends these
 * as a client subnet, and the documentation ranges are where geoip/overrides.yaml has entries.
 */
const NOT_PUBLIC: [number, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3], // multicast, reserved, broadcast
].map(([a, len]) => [ipv4Number(a as string), len as number]);

function ipv4Number(text: string): number {
  return text.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function isPublic(network: number): boolean {
  for (const [net, len] of NOT_PUBLIC) {
    if (network >>> (32 - len) === net >>> (32 - len)) return false;
  }
  return true;
}

/**
 * `count` distinct public IPv4 /24 networks (as 32-bit numbers), drawn uniformly from the address
 * space with a seeded PRNG: spread over every region the way the address space is, and the same
 * list on every run.
 */
export function publicNetworks24(count: number, seed: number): number[] {
  const rand = prng(seed);
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < count) {
    const network = Math.floor(rand() * 2 ** 24) * 256;
    if (seen.has(network) || !isPublic(network)) continue;
    seen.add(network);
    out.push(network);
  }
  return out;
}

export function ipv4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

/** A dnsperf text line ("name TYPE") as a message, for asking it outside dnsperf. */
export function lineMessage(line: string): Uint8Array {
  const [name, type] = line.trim().split(/\s+/);
  const qtype = TYPES[type?.toUpperCase() ?? ''];
  if (!name || qtype === undefined) throw new Error(`bench: cannot build a query from "${line}"`);
  return queryMessage(name, qtype);
}
