// GET /metrics over real HTTP from a real server: exact counts after a known set of queries over
// UDP and TCP, a probe transition played by a real HTTP health server the test stops and starts,
// and reload outcomes after a good, an unchanged and a broken reload.
import { afterEach, describe, expect, it } from 'vitest';
import { queryTcp, queryUdp } from './helpers/dns-client.js';
import { exchange } from './helpers/conn.js';
import { HealthServer } from './helpers/health-servers.js';
import {
  LOOPBACK_ADMIN,
  parseMetrics,
  request,
  sample,
  series,
  until,
  type Sample,
} from './helpers/admin.js';
import { startServer, type StartOptions, type TestServer } from './helpers/server.js';
import { message, query, questionBytes, TYPE } from './helpers/wire.js';

const M_TEST = `
zone: m.test
nameservers:
  ns1.m.test: [192.0.2.53]
sites:
  one: { addresses: [192.0.2.1], weight: 3 }
  two: { addresses: [192.0.2.2], weight: 2 }
  three: { addresses: [192.0.2.3], weight: 1 }
records:
  w: { steer: weighted, sites: [one, two, three] }
  static:
    A: [192.0.2.100]
    MX: [10 static]
`;

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function serve(files: Record<string, string>, opts: StartOptions = {}): Promise<TestServer> {
  const s = await startServer(files, { admin: LOOPBACK_ADMIN, ...opts });
  running.push(s);
  return s;
}

async function scrape(s: TestServer): Promise<Sample[]> {
  const r = await request(s.admin!.address!.url, 'GET', '/metrics');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseMetrics(r.text);
}

describe('queries and answers', () => {
  it('counts each query by zone, qtype, rcode, policy and transport, and steered answers by site', async () => {
    const s = await serve({ 'm.test.yaml': M_TEST });
    const times = async (n: number, ask: () => Promise<unknown>) => {
      for (let i = 0; i < n; i++) await ask();
    };
    await times(6, () => queryUdp(s.port, 'w.m.test', 'A'));
    await times(2, () => queryUdp(s.port, 'w.m.test', 'AAAA'));
    await times(4, () => queryUdp(s.port, 'static.m.test', 'A'));
    await times(2, () => queryTcp(s.port, 'static.m.test', 'A'));
    await times(3, () => queryUdp(s.port, 'nx.m.test', 'A'));
    await times(2, () => queryUdp(s.port, 'STATIC.m.test', 'MX'));
    await queryUdp(s.port, 'www.elsewhere.test', 'A');
    await queryUdp(s.port, 'static.m.test', 'A', { edns: 1232, ednsVersion: 1 });
    await exchange('udp', s.port, query('static.m.test', 65));
    // FORMERR is in no zone; its type is the question's when one could be read.
    await exchange(
      'udp',
      s.port,
      message({ questions: [questionBytes('a.m.test', TYPE.A)], trailing: Buffer.from([0]) }),
    );
    await exchange(
      'udp',
      s.port,
      message({
        questions: [questionBytes('a.m.test', TYPE.A), questionBytes('b.m.test', TYPE.A)],
      }),
    );

    const m = await scrape(s);
    expect(series(m, 'geosteer_queries_total')).toEqual({
      'zone=m.test,qtype=A,rcode=NOERROR,policy=weighted,transport=udp': 6,
      'zone=m.test,qtype=AAAA,rcode=NOERROR,policy=weighted,transport=udp': 2,
      'zone=m.test,qtype=A,rcode=NOERROR,policy=none,transport=udp': 4,
      'zone=m.test,qtype=A,rcode=NOERROR,policy=none,transport=tcp': 2,
      'zone=m.test,qtype=A,rcode=NXDOMAIN,policy=none,transport=udp': 3,
      'zone=m.test,qtype=MX,rcode=NOERROR,policy=none,transport=udp': 2,
      'zone=,qtype=A,rcode=REFUSED,policy=none,transport=udp': 1,
      'zone=,qtype=A,rcode=BADVERS,policy=none,transport=udp': 1,
      'zone=m.test,qtype=other,rcode=NOERROR,policy=none,transport=udp': 1,
      'zone=,qtype=A,rcode=FORMERR,policy=none,transport=udp': 1,
      'zone=,qtype=other,rcode=FORMERR,policy=none,transport=udp': 1,
    });
    // Smooth weighted round robin 3:2:1 over six answers is exactly 3, 2 and 1.
    expect(series(m, 'geosteer_answers_total')).toEqual({
      'zone=m.test,site=one': 3,
      'zone=m.test,site=two': 2,
      'zone=m.test,site=three': 1,
    });
  });

  it('a drained site stops being counted in answers from the next query', async () => {
    const s = await serve({ 'm.test.yaml': M_TEST });
    const base = s.admin!.address!.url;
    expect((await request(base, 'POST', '/sites/one/drain')).status).toBe(200);
    for (let i = 0; i < 6; i++) await queryUdp(s.port, 'w.m.test', 'A');
    const m = await scrape(s);
    expect(series(m, 'geosteer_answers_total')).toEqual({
      'zone=m.test,site=two': 4,
      'zone=m.test,site=three': 2,
    });
    expect(sample(m, 'geosteer_site_available', { zone: 'm.test', site: 'one' })).toBe(0);
    expect(
      sample(m, 'geosteer_override_timestamp_seconds', {
        zone: 'm.test',
        site: 'one',
        address: '',
        state: 'drain',
      }),
    ).toBeCloseTo(Date.now() / 1000, -2);
    expect(series(m, 'geosteer_health_transitions_total')).toEqual({
      'kind=override,to=drain': 1,
      'kind=site,to=unavailable': 1,
    });
  });

  it('each server has its own registry: two in one process do not share counts', async () => {
    const a = await serve({ 'm.test.yaml': M_TEST });
    const b = await serve({ 'm.test.yaml': M_TEST });
    for (let i = 0; i < 3; i++) await queryUdp(a.port, 'static.m.test', 'A');
    await queryUdp(b.port, 'static.m.test', 'A');
    const key = { zone: 'm.test', qtype: 'A', rcode: 'NOERROR', policy: 'none', transport: 'udp' };
    expect(sample(await scrape(a), 'geosteer_queries_total', key)).toBe(3);
    expect(sample(await scrape(b), 'geosteer_queries_total', key)).toBe(1);
  });

  it('has the generation, build info and the default process metrics', async () => {
    const s = await serve({ 'm.test.yaml': M_TEST });
    const m = await scrape(s);
    expect(sample(m, 'geosteer_config_generation')).toBe(1);
    expect(sample(m, 'geosteer_build_info', { version: '0.1.0', node: process.version })).toBe(1);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_start_time_seconds',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_active_handles_total',
      'nodejs_version_info',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(
        m.some((x) => x.name === name),
        name,
      ).toBe(true);
    // Left out: they watch every GC and the event loop all the time (src/admin/metrics.ts).
    for (const name of ['nodejs_gc_duration_seconds_count', 'nodejs_eventloop_lag_p99_seconds'])
      expect(
        m.some((x) => x.name === name),
        name,
      ).toBe(false);
  });
});

