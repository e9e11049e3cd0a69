// The site role of steer: delegate, end to end (docs/delegation.md): an instance started with a
// site (--site, site: in the configuration) is authoritative for the child zone of every
// delegation listing that site: SOA and NS the same from every site's instance, A/AAAA of its own
// site's available addresses, NXDOMAIN below. Two instances load one zones directory, as
// deployments do. It still serves the parent zone, and refuses to start (or reload) for a site no
// zone declares.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { TestHealthTable } from './helpers/health.js';
import { GeosteerServer } from '../src/server/server.js';
import { ProblemsError } from '../src/base/errors.js';
import { freePort, runCli, type Cli } from './helpers/cli.js';
import { exchange } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header, query, section, TYPE } from './helpers/wire.js';
import { GLUE, NS, PARENT, ZONE } from './delegate-fixture.js';

const east = new TestHealthTable();
const west = new TestHealthTable();
/** The us-east instance; it owns the zones directory the eu-west instance loads too. */
let e: TestServer;
let w: GeosteerServer;

const quiet = () => pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

beforeAll(async () => {
  e = await startServer({ 'gslb.example.com.yaml': PARENT }, { health: east, site: 'us-east' });
  w = await GeosteerServer.start({
    listen: [{ host: '127.0.0.1', port: 0 }],
    udp: true,
    tcp: true,
    zonesDir: e.dir,
    tcpOptions: { idleTimeoutMs: 2000, maxConnections: 64 },
    watch: false,
    queryLog: false,
    log: quiet(),
    health: west,
    site: 'eu-west',
  });
});
afterAll(async () => {
  await w.close();
  await e.stop();
});
afterEach(() => {
  for (const a of ['192.0.2.10', '192.0.2.11', '2001:db8:10::1'])
    east.setAddress(ZONE, 'us-east', a, true);
  for (const a of ['198.51.100.10', '2001:db8:20::1']) west.setAddress(ZONE, 'eu-west', a, true);
});

async function ask(port: number, name: string, type: keyof typeof TYPE) {
  const r = await exchange('udp', port, query(name, TYPE[type], { edns: { udpSize: 4096 } }));
  if (!r) throw new Error('no reply');
  const p = decode(r);
  return {
    rcode: p.rcode,
    aa: header(r).aa,
    answer: section(p.answers),
    authority: section(p.authorities),
    additional: section(p.additionals),
    packet: p,
  };
}

const EDGE = `edge.${ZONE}`;
const ALL_NS = Object.values(NS).sort();
const childSoa = (mname: string) => `${EDGE} 60 SOA ${mname} hostmaster.example.com 60`;
const EAST_NS = 'ns.us-east.gslb.example.com';
const WEST_NS = 'ns-eu-west.edge.gslb.example.com';

describe('the child zone, as each site serves it', () => {
  it("SOA: the parent's serial, contact and timers, this site's nameserver as MNAME, AA", async () => {
    const parent = await ask(e.port, ZONE, 'SOA');
    const serial = (p: typeof parent) =>
      (p.packet.answers![0] as unknown as { data: { serial: number } }).data.serial;
    for (const [port, mname] of [
      [e.port, EAST_NS],
      [w.port, WEST_NS],
    ] as const) {
      const r = await ask(port, EDGE, 'SOA');
      expect(r).toMatchObject({
        rcode: 'NOERROR',
        aa: true,
        answer: [`${EDGE} 300 SOA ${mname} hostmaster.example.com 60`],
      });
      expect(serial(r)).toBe(serial(parent));
    }
  });

  it("NS: every site's nameserver, the same from both instances, AA", async () => {
    for (const port of [e.port, w.port])
      expect(await ask(port, EDGE, 'NS')).toMatchObject({
        rcode: 'NOERROR',
        aa: true,
        answer: ALL_NS,
        // The child holds the addresses of the nameservers named inside it.
        additional: [...GLUE['eu-west']],
      });
  });

  it.each([
    ['us-east', 'A', ['192.0.2.10', '192.0.2.11']],
    ['us-east', 'AAAA', ['2001:db8:10::1']],
    ['eu-west', 'A', ['198.51.100.10']],
    ['eu-west', 'AAAA', ['2001:db8:20::1']],
  ] as const)(
    '%s answers %s at the child apex with its own addresses, AA',
    async (site, type, addrs) => {
      const r = await ask(site === 'us-east' ? e.port : w.port, EDGE, type);
      expect(r).toMatchObject({
        rcode: 'NOERROR',
        aa: true,
        answer: addrs.map((a) => `${EDGE} 20 ${type} ${a}`),
        authority: [],
      });
    },
  );

  it.each([
    ['a name below the child apex', `www.${EDGE}`, 'A', 'NXDOMAIN'],
    ['another type at the apex', EDGE, 'TXT', 'NOERROR'],
    [
      'DS at the child apex: the child zone answers it here (no DNSSEC: NODATA either way)',
      EDGE,
      'DS',
      'NOERROR',
    ],
  ] as const)('%s: negative answer with the child SOA, AA', async (_what, name, type, rcode) => {
    for (const [port, mname] of [
      [e.port, EAST_NS],
      [w.port, WEST_NS],
    ] as const)
      expect(await ask(port, name, type)).toMatchObject({
        rcode,
        aa: true,
        answer: [],
        authority: [childSoa(mname)],
      });
  });

  it('a nameserver named inside the child zone is answered by it, with authority', async () => {
    for (const port of [e.port, w.port])
      expect(await ask(port, `ns-eu-west.${EDGE}`, 'A')).toMatchObject({
        rcode: 'NOERROR',
        aa: true,
        answer: [...GLUE['eu-west']],
      });
  });
});

