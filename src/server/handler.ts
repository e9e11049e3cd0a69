import { Class, EDNS_UDP_PAYLOAD, EdnsOption, Rcode, Type, typeName } from '../wire/constants.js';
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
import type { Answer, RData } from '../wire/rr.js';
import type { ZoneSet } from '../zone/zone-set.js';
import { ECS_OPTION, MAX_STEERING_PREFIX, parseEcs, truncate } from '../wire/ecs.js';
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import { HealthTable, type HealthView } from '../health/table.js';
import { type Decision, decide, decidedPerNetwork, decisionKey } from '../policy/record.js';
import { decideReferral } from '../policy/delegate.js';
import type { ClientHint } from '../policy/types.js';
import { ipv4Bytes, ipv6Bytes } from '../base/address.js';
import { NO_CLIENT, resolve, type SteerContext, type SteerStep } from './resolve.js';
import { COOKIE_REPLY_LEN, cookieLengthValid, type Cookies, CookieVerdict } from './cookies.js';
import { classify, Shape, shapeReply } from './reply-shape.js';
import { nameHash, RrlAction, RrlClass, type RateLimiter } from './rrl.js';
import type { AnswerSigner } from '../dnssec/answer-signer.js';

export type Transport = 'udp' | 'tcp';

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

/**
 * Answered queries of one kind, counted since start: the metrics (src/admin/metrics.ts) read
 * them at scrape time. One per (zone, qtype, rcode, policy, sites), made when a reply is first
 * encoded; a memoised reply holds its tally, so counting a query costs one increment.
 */
export interface AnswerTally {
  /** The zone holding the name, or null (REFUSED: in no zone; FORMERR, NOTIMP). */
  readonly zone: string | null;
  /** The type asked; -1 for a type geosteer has no name for (counted together, so unbounded). */
  readonly qtype: number;
  /** With the extended bits (BADVERS is 16). */
  readonly rcode: number;
  readonly policy: string | null;
  readonly sites: readonly string[];
  udp: number;
  tcp: number;
}

/** Bound on memoised replies per zone generation: a random-subdomain flood must not grow memory. */
const CACHE_LIMIT = 50_000;
const CLIENT_CACHE_LIMIT = 10_000;
/** Bound on replies kept per client network, over all steered questions (see SteeredEntry). */
const NETWORK_REPLY_LIMIT = 65_536;

/** Where a query came from (the packet's source), used for steering when it carries no ECS. */
export interface Remote {
  address: string;
  family: 'IPv4' | 'IPv6' | string;
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
 * Memo entry for a question whose answer a policy picks: the steered names met while answering
 * it. A later query replays just those decisions, then looks up the reply encoded for that
 * decision (memo key + decision key), so equal decisions share one encoding.
 */
interface SteeredEntry {
  readonly steps: readonly SteerStep[];
  /**
   * The reply per client network (see networkKey), when every step's decision is fixed for a
   * network while health and GeoIP data stay the same (decidedPerNetwork): a hit skips the
   * decisions, the geo lookup and the decision key. Null when a step rotates per query.
   */
  readonly byNetwork: Map<number | string, NetworkReply> | null;
  /**
   * For a question with one steered name, the reply for each one-address decision by that
   * address's record data (a rotation's answers: weighted's default), found without building the
   * decision key. Holds at most one entry per address of the record.
   */
  readonly byAddress: Map<RData, { readonly ttl: number; readonly hit: Encoded }>;
}
/**
 * A reply encoded once, and the tally its queries count into. The bytes stop before the OPT
 * record (encodeBody): each reply's OPT is written whole at the last step (finish), from `opt`
 * and the query's own options, so options of any number and size keep the message well formed.
 */
interface Encoded {
  readonly body: Buffer;
  readonly opt: EdnsReply | null;
  readonly tally: AnswerTally;
  /** How RRL counts this reply: its class and the name it is keyed on (classify). */
  readonly cls: RrlClass;
  readonly name: number;
}
type MemoEntry = Encoded | SteeredEntry;

/** A memoised reply as replay found it for one client network, valid for these data versions. */
interface NetworkReply {
  readonly health: number;
  readonly geo: number;
  readonly hit: Encoded;
  readonly scope: number;
}

/** Position of the ECS option data in the query, and the client subnet it holds. */
interface EcsInQuery {
  at: number;
  len: number;
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
  private memo = new Map<string, MemoEntry>();
  /** NetworkReply entries in the memo's SteeredEntries: they go when the memo does. */
  private networkReplies = 0;
  private readonly clients = new Map<string, ClientHint>();
  /** Every AnswerTally, by what it counts; bounded by zones x named types x rcodes x choices. */
  private readonly tallies = new Map<string, AnswerTally>();
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
  readonly signer: AnswerSigner | null;
  /** This query's transport and source, and its COOKIE (offset of the data, or -1) as judged. */
  private udp = false;
  private source = '';
  private cookieAt = -1;
  private verdict: CookieVerdict = CookieVerdict.ClientOnly;
  private ip: Uint8Array = new Uint8Array(4);
  /** Set by finish: the reply went out cut short (slip, BADCOOKIE), not as answered. */
  private shaped = false;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  onQuery: ((e: QueryEvent) => void) | null = null;

