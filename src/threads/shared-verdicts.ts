// Health as data for the answer threads: the main thread's health table (probes, overrides, the
// state file) is the one authority; its verdict table (src/health/verdicts.ts) is mirrored, on
// each commit, into a SharedArrayBuffer every answer thread reads, with a version counter the
// handler's memo keys on. A mirror, not the table itself on the SharedArrayBuffer: the table's
// slots follow the probed sites, these the zones' sites, and a generation's layout must reach the
// threads with that generation's zones.
//
// Layout of one verdict table: an Int32 version, 4 octets of padding, then Float64 slots: two per
// site (flags, TTL cap; Infinity: no cap), one per address (flags). The slot of each key is fixed
// per zone generation (a reload brings a new table, installed with the zones). Values are written
// first, the version last (Atomics.store): a thread that reads the new version reads the new values
// (an Atomics store orders the plain stores before it). A reader between the two may see some new
// values under the old version; the next query reads the new version and decides again.
import type { HealthView } from '../health/verdicts.js';
import type { Zone } from '../zone/zone.js';

const SITE_AVAILABLE = 1;
const SITE_DRAINED = 2;
const ADDRESS_UP = 1;
const ADDRESS_DRAINED = 2;
const HEADER = 8;

/** One verdict table and where each key sits in it, as posted to the answer threads. */
export interface VerdictLayout {
  readonly sab: SharedArrayBuffer;
  /** `zone \0 site`, in slot order. */
  readonly sites: readonly string[];
  /** `zone \0 site \0 address`, in slot order. */
  readonly addresses: readonly string[];
}

interface Site {
  zone: string;
  site: string;
}
interface Address extends Site {
  address: string;
}

/** Every site and address the zones can answer with (a steered name's zone is its zone's origin). */
function keysOf(zones: readonly Zone[]): { sites: Site[]; addresses: Address[] } {
  const sites: Site[] = [];
  const addresses: Address[] = [];
  for (const z of zones)
    for (const s of z.sites.values()) {
      sites.push({ zone: z.origin, site: s.name });
      for (const a of [...s.v4, ...s.v6])
        addresses.push({ zone: z.origin, site: s.name, address: a.address });
    }
  return { sites, addresses };
}

interface Live {
  readonly layout: VerdictLayout;
  readonly sites: readonly Site[];
  readonly addresses: readonly Address[];
  readonly header: Int32Array;
  readonly slots: Float64Array;
}

/** The main thread's side: copies the health table's answers into the tables threads read. */
export class VerdictWriter {
  private version = 0;
  private seen = -1;
  /** The table in use, and the next one while a reload installs it. */
  private live: Live[] = [];

  constructor(private readonly health: HealthView) {}

  /** A new table for these zones, filled in; it is kept up to date until retired. */
  layout(zones: readonly Zone[]): VerdictLayout {
    const { sites, addresses } = keysOf(zones);
    const sab = new SharedArrayBuffer(HEADER + 8 * (2 * sites.length + addresses.length));
    const live: Live = {
      layout: {
        sab,
        sites: sites.map((s) => `${s.zone}\0${s.site}`),
        addresses: addresses.map((a) => `${a.zone}\0${a.site}\0${a.address}`),
      },
      sites,
      addresses,
      header: new Int32Array(sab, 0, 1),
      slots: new Float64Array(sab, HEADER),
    };
    this.live.push(live);
    this.write(live, ++this.version);
    return live.layout;
  }

  /** Only `keep` is read from now on (the threads switched to it, or back to it). */
  retain(keep: VerdictLayout): void {
    this.live = this.live.filter((l) => l.layout === keep);
  }

  /** Copy the table's answers when they changed since the last copy; cheap when they did not. */
  refresh(): void {
    if (this.health.version === this.seen) return;
    this.seen = this.health.version;
    const v = ++this.version;
    for (const l of this.live) this.write(l, v);
  }

  private write(l: Live, version: number): void {
    const h = this.health;
    l.sites.forEach((s, i) => {
      l.slots[2 * i] =
        (h.siteAvailable(s.zone, s.site) ? SITE_AVAILABLE : 0) |
        (h.siteDrained(s.zone, s.site) ? SITE_DRAINED : 0);
      l.slots[2 * i + 1] = h.ttlCap(s.zone, s.site);
    });
    const base = 2 * l.sites.length;
    l.addresses.forEach((a, i) => {
      l.slots[base + i] =
        (h.addressUp(a.zone, a.site, a.address) ? ADDRESS_UP : 0) |
        (h.addressDrained(a.zone, a.site, a.address) ? ADDRESS_DRAINED : 0);
    });
    Atomics.store(l.header, 0, version);
  }
}

/**
 * An answer thread's HealthView over a verdict table. A key not in the table (no zone of this
 * generation has it) reads as a table with no probes answers it: available, up, not drained.
 */
export class VerdictReader implements HealthView {
  private header!: Int32Array;
  private slots!: Float64Array;
  private sites!: Map<string, number>;
  private addresses!: Map<string, number>;

  constructor(layout: VerdictLayout) {
    this.use(layout);
  }

  /** Read this table from now (installed with the zone generation it was made for). */
  use(layout: VerdictLayout): void {
    this.header = new Int32Array(layout.sab, 0, 1);
    this.slots = new Float64Array(layout.sab, HEADER);
    this.sites = new Map(layout.sites.map((k, i) => [k, 2 * i]));
    const base = 2 * layout.sites.length;
    this.addresses = new Map(layout.addresses.map((k, i) => [k, base + i]));
  }

  get version(): number {
    return Atomics.load(this.header, 0);
  }

  private site(zone: string, site: string): number {
    const i = this.sites.get(`${zone}\0${site}`);
    return i === undefined ? SITE_AVAILABLE : this.slots[i]!;
  }

  private address(zone: string, site: string, address: string): number {
    const i = this.addresses.get(`${zone}\0${site}\0${address}`);
    return i === undefined ? ADDRESS_UP : this.slots[i]!;
  }

  siteAvailable(zone: string, site: string): boolean {
    return (this.site(zone, site) & SITE_AVAILABLE) !== 0;
  }

  siteDrained(zone: string, site: string): boolean {
    return (this.site(zone, site) & SITE_DRAINED) !== 0;
  }

  addressUp(zone: string, site: string, address: string): boolean {
    return (this.address(zone, site, address) & ADDRESS_UP) !== 0;
  }

  addressDrained(zone: string, site: string, address: string): boolean {
    return (this.address(zone, site, address) & ADDRESS_DRAINED) !== 0;
  }

  ttlCap(zone: string, site: string): number {
    const i = this.sites.get(`${zone}\0${site}`);
    return i === undefined ? Infinity : this.slots[i + 1]!;
  }
}
