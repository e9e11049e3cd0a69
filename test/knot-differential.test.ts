// Differential test against Knot DNS: the zones are exported with `geosteer export`, served by
// knotd and by geosteer, and every row below sends the same query to both. The replies must agree
// on the rcode (extended rcodes included), the AA and TC flags, and the record set of each section
// (order-insensitive, names compared case-insensitively). Knot 3.2 is the reference because it is
// a widely deployed authoritative-only server with minimal responses, as geosteer answers.
//
// Out of scope, because the servers are meant to differ: malformed packets (Knot drops them,
// geosteer answers FORMERR), AXFR/IXFR (geosteer refuses), and CHAOS class (Knot has its own
// identity answers).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, type QueryOptions, tcpExchange, udpExchange } from './helpers/dns-client.js';
import { type KnotServer, startKnot } from './helpers/knot.js';
import { startServer, type TestServer } from './helpers/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const G = 'gslb.example.com';
const L = 'lab.example.org';

/**
 * The second zone: what the example zone lacks. Sizes are chosen against the 512- and
 * 1232-octet UDP limits, as the comments say.
 */
function labZoneYaml(): string {
  const lines = [
    `zone: ${L}`,
    'ttl: 3600',
    'soa:',
    `  primary: ns1.${L}`,
    `  contact: hostmaster@${L}`,
    '  serial: 2024060101',
    // SOA TTL below the minimum: negative answers carry the SOA TTL (RFC 2308 3), the other branch
    // of min(SOA TTL, MINIMUM) from the example zone's.
    '  ttl: 600',
    '  negative_ttl: 900',
    'nameservers:',
    // The NS RRset and its glue with a TTL of their own (nameservers.ttl), unlike the zone's.
    '  ttl: 86400',
    `  ns1.${L}: [192.0.2.1, 2001:db8::1]`,
    `  ns2.${L}: [192.0.2.2]`,
    'records:',
    '  target:',
    '    A: [192.0.2.10]',
    '    AAAA: [2001:db8::10]',
    // 60 TXT records of 60 octets: about 4.4 kB, over every UDP limit, so only TCP gets it.
    '  big:',
    '    TXT:',
    ...Array.from(
      { length: 60 },
      (_, i) => `      - '${`big-${String(i).padStart(2, '0')}-`.padEnd(60, 'x')}'`,
    ),
    // One 600-octet value: split into 255 + 255 + 90 octet character-strings (RFC 1035 3.3.14).
    '  long:',
    `    TXT: ['${'0123456789'.repeat(60)}']`,
    // Ten MX with A and AAAA each: the answer fits in 512 octets, the additional data does not.
    '  mail:',
    `    MX: [${Array.from({ length: 10 }, (_, i) => `'${(i + 1) * 10} mx${String(i + 1).padStart(2, '0')}'`).join(', ')}]`,
    ...Array.from({ length: 10 }, (_, i) => [
      `  mx${String(i + 1).padStart(2, '0')}:`,
      `    A: [192.0.2.${101 + i}]`,
      `    AAAA: ['2001:db8::1:${i + 1}']`,
    ]).flat(),
    '  caa:',
    `    CAA: ['0 issue "ca.example.net"', '0 issuewild ";"', '128 iodef "mailto:security@${L}"']`,
    '  ptr:',
    `    PTR: target.${L}.`,
    '  _xmpp._tcp:',
    "    SRV: ['5 0 5269 target', '10 0 5269 mx01', '20 0 5269 xmpp.example.net.']",
    // Twelve in-domain nameservers with A and AAAA glue: the NS set fits in 512 octets, the glue
    // does not, so a classic UDP referral must be truncated (RFC 9471 3).
    '  deleg:',
    `    NS: [${Array.from({ length: 12 }, (_, i) => `ns${String(i + 1).padStart(2, '0')}.deleg`).join(', ')}]`,
    ...Array.from({ length: 12 }, (_, i) => [
      `  ns${String(i + 1).padStart(2, '0')}.deleg:`,
      `    A: [198.51.100.${i + 1}]`,
      `    AAAA: ['2001:db8:d::${i + 1}']`,
    ]).flat(),
    // One in-domain nameserver and twenty sibling nameservers (in this zone, outside the cut):
    // at 512 octets the in-domain glue fits and the sibling glue does not (RFC 9471 3.2).
    '  mixed:',
    `    NS: [ns.mixed, ${Array.from({ length: 20 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`).join(', ')}]`,
    '  ns.mixed:',
    '    A: [192.0.2.70]',
    ...Array.from({ length: 20 }, (_, i) => [
      `  s${String(i + 1).padStart(2, '0')}:`,
      `    A: [203.0.113.${i + 1}]`,
    ]).flat(),
    // A child served by this zone's own nameserver: its glue keeps nameservers.ttl in referrals.
    '  up:',
    `    NS: [ns1.${L}.]`,
    '  small:',
    '    NS: [ns.small]',
    '  ns.small:',
    '    A: [192.0.2.60]',
    '  to-deleg:',
    '    CNAME: host.small',
    '  dangling:',
    '    CNAME: nowhere',
    '  loop1:',
    '    CNAME: loop2',
    '  loop2:',
    '    CNAME: loop1',
    "  '*.wc':",
    '    CNAME: target',
    '  to-big:',
    '    CNAME: big',
    // A seven-hop CNAME chain ending at target.
    ...Array.from({ length: 7 }, (_, i) => [
      `  hop${i + 1}:`,
      `    CNAME: ${i === 6 ? 'target' : `hop${i + 2}`}`,
    ]).flat(),
  ];
  return lines.join('\n') + '\n';
}

/** `geosteer export ZONE -z DIR`, the real CLI in a child process. */
async function exportZone(zone: string, dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'export', zone, '-z', dir],
    { cwd: ROOT },
  );
  return stdout;
}

const EDNS = {
  noedns: {},
  edns512: { edns: 512 },
  edns1232: { edns: 1232 },
  edns4096: { edns: 4096 },
  /** RFC 6891 6.2.5: a payload size below 512 is treated as 512. */
  edns100: { edns: 100 },
  do: { edns: 1232, dnssecOk: true },
  ednsv1: { edns: 1232, ednsVersion: 1 },
  /** RFC 6891 6.1.2: unknown options are ignored. */
  unknownopt: { edns: 1232, ednsOptions: [{ code: 65001, data: Buffer.from('c0ffee', 'hex') }] },
} satisfies Record<string, QueryOptions>;
type EdnsVariant = keyof typeof EDNS;

interface Row {
  /** What both servers are expected to do, as the test name. */
  says: string;
  name: string;
  type: string;
  via?: 'udp' | 'tcp';
  edns?: EdnsVariant;
  qclass?: 'ANY';
  /** Checked on the (common) reply so a row cannot pass by testing something else. */
  expect?: {
    rcode?: string;
    aa?: boolean;
    tc?: boolean;
    answers?: number;
    authorities?: number;
    additionals?: number;
  };
}

// One row per line, so the table reads like the spec it checks.
// prettier-ignore
const rows: Row[] = [
  // Every record type.
  { says: 'answers the apex SOA', name: G, type: 'SOA', expect: { rcode: 'NOERROR', aa: true, answers: 1 } },
  { says: 'answers the apex NS with in-zone glue', name: G, type: 'NS', expect: { answers: 2, additionals: 3 } },
  { says: 'answers MX with the in-zone exchange address as additional data', name: G, type: 'MX', expect: { answers: 2, additionals: 1 } },
  { says: 'answers the apex TXT', name: G, type: 'TXT', expect: { answers: 1 } },
  { says: 'answers the apex CAA', name: G, type: 'CAA', expect: { answers: 1 } },
  { says: 'answers a static A', name: `static.${G}`, type: 'A', expect: { answers: 1, authorities: 0 } },
  { says: 'answers a static AAAA', name: `static.${G}`, type: 'AAAA', expect: { answers: 1 } },
  { says: 'answers a CNAME query with the CNAME alone', name: `alias.${G}`, type: 'CNAME', expect: { answers: 1 } },
  { says: 'answers PTR', name: `ptr.${G}`, type: 'PTR', expect: { answers: 1 } },
  { says: 'answers SRV with the target addresses as additional data', name: `_sip._tcp.${G}`, type: 'SRV', expect: { answers: 1, additionals: 2 } },
  { says: 'answers a TXT split into character-strings', name: `long-txt.${G}`, type: 'TXT', expect: { answers: 1 } },
  { says: 'answers a three-string TXT of 600 octets', name: `long.${L}`, type: 'TXT', edns: 'edns1232', expect: { answers: 1 } },
  { says: 'answers a CAA set with the critical flag', name: `caa.${L}`, type: 'CAA', expect: { answers: 3 } },
  { says: 'answers SRV with in-zone targets only as additional data', name: `_xmpp._tcp.${L}`, type: 'SRV', expect: { answers: 3, additionals: 4 } },
  { says: 'answers PTR in the second zone', name: `ptr.${L}`, type: 'PTR', expect: { answers: 1 } },
  { says: 'answers the second apex NS with glue', name: L, type: 'NS', expect: { answers: 2, additionals: 3 } },
  { says: 'answers an apex nameserver address with the nameservers TTL', name: `ns1.${L}`, type: 'AAAA', expect: { answers: 1 } },
  { says: 'refers to an apex nameserver with its glue at the nameservers TTL', name: `host.up.${L}`, type: 'A', expect: { aa: false, authorities: 1, additionals: 2 } },
  { says: 'answers the second apex SOA', name: L, type: 'SOA', edns: 'edns1232', expect: { answers: 1 } },

  // NXDOMAIN and NODATA (RFC 2308): SOA in authority with TTL min(SOA TTL, MINIMUM).
  { says: 'answers NXDOMAIN with the SOA', name: `nx.${G}`, type: 'A', expect: { rcode: 'NXDOMAIN', aa: true, answers: 0, authorities: 1 } },
  { says: 'answers NXDOMAIN below an empty non-terminal', name: `x.b.ent.${G}`, type: 'A', expect: { rcode: 'NXDOMAIN' } },
  { says: 'answers NXDOMAIN with the SOA TTL when it is below the minimum', name: `nx.${L}`, type: 'TXT', edns: 'edns1232', expect: { rcode: 'NXDOMAIN' } },
  { says: 'answers NODATA for a missing type', name: `static.${G}`, type: 'MX', expect: { rcode: 'NOERROR', answers: 0, authorities: 1 } },
  { says: 'answers NODATA for AAAA at an A-only name', name: `mx2.${G}`, type: 'AAAA', expect: { answers: 0, authorities: 1 } },
  { says: 'answers NODATA for a type the zone never uses', name: `static.${G}`, type: 'HINFO', expect: { answers: 0, authorities: 1 } },
  { says: 'answers NODATA for NS below the apex', name: `static.${G}`, type: 'NS', expect: { answers: 0, authorities: 1 } },

  // Empty non-terminals (RFC 8020: they exist).
  { says: 'answers NODATA at an empty non-terminal', name: `b.ent.${G}`, type: 'A', expect: { rcode: 'NOERROR', answers: 0, authorities: 1 } },
  { says: 'answers NODATA at the upper empty non-terminal', name: `ent.${G}`, type: 'TXT', expect: { rcode: 'NOERROR', answers: 0 } },

  // Wildcards (RFC 4592).
  { says: 'synthesizes A from a wildcard one label deep', name: `x.wild.${G}`, type: 'A', expect: { answers: 1 } },
  { says: 'synthesizes A from a wildcard two labels deep', name: `a.b.wild.${G}`, type: 'A', expect: { answers: 1 } },
  { says: 'answers NODATA for AAAA at a wildcard-matched name', name: `x.wild.${G}`, type: 'AAAA', expect: { rcode: 'NOERROR', answers: 0, authorities: 1 } },
  { says: 'answers NODATA at the empty parent of a wildcard', name: `wild.${G}`, type: 'A', expect: { rcode: 'NOERROR', answers: 0 } },
  { says: 'answers the wildcard owner itself', name: `*.wild.${G}`, type: 'A', expect: { answers: 1 } },
  { says: 'synthesizes a CNAME from a wildcard and follows it', name: `anything.wc.${L}`, type: 'A', expect: { answers: 2 } },
  { says: 'synthesizes a wildcard CNAME two labels deep and follows it to NODATA', name: `a.b.wc.${L}`, type: 'MX', expect: { answers: 1, authorities: 1 } },

  // CNAME handling (RFC 1034 4.3.2, RFC 6604).
  { says: 'follows a CNAME chain to A', name: `chain.${G}`, type: 'A', expect: { answers: 3 } },
  { says: 'follows a CNAME chain to AAAA', name: `chain.${G}`, type: 'AAAA', expect: { answers: 3 } },
  { says: 'follows a CNAME to NODATA with the SOA', name: `alias.${G}`, type: 'MX', expect: { rcode: 'NOERROR', answers: 1, authorities: 1 } },
  { says: 'follows a five-hop CNAME chain to its end', name: `hop3.${L}`, type: 'A', expect: { answers: 6 } },
  // Not compared: hop1 (seven hops). RFC 1034 4.3.2 step 3.a restarts at every CNAME target with
  // no depth limit, and geosteer follows up to 12. Knot stops after CNAME_CHAIN_MAX = 5
  // (src/knot/nameserver/internet.h) and returns the partial chain as NOERROR, leaving the
  // resolver to finish it; that cap is Knot's own choice, not a protocol rule.
  { says: 'answers NXDOMAIN for a CNAME to a missing name, keeping the CNAME', name: `dangling.${L}`, type: 'A', expect: { rcode: 'NXDOMAIN', answers: 1, authorities: 1 } },
  { says: 'stops at a CNAME loop', name: `loop1.${L}`, type: 'A', expect: { rcode: 'NOERROR' } },
  { says: 'follows a CNAME into a delegation and refers', name: `to-deleg.${L}`, type: 'A', expect: { answers: 1, authorities: 1, additionals: 1 } },

  // Referrals (RFC 1034 4.3.2 step 3.b) and DS at the cut (RFC 4035 3.1.4.1).
  { says: 'refers for a delegation with an out-of-zone nameserver, without AA', name: `legacy.${G}`, type: 'A', expect: { aa: false, answers: 0, authorities: 1, additionals: 0 } },
  { says: 'refers for a name below an out-of-zone delegation', name: `www.legacy.${G}`, type: 'AAAA', expect: { aa: false, authorities: 1 } },
  { says: 'refers with glue for a delegation with an in-domain nameserver', name: `www.sub.${G}`, type: 'A', expect: { aa: false, authorities: 1, additionals: 1 } },
  { says: 'refers for NS at the cut rather than answering it', name: `sub.${G}`, type: 'NS', expect: { aa: false, answers: 0, authorities: 1 } },
  { says: 'refers for glue owner names, which are below the cut', name: `ns1.sub.${G}`, type: 'A', expect: { aa: false, answers: 0 } },
  { says: 'answers DS at the cut from the parent side with NODATA', name: `sub.${G}`, type: 'DS', expect: { aa: true, rcode: 'NOERROR', answers: 0, authorities: 1 } },
  { says: 'answers DS at an out-of-zone delegation with NODATA', name: `legacy.${G}`, type: 'DS', expect: { aa: true, answers: 0 } },
  { says: 'refers for DS below the cut', name: `www.sub.${G}`, type: 'DS', expect: { aa: false, authorities: 1 } },
  { says: 'truncates a classic UDP referral whose in-domain glue does not fit', name: `www.deleg.${L}`, type: 'A', expect: { aa: false, tc: true, authorities: 12 } },
  { says: 'truncates a referral at EDNS 512 too', name: `www.deleg.${L}`, type: 'A', edns: 'edns512', expect: { tc: true } },
  { says: 'fits a referral with all its glue at EDNS 1232', name: `www.deleg.${L}`, type: 'A', edns: 'edns1232', expect: { tc: false, authorities: 12, additionals: 25 } },
  { says: 'refers without TC when only sibling glue does not fit', name: `www.mixed.${L}`, type: 'A', expect: { aa: false, tc: false, authorities: 21, additionals: 5 } },
  { says: 'refers with all sibling glue at EDNS 1232', name: `www.mixed.${L}`, type: 'A', edns: 'edns1232', expect: { aa: false, tc: false, additionals: 22 } },
  { says: 'gives the full referral over TCP', name: `www.deleg.${L}`, type: 'A', via: 'tcp', expect: { tc: false, additionals: 24 } },

  // ANY (RFC 8482): one RRset, the lowest type number.
  { says: 'answers ANY at the apex with one RRset', name: G, type: 'ANY', expect: { answers: 2 } },
  { says: 'answers ANY at the apex with one RRset over TCP too', name: G, type: 'ANY', via: 'tcp', expect: { answers: 2 } },
  { says: 'answers ANY at a name with A and AAAA with one RRset', name: `static.${G}`, type: 'ANY', expect: { answers: 1 } },
  { says: 'answers ANY at a CNAME with the CNAME only', name: `alias.${G}`, type: 'ANY', expect: { answers: 1 } },
  { says: 'answers ANY at a wildcard-matched name', name: `x.wild.${G}`, type: 'ANY', expect: { answers: 1 } },
  { says: 'answers ANY at a missing name with NXDOMAIN', name: `nx.${G}`, type: 'ANY', expect: { rcode: 'NXDOMAIN' } },
  { says: 'answers ANY at an empty non-terminal with NODATA', name: `b.ent.${G}`, type: 'ANY', expect: { rcode: 'NOERROR', answers: 0 } },

  // EDNS (RFC 6891, RFC 3225).
  { says: 'answers with an OPT record at EDNS 512', name: `static.${G}`, type: 'A', edns: 'edns512', expect: { additionals: 1 } },
  { says: 'answers with an OPT record at EDNS 4096', name: `static.${G}`, type: 'AAAA', edns: 'edns4096', expect: { additionals: 1 } },
  { says: 'treats an EDNS payload size below 512 as 512', name: `mail.${L}`, type: 'MX', edns: 'edns100' },
  { says: 'echoes the DO bit', name: `static.${G}`, type: 'A', edns: 'do', expect: { answers: 1 } },
  { says: 'echoes the DO bit on NXDOMAIN', name: `nx.${G}`, type: 'A', edns: 'do', expect: { rcode: 'NXDOMAIN' } },
  { says: 'answers EDNS version 1 with BADVERS and no AA', name: `static.${G}`, type: 'A', edns: 'ednsv1', expect: { rcode: 'BADVERS', aa: false, answers: 0 } },
  { says: 'answers EDNS version 1 with BADVERS for a missing name too', name: `nx.${G}`, type: 'A', edns: 'ednsv1', expect: { rcode: 'BADVERS' } },
  { says: 'ignores an unknown EDNS option', name: `static.${G}`, type: 'A', edns: 'unknownopt', expect: { answers: 1 } },
  { says: 'answers class ANY as IN', name: `static.${G}`, type: 'A', qclass: 'ANY', expect: { answers: 1 } },
  { says: 'answers class ANY with EDNS as IN', name: `nx.${G}`, type: 'A', qclass: 'ANY', edns: 'edns1232', expect: { rcode: 'NXDOMAIN' } },
  { says: 'matches names in mixed letter case', name: 'StAtIc.GsLb.ExAmPlE.cOm', type: 'A', expect: { answers: 1 } },
  { says: 'answers NXDOMAIN in mixed letter case', name: 'No-SuCh.GSLB.example.COM', type: 'A', expect: { rcode: 'NXDOMAIN' } },
  { says: 'synthesizes wildcards in mixed letter case', name: 'X.WiLd.GsLb.ExAmPlE.CoM', type: 'A', expect: { answers: 1 } },
  { says: 'follows a CNAME chain in mixed letter case', name: 'CHAIN.gslb.EXAMPLE.com', type: 'A', edns: 'edns1232', expect: { answers: 3 } },
  { says: 'refers in mixed letter case', name: 'WWW.Sub.Gslb.Example.Com', type: 'A', expect: { aa: false } },

  // Truncation (RFC 1035 4.2.1, RFC 2181 9): whole RRsets only; TCP gets everything.
  { says: 'truncates a single 600-octet TXT record on classic UDP', name: `long.${L}`, type: 'TXT', expect: { tc: true, answers: 0 } },
  { says: 'truncates a TXT set over 512 octets on classic UDP', name: `big.${L}`, type: 'TXT', expect: { tc: true, answers: 0 } },
  { says: 'truncates a TXT set over 512 octets at EDNS 512', name: `big.${L}`, type: 'TXT', edns: 'edns512', expect: { tc: true, answers: 0 } },
  { says: 'truncates a TXT set over 1232 octets at EDNS 1232', name: `big.${L}`, type: 'TXT', edns: 'edns1232', expect: { tc: true, answers: 0 } },
  { says: 'truncates at 1232 octets even when 4096 are offered', name: `big.${L}`, type: 'TXT', edns: 'edns4096', expect: { tc: true, answers: 0 } },
  { says: 'answers the whole TXT set over TCP', name: `big.${L}`, type: 'TXT', via: 'tcp', expect: { tc: false, answers: 60 } },
  { says: 'keeps the CNAME and sets TC when its target set does not fit', name: `to-big.${L}`, type: 'TXT', edns: 'edns1232', expect: { tc: true, answers: 1 } },
  { says: 'answers the CNAME and its whole target set over TCP', name: `to-big.${L}`, type: 'TXT', via: 'tcp', expect: { tc: false, answers: 61 } },
  { says: 'drops additional data that does not fit 512 octets without setting TC', name: `mail.${L}`, type: 'MX', expect: { tc: false, answers: 10 } },
  { says: 'drops additional data that does not fit EDNS 512 without setting TC', name: `mail.${L}`, type: 'MX', edns: 'edns512', expect: { tc: false, answers: 10 } },
  { says: 'fits all additional data at EDNS 1232', name: `mail.${L}`, type: 'MX', edns: 'edns1232', expect: { tc: false, additionals: 21 } },
  { says: 'answers MX with all additional data over TCP', name: `mail.${L}`, type: 'MX', via: 'tcp', expect: { tc: false, additionals: 20 } },

  // TCP (RFC 7766) answers the same as UDP.
  { says: 'answers A over TCP', name: `static.${G}`, type: 'A', via: 'tcp', expect: { answers: 1 } },
  { says: 'answers NXDOMAIN over TCP', name: `nx.${G}`, type: 'A', via: 'tcp', edns: 'edns1232', expect: { rcode: 'NXDOMAIN' } },
  { says: 'answers a wildcard CNAME over TCP', name: `x.wc.${L}`, type: 'AAAA', via: 'tcp', expect: { answers: 2 } },
  { says: 'answers BADVERS over TCP', name: `static.${G}`, type: 'A', via: 'tcp', edns: 'ednsv1', expect: { rcode: 'BADVERS' } },
  { says: 'refers over TCP', name: `www.sub.${G}`, type: 'A', via: 'tcp', expect: { aa: false } },

  // Names outside every zone: not ours to answer (RFC 1034 4.3.2 step 2, no recursion).
  { says: 'refuses a name in no served zone', name: 'example.net', type: 'A', expect: { rcode: 'REFUSED', aa: false } },
  { says: 'refuses the parent of a served zone', name: 'example.com', type: 'SOA', expect: { rcode: 'REFUSED', aa: false } },
  // Both add EDE 20, Not Authoritative (RFC 8914 4.21), to this REFUSED.
  { says: 'refuses a sibling of a served zone with EDNS, saying why (EDE 20)', name: 'other.example.org', type: 'A', edns: 'edns1232', expect: { rcode: 'REFUSED', additionals: 1 } },
  { says: 'refuses outside every zone over TCP', name: 'example.net', type: 'NS', via: 'tcp', expect: { rcode: 'REFUSED' } },
];

/** RFC 6891 6.1.3: the full rcode is the OPT's upper 8 bits above the header's 4. */
const RCODES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  9: 'NOTAUTH',
  16: 'BADVERS',
};

interface Summary {
  rcode: string;
  aa: boolean;
  tc: boolean;
  question: string[];
  answer: string[];
  authority: string[];
  additional: string[];
}

/** RDATA as text with domain names in lower case: comparable between servers. */
function rdataText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  const lc = (s: unknown) => String(s).toLowerCase();
  switch (a.type) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return lc(d);
    case 'MX': {
      const mx = d as { preference: number; exchange: string };
      return `${mx.preference} ${lc(mx.exchange)}`;
    }
    case 'SRV': {
      const s = d as { priority: number; weight: number; port: number; target: string };
      return `${s.priority} ${s.weight} ${s.port} ${lc(s.target)}`;
    }
    case 'SOA': {
      const s = d as {
        mname: string;
        rname: string;
        serial: number;
        refresh: number;
        retry: number;
        expire: number;
        minimum: number;
      };
      return `${lc(s.mname)} ${lc(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'TXT':
      return (d as Buffer[]).map((b) => JSON.stringify(b.toString('latin1'))).join(' ');
    case 'CAA': {
      const c = d as { flags: number; tag: string; value: string };
      return `${c.flags} ${c.tag} ${JSON.stringify(c.value)}`;
    }
    default:
      return Buffer.isBuffer(d) ? d.toString('hex') : JSON.stringify(d);
  }
}

