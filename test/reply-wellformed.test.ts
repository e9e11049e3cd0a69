// Every reply is well-formed DNS, whatever the query's EDNS options, over real UDP and TCP
// sockets: it decodes with dns-packet (an implementation independent of geosteer's wire code)
// with no octet left over, and its OPT holds what the query asked for (issue 9.1: an ECS echo
// appended after an EDE option left the OPT's RDLENGTH short and bytes trailing the message).
import { readFile } from 'node:fs/promises';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpExchange, udpExchange } from './helpers/dns-client.js';
import { decode, header, RCODE } from './helpers/wire.js';
import { defaultCookiesConfig, defaultRrlConfig } from '../src/server/rrl-config.js';
import { startServer, type TestServer } from './helpers/server.js';
import { ALL_ZONES } from './helpers/zones.js';

/** The question and what the server answers it with (header rcode, EDE 20 expected). */
interface Question {
  name: string;
  qtype: number;
  qclass: number;
  rcode: string;
  /** RFC 8914 4.21: EDE 20 on REFUSED for a name in no zone. */
  ede: boolean;
  /** A referral: NOERROR without AA. */
  referral?: boolean;
}

const QUESTIONS: Question[] = [
  { name: 'www.example.test', qtype: 1, qclass: 1, rcode: 'NOERROR', ede: false },
  { name: 'missing.example.test', qtype: 1, qclass: 1, rcode: 'NXDOMAIN', ede: false },
  { name: 'mail.example.test', qtype: 16, qclass: 1, rcode: 'NOERROR', ede: false }, // NODATA
  { name: 'huge.example.test', qtype: 16, qclass: 1, rcode: 'NOERROR', ede: false }, // TC over UDP
  {
    name: 'host.child.example.test',
    qtype: 1,
    qclass: 1,
    rcode: 'NOERROR',
    ede: false,
    referral: true,
  },
  { name: 'www.nowhere.invalid', qtype: 1, qclass: 1, rcode: 'REFUSED', ede: true },
  { name: 'example.test', qtype: 252, qclass: 1, rcode: 'REFUSED', ede: false }, // AXFR
  { name: 'www.example.test', qtype: 1, qclass: 3, rcode: 'REFUSED', ede: false }, // class CH
  { name: 'www.gslb.example.com', qtype: 1, qclass: 1, rcode: 'NOERROR', ede: false }, // nearest
  { name: 'api.gslb.example.com', qtype: 28, qclass: 1, rcode: 'NOERROR', ede: false }, // weighted
  {
    name: 'sub.gslb.example.com',
    qtype: 1,
    qclass: 1,
    rcode: 'NOERROR',
    ede: false,
    referral: true,
  },
];

type Kind = 'plain' | 'formerr' | 'notimp' | 'badvers';

interface Ecs {
  family: 1 | 2;
  source: number;
  address: Buffer;
}

interface Edns {
  size: number;
  dnssecOk: boolean;
  ecs: Ecs | null;
  /** A client cookie alone (8 octets) or with a server cookie (8-32 more). */
  cookie: Buffer | null;
  unknown: Buffer | null;
  /** Order of the options present, as indexes into [ecs, cookie, unknown]. */
  order: number[];
}

interface Case {
  question: Question;
  /** Letter case of the name, one flag per character. */
  upper: boolean[];
  id: number;
  rd: boolean;
  kind: Kind;
  edns: Edns | null;
}

function option(code: number, data: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(code, 0);
  h.writeUInt16BE(data.length, 2);
  return Buffer.concat([h, data]);
}

function ecsData(e: Ecs, scope = 0): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(e.family, 0);
  h[2] = e.source;
  h[3] = scope;
  return Buffer.concat([h, e.address]);
}

