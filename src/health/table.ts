// Health as data: who may be given out. Probes and the admin API write here; the answer path only
// reads (HealthView), synchronously, and caches what it read by `version`. Keys are stable names
// (zone/site, zone/site/address), so state survives reloads. See docs/health.md.
//
// Layers, strongest first, for an address: its override (up | down | drain), a manual down mark
// (setAddress: tests and tools), its site's override `up`, then its probe verdict. A site is
// available when it is not drained (zone file, setAdminStates, override `drain`), not forced
// down, and forced up or holding at least `min_healthy` up addresses (both families counted).
//
// Unknown: every probed address starts `unknown`, which is not up. The server runs one probe
// round before it opens its listeners, so at the first query almost every address has a verdict
// (docs/health.md#cold-start); the first result after unknown decides at once, without waiting
// for `rise` or `fall`. Addresses nobody told the table about are up: a table without probes
// answers as before probes existed.
import {
  readStateFile,
  writeStateFile,
  type OverrideRecord,
  type OverrideState,
} from './state-file.js';
import { probeConfigKey, probeLabel, type ProbeSpec } from './spec.js';
import { capSeconds, nextFlipMs } from './ttl.js';
import type {
  AdminState,
  ProbeResult,
  SiteState,
  SiteTargets,
  Verdict,
  VerdictSource,
} from './types.js';

export type {
  AdminState,
  ProbeResult,
  SiteState,
  SiteTargets,
  Verdict,
  VerdictSource,
} from './types.js';
export type { OverrideRecord, OverrideState };

/**
 * What the answer path reads. Every method is synchronous and cheap; `decide` reads them once per
 * health version (see the survey in src/policy/record.ts), not once per query.
 */
export interface HealthView {
  /** Changes whenever anything that can change an answer changes; caches of decisions key on it. */
  readonly version: number;
  /** Not drained, not forced down, and at least min_healthy addresses up (or forced up). */
  siteAvailable(zone: string, site: string): boolean;
  addressUp(zone: string, site: string, address: string): boolean;
  /** Drained (setAdminStates, override drain, or the zone file): out even when failing open. */
  siteDrained(zone: string, site: string): boolean;
  /** An address override `drain`: out even when failing open. */
  addressDrained(zone: string, site: string, address: string): boolean;
  /** Most seconds an answer holding this site may be cached (TTL near trouble); Infinity: no cap. */
  ttlCap(zone: string, site: string): number;
}

/** A site, or one address of a site (address given). */
export interface Target {
  readonly zone: string;
  readonly site: string;
  readonly address?: string | null;
}

/**
 * One change of state, for the log (one line each, src/health/log.ts) and for metrics.
 * - `address`: a probe verdict changed (from/to: unknown | up | down);
 * - `site`: a site became available or unavailable (from/to: unknown | available | unavailable;
 *   a new site is unknown while it is not available and an address of it has not reported yet);
 * - `override`: an override was set or cleared (from/to: none | up | down | drain).
 */
export interface Transition {
  readonly kind: 'address' | 'site' | 'override';
  readonly zone: string;
  readonly site: string;
  readonly address: string | null;
  /** The probe's label (http://192.0.2.10:80/health); null for site and override changes. */
  readonly probe: string | null;
  readonly from: string;
  readonly to: string;
  /** `HTTP 503`, `connect ECONNREFUSED`, `timeout after 2000 ms`, `0 of 2 addresses up (min_healthy 1)`... */
  readonly reason: string;
  /** For an address leaving up or down: the results in a row that moved it (rise or fall); else null. */
  readonly consecutive: number | null;
  /** ms since the epoch (the table's clock). */
  readonly at: number;
}

export interface AddressStatus {
  address: string;
  /** The probe's label, or `none`. */
  probe: string;
  verdict: Verdict;
  /** Given out, after overrides. */
  up: boolean;
  override: OverrideState | null;
  /** The probe changed on reload and has not reported under its new settings yet. */
  provisional: boolean;
  successes: number;
  failures: number;
  rise: number | null;
  fall: number | null;
  intervalMs: number | null;
  timeoutMs: number | null;
  lastResult: { ok: boolean; reason: string; latencyMs: number; at: string } | null;
  lastError: { reason: string; at: string } | null;
  lastTransition: { from: Verdict; to: Verdict; reason: string; at: string } | null;
}

