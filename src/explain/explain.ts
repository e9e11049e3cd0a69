// explain: how the server would answer a question for a hypothetical client, as data. The answer
// comes from resolve() itself, with tracing on, so it cannot drift from what the server sends;
// this module only adds the client as the handler derives it and arranges what resolve() and the
// policies recorded. `geosteer explain` renders it as text or JSON (docs/explain.md); the
// structure is meant for the admin API's explain endpoint too.

import { networkText } from '../base/address.js';
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import { isDelegation } from '../policy/referral.js';
import { SteerState } from '../policy/state.js';
import { resolve } from '../server/resolve.js';
import { type SteerRecorder, Steerer } from '../server/steering.js';
import { Rcode, Type, rcodeName, typeName } from '../wire/constants.js';
import { MAX_STEERING_PREFIX } from '../wire/ecs.js';
import { foldCase, isSubdomain } from '../wire/name.js';
import type { Answer, RRset } from '../wire/rr.js';
import { rdataText } from '../zone/present.js';
import type { ZoneSet } from '../zone/zone-set.js';

import { parseExplainClient, parseQueryName, parseQueryType } from './question.js';
import { type ExplainedStep, steeringView } from './steering-view.js';
import type { AnswerView, ChainKind, ChainStep, Explanation, RecordView } from './view.js';

export * from './view.js';
export * from './question.js';

/**
 * Explain how `name` `type` would be answered for `client` (an ECS subnet as a resolver sends it),
 * with the given zones, locator and health. The answer is resolve()'s, computed as the query
 * handler computes it, through the same Steerer, with tracing on.
 *
 * Rotations take turns in `state`, as a query's do in the server's: explain never touches the
 * server's own (the handler keeps them), so it may explain the live zones. A fresh state (the
 * default) shows a fresh rotation's pick; pass one state to several calls to see them go round.
 *
 * Throws ExplainError when the name, type or client cannot be asked.
 */
export function explain(
  zones: ZoneSet,
  geo: GeoLocator,
  health: HealthView,
  name: string,
  type: string,
  client: string,
  state: SteerState = new SteerState(),
): Explanation {
  const qname = parseQueryName(name);
  const qtype = parseQueryType(type);
  const c = parseExplainClient(client);
  const hint = c.hint;
  const located: { where: GeoResult | null; asked: boolean } = { where: null, asked: false };
  const trace: string[] = [];
  const explained: ExplainedStep[] = [];
  // The handler's query (QueryHandler.query), with tracing on: the client is located lazily,
  // once, and only when a policy asks.
  const recorder: SteerRecorder = {
    steered(step, decision, owner, detail) {
      // A referral is shown as the chain's last step, not as a steered answer.
      if (detail && !isDelegation(step.rec))
        explained.push({ ...step, owner, decision, ...detail });
    },
  };
  const steering = new Steerer(
    {
      client: hint,
      health,
      geo,
      locate: () => {
        located.asked = true;
        return (located.where ??= geo.locate(hint.address, hint.prefix));
      },
      state,
      trace,
    },
    recorder,
  );
  const zone = zones.find(foldCase(qname));
  let ans: Answer;
  if (qtype === Type.AXFR || qtype === Type.IXFR) {
    // As the handler: zone transfers are not offered (RFC 5936 allows refusing them).
    trace.push('zone transfers are not offered: REFUSED');
    ans = { rcode: Rcode.REFUSED, aa: false, answer: [], authority: [], additional: [] };
  } else ans = resolve(zones, qname, qtype, steering);
  const where = located.where ?? geo.locate(hint.address, hint.prefix);

  const chain: ChainStep[] = [];
  if (zone && ans.rcode !== Rcode.REFUSED) {
    const isWild = (n: string) =>
      isSubdomain(foldCase(n), zone.key) && !zone.nodes.has(foldCase(n));
    let current = qname;
    const seen = new Set<string>([foldCase(qname)]);
    let looped = false;
    for (const set of ans.answer) {
      if (set.type !== Type.CNAME || qtype === Type.CNAME || qtype === Type.ANY) continue;
      const target = (set.rdata[0] as { name: string }).name;
      chain.push({
        name: set.name,
        kind: 'cname',
        wildcard: isWild(set.name),
        target,
        ttl: set.ttl,
      });
      current = target;
      if (seen.has(foldCase(target))) looped = true;
      seen.add(foldCase(target));
    }
    const key = foldCase(current);
    const step = explained.find((s) => foldCase(s.owner) === key);
    const own = ans.answer.find(
      (s) =>
        foldCase(s.name) === key &&
        (s.type !== Type.CNAME || qtype === Type.CNAME || qtype === Type.ANY),
    );
    let kind: ChainKind;
    if (step) kind = 'steered';
    else if (own) kind = 'static';
    else if (looped) kind = 'loop';
    else if (!isSubdomain(key, zone.key)) kind = 'external';
    else if (ans.rcode === Rcode.NXDOMAIN) kind = 'nxdomain';
    else if (ans.authority.some((s) => s.type === Type.NS)) kind = 'referral';
    else kind = 'nodata';
    const last: ChainStep = {
      name: own?.name ?? current,
      kind,
      wildcard: (kind === 'static' || kind === 'steered') && isWild(current),
    };
    if (step) last.steering = steeringView(step, health);
    chain.push(last);
  }

  // The outcome of the last name followed: a CNAME to a name without the type is NODATA too.
  const end = chain.at(-1);
  const outcome: AnswerView['outcome'] =
    ans.rcode === Rcode.REFUSED
      ? 'refused'
      : ans.rcode === Rcode.NXDOMAIN
        ? 'nxdomain'
        : end?.kind === 'referral'
          ? 'referral'
          : end?.kind === 'nodata' || (end?.steering && end.steering.addresses.length === 0)
            ? 'nodata'
            : 'answer';
  return {
    question: { name: qname, type: typeName(qtype) },
    client: {
      input: c.input,
      family: hint.family,
      sourcePrefix: c.sourcePrefix,
      network: networkText(hint.address, hint.prefix),
      prefix: hint.prefix,
    },
    location: {
      source: where.source,
      origin: where.origin,
      network: where.network,
      prefixLength: where.prefixLength,
      country: where.country,
      continent: where.continent,
      subdivision: where.subdivision,
      site: where.site,
      location: where.location ? { lat: where.location.lat, lon: where.location.lon } : null,
      usedByPolicy: located.asked,
    },
    zone: zone ? { origin: zone.origin, file: zone.file } : null,
    chain,
    answer: {
      rcode: rcodeName(ans.rcode),
      outcome,
      aa: ans.aa,
      answer: records(ans.answer),
      authority: records(ans.authority),
      additional: records(ans.additional),
      steered: ans.steered !== undefined,
      // As the handler: the scope never claims more than the /24 or /56 clients are steered at.
      ecsScope: ans.steered ? Math.min(ans.steered.scope, MAX_STEERING_PREFIX[hint.family]) : 0,
    },
    trace,
  };
}

function records(sets: readonly RRset[]): RecordView[] {
  return sets.flatMap((s) =>
    s.rdata.map((r) => ({ name: s.name, ttl: s.ttl, type: typeName(s.type), data: rdataText(r) })),
  );
}
