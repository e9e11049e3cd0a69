// docs/admin.md cannot drift from the code: its config example loads, its /status sample has the
// fields a real /status has, its metrics table lists the metrics a real /metrics exposes, and its
// error table every code in the catalogue.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminErrorCode } from '../src/admin/errors.js';
import { loadConfig } from '../src/config.js';
import { LOOPBACK_ADMIN, parseMetrics, request } from './helpers/admin.js';
import { startServer, type TestServer } from './helpers/server.js';

const ZONE = `
zone: d.test
nameservers:
  ns1.d.test: [192.0.2.53]
sites:
  fra: { addresses: [192.0.2.10] }
records:
  www: { steer: weighted, sites: [fra] }
`;

let md = '';
let s: TestServer;
beforeAll(async () => {
  md = await readFile('docs/admin.md', 'utf8');
  s = await startServer({ 'd.test.yaml': ZONE }, { admin: LOOPBACK_ADMIN });
});
afterAll(() => s.stop());

const block = (tag: string) => {
  const m = new RegExp('```' + tag + '\\n([\\s\\S]*?)```').exec(md);
  expect(m, `a \`\`\`${tag} block in docs/admin.md`).not.toBeNull();
  return m![1]!;
};

/** Every key path of a JSON value, arrays read through their first element. */
function shape(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.length ? shape(v[0], `${at}[]`) : [`${at}[]`];
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => {
      const p = at ? `${at}.${k}` : k;
      // Objects that may be null in one document and set in another: compare their own keys only.
      return ['lastResult', 'lastTransition', 'lastError'].includes(k) ? [p] : [p, ...shape(x, p)];
    });
  return [];
}

describe('docs/admin.md', () => {
  it('the configuration example loads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-doc-'));
    try {
      await writeFile(join(dir, 'admin-token'), 'from-the-docs\n');
      await writeFile(join(dir, 'geosteer.yaml'), block('yaml config'));
      expect((await loadConfig(join(dir, 'geosteer.yaml'))).admin).toEqual({
        listen: { host: '127.0.0.1', port: 8053 },
        token: null,
        tokenFile: join(dir, 'admin-token'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the /status sample has exactly the fields of a real /status', async () => {
    // With an override, so the real document's overrides list has an entry to compare.
    await request(s.server.admin!.address!.url, 'POST', '/sites/fra/drain');
    const real = (await request(s.server.admin!.address!.url, 'GET', '/status')).json;
    expect(shape(JSON.parse(block('json status'))).sort()).toEqual(shape(real).sort());
  });

  it('the metrics table lists every geosteer metric /metrics exposes', async () => {
    const text = (await request(s.server.admin!.address!.url, 'GET', '/metrics')).text;
    const exposed = new Set([...text.matchAll(/^# TYPE (geosteer_\w+) /gm)].map((m) => m[1]!));
    const documented = new Set([...md.matchAll(/^\| `(geosteer_\w+)`/gm)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...exposed].sort());
    expect(parseMetrics(text).length).toBeGreaterThan(0);
  });

  it('the error table has every code of the catalogue', () => {
    for (const code of Object.values(AdminErrorCode)) expect(md).toContain(`\`${code}\``);
  });
});
