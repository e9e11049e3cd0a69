// One answer thread (worker_threads): its own UDP and TCP sockets on every listen address
// (SO_REUSEPORT, so the kernel spreads datagrams and connections over the threads with no hand-off),
// its own QueryHandler and memo, and nothing else. Zones arrive as images and data the main thread
// had compiled (zone-share.ts: installing one is O(1); no YAML is read or compiled here), health
// as a shared verdict table (shared-verdicts.ts), GeoIP as readers over the main thread's database
// memory (src/geoip/shared.ts). See docs/deployment.md#threads.
import type { Socket as UdpSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../base/log.js';
import type { Endpoint } from '../base/endpoint.js';
import { SharedGeoLocator } from '../geoip/shared.js';
import type { Listener } from '../server/answer-pool.js';
import { AnswerSigner } from '../dnssec/answer-signer.js';
import { Cookies } from '../server/cookies.js';
import { QueryHandler } from '../server/handler.js';
import { RateLimiter } from '../server/rrl.js';
import { listenTcp, monotonicClock, type TcpListener, tcpLimits } from '../server/tcp.js';
import { ConnectionTable } from '../server/tcp-table.js';
import { listenUdp } from '../server/udp.js';
import { rcodeName, typeName } from '../wire/constants.js';
import { ZoneSet } from '../zone/zone-set.js';
import type { FromThread, Generation, ThreadCounts, ThreadInit, ToThread } from './protocol.js';
import { VerdictReader } from './shared-verdicts.js';
import { InstalledZones } from './zone-share.js';

const init = workerData as ThreadInit;
const port = parentPort!;
const post = (m: FromThread) => port.postMessage(m);
const log = createLogger(init.logLevel).child({ thread: init.index });
const installed = new InstalledZones();

/**
 * The zones of a generation, as the main thread compiled and checked them, a `--site` instance's
 * child zones included (the main thread derived them once): wrapped, never compiled here.
 */
function build(g: Generation): ZoneSet {
  return new ZoneSet(installed.install(g.zones), g.generation);
}

const health = new VerdictReader(init.zones.verdicts);
const geo = init.geo ? new SharedGeoLocator(init.geo, log) : undefined;
const rrl = init.rrl?.enabled ? new RateLimiter(init.rrl) : null;
if (rrl && init.rrl) {
  const mode = init.rrl.logOnly ? 'would limit (log_only)' : 'limiting';
  const rate = init.rrl.responsesPerSecond;
  rrl.onLimit = (e) =>
    log.warn(
      { network: e.network, class: e.class, rate },
      `rrl: ${mode} ${e.class} responses to ${e.network}`,
    );
}
// The main thread made the secret when the config has none: every thread makes and accepts the
// same server cookies (a client's next query may land on another thread).
const cookies = init.cookies?.enabled ? new Cookies(init.cookies) : null;
const handler = new QueryHandler(build(init.zones), {
  health,
  ...(geo ? { geo } : {}),
  rrl,
  cookies,
  // Each thread signs with its own signature cache; the keys came with the zone texts.
  signer: new AnswerSigner(),
});
if (init.queryLog)
  handler.onQuery = (e) =>
    log.info(
      {
        transport: e.transport,
        qname: e.qname,
        qtype: typeName(e.qtype),
        rcode: rcodeName(e.rcode),
        size: e.size,
      },
      'query',
    );

const limits = tcpLimits(init.tcpOptions);
const table = new ConnectionTable(
  {
    ...limits,
    idleTimeoutMs: init.tcpOptions.idleTimeoutMs,
    maxConnections: init.tcpOptions.maxConnections,
  },
  monotonicClock,
);
const udp: UdpSocket[] = [];
const tcp: TcpListener[] = [];

/** Bind one address, UDP and TCP on one port; port 0 (thread 0 only) retries a port TCP lacks. */
async function open(ep: Endpoint): Promise<Listener[]> {
  for (let attempt = 0; ; attempt++) {
    let p = ep.port;
    let u: UdpSocket | null = null;
    if (init.udp) {
      u = await listenUdp(ep.host, p, handler, log, true);
      p = u.address().port;
    }
    let t: TcpListener | null = null;
    try {
      if (init.tcp) t = await listenTcp(ep.host, p, handler, table, limits, log, true);
    } catch (err) {
      await new Promise<void>((r) => (u ? u.close(() => r()) : r()));
      if (ep.port === 0 && attempt < 10 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        continue;
      throw err;
    }
    const out: Listener[] = [];
    if (u) {
      udp.push(u);
      out.push({ transport: 'udp', host: ep.host, port: p });
    }
    if (t) {
      tcp.push(t);
      out.push({ transport: 'tcp', host: ep.host, port: t.port });
    }
    return out;
  }
}

function counts(): ThreadCounts {
  const tallies: ThreadCounts['tallies'][number][] = [];
  for (const t of handler.answered())
    tallies.push([t.zone, t.qtype, t.rcode, t.policy, [...t.sites], t.udp, t.tcp]);
  return {
    tallies,
    rrl: rrl ? { dropped: [...rrl.dropped], slipped: [...rrl.slipped] } : null,
    cookies: cookies ? { verdicts: [...cookies.verdicts], badcookies: cookies.badcookies } : null,
    tcp: init.tcp ? structuredClone(table.stats) : null,
  };
}

/** Built and waiting for the swap: the zones and the verdict table made for them. */
let pending: { set: ZoneSet; g: Generation } | null = null;

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'build':
      try {
        pending = { set: build(m.zones), g: m.zones };
        post({ type: 'built', generation: m.zones.generation, error: null });
      } catch (err) {
        pending = null;
        post({ type: 'built', generation: m.zones.generation, error: (err as Error).message });
      }
      break;
    case 'swap':
      // One assignment between two queries: no query sees a mix of generations.
      if (pending?.set.generation === m.generation) {
        handler.setZones(pending.set);
        health.use(pending.g.verdicts);
        pending = null;
      }
      break;
    case 'discard':
      if (pending?.set.generation === m.generation) pending = null;
      break;
    case 'geo':
      geo?.update(m.geo);
      break;
    case 'counts':
      post({ type: 'counts', id: m.id, counts: counts() });
      break;
    case 'close':
      void Promise.all([
        ...udp.map((s) => new Promise<void>((r) => s.close(() => r()))),
        ...tcp.map((t) => t.close()),
      ]).then(() => {
        table.stop();
        post({ type: 'closed' });
        port.close();
      });
      break;
  }
});

try {
  const listeners: Listener[] = [];
  for (const ep of init.listen) listeners.push(...(await open(ep)));
  post({ type: 'listening', listeners });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  post({ type: 'failed', message: e.message, code: e.code ?? null });
}
