// The admin API of the real CLI (`node --import tsx src/cli.ts serve`): a drain and its clear
// survive restarts (the state file), /explain prints what `geosteer explain --json` prints, and
// the config file and flags set the listener and the token. Every child is stopped by its PID.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Cli, freePort, type LogLine, runCli } from './helpers/cli.js';
import { queryUdp } from './helpers/dns-client.js';
import { request } from './helpers/admin.js';
import { writeSetup } from './explain-fixture.js';

const ROOT = join(import.meta.dirname, '..');

const ZONE = `
zone: r.test
nameservers:
  ns1.r.test: [192.0.2.53]
sites:
  fra:
    addresses: [192.0.2.10]
  ams:
    addresses: [192.0.2.20]
records:
  www:
    steer: failover
    groups: [[fra], [ams]]
`;

const dirs: string[] = [];
const procs: Cli[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'geosteer-admin-cli-'));
  dirs.push(d);
  return d;
}

const isListening = (l: LogLine) => String(l.msg).startsWith('geosteer listening');
const isAdmin = (l: LogLine) => String(l.msg).startsWith('admin API listening on');

/** Start `serve` and wait until it answers; the admin API's URL from its log line. */
async function serve(args: string[]): Promise<{ cli: Cli; admin: string }> {
  const cli = runCli(['serve', '--no-watch', ...args]);
  procs.push(cli);
  await cli.waitFor(isListening, 30_000);
  const line = cli.lines.find(isAdmin);
  return { cli, admin: line ? String(line.admin) : '' };
}

async function stop(cli: Cli): Promise<void> {
  await cli.stop();
  expect((await cli.exited).code).toBe(0);
  procs.splice(procs.indexOf(cli), 1);
}

const answer = async (port: number) =>
  ((await queryUdp(port, 'www.r.test', 'A')).answers ?? []).map(
    (a) => (a as { data: string }).data,
  );

describe('overrides survive a restart', () => {
  it('a drain holds from the first answer after a restart; its clear does too', async () => {
    const dir = await tempDir();
    const zones = join(dir, 'zones');
    await mkdir(zones);
    await writeFile(join(zones, 'r.test.yaml'), ZONE);
    const stateFile = join(dir, 'state', 'geosteer-state.json');
    const port = await freePort();
    const args = [
      '-z',
      zones,
      '-l',
      `127.0.0.1:${port}`,
      '--state-file',
      stateFile,
      '--admin',
      '127.0.0.1:0',
    ];

    let { cli, admin } = await serve(args);
    expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await answer(port)).toEqual(['192.0.2.10']);
    const drained = await request(admin, 'POST', '/sites/fra/drain?reason=maintenance');
    expect(drained.status).toBe(200);
    expect(await answer(port)).toEqual(['192.0.2.20']);
    await stop(cli);

    ({ cli, admin } = await serve(args));
    // The first query after the restart already leaves fra out.
    expect(await answer(port)).toEqual(['192.0.2.20']);
    const status = (await request(admin, 'GET', '/status')).json as {
      stateFile: string;
      zones: { sites: { name: string; override: string | null; available: boolean }[] }[];
      overrides: { site: string; state: string; reason: string }[];
    };
    expect(status.stateFile).toBe(stateFile);
    expect(status.zones[0]!.sites.map((s) => [s.name, s.override, s.available])).toEqual([
      ['fra', 'drain', false],
      ['ams', null, true],
    ]);
    expect(status.overrides).toMatchObject([
      { site: 'fra', state: 'drain', reason: 'maintenance (admin API, 127.0.0.1)' },
    ]);
    expect((await request(admin, 'POST', '/sites/fra/clear')).status).toBe(200);
    expect(await answer(port)).toEqual(['192.0.2.10']);
    await stop(cli);

    ({ cli, admin } = await serve(args));
    expect(await answer(port)).toEqual(['192.0.2.10']);
    expect(
      ((await request(admin, 'GET', '/status')).json as { overrides: unknown[] }).overrides,
    ).toEqual([]);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toEqual({ version: 1, overrides: [] });
    await stop(cli);
  });
});

