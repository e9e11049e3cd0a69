import { Class, EDNS_UDP_PAYLOAD, Rcode, Type } from '../wire/constants.js';
import { encodeReply, type EdnsReply, udpLimit } from '../wire/encode.js';
import { foldCase, readName } from '../wire/name.js';
import { type Edns, parseQuery, type Query } from '../wire/query.js';
import { EdnsShape, type PlainQuery, replyKey, scanPlainQuery } from '../wire/query-key.js';
import type { Answer } from '../wire/rr.js';
import type { ZoneSet } from '../zone/zone-set.js';
import { resolve } from './resolve.js';

export type Transport = 'udp' | 'tcp';

/** What the handler reports for each answered packet, for the query log and metrics. */
export interface QueryEvent {
  transport: Transport;
  qname: string;
  qtype: number;
  rcode: number;
  zone: string | null;
  size: number;
  cached: boolean;
}

/** Bound on memoised replies per zone generation: a random-subdomain flood must not grow memory. */
const CACHE_LIMIT = 50_000;
const TCP_LIMIT = 65535;
const EMPTY: Answer = { rcode: Rcode.NOERROR, aa: false, answer: [], authority: [], additional: [] };

/**
 * Bytes in, bytes out. Everything below the sockets and above the zone data lives here.
 *
 * Memo: a reply depends only on (transport limit, EDNS presence, DO and version, qtype, qclass,
 * case-folded qname) and the zone data; see replyKey. It is encoded once on the first such query
 * and memoised; later queries copy it and patch the ID, the RD bit and the question name's letter
 * case (RFC 1035 4.1.1: ID and RD are echoed). Every name in the reply that equals the question is
 * a compression pointer to it, so the patched question carries the client's case into the answers.
 * A reload installs a new ZoneSet and with it an empty memo, so no stale bytes survive.
 */
export class QueryHandler {
  private zones: ZoneSet;
  private memo = new Map<string, Buffer>();
  private readonly scan: PlainQuery = { qnameEnd: 0, edns: EdnsShape.None, udpSize: 0 };
  onQuery: ((e: QueryEvent) => void) | null = null;

  constructor(zones: ZoneSet) {
    this.zones = zones;
  }

  get zoneSet(): ZoneSet {
    return this.zones;
  }

  setZones(zones: ZoneSet): void {
    this.zones = zones;
    this.memo = new Map();
  }

  /** Returns the reply, or null when the packet must be dropped (RFC 1035 4.1.1: never answer QR=1). */
  handle(msg: Buffer, transport: Transport): Buffer | null {
    // Fast path, because per-query cost bounds UDP throughput: a plain query is keyed from its
    // bytes without parsing; anything unusual, and every memo miss, takes the full path below.
    const s = this.scan;
    if (scanPlainQuery(msg, s)) {
      const limit = transport === 'tcp' ? TCP_LIMIT : udpLimit(s.edns === EdnsShape.None ? null : s.udpSize);
      const hit = this.memo.get(replyKey(msg, s.qnameEnd, limit, s.edns, 0));
      if (hit) return this.patch(hit, msg, s.qnameEnd, transport);
    }

    const parsed = parseQuery(msg);
    if (!parsed.ok) {
      if (parsed.action === 'drop') return null;
      const rcode = parsed.action === 'formerr' ? Rcode.FORMERR : Rcode.NOTIMP;
      const q = parsed.question;
      return encodeReply(
        { id: parsed.id, queryFlags: parsed.flags },
        q ? { message: msg, start: q.start, end: q.end, qname: '' } : null,
        { ...EMPTY, rcode },
        parsed.edns ? opt(parsed.edns.dnssecOk, 0) : null,
        TCP_LIMIT,
      );
    }
    const q = parsed.query;
    const limit = transport === 'tcp' ? TCP_LIMIT : udpLimit(q.edns ? q.edns.udpSize : null);
    const key = replyKey(msg, q.qnameEnd, limit, ednsShape(q.edns), q.edns?.version ?? 0);
    const hit = this.memo.get(key);
    if (hit) return this.patch(hit, msg, q.qnameEnd, transport);
    const { answer, ednsReply, zone } = this.answer(q);
    const out = encodeReply({ id: q.id, queryFlags: q.flags }, { message: msg, start: q.questionStart, end: q.questionEnd, qname: q.qname }, answer, ednsReply, limit);
    if (this.memo.size >= CACHE_LIMIT) this.memo.clear();
    this.memo.set(key, out);
    this.onQuery?.({ transport, qname: q.qname, qtype: q.qtype, rcode: answer.rcode, zone, size: out.length, cached: false });
    return out;
  }

  /** A memoised reply given this query's ID, RD bit and question letter case. */
  private patch(hit: Buffer, msg: Buffer, qnameEnd: number, transport: Transport): Buffer {
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    out[2] = (hit[2]! & 0xfe) | (msg[2]! & 0x01);
    // The question name starts right after the 12-octet header in both messages.
    msg.copy(out, 12, 12, qnameEnd);
    this.onQuery?.({
      transport,
      qname: readName(msg, 12, false)?.name ?? '',
      qtype: (msg[qnameEnd]! << 8) | msg[qnameEnd + 1]!,
      rcode: hit[3]! & 0xf,
      zone: null,
      size: out.length,
      cached: true,
    });
    return out;
  }

  private answer(q: Query): { answer: Answer; ednsReply: EdnsReply | null; zone: string | null } {
    const dnssecOk = q.edns?.dnssecOk ?? false;
    // RFC 6891 6.1.3: a version we do not implement gets BADVERS, and our OPT says version 0.
    if (q.edns && q.edns.version > 0) {
      return { answer: { ...EMPTY, rcode: Rcode.BADVERS & 0xf }, ednsReply: opt(dnssecOk, Rcode.BADVERS >> 4), zone: null };
    }
    const ednsReply = q.edns ? opt(dnssecOk, 0) : null;
    // Class ANY is answered as IN (RFC 1035 3.2.5; Knot does the same); other classes are not ours.
    if (q.qclass !== Class.IN && q.qclass !== Class.ANY) return { answer: { ...EMPTY, rcode: Rcode.REFUSED }, ednsReply, zone: null };
    // Zone transfers are not offered (RFC 5936 allows refusing them).
    if (q.qtype === Type.AXFR || q.qtype === Type.IXFR) return { answer: { ...EMPTY, rcode: Rcode.REFUSED }, ednsReply, zone: null };
    const answer = resolve(this.zones, q.qname, q.qtype);
    return { answer, ednsReply, zone: this.zones.find(foldCase(q.qname))?.origin ?? null };
  }
}

function ednsShape(edns: Edns | null): EdnsShape {
  if (!edns) return EdnsShape.None;
  return edns.dnssecOk ? EdnsShape.DnssecOk : EdnsShape.Edns;
}

function opt(dnssecOk: boolean, extendedRcode: number): EdnsReply {
  return { udpSize: EDNS_UDP_PAYLOAD, extendedRcode, dnssecOk, options: [] };
}
