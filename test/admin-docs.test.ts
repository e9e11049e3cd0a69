// docs/admin.md cannot drift from the code: its config example loads, its /status sample has the
// fields a real /status has, its metrics table lists the metrics a real /metrics exposes, its
// error table every code in the catalogue, and every curl command in it and in the README is run
// with the real curl against a real server and gets the status the docs imply.
import { execFile } from 'node:child_process';
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
        allowedHosts: ['geosteer-admin.internal'],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the /status sample has exactly the fields of a real /status', async () => {
    // With an override, so the real document's overrides list has an entry to compare.
    await request(s.admin!.address!.url, 'POST', '/sites/fra/drain');
    const real = (await request(s.admin!.address!.url, 'GET', '/status')).json;
    expect(shape(JSON.parse(block('json status'))).sort()).toEqual(shape(real).sort());
  });

  it('the metrics table lists every geosteer metric /metrics exposes', async () => {
    const text = (await request(s.admin!.address!.url, 'GET', '/metrics')).text;
    const exposed = new Set([...text.matchAll(/^# TYPE (geosteer_\w+) /gm)].map((m) => m[1]!));
    const documented = new Set([...md.matchAll(/^\| `(geosteer_\w+)`/gm)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...exposed].sort());
    expect(parseMetrics(text).length).toBeGreaterThan(0);
  });

  it('the error table has every code of the catalogue', () => {
    for (const code of Object.values(AdminErrorCode)) expect(md).toContain(`\`${code}\``);
  });
});

/** The zones the docs' examples name: gslb.example.com with three sites; fra in another zone. */
const DOC_ZONES = {
  'gslb.example.com.yaml': `
zone: gslb.example.com
nameservers:
  ns1.gslb.example.com: [192.0.2.53]
sites:
  us-east: { addresses: [192.0.2.10, 192.0.2.11, 192.0.2.12] }
  eu-west: { addresses: [192.0.2.20] }
  ap-south: { addresses: [192.0.2.30] }
records:
  www: { steer: weighted, sites: [us-east, eu-west, ap-south] }
`,
  'maint.example.com.yaml': `
zone: maint.example.com
nameservers:
  ns1.maint.example.com: [192.0.2.53]
sites:
  fra: { addresses: [198.51.100.10] }
records:
  www: { steer: weighted, sites: [fra] }
`,
};

/** Every curl command of a markdown file: lines of sh blocks, and inline code spans. */
function curlCommands(text: string): string[] {
  const out: string[] = [];
  for (const b of text.matchAll(/```sh\n([\s\S]*?)```/g))
    for (const line of b[1]!.split('\n')) {
      const m = /^(?:\$ )?(curl .*)$/.exec(line);
      if (m) out.push(m[1]!);
    }
  for (const m of text.matchAll(/`(curl [^`]+)`/g)) out.push(m[1]!);
  return out;
}

/**
 * Run one documented command with bash (pipefail: a failing curl fails the pipe), the admin
 * address of the docs replaced by the test server's; each HTTP status curl received is written
 * to stderr (curl's -w %{stderr}), so stdout stays what the docs pipe into jq.
 */
function runCurl(
  command: string,
  port: number,
  tokenFile: string,
): Promise<{ code: number; stdout: string; statuses: number[] }> {
  const cmd = command
    .replace(/127\.0\.0\.1:805[34]/g, `127.0.0.1:${port}`)
    .replace('/etc/geosteer/admin-token', tokenFile);
  const script = `curl() { command curl -w '%{stderr}HTTP %{http_code}\\n' "$@"; }\n${cmd}`;
  return new Promise((resolve) => {
    execFile('bash', ['-o', 'pipefail', '-c', script], (err, stdout, stderr) => {
      const statuses = [...stderr.matchAll(/^HTTP (\d+)$/gm)].map((m) => Number(m[1]));
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, statuses });
    });
  });
}

describe('the curl commands of docs/admin.md and the README', () => {
  it('each runs against a real server and gets what the docs say', async () => {
    const readme = await readFile('README.md', 'utf8');
    const commands = [...curlCommands(md), ...curlCommands(readme)];
    // All of them: the docs' sh blocks and steps, the README's admin block and its demo.
    expect(commands.length).toBeGreaterThanOrEqual(17);
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-curl-'));
    const tokenFile = join(dir, 'admin-token');
    await writeFile(tokenFile, 'from-the-docs\n');
    const open = await startServer(DOC_ZONES, { admin: LOOPBACK_ADMIN });
    const locked = await startServer(DOC_ZONES, { admin: { ...LOOPBACK_ADMIN, tokenFile } });
    try {
      for (const command of commands) {
        const server = command.includes('Authorization') ? locked : open;
        const r = await runCurl(command, server.admin!.address!.port, tokenFile);
        const unknownSite = command.includes('/sites/iad/');
        expect({ command, code: r.code, statuses: r.statuses }).toEqual({
          command,
          code: 0,
          statuses: [unknownSite ? 404 : 200],
        });
        // The docs show the reply under the command, in the same block: it must be the real one.
        if (unknownSite) {
          const after = md.slice(md.indexOf(command) + command.length + 1);
          expect(r.stdout).toBe(after.slice(0, after.indexOf('```')));
        }
      }
      // The changes took effect: the last word on eu-west was the README's clear, on fra the
      // runbook's undrain; us-east's address is still forced down.
      const status = (await request(open.admin!.address!.url, 'GET', '/status')).json as {
        overrides: { site: string; address: string | null; state: string }[];
      };
      expect(status.overrides.map((o) => [o.site, o.address, o.state])).toEqual([
        ['us-east', '192.0.2.11', 'down'],
      ]);
    } finally {
      await open.stop();
      await locked.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