describe('/explain is `geosteer explain --json`', () => {
  function explainCli(
    config: string,
    name: string,
    type: string,
    client: string,
  ): Promise<unknown> {
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli.ts',
          'explain',
          name,
          type,
          '--client',
          client,
          '--config',
          config,
          '--json',
        ],
        { cwd: ROOT, timeout: 30_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
      ),
    );
  }

  it.each([
    // name, type, client: nearest from Paris, geo from Tokyo, weighted, sticky over IPv6, an override
    ['www.gslb.test', 'A', '81.0.0.7'],
    ['shop.gslb.test', 'A', '126.0.0.1'],
    ['api.gslb.test', 'A', '24.0.5.0/24'],
    ['login.gslb.test', 'AAAA', '2a00:1000::/32'],
    ['near.gslb.test', 'A', '10.30.0.1'],
  ])('%s %s for %s', async (name, type, client) => {
    const dir = await tempDir();
    const { config } = await writeSetup(dir);
    const port = await freePort();
    const { admin } = await serve([
      '--config',
      config,
      '-l',
      `127.0.0.1:${port}`,
      '--admin',
      '127.0.0.1:0',
      '--state-file',
      join(dir, 'state.json'),
    ]);
    const q = new URLSearchParams({ name, type, client });
    const [live, cli] = await Promise.all([
      request(admin, 'GET', `/explain?${q}`),
      explainCli(config, name, type, client),
    ]);
    expect(live.status).toBe(200);
    expect(live.json).toEqual(cli);
  });
});

describe('configuration', () => {
  it('admin: in the config file sets the address and the token file', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'zones', 'r.test.yaml'), ZONE);
    await writeFile(join(dir, 'admin-token'), 'tok-123\n');
    const [dns, adminPort] = [await freePort(), await freePort()];
    const config = join(dir, 'geosteer.yaml');
    await writeFile(
      config,
      [
        `listen: [127.0.0.1:${dns}]`,
        'zones: zones',
        'state_file: state.json',
        'admin:',
        `  listen: 127.0.0.1:${adminPort}`,
        '  token_file: admin-token',
        '',
      ].join('\n'),
    );
    const { cli, admin } = await serve(['--config', config]);
    expect(admin).toBe(`http://127.0.0.1:${adminPort}`);
    expect(cli.lines.find(isAdmin)).toMatchObject({
      token: true,
      msg: `admin API listening on http://127.0.0.1:${adminPort} (bearer token required)`,
    });
    expect((await request(admin, 'GET', '/status')).status).toBe(401);
    expect((await request(admin, 'GET', '/status', { token: 'wrong' })).status).toBe(401);
    expect((await request(admin, 'GET', '/status', { token: 'tok-123' })).status).toBe(200);
  });

  it('--no-admin starts no admin API', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'zones', 'r.test.yaml'), ZONE);
    const port = await freePort();
    const { cli, admin } = await serve([
      '-z',
      join(dir, 'zones'),
      '-l',
      `127.0.0.1:${port}`,
      '--no-admin',
      '--state-file',
      join(dir, 's.json'),
    ]);
    expect(admin).toBe('');
    expect(await answer(port)).toEqual(['192.0.2.10']);
    expect(cli.lines.some(isAdmin)).toBe(false);
  });

  it('refuses --admin on an address that is not loopback without a token', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'zones', 'r.test.yaml'), ZONE);
    const port = await freePort();
    const cli = runCli([
      'serve',
      '-z',
      join(dir, 'zones'),
      '-l',
      `127.0.0.1:${port}`,
      '--admin',
      '0.0.0.0:0',
      '--state-file',
      join(dir, 's.json'),
    ]);
    procs.push(cli);
    expect((await cli.exited).code).toBe(1);
    expect(cli.lines.at(-1)).toMatchObject({
      level: 60,
      msg: 'not starting: admin API on 0.0.0.0, not a loopback address, needs a token (admin.token or admin.token_file): it can drain sites',
    });
  });
});
