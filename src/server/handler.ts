import { Class, EDNS_UDP_PAYLOAD, EdnsOption, Rcode, Type } from '../wire/constants.js';
import {
  encodeBody,
  encodeReply,
  type EdnsReply,
  optLength,
  udpLimit,
  writeOpt,
} from '../wire/encode.js';
import { foldCase, readName } from '../wire/name.js';
import { type Edns, type EdnsOptionData, parseQuery, type Query } from '../wire/query.js';
import { EdnsShape, type PlainQuery, replyKey, scanPlainQuery } from '../wire/query-key.js';
import type { Answer } from '../wire/rr.js';
import type { ZoneSet } from '../zone/zone-set.js';
import { ECS_OPTION, parseEcs } from '../wire/ecs.js';
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import { HealthTable, type HealthView } from '../health/table.js';
import { SteerState } from '../policy/state.js';
import type { ClientHint } from '../policy/types.js';
import { resolve } from './resolve.js';
import { ClientHints, type EcsInQuery, type Remote } from './client-hint.js';
import { COOKIE_REPLY_LEN, cookieLengthValid, type Cookies, CookieVerdict } from './cookies.js';
import { type Encoded, type MemoQuestion, ReplyMemo } from './memo.js';
import { classify, Shape, shapeReply } from './reply-shape.js';
import { nameHash, RrlAction, RrlClass, type RateLimiter } from './rrl.js';
import { clampScope, NO_GEO, type SteerQuery, Steerer, StepLog } from './steering.js';
import { type AnswerTally, count, NO_SITES, Tallies, type Transport } from './tallies.js';

export type { AnswerTally, Transport } from './tallies.js';
export type { Remote } from './client-hint.js';

/** What the handler reports for each answered packet, for the query log and metrics. */
export interface QueryEvent {
  transport: Transport;
  qname: string;
  qtype: number;
  rcode: number;
  zone: string | null;
  /** The steering policy that chose the answer (weighted, nearest, ...), null when none did. */
  policy: string | null;
  /** The sites whose addresses are in the answer, in answer order (empty when not steered). */
  sites: readonly string[];
  size: number;
  cached: boolean;
}

export interface HandlerOptions {
  health?: HealthView;
  geo?: GeoLocator;
  /** Response rate limiting of UDP replies (docs/rrl.md); none: every reply is sent. */
  rrl?: RateLimiter | null;
  /** DNS cookies (docs/rrl.md); none: COOKIE options are ignored, as before RFC 7873. */
  cookies?: Cookies | null;
}

const TCP_LIMIT = 65535;
const EMPTY: Answer = {
  rcode: Rcode.NOERROR,
  aa: false,
  answer: [],
  authority: [],
  additional: [],
};

/**
 * Bytes in, bytes out. Everything below the sockets and above the zone data lives here. One query
 * goes: the fast path's memo (memo.ts, `find`), else parse, then `answer` (resolve: the zones as
 * data, steered names decided through one Steerer), then `encode` (the Answer becomes bytes:
 * the single place where an answer becomes a message; a signing step, RFC 4035 3.1, goes between
 * `answer` and `encode`, its key already apart in the memo by the DO bit), then `memo.store`, then
 * `finish` (ID, RD, case, RRL, cookies, the OPT record) for fresh and memoised replies alike.
 *
 * Memo: a reply depends only on (transport limit, EDNS presence, DO and version, qtype, qclass,
 * case-folded qname) and the zone data; see replyKey. It is encoded once on the first such query
 * and memoised; later queries copy it and patch the ID, the RD bit and the question name's letter
 * case (RFC 1035 4.1.1: ID and RD are echoed). Every name in the reply that equals the question is
 * a compression pointer to it, so the patched question carries the client's case into the answers.
 * A reload installs a new ZoneSet and with it an empty memo and fresh rotations (SteerState), so
 * no stale bytes survive.
 */
