import { CLASSIC_UDP_LIMIT, Class, EDNS_UDP_PAYLOAD, Flag, Type } from './constants.js';
import type { EdnsOptionData } from './query.js';
import type { Answer, RData, RRset } from './rr.js';
import { Writer } from './writer.js';

/** The OPT record of a reply (RFC 6891 6.1.3). */
export interface EdnsReply {
  udpSize: number;
  /** Upper 8 bits of the 12-bit extended rcode. */
  extendedRcode: number;
  dnssecOk: boolean;
  /** CO (RFC 9824 5.1): set in replies to queries with DO and CO. */
  compactOk: boolean;
  options: EdnsOptionData[];
}

export interface QuestionBytes {
  message: Uint8Array;
  start: number;
  end: number;
  /** Presentation form of the question name (for compression bookkeeping). */
  qname: string;
}

export interface ReplyHeader {
  id: number;
  /** Query's second header word: opcode and RD are echoed from it (RFC 1035 4.1.1). */
  queryFlags: number;
}

/** RFC 6891 6.2.3-6.2.5: how large a UDP reply may be for this requestor. */
export function udpLimit(ednsUdpSize: number | null): number {
  if (ednsUdpSize === null) return CLASSIC_UDP_LIMIT;
  return Math.min(Math.max(ednsUdpSize, CLASSIC_UDP_LIMIT), EDNS_UDP_PAYLOAD);
}

/** Octets of the OPT record holding `opt`'s options and `extra` octets of per-query options. */
export function optLength(opt: EdnsReply, extra = 0): number {
  let n = 11 + extra;
  for (const o of opt.options) n += 4 + o.data.length;
  return n;
}

/**
 * Encode a reply. `limit` is the largest message the transport allows (65535 over TCP).
 * RFC 2181 9 and RFC 1035 4.2.1: an RRset is never split; when answer or authority data does not
 * fit, TC is set so the resolver retries over TCP. Additional data is optional and dropped RRset by
 * RRset, except referral glue, whose loss sets TC (RFC 9471).
 */
export function encodeReply(
  header: ReplyHeader,
  question: QuestionBytes | null,
  answer: Answer,
  opt: EdnsReply | null,
  limit: number,
): Buffer {
  const body = encodeBody(header, question, answer, opt, limit);
  if (!opt) return body;
  const out = Buffer.allocUnsafe(body.length + optLength(opt));
  body.copy(out);
  writeOpt(out, body.length, opt, 0);
  return out;
}

/**
 * A reply without its OPT record: the header's ARCOUNT counts the OPT, whose bytes the caller
 * appends last with writeOpt (RFC 6891 6.1.1: OPT may go anywhere in the additional section, so
 * last is as good as any). Keeping the OPT out of the encoded bytes means a memoised reply never
 * has to be edited inside a record: the OPT is always written whole, from data, RDLENGTH
 * computed. The budget leaves room for the OPT with its options and `room` octets of
 * per-query options (ECS echo, cookie).
 */
