// Each vantage point's verdict beside an address in an explanation (docs/fleet.md#explain): the
// fleet's consensus decided whether it was up, so explain shows the votes and the rule's result.
// The fleet fills them in through a lookup; explain itself knows nothing of etcd.
import type { Explanation, FleetVote } from './view.js';

export type { FleetVote };

export type FleetVoteLookup = (zone: string, site: string, address: string) => FleetVote | null;

/** Add each steered address's votes to `x`, where the lookup has them. */
export function addFleetVotes(x: Explanation, lookup: FleetVoteLookup): Explanation {
  for (const step of x.chain) {
    const st = step.steering;
    if (!st) continue;
    for (const s of st.sites)
      for (const a of s.addresses) {
        const v = lookup(st.zone, s.name, a.address);
        if (v) a.fleet = v;
      }
  }
  return x;
}

/** `majority: a=up b=down c=up -> up`, for the text form. */
export function voteText(v: FleetVote): string {
  const votes = Object.entries(v.votes).map(([n, x]) => `${n}=${x}`);
  return `${v.rule}: ${votes.join(' ')} -> ${v.verdict}`;
}