function rrText(a: dnsPacket.Answer): string {
  if (a.type === 'OPT') {
    const o = a as unknown as {
      udpPayloadSize: number;
      ednsVersion: number;
      flags: number;
      options: { code: number; data: Buffer }[];
    };
    const opts = o.options.map((x) => `${x.code}:${x.data.toString('hex')}`).join(',');
    return `OPT udp=${o.udpPayloadSize} version=${o.ednsVersion} flags=${o.flags.toString(16)} options=[${opts}]`;
  }
  const r = a as { name: string; ttl?: number; class?: string };
  return `${r.name.toLowerCase()} ${r.ttl} ${r.class} ${a.type} ${rdataText(a)}`;
}

function summarize(reply: Buffer): Summary {
  const p = dnsPacket.decode(reply);
  const opt = p.additionals?.find((a) => a.type === 'OPT') as
    { extendedRcode?: number } | undefined;
  const code = ((opt?.extendedRcode ?? 0) << 4) | ((p.flags ?? 0) & 0xf);
  const sorted = (s: dnsPacket.Answer[] | undefined) => (s ?? []).map((a) => rrText(a)).sort();
  return {
    rcode: RCODES[code] ?? `RCODE${code}`,
    aa: ((p.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    tc: ((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0,
    question: (p.questions ?? []).map((q) => `${q.name.toLowerCase()} ${q.class} ${q.type}`),
    answer: sorted(p.answers),
    authority: sorted(p.authorities),
    additional: sorted(p.additionals),
  };
}

async function exchange(
  port: number,
  query: Buffer,
  via: 'udp' | 'tcp',
  server: string,
): Promise<Buffer> {
  if (via === 'tcp') {
    const [reply] = await tcpExchange(port, [query]);
    return reply!;
  }
  const reply = await udpExchange(port, query);
  if (!reply) throw new Error(`${server}: no UDP reply`);
  return reply;
}

let geosteer: TestServer;
let knot: KnotServer | undefined;
let exportDir: string;
/**
 * A failed setup (knotd missing, say) is rethrown by every test, so each row fails with the reason
 * instead of being reported as skipped, as it would be if beforeAll threw.
 */
let setupError: unknown;

beforeAll(async () => {
  try {
    const files = {
      [`${G}.yaml`]: await readFile(join(ROOT, 'zones', `${G}.yaml`), 'utf8'),
      [`${L}.yaml`]: labZoneYaml(),
    };
    exportDir = await mkdtemp(join(tmpdir(), 'geosteer-export-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(exportDir, name), text);
    const [gslb, lab] = await Promise.all([exportZone(G, exportDir), exportZone(L, exportDir)]);
    knot = await startKnot({ [G]: gslb, [L]: lab });
    geosteer = await startServer(files);
  } catch (err) {
    setupError = err;
  }
});

afterAll(async () => {
  await knot?.stop();
  await geosteer?.stop();
  if (exportDir) await rm(exportDir, { recursive: true, force: true });
});

describe('geosteer answers as Knot DNS does', () => {
  it('has at least 40 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  const label = (r: Row) =>
    `${r.name} ${r.qclass ?? ''}${r.qclass ? ' ' : ''}${r.type} over ${r.via ?? 'udp'}, ${r.edns ?? 'noedns'}`;
  it.each(rows.map((r) => [`${r.says} (${label(r)})`, r] as const))('%s', async (_name, row) => {
    if (setupError) throw setupError;
    const opts: QueryOptions = {
      ...EDNS[row.edns ?? 'noedns'],
      ...(row.qclass ? { qclass: row.qclass } : {}),
    };
    const query = buildQuery(row.name, row.type, opts);
    const via = row.via ?? 'udp';
    const [fromKnot, fromGeosteer] = await Promise.all([
      exchange(knot!.port, query, via, 'knotd'),
      exchange(geosteer.port, query, via, 'geosteer'),
    ]);
    const k = summarize(fromKnot);
    const g = summarize(fromGeosteer);
    expect(g, `geosteer (received) vs knotd (expected) for ${label(row)}`).toEqual(k);

    const p = dnsPacket.decode(fromGeosteer);
    const got = {
      rcode: g.rcode,
      aa: g.aa,
      tc: g.tc,
      answers: p.answers?.length,
      authorities: p.authorities?.length,
      additionals: p.additionals?.length,
    };
    expect(got).toMatchObject(row.expect ?? {});
  });
});
