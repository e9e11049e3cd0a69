// A health table with the test-only setters: drain sites and hold addresses down without probes
// or overrides, and without touching a state file. They are marks (src/health/availability.ts):
// beneath every override, never persisted, not listed as overrides. The server never has them.
import type { AdminState } from '../../src/health/types.js';
import { HealthTable, type HealthTableOptions, type Marks } from '../../src/health/table.js';

type Listener = (zone: string, site: string, address: string | null) => void;

class TestMarks implements Marks {
  readonly drained = new Map<string, { zone: string; site: string }>();
  readonly down = new Map<string, { zone: string; site: string; address: string }>();
  readonly listeners = new Set<Listener>();

  siteDrained(siteKey: string): boolean {
    return this.drained.has(siteKey);
  }
  addressDown(addressKey: string): boolean {
    return this.down.has(addressKey);
  }
  list() {
    return [
      ...[...this.drained.values()].map((s) => ({ ...s, address: null })),
      ...this.down.values(),
    ];
  }
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  changed(zone: string, site: string, address: string | null): void {
    for (const fn of this.listeners) fn(zone, site, address);
  }
}

export class TestHealthTable extends HealthTable {
  private readonly marks: TestMarks;

  constructor(opts: Omit<HealthTableOptions, 'marks'> = {}) {
    const marks = new TestMarks();
    super({ ...opts, marks });
    this.marks = marks;
  }

  /** Drain exactly the sites given with state `drain` (the zone-file era's admin states). */
  setAdminStates(states: Iterable<{ zone: string; site: string; state: AdminState }>): void {
    const next = new Map<string, { zone: string; site: string }>();
    for (const s of states)
      if (s.state === 'drain') next.set(`${s.zone}/${s.site}`, { zone: s.zone, site: s.site });
    const was = [...this.marks.drained.values()];
    this.marks.drained.clear();
    for (const [k, s] of next) this.marks.drained.set(k, s);
    for (const s of was)
      if (!next.has(`${s.zone}/${s.site}`)) this.marks.changed(s.zone, s.site, null);
    for (const [k, s] of next)
      if (!was.some((w) => `${w.zone}/${w.site}` === k)) this.marks.changed(s.zone, s.site, null);
  }

  /** Hold an address down, or let it go (probes use `record`). */
  setAddress(zone: string, site: string, address: string, up: boolean): void {
    const k = `${zone}/${site}/${address}`;
    if (up === !this.marks.down.has(k)) return;
    if (up) this.marks.down.delete(k);
    else this.marks.down.set(k, { zone, site, address });
    this.marks.changed(zone, site, address);
  }
}
