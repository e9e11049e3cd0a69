// Malformed messages built on purpose, aimed at one rule each: the OPT record and its options
// (RFC 6891 6.1.1, RFC 7871 6, RFC 7873 4), compression pointers (RFC 1035 4.1.4) and the
// limits on labels and names (RFC 1035 2.3.4). Random mutations rarely hit these exactly.
import { ecsData, type EcsFields } from '../test/helpers/dns-client.js';
import {
  aRecord,
  message,
  optBytes,
  type OptSpec,
  questionBytes,
  u16,
  wireName,
} from '../test/helpers/wire.js';
import type { Rng } from './rng.js';
import { NAMES } from './zones.js';

type Option = { code: number; data: Buffer };

export function randomCase(name: string, r: Rng): string {
  let out = '';
  for (const ch of name) out += r.chance(0.3) ? ch.toUpperCase() : ch;
  return out;
}

export const name = (r: Rng): string => randomCase(r.pick(NAMES), r);
const qtype = (r: Rng): number =>
  r.chance(0.8) ? r.pick([1, 28, 16, 15, 6, 2, 5, 33, 255, 257, 43, 252]) : r.int(0x10000);

/** An ECS option, well formed or broken in one of the ways RFC 7871 6 forbids. */
export function ecs(r: Rng): Option {
  const family = r.chance(0.85) ? 1 + r.int(2) : r.pick([0, 3, 0xffff, r.int(0x10000)]);
  const bits = family === 2 ? 128 : 32;
  const f: EcsFields = {
    family,
    sourcePrefix: r.int(bits + 1),
    scopePrefix: 0,
    address: Buffer.alloc(0),
  };
  const octets = Math.ceil(f.sourcePrefix / 8);
  f.address = r.bytes(octets);
  // Well formed unless a fault is chosen below: no bits set past the prefix.
  if (f.sourcePrefix % 8) f.address[octets - 1]! &= 0xff << (8 - (f.sourcePrefix % 8));
  switch (r.int(8)) {
    case 0:
      f.sourcePrefix = bits + 1 + r.int(256 - bits - 1); // beyond 32 or 128
      break;
    case 1:
      if (octets) f.address[octets - 1]! |= 1; // a bit past the prefix (or inside it)
      break;
    case 2:
      f.address = r.bytes(r.int(20)); // ADDRESS of the wrong length
      break;
    case 3:
      f.scopePrefix = 1 + r.int(255); // a query's SCOPE must be 0
      break;
    case 4:
      return { code: 8, data: r.bytes(r.int(4)) }; // shorter than FAMILY + prefixes
    default:
  }
  return { code: 8, data: ecsData(f) };
}

/** A COOKIE option (RFC 7873 4): 8 octets, 16 to 40, or a length it forbids. */
export function cookie(r: Rng): Option {
  const len = r.pick([8, 8, 16, 24, 40, r.int(8), 9 + r.int(7), 41 + r.int(30)]);
  return { code: 10, data: r.bytes(len) };
}

export function option(r: Rng): Option {
  switch (r.int(6)) {
    case 0:
    case 1:
      return ecs(r);
    case 2:
      return cookie(r);
    case 3:
      return { code: r.pick([12, 3, 11, 15]), data: Buffer.alloc(r.pick([0, 1, 2, 4, 40])) };
    default:
      return { code: r.int(0x10000), data: r.bytes(r.int(24)) };
  }
}

export function optSpec(r: Rng): OptSpec {
  return {
    udpSize: r.pick([0, 511, 512, 1232, 1233, 4096, 65535, r.int(0x10000)]),
    version: r.chance(0.85) ? 0 : r.int(256),
    dnssecOk: r.chance(0.5),
    extendedRcode: r.chance(0.9) ? 0 : r.int(256),
    options: Array.from({ length: r.int(4) }, () => option(r)),
  };
}

/** A query whose OPT record, or the place it sits, breaks RFC 6891 6.1.1. */
export function badOpt(r: Rng): Buffer {
  const q = questionBytes(name(r), qtype(r));
  const spec = optSpec(r);
  const opt = () => optBytes(spec);
  switch (r.int(10)) {
    case 0: // duplicated options (RFC 7871 7.1.1 allows one ECS; two cookies are no better)
      spec.options = [ecs(r), ecs(r), ...(r.chance(0.5) ? [cookie(r), cookie(r)] : [])];
      return message({ questions: [q], additional: [opt()] });
    case 1: // an option running past RDATA, or RDATA ending inside an option header
      spec.rdata = Buffer.concat([u16(r.pick([8, 10, 65001])), u16(r.int(64)), r.bytes(r.int(8))]);
      return message({ questions: [q], additional: [opt()] });
    case 2: {
      // RDLENGTH lying about the options that follow
      const o = optBytes(spec);
      o.writeUInt16BE(r.int(0x10000), 9);
      return message({ questions: [q], additional: [o] });
    }
    case 3: // OPT not last
      return message({ questions: [q], additional: [opt(), aRecord(name(r) || 'x')] });
    case 4: // two OPTs
      return message({ questions: [q], additional: [opt(), opt()] });
    case 5: // OPT in the answer or authority section
      return r.chance(0.5)
        ? message({ questions: [q], answers: [opt()] })
        : message({ questions: [q], authority: [opt()] });
    case 6: // an owner other than the root
      return message({
        questions: [q],
        additional: [optBytes({ ...spec, owner: name(r) || 'x' })],
      });
    case 7: // no question, just an OPT (cookie-only or garbage)
      return message({ questions: [], additional: [opt()] });
    default: // well formed, with random options: every option combination must echo well
      return message({ id: r.int(0x10000), questions: [q], additional: [opt()] });
  }
}