describe('the site instance still serves the parent zone', () => {
  it('its static data', async () => {
    expect(await ask(e.port, `static.${ZONE}`, 'A')).toMatchObject({
      aa: true,
      answer: [`static.${ZONE} 300 A 192.0.2.1`],
    });
  });

  it('a referral for a delegation that does not list its site', async () => {
    expect(await ask(e.port, `api.${ZONE}`, 'A')).toMatchObject({
      rcode: 'NOERROR',
      aa: false,
      authority: [
        'api.gslb.example.com 30 NS ns-eu-west.edge.gslb.example.com',
        'api.gslb.example.com 30 NS ns.ap-south.example.net',
      ],
    });
    // eu-west is listed: its instance answers with authority.
    expect(await ask(w.port, `api.${ZONE}`, 'A')).toMatchObject({
      aa: true,
      answer: [`api.${ZONE} 30 A 198.51.100.10`],
    });
  });
});

describe("the site's own health", () => {
  it('a down address is left out', async () => {
    east.setAddress(ZONE, 'us-east', '192.0.2.10', false);
    expect((await ask(e.port, EDGE, 'A')).answer).toEqual([`${EDGE} 20 A 192.0.2.11`]);
  });

  it('every address down, when_all_down serve_all: its addresses anyway', async () => {
    for (const a of ['198.51.100.10', '2001:db8:20::1']) west.setAddress(ZONE, 'eu-west', a, false);
    expect((await ask(w.port, EDGE, 'A')).answer).toEqual([`${EDGE} 20 A 198.51.100.10`]);
  });

  it('every address down, when_all_down nodata: NODATA with the child SOA', async () => {
    for (const a of ['198.51.100.10', '2001:db8:20::1']) west.setAddress(ZONE, 'eu-west', a, false);
    expect(await ask(w.port, `api.${ZONE}`, 'A')).toMatchObject({
      rcode: 'NOERROR',
      aa: true,
      answer: [],
      authority: [`api.${ZONE} 60 SOA ${WEST_NS} hostmaster.example.com 60`],
    });
  });

  it('repeated questions follow the health changes (memo replay)', async () => {
    const steps: [() => void, string[]][] = [
      [() => {}, ['192.0.2.10', '192.0.2.11']],
      [() => east.setAddress(ZONE, 'us-east', '192.0.2.11', false), ['192.0.2.10']],
      [() => east.setAddress(ZONE, 'us-east', '192.0.2.11', true), ['192.0.2.10', '192.0.2.11']],
      [() => east.setAddress(ZONE, 'us-east', '192.0.2.10', false), ['192.0.2.11']],
    ];
    for (const [change, want] of steps) {
      change();
      for (let i = 0; i < 3; i++)
        expect((await ask(e.port, EDGE, 'A')).answer).toEqual(want.map((a) => `${EDGE} 20 A ${a}`));
    }
  });
});

describe('the site must be declared, at start-up and on reload', () => {
  it('refuses to start for a site no zone declares', async () => {
    const err = await startServer({ 'gslb.example.com.yaml': PARENT }, { site: 'mars' }).catch(
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(ProblemsError);
    expect((err as ProblemsError).problems.map((p) => p.message)).toEqual([
      'site "mars" (--site, or site: in the configuration) is not declared under sites: in any zone (declared: us-east, eu-west, ap-south)',
    ]);
  });

  it('a reload follows the delegations, and is rejected when the site is gone', async () => {
    const t = await startServer({ 'gslb.example.com.yaml': PARENT }, { site: 'us-east' });
    try {
      expect((await ask(t.port, EDGE, 'A')).aa).toBe(true);
      // us-east leaves the delegation: the child zone goes, and the parent refers.
      await t.write(
        'gslb.example.com.yaml',
        PARENT.replace('sites: [us-east, eu-west, ap-south]', 'sites: [eu-west, ap-south]'),
      );
      expect(await t.server.reload()).toMatchObject({ ok: true, removed: [EDGE] });
      expect(await ask(t.port, EDGE, 'A')).toMatchObject({
        aa: false,
        authority: [NS['eu-west'], NS['ap-south']].sort(),
      });
      // us-east comes back.
      await t.write('gslb.example.com.yaml', PARENT);
      expect(await t.server.reload()).toMatchObject({ ok: true, added: [EDGE] });
      expect((await ask(t.port, EDGE, 'A')).aa).toBe(true);
      // No zone declares us-east any more: rejected, the last good set keeps serving.
      await t.write(
        'gslb.example.com.yaml',
        PARENT.replace(/^ {2}us-east:\n(?: {4}.*\n)+/m, '').replace(
          '[us-east, eu-west, ap-south]',
          '[eu-west, ap-south]',
        ),
      );
      const outcome = await t.server.reload();
      expect(outcome).toMatchObject({ ok: false });
      expect(outcome.ok ? [] : outcome.problems.map((p) => p.code)).toEqual(['unknown-site']);
      expect(await ask(t.port, EDGE, 'A')).toMatchObject({
        aa: true,
        answer: [`${EDGE} 20 A 192.0.2.10`, `${EDGE} 20 A 192.0.2.11`],
      });
    } finally {
      await t.stop();
    }
  });
});

describe('configuration: site:', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-site-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['site: us-east', 'us-east'],
    ['listen: [127.0.0.1:5353]', null],
  ])('%s → %s', async (text, site) => {
    await writeFile(join(dir, 'g.yaml'), text + '\n');
    expect((await loadConfig(join(dir, 'g.yaml'))).site).toBe(site);
  });

  it.each([
    [
      'site: "us east"',
      `g.yaml:1:7: site: site names use letters, digits, '-', '_' and '.', got "us east" [bad-value]`,
    ],
    ['site: [us-east]', 'g.yaml:1:7: site: must be a string, got a list [wrong-type]'],
  ])('%s is rejected', async (text, want) => {
    await writeFile(join(dir, 'g.yaml'), text + '\n');
    const err = await loadConfig(join(dir, 'g.yaml')).catch((x: unknown) => x);
    expect((err as Error).message).toBe(join(dir, want));
  });
});

