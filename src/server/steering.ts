// The one steering path of a query. resolve() meets steered names while it walks the zone and asks
// a Steering for each one's decision; every caller answers through the same Steerer, which calls
// the policy layer's single step (decideStep) and hands each decision to one SteerRecorder:
// the query handler's StepLog (the memo and the tallies read it), explain's recorder (which also
// keeps the trace and facts of each step). The memo's replay (replaySteps) uses decideStep too.
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { Decision } from '../policy/decision.js';
import { emptyFacts, type PolicyFacts } from '../policy/facts.js';
import type { SteerState } from '../policy/state.js';
import { decidedPerNetwork, decideStep, decisionKey, type SteerStep } from '../policy/steer.js';
import type { ClientHint } from '../policy/types.js';
import { MAX_STEERING_PREFIX } from '../wire/ecs.js';

export type { SteerStep } from '../policy/steer.js';
export type { Decision } from '../policy/decision.js';

/** What resolve() asks for each steered name it meets, in the order it meets them. */
export interface Steering {
  /** The decision for `step`, answered as `owner` (the question's spelling, or a CNAME target's). */
  decide(step: SteerStep, owner: string): Decision;
}

/** What explain keeps of one step beyond the decision: what the policy weighed, and why. */
export interface StepDetail {
  readonly facts: PolicyFacts;
  /** The trace lines written while deciding. */
  readonly trace: readonly string[];
}

/** Receives each steered name answered and its decision: the one channel for what is recorded. */
export interface SteerRecorder {
  /** `detail` is set when the query traces (explain). */
  steered(step: SteerStep, decision: Decision, owner: string, detail: StepDetail | null): void;
}

/** Who asks, with which health and GeoIP data, and whose rotations take a turn. */
export interface SteerQuery {
  readonly client: ClientHint;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  /** Called at most once per query, and only by policies that use the client's location. */
  locate(): GeoResult;
  /** Rotations and health surveys: the server's per zone generation, or explain's own. */
  readonly state: SteerState;
  /** When set (explain), policies write why; each step's lines and facts are recorded. */
  readonly trace: string[] | null;
}

const NONE: readonly Decision[] = Object.freeze([]);

/**
 * The steering of one query. Decisions already made for it by the memo's replay (`replayed`, in
 * the order resolve will meet their steps, as the memo recorded them) are used instead of
 * deciding again, so a rotation takes one turn per query however the reply is found.
 */
export class Steerer implements Steering {
  private next = 0;

  constructor(
    private readonly query: SteerQuery,
    private readonly recorder: SteerRecorder | null = null,
    private readonly replayed: readonly Decision[] = NONE,
  ) {}

  decide(step: SteerStep, owner: string): Decision {
    const q = this.query;
    let decision: Decision;
    let detail: StepDetail | null = null;
    if (this.next < this.replayed.length) decision = this.replayed[this.next++]!;
    else if (q.trace) {
      const facts = emptyFacts();
      const mark = q.trace.length;
      decision = decideStep(step, { ...q, family: step.family, facts });
      detail = { facts, trace: q.trace.slice(mark) };
    } else decision = decideStep(step, contextOf(q, step.family));
    this.recorder?.steered(step, decision, owner, detail);
    return decision;
  }
}

/** The context field by field: a spread per query shows in the profile. */
function contextOf(q: SteerQuery, family: 4 | 6) {
  return {
    family,
    client: q.client,
    health: q.health,
    geo: q.geo,
    locate: q.locate,
    state: q.state,
    trace: null,
  };
}

/** The handler's recorder: the steps met and their decisions, for the memo and the tallies. */
export class StepLog implements SteerRecorder {
  readonly steps: SteerStep[] = [];
  readonly decisions: Decision[] = [];

  steered(step: SteerStep, decision: Decision): void {
    this.steps.push(step);
    this.decisions.push(decision);
  }

  /** The sites in the answer, in answer order. */
  sites(): readonly string[] {
    const d = this.decisions;
    return d.length === 0 ? NO_SITES : d.length === 1 ? d[0]!.sites : d.flatMap((x) => x.sites);
  }

  /** The policy of the first steered name, or null when none was met. */
  policy(): string | null {
    return this.steps[0]?.rec.kind ?? null;
  }
}

const NO_SITES: readonly string[] = Object.freeze([]);

/** Decisions of a memoised question's steps made again for a client: what the memo looks up. */
export interface Replayed {
  readonly decisions: Decision[];
  /** The widest ECS scope among them, clamped to what clients are steered by. */
  readonly scope: number;
}

/** Decide again for each step of a memoised question (the memo's replay). */
export function replaySteps(steps: readonly SteerStep[], q: SteerQuery): Replayed {
  let scope = 0;
  const decisions: Decision[] = [];
  for (const step of steps) {
    const d = decideStep(step, contextOf(q, step.family));
    decisions.push(d);
    if (d.scope > scope) scope = d.scope;
  }
  return { scope: clampScope(scope, q.client), decisions };
}

/** What the decisions put in the answer, as a key: equal keys, equal replies (decisionKey). */
export function decisionsKey(decisions: readonly Decision[]): string {
  let k = '';
  for (const d of decisions) k = k ? `${k};${decisionKey(d)}` : decisionKey(d);
  return k;
}

/** Append one decision to an answer's steering key (resolve builds Answer.steered with it). */
export function appendKey(key: string | undefined, d: Decision): string {
  return (key === undefined ? '' : `${key};`) + decisionKey(d);
}

/** True when every step's decision is fixed per client network (decidedPerNetwork). */
export function fixedPerNetwork(steps: readonly SteerStep[]): boolean {
  return steps.every(decidedPerNetwork);
}

/** The scope never claims more than the /24 or /56 granularity clients are steered at. */
export function clampScope(scope: number, client: ClientHint): number {
  return Math.min(scope, MAX_STEERING_PREFIX[client.family]);
}

const NOWHERE: GeoResult = {
  source: 'none',
  location: null,
  country: null,
  continent: null,
  subdivision: null,
  site: null,
  prefixLength: 0,
  network: '0.0.0.0/0',
  origin: 'none',
};
/** A locator that places nobody: for a server started without GeoIP data. */
export const NO_GEO: GeoLocator = { locate: () => NOWHERE, version: 0 };
/** The client of a query with no source (tests of static data): unknown, at 0.0.0.0/0. */
export const NO_CLIENT_HINT: ClientHint = {
  address: new Uint8Array(4),
  family: 4,
  prefix: 0,
  fromEcs: false,
};
