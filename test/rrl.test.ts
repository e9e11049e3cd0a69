// Response rate limiting over real UDP and TCP sockets on loopback. The server's clock is
// injected and stands still, so a flood's outcome is exact: the first `rate` responses of a
// bucket go out, then every `slip`-th is truncated and the rest dropped. Spoofed-looking
// sources: many addresses of 127.0.5.0/24, each its own socket.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultCookiesConfig,
  defaultRrlConfig,
  type RrlConfig,
} from '../src/server/rrl-config.js';
import { buildQuery, tcpExchange } from './helpers/dns-client.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header } from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';
import { LOOPBACK_ADMIN, parseMetrics, request, series } from './helpers/admin.js';

/** The answers to `count` queries sent from each source address, by what came back. */
interface Tally {
  answered: number;
  truncated: number;
  badcookie: number;
  dropped: number;
  replies: Buffer[];
}

/**
 * Send `count` queries built by `make(i)` (ID i) from sources in turn (one socket each), one at
 * a time, and wait for each reply up to `waitMs`: sequential, so the count is exact.
 */
async function flood(
  port: number,
  sources: string[],
  count: number,
  make: (i: number) => Buffer,
  waitMs = 150,
): Promise<Tally> {
  const t: Tally = { answered: 0, truncated: 0, badcookie: 0, dropped: 0, replies: [] };
  const socks = await Promise.all(
    sources.map(
      (address) =>
        new Promise<ReturnType<typeof createSocket>>((resolve) => {
          const s = createSocket('udp4');
          s.bind({ address, port: 0 }, () => resolve(s));
        }),
    ),
  );
  try {
    for (let i = 0; i < count; i++) {
      const sock = socks[i % socks.length]!;
      const reply = await new Promise<Buffer | null>((resolve) => {
        const done = (m: Buffer | null) => {
          clearTimeout(timer);
          sock.removeListener('message', onMessage);
          resolve(m);
        };
        // A late reply to an earlier query (its ID differs) is not this query's.
        const onMessage = (m: Buffer) => {
          if (m.readUInt16BE(0) === (i & 0xffff)) done(m);
        };
        const timer = setTimeout(() => done(null), waitMs);
        sock.on('message', onMessage);
        sock.send(make(i), port, '127.0.0.1');
      });
      if (!reply) t.dropped++;
      else {
        t.replies.push(reply);
        const h = header(reply);
        if (h.rcode === 7) t.badcookie++;
        else if (h.tc) t.truncated++;
        else t.answered++;
      }
    }
  } finally {
    for (const s of socks) s.close();
  }
  return t;
}

const RATE = 10;
const sources = (n: number, net = '127.0.5') =>
  Array.from({ length: n }, (_, i) => `${net}.${i + 1}`);
const www = (i: number) => buildQuery('www.example.test', 'A', { id: i, edns: 1232 });

function rrl(over: Partial<RrlConfig> = {}): RrlConfig {
  return { ...defaultRrlConfig(), responsesPerSecond: RATE, slip: 2, allow: [], ...over };
}

