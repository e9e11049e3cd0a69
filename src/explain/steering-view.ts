// One steered name of an explanation: every site of the record as the decision saw it, and notes.

import type { HealthView } from '../health/table.js';
import type { DecisionMode } from '../policy/decision.js';
import { siteAvailable } from '../policy/dynamic.js';
import { addressesOf } from '../policy/site.js';
import { type Decision, type SteerStep, type StepDetail } from '../server/steering.js';
import { rdataText } from '../zone/present.js';
import type { SiteView, SteeringView } from './view.js';

const WEIGHTED_NOTE = (ratio: string) =>
  `the pick of a fresh rotation (explain keeps its own rotations); a running server keeps one rotation per process, advanced by every query, so its answers go round the sites ${ratio}`;
const ADDRESS_ROTATION_NOTE = (site: string, offered: number, answered: number) =>
  `${site} has ${offered} addresses up and the answer holds ${answered}: they take turns by address weight (a fresh rotation's turn here; a running server's is per process)`;
const MODE_NOTE: Record<Exclude<DecisionMode, 'policy'>, string> = {
  serve_all:
    'no site was available: when_all_down is serve_all, so the policy chose as if every address were up (fail open; drained sites stay out unless every site is drained)',
  fallback:
    "no site was available: when_all_down is fallback, so the answer is the record's fallback addresses",
  nodata: 'no site was available: when_all_down is nodata, so the answer is empty (NODATA)',
  'no-family': 'no site of this record has an address of this family: NODATA',
};

/** A steered name met on the way, the decision made for it, and what it weighed. */
export interface ExplainedStep extends SteerStep, StepDetail {
  /** The owner answered: the question's spelling, or a CNAME target's. */
  readonly owner: string;
  readonly decision: Decision;
}

export function steeringView(step: ExplainedStep, health: HealthView): SteeringView {
  const { rec, family, decision, facts } = step;
  const sites: SiteView[] = rec.members.map((site) => {
    const f = facts.sites[site.name] ?? {};
    // The shared step recorded what it saw; for a site it did not look at (drained, or no site has
    // the family) the health table is asked directly, for display only.
    const open = f.open ?? siteAvailable(rec, site, health);
    const up = new Set(f.up ?? []);
    const addresses = addressesOf(site, family).map((a) => ({
      address: a.address,
      weight: a.weight,
      up: f.open ? up.has(a.address) : health.addressUp(rec.zone, site.name, a.address),
    }));
    const v: SiteView = {
      name: site.name,
      state: site.state,
      open,
      available: open && up.size > 0,
      addresses,
      location: site.location ? { lat: site.location.lat, lon: site.location.lon } : null,
      country: site.country,
      chosen: decision.sites.includes(site.name),
    };
    if (f.km !== undefined) v.km = Math.round(f.km * 10) / 10;
    if (f.withinSpread !== undefined) v.withinSpread = f.withinSpread;
    if (f.weight !== undefined) v.weight = f.weight;
    if (f.score !== undefined) v.score = f.score;
    if (f.group !== undefined) v.group = f.group;
    return v;
  });
  const answered = new Set(decision.rdata.map((r) => rdataText(r)));
  const notes: string[] = [];
  if (decision.mode !== 'policy') notes.push(MODE_NOTE[decision.mode]);
  if (rec.kind === 'weighted' && (decision.mode === 'policy' || decision.mode === 'serve_all')) {
    const w = sites.filter((s) => s.weight !== undefined);
    notes.push(
      WEIGHTED_NOTE(
        w.length > 1
          ? `${w.map((s) => s.weight).join(':')} (${w.map((s) => s.name).join(', ')})`
          : 'by weight',
      ),
    );
  }
  // sticky keeps a client on the same addresses; every other policy takes turns among them.
  if (rec.kind !== 'sticky')
    for (const s of sites) {
      if (!s.chosen) continue;
      const offered = s.addresses.filter((a) => a.up || decision.mode === 'serve_all');
      const inAnswer = offered.filter((a) => answered.has(a.address)).length;
      if (inAnswer < offered.length)
        notes.push(ADDRESS_ROTATION_NOTE(s.name, offered.length, inAnswer));
    }
  return {
    record: rec.name,
    zone: rec.zone,
    policy: rec.kind,
    family,
    ttl: decision.ttl,
    answers: rec.answers,
    whenAllDown: rec.whenAllDown,
    sites,
    decidedBy: facts.decidedBy,
    mode: decision.mode,
    chosen: [...decision.sites],
    addresses: decision.rdata.map((r) => rdataText(r)),
    scope: decision.scope,
    notes,
    trace: [...step.trace],
  };
}