/** The query's bytes, built by hand so FORMERR, NOTIMP and BADVERS shapes can be sent. */
function encode(c: Case): Buffer {
  const name = [...c.question.name].map((ch, i) => (c.upper[i] ? ch.toUpperCase() : ch)).join('');
  const qname = Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])),
    Buffer.of(0),
  ]);
  // FORMERR: no question at all (RFC 7873 5.4's cookie-only shape is the same), or a malformed
  // ECS option (RFC 7871 7.1.1: SCOPE PREFIX-LENGTH set in a query) when there is an OPT.
  const noQuestion = c.kind === 'formerr' && (!c.edns || !c.edns.ecs);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(c.id, 0);
  const opcode = c.kind === 'notimp' ? 2 : 0;
  header[2] = (opcode << 3) | (c.rd ? 1 : 0);
  header.writeUInt16BE(noQuestion ? 0 : 1, 4);
  header.writeUInt16BE(c.edns ? 1 : 0, 10);
  const question = noQuestion ? Buffer.alloc(0) : Buffer.concat([qname, Buffer.alloc(4)]);
  if (!noQuestion) {
    question.writeUInt16BE(c.question.qtype, qname.length);
    question.writeUInt16BE(c.question.qclass, qname.length + 2);
  }
  if (!c.edns) return Buffer.concat([header, question]);
  const e = c.edns;
  const parts = [
    e.ecs ? option(8, ecsData(e.ecs, c.kind === 'formerr' ? 1 : 0)) : null,
    e.cookie ? option(10, e.cookie) : null,
    e.unknown ? option(65001, e.unknown) : null,
  ];
  const rdata = Buffer.concat(e.order.map((i) => parts[i]).filter((p): p is Buffer => p !== null));
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(e.size, 3);
  opt[6] = c.kind === 'badvers' ? 1 : 0;
  opt[7] = e.dnssecOk ? 0x80 : 0;
  opt.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([header, question, opt, rdata]);
}

const ecsArb: fc.Arbitrary<Ecs> = fc
  .oneof(
    fc.tuple(fc.integer({ min: 0, max: 32 }), fc.uint8Array({ minLength: 4, maxLength: 4 })),
    fc.tuple(fc.integer({ min: 0, max: 128 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
  )
  .map(([source, bytes]) => {
    const octets = Math.ceil(source / 8);
    const address = Buffer.from(bytes.subarray(0, octets));
    // RFC 7871 6: bits beyond SOURCE PREFIX-LENGTH are zero, else the option is malformed.
    if (source % 8) address[octets - 1]! &= (0xff << (8 - (source % 8))) & 0xff;
    return { family: bytes.length === 4 ? 1 : 2, source, address } as Ecs;
  });

const ednsArb: fc.Arbitrary<Edns> = fc.record({
  size: fc.oneof(fc.constantFrom(0, 512, 1232, 4096), fc.integer({ min: 0, max: 65535 })),
  dnssecOk: fc.boolean(),
  ecs: fc.option(ecsArb, { nil: null }),
  cookie: fc
    .option(
      fc.oneof(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 40 }),
      ),
      { nil: null },
    )
    .map((b) => (b ? Buffer.from(b) : null)),
  unknown: fc
    .option(fc.uint8Array({ maxLength: 40 }), { nil: null })
    .map((b) => (b ? Buffer.from(b) : null)),
  order: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
});

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    question: fc.constantFrom(...QUESTIONS),
    upper: fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }),
    id: fc.integer({ min: 0, max: 65535 }),
    rd: fc.boolean(),
    kind: fc.constantFrom<Kind>('plain', 'plain', 'plain', 'formerr', 'notimp', 'badvers'),
    edns: fc.option(ednsArb, { nil: null }),
  })
  // BADVERS needs an OPT to carry its version.
  .filter((c) => c.kind !== 'badvers' || c.edns !== null);

interface DecodedOpt {
  udpPayloadSize: number;
  extendedRcode: number;
  ednsVersion: number;
  flag_do: boolean;
  options: { code: number; data: Buffer }[];
}

