// What every reply must be, judged with dns-packet, a decoder independent of geosteer's wire code:
// a whole DNS response with no octet after it, echoing the query's ID, opcode and question, with
// an OPT only when the query had one, and over UDP no larger than the query allows.
import { rcodeName } from '../src/wire/constants.js';
import dnsPacket from 'dns-packet';

export interface Violation {
  check: string;
  detail: string;
}

/** RFC 1035 4.1.1: a message with a full header and QR clear gets a reply; anything else none. */
export function deservesReply(q: Buffer): boolean {
  return q.length >= 12 && (q[2]! & 0x80) === 0;
}

/** Rcode names for the report, as the server's catalogue spells them (RCODEn for others). */
export const rcodeText = rcodeName;

/** End of the name at `at` (labels and pointers, as RFC 1035 4.1.4 lays them out), or -1. */
function skipName(m: Buffer, at: number): number {
  for (let p = at; p < m.length;) {
    const l = m[p]!;
    if (l === 0) return p + 1;
    if ((l & 0xc0) === 0xc0) return p + 2 <= m.length ? p + 2 : -1;
    if (l & 0xc0) return -1;
    p += 1 + l;
  }
  return -1;
}

/**
 * The query's OPT, found leniently (the first OPT in the additional section, wherever the walk
 * can reach it): its UDP payload size and its options' octets. Null when there is none.
 */
export function queryOpt(q: Buffer): { udpSize: number; rdata: Buffer } | null {
  if (q.length < 12) return null;
  const count = (i: number) => q.readUInt16BE(4 + 2 * i);
  let p = 12;
  for (let i = 0; i < count(0); i++) {
    p = skipName(q, p);
    if (p < 0 || p + 4 > q.length) return null;
    p += 4;
  }
  const before = count(1) + count(2);
  for (let i = 0; i < before + count(3); i++) {
    p = skipName(q, p);
    if (p < 0 || p + 10 > q.length) return null;
    const len = q.readUInt16BE(p + 8);
    if (i >= before && q.readUInt16BE(p) === 41)
      return { udpSize: q.readUInt16BE(p + 2), rdata: q.subarray(p + 10, p + 10 + len) };
    p += 10 + len;
  }
  return null;
}

export const advertisedSize = (q: Buffer): number | null => queryOpt(q)?.udpSize ?? null;

/** The data of the first ECS option (RFC 7871 6) in an OPT's RDATA, or null. */
function ecsOf(rdata: Buffer): Buffer | null {
  for (let o = 0; o + 4 <= rdata.length;) {
    const len = rdata.readUInt16BE(o + 2);
    if (rdata.readUInt16BE(o) === 8) return rdata.subarray(o + 4, o + 4 + len);
    o += 4 + len;
  }
  return null;
}

/**
 * RFC 6891 6.2.3-6.2.5: the largest UDP reply this query allows: 512 without EDNS, else the
 * advertised size (512 at least) capped by what the server is configured to send.
 */
export function udpAllowance(q: Buffer, serverMax: number): number {
  const adv = advertisedSize(q);
  return adv === null ? 512 : Math.max(512, Math.min(adv, serverMax));
}

/** The question's octets when it is a plain one (labels, no pointer, at most 255 octets), else null. */
export function plainQuestion(q: Buffer): Buffer | null {
  if (q.length < 12 || q.readUInt16BE(4) === 0) return null;
  let p = 12;
  for (;;) {
    if (p >= q.length) return null;
    const l = q[p]!;
    if (l > 63) return null;
    p += 1 + l;
    if (l === 0) break;
  }
  if (p - 12 > 255 || p + 4 > q.length) return null;
  return q.subarray(12, p + 4);
}

type OptRecord = { type: string; name: string; extendedRcode?: number };

export interface Judged {
  violations: Violation[];
  /** Full RCODE (header and OPT extension), when the reply decoded. */
  rcode: number | null;
}

