// Health as data: who may be given out. Probes (and the admin API) write here; the answer path
// only reads. Keys are stable names (zone/site, zone/site/address), so state survives reloads.

export type AdminState = 'enabled' | 'drain';

/**
 * Availability of sites and addresses. Until health probes exist every address is up, and a site
 * is available unless its administrative state is `drain`.
 */
export interface HealthView {
  /** Changes whenever any availability changes; caches of decisions key on it. */
  readonly version: number;
  siteAvailable(zone: string, site: string): boolean;
  addressUp(zone: string, site: string, address: string): boolean;
}

export class HealthTable implements HealthView {
  private v = 0;
  private readonly drained = new Set<string>();
  private readonly down = new Set<string>();

  get version(): number {
    return this.v;
  }

  siteAvailable(zone: string, site: string): boolean {
    return !this.drained.has(`${zone}/${site}`);
  }

  addressUp(zone: string, site: string, address: string): boolean {
    return !this.down.has(`${zone}/${site}/${address}`);
  }

  /** Install the administrative states from freshly loaded zones. */
  setAdminStates(states: Iterable<{ zone: string; site: string; state: AdminState }>): void {
    const next = new Set<string>();
    for (const s of states) if (s.state === 'drain') next.add(`${s.zone}/${s.site}`);
    if (next.size === this.drained.size && [...next].every((k) => this.drained.has(k))) return;
    this.drained.clear();
    for (const k of next) this.drained.add(k);
    this.v++;
  }

  /** Mark an address up or down (health probes, tests). */
  setAddress(zone: string, site: string, address: string, up: boolean): void {
    const k = `${zone}/${site}/${address}`;
    if (up === !this.down.has(k)) return;
    if (up) this.down.delete(k);
    else this.down.add(k);
    this.v++;
  }
}
