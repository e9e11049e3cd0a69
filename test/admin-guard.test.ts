// The admin API refuses what a web page in a browser on the same machine could send it (a
// cross-site form or fetch, a DNS-rebinding page) and what a misconfigured client sends (a token
// to a server without one), and changes nothing when it does: each forged request is followed by
// the site's state in /status and a real DNS answer over UDP, both as before. Requests are sent
// with node:http so a test can write any Host, Origin and Sec-Fetch-Site, as a browser would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalHost,
  hostAllowed,
  isJsonContentType,
  originAllowed,
} from '../src/admin/guard.js';
import { MAX_BODY_OCTETS } from '../src/admin/body.js';
import { queryUdp } from './helpers/dns-client.js';
import { LOOPBACK_ADMIN, rawRequest, request, type HttpReply } from './helpers/admin.js';
import { startServer, type TestServer } from './helpers/server.js';

const ZONE = `
zone: g.test
nameservers:
  ns1.g.test: [192.0.2.53]
sites:
  fra: { addresses: [192.0.2.10] }
  ams: { addresses: [192.0.2.20] }
records:
  www:
    steer: failover
    groups: [[fra], [ams]]
`;

const errorCode = (r: HttpReply) => (r.json as { error?: { code: string } }).error?.code;
const JSON_CT = { 'content-type': 'application/json' };

async function answerOf(s: TestServer): Promise<string[]> {
  const p = await queryUdp(s.port, 'www.g.test', 'A');
  return (p.answers ?? []).map((r) => String((r as { data: string }).data));
}

async function overridesOf(s: TestServer): Promise<unknown[]> {
  const r = await request(s.admin!.address!.url, 'GET', '/status');
  return (r.json as { overrides: unknown[] }).overrides;
}