describe('health', () => {
  const INTERVAL = 200;
  const probe = (port: number) =>
    `{ type: http, port: ${port}, path: /health, interval: ${INTERVAL}ms, timeout: 100ms, rise: 1, fall: 1 }`;
  const zone = (port: number) => `
zone: h.test
nameservers:
  ns1.h.test: [192.0.2.53]
sites:
  p:
    addresses: [127.0.9.1]
    probe: ${probe(port)}
  q:
    addresses: [192.0.2.50]
records:
  f:
    steer: failover
    groups: [[p], [q]]
`;
  const P = { zone: 'h.test', site: 'p' };
  const P_ADDR = { ...P, address: '127.0.9.1' };

  it('reflects a probe transition: results, address up, site available, transitions, latency', async () => {
    const hs = await new HealthServer('http', '127.0.9.1').start();
    running.push(hs);
    const s = await serve({ 'h.test.yaml': zone(hs.port) });
    const answer = async () =>
      ((await queryUdp(s.port, 'f.h.test', 'A')).answers ?? []).map(
        (a) => (a as { data: string }).data,
      );

    // After the cold-start round: one result, up, counted from the very first probe.
    let m = await scrape(s);
    expect(
      sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'fail' })).toBe(0);
    expect(sample(m, 'geosteer_address_up', P_ADDR)).toBe(1);
    expect(
      sample(m, 'geosteer_address_up', { zone: 'h.test', site: 'q', address: '192.0.2.50' }),
    ).toBe(1);
    expect(sample(m, 'geosteer_site_available', P)).toBe(1);
    expect(sample(m, 'geosteer_health_transitions_total', { kind: 'address', to: 'up' })).toBe(1);
    expect(
      sample(m, 'geosteer_probe_duration_seconds_count', { type: 'http' }),
    ).toBeGreaterThanOrEqual(1);
    expect(await answer()).toEqual(['127.0.9.1']);

    // The datacenter fails: the answers move, and the metrics say so.
    await hs.stop();
    await until(async () => (await answer())[0] === '192.0.2.50', 3000, 'p withdrawn');
    m = await scrape(s);
    expect(sample(m, 'geosteer_address_up', P_ADDR)).toBe(0);
    expect(sample(m, 'geosteer_site_available', P)).toBe(0);
    expect(
      sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'fail' }),
    ).toBeGreaterThanOrEqual(1);
    expect(series(m, 'geosteer_health_transitions_total')).toMatchObject({
      'kind=address,to=up': 1,
      'kind=address,to=down': 1,
      'kind=site,to=unavailable': 1,
    });
    const fails = sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'fail' })!;

    // It comes back.
    await hs.start();
    await until(async () => (await answer())[0] === '127.0.9.1', 3000, 'p restored');
    m = await scrape(s);
    expect(sample(m, 'geosteer_address_up', P_ADDR)).toBe(1);
    expect(sample(m, 'geosteer_site_available', P)).toBe(1);
    expect(sample(m, 'geosteer_health_transitions_total', { kind: 'address', to: 'up' })).toBe(2);
    expect(
      sample(m, 'geosteer_health_transitions_total', { kind: 'site', to: 'available' }),
    ).toBeGreaterThanOrEqual(1);
    // Counters never go back.
    expect(
      sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'fail' }),
    ).toBeGreaterThanOrEqual(fails);
    const count = sample(m, 'geosteer_probe_duration_seconds_count', { type: 'http' })!;
    const sum = sample(m, 'geosteer_probe_duration_seconds_sum', { type: 'http' })!;
    expect(count).toBe(
      sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'ok' })! +
        sample(m, 'geosteer_probe_results_total', { ...P_ADDR, result: 'fail' })!,
    );
    expect(sum).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(0.1);
  });

  it('a forced-down address is 0 in geosteer_address_up while its probe still passes', async () => {
    const hs = await new HealthServer('http', '127.0.9.2').start();
    running.push(hs);
    const s = await serve({ 'h.test.yaml': zone(hs.port).replace('127.0.9.1', '127.0.9.2') });
    const base = s.admin!.address!.url;
    expect((await request(base, 'POST', '/sites/p/addresses/127.0.9.2/force-down')).status).toBe(
      200,
    );
    const m = await scrape(s);
    expect(sample(m, 'geosteer_address_up', { ...P, address: '127.0.9.2' })).toBe(0);
    expect(sample(m, 'geosteer_site_available', P)).toBe(0);
    expect(
      sample(m, 'geosteer_override_timestamp_seconds', {
        ...P,
        address: '127.0.9.2',
        state: 'down',
      }),
    ).toBeGreaterThan(0);
  });
});

