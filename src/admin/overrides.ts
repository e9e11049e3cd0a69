// POST /sites/{site}/{drain|undrain|force-down|clear} and
// POST /sites/{site}/addresses/{address}/{force-down|force-up|clear}: manual overrides through
// the health table, which applies them at once (its version changes, so no cached answer
// outlives them), and its override store (src/health/overrides.ts), which writes them to the
// state file, so they survive a restart.
import { isIP } from 'node:net';
import type { Target } from '../health/overrides.js';
import type { HealthTable } from '../health/table.js';
import type { OverrideState } from '../health/state-file.js';
import { foldCase } from '../wire/name.js';
import { ipv6Bytes, ipv6Text } from '../base/address.js';
import type { ZoneSet } from '../zone/zone-set.js';
import type { Zone } from '../zone/zone.js';
import { AdminError, AdminErrorCode as E } from './errors.js';

export const SITE_ACTIONS = ['drain', 'undrain', 'force-down', 'clear'] as const;
export type SiteAction = (typeof SITE_ACTIONS)[number];
export const ADDRESS_ACTIONS = ['force-down', 'force-up', 'clear'] as const;
export type AddressAction = (typeof ADDRESS_ACTIONS)[number];

export interface OverrideChange {
  zone: string;
  site: string;
  address: string | null;
  /** The override before and after the request (null: none). */
  from: OverrideState | null;
  to: OverrideState | null;
  /** After the request: may the site be given out, and why (or why not). */
  available: boolean;
  reason: string;
  /** After an address request: may the address be given out. */
  up?: boolean;
  /** What the request did not do, when that may surprise (a zone-file drain stays). */
  note?: string;
}

export interface OverrideResult {
  action: string;
  site: string;
  address: string | null;
  /** One entry per zone the request applied to. */
  changes: OverrideChange[];
  /** Where the overrides are kept; null: only until the process exits. */
  stateFile: string | null;
}

export interface OverrideRequest {
  site: string;
  /** `?zone=`: only this zone; null: every zone that has the site. */
  zone: string | null;
  /** Recorded with the override (state file, log, /status). */
  reason: string;
}

/** The zones a request applies to: the one named, or every served zone that has the site. */
function zonesFor(zones: ZoneSet, site: string, zone: string | null): Zone[] {
  if (zone !== null) {
    const z = zones.get(foldCase(zone.replace(/\.$/, '')));
    if (!z)
      throw new AdminError(
        E.unknownZone,
        `no zone ${zone} is served (zones: ${zones.zones.map((x) => x.origin).join(', ') || 'none'})`,
      );
    if (!z.sites.has(site))
      throw new AdminError(
        E.unknownSite,
        `zone ${z.origin} has no site ${site} (sites: ${[...z.sites.keys()].join(', ') || 'none'})`,
      );
    return [z];
  }
  const found = zones.zones.filter((z) => z.sites.has(site));
  if (!found.length) throw new AdminError(E.unknownSite, `no zone served has a site ${site}`);
  return found;
}

/** An address as the zones write it: IPv6 in RFC 5952 form, so any spelling finds it. */
function canonicalAddress(text: string): string {
  if (isIP(text) === 6) return ipv6Text(ipv6Bytes(text)!);
  if (isIP(text) === 4) return text;
  throw new AdminError(E.badParam, `not an IPv4 or IPv6 address: "${text}"`);
}

const SITE_STATE: Record<Exclude<SiteAction, 'undrain'>, OverrideState | null> = {
  drain: 'drain',
  'force-down': 'down',
  clear: null,
};
const ADDRESS_STATE: Record<AddressAction, OverrideState | null> = {
  'force-down': 'down',
  'force-up': 'up',
  clear: null,
};

