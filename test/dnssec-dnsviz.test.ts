// DNSViz (Debian's `dnsviz`) examines a signed zone geosteer serves and finds no errors or
// warnings: `dnsviz probe` queries the server as an authoritative server (-A) at the address and
// port given (-x NAME+:ns=ADDR:PORT; the `+` stops the analysis at that zone, so dnsviz resolves
// no names and asks no other server: without it, it walks up to example.test through the
// resolvers in /etc/resolv.conf and hangs), and `dnsviz grok` analyses what it got, trusting only
// the zone's key (-t) and allowing the loopback address (-P). Each run has a deadline and is
// killed by its PID if it overruns, so a hung probe fails the test instead of hanging it.
//
// The delegation `sub` is not probed: dnsviz would follow the referral to the child's servers,
// which do not exist here (the signed no-DS proof is checked by Unbound and delv elsewhere).
//
// Debian 12's dnsviz 0.9.4 checks pygraphviz's version through `pygraphviz.release` before it
// uses trusted keys (-t), a module python3-pygraphviz 1.7 no longer has, so grok would stop with
// "pygraphviz is required, but not installed". A sitecustomize on PYTHONPATH provides that module
// from pygraphviz.__version__; nothing else in dnsviz is touched.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRData } from '../src/dnssec/keys.js';
import { dnssecRdataText } from '../src/dnssec/present.js';
import type { WatchedGeoLocator } from '../src/geoip/index.js';
import { startServer, type TestServer } from './helpers/server.js';
import { geoLocator, SIGNED, signedZoneDir, signedZoneYaml } from './dnssec-serve-fixture.js';

const DNSVIZ = process.env.DNSVIZ ?? '/usr/bin/dnsviz';
/** Names probed: the apex, static, steered, CNAME into steered, wildcard, absent, delegation. */
const NAMES = [
  SIGNED,
  `static.${SIGNED}`,
  `www.${SIGNED}`,
  `alias.${SIGNED}`,
  `x.wild.${SIGNED}`,
  `nx.${SIGNED}`,
  `b.ent.${SIGNED}`,
];

/** `pygraphviz.release` for Debian 12's dnsviz (see the header). */
const SHIM = `import sys, types
import pygraphviz
release = types.ModuleType('pygraphviz.release')
release.version = pygraphviz.__version__
sys.modules['pygraphviz.release'] = release
pygraphviz.release = release
`;

let dir: string;
let geo: WatchedGeoLocator;
let t: TestServer;
/** The same zone served with the clock a month back: its signatures have expired. */
let stale: TestServer;
let anchors: string;
let shim: string;

beforeAll(async () => {
  const z = await signedZoneDir();
  dir = z.dir;
  geo = await geoLocator(dir);
  const zones = { [`${SIGNED}.yaml`]: signedZoneYaml(join(dir, 'keys')) };
  t = await startServer(zones, { geo });
  const monthAgo = Date.now() - 30 * 86400_000;
  stale = await startServer(zones, { geo, now: () => monthAgo });
  shim = join(dir, 'shim');
  await mkdir(shim);
  await writeFile(join(shim, 'sitecustomize.py'), SHIM);
  anchors = join(dir, 'trusted-keys');
  await writeFile(anchors, `${SIGNED}. IN DNSKEY ${dnssecRdataText(keyRData(z.key))}\n`);
}, 30_000);
afterAll(async () => {
  await t?.stop();
  await stale?.stop();
  geo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stderr: string;
}

/** Run dnsviz to the end, or kill it by PID at the deadline. */
function dnsviz(args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(DNSVIZ, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PYTHONPATH: shim },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`dnsviz ${args[0]} ran over ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

type Json = Record<string, unknown>;

/** Every error and warning dnsviz reports anywhere in its analysis, with where it was found. */
function findings(node: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((n, i) => findings(n, `${path}[${i}]`, out));
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node as Json)) {
      if ((k === 'errors' || k === 'warnings') && Array.isArray(v))
        for (const e of v as Json[])
          out.push(`${k.slice(0, -1)} at ${path}: ${String(e.code)}: ${String(e.description)}`);
      else findings(v, `${path}/${k}`, out);
    }
  return out;
}

/** Statuses dnsviz gives anywhere in its analysis. */
function statuses(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) statuses(n, out);
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === 'status' && typeof v === 'string') out.add(v);
      else statuses(v, out);
    }
  return out;
}

/** Probe the server on `port` for NAMES and grok the result; the analysis. */
async function analyse(port: number, tag: string): Promise<Json> {
  const probe = join(dir, `probe-${tag}.json`);
  const p = await dnsviz(
    [
      'probe',
      '-A',
      '-4',
      '-x',
      `${SIGNED}+:ns1.${SIGNED}=127.0.0.1:${port}`,
      '-o',
      probe,
      ...NAMES,
    ],
    60_000,
  );
  expect(p.code, p.stderr).toBe(0);
  const grokked = join(dir, `grok-${tag}.json`);
  const g = await dnsviz(['grok', '-P', '-t', anchors, '-r', probe, '-o', grokked], 60_000);
  expect(g.code, g.stderr).toBe(0);
  return JSON.parse(await readFile(grokked, 'utf8')) as Json;
}

describe('dnsviz on a zone geosteer signs', () => {
  it('probes every kind of name; grok finds every RRset secure, no error, no warning', async () => {
    const analysis = await analyse(t.port, 'good');
    expect(Object.keys(analysis).sort()).toEqual(NAMES.map((n) => `${n}.`).sort());
    expect(findings(analysis, '', [])).toEqual([]);
    // Every RRset, signature and proof checked from the trust anchor: SECURE and VALID, and the
    // names themselves NOERROR (compact denial: nx is NOERROR with an NXNAME proof).
    expect([...statuses(analysis)].sort()).toEqual(['NOERROR', 'SECURE', 'VALID']);
  }, 150_000);

  it('finds the errors in a zone whose signatures have expired', async () => {
    const analysis = await analyse(stale.port, 'stale');
    const found = findings(analysis, '', []);
    expect(
      found.some((f) => f.includes('EXPIRATION_IN_PAST')),
      found.join('\n'),
    ).toBe(true);
    expect(statuses(analysis)).toContain('BOGUS');
  }, 150_000);
});
