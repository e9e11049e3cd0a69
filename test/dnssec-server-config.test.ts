// `dnssec:` in the server config (docs/dnssec.md#configuration): defaults for every zone file's
// `dnssec:`, which writes only what it changes (or `dnssec: true` to take them all). Mistakes in
// either file are problems at file:line:col, unknown keys included; a key-file problem for a key
// directory the server config names is reported there. End to end: `geosteer serve --config`
// with the defaults signs a `dnssec: true` zone, on one answer thread and on two.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, ProblemsError } from '../src/base/errors.js';
import { loadConfig } from '../src/config.js';
import type { DnssecDefaults } from '../src/dnssec/config.js';
import { writeKeyFiles } from '../src/dnssec/key-files.js';
import { generateKey } from '../src/dnssec/keys.js';
import { compileText, loadZoneFiles } from '../src/zone/load.js';
import { type Cli, freePort, runCli, runCliToEnd } from './helpers/cli.js';
import { run } from './dnssec-fixture.js';

const ZONE = 'gslb.example.com';
const FILE = 'zones/gslb.example.com.yaml';
const head = `zone: ${ZONE}\nnameservers:\n  ns1.${ZONE}: [127.0.0.1]\n`;

let dir: string;
const procs: Cli[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-dnssec-server-config-'));
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function configProblems(text: string): Promise<string[]> {
  const file = join(dir, 'bad.yaml');
  await writeFile(file, text);
  try {
    await loadConfig(file);
  } catch (e) {
    if (e instanceof ProblemsError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

describe('dnssec: in the server config', () => {
  it('reads defaults, the key directory relative to the config file', async () => {
    const file = join(dir, 'geosteer.yaml');
    await writeFile(
      file,
      'dnssec:\n  keys: keys\n  signature_validity: 7d\n  signature_refresh: 2d\n  inception_backdate: 30m\n  denial: compact\n  dnskey_ttl: 900\n',
    );
    expect((await loadConfig(file)).dnssec).toMatchObject({
      keysDir: join(dir, 'keys'),
      validity: 7 * 86400,
      refresh: 2 * 86400,
      inceptionBackdate: 1800,
      denial: 'compact',
      dnskeyTtl: 900,
      keysAt: { file, line: 2, col: 9, path: 'dnssec.keys' },
    });
  });

  it.each([
    [
      'an unknown key',
      'dnssec:\n  keys: keys\n  validty: 7d\n',
      ':3:3: dnssec.validty: unknown key "validty" in dnssec (expected one of: keys, signature_validity, signature_refresh, inception_backdate, denial, dnskey_ttl) [unknown-key]',
    ],
    [
      'a bad duration',
      'dnssec:\n  signature_validity: soon\n',
      ':2:23: dnssec.signature_validity: must be a duration of 3600s to 365d (seconds, or a number with s, m, h, d or w: "14d"), got string "soon" [bad-value]',
    ],
    [
      'a refresh as long as the validity',
      'dnssec:\n  signature_validity: 1d\n  signature_refresh: 1d\n',
      ':3:22: dnssec.signature_refresh: must be less than signature_validity (86400s), got 86400s [bad-value]',
    ],
    [
      'not a mapping',
      'dnssec: yes\n',
      ':1:9: dnssec: must be a mapping, got string "yes" [wrong-type]',
    ],
  ])('%s is a problem at its place in the config', async (_what, text, want) => {
    expect(await configProblems(text)).toEqual([`${join(dir, 'bad.yaml')}${want}`]);
  });
});

describe('a zone file over the server defaults', () => {
  const defaults: DnssecDefaults = {
    keysDir: '/srv/keys',
    keysAt: { file: '/etc/geosteer.yaml', line: 3, col: 9, path: 'dnssec.keys' },
    validity: 10 * 86400,
    refresh: 2 * 86400,
    dnskeyTtl: 900,
  };
  const compile = (stanza: string, d: DnssecDefaults | null = defaults) =>
    compileText(FILE, `${head}dnssec:${stanza}`, undefined, d);

  it('dnssec: true takes every value from the server config', () => {
    const r = compile(' true\n');
    expect(r.problems).toEqual([]);
    expect(r.zone!.dnssec!.config).toMatchObject({
      keysDir: '/srv/keys',
      validity: 10 * 86400,
      refresh: 2 * 86400,
      inceptionBackdate: 3600,
      denial: 'compact',
      dnskeyTtl: 900,
    });
  });

  it('a key the zone file writes wins; the others come from the server', () => {
    const r = compile('\n  keys: zone-keys\n  dnskey_ttl: 300\n');
    expect(r.problems).toEqual([]);
    expect(r.zone!.dnssec!.config).toMatchObject({
      keysDir: join(process.cwd(), 'zones', 'zone-keys'),
      validity: 10 * 86400,
      refresh: 2 * 86400,
      dnskeyTtl: 300,
    });
  });

  it("a zone's own validity takes its own default refresh, not the server's", () => {
    const r = compile('\n  signature_validity: 4d\n');
    expect(r.zone!.dnssec!.config).toMatchObject({ validity: 4 * 86400, refresh: 86400 });
  });

  it('a zone without dnssec: stays unsigned whatever the server config says', () => {
    const r = compileText(FILE, head, undefined, defaults);
    expect(r.problems).toEqual([]);
    expect(r.zone!.dnssec ?? null).toBeNull();
  });

  it.each([
    [
      'dnssec: true with no server defaults',
      ' true\n',
      null,
      `${FILE}:4:9: dnssec: missing required key "keys" (the directory of the zone's key files, made by "geosteer dnssec keygen"; or set dnssec.keys in the server config) [missing-key]`,
    ],
    [
      'an unknown key, with server defaults',
      '\n  denail: compact\n',
      defaults,
      `${FILE}:5:3: dnssec.denail: unknown key "denail" in dnssec (expected one of: keys, signature_validity, signature_refresh, inception_backdate, denial, dnskey_ttl) [unknown-key]`,
    ],
    [
      "a validity no longer than the server's refresh",
      '\n  signature_validity: 1d\n  signature_refresh: 2d\n',
      defaults,
      `${FILE}:6:22: dnssec.signature_refresh: must be less than signature_validity (86400s), got 172800s [bad-value]`,
    ],
  ])('%s is a problem at its place in the zone file', (_what, stanza, d, want) => {
    expect(compile(stanza, d).problems.map(formatProblem)).toEqual([want]);
  });

  it('a key directory from the server config with no key for the zone: the problem is there', async () => {
    const zoneFile = join(dir, 'nokeys.yaml');
    await writeFile(zoneFile, `${head}dnssec: true\n`);
    const empty = join(dir, 'empty-keys');
    const r = await loadZoneFiles([zoneFile], undefined, undefined, {
      ...defaults,
      keysDir: empty,
    });
    expect(r.zones).toEqual([]);
    expect(r.problems.map(formatProblem)).toEqual([
      `/etc/geosteer.yaml:3:9: dnssec.keys: no key for zone ${ZONE} in ${empty}: make one with "geosteer dnssec keygen ${ZONE} --dir ${empty}" [dnssec-key]`,
    ]);
  });
});

describe('docs/dnssec.md', () => {
  it('the server config example and the dnssec: true zone beside it load together', async () => {
    const md = await readFile('docs/dnssec.md', 'utf8');
    const config = /```yaml\n(# geosteer\.yaml\n[\s\S]*?)```/.exec(md)?.[1];
    const zone = /```yaml with-config\n([\s\S]*?)```/.exec(md)?.[1];
    expect(config).toBeDefined();
    expect(zone).toBeDefined();
    const base = await mkdtemp(join(dir, 'docs-'));
    await writeFile(join(base, 'geosteer.yaml'), config!);
    const cfg = await loadConfig(join(base, 'geosteer.yaml'));
    expect(cfg.dnssec).toMatchObject({ keysDir: '/var/lib/geosteer/keys', dnskeyTtl: 3600 });
    const r = compileText(FILE, zone!, undefined, cfg.dnssec);
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.zone!.dnssec!.config.keysDir).toBe('/var/lib/geosteer/keys');
    // Without the server config the same zone file is a problem, as `geosteer check` says.
    expect(compileText(FILE, zone!).problems.map((p) => p.code)).toEqual(['missing-key']);
  });
});

describe('geosteer serve and check with dnssec: defaults in the config', () => {
  async function setup(): Promise<string> {
    const base = await mkdtemp(join(dir, 'serve-'));
    await mkdir(join(base, 'zones'));
    await writeKeyFiles(
      join(base, 'keys'),
      generateKey(ZONE, { algorithm: 13, sep: true, now: Date.now() / 1000 - 86400 }),
    );
    await writeFile(
      join(base, 'zones', `${ZONE}.yaml`),
      `${head}dnssec: true\nrecords:\n  www:\n    A: [192.0.2.1]\n`,
    );
    const config = join(base, 'geosteer.yaml');
    await writeFile(config, 'zones: zones\ndnssec:\n  keys: keys\n  dnskey_ttl: 1234\n');
    return config;
  }

  it('check finds no problem with --config, and the missing key without it', async () => {
    const config = await setup();
    const ok = await runCliToEnd('check', '--config', config);
    expect(ok.code, ok.stderr).toBe(0);
    const zonesDir = join(config, '..', 'zones');
    const bad = await runCliToEnd('check', '--zones', zonesDir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('dnssec: missing required key "keys"');
  });

  it.each([1, 2])('serve on %i thread(s) signs the zone with the defaults', async (threads) => {
    const config = await setup();
    const port = await freePort();
    const cli = runCli([
      'serve',
      '--config',
      config,
      '-l',
      `127.0.0.1:${port}`,
      '--threads',
      String(threads),
      '--no-watch',
      '--no-admin',
      '--state-file',
      join(config, '..', 'state.json'),
    ]);
    procs.push(cli);
    await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
    const dig = (...q: string[]) =>
      run('dig', ['@127.0.0.1', '-p', String(port), '+dnssec', '+noall', '+answer', ...q]);
    expect((await dig(`www.${ZONE}`, 'A')).out).toMatch(/\sRRSIG\s+A 13 /);
    // The DNSKEY TTL from the server config.
    expect((await dig(ZONE, 'DNSKEY')).out).toMatch(/\s1234\s+IN\s+DNSKEY\s+257 /);
  });
});
