// The health table on its own, with injected time: verdicts (unknown, rise, fall), availability
// (min_healthy, drains, overrides), TTL caps near trouble, reload semantics, transitions, the
// snapshot for /status, and the state file.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveProbe, HttpProbe, ProbeSpec } from '../src/health/spec.js';
import { NO_PROBE } from '../src/health/spec.js';
import { LocalOverrides } from '../src/health/overrides.js';
import { HealthTable, type SiteTargets, type Transition } from '../src/health/table.js';
import { TestHealthTable } from './helpers/health.js';
import { FLAP_WINDOW_PROBES } from '../src/health/ttl.js';

const Z = 'example.org';
const HTTP: HttpProbe = {
  type: 'http',
  target: null,
  port: 80,
  path: '/health',
  method: 'GET',
  expect: [[200, 399]],
  body: null,
  host: null,
  sni: null,
  insecure: false,
  intervalMs: 5000,
  timeoutMs: 2000,
  rise: 2,
  fall: 3,
};
const OK = { ok: true, reason: 'HTTP 200', latencyMs: 3 };
const FAIL = { ok: false, reason: 'HTTP 503', latencyMs: 4 };
const REFUSED = { ok: false, reason: 'connect ECONNREFUSED', latencyMs: 1 };

function site(
  name: string,
  addresses: string[],
  probe: ProbeSpec = HTTP,
  minHealthy = 1,
  state: 'enabled' | 'drain' = 'enabled',
): SiteTargets {
  return {
    zone: Z,
    site: name,
    state,
    minHealthy,
    addresses: addresses.map((address) => ({ address, probe })),
  };
}

/** A table on a clock the test moves, with every transition kept. */
function table(sites: SiteTargets[]) {
  let now = Date.UTC(2026, 0, 1);
  const t = new TestHealthTable({ now: () => now });
  const events: Transition[] = [];
  t.onTransition((e) => events.push(e));
  t.sync(sites);
  return {
    t,
    events,
    tick: (ms: number) => (now += ms),
    /** Apply results to one address, in order. */
    feed: (s: string, a: string, ...results: (typeof OK)[]) => {
      for (const r of results) t.record(Z, s, a, r);
    },
    /** One-line summaries of the transitions so far, then forget them. */
    take: () =>
      events
        .splice(0)
        .map(
          (e) =>
            `${e.kind} ${e.site}${e.address ? ` ${e.address}` : ''}: ${e.from} → ${e.to} (${e.reason})${e.consecutive === null ? '' : ` ×${e.consecutive}`}`,
        ),
  };
}