  constructor(zones: ZoneSet, opts: HandlerOptions = {}) {
    this.zones = zones;
    this.health = opts.health ?? new HealthTable();
    this.geo = opts.geo ?? NO_CLIENT.geo;
    this.rrl = opts.rrl ?? null;
    this.cookies = opts.cookies ?? null;
    this.signer = opts.signer ?? null;
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
    this.memo = new Map();
    this.networkReplies = 0;
  }

  /** Returns the reply, or null when the packet must be dropped (RFC 1035 4.1.1: never answer QR=1). */
  handle(msg: Buffer, transport: Transport, remote?: Remote): Buffer | null {
    // Fast path, because per-query cost bounds UDP throughput: a plain query is keyed from its
    // bytes without parsing; anything unusual, and every memo miss, takes the full path below.
    const s = this.scan;
    let decided: Decision[] | undefined;
    // DNSSEC hook: memoised signed replies go once a signature in them is due for refresh or a
    // key timing event changes the key set (dnssec/answer-signer.ts).
    if (this.signer?.stale()) {
      this.memo = new Map();
      this.networkReplies = 0;
    }
    this.udp = transport === 'udp';
    this.source = remote?.address ?? '';
    this.cookieAt = -1;
    if (scanPlainQuery(msg, s)) {
      if (s.cookieAt >= 0 && this.cookies) this.judge(msg, s.cookieAt, s.cookieLen);
      const limit =
        transport === 'tcp' ? TCP_LIMIT : udpLimit(s.edns === EdnsShape.None ? null : s.udpSize);
      const ecs = s.ecsAt >= 0 ? { at: s.ecsAt, len: s.ecsLen } : null;
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
      const entry = this.memo.get(key);
      if (entry !== undefined && 'body' in entry)
        return this.finish(entry, msg, s.qnameEnd, transport, ecs, 0);
      if (entry && 'steps' in entry) {
        const nets = entry.byNetwork;
        const net = nets ? this.networkKey(msg, ecs, remote) : null;
        if (net !== null) {
          const r = nets!.get(net);
          if (r && r.health === this.health.version && r.geo === this.geo.version)
            return this.finish(r.hit, msg, s.qnameEnd, transport, ecs, r.scope);
        }
        const client = this.client(msg, ecs, remote);
        if (client) {
          const { scope, decisions } = this.replay(entry, client);
          const hit = this.replyFor(entry, key, decisions);
          if (hit) {
            if (net !== null) this.remember(nets!, net, hit, scope);
            return this.finish(hit, msg, s.qnameEnd, transport, ecs, scope);
          }
          // A decision not seen before: the full path encodes it, reusing these decisions.
          decided = decisions;
        }
      }
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
      this.count(
        this.tally(null, q ? (msg[q.end - 4]! << 8) | msg[q.end - 3]! : -1, rcode, null, NO_SITES),
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
    const steps: SteerStep[] = [];
    const made: Decision[] = [];
    const client = this.client(msg, ecs, remote)!;
    const { answer, ednsReply, zone } = this.answer(q, {
      ...this.context(client, steps),
      decided,
      decisions: made,
    });
    const sites =
      made.length === 0
        ? NO_SITES
        : made.length === 1
          ? made[0]!.sites
          : made.flatMap((d) => d.sites);
    const rcode = answer.rcode | ((ednsReply?.extendedRcode ?? 0) << 4);
    const tally = this.tally(zone, q.qtype, rcode, steps[0]?.rec.kind ?? null, sites);
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
    const encoded: Encoded = { body, opt: ednsReply, tally, cls, name };
    if (this.memo.size >= CACHE_LIMIT) {
      this.memo.clear();
      this.networkReplies = 0;
    }
    let scope = 0;
    if (answer.steered) {
      // A new decision for a memoised question keeps its entry, and with it the replies per network.
      const prev = this.memo.get(key);
      if (!prev || !('steps' in prev)) {
        const perNetwork = steps.every((st) => decidedPerNetwork(st.rec, st.family));
        this.memo.set(key, {
          steps,
          byNetwork: perNetwork ? new Map() : null,
          byAddress: new Map(),
        });
      }
      this.memo.set(`${key}\u0001${answer.steered.key}`, encoded);
      scope = clampScope(answer.steered.scope, client);
    } else this.memo.set(key, encoded);
    const out = this.finish(encoded, msg, q.qnameEnd, null, ecs, scope);
    if (!out || this.shaped) return out;
    this.count(tally, transport);
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

  private count(tally: AnswerTally, transport: Transport): void {
    if (transport === 'udp') tally.udp++;
    else tally.tcp++;
  }

  /** The tally for answers of this kind, made on first use (slow path only: it builds a key). */
  private tally(
    zone: string | null,
    qtype: number,
    rcode: number,
    policy: string | null,
    sites: readonly string[],
  ): AnswerTally {
    // Types without a name are counted together: random qtypes must not grow the table.
    const t = qtype < 0 || typeName(qtype).startsWith('TYPE') ? -1 : qtype;
    const k = `${zone ?? ''}\u0000${t}\u0000${rcode}\u0000${policy ?? ''}\u0000${sites.join('\u0000')}`;
    let tally = this.tallies.get(k);
    if (!tally)
      this.tallies.set(
        k,
        (tally = { zone, qtype: t, rcode, policy, sites: [...sites], udp: 0, tcp: 0 }),
      );
    return tally;
  }

  private formerr(msg: Buffer, q: Query, transport: Transport): Buffer | null {
    this.count(this.tally(null, q.qtype, Rcode.FORMERR, null, NO_SITES), transport);
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

  private context(client: ClientHint, steps: SteerStep[] | undefined): SteerContext {
    let where: GeoResult | null = null;
    const geo = this.geo;
    return {
      client,
      health: this.health,
      geo,
      locate: () => (where ??= geo.locate(client.address, client.prefix)),
      trace: null,
      steps,
    };
  }

  /** Decide again for each steered name of a memoised question. */
  private replay(
    entry: SteeredEntry,
    client: ClientHint,
  ): { scope: number; decisions: Decision[] } {
    const { health, geo } = this;
    let where: GeoResult | null = null;
    const locate = () => (where ??= geo.locate(client.address, client.prefix));
    let scope = 0;
    const decisions: Decision[] = [];
    for (const step of entry.steps) {
      // The context is built field by field: a spread per query shows in the profile.
      // A steer: delegate referral's decision is its nameservers (resolve.ts, delegated).
      const d = step.referral
        ? decideReferral(step.referral, health)
        : decide(step.rec, { family: step.family, client, health, geo, locate, trace: null });
      decisions.push(d);
      if (d.scope > scope) scope = d.scope;
    }
    return { scope: clampScope(scope, client), decisions };
  }

  /**
   * The memoised reply for these decisions of a memoised question (memo key + decision key), or
   * undefined when they were never encoded.
   */
  private replyFor(entry: SteeredEntry, key: string, decisions: Decision[]): Encoded | undefined {
    // One decision of one address: the decision key is its TTL and that address, so the record
    // data object (one per address of the record) and the TTL find the same reply.
    const one = decisions.length === 1 && decisions[0]!.rdata.length === 1 ? decisions[0]! : null;
    const rd = one?.rdata[0];
    if (rd) {
      const r = entry.byAddress.get(rd);
      if (r && r.ttl === one!.ttl) return r.hit;
    }
    let dkey = '';
    for (const d of decisions) dkey = dkey ? `${dkey};${decisionKey(d)}` : decisionKey(d);
    const hit = this.memo.get(`${key}\u0001${dkey}`);
    if (hit === undefined || !('body' in hit)) return undefined;
    if (rd) entry.byAddress.set(rd, { ttl: one!.ttl, hit });
    return hit;
  }

  /** Keep a replayed reply for its client network; when too many are kept, the memo starts over. */
  private remember(
    nets: Map<number | string, NetworkReply>,
    net: number | string,
    hit: Encoded,
    scope: number,
  ): void {
    if (this.networkReplies >= NETWORK_REPLY_LIMIT) {
      this.memo = new Map();
      this.networkReplies = 0;
      return;
    }
    if (!nets.has(net)) this.networkReplies++;
    nets.set(net, {
      health: this.health.version,
      geo: this.geo.version,
      hit,
      scope,
    });
  }

  /**
   * The key of the client network `client` would return (equal keys, equal ClientHints), or null
   * when the ECS option is malformed. An IPv4 ECS subnet, what resolvers send most, is keyed
   * straight from the option's bytes (well formed: scanPlainQuery checked) without a ClientHint.
   */
  private networkKey(
    msg: Buffer,
    ecs: EcsInQuery | null,
    remote: Remote | undefined,
  ): number | string | null {
    if (ecs) {
      const k = ecsIpv4Key(msg, ecs.at);
      if (k !== null) return k;
    }
    const c = this.client(msg, ecs, remote);
    return c ? hintKey(c) : null;
  }

  /**
   * The client to steer for: the ECS subnet when the query has one with a source prefix above 0
   * (RFC 7871 7.1.2), else the packet's source. Either is cut to /24 or /56 (RFC 7871 11.1), the
   * granularity at which clients are steered. Null when the ECS option is malformed.
   */
  private client(
    msg: Buffer,
    ecs: EcsInQuery | null,
    remote: Remote | undefined,
  ): ClientHint | null {
    if (ecs) {
      const sub = parseEcs(msg.subarray(ecs.at, ecs.at + ecs.len));
      if (!sub) return null;
      if (sub.sourcePrefix > 0) {
        const prefix = Math.min(sub.sourcePrefix, MAX_STEERING_PREFIX[sub.family]);
        return {
          address: truncate(sub.address, prefix),
          family: sub.family,
          prefix,
          fromEcs: true,
        };
      }
    }
    if (!remote) return NO_CLIENT.client;
    let c = this.clients.get(remote.address);
    if (!c) {
      const v4 = ipv4Bytes(remote.address);
      const bytes = v4 ?? ipv6Bytes(remote.address) ?? new Uint8Array(4);
      const family = bytes.length === 4 ? 4 : 6;
      const prefix = MAX_STEERING_PREFIX[family];
      c = { address: truncate(bytes, prefix), family, prefix, fromEcs: false };
      if (this.clients.size >= CLIENT_CACHE_LIMIT) this.clients.clear();
      this.clients.set(remote.address, c);
    }
    return c;
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
    this.count(tally, transport);
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

  private answer(
    q: Query,
    steer: SteerContext,
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
    let answer = resolve(this.zones, q.qname, q.qtype, steer);
    const found = this.zones.find(foldCase(q.qname));
    const zone = found?.origin ?? null;
    // DNSSEC hook (RFC 4035 3.1, RFC 3225 3): a DO=1 query gets the answer signed, as data,
    // before it is encoded (a DO=0 query only the DNSKEY RRset, unsigned); the memo keys on DO
    // (replyKey's EDNS shape).
    if (this.signer) answer = this.signer.sign(answer, q.qname, q.qtype, found, dnssecOk);
    // RFC 8914 4.21: an authoritative-only server that REFUSES a name it is not authoritative for
    // says so with EDE 20 (Not Authoritative), as Knot does, so a resolver's log names the cause
    // (usually a delegation pointing at the wrong server).
    if (zone === null && answer.rcode === Rcode.REFUSED && ednsReply)
      ednsReply.options.push(NOT_AUTHORITATIVE);
    return { answer, ednsReply, zone };
  }
}

/**
 * A ClientHint as a Map key. An IPv4 network of /24 or wider (all the handler makes) is a small
 * integer, which V8 hashes without allocating: its first 24 bits, then its prefix length and
 * whether it came from ECS (an equal network from the packet source is another hint).
 */
function hintKey(c: ClientHint): number | string {
  const a = c.address;
  const from = c.fromEcs ? 1 : 0;
  if (c.family === 4 && c.prefix <= 24)
    return ((a[0]! << 16) | (a[1]! << 8) | a[2]!) * 64 + c.prefix * 2 + from;
  return `${Buffer.from(a.buffer, a.byteOffset, a.length).toString('latin1')}/${c.prefix}/${from}`;
}

/**
 * hintKey of the client `client` builds from a well-formed ECS option (ecsWellFormed), read
 * from its bytes; null unless it is an IPv4 subnet with a source prefix above /0 (RFC 7871
 * 7.1.2: a /0 source steers by the packet's source instead).
 */
function ecsIpv4Key(msg: Buffer, at: number): number | null {
  const source = msg[at + 2]!;
  if (msg[at] !== 0 || msg[at + 1] !== 1 || source === 0) return null;
  const octets = (source + 7) >> 3;
  // The first 24 bits (MAX_STEERING_PREFIX): the fourth octet is never part of the network.
  let a = 0;
  for (let i = 0; i < 3; i++) a = (a << 8) | (i < octets ? msg[at + 4 + i]! : 0);
  const prefix = Math.min(source, MAX_STEERING_PREFIX[4]);
  const mask = (0xffffff << (24 - prefix)) & 0xffffff;
  return (a & mask) * 64 + prefix * 2 + 1;
}

/** The scope never claims more than the /24 or /56 granularity clients are steered at. */
function clampScope(scope: number, client: ClientHint): number {
  return Math.min(scope, MAX_STEERING_PREFIX[client.family]);
}

const NO_SITES: readonly string[] = Object.freeze([]);
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