export class QueryHandler implements MemoQuestion {
  private zones: ZoneSet;
  private memo: ReplyMemo;
  /** Rotations and health surveys of the steered records of this zone generation. */
  private state = new SteerState();
  private readonly clients = new ClientHints();
  private readonly tallies = new Tallies();
  private readonly scan: PlainQuery = {
    qnameEnd: 0,
    edns: EdnsShape.None,
    udpSize: 0,
    ecsAt: -1,
    ecsLen: 0,
    cookieAt: -1,
    cookieLen: 0,
  };
  readonly rrl: RateLimiter | null;
  readonly cookies: Cookies | null;
  /** This query's transport and source, and its COOKIE (offset of the data, or -1) as judged. */
  private udp = false;
  private source = '';
  private cookieAt = -1;
  private verdict: CookieVerdict = CookieVerdict.ClientOnly;
  private ip: Uint8Array = new Uint8Array(4);
  /** This query's bytes, ECS option and source, while the memo asks about them (MemoQuestion). */
  private msg: Buffer = Buffer.alloc(0);
  private ecs: EcsInQuery | null = null;
  private remote: Remote | undefined = undefined;
  /** Set by finish: the reply went out cut short (slip, BADCOOKIE), not as answered. */
  private shaped = false;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  onQuery: ((e: QueryEvent) => void) | null = null;

  constructor(zones: ZoneSet, opts: HandlerOptions = {}) {
    this.zones = zones;
    this.health = opts.health ?? new HealthTable();
    this.geo = opts.geo ?? NO_GEO;
    this.rrl = opts.rrl ?? null;
    this.cookies = opts.cookies ?? null;
    this.memo = new ReplyMemo(this.health, this.geo);
  }

  get zoneSet(): ZoneSet {
    return this.zones;
  }

  /** What was answered since start, by kind (queries dropped unanswered are not counted). */
  answered(): IterableIterator<AnswerTally> {
    return this.tallies.values();
  }

  setZones(zones: ZoneSet): void {
    this.zones = zones;
    this.memo = new ReplyMemo(this.health, this.geo);
    this.state = new SteerState();
  }

  /** Returns the reply, or null when the packet must be dropped (RFC 1035 4.1.1: never answer QR=1). */
  handle(msg: Buffer, transport: Transport, remote?: Remote): Buffer | null {
    // Fast path, because per-query cost bounds UDP throughput: a plain query is keyed from its
    // bytes without parsing; anything unusual, and every memo miss, takes the full path below.
    const s = this.scan;
    this.udp = transport === 'udp';
    this.source = remote?.address ?? '';
    this.cookieAt = -1;
    this.msg = msg;
    this.remote = remote;
    this.ecs = null;
    let replayed = null;
    if (scanPlainQuery(msg, s)) {
      if (s.cookieAt >= 0 && this.cookies) this.judge(msg, s.cookieAt, s.cookieLen);
      const limit =
        transport === 'tcp' ? TCP_LIMIT : udpLimit(s.edns === EdnsShape.None ? null : s.udpSize);
      this.ecs = s.ecsAt >= 0 ? { at: s.ecsAt, len: s.ecsLen } : null;
      const key = replyKey(
        msg,
        s.qnameEnd,
        limit,
        s.edns,
        0,
        s.ecsAt >= 0 ? s.ecsLen : -1,
        this.cookieAt >= 0,
      );
      // A malformed ECS option gets FORMERR from the full path (RFC 7871 7.1.1), never a memoised
      // answer (the memo key holds only the option's length): scanPlainQuery declines it.
      const hit = this.memo.find(key, this);
      if (hit) return this.finish(hit, msg, s.qnameEnd, transport, this.ecs, this.memo.scope);
      // A decision not seen before: the full path encodes it, with these decisions.
      replayed = this.memo.replayed;
    }

    const parsed = parseQuery(msg);
    if (!parsed.ok) {
      if (parsed.action === 'drop') return null;
      let rcode: number = parsed.action === 'formerr' ? Rcode.FORMERR : Rcode.NOTIMP;
      const q = parsed.question;
      const edns = parsed.edns;
      this.cookieAt = -1;
      if (edns && edns.version === 0 && this.cookies && !this.cookieOption(msg, edns)) {
        rcode = Rcode.FORMERR;
        this.cookieAt = -1;
      }
      // RFC 7873 5.4: a QUERY with no question but a COOKIE asks for a server cookie: NOERROR,
      // or BADCOOKIE when the server cookie it holds is not valid.
      else if (parsed.noQuestion && this.cookieAt >= 0)
        rcode = this.verdict === CookieVerdict.Invalid ? Rcode.BADCOOKIE : Rcode.NOERROR;
      // The type is the question's last four octets but two, when a question could be read.
      count(
        this.tallies.of(
          null,
          q ? (msg[q.end - 4]! << 8) | msg[q.end - 3]! : -1,
          rcode,
          null,
          NO_SITES,
        ),
        transport,
      );
      return this.errorReply(
        msg,
        { id: parsed.id, queryFlags: parsed.flags },
        q ? { message: msg, start: q.start, end: q.end, qname: '' } : null,
        rcode,
        edns?.dnssecOk ?? null,
      );
    }
    const q = parsed.query;
    const limit = transport === 'tcp' ? TCP_LIMIT : udpLimit(q.edns ? q.edns.udpSize : null);
    // RFC 7873 5.2.2: a malformed COOKIE option is FORMERR. BADVERS echoes no COOKIE (nor ECS):
    // the options of a version we do not know mean nothing.
    this.cookieAt = -1;
    if (q.edns && q.edns.version === 0 && this.cookies && !this.cookieOption(msg, q.edns)) {
      this.cookieAt = -1;
      return this.formerr(msg, q, transport);
    }
    // RFC 7871 6, 7.1.1: one ECS option at most, well formed, or FORMERR.
    let ecs: EcsInQuery | null = null;
    for (const o of q.edns?.options ?? []) {
      if (o.code !== ECS_OPTION) continue;
      if (ecs || !parseEcs(o.data)) return this.formerr(msg, q, transport);
      ecs = { at: o.data.byteOffset - msg.byteOffset, len: o.data.length };
    }
    if (q.edns && q.edns.version > 0) ecs = null;
    const key = replyKey(
      msg,
      q.qnameEnd,
      limit,
      ednsShape(q.edns),
      q.edns?.version ?? 0,
      ecs ? ecs.len : -1,
      this.cookieAt >= 0,
    );
    const client = this.clients.client(msg, ecs, remote)!;
    const log = new StepLog();
    const steering = new Steerer(this.query(client), log, replayed ?? undefined);
    const { answer, ednsReply, zone } = this.answer(q, steering);
    const sites = log.sites();
    const rcode = answer.rcode | ((ednsReply?.extendedRcode ?? 0) << 4);
    const tally = this.tallies.of(zone, q.qtype, rcode, log.policy(), sites);
    const encoded = this.encode(msg, q, answer, ednsReply, limit, ecs, tally, rcode, zone);
    this.memo.store(key, encoded, answer.steered ? { key: answer.steered.key, log } : null);
    const scope = answer.steered ? clampScope(answer.steered.scope, client) : 0;
    const out = this.finish(encoded, msg, q.qnameEnd, null, ecs, scope);
    if (!out || this.shaped) return out;
    count(tally, transport);
    this.onQuery?.({
      transport,
      qname: q.qname,
      qtype: q.qtype,
      rcode: answer.rcode,
      zone,
      policy: tally.policy,
      sites,
      size: out.length,
      cached: false,
    });
    return out;
  }