describe('verdicts: unknown, then rise and fall', () => {
  it('a probed address starts unknown, which is not up; its site is not available', () => {
    const { t } = table([site('fra', ['192.0.2.1'])]);
    expect(t.addressUp(Z, 'fra', '192.0.2.1')).toBe(false);
    expect(t.siteAvailable(Z, 'fra')).toBe(false);
    expect(t.snapshot().zones[0]!.sites[0]!.addresses[0]!.verdict).toBe('unknown');
  });

  it('an address without a probe is up from the start; one the table was never told of is up', () => {
    const { t } = table([site('fra', ['192.0.2.1'], NO_PROBE)]);
    expect(t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    expect(t.siteAvailable(Z, 'fra')).toBe(true);
    expect(t.addressUp(Z, 'elsewhere', '198.51.100.1')).toBe(true);
    expect(t.siteAvailable(Z, 'elsewhere')).toBe(true);
  });

  it.each([
    ['success', OK, 'up', 'HTTP 200'],
    ['failure', REFUSED, 'down', 'connect ECONNREFUSED'],
  ] as const)(
    'the first result after unknown decides at once: a %s',
    (_what, result, to, reason) => {
      const h = table([site('fra', ['192.0.2.1'])]);
      h.feed('fra', '192.0.2.1', result);
      expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(to === 'up');
      expect(h.take()).toEqual([
        `address fra 192.0.2.1: unknown → ${to} (${reason})`,
        `site fra: unknown → ${to === 'up' ? 'available (1' : 'unavailable (0'} of 1 addresses up (min_healthy 1))`,
      ]);
    },
  );

  it('withdraws an up address after fall (3) failures in a row, not before', () => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2'])]);
    h.feed('fra', '192.0.2.1', OK);
    h.feed('fra', '192.0.2.2', OK);
    h.take();
    h.feed('fra', '192.0.2.1', FAIL, FAIL);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    h.feed('fra', '192.0.2.1', FAIL);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(false);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(true); // the other address is up
    expect(h.take()).toEqual(['address fra 192.0.2.1: up → down (HTTP 503) ×3']);
  });

  it('counts failures in a row only: a success in between starts over', () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', OK, FAIL, FAIL, OK, FAIL, FAIL);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    h.feed('fra', '192.0.2.1', FAIL);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(false);
  });

  it('brings a down address back after rise (2) successes in a row', () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', REFUSED);
    h.take();
    h.feed('fra', '192.0.2.1', OK, REFUSED, OK);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(false);
    h.feed('fra', '192.0.2.1', OK);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    expect(h.take()).toEqual([
      'address fra 192.0.2.1: down → up (HTTP 200) ×2',
      'site fra: unavailable → available (1 of 1 addresses up (min_healthy 1))',
    ]);
  });

  it('rise 1 and fall 1 flip on every change', () => {
    const h = table([site('fra', ['192.0.2.1'], { ...HTTP, rise: 1, fall: 1 })]);
    const seen: boolean[] = [];
    for (const r of [OK, FAIL, OK, OK, FAIL]) {
      h.feed('fra', '192.0.2.1', r);
      seen.push(h.t.addressUp(Z, 'fra', '192.0.2.1'));
    }
    expect(seen).toEqual([true, false, true, true, false]);
  });

  it('keeps the last result, the last error and the last transition, with times', () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', REFUSED);
    h.tick(5000);
    h.feed('fra', '192.0.2.1', OK);
    const a = h.t.snapshot().zones[0]!.sites[0]!.addresses[0]!;
    expect(a).toMatchObject({
      verdict: 'down',
      successes: 1,
      failures: 0,
      lastResult: { ok: true, reason: 'HTTP 200', latencyMs: 3, at: '2026-01-01T00:00:05.000Z' },
      lastError: { reason: 'connect ECONNREFUSED', at: '2026-01-01T00:00:00.000Z' },
      lastTransition: {
        from: 'unknown',
        to: 'down',
        reason: 'connect ECONNREFUSED',
        at: '2026-01-01T00:00:00.000Z',
      },
    });
  });
});

