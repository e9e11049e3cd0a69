import { Flag, Type } from './constants.js';
import { readName } from './name.js';

export interface EdnsOptionData {
  code: number;
  data: Uint8Array;
}

/** The requestor's OPT pseudo-RR (RFC 6891 6.1.2). */
export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  /** CO, Compact Answers OK (RFC 9824 5.1): the second most significant EDNS flag bit. */
  compactOk: boolean;
  options: EdnsOptionData[];
}

export interface Query {
  id: number;
  /** Second header word as received (opcode, RD, CD, ...). */
  flags: number;
  opcode: number;
  /** Question name in presentation form with the client's letter case. */
  qname: string;
  qtype: number;
  qclass: number;
  /** Byte range of the question (name, type, class) in the message, echoed verbatim. */
  questionStart: number;
  questionEnd: number;
  /** Byte range of the question name alone. */
  qnameEnd: number;
  edns: Edns | null;
  message: Uint8Array;
}

/**
 * What to do with a packet that is not a well-formed query:
 * - drop: not even a header to answer to, or a response (RFC 1035 4.1.1: QR=1 is never answered,
 *   so two servers cannot be made to loop).
 * - formerr / notimp: reply with that rcode, echoing what could be read.
 */
export type ParseResult =
  | { ok: true; query: Query }
  | { ok: false; action: 'drop' }
  | {
      ok: false;
      action: 'formerr' | 'notimp';
      id: number;
      flags: number;
      question: { start: number; end: number } | null;
      edns: Edns | null;
      /**
       * A well-formed QUERY with no question and an OPT (RFC 7873 5.4: how a client asks for a
       * server cookie); FORMERR unless the OPT holds a COOKIE.
       */
      noQuestion?: boolean;
    };

const HEADER = 12;

/** Parse a query. Never throws: every malformed input maps to a ParseResult. */
export function parseQuery(msg: Uint8Array): ParseResult {
  if (msg.length < HEADER) return { ok: false, action: 'drop' };
  const id = (msg[0]! << 8) | msg[1]!;
  const flags = (msg[2]! << 8) | msg[3]!;
  if (flags & Flag.QR) return { ok: false, action: 'drop' };
  const opcode = (flags >> 11) & 0xf;
  const qdcount = (msg[4]! << 8) | msg[5]!;
  const ancount = (msg[6]! << 8) | msg[7]!;
  const nscount = (msg[8]! << 8) | msg[9]!;
  const arcount = (msg[10]! << 8) | msg[11]!;
  const fail = (
    action: 'formerr' | 'notimp',
    question: { start: number; end: number } | null = null,
    edns: Edns | null = null,
  ): ParseResult => ({
    ok: false,
    action,
    id,
    flags,
    question,
    edns,
  });

  if (qdcount > 1) return fail(opcode === 0 ? 'formerr' : 'notimp');
  // QDCOUNT 0 is still walked for its OPT: RFC 6891 7 answers a requestor's OPT with ours, even
  // in the FORMERR it gets (RFC 7873 5.4 cookie-only queries have no question).
  let question: { start: number; end: number } | null = null;
  // The question is echoed byte for byte, so it must not hold compression pointers (no client
  // sends them there; a pointer copied into the reply would point at the wrong bytes).
  const qn = qdcount === 1 ? readName(msg, HEADER, false) : null;
  if (qdcount === 1) {
    if (!qn || qn.end + 4 > msg.length) return fail(opcode === 0 ? 'formerr' : 'notimp');
    question = { start: HEADER, end: qn.end + 4 };
  }

  // Walk the remaining sections; only the OPT record in the additional section matters to us.
  let pos = question ? question.end : HEADER;
  let edns: Edns | null = null;
  const total = ancount + nscount + arcount;
  for (let i = 0; i < total; i++) {
    const owner = readName(msg, pos);
    if (!owner || owner.end + 10 > msg.length) return fail('formerr', question, edns);
    const type = (msg[owner.end]! << 8) | msg[owner.end + 1]!;
    const klass = (msg[owner.end + 2]! << 8) | msg[owner.end + 3]!;
    const ttl =
      ((msg[owner.end + 4]! << 24) |
        (msg[owner.end + 5]! << 16) |
        (msg[owner.end + 6]! << 8) |
        msg[owner.end + 7]!) >>>
      0;
    const rdlen = (msg[owner.end + 8]! << 8) | msg[owner.end + 9]!;
    const rdStart = owner.end + 10;
    if (rdStart + rdlen > msg.length) return fail('formerr', question, edns);
    if (type === Type.OPT) {
      // RFC 6891 6.1.1: one OPT at most, in the additional section, owned by the root.
      if (edns || i < ancount + nscount || owner.name !== '')
        return fail('formerr', question, null);
      const options: EdnsOptionData[] = [];
      let o = rdStart;
      while (o < rdStart + rdlen) {
        if (o + 4 > rdStart + rdlen) return fail('formerr', question, null);
        const code = (msg[o]! << 8) | msg[o + 1]!;
        const len = (msg[o + 2]! << 8) | msg[o + 3]!;
        if (o + 4 + len > rdStart + rdlen) return fail('formerr', question, null);
        options.push({ code, data: msg.subarray(o + 4, o + 4 + len) });
        o += 4 + len;
      }
      edns = {
        // RFC 6891 6.2.5: values below 512 are treated as 512.
        udpSize: Math.max(klass, 512),
        version: (ttl >>> 16) & 0xff,
        dnssecOk: (ttl & 0x8000) !== 0,
        compactOk: (ttl & 0x4000) !== 0,
        options,
      };
    }
    pos = rdStart + rdlen;
  }
  if (pos !== msg.length) return fail('formerr', question, edns);
  if (opcode !== 0) return fail('notimp', question, edns);
  if (!qn || !question) return { ...fail('formerr', null, edns), noQuestion: true } as ParseResult;
  const qtype = (msg[qn.end]! << 8) | msg[qn.end + 1]!;
  const qclass = (msg[qn.end + 2]! << 8) | msg[qn.end + 3]!;
  return {
    ok: true,
    query: {
      id,
      flags,
      opcode,
      qname: qn.name,
      qtype,
      qclass,
      questionStart: HEADER,
      questionEnd: question.end,
      qnameEnd: qn.end,
      edns,
      message: msg,
    },
  };
}