describe('reloads', () => {
  it('counts changed, unchanged and rejected reloads; the generation moves only on a change', async () => {
    const s = await serve({ 'm.test.yaml': M_TEST });
    const reloads = async () => series(await scrape(s), 'geosteer_reloads_total');
    expect(await reloads()).toEqual({
      'outcome=changed': 0,
      'outcome=unchanged': 0,
      'outcome=rejected': 0,
    });

    await s.write('m.test.yaml', M_TEST.replace('192.0.2.100', '192.0.2.101'));
    expect(await s.server.reload()).toMatchObject({ ok: true, generation: 2 });
    await s.server.reload();
    await s.write('m.test.yaml', 'zone: [broken');
    expect(await s.server.reload()).toMatchObject({ ok: false });

    const m = await scrape(s);
    expect(series(m, 'geosteer_reloads_total')).toEqual({
      'outcome=changed': 1,
      'outcome=unchanged': 1,
      'outcome=rejected': 1,
    });
    expect(sample(m, 'geosteer_config_generation')).toBe(2);
  });

  it('counts on across a reload: the new generation adds to the same series', async () => {
    const s = await serve({ 'm.test.yaml': M_TEST });
    const key = { zone: 'm.test', qtype: 'A', rcode: 'NOERROR', policy: 'none', transport: 'udp' };
    await queryUdp(s.port, 'static.m.test', 'A');
    await s.write('m.test.yaml', M_TEST.replace('192.0.2.100', '192.0.2.101'));
    await s.server.reload();
    await queryUdp(s.port, 'static.m.test', 'A');
    expect(sample(await scrape(s), 'geosteer_queries_total', key)).toBe(2);
  });
});