describe('response rate limiting', () => {
  let srv: TestServer | null = null;
  let clock = 1_700_000_000_000;
  afterEach(async () => {
    await srv?.stop();
    srv = null;
  });
  const start = async (over: Partial<RrlConfig> = {}, cookies = false, admin = false) => {
    srv = await startServer(ALL_ZONES, {
      rrl: rrl(over),
      now: () => clock,
      ...(admin ? { admin: LOOPBACK_ADMIN } : {}),
      ...(cookies ? { cookies: { ...defaultCookiesConfig(), secret: Buffer.alloc(16, 7) } } : {}),
    });
    return srv;
  };

  it('holds a flood from one /24 to the rate, slipping every 2nd limited response', async () => {
    const s = await start();
    const t = await flood(s.port, sources(20), 60, www);
    // 10 answered; 50 limited: 25 truncated (TC=1, no records), 25 dropped.
    expect([t.answered, t.truncated, t.dropped]).toEqual([RATE, 25, 25]);
    const slip = t.replies.find((r) => header(r).tc)!;
    const h = header(slip);
    expect([h.ancount, h.nscount, h.arcount]).toEqual([0, 0, 1]);
    expect(decode(slip).questions?.[0]?.name).toBe('www.example.test');
    // A second later the bucket has the rate again.
    clock += 1000;
    const next = await flood(s.port, sources(5), 12, www);
    expect([next.answered, next.truncated, next.dropped]).toEqual([RATE, 1, 1]);
  });

  it('slip 0 drops every limited response, slip 1 truncates them all', async () => {
    let s = await start({ slip: 0 });
    let t = await flood(s.port, sources(3), 16, www);
    expect([t.answered, t.truncated, t.dropped]).toEqual([RATE, 0, 6]);
    await srv!.stop();
    s = await start({ slip: 1 });
    t = await flood(s.port, sources(3), 16, www);
    expect([t.answered, t.truncated, t.dropped]).toEqual([RATE, 6, 0]);
  });

  it('limits each network, class and name on its own', async () => {
    const s = await start();
    await flood(s.port, sources(4), 30, www);
    // Another network, the same name: unaffected.
    const other = await flood(s.port, sources(2, '127.0.6'), RATE, www);
    expect(other.answered).toBe(RATE);
    // The same network, another name (another bucket): unaffected.
    const mail = await flood(s.port, sources(2), RATE, (i) =>
      buildQuery('mail.example.test', 'A', { id: i }),
    );
    expect(mail.answered).toBe(RATE);
    // NXDOMAIN is keyed on the zone: random names share one bucket.
    const nx = await flood(s.port, sources(2), 20, (i) =>
      buildQuery(`nx${i}.example.test`, 'A', { id: i }),
    );
    expect([nx.answered, nx.truncated, nx.dropped]).toEqual([RATE, 5, 5]);
  });

  it('keys answers synthesized from a wildcard on the wildcard: random names share its bucket', async () => {
    const s = await start();
    // RFC 4592 synthesis: each name is new, so a bucket per name would never fill.
    const wild = await flood(s.port, sources(4), 20, (i) =>
      buildQuery(`r${i}.wild.example.test`, 'A', { id: i }),
    );
    expect([wild.answered, wild.truncated, wild.dropped]).toEqual([RATE, 5, 5]);
    expect(decode(wild.replies[0]!).answers?.[0]?.name).toBe('r0.wild.example.test');
    // The same network asking an existing name keeps its own bucket.
    const other = await flood(s.port, sources(2), RATE, www);
    expect(other.answered).toBe(RATE);
  });

  it('log_only sends every response but counts and logs what it would limit', async () => {
    const s = await start({ logOnly: true });
    const t = await flood(s.port, sources(10), 40, www);
    expect([t.answered, t.truncated, t.dropped]).toEqual([40, 0, 0]);
    const limiter = s.server.handler.rrl!;
    expect([limiter.dropped[0], limiter.slipped[0]]).toEqual([15, 15]);
    // One log line for the network in its window, not one per response.
    const lines = s.logs.filter((l) => String(l.msg).startsWith('rrl:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ network: '127.0.5.0/24', class: 'answer' });
  });

  it('counts dropped and slipped responses by class in the metrics', async () => {
    const s = await start({}, false, true);
    await flood(s.port, sources(3), 30, www);
    await flood(s.port, sources(3), 14, (i) => buildQuery(`nx${i}.example.test`, 'A', { id: i }));
    const r = await request(s.admin!.address!.url, 'GET', '/metrics');
    expect(series(parseMetrics(r.text), 'geosteer_rrl_responses_total')).toMatchObject({
      'class=answer,action=dropped': 10,
      'class=answer,action=slipped': 10,
      'class=nxdomain,action=dropped': 2,
      'class=nxdomain,action=slipped': 2,
      'class=nodata,action=dropped': 0,
    });
    // One log line per network in its window, not one per response or bucket.
    expect(s.logs.filter((l) => String(l.msg).startsWith('rrl: limiting'))).toHaveLength(1);
    // The next window, another line.
    clock += 1000;
    await flood(s.port, sources(3), 15, www);
    expect(s.logs.filter((l) => String(l.msg).startsWith('rrl: limiting'))).toHaveLength(2);
  });

  it('does not limit TCP', async () => {
    const s = await start();
    await flood(s.port, sources(1), 20, www);
    const replies = await tcpExchange(
      s.port,
      Array.from({ length: 30 }, (_, i) => www(i)),
    );
    expect(replies.filter((r) => !header(r).tc && header(r).ancount > 0)).toHaveLength(30);
  });

  it('does not limit networks on the allow-list', async () => {
    const s = await start({ allow: [{ bytes: Uint8Array.of(127, 0, 5, 0), length: 24 }] });
    const t = await flood(s.port, sources(5), 40, www);
    expect(t.answered).toBe(40);
  });

  it('does not limit a client presenting a valid server cookie', async () => {
    const s = await start({}, true);
    // Learn a server cookie, from the source the flood uses (its first response is answered).
    const client = Buffer.from('0123456789abcdef', 'hex');
    const first = await flood(s.port, ['127.0.5.1'], 1, (i) =>
      buildQuery('www.example.test', 'A', {
        id: i,
        edns: 1232,
        ednsOptions: [{ code: 10, data: client }],
      }),
    );
    const opt = decode(first.replies[0]!).additionals!.find((a) => a.type === 'OPT') as unknown as {
      options: { code: number; data: Buffer }[];
    };
    const cookie = opt.options.find((o) => o.code === 10)!.data;
    expect(cookie.subarray(0, 8)).toEqual(client);
    const withCookie = (i: number) =>
      buildQuery('www.example.test', 'A', {
        id: i,
        edns: 1232,
        ednsOptions: [{ code: 10, data: cookie }],
      });
    const t = await flood(s.port, ['127.0.5.1'], 40, withCookie);
    expect(t.answered).toBe(40);
    // The same cookie from another address is not valid there: that source is limited, and a
    // limited query that carries a cookie is slipped as BADCOOKIE with a fresh cookie.
    const spoofed = await flood(s.port, ['127.0.5.2'], 30, withCookie);
    expect([spoofed.answered, spoofed.badcookie, spoofed.dropped]).toEqual([RATE - 1, 10, 11]);
  });
});
