// The `admin:` section of geosteer.yaml: defaults, what each key becomes, and every mistake
// reported as file:line:col: path: message [code], like the rest of the config.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN, DEFAULT_ADMIN_PORT } from '../src/admin/index.js';
import { isLoopback } from '../src/admin/options.js';
import { DEFAULT_CONFIG, loadConfig } from '../src/config.js';
import { formatProblem, ProblemsError } from '../src/base/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-admin-config-'));
  await writeFile(join(dir, 'token'), 'abc\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function load(lines: string[]) {
  const file = join(dir, `c${n++}.yaml`);
  await writeFile(file, lines.join('\n') + '\n');
  return { file, cfg: () => loadConfig(file) };
}

async function problems(lines: string[]): Promise<string[]> {
  const { file, cfg } = await load(lines);
  try {
    await cfg();
  } catch (e) {
    if (e instanceof ProblemsError)
      return e.problems.map(formatProblem).map((p) => p.replace(file, 'F').replace(dir, 'DIR'));
    throw e;
  }
  throw new Error('expected problems');
}

describe('admin: in geosteer.yaml', () => {
  it('is absent by default: the listener on 127.0.0.1:8053 without a token', async () => {
    expect(DEFAULT_CONFIG.admin).toBeUndefined();
    expect((await (await load(['udp: true'])).cfg()).admin).toBeUndefined();
    expect(DEFAULT_ADMIN).toEqual({
      listen: { host: '127.0.0.1', port: 8053 },
      token: null,
      tokenFile: null,
    });
    expect(DEFAULT_ADMIN_PORT).toBe(8053);
  });

  it.each([
    [['admin: false'], false],
    [['admin: true'], DEFAULT_ADMIN],
    [
      ['admin:', '  listen: 127.0.0.2'],
      { ...DEFAULT_ADMIN, listen: { host: '127.0.0.2', port: 8053 } },
    ],
    [
      ['admin:', '  listen: "[::1]:9000"', '  token: s3cret'],
      { listen: { host: '::1', port: 9000 }, token: 's3cret', tokenFile: null },
    ],
    [
      ['admin:', '  listen: 0.0.0.0:8053', '  token: s3cret'],
      { listen: { host: '0.0.0.0', port: 8053 }, token: 's3cret', tokenFile: null },
    ],
  ])('%j', async (lines, want) => {
    expect((await (await load(lines)).cfg()).admin).toEqual(want);
  });

  it('token_file is relative to the config file', async () => {
    const cfg = await (await load(['admin:', '  token_file: token'])).cfg();
    expect(cfg.admin).toEqual({ ...DEFAULT_ADMIN, tokenFile: join(dir, 'token') });
  });

  it('allowed_hosts: names and IP addresses, lower case, IPv6 in its short form', async () => {
    const cfg = await (
      await load([
        'admin:',
        '  allowed_hosts: [Geosteer-Admin.Internal, "[2001:DB8:0::1]", 192.0.2.8]',
      ])
    ).cfg();
    expect(cfg.admin).toEqual({
      ...DEFAULT_ADMIN,
      allowedHosts: ['geosteer-admin.internal', '2001:db8::1', '192.0.2.8'],
    });
  });

  it.each([
    [['admin: 5'], ['F:1:8: admin: must be a mapping, got number 5 [wrong-type]']],
    [
      ['admin:', '  port: 8053'],
      [
        expect.stringMatching(
          /^F:2:3: admin\.port: unknown key "port" in admin \(expected one of: listen, token, token_file, allowed_hosts\) \[unknown-key\]$/,
        ),
      ],
    ],
    [
      ['admin:', '  listen: localhost:8053'],
      [
        'F:2:11: admin.listen: not an address with optional port (e.g. 127.0.0.1:8053 or [::1]:8053): string "localhost:8053" [bad-address]',
      ],
    ],
    [
      ['admin:', '  token: "two words"'],
      [
        'F:2:10: admin.token: must be a non-empty string without spaces, got string "two words" [bad-value]',
      ],
    ],
    [
      ['admin:', '  token: ""'],
      ['F:2:10: admin.token: must be a non-empty string without spaces, got string "" [bad-value]'],
    ],
    [
      ['admin:', '  token_file: nope'],
      ['F:2:15: admin.token_file: no such file: DIR/nope [io-error]'],
    ],
    [
      ['admin:', '  token: a', '  token_file: token'],
      ['F:3:3: admin.token_file: give token or token_file, not both [bad-value]'],
    ],
    [
      ['admin:', '  listen: 0.0.0.0'],
      [
        'F:2:11: admin.listen: 0.0.0.0 is not a loopback address: set admin.token or admin.token_file (the admin API can drain sites) [bad-value]',
      ],
    ],
    [
      [
        'admin:',
        '  allowed_hosts: [ok.example, "http://a.example", "a.example:8053", "*.example", 7]',
      ],
      [
        'F:2:31: admin.allowed_hosts[1]: must be a host name or IP address, without scheme, port or wildcard (e.g. geosteer-admin.internal), got string "http://a.example" [bad-value]',
        'F:2:51: admin.allowed_hosts[2]: must be a host name or IP address, without scheme, port or wildcard (e.g. geosteer-admin.internal), got string "a.example:8053" [bad-value]',
        'F:2:69: admin.allowed_hosts[3]: must be a host name or IP address, without scheme, port or wildcard (e.g. geosteer-admin.internal), got string "*.example" [bad-value]',
        'F:2:82: admin.allowed_hosts[4]: must be a host name or IP address, without scheme, port or wildcard (e.g. geosteer-admin.internal), got number 7 [bad-value]',
      ],
    ],
    [
      ['admin:', '  allowed_hosts: { a: b }'],
      [
        'F:2:18: admin.allowed_hosts: must be a value or a list of values, got a mapping [wrong-type]',
      ],
    ],
    [
      ['admin:', '  listen: "[2001:db8::1]:8053"'],
      [
        'F:2:11: admin.listen: 2001:db8::1 is not a loopback address: set admin.token or admin.token_file (the admin API can drain sites) [bad-value]',
      ],
    ],
  ])('%j is reported', async (lines, want) => {
    expect(await problems(lines)).toEqual(want);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['::2', false],
  ])('%s: %s', (host, want) => {
    expect(isLoopback(host)).toBe(want);
  });
});