describe('site availability: min_healthy, drains, overrides', () => {
  const three = () => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2', '2001:db8::1'], HTTP, 2)]);
    for (const a of ['192.0.2.1', '192.0.2.2', '2001:db8::1']) h.feed('fra', a, OK);
    h.take();
    return h;
  };

  it('is available while at least min_healthy addresses are up, across families', () => {
    const h = three();
    h.feed('fra', '192.0.2.1', FAIL, FAIL, FAIL);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(true);
    h.feed('fra', '2001:db8::1', FAIL, FAIL, FAIL);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    // The remaining up address is still up, but its site is not available.
    expect(h.t.addressUp(Z, 'fra', '192.0.2.2')).toBe(true);
    expect(h.take()).toEqual([
      'address fra 192.0.2.1: up → down (HTTP 503) ×3',
      'address fra 2001:db8::1: up → down (HTTP 503) ×3',
      'site fra: available → unavailable (1 of 3 addresses up (min_healthy 2))',
    ]);
  });

  it.each([
    ['drain', false, true],
    ['down', false, false],
    ['up', true, false],
  ] as const)('a site override %s: available %s, drained %s', async (state, available, drained) => {
    const h = three();
    for (const a of ['192.0.2.1', '192.0.2.2', '2001:db8::1']) h.feed('fra', a, FAIL, FAIL, FAIL);
    h.take();
    await h.t.setOverride({ zone: Z, site: 'fra' }, state, 'test');
    expect(h.t.siteAvailable(Z, 'fra')).toBe(available);
    expect(h.t.siteDrained(Z, 'fra')).toBe(drained);
    // Forced up, every address of the site is given out, whatever its probe says.
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(state === 'up');
    expect(h.take()[0]).toBe(`override fra: none → ${state} (test)`);
    await h.t.clearOverride({ zone: Z, site: 'fra' });
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    expect(h.t.getOverride({ zone: Z, site: 'fra' })).toBeNull();
  });

  it('address overrides: up counts toward min_healthy; down and drain withdraw; drain is a drain', async () => {
    const h = three();
    h.feed('fra', '192.0.2.1', FAIL, FAIL, FAIL);
    h.feed('fra', '192.0.2.2', FAIL, FAIL, FAIL);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    await h.t.setOverride({ zone: Z, site: 'fra', address: '192.0.2.1' }, 'up');
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(true);
    await h.t.setOverride({ zone: Z, site: 'fra', address: '2001:db8::1' }, 'drain');
    expect(h.t.addressUp(Z, 'fra', '2001:db8::1')).toBe(false);
    expect(h.t.addressDrained(Z, 'fra', '2001:db8::1')).toBe(true);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    await h.t.setOverride({ zone: Z, site: 'fra', address: '2001:db8::1' }, 'down');
    expect(h.t.addressDrained(Z, 'fra', '2001:db8::1')).toBe(false);
    expect(h.t.addressUp(Z, 'fra', '2001:db8::1')).toBe(false);
  });

  it('a site drained in the zone file stays out, whatever the overrides say', async () => {
    const h = table([site('fra', ['192.0.2.1'], NO_PROBE, 1, 'drain')]);
    await h.t.setOverride({ zone: Z, site: 'fra' }, 'up');
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    expect(h.t.siteDrained(Z, 'fra')).toBe(true);
    expect(h.t.snapshot().zones[0]!.sites[0]!.reason).toBe('drained in the zone file');
  });

  it('overrides on sites no zone has (yet) apply when they appear; the zone name matches in any case', async () => {
    const h = table([]);
    await h.t.setOverride({ zone: Z, site: 'ams' }, 'drain');
    expect(h.t.siteAvailable(Z, 'ams')).toBe(false);
    h.t.sync([site('ams', ['192.0.2.9'], NO_PROBE)]);
    expect(h.t.siteAvailable(Z, 'ams')).toBe(false);
    expect(h.t.has({ zone: 'EXAMPLE.org.', site: 'ams' })).toBe(true);
    await h.t.clearOverride({ zone: 'EXAMPLE.org.', site: 'ams' });
    expect(h.t.siteAvailable(Z, 'ams')).toBe(true);
  });

  it('setAddress and setAdminStates (tests and tools) still mark addresses down and sites drained', () => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2'], NO_PROBE)]);
    h.t.setAddress(Z, 'fra', '192.0.2.1', false);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(false);
    h.t.setAddress(Z, 'fra', '192.0.2.2', false);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    h.t.setAddress(Z, 'fra', '192.0.2.1', true);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(true);
    h.t.setAdminStates([{ zone: Z, site: 'fra', state: 'drain' }]);
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
    expect(h.t.siteDrained(Z, 'fra')).toBe(true);
  });
});

describe('version: moves when an answer could change, and only then', () => {
  it('moves on a flip, an override, a sync; not on a result that changes nothing', async () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', OK);
    for (let i = 0; i < FLAP_WINDOW_PROBES; i++) h.feed('fra', '192.0.2.1', OK);
    let v = h.t.version;
    h.feed('fra', '192.0.2.1', OK, OK, OK);
    expect(h.t.version).toBe(v);
    h.feed('fra', '192.0.2.1', FAIL); // the TTL cap moves: a flip may be near
    expect(h.t.version).toBeGreaterThan(v);
    v = h.t.version;
    await h.t.setOverride({ zone: Z, site: 'fra' }, 'drain');
    expect(h.t.version).toBeGreaterThan(v);
    v = h.t.version;
    h.t.sync([site('fra', ['192.0.2.1'])]);
    expect(h.t.version).toBeGreaterThan(v);
  });
});

