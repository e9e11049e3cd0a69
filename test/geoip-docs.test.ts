// docs/geoip.md and the example geoip/overrides.yaml, loaded so they cannot drift from the code.
//   ```yaml overrides        a complete overrides file: no problems
//   ```yaml geoip            a geosteer.yaml `geoip:` section: no problems (its files are built here)
//   ```yaml overrides-broken FILE   an overrides file with mistakes; the next ```text block holds
//                            exactly the problems it produces (not `yaml broken`: that tag is
//                            test/docs.test.ts's, for zone files)
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClientAddress } from '../src/base/address.js';
import { parseGeoipConfig } from '../src/geoip/config.js';
import { GeoIpLocator } from '../src/geoip/locator.js';
import { compileOverrides } from '../src/geoip/overrides.js';
import { formatProblem } from '../src/base/errors.js';
import { mapEntries, Source } from '../src/base/yaml-source.js';
import { buildGeoDatabase } from './helpers/mmdb-writer.js';

interface Block {
  info: string;
  body: string;
}

const md = await readFile('docs/geoip.md', 'utf8');
const blocks: Block[] = [];
{
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    blocks.push({ info: open[1]!.trim(), body: body.join('\n') + '\n' });
  }
}
const only = (info: string) => {
  const found = blocks.filter((b) => b.info === info);
  expect(found, `one \`\`\`${info} block in docs/geoip.md`).toHaveLength(1);
  return found[0]!;
};

describe('docs/geoip.md', () => {
  it('the overrides example compiles, and places clients as the ECS section says', () => {
    const { set, problems } = compileOverrides('docs/geoip.md', only('yaml overrides').body);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(set.entries.map((o) => o.text)).toEqual([
      '10.0.0.0/8',
      '10.20.0.0/16',
      '172.16.0.0/12',
      '2001:db8:1234::/48',
    ]);
    const geo = new GeoIpLocator({ databases: [], overrides: set });
    const at = (client: string) => {
      const c = parseClientAddress(client)!;
      return geo.locate(c.bytes, c.prefix);
    };
    expect(at('10.30.0.0/16')).toMatchObject({ country: 'DE', network: '10.24.0.0/13' });
    expect(at('10.20.5.0/24')).toMatchObject({ country: 'JP', network: '10.20.0.0/16' });
    expect(at('172.16.9.0/24')).toMatchObject({ site: 'eu-west', location: null });
    expect(at('2001:db8:1234::/56')).toMatchObject({ country: 'US', subdivision: 'US-CA' });
  });

  it('the geoip: configuration example loads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-geodoc-'));
    try {
      await mkdir(join(dir, 'geoip'));
      await writeFile(
        join(dir, 'geoip', 'GeoLite2-City.mmdb'),
        buildGeoDatabase('geoip2-city', 6, {}),
      );
      await writeFile(join(dir, 'geoip', 'overrides.yaml'), only('yaml overrides').body);
      const src = new Source(join(dir, 'geosteer.yaml'), only('yaml geoip').body);
      const geoip = (mapEntries(src, src.root, '') ?? []).find((e) => e.key === 'geoip')!;
      const cfg = parseGeoipConfig(src, geoip.value, geoip.path, dir);
      expect(src.problems.map(formatProblem)).toEqual([]);
      expect(cfg).toEqual({
        databases: [join(dir, 'geoip/GeoLite2-City.mmdb')],
        overrides: join(dir, 'geoip/overrides.yaml'),
        overridesRequired: true,
        defaultLocation: { lat: 50.11, lon: 8.68, country: 'DE' },
        cacheSize: 65536,
        widenLookupsPerSecond: 50000,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the broken example produces exactly the problems shown', () => {
    const i = blocks.findIndex((b) => b.info.startsWith('yaml overrides-broken '));
    expect(i).toBeGreaterThanOrEqual(0);
    const file = blocks[i]!.info.slice('yaml overrides-broken '.length);
    const shown = blocks[i + 1]!;
    expect(shown.info).toBe('text');
    const { problems } = compileOverrides(file, blocks[i]!.body);
    expect(problems.map(formatProblem).join('\n') + '\n').toBe(shown.body);
  });

  it('credits DB-IP with a link, as CC BY 4.0 requires', () => {
    expect(md).toContain('IP Geolocation by DB-IP');
    expect(md).toContain('https://db-ip.com');
    expect(md).toContain('Creative Commons Attribution 4.0');
  });
});

describe('geoip/overrides.yaml (the example in the repository)', () => {
  it('compiles with no problems, using documentation networks only', async () => {
    const { set, problems } = compileOverrides(
      'geoip/overrides.yaml',
      await readFile('geoip/overrides.yaml', 'utf8'),
    );
    expect(problems.map(formatProblem)).toEqual([]);
    expect(set.entries.map((o) => o.text)).toEqual([
      '192.0.2.0/24',
      '198.51.100.0/24',
      '2001:db8:1234::/48',
    ]);
  });
});
