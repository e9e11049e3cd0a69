// The health table: where probe results, overrides and reloads meet, and what turns them into
// verdicts for the answer path. It composes the parts, each in its own file:
//   - verdicts.ts: the verdict table the answer path reads (HealthView, flat, versioned);
//   - probe-state.ts: each address's probe state machine (rise, fall, flap; TTL via ttl.ts);
//   - overrides.ts: the override store (drain, force up/down) and its state file;
//   - availability.ts: from those layers to up, available and the TTL cap;
//   - snapshot.ts: the /status snapshot.
// This file registers sites (sync), applies results (record), follows override and mark changes,
// writes the verdicts, and reports transitions. See docs/health.md.
//
// Somewhat over 300 lines: what is left here is one event each (a reload's sync, a probe result,
// an override or mark change, a new verdict source) applied to the same site and probe maps and
// committed to the verdict table in one step; splitting it would hand those maps around.
//
// Unknown: every probed address starts `unknown`, which is not up. The server runs one probe
// round before it opens its listeners, so at the first query almost every address has a verdict
// (docs/health.md#cold-start); the first result after unknown decides at once, without waiting
// for `rise` or `fall`. Addresses nobody told the table about are up.
import {
  addressBits,
  addressUp,
  assessSite,
  looseSiteBits,
  siteBits,
  siteReason,
  type Layers,
  type Marks,
  type SiteEntry,
} from './availability.js';
import {
  LocalOverrides,
  overrideKey,
  type OverrideChange,
  type OverrideStore,
  type Target,
} from './overrides.js';
import { applyResult, newAddressProbe, reconfigure, type AddressProbe } from './probe-state.js';
import { buildSnapshot, type HealthSnapshot } from './snapshot.js';
import type { OverrideRecord, OverrideState } from './state-file.js';
import {
  addressTransition,
  overrideTransition,
  siteTransition,
  Transitions,
  type Transition,
} from './transitions.js';
import type { ProbeResult, SiteTargets, Verdict, VerdictSource } from './types.js';
import { addressKey, siteKey, VerdictTable, type HealthView } from './verdicts.js';

export type {
  AdminState,
  ProbeResult,
  SiteState,
  SiteTargets,
  Verdict,
  VerdictSource,
} from './types.js';
export type { HealthView } from './verdicts.js';
export type { AddressStatus, HealthSnapshot, SiteStatus } from './snapshot.js';
export type { Marks } from './availability.js';
export type { Transition } from './transitions.js';
export type { OverrideChange, OverrideRecord, OverrideState, OverrideStore, Target };

export interface HealthTableOptions {
  /** Milliseconds since the epoch; injected so tests are exact. */
  now?: () => number;
  /** Where overrides come from; by default this process's (LocalOverrides, with the state file). */
  overrides?: OverrideStore;
  /** Unpersisted drains and down marks, for tests (test/helpers/health.ts); none by default. */
  marks?: Marks;
}

export class HealthTable implements HealthView {
  /** What the answer path reads; the table is also a HealthView that reads it. */
  readonly verdicts = new VerdictTable();
  readonly overrides: OverrideStore;
  private readonly now: () => number;
  private readonly sites = new Map<string, SiteEntry>();
  private readonly probes = new Map<string, AddressProbe>();
  /** The store's overrides by key, kept from its change events. */
  private readonly pinned = new Map<string, OverrideState>();
  private readonly layers: Layers;
  private readonly transitions = new Transitions();
  /** A second opinion on probe verdicts (the fleet, src/fleet/); null: the own verdict. */
  private source: VerdictSource | null = null;

  constructor(opts: HealthTableOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.overrides = opts.overrides ?? new LocalOverrides(this.now);
    const marks = opts.marks ?? null;
    this.layers = {
      override: (k) => this.pinned.get(k),
      marks,
      probe: (k) => this.probes.get(k),
      verdict: (e) =>
        this.source ? this.source.verdict(e.zone, e.site, e.address, e.verdict) : e.verdict,
    };
    for (const o of this.overrides.list()) this.pinned.set(overrideKey(o), o.state);
    this.overrides.onChange((changes) => this.overridesChanged(changes));
    marks?.onChange((zone, site, address) => this.touch(zone, site, address));
    this.writeLoose();
  }