describe('the parts: the verdict table and the override store', () => {
  it('the verdict table answers as the table does, and tells its listeners of every new version', async () => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2']), site('ams', ['192.0.2.9'])]);
    const heard: number[] = [];
    h.t.verdicts.onChange((v) => heard.push(v));
    h.feed('fra', '192.0.2.1', OK);
    h.feed('ams', '192.0.2.9', FAIL);
    await h.t.setOverride({ zone: Z, site: 'fra', address: '192.0.2.2' }, 'drain');
    expect(heard).toEqual([h.t.version - 2, h.t.version - 1, h.t.version]);
    const v = h.t.verdicts;
    expect(v.version).toBe(h.t.version);
    expect([v.siteAvailable(Z, 'fra'), v.siteAvailable(Z, 'ams')]).toEqual([true, false]);
    expect([v.addressUp(Z, 'fra', '192.0.2.1'), v.addressUp(Z, 'fra', '192.0.2.2')]).toEqual([
      true,
      false,
    ]);
    expect(v.addressDrained(Z, 'fra', '192.0.2.2')).toBe(true);
    expect(v.ttlCap(Z, 'ams')).toBe(h.t.ttlCap(Z, 'ams'));
    // A name no zone has: available and up, unless an override says otherwise.
    expect([v.siteAvailable(Z, 'ghost'), v.addressUp(Z, 'ghost', '192.0.2.77')]).toEqual([
      true,
      true,
    ]);
    await h.t.setOverride({ zone: Z, site: 'ghost', address: '192.0.2.77' }, 'down');
    await h.t.setOverride({ zone: Z, site: 'ghost' }, 'drain');
    expect([v.siteAvailable(Z, 'ghost'), v.siteDrained(Z, 'ghost')]).toEqual([false, true]);
    expect(v.addressUp(Z, 'ghost', '192.0.2.77')).toBe(false);
  });

  it('another override store plugs in: what it sets applies at once, is reported, and is listed', async () => {
    let now = Date.UTC(2026, 0, 1);
    const store = new LocalOverrides(() => now);
    await store.set({ zone: Z, site: 'ams' }, 'drain', 'set before the table existed');
    const t = new HealthTable({ now: () => now, overrides: store });
    const events: Transition[] = [];
    t.onTransition((e) => events.push(e));
    t.sync([site('fra', ['192.0.2.1'], NO_PROBE), site('ams', ['192.0.2.9'], NO_PROBE)]);
    expect([t.siteAvailable(Z, 'fra'), t.siteAvailable(Z, 'ams')]).toEqual([true, false]);
    now += 1000;
    // As a fleet's watcher would: the store changes, not through the table.
    const v = t.version;
    await store.set({ zone: Z, site: 'fra' }, 'down', 'fleet: CHG-7');
    expect(t.version).toBeGreaterThan(v);
    expect(t.siteAvailable(Z, 'fra')).toBe(false);
    expect(t.getOverride({ zone: Z, site: 'fra' })).toBe('down');
    expect(events.map((e) => `${e.kind} ${e.site}: ${e.from} → ${e.to} (${e.reason})`)).toEqual([
      'override fra: none → down (fleet: CHG-7)',
      'site fra: available → unavailable (override down)',
    ]);
    await store.clear({ zone: Z, site: 'ams' });
    expect(t.siteAvailable(Z, 'ams')).toBe(true);
    expect(t.listOverrides().map((o) => `${o.site} ${o.state}`)).toEqual(['fra down']);
  });
});

describe('TTL near trouble (ttlCap, seconds)', () => {
  const steady = (probe: ActiveProbe = HTTP) => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2'], probe)]);
    h.feed('fra', '192.0.2.1', OK);
    h.feed('fra', '192.0.2.2', OK);
    return h;
  };
  const cap = (h: ReturnType<typeof table>) => h.t.ttlCap(Z, 'fra');

  it('no cap while every address is steadily up; one interval while any is unknown', () => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2'])]);
    h.feed('fra', '192.0.2.1', OK);
    expect(cap(h)).toBe(5);
    h.feed('fra', '192.0.2.2', OK);
    expect(cap(h)).toBe(Infinity);
    expect(h.t.ttlCap(Z, 'nowhere')).toBe(Infinity);
  });

  it('an up address failing: (fall - failures) intervals, then one interval while it may flap', () => {
    const h = steady();
    const caps: number[] = [];
    for (const r of [FAIL, FAIL, FAIL, FAIL]) {
      h.feed('fra', '192.0.2.1', r);
      caps.push(cap(h));
    }
    // 2 × 5s, 1 × 5s, down (just flipped: 5s), still down and failing (5s).
    expect(caps).toEqual([10, 5, 5, 5]);
    for (let i = 0; i < FLAP_WINDOW_PROBES - 2; i++) h.feed('fra', '192.0.2.1', FAIL);
    expect(cap(h)).toBe(5);
    h.feed('fra', '192.0.2.1', FAIL);
    expect(cap(h)).toBe(Infinity);
  });

  it('a down address passing: (rise - successes) intervals', () => {
    const h = table([site('fra', ['192.0.2.1'], { ...HTTP, rise: 3 })]);
    h.feed('fra', '192.0.2.1', FAIL);
    for (let i = 0; i < FLAP_WINDOW_PROBES; i++) h.feed('fra', '192.0.2.1', FAIL);
    expect(cap(h)).toBe(Infinity);
    h.feed('fra', '192.0.2.1', OK);
    expect(cap(h)).toBe(10);
  });

  it('is at least 1 second, even for sub-second intervals', () => {
    const h = steady({ ...HTTP, intervalMs: 200, timeoutMs: 100 });
    h.feed('fra', '192.0.2.1', FAIL);
    expect(cap(h)).toBe(1);
  });

  it('an override pins the state: no cap from what it pins', async () => {
    const h = steady();
    h.feed('fra', '192.0.2.1', FAIL);
    await h.t.setOverride({ zone: Z, site: 'fra', address: '192.0.2.1' }, 'up');
    expect(cap(h)).toBe(Infinity);
    h.feed('fra', '192.0.2.2', FAIL, FAIL);
    expect(cap(h)).toBe(5);
    await h.t.setOverride({ zone: Z, site: 'fra' }, 'up');
    expect(cap(h)).toBe(Infinity);
  });
});

