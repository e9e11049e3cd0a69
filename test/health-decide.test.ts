// How the shared selection step (decide, src/policy/decide.ts) reads a health table fed by
// probes: min_healthy, failing open without drains, and the TTL near trouble in every mode.
import { describe, expect, it } from 'vitest';
import { targetsOf } from '../src/health/prober.js';
import { HealthTable, type Transition } from '../src/health/table.js';
import { decide } from '../src/policy/decide.js';
import type { DynamicRecord } from '../src/policy/dynamic.js';
import { SteerState } from '../src/policy/state.js';
import { NO_CLIENT_HINT, NO_GEO } from '../src/server/steering.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';

const Z = 'example.org';
const PROBE = '{ type: tcp, port: 443, interval: 5s, timeout: 1s, rise: 2, fall: 3 }';
const OK = { ok: true, reason: 'connected', latencyMs: 1 };
const FAIL = { ok: false, reason: 'connect ECONNREFUSED', latencyMs: 1 };

function setup(records: string[]) {
  const text = [
    'zone: example.org',
    'nameservers:',
    '  ns1.example.net.:',
    'sites:',
    '  fra:',
    '    addresses: [192.0.2.1, 192.0.2.2]',
    `    probe: ${PROBE}`,
    '  ams:',
    '    addresses: [192.0.2.9]',
    `    probe: ${PROBE}`,
    'records:',
    ...records,
  ].join('\n');
  const r = compileText('zones/example.org.yaml', text + '\n');
  if (!r.zone) throw new Error(r.problems.map(formatProblem).join('\n'));
  const zone: Zone = r.zone;
  const health = new HealthTable({ now: () => 0 });
  health.sync(targetsOf([zone]));
  const state = new SteerState();
  const record = (name: string): DynamicRecord => zone.nodes.get(`${name}.${Z}`)!.dynamic!;
  const ask = (name: string) => {
    const d = decide(record(name), {
      family: 4,
      client: NO_CLIENT_HINT,
      health,
      geo: NO_GEO,
      locate: () => NO_GEO.locate(NO_CLIENT_HINT.address, 0),
      state,
      trace: null,
    });
    return {
      mode: d.mode,
      ttl: d.ttl,
      addresses: d.rdata.map((x) => (x as { address: string }).address),
    };
  };
  const feed = (site: string, address: string, ...results: (typeof OK)[]) => {
    for (const x of results) health.record(Z, site, address, x);
  };
  const allUp = () => {
    feed('fra', '192.0.2.1', OK);
    feed('fra', '192.0.2.2', OK);
    feed('ams', '192.0.2.9', OK);
  };
  return { health, ask, feed, allUp };
}

const FAILOVER = ['  www:', '    steer: failover', '    groups: [[fra], [ams]]', '    ttl: 60'];

describe('decide over probed sites', () => {
  it('answers only up addresses, and the record TTL while nothing is near', () => {
    const h = setup(FAILOVER);
    h.allUp();
    expect(h.ask('www')).toEqual({
      mode: 'policy',
      ttl: 60,
      addresses: ['192.0.2.1', '192.0.2.2'],
    });
    h.feed('fra', '192.0.2.2', FAIL, FAIL, FAIL);
    // Just flipped: answers holding fra last one interval.
    expect(h.ask('www')).toEqual({ mode: 'policy', ttl: 5, addresses: ['192.0.2.1'] });
  });

  it('caps the TTL at the time left before a failing address could be withdrawn', () => {
    const h = setup(FAILOVER);
    h.allUp();
    h.feed('fra', '192.0.2.1', FAIL);
    expect(h.ask('www').ttl).toBe(10);
    h.feed('fra', '192.0.2.1', FAIL);
    expect(h.ask('www').ttl).toBe(5);
  });

  it('a site not chosen does not shorten the answer', () => {
    const h = setup(FAILOVER);
    h.allUp();
    h.feed('ams', '192.0.2.9', FAIL);
    expect(h.ask('www').ttl).toBe(60);
  });

  it('while everything is down, a site coming back caps every when_all_down answer', () => {
    const h = setup([...FAILOVER, '    when_all_down: fallback', '    fallback: [192.0.2.99]']);
    h.feed('fra', '192.0.2.1', FAIL);
    h.feed('fra', '192.0.2.2', FAIL);
    h.feed('ams', '192.0.2.9', FAIL);
    expect(h.ask('www')).toEqual({ mode: 'fallback', ttl: 60, addresses: ['192.0.2.99'] });
    h.feed('ams', '192.0.2.9', OK); // one more success and ams is back
    expect(h.ask('www')).toEqual({ mode: 'fallback', ttl: 5, addresses: ['192.0.2.99'] });
  });

  it('fails open over health, but never over a drained site or a drained address', async () => {
    const h = setup(FAILOVER);
    h.feed('fra', '192.0.2.1', FAIL);
    h.feed('fra', '192.0.2.2', FAIL);
    h.feed('ams', '192.0.2.9', FAIL);
    expect(h.ask('www')).toMatchObject({
      mode: 'serve_all',
      addresses: ['192.0.2.1', '192.0.2.2'],
    });
    await h.health.setOverride({ zone: Z, site: 'fra', address: '192.0.2.1' }, 'drain');
    expect(h.ask('www')).toMatchObject({ mode: 'serve_all', addresses: ['192.0.2.2'] });
    await h.health.setOverride({ zone: Z, site: 'fra' }, 'down'); // health, not a drain
    expect(h.ask('www')).toMatchObject({ mode: 'serve_all', addresses: ['192.0.2.2'] });
    await h.health.setOverride({ zone: Z, site: 'fra' }, 'drain');
    expect(h.ask('www')).toMatchObject({ mode: 'serve_all', addresses: ['192.0.2.9'] });
  });

  it('before any probe has reported, unknown is not up: every when_all_down mode applies', () => {
    const h = setup([
      ...FAILOVER,
      '  sorry:',
      '    steer: failover',
      '    groups: [[fra], [ams]]',
      '    when_all_down: nodata',
    ]);
    expect(h.ask('www').mode).toBe('serve_all');
    expect(h.ask('sorry')).toEqual({ mode: 'nodata', ttl: 5, addresses: [] });
  });
});

describe('site states in transitions', () => {
  it('a site stays unknown until it is available or every address has reported', () => {
    const h = setup(FAILOVER);
    const seen: Transition[] = [];
    h.health.onTransition((t) => t.kind === 'site' && seen.push(t));
    h.feed('fra', '192.0.2.1', FAIL);
    expect(seen).toEqual([]);
    h.feed('fra', '192.0.2.2', FAIL);
    h.feed('ams', '192.0.2.9', OK);
    expect(seen.map((t) => `${t.site} ${t.from} → ${t.to}: ${t.reason}`)).toEqual([
      'fra unknown → unavailable: 0 of 2 addresses up (min_healthy 1)',
      'ams unknown → available: 1 of 1 addresses up (min_healthy 1)',
    ]);
  });
});
