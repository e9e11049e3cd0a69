// The admin API end to end: a real geosteer (startServer, DNS on 127.0.0.1 port 0) with its admin
// listener on 127.0.0.1 port 0, asked over real HTTP. Overrides are checked where they matter: in
// the DNS answers, asked over UDP right after the request returns.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { explain } from '../src/explain/explain.js';
import { HealthTable } from '../src/health/table.js';
import { loadZoneDir } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import { queryUdp } from './helpers/dns-client.js';
import { LOOPBACK_ADMIN, request, type HttpReply } from './helpers/admin.js';
import { startServer, type StartOptions, type TestServer } from './helpers/server.js';

/** Two zones share the site name fra; lon is drained in the zone file. */
const A_TEST = `
zone: a.test
nameservers:
  ns1.a.test: [192.0.2.53]
sites:
  fra:
    addresses: [192.0.2.10, 192.0.2.11, 2001:db8::10]
  ams:
    addresses: [192.0.2.20, 2001:db8::20]
  lon:
    addresses: [192.0.2.30]
    state: drain
records:
  www:
    steer: failover
    groups: [[fra], [ams], [lon]]
  static:
    A: [192.0.2.1]
`;
const B_TEST = `
zone: b.test
nameservers:
  ns1.b.test: [198.51.100.53]
sites:
  fra:
    addresses: [198.51.100.10]
  iad:
    addresses: [198.51.100.20]
records:
  www:
    steer: failover
    groups: [[fra], [iad]]
`;
const ZONES = { 'a.test.yaml': A_TEST, 'b.test.yaml': B_TEST };

const running: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Admin {
  s: TestServer;
  get(path: string, token?: string): Promise<HttpReply>;
  post(path: string, token?: string): Promise<HttpReply>;
  /** The A addresses of a name, asked over UDP. */
  a(name: string): Promise<string[]>;
}

async function serve(
  opts: StartOptions = {},
  files: Record<string, string> = ZONES,
): Promise<Admin> {
  const s = await startServer(files, { admin: LOOPBACK_ADMIN, ...opts });
  running.push(s);
  const base = s.admin!.address!.url;
  return {
    s,
    get: (p, token) => request(base, 'GET', p, token === undefined ? {} : { token }),
    post: (p, token) => request(base, 'POST', p, token === undefined ? {} : { token }),
    a: async (name) =>
      ((await queryUdp(s.port, name, 'A')).answers ?? [])
        .filter((r) => r.type === 'A')
        .map((r) => String((r as { data: string }).data)),
  };
}

const errorOf = (r: HttpReply) => (r.json as { error: { code: string; message: string } }).error;