export interface SiteStatus {
  zone: string;
  site: string;
  available: boolean;
  /** As in transitions: unknown until it is available or every address has reported. */
  status: SiteState;
  /** Why it is available or not: `2 of 2 addresses up (min_healthy 1)`, `override drain`... */
  reason: string;
  drained: boolean;
  override: OverrideState | null;
  minHealthy: number;
  upAddresses: number;
  /** The TTL cap in seconds for answers holding this site, or null when none applies. */
  ttlCap: number | null;
  addresses: AddressStatus[];
}

/** JSON-able state of everything the table tracks, for /status. */
export interface HealthSnapshot {
  version: number;
  at: string;
  zones: { zone: string; sites: SiteStatus[] }[];
  /** Every override, including those naming sites or addresses no loaded zone has (yet). */
  overrides: (Omit<OverrideRecord, 'at'> & { at: string })[];
}

export interface HealthTableOptions {
  /** Milliseconds since the epoch; injected so tests are exact. */
  now?: () => number;
}

interface AddressEntry {
  readonly zone: string;
  readonly site: string;
  readonly address: string;
  readonly key: string;
  probe: ProbeSpec;
  label: string;
  configKey: string;
  verdict: Verdict;
  provisional: boolean;
  successes: number;
  failures: number;
  sinceFlip: number;
  lastResult: { ok: boolean; reason: string; latencyMs: number; at: number } | null;
  lastError: { reason: string; at: number } | null;
  lastTransition: { from: Verdict; to: Verdict; reason: string; at: number } | null;
}

interface SiteEntry {
  readonly zone: string;
  readonly site: string;
  readonly key: string;
  state: AdminState;
  minHealthy: number;
  /** Address keys, in zone file order (IPv4 first, as compiled). */
  addresses: string[];
  available: boolean;
  /** As reported in transitions: unknown until it is available or every address has reported. */
  status: SiteState;
  cap: number;
}

const siteKey = (zone: string, site: string) => `${zone}/${site}`;
const addressKey = (zone: string, site: string, address: string) => `${zone}/${site}/${address}`;