  // HealthView, read from the verdict table.
  get version(): number {
    return this.verdicts.version;
  }
  siteAvailable(zone: string, site: string): boolean {
    return this.verdicts.siteAvailable(zone, site);
  }
  addressUp(zone: string, site: string, address: string): boolean {
    return this.verdicts.addressUp(zone, site, address);
  }
  siteDrained(zone: string, site: string): boolean {
    return this.verdicts.siteDrained(zone, site);
  }
  addressDrained(zone: string, site: string, address: string): boolean {
    return this.verdicts.addressDrained(zone, site, address);
  }
  ttlCap(zone: string, site: string): number {
    return this.verdicts.ttlCap(zone, site);
  }

  /**
   * Install the sites of freshly loaded zones. An address whose probe configuration is unchanged
   * keeps its state; one whose probe changed keeps its verdict provisionally (probe-state.ts); a
   * new one starts unknown (or up, with no probe); removed ones are forgotten.
   */
  sync(sites: readonly SiteTargets[]): void {
    const at = this.now();
    const events: Transition[] = [];
    const seenSites = new Set<string>();
    const seenAddresses = new Set<string>();
    for (const t of sites) {
      const sk = siteKey(t.zone, t.site);
      seenSites.add(sk);
      const known = this.sites.get(sk);
      const s: SiteEntry = known ?? {
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
      if (!known) this.sites.set(sk, s);
      s.state = t.state;
      s.minHealthy = t.minHealthy;
      s.addresses = [];
      for (const a of t.addresses) {
        const ak = addressKey(t.zone, t.site, a.address);
        seenAddresses.add(ak);
        s.addresses.push(ak);
        const e = this.probes.get(ak);
        if (e) addressTransition(e, reconfigure(e, a.probe, at), at, events);
        else this.probes.set(ak, newAddressProbe(t.zone, t.site, a.address, ak, a.probe));
      }
      this.assess(s, at, known ? events : null);
    }
    for (const k of [...this.probes.keys()]) if (!seenAddresses.has(k)) this.probes.delete(k);
    for (const k of [...this.sites.keys()]) if (!seenSites.has(k)) this.sites.delete(k);
    this.verdicts.layout([...this.sites.values()]);
    for (const s of this.sites.values()) this.write(s);
    this.writeLoose();
    this.verdicts.commit();
    this.transitions.emit(events);
  }

  /** Is this site (or address) in a loaded zone? Lets the admin API answer 404. */
  has(target: Target): boolean {
    const t = this.canonical(target);
    return t.address
      ? this.probes.has(addressKey(t.zone, t.site, t.address))
      : this.sites.has(siteKey(t.zone, t.site));
  }

  /** Apply one probe result to one address (rise/fall; the first result after unknown decides). */
  record(zone: string, site: string, address: string, result: ProbeResult): void {
    const e = this.probes.get(addressKey(zone, site, address));
    if (!e || e.probe.type === 'none') return;
    const s = this.sites.get(siteKey(zone, site));
    const at = this.now();
    const wasUp = addressUp(this.layers, siteKey(zone, site), e.key);
    const capBefore = s?.cap;
    const availableBefore = s?.available;
    const events: Transition[] = [];
    const flip = applyResult(e, result, at);
    addressTransition(e, flip, at, events);
    if (s) this.refresh(s, at, events);
    if (
      flip ||
      wasUp !== addressUp(this.layers, siteKey(zone, site), e.key) ||
      availableBefore !== s?.available ||
      capBefore !== s?.cap
    )
      this.verdicts.commit();
    this.transitions.emit(events);
  }

  /** Force a site or an address up, down or drained (null clears); see LocalOverrides.set. */
  setOverride(target: Target, state: OverrideState | null, reason = ''): Promise<void> {
    return this.overrides.set(this.canonical(target), state, reason);
  }

  clearOverride(target: Target): Promise<void> {
    return this.setOverride(target, null);
  }

  getOverride(target: Target): OverrideState | null {
    return this.pinned.get(overrideKey(this.canonical(target))) ?? null;
  }

  listOverrides(): OverrideRecord[] {
    return this.overrides.list();
  }

  /** Read and keep the overrides in a state file (LocalOverrides only); once, at start. */
  useStateFile(path: string): Promise<void> {
    if (!(this.overrides instanceof LocalOverrides))
      return Promise.reject(new Error('state file: overrides come from another store'));
    return this.overrides.useStateFile(path);
  }

  /** Settles when every override written so far is durable. */
  flush(): Promise<void> {
    return this.overrides.flush();
  }

  /** Let `source` turn each own probe verdict into the one used (null: the own verdict). */
  useVerdictSource(source: VerdictSource | null): void {
    this.source = source;
    this.verdictsChanged();
  }

  /** The source's answers may have changed: work out every site again. */
  verdictsChanged(): void {
    const at = this.now();
    const events: Transition[] = [];
    for (const s of this.sites.values()) this.refresh(s, at, events);
    this.verdicts.commit();
    this.transitions.emit(events);
  }

  /** This instance's own probe verdict (before any source); null for an address not probed. */
  ownVerdict(zone: string, site: string, address: string): Verdict | null {
    const e = this.probes.get(addressKey(zone, site, address));
    return e && e.probe.type !== 'none' ? e.verdict : null;
  }

  /** Call `fn` on every transition; returns the function that stops it. */
  onTransition(fn: (t: Transition) => void): () => void {
    return this.transitions.on(fn);
  }

  /** Everything the table knows, JSON-able, for /status. */
  snapshot(): HealthSnapshot {
    const overrides = this.overrides.list();
    return buildSnapshot(this.layers, this.sites.values(), overrides, this.version, this.now());
  }

  // -------------------------------------------------------------------------------------------

  private overridesChanged(changes: readonly OverrideChange[]): void {
    const at = this.now();
    const events: Transition[] = [];
    const touched = new Set<SiteEntry>();
    for (const c of changes) {
      const k = overrideKey(c);
      if (c.to === null) this.pinned.delete(k);
      else this.pinned.set(k, c.to);
      events.push(overrideTransition(c, at));
      const s = this.sites.get(siteKey(c.zone, c.site));
      if (s) touched.add(s);
      this.writeLooseKey(c.zone, c.site, c.address);
    }
    for (const s of touched) this.refresh(s, at, events);
    this.verdicts.commit();
    this.transitions.emit(events);
  }

  /** A mark changed on a site or an address: work out that site again. */
  private touch(zone: string, site: string, address: string | null): void {
    const events: Transition[] = [];
    const s = this.sites.get(siteKey(zone, site));
    if (s) this.refresh(s, this.now(), events);
    this.writeLooseKey(zone, site, address);
    this.verdicts.commit();
    this.transitions.emit(events);
  }

  /** Recompute a site's availability and TTL cap, and publish them. */
  private refresh(s: SiteEntry, at: number, events: Transition[]): void {
    this.assess(s, at, events);
    this.write(s);
  }

  /** Recompute a site's availability and TTL cap; `events` null: a new site, nothing to report. */
  private assess(s: SiteEntry, at: number, events: Transition[] | null): void {
    const next = assessSite(this.layers, s, events === null);
    if (events && next.status !== s.status)
      events.push(siteTransition(s, next.status, siteReason(this.layers, s), at));
    s.available = next.available;
    s.status = next.status;
    s.cap = next.cap;
  }

  /** Write a site's verdicts, and its addresses', into the verdict table. */
  private write(s: SiteEntry): void {
    this.verdicts.writeSite(s.key, siteBits(this.layers, s), s.cap);
    for (const k of s.addresses) this.verdicts.writeAddress(k, addressBits(this.layers, s.key, k));
  }

  /** Verdicts for names no loaded zone has but an override or a mark names. */
  private writeLoose(): void {
    for (const o of this.overrides.list()) this.writeLooseKey(o.zone, o.site, o.address);
    for (const m of this.layers.marks?.list() ?? []) this.writeLooseKey(m.zone, m.site, m.address);
  }

  private writeLooseKey(zone: string, site: string, address: string | null): void {
    const sk = siteKey(zone, site);
    if (address === null) {
      if (!this.verdicts.hasSite(sk)) this.verdicts.writeSite(sk, looseSiteBits(this.layers, sk));
      return;
    }
    const ak = addressKey(zone, site, address);
    if (!this.verdicts.hasAddress(ak))
      this.verdicts.writeAddress(ak, addressBits(this.layers, sk, ak));
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