export function encodeBody(
  header: ReplyHeader,
  question: QuestionBytes | null,
  answer: Answer,
  opt: EdnsReply | null,
  limit: number,
  room = 0,
): Buffer {
  const w = new Writer(Math.min(limit, 4096));
  const budget = limit - (opt ? optLength(opt, room) : 0);
  w.u16(header.id);
  const flagsAt = w.pos;
  w.u16(0);
  w.u16(question ? 1 : 0);
  const countsAt = w.pos;
  w.u16(0);
  w.u16(0);
  w.u16(0);
  if (question) {
    w.rawName(question.message, question.start, question.end - 4, question.qname);
    w.bytes(question.message.subarray(question.end - 4, question.end));
  }

  // RRsets go in whole or not at all. The first answer or authority RRset that does not fit
  // stops the message with TC set, keeping what fit (as Knot does); resolvers retry over TCP.
  let tc = false;
  let an = 0;
  let ns = 0;
  let ar = 0;
  const fits = (set: RRset): number => {
    const m = w.mark();
    const n = writeRRset(w, set);
    if (w.pos <= budget) return n;
    w.rollback(m);
    return -1;
  };
  for (const set of answer.answer) {
    const n = fits(set);
    if (n < 0) {
      tc = true;
      break;
    }
    an += n;
  }
  for (const set of tc ? [] : answer.authority) {
    const n = fits(set);
    if (n < 0) {
      tc = true;
      break;
    }
    ns += n;
  }
  // Additional data is best effort, RRset by RRset; a later smaller RRset may still fit.
  for (const set of tc ? [] : answer.additional) {
    const n = fits(set);
    if (n < 0) {
      if (answer.requiredAdditional?.includes(set)) tc = true;
      continue;
    }
    ar += n;
  }
  if (opt) ar++; // appended by writeOpt
  const rcode = answer.rcode & 0xf;
  const flags =
    Flag.QR |
    (header.queryFlags & (0x7800 | Flag.RD)) |
    (answer.aa ? Flag.AA : 0) |
    (tc ? Flag.TC : 0) |
    rcode;
  w.buf.writeUInt16BE(flags, flagsAt);
  w.buf.writeUInt16BE(an, countsAt);
  w.buf.writeUInt16BE(ns, countsAt + 2);
  w.buf.writeUInt16BE(ar, countsAt + 4);
  return w.done();
}

/**
 * Write the OPT record (RFC 6891 6.1.2) at `at`: `opt`'s options, then room for `extra` octets
 * of per-query options the caller writes at the returned offset. RDLENGTH covers both, so the
 * record is well formed whatever options it holds. `out` must have optLength(opt, extra) octets
 * from `at`.
 */
export function writeOpt(
  out: Buffer,
  at: number,
  opt: EdnsReply,
  extra: number,
  extendedRcode = opt.extendedRcode,
): number {
  out[at] = 0; // root owner
  out.writeUInt16BE(Type.OPT, at + 1);
  out.writeUInt16BE(opt.udpSize, at + 3);
  out[at + 5] = extendedRcode;
  out[at + 6] = 0; // version 0
  // RFC 3225 3: DO is copied from the query; RFC 9824 5.1: so is CO, when we act on it.
  out.writeUInt16BE((opt.dnssecOk ? 0x8000 : 0) | (opt.compactOk ? 0x4000 : 0), at + 7);
  out.writeUInt16BE(optLength(opt, extra) - 11, at + 9);
  let p = at + 11;
  for (const o of opt.options) {
    out.writeUInt16BE(o.code, p);
    out.writeUInt16BE(o.data.length, p + 2);
    out.set(o.data, p + 4);
    p += 4 + o.data.length;
  }
  return p;
}

function writeRRset(w: Writer, set: RRset): number {
  for (const rd of set.rdata) {
    w.name(set.name);
    w.u16(set.type);
    w.u16(Class.IN);
    w.u32(set.ttl);
    const end = w.lengthPrefix();
    writeRData(w, rd);
    end();
  }
  return set.rdata.length;
}

function writeRData(w: Writer, rd: RData): void {
  switch (rd.kind) {
    case 'a':
    case 'aaaa':
    case 'opaque':
      w.bytes(rd.bytes);
      return;
    case 'name':
      w.name(rd.name);
      return;
    case 'mx':
      w.u16(rd.preference);
      w.name(rd.exchange);
      return;
    case 'srv':
      w.u16(rd.priority);
      w.u16(rd.weight);
      w.u16(rd.port);
      w.name(rd.target, false); // RFC 2782: the target is not compressed
      return;
    case 'soa':
      w.name(rd.mname);
      w.name(rd.rname);
      w.u32(rd.serial);
      w.u32(rd.refresh);
      w.u32(rd.retry);
      w.u32(rd.expire);
      w.u32(rd.minimum);
      return;
    case 'txt':
      for (const s of rd.strings) {
        w.u8(s.length);
        w.bytes(s);
      }
      return;
    case 'caa': {
      w.u8(rd.flags);
      const tag = Buffer.from(rd.tag, 'ascii');
      w.u8(tag.length);
      w.bytes(tag);
      w.bytes(rd.value);
      return;
    }
  }
}