export class HealthTable implements HealthView {
  private v = 0;
  private readonly now: () => number;
  private readonly drained = new Set<string>();
  private readonly down = new Set<string>();
  private readonly sites = new Map<string, SiteEntry>();
  private readonly entries = new Map<string, AddressEntry>();
  private readonly overrides = new Map<string, OverrideRecord>();
  private readonly listeners = new Set<(t: Transition) => void>();
  private stateFile: string | null = null;
  private source: VerdictSource | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(opts: HealthTableOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  get version(): number {
    return this.v;
  }

  // -------------------------------------------------------------------------------------------
  // HealthView: the answer path.

  siteAvailable(zone: string, site: string): boolean {
    const k = siteKey(zone, site);
    const s = this.sites.get(k);
    if (s) return s.available;
    // Not registered (no prober, e.g. tools and tests): drains and overrides still apply.
    const o = this.overrides.get(k)?.state;
    return !this.drained.has(k) && o !== 'drain' && o !== 'down';
  }

  addressUp(zone: string, site: string, address: string): boolean {
    return this.effectiveUp(zone, site, address);
  }

  siteDrained(zone: string, site: string): boolean {
    const k = siteKey(zone, site);
    return (
      this.drained.has(k) ||
      this.overrides.get(k)?.state === 'drain' ||
      this.sites.get(k)?.state === 'drain'
    );
  }

  addressDrained(zone: string, site: string, address: string): boolean {
    return this.overrides.get(addressKey(zone, site, address))?.state === 'drain';
  }

  ttlCap(zone: string, site: string): number {
    return this.sites.get(siteKey(zone, site))?.cap ?? Infinity;
  }

  // -------------------------------------------------------------------------------------------
  // Registration (the prober, from compiled zones).

  /**
   * Install the sites of freshly loaded zones. An address whose probe configuration is unchanged
   * keeps its state; one whose probe changed keeps its verdict provisionally, until its first
   * result under the new settings decides (so editing a probe does not withdraw a healthy
   * address); a new one starts unknown (or up, with no probe); removed ones are forgotten.
   */
  sync(sites: readonly SiteTargets[]): void {
    const seenSites = new Set<string>();
    const seenAddrs = new Set<string>();
    const at = this.now();
    const events: Transition[] = [];
    for (const t of sites) {
      const sk = siteKey(t.zone, t.site);
      seenSites.add(sk);
      let s = this.sites.get(sk);
      const fresh = !s;
      if (!s) {
        s = {
          zone: t.zone,
          site: t.site,
          key: sk,
          state: t.state,
          minHealthy: t.minHealthy,
          addresses: [],
          available: false,
          status: 'unknown',
          cap: Infinity,
        };
        this.sites.set(sk, s);
      }
      s.state = t.state;
      s.minHealthy = t.minHealthy;
      s.addresses = [];
      for (const a of t.addresses) {
        const ak = addressKey(t.zone, t.site, a.address);
        seenAddrs.add(ak);
        s.addresses.push(ak);
        const configKey = probeConfigKey(a.probe, a.address);
        const e = this.entries.get(ak);
        if (e && e.configKey === configKey) continue;
        const label =
          a.probe.type === 'none'
            ? 'none'
            : probeLabel(a.probe, a.probe.target ?? a.address, a.probe.port);
        if (e) {
          e.probe = a.probe;
          e.label = label;
          e.configKey = configKey;
          e.successes = 0;
          e.failures = 0;
          e.sinceFlip = Infinity;
          if (a.probe.type === 'none') {
            e.provisional = false;
            if (e.verdict !== 'up') this.flip(e, 'up', 'probe removed (none)', at, events);
          } else e.provisional = e.verdict !== 'unknown';
          continue;
        }
        this.entries.set(ak, {
          zone: t.zone,
          site: t.site,
          address: a.address,
          key: ak,
          probe: a.probe,
          label,
          configKey,
          verdict: a.probe.type === 'none' ? 'up' : 'unknown',
          provisional: false,
          successes: 0,
          failures: 0,
          sinceFlip: Infinity,
          lastResult: null,
          lastError: null,
          lastTransition: null,
        });
      }
      this.refresh(s, at, fresh ? null : events);
    }
    for (const k of [...this.entries.keys()]) if (!seenAddrs.has(k)) this.entries.delete(k);
    for (const k of [...this.sites.keys()]) if (!seenSites.has(k)) this.sites.delete(k);
    this.v++;
    this.emit(events);
  }

  /** Is this site (or address) in a loaded zone? Lets the admin API answer 404. */
  has(target: Target): boolean {
    const t = this.canonical(target);
    return t.address
      ? this.entries.has(addressKey(t.zone, t.site, t.address))
      : this.sites.has(siteKey(t.zone, t.site));
  }

  // -------------------------------------------------------------------------------------------
  // Probe results.

  /** Apply one probe result to one address (rise/fall; the first result after unknown decides). */
  record(zone: string, site: string, address: string, result: ProbeResult): void {
    const e = this.entries.get(addressKey(zone, site, address));
    if (!e || e.probe.type === 'none') return;
    const s = this.sites.get(siteKey(zone, site));
    const at = this.now();
    const p = e.probe;
    const wasUp = this.effectiveUp(zone, site, address);
    const capBefore = s?.cap;
    e.lastResult = { ok: result.ok, reason: result.reason, latencyMs: result.latencyMs, at };
    if (!result.ok) e.lastError = { reason: result.reason, at };
    if (result.ok) {
      e.successes++;
      e.failures = 0;
    } else {
      e.failures++;
      e.successes = 0;
    }
    e.sinceFlip++;
    let next: Verdict = e.verdict;
    if (e.verdict === 'unknown' || e.provisional) next = result.ok ? 'up' : 'down';
    else if (e.verdict === 'down' && result.ok && e.successes >= p.rise) next = 'up';
    else if (e.verdict === 'up' && !result.ok && e.failures >= p.fall) next = 'down';
    e.provisional = false;
    const events: Transition[] = [];
    const flipped = next !== e.verdict;
    if (flipped) {
      const n = e.verdict === 'unknown' ? null : result.ok ? e.successes : e.failures;
      this.flip(e, next, result.reason, at, events, n);
    }
    const availableBefore = s?.available;
    if (s) this.refresh(s, at, events);
    if (
      flipped ||
      wasUp !== this.effectiveUp(zone, site, address) ||
      availableBefore !== s?.available ||
      capBefore !== s?.cap
    )
      this.v++;
    this.emit(events);
  }

  // -------------------------------------------------------------------------------------------
  // Overrides (the admin API), persisted to the state file.

  /**
   * Force a site or an address up, down or drained (null clears). Takes effect at once, before
   * the returned promise settles; the promise settles when the state file has the change (it
   * rejects when writing failed: the override then holds until the process exits, no longer).
   */
  setOverride(target: Target, state: OverrideState | null, reason = ''): Promise<void> {
    const t = this.canonical(target);
    const address = t.address ?? null;
    const k = address === null ? siteKey(t.zone, t.site) : addressKey(t.zone, t.site, address);
    const prev = this.overrides.get(k);
    if ((prev?.state ?? null) === state) return this.persist();
    const at = this.now();
    if (state === null) this.overrides.delete(k);
    else this.overrides.set(k, { zone: t.zone, site: t.site, address, state, at, reason });
    const events: Transition[] = [
      {
        kind: 'override',
        zone: t.zone,
        site: t.site,
        address,
        probe: null,
        from: prev?.state ?? 'none',
        to: state ?? 'none',
        reason,
        consecutive: null,
        at,
      },
    ];
    const s = this.sites.get(siteKey(t.zone, t.site));
    if (s) this.refresh(s, at, events);
    this.v++;
    this.emit(events);
    return this.persist();
  }

  clearOverride(target: Target): Promise<void> {
    return this.setOverride(target, null);
  }

  getOverride(target: Target): OverrideState | null {
    const t = this.canonical(target);
    const k = t.address ? addressKey(t.zone, t.site, t.address) : siteKey(t.zone, t.site);
    return this.overrides.get(k)?.state ?? null;
  }

  listOverrides(): OverrideRecord[] {
    return [...this.overrides.values()];
  }

  /**
   * Read the overrides saved in `path` and save every later change there. Called once at start,
   * before the first probe round. Throws when the file exists but cannot be read or is damaged.
   */
  async useStateFile(path: string): Promise<void> {
    const saved = await readStateFile(path);
    this.stateFile = path;
    const at = this.now();
    const events: Transition[] = [];
    const touched = new Set<SiteEntry>();
    for (const o of saved) {
      const k =
        o.address === null ? siteKey(o.zone, o.site) : addressKey(o.zone, o.site, o.address);
      const prev = this.overrides.get(k);
      this.overrides.set(k, o);
      events.push({
        kind: 'override',
        zone: o.zone,
        site: o.site,
        address: o.address,
        probe: null,
        from: prev?.state ?? 'none',
        to: o.state,
        reason: `from state file${o.reason ? `: ${o.reason}` : ''}`,
        consecutive: null,
        at,
      });
      const s = this.sites.get(siteKey(o.zone, o.site));
      if (s) touched.add(s);
    }
    for (const s of touched) this.refresh(s, at, events);
    if (saved.length) this.v++;
    this.emit(events);
  }

  /** Settles when every write so far has reached the state file. */
  flush(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    const path = this.stateFile;
    if (path === null) return Promise.resolve();
    // Writes run one at a time, each saving the overrides as they are when it starts.
    const run = this.writing.catch(() => {}).then(() => writeStateFile(path, this.listOverrides()));
    this.writing = run.catch(() => {});
    return run;
  }

  // -------------------------------------------------------------------------------------------
  // Layers for tests and tools (not persisted).

  /** Install administrative drains (setAdminStates of the zone-file era; tests use it). */
  setAdminStates(states: Iterable<{ zone: string; site: string; state: AdminState }>): void {
    const next = new Set<string>();
    for (const s of states) if (s.state === 'drain') next.add(siteKey(s.zone, s.site));
    if (next.size === this.drained.size && [...next].every((k) => this.drained.has(k))) return;
    this.drained.clear();
    for (const k of next) this.drained.add(k);
    const at = this.now();
    const events: Transition[] = [];
    for (const s of this.sites.values()) this.refresh(s, at, events);
    this.v++;
    this.emit(events);
  }

  /** Mark an address down, or clear that mark (tests and tools; probes use `record`). */
  setAddress(zone: string, site: string, address: string, up: boolean): void {
    const k = addressKey(zone, site, address);
    if (up === !this.down.has(k)) return;
    if (up) this.down.delete(k);
    else this.down.add(k);
    const s = this.sites.get(siteKey(zone, site));
    const events: Transition[] = [];
    if (s) this.refresh(s, this.now(), events);
    this.v++;
    this.emit(events);
  }

  // -------------------------------------------------------------------------------------------
  // A second opinion (the fleet, src/fleet/).

  /** Let `source` turn each own probe verdict into the one used (null: the own verdict). */
  useVerdictSource(source: VerdictSource | null): void {
    this.source = source;
    this.verdictsChanged();
  }

  /** This instance's own probe verdict (before the source); null for an address not probed. */
  ownVerdict(zone: string, site: string, address: string): Verdict | null {
    const e = this.entries.get(addressKey(zone, site, address));
    return e && e.probe.type !== 'none' ? e.verdict : null;
  }

  /** The source's answers may have changed: recompute every site and invalidate answers. */
  verdictsChanged(): void {
    const at = this.now();
    const events: Transition[] = [];
    for (const s of this.sites.values()) this.refresh(s, at, events);
    this.v++;
    this.emit(events);
  }

  // -------------------------------------------------------------------------------------------
  // Observers.

  /** Call `fn` on every transition; returns the function that stops it. */
  onTransition(fn: (t: Transition) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Everything the table knows, JSON-able, for /status. */
  snapshot(): HealthSnapshot {
    const iso = (ms: number) => new Date(ms).toISOString();
    const zones = new Map<string, SiteStatus[]>();
    for (const s of this.sites.values()) {
      const addresses = s.addresses.map((k) => {
        const e = this.entries.get(k)!;
        const p = e.probe.type === 'none' ? null : e.probe;
        return {
          address: e.address,
          probe: e.label,
          verdict: e.verdict,
          up: this.effectiveUp(e.zone, e.site, e.address),
          override: this.overrides.get(k)?.state ?? null,
          provisional: e.provisional,
          successes: e.successes,
          failures: e.failures,
          rise: p?.rise ?? null,
          fall: p?.fall ?? null,
          intervalMs: p?.intervalMs ?? null,
          timeoutMs: p?.timeoutMs ?? null,
          lastResult: e.lastResult && { ...e.lastResult, at: iso(e.lastResult.at) },
          lastError: e.lastError && { ...e.lastError, at: iso(e.lastError.at) },
          lastTransition: e.lastTransition && { ...e.lastTransition, at: iso(e.lastTransition.at) },
        };
      });
      const list = zones.get(s.zone) ?? [];
      zones.set(s.zone, list);
      list.push({
        zone: s.zone,
        site: s.site,
        available: s.available,
        status: s.status,
        reason: this.siteReason(s),
        drained: this.siteDrained(s.zone, s.site),
        override: this.overrides.get(s.key)?.state ?? null,
        minHealthy: s.minHealthy,
        upAddresses: addresses.filter((a) => a.up).length,
        ttlCap: s.cap === Infinity ? null : s.cap,
        addresses,
      });
    }
    return {
      version: this.v,
      at: iso(this.now()),
      zones: [...zones].map(([zone, sites]) => ({ zone, sites })),
      overrides: this.listOverrides().map((o) => ({ ...o, at: iso(o.at) })),
    };
  }

  // -------------------------------------------------------------------------------------------

  private effectiveUp(zone: string, site: string, address: string): boolean {
    const k = addressKey(zone, site, address);
    const o = this.overrides.get(k)?.state;
    if (o === 'up') return true;
    if (o === 'down' || o === 'drain' || this.down.has(k)) return false;
    if (this.overrides.get(siteKey(zone, site))?.state === 'up') return true;
    const e = this.entries.get(k);
    if (!e) return true;
    return (this.source ? this.source.verdict(zone, site, address, e.verdict) : e.verdict) === 'up';
  }

  private countUp(s: SiteEntry): number {
    let n = 0;
    for (const k of s.addresses) {
      const e = this.entries.get(k)!;
      if (this.effectiveUp(e.zone, e.site, e.address)) n++;
    }
    return n;
  }

  private siteReason(s: SiteEntry): string {
    const o = this.overrides.get(s.key)?.state;
    if (s.state === 'drain') return 'drained in the zone file';
    if (this.drained.has(s.key)) return 'drained';
    if (o) return `override ${o}`;
    return `${this.countUp(s)} of ${s.addresses.length} addresses up (min_healthy ${s.minHealthy})`;
  }

  /** Recompute a site's availability and TTL cap; `events` null: a new site, nothing to report. */
  private refresh(s: SiteEntry, at: number, events: Transition[] | null): void {
    const o = this.overrides.get(s.key)?.state;
    const blocked = s.state === 'drain' || this.drained.has(s.key) || o === 'drain' || o === 'down';
    const available = !blocked && (o === 'up' || this.countUp(s) >= s.minHealthy);
    // An address yet to report could still make it available: until then it is unknown.
    const pending =
      !available &&
      !blocked &&
      s.addresses.some(
        (k) =>
          this.entries.get(k)!.verdict === 'unknown' && !this.overrides.has(k) && !this.down.has(k),
      );
    const status: SiteState = available
      ? 'available'
      : pending && (events === null || s.status === 'unknown')
        ? 'unknown'
        : 'unavailable';
    if (events && status !== s.status)
      events.push({
        kind: 'site',
        zone: s.zone,
        site: s.site,
        address: null,
        probe: null,
        from: s.status,
        to: status,
        reason: this.siteReason(s),
        consecutive: null,
        at,
      });
    s.available = available;
    s.status = status;
    // Pinned by the operator: probes cannot move it, so nothing is near.
    let ms = Infinity;
    if (!o)
      for (const k of s.addresses) {
        if (this.overrides.has(k) || this.down.has(k)) continue;
        ms = Math.min(ms, nextFlipMs(this.entries.get(k)!));
      }
    s.cap = capSeconds(ms);
  }

  private flip(
    e: AddressEntry,
    to: Verdict,
    reason: string,
    at: number,
    events: Transition[],
    consecutive: number | null = null,
  ): void {
    const from = e.verdict;
    e.verdict = to;
    // Leaving unknown is learning, not flapping: it does not shorten TTLs.
    if (from !== 'unknown') e.sinceFlip = 0;
    e.lastTransition = { from, to, reason, at };
    events.push({
      kind: 'address',
      zone: e.zone,
      site: e.site,
      address: e.address,
      probe: e.label,
      from,
      to,
      reason,
      consecutive,
      at,
    });
  }

  private emit(events: readonly Transition[]): void {
    for (const t of events)
      for (const fn of this.listeners) {
        try {
          fn(t);
        } catch {
          // A failing observer (a log stream, a metric) must not stop health from being recorded.
        }
      }
  }

  /** The zone as the loaded zones spell it, when it differs only in letter case (RFC 4343). */
  private canonical(t: Target): Target {
    if (this.sites.has(siteKey(t.zone, t.site))) return t;
    const z = t.zone.replace(/\.$/, '').toLowerCase();
    for (const s of this.sites.values())
      if (s.site === t.site && s.zone.toLowerCase() === z) return { ...t, zone: s.zone };
    return { ...t, zone: t.zone.replace(/\.$/, '') };
  }
}