/** Every rule `reply` breaks as the answer to `q` over `transport`. */
export function judge(
  q: Buffer,
  reply: Buffer,
  transport: 'udp' | 'tcp',
  serverMaxUdp: number,
): Judged {
  const v: Violation[] = [];
  const bad = (check: string, detail: string) => v.push({ check, detail });
  if (!deservesReply(q)) {
    bad(
      q.length < 12 ? 'reply-to-scrap' : 'reply-to-response',
      'a packet that gets no reply got one',
    );
    return { violations: v, rcode: null };
  }
  if (transport === 'udp') {
    const allowed = udpAllowance(q, serverMaxUdp);
    if (reply.length > allowed)
      bad('udp-size', `${reply.length} octets, the query allows ${allowed}`);
  }
  let p: dnsPacket.Packet;
  try {
    p = dnsPacket.decode(reply);
  } catch (e) {
    bad('undecodable', (e as Error).message);
    return { violations: v, rcode: null };
  }
  const used = dnsPacket.decode.bytes;
  if (used !== reply.length)
    bad('trailing-bytes', `${reply.length - used} octets after the ${used}-octet message`);
  if ((reply[2]! & 0x80) === 0) bad('not-a-response', 'QR clear');
  if (reply.readUInt16BE(0) !== q.readUInt16BE(0)) bad('id-mismatch', 'ID not echoed');
  if (((reply[2]! >> 3) & 0xf) !== ((q[2]! >> 3) & 0xf))
    bad('opcode-mismatch', 'opcode not echoed');
  if ((reply[2]! & 1) !== (q[2]! & 1)) bad('rd-mismatch', 'RD not echoed (RFC 1035 4.1.1)');
  const qd = reply.readUInt16BE(4);
  if (qd > 1) bad('question-mismatch', `QDCOUNT ${qd}`);
  if (qd === 1) {
    const asked = plainQuestion(q);
    const echoed = reply.subarray(12, 12 + (asked?.length ?? 0));
    if (!asked || !asked.equals(echoed))
      bad(
        'question-mismatch',
        asked ? 'question not echoed as sent' : 'question echoed for a query without a plain one',
      );
  }
  const opts = [...(p.answers ?? []), ...(p.authorities ?? []), ...(p.additionals ?? [])].filter(
    (a) => a.type === 'OPT',
  ) as OptRecord[];
  const inAdditional = (p.additionals ?? []).filter((a) => a.type === 'OPT').length;
  if (opts.length > 1 || opts.length !== inAdditional || (opts[0] && opts[0].name !== '.'))
    bad('opt-misplaced', `${opts.length} OPT records, ${inAdditional} in the additional section`);
  if (opts.length && advertisedSize(q) === null)
    bad('opt-unasked', 'an OPT in the reply to a query without one (RFC 6891 7)');
  // RFC 7871 7.2.1: an ECS in the reply echoes the query's FAMILY, SOURCE PREFIX-LENGTH and
  // ADDRESS; only SCOPE PREFIX-LENGTH is the server's.
  const ecs = ((opts[0] as { options?: { code: number; data: Buffer }[] })?.options ?? []).filter(
    (o) => o.code === 8,
  );
  const asked = queryOpt(q);
  const sent = asked && ecsOf(asked.rdata);
  if (ecs.length > 1) bad('ecs-echo', `${ecs.length} ECS options in the reply`);
  else if (ecs[0]) {
    const e = ecs[0].data;
    if (
      !sent ||
      e.length !== sent.length ||
      !e.subarray(0, 3).equals(sent.subarray(0, 3)) ||
      !e.subarray(4).equals(sent.subarray(4))
    )
      bad(
        'ecs-echo',
        `ECS ${e.toString('hex')} in the reply, ${sent ? sent.toString('hex') : 'none'} in the query`,
      );
  }
  const rcode = (reply[3]! & 0xf) | ((opts[0]?.extendedRcode ?? 0) << 4);
  // geosteer answers SERVFAIL only when the handler threw (src/server/servfail.ts): a bug.
  if (rcode === 2) bad('servfail', 'the handler threw');
  return { violations: v, rcode };
}