describe('listening', () => {
  it('listens on the loopback address given, logs where, and stops with the server', async () => {
    const x = await serve();
    const addr = x.s.admin!.address!;
    expect(addr.host).toBe('127.0.0.1');
    expect(addr.url).toBe(`http://127.0.0.1:${addr.port}`);
    expect(x.s.logs).toContainEqual(
      expect.objectContaining({ admin: addr.url, msg: `admin API listening on ${addr.url}` }),
    );
    await x.s.stop();
    running.splice(running.indexOf(x.s), 1);
    await expect(fetch(`${addr.url}/status`)).rejects.toThrow();
  });

  it('does not start on an address that is not loopback without a token', async () => {
    await expect(
      startServer(ZONES, { admin: { ...LOOPBACK_ADMIN, listen: { host: '0.0.0.0', port: 0 } } }),
    ).rejects.toThrow(/0\.0\.0\.0, not a loopback address, needs a token/);
  });

  it('does not start when its address is taken, and leaves no DNS listener open', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((r) =>
      blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)),
    );
    try {
      await expect(
        startServer(ZONES, { admin: { ...LOOPBACK_ADMIN, listen: { host: '127.0.0.1', port } } }),
      ).rejects.toThrow(`admin API: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});

describe('bearer token', () => {
  const TOKEN = 'c2VjcmV0LXRva2Vu';

  it.each([
    ['no Authorization header', {}],
    ['the wrong token', { token: 'wrong' }],
    ['a token one character short', { token: TOKEN.slice(0, -1) }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
    ['Bearer without a token', { authorization: 'Bearer ' }],
  ])('401 with %s, on every route (unknown ones too)', async (_what, auth) => {
    const x = await serve({ admin: { ...LOOPBACK_ADMIN, token: TOKEN } });
    const base = x.s.admin!.address!.url;
    for (const [method, path] of [
      ['GET', '/status'],
      ['GET', '/metrics'],
      ['GET', '/explain?name=www.a.test&client=192.0.2.1'],
      ['POST', '/sites/fra/drain'],
      ['GET', '/no-such-route'],
    ] as const) {
      const r = await request(base, method, path, auth);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="geosteer admin"');
      expect(errorOf(r).code).toBe('unauthorized');
    }
    // Nothing was drained by the refused POST.
    expect(await x.a('www.a.test')).toEqual(['192.0.2.10', '192.0.2.11']);
  });

  it('200 with the right token, the scheme in any case', async () => {
    const x = await serve({ admin: { ...LOOPBACK_ADMIN, token: TOKEN } });
    const base = x.s.admin!.address!.url;
    expect((await request(base, 'GET', '/status', { token: TOKEN })).status).toBe(200);
    expect(
      (await request(base, 'GET', '/metrics', { authorization: `bearer ${TOKEN}` })).status,
    ).toBe(200);
  });

  it('reads the token from token_file, trailing newline dropped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-token-'));
    dirs.push(dir);
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    const x = await serve({ admin: { ...LOOPBACK_ADMIN, tokenFile: join(dir, 'token') } });
    expect((await x.get('/status')).status).toBe(401);
    expect((await x.get('/status', TOKEN)).status).toBe(200);
  });

  it('does not start when token_file is missing or empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-token-'));
    dirs.push(dir);
    await expect(
      startServer(ZONES, { admin: { ...LOOPBACK_ADMIN, tokenFile: join(dir, 'missing') } }),
    ).rejects.toThrow(/admin\.token_file .*missing: ENOENT/);
    await writeFile(join(dir, 'empty'), '\n');
    await expect(
      startServer(ZONES, { admin: { ...LOOPBACK_ADMIN, tokenFile: join(dir, 'empty') } }),
    ).rejects.toThrow(/must hold one token .*got nothing/);
  });
});

describe('routes and error codes', () => {
  it.each([
    ['POST', '/', 405, 'method-not-allowed'],
    ['GET', '/page/nope.js', 404, 'not-found'],
    ['GET', '/nope', 404, 'not-found'],
    ['GET', '/sites/fra', 404, 'not-found'],
    ['POST', '/sites/fra/reboot', 404, 'not-found'],
    ['POST', '/sites/fra/addresses/192.0.2.10/drain', 404, 'not-found'],
    ['POST', '/status', 405, 'method-not-allowed'],
    ['DELETE', '/metrics', 405, 'method-not-allowed'],
    ['GET', '/sites/fra/drain', 405, 'method-not-allowed'],
    ['GET', '/sites/fra/addresses/192.0.2.10/clear', 405, 'method-not-allowed'],
    ['GET', '/explain', 400, 'missing-param'],
    ['GET', '/explain?name=www.a.test', 400, 'missing-param'],
    ['GET', '/explain?name=www.a.test&client=192.0.2.1&format=xml', 400, 'bad-param'],
    ['GET', '/explain?name=www..a.test&client=192.0.2.1', 400, 'bad-name'],
    ['GET', '/explain?name=www.a.test&type=BOGUS&client=192.0.2.1', 400, 'bad-type'],
    ['GET', '/explain?name=www.a.test&client=not-an-address', 400, 'bad-client'],
    ['POST', '/sites/nowhere/drain', 404, 'unknown-site'],
    ['POST', '/sites/iad/drain?zone=a.test', 404, 'unknown-site'],
    ['POST', '/sites/fra/drain?zone=c.test', 404, 'unknown-zone'],
    ['POST', '/sites/fra/drain?zone=', 400, 'bad-param'],
    ['POST', '/sites/fra/addresses/192.0.2.99/force-down', 404, 'unknown-address'],
    ['POST', '/sites/fra/addresses/not-an-ip/force-down', 400, 'bad-param'],
    ['POST', '/sites/%E0%A4%A/drain', 400, 'bad-param'],
  ])('%s %s: %i %s', async (method, path, status, code) => {
    const x = await serve();
    const r = await request(x.s.admin!.address!.url, method, path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(errorOf(r)).toEqual({ code, message: expect.any(String) });
  });

  it('405 says which methods the route takes', async () => {
    const x = await serve();
    expect((await x.post('/status')).headers.get('allow')).toBe('GET, HEAD');
    expect((await x.get('/sites/fra/drain')).headers.get('allow')).toBe('POST');
  });

  it('the messages say what is there instead', async () => {
    const x = await serve();
    expect(errorOf(await x.post('/sites/iad/drain?zone=a.test')).message).toBe(
      'zone a.test has no site iad (sites: fra, ams, lon)',
    );
    expect(errorOf(await x.post('/sites/fra/drain?zone=c.test')).message).toBe(
      'no zone c.test is served (zones: a.test, b.test)',
    );
    expect(
      errorOf(await x.post('/sites/fra/addresses/192.0.2.99/force-down?zone=a.test')).message,
    ).toBe('site fra has no address 192.0.2.99 (addresses: 192.0.2.10, 192.0.2.11, 2001:db8::10)');
  });

  it('HEAD is GET without a body', async () => {
    const x = await serve();
    const r = await request(x.s.admin!.address!.url, 'HEAD', '/status');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(Number(r.headers.get('content-length'))).toBeGreaterThan(100);
  });
});

describe('GET /status', () => {
  it('zones, sites and addresses with their state, generation, uptime and version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-state-'));
    dirs.push(dir);
    const stateFile = join(dir, 'state.json');
    const x = await serve({ stateFile });
    await x.post('/sites/ams/force-down?zone=a.test&reason=ticket-42');
    const r = await x.get('/status');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const doc = r.json as Record<string, unknown>;
    expect(doc).toMatchObject({
      service: 'geosteer',
      version: JSON.parse(await readFile('package.json', 'utf8')).version,
      node: process.version,
      pid: process.pid,
      generation: 1,
      stateFile,
      probes: { checks: 0, inFlight: 0, queued: 0 },
    });
    expect(typeof doc.uptimeSeconds).toBe('number');
    expect(Date.parse(doc.startedAt as string)).toBeLessThanOrEqual(Date.now());
    const zones = doc.zones as {
      name: string;
      file: string;
      serial: number;
      generation: number;
      sites: unknown[];
    }[];
    expect(zones.map((z) => [z.name, z.file, z.generation])).toEqual([
      ['a.test', join(x.s.dir, 'a.test.yaml'), 1],
      ['b.test', join(x.s.dir, 'b.test.yaml'), 1],
    ]);
    expect(zones[0]!.serial).toBeGreaterThan(0);
    expect(zones[0]!.sites).toEqual([
      {
        name: 'fra',
        state: 'enabled',
        override: null,
        drained: false,
        available: true,
        reason: '3 of 3 addresses up (min_healthy 1)',
        minHealthy: 1,
        upAddresses: 3,
        ttlCap: null,
        addresses: ['192.0.2.10', '192.0.2.11', '2001:db8::10'].map((address) => ({
          address,
          family: address.includes(':') ? 6 : 4,
          weight: 1,
          up: true,
          verdict: 'up',
          override: null,
          probe: 'none',
          provisional: false,
          latencyMs: null,
          lastResult: null,
          lastTransition: null,
          lastError: null,
        })),
      },
      expect.objectContaining({
        name: 'ams',
        state: 'enabled',
        override: 'down',
        drained: false,
        available: false,
        reason: 'override down',
      }),
      expect.objectContaining({
        name: 'lon',
        state: 'drain',
        override: null,
        drained: true,
        available: false,
        reason: 'drained in the zone file',
      }),
    ]);
    expect(doc.overrides).toEqual([
      {
        zone: 'a.test',
        site: 'ams',
        address: null,
        state: 'down',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        reason: 'ticket-42 (admin API, 127.0.0.1)',
      },
    ]);
    // Clean JSON: what goes out comes back the same.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('a reload moves the generation, and only the changed zone takes the new one', async () => {
    const x = await serve();
    await x.s.write('b.test.yaml', B_TEST.replace('198.51.100.20', '198.51.100.21'));
    expect(await x.s.server.reload()).toMatchObject({ ok: true, generation: 2 });
    const doc = (await x.get('/status')).json as {
      generation: number;
      zones: { name: string; generation: number }[];
    };
    expect(doc.generation).toBe(2);
    expect(doc.zones.map((z) => [z.name, z.generation])).toEqual([
      ['a.test', 1],
      ['b.test', 2],
    ]);
  });
});

describe('overrides take effect on answers at once', () => {
  it('drain moves the answers; clear brings them back', async () => {
    const x = await serve();
    expect(await x.a('www.a.test')).toEqual(['192.0.2.10', '192.0.2.11']);
    const r = await x.post('/sites/fra/drain?zone=a.test');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      action: 'drain',
      site: 'fra',
      address: null,
      changes: [
        {
          zone: 'a.test',
          site: 'fra',
          address: null,
          from: null,
          to: 'drain',
          available: false,
          reason: 'override drain',
        },
      ],
      stateFile: null,
    });
    expect(await x.a('www.a.test')).toEqual(['192.0.2.20']);
    // ?zone= kept the other zone's fra in.
    expect(await x.a('www.b.test')).toEqual(['198.51.100.10']);
    expect((await x.post('/sites/fra/clear?zone=a.test')).json).toMatchObject({
      changes: [
        {
          zone: 'a.test',
          from: 'drain',
          to: null,
          available: true,
          reason: '3 of 3 addresses up (min_healthy 1)',
        },
      ],
    });
    expect(await x.a('www.a.test')).toEqual(['192.0.2.10', '192.0.2.11']);
  });

  it('without ?zone= a site name applies in every zone that has it', async () => {
    const x = await serve();
    const r = await x.post('/sites/fra/force-down');
    expect(
      (r.json as { changes: { zone: string; to: string }[] }).changes.map((c) => [c.zone, c.to]),
    ).toEqual([
      ['a.test', 'down'],
      ['b.test', 'down'],
    ]);
    expect(await x.a('www.a.test')).toEqual(['192.0.2.20']);
    expect(await x.a('www.b.test')).toEqual(['198.51.100.20']);
    await x.post('/sites/fra/clear');
    expect(await x.a('www.a.test')).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(await x.a('www.b.test')).toEqual(['198.51.100.10']);
  });

  it('undrain clears a drain and nothing else, and says when the zone file still drains the site', async () => {
    const x = await serve();
    await x.post('/sites/fra/drain?zone=a.test');
    expect((await x.post('/sites/fra/undrain?zone=a.test')).json).toMatchObject({
      changes: [{ from: 'drain', to: null, available: true }],
    });
    expect(await x.a('www.a.test')).toEqual(['192.0.2.10', '192.0.2.11']);

    await x.post('/sites/fra/force-down?zone=a.test');
    const kept = (await x.post('/sites/fra/undrain?zone=a.test')).json as {
      changes: Record<string, unknown>[];
    };
    expect(kept.changes).toEqual([
      expect.objectContaining({
        from: 'down',
        to: 'down',
        available: false,
        note: 'not drained by an override: the override down stays (use clear to remove it)',
      }),
    ]);
    expect(await x.a('www.a.test')).toEqual(['192.0.2.20']);

    const lon = (await x.post('/sites/lon/undrain')).json as { changes: Record<string, unknown>[] };
    expect(lon.changes).toEqual([
      {
        zone: 'a.test',
        site: 'lon',
        address: null,
        from: null,
        to: null,
        available: false,
        reason: 'drained in the zone file',
        note: 'still drained: the zone file says state: drain (edit the zone file and reload to bring it back)',
      },
    ]);
  });

  it('an address forced down leaves the answers, forced up stays in, clear restores the probe verdict', async () => {
    const x = await serve();
    const r = await x.post('/sites/fra/addresses/192.0.2.10/force-down');
    expect(r.json).toEqual({
      action: 'force-down',
      site: 'fra',
      address: '192.0.2.10',
      changes: [
        {
          zone: 'a.test',
          site: 'fra',
          address: '192.0.2.10',
          from: null,
          to: 'down',
          up: false,
          available: true,
          reason: '2 of 3 addresses up (min_healthy 1)',
        },
      ],
      stateFile: null,
    });
    expect(await x.a('www.a.test')).toEqual(['192.0.2.11']);
    await x.post('/sites/fra/addresses/192.0.2.10/clear');
    expect(await x.a('www.a.test')).toEqual(['192.0.2.10', '192.0.2.11']);
  });

  it('finds an IPv6 address however it is spelled', async () => {
    const x = await serve();
    const r = await x.post(
      `/sites/ams/addresses/${encodeURIComponent('2001:DB8:0:0::20')}/force-down`,
    );
    expect(r.status).toBe(200);
    expect((r.json as { address: string }).address).toBe('2001:db8::20');
    const aaaa = await queryUdp(x.s.port, 'www.a.test', 'AAAA');
    expect((aaaa.answers ?? []).map((a) => (a as { data: string }).data)).toEqual(['2001:db8::10']);
  });

  it('keeps overrides in the state file, with the reason given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-state-'));
    dirs.push(dir);
    const stateFile = join(dir, 'state.json');
    const x = await serve({ stateFile });
    expect((await x.post('/sites/fra/drain?zone=b.test&reason=maintenance')).json).toMatchObject({
      stateFile,
    });
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual({
      version: 1,
      overrides: [
        {
          zone: 'b.test',
          site: 'fra',
          state: 'drain',
          at: expect.any(String),
          reason: 'maintenance (admin API, 127.0.0.1)',
        },
      ],
    });
    await x.post('/sites/fra/clear?zone=b.test');
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual({ version: 1, overrides: [] });
  });

  it('500 not-persisted when the state file cannot be written; the override is in force anyway', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-state-'));
    dirs.push(dir);
    // A regular file where the state file's directory should be: every write fails.
    await writeFile(join(dir, 'blocker'), '');
    const stateFile = join(dir, 'blocker', 'state.json');
    const x = await serve({ stateFile });
    const r = await x.post('/sites/fra/drain?zone=a.test');
    expect(r.status).toBe(500);
    expect(errorOf(r)).toMatchObject({
      code: 'not-persisted',
      message: expect.stringMatching(
        /^in force now, but not written to the state file .*it will not survive a restart$/,
      ),
      result: { changes: [{ zone: 'a.test', to: 'drain', available: false }] },
    });
    expect(await x.a('www.a.test')).toEqual(['192.0.2.20']);
  });
});

describe('GET /explain', () => {
  /** explain() over a fresh copy of the zones, with this health: what /explain must return. */
  async function direct(x: Admin, health: HealthTable, name: string, type: string, client: string) {
    const { zones } = await loadZoneDir(x.s.dir);
    return JSON.parse(
      JSON.stringify(
        explain(new ZoneSet(zones, 1), x.s.server.handler.geo, health, name, type, client),
      ),
    );
  }

  it('is the explanation of the same question, with the live health', async () => {
    const x = await serve();
    await x.post('/sites/fra/drain?zone=a.test');
    const r = await x.get('/explain?name=www.a.test&type=A&client=198.51.100.7');
    expect(r.status).toBe(200);
    const want = new HealthTable();
    await want.setOverride({ zone: 'a.test', site: 'fra' }, 'drain');
    expect(r.json).toEqual(await direct(x, want, 'www.a.test', 'A', '198.51.100.7'));
    const steering = (
      r.json as {
        chain: { steering: { chosen: string[]; sites: { name: string; open: boolean }[] } }[];
      }
    ).chain[0]!.steering;
    expect(steering.chosen).toEqual(['ams']);
    expect(steering.sites.map((s) => [s.name, s.open])).toEqual([
      ['fra', false],
      ['ams', true],
      ['lon', false],
    ]);
  });

  it('type defaults to A; a name in no zone is explained as REFUSED', async () => {
    const x = await serve();
    expect((await x.get('/explain?name=static.a.test&client=192.0.2.1')).json).toMatchObject({
      question: { name: 'static.a.test', type: 'A' },
      answer: { outcome: 'answer', answer: [{ data: '192.0.2.1' }] },
    });
    expect((await x.get('/explain?name=www.elsewhere.test&client=192.0.2.1')).json).toMatchObject({
      zone: null,
      answer: { rcode: 'REFUSED', outcome: 'refused' },
    });
  });

  it('format=text is the command line text, trace=1 adds the trace', async () => {
    const x = await serve();
    const r = await x.get('/explain?name=www.a.test&client=192.0.2.1&format=text');
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.text).toMatch(/^question {2}www\.a\.test\. A\n/);
    expect(r.text).toContain('steer: failover');
    expect(r.text).not.toContain('\ntrace');
    expect(
      (await x.get('/explain?name=www.a.test&client=192.0.2.1&format=text&trace=1')).text,
    ).toContain('\ntrace');
  });

  it('leaves the live weighted rotation alone', async () => {
    const files = {
      'w.test.yaml': `
zone: w.test
nameservers:
  ns1.w.test: [192.0.2.53]
sites:
  one: { addresses: [192.0.2.1], weight: 1 }
  two: { addresses: [192.0.2.2], weight: 1 }
records:
  www: { steer: weighted, sites: [one, two] }
`,
    };
    const x = await serve({}, files);
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      picks.push(...(await x.a('www.w.test')));
      // Explaining between queries must not take a turn of the server's rotation.
      expect((await x.get('/explain?name=www.w.test&client=192.0.2.1')).status).toBe(200);
    }
    expect(picks).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.1', '192.0.2.2']);
  });

  it('explains the generation being served, not zone files edited since', async () => {
    const x = await serve();
    const addresses = async () =>
      (await x.get('/explain?name=www.b.test&client=192.0.2.1')).json as {
        answer: { answer: { data: string }[] };
      };
    expect((await addresses()).answer.answer.map((r) => r.data)).toEqual(['198.51.100.10']);
    await x.s.write('b.test.yaml', B_TEST.replace('198.51.100.10', '198.51.100.11'));
    // Not reloaded yet: the server still answers .10, and so does explain.
    expect(await x.a('www.b.test')).toEqual(['198.51.100.10']);
    expect((await addresses()).answer.answer.map((r) => r.data)).toEqual(['198.51.100.10']);
    await x.s.server.reload();
    expect((await addresses()).answer.answer.map((r) => r.data)).toEqual(['198.51.100.11']);
  });
});
