// Structured queries from fast-check: a question (in-zone, steered, delegated or out-of-zone
// name, in random letter case; any type and class), header bits, and an OPT record with any mix
// of ECS, cookie, EDE, padding, NSID and unknown options. Mostly well formed, so the answer
// paths and the memo (whose patching of OPT options is where replies went wrong) get the load.
import fc from 'fast-check';
import { ecsData } from '../test/helpers/dns-client.js';
import { aRecord, message, optBytes, questionBytes } from '../test/helpers/wire.js';
import { NAMES } from './zones.js';

const caseOf = (name: string, mask: number) =>
  [...name].map((c, i) => ((mask >> (i % 31)) & 1 ? c.toUpperCase() : c)).join('');

const qname = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), fc.constantFrom(...NAMES))
      .map(([l, n]) => (n ? `${l}.${n}` : l)),
  },
);

const qtype = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(1, 28, 16, 15, 6, 2, 5, 33, 255, 257, 43, 12) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const qclass = fc.oneof(
  { weight: 8, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constantFrom(3, 4, 254, 255) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);

/** A well-formed ECS option (RFC 7871 6): no bits past the prefix, SCOPE 0. */
const goodEcs = fc
  .tuple(
    fc.constantFrom(1, 2),
    fc.integer({ min: 0, max: 128 }),
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
  )
  .map(([family, p, bytes]) => {
    const prefix = family === 1 ? p % 33 : p;
    const octets = Math.ceil(prefix / 8);
    const address = Buffer.from(bytes.subarray(0, octets));
    if (prefix % 8) address[octets - 1]! &= 0xff << (8 - (prefix % 8));
    return { code: 8, data: ecsData({ family, sourcePrefix: prefix, scopePrefix: 0, address }) };
  });

const anyOption = fc.record({
  code: fc.integer({ min: 0, max: 0xffff }),
  data: fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
});

const option = fc.oneof(
  { weight: 4, arbitrary: goodEcs },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.constant(8), fc.integer({ min: 16, max: 40 }), fc.integer({ min: 0, max: 48 }))
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
      .map((b) => ({ code: 10, data: Buffer.from(b) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(3, 11, 12, 15), fc.integer({ min: 0, max: 64 }))
      .map(([code, n]) => ({ code, data: Buffer.alloc(n) })),
  },
  { weight: 1, arbitrary: anyOption },
);

const edns = fc.record({
  udpSize: fc.oneof(
    fc.constantFrom(512, 1232, 4096, 1400, 65535, 0, 511),
    fc.integer({ min: 0, max: 0xffff }),
  ),
  version: fc.oneof(
    { weight: 9, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) },
  ),
  dnssecOk: fc.boolean(),
  options: fc.array(option, { maxLength: 3 }),
});

export const structuredQuery: fc.Arbitrary<Buffer> = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffff }),
    name: qname,
    mask: fc.integer({ min: 0, max: 0x7fffffff }),
    qtype,
    qclass,
    rd: fc.boolean(),
    cd: fc.boolean(),
    ad: fc.boolean(),
    qr: fc.oneof(
      { weight: 19, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    opcode: fc.oneof(
      { weight: 19, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 15 }) },
    ),
    edns: fc.option(edns, { freq: 3 }),
    answers: fc.oneof(
      { weight: 19, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
    ),
  })
  .map((q) =>
    message({
      id: q.id,
      flags:
        (q.qr ? 0x8000 : 0) |
        (q.opcode << 11) |
        (q.rd ? 0x0100 : 0) |
        (q.ad ? 0x0020 : 0) |
        (q.cd ? 0x0010 : 0),
      questions: [questionBytes(caseOf(q.name, q.mask), q.qtype, q.qclass)],
      answers: Array.from({ length: q.answers }, () => aRecord('x.example.test')),
      additional: q.edns ? [optBytes(q.edns)] : [],
    }),
  );

/** `count` structured queries, the same for the same seed. */
export function sampleStructured(seed: number, count: number): Buffer[] {
  return fc.sample(structuredQuery, { seed, numRuns: count });
}
