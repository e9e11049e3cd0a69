// The fuzzer's judge and generators, checked on hand-made replies: a check that never fires would
// let the CI fuzz pass (test/fuzz.test.ts) stay green over broken replies.
import { readdir, readFile } from 'node:fs/promises';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { PacketSource } from '../fuzz/cases.js';
import { judge, udpAllowance } from '../fuzz/check.js';
import { framesOf } from '../fuzz/framing.js';
import { replay } from '../fuzz/run.js';
import { frame } from './helpers/conn.js';
import { ecsOption } from './helpers/dns-client.js';
import { optBytes, query, TYPE } from './helpers/wire.js';

const q = query('www.example.test', TYPE.A, { id: 7 });
const qEdns = (udpSize: number) => query('www.example.test', TYPE.A, { id: 7, edns: { udpSize } });

/** A reply to `q` built with dns-packet, with `pad` TXT octets to reach a size. */
function reply(
  opts: { id?: number; name?: string; opt?: boolean; pad?: number; rcode?: number } = {},
): Buffer {
  const b = dnsPacket.encode({
    type: 'response',
    id: opts.id ?? 7,
    flags: dnsPacket.RECURSION_DESIRED | (opts.rcode ?? 0),
    questions: [{ name: opts.name ?? 'www.example.test', type: 'A', class: 'IN' }],
    answers: opts.pad
      ? [
          {
            name: 'www.example.test',
            type: 'TXT',
            ttl: 1,
            data: 'x'.repeat(opts.pad).match(/.{1,200}/g)!,
          },
        ]
      : [],
    additionals: opts.opt
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 1232,
            flags: 0,
            options: [],
          } as unknown as dnsPacket.Answer,
        ]
      : [],
  });
  return b;
}
const checks = (query: Buffer, r: Buffer, transport: 'udp' | 'tcp' = 'udp') =>
  judge(query, r, transport, 1232).violations.map((v) => v.check);

describe('judge', () => {
  it('passes a well-formed reply that echoes the query', () => {
    expect(checks(q, reply())).toEqual([]);
  });

  it.each([
    ['trailing-bytes', q, Buffer.concat([reply(), Buffer.from([0, 0, 0])])],
    ['undecodable', q, reply().subarray(0, 20)],
    ['id-mismatch', q, reply({ id: 8 })],
    ['question-mismatch', q, reply({ name: 'WWW.example.test' })],
    ['opt-unasked', q, reply({ opt: true })],
    ['servfail', q, reply({ rcode: 2 })],
    ['reply-to-response', Buffer.from([0, 7, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0]), reply()],
    ['reply-to-scrap', Buffer.from([0, 7]), reply()],
  ])('flags %s', (check, query, r) => {
    expect(checks(query, r)).toContain(check);
  });

  it('flags the REFUSED reply to an ECS query that geosteer sent before issue 9.1 was fixed', () => {
    // From the fuzzer's first run: EDE 20 made the memo write the ECS echo past the OPT's RDLENGTH.
    const query = Buffer.from(
      '1234010000010000000000010377777709656c73657768657265036e6574000001000100002904d000000000000b0008000700011800c00002',
      'hex',
    );
    const broken = Buffer.from(
      '1234810500010000000000010377777709656c73657768657265036e6574000001000100002904d0000000000006000f0002000b0008000700011800c00002',
      'hex',
    );
    expect(checks(query, broken)).toEqual(['trailing-bytes']);
  });

  it('flags an ECS echo that is not the query subnet (RFC 7871 7.2.1)', () => {
    const ecsQuery = (subnet: string) =>
      query('www.example.test', TYPE.A, { id: 7, edns: { options: [ecsOption(subnet)] } });
    const ecsReply = (subnet: string, scope: number) => {
      const r = dnsPacket.encode({
        type: 'response',
        id: 7,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name: 'www.example.test', type: 'A', class: 'IN' }],
        additionals: [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 1232,
            flags: 0,
            options: [ecsOption(subnet, { scopePrefix: scope })],
          } as unknown as dnsPacket.Answer,
        ],
      });
      return r;
    };
    expect(checks(ecsQuery('198.51.100.0/24'), ecsReply('198.51.100.0/24', 16))).toEqual([]);
    expect(checks(ecsQuery('198.51.100.0/24'), ecsReply('198.51.0.0/16', 16))).toEqual([
      'ecs-echo',
    ]);
    expect(checks(q, ecsReply('198.51.100.0/24', 0))).toContain('ecs-echo');
  });

  it('bounds UDP replies by the query: 512 without EDNS, else the advertised size up to 1232', () => {
    expect([udpAllowance(q, 1232), udpAllowance(qEdns(100), 1232)]).toEqual([512, 512]);
    expect([udpAllowance(qEdns(1000), 1232), udpAllowance(qEdns(4096), 1232)]).toEqual([
      1000, 1232,
    ]);
    const big = reply({ pad: 600 });
    expect(checks(q, big)).toContain('udp-size');
    expect(checks(q, big, 'tcp')).not.toContain('udp-size');
    expect(checks(qEdns(4096), reply({ pad: 600, opt: true }))).toEqual([]);
    expect(checks(qEdns(4096), reply({ pad: 1300, opt: true }))).toContain('udp-size');
  });
});

