// `fleet:` in the server config (src/fleet/config.ts) and the consensus rules
// (src/fleet/consensus.ts): defaults, every problem as file:line:col with its code, unknown keys
// rejected, and each rule's verdict for a table of vote tallies.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, ProblemsError } from '../src/base/errors.js';
import { loadConfig } from '../src/config.js';
import { decide, parseRule } from '../src/fleet/consensus.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-fleet-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function load(text: string) {
  const file = join(dir, `c${n++}.yaml`);
  await writeFile(file, text);
  return { file, cfg: await loadConfig(file) };
}

async function problems(text: string): Promise<string[]> {
  const file = join(dir, `c${n++}.yaml`);
  await writeFile(file, text);
  try {
    await loadConfig(file);
  } catch (e) {
    if (e instanceof ProblemsError)
      return e.problems.map((p) => formatProblem(p).slice(file.length + 1));
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

describe('fleet: in the config', () => {
  it('is off without fleet:', async () => {
    expect((await load('zones: z\n')).cfg.fleet).toBeNull();
  });

  it('has defaults for everything but the endpoints', async () => {
    const { cfg } = await load('fleet:\n  endpoints: [http://127.0.0.1:2379]\n');
    expect(cfg.fleet).toEqual({
      endpoints: ['http://127.0.0.1:2379'],
      prefix: '/geosteer/',
      name: hostname().split('.')[0],
      leaseTtl: 10,
      rule: { kind: 'majority' },
      probeSource: null,
      tls: null,
      auth: null,
      probesPerTarget: null,
    });
  });

  it('reads every key; file paths are relative to the config file', async () => {
    const { cfg } = await load(`fleet:
  endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
  prefix: /gslb
  name: ns2
  lease_ttl: 5
  rule: 0.18
  probe_source: 127.0.1.2
  probes_per_target: 2
  tls: { ca: pki/ca.pem, cert: pki/c.pem, key: pki/c-key.pem }
  auth: { user: geosteer, password_file: etcd-pass }
`);
    expect(cfg.fleet).toEqual({
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      prefix: '/gslb/',
      name: 'ns2',
      leaseTtl: 5,
      rule: { kind: 'fraction', share: 0.18 },
      probeSource: '127.0.1.2',
      tls: {
        ca: join(dir, 'pki/ca.pem'),
        cert: join(dir, 'pki/c.pem'),
        key: join(dir, 'pki/c-key.pem'),
      },
      auth: { user: 'geosteer', passwordFile: join(dir, 'etcd-pass') },
      probesPerTarget: 2,
    });
  });

  it('reports every problem as file:line:col with a stable code', async () => {
    expect(
      await problems(`fleet:
  endpoints: [http://127.0.0.1:2379, localhost, http://x:1/path]
  name: "a/b"
  lease_ttl: 1
  rule: most
  probe_source: here
  tls: { cert: c.pem }
  auth: { user: u }
  leases: 3
`),
    ).toEqual(
      [
        '2:38: fleet.endpoints[1]: not an etcd client URL (http://host:port or https://host:port): string "localhost" [bad-address]',
        '2:49: fleet.endpoints[2]: not an etcd client URL (http://host:port or https://host:port): string "http://x:1/path" [bad-address]',
        `3:9: fleet.name: instance names use letters, digits, '-', '_' and '.' (at most 63), got "a/b" [bad-value]`,
        '4:14: fleet.lease_ttl: must be an integer 2-3600, got number 1 [bad-value]',
        '5:9: fleet.rule: must be majority, any-up, all-up or a fraction in (0, 1], got string "most" [bad-value]',
        '6:17: fleet.probe_source: not an IP address: "here" [bad-address]',
        '7:8: fleet.tls: a client certificate needs both cert and key [missing-key]',
        '8:9: fleet.auth: auth needs user and password_file [missing-key]',
        '9:3: fleet.leases: unknown key "leases" in fleet (expected one of: endpoints, prefix, name, lease_ttl, rule, probe_source, tls, auth, probes_per_target) [unknown-key]',
        '2:14: fleet.endpoints: with tls: every endpoint must be https:// [bad-value]',
      ].sort(byPosition),
    );
  });

  it("docs/fleet.md's configuration loads as it says", async () => {
    const md = await readFile('docs/fleet.md', 'utf8');
    const block = /```yaml config\n([\s\S]*?)```/.exec(md)![1]!;
    const { cfg } = await load(block);
    expect(cfg.fleet).toMatchObject({
      endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379', 'http://10.0.0.3:2379'],
      prefix: '/geosteer/',
      name: 'ns1',
      leaseTtl: 10,
      rule: { kind: 'majority' },
      probeSource: '10.0.0.53',
    });
  });

  it('needs endpoints', async () => {
    expect(await problems('fleet:\n  name: ns1\n')).toEqual([
      '2:3: fleet: fleet needs endpoints: the etcd client URLs [missing-key]',
    ]);
  });
});

function byPosition(a: string, b: string): number {
  const [la, ca] = a.split(':').map(Number) as [number, number];
  const [lb, cb] = b.split(':').map(Number) as [number, number];
  return la - lb || ca - cb;
}

describe('consensus rules', () => {
  // [rule, up votes, down votes, verdict]
  it.each([
    ['majority', 3, 0, 'up'],
    ['majority', 2, 1, 'up'],
    ['majority', 1, 2, 'down'],
    ['majority', 1, 1, 'up'],
    ['majority', 0, 1, 'down'],
    ['majority', 0, 0, 'unknown'],
    ['any-up', 1, 2, 'up'],
    ['any-up', 0, 3, 'down'],
    ['all-up', 2, 1, 'down'],
    ['all-up', 3, 0, 'up'],
    [0.18, 1, 4, 'up'],
    [0.18, 1, 5, 'down'],
    [0.5, 1, 1, 'up'],
    [0.6, 3, 2, 'up'],
    [0.6, 2, 3, 'down'],
    [1, 2, 1, 'down'],
  ] as const)('%s with %i up and %i down: %s', (rule, up, down, verdict) => {
    expect(decide(parseRule(rule)!, { up, down, unknown: 0 })).toBe(verdict);
  });

  it.each([0, 1.5, -0.1, 'quorum', null])('rejects %j', (r) => {
    expect(parseRule(r)).toBeNull();
  });
});
