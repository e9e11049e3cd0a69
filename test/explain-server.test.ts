// explain says what the server answers: for every client and question below, explain()'s answer
// (rcode, AA, every section, ECS scope) equals the reply of a real server on 127.0.0.1, asked over
// UDP with that client as the ECS subnet, with the same zone, locator and health table.
//
// The weighted name and the address rotation of us-east are included: explain() is given one
// ZoneSet and one SteerState (its rotations) for the whole run and each question is asked once of
// each, in the same order, so both rotations take the same steps (one per question), and their
// picks must agree every time.
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain, type RecordView } from '../src/explain/explain.js';
import { TestHealthTable } from './helpers/health.js';
import { SteerState } from '../src/policy/state.js';
import { buildQuery, ecsEchoes, ecsOption, flagsOf, udpExchange } from './helpers/dns-client.js';
import { startServer, type TestServer } from './helpers/server.js';
import { locator, ZONE, ZONE_FILE, ZONE_YAML, zones } from './explain-fixture.js';

const geo = locator();
const health = new TestHealthTable();
// eu-central's only IPv4 address is down: `near` answers without it, in both.
health.setAddress(ZONE, 'eu-central', '198.51.100.20', false);
const explainZones = zones();
const explainState = new SteerState();
let t: TestServer;

beforeAll(async () => {
  t = await startServer({ [ZONE_FILE]: ZONE_YAML }, { geo, health });
});
afterAll(async () => {
  await t?.stop();
});

/** Clients as ECS subnets: database, override and unknown networks, IPv4 and IPv6, short sources. */
const CLIENTS = [
  '81.0.1.7', // Paris
  '81.0.0.0/20', // Paris, a short source
  '24.0.0.1', // New York
  '126.0.3.0/24', // Tokyo
  '41.0.0.1', // Nairobi
  '203.0.113.9', // a geo subnet rule
  '100.64.1.1', // nothing knows it
  '10.20.1.1', // override: site eu-west
  '10.30.0.0/16', // override: Frankfurt
  '2a00:1000::1', // Paris, IPv6
  '2600:1000::/48', // New York, IPv6
];

const QUESTIONS: [string, string][] = [
  ['www', 'A'],
  ['www', 'AAAA'],
  ['near', 'A'],
  ['api', 'A'],
  ['api', 'AAAA'],
  ['db', 'A'],
  ['login', 'A'],
  ['login', 'AAAA'],
  ['shop', 'A'],
  ['shop', 'AAAA'],
  ['alias', 'A'],
  ['alias', 'AAAA'],
  ['static', 'A'],
  ['static', 'AAAA'],
  ['mumbai', 'AAAA'],
  ['nope', 'A'],
  ['x.legacy', 'A'],
  ['@', 'MX'],
  ['www', 'ANY'],
];

/** "name ttl TYPE data", names lower case without the final dot, so both sides read alike. */
const fromExplain = (r: RecordView) =>
  `${r.name.toLowerCase()} ${r.ttl} ${r.type} ${r.data
    .split(' ')
    .map((w) => w.replace(/\.$/, ''))
    .join(' ')}`;
function fromWire(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  let text: string;
  if (a.type === 'SOA') {
    const s = d as dnsPacket.SoaData;
    text = `${s.mname} ${s.rname} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
  } else if (a.type === 'MX') {
    const m = d as { preference: number; exchange: string };
    text = `${m.preference} ${m.exchange}`;
  } else text = String(d);
  return `${a.name.toLowerCase()} ${'ttl' in a ? a.ttl : ''} ${a.type} ${text.toLowerCase()}`;
}
const wire = (rrs: dnsPacket.Answer[] | undefined) =>
  (rrs ?? []).filter((a) => a.type !== 'OPT').map(fromWire);

describe('explain answers as the server does', () => {
  it.each(CLIENTS)('for client %s, every question', async (client) => {
    for (const [name, type] of QUESTIONS) {
      const qname = name === '@' ? ZONE : `${name}.${ZONE}`;
      const x = explain(explainZones, geo, health, qname, type, client, explainState);
      const raw = await udpExchange(
        t.port,
        buildQuery(qname, type, { edns: 1232, ednsOptions: [ecsOption(client)] }),
      );
      if (!raw) throw new Error(`no reply to ${qname} ${type}`);
      const reply = dnsPacket.decode(raw) as dnsPacket.Packet & { rcode?: string };
      const what = `${qname} ${type} for ${client}`;
      expect(reply.rcode, what).toBe(x.answer.rcode);
      expect(flagsOf(reply).includes('aa'), what).toBe(x.answer.aa);
      expect(wire(reply.answers), what).toEqual(x.answer.answer.map(fromExplain));
      expect(wire(reply.authorities), what).toEqual(x.answer.authority.map(fromExplain));
      expect(wire(reply.additionals), what).toEqual(x.answer.additional.map(fromExplain));
      expect(
        ecsEchoes(reply).map((e) => e.scopePrefix),
        what,
      ).toEqual([x.answer.ecsScope]);
    }
  });

  it('covers every policy and outcome', () => {
    // A guard on the tables above: each policy and each kind of answer is among them.
    const seen = new Set<string>();
    const z = zones();
    for (const client of CLIENTS)
      for (const [name, type] of QUESTIONS) {
        const x = explain(z, geo, health, name === '@' ? ZONE : `${name}.${ZONE}`, type, client);
        seen.add(x.answer.outcome);
        for (const c of x.chain)
          seen.add(c.steering ? `${c.steering.policy}/${c.steering.mode}` : c.kind);
      }
    expect([...seen].sort()).toEqual(
      [
        'answer',
        'cname',
        'failover/policy',
        'geo/policy',
        'nearest/no-family',
        'nearest/policy',
        'nodata',
        'nxdomain',
        'referral',
        'static',
        'sticky/policy',
        'weighted/policy',
      ].sort(),
    );
  });
});