const ptr = (to: number) => Buffer.from([0xc0 | (to >> 8), to & 0xff]);

/** Compression pointers (RFC 1035 4.1.4) that loop, point forward, or point out of the message. */
export function pointers(r: Rng): Buffer {
  const q = questionBytes(name(r), qtype(r));
  const qEnd = 12 + q.length;
  switch (r.int(6)) {
    case 0: // the question name is a pointer to itself
      return message({ qdcount: 1, trailing: Buffer.concat([ptr(12), u16(1), u16(1)]) });
    case 1: // a label then a pointer back to the label: a loop that grows the name
      return message({
        qdcount: 1,
        trailing: Buffer.concat([Buffer.from([1, 0x61]), ptr(12), u16(1), u16(1)]),
      });
    case 2: {
      // the OPT owner points forward, into its own RDATA
      const o = optBytes(optSpec(r));
      const owner = ptr(qEnd + 2 + 8 + r.int(4));
      return message({ questions: [q], additional: [Buffer.concat([owner, o.subarray(1)])] });
    }
    case 3: {
      // an answer record whose owner points at itself, or past the end
      const rr = aRecord('x');
      const to = r.chance(0.5) ? qEnd : 0x3fff;
      return message({ questions: [q], answers: [Buffer.concat([ptr(to), rr.subarray(3)])] });
    }
    case 4: {
      // two records' owners pointing at each other
      const a = Buffer.concat([ptr(qEnd + 12), aRecord('x').subarray(3)]);
      const b = Buffer.concat([ptr(qEnd), aRecord('x').subarray(3)]);
      return message({ questions: [q], authority: [a, b] });
    }
    default: {
      // the OPT owner is a pointer to the root label ending the question: legal, unusual
      const o = optBytes(optSpec(r));
      return message({
        questions: [q],
        additional: [Buffer.concat([ptr(qEnd - 5), o.subarray(1)])],
      });
    }
  }
}

/** Labels over 63 octets, names over 255, empty labels, and many questions (RFC 1035 2.3.4). */
export function names(r: Rng): Buffer {
  const tail = Buffer.concat([u16(qtype(r)), u16(1)]);
  switch (r.int(5)) {
    case 0: {
      // a length octet of 64-255, with or without that many octets after it
      const len = 64 + r.int(192);
      const body = Buffer.alloc(r.chance(0.5) ? len : r.int(len), 0x61);
      return message({
        qdcount: 1,
        trailing: Buffer.concat([Buffer.from([len]), body, Buffer.from([0]), tail]),
      });
    }
    case 1: {
      // a name of 250-270 octets: around the 255 limit
      const total = 250 + r.int(21);
      const parts: Buffer[] = [];
      let left = total - 1;
      while (left > 1) {
        const n = Math.min(63, left - 1);
        parts.push(Buffer.from([n]), Buffer.alloc(n, 0x62));
        left -= n + 1;
      }
      return message({ qdcount: 1, trailing: Buffer.concat([...parts, Buffer.from([0]), tail]) });
    }
    case 2: // many questions
      return message({
        questions: Array.from({ length: 2 + r.int(40) }, () => questionBytes(name(r), qtype(r))),
      });
    case 3: // QDCOUNT far above the questions present
      return message({ qdcount: 2 + r.int(0xfffe), questions: [questionBytes(name(r), qtype(r))] });
    default: // a zero-length label inside the name ends it early: what follows is garbage
      return message({
        qdcount: 1,
        trailing: Buffer.concat([wireName('www'), wireName('example.test'), tail]),
      });
  }
}

/** Random octets, or random octets behind a plausible query header. */
export function garbage(r: Rng): Buffer {
  if (r.chance(0.5)) return r.bytes(r.int(300));
  const head = message({
    id: r.int(0x10000),
    qdcount: r.int(3),
    ancount: r.int(3),
    arcount: r.int(3),
  });
  return Buffer.concat([head, r.bytes(r.int(120))]);
}
