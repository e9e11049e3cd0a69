// docs/rrl.md's YAML example loads as written, and the rrl: and cookies: sections reject bad
// values with file:line:col problems, every one at once.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig } from '../src/config.js';
import { defaultRrlConfig } from '../src/server/rrl-config.js';
import { formatProblem, ProblemsError } from '../src/base/errors.js';

const SECRET = 'e5e973e5a6b2a43f48e7dc849e37bfcf';

async function load(yaml: string, files: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-rrl-doc-'));
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  const file = join(dir, 'geosteer.yaml');
  await writeFile(file, yaml);
  return { file, load: () => loadConfig(file) };
}

async function problems(yaml: string): Promise<string[]> {
  const { file, load: run } = await load(yaml);
  try {
    await run();
  } catch (err) {
    if (err instanceof ProblemsError)
      return err.problems.map((p) => formatProblem(p).replace(file, 'geosteer.yaml'));
    throw err;
  }
  return [];
}

describe('docs/rrl.md', () => {
  it('its example loads: the RRL defaults as stated, the secret from the file', async () => {
    const md = await readFile('docs/rrl.md', 'utf8');
    const block = /```yaml rrl\n([\s\S]*?)```/.exec(md);
    expect(block, 'a ```yaml rrl block').not.toBeNull();
    const cfg = await (await load(block![1]!, { 'cookie-secret': `${SECRET}\n` })).load();
    expect(cfg.rrl).toEqual(defaultRrlConfig());
    expect(cfg.rrl).toEqual(DEFAULT_CONFIG.rrl);
    expect(cfg.cookies).toEqual({
      enabled: true,
      secret: Buffer.from(SECRET, 'hex'),
      previous: null,
      require: false,
    });
  });

  it('rrl: false and cookies: false turn them off', async () => {
    const cfg = await (await load('rrl: false\ncookies: false\n')).load();
    expect([cfg.rrl.enabled, cfg.cookies.enabled]).toEqual([false, false]);
  });

  it('reports every bad value with its position', async () => {
    expect(
      await problems(
        [
          'rrl:',
          '  slip: 11',
          '  allow: [10.0.0.0/33, nonsense]',
          '  burst: 5',
          'cookies:',
          '  secret: abcd',
          '  previous_secret_file: missing-file',
        ].join('\n'),
      ),
    ).toEqual([
      'geosteer.yaml:2:9: rrl.slip: must be an integer 0-10, got number 11 [bad-value]',
      'geosteer.yaml:3:11: rrl.allow[0]: not an address or network (e.g. 192.0.2.0/24 or 2001:db8::/32): string "10.0.0.0/33" [bad-address]',
      'geosteer.yaml:3:24: rrl.allow[1]: not an address or network (e.g. 192.0.2.0/24 or 2001:db8::/32): string "nonsense" [bad-address]',
      expect.stringMatching(/^geosteer\.yaml:4:3: rrl\.burst: unknown key/),
      'geosteer.yaml:6:11: cookies.secret: must be 32 hex digits (16 octets, RFC 9018 4.4), e.g. from: openssl rand -hex 16 [bad-value]',
      expect.stringMatching(
        /^geosteer\.yaml:7:25: cookies\.previous_secret_file: no such file: .*missing-file \[io-error\]$/,
      ),
    ]);
  });
});