  /**
   * The last step of an answer: the Answer (RRsets) becomes bytes, classified for RRL. Everything
   * the reply says is decided before this; only `finish` patches per query what the memo cannot
   * keep (ID, case, OPT).
   */
  private encode(
    msg: Buffer,
    q: Query,
    answer: Answer,
    ednsReply: EdnsReply | null,
    limit: number,
    ecs: EcsInQuery | null,
    tally: AnswerTally,
    rcode: number,
    zone: string | null,
  ): Encoded {
    // The ECS and COOKIE echoes are appended per query (finish), so the encoding leaves room.
    const room = (ecs ? 4 + ecs.len : 0) + (this.cookieAt >= 0 ? 4 + COOKIE_REPLY_LEN : 0);
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

  /** MemoQuestion: this query's client network key. */
  network(): number | string | null {
    return this.clients.networkKey(this.msg, this.ecs, this.remote);
  }

  /** MemoQuestion: this query's steering, for a replay. */
  steering(): SteerQuery | null {
    const client = this.clients.client(this.msg, this.ecs, this.remote);
    return client ? this.query(client) : null;
  }

  /** Who asks, with the live health and GeoIP data and this generation's rotations. */
  private query(client: ClientHint): SteerQuery {
    let where: GeoResult | null = null;
    const geo = this.geo;
    return {
      client,
      health: this.health,
      geo,
      locate: () => (where ??= geo.locate(client.address, client.prefix)),
      state: this.state,
      trace: null,
    };
  }

  private formerr(msg: Buffer, q: Query, transport: Transport): Buffer | null {
    count(this.tallies.of(null, q.qtype, Rcode.FORMERR, null, NO_SITES), transport);
    return this.errorReply(
      msg,
      { id: q.id, queryFlags: q.flags },
      { message: msg, start: q.questionStart, end: q.questionEnd, qname: q.qname },
      Rcode.FORMERR,
      q.edns?.dnssecOk ?? null,
    );
  }

  /**
   * An error reply (FORMERR, NOTIMP, or RFC 7873 5.4's cookie answer), with our OPT when the
   * query had one (`dnssecOk` not null), echoing a well-formed COOKIE with a fresh server cookie,
   * and rate limited over UDP as the error class (a slip is the same reply with TC set).
   */
  private errorReply(
    msg: Buffer,
    header: { id: number; queryFlags: number },
    question: { message: Buffer; start: number; end: number; qname: string } | null,
    rcode: number,
    dnssecOk: boolean | null,
  ): Buffer | null {
    let action: RrlAction = RrlAction.Send;
    const valid = this.cookieAt >= 0 && this.verdict === CookieVerdict.Valid;
    if (this.rrl && this.udp && !valid)
      action = this.rrl.check(this.source, RrlClass.Error, ROOT_NAME);
    if (action === RrlAction.Drop) return null;
    const edns = dnssecOk === null ? null : opt(dnssecOk, rcode >> 4);
    if (edns && this.cookieAt >= 0) {
      const data = Buffer.allocUnsafe(COOKIE_REPLY_LEN);
      this.cookies!.write(data, 0, msg, this.cookieAt, this.ip);
      edns.options.push({ code: EdnsOption.COOKIE, data });
    }
    const out = encodeReply(header, question, { ...EMPTY, rcode: rcode & 0xf }, edns, TCP_LIMIT);
    if (rcode === Rcode.BADCOOKIE) this.cookies!.badcookies++;
    if (action === RrlAction.Slip) out[2]! |= 0x02; // TC (RFC 1035 4.1.1)
    return out;
  }

  /**
   * Find and judge the query's COOKIE option (RFC 7873 5.2); false when it is malformed (a wrong
   * length, or two of them), which is FORMERR (5.2.2).
   */
  private cookieOption(msg: Buffer, edns: Edns): boolean {
    let seen = false;
    for (const o of edns.options) {
      if (o.code !== EdnsOption.COOKIE) continue;
      if (seen || !cookieLengthValid(o.data.length)) return false;
      seen = true;
      this.judge(msg, o.data.byteOffset - msg.byteOffset, o.data.length);
    }
    return true;
  }

  /** Judge the COOKIE data at msg[at, at + len) for this query's source address. */
  private judge(msg: Buffer, at: number, len: number): void {
    const c = this.cookies!;
    this.cookieAt = at;
    this.ip = c.address(this.source || '0.0.0.0');
    this.verdict = c.check(msg, at, len, this.ip);
  }

  /**
   * The reply to this query from an encoded one: this query's ID, RD bit and question letter case
   * (RFC 1035 4.1.1: ID and RD are echoed), then the OPT written whole, last, from data: the
   * encoded options (EDE), for an ECS query the ECS echo (RFC 7871 7.2.1: FAMILY, SOURCE
   * PREFIX-LENGTH and ADDRESS as sent, and our SCOPE PREFIX-LENGTH), for a COOKIE query the
   * client cookie and a server cookie (RFC 7873 5.2), RDLENGTH computed.
   *
   * Over UDP, the answer is decided by now, so this is where RRL counts it (memo hit or not):
   * null when it is dropped; a slip or a BADCOOKIE keeps only the header and question (Shape).
   * `transport` null: not a memo hit (the query was already counted).
   */
  private finish(
    hit: Encoded,
    msg: Buffer,
    qnameEnd: number,
    transport: Transport | null,
    ecs: EcsInQuery | null,
    scope: number,
  ): Buffer | null {
    const { body, opt, tally } = hit;
    const cookie = this.cookieAt >= 0;
    let shape: Shape = Shape.Full;
    if (this.udp && (this.rrl || cookie)) {
      // RFC 7873 5.2.3 option 2 (cookies.require): no valid server cookie over UDP, BADCOOKIE.
      const valid = cookie && this.verdict === CookieVerdict.Valid;
      if (cookie && !valid && this.cookies!.require) shape = Shape.BadCookie;
      // A valid server cookie proves the source address is not spoofed: no limit (as Knot).
      if (this.rrl && !valid) {
        const cls = shape === Shape.BadCookie ? RrlClass.Error : hit.cls;
        const a = this.rrl.check(
          this.source,
          cls,
          shape === Shape.BadCookie ? ROOT_NAME : hit.name,
        );
        if (a === RrlAction.Drop) return null;
        // A client that sent a cookie learns one from a BADCOOKIE, and retries with it over UDP.
        if (a === RrlAction.Slip) shape = cookie ? Shape.BadCookie : Shape.Truncated;
      }
    }
    const len = shape === Shape.Full ? body.length : qnameEnd + 4;
    const extra = (ecs ? 4 + ecs.len : 0) + (cookie ? 4 + COOKIE_REPLY_LEN : 0);
    const out = Buffer.allocUnsafe(len + (opt ? optLength(opt, extra) : 0));
    body.copy(out, 0, 0, len);
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    out[2] = (body[2]! & 0xfe) | (msg[2]! & 0x01);
    // The question name starts right after the 12-octet header in both messages.
    msg.copy(out, 12, 12, qnameEnd);
    this.shaped = shape !== Shape.Full;
    if (this.shaped) shapeReply(out, shape, opt !== null);
    if (shape === Shape.BadCookie) this.cookies!.badcookies++;
    if (opt) {
      let at = writeOpt(out, len, opt, extra, shape === Shape.BadCookie ? 1 : opt.extendedRcode);
      if (ecs) {
        out.writeUInt16BE(ECS_OPTION, at);
        out.writeUInt16BE(ecs.len, at + 2);
        msg.copy(out, at + 4, ecs.at, ecs.at + ecs.len);
        out[at + 7] = msg[ecs.at + 2] === 0 ? 0 : scope; // source /0: scope /0 (RFC 7871 7.2.1)
        at += 4 + ecs.len;
      }
      if (cookie) {
        out.writeUInt16BE(EdnsOption.COOKIE, at);
        out.writeUInt16BE(COOKIE_REPLY_LEN, at + 2);
        this.cookies!.write(out, at + 4, msg, this.cookieAt, this.ip);
      }
    }
    if (transport === null || shape !== Shape.Full) return out;
    count(tally, transport);
    this.onQuery?.({
      transport,
      qname: readName(msg, 12, false)?.name ?? '',
      qtype: (msg[qnameEnd]! << 8) | msg[qnameEnd + 1]!,
      rcode: body[3]! & 0xf,
      zone: tally.zone,
      policy: tally.policy,
      sites: tally.sites,
      size: out.length,
      cached: true,
    });
    return out;
  }

  /** The answer as data: the error rcodes decided here, everything else by resolve. */
  private answer(
    q: Query,
    steer: Steerer,
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
    const ednsReply = q.edns ? opt(dnssecOk, 0) : null;
    // Class ANY is answered as IN (RFC 1035 3.2.5; Knot does the same); other classes are not ours.
    if (q.qclass !== Class.IN && q.qclass !== Class.ANY)
      return { answer: { ...EMPTY, rcode: Rcode.REFUSED }, ednsReply, zone: null };
    // Zone transfers are not offered (RFC 5936 allows refusing them).
    if (q.qtype === Type.AXFR || q.qtype === Type.IXFR)
      return { answer: { ...EMPTY, rcode: Rcode.REFUSED }, ednsReply, zone: null };
    const answer = resolve(this.zones, q.qname, q.qtype, steer);
    const zone = this.zones.find(foldCase(q.qname))?.origin ?? null;
    // RFC 8914 4.21: an authoritative-only server that REFUSES a name it is not authoritative for
    // says so with EDE 20 (Not Authoritative), as Knot does, so a resolver's log names the cause
    // (usually a delegation pointing at the wrong server).
    if (zone === null && answer.rcode === Rcode.REFUSED && ednsReply)
      ednsReply.options.push(NOT_AUTHORITATIVE);
    return { answer, ednsReply, zone };
  }
}

/** Errors outside any zone are keyed on the root, as classify keys them (reply-shape.ts). */
const ROOT_NAME = nameHash('');

function ednsShape(edns: Edns | null): EdnsShape {
  if (!edns) return EdnsShape.None;
  return edns.dnssecOk ? EdnsShape.DnssecOk : EdnsShape.Edns;
}

/** EDNS option 15, Extended DNS Error (RFC 8914 2), info-code 20, no EXTRA-TEXT. */
const NOT_AUTHORITATIVE: EdnsOptionData = { code: 15, data: Uint8Array.of(0, 20) };

function opt(dnssecOk: boolean, extendedRcode: number): EdnsReply {
  return { udpSize: EDNS_UDP_PAYLOAD, extendedRcode, dnssecOk, options: [] };
}
