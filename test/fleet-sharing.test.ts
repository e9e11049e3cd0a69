// Probe sharing (src/fleet/sharing.ts), end to end: three instances with probes_per_target: 2 on
// a real etcd, each probing from its own source address. Each backend sees exactly two probers;
// when one of them stops, its addresses move to the instance that was not probing them, and move
// back when it returns. Also the rendezvous choice itself: K of N, the same on every instance,
// and minimal movement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeAssignment } from '../src/fleet/sharing.js';
import {
  answer,
  EtcdCluster,
  type Instance,
  makeInstance,
  startInstance,
  status,
  stopInstance,
  tearDown,
  tempRoot,
  until,
  VantageServer,
  zoneText,
} from './fleet-harness.js';

describe('rendezvous assignment', () => {
  const keys = Array.from({ length: 200 }, (_, i) => `z/s${i}/192.0.2.${i % 250}`);

  it('gives each address K distinct live instances, the same whatever order they are listed in', () => {
    const a = new ProbeAssignment(['a', 'b', 'c', 'd'], 2);
    const b = new ProbeAssignment(['d', 'c', 'b', 'a'], 2);
    for (const k of keys) {
      expect(new Set(a.probers(k)).size).toBe(2);
      expect([...a.probers(k)].sort()).toEqual([...b.probers(k)].sort());
    }
  });

  it('moves only the addresses a leaving instance probed', () => {
    const before = new ProbeAssignment(['a', 'b', 'c'], 2);
    const after = new ProbeAssignment(['a', 'b'], 2);
    for (const k of keys) {
      const kept = before.probers(k).filter((n) => n !== 'c');
      for (const n of kept) expect(after.probers(k)).toContain(n);
    }
  });

  it('spreads the work: each of 3 instances probes about 2/3 of 200 addresses', () => {
    const a = new ProbeAssignment(['a', 'b', 'c'], 2);
    for (const n of ['a', 'b', 'c']) {
      const share = keys.filter((k) => a.probes(n, k)).length;
      expect(share).toBeGreaterThan(100);
      expect(share).toBeLessThan(167);
    }
  });
});

const SOURCES = ['127.0.1.4', '127.0.1.5', '127.0.1.6'];
let root: string;
let etcd: EtcdCluster;
let fra: VantageServer;
let ams: VantageServer;
let fleet: Instance[] = [];

beforeAll(async () => {
  root = await tempRoot();
  etcd = await EtcdCluster.create(1);
  fra = await new VantageServer('127.0.8.30').start();
  ams = await new VantageServer('127.0.8.40').start();
  const zone = zoneText(fra, ams);
  fleet = await Promise.all(
    ['d', 'e', 'f'].map((n, i) =>
      makeInstance(root, n, SOURCES[i]!, etcd.endpoints, zone, 2, '  probes_per_target: 2\n'),
    ),
  );
  await Promise.all(fleet.map(startInstance));
  await until('three live instances', async () =>
    (await status(fleet[0]!)).instances.length === 3 ? true : undefined,
  );
}, 120_000);

afterAll(() => tearDown(fleet, etcd, [fra, ams], root), 60_000);

/**
 * The sources that probed `s` in a window of at least 3 probe intervals (interval 400 ms):
 * counted afresh from the moment asked, until the busiest source has 4 probes.
 */
async function probersOf(s: VantageServer): Promise<string[]> {
  s.seen.clear();
  await until('4 probes from one source', async () =>
    Math.max(0, ...s.seen.values()) >= 4 ? true : undefined,
  );
  return [...s.seen.keys()].filter((k) => SOURCES.includes(k)).sort();
}

describe('probes_per_target: 2', () => {
  it('each backend sees 2 probers per interval; re-balanced when one stops and when it returns', async () => {
    const probers = (await status(fleet[0]!)).addresses.find((a) => a.site === 'fra')!.probers!;
    expect(probers).toHaveLength(2);
    const sourceOf = (name: string) => SOURCES[['d', 'e', 'f'].indexOf(name)]!;
    // Once the assignment has reached every probe thread, only the two probe.
    const want = probers.map(sourceOf).sort();
    await until('only the two probers probe fra', async () =>
      JSON.stringify(await probersOf(fra)) === JSON.stringify(want) ? true : undefined,
    );
    // All three still answer with fra: the third follows the two probers' votes.
    for (const i of fleet) expect(await answer(i)).toEqual(['127.0.8.30', '127.0.8.40']);
    // Both probers see fra fail: all three withdraw it, the one not probing it too.
    for (const src of want) fra.failFor.add(src);
    await until('all withdraw fra', async () => {
      const got = await Promise.all(fleet.map(answer));
      return got.every((g) => JSON.stringify(g) === '["127.0.8.40"]') ? true : undefined;
    });
    fra.failFor.clear();
    await until('all answer fra again', async () => {
      const got = await Promise.all(fleet.map(answer));
      return got.every((g) => g.length === 2) ? true : undefined;
    });
    // One prober stops: the instance that was not probing fra takes over.
    const leaving = fleet.find((i) => i.name === probers[0])!;
    await stopInstance(leaving);
    const rest = ['d', 'e', 'f']
      .filter((n) => n !== leaving.name)
      .map(sourceOf)
      .sort();
    await until(
      'the other two probe fra',
      async () =>
        JSON.stringify(await probersOf(fra)) === JSON.stringify(rest) ? true : undefined,
      15_000,
    );
    // It comes back: the same three live instances, so the same two probers as at first
    // (rendezvous hashing depends only on the live set), and the one that took over stops.
    await startInstance(leaving);
    await until(
      'the first two probe fra again',
      async () =>
        JSON.stringify(await probersOf(fra)) === JSON.stringify(want) ? true : undefined,
      15_000,
    );
  }, 90_000);
});
