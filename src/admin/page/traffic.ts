// Answers per second and each site's share of the last minute, for the status page. The query
// path keeps only running totals (AnswerTally, one increment per query); this samples those
// totals once a second and keeps a minute of samples, so rates are differences of two samples
// and the DNS path pays nothing for them. Time comes from `now`, so tests assert exact rates.

/**
 * What the sampler reads of the handler's AnswerTally (src/server/handler.ts), structurally, so
 * this file adds no admin -> server import to the folder cycle STYLE.md asks us not to grow.
 */
export interface AnswerTotals {
  readonly zone: string | null;
  readonly policy: string | null;
  readonly sites: readonly string[];
  readonly udp: number;
  readonly tcp: number;
}

/** Seconds over which "answers per second" is measured: short enough to show a drain at once. */
export const RATE_WINDOW_S = 10;
/** The window of the sites' shares of steered answers. */
export const SHARE_WINDOW_S = 60;

/** Running totals at one moment, keyed `zone\0site` and `zone\0policy`. */
interface Sample {
  at: number;
  sites: Map<string, number>;
  policies: Map<string, number>;
  /** Steered answers per zone (answers a policy chose; one per answer, however many sites). */
  steered: Map<string, number>;
}

export interface SiteTraffic {
  zone: string;
  site: string;
  /** Answers holding the site per second, over the last RATE_WINDOW_S seconds (or since start). */
  perSecond: number;
  /** Answers holding the site over the last minute (or since start). */
  lastMinute: number;
  /** lastMinute over the zone's steered answers in that minute; null when there were none. */
  share: number | null;
}

export interface PolicyTraffic {
  zone: string;
  /** The steering policy, or `none` for answers no policy chose (static records, errors). */
  policy: string;
  perSecond: number;
  lastMinute: number;
}

export interface TrafficReport {
  /** Seconds actually covered by the rate and the share (less than the windows just after start). */
  rateWindowSeconds: number;
  shareWindowSeconds: number;
  sites: SiteTraffic[];
  policies: PolicyTraffic[];
}

export class TrafficSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly read: () => Iterable<AnswerTotals>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sample now and then every second until stop(); the timer never keeps the process alive. */
  start(intervalMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Take one sample (the timer calls it; tests call it with their clock). */
  sample(): void {
    const s = this.totals();
    this.samples.push(s);
    // Keep one sample at or before the start of the share window, so it always spans a minute.
    while (this.samples.length > 2 && this.samples[1]!.at <= s.at - SHARE_WINDOW_S * 1000)
      this.samples.shift();
  }

  report(): TrafficReport {
    const cur = this.totals();
    const rateBase = this.since(cur.at - RATE_WINDOW_S * 1000) ?? cur;
    const shareBase = this.since(cur.at - SHARE_WINDOW_S * 1000) ?? cur;
    const rateS = (cur.at - rateBase.at) / 1000;
    const delta = (m: Map<string, number>, base: Map<string, number>, k: string) =>
      (m.get(k) ?? 0) - (base.get(k) ?? 0);
    const perSecond = (n: number) => (rateS > 0 ? round(n / rateS) : 0);
    const sites: SiteTraffic[] = [...cur.sites.keys()].map((k) => {
      const [zone, site] = k.split('\u0000') as [string, string];
      const lastMinute = delta(cur.sites, shareBase.sites, k);
      const steered = delta(cur.steered, shareBase.steered, zone);
      return {
        zone,
        site,
        perSecond: perSecond(delta(cur.sites, rateBase.sites, k)),
        lastMinute,
        share: steered > 0 ? round(lastMinute / steered) : null,
      };
    });
    const policies: PolicyTraffic[] = [...cur.policies.keys()].map((k) => {
      const [zone, policy] = k.split('\u0000') as [string, string];
      return {
        zone,
        policy,
        perSecond: perSecond(delta(cur.policies, rateBase.policies, k)),
        lastMinute: delta(cur.policies, shareBase.policies, k),
      };
    });
    return {
      rateWindowSeconds: round(rateS),
      shareWindowSeconds: round((cur.at - shareBase.at) / 1000),
      sites,
      policies,
    };
  }

  /** The oldest sample taken at or after `at`; the oldest of all when none is that recent. */
  private since(at: number): Sample | null {
    return this.samples.find((s) => s.at >= at) ?? this.samples.at(-1) ?? null;
  }

  private totals(): Sample {
    const s: Sample = { at: this.now(), sites: new Map(), policies: new Map(), steered: new Map() };
    const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
    for (const t of this.read()) {
      const n = t.udp + t.tcp;
      // A name in no zone (REFUSED, FORMERR) has no site and no policy worth a row.
      if (n === 0 || t.zone === null) continue;
      add(s.policies, `${t.zone}\u0000${t.policy ?? 'none'}`, n);
      if (t.sites.length === 0) continue;
      add(s.steered, t.zone, n);
      for (const site of t.sites) add(s.sites, `${t.zone}\u0000${site}`, n);
    }
    return s;
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
