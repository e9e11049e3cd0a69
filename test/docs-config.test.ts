import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig } from '../src/config.js';

describe('docs/configuration.md', () => {
  it('documents a config that loads and matches the built-in defaults', async () => {
    const md = await readFile('docs/configuration.md', 'utf8');
    const block = /```yaml config\n([\s\S]*?)```/.exec(md);
    expect(block, 'a ```yaml config block').not.toBeNull();
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-doc-'));
    const file = join(dir, 'geosteer.yaml');
    await writeFile(file, block![1]!);
    const cfg = await loadConfig(file);
    // Relative paths resolve against the config file's directory, the defaults against the cwd.
    expect({ ...cfg, zones: 'zones', geoip: DEFAULT_CONFIG.geoip }).toEqual(DEFAULT_CONFIG);
    expect(cfg.zones).toBe(join(dir, 'zones'));
    expect(cfg.geoip).toEqual({
      ...DEFAULT_CONFIG.geoip,
      overrides: join(dir, 'geoip/overrides.yaml'),
    });
  });

  it('the repository geosteer.yaml used by npm start loads too', async () => {
    const cfg = await loadConfig('geosteer.yaml');
    expect(cfg.listen).toEqual([
      { host: '127.0.0.1', port: 5353 },
      { host: '::1', port: 5353 },
    ]);
  });
});