describe('sync (reload): what is kept', () => {
  it('keeps the state of an address whose probe is unchanged', () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', OK, FAIL);
    h.t.sync([site('fra', ['192.0.2.1']), site('ams', ['192.0.2.9'])]);
    const a = h.t.snapshot().zones[0]!.sites[0]!.addresses[0]!;
    expect(a).toMatchObject({ verdict: 'up', failures: 1, provisional: false });
  });

  it('a changed probe keeps the verdict provisionally; its first result decides', () => {
    const h = table([site('fra', ['192.0.2.1', '192.0.2.2'])]);
    h.feed('fra', '192.0.2.1', OK);
    h.feed('fra', '192.0.2.2', OK);
    h.take();
    h.t.sync([site('fra', ['192.0.2.1', '192.0.2.2'], { ...HTTP, path: '/ready' })]);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    expect(h.t.snapshot().zones[0]!.sites[0]!.addresses[0]!.provisional).toBe(true);
    h.feed('fra', '192.0.2.1', FAIL); // not fall failures: one decides
    h.feed('fra', '192.0.2.2', OK);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(false);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.2')).toBe(true);
    expect(h.take()).toEqual(['address fra 192.0.2.1: up → down (HTTP 503) ×1']);
  });

  it('new addresses start unknown; removed ones are forgotten; a probe replaced by none is up', () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', FAIL);
    h.t.sync([site('fra', ['192.0.2.1'], NO_PROBE), site('ams', ['192.0.2.9'])]);
    expect(h.t.addressUp(Z, 'fra', '192.0.2.1')).toBe(true);
    expect(h.t.addressUp(Z, 'ams', '192.0.2.9')).toBe(false);
    h.t.sync([site('ams', ['192.0.2.9'])]);
    expect(h.t.has({ zone: Z, site: 'fra' })).toBe(false);
    expect(h.t.snapshot().zones[0]!.sites.map((s) => s.site)).toEqual(['ams']);
  });
});

describe('snapshot: JSON for /status', () => {
  it('lists zones, sites and addresses with their state, and every override', async () => {
    const h = table([site('fra', ['192.0.2.1'])]);
    h.feed('fra', '192.0.2.1', OK);
    await h.t.setOverride({ zone: Z, site: 'ghost' }, 'drain', 'maintenance');
    const snap = h.t.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toEqual({
      version: h.t.version,
      at: '2026-01-01T00:00:00.000Z',
      zones: [
        {
          zone: Z,
          sites: [
            {
              zone: Z,
              site: 'fra',
              available: true,
              status: 'available',
              reason: '1 of 1 addresses up (min_healthy 1)',
              drained: false,
              override: null,
              minHealthy: 1,
              upAddresses: 1,
              ttlCap: null,
              addresses: [
                {
                  address: '192.0.2.1',
                  probe: 'http://192.0.2.1:80/health',
                  verdict: 'up',
                  up: true,
                  override: null,
                  provisional: false,
                  successes: 1,
                  failures: 0,
                  rise: 2,
                  fall: 3,
                  intervalMs: 5000,
                  timeoutMs: 2000,
                  lastResult: {
                    ok: true,
                    reason: 'HTTP 200',
                    latencyMs: 3,
                    at: '2026-01-01T00:00:00.000Z',
                  },
                  lastError: null,
                  lastTransition: {
                    from: 'unknown',
                    to: 'up',
                    reason: 'HTTP 200',
                    at: '2026-01-01T00:00:00.000Z',
                  },
                },
              ],
            },
          ],
        },
      ],
      overrides: [
        {
          zone: Z,
          site: 'ghost',
          address: null,
          state: 'drain',
          at: '2026-01-01T00:00:00.000Z',
          reason: 'maintenance',
        },
      ],
    });
  });
});