export async function siteAction(
  health: HealthTable,
  zones: ZoneSet,
  action: SiteAction,
  req: OverrideRequest,
  stateFile: string | null,
): Promise<OverrideResult> {
  const targets = zonesFor(zones, req.site, req.zone).map((z) => ({
    z,
    target: { zone: z.origin, site: req.site },
  }));
  return apply(health, targets, req, stateFile, { action, address: null }, (target, z) => {
    const from = health.getOverride(target);
    // undrain clears a drain and nothing else: a site forced down stays down.
    const to = action === 'undrain' ? (from === 'drain' ? null : from) : SITE_STATE[action];
    const fileDrain = z.sites.get(req.site)!.state === 'drain';
    let note: string | undefined;
    if (action === 'undrain' && from !== 'drain' && from !== null)
      note = `not drained by an override: the override ${from} stays (use clear to remove it)`;
    else if ((action === 'undrain' || action === 'clear') && fileDrain)
      note =
        'still drained: the zone file says state: drain (edit the zone file and reload to bring it back)';
    return { to, note };
  });
}

export async function addressAction(
  health: HealthTable,
  zones: ZoneSet,
  action: AddressAction,
  address: string,
  req: OverrideRequest,
  stateFile: string | null,
): Promise<OverrideResult> {
  const addr = canonicalAddress(address);
  const withSite = zonesFor(zones, req.site, req.zone);
  const has = (z: Zone) => {
    const s = z.sites.get(req.site)!;
    return [...s.v4, ...s.v6].some((a) => a.address === addr);
  };
  const found = withSite.filter(has);
  if (!found.length) {
    const s = withSite[0]!.sites.get(req.site)!;
    const list = [...s.v4, ...s.v6].map((a) => a.address).join(', ') || 'none';
    throw new AdminError(
      E.unknownAddress,
      `site ${req.site} has no address ${addr} (addresses: ${list})`,
    );
  }
  const targets = found.map((z) => ({
    z,
    target: { zone: z.origin, site: req.site, address: addr },
  }));
  return apply(health, targets, req, stateFile, { action, address: addr }, () => ({
    to: ADDRESS_STATE[action],
  }));
}

/**
 * Set every target's override (each takes effect at once), then wait for the state file. A write
 * that fails leaves the overrides in force until the process exits: that is a 500 not-persisted,
 * whose detail says what did take effect.
 */
async function apply(
  health: HealthTable,
  targets: { z: Zone; target: Target }[],
  req: OverrideRequest,
  stateFile: string | null,
  what: { action: string; address: string | null },
  decide: (target: Target, z: Zone) => { to: OverrideState | null; note?: string },
): Promise<OverrideResult> {
  const writes: Promise<void>[] = [];
  const pending: {
    target: Target;
    from: OverrideState | null;
    to: OverrideState | null;
    note?: string;
  }[] = [];
  for (const { z, target } of targets) {
    const from = health.getOverride(target);
    const { to, note } = decide(target, z);
    writes.push(health.setOverride(target, to, req.reason));
    pending.push({ target, from, to, ...(note ? { note } : {}) });
  }
  const snap = health.snapshot();
  const changes: OverrideChange[] = pending.map(({ target, from, to, note }) => {
    const site = snap.zones
      .find((z) => z.zone === target.zone)
      ?.sites.find((s) => s.site === target.site);
    const change: OverrideChange = {
      zone: target.zone,
      site: target.site,
      address: target.address ?? null,
      from,
      to,
      available: site?.available ?? health.siteAvailable(target.zone, target.site),
      reason: site?.reason ?? (to ? `override ${to}` : ''),
    };
    if (target.address) change.up = health.addressUp(target.zone, target.site, target.address);
    if (note) change.note = note;
    return change;
  });
  const result: OverrideResult = {
    action: what.action,
    site: req.site,
    address: what.address,
    changes,
    stateFile,
  };
  const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
  if (failed)
    throw new AdminError(
      E.notPersisted,
      `in force now, but not written to the state file ${stateFile ?? ''} (${(failed.reason as Error).message}): it will not survive a restart`,
      { result },
    );
  return result;
}
