// The YAML configuration (src/config.ts): defaults, listen addresses, paths relative to the
// file, and problems reported as file:line:col like zone files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../src/base/endpoint.js';
import { DEFAULT_CONFIG, loadConfig } from '../src/config.js';
import { defaultGeoipConfig } from '../src/geoip/config.js';
import { formatProblem, ProblemsError } from '../src/base/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function configFile(text: string, sub = ''): Promise<string> {
  const file = join(dir, sub, `config-${n++}.yaml`);
  await writeFile(file, text);
  return file;
}

/** The problems loading `text` reports, formatted as file:line:col: path: message [code]. */
async function problems(text: string): Promise<{ file: string; lines: string[] }> {
  const file = await configFile(text);
  try {
    await loadConfig(file);
  } catch (e) {
    if (e instanceof ProblemsError) return { file, lines: e.problems.map(formatProblem) };
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    ['127.0.0.1', { host: '127.0.0.1', port: 53 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    [' 192.0.2.1:65535 ', { host: '192.0.2.1', port: 65535 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[::1]', { host: '::1', port: 53 }],
    ['::1', { host: '::1', port: 53 }],
    ['::', { host: '::', port: 53 }],
    ['[2001:db8::53]:8053', { host: '2001:db8::53', port: 8053 }],
  ])('reads %j', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
  });

  it.each([
    ['a host name', 'localhost:53'],
    ['no port after the colon', '127.0.0.1:'],
    ['a port over 65535', '127.0.0.1:65536'],
    ['a negative port', '127.0.0.1:-1'],
    ['a hexadecimal port', '127.0.0.1:0x35'],
    ['a port with spaces', '127.0.0.1: 53'],
    ['a port with a fraction', '127.0.0.1:53.5'],
    ['an IPv4 address out of range', '999.1.1.1:53'],
    ['an IPv4 address in brackets', '[127.0.0.1]:53'],
    ['an IPv6 address with a port but no brackets', '2001:db8::1:53:x'],
    ['brackets around a name', '[localhost]:53'],
    ['a bare number', '53'],
    ['nothing', ''],
  ])('rejects %s (%j)', (_what, text) => {
    expect(parseEndpoint(text)).toBeNull();
  });

  it('uses the default port it is given', () => {
    expect(parseEndpoint('127.0.0.1', 5353)).toEqual({ host: '127.0.0.1', port: 5353 });
  });
});

describe('loadConfig', () => {
  it('gives the defaults for an empty file (geoip paths relative to the file)', async () => {
    for (const text of ['', '# only a comment\n']) {
      const file = await configFile(text);
      expect(await loadConfig(file)).toEqual({
        ...DEFAULT_CONFIG,
        geoip: defaultGeoipConfig(dirname(file)),
      });
    }
  });

  it('reads every key', async () => {
    const file = await configFile(
      [
        'listen: ["127.0.0.1:8053", "[::1]:8053", "0.0.0.0"]',
        'udp: true',
        'tcp: false',
        'zones: /srv/zones',
        'log_level: debug',
        'query_log: true',
        'watch: false',
        'tcp_idle_timeout_ms: 2500',
        'tcp_max_connections: 16',
        'tcp_limits:',
        '  per_network: 8',
        '  ipv4_prefix: 32',
        '  ipv6_prefix: 64',
        '  pressure_idle_timeout_ms: 500',
        '  message_timeout_ms: 700',
        '  max_pipelined: 16',
        '  max_buffered_bytes: 131072',
        'threads: 4',
        'state_file: state/overrides.json',
        'probe_concurrency: 8',
        'cold_start_ms: 1500',
        'site: us-east',
        'rrl: { responses_per_second: 50, window: 5, slip: 0, ipv4_prefix: 22, ipv6_prefix: 48, table_size: 4096, allow: [192.0.2.0/24], log_only: true }',
        'cookies: { require: true, secret: e5e973e5a6b2a43f48e7dc849e37bfcf, previous_secret: 445536bcd2513298075a5d379663c962 }',
      ].join('\n'),
    );
    expect(await loadConfig(file)).toEqual({
      listen: [
        { host: '127.0.0.1', port: 8053 },
        { host: '::1', port: 8053 },
        { host: '0.0.0.0', port: 53 },
      ],
      udp: true,
      tcp: false,
      zones: '/srv/zones',
      logLevel: 'debug',
      queryLog: true,
      watch: false,
      tcpIdleTimeoutMs: 2500,
      tcpMaxConnections: 16,
      tcpLimits: {
        perNetwork: 8,
        ipv4Prefix: 32,
        ipv6Prefix: 64,
        pressureIdleTimeoutMs: 500,
        messageTimeoutMs: 700,
        maxPipelined: 16,
        maxBufferedBytes: 131072,
      },
      threads: 4,
      geoip: defaultGeoipConfig(dirname(file)),
      stateFile: join(dirname(file), 'state/overrides.json'),
      probeConcurrency: 8,
      coldStartMs: 1500,
      site: 'us-east',
      rrl: {
        enabled: true,
        responsesPerSecond: 50,
        window: 5,
        slip: 0,
        ipv4Prefix: 22,
        ipv6Prefix: 48,
        tableSize: 4096,
        allow: [{ bytes: Uint8Array.of(192, 0, 2, 0), length: 24 }],
        logOnly: true,
      },
      cookies: {
        enabled: true,
        require: true,
        secret: Buffer.from('e5e973e5a6b2a43f48e7dc849e37bfcf', 'hex'),
        previous: Buffer.from('445536bcd2513298075a5d379663c962', 'hex'),
      },
      // fleet: is read by src/fleet/config.ts; test/fleet-config.test.ts covers it.
      fleet: null,
      // dnssec: is read by src/dnssec/config.ts; test/dnssec-server-config.test.ts covers it.
      dnssec: null,
    });
  });

  it('takes a single listen address without a list', async () => {
    expect((await loadConfig(await configFile('listen: 127.0.0.1:9053\n'))).listen).toEqual([
      { host: '127.0.0.1', port: 9053 },
    ]);
  });

  it('resolves a relative zones path against the config file, not the working directory', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'etc', 'geosteer'), { recursive: true });
    const file = await configFile('zones: zones.d\n', join('etc', 'geosteer'));
    expect((await loadConfig(file)).zones).toBe(join(dir, 'etc', 'geosteer', 'zones.d'));
    const up = await configFile('zones: ../shared/zones\n', join('etc', 'geosteer'));
    expect((await loadConfig(up)).zones).toBe(join(dir, 'etc', 'shared', 'zones'));
    const abs = await configFile('zones: /var/lib/geosteer/zones\n', join('etc', 'geosteer'));
    expect((await loadConfig(abs)).zones).toBe('/var/lib/geosteer/zones');
  });

  it('reports an unknown key with file:line:col, naming the keys it knows', async () => {
    const { file, lines } = await problems(
      'udp: true\n  # indented comment\nlisten_on: 127.0.0.1:53\ntcp: true\n',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${escape(file)}:3:1: listen_on: unknown key "listen_on" in config \\(expected one of: listen, udp, tcp, zones, .*\\) \\[unknown-key\\]$`,
      ),
    );
  });

  it('reports every problem in the file at once, each at its own place', async () => {
    const text = [
      'listen:',
      '  - 127.0.0.1:53',
      '  - "localhost:53"',
      'udp: yes please',
      'tcp_idle_timeout_ms: 5',
      'log_level: loud',
      'colour: blue',
      'threads: 0',
    ].join('\n');
    const { file, lines } = await problems(text);
    expect(lines.map((l) => l.slice(file.length + 1).split(' ')[0])).toEqual(
      ['3:5:', '4:6:', '5:22:', '6:12:', '7:1:', '8:10:'].map(String),
    );
    expect(lines.join('\n')).toContain('[bad-address]');
    expect(lines.join('\n')).toContain('[unknown-key]');
    expect(lines.join('\n')).toContain('must be an integer 100-3600000');
  });

  it('checks tcp_limits: unknown keys and values out of range, each at its place', async () => {
    const text = [
      'tcp_limits:',
      '  per_network: 0',
      '  ipv6_prefix: 129',
      '  max_buffered_bytes: 65536',
      '  per_client: 4',
      '  message_timeout_ms: 2000',
    ].join('\n');
    const { file, lines } = await problems(text);
    expect(lines.map((l) => l.slice(file.length + 1))).toEqual(
      [
        'tcp_limits.per_network: must be an integer 1-1000000, got number 0 [bad-value]',
        'tcp_limits.ipv6_prefix: must be an integer 0-128, got number 129 [bad-value]',
        'tcp_limits.max_buffered_bytes: must be an integer 131072-67108864, got number 65536 [bad-value]',
        'tcp_limits.per_client: unknown key "per_client" in tcp_limits (expected one of: per_network, ipv4_prefix, ipv6_prefix, pressure_idle_timeout_ms, message_timeout_ms, max_pipelined, max_buffered_bytes) [unknown-key]',
      ].map((m, i) => `${[2, 3, 4, 5][i]}:${[16, 16, 23, 3][i]}: ${m}`),
    );
  });

  it('takes a partial tcp_limits, the rest default', async () => {
    const cfg = await loadConfig(await configFile('tcp_limits:\n  per_network: 4\n'));
    expect(cfg.tcpLimits).toEqual({ ...DEFAULT_CONFIG.tcpLimits, perNetwork: 4 });
  });

  it('reports a YAML syntax error with its position', async () => {
    const { file, lines } = await problems('udp: true\nlisten: [127.0.0.1:53\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`${file}:`)).toBe(true);
    expect(lines[0]).toMatch(/\[yaml-syntax\]$/);
  });

  it('reports a duplicated key', async () => {
    const { lines } = await problems('udp: true\nudp: false\n');
    expect(lines).toHaveLength(1);
  });

  it('rejects a config whose top level is not a mapping', async () => {
    const { file, lines } = await problems('- 127.0.0.1:53\n');
    expect(lines[0]).toMatch(new RegExp(`^${escape(file)}:1:1: .*must be a mapping`));
  });

  it('rejects an empty listen list: nothing would be served', async () => {
    const { file, lines } = await problems('udp: true\nlisten: []\n');
    expect(lines).toEqual([
      `${file}:2:9: listen: at least one address is needed (e.g. 127.0.0.1:5353) [missing-key]`,
    ]);
  });

  it('rejects turning off both UDP and TCP', async () => {
    const { file, lines } = await problems('udp: false\ntcp: false\n');
    expect(lines).toEqual([
      `${file}:2:6: tcp: udp and tcp are both false: nothing would be served [bad-value]`,
    ]);
  });

  it('fails plainly when the file does not exist', async () => {
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/ENOENT/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
