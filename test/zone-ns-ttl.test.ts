// `nameservers: { ttl: N, ... }`: the apex NS RRset and the glue written under nameservers: get
// their own TTL, so a zone can keep a long NS TTL beside short record TTLs without restating every
// record's. Checked over real sockets (answers, additional data, referrals) and at compile time.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';
import { exchange, type Transport } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, query, section, TYPE } from './helpers/wire.js';

const ZONE = `zone: example.test
ttl: 60
nameservers:
  ttl: 86400 # the NS records and their glue
  ns1: [192.0.2.53, 2001:db8::53]
  ns.example.net.:
records:
  www:
    A: 192.0.2.1
  ns1:
    TXT: hello # other data at a nameserver's name keeps the zone's TTL
  lab: # a child served by this zone's own nameserver and one of its own
    NS: [ns1.example.test., ns1.lab]
  ns1.lab:
    A: 192.0.2.99
`;

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ 'example.test.yaml': ZONE });
});
afterAll(() => t.stop());

const NS_A = 'ns1.example.test 86400 A 192.0.2.53';
const NS_AAAA = 'ns1.example.test 86400 AAAA 2001:db8::53';

// [question, type, answer, authority, additional]
const rows: [string, keyof typeof TYPE, string[], string[], string[]][] = [
  [
    'example.test',
    'NS',
    ['example.test 86400 NS ns.example.net', 'example.test 86400 NS ns1.example.test'],
    [],
    [NS_A, NS_AAAA],
  ],
  ['ns1.example.test', 'A', [NS_A], [], []],
  ['ns1.example.test', 'AAAA', [NS_AAAA], [], []],
  ['ns1.example.test', 'TXT', ['ns1.example.test 60 TXT hello'], [], []],
  ['www.example.test', 'A', ['www.example.test 60 A 192.0.2.1'], [], []],
  // The referral's NS are the child's, with their own TTL; the glue keeps the TTL of its RRset.
  [
    'host.lab.example.test',
    'A',
    [],
    ['lab.example.test 60 NS ns1.example.test', 'lab.example.test 60 NS ns1.lab.example.test'],
    [NS_A, NS_AAAA, 'ns1.lab.example.test 60 A 192.0.2.99'],
  ],
];

describe.each(['udp', 'tcp'] as Transport[])('nameservers ttl over %s', (via) => {
  it.each(rows)('%s %s', async (name, type, answer, authority, additional) => {
    const reply = await exchange(via, t.port, query(name, TYPE[type]), 1000);
    const m = decode(reply!);
    expect(section(m.answers)).toEqual(answer.sort());
    expect(section(m.authorities)).toEqual(authority.sort());
    expect(section(m.additionals)).toEqual(additional.sort());
  });
});

describe('nameservers ttl: docs/zone-format.md', () => {
  it("the example gives the NS records and their glue the TTL it says, other records the zone's", async () => {
    const md = await readFile('docs/zone-format.md', 'utf8');
    const block = /```yaml\n(zone: example\.org\nnameservers:\n {2}ttl: [\s\S]*?)```/.exec(md);
    expect(block, 'the nameservers ttl example').not.toBeNull();
    const r = compileText('docs.yaml', block![1]! + 'records:\n  www:\n    A: 192.0.2.1\n');
    expect(r.problems).toEqual([]);
    const ttl = (name: string, type: number) => r.zone!.nodes.get(name)?.rrsets.get(type)?.ttl;
    expect([
      ttl('example.org', TYPE.NS),
      ttl('ns1.example.org', TYPE.A),
      ttl('ns1.example.org', TYPE.AAAA),
      ttl('ns2.example.org', TYPE.A),
      ttl('www.example.org', TYPE.A),
    ]).toEqual([86400, 86400, 86400, 86400, 300]);
  });
});

describe('nameservers ttl: validation', () => {
  const problems = (ns: string) =>
    compileText('z.yaml', `zone: example.test\nnameservers:\n${ns}`).problems.map(formatProblem);

  it('without ttl:, NS and glue keep the zone TTL (the old form)', () => {
    const r = compileText(
      'z.yaml',
      'zone: example.test\nttl: 120\nnameservers:\n  ns1: 192.0.2.53\n',
    );
    expect(r.problems).toEqual([]);
    const apex = r.zone!.nodes.get('example.test');
    expect(apex?.rrsets.get(TYPE.NS)?.ttl).toBe(120);
    expect(r.zone!.nodes.get('ns1.example.test')?.rrsets.get(TYPE.A)?.ttl).toBe(120);
  });

  it.each([
    [
      '  ttl: -1\n  ns1.example.net.:\n',
      'z.yaml:3:8: nameservers.ttl: must be an integer 0-2147483647, got number -1 [bad-ttl]',
    ],
    [
      '  ttl: 1h\n  ns1.example.net.:\n',
      'z.yaml:3:8: nameservers.ttl: the TTL of the NS records and their glue must be an integer 0-2147483647, got string "1h"; a nameserver named ttl is written in full: ttl.example.test [bad-ttl]',
    ],
    [
      '  ttl: [192.0.2.53]\n',
      'z.yaml:3:8: nameservers.ttl: the TTL of the NS records and their glue must be an integer 0-2147483647, got a list; a nameserver named ttl is written in full: ttl.example.test [bad-ttl]',
    ],
  ])('rejects %j', (ns, problem) => {
    expect(problems(ns)).toContain(problem);
  });

  it('a ttl: alone names no nameserver', () => {
    expect(problems('  ttl: 300\n')).toEqual([
      'z.yaml:3:3: nameservers: at least one nameserver is required [missing-key]',
    ]);
  });

  it('a nameserver named ttl is written in full', () => {
    const r = compileText(
      'z.yaml',
      'zone: example.test\nnameservers:\n  ttl.example.test: 192.0.2.53\n',
    );
    expect(r.problems).toEqual([]);
    expect(r.zone!.nodes.get('ttl.example.test')?.rrsets.get(TYPE.A)?.ttl).toBe(300);
  });
});