/** Check one reply: decodes whole, and header and OPT answer the query as the RFCs say. */
function check(c: Case, reply: Buffer): void {
  const p = decode(reply);
  // No octet may trail the message: the decoder must have consumed all of it.
  expect((dnsPacket.decode as unknown as { bytes: number }).bytes).toBe(reply.length);
  expect(p.id).toBe(c.id);
  expect(p.type).toBe('response');
  const rd = ((p.flags ?? 0) & 0x100) !== 0;
  expect(rd).toBe(c.rd);
  const cookie = c.edns?.cookie ?? null;
  // RFC 7873 5.4: no question but a COOKIE asks for a server cookie: NOERROR for a client cookie
  // alone, BADCOOKIE (23: 7 in the header, 1 in the OPT) for a server cookie not ours.
  const cookieQuery = c.kind === 'formerr' && !c.edns?.ecs && cookie !== null;
  const badCookie = cookieQuery && cookie.length > 8;
  const expectedRcode = cookieQuery
    ? badCookie
      ? 7
      : 0
    : RCODE[
        c.kind === 'formerr'
          ? 'FORMERR'
          : c.kind === 'notimp'
            ? 'NOTIMP'
            : c.kind === 'badvers'
              ? 'NOERROR' // BADVERS is 16: 0 in the header, 1 in the OPT (RFC 6891 6.1.3)
              : (c.question.rcode as keyof typeof RCODE)
      ];
  expect(header(reply).rcode).toBe(expectedRcode);
  if (c.kind === 'plain' && c.question.referral) expect((p.flags ?? 0) & 0x400).toBe(0);
  const opts = (p.additionals ?? []).filter((a) => a.type === 'OPT') as unknown as DecodedOpt[];
  if (!c.edns) {
    expect(opts).toHaveLength(0);
    return;
  }
  // RFC 6891 7: a query with an OPT gets one back, even with an error rcode.
  expect(opts).toHaveLength(1);
  const o = opts[0]!;
  expect(o.ednsVersion).toBe(0);
  expect(o.extendedRcode).toBe(c.kind === 'badvers' || badCookie ? 1 : 0);
  expect(o.udpPayloadSize).toBe(1232);
  expect(o.flag_do).toBe(c.edns.dnssecOk);
  const codes = o.options.map((x) => x.code);
  // RFC 7871 7.2.1: an answer echoes FAMILY, SOURCE PREFIX-LENGTH and ADDRESS; errors carry none.
  const ecs = o.options.filter((x) => x.code === 8);
  if (c.kind === 'plain' && c.edns.ecs) {
    expect(ecs).toHaveLength(1);
    const d = ecs[0]!.data;
    const sent = ecsData(c.edns.ecs);
    expect(d.readUInt16BE(0)).toBe(c.edns.ecs.family);
    expect(d[2]).toBe(c.edns.ecs.source);
    expect(d.subarray(4)).toEqual(sent.subarray(4));
    expect(d[3]).toBeLessThanOrEqual(c.edns.ecs.source === 0 ? 0 : 128);
  } else expect(ecs).toHaveLength(0);
  const ede = o.options.filter((x) => x.code === 15);
  if (c.kind === 'plain' && c.question.ede) {
    expect(ede).toHaveLength(1);
    expect([...ede[0]!.data]).toEqual([0, 20]);
  } else expect(ede).toHaveLength(0);
  // Options we do not implement are never echoed (RFC 6891 6.1.2).
  expect(codes.filter((x) => x !== 8 && x !== 15 && x !== 10)).toEqual([]);
  // RFC 7873 5.2: every reply to a COOKIE echoes the client cookie with a server cookie of ours
  // (RFC 9018 4.2: version 1, reserved zero, 16 octets); BADVERS echoes none.
  const cookies = o.options.filter((x) => x.code === 10);
  if (cookie && c.kind !== 'badvers') {
    expect(cookies).toHaveLength(1);
    const d = cookies[0]!.data;
    expect(d).toHaveLength(24);
    expect(d.subarray(0, 8)).toEqual(cookie.subarray(0, 8));
    expect([...d.subarray(8, 12)]).toEqual([1, 0, 0, 0]);
  } else expect(cookies).toHaveLength(0);
}

