// A fleet of three real geosteer instances (the CLI, one process each) sharing a 3-member etcd
// cluster (Debian's etcd on loopback ports, temporary data directories). Each instance probes
// from its own loopback source address (127.0.1.1-3), and the health servers answer per source
// address, so vantage points really disagree. Every process is stopped by its PID.
// Over 300 lines: the tests share one fleet and run in order (each leaves it as it found it);
// splitting them would start a second 3-member cluster and three more instances in CI.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  answer,
  EtcdCluster,
  ETCDCTL,
  type Instance,
  makeInstance,
  startInstance,
  status,
  stopInstance,
  tearDown,
  tempRoot,
  until,
  VantageServer,
  ZONE,
  zoneText,
} from './fleet-harness.js';
import { runCliToEnd } from './helpers/cli.js';

const FRA = '127.0.8.10';
const AMS = '127.0.8.20';
const SOURCES = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];

let root: string;
let etcd: EtcdCluster;
let fra: VantageServer;
let ams: VantageServer;
let fleet: Instance[] = [];

const post = async (i: Instance, path: string, reason: string) => {
  const res = await fetch(`${i.admin}${path}?zone=${ZONE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reason }),
  });
  expect(res.status, await res.text()).toBeLessThan(300);
};

/** One key as etcdctl reads it: its value and the revision that last wrote it. */
const etcdGet = (key: string) =>
  new Promise<{ value: string; revision: number }>((resolve, reject) =>
    execFile(
      ETCDCTL,
      ['--endpoints', etcd.endpoints.join(','), 'get', '-w', 'json', key],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 },
      (err, stdout) => {
        if (err) return reject(err);
        const kv = (JSON.parse(stdout) as { kvs: { value: string; mod_revision: number }[] })
          .kvs[0]!;
        resolve({
          value: Buffer.from(kv.value, 'base64').toString('utf8'),
          revision: kv.mod_revision,
        });
      },
    ),
  );

/** Every instance answers `want` (sorted addresses). */
const allAnswer = (want: string[], ms = 10_000) =>
  until(
    `all three answer ${want.join(',')}`,
    async () => {
      const got = await Promise.all(fleet.map(answer));
      return got.every((g) => JSON.stringify(g) === JSON.stringify(want)) ? true : undefined;
    },
    ms,
  );

beforeAll(async () => {
  root = await tempRoot();
  etcd = await EtcdCluster.create(3);
  fra = await new VantageServer(FRA).start();
  ams = await new VantageServer(AMS).start();
  const zone = zoneText(fra, ams);
  fleet = await Promise.all(
    ['a', 'b', 'c'].map((n, i) => makeInstance(root, n, SOURCES[i]!, etcd.endpoints, zone)),
  );
  await Promise.all(fleet.map(startInstance));
  await until('three live instances', async () =>
    (await status(fleet[0]!)).instances.length === 3 ? true : undefined,
  );
}, 120_000);

afterAll(() => tearDown(fleet, etcd, [fra, ams], root), 60_000);

describe('fleet through etcd', () => {
  // Each test starts with every vantage point seeing both sites up (a failed test cannot leak).
  beforeEach(() => {
    fra.failFor.clear();
    ams.failFor.clear();
  });

  it('a drain on one instance withdraws the site on all three within 1 s, and survives restarting all', async () => {
    await allAnswer([FRA, AMS].sort());
    const t0 = Date.now();
    await post(fleet[0]!, '/sites/fra/drain', 'maintenance');
    await allAnswer([AMS], 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    // Who, when and why are in etcd, as etcd's own client reads them, with last-change written
    // in the same transaction (one etcd revision for both keys).
    const override = await etcdGet(`/fleet-test/overrides/${ZONE}/fra`);
    expect(JSON.parse(override.value)).toMatchObject({
      state: 'drain',
      by: 'a',
      reason: expect.stringContaining('maintenance'),
    });
    expect(Date.parse((JSON.parse(override.value) as { at: string }).at)).toBeGreaterThanOrEqual(
      t0 - 1000,
    );
    const last = await etcdGet('/fleet-test/last-change');
    expect(JSON.parse(last.value)).toMatchObject({
      key: `/fleet-test/overrides/${ZONE}/fra`,
      state: 'drain',
      by: 'a',
    });
    expect(last.revision).toBe(override.revision);
    for (const i of fleet) await stopInstance(i);
    await Promise.all(fleet.map(startInstance));
    // From the first answer after the restart.
    expect(await Promise.all(fleet.map(answer))).toEqual([[AMS], [AMS], [AMS]]);
    await post(fleet[2]!, '/sites/fra/undrain', 'done');
    await allAnswer([FRA, AMS].sort(), 1000);
  }, 90_000);

  it('one instance seeing a site down is outvoted; two are not (majority)', async () => {
    await allAnswer([FRA, AMS].sort());
    fra.failFor.add(SOURCES[0]!);
    // a's own probes say down, b and c say up: a keeps answering fra.
    await until('a sees fra down itself', async () => {
      const s = await status(fleet[0]!);
      const v = s.addresses.find((x) => x.site === 'fra')!;
      return v.votes.a === 'down' && v.votes.b === 'up' && v.votes.c === 'up' ? v : undefined;
    });
    const a = (await status(fleet[0]!)).addresses.find((x) => x.site === 'fra')!;
    expect(a.fleet).toBe('up');
    const m = await (await fetch(`${fleet[0]!.admin}/metrics`)).text();
    const labels = `zone="${ZONE}",site="fra",address="${FRA}"`;
    expect(m).toContain(`geosteer_fleet_votes{${labels},verdict="down"} 1`);
    expect(m).toContain(`geosteer_fleet_votes{${labels},verdict="up"} 2`);
    expect(m).toContain(`geosteer_fleet_verdict_up{${labels}} 1`);
    expect(m).toMatch(/^geosteer_fleet_instances 3$/m);
    expect(await Promise.all(fleet.map(answer))).toEqual(Array(3).fill([FRA, AMS].sort()));
    // /explain shows each vantage point's verdict and the rule's result.
    const q = `name=www.${ZONE}&client=192.0.2.1`;
    const text = await (await fetch(`${fleet[0]!.admin}/explain?${q}&format=text`)).text();
    expect(text).toContain(`${FRA} [majority: a=down b=up c=up -> up]`);
    // geosteer explain with the fleet's config reads the votes from etcd.
    const cli = await runCliToEnd(
      'explain',
      `www.${ZONE}`,
      '--client',
      '192.0.2.1',
      '--json',
      '-c',
      join(fleet[1]!.dir, 'geosteer.yaml'),
    );
    expect(cli.code, cli.stderr).toBe(0);
    const x = JSON.parse(cli.stdout) as {
      chain: {
        steering?: { sites: { name: string; addresses: { up: boolean; fleet?: unknown }[] }[] };
      }[];
    };
    const fraView = x.chain.at(-1)!.steering!.sites.find((s) => s.name === 'fra')!;
    expect(fraView.addresses[0]).toMatchObject({
      up: true,
      fleet: { rule: 'majority', votes: { a: 'down', b: 'up', c: 'up' }, verdict: 'up' },
    });
    fra.failFor.add(SOURCES[1]!);
    await allAnswer([AMS]);
    fra.failFor.clear();
    await allAnswer([FRA, AMS].sort());
  }, 60_000);

  it('geosteer fleet drain reaches every instance; fleet status lists instances, overrides and disagreements', async () => {
    await allAnswer([FRA, AMS].sort());
    const cfg = join(fleet[0]!.dir, 'geosteer.yaml');
    const t0 = Date.now();
    const drain = await runCliToEnd(
      'fleet',
      'drain',
      'ams',
      '--zone',
      ZONE,
      '--reason',
      'cli test',
      '-c',
      cfg,
    );
    expect(drain.code, drain.stderr).toBe(0);
    await allAnswer([FRA], 1000 + (Date.now() - t0));
    fra.failFor.add(SOURCES[2]!);
    await until('c sees fra down', async () => {
      const v = (await status(fleet[2]!)).addresses.find((x) => x.site === 'fra')!;
      return v.votes.c === 'down' ? true : undefined;
    });
    const st = await runCliToEnd('fleet', 'status', '--json', '-c', cfg);
    expect(st.code, st.stderr).toBe(0);
    const j = JSON.parse(st.stdout) as {
      instances: { name: string; ttlLeft: number; zonesHash: string; drift: string[] }[];
      overrides: { site: string; state: string; by: string; reason: string }[];
      disagreements: { address: string; votes: Record<string, string> }[];
    };
    expect(j.instances.map((i) => i.name)).toEqual(['a', 'b', 'c']);
    for (const i of j.instances) expect(i.ttlLeft).toBeGreaterThan(0);
    // One zone hash (SHA-256) for all three: they serve the same zones.
    expect(new Set(j.instances.map((i) => i.zonesHash)).size).toBe(1);
    expect(j.instances[0]!.zonesHash).toMatch(/^[0-9a-f]{64}$/);
    expect(j.overrides).toMatchObject([
      { site: 'ams', state: 'drain', by: `cli@${hostname()}`, reason: 'cli test' },
    ]);
    // (Only fra is asserted: under load a probe of ams may time out on one instance too.)
    expect(j.disagreements).toContainEqual({
      address: `${ZONE}/fra/${FRA}`,
      votes: { a: 'up', b: 'up', c: 'down' },
    });
    const text = await runCliToEnd('fleet', 'status', '-c', cfg);
    expect(text.stdout).toContain(`${ZONE}/fra/${FRA}: a=up b=up c=down`);
    fra.failFor.clear();
    const clear = await runCliToEnd('fleet', 'clear', 'ams', '--zone', ZONE, '-c', cfg);
    expect(clear.code, clear.stderr).toBe(0);
    await allAnswer([FRA, AMS].sort());
  }, 60_000);

  it("a killed instance's votes vanish after its lease; it rejoins when restarted", async () => {
    const c = fleet[2]!;
    await stopInstance(c, 'SIGKILL');
    // lease_ttl 2 s: etcd drops c's keys about 2 s after its last keepalive.
    const t0 = Date.now();
    await until(
      'c gone from a',
      async () => {
        const s = await status(fleet[0]!);
        const gone =
          !s.instances.some((i) => i.name === 'c') && s.addresses.every((x) => !('c' in x.votes));
        return gone ? true : undefined;
      },
      10_000,
    );
    expect(Date.now() - t0).toBeGreaterThan(500);
    await startInstance(c);
    await until('c back', async () =>
      (await status(fleet[0]!)).instances.some((i) => i.name === 'c') ? true : undefined,
    );
  }, 60_000);

  it('an etcd member stopped changes nothing', async () => {
    const before = await Promise.all(fleet.map(status));
    await etcd.stop(etcd.members[1]!);
    try {
      await post(fleet[1]!, '/sites/ams/drain', 'member down test');
      await allAnswer([FRA], 3000);
      await post(fleet[0]!, '/sites/ams/undrain', 'member down test done');
      await allAnswer([FRA, AMS].sort(), 3000);
      // Never cut off, never a new lease: the streams moved to the other members.
      const after = await Promise.all(fleet.map(status));
      for (const [k, s] of after.entries()) {
        expect(s.connected).toBe(true);
        expect(s.resyncs).toBe(before[k]!.resyncs);
      }
    } finally {
      await etcd.startAll();
    }
  }, 60_000);

  it('etcd losing quorum (2 of 3 members stopped): every instance is cut off, answers continue', async () => {
    await allAnswer([FRA, AMS].sort());
    const from = fleet.map((i) => i.cli!.lines.length);
    await Promise.all([etcd.stop(etcd.members[1]!), etcd.stop(etcd.members[2]!)]);
    try {
      for (const i of fleet)
        await until(
          `${i.name} cut off`,
          async () => ((await status(i)).connected ? undefined : true),
          15_000,
        );
      for (const i of fleet) {
        const m = await (await fetch(`${i.admin}/metrics`)).text();
        expect(m).toMatch(/^geosteer_fleet_connected 0$/m);
      }
      // Never a SERVFAIL because of the fleet: every instance answers on its own verdicts.
      expect(await Promise.all(fleet.map(answer))).toEqual(Array(3).fill([FRA, AMS].sort()));
    } finally {
      await etcd.startAll();
    }
    for (const i of fleet)
      await until(`${i.name} reconnected`, async () =>
        (await status(i)).connected ? true : undefined,
      );
    // One log line for the outage on each instance, however many retries it took.
    for (const [k, i] of fleet.entries()) {
      const said = (msg: string) =>
        i.cli!.lines.slice(from[k]).filter((l) => String(l.msg).startsWith(msg)).length;
      expect(said('fleet: etcd unreachable')).toBe(1);
      expect(said('fleet: etcd reachable again')).toBe(1);
    }
  }, 90_000);

  it('etcd stopped: answers continue with the last known state, then resync when it returns', async () => {
    await post(fleet[0]!, '/sites/fra/drain', 'before the outage');
    await allAnswer([AMS]);
    await etcd.stopAll();
    await until('a disconnected', async () =>
      (await status(fleet[0]!)).connected ? undefined : true,
    );
    const metrics = await (await fetch(`${fleet[0]!.admin}/metrics`)).text();
    expect(metrics).toMatch(/^geosteer_fleet_connected 0$/m);
    // Still answering, with the drain known before the outage.
    expect(await Promise.all(fleet.map(answer))).toEqual([[AMS], [AMS], [AMS]]);
    // Restarted while etcd is down: c serves its state file (the last known copy) from the start.
    await stopInstance(fleet[2]!);
    await startInstance(fleet[2]!);
    expect(await answer(fleet[2]!)).toEqual([AMS]);
    expect(
      fleet[2]!.cli!.lines.some((l) => String(l.msg).includes('etcd not reached at start')),
    ).toBe(true);
    // Made during the outage: held by b, written when etcd returns.
    await post(fleet[1]!, '/sites/fra/undrain', 'during the outage');
    expect(await answer(fleet[0]!)).toEqual([AMS]);
    await etcd.startAll();
    await allAnswer([FRA, AMS].sort(), 15_000);
    for (const i of fleet)
      await until(`${i.name} connected`, async () =>
        (await status(i)).connected ? true : undefined,
      );
  }, 90_000);

  it('zone drift: an instance serving an edited zone is listed and counted', async () => {
    const c = fleet[2]!;
    await writeFile(
      join(c.dir, 'zones', `${ZONE}.yaml`),
      zoneText(fra, ams, '  txt:\n    TXT: [edited]\n'),
    );
    await until(
      'a reports c drifting',
      async () => {
        const s = await status(fleet[0]!);
        return s.drift.length === 1 && s.drift[0] === 'c' ? true : undefined;
      },
      15_000,
    );
    expect((await status(fleet[0]!)).instances.find((i) => i.name === 'c')!.drift).toEqual([ZONE]);
    const metrics = await (await fetch(`${fleet[0]!.admin}/metrics`)).text();
    expect(metrics).toMatch(/^geosteer_fleet_zone_drift 1$/m);
    const cli = await runCliToEnd('fleet', 'status', '-c', join(fleet[0]!.dir, 'geosteer.yaml'));
    expect(cli.stdout).toMatch(new RegExp(`^  c .* DRIFT in ${ZONE.replace('.', '\\.')}$`, 'm'));
    expect(cli.stdout).not.toMatch(/^ {2}[ab] .*DRIFT/m);
  }, 30_000);
});