describe('generators', () => {
  it('make the same packets from the same seed, and others from another', () => {
    const take = (seed: number) => {
      const s = new PacketSource(seed);
      return Array.from({ length: 3000 }, () => s.next().bytes.toString('hex'));
    };
    expect(take(5)).toEqual(take(5));
    expect(take(5)).not.toEqual(take(6));
  });

  it('cut TCP bytes into messages as RFC 1035 4.2.2 framing does', () => {
    const m = Buffer.from('abc');
    expect(
      framesOf(Buffer.concat([frame(m), frame(Buffer.alloc(0)), Buffer.from([0, 9, 1])])),
    ).toEqual([m, Buffer.alloc(0)]);
  });
});

describe('replay', () => {
  it('judges the one reply to a packet from a FINDING line', async () => {
    const ok = await replay(
      query('probe.fuzz.test', TYPE.A, { edns: { options: [ecsOption('10.0.0.0/8')] } }),
      'udp',
    );
    expect(ok.replies).toHaveLength(1);
    expect(ok.report.findings).toEqual([]);
    const response = Buffer.from(q);
    response[2]! |= 0x80;
    const dropped = await replay(response, 'tcp');
    expect([dropped.replies, dropped.report.findings]).toEqual([[], []]);
    const twoOpts = Buffer.concat([
      q.subarray(0, 11),
      Buffer.from([2]),
      q.subarray(12),
      optBytes(),
      optBytes(),
    ]);
    const formerr = await replay(Buffer.concat([frame(twoOpts), frame(q)]), 'tcp-stream');
    expect(formerr.replies.map((r) => r[3]! & 0xf)).toEqual([1, 0]);
    expect(formerr.report.findings).toEqual([]);
  });
});

describe('docs/fuzzing.md', () => {
  it('lists every check the fuzzer can report and every option it takes', async () => {
    const doc = await readFile('docs/fuzzing.md', 'utf8');
    const code = await Promise.all(
      (await readdir('fuzz')).map((f) => readFile(`fuzz/${f}`, 'utf8')),
    );
    const checks = new Set<string>();
    for (const src of code)
      for (const m of src.matchAll(/(?:check: |bad\(|\? )'([a-z]+(?:-[a-z]+)+|servfail|probe)'/g))
        checks.add(m[1]!);
    const options = [
      ...code.join('\n').matchAll(/\.(?:option|addOption\(\s*new Option)\(\s*'(--[a-z-]+)/g),
    ].map((m) => m[1]!);
    expect(checks.size).toBeGreaterThan(15);
    expect(options.length).toBeGreaterThan(8);
    for (const c of checks) expect(doc, c).toContain(`\`${c}\``);
    for (const o of options) expect(doc, o).toContain(`\`${o} `);
  });
});
