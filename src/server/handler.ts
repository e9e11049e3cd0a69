import { udpLimit } from '../wire/encode.js';
import { foldCase, readName } from '../wire/name.js';
import { type Edns, parseQuery, type Query } from '../wire/query.js';
import { EdnsShape, type PlainQuery, replyKey, scanPlainQuery } from '../wire/query-key.js';
import type { ZoneSet } from '../zone/zone-set.js';
import { ECS_OPTION, parseEcs } from '../wire/ecs.js';
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import { HealthTable, type HealthView } from '../health/table.js';
import { SteerState } from '../policy/state.js';
import type { ClientHint } from '../policy/types.js';
import { ClientHints, type EcsInQuery, type Remote } from './client-hint.js';
import { COOKIE_REPLY_LEN, type Cookies } from './cookies.js';
import { type Encoded, type MemoQuestion, ReplyMemo } from './memo.js';
import { answerQuery, compactOk, encode } from './answer.js';
import { ReplyFinisher, TCP_LIMIT } from './reply-finish.js';
import { formerrReply, unparsedReply } from './error-reply.js';
import { type RateLimiter } from './rrl.js';
import { clampScope, NO_GEO, type SteerQuery, Steerer, StepLog } from './steering.js';
import { type AnswerTally, count, Tallies, type Transport } from './tallies.js';
import type { AnswerSigner } from '../dnssec/answer-signer.js';

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
  /** DNSSEC (docs/dnssec.md): signs answers to DO=1 queries for zones with `dnssec:`. */
  signer?: AnswerSigner | null;
}

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
  /** The last step of every reply: ID, case, cookies, RRL, OPT (reply-finish.ts). */
  private readonly reply: ReplyFinisher;
  /** This query's bytes, ECS option and source, while the memo asks about them (MemoQuestion). */
  private msg: Buffer = Buffer.alloc(0);
  private ecs: EcsInQuery | null = null;
  private remote: Remote | undefined = undefined;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  readonly signer: AnswerSigner | null;
  onQuery: ((e: QueryEvent) => void) | null = null;

  constructor(zones: ZoneSet, opts: HandlerOptions = {}) {
    this.zones = zones;
    this.health = opts.health ?? new HealthTable();
    this.geo = opts.geo ?? NO_GEO;
    this.rrl = opts.rrl ?? null;
    this.cookies = opts.cookies ?? null;
    this.signer = opts.signer ?? null;
    this.reply = new ReplyFinisher(this.rrl, this.cookies);
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
    const r = this.reply;
    // DNSSEC hook: memoised signed replies go once a signature in them is due for refresh or a
    // key timing event changes the key set (dnssec/answer-signer.ts).
    if (this.signer?.stale()) this.memo = new ReplyMemo(this.health, this.geo);
    r.begin(transport === 'udp', remote?.address ?? '');
    this.msg = msg;
    this.remote = remote;
    this.ecs = null;
    let replayed = null;
    if (scanPlainQuery(msg, s)) {
      if (s.cookieAt >= 0 && this.cookies) r.judge(msg, s.cookieAt, s.cookieLen);
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
        r.cookieAt >= 0,
      );
      // A malformed ECS option gets FORMERR from the full path (RFC 7871 7.1.1), never a memoised
      // answer (the memo key holds only the option's length): scanPlainQuery declines it.
      const hit = this.memo.find(key, this);
      if (hit) return this.memoised(hit, msg, s.qnameEnd, transport, this.ecs, this.memo.scope);
      // A decision not seen before: the full path encodes it, with these decisions.
      replayed = this.memo.replayed;
    }

    const parsed = parseQuery(msg);
    if (!parsed.ok) {
      if (parsed.action === 'drop') return null;
      return unparsedReply(this.reply, this.tallies, msg, parsed, transport);
    }
    const q = parsed.query;
    const limit = transport === 'tcp' ? TCP_LIMIT : udpLimit(q.edns ? q.edns.udpSize : null);
    // RFC 7873 5.2.2: a malformed COOKIE option is FORMERR. BADVERS echoes no COOKIE (nor ECS):
    // the options of a version we do not know mean nothing.
    r.cookieAt = -1;
    if (q.edns && q.edns.version === 0 && this.cookies && !r.cookieOption(msg, q.edns)) {
      r.cookieAt = -1;
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
      r.cookieAt >= 0,
    );
    const client = this.clients.client(msg, ecs, remote)!;
    const log = new StepLog();
    const steering = new Steerer(this.query(client), log, replayed ?? undefined);
    const resolved = answerQuery(this.zones, q, steering);
    const { ednsReply, zone } = resolved;
    // DNSSEC hook (RFC 4035 3.1, RFC 3225 3): a DO=1 query gets the answer signed, as data,
    // before it is encoded (a DO=0 query only the DNSKEY RRset, unsigned); the memo keys on DO.
    const answer = this.signer
      ? this.signer.sign(
          resolved.answer,
          q.qname,
          q.qtype,
          this.zones.find(foldCase(q.qname)),
          q.edns?.dnssecOk ?? false,
          compactOk(q),
        )
      : resolved.answer;
    const sites = log.sites();
    const rcode = answer.rcode | ((ednsReply?.extendedRcode ?? 0) << 4);
    const tally = this.tallies.of(zone, q.qtype, rcode, log.policy(), sites);
    // The ECS and COOKIE echoes are appended per query (finish), so the encoding leaves room.
    const room = (ecs ? 4 + ecs.len : 0) + (r.cookieAt >= 0 ? 4 + COOKIE_REPLY_LEN : 0);
    const encoded = encode(msg, q, answer, ednsReply, limit, room, tally, rcode, zone);
    this.memo.store(key, encoded, answer.steered ? { key: answer.steered.key, log } : null);
    const scope = answer.steered ? clampScope(answer.steered.scope, client) : 0;
    const out = r.finish(encoded, msg, q.qnameEnd, ecs, scope);
    if (!out || r.shaped) return out;
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
    return formerrReply(this.reply, this.tallies, msg, q, transport);
  }

  /** A memoised reply finished for this query, counted and logged when it went out whole. */
  private memoised(
    hit: Encoded,
    msg: Buffer,
    qnameEnd: number,
    transport: Transport,
    ecs: EcsInQuery | null,
    scope: number,
  ): Buffer | null {
    const out = this.reply.finish(hit, msg, qnameEnd, ecs, scope);
    if (!out || this.reply.shaped) return out;
    const { tally, body } = hit;
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
}

function ednsShape(edns: Edns | null): EdnsShape {
  if (!edns) return EdnsShape.None;
  if (!edns.dnssecOk) return EdnsShape.Edns;
  return edns.compactOk ? EdnsShape.CompactOk : EdnsShape.DnssecOk;
}
