// GET /dashboard: everything the status page draws, in one JSON document per poll: /status as it
// is, plus where each site is, the traffic, what changed lately, each zone's reloads, and the
// process (threads, GeoIP databases and their age). One request a second per open page.
import { readFileSync } from 'node:fs';
import type { DatabaseInfo } from '../../geoip/database.js';
import type { GeoLocator } from '../../geoip/types.js';
import type { ZoneSet } from '../../zone/zone-set.js';
import type { StatusDocument } from '../status.js';
import type { Activity, ReloadEntry, TransitionEntry } from './activity.js';
import type { TrafficReport } from './traffic.js';

export interface DashboardDocument {
  status: StatusDocument;
  /** Per zone, per site: the zone file's `location:` and `country:` (null when not given). */
  places: Record<string, Record<string, SitePlace>>;
  traffic: TrafficReport;
  /** The last 100 health transitions, newest first, worded as the log words them. */
  transitions: TransitionEntry[];
  /** The last reloads, newest first. */
  reloads: ReloadEntry[];
  zones: ZoneActivity[];
  process: ProcessInfo;
}

export interface SitePlace {
  lat: number | null;
  lon: number | null;
  country: string | null;
}

export interface ZoneActivity {
  name: string;
  generation: number;
  /** When the generation holding this zone's content began to be served. */
  loadedAt: string | null;
  /** The last reload run (any outcome), for every zone alike: they are reloaded together. */
  lastReload: { at: string; result: string } | null;
  /** The last rejected reload whose problems name this zone's file; null when none did. */
  lastError: { at: string; problems: string[] } | null;
}

export interface ProcessInfo {
  version: string;
  node: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  /** OS threads of the process (Linux /proc/self/status; null elsewhere): main, probes, libuv, V8. */
  threads: number | null;
  /** The thread the probes run on (null: on the main thread). */
  probeThread: StatusDocument['probes']['thread'];
  geoip: GeoDatabaseInfo[];
}

export interface GeoDatabaseInfo {
  file: string;
  type: string;
  buildEpoch: string;
  /** Days since the database was built, one decimal. */
  ageDays: number;
}

export interface DashboardInput {
  status: StatusDocument;
  zones: ZoneSet;
  activity: Activity;
  traffic: TrafficReport;
  geo: GeoLocator;
  now: number;
}

export function buildDashboard(input: DashboardInput): DashboardDocument {
  const { status, activity } = input;
  const reloads = activity.recentReloads();
  const places: DashboardDocument['places'] = {};
  for (const z of input.zones.zones) {
    const sites: Record<string, SitePlace> = {};
    for (const s of z.sites.values())
      sites[s.name] = {
        lat: s.location?.lat ?? null,
        lon: s.location?.lon ?? null,
        country: s.country,
      };
    places[z.origin] = sites;
  }
  const last = reloads[0] ?? null;
  const zones: ZoneActivity[] = input.zones.zones.map((z) => {
    const generation = status.zones.find((s) => s.name === z.origin)?.generation ?? 1;
    const err = reloads.find((r) => r.result === 'rejected' && r.files.includes(z.file)) ?? null;
    return {
      name: z.origin,
      generation,
      loadedAt: activity.installedAt(generation),
      lastReload: last && { at: last.at, result: last.result },
      lastError: err && { at: err.at, problems: err.problems.filter((p) => p.startsWith(z.file)) },
    };
  });
  return {
    status,
    places,
    traffic: input.traffic,
    transitions: activity.recentTransitions(),
    reloads,
    zones,
    process: {
      version: status.version,
      node: status.node,
      pid: status.pid,
      startedAt: status.startedAt,
      uptimeSeconds: status.uptimeSeconds,
      threads: osThreads(),
      probeThread: status.probes.thread,
      geoip: databases(input.geo).map((d) => ({
        file: d.file,
        type: d.databaseType,
        buildEpoch: d.buildEpoch,
        ageDays: Math.round((input.now - Date.parse(d.buildEpoch)) / 8_640_000) / 10,
      })),
    },
  };
}

/** The databases behind a locator that has any (GeoIpLocator); none for other locators. */
function databases(geo: GeoLocator): DatabaseInfo[] {
  const d = (geo as { databases?: unknown }).databases;
  return Array.isArray(d) ? (d as DatabaseInfo[]) : [];
}

function osThreads(): number | null {
  try {
    const m = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
