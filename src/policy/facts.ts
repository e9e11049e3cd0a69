// What a decision weighed, as data: filled in only when explain asks (a `facts` object is passed),
// so an ordinary query pays one null check. The trace says the same things in words; these are
// for the explain data structure (CLI --json, the admin API), which must not parse the words.

/** What the shared step and the policy found about one site of the record. */
export interface SiteFacts {
  /** Not drained, in the zone file or in the health table (the shared step). */
  open?: boolean;
  /** Its up addresses of the asked family (the shared step; empty when drained). */
  up?: string[];
  /** nearest: great-circle distance from the client's location, in km. */
  km?: number;
  /** nearest with `spread`: within the spread of the nearest site. */
  withinSpread?: boolean;
  /** weighted, sticky: the site's weight in this record. */
  weight?: number;
  /** sticky: the weighted rendezvous score for the client's network; the highest wins. */
  score?: number;
  /** failover: the priority group, 1 first. */
  group?: number;
}

export interface PolicyFacts {
  /** By site name. */
  readonly sites: Record<string, SiteFacts>;
  /**
   * What decided, in the zone file's terms: "continent EU: records.shop.rules[0]",
   * "group 1 of 2 (min_available 1)", "override geoip/overrides.yaml:12 names site eu-west".
   */
  decidedBy: string | null;
}

export function emptyFacts(): PolicyFacts {
  return { sites: {}, decidedBy: null };
}

/** The facts of one site, created on first use. */
export function siteFacts(facts: PolicyFacts, site: string): SiteFacts {
  return (facts.sites[site] ??= {});
}
