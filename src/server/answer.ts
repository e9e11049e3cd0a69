// The answer to a parsed query, as data, then as bytes: the two steps between parsing and the
// reply's last touches (reply-finish.ts). `answerQuery` decides the error rcodes it can (BADVERS,
// a class or a zone transfer not offered) and hands the rest to resolve(); the Answer it returns
// is RRsets (wire/rr.ts). `encode` is the one place an Answer becomes bytes. A step that changes
// the answer as data, such as DNSSEC signing (RFC 4035 3.1: RRSIGs added to each RRset when the
// query has DO), goes between the two, and its replies are memoised apart by the DO bit in the
// memo key (wire/query-key.ts). RRL and cookies act on the encoded reply, in finish.
import { Class, Rcode, Type } from '../wire/constants.js';
import { encodeBody, type EdnsReply } from '../wire/encode.js';
import { foldCase } from '../wire/name.js';
import type { EdnsOptionData, Query } from '../wire/query.js';
import type { Answer } from '../wire/rr.js';
import type { ZoneSet } from '../zone/zone-set.js';
import type { Encoded } from './memo.js';
import { EMPTY, opt } from './reply-finish.js';
import { classify } from './reply-shape.js';
import { resolve } from './resolve.js';
import type { Steering } from './steering.js';
import type { AnswerTally } from './tallies.js';

/** EDNS option 15, Extended DNS Error (RFC 8914 2), info-code 20, no EXTRA-TEXT. */
const NOT_AUTHORITATIVE: EdnsOptionData = { code: 15, data: Uint8Array.of(0, 20) };

/** Whether the query has DO and CO set (RFC 9824 5.1). */
export function compactOk(q: Query): boolean {
  return (q.edns?.dnssecOk ?? false) && (q.edns?.compactOk ?? false);
}

/** The answer as data: the error rcodes decided here, everything else by resolve. */
export function answerQuery(
  zones: ZoneSet,
  q: Query,
  steer: Steering,
): { answer: Answer; ednsReply: EdnsReply | null; zone: string | null } {
  const dnssecOk = q.edns?.dnssecOk ?? false;
  // RFC 6891 6.1.3: a version we do not implement gets BADVERS, and our OPT says version 0.
  if (q.edns && q.edns.version > 0) {
    return {
      answer: { ...EMPTY, rcode: Rcode.BADVERS & 0xf },
      ednsReply: opt(dnssecOk, Rcode.BADVERS >> 4),
      zone: null,
    };
  }
  // RFC 9824 5: a query with DO and CO (Compact Answers OK) gets CO back, and NXDOMAIN as the
  // rcode of a compact denial (dnssec/answer.ts); CO without DO means nothing (no signed answer).
  const ednsReply = q.edns ? opt(dnssecOk, 0, compactOk(q)) : null;
  // Class ANY is answered as IN (RFC 1035 3.2.5; Knot does the same); other classes are not ours.
  if (q.qclass !== Class.IN && q.qclass !== Class.ANY)
    return { answer: { ...EMPTY, rcode: Rcode.REFUSED }, ednsReply, zone: null };
  // Zone transfers are not offered (RFC 5936 allows refusing them).
  if (q.qtype === Type.AXFR || q.qtype === Type.IXFR)
    return { answer: { ...EMPTY, rcode: Rcode.REFUSED }, ednsReply, zone: null };
  const answer = resolve(zones, q.qname, q.qtype, steer);
  const zone = zones.find(foldCase(q.qname))?.origin ?? null;
  // RFC 8914 4.21: an authoritative-only server that REFUSES a name it is not authoritative for
  // says so with EDE 20 (Not Authoritative), as Knot does, so a resolver's log names the cause
  // (usually a delegation pointing at the wrong server).
  if (zone === null && answer.rcode === Rcode.REFUSED && ednsReply)
    ednsReply.options.push(NOT_AUTHORITATIVE);
  return { answer, ednsReply, zone };
}

/**
 * The last step of an answer: the Answer (RRsets) becomes bytes, classified for RRL. Everything
 * the reply says is decided before this; only `finish` patches per query what the memo cannot
 * keep (ID, case, OPT).
 */
/**
 * The last step of an answer: the Answer (RRsets) becomes bytes, classified for RRL. Everything
 * the reply says is decided before this; finish (reply-finish.ts) patches per query only what the
 * memo cannot keep (ID, case, OPT). `room` is left for the ECS and COOKIE echoes finish appends.
 */
export function encode(
  msg: Buffer,
  q: Query,
  answer: Answer,
  ednsReply: EdnsReply | null,
  limit: number,
  room: number,
  tally: AnswerTally,
  rcode: number,
  zone: string | null,
): Encoded {
  const body = encodeBody(
    { id: q.id, queryFlags: q.flags },
    { message: msg, start: q.questionStart, end: q.questionEnd, qname: q.qname },
    answer,
    ednsReply,
    limit,
    room,
  );
  const { cls, name } = classify(answer, rcode, q.qname, zone);
  return { body, opt: ednsReply, tally, cls, name };
}
