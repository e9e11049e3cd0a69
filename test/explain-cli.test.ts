// `geosteer explain`, run as the real CLI (node --import tsx src/cli.ts) over a zone, City
// databases and overrides written to a temp dir (test/explain-fixture.ts) and named in a config.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { explain, type Explanation } from '../src/explain/explain.js';
import { openGeoLocator } from '../src/geoip/index.js';
import { HealthTable } from '../src/health/table.js';
import { loadZoneDir } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import { DB_V4, writeSetup, ZONE, ZONE_FILE } from './explain-fixture.js';
import { runCliToEnd } from './helpers/cli.js';

const cli = runCliToEnd;

let dir = '';
let config = '';
let zonesDir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-explain-'));
  ({ config, zonesDir } = await writeSetup(dir));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What explain() says in-process with the config's zones and GeoIP data (fresh rotations). */
async function inProcess(name: string, type: string, client: string): Promise<Explanation> {
  const cfg = await loadConfig(config);
  const geo = await openGeoLocator(cfg.geoip, { watch: false });
  try {
    const { zones } = await loadZoneDir(cfg.zones);
    return explain(new ZoneSet(zones, 1), geo, new HealthTable(), name, type, client);
  } finally {
    geo.close();
  }
}

describe.concurrent('geosteer explain: text', () => {
  it('prints where the client is, every site with its distance, and the answer with TTL and ECS scope', async () => {
    const r = await cli('explain', `www.${ZONE}`, 'A', '--client', '81.0.1.7', '-c', config);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n')).toEqual([
      `question  www.${ZONE}. A`,
      'client    81.0.1.7 (ECS source /32), steered as 81.0.1.0/24 (cut to /24, as the server cuts ECS)',
      `location  database ${DB_V4}, network 81.0.0.0/16 (/16)`,
      '          country FR, continent EU, at 48.86, 2.35',
      `zone      ${ZONE} (${join(zonesDir, ZONE_FILE)})`,
      '',
      `www.${ZONE}.  steer: nearest (IPv4, ttl 30, at most 8 addresses, when_all_down serve_all)`,
      '  site      state    available  IPv4 addresses         distance',
      '  us-east   enabled  yes        192.0.2.10 192.0.2.11   6186 km',
      '  eu-west   enabled  yes        198.51.100.10            781 km  <- answers',
      '  ap-south  enabled  yes        203.0.113.10            7010 km',
      '  decided by  distance: the nearest site',
      '  answer      eu-west: 198.51.100.10',
      '  ECS scope   /16',
      '',
      'answer    NOERROR, ECS scope /16',
      `  www.${ZONE}. 30 IN A 198.51.100.10`,
      '',
    ]);
  });

  it('names the override file and line that placed the client', async () => {
    const r = await cli('explain', `www.${ZONE}`, '--client', '10.20.0.0/16', '-c', config);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `location  override ${join(dir, 'overrides.yaml')}:2, network 10.20.0.0/16 (/16)\n          site eu-west\n`,
    );
    expect(r.stdout).toContain(
      `  decided by  override ${join(dir, 'overrides.yaml')}:2 names site eu-west\n`,
    );
  });

  it('for a weighted name, says the pick is from a fresh rotation', async () => {
    const r = await cli('explain', `api.${ZONE}`, 'A', '--client', '2a00:1000::/48', '-c', config);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /note {8}the pick of a fresh rotation .* 3:2:1 \(us-east, eu-west, ap-south\)\n/,
    );
    expect(r.stdout).toContain('(not used: no policy on the way asked where the client is)');
  });

  it('--trace appends the resolver and policy trace', async () => {
    const r = await cli(
      'explain',
      `db.${ZONE}`,
      'A',
      '--client',
      '81.0.1.7',
      '-c',
      config,
      '--trace',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\ntrace\n  site eu-old: drained\n');
  });

  it('-z takes the zones from another directory than the config names', async () => {
    const other = join(dir, 'other-zones');
    await mkdir(other, { recursive: true });
    await writeFile(
      join(other, 'other.test.yaml'),
      'zone: other.test\nnameservers:\n  ns1.example.net.:\nrecords:\n  www:\n    A: [192.0.2.80]\n',
    );
    const r = await cli(
      'explain',
      'www.other.test',
      'A',
      '--client',
      '81.0.1.7',
      '-c',
      config,
      '-z',
      other,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'answer    NOERROR, ECS scope /0 (not steered: the same for every client)\n  www.other.test. 300 IN A 192.0.2.80\n',
    );
  });
});

describe.concurrent('geosteer explain --json', () => {
  it.each([
    [`www.${ZONE}`, 'A', '81.0.1.7'],
    [`alias.${ZONE}`, 'AAAA', '2600:1000::1'],
    [`api.${ZONE}`, 'A', '24.0.0.1'],
    [`db.${ZONE}`, 'A', '126.0.0.1'],
    [`login.${ZONE}`, 'A', '41.0.9.0/24'],
    [`shop.${ZONE}`, 'A', '10.30.1.1'],
    [`nope.${ZONE}`, 'A', '81.0.1.7'],
  ])('%s %s for %s prints what explain() returns', async (name, type, client) => {
    const r = await cli('explain', name, type, '--client', client, '--config', config, '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toEqual(await inProcess(name, type, client));
  });
});

describe.concurrent('geosteer explain: failures exit 1 with a message', () => {
  it('a name in no zone', async () => {
    const r = await cli('explain', 'www.example.org', 'A', '--client', '81.0.1.7', '-c', config);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `explain: www.example.org is in no zone served from ${zonesDir} (zones: ${ZONE}); the server would answer REFUSED\n`,
    );
  });

  it('a broken zone directory: every problem, file:line:col', async () => {
    const broken = join(dir, 'broken-zones');
    await mkdir(broken, { recursive: true });
    await writeFile(
      join(broken, 'b.test.yaml'),
      'zone: b.test\nnameservers:\n  ns1.example.net.:\nrecords:\n  www:\n    steer: nearest\n    sites: [nowhere]\n',
    );
    const r = await cli(
      'explain',
      'www.b.test',
      'A',
      '--client',
      '81.0.1.7',
      '-c',
      config,
      '-z',
      broken,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${join(broken, 'b.test.yaml')}:7:13: records\\.www\\.sites\\[0\\]: unknown site "nowhere"`,
      ),
    );
    expect(r.stderr).toMatch(/explain: 1 problem\(s\) in .*broken-zones; nothing explained\n$/);
  });

  it('a zones directory that does not exist', async () => {
    const r = await cli(
      'explain',
      `www.${ZONE}`,
      'A',
      '--client',
      '81.0.1.7',
      '-c',
      config,
      '-z',
      join(dir, 'nope'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ENOENT');
  });

  it.each([
    [['A', '--client', 'not-an-address'], /^explain: not an address or network/],
    [['BOGUS', '--client', '81.0.1.7'], /^explain: not a query type: "BOGUS"/],
    [['A'], /required option '--client <addr\[\/prefix\]>' not specified/],
  ])('bad arguments %j', async (args, message) => {
    const r = await cli('explain', `www.${ZONE}`, ...args, '-c', config);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
