// The Compact Answers OK (CO) EDNS flag (RFC 9824 5), on real sockets: a query with DO and CO
// for a name that does not exist gets NXDOMAIN as the rcode, with CO set in the reply's OPT and
// the same signed compact proof (one NSEC with NXNAME in its bitmap); with DO alone the rcode
// stays NOERROR (RFC 9824 3), and CO without DO changes nothing (an unsigned NXDOMAIN, no CO
// back). The three are memoised apart. The queries are built with dns-packet: Debian 12's dig
// (9.18) drops 0x4000 from +ednsflags and kdig (Knot 3.2) has no option for CO.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Packet } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchedGeoLocator } from '../src/geoip/index.js';
import { buildQuery, tcpExchange, udpExchange } from './helpers/dns-client.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, RCODE } from './helpers/wire.js';
import { geoLocator, SIGNED, signedZoneDir, signedZoneYaml } from './dnssec-serve-fixture.js';

const CO = 0x4000;
let dir: string;
let geo: WatchedGeoLocator;
let t: TestServer;

beforeAll(async () => {
  const z = await signedZoneDir();
  dir = z.dir;
  geo = await geoLocator(dir);
  t = await startServer({ [`${SIGNED}.yaml`]: signedZoneYaml(join(dir, 'keys')) }, { geo });
}, 30_000);
afterAll(async () => {
  await t?.stop();
  geo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Seen {
  rcode: number;
  /** CO set in the reply's OPT. */
  co: boolean;
  /** Each NSEC: owner and its type bitmap. */
  nsec: string[];
  /** The types the RRSIGs in the authority section cover. */
  rrsigs: string[];
  answers: string[];
}

function seen(reply: Buffer): Seen {
  const p = decode(reply) as Packet;
  const auth = p.authorities ?? [];
  return {
    rcode: reply[3]! & 0xf,
    co:
      p.additionals?.some(
        (r) => r.type === 'OPT' && ((r as { flags?: number }).flags! & CO) !== 0,
      ) ?? false,
    nsec: auth
      .filter((r) => r.type === 'NSEC')
      // dns-packet predates NXNAME (type 128, RFC 9824 6) and calls it UNKNOWN_128.
      .map((r) => `${r.name} ${(r.data as { rrtypes: string[] }).rrtypes.join(' ')}`)
      .map((l) => l.replace('UNKNOWN_128', 'NXNAME')),
    rrsigs: auth
      .filter((r) => r.type === 'RRSIG')
      .map((r) => (r.data as { typeCovered: string }).typeCovered)
      .sort(),
    answers: (p.answers ?? []).map((r) => r.type),
  };
}

async function ask(
  name: string,
  type: string,
  dnssecOk: boolean,
  ednsFlags = 0,
  tcp = false,
): Promise<Seen> {
  const q = buildQuery(name, type, { edns: 1232, dnssecOk, ednsFlags });
  const reply = tcp ? (await tcpExchange(t.port, [q]))[0] : await udpExchange(t.port, q);
  expect(reply).toBeDefined();
  expect(reply).not.toBeNull();
  return seen(reply!);
}

const NX = `nx.${SIGNED}`;

const STATIC = `static.${SIGNED}`;

describe('the CO flag (RFC 9824 5) on a signed zone', () => {
  // [what, name, type, DO, CO, rcode, CO in the reply, NSEC, answer types]
  const rows: [string, string, string, boolean, boolean, number, boolean, string[], string[]][] = [
    [
      'DO and CO, nonexistent name',
      NX,
      'A',
      true,
      true,
      RCODE.NXDOMAIN,
      true,
      [`${NX} RRSIG NSEC NXNAME`],
      [],
    ],
    [
      'DO alone, nonexistent name',
      NX,
      'A',
      true,
      false,
      RCODE.NOERROR,
      false,
      [`${NX} RRSIG NSEC NXNAME`],
      [],
    ],
    ['CO without DO, nonexistent name', NX, 'A', false, true, RCODE.NXDOMAIN, false, [], []],
    [
      'DO and CO, a name below a nonexistent one',
      `a.${NX}`,
      'A',
      true,
      true,
      RCODE.NXDOMAIN,
      true,
      [`a.${NX} RRSIG NSEC NXNAME`],
      [],
    ],
    [
      'DO and CO, nonexistent type (NODATA stays NOERROR)',
      STATIC,
      'TXT',
      true,
      true,
      RCODE.NOERROR,
      true,
      [`${STATIC} A AAAA RRSIG NSEC`],
      [],
    ],
    ['DO and CO, data', STATIC, 'A', true, true, RCODE.NOERROR, true, [], ['A', 'RRSIG']],
  ];

  it.each(rows)(
    '%s: %s %s',
    async (_what, name, type, dnssecOk, co, rcode, coBack, nsec, answers) => {
      // Over UDP twice (the second from the memo), then over TCP.
      for (const tcp of [false, false, true]) {
        const r = await ask(name, type, dnssecOk, co ? CO : 0, tcp);
        expect(r.rcode).toBe(rcode);
        expect(r.co).toBe(coBack);
        expect(r.nsec).toEqual(nsec);
        expect(r.rrsigs).toEqual(nsec.length ? ['NSEC', 'SOA'] : []);
        expect(r.answers).toEqual(answers);
      }
    },
  );

  it('replies with and without CO are memoised apart, in any order', async () => {
    const name = `other.${SIGNED}`;
    const order = [true, false, false, true, true, false];
    for (const co of order) {
      const r = await ask(name, 'AAAA', true, co ? CO : 0);
      expect([r.rcode, r.co]).toEqual(co ? [RCODE.NXDOMAIN, true] : [RCODE.NOERROR, false]);
    }
  });
});
