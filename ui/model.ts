// The dashboard document as the page sees it, and the state of each site in the words the page
// shows (every colour is paired with one of these words).
import type { DashboardDocument } from '../src/admin/page/dashboard.js';
import type { AddressView, SiteView } from '../src/admin/status.js';

export type { DashboardDocument, AddressView, SiteView };

export type SiteState = 'up' | 'degraded' | 'down' | 'drained' | 'forced-down' | 'unknown';

export const STATE_LABEL: Record<SiteState, string> = {
  up: 'up',
  degraded: 'degraded',
  down: 'down',
  drained: 'drained',
  'forced-down': 'forced down',
  unknown: 'unknown',
};

/** A glyph per state, so the marker reads without colour too. */
export const STATE_GLYPH: Record<SiteState, string> = {
  up: '✓',
  degraded: '!',
  down: '✕',
  drained: '‖',
  'forced-down': '⊘',
  unknown: '?',
};

export function siteState(s: SiteView): SiteState {
  if (s.drained) return 'drained';
  if (s.override === 'down') return 'forced-down';
  const known = s.addresses.filter((a) => a.verdict !== 'unknown' || a.override !== null);
  if (!s.available) return known.length === 0 && s.addresses.length > 0 ? 'unknown' : 'down';
  return s.addresses.every((a) => a.up) ? 'up' : 'degraded';
}

export type AddressState = 'up' | 'down' | 'unknown' | 'forced-down' | 'forced-up';

export function addressState(a: AddressView): AddressState {
  if (a.override === 'down') return 'forced-down';
  if (a.override === 'up') return 'forced-up';
  return a.verdict;
}

export interface SiteRow {
  zone: string;
  site: SiteView;
  state: SiteState;
  lat: number | null;
  lon: number | null;
  perSecond: number;
  share: number | null;
  /** A unique key for the DOM: zone and site. */
  key: string;
}

export function siteRows(d: DashboardDocument): SiteRow[] {
  const rows: SiteRow[] = [];
  for (const z of d.status.zones) {
    // A site missing from the traffic had no answers: 0% when its zone had steered answers.
    const zoneShare = d.traffic.sites.some((x) => x.zone === z.name && x.share !== null) ? 0 : null;
    for (const site of z.sites) {
      const t = d.traffic.sites.find((x) => x.zone === z.name && x.site === site.name);
      const place = d.places[z.name]?.[site.name];
      rows.push({
        zone: z.name,
        site,
        state: siteState(site),
        lat: place?.lat ?? null,
        lon: place?.lon ?? null,
        perSecond: t?.perSecond ?? 0,
        share: t ? t.share : zoneShare,
        key: `${z.name}/${site.name}`,
      });
    }
  }
  return rows;
}