describe('forged requests change nothing', () => {
  let s: TestServer;
  let addr: { host: string; port: number; url: string };
  let own: string;
  beforeAll(async () => {
    s = await startServer({ 'g.test.yaml': ZONE }, { admin: LOOPBACK_ADMIN });
    addr = s.admin!.address!;
    own = `127.0.0.1:${addr.port}`;
  });
  afterAll(() => s.stop());

  // [what, headers, body, status, code]
  const forged: [string, () => Record<string, string | null>, string, number, string][] = [
    [
      'a DNS-rebinding Host',
      () => ({ host: `evil.example:${addr.port}`, ...JSON_CT }),
      '',
      403,
      'forbidden-host',
    ],
    [
      'Host and Origin of another site (the issue)',
      () => ({ host: 'evil.example', origin: 'http://evil.example', ...JSON_CT }),
      '',
      403,
      'forbidden-host',
    ],
    ['no Host at all', () => ({ host: null, ...JSON_CT }), '', 403, 'forbidden-host'],
    [
      'another loopback address',
      () => ({ host: `127.0.0.2:${addr.port}`, ...JSON_CT }),
      '',
      403,
      'forbidden-host',
    ],
    [
      'a name that resolves to loopback, not localhost',
      () => ({ host: `localhost.evil.example:${addr.port}`, ...JSON_CT }),
      '',
      403,
      'forbidden-host',
    ],
    [
      'an Origin of the same name on another port',
      () => ({ host: own, origin: `http://localhost:${addr.port}`, ...JSON_CT }),
      '',
      403,
      'forbidden-origin',
    ],
    [
      'an Origin of another site',
      () => ({ host: own, origin: 'http://evil.example', ...JSON_CT }),
      '{}',
      403,
      'forbidden-origin',
    ],
    [
      'an Origin of another local port (same site, not same origin)',
      () => ({ host: own, origin: 'http://127.0.0.1:3000', ...JSON_CT }),
      '{}',
      403,
      'forbidden-origin',
    ],
    [
      'Origin: null (a sandboxed frame)',
      () => ({ host: own, origin: 'null', ...JSON_CT }),
      '',
      403,
      'forbidden-origin',
    ],
    [
      'the own address over https (not this listener)',
      () => ({ host: own, origin: `https://${own}`, ...JSON_CT }),
      '',
      403,
      'forbidden-origin',
    ],
    [
      'Sec-Fetch-Site: cross-site',
      () => ({ host: own, 'sec-fetch-site': 'cross-site', ...JSON_CT }),
      '',
      403,
      'forbidden-origin',
    ],
    [
      'Sec-Fetch-Site: same-site',
      () => ({ host: own, 'sec-fetch-site': 'same-site', ...JSON_CT }),
      '',
      403,
      'forbidden-origin',
    ],
    [
      'a text/plain fetch (no preflight)',
      () => ({ host: own, 'content-type': 'text/plain' }),
      '{}',
      415,
      'json-required',
    ],
    [
      'a form post',
      () => ({ host: own, 'content-type': 'application/x-www-form-urlencoded' }),
      'reason=x',
      415,
      'json-required',
    ],
    [
      'a multipart form post',
      () => ({ host: own, 'content-type': 'multipart/form-data; boundary=x' }),
      '--x--\r\n',
      415,
      'json-required',
    ],
    [
      'no Content-Type (no-cors fetch, curl -X POST)',
      () => ({ host: own }),
      '',
      415,
      'json-required',
    ],
    [
      'JSON in another charset',
      () => ({ host: own, 'content-type': 'application/json; charset=utf-16' }),
      '',
      415,
      'json-required',
    ],
    [
      'a token to a server that has none',
      () => ({ host: own, authorization: 'Bearer s3cret', ...JSON_CT }),
      '',
      401,
      'unexpected-token',
    ],
  ];

  it.each(forged)('%s: refused', async (_what, headers, body, status, code) => {
    const before = await answerOf(s);
    expect(before).toEqual(['192.0.2.10']);
    const r = await rawRequest(addr, 'POST', '/sites/fra/force-down', headers(), body);
    expect([r.status, errorCode(r)]).toEqual([status, code]);
    expect(await overridesOf(s)).toEqual([]);
    expect(await answerOf(s)).toEqual(before);
  });

  it('a token sent to a server without one is told why, with WWW-Authenticate', async () => {
    const r = await rawRequest(addr, 'GET', '/status', { authorization: 'Bearer s3cret' });
    expect(r.status).toBe(401);
    expect((r.json as { error: { message: string } }).error.message).toMatch(
      /has no token configured/,
    );
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="geosteer admin"/);
  });

  it('reads are refused under another Host too (DNS rebinding reads /status)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await rawRequest(addr, method, '/status', { host: `evil.example:${addr.port}` });
      expect(r.status).toBe(403);
    }
  });

  it('a CORS preflight gets no Access-Control-Allow-* header', async () => {
    const r = await rawRequest(addr, 'OPTIONS', '/sites/fra/force-down', {
      host: own,
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(r.status).toBe(405);
    expect([...r.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('the same request from its own origin (the status page) is accepted', async () => {
    for (const [host, origin] of [
      [own, `http://${own}`],
      [`localhost:${addr.port}`, `http://localhost:${addr.port}`],
    ] as const) {
      const r = await rawRequest(
        addr,
        'POST',
        '/sites/fra/force-down',
        { host, origin, 'sec-fetch-site': 'same-origin', ...JSON_CT },
        JSON.stringify({ reason: 'from the page' }),
      );
      expect(r.status).toBe(200);
      expect(await answerOf(s)).toEqual(['192.0.2.20']);
      expect(await overridesOf(s)).toMatchObject([
        { site: 'fra', state: 'down', reason: 'from the page (admin API, 127.0.0.1)' },
      ]);
      expect((await request(addr.url, 'POST', '/sites/fra/clear')).status).toBe(200);
      expect(await answerOf(s)).toEqual(['192.0.2.10']);
    }
  });
});

describe('request bodies of changes', () => {
  let s: TestServer;
  let url: string;
  beforeAll(async () => {
    s = await startServer({ 'g.test.yaml': ZONE }, { admin: LOOPBACK_ADMIN });
    url = s.admin!.address!.url;
  });
  afterAll(() => s.stop());

  it('as the status page sends it: fetch, JSON content type, a JSON object', async () => {
    // The contract of docs/admin.md#requests: what a same-origin page's fetch() sends.
    const res = await fetch(`${url}/sites/fra/drain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'CHG-7', zone: 'g.test' }),
    });
    expect(res.status).toBe(200);
    expect(await overridesOf(s)).toMatchObject([
      { zone: 'g.test', site: 'fra', state: 'drain', reason: 'CHG-7 (admin API, 127.0.0.1)' },
    ]);
    expect(await answerOf(s)).toEqual(['192.0.2.20']);
    expect((await request(url, 'POST', '/sites/fra/clear', { body: {} })).status).toBe(200);
    expect(await answerOf(s)).toEqual(['192.0.2.10']);
  });

  it.each([
    ['not JSON', '{reason:', 400, 'bad-body'],
    ['a JSON array', '["fra"]', 400, 'bad-body'],
    ['a JSON string', '"fra"', 400, 'bad-body'],
    ['an unknown key', '{"site":"ams"}', 400, 'bad-body'],
    ['a reason that is not a string', '{"reason":42}', 400, 'bad-body'],
    [
      'over the size limit',
      JSON.stringify({ reason: 'x'.repeat(MAX_BODY_OCTETS) }),
      413,
      'body-too-large',
    ],
  ])('%s: refused, nothing changes', async (_what, body, status, code) => {
    const r = await rawRequest(s.admin!.address!, 'POST', '/sites/fra/force-down', JSON_CT, body);
    expect([r.status, errorCode(r)]).toEqual([status, code]);
    expect(await overridesOf(s)).toEqual([]);
    expect(await answerOf(s)).toEqual(['192.0.2.10']);
  });

  it('a parameter in the query and in the body is an error', async () => {
    const r = await request(url, 'POST', '/sites/fra/drain?reason=a', { body: { reason: 'b' } });
    expect([r.status, errorCode(r)]).toEqual([400, 'bad-param']);
    expect(await overridesOf(s)).toEqual([]);
  });
});

describe('with a token', () => {
  it('a change needs the token and the same-origin rules; either alone is refused', async () => {
    const s = await startServer(
      { 'g.test.yaml': ZONE },
      { admin: { ...LOOPBACK_ADMIN, token: 's3cret' } },
    );
    try {
      const addr = s.admin!.address!;
      const auth = { authorization: 'Bearer s3cret' };
      const cases: [Record<string, string>, number][] = [
        [JSON_CT, 401],
        [{ ...auth, 'content-type': 'text/plain' }, 415],
        [{ ...auth, ...JSON_CT, origin: 'http://evil.example' }, 403],
        [{ ...auth, ...JSON_CT, host: `evil.example:${addr.port}` }, 403],
        [{ ...auth, ...JSON_CT }, 200],
      ];
      for (const [headers, status] of cases)
        expect((await rawRequest(addr, 'POST', '/sites/fra/force-down', headers)).status).toBe(
          status,
        );
      expect(await answerOf(s)).toEqual(['192.0.2.20']);
    } finally {
      await s.stop();
    }
  });
});

describe('admin.allowed_hosts', () => {
  it('lets the names listed through, with any port, and no other', async () => {
    const s = await startServer(
      { 'g.test.yaml': ZONE },
      { admin: { ...LOOPBACK_ADMIN, allowedHosts: ['geosteer-admin.internal'] } },
    );
    try {
      const addr = s.admin!.address!;
      const post = (headers: Record<string, string>) =>
        rawRequest(addr, 'POST', '/sites/fra/drain', { ...JSON_CT, ...headers });
      expect((await post({ host: 'geosteer-admin.internal' })).status).toBe(200);
      expect((await post({ host: 'GEOSTEER-ADMIN.internal:443' })).status).toBe(200);
      expect(
        (await post({ host: 'geosteer-admin.internal', origin: 'https://geosteer-admin.internal' }))
          .status,
      ).toBe(200);
      expect((await post({ host: 'other.internal' })).status).toBe(403);
      expect(
        (await post({ host: 'geosteer-admin.internal', origin: 'https://other.internal' })).status,
      ).toBe(403);
      expect(
        (await rawRequest(addr, 'GET', '/status', { host: 'geosteer-admin.internal' })).status,
      ).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('on IPv6 loopback', () => {
  it('[::1]:PORT and localhost:PORT are its own; 127.0.0.1:PORT is not', async () => {
    const s = await startServer(
      { 'g.test.yaml': ZONE },
      { admin: { ...LOOPBACK_ADMIN, listen: { host: '::1', port: 0 } } },
    );
    try {
      const addr = s.admin!.address!;
      expect(addr.url).toBe(`http://[::1]:${addr.port}`);
      const post = (host: string, origin?: string) =>
        rawRequest(addr, 'POST', '/sites/fra/drain', {
          ...JSON_CT,
          host,
          ...(origin ? { origin } : {}),
        });
      expect((await post(`[::1]:${addr.port}`, `http://[::1]:${addr.port}`)).status).toBe(200);
      expect((await post(`[0:0:0:0:0:0:0:1]:${addr.port}`)).status).toBe(200);
      expect((await post(`localhost:${addr.port}`)).status).toBe(200);
      expect((await post(`127.0.0.1:${addr.port}`)).status).toBe(403);
      expect((await post(`[::1]:${addr.port}`, 'http://[::1]:1')).status).toBe(403);
      // fetch() over IPv6, as curl would be used.
      expect((await request(addr.url, 'POST', '/sites/fra/clear')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('the checks, one by one', () => {
  const local = { address: '127.0.0.1' };
  const none = new Set<string>();
  it.each([
    ['127.0.0.1:8053', true],
    ['127.0.0.1', true],
    ['127.0.0.1:9000', true], // through ssh -L 9000:127.0.0.1:8053
    ['localhost:8053', true],
    ['LocalHost', true],
    ['127.0.0.2:8053', false],
    ['[::1]:8053', false],
    ['evil.example:8053', false],
    ['localhost.:8053', false],
    ['127.0.0.1:8053:1', false],
    ['127.0.0.1:', false],
    ['', false],
    [undefined, false],
  ])('Host %j on 127.0.0.1: %s', (host, want) => {
    expect(hostAllowed(host, local, none)).toBe(want);
  });

  it('an IPv4 connection to a dual-stack socket is its IPv4 address', () => {
    expect(hostAllowed('127.0.0.1:8053', { address: '::ffff:127.0.0.1' }, none)).toBe(true);
  });

  it('localhost only when the connection arrived on loopback', () => {
    expect(hostAllowed('localhost:8053', { address: '192.0.2.1' }, none)).toBe(false);
    expect(hostAllowed('192.0.2.1:8053', { address: '192.0.2.1' }, none)).toBe(true);
  });

  it.each([
    ['http://127.0.0.1:8053', '127.0.0.1:8053', true],
    ['http://127.0.0.1:9000', '127.0.0.1:9000', true],
    ['http://localhost:8053', 'localhost:8053', true],
    ['http://127.0.0.1', '127.0.0.1', true],
    ['http://127.0.0.1:80', '127.0.0.1', true],
    ['http://localhost:8053', '127.0.0.1:8053', false],
    ['http://127.0.0.1:8054', '127.0.0.1:8053', false],
    ['https://127.0.0.1:8053', '127.0.0.1:8053', false],
    ['http://127.0.0.1', '127.0.0.1:8053', false],
    ['null', '127.0.0.1:8053', false],
    ['file://', '127.0.0.1:8053', false],
    ['http://evil.example:8053', 'evil.example:8053', true], // the Host check refuses it first
  ])('Origin %j with Host %j: %s', (origin, host, want) => {
    expect(originAllowed(origin, host, none)).toBe(want);
  });

  it('an allowed name is its own origin over http or https, any port', () => {
    const allowed = new Set(['admin.internal']);
    expect(originAllowed('https://admin.internal', '127.0.0.1:8053', allowed)).toBe(true);
    expect(originAllowed('http://admin.internal:8080', '127.0.0.1:8053', allowed)).toBe(true);
    expect(originAllowed('https://other.internal', 'admin.internal', allowed)).toBe(false);
  });

  it.each([
    ['application/json', true],
    ['Application/JSON; charset=UTF-8', true],
    ['application/json;charset="utf-8"', true],
    ['application/json; charset=latin1', false],
    ['application/json-patch+json', false],
    ['text/plain', false],
    [undefined, false],
  ])('Content-Type %j is JSON: %s', (value, want) => {
    expect(isJsonContentType(value)).toBe(want);
  });

  it('host names compare in lower case, IPv6 in its short form', () => {
    expect(['A.Example', '[2001:DB8:0::1]', '2001:db8:0:0::1'].map(canonicalHost)).toEqual([
      'a.example',
      '2001:db8::1',
      '2001:db8::1',
    ]);
  });
});