describe('every reply is well-formed DNS with the OPT the query asked for', () => {
  let srv: TestServer;
  beforeAll(async () => {
    const gslb = await readFile(new URL('../zones/gslb.example.com.yaml', import.meta.url), 'utf8');
    // As deployed by default: RRL (loopback is on its allow-list) and cookies on.
    srv = await startServer(
      { ...ALL_ZONES, 'gslb.example.com.yaml': gslb },
      { rrl: defaultRrlConfig(), cookies: defaultCookiesConfig() },
    );
  });
  afterAll(() => srv.stop());

  it('REFUSED with EDE 20 and an ECS echo decodes whole (issue 9.1)', async () => {
    const c: Case = {
      question: QUESTIONS.find((q) => q.ede)!,
      upper: [],
      id: 4242,
      rd: true,
      kind: 'plain',
      edns: {
        size: 1232,
        dnssecOk: false,
        ecs: { family: 1, source: 24, address: Buffer.of(192, 0, 2) },
        cookie: null,
        unknown: null,
        order: [0, 1, 2],
      },
    };
    // Twice: the second reply comes from the memo.
    for (let i = 0; i < 2; i++) {
      const udp = await udpExchange(srv.port, encode(c));
      check(c, udp!);
      const [tcp] = await tcpExchange(srv.port, [encode(c)]);
      check(c, tcp!);
    }
  });

  it('holds for random queries over UDP and TCP', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const msg = encode(c);
        // Twice each way: a first reply is encoded, later ones come from the memo.
        for (let i = 0; i < 2; i++) {
          const udp = await udpExchange(srv.port, msg);
          expect(udp, 'a UDP reply').not.toBeNull();
          check(c, udp!);
        }
        const tcp = await tcpExchange(srv.port, [msg, msg]);
        for (const r of tcp) check(c, r);
      }),
      { numRuns: 250, seed: 9001 },
    );
  });
});

describe('replies cut short by RRL or cookies are well-formed DNS too', () => {
  // Every UDP reply past the first of a bucket is limited and, with slip 1, sent truncated (or as
  // BADCOOKIE to a query with a cookie); cookies.require answers BADCOOKIE without a valid one.
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer(ALL_ZONES, {
      rrl: { ...defaultRrlConfig(), responsesPerSecond: 1, slip: 1, allow: [] },
      cookies: { ...defaultCookiesConfig(), require: true },
      now: () => 1_700_000_000_000,
    });
  });
  afterAll(() => srv.stop());

  it('holds for random queries over UDP', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const reply = await udpExchange(srv.port, encode(c));
        expect(reply, 'a UDP reply (slip 1 drops nothing)').not.toBeNull();
        const p = decode(reply!);
        expect((dnsPacket.decode as unknown as { bytes: number }).bytes).toBe(reply!.length);
        expect(p.id).toBe(c.id);
        const h = header(reply!);
        const opts = (p.additionals ?? []).filter(
          (a) => a.type === 'OPT',
        ) as unknown as DecodedOpt[];
        expect(opts).toHaveLength(c.edns ? 1 : 0);
        // A slip or a BADCOOKIE holds the question and our OPT, nothing else.
        if (h.tc || h.rcode === 7) {
          expect([h.ancount, h.nscount, h.arcount]).toEqual([0, 0, c.edns ? 1 : 0]);
        }
        if (h.rcode === 7) expect(opts[0]?.extendedRcode).toBe(1);
        // A COOKIE of a version 0 query is echoed, client cookie first, whatever the reply.
        const cookie = opts[0]?.options.find((o) => o.code === 10);
        if (c.edns?.cookie && c.kind !== 'badvers')
          expect(cookie?.data.subarray(0, 8)).toEqual(c.edns.cookie.subarray(0, 8));
      }),
      { numRuns: 200, seed: 9004 },
    );
  });
});