describe('geosteer serve --site', () => {
  let dir: string;
  const procs: Cli[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-site-cli-'));
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'zones', 'gslb.example.com.yaml'), PARENT);
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const serve = async (...args: string[]) => {
    const port = await freePort();
    const cli = runCli([
      'serve',
      '-z',
      join(dir, 'zones'),
      '-l',
      `127.0.0.1:${port}`,
      '--no-admin',
      '--no-watch',
      '--state-file',
      join(dir, 's.json'),
      ...args,
    ]);
    procs.push(cli);
    return { cli, port };
  };

  it('serves the child zone of its site', async () => {
    const { cli, port } = await serve('--site', 'eu-west');
    const line = await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
    expect(line).toMatchObject({ site: 'eu-west', zones: [ZONE, EDGE, `api.${ZONE}`] });
    expect(await ask(port, EDGE, 'A')).toMatchObject({
      aa: true,
      answer: [`${EDGE} 20 A 198.51.100.10`],
    });
  });

  it('with --threads 2, every thread answers the child zone, and a reload reaches each', async () => {
    // The main thread derives the child zone once and sends it to the threads as data: a thread
    // that lacked it would answer REFUSED (no zone) or a referral from the parent, not AA.
    const zones = join(dir, 'zones-threads');
    await mkdir(zones);
    await writeFile(join(zones, 'gslb.example.com.yaml'), PARENT);
    const { cli, port } = await serve(
      '-z',
      zones,
      '--site',
      'us-east',
      '--threads',
      '2',
      '--query-log',
    );
    await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
    /** `n` child-apex queries, each from a new socket, so the kernel spreads them over threads. */
    const apex = async (n: number) => {
      const out: string[][] = [];
      for (let i = 0; i < n; i += 20)
        for (const r of await Promise.all(
          Array.from({ length: Math.min(20, n - i) }, () => ask(port, EDGE, 'A')),
        )) {
          expect(r.aa).toBe(true);
          out.push(r.answer);
        }
      return new Set(out.map((a) => a.join(' | ')));
    };
    const east = (ttl: number) => `${EDGE} ${ttl} A 192.0.2.10 | ${EDGE} ${ttl} A 192.0.2.11`;
    expect(await apex(100)).toEqual(new Set([east(20)]));
    const answered = () =>
      new Set(cli.lines.filter((l) => l.msg === 'query' && l.qname === EDGE).map((l) => l.thread));
    const deadline = Date.now() + 10_000;
    while (answered().size < 2 && Date.now() < deadline)
      await cli.waitFor((l) => l.msg === 'query', 1000, cli.lines.length).catch(() => undefined);
    expect([...answered()].sort()).toEqual([0, 1]);

    // An edit of the parent's delegation: the child zone is derived anew, in every thread.
    await writeFile(join(zones, 'gslb.example.com.yaml'), PARENT.replace('ttl: 20', 'ttl: 25'));
    const from = cli.lines.length;
    process.kill(cli.child.pid!, 'SIGHUP');
    await cli.waitFor((l) => String(l.msg).startsWith('zones reloaded'), 15_000, from);
    expect(await apex(100)).toEqual(new Set([east(25)]));
  });

  it('does not start for a site no zone declares', async () => {
    const { cli } = await serve('--site', 'mars');
    expect((await cli.exited).code).toBe(1);
    expect(cli.lines.map((l) => l.msg)).toContain(
      `${join(dir, 'zones')}:1:1: site "mars" (--site, or site: in the configuration) is not declared under sites: in any zone (declared: us-east, eu-west, ap-south) [unknown-site]`,
    );
  });
});