describe('the state file: overrides survive a restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-state-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every change atomically and reads it back in a new table', async () => {
    const file = join(dir, 'nested', 'state.json');
    const first = table([site('fra', ['192.0.2.1'], NO_PROBE)]);
    await first.t.useStateFile(file);
    await first.t.setOverride({ zone: Z, site: 'fra' }, 'drain', 'POST /sites/fra/drain');
    await first.t.setOverride({ zone: Z, site: 'fra', address: '192.0.2.1' }, 'down');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      version: 1,
      overrides: [
        {
          zone: Z,
          site: 'fra',
          state: 'drain',
          at: '2026-01-01T00:00:00.000Z',
          reason: 'POST /sites/fra/drain',
        },
        {
          zone: Z,
          site: 'fra',
          address: '192.0.2.1',
          state: 'down',
          at: '2026-01-01T00:00:00.000Z',
        },
      ],
    });
    // Only the file itself: no temporary files left behind.
    expect(await readdir(join(dir, 'nested'))).toEqual(['state.json']);

    const second = table([site('fra', ['192.0.2.1'], NO_PROBE)]);
    await second.t.useStateFile(file);
    expect(second.t.siteAvailable(Z, 'fra')).toBe(false);
    expect(second.t.getOverride({ zone: Z, site: 'fra', address: '192.0.2.1' })).toBe('down');
    expect(second.take()).toEqual([
      'override fra: none → drain (from state file: POST /sites/fra/drain)',
      'override fra 192.0.2.1: none → down (from state file)',
      'site fra: available → unavailable (override drain)',
    ]);
    await second.t.clearOverride({ zone: Z, site: 'fra' });
    await second.t.clearOverride({ zone: Z, site: 'fra', address: '192.0.2.1' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, overrides: [] });
  });

  it('a missing file is no overrides; a damaged one stops start-up with a clear message', async () => {
    const h = table([]);
    await h.t.useStateFile(join(dir, 'absent.json'));
    expect(h.t.listOverrides()).toEqual([]);
    // A file on the path where a directory should be: the state file cannot exist either.
    await writeFile(join(dir, 'plain'), 'x');
    await h.t.useStateFile(join(dir, 'plain', 'state.json'));
    expect(h.t.listOverrides()).toEqual([]);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"version": 1, "overrides": [');
    await expect(table([]).t.useStateFile(bad)).rejects.toThrow(
      new RegExp(
        `^state file ${bad}: not valid JSON .*; fix it or remove it \\(it holds only manual overrides\\)$`,
      ),
    );
    await writeFile(
      bad,
      '{"version": 1, "overrides": [{"zone": "example.org", "site": "fra", "state": "off", "at": "2026-01-01T00:00:00Z"}]}',
    );
    await expect(table([]).t.useStateFile(bad)).rejects.toThrow(
      `state file ${bad}: overrides[0] is not {zone, site, address?, state: up|down|drain, at}; fix it or remove it (it holds only manual overrides)`,
    );
  });

  it('a failed write rejects, and the override still holds in memory', async () => {
    const h = table([site('fra', ['192.0.2.1'], NO_PROBE)]);
    await h.t.useStateFile(join(dir, 'gone', 'state.json'));
    // Its directory is now a file, so the write cannot happen.
    await writeFile(join(dir, 'gone'), 'x');
    await expect(h.t.setOverride({ zone: Z, site: 'fra' }, 'drain')).rejects.toThrow(
      /ENOTDIR|EEXIST/,
    );
    expect(h.t.siteAvailable(Z, 'fra')).toBe(false);
  });
});
