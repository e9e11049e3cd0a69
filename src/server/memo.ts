// The reply memo: encoded replies kept by question, so a repeated question costs a copy and a
// few patched octets (see QueryHandler). The handler asks it two things: `find` a reply for a
// query, and `store` one it encoded. For a steered question the memo keeps the steps met while
// answering and replays them through the one steering step (server/steering.ts), then looks up
// the reply encoded for those decisions; it knows nothing of policies.
//
// The key (wire/query-key.ts replyKey) holds the transport limit, the EDNS shape with the DO bit,
// qtype, qclass and the case-folded name, so a signed reply (DO=1) and an unsigned one are kept
// apart: a reply is memoised as it leaves the encode step, whatever came before it (signing).
import type { EdnsReply } from '../wire/encode.js';
import type { GeoLocator } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { RrlClass } from './rrl.js';
import {
  type Decision,
  decisionsKey,
  fixedPerNetwork,
  replaySteps,
  type SteerQuery,
  type SteerStep,
  type StepLog,
} from './steering.js';
import type { AnswerTally } from './tallies.js';

/**
 * A reply encoded once, and the tally its queries count into. The bytes stop before the OPT
 * record (encodeBody): each reply's OPT is written whole at the last step (finish), from `opt`
 * and the query's own options, so options of any number and size keep the message well formed.
 */
export interface Encoded {
  readonly body: Buffer;
  readonly opt: EdnsReply | null;
  readonly tally: AnswerTally;
  /** How RRL counts this reply: its class and the name it is keyed on (classify). */
  readonly cls: RrlClass;
  readonly name: number;
}

/** What the memo asks about the query it looks up, lazily: most hits need neither. */
export interface MemoQuestion {
  /** The key of the client's network (equal keys, equal clients); null: malformed ECS. */
  network(): number | string | null;
  /** The query to replay steered names for; null: malformed ECS. */
  steering(): SteerQuery | null;
}

/**
 * Memo entry for a question whose answer a policy picks: the steered names met while answering
 * it. A later query replays just those decisions, then looks up the reply encoded for that
 * decision (memo key + decision key), so equal decisions share one encoding.
 */
interface SteeredEntry {
  readonly steps: readonly SteerStep[];
  /**
   * The reply per client network, when every step's decision is fixed for a network while health
   * and GeoIP data stay the same (fixedPerNetwork): a hit skips the decisions, the geo lookup and
   * the decision key. Null when a step rotates per query.
   */
  readonly byNetwork: Map<number | string, NetworkReply> | null;
  /**
   * For a question with one steered name, the reply for each one-address decision by that
   * address's record data (a rotation's answers: weighted's default), found without building the
   * decision key. Holds at most one entry per address of the record.
   */
  readonly byAddress: Map<object, { readonly ttl: number; readonly hit: Encoded }>;
}
type MemoEntry = Encoded | SteeredEntry;

/** A memoised reply as replay found it for one client network, valid for these data versions. */
interface NetworkReply {
  readonly health: number;
  readonly geo: number;
  readonly hit: Encoded;
  readonly scope: number;
}

/** Bound on memoised replies per zone generation: a random-subdomain flood must not grow memory. */
const CACHE_LIMIT = 50_000;
/** Bound on replies kept per client network, over all steered questions (see SteeredEntry). */
const NETWORK_REPLY_LIMIT = 65_536;

/** The memo of one zone generation: a reload makes a new one, so no stale bytes survive. */
export class ReplyMemo {
  private entries = new Map<string, MemoEntry>();
  /** NetworkReply entries in the SteeredEntries: they go when the entries do. */
  private networkReplies = 0;
  /** The ECS scope of the reply the last `find` returned. */
  scope = 0;
  /**
   * When the last `find` met a steered question whose decisions were never encoded: those
   * decisions, which the full path answers with (Steerer's `replayed`), so rotations take one
   * turn per query. Null otherwise.
   */
  replayed: Decision[] | null = null;

  constructor(
    private readonly health: HealthView,
    private readonly geo: GeoLocator,
  ) {}

  /** The memoised reply for the question under `key`, or undefined: take the full path. */
  find(key: string, q: MemoQuestion): Encoded | undefined {
    this.scope = 0;
    this.replayed = null;
    const entry = this.entries.get(key);
    if (entry === undefined || 'body' in entry) return entry;
    const nets = entry.byNetwork;
    const net = nets ? q.network() : null;
    if (net !== null) {
      const r = nets!.get(net);
      if (r && r.health === this.health.version && r.geo === this.geo.version) {
        this.scope = r.scope;
        return r.hit;
      }
    }
    const steering = q.steering();
    if (!steering) return undefined;
    const { scope, decisions } = replaySteps(entry.steps, steering);
    const hit = this.replyFor(entry, key, decisions);
    if (!hit) {
      this.replayed = decisions;
      return undefined;
    }
    if (net !== null) this.remember(nets!, net, hit, scope);
    this.scope = scope;
    return hit;
  }

  /**
   * Keep a reply the full path encoded under `key`; a steered one (`steered`: the answer's
   * decision key and the steps met) under the key plus its decisions, with the steps to replay.
   */
  store(key: string, encoded: Encoded, steered: { key: string; log: StepLog } | null): void {
    if (this.entries.size >= CACHE_LIMIT) this.clear();
    if (!steered) {
      this.entries.set(key, encoded);
      return;
    }
    // A new decision for a memoised question keeps its entry, and with it the replies per network.
    const prev = this.entries.get(key);
    if (!prev || !('steps' in prev)) {
      const steps = steered.log.steps;
      this.entries.set(key, {
        steps,
        byNetwork: fixedPerNetwork(steps) ? new Map() : null,
        byAddress: new Map(),
      });
    }
    this.entries.set(`${key}\u0001${steered.key}`, encoded);
  }

  private clear(): void {
    this.entries = new Map();
    this.networkReplies = 0;
  }

  /** The reply encoded for these decisions (memo key + decision key), if ever. */
  private replyFor(entry: SteeredEntry, key: string, decisions: Decision[]): Encoded | undefined {
    // One decision of one address: the decision key is its TTL and that address, so the record
    // data object (one per address of the record) and the TTL find the same reply.
    const one = decisions.length === 1 && decisions[0]!.rdata.length === 1 ? decisions[0]! : null;
    const rd = one?.rdata[0];
    if (rd) {
      const r = entry.byAddress.get(rd);
      if (r && r.ttl === one!.ttl) return r.hit;
    }
    const hit = this.entries.get(`${key}\u0001${decisionsKey(decisions)}`);
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
      this.clear();
      return;
    }
    if (!nets.has(net)) this.networkReplies++;
    nets.set(net, { health: this.health.version, geo: this.geo.version, hit, scope });
  }
}
